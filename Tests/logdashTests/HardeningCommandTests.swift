import Foundation
import Testing
import Scratch

/// A `logdash ingest` started for a test: its listeners' ports read from its stderr.
struct IngestServer {
    let process: Spawned
    let dir: URL
    let errURL: URL, outURL: URL

    init(_ args: [String], name: String = "server", env: [String: String] = [:]) throws {
        dir = try Scratch.directory(name)
        errURL = dir.appendingPathComponent("err")
        outURL = dir.appendingPathComponent("out")
        process = try Spawned(CommandLineTests.binary, ["ingest"] + args, stdout: outURL.path, stderr: errURL.path,
                              environment: ["XDG_CONFIG_HOME": dir.path, "XDG_DATA_HOME": dir.path, "XDG_CACHE_HOME": dir.path, "PATH": "/usr/bin:/bin",
                                             "AWS_EC2_METADATA_DISABLED": "true"]
                                .merging(env) { $1 })
    }

    var err: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }
    var out: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }

    /// Waits (≤ 10 s) until stderr satisfies `condition`.
    @discardableResult
    func wait(for condition: (String) -> Bool) -> Bool {
        for _ in 0..<200 {
            if condition(err) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition(err)
    }

    /// The port of the listener whose URL starts with `prefix` ("tcp://127.0.0.1:").
    func port(_ prefix: String) -> Int? {
        guard wait(for: { $0.contains("listening on " + prefix) }) else { return nil }
        guard let r = err.range(of: "listening on " + prefix) else { return nil }
        return Int(err[r.upperBound...].prefix { $0.isNumber })
    }

    /// SIGTERM, then the exit status.
    func stop() -> Int32 {
        process.signal(SIGTERM)
        return process.wait()
    }
}

