import Foundation
import Scratch
import XCTest
@testable import LogdashEngine

final class DurableStoreTests: XCTestCase {
    /// gen_logs.py JSON with hostile lines mixed in, parsed into segments of `chunk` lines.
    func segments(lines: Int = 3000, chunk: Int = 500, bad: Bool = true) throws -> [Segment] {
        let text = String(decoding: try genLogs(["--format", "json", "--lines", "\(lines)", "--seed", "7"] + (bad ? ["--bad"] : [])), as: UTF8.self)
        let all = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        return try store(lines: all, at: arrival, chunk: chunk).snapshot().segments
    }

    let queries = [
        "SELECT count(*), count(status), count(DISTINCT path), min(ts), max(ts), max(latency_ms), max(status) FROM logs",
        "SELECT level, count(*) c FROM logs GROUP BY level ORDER BY c DESC, level",
        "SELECT raw FROM logs ORDER BY ts, raw LIMIT 40",
        "SELECT * FROM logs ORDER BY ts, raw LIMIT 60",
        "SELECT count(DISTINCT trace_id), max(trace_id), count(DISTINCT latency_ms), min(latency_ms), count(DISTINCT user), max(bytes) FROM logs",
        "SELECT count(*), min(raw), max(raw) FROM errors",
        "SELECT user, count(*) c FROM logs WHERE level = 'error' GROUP BY user ORDER BY c DESC, user LIMIT 5",
    ]

    func results(_ store: Store) throws -> [ResultSet] {
        let engine = QueryEngine(snapshot: store.snapshot())
        return try queries.map { try engine.run($0) }
    }

