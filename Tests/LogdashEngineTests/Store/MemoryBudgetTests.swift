import Foundation
import Scratch
import Synchronization
import XCTest
@testable import LogdashEngine

/// Records past the memory budget spill to files (or, asked to, are dropped), and columns read
/// back from files keep within their bound — with every query answering as before.
final class MemoryBudgetTests: XCTestCase {
    let queries = [
        "SELECT count(*), count(status), count(DISTINCT path), min(ts), max(ts), max(latency_ms), max(status) FROM logs",
        "SELECT level, count(*) c FROM logs GROUP BY level ORDER BY c DESC, level",
        "SELECT * FROM logs ORDER BY ts, raw LIMIT 60",
        "SELECT raw FROM logs LIMIT 50",
        "SELECT count(DISTINCT trace_id), max(trace_id), count(DISTINCT user), max(bytes) FROM logs",
        "SELECT count(*), min(raw), max(raw) FROM errors",
        "SELECT user, count(*) c FROM logs WHERE level = 'error' GROUP BY user ORDER BY c DESC, user LIMIT 5",
    ]

    func segments(lines: Int = 6000, chunk: Int = 200) throws -> [Segment] {
        let text = String(decoding: try genLogs(["--format", "json", "--lines", "\(lines)", "--seed", "11", "--bad"]), as: UTF8.self)
        let all = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        return try store(lines: all, at: arrival, chunk: chunk).snapshot().segments
    }

    func results(_ store: Store) throws -> [ResultSet] {
        let engine = QueryEngine(snapshot: store.snapshot())
        return try queries.map { try engine.run($0) }
    }

    /// Waits until the limit's thread is done and the records in memory are within it.
    func settle(_ store: Store, _ limit: RecordMemoryLimit, within: Bool = true) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if !limit.busy.load(ordering: .acquiring) && (!within || store.residentBytes <= limit.bytes) { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        XCTFail("the records in memory (\(store.residentBytes) bytes) did not come within \(limit.bytes)")
    }

