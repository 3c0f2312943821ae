import Foundation
import Testing
@testable import LogdashEngine
import Scratch

@Suite struct SourceLoaderTests {
    func tempDir() throws -> URL {
        let d = try Scratch.directory("test")
        return d
    }

    func loadAll(_ spec: SourceSpec, workers: Int = 2, chunkBytes: Int = 4096) throws -> ([RecordBatch], LoadResult) {
        var batches: [RecordBatch] = []
        let res = try SourceLoader.run(spec, options: LoadOptions(workers: workers, chunkBytes: chunkBytes, now: { arrival })) { batches.append($0) }
        return (batches, res)
    }

    @Test func gzipFilesAreDecompressedWhileRead() throws {
        let dir = try tempDir()
        let plain = dir.appendingPathComponent("app.log")
        let text = (0..<5000).map { "{\"ts\":\"2026-11-27T14:00:00Z\",\"i\":\($0)}" }.joined(separator: "\n") + "\n"
        try text.write(to: plain, atomically: true, encoding: .utf8)
        #expect(try run("/usr/bin/env", ["gzip", "-k", plain.path]).status == 0)
        let (batches, res) = try loadAll(.file(plain.path + ".gz"))
        #expect(res.stats.records == 5000)
        #expect(res.stats.bytes == text.utf8.count)
        let ids = batches.flatMap { b in (0..<b.count).map { b.value("i", at: $0)! } }
        #expect(ids == (0..<5000).map { Value.int(Int64($0)) })
    }

    @Test func concatenatedGzipMembersAreAllRead() throws {
        let dir = try tempDir()
        let a = dir.appendingPathComponent("a"), b = dir.appendingPathComponent("b")
        try "a=1 b=2\n".write(to: a, atomically: true, encoding: .utf8)
        try "a=3 b=4\n".write(to: b, atomically: true, encoding: .utf8)
        _ = try run("/usr/bin/env", ["gzip", a.path, b.path])
        let both = try Data(contentsOf: URL(fileURLWithPath: a.path + ".gz")) + Data(contentsOf: URL(fileURLWithPath: b.path + ".gz"))
        let out = dir.appendingPathComponent("both.gz")
        try both.write(to: out)
        let (_, res) = try loadAll(.file(out.path))
        #expect(res.stats.records == 2)
    }

    @Test func truncatedGzipIsACorruptionErrorNotASilentLoss() throws {
        let dir = try tempDir()
        let f = dir.appendingPathComponent("x.log")
        try String(repeating: "a=1 b=2 some text to compress\n", count: 20000).write(to: f, atomically: true, encoding: .utf8)
        _ = try run("/usr/bin/env", ["gzip", f.path])
        let gz = try Data(contentsOf: URL(fileURLWithPath: f.path + ".gz"))
        let cut = dir.appendingPathComponent("cut.gz")
        try gz.prefix(gz.count / 2).write(to: cut)
        #expect(throws: SourceError.self) { try loadAll(.file(cut.path)) }
    }

    @Test func parallelAndSerialLoadsGiveTheSameRecords() throws {
        let data = try genLogs(["--format", "java", "--lines", "4000", "--seed", "9"])
        let dir = try tempDir()
        let f = dir.appendingPathComponent("java.log")
        try data.write(to: f)
        func rows(_ workers: Int, _ chunk: Int) throws -> [[String: Value]] {
            let (batches, _) = try loadAll(.file(f.path), workers: workers, chunkBytes: chunk)
            return batches.flatMap { records($0).map(\.values) }
        }
        let serial = try rows(1, 1 << 20)
        #expect(serial.count == 4000)
        #expect(try rows(2, 8192) == serial)
        #expect(try rows(3, 65536) == serial)
    }

    @Test func aStackTraceLongerThanARoundEndsInsteadOfHanging() throws {
        // 40,000 continuation lines (~1.4 MB) after one head line, rounds of 8 KiB, records of 64 KiB at most.
        var text = "2026-11-27 14:00:00,000 ERROR [main] a.B - boom\n"
        for i in 0..<40_000 { text += "\tat a.B.frame\(i)(B.java:1)\n" }
        text += "2026-11-27 14:00:01,000 INFO  [main] a.B - after\n"
        let data = Array(text.utf8)
        for mapped in [true, false] {
            var options = LoadOptions(workers: 2, chunkBytes: 4096, now: { arrival })
            options.parse.maxRecordBytes = 65536
            var rows: [Rec] = []
            let res: LoadResult
            if mapped {
                res = try data.withUnsafeBufferPointer { try SourceLoader.run(mapped: $0, name: "t", options: options) { rows += records($0) } }
            } else {
                let dir = try tempDir()
                let f = dir.appendingPathComponent("t.log")
                try Data(data).write(to: f)
                res = try SourceLoader.run(FileInput(path: f.path), name: "t", options: options) { rows += records($0) }
            }
            #expect(res.stats.bytes == data.count)
            #expect(res.stats.lines == 40_002)
            #expect(rows.first?.flags.contains(.truncated) == true)
            #expect(rows.last?["message"] == .string("after"))
            #expect(rows.count == res.stats.records)
            #expect(res.stats.records + res.stats.continuationLines == 40_002)
        }
    }

