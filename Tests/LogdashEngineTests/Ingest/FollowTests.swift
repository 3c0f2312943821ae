import Foundation
import Testing
@testable import LogdashEngine
import Scratch

/// A pipeline over a fresh store, with what it reported collected.
final class LivePipeline: @unchecked Sendable {
    let store = Store()
    let pipeline: Pipeline

    init(_ sources: [LiveSource], settings: IngestSettings = IngestSettings(), format: String? = nil, maxRecordBytes: Int? = nil,
         newestFirst: Int? = LoadOptions().newestFirst) throws {
        var load = LoadOptions(workers: 2)
        load.newestFirst = newestFirst
        load.parse.format = format
        if let maxRecordBytes { load.parse.maxRecordBytes = maxRecordBytes }
        let box = Reports()
        pipeline = Pipeline(store: store, load: load, settings: settings, report: box.add)
        reports = box
        try pipeline.start(sources)
    }

    let reports: Reports

    final class Reports: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
    }

    func query(_ sql: String) throws -> [[Value]] {
        try QueryEngine(snapshot: store.snapshot()).execute(sql).rows
    }

    func count(_ whereClause: String = "true") -> Int {
        guard case .int(let n)? = (try? query("SELECT count(*) FROM logs WHERE \(whereClause)"))?.first?.first else { return -1 }
        return Int(n)
    }

    /// Waits (up to `seconds`) until `condition` holds; false if it never did.
    func waitUntil(_ seconds: Double = 20, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition()
    }

    deinit { pipeline.stop() }
}

func tempDirectory() throws -> URL {
    let d = try Scratch.directory("live")
    return d
}

