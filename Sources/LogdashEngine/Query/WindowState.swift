/// A streaming query's window groups, in columns: per group its window, its keys (ids of each
/// key column's values), its parts, whether it was emitted and whether it changed since — in
/// the order the groups were made. No group is an object or an array of its own (but for a
/// sketch or a set of distinct values, in the queries that keep them), so that a batch of
/// groups folds in, closes and is evicted without allocating per group.
///
/// Tumbling and hopping windows are found by (start, key ids); sessions by key ids, each key's
/// sessions in order of start. A session merged into a newer one is dead until the next
/// compaction.
///
/// One thread at a time uses a state (its query's), so its arrays skip the run-time
/// exclusivity checks (`@exclusivity(unchecked)`: each was a thread-local lookup per access, a
/// twentieth of a busy query's time).
final class WindowState {
    let keyCount: Int
    let folds: [StreamingQuery.Fold]
    let sessions: Bool
    let keepsSketches: Bool
    let keepsDistinct: Bool
    @exclusivity(unchecked) private var keys: KeyIds
    @exclusivity(unchecked) private(set) var starts: [Int64] = []
    @exclusivity(unchecked) private(set) var ends: [Int64] = []
    /// `keyCount` ids a group.
    @exclusivity(unchecked) private var keyIds: [Int32] = []
    /// Per part, per group.
    @exclusivity(unchecked) private var parts: [[Value]]
    @exclusivity(unchecked) var emitted: [Bool] = []
    @exclusivity(unchecked) var changed: [Bool] = []
    @exclusivity(unchecked) private(set) var alive: [Bool] = []
    /// The sketch's bucket counts (with `approx_percentile`), and the distinct values seen
    /// (with `count(DISTINCT x)`), per group.
    @exclusivity(unchecked) private(set) var sketches: [[Int64: Int64]] = []
    @exclusivity(unchecked) private(set) var distinct: [Set<Value>] = []
    @exclusivity(unchecked) private var index = GroupIndex()
    @exclusivity(unchecked) private var sessionsOf: [[Int32]: [Int32]] = [:]
    /// Groups not merged away.
    @exclusivity(unchecked) private(set) var liveCount = 0

    init(keyCount: Int, folds: [StreamingQuery.Fold], sessions: Bool, sketches: Bool, distinct: Bool) {
        self.keyCount = keyCount
        self.folds = folds
        self.sessions = sessions
        keepsSketches = sketches
        keepsDistinct = distinct
        keys = KeyIds(keyCount)
        parts = Array(repeating: [], count: folds.count)
    }

    var count: Int { starts.count }

    /// The id of key `k`'s value `v`.
    func id(key k: Int, _ v: Value) -> Int32 { keys.id(k, v) }

    func key(_ g: Int, _ k: Int) -> Value { keys.values[k][Int(keyIds[g * keyCount + k])] }
    func part(_ g: Int, _ k: Int) -> Value { parts[k][g] }

    /// The tumbling or hopping window group (start, ids), if there is one.
    func find(start: Int64, ids: [Int32]) -> Int? {
        index.find(GroupIndex.hash(start: start, ids: ids)) { same(Int($0), start: start, ids: ids) }.map(Int.init)
    }

    /// Whether group `g` is the window starting at `start` of key `ids`.
    @inline(__always)
    private func same(_ g: Int, start: Int64, ids: [Int32]) -> Bool {
        guard starts[g] == start else { return false }
        for k in 0..<keyCount where keyIds[g * keyCount + k] != ids[k] { return false }
        return true
    }

    /// The groups of key `ids`'s sessions, in order of start.
    func sessions(of ids: [Int32]) -> [Int32] { sessionsOf[ids] ?? [] }
    func setSessions(of ids: [Int32], _ list: [Int32]) { sessionsOf[ids] = list.isEmpty ? nil : list }

    /// A new group; indexed by its window when it is not a session (sessions index themselves: `setSessions`).
    @discardableResult
    func make(start: Int64, end: Int64, ids: [Int32], parts values: [Value], emitted: Bool = false,
              sketch: [Int64: Int64] = [:], distinct set: Set<Value> = []) -> Int32 {
        let g = Int32(starts.count)
        starts.append(start)
        ends.append(end)
        keyIds.append(contentsOf: ids)
        for k in parts.indices { parts[k].append(values[k]) }
        self.emitted.append(emitted)
        changed.append(true)
        alive.append(true)
        if keepsSketches { sketches.append(sketch) }
        if keepsDistinct { distinct.append(set) }
        if !sessions { index.insert(g, hash: GroupIndex.hash(start: start, ids: ids)) }
        liveCount += 1
        return g
    }

    /// Folds parts (and a sketch, distinct values) into group `g`.
    func merge(_ g: Int, parts values: [Value], sketch: [Int64: Int64] = [:], distinct set: Set<Value> = []) {
        for k in parts.indices { parts[k][g] = Self.merge(parts[k][g], values[k], folds[k]) }
        if !sketch.isEmpty { sketches[g].merge(sketch, uniquingKeysWith: +) }
        if !set.isEmpty { distinct[g].formUnion(set) }
        changed[g] = true
    }