    @Test func storeReadsRawLinesBackFromTheFileAndSaysSoWhenItChanged() throws {
        let dir = try tempDir()
        let f = dir.appendingPathComponent("app.log")
        let lines = (0..<3000).map { "{\"i\":\($0),\"msg\":\"line \($0)\"}" }
        try (lines.joined(separator: "\n") + "\n").write(to: f, atomically: true, encoding: .utf8)
        let (store, _) = try Store.load([.file(f.path)], options: LoadOptions(workers: 2, chunkBytes: 8192, now: { arrival }))
        let engine = QueryEngine(snapshot: store.snapshot(), now: arrival)
        let r = try engine.execute("SELECT raw FROM logs WHERE i IN (0, 1234, 2999) ORDER BY i")
        #expect(r.rows == [[.string(lines[0])], [.string(lines[1234])], [.string(lines[2999])]])
        #expect(store.snapshot().segments.allSatisfy { $0.columns["raw"]?.file != nil })
        // Truncated behind the store's back: a clear marker, not a crash.
        try "".write(to: f, atomically: false, encoding: .utf8)
        let after = try engine.execute("SELECT raw, msg FROM logs WHERE i = 2999")
        #expect(after.rows == [[.string(RawFile.unavailable), .string("line 2999")]])
    }

    @Test func globsExpandAndMissingFilesAreClearErrors() throws {
        let dir = try tempDir()
        for n in ["a.log", "b.log", "c.txt"] { try "x=1 y=2\n".write(to: dir.appendingPathComponent(n), atomically: true, encoding: .utf8) }
        let specs = try SourceSpec.parse(dir.path + "/*.log")
        #expect(specs == [.file(dir.path + "/a.log"), .file(dir.path + "/b.log")])
        #expect(throws: SourceError.noMatch(dir.path + "/*.json")) { try SourceSpec.parse(dir.path + "/*.json") }
        #expect(throws: SourceError.notFound(dir.path + "/nope.log")) { try SourceSpec.parse(dir.path + "/nope.log") }
        #expect(throws: SourceError.isDirectory(dir.path)) { try SourceSpec.parse(dir.path) }
        #expect(try SourceSpec.parse("-") == [.stdin])
        #expect(throws: SourceError.self) { try SourceSpec.parse("kafka://broker/topic") }
    }

    @Test func demoBatchIsDeterministicMixedAndHasItsIncident() throws {
        let spec = try SourceSpec.parse("demo://?lines=4000&seed=5")[0]
        let (a, res) = try loadAll(spec)
        let (b, _) = try loadAll(spec)
        let ra = a.flatMap { records($0).map(\.values) }
        #expect(ra == b.flatMap { records($0).map(\.values) })
        #expect(res.stats.records == 4000)
        #expect(res.stats.unparsed == 0)
        #expect(Set(res.stats.perFormat.keys).isSuperset(of: ["combined", "json", "java"]))
        #expect(res.stats.continuationLines > 0)  // stack traces
        // 5xx share inside the incident (60–65 % of the span) far above the rest.
        let statuses = ra.map { r -> Int64 in if case .int(let s)? = r["status"] { s } else { 0 } }
        func share(_ range: Range<Int>) -> Double {
            let s = statuses[range].filter { $0 > 0 }
            return Double(s.filter { $0 >= 500 }.count) / Double(max(s.count, 1))
        }
        #expect(share(2400..<2600) > 3 * share(0..<2000))
    }

    @Test func demoUrlParametersAreValidated() throws {
        #expect(try DemoOptions(url: "demo://").lines == 20_000)
        #expect(try DemoOptions(url: "demo://?rate=500").isLive)
        #expect(throws: SourceError.self) { try DemoOptions(url: "demo://?rate=fast") }
        #expect(throws: SourceError.self) { try DemoOptions(url: "demo://?colour=blue") }
    }

    @Test func liveDemoIsPacedByTheClock() throws {
        let spec = try SourceSpec.parse("demo://?rate=2000&lines=300")[0]
        let t0 = Date()
        let res = try SourceLoader.run(spec, options: LoadOptions(workers: 1)) { _ in }
        #expect(res.stats.records == 300)
        #expect(Date().timeIntervalSince(t0) >= 0.1)  // 300 lines at 2000/s take 0.15 s
    }
}

