import Foundation
import Testing
import Scratch

/// Every `$ logdash …` example of the README that reads files (cat, inspect, query, export,
/// render) runs as written, in a directory that holds the files it names (generated logs), and
/// succeeds — or, where the README shows an error, fails with exactly that message (issue 23,
/// item 4: "make every README example a test").
@Suite struct ReadmeExamplesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Example {
        let command: String
        /// What the README shows after it, up to the next command or the block's end.
        let shown: [String]
        let line: Int
    }

    /// The examples, from the README's code blocks.
    static func examples() throws -> [Example] {
        let lines = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var out: [Example] = []
        var inBlock = false
        var current: (String, [String], Int)?
        func flush() {
            if let c = current { out.append(Example(command: c.0, shown: c.1, line: c.2)) }
            current = nil
        }
        for (k, raw) in lines.enumerated() {
            let line = String(raw)
            if line.hasPrefix("```") {
                flush()
                inBlock.toggle()
                continue
            }
            guard inBlock else { continue }
            if line.hasPrefix("$ ") {
                flush()
                let words = line.dropFirst(2).split(separator: " ")
                if words.first == "logdash", let sub = words.dropFirst().first, ["cat", "inspect", "query", "export", "render"].contains(sub) {
                    current = (String(line.dropFirst(2)), [], k + 1)
                }
            } else if current != nil {
                current!.1.append(line)
            }
        }
        return out
    }

    @Test func everyReadmeExampleThatReadsFilesRunsAsShown() throws {
        let examples = try Self.examples()
        #expect(examples.count >= 12, "the README's examples were not found")
        let dir = try Scratch.directory("readme")
        let gen = Self.root.deletingLastPathComponent().appendingPathComponent("shared/bench/gen_logs.py").path
        // The files the examples name, under the names they use.
        let setup = """
            set -e
            python3 '\(gen)' --format json --lines 3000 --seed 1 > app.log
            cp app.log app.json.log
            mkdir -p logs app nginx
            gzip -c app.log > logs/a.json.gz
            cp app.log app/one.json
            python3 '\(gen)' --format combined --lines 3000 --seed 1 > nginx/access.log
            gzip -c nginx/access.log > nginx/access.log.gz
            echo "SELECT path, avg(latency_ms) slow FROM logs GROUP BY path ORDER BY slow DESC LIMIT 5" > slow-paths.sql
            cat > steps.yaml <<'STEPS'
            - where: "status <> 200"
            - mask: { kinds: [email] }
            - set: { region: "split_part(host, '-')" }
            STEPS
            '\(CommandLineTests.binary)' ingest --no-follow --store store app.log > /dev/null 2>&1
            """
        #expect(try Self.shell(setup, in: dir).status == 0)
        let paths = [("/var/log/nginx/", "nginx/"), ("/var/log/app/*.json", "app/*.json"), ("/srv/archive", "archive"), ("/var/lib/logdash", "store")]
        // Examples with a bucket (s3://my-logs/…) write to an S3-compatible server on loopback.
        var moto: MotoServer?
        if examples.contains(where: { $0.command.contains("s3://my-logs") }) {
            moto = try MotoServer()
            _ = try moto!.boto3("s3.create_bucket(Bucket='my-logs')")
            // The fleet section reads what agents delivered: an archive of the generated logs.
            let fleet = try Self.shell("'\(CommandLineTests.binary)' export app.log --to s3://my-logs/fleet", in: dir, environment: moto!.environment)
            #expect(fleet.status == 0, "\(fleet.err)")
        }
        defer { moto?.stop() }
        for e in examples {
            let command = paths.reduce(e.command) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
            let r = try Self.shell(command.replacingOccurrences(of: "logdash ", with: "'\(CommandLineTests.binary)' "), in: dir,
                                   environment: moto?.environment ?? [:])
            // What the README shows on stderr is what is said, line for line (its paths as the
            // README names them, its counts of other data as any number).
            let shownErr = Array(e.shown.drop { !$0.hasPrefix("logdash: ") }.prefix { !$0.isEmpty })
            if shownErr.isEmpty {
                #expect(r.status == 0, "README line \(e.line): \(e.command)\n\(r.err)")
            } else {
                func counts(_ s: String) -> String { s.replacingOccurrences(of: "[0-9]+", with: "N", options: .regularExpression) }
                let said = r.err.split(separator: "\n").map { line in counts(paths.reduce(String(line)) { $0.replacingOccurrences(of: $1.1, with: $1.0) }) }
                #expect(said == shownErr.map(counts), "README line \(e.line): \(e.command)")
            }
        }
    }

    /// The statements of the README's ```sql blocks: each comment line starts a new one.
    static func sqlExamples() throws -> [(sql: String, line: Int)] {
        let lines = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var out: [(String, Int)] = []
        var inBlock = false
        var current: (String, Int)?
        func flush() {
            if let c = current, !c.0.isEmpty { out.append(c) }
            current = nil
        }
        for (k, raw) in lines.enumerated() {
            let line = String(raw)
            if line.hasPrefix("```") {
                flush()
                inBlock = line == "```sql"
                continue
            }
            guard inBlock else { continue }
            if line.hasPrefix("--") { flush(); continue }
            if current == nil { current = ("", k + 1) }
            current!.0 += (current!.0.isEmpty ? "" : " ") + line
        }
        return out
    }

    @Test func everyReadmeSQLExampleRunsOnGeneratedLogs() throws {
        let examples = try Self.sqlExamples()
        #expect(examples.count >= 6, "the README's SQL examples were not found")
        let dir = try Scratch.directory("readme-sql")
        let gen = Self.root.deletingLastPathComponent().appendingPathComponent("shared/bench/gen_logs.py").path
        #expect(try Self.shell("python3 '\(gen)' --format json --lines 3000 --seed 1 > app.log", in: dir).status == 0)
        for e in examples {
            let quoted = "'" + e.sql.replacingOccurrences(of: "'", with: "'\\''") + "'"
            let r = try Self.shell("'\(CommandLineTests.binary)' query \(quoted) app.log", in: dir)
            #expect(r.status == 0 && r.out.contains("row"), "README line \(e.line): \(e.sql)\n\(r.err)")
        }
    }

    /// The README's YAML blocks that hold a `transforms:` list (the Transforms section's and the
    /// config file's) run on generated logs without a problem.
    @Test func theReadmesTransformListsRunOnGeneratedLogs() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = readme.components(separatedBy: "```yaml\n").dropFirst().map { $0.components(separatedBy: "\n```")[0] }
            .filter { $0.contains("transforms:") }
        #expect(blocks.count >= 2)
        let dir = try Scratch.directory("readme-transforms")
        let gen = Self.root.deletingLastPathComponent().appendingPathComponent("shared/bench/gen_logs.py").path
        #expect(try Self.shell("python3 '\(gen)' --format json --lines 3000 --seed 1 > app.log", in: dir).status == 0)
        // A users table with every user the data has.
        let users = try Self.shell("'\(CommandLineTests.binary)' query -o csv \"SELECT DISTINCT user, 'core' AS team, 1 AS tier FROM logs\" app.log > users.csv", in: dir)
        #expect(users.status == 0, "\(users.err)")
        for (k, block) in blocks.enumerated() {
            // Only the transforms: of a whole config (its other keys name files this test lacks).
            let list = "transforms:" + block.components(separatedBy: "transforms:")[1].components(separatedBy: "\n").prefix { !$0.hasPrefix("query:") && !$0.hasPrefix("dashboard:") }.joined(separator: "\n")
            try list.write(to: dir.appendingPathComponent("t\(k).yaml"), atomically: true, encoding: .utf8)
            let r = try Self.shell("'\(CommandLineTests.binary)' query --transform t\(k).yaml --lookup users=users.csv -o csv 'SELECT (SELECT count(*) FROM logs) n, count(*) e FROM errors' app.log", in: dir)
            #expect(r.status == 0, "block \(k):\n\(list)\n\(r.err)")
            #expect(r.out.hasPrefix("n,e\n") && r.out.hasSuffix(",0\n"), "block \(k): \(r.out)")
        }
    }

    /// The configs of the fleet and service sections (each a block that starts by naming its
    /// file under /etc/logdash: the agents', the central node's) pass `logdash check`.
    @Test func theReadmesAgentAndCentralConfigsPassCheck() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let configs = readme.components(separatedBy: "```yaml\n").dropFirst().map { $0.components(separatedBy: "\n```")[0] }
            .filter { $0.hasPrefix("# /etc/logdash/") }
        let names = configs.map { String($0.dropFirst("# /etc/logdash/".count).prefix { $0 != " " }) }
        #expect(Set(names).isSuperset(of: ["agent.yaml", "agent-central.yaml", "central.yaml"]), "\(names)")
        let dir = try Scratch.directory("readme-agent")
        // The files they name under /etc/logdash, in the test's directory: a private CA and the central's certificate.
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        for args in [["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("fleet-ca.key"), "-out", path("fleet-ca.pem"), "-days", "2", "-subj", "/CN=fleet-ca"],
                     ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("central.key"), "-out", path("central.pem"), "-days", "2", "-subj", "/CN=logs.internal"]] {
            #expect(try Spawned("/usr/bin/openssl", args).wait() == 0)
        }
        for (name, config) in zip(names, configs) {
            try config.replacingOccurrences(of: "/etc/logdash/", with: dir.path + "/").write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
            let r = try Self.shell("'\(CommandLineTests.binary)' check \(name)", in: dir)
            #expect(r.status == 0 && r.out.contains("ok"), "\(name): \(r.out) \(r.err)")
        }
    }

    /// The systemd unit in contrib/ passes `systemd-analyze verify` (with the built binary in
    /// its ExecStart's place: verify wants the program to exist) and keeps its sandbox
    /// (`systemd-analyze security` rates it "OK" or better); a broken copy is caught.
    @Test func theSystemdUnitVerifiesAndStaysSandboxed() throws {
        let unit = try String(contentsOf: Self.root.appendingPathComponent("contrib/logdash.service"), encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/logdash ingest --config ${LOGDASH_CONFIG}"))
        let analyze = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: analyze) else {
            Issue.record("systemd-analyze is missing (Debian's systemd; .ci/run installs it)")
            return
        }
        let dir = try Scratch.directory("systemd-unit")
        func verify(_ text: String) throws -> (status: Int32, out: String, err: String) {
            try text.replacingOccurrences(of: "/usr/local/bin/logdash", with: CommandLineTests.binary)
                .write(to: dir.appendingPathComponent("logdash.service"), atomically: true, encoding: .utf8)
            return try Self.shell("\(analyze) verify ./logdash.service", in: dir)
        }
        let r = try verify(unit)
        #expect(r.status == 0 && r.err.isEmpty && r.out.isEmpty, "\(r.out) \(r.err)")
        let broken = try verify(unit.replacingOccurrences(of: "ProtectSystem=strict", with: "ProtectSystem=strictest"))
        #expect(broken.err.contains("strictest"), "\(broken.err)")
        // Exposure on systemd's 0–100 scale (shown as 0.0–10.0): 30 is the top of "OK". The
        // unit without its sandbox lines is rated far above.
        func exposureWithin30(_ text: String) throws -> Bool {
            _ = try verify(text)
            return try Self.shell("\(analyze) security --offline=yes --threshold=30 ./logdash.service", in: dir).status == 0
        }
        #expect(try exposureWithin30(unit))
        let unsandboxed = unit.components(separatedBy: "\n").filter { !$0.hasPrefix("Protect") && !$0.hasPrefix("Restrict") && !$0.hasPrefix("SystemCall")
            && !$0.hasPrefix("Private") && !$0.hasPrefix("DynamicUser") && !$0.hasPrefix("CapabilityBoundingSet") && !$0.hasPrefix("NoNewPrivileges") }
        #expect(try !exposureWithin30(unsandboxed.joined(separator: "\n")))
    }

    static func shell(_ script: String, in dir: URL, environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        let out = dir.appendingPathComponent(".out"), err = dir.appendingPathComponent(".err")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "(\n" + script + "\n) > .out 2> .err"]
        p.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env["XDG_CONFIG_HOME"] = dir.path
        env["XDG_DATA_HOME"] = dir.path
        env["XDG_CACHE_HOME"] = dir.path
        env["TZ"] = "UTC"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "", (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