    /// Two values of a part, folded (NULL adds nothing; an integer sum that overflows keeps the first).
    static func merge(_ x: Value, _ y: Value, _ fold: StreamingQuery.Fold) -> Value {
        if case .null = x { return y }
        if case .null = y { return x }
        switch fold {
        case .sum:
            if case .int(let a) = x, case .int(let b) = y, case let (s, false) = a.addingReportingOverflow(b) { return .int(s) }
            return (try? Arithmetic.apply("+", x, y, at: 0)) ?? x
        case .min: return Compare.forSort(y, x) < 0 ? y : x
        case .max: return Compare.forSort(y, x) > 0 ? y : x
        }
    }

    /// A session merged into another: gone at the next compaction.
    func kill(_ g: Int) {
        alive[g] = false
        liveCount -= 1
    }

    func removeAll() {
        starts = []; ends = []; keyIds = []; emitted = []; changed = []; alive = []
        sketches = []; distinct = []
        parts = Array(repeating: [], count: folds.count)
        index = GroupIndex(); sessionsOf = [:]
        liveCount = 0
    }

    /// Keeps the live groups for which `keep` holds, in order, and drops the rest.
    func compact(keeping keep: (Int) -> Bool) {
        let kept = (0..<count).filter { alive[$0] && keep($0) }
        func pick<T>(_ a: [T]) -> [T] { kept.map { a[$0] } }
        var ids: [Int32] = []
        ids.reserveCapacity(kept.count * keyCount)
        for g in kept { ids.append(contentsOf: keyIds[(g * keyCount)..<(g * keyCount + keyCount)]) }
        starts = pick(starts); ends = pick(ends); emitted = pick(emitted); changed = pick(changed)
        alive = Array(repeating: true, count: kept.count)
        parts = parts.map(pick)
        if keepsSketches { sketches = pick(sketches) }
        if keepsDistinct { distinct = pick(distinct) }
        keyIds = ids
        liveCount = kept.count
        index = GroupIndex(capacity: kept.count)
        sessionsOf = [:]
        for g in 0..<kept.count {
            let key = keyIds[(g * keyCount)..<(g * keyCount + keyCount)]
            if sessions {
                sessionsOf[Array(key), default: []].append(Int32(g))
            } else {
                index.insert(Int32(g), hash: GroupIndex.hash(start: starts[g], ids: key))
            }
        }
        for (key, list) in sessionsOf { sessionsOf[key] = list.sorted { starts[Int($0)] < starts[Int($1)] } }
    }
}

/// Each key column's values by id, and ids by value: a group's keys held as small integers.
struct KeyIds {
    private(set) var values: [[Value]]
    private var index: [[Value: Int32]]

    init(_ keyCount: Int) {
        values = Array(repeating: [], count: keyCount)
        index = Array(repeating: [:], count: keyCount)
    }

    /// The id of key `k`'s value `v`, given out when first seen.
    mutating func id(_ k: Int, _ v: Value) -> Int32 {
        if let i = index[k][v] { return i }
        let i = Int32(values[k].count)
        values[k].append(v)
        index[k][v] = i
        return i
    }
}

/// Window groups by (window start, key ids): an open-addressing table (linear probing, at most
/// half full) of group numbers beside their hashes. The starts and ids stay in their owner's
/// columns, which a lookup compares with — nothing is held, or allocated, per key.
struct GroupIndex {
    /// A group, or -1 for an empty slot.
    private var groups: [Int32]
    private var hashes: [UInt64]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        groups = Array(repeating: -1, count: size)
        hashes = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// A multiply-and-shift mix of a window start and key ids: a few cycles, where `Hasher`
    /// takes tens of nanoseconds (the keys are window starts and ids logdash gives out, not text).
    static func hash<Ids: Collection>(start: Int64, ids: Ids) -> UInt64 where Ids.Element == Int32 {
        var h = UInt64(bitPattern: start) &* 0x9E37_79B9_7F4A_7C15
        for id in ids { h = (h ^ (h >> 29) ^ UInt64(UInt32(bitPattern: id))) &* 0xC2B2_AE3D_27D4_EB4F }
        return h ^ (h >> 32)
    }

    /// The group of hash `hash` for which `same` holds (whose start and ids are the key's).
    @inline(__always)
    func find(_ hash: UInt64, _ same: (Int32) -> Bool) -> Int32? {
        groups.withUnsafeBufferPointer { groups in
            hashes.withUnsafeBufferPointer { hashes in
                var i = Int(truncatingIfNeeded: hash) & mask
                while groups[i] >= 0 {
                    if hashes[i] == hash && same(groups[i]) { return groups[i] }
                    i = (i + 1) & mask
                }
                return nil
            }
        }
    }

    /// Adds group `g`, of hash `hash`, which the table does not hold yet.
    mutating func insert(_ g: Int32, hash: UInt64) {
        var i = Int(truncatingIfNeeded: hash) & mask
        while groups[i] >= 0 { i = (i + 1) & mask }
        groups[i] = g
        hashes[i] = hash
        count += 1
        if count * 2 > groups.count { grow() }
    }

    private mutating func grow() {
        let old = (groups, hashes)
        groups = Array(repeating: -1, count: old.0.count * 2)
        hashes = Array(repeating: 0, count: old.0.count * 2)
        mask = groups.count - 1
        count = 0
        for (g, h) in zip(old.0, old.1) where g >= 0 { insert(g, hash: h) }
    }
}
