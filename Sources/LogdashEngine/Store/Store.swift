import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A column of a table as queries see it: its name, its type over every segment (widened
/// where segments disagree), and how many rows have a value.
public struct SchemaColumn: Sendable, Equatable {
    public var name: String
    public var type: ColumnType
    public var nonNull: Int

    /// A segment's columns added to a table's: types widened where they disagree, new fields
    /// after the rest in the order they come (the core columns keep their places, first).
    static func merge(_ columns: [SchemaColumn], into schema: inout [SchemaColumn]) {
        var index: [String: Int] = [:]
        for (i, c) in schema.enumerated() { index[c.name] = i }
        for col in columns {
            if let i = index[col.name] {
                schema[i].type = schema[i].type.widened(with: col.type)
                schema[i].nonNull += col.nonNull
            } else {
                index[col.name] = schema.count
                schema.append(col)
            }
        }
    }
}

/// An immutable view of the store: the segments that existed when it was taken. Queries run
/// on snapshots, so ingest can keep appending on other threads.
public struct StoreSnapshot: Sendable {
    public let segments: [Segment]
    public let rowCount: Int
    /// `logs`' columns: the core ones first, then fields in the order they were first seen.
    public let schema: [SchemaColumn]
    /// Names of fields the records had but the store did not keep (a projection skipped them):
    /// not queryable, but worth suggesting when a name is misspelt.
    public var skippedNames: [String] = []
    /// Records no format fitted (the `errors` table's unparsed ones).
    public var unparsedCount = 0
    /// The `internal_metrics` table: what live ingest measured of itself, interval by interval.
    public var internalMetrics = ResultSet(columns: IngestMetrics.columns, rows: [])
    /// The `alarm_history` table: every change of an alarm's state.
    public var alarmHistory = ResultSet(columns: StoreSnapshot.alarmHistoryColumns, rows: [])
    /// Rows of the `errors` table that are not records: what the store's recovery cut or set aside.
    public var storeErrors: [[Value]] = []
    /// Lookup tables by name (`--lookup users=users.csv`): rows to join records with.
    public var lookups: [String: ResultSet] = [:]
    public static let alarmHistoryColumns = ["ts", "alarm", "old_state", "new_state", "reason"]

    public func column(_ name: String) -> SchemaColumn? {
        schema.first { $0.name == name } ?? schema.first { $0.name.lowercased() == name.lowercased() }
    }

    /// The tables' columns without their records: a query run on it checks its names and types
    /// (an unknown column is an error) and reads nothing.
    public var shapeOnly: StoreSnapshot {
        var s = StoreSnapshot(segments: [], rowCount: 0, schema: schema)
        s.skippedNames = skippedNames
        return s
    }
}

/// The in-memory columnar store: batches from the parse stage become sealed segments.
public final class Store: Sendable {
    private struct State {
        var segments: [Segment] = []
        var schema: [SchemaColumn] = CoreColumn.names.map { SchemaColumn(name: $0, type: .null, nonNull: 0) }
        var rows = 0
        var skipped: Set<String> = []
        var unparsed = 0
        var metricRows: [[Value]] = []
        var alarmRows: [[Value]] = []
        var errorRows: [[Value]] = []
        /// Per source, the small segments live ingest appended since the last merge (newest last).
        var recent: [String: [Segment]] = [:]
        /// With a store on disk: the log each live segment was committed to, until the segment
        /// file sealing that log replaces it here (`swapSealed`); logs up to this one are swapped.
        var logOf: [ObjectIdentifier: Int] = [:]
        var swappedThrough = 0
        /// Consumers of every segment appended from their subscription on (streaming queries).
        var feeds: [SegmentFeed] = []
        var lookups: [String: ResultSet] = [:]
        /// Records in memory past a budget spill to files or are dropped (`limitMemory`).
        var limit: RecordMemoryLimit?
        /// Segments appended so far, and those others were put before (a file's newest
        /// records, its history loading in front of them): these stay in memory.
        var appends = 0
        var anchors: Set<ObjectIdentifier> = []
        /// What the segments' records take in memory (their `residentBytes`, summed as they are
        /// appended; again in full when segments are replaced, which is rare).
        var resident = 0

        mutating func recountResident() { resident = segments.reduce(0) { $0 + $1.residentBytes } }
    }
    private let state = Mutex(State())

    /// A source's recent small segments are merged once there are this many …
    static let mergeCount = 32
    /// … and stop being merged with newer ones once they hold this many rows.
    static let mergeRows = 65536

    public init() {}

    /// A feed of the segments appended from now on — with `fromStart`, of those already stored
    /// first — for a consumer that folds them in as they come (a streaming query).
    public func subscribe(fromStart: Bool) -> SegmentFeed {
        let feed = SegmentFeed()
        state.withLock { s in
            if fromStart { for seg in s.segments { feed.push(seg) } }
            s.feeds.append(feed)
        }
        return feed
    }

    /// Stops feeding `feed` (its consumer is gone).
    public func unsubscribe(_ feed: SegmentFeed) {
        state.withLock { $0.feeds.removeAll { $0 === feed } }
    }

    /// Seals a batch into a segment and makes it visible to later snapshots.
    public func append(_ batch: RecordBatch) {
        guard batch.count > 0 else { return }
        append(Segment(batch))  // encoding happens outside the lock
    }

    /// Makes a sealed segment visible to later snapshots: at the end, or just before `anchor`
    /// (a file's older records, loaded after its newest ones).
    /// `kept`: others will be put before it (a file's newest records, its history then loading
    /// in front of them), so it stays in memory past the budget.
    public func append(_ seg: Segment, before anchor: Segment? = nil, log: Int? = nil, kept: Bool = false) {
        append(seg, before: anchor, log: log, kept: kept, live: false)
    }

    /// `live`: one of a source's recent small segments, which later ones are merged with.
    private func append(_ seg: Segment, before anchor: Segment? = nil, log: Int? = nil, kept: Bool = false, live: Bool) {
        guard seg.rowCount > 0 else { return }
        state.withLock { s in
            // Committed to a log that a segment file has already replaced here: its records are
            // in that file's segments (and counted with them); its consumers and the schema's
            // counts still need to hear of it.
            let late = log.map { $0 <= s.swappedThrough } ?? false
            if let log, !late { s.logOf[ObjectIdentifier(seg)] = log }
            s.appends += 1
            if let anchor { s.anchors.insert(ObjectIdentifier(anchor)) }
            if kept { s.anchors.insert(ObjectIdentifier(seg)) }
            if !late {
                if let anchor, let at = s.segments.lastIndex(where: { $0 === anchor }) {
                    s.segments.insert(seg, at: at)
                    s.resident += seg.residentBytes
                } else {
                    s.segments.append(seg)
                    s.resident += seg.residentBytes
                }
                s.rows += seg.rowCount
                s.unparsed += seg.unparsedCount
                if live {
                    var list = s.recent[seg.source, default: []]
                    // Segments of different logs are not merged: each log's are swapped out together.
                    if let first = list.first, s.logOf[ObjectIdentifier(first)] != log { list = [] }
                    list.append(seg)
                    s.recent[seg.source] = list
                }
            }
            for f in s.feeds { f.push(seg) }
            s.skipped.formUnion(seg.skippedFieldNames)
            SchemaColumn.merge(seg.schema, into: &s.schema)
        }
        checkMemory()
    }

    // MARK: the memory budget

    /// From now on, records in memory past `limit` spill to files or are dropped, oldest first.
    public func limitMemory(_ limit: RecordMemoryLimit) {
        state.withLock { $0.limit = limit }
        checkMemory()
    }

    /// The memory budget records are held to (nil: none).
    public var memoryLimit: RecordMemoryLimit? { state.withLock { $0.limit } }

    /// Past the memory budget: `spilled N` or `dropped N oldest` (nil: within it, or no budget).
    public var memoryStatus: String? { state.withLock { $0.limit }?.status }

    /// What memory the records held in memory take.
    public var residentBytes: Int { state.withLock { $0.resident } }

    /// Past the budget: the oldest records are relieved on the limit's own thread (one run at a time).
    private func checkMemory() {
        guard let limit = state.withLock({ s -> RecordMemoryLimit? in
            guard let l = s.limit, s.resident > l.bytes else { return nil }
            return l
        }) else { return }
        guard !limit.busy.exchange(true, ordering: .acquiringAndReleasing) else { return }
        limit.queue.async { [self] in
            let before = state.withLock { $0.appends }
            let freed = relieve(limit)
            limit.busy.store(false, ordering: .releasing)
            // Again for records that came meanwhile — not when nothing could be freed and nothing came.
            if freed || state.withLock({ $0.appends }) != before { checkMemory() }
        }
    }

    /// Spills (or drops) the oldest records in memory until they take three quarters of the
    /// budget, a run of segments of at most 256 MB at a time. Those a store's log holds (sealing
    /// swaps them) and a file's newest records (its history goes in front of them) stay.
    @discardableResult
    private func relieve(_ limit: RecordMemoryLimit) -> Bool {
        var freed = false
        while true {
            let chosen = state.withLock { s -> [Segment] in
                let total = s.resident
                guard total > limit.bytes else { return [] }
                let target = min(total - limit.bytes * 3 / 4, 256 << 20)
                var out: [Segment] = [], sum = 0
                if limit.spillDirectory == nil {
                    // Dropped: the records oldest by time first, wherever they are (a file's
                    // history is put before its newest records) — never the newest segment.
                    for seg in s.segments.sorted(by: { $0.maxTs < $1.maxTs }).dropLast() {
                        let id = ObjectIdentifier(seg)
                        if seg.residentBytes == 0 || s.logOf[id] != nil || s.anchors.contains(id) { continue }
                        out.append(seg)
                        sum += seg.residentBytes
                        if sum >= target { break }
                    }
                    return out
                }
                for seg in s.segments {
                    let id = ObjectIdentifier(seg)
                    // A run of neighbours, so that the order of the records stays as it was.
                    if seg.residentBytes == 0 || s.logOf[id] != nil || s.anchors.contains(id) {
                        if out.isEmpty { continue } else { break }
                    }
                    out.append(seg)
                    sum += seg.residentBytes
                    if sum >= target { break }
                }
                return out
            }
            if chosen.isEmpty { return freed }
            var replacement: [Segment] = []
            if limit.spillDirectory != nil {
                do { replacement = try limit.spill(chosen) } catch { limit.failed(error) }
            }
            guard replace(chosen, with: replacement) else { continue }  // (merged meanwhile: chosen again)
            freed = true
            let rows = chosen.reduce(0) { $0 + $1.rowCount }
            if replacement.isEmpty { limit.dropped(rows) } else { limit.spilled(rows) }
            Store.returnFreedMemory()
        }
    }

    /// `old` (neighbours, all still here) gives way to `new` in its place; false when they are
    /// not all here any more (merged meanwhile).
    private func replace(_ old: [Segment], with new: [Segment]) -> Bool {
        state.withLock { s in
            let ids = Set(old.map { ObjectIdentifier($0) })
            // (Spilled ones are neighbours, given back in their place; dropped ones may be anywhere.)
            guard s.segments.lazy.filter({ ids.contains(ObjectIdentifier($0)) }).count == ids.count,
                  let at = s.segments.firstIndex(where: { ids.contains(ObjectIdentifier($0)) }) else { return false }
            for seg in old { s.rows -= seg.rowCount; s.unparsed -= seg.unparsedCount }
            s.segments.removeAll { ids.contains(ObjectIdentifier($0)) }
            s.segments.insert(contentsOf: new, at: at)
            s.recountResident()
            for seg in new { s.rows += seg.rowCount; s.unparsed += seg.unparsedCount }
            // A live source's recent ones that went are merged with no others (a merge under way with them is given up).
            for (source, list) in s.recent { s.recent[source] = list.filter { !ids.contains(ObjectIdentifier($0)) } }
            return true
        }
    }

    /// Appends a segment from live ingest: small segments of a source are merged, a few dozen at
    /// a time, into larger ones, so that a trickle of lines does not become thousands of tiny
    /// segments. Called from one thread (the parse stage); queries see either the small
    /// segments or the merged one, never both.
    public func appendLive(_ seg: Segment, log: Int? = nil) {
        guard seg.rowCount > 0 else { return }
        // (Counted among the recent ones under the lock it is appended with: the memory
        // budget's thread sees it there whenever it sees it at all.)
        append(seg, log: log, live: seg.rowCount < Store.mergeRows)
        guard seg.rowCount < Store.mergeRows else { return }
        let list = state.withLock { s -> [Segment]? in
            guard let list = s.recent[seg.source], list.last === seg else { return nil }  // already swapped
            return list
        }
        guard let list, list.count >= Store.mergeCount else { return }
        let merged = Segment(merging: list)  // outside the lock: queries go on meanwhile
        state.withLock { s in
            let ids = Set(list.map { ObjectIdentifier($0) })
            // All of them still here (none swapped for a segment file meanwhile): merged.
            guard s.segments.filter({ ids.contains(ObjectIdentifier($0)) }).count == ids.count,
                  let first = s.segments.firstIndex(where: { ids.contains(ObjectIdentifier($0)) }) else {
                s.recent[seg.source] = []
                return
            }
            s.segments.removeAll { ids.contains(ObjectIdentifier($0)) }
            s.segments.insert(merged, at: first)
            s.recountResident()
            for id in ids { s.logOf[id] = nil }
            if let log { s.logOf[ObjectIdentifier(merged)] = log }
            s.recent[seg.source] = merged.rowCount < Store.mergeRows ? [merged] : []
        }
        checkMemory()
    }

    /// A segment file now holds every record committed to the logs up to `covered`: the
    /// segments in memory that came from those logs give way to the file's mapped segments
    /// (in their place), so that a long-running ingest keeps in memory only what is not sealed
    /// yet and what queries read. Consumers are not told again.
    /// Ties segments already in the store to the log a commit wrote them to (see `swapSealed`).
    func tie(_ segments: [Segment], toLog log: Int) {
        state.withLock { s in for seg in segments { s.logOf[ObjectIdentifier(seg)] = log } }
    }

    public func swapSealed(upTo covered: Int, with mapped: [Segment]) {
        state.withLock { s in
            let gone = Set(s.segments.compactMap { seg -> ObjectIdentifier? in
                let id = ObjectIdentifier(seg)
                return s.logOf[id].map { $0 <= covered } == true ? id : nil
            })
            let at = s.segments.firstIndex { gone.contains(ObjectIdentifier($0)) } ?? s.segments.count
            for seg in s.segments where gone.contains(ObjectIdentifier(seg)) { s.rows -= seg.rowCount; s.unparsed -= seg.unparsedCount }
            s.segments.removeAll { gone.contains(ObjectIdentifier($0)) }
            s.segments.insert(contentsOf: mapped, at: at)
            s.recountResident()
            for seg in mapped { s.rows += seg.rowCount; s.unparsed += seg.unparsedCount }
            for id in gone { s.logOf[id] = nil }
            for (source, list) in s.recent { s.recent[source] = list.filter { !gone.contains(ObjectIdentifier($0)) } }
            s.swappedThrough = max(s.swappedThrough, covered)
        }
    }

    /// Adds rows to the `internal_metrics` table.
    public func appendMetrics(_ rows: [[Value]]) {
        state.withLock { $0.metricRows.append(contentsOf: rows) }
    }

    /// Adds rows to the `errors` table (ts, ingest_ts, source, reason, raw).
    public func appendErrors(_ rows: [[Value]]) {
        state.withLock { $0.errorRows.append(contentsOf: rows) }
    }

    /// Adds an alarm's change of state to the `alarm_history` table.
    public func appendAlarmHistory(_ t: AlarmTracker.Transition) {
        state.withLock { $0.alarmRows.append([.timestamp(t.at), .string(t.alarm), .string(t.from.rawValue), .string(t.to.rawValue), .string(t.reason)]) }
    }

    /// The parse buffers of a load are freed by now: ask glibc (`malloc_trim`, looked up at run
    /// time since Swift does not import <malloc.h>) to hand their pages back to the system.
    static func returnFreedMemory() {
        #if canImport(Glibc)
        typealias Trim = @convention(c) (Int) -> Int32
        if let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
            _ = unsafeBitCast(sym, to: Trim.self)(0)
        }
        #endif
    }

    public func snapshot() -> StoreSnapshot {
        state.withLock { s in
            var snap = StoreSnapshot(segments: s.segments, rowCount: s.rows, schema: s.schema)
            snap.skippedNames = s.skipped.filter { name in !s.schema.contains { $0.name == name } }.sorted()
            snap.unparsedCount = s.unparsed
            snap.internalMetrics.rows = s.metricRows
            snap.alarmHistory.rows = s.alarmRows
            snap.storeErrors = s.errorRows
            snap.lookups = s.lookups
            return snap
        }
    }

    /// Sets the lookup tables every later snapshot carries (by lower-cased name).
    public func setLookups(_ tables: [String: ResultSet]) {
        state.withLock { $0.lookups = Dictionary(uniqueKeysWithValues: tables.map { ($0.key.lowercased(), $0.value) }) }
    }

    /// Loads sources into a new store, parsing on every core; `progress` hears of each batch's records.
    public static func load(_ specs: [SourceSpec], options: LoadOptions,
                            progress: (Int) -> Void = { _ in }) throws -> (Store, [LoadResult]) {
        let store = Store()
        var results: [LoadResult] = []
        var options = options
        options.rawByReference = true  // the store outlives the load: do not copy raw lines
        for spec in specs {
            // Segments are sealed on the parsing workers, then appended in input order.
            results.append(try SourceLoader.run(spec, options: options, prepare: { [options] in Segment.made(from: $0, taps: options) },
                                                deliver: { store.append($0); progress($0.rowCount) }))
        }
        Store.returnFreedMemory()
        return (store, results)
    }
}


/// Segments handed to one consumer in the order they were stored; `take` drains them.
public final class SegmentFeed: Sendable {
    private let pending = Mutex<[Segment]>([])

    func push(_ s: Segment) {
        pending.withLock { $0.append(s) }
    }

    /// The segments stored since the last call.
    public func take() -> [Segment] {
        pending.withLock { p in
            defer { p = [] }
            return p
        }
    }
}