    /// A store whose records are only in its write-ahead log (no close: as after kill -9), and
    /// the log's file name.
    func loggedOnly(lines: Int, chunk: Int) throws -> (dir: String, wal: String, segments: [Segment]) {
        let dir = try Scratch.directory("store").path
        let segs = try segments(lines: lines, chunk: chunk, bad: false)
        do {
            let d = try DurableStore(directory: dir)
            for s in segs { try d.commit([s]) }
        }
        let wal = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix("wal-") && fileSize("\(dir)/\($0)") > 0 })
        return (dir, wal, segs)
    }

    func testCommittedSegmentsReopenFromSegmentFilesWithTheSameQueryResults() throws {
        let dir = try Scratch.directory("store").path
        let segs = try segments()
        let original = Store()
        for s in segs { original.append(s) }
        var options = StoreOptions()
        options.sealBytes = 256 << 10  // several seals
        let d = try DurableStore(directory: dir, options: options)
        for s in segs { try d.commit([s]); d.store.append(s) }
        try d.close()
        XCTAssertTrue(d.diskBytes.segments > 0)
        let reopened = try DurableStore(directory: dir, options: options)
        XCTAssertEqual(reopened.recovered.fileRecords, original.snapshot().rowCount)
        XCTAssertEqual(reopened.recovered.replayedRecords, 0, "a clean close leaves only segment files")
        XCTAssertFalse(reopened.store.snapshot().segments.contains { $0.isResident }, "columns are read when a query needs them")
        XCTAssertEqual(try results(reopened.store), try results(original))
    }

    func testUnsealedCommitsAreReplayedFromTheLog() throws {
        let dir = try Scratch.directory("store").path
        let segs = try segments()
        do {
            let d = try DurableStore(directory: dir)
            for s in segs { try d.commit([s]) }
            // No close: as after kill -9, only the log holds them.
        }
        let reopened = try DurableStore(directory: dir)
        XCTAssertEqual(reopened.recovered.replayedRecords, segs.reduce(0) { $0 + $1.rowCount })
        XCTAssertEqual(reopened.recovered.logRecords, segs.count)
        let original = Store()
        for s in segs { original.append(s) }
        XCTAssertEqual(try results(reopened.store), try results(original))
        // And sealed at the next close, then read from the file.
        try reopened.close()
        let again = try DurableStore(directory: dir)
        XCTAssertEqual(again.recovered.fileRecords, segs.reduce(0) { $0 + $1.rowCount })
        XCTAssertEqual(try results(again.store), try results(original))
    }

    func testTornLastLogRecordIsCutAndShownInErrors() throws {
        let dir = try Scratch.directory("store").path
        let segs = try segments(lines: 1000, chunk: 250, bad: false)
        do {
            let d = try DurableStore(directory: dir)
            for s in segs.prefix(3) { try d.commit([s]) }
        }
        // A fourth record, written half: as when the machine stops mid-write.
        let wal = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix("wal-") && $0.hasSuffix(".log") && fileSize("\(dir)/\($0)") > 0 })
        let before = fileSize("\(dir)/\(wal)")
        let whole = try SegmentCodec.encode([segs[3]], level: 0)
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: "\(dir)/\(wal)"))
        h.seekToEndOfFile()
        var header = [UInt8]()
        withUnsafeBytes(of: DurableStore.recordMagic.littleEndian) { header += $0 }
        withUnsafeBytes(of: UInt32(whole.count).littleEndian) { header += $0 }
        withUnsafeBytes(of: UInt32(0).littleEndian) { header += $0 }
        header.append(1)
        h.write(Data(header + whole.prefix(whole.count / 2)))
        h.closeFile()

        let messages = Messages()
        let reopened = try DurableStore(directory: dir, report: messages.add)
        XCTAssertEqual(reopened.store.snapshot().rowCount, 750, "the three whole commits, not the torn one")
        XCTAssertEqual(fileSize("\(dir)/\(wal)"), before, "the torn record is cut off the log")
        XCTAssertTrue(messages.all.contains { $0.contains("cut short") && $0.contains("bytes cut") }, "\(messages.all)")
        let errors = try QueryEngine(snapshot: reopened.store.snapshot()).run("SELECT source, reason FROM errors WHERE source = 'store'")
        XCTAssertEqual(errors.rows, [[.string("store"), .string("torn log record cut at recovery")]])
    }

    /// Eight bytes flipped in the middle of the log lose the one record they hit: the records
    /// after it are kept (they were all cut before), and the skipped bytes are shown in `errors`
    /// — by the writer that recovers the log and by a read-only reader alike.
    func testDamageInTheMiddleOfTheLogLosesOnlyTheDamagedRecord() throws {
        let (dir, wal, segs) = try loggedOnly(lines: 2000, chunk: 200)
        XCTAssertEqual(segs.count, 10)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(wal)"))
        let size = bytes.count
        for i in 0..<8 { bytes[size / 2 + i] ^= 0xA5 }
        try bytes.write(to: URL(fileURLWithPath: "\(dir)/\(wal)"))

        var readOnly = StoreOptions()
        readOnly.readOnly = true
        let reader = try DurableStore(directory: dir, options: readOnly)
        let messages = Messages()
        let writer = try DurableStore(directory: dir, report: messages.add)
        for d in [reader, writer] {
            XCTAssertEqual(d.store.snapshot().rowCount, 1800, "nine of the ten commits")
            XCTAssertGreaterThan(d.recovered.skippedBytes, 0)
            XCTAssertEqual(d.recovered.tornBytes, 0)
            let errors = try QueryEngine(snapshot: d.store.snapshot()).run("SELECT reason, raw FROM errors WHERE source = 'store'")
            XCTAssertEqual(errors.rows.count, 1)
            XCTAssertEqual(errors.rows.first?.first, .string("damaged log record skipped at recovery"))
            XCTAssertTrue(textOf(errors.rows.first?.last ?? .null).contains("fails its checksum; bytes "), "\(errors.rows)")
        }
        XCTAssertEqual(fileSize("\(dir)/\(wal)"), size, "nothing is cut")
        XCTAssertTrue(messages.all.contains { $0.contains("skipped, the records after them kept") }, "\(messages.all)")
        // The lost record's rows are those of one whole segment: the others answer as before.
        let kept = try QueryEngine(snapshot: writer.store.snapshot()).run("SELECT count(DISTINCT raw) FROM logs")
        XCTAssertEqual(kept.rows, [[.int(1800)]])
    }

    /// A length field hit in the middle of the log makes its record seem to run past the end:
    /// whole records follow it to the very end, so it is damage (skipped and reported), not a
    /// torn end — the records after it are kept, by a writer and a read-only reader alike.
    func testADamagedLengthInTheMiddleIsSkipped() throws {
        let (dir, wal, _) = try loggedOnly(lines: 600, chunk: 200)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(wal)"))
        bytes[4 + 3] = 0x7F  // the first record's length, now past the end of the file
        try bytes.write(to: URL(fileURLWithPath: "\(dir)/\(wal)"))
        var readOnly = StoreOptions()
        readOnly.readOnly = true
        for d in [try DurableStore(directory: dir, options: readOnly), try DurableStore(directory: dir)] {
            XCTAssertEqual(d.store.snapshot().rowCount, 400)
            XCTAssertEqual(d.recovered.tornBytes, 0)
            XCTAssertGreaterThan(d.recovered.skippedBytes, 0)
        }
    }

    /// A record cut short by a crash mid-write whose payload holds a whole record (a client's
    /// line can hold any bytes) is a torn end: the record inside it is not replayed.
    func testARecordPlantedInATornPayloadIsNotReplayed() throws {
        let (dir, wal, _) = try loggedOnly(lines: 400, chunk: 200)
        let path = "\(dir)/\(wal)"
        let log = try Data(contentsOf: URL(fileURLWithPath: path))
        let firstLength = log.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 4, as: UInt32.self))) }
        let planted = log.prefix(DurableStore.recordHeader + firstLength)  // a copy of a whole record
        var torn = Data()
        withUnsafeBytes(of: DurableStore.recordMagic.littleEndian) { torn.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(planted.count * 3).littleEndian) { torn.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(0).littleEndian) { torn.append(contentsOf: $0) }
        torn.append(1)
        torn.append(Data("{\"msg\":\"".utf8) + planted + Data("\"}\n{\"msg\":\"more".utf8))
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        h.seekToEndOfFile()
        h.write(torn)
        h.closeFile()
        let reopened = try DurableStore(directory: dir)
        XCTAssertEqual(reopened.store.snapshot().rowCount, 400, "the planted copy is not replayed")
        XCTAssertEqual(reopened.recovered.tornBytes, torn.count)
        XCTAssertEqual(fileSize(path), log.count)
    }

    /// A damaged record header (its magic number hit) is passed over to the next whole record,
    /// found by its own magic number and checksum; the records after it are kept.
    func testADamagedRecordHeaderIsPassedOver() throws {
        let (dir, wal, _) = try loggedOnly(lines: 600, chunk: 200)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(wal)"))
        bytes[0] ^= 0xFF  // the first record's magic number
        try bytes.write(to: URL(fileURLWithPath: "\(dir)/\(wal)"))
        let reopened = try DurableStore(directory: dir)
        XCTAssertEqual(reopened.store.snapshot().rowCount, 400)
        XCTAssertEqual(reopened.recovered.tornBytes, 0)
        XCTAssertGreaterThan(reopened.recovered.skippedBytes, 0)
    }

    func testDamagedSegmentFileIsSetAsideAndNamed() throws {
        let dir = try Scratch.directory("store").path
        let segs = try segments(lines: 1000, chunk: 500, bad: false)
        var options = StoreOptions()
        options.sealBytes = 1  // each commit sealed in its own file
        let d = try DurableStore(directory: dir, options: options)
        for s in segs { try d.commit([s]) }
        try d.close()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".lds") }.sorted()
        XCTAssertEqual(files.count, 2)
        // Flip a byte in the middle of the first file's column data.
        let p = "\(dir)/\(files[0])"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: p))
        bytes[bytes.count / 3] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: p))

        let messages = Messages()
        let reopened = try DurableStore(directory: dir, options: options, report: messages.add)
        XCTAssertEqual(reopened.recovered.setAside, [files[0]])
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(dir)/corrupt/\(files[0])"))
        XCTAssertEqual(reopened.store.snapshot().rowCount, 500, "the undamaged file is still read")
        XCTAssertTrue(messages.all.contains { $0.contains(files[0]) && $0.contains("checksum") && $0.contains("set aside") }, "\(messages.all)")
        let errors = try QueryEngine(snapshot: reopened.store.snapshot()).run("SELECT count(*) FROM errors WHERE source = 'store'")
        XCTAssertEqual(errors.rows, [[.int(1)]])
        // Every later opening still shows it.
        try reopened.close()
        let later = try DurableStore(directory: dir, options: options)
        let still = try QueryEngine(snapshot: later.store.snapshot()).run("SELECT raw FROM errors WHERE source = 'store'")
        XCTAssertEqual(still.rows, [[.string("corrupt/\(files[0]): set aside by an earlier recovery; its records are not in the store")]])
    }

    func testCheckpointsCommittedWithTheirRecordsSurviveAReopen() throws {
        let dir = try Scratch.directory("store").path
        let segs = try segments(lines: 500, chunk: 250, bad: false)
        let cp = FileCheckpoint(path: "/var/log/app.log", source: "/var/log/app.log", dev: 1, ino: 42, offset: 12345, fingerprint: 99, fingerprintLength: 1024)
        do {
            let d = try DurableStore(directory: dir)
            try d.commit([segs[0]], checkpoints: [cp])
            var later = cp
            later.offset = 20000
            try d.commit([segs[1]], checkpoints: [later])
        }
        let reopened = try DurableStore(directory: dir)
        XCTAssertEqual(reopened.checkpoint(dev: 1, ino: 42)?.offset, 20000)
        try reopened.close()
        XCTAssertEqual(try DurableStore(directory: dir).checkpoint(dev: 1, ino: 42)?.offset, 20000, "kept in the sealed file's footer")
    }

    func testRetentionAndSizeLimitDeleteTheOldestFiles() throws {
        let dir = try Scratch.directory("store").path
        let segs = try segments(lines: 2000, chunk: 500, bad: false)
        var options = StoreOptions()
        options.sealBytes = 1
        let d = try DurableStore(directory: dir, options: options)
        for s in segs { try d.commit([s]) }
        try d.close()
        let newest = segs.map(\.maxTs).max()!
        // Keep what is younger than the newest file's oldest record: the older files go.
        var retain = options
        retain.now = { newest }
        retain.retain = newest - segs[3].minTs
        let kept = try DurableStore(directory: dir, options: retain)
        XCTAssertEqual(kept.store.snapshot().rowCount, 500)
        try kept.close()

        let dir2 = try Scratch.directory("store").path
        let d2 = try DurableStore(directory: dir2, options: options)
        for s in segs { try d2.commit([s]) }
        try d2.close()
        let total = d2.diskBytes.segments
        var capped = options
        capped.maxBytes = total * 6 / 10
        let small = try DurableStore(directory: dir2, options: capped)
        XCTAssertLessThanOrEqual(small.diskBytes.segments + small.diskBytes.log, total * 6 / 10)
        let rows = small.store.snapshot().rowCount
        XCTAssertTrue(rows == 1000 || rows == 500, "whole files of the oldest records went, got \(rows)")
        let minTs = try QueryEngine(snapshot: small.store.snapshot()).run("SELECT min(ts) FROM logs")
        XCTAssertEqual(minTs.rows.first?.first, .timestamp(segs[4 - rows / 500].minTs))
    }
}

