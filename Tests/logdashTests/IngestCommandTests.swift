import Foundation
import Testing
import Scratch

/// `logdash ingest`, run as a server would run it.
@Suite struct IngestCommandTests {
    let cli = CommandLineTests()

    @Test func noFollowReadsTheFilesThenRunsTheQueries() throws {
        let file = try cli.temp("app.log", (0..<500).map { "{\"ts\":\"2026-11-27T14:00:00Z\",\"level\":\"\($0 % 5 == 0 ? "error" : "info")\"}" }
            .joined(separator: "\n") + "\nnot json\n")
        let r = try cli.logdash(["ingest", "--no-follow", file, "--query", "SELECT level, count(*) FROM logs GROUP BY level ORDER BY level",
                                 "--query", "SELECT sum(lines), sum(parse_failures) FROM internal_metrics", "--output", "csv"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "level,count\nerror,100\ninfo,400\n,1\nsum,sum\n501,1\n")
        #expect(r.err.contains("stopped: 501 lines"))
    }

    @Test func pipedLinesAreReadWhenNoSourceIsNamed() throws {
        let r = try cli.logdash(["ingest", "--no-follow", "--query", "SELECT count(*) n, sum(a) s FROM logs", "-o", "csv"],
                                stdin: "a=1 m=x\na=2 m=y\na=3 m=z\n")
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "n,s\n3,6\n")
    }

    /// SIGTERM stops the listeners, stores what was accepted, and runs the query over it.
    @Test func sigtermStoresWhatWasAcceptedBeforeExiting() throws {
        let dir = try Scratch.directory("ingest")
        let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
        let p = try Spawned(CommandLineTests.binary, ["ingest", "tcp://:0", "--stats-interval", "100ms", "--query",
                                                      "SELECT count(*) AS n, count(DISTINCT i) AS d FROM logs", "--output", "csv"],
                            stdout: outURL.path, stderr: errURL.path, environment: ["XDG_CONFIG_HOME": dir.path, "XDG_DATA_HOME": dir.path, "PATH": "/usr/bin:/bin"])
        var port: Int?
        for _ in 0..<200 where port == nil {
            Thread.sleep(forTimeInterval: 0.05)
            let err = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            if let r = err.range(of: "listening on tcp://127.0.0.1:") {
                port = Int(err[r.upperBound...].prefix { $0.isNumber })
            }
        }
        guard let port else { p.signal(SIGKILL); p.wait(); Issue.record("no listening line"); return }
        let lines = (0..<20000).map { "{\"i\":\($0)}\n" }.joined()
        let curl = try send(lines, port: port)
        #expect(curl)
        // Accepted: the stats line counts them all (what the kernel still holds is not accepted yet).
        for _ in 0..<200 {
            if ((try? String(contentsOf: errURL, encoding: .utf8)) ?? "").contains("total 20000 lines") { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        p.signal(SIGTERM)
        #expect(p.wait() == 0)
        #expect(try String(contentsOf: outURL, encoding: .utf8) == "n,d\n20000,20000\n")
    }

    /// Sends text to a loopback TCP port with bash's /dev/tcp (a client outside this process).
    private func send(_ text: String, port: Int) throws -> Bool {
        let file = try cli.temp("lines", text)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "cat \(file) > /dev/tcp/127.0.0.1/\(port)"]
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    @Test func badIngestOptionsAreUsageErrorsThatNameTheOption() throws {
        let cases: [([String], String)] = [
            (["ingest", "--buffer-size", "lots", "x.log"], "--buffer-size 'lots' is not a size"),
            (["ingest", "--buffer-interval", "soon", "x.log"], "--buffer-interval 'soon' is not a duration"),
            (["ingest", "--allow", "10.0.0.0/99", "tcp://:0"], "the prefix length must be 0–32"),
            (["ingest", "--no-follow", "tcp://:0"], "a listener has no end to read to"),
            (["ingest", "ftp://host/x"], "unknown scheme 'ftp'"),
            (["ingest", "tcp://:99999"], "'99999' is not a port number"),
            (["ingest", "--tls-cert", "c.pem", "tcp+tls://:0"], "--tls-cert and --tls-key go together"),
            (["ingest", "syslog+tls://:0"], "a TLS listener needs --tls-cert FILE and --tls-key FILE"),
            (["ingest", "--fsync", "sometimes", "--store", "/tmp/logdash-no-store", "x.log"], "--fsync 'sometimes' is not always, interval or never"),
            (["ingest", "--no-follow", "--retain", "7d", "x.log"], "--fsync, --retain and --max-store-size need --store DIR"),
            (["ingest", "--store", "/tmp/logdash-no-store", "--no-store", "x.log"], "--store and --no-store contradict each other"),
        ]
        for (args, message) in cases {
            let r = try cli.logdash(args)
            #expect(r.status != 0, "\(args)")
            #expect(r.err.contains(message), "\(args): \(r.err)")
        }
    }

    @Test func aPortInUseIsAClearError() throws {
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, len) } }
        _ = listen(holder, 1)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(holder, $0, &len) } }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        let r = try cli.logdash(["ingest", "tcp://127.0.0.1:\(port)"])
        #expect(r.status == 1)
        #expect(r.err.contains("tcp://127.0.0.1:\(port): cannot listen"), "\(r.err)")
        #expect(r.err.contains("Address already in use"), "\(r.err)")
    }

    @Test func configIngestKeysApplyAndBadOnesNameTheKey() throws {
        let good = try cli.temp("config.yaml", "ingest:\n  buffer_size: 64k\n  buffer_interval: 5ms\n  max_connections: 3\n")
        let file = try cli.temp("a.log", "a=1 m=x\n")
        let r = try cli.logdash(["ingest", "--config", good, "--no-follow", file, "--query", "SELECT a FROM logs", "--output", "csv"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "a\n1\n")
        let bad = try cli.temp("config.yaml", "ingest:\n  buffer_size: 64k\n  buffer_intervl: 5ms\n")
        let b = try cli.logdash(["ingest", "--config", bad, "--no-follow", file])
        #expect(b.status != 0)
        #expect(b.err.contains("ingest.buffer_intervl"), "\(b.err)")
        #expect(b.err.contains("config.yaml:3:"), "\(b.err)")
    }
}