func append(_ text: String, to url: URL) throws {
    if !FileManager.default.fileExists(atPath: url.path) { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
    let h = try FileHandle(forWritingTo: url)
    try h.seekToEnd()
    try h.write(contentsOf: Data(text.utf8))
    try h.close()
}

/// Whether this process has a descriptor of the file at `path` open (deleted or not).
func holdsOpen(_ path: String) -> Bool {
    let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return fds.contains { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)"))?.hasPrefix(path) == true }
}

/// The raw lines of the records whose `i` is below `n`, in order of `i`.
func rawLines(_ live: LivePipeline, below n: Int) throws -> [String] {
    try live.query("SELECT raw FROM logs WHERE i < \(n) ORDER BY i").map { row -> String in
        guard case .string(let s) = row[0] else { return "" }
        return s
    }
}

@Suite struct FollowTests {
    @Test func linesAppendedToAFollowedFileArrive() throws {
        let dir = try tempDirectory()
        let file = dir.appendingPathComponent("app.log")
        try append("{\"ts\":\"2026-11-27T14:00:00Z\",\"i\":1}\n", to: file)
        let live = try LivePipeline([.files(file.path)])
        #expect(live.waitUntil { live.count() == 1 })
        for i in 2...50 { try append("{\"ts\":\"2026-11-27T14:00:01Z\",\"i\":\(i)}\n", to: file) }
        #expect(live.waitUntil { live.count() == 50 })
        #expect(try live.query("SELECT min(i), max(i), count(DISTINCT i) FROM logs") == [[.int(1), .int(50), .int(50)]])
    }

    /// A file opened while its last line is half written: the history stops before that line,
    /// which arrives whole once its writer finishes it (not as two broken records).
    @Test func aHalfWrittenLastLineIsNotCutInTwoWhenTheFileIsOpened() throws {
        let dir = try tempDirectory()
        let file = dir.appendingPathComponent("app.log")
        let whole = (0..<500).map { "{\"ts\":\"2026-11-27T14:00:00Z\",\"i\":\($0)}\n" }.joined()
        try append(whole + "{\"ts\":\"2026-11-27T14:00:01Z\",\"i\":", to: file)
        let live = try LivePipeline([.files(file.path)])
        #expect(live.waitUntil { live.count() == 500 })
        Thread.sleep(forTimeInterval: 0.3)  // past the wait for a quiet stream's last record
        try append("500}\n", to: file)
        #expect(live.waitUntil { live.count() == 501 })
        #expect(try live.query("SELECT count(DISTINCT i), max(i) FROM logs") == [[.int(501), .int(500)]])
        #expect(try live.query("SELECT count(*) FROM errors") == [[.int(0)]])
    }

    /// A real writer process rotates its log 50 times, alternately by rename (writing a few
    /// more lines to the old file before reopening, as a daemon does until it is told) and by
    /// copy-truncate (pausing before and after, as copy-truncate's race is the writer's to avoid:
    /// on a loaded machine a truncation went unseen once, the file grown back past the offset
    /// read — the documented loss); every line arrives exactly once.
    @Test func everyLineArrivesOnceThroughFiftyRotations() throws {
        let dir = try tempDirectory()
        let file = dir.appendingPathComponent("app.log")
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let script = dir.appendingPathComponent("writer.py")
        try """
        import os, sys, time, shutil
        path, rotations, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        seq = 0
        f = open(path, "a", buffering=1)
        def line():
            global seq
            f.write('{"ts":"2026-11-27T14:00:00Z","seq":%d}\\n' % seq)
            seq += 1
        for r in range(rotations + 1):
            for i in range(per):
                line()
                if i % 10 == 0: time.sleep(0.001)
            if r == rotations: break
            if os.path.exists(path + ".1"): os.rename(path + ".1", path + ".2")  # as logrotate shifts old files
            if r % 2 == 0:
                os.rename(path, path + ".1")
                for _ in range(5): line()          # the daemon has not reopened yet
                f.close()
                f = open(path, "a", buffering=1)
            else:
                time.sleep(0.1)
                shutil.copy(path, path + ".1")
                os.truncate(path, 0)
                time.sleep(0.1)  # (and after: the file must not grow back past the read offset unseen)
        f.close()
        print(seq)
        """.write(to: script, atomically: true, encoding: .utf8)
        let live = try LivePipeline([.files(file.path)])
        let r = try run("/usr/bin/env", ["python3", script.path, file.path, "50", "300"])
        #expect(r.status == 0, "\(r.err)")
        let total = Int(String(decoding: r.out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(total == 51 * 300 + 25 * 5)
        #expect(live.waitUntil { live.count() >= total })
        Thread.sleep(forTimeInterval: 0.3)  // nothing more may come
        #expect(live.count() == total)
        #expect(try live.query("SELECT count(DISTINCT seq), min(seq), max(seq) FROM logs") == [[.int(Int64(total)), .int(0), .int(Int64(total - 1))]])
        #expect(live.reports.all.filter { $0.contains("truncated") }.count == 25)
    }

    @Test func aFileThatDoesNotExistYetIsReadOnceItAppearsAndAgainWhenRecreated() throws {
        let dir = try tempDirectory()
        let file = dir.appendingPathComponent("later.log")
        let live = try LivePipeline([.files(file.path)])
        #expect(live.waitUntil { live.reports.all.contains { $0.contains("waiting for it to appear") } })
        try append("a=1 m=x\na=2 m=x\na=3 m=x\n", to: file)
        #expect(live.waitUntil { live.count() == 3 })
        try FileManager.default.removeItem(at: file)
        Thread.sleep(forTimeInterval: 0.1)
        try append("a=4 m=x\na=5 m=x\n", to: file)
        #expect(live.waitUntil { live.count() == 5 })
        #expect(try live.query("SELECT sum(a) FROM logs") == [[.int(15)]])
    }

    /// Removing a followed file frees its disk space: no descriptor of it is left open once it
    /// has been read to its end, and the records read from it keep their raw lines.
    @Test func aDeletedFollowedFileIsClosedAndItsRecordsKeepTheirRawLines() throws {
        let dir = try tempDirectory()
        let file = dir.appendingPathComponent("gone.log")
        let lines = (0..<3000).map { "{\"ts\":\"2026-11-27T14:00:00Z\",\"i\":\($0),\"pad\":\"\(String(repeating: "x", count: $0 % 97))\"}" }
        try append(lines.joined(separator: "\n") + "\n", to: file)
        let live = try LivePipeline([.files(file.path)])
        #expect(live.waitUntil { live.count() == 3000 })
        try append("{\"ts\":\"2026-11-27T14:00:01Z\",\"i\":3000}\n", to: file)
        #expect(live.waitUntil { live.count() == 3001 })
        #expect(holdsOpen(file.path))
        try FileManager.default.removeItem(at: file)
        #expect(live.waitUntil(10) { !holdsOpen(file.path) })
        #expect(try rawLines(live, below: 3000) == lines)
    }

    /// logrotate's usual way: the log is renamed (and followed to its end, then let go), and
    /// deleted at a later rotation; its space is freed then, its records keep their raw lines.
    @Test func aRotatedFileDeletedLaterIsClosedAndItsRecordsKeepTheirRawLines() throws {
        let dir = try tempDirectory()
        let file = dir.appendingPathComponent("app.log"), old = dir.appendingPathComponent("app.log.1")
        let lines = (0..<3000).map { "{\"ts\":\"2026-11-27T14:00:00Z\",\"i\":\($0)}" }
        try append(lines.joined(separator: "\n") + "\n", to: file)
        let live = try LivePipeline([.files(file.path)])
        #expect(live.waitUntil { live.count() == 3000 })
        try FileManager.default.moveItem(at: file, to: old)
        try append("{\"ts\":\"2026-11-27T14:00:01Z\",\"i\":3000}\n", to: file)
        #expect(live.waitUntil { live.count() == 3001 })
        Thread.sleep(forTimeInterval: 3)  // past the rotated file's last reading
        try FileManager.default.removeItem(at: old)
        try append("{\"ts\":\"2026-11-27T14:00:02Z\",\"i\":3001}\n", to: file)
        #expect(live.waitUntil(10) { !holdsOpen(old.path) })
        #expect(try rawLines(live, below: 3000) == lines)
    }

    @Test func newFilesMatchingAGlobAreFollowed() throws {
        let dir = try tempDirectory()
        try append("x=1 m=a\n", to: dir.appendingPathComponent("a.log"))
        let live = try LivePipeline([.files(dir.path + "/*.log")])
        #expect(live.waitUntil { live.count() == 1 })
        try append("x=2 m=a\n", to: dir.appendingPathComponent("b.log"))
        try append("x=3 m=a\n", to: dir.appendingPathComponent("c.txt"))  // not matched
        try append("x=4 m=a\n", to: dir.appendingPathComponent("a.log"))
        #expect(live.waitUntil { live.count() == 3 })
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try live.query("SELECT source, sum(x) FROM logs GROUP BY source ORDER BY source")
                == [[.string(dir.path + "/a.log"), .int(5)], [.string(dir.path + "/b.log"), .int(2)]])
    }

    /// A big file's last part is stored first (what a dashboard shows at once), then its
    /// history goes in front of it: in the end every line once, in file order, and lines
    /// appended afterwards after them.
    @Test func aBigFilesNewestRecordsComeFirstAndItsHistoryGoesInFront() throws {
        let dir = try tempDirectory()
        let file = dir.appendingPathComponent("app.log")
        try append((0..<40_000).map { "{\"ts\":\"2026-11-27T14:00:00Z\",\"i\":\($0),\"msg\":\"line \($0)\"}\n" }.joined(), to: file)
        let live = try LivePipeline([.files(file.path)], newestFirst: 64 << 10)
        #expect(live.waitUntil { live.count() == 40_000 })
        for i in 40_000..<40_010 { try append("{\"ts\":\"2026-11-27T14:00:01Z\",\"i\":\(i),\"msg\":\"line \(i)\"}\n", to: file) }
        #expect(live.waitUntil { live.count() == 40_010 })
        let order = try live.query("SELECT i FROM logs").map { $0[0] }
        #expect(order == (0..<40_010).map { .int(Int64($0)) })
        #expect(live.store.snapshot().segments.count > 2)
    }

    /// A big file's history counts as it loads (the stats line's rate is not 0 for the whole
    /// load), round by round; asked to stop between rounds, the load ends there, marked
    /// interrupted, having said what it read (issue 23, item 19).
    @Test func aHistoryLoadCountsAsItGoesAndStopsBetweenRounds() throws {
        let dir = try tempDirectory()
        let file = dir.appendingPathComponent("app.log")
        try append((0..<20_000).map { "{\"ts\":\"2026-11-27T14:00:00Z\",\"i\":\($0),\"msg\":\"line \($0)\"}\n" }.joined(), to: file)
        var options = LoadOptions(workers: 1, chunkBytes: 16 << 10)
        let rounds = Guarded([(bytes: Int, records: Int)]())
        options.roundDone = { b, r in rounds.change { $0.append((b, r)) } }
        let whole = try #require(try SourceLoader.runPrefix(path: file.path, name: "app.log", options: options, rawFile: RawFile(path: file.path),
                                                            prepare: { $0 }, deliver: { _ in }))
        let seen = rounds.withLock { $0 }
        #expect(seen.count > 20 && !whole.0.interrupted)
        #expect(seen.reduce(0) { $0 + $1.bytes } == whole.1 && seen.reduce(0) { $0 + $1.records } == 20_000)
        // Stopped after the fifth round: five rounds' records, no more.
        options.shouldStop = { rounds.withLock { $0.count } >= seen.count + 5 }
        var delivered = 0
        let part = try #require(try SourceLoader.runPrefix(path: file.path, name: "app.log", options: options, rawFile: RawFile(path: file.path),
                                                           prepare: { $0 }, deliver: { delivered += $0.count }))
        let five = Array(rounds.withLock { $0 }[seen.count...])
        #expect(part.0.interrupted && five.count == 5)
        #expect(part.0.stats.records == delivered && delivered == five.reduce(0) { $0 + $1.records } && delivered < 20_000)
        #expect(part.1 == five.reduce(0) { $0 + $1.bytes })
    }

    /// Live: while a followed file's history loads, its lines are counted as they are read, and
    /// stopping the pipeline ends the load at once, saying how much was read.
    @Test func stoppingWhileAFilesHistoryLoadsEndsTheLoadAndSaysSo() throws {
        let dir = try tempDirectory()
        let file = dir.appendingPathComponent("app.log")
        try append((0..<60_000).map { "{\"ts\":\"2026-11-27T14:00:00Z\",\"i\":\($0),\"msg\":\"line \($0)\"}\n" }.joined(), to: file)
        var load = LoadOptions(workers: 1, chunkBytes: 8 << 10)
        load.newestFirst = nil
        let reports = LivePipeline.Reports()
        let pipeline = Pipeline(store: Store(), load: load, report: reports.add)
        try pipeline.start([.files(file.path)])
        let deadline = Date().addingTimeInterval(20)
        while pipeline.metrics.total().lines == 0 && Date() < deadline { usleep(500) }
        let midway = pipeline.metrics.total()
        #expect(midway.lines > 0 && midway.lagBytes > 0, "counted while loading: \(midway)")
        pipeline.stop()
        let after = pipeline.metrics.total()
        #expect(after.lines < 60_000 && after.lagBytes > 0)
        #expect(reports.all.contains { $0.contains("app.log: stopped while its history loaded") })
    }

    /// The first part delivered holds the file's last record; the parts together hold every
    /// record once; and the cut never falls inside a stack trace.
    @Test func runPrefixDeliversTheNewestPartFirstAndCutsBetweenRecords() throws {
        let dir = try tempDirectory()
        let file = dir.appendingPathComponent("app.log")
        var text = ""
        for i in 0..<3000 {
            text += "2026-11-27 14:00:00,\(String(format: "%03d", i % 1000)) ERROR [main] com.example.App - failure \(i)\n"
            text += "java.lang.IllegalStateException: boom \(i)\n\tat com.example.App.run(App.java:42)\n\tat com.example.Main.main(Main.java:7)\n"
            text += "Caused by: java.io.IOException: disk \(i)\n\t... 2 more\n"
        }
        try append(text, to: file)
        var options = LoadOptions(workers: 2, chunkBytes: 16 << 10)
        options.rawByReference = true
        var order: [(newest: Bool, messages: [String])] = []
        let r = try #require(try SourceLoader.runPrefix(
            path: file.path, name: "app.log", options: options, rawFile: RawFile(path: file.path), newestFirst: 20 << 10, prepare: { $0 },
            deliverNewest: { order.append((true, (0..<$0.count).map($0.message.string(at:)))) }, deliver: { order.append((false, (0..<$0.count).map($0.message.string(at:)))) }))
        // The same records as a load from the start gives, in the same order, none split.
        var plain: [String] = []
        let p = try #require(try SourceLoader.runPrefix(path: file.path, name: "app.log", options: options, rawFile: RawFile(path: file.path), prepare: { $0 },
                                                        deliver: { plain += (0..<$0.count).map($0.message.string(at:)) }))
        #expect(r.1 == p.1 && r.0.stats.records == p.0.stats.records && r.0.stats.unparsed == 0)
        #expect(p.0.stats.records >= 2999)
        #expect(order.first?.newest == true)
        let newest = order.filter(\.newest).flatMap(\.messages), older = order.filter { !$0.newest }.flatMap(\.messages)
        #expect(!newest.isEmpty && !older.isEmpty)
        #expect(older + newest == plain)
        #expect(plain.allSatisfy { $0.hasSuffix("2 more") })
    }

    /// A Java exception whose stack trace is written a moment after its first line is still one record.
    @Test func aStackTraceWrittenInPiecesIsOneRecord() throws {
        let dir = try tempDirectory()
        let file = dir.appendingPathComponent("app.log")
        _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        let live = try LivePipeline([.files(file.path)])
        Thread.sleep(forTimeInterval: 0.05)
        try append("2026-11-27 14:00:00,123 ERROR [main] com.example.App - request failed\n", to: file)
        Thread.sleep(forTimeInterval: 0.03)
        try append("java.lang.IllegalStateException: boom\n\tat com.example.App.run(App.java:42)\n", to: file)
        try append("2026-11-27 14:00:01,000 INFO [main] com.example.App - next\n", to: file)
        #expect(live.waitUntil { live.count() == 2 })
        let rows = try live.query("SELECT level, exception FROM logs ORDER BY ts")
        #expect(rows == [[.string("error"), .string("java.lang.IllegalStateException")], [.string("info"), .null]])
    }

    @Test func noFollowReadsEveryFileToItsEndAndStops() throws {
        let dir = try tempDirectory()
        try append("a=1 m=x\na=2 m=x\n", to: dir.appendingPathComponent("one.log"))
        try append("a=3 m=x\npartial line without a newline", to: dir.appendingPathComponent("two.log"))
        var settings = IngestSettings()
        settings.follow = false
        let live = try LivePipeline([.files(dir.path + "/*.log")], settings: settings)
        live.pipeline.runToEnd()
        #expect(live.count() == 4)
        #expect(live.count("a IS NULL") == 1)
        let m = live.pipeline.metrics.total()
        #expect(m.lines == 4)
    }

    @Test func listenersRefuseNoFollow() throws {
        var settings = IngestSettings()
        settings.follow = false
        #expect(throws: SourceError.self) { _ = try LivePipeline([.tcp(Endpoint(host: "127.0.0.1", port: 0))], settings: settings) }
    }

    @Test func internalMetricsCountWhatCameIn() throws {
        let dir = try tempDirectory()
        let file = dir.appendingPathComponent("m.log")
        let text = "a=1 msg=x\nnot logfmt at all {{{\n"
        try append(text, to: file)
        var settings = IngestSettings()
        settings.metricsInterval = 50_000_000
        let live = try LivePipeline([.files(file.path)], settings: settings, format: "logfmt")
        #expect(live.waitUntil { live.count() == 2 })
        #expect(live.waitUntil {
            (try? live.query("SELECT sum(lines), sum(bytes) FROM internal_metrics WHERE source = '\(file.path)'")) == [[.int(2), .int(Int64(text.utf8.count))]]
        })
        live.pipeline.stop()
        #expect(try live.query("SELECT sum(parse_failures) FROM internal_metrics") == [[.int(1)]])
    }
}

