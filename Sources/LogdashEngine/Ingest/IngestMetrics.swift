import Foundation
import Synchronization

/// What live ingest counts of itself, per source: the `internal_metrics` table, the stats line
/// of `logdash ingest` and the dashboard's status bar all read these numbers.
public final class IngestMetrics: Sendable {
    /// One source's counters. Totals since start, except the gauges (`lagBytes`, `connections`).
    public struct Counters: Sendable, Equatable {
        /// Records stored.
        public var lines = 0
        /// Bytes accepted into the delivery buffer.
        public var bytes = 0
        /// Records no format fitted (in the `errors` table).
        public var parseFailures = 0
        /// Records cut at the maximum record size.
        public var truncated = 0
        /// Messages dropped: UDP datagrams (the buffer full, or the kernel's receive buffer) and TCP syslog messages a closed connection cut short.
        public var drops = 0
        /// Bytes of followed files not read yet.
        public var lagBytes = 0
        /// Open connections.
        public var connections = 0
        /// Connections refused (not on the allow-list, over the limit).
        public var refused = 0
    }

    /// A row is a source's (`component` 'source') or a transform step's ('transform', its
    /// label under `source`: `step 2 (mask)`), each with its own columns (the others NULL).
    public static let columns = ["ts", "source", "lines", "bytes", "parse_failures", "truncated", "drops", "lag_bytes",
                                 "connections", "refused", "buffer_bytes", "buffer_capacity",
                                 "component", "records_in", "records_out", "failed", "masked", "waiting", "lag_ms", "behind", "masked_kinds",
                                 "spilled", "dropped"]
    public static let types: [ColumnType] = [.timestamp, .string] + Array(repeating: .int, count: 10) + [.string] + Array(repeating: .int, count: 6)
        + [.bool, .string, .int, .int]

    private struct State {
        var bySource: [String: Counters] = [:]
        var order: [String] = []
        var lastSample: [String: Counters] = [:]
        var lastSteps: [(label: String, counts: TransformChain.StepCounts)] = []
        /// Each step's counts summed over its `internal_metrics` rows, by the label it shows
        /// (`step 2 (mask)`), across reloads: what `GET /metrics` gives as counters.
        var stepTotals: [String: TransformChain.StepCounts] = [:]
        var stepOrder: [String] = []
        var samplers: [@Sendable (Int64) -> [[Value]]] = []
        /// The memory budget's counts at the last sample.
        var lastSpilled = 0, lastDropped = 0
    }
    private let state = Mutex(State())

    public init() {}

    /// Adds rows of another component to each sample (the sinks': `SinkSet.metricRows`).
    public func addSampler(_ rows: @escaping @Sendable (Int64) -> [[Value]]) {
        state.withLock { $0.samplers.append(rows) }
    }

    public func update(_ source: String, _ change: (inout Counters) -> Void) {
        state.withLock { s in
            if s.bySource[source] == nil { s.order.append(source) }
            change(&s.bySource[source, default: Counters()])
        }
    }

    /// Each transform step's counts summed over its rows so far (see `State.stepTotals`).
    public func stepTotals() -> [(step: String, counts: TransformChain.StepCounts)] {
        state.withLock { s in s.stepOrder.map { ($0, s.stepTotals[$0]!) } }
    }

    /// Every source's counters, in the order the sources appeared.
    public func snapshot() -> [(source: String, counters: Counters)] {
        state.withLock { s in s.order.map { ($0, s.bySource[$0]!) } }
    }

    /// All sources summed.
    public func total() -> Counters {
        snapshot().reduce(into: Counters()) { t, s in
            let c = s.counters
            t.lines += c.lines; t.bytes += c.bytes; t.parseFailures += c.parseFailures; t.truncated += c.truncated
            t.drops += c.drops; t.lagBytes += c.lagBytes; t.connections += c.connections; t.refused += c.refused
        }
    }

    /// One `internal_metrics` row per source: the counts since the last sample, the gauges as
    /// they are now.
    /// and one per transform step (records in and out, failures, values masked, since the last).
    /// and, with a memory budget, one for it (records spilled and dropped since the last).
    func sample(at ts: Int64, bufferBytes: Int, bufferCapacity: Int, transforms: TransformChain? = nil, memory: RecordMemoryLimit? = nil) -> [[Value]] {
        let steps = transforms?.labelledCounts ?? []
        return state.withLock { s in
            var rows: [[Value]] = []
            for name in s.order {
                let c = s.bySource[name]!, p = s.lastSample[name] ?? Counters()
                rows.append([.timestamp(ts), .string(name), .int(Int64(c.lines - p.lines)), .int(Int64(c.bytes - p.bytes)),
                             .int(Int64(c.parseFailures - p.parseFailures)), .int(Int64(c.truncated - p.truncated)),
                             .int(Int64(c.drops - p.drops)), .int(Int64(c.lagBytes)), .int(Int64(c.connections)),
                             .int(Int64(c.refused - p.refused)), .int(Int64(bufferBytes)), .int(Int64(bufferCapacity)),
                             .string("source"), .null, .null, .null, .null, .null, .null, .null, .null, .null, .null])
                s.lastSample[name] = c
            }
            for (k, (label, c)) in steps.enumerated() {
                // (After a reload the counts start again from zero.)
                let p = k < s.lastSteps.count && s.lastSteps[k].label == label ? s.lastSteps[k].counts : TransformChain.StepCounts()
                let masked = c.masked.values.reduce(0, +) - p.masked.values.reduce(0, +)
                let shownLabel = String(label.drop { $0 != ":" }.dropFirst())
                if s.stepTotals[shownLabel] == nil { s.stepOrder.append(shownLabel) }
                s.stepTotals[shownLabel, default: TransformChain.StepCounts()].add(c, minus: p)
                // Per kind, as a JSON object (`{"email":3,"ipv4":1}`; NULL for steps that mask nothing).
                let kinds = c.masked.keys.sorted().compactMap { k -> String? in
                    let n = c.masked[k]! - (p.masked[k] ?? 0)
                    return n > 0 ? "\"\(k)\":\(n)" : nil
                }
                let byKind: Value = kinds.isEmpty ? .null : .string("{" + kinds.joined(separator: ",") + "}")
                // (Labels carry the list's generation: counts of a reloaded list start from zero.)
                let shown = String(label.drop { $0 != ":" }.dropFirst())
                rows.append([.timestamp(ts), .string(shown)] + Array(repeating: Value.null, count: 10)
                            + [.string("transform"), .int(Int64(c.recordsIn - p.recordsIn)), .int(Int64(c.recordsOut - p.recordsOut)),
                               .int(Int64(c.failed - p.failed)), .int(Int64(masked)), .null, .null, .null, byKind, .null, .null])
            }
            s.lastSteps = steps
            if let memory {
                let (spilled, dropped) = (memory.spilledRows, memory.droppedRows)
                rows.append([.timestamp(ts), .string("memory budget")] + Array(repeating: Value.null, count: 10) + [.string("memory")]
                            + Array(repeating: Value.null, count: 8) + [.int(Int64(spilled - s.lastSpilled)), .int(Int64(dropped - s.lastDropped))])
                (s.lastSpilled, s.lastDropped) = (spilled, dropped)
            }
            for sampler in s.samplers { rows += sampler(ts) }
            return rows
        }
    }
}