    func testRecordsPastTheBudgetSpillToFilesAndEveryQueryAnswersAsBefore() throws {
        let segs = try segments()
        let whole = Store()
        for s in segs { whole.append(s) }
        let total = whole.residentBytes
        let said = Mutex<[String]>([])
        let dir = try Scratch.directory("spill").path + "/spill"
        // Records get half of the budget: a third of what they take.
        let limit = RecordMemoryLimit(budget: total * 2 / 3, spill: true, directory: dir) { line in said.withLock { $0.append(line) } }
        let limited = Store()
        limited.limitMemory(limit)
        for s in segs { limited.append(s) }
        try settle(limited, limit)
        let snap = limited.snapshot()
        XCTAssertEqual(snap.rowCount, whole.snapshot().rowCount)
        XCTAssertGreaterThan(limit.spilledRows, 0)
        XCTAssertTrue(snap.segments.contains { $0.isStoredLazily }, "the oldest records are in spill files")
        XCTAssertFalse(snap.segments.last!.isStoredLazily, "the newest stay in memory")
        XCTAssertEqual(snap.segments.reduce(0) { $0 + $1.rowCount }, snap.rowCount)
        XCTAssertEqual(try results(limited), try results(whole))
        XCTAssertEqual(limit.droppedRows, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir), "spill files are unlinked once mapped, and their directory removed")
        let lines = said.withLock { $0 }
        XCTAssertEqual(lines.count, 1, "said once: \(lines)")
        XCTAssertTrue(lines.first?.contains("the oldest records are kept in files under \(dir)") ?? false, "\(lines)")
        XCTAssertEqual(limit.status, "spilled \(RecordMemoryLimit.count(limit.spilledRows)) to disk")
        try checkMetrics(limit, spilled: limit.spilledRows, dropped: 0)
    }

    /// `internal_metrics`' memory row counts what was spilled and dropped since the row before;
    /// `GET /metrics` has the totals.
    func checkMetrics(_ limit: RecordMemoryLimit, spilled: Int, dropped: Int) throws {
        let metrics = IngestMetrics()
        let columns = IngestMetrics.columns
        func memoryRow(_ rows: [[Value]]) -> [String: Value]? {
            rows.first { $0[columns.firstIndex(of: "component")!] == .string("memory") }.map { Dictionary(uniqueKeysWithValues: zip(columns, $0)) }
        }
        let first = metrics.sample(at: 1, bufferBytes: 0, bufferCapacity: 1, memory: limit)
        XCTAssertTrue(first.allSatisfy { $0.count == columns.count })
        XCTAssertEqual(memoryRow(first)?["spilled"], .int(Int64(spilled)))
        XCTAssertEqual(memoryRow(first)?["dropped"], .int(Int64(dropped)))
        XCTAssertEqual(memoryRow(first)?["source"], .string("memory budget"))
        let second = metrics.sample(at: 2, bufferBytes: 0, bufferCapacity: 1, memory: limit)
        XCTAssertEqual(memoryRow(second)?["spilled"], .int(0), "since the row before")
        XCTAssertNil(memoryRow(metrics.sample(at: 3, bufferBytes: 0, bufferCapacity: 1)), "no budget, no row")
        let text = String(decoding: MetricsExposition().text(metrics: metrics, bufferBytes: 0, bufferCapacity: 1, memory: limit), as: UTF8.self)
        XCTAssertTrue(text.contains("logdash_memory_spilled_records_total \(spilled)\n") && text.contains("logdash_memory_dropped_records_total \(dropped)\n")
                      && text.contains("logdash_memory_records_budget_bytes \(limit.bytes)"), text)
    }

    /// A big file's newest records come first and its history is put in front of them: spilling
    /// meanwhile keeps that order (the segment the history goes before stays in memory).
    func testAFilesHistoryPutBeforeItsNewestRecordsKeepsItsOrderWhileSpilling() throws {
        let segs = try segments()
        // The newest records: a third of the file, more than the budget holds.
        let newest = Segment(merging: Array(segs.suffix(segs.count / 3)))
        let history = segs.prefix(segs.count - segs.count / 3)
        let whole = Store()
        whole.append(newest)
        for s in history { whole.append(s, before: newest) }
        let limit = RecordMemoryLimit(budget: newest.residentBytes, spill: true, directory: try Scratch.directory("spill").path + "/s") { _ in }
        let limited = Store()
        limited.limitMemory(limit)
        limited.append(newest)
        for s in history {
            limited.append(s, before: newest)
            try settle(limited, limit, within: false)  // (the newest stay, past the budget)
        }
        XCTAssertGreaterThan(limit.spilledRows, 0)
        let sql = "SELECT raw FROM logs"  // in the store's order
        XCTAssertEqual(try QueryEngine(snapshot: limited.snapshot()).run(sql).rows, try QueryEngine(snapshot: whole.snapshot()).run(sql).rows)
        XCTAssertTrue(limited.snapshot().segments.last === newest)
    }

    /// Dropping takes the records oldest by time — a live source's small recent segments too,
    /// and never the newest segment, even when it alone is past the budget.
    func testDroppingKeepsALiveSourcesNewestRecordsWhateverTheBudget() throws {
        let segs = try segments()
        let whole = Store()
        for s in segs { whole.appendLive(s) }
        let limit = RecordMemoryLimit(budget: 1, spill: false) { _ in }
        let limited = Store()
        limited.limitMemory(limit)
        for s in segs {
            limited.appendLive(s)
            try settle(limited, limit, within: false)
        }
        let sql = "SELECT max(ts) FROM logs"
        XCTAssertGreaterThan(limit.droppedRows, 0)
        XCTAssertGreaterThan(limited.snapshot().rowCount, 0)
        XCTAssertEqual(limited.snapshot().rowCount + limit.droppedRows, whole.snapshot().rowCount)
        XCTAssertEqual(try QueryEngine(snapshot: limited.snapshot()).run(sql).rows, try QueryEngine(snapshot: whole.snapshot()).run(sql).rows)
        XCTAssertTrue(limited.snapshot().segments.contains { $0 === segs.max { $0.maxTs < $1.maxTs }! })
    }

    func testWithoutSpillingTheOldestRecordsAreDroppedCountedAndSaid() throws {
        let segs = try segments()
        let whole = Store()
        for s in segs { whole.append(s) }
        let said = Mutex<[String]>([])
        let limit = RecordMemoryLimit(budget: whole.residentBytes, spill: false) { line in said.withLock { $0.append(line) } }
        let limited = Store()
        limited.limitMemory(limit)
        for s in segs { limited.append(s) }
        try settle(limited, limit)
        let snap = limited.snapshot()
        XCTAssertGreaterThan(limit.droppedRows, 0)
        XCTAssertEqual(snap.rowCount + limit.droppedRows, whole.snapshot().rowCount, "every record is stored or counted as dropped")
        XCTAssertFalse(snap.segments.contains { $0.isStoredLazily })
        // The newest records stay: the last segment appended is still there, whole.
        XCTAssertTrue(snap.segments.last === segs.last)
        let engine = QueryEngine(snapshot: snap)
        XCTAssertEqual(try engine.run("SELECT count(*) FROM logs").rows, [[.int(Int64(snap.rowCount))]])
        let lines = said.withLock { $0 }
        XCTAssertFalse(lines.isEmpty)
        XCTAssertTrue(lines[0].contains("records were dropped (--no-spill)"), "\(lines)")
        XCTAssertEqual(limit.status, "dropped \(RecordMemoryLimit.count(limit.droppedRows)) oldest")
        try checkMetrics(limit, spilled: 0, dropped: limit.droppedRows)
    }

    func testColumnsReadBackFromFilesAreGivenBackPastTheirBoundWithTheSameAnswers() throws {
        let segs = try segments()
        let dir = try Scratch.directory("store").path
        let d = try DurableStore(directory: dir)
        for s in segs { try d.commit([s]); d.store.append(s) }
        try d.close()
        let expected = try results(try DurableStore(directory: dir).store)
        let reopened = try DurableStore(directory: dir)
        defer { try? reopened.close() }
        XCTAssertFalse(reopened.store.snapshot().segments.contains { $0.isResident })
        let before = DecodedColumns.shared.usage.evicted
        DecodedColumns.shared.setLimit(64 << 10)
        defer { DecodedColumns.shared.setLimit(Int.max) }
        XCTAssertEqual(try results(reopened.store), expected)
        XCTAssertEqual(try results(reopened.store), expected, "columns given back are read again")
        XCTAssertGreaterThan(DecodedColumns.shared.usage.evicted, before, "columns past the bound were given back")
    }
}