@Suite struct DeliveryBufferTests {
    @Test func aBatchIsHandedOnAtTheSizeHint() {
        let b = DeliveryBuffer(options: BufferOptions(sizeHint: 10, interval: 60_000_000_000, capacity: 100))
        #expect(b.offer(stream: 1, bytes: Array(repeating: 65, count: 6)))
        #expect(b.take(deadline: LoadOptions.monotonicClock() + 20_000_000)?.count == 0)  // neither hint reached
        #expect(b.offer(stream: 1, bytes: Array(repeating: 66, count: 6)))
        let got = b.take(deadline: nil)
        #expect(got?.map(\.bytes.count) == [6, 6])
    }

    @Test func aBatchIsHandedOnAtTheIntervalHint() {
        let b = DeliveryBuffer(options: BufferOptions(sizeHint: 1 << 20, interval: 30_000_000, capacity: 1 << 21))
        let start = LoadOptions.monotonicClock()
        #expect(b.offer(stream: 1, bytes: [1, 2, 3]))
        let got = b.take(deadline: nil)
        #expect(got?.first?.bytes == [1, 2, 3])
        #expect(LoadOptions.monotonicClock() - start >= 30_000_000)
    }

    @Test func aFullBufferRefusesUntilParsedBytesAreReleased() {
        let b = DeliveryBuffer(options: BufferOptions(sizeHint: 4, interval: 0, capacity: 8))
        #expect(b.offer(stream: 1, bytes: Array(repeating: 0, count: 8)))
        #expect(!b.offer(stream: 1, bytes: [1]))
        let taken = b.take(deadline: nil)!
        #expect(!b.offer(stream: 1, bytes: [1]))  // taken but not parsed yet: still counted
        let woke = Flag()
        b.whenRoom(for: 1) { woke.set() }
        #expect(!woke.isSet)
        b.release(taken.reduce(0) { $0 + $1.bytes.count })
        #expect(woke.isSet)
        #expect(b.offer(stream: 1, bytes: [1]))
    }

