import ArgumentParser
import Foundation
import Synchronization
import LogdashEngine
import LogdashUI

/// Runs `logdash ingest --stream` queries: each folds in the segments stored since its last
/// turn and prints every window it closes as JSON lines, one per result row, with the
/// window and whether it is an update after late records (`_update`).
final class StreamReporter {
    private let queries: [(StreamingQuery, SegmentFeed)]
    private let store: Store

    /// Subscribes before ingest starts, so that every stored segment reaches the queries.
    init(_ sqls: [String], store: Store, lateness: Int64, allowedLateness: Int64) throws {
        self.store = store
        queries = try sqls.map { sql in
            do {
                let q = try StreamingQuery(sql: sql, lateness: lateness, allowedLateness: allowedLateness)
                return (q, store.subscribe(fromStart: true))
            } catch let e as QueryError {
                throw ValidationError("--stream: " + e.rendered(in: sql))
            }
        }
    }

    var isEmpty: Bool { queries.isEmpty }

    var streamingQueries: [StreamingQuery] { queries.map(\.0) }

    /// Input read out of order (a finished file): segments are folded in as they are stored,
    /// but nothing closes before the end.
    func holdWatermarks() {
        for (q, _) in queries { q.holdsWatermark = true }
    }

    /// Folds in new segments (the queries side by side on the cores) and prints the windows
    /// that closed, query by query. `end`: the input has ended, every window closes.
    func report(end: Bool = false) throws {
        StreamReporter.write(try windows(end: end))
    }

    /// Folds in new segments and gives the windows that closed as JSON lines, a buffer per
    /// query in order (see `report`). `spread`: the work spreads over the cores (else it runs
    /// on the calling thread).
    func windows(end: Bool = false, spread: Bool = true) throws -> [[UInt8]] {
        guard !queries.isEmpty else { return [] }
        let schema = store.snapshot().schema
        let outcomes = StreamingQuery.step(queries.map { ($0.0, $0.1.take()) }, schema: schema, end: end, spread: spread)
        // Each query's windows as JSON lines, in pieces of a few thousand rows formatted side by
        // side on the cores (a query closing many windows at once is not left to one), then
        // written in order.
        var pieces: [(query: Int, emissions: ArraySlice<StreamingQuery.Emission>)] = []
        for (k, outcome) in outcomes.enumerated() {
            guard case .success(let emissions) = outcome else { continue }
            var from = 0, rows = 0
            for (i, e) in emissions.enumerated() {
                rows += e.result.rows.count
                if rows >= 4096 || i == emissions.count - 1 {
                    pieces.append((k, emissions[from...i]))
                    from = i + 1
                    rows = 0
                }
            }
        }
        let texts = Slots(pieces.count), work = pieces
        Spread.perform(work.count, spread: spread) { i in
            texts.set(i, StreamReporter.lines(query: work[i].query + 1, work[i].emissions))
        }
        for (k, outcome) in outcomes.enumerated() {
            do {
                _ = try outcome.get()
            } catch let e as StreamingQuery.StateLimit {
                FileHandle.standardError.write(Data("logdash: --stream \(k + 1): \(e.description)\n".utf8))
                throw ExitCode(1)
            }
        }
        return pieces.indices.compactMap { texts.get($0) }
    }

    /// Buffers written to standard output in order, straight from their bytes (no copy into one).
    static func write(_ buffers: [[UInt8]]) {
        for buffer in buffers {
            buffer.withUnsafeBytes { p in
                var done = 0
                while done < p.count {
                    let n = Glibc.write(1, p.baseAddress! + done, p.count - done)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return }
                    done += n
                }
            }
        }
    }

    /// A query's windows as JSON lines: one per result row, with the query's number, the
    /// window, and whether it is an update.
    static func lines(query: Int, _ emissions: ArraySlice<StreamingQuery.Emission>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(emissions.reduce(0) { $0 + $1.result.rows.count } * 128)
        let head = Array(#"{"_query":\#(query),"_window_start":""#.utf8)
        var keys: [[UInt8]] = [], columns: [String] = []
        var times = ResultWriter.TimeTexts()
        var prefix: [UInt8] = []
        for e in emissions {
            if columns != e.result.columns { columns = e.result.columns; keys = ResultWriter.keys(columns) }
            // The members every row of the window shares, written once.
            prefix.removeAll(keepingCapacity: true)
            prefix += head
            times.append(e.windowStart, to: &prefix)
            prefix += #"","_window_end":""#.utf8
            times.append(e.windowEnd, to: &prefix)
            prefix += (e.isUpdate ? #"","_update":true"# : #"","_update":false"#).utf8
            if !keys.isEmpty { prefix.append(UInt8(ascii: ",")) }
            for row in e.result.rows {
                out += prefix
                ResultWriter.appendMembers(keys, row, to: &out, times: &times)
                out.append(UInt8(ascii: "}"))
                out.append(0x0A)
            }
        }
        return out
    }

    /// One value per slot, set from any thread.
    private final class Slots: Sendable {
        private let values: Mutex<[[UInt8]?]>
        init(_ n: Int) { values = Mutex(Array(repeating: nil, count: n)) }
        func set(_ k: Int, _ v: [UInt8]) { values.withLock { $0[k] = v } }
        func get(_ k: Int) -> [UInt8]? { values.withLock { $0[k] } }
    }

    /// One line on stderr per query that saw late records.
    func summary() {
        for (k, (q, _)) in queries.enumerated() where q.updatedLate + q.droppedLate > 0 {
            FileHandle.standardError.write(Data("logdash: --stream \(k + 1): \(q.updatedLate) late records updated windows already emitted, \(q.droppedLate) came too late and were dropped\n".utf8))
        }
    }
}
