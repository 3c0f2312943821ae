import Foundation
import Testing
import Scratch

/// `logdash ingest --stream`: windows printed as JSON lines as they close, over a finished file
/// and over one still being written.
@Suite struct StreamCommandTests {
    let cli = CommandLineTests()

    static func lines(minute: Int, seconds: ClosedRange<Int>, status: Int = 200) -> String {
        seconds.map { String(format: "{\"ts\":\"2026-11-27T14:%02d:%02dZ\",\"status\":%d}\n", minute, $0, status) }.joined()
    }

    @Test func aFinishedFileEmitsEveryWindow() throws {
        let file = try cli.temp("s.log", Self.lines(minute: 0, seconds: 0...59) + Self.lines(minute: 1, seconds: 0...9, status: 500))
        let r = try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", file, "--stream",
                                 "SELECT window_start, count(*) n, count_if(status >= 500) e FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == """
            {"_query":1,"_window_start":"2026-11-27T14:00:00.000Z","_window_end":"2026-11-27T14:01:00.000Z","_update":false,"window_start":"2026-11-27T14:00:00.000Z","n":60,"e":0}
            {"_query":1,"_window_start":"2026-11-27T14:01:00.000Z","_window_end":"2026-11-27T14:02:00.000Z","_update":false,"window_start":"2026-11-27T14:01:00.000Z","n":10,"e":10}

            """)
    }

    /// A query closing thousands of windows at once (formatted in pieces, side by side on the
    /// cores) prints every one of them in order, before the next query's.
    @Test func manyWindowsClosedAtOncePrintInOrder() throws {
        let lines = (0..<7200).map { i in
            String(format: "{\"ts\":\"2026-11-27T%02d:%02d:%02dZ\",\"status\":200}\n", 14 + i / 3600, i / 60 % 60, i % 60)
        }.joined()
        let file = try cli.temp("many.log", lines)
        let r = try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", file,
                                 "--stream", "SELECT window_start, count(*) n FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' SECOND)",
                                 "--stream", "SELECT window_start, count(*) n FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' HOUR)"])
        #expect(r.status == 0, "\(r.err)")
        let objects = try r.out.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.count == 7202)
        let first = objects.prefix(7200)
        #expect(first.allSatisfy { $0["_query"] as? Int == 1 && $0["n"] as? Int == 1 })
        let starts = first.compactMap { $0["window_start"] as? String }
        #expect(starts == starts.sorted() && Set(starts).count == 7200)
        #expect(objects.suffix(2).map { $0["_query"] as? Int } == [2, 2])
        #expect(objects.suffix(2).map { $0["n"] as? Int } == [3600, 3600])
    }

    /// With alarms too, a finished file's windows are printed first, then the alarms'
    /// transitions (both folded side by side), each exactly once.
    @Test func withAlarmsTheWindowsComeFirstThenTheTransitions() throws {
        let file = try cli.temp("sa.log", Self.lines(minute: 0, seconds: 0...59) + Self.lines(minute: 1, seconds: 0...9, status: 500))
        let yaml = try cli.temp("sa.yaml", CommandLineTests.fiveXXAlarm)
        let r = try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", file, "--alarms", yaml, "--stream",
                                 "SELECT window_start, count(*) n FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)"])
        #expect(r.status == 0, "\(r.err)")
        let objects = try r.out.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.map { $0["_query"] != nil ? "window" : $0["alarm"] as? String ?? "?" } == ["window", "window", "5xx", "5xx"])
        #expect(objects.prefix(2).map { $0["n"] as? Int } == [60, 10])
        #expect(objects.suffix(2).map { "\($0["old_state"]!) → \($0["new_state"]!)" } == ["INSUFFICIENT_DATA → OK", "OK → ALARM"])
    }

    /// While following, a window is printed once records later than its end plus the lateness
    /// arrive — not before.
    @Test func whileFollowingAWindowIsPrintedWhenTheWatermarkPassesIt() throws {
        let dir = try Scratch.directory("stream")
        let file = dir.appendingPathComponent("s.log")
        try Self.lines(minute: 0, seconds: 0...59).write(to: file, atomically: true, encoding: .utf8)
        let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
        let p = try Spawned(CommandLineTests.binary, ["ingest", "--stats-interval", "0", "--lateness", "2s", file.path, "--stream",
                                                      "SELECT window_start, count(*) n FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)"],
                            stdout: outURL.path, stderr: errURL.path, environment: ["XDG_DATA_HOME": dir.path, "PATH": "/usr/bin:/bin"])
        func out() -> String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }
        Thread.sleep(forTimeInterval: 1)
        #expect(out().isEmpty)  // 14:00:59 less 2 s has not passed 14:01:00
        let h = try FileHandle(forWritingTo: file)
        h.seekToEndOfFile()
        h.write(Data(Self.lines(minute: 1, seconds: 1...1).utf8))  // 14:01:01 less 2 s: not yet
        Thread.sleep(forTimeInterval: 1)
        #expect(out().isEmpty)
        h.write(Data(Self.lines(minute: 1, seconds: 2...3).utf8))  // 14:01:03 less 2 s passes 14:01:00
        h.closeFile()
        for _ in 0..<50 where out().isEmpty { Thread.sleep(forTimeInterval: 0.1) }
        #expect(out() == "{\"_query\":1,\"_window_start\":\"2026-11-27T14:00:00.000Z\",\"_window_end\":\"2026-11-27T14:01:00.000Z\",\"_update\":false,\"window_start\":\"2026-11-27T14:00:00.000Z\",\"n\":60}\n")
        p.signal(SIGTERM)
        #expect(p.wait() == 0)
        #expect(out().split(separator: "\n").count == 1)  // the open 14:01 window is not printed as final
    }

    @Test func aQueryThatCannotStreamIsRefusedBeforeIngestStarts() throws {
        let r = try cli.logdash(["ingest", "--no-follow", "demo://", "--stream", "SELECT count(*) FROM logs"])
        #expect(r.status != 0 && r.err.contains("--stream: a streaming query needs a window in GROUP BY"), "\(r.err)")
    }
}
