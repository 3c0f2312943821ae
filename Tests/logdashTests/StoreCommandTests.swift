import Foundation
import Scratch
import Testing

/// The store on disk through the command line: crashes, rotation while down, a full disk, HTTP
/// acknowledgements, reading it back.
@Suite(.serialized) struct StoreCommandTests {
    let cli = CommandLineTests()

    /// Appends numbered JSON lines to a file at a steady rate, sometimes a line in two writes
    /// (so that a reader sees half lines), until stopped; can rotate the file (rename, new file).
    final class Writer: @unchecked Sendable {  // state guarded by `lock`
        let path: String
        private let lock = NSLock()
        private var fd: Int32
        private var next = 0
        private var running = true
        private var paused = false
        private let finished = DispatchSemaphore(value: 0)

        init(path: String) {
            self.path = path
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            Thread.detachNewThread { self.loop() }
        }

        private func line(_ i: Int) -> [UInt8] {
            Array("{\"ts\":\"2026-11-27T10:\(String(format: "%02d", (i / 1000) % 60)):00.000Z\",\"level\":\"info\",\"seq\":\(i),\"msg\":\"request \(i) served\"}\n".utf8)
        }

        private func loop() {
            var rng = SystemRandomNumberGenerator()
            while true {
                lock.lock()
                if !running { lock.unlock(); break }
                if !paused {
                    for _ in 0..<Int.random(in: 5...40, using: &rng) {
                        let l = line(next)
                        next += 1
                        if Bool.random(using: &rng) && next % 7 == 0 {
                            // Half a line now, the rest a moment later.
                            let cut = l.count / 2
                            // (The lock stays held: a rotation comes between lines, as a logger's would.)
                            _ = l.withUnsafeBytes { write(fd, $0.baseAddress, cut) }
                            usleep(2000)
                            _ = l.withUnsafeBytes { write(fd, $0.baseAddress! + cut, l.count - cut) }
                        } else {
                            _ = l.withUnsafeBytes { write(fd, $0.baseAddress, l.count) }
                        }
                    }
                }
                lock.unlock()
                usleep(10_000)
            }
            finished.signal()
        }

        /// Renames the file to `.1` and goes on in a new one.
        func rotate() {
            lock.lock(); defer { lock.unlock() }
            close(fd)
            rename(path, path + ".1")
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }

        /// Stops after whole lines; the number of lines written.
        func stop() -> Int {
            lock.lock(); running = false; lock.unlock()
            finished.wait()
            lock.lock(); defer { lock.unlock() }
            close(fd)
            return next
        }
    }

    func query(_ store: String, _ sql: String) throws -> String {
        let r = try cli.logdash(["query", "--store", store, sql, "-o", "csv"])
        #expect(r.status == 0, "\(r.err)")
        return r.out
    }

    /// The crash test: ingest is killed with SIGKILL at random moments, ten times, while a
    /// writer appends (and once rotates the file while ingest is down); each restart goes on
    /// from the store's checkpoints. At the end the store holds every line exactly once.
    @Test func killedTenTimesWhileAFileGrowsTheStoreHoldsEveryLineExactlyOnce() throws {
        let dir = try Scratch.directory("crash")
        let file = dir.appendingPathComponent("app.log").path
        let store = dir.appendingPathComponent("store").path
        let writer = Writer(path: file)
        var rng = SystemRandomNumberGenerator()
        for round in 0..<10 {
            let p = try Spawned(CommandLineTests.binary, ["ingest", "--stats-interval", "0", "--store", store, file],
                                stderr: dir.appendingPathComponent("err-\(round)").path,
                                environment: ["XDG_CONFIG_HOME": dir.path, "PATH": "/usr/bin:/bin"])
            Thread.sleep(forTimeInterval: Double.random(in: 0.3...1.2, using: &rng))
            p.signal(SIGKILL)
            #expect(p.wait() == 128 + SIGKILL)
            if round == 5 { writer.rotate() }  // logrotate while logdash is down
        }
        let written = writer.stop()
        // A last run reads what is left (of the rotated file too) and stops.
        let last = try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", "--store", store, file])
        #expect(last.status == 0, "\(last.err)")
        let got = try query(store, "SELECT count(*) n, count(DISTINCT seq) d, min(seq) lo, max(seq) hi FROM logs")
        #expect(got == "n,d,lo,hi\n\(written),\(written),0,\(written - 1)\n", "\(got)")
        let errors = try query(store, "SELECT reason, raw FROM errors")
        #expect(errors == "reason,raw\n", "\(errors)")
    }

