import Foundation
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
    public static let alarmHistoryColumns = ["ts", "alarm", "old_state", "new_state", "reason"]

    public func column(_ name: String) -> SchemaColumn? {
        schema.first { $0.name.lowercased() == name.lowercased() }
    }
}

/// The in-memory columnar store: batches from the parse stage become sealed segments.
public final class Store: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var segments: [Segment] = []
    private var schema: [SchemaColumn] = CoreColumn.names.map { SchemaColumn(name: $0, type: .null, nonNull: 0) }
    private var rows = 0
    private var skipped: Set<String> = []
    private var unparsed = 0
    private var metricRows: [[Value]] = []
    private var alarmRows: [[Value]] = []
    private var errorRows: [[Value]] = []
    /// Per source, the small segments live ingest appended since the last merge (newest last).
    private var recent: [String: [Segment]] = [:]
    /// With a store on disk: the log each live segment was committed to, until the segment
    /// file sealing that log replaces it here (`swapSealed`); logs up to this one are swapped.
    private var logOf: [ObjectIdentifier: Int] = [:]
    private var swappedThrough = 0

    /// A source's recent small segments are merged once there are this many …
    static let mergeCount = 32
    /// … and stop being merged with newer ones once they hold this many rows.
    static let mergeRows = 65536

    /// Consumers of every segment appended from their subscription on (streaming queries).
    private var feeds: [SegmentFeed] = []

    public init() {}

    /// A feed of the segments appended from now on — with `fromStart`, of those already stored
    /// first — for a consumer that folds them in as they come (a streaming query).
    public func subscribe(fromStart: Bool) -> SegmentFeed {
        let feed = SegmentFeed()
        lock.lock(); defer { lock.unlock() }
        if fromStart { for s in segments { feed.push(s) } }
        feeds.append(feed)
        return feed
    }

    /// Stops feeding `feed` (its consumer is gone).
    public func unsubscribe(_ feed: SegmentFeed) {
        lock.lock(); defer { lock.unlock() }
        feeds.removeAll { $0 === feed }
    }

    /// Seals a batch into a segment and makes it visible to later snapshots.
    public func append(_ batch: RecordBatch) {
        guard batch.count > 0 else { return }
        append(Segment(batch))  // encoding happens outside the lock
    }

    /// Makes a sealed segment visible to later snapshots: at the end, or just before `anchor`
    /// (a file's older records, loaded after its newest ones).
    public func append(_ seg: Segment, before anchor: Segment? = nil, log: Int? = nil) {
        guard seg.rowCount > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        // Committed to a log that a segment file has already replaced here: its records are
        // in that file's segments (and counted with them); its consumers and the schema's
        // counts still need to hear of it.
        let late = log.map { $0 <= swappedThrough } ?? false
        if let log, !late { logOf[ObjectIdentifier(seg)] = log }
        if !late {
            if let anchor, let at = segments.lastIndex(where: { $0 === anchor }) {
                segments.insert(seg, at: at)
            } else {
                segments.append(seg)
            }
            rows += seg.rowCount
            unparsed += seg.unparsedCount
        }
        for f in feeds { f.push(seg) }
        skipped.formUnion(seg.skippedFieldNames)
        SchemaColumn.merge(seg.schema, into: &schema)
    }

    /// Appends a segment from live ingest: small segments of a source are merged, a few dozen at
    /// a time, into larger ones, so that a trickle of lines does not become thousands of tiny
    /// segments. Called from one thread (the parse stage); queries see either the small
    /// segments or the merged one, never both.
    public func appendLive(_ seg: Segment, log: Int? = nil) {
        append(seg, log: log)
        guard seg.rowCount < Store.mergeRows else { return }
        lock.lock()
        guard logOf[ObjectIdentifier(seg)] == log || log == nil else { lock.unlock(); return }  // already swapped
        var list = recent[seg.source, default: []]
        // Segments of different logs are not merged: each log's are swapped out together.
        if let first = list.first, logOf[ObjectIdentifier(first)] != log { list = [] }
        list.append(seg)
        recent[seg.source] = list
        lock.unlock()
        guard list.count >= Store.mergeCount else { return }
        let merged = Segment(merging: list)  // outside the lock: queries go on meanwhile
        lock.lock()
        defer { lock.unlock() }
        let ids = Set(list.map { ObjectIdentifier($0) })
        // All of them still here (none swapped for a segment file meanwhile): merged.
        guard segments.filter({ ids.contains(ObjectIdentifier($0)) }).count == ids.count,
              let first = segments.firstIndex(where: { ids.contains(ObjectIdentifier($0)) }) else {
            recent[seg.source] = []
            return
        }
        segments.removeAll { ids.contains(ObjectIdentifier($0)) }
        segments.insert(merged, at: first)
        for id in ids { logOf[id] = nil }
        if let log { logOf[ObjectIdentifier(merged)] = log }
        recent[seg.source] = merged.rowCount < Store.mergeRows ? [merged] : []
    }

    /// A segment file now holds every record committed to the logs up to `covered`: the
    /// segments in memory that came from those logs give way to the file's mapped segments
    /// (in their place), so that a long-running ingest keeps in memory only what is not sealed
    /// yet and what queries read. Consumers are not told again.
    public func swapSealed(upTo covered: Int, with mapped: [Segment]) {
        lock.lock()
        defer { lock.unlock() }
        let gone = Set(segments.compactMap { s -> ObjectIdentifier? in
            let id = ObjectIdentifier(s)
            return logOf[id].map { $0 <= covered } == true ? id : nil
        })
        let at = segments.firstIndex { gone.contains(ObjectIdentifier($0)) } ?? segments.count
        for s in segments where gone.contains(ObjectIdentifier(s)) { rows -= s.rowCount; unparsed -= s.unparsedCount }
        segments.removeAll { gone.contains(ObjectIdentifier($0)) }
        segments.insert(contentsOf: mapped, at: at)
        for s in mapped { rows += s.rowCount; unparsed += s.unparsedCount }
        for id in gone { logOf[id] = nil }
        for (source, list) in recent { recent[source] = list.filter { !gone.contains(ObjectIdentifier($0)) } }
        swappedThrough = max(swappedThrough, covered)
    }

    /// Adds rows to the `internal_metrics` table.
    public func appendMetrics(_ rows: [[Value]]) {
        lock.lock(); defer { lock.unlock() }
        metricRows.append(contentsOf: rows)
    }

    /// Adds rows to the `errors` table (ts, ingest_ts, source, reason, raw).
    public func appendErrors(_ rows: [[Value]]) {
        lock.lock(); defer { lock.unlock() }
        errorRows.append(contentsOf: rows)
    }

    /// Adds an alarm's change of state to the `alarm_history` table.
    public func appendAlarmHistory(_ t: AlarmTracker.Transition) {
        lock.lock(); defer { lock.unlock() }
        alarmRows.append([.timestamp(t.at), .string(t.alarm), .string(t.from.rawValue), .string(t.to.rawValue), .string(t.reason)])
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
        lock.lock()
        defer { lock.unlock() }
        var snap = StoreSnapshot(segments: segments, rowCount: rows, schema: schema)
        snap.skippedNames = skipped.filter { name in !schema.contains { $0.name == name } }.sorted()
        snap.unparsedCount = unparsed
        snap.internalMetrics.rows = metricRows
        snap.alarmHistory.rows = alarmRows
        snap.storeErrors = errorRows
        return snap
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
public final class SegmentFeed: @unchecked Sendable {  // state guarded by `lock`
    private let lock = NSLock()
    private var pending: [Segment] = []

    func push(_ s: Segment) {
        lock.lock(); defer { lock.unlock() }
        pending.append(s)
    }

    /// The segments stored since the last call.
    public func take() -> [Segment] {
        lock.lock(); defer { lock.unlock() }
        let out = pending
        pending = []
        return out
    }
}