extension DurableStoreTests {
    /// The footer's zone maps settle a comparison for a whole segment without reading its column.
    func testZoneMapsInTheFooterSkipSegmentsWithoutReadingThem() throws {
        let dir = try Scratch.directory("store").path
        let segs = try segments(lines: 2000, chunk: 500, bad: false)
        let d = try DurableStore(directory: dir)
        for s in segs { try d.commit([s]) }
        try d.close()
        let reopened = try DurableStore(directory: dir)
        let engine = QueryEngine(snapshot: reopened.store.snapshot())
        XCTAssertEqual(try engine.run("SELECT count(*) FROM logs WHERE status >= 600").rows, [[.int(0)]])
        XCTAssertFalse(reopened.store.snapshot().segments.contains { $0.isResident }, "no column was read (1)")
        XCTAssertEqual(try engine.run("SELECT count(*) FROM logs WHERE NOT (status < 600)").rows, [[.int(0)]])
        XCTAssertFalse(reopened.store.snapshot().segments.contains { $0.isResident }, "no column was read (2)")
        XCTAssertEqual(try engine.run("SELECT count(*) FROM logs WHERE status < 600").rows, [[.int(2000)]])
        XCTAssertFalse(reopened.store.snapshot().segments.contains { $0.isResident }, "no column was read")
        // Where the range does not settle it, the column is read and the rows counted.
        let mixed = try engine.run("SELECT count(*) FROM logs WHERE status >= 500").rows[0][0]
        let inMemory = Store()
        for s in segs { inMemory.append(s) }
        XCTAssertEqual(mixed, try QueryEngine(snapshot: inMemory.snapshot()).run("SELECT count(*) FROM logs WHERE status >= 500").rows[0][0])
        XCTAssertTrue(reopened.store.snapshot().segments.contains { $0.isResident })
    }