    /// A write that fails (here a file-size limit, as a full disk would) stops ingest with the
    /// reason; what was stored before stays whole, and a later run takes the file from where
    /// the store stood.
    @Test func aFullDiskStopsIngestWithTheReasonAndKeepsWhatWasStored() throws {
        let dir = try Scratch.directory("full")
        let store = dir.appendingPathComponent("store").path
        let small = dir.appendingPathComponent("small.log").path, big = dir.appendingPathComponent("big.log").path
        try (0..<200).map { "{\"seq\":\($0),\"msg\":\"first\"}\n" }.joined().write(toFile: small, atomically: true, encoding: .utf8)
        // Random ids, so that even compressed the records need more room than the limit gives.
        try (0..<20000).map { "{\"seq\":\($0),\"msg\":\"second run\",\"id\":\"\(UUID().uuidString)\"}\n" }.joined()
            .write(toFile: big, atomically: true, encoding: .utf8)
        let first = try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", "--store", store, small])
        #expect(first.status == 0, "\(first.err)")
        // 64 KiB at most per file (sh counts 512-byte blocks): no file of the second run can hold big.log.
        let limited = try cli.logdash(["-c", "ulimit -f 128; exec '\(CommandLineTests.binary)' ingest --no-follow --stats-interval 0 --store '\(store)' '\(big)'"],
                                      shell: true)
        #expect(limited.status == 1, "\(limited.out) \(limited.err)")
        #expect(limited.err.contains("File too large") && limited.err.contains("ingest stops"), "\(limited.err)")
        #expect(try query(store, "SELECT count(*) n FROM logs") == "n\n200\n")
        // The same through the write-ahead log (lines on stdin): the commit that does not fit is
        // taken back whole; the store opens with no torn record.
        let piped = try cli.logdash(["-c", "ulimit -f 128; exec '\(CommandLineTests.binary)' ingest --no-follow --stats-interval 0 --store '\(store)' - < '\(big)'"],
                                    shell: true)
        #expect(piped.status == 1 && piped.err.contains("File too large"), "\(piped.err)")
        let kept = try query(store, "SELECT sum(CASE WHEN msg = 'first' THEN 1 ELSE 0 END) a, sum(CASE WHEN msg = 'second run' THEN 1 ELSE 0 END) b FROM logs")
        #expect(kept.hasPrefix("a,b\n200,"), "\(kept)")
        #expect(try query(store, "SELECT count(*) n FROM errors") == "n\n0\n")
        let partial = Int(kept.split(separator: ",").last!.trimmingCharacters(in: .whitespacesAndNewlines))!
        let again = try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", "--store", store, big])
        #expect(again.status == 0, "\(again.err)")
        #expect(try query(store, "SELECT count(*) n, count(DISTINCT msg) m FROM logs") == "n,m\n\(20200 + partial),2\n")
    }

    /// With a store, an HTTP POST is answered once its lines are durable: a kill -9 right after
    /// the answer loses none of them.
    @Test func anHTTPBatchIsAnsweredOnlyOnceDurable() throws {
        let dir = try Scratch.directory("http")
        let store = dir.appendingPathComponent("store").path
        let errURL = dir.appendingPathComponent("err")
        let p = try Spawned(CommandLineTests.binary, ["ingest", "--stats-interval", "0", "--store", store, "http://127.0.0.1:0"],
                            stderr: errURL.path, environment: ["XDG_CONFIG_HOME": dir.path, "PATH": "/usr/bin:/bin"])
        var port: Int?
        for _ in 0..<200 where port == nil {
            Thread.sleep(forTimeInterval: 0.05)
            let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            if let r = err.range(of: "listening on http://127.0.0.1:") { port = Int(err[r.upperBound...].prefix { $0.isNumber }) }
        }
        guard let port else { p.signal(SIGKILL); p.wait(); Issue.record("no listening line"); return }
        let body = try cli.temp("body", (0..<5000).map { "{\"i\":\($0)}\n" }.joined())
        let curl = try cli.logdash(["-c", "curl -s --data-binary @'\(body)' http://127.0.0.1:\(port)/ingest"], shell: true)
        #expect(curl.out.contains("\"accepted\":5000"), "\(curl.out) \(curl.err)")
        p.signal(SIGKILL)
        p.wait()
        #expect(try query(store, "SELECT count(*) n, count(DISTINCT i) d FROM logs") == "n,d\n5000,5000\n")
    }

    /// A second run over the same files adds only what they gained: a plain file resumes at its
    /// checkpoint, a compressed one (gzip, zstd) is skipped up to its (uncompressed) position.
    @Test func aSecondRunReadsOnlyWhatTheFilesGained() throws {
        let dir = try Scratch.directory("resume")
        let store = dir.appendingPathComponent("store").path
        let plain = dir.appendingPathComponent("app.log").path, packed = dir.appendingPathComponent("old.log").path
        let squeezed = dir.appendingPathComponent("older.log").path
        try (0..<300).map { "{\"n\":\($0),\"f\":\"plain\"}\n" }.joined().write(toFile: plain, atomically: true, encoding: .utf8)
        try (0..<200).map { "{\"n\":\($0),\"f\":\"gz\"}\n" }.joined().write(toFile: packed, atomically: true, encoding: .utf8)
        try (0..<100).map { "{\"n\":\($0),\"f\":\"zst\"}\n" }.joined().write(toFile: squeezed, atomically: true, encoding: .utf8)
        let gz = try cli.logdash(["-c", "gzip '\(packed)' && zstd -q --rm '\(squeezed)'"], shell: true)
        #expect(gz.status == 0)
        let args = ["ingest", "--no-follow", "--stats-interval", "0", "--store", store, plain, packed + ".gz", squeezed + ".zst"]
        #expect(try cli.logdash(args).status == 0)
        let h = try #require(FileHandle(forWritingAtPath: plain))
        h.seekToEndOfFile()
        h.write(Data((300..<350).map { "{\"n\":\($0),\"f\":\"plain\"}\n" }.joined().utf8))
        h.closeFile()
        let second = try cli.logdash(args)
        #expect(second.status == 0, "\(second.err)")
        #expect(try query(store, "SELECT f, count(*) n, count(DISTINCT n) d FROM logs GROUP BY f ORDER BY f") == "f,n,d\ngz,200,200\nplain,350,350\nzst,100,100\n")
    }

