import Foundation
import Synchronization

/// The memory one query may hold. The operators that keep rows — materialised subqueries and
/// common table expressions, rows kept for sorting or window functions, a UNION's parts, the
/// groups of an aggregation, the `errors` table — charge what they keep; past the limit the
/// query stops with an error (as Trino's per-query memory limit does) instead of taking the
/// machine's memory. Shared by the query's threads.
public final class QueryMemory: Sendable {
    public let limit: Int
    private let used = Atomic<Int>(0)

    public init(limit: Int = QueryMemory.defaultLimit) {
        self.limit = limit
    }

    /// What has been charged so far.
    public var charged: Int { used.load(ordering: .relaxed) }

    func charge(_ bytes: Int) throws {
        let total = used.add(bytes, ordering: .relaxed).newValue
        guard total > limit else { return }
        throw QueryError(.memory, "the query needs more than its memory limit of \(ByteSize.format(limit)) (--max-query-memory, "
                         + "config key query.max_memory): keep fewer rows — filter, aggregate or LIMIT inside subqueries and WITH", at: nil)
    }

    private static let configured = Atomic<Int>(0)

    /// `--max-query-memory` / `query.max_memory` for every query of this process; nil goes
    /// back to the default.
    public static func setDefaultLimit(_ bytes: Int?) {
        configured.store(bytes ?? 0, ordering: .relaxed)
    }

    /// The limit queries get: the configured one, else a quarter of the memory this process
    /// may use (the machine's, or its control group's when that is smaller).
    public static var defaultLimit: Int {
        let c = configured.load(ordering: .relaxed)
        return c > 0 ? c : availableMemory / 4
    }

    public static let availableMemory: Int = {
        let physical = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
        // cgroup v2, then v1 ("max" or an absurd number when unlimited).
        for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let n = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), n > 0, n < physical {
                return n
            }
        }
        return max(physical, 1 << 30)
    }()
}

/// Counts what one operator keeps, and charges the query's memory a megabyte or so at a time
/// (so that the shared counter is touched rarely).
struct MemoryMeter {
    let memory: QueryMemory?
    private var pending = 0
    private var aggregated = 0

    init(_ memory: QueryMemory?) {
        self.memory = memory
    }

    /// A row of values kept: its array, its values, and the text of its longer strings (short
    /// ones live inside the value).
    static func footprint(_ row: [Value]) -> Int {
        var n = 32 + row.count * MemoryLayout<Value>.stride
        for v in row { n += outside(v) }
        return n
    }

    /// The bytes a value keeps outside itself: a long string's text, an array's or a map's elements.
    private static func outside(_ v: Value) -> Int {
        switch v {
        case .string(let s):
            let c = s.utf8.count
            return c > 15 ? 32 + c : 0
        case .array(let items): return footprint(items)
        case .map(let keys, let values): return footprint(keys) + footprint(values)
        case .binary(let bytes): return 32 + bytes.count
        default: return 0
        }
    }

    @inline(__always) mutating func keep(_ row: [Value]) throws {
        guard memory != nil else { return }
        try keep(bytes: MemoryMeter.footprint(row))
    }

    @inline(__always) mutating func keep(bytes: Int) throws {
        guard let memory else { return }
        pending += bytes
        if pending >= 1 << 20 {
            let p = pending
            pending = 0
            try memory.charge(p)
        }
    }

    /// What an aggregation grew by since the last call (its groups and kept samples).
    mutating func keep(groupsOf agg: GroupedAggregation) throws {
        guard memory != nil else { return }
        let n = agg.keptBytes
        guard n > aggregated else { return }
        try keep(bytes: n - aggregated)
        aggregated = n
    }

    /// Charges what is still pending (at the end of an operator).
    mutating func flush() throws {
        guard let memory, pending > 0 else { return }
        let p = pending
        pending = 0
        try memory.charge(p)
    }
}