    final class Flag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.lock(); value = true; lock.unlock() }
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    }
}

@Suite struct LiveStoreTests {
    /// Live ingest appends many small segments; the store merges them, and queries give the
    /// same answers before and after.
    @Test func smallLiveSegmentsAreMergedWithoutChangingAnswers() throws {
        let store = Store()
        for i in 0..<100 {
            let text = i % 3 == 0 ? "{\"ts\":\"2026-11-27T14:00:\(String(format: "%02d", i % 60))Z\",\"n\":\(i),\"s\":\"v\(i % 4)\"}\n"
                : "{\"ts\":\"2026-11-27T14:01:00Z\",\"n\":\(Double(i) + 0.5),\"t\":true,\"level\":\"warn\"}\n"
            var batches: [RecordBatch] = []
            _ = try Array(text.utf8).withUnsafeBufferPointer { buf in
                try SourceLoader.run(mapped: buf, name: "src", options: LoadOptions(workers: 1)) { batches.append($0) }
            }
            for b in batches { store.appendLive(Segment(b)) }
        }
        let snap = store.snapshot()
        #expect(snap.rowCount == 100)
        #expect(snap.segments.count < 40)
        let q = QueryEngine(snapshot: snap)
        var sum = 0.0
        for i in 0..<100 { sum += i % 3 == 0 ? Double(i) : Double(i) + 0.5 }
        let expected: [Value] = [.int(100), .double(sum), .int(34), .int(4), .int(66), ts("2026-11-27T14:00:00Z"), ts("2026-11-27T14:01:00Z")]
        #expect(try q.execute("SELECT count(*), sum(n), count(s), count(DISTINCT s), count(t), min(ts), max(ts) FROM logs").rows == [expected])
        #expect(try q.execute("SELECT level, count(*) FROM logs GROUP BY level ORDER BY level NULLS FIRST").rows
                == [[.null, .int(34)], [.string("warn"), .int(66)]])
    }
}