    /// `logdash --store DIR` opens the dashboard over what is stored (no demo stream), and what
    /// a file gains meanwhile joins it; on quitting it is kept.
    @Test func theDashboardOpensOverAStoreAndKeepsWhatArrives() throws {
        let dir = try Scratch.directory("board")
        let store = dir.appendingPathComponent("store").path
        let file = dir.appendingPathComponent("app.log").path
        try (0..<50).map { "{\"ts\":\"2026-11-27T10:00:\(String(format: "%02d", $0))Z\",\"level\":\"info\",\"msg\":\"stored line \($0)\"}\n" }
            .joined().write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", "--store", store, file]).status == 0)
        let t = try Tmux(width: 120, height: 20)
        let first = try t.launch(["--store", store], then: "; echo EXIT=$?", until: "the stored lines") { $0.contains("stored line 49") }
        #expect(!first.contains("demo://"))
        try t.press("Q")
        _ = try t.wait("the shell back") { $0.contains("EXIT=0") }
        _ = try t.launch(["--store", store, file], then: "; echo EXIT=$?", until: "the stored lines with the file") { $0.contains("stored line 49") }
        // One writer at a time: another ingest into the same store is refused, saying why.
        let second = try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", "--store", store, file])
        #expect(second.status == 1 && second.err.contains("in use by another logdash"), "\(second.err)")
        let h = try #require(FileHandle(forWritingAtPath: file))
        h.seekToEndOfFile()
        h.write(Data("{\"ts\":\"2026-11-27T10:01:00Z\",\"level\":\"warn\",\"msg\":\"arrived live\"}\n".utf8))
        h.closeFile()
        _ = try t.wait("the new line") { $0.contains("arrived live") }
        try t.press("Q")
        _ = try t.wait("the shell back a second time") { $0.components(separatedBy: "EXIT=0").count == 3 }
        #expect(try query(store, "SELECT count(*) n FROM logs") == "n\n51\n")
        // While an ingest daemon writes the store, the dashboard shows it read-only, saying so.
        let daemon = try Spawned(CommandLineTests.binary, ["ingest", "--stats-interval", "0", "--store", store, file],
                                 environment: ["XDG_CONFIG_HOME": dir.path, "PATH": "/usr/bin:/bin"])
        defer { daemon.signal(SIGKILL); daemon.wait() }
        Thread.sleep(forTimeInterval: 0.5)
        try t.press("clear", "Enter")
        let shown = try t.launch(["--store", store], then: "; echo EXIT=$?", until: "the store, read-only") {
            $0.contains("arrived live") && $0.contains("written by another logdash")
        }
        #expect(shown.contains("stored line 49"))
        try t.press("Q")
    }

    /// `query --store` skips what --since leaves out, and `export --store` writes the archive.
    @Test func aStoreIsQueriedAndExportedFromTheCommandLine() throws {
        let dir = try Scratch.directory("reopen")
        let store = dir.appendingPathComponent("store").path
        let file = dir.appendingPathComponent("app.log").path
        try (0..<120).map { "{\"ts\":\"2026-11-27T10:\(String(format: "%02d", $0 / 2)):00Z\",\"n\":\($0)}\n" }.joined()
            .write(toFile: file, atomically: true, encoding: .utf8)
        let r = try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", "--store", store, file])
        #expect(r.status == 0, "\(r.err)")
        let q = try cli.logdash(["query", "--store", store, "--since", "2026-11-27T10:30:00Z", "SELECT count(*) n, sum(n) s FROM logs", "-o", "csv"])
        #expect(q.out == "n,s\n60,5370\n", "\(q.err)")
        let out = dir.appendingPathComponent("archive").path
        let e = try cli.logdash(["export", "--store", store, "--to", out])
        #expect(e.status == 0 && e.err.contains("120 records"), "\(e.err)")
        let back = try cli.logdash(["query", "--archive", out, "SELECT count(*) n, sum(n) s FROM logs", "-o", "csv"])
        #expect(back.out == "n,s\n120,7140\n", "\(back.err)")
    }
}
