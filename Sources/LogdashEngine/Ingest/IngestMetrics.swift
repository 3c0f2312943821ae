import Foundation

/// What live ingest counts of itself, per source: the `internal_metrics` table, the stats line
/// of `logdash ingest` and the dashboard's status bar all read these numbers.
public final class IngestMetrics: @unchecked Sendable {  // state guarded by `lock`
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
        /// Messages dropped (UDP datagrams while the buffer was full, HTTP bodies refused with 503).
        public var drops = 0
        /// Bytes of followed files not read yet.
        public var lagBytes = 0
        /// Open connections.
        public var connections = 0
        /// Connections refused (not on the allow-list, over the limit).
        public var refused = 0
    }

    public static let columns = ["ts", "source", "lines", "bytes", "parse_failures", "truncated", "drops", "lag_bytes",
                                 "connections", "refused", "buffer_bytes", "buffer_capacity"]
    public static let types: [ColumnType] = [.timestamp, .string] + Array(repeating: .int, count: 10)

    private let lock = NSLock()
    private var bySource: [String: Counters] = [:]
    private var order: [String] = []
    private var lastSample: [String: Counters] = [:]

    public init() {}

    public func update(_ source: String, _ change: (inout Counters) -> Void) {
        lock.lock(); defer { lock.unlock() }
        if bySource[source] == nil { order.append(source) }
        change(&bySource[source, default: Counters()])
    }

    /// Every source's counters, in the order the sources appeared.
    public func snapshot() -> [(source: String, counters: Counters)] {
        lock.lock(); defer { lock.unlock() }
        return order.map { ($0, bySource[$0]!) }
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
    func sample(at ts: Int64, bufferBytes: Int, bufferCapacity: Int) -> [[Value]] {
        lock.lock(); defer { lock.unlock() }
        var rows: [[Value]] = []
        for name in order {
            let c = bySource[name]!, p = lastSample[name] ?? Counters()
            rows.append([.timestamp(ts), .string(name), .int(Int64(c.lines - p.lines)), .int(Int64(c.bytes - p.bytes)),
                         .int(Int64(c.parseFailures - p.parseFailures)), .int(Int64(c.truncated - p.truncated)),
                         .int(Int64(c.drops - p.drops)), .int(Int64(c.lagBytes)), .int(Int64(c.connections)),
                         .int(Int64(c.refused - p.refused)), .int(Int64(bufferBytes)), .int(Int64(bufferCapacity))])
            lastSample[name] = c
        }
        return rows
    }
}