    /// Live ingest's small segments, once their log is sealed, give way in memory to the segment
    /// file's mapped ones: the same answers, every record once, consumers told once.
    func testSealedLiveSegmentsAreSwappedForTheMappedFile() throws {
        let dir = try Scratch.directory("store").path
        let segs = try segments(lines: 3000, chunk: 50)
        let original = Store()
        for s in segs { original.append(s) }
        var options = StoreOptions()
        options.sealBytes = 128 << 10
        let d = try DurableStore(directory: dir, options: options)
        let feed = d.store.subscribe(fromStart: false)
        for s in segs {
            let log = try d.commit([s])
            d.store.appendLive(s, log: log)
        }
        try d.close()
        let snap = d.store.snapshot()
        XCTAssertEqual(snap.rowCount, original.snapshot().rowCount)
        XCTAssertEqual(snap.segments.reduce(0) { $0 + $1.rowCount }, snap.rowCount)
        XCTAssertTrue(snap.segments.allSatisfy(\.isStoredLazily), "every log was sealed and swapped")
        XCTAssertEqual(feed.take().reduce(0) { $0 + $1.rowCount }, snap.rowCount, "consumers hear of each record once")
        XCTAssertEqual(try results(d.store), try results(original))
    }

    /// A reader opening the store while the writer commits and seals (a log renamed into a
    /// segment file, then deleted) sees every record committed before it opened, once.
    func testAReaderBesideASealingWriterSeesEachRecordOnce() throws {
        let dir = try Scratch.directory("store").path
        let segs = try segments(lines: 4000, chunk: 100, bad: false)
        var options = StoreOptions()
        options.sealBytes = 64 << 10  // a seal every few commits
        let writer = try DurableStore(directory: dir, options: options)
        let committed = Counter()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            for s in segs { _ = try? writer.commit([s]); committed.add(s.rowCount); usleep(10_000) }
            done.signal()
        }
        var reads = 0
        var readOnly = StoreOptions()
        readOnly.readOnly = true
        while done.wait(timeout: .now()) == .timedOut || reads == 0 {
            let before = committed.value
            let reader = try DurableStore(directory: dir, options: readOnly)
            let r = try QueryEngine(snapshot: reader.store.snapshot()).run("SELECT count(*), count(DISTINCT raw) FROM logs").rows[0]
            guard case .int(let n) = r[0], case .int(let d) = r[1] else { return XCTFail("\(r)") }
            XCTAssertEqual(n, d, "a record read twice")
            XCTAssertGreaterThanOrEqual(Int(n), before, "a committed record missed")
            reads += 1
        }
        try writer.close()
        XCTAssertGreaterThan(reads, 0)
    }
}

func fileSize(_ path: String) -> Int {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
}

/// Messages a component reports, collected for a test to read.
final class Messages: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    var all: [String] { lock.lock(); defer { lock.unlock() }; return list }
    var add: @Sendable (String) -> Void { { [self] m in lock.lock(); list.append(m); lock.unlock() } }
}
