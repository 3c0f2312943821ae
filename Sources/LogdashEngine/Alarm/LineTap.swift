import Foundation
import Synchronization

/// Metric filter patterns measured on lines as they are parsed — where CloudWatch applies
/// metric filters, at ingestion: a batch read from a mapped file is searched while its bytes
/// are at hand (no second read of the file), on the threads that parse it. The sums wait, by
/// segment, until `AlarmStream` takes them; a segment no tap saw is measured there instead.
public final class LineTap: Sendable {
    let filters: [PreparedFilter]
    let periods: [Int64]
    private struct State {
        /// Per segment (held, so that its identifier is not reused): each filter's sums by period.
        var waiting: [ObjectIdentifier: (segment: Segment, sums: [[Int64: Double]])] = [:]
        /// Segments whose sums were taken (the tests see that the tap measured them).
        var taken = 0
    }
    private let state = Mutex(State())

    var taken: Int { state.withLock { $0.taken } }

    init(filters: [PreparedFilter], periods: [Int64]) {
        self.filters = filters
        self.periods = periods
    }

    /// Measures the lines of `batch`, just made into `segment` (while the file it was parsed
    /// from is still mapped: its raw lines are read from there).
    /// `batch`: the records as parsed, when the segment holds them unchanged (its raw lines can
    /// then be read where the batch has them); nil after the transform stage changed them.
    func measure(_ batch: RecordBatch?, into segment: Segment) {
        var sums = [[Int64: Double]](repeating: [:], count: filters.count)
        guard segment.rowCount > 0, let ts = segment.columns["ts"], ts.type == .timestamp else { return }
        if let batch, let reference = batch.rawReference, !batch.rawStarts.isEmpty {
            var lo = Int64.max, hi = Int64.min
            for (s, n) in zip(batch.rawStarts, batch.rawLengths) {
                lo = min(lo, s)
                hi = max(hi, s + Int64(n))
            }
            guard hi - lo <= Int64(max(1 << 24, 4 * batch.rawLengths.reduce(0) { $0 + Int($1) })) else { return }  // rows far apart: left to AlarmStream
            var lines = LineSpan.Builder()
            for (r, (s, n)) in zip(batch.rawStarts, batch.rawLengths).enumerated() { lines.add(row: r, start: Int(s - lo), end: Int(s - lo) + Int(n)) }
            let span = lines.span(over: UnsafeBufferPointer(start: reference.base + Int(lo), count: Int(hi - lo)))
            Self.add(span, filters: filters, periods: periods, times: ts, into: &sums)
        } else if let raw = segment.columns["raw"] {
            raw.withLines(rows: segment.rowCount) { Self.add($0, filters: filters, periods: periods, times: ts, into: &sums) }
        } else {
            return
        }
        state.withLock { $0.waiting[ObjectIdentifier(segment)] = (segment, sums) }
    }

    /// The sums measured for `segment`, once; nil when this tap did not see it.
    func take(_ segment: Segment) -> [[Int64: Double]]? {
        state.withLock { s in
            guard let sums = s.waiting.removeValue(forKey: ObjectIdentifier(segment))?.sums else { return nil }
            s.taken += 1
            return sums
        }
    }

    /// Adds what each pattern measures on the lines of `span` to its period's sum.
    static func add(_ span: LineSpan, filters: [PreparedFilter], periods: [Int64], times column: SegmentColumn, into sums: inout [[Int64: Double]]) {
        let times = column.ints
        for k in filters.indices {
            filters[k].measure(span) { i, v in
                let r = Int(span.rows[i])
                guard column.isValid(r) else { return }
                sums[k][Functions.floorDiv(times[r], periods[k]) * periods[k], default: 0] += v
            }
        }
    }
}