/// What a hostile or careless client sends does not stop `logdash ingest`, and what it loses is
/// counted where the user looks.
@Suite struct HardeningCommandTests {
    let cli = CommandLineTests()
    static let deepLine = String(repeating: #"{"a":"#, count: 30_000) + "1" + String(repeating: "}", count: 30_000)

    /// The line that crashed every parser path (and a followed file's every restart) is stored
    /// from each kind of source, and the lines after it too.
    @Test func aLineNested30000DeepIsStoredFromTCPHTTPAndAFollowedFile() throws {
        let dir = try Scratch.directory("deep")
        let file = dir.appendingPathComponent("app.log")
        try "{\"msg\":\"first\"}\n".write(to: file, atomically: true, encoding: .utf8)
        let server = try IngestServer(["tcp://127.0.0.1:0", "http://127.0.0.1:0", file.path, "--stats-interval", "100ms",
                                       "--query", "SELECT source, count(*) n, count_if(raw LIKE '{\"a\":{\"a\":%') FROM logs GROUP BY source ORDER BY source", "-o", "csv"])
        guard let tcp = server.port("tcp://127.0.0.1:"), let http = server.port("http://127.0.0.1:") else {
            server.process.signal(SIGKILL); server.process.wait()
            Issue.record("no listening lines: \(server.err)")
            return
        }
        let body = try cli.temp("deep-body", Self.deepLine + "\n{\"msg\":\"after\"}\n")
        // bash's /dev/tcp, curl and an append by another process: clients outside this one.
        let script = try cli.temp("send.sh", "cat '\(body)' > /dev/tcp/127.0.0.1/\(tcp) && curl -s --data-binary @'\(body)' http://127.0.0.1:\(http)/ingest"
                                  + " && cat '\(body)' >> '\(file.path)'\n")
        let sent = try cli.logdash(["-c", "bash '\(script)'"], shell: true)
        #expect(sent.status == 0 && sent.out.contains("\"accepted\":2"), "\(sent.out) \(sent.err)")
        #expect(server.wait { $0.contains("total 7 lines") }, "\(server.err)")
        #expect(server.stop() == 0)
        let rows = server.out.split(separator: "\n").dropFirst().map { $0.split(separator: ",").dropFirst().joined(separator: ",") }
        #expect(rows == ["3,1", "2,1", "2,1"], "\(server.out) \(server.err.suffix(500))")
    }

    /// Careless invocations get a clear answer at once: a directory is no source (it was waited
    /// for "to appear"), record sizes take suffixes, and TLS files with no TLS listener are said
    /// to be unused.
    @Test func carelessInvocationsAreAnsweredAtOnce() throws {
        let dir = try Scratch.directory("careless")
        let directory = try cli.logdash(["ingest", "--no-store", "--no-follow", dir.path + "/"])
        #expect(directory.status == 1 && directory.err.contains("is a directory; name the files in it, e.g. '\(dir.path)/*.log'"), "\(directory.err)")
        let file = try cli.temp("big.log", "{\"msg\":\"" + String(repeating: "x", count: 5000) + "\"}\n")
        let cut = try cli.logdash(["query", "--max-record-bytes", "4k", "SELECT count(*) FROM errors", file, "-o", "csv"])
        #expect(cut.status == 0 && cut.out == "count\n1\n", "\(cut.out) \(cut.err)")
        let whole = try cli.logdash(["query", "--max-record-bytes", "1M", "SELECT length(message) FROM logs", file, "-o", "csv"])
        #expect(whole.out == "length\n5000\n", "\(whole.err)")
        let bad = try cli.logdash(["query", "--max-record-bytes", "10", "SELECT 1", file])
        #expect(bad.status != 0 && bad.err.contains("must be a size from 64 bytes to 1G"))
        let tls = try cli.logdash(["ingest", "--no-store", "--no-follow", "--stats-interval", "0", "--tls-cert", "c.pem", "--tls-key", "k.pem", file])
        #expect(tls.status == 0 && tls.err.contains("--tls-cert and --tls-key are not used"), "\(tls.err)")
        // A file the user cannot read: said, the readable one still read, and the run exits 1
        // (as an unprivileged user: root reads a mode-000 file).
        let locked = try cli.temp("locked.log", "{\"n\":1}\n")
        chmod(locked, 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: URL(fileURLWithPath: locked).deletingLastPathComponent().path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        let unreadable = try cli.logdash(["-c", "setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp '\(CommandLineTests.binary)' "
                                          + "ingest --no-store --no-follow --stats-interval 0 '\(locked)' '\(file)' --query 'SELECT count(*) FROM logs' -o csv"], shell: true)
        #expect(unreadable.status == 1 && unreadable.err.contains("locked.log: cannot be read: Permission denied"), "\(unreadable.err)")
        #expect(unreadable.out == "count\n1\n", "\(unreadable.out)")
    }

    /// A query past `--max-query-memory` (or the config's `query.max_memory`) stops with an
    /// error saying so; within it the answer comes.
    @Test func aQueryPastItsMemoryLimitIsRefusedWithTheFlagAndTheConfigKey() throws {
        let lines = (0..<30_000).map { #"{"ts":"2026-11-27T14:00:00Z","path":"/api/items/\#($0)","msg":"request \#($0) handled in the pool"}"# }
        let file = try cli.temp("many.json", lines.joined(separator: "\n") + "\n")
        let sql = "SELECT count(*) FROM (SELECT * FROM logs UNION ALL SELECT * FROM logs)"
        let refused = try cli.logdash(["query", "--max-query-memory", "2M", sql, file])
        #expect(refused.status == 1 && refused.err.contains("needs more than its memory limit of 2.0 MB (--max-query-memory, config key query.max_memory)"),
                "\(refused.status) \(refused.err)")
        let config = try cli.temp("memory.yaml", "query:\n  max_memory: 2M\n")
        let configured = try cli.logdash(["query", "--config", config, sql, file])
        #expect(configured.status == 1 && configured.err.contains("memory limit of 2.0 MB"), "\(configured.err)")
        let answered = try cli.logdash(["query", "--config", config, "--max-query-memory", "1G", sql, file, "-o", "csv"])
        #expect(answered.status == 0 && answered.out == "count\n60000\n", "\(answered.out) \(answered.err)")
        let bad = try cli.logdash(["query", "--max-query-memory", "10", "SELECT 1", file])
        #expect(bad.status != 0 && bad.err.contains("--max-query-memory '10' must be a size of at least 1M"), "\(bad.err)")
        let budget = try cli.logdash(["ingest", "--no-store", "--no-follow", "--max-memory", "10", file])
        #expect(budget.status != 0 && budget.err.contains("--max-memory '10' must be a size of at least 1M"), "\(budget.err)")
        // Within a budget (records past it spill), every record is still queried.
        let spilled = try cli.logdash(["ingest", "--no-store", "--no-follow", "--stats-interval", "0", "--max-memory", "1M", file,
                                       "--query", "SELECT count(*), count(DISTINCT path) FROM logs", "-o", "csv"])
        #expect(spilled.status == 0 && spilled.out == "count,count\n30000,30000\n", "\(spilled.out) \(spilled.err)")
    }

    /// A FIFO or a process substitution is read once to its end, as standard input is (it was
    /// opened three times — the first open took the writer — so `cat` waited for ever and
    /// `ingest` waited for it "to appear").
    @Test func pipesNamedAsSourcesAreReadToTheirEnd() throws {
        let dir = try Scratch.directory("fifo")
        let script = try cli.temp("fifo.sh", """
            cd '\(dir.path)'
            mkfifo a b
            timeout 10 '\(CommandLineTests.binary)' cat -o logfmt a > cat.out & c=$!
            printf '{"n":1}\\n{"n":2}\\n' > a; wait $c || echo "cat failed $?"
            timeout 10 '\(CommandLineTests.binary)' ingest --no-store --no-follow --stats-interval 0 b --query 'SELECT sum(n) FROM logs' -o csv > ingest.out & i=$!
            printf '{"n":3}\\n{"n":4}\\n' > b; wait $i || echo "ingest failed $?"
            timeout 10 '\(CommandLineTests.binary)' query 'SELECT count(*) FROM logs' -o csv <(printf '{"n":5}\\n{"n":6}\\n{"n":7}\\n') || echo "query failed $?"
            cat cat.out ingest.out
            """)
        let r = try cli.logdash(["-c", "bash '\(script)'"], shell: true)
        #expect(!r.out.contains("failed"), "\(r.out) \(r.err)")
        #expect(r.out.contains("count\n3\n") && r.out.contains("sum\n7\n"), "\(r.out)")
        #expect(r.out.components(separatedBy: "n=").count == 3, "two records from cat: \(r.out)")
    }

    /// On a terminal, CSV shows control and escape characters from the logs visibly, as the
    /// table does; piped, the bytes stay as they are (`script` gives the command a terminal).
    @Test func csvOnATerminalShowsEscapesVisibly() throws {
        let file = try cli.temp("esc.json", "{\"m\":\"red \\u001b[31mX \\u202e rtl\"}\n")
        let command = "'\(CommandLineTests.binary)' query -o csv 'SELECT m FROM logs' '\(file)'"
        let tty = try cli.logdash(["-c", "script -qc \"\(command)\" /dev/null"], shell: true)
        #expect(!tty.out.contains("\u{1B}") && !tty.out.contains("\u{202E}"), "\(tty.out.debugDescription)")
        #expect(tty.out.contains("<U+202E>"), "\(tty.out.debugDescription)")
        let piped = try cli.logdash(["-c", command], shell: true)
        #expect(piped.out.contains("\u{1B}[31m") && piped.out.contains("\u{202E}"))
    }
}
