import CZstd
import Foundation
import LogdashEngine
import Testing
import Scratch

/// The transform stage from the command line (issue 25): `--transform FILE` and `transforms:`
/// on ingest, query, cat and export; a masked value never reaches the store's files.
@Suite struct TransformCommandTests {
    let cli = CommandLineTests()

    /// A query's CSV over a store.
    func stored(_ store: String, _ sql: String) throws -> String {
        let r = try cli.logdash(["query", "--store", store, "-o", "csv", sql])
        #expect(r.status == 0, "\(r.err)")
        return r.out
    }

    static let secrets = ["ann.lee@example.com", "4242424242424242", "4242 4242 4242 4242", "AKIAIOSFODNN7EXAMPLE", "10.9.8.7",
                          "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl"]

    /// Records with secrets in every place a line can hold one: a JSON field, a JSON number,
    /// the message, a line no format fits, a health check to drop; `n` of each, numbered.
    static func lines(_ n: Int) -> String {
        (0..<n).map { i in
            [#"{"seq":\#(4 * i),"level":"info","path":"/api","user":"ann.lee@example.com","card":4242424242424242,"msg":"login from 10.9.8.7"}"#,
             #"{"seq":\#(4 * i + 1),"level":"warn","path":"/api","msg":"paid with 4242 4242 4242 4242 key AKIAIOSFODNN7EXAMPLE token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl"}"#,
             #"{"seq":\#(4 * i + 2),"level":"info","path":"/health","status":200,"msg":"ok"}"#,
             "seq=\(4 * i + 3) garbage line for ann.lee@example.com that no format fits \u{1}"].joined(separator: "\n") + "\n"
        }.joined()
    }

    static let steps = """
        transforms:
          - where: "path IS NULL OR path <> '/health'"
          - mask: { with: redact }
        """

    /// Every byte of every file under `dir`, with each zstd frame in them also decompressed.
    static func allBytes(_ dir: String) throws -> [UInt8] {
        var out: [UInt8] = []
        for case let name as String in FileManager.default.enumerator(atPath: dir)! {
            guard let data = FileManager.default.contents(atPath: dir + "/" + name) else { continue }
            let bytes = [UInt8](data)
            out += bytes
            bytes.withUnsafeBufferPointer { b in
                var i = 0
                while i + 4 <= b.count {
                    defer { i += 1 }
                    guard b[i] == 0x28, b[i + 1] == 0xB5, b[i + 2] == 0x2F, b[i + 3] == 0xFD else { continue }
                    let size = ZSTD_getFrameContentSize(b.baseAddress! + i, b.count - i)
                    guard size < 1 << 30 else { continue }
                    var dst = [UInt8](repeating: 0, count: Int(size))
                    let n = dst.withUnsafeMutableBufferPointer { ZSTD_decompress($0.baseAddress, Int(size), b.baseAddress! + i, ZSTD_findFrameCompressedSize(b.baseAddress! + i, b.count - i)) }
                    if ZSTD_isError(n) == 0 { out += dst.prefix(n) }
                }
            }
        }
        return out
    }

    static func contains(_ hay: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard hay.count >= n.count else { return false }
        return hay.withUnsafeBufferPointer { h in (0...(h.count - n.count)).contains { i in memcmp(h.baseAddress! + i, n, n.count) == 0 } }
    }

    @Test func ingestWithMaskingLeavesNoSecretInTheStoresFilesAndWithoutItTheScanFindsThem() throws {
        let dir = try Scratch.directory("mask-store")
        let file = dir.appendingPathComponent("app.log").path
        try Self.lines(500).write(toFile: file, atomically: true, encoding: .utf8)
        let config = try cli.temp("config.yaml", Self.steps)
        let masked = dir.appendingPathComponent("masked").path, plain = dir.appendingPathComponent("plain").path
        // Standard input goes through the write-ahead log before segments; a file straight to segments.
        let a = try cli.logdash(["-c", "exec '\(CommandLineTests.binary)' ingest --no-follow --stats-interval 0 --config '\(config)' --store '\(masked)' - < '\(file)'"], shell: true)
        #expect(a.status == 0, "\(a.err)")
        let b = try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", "--config", config, "--store", masked, file])
        #expect(b.status == 0, "\(b.err)")
        let c = try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", "--store", plain, file])
        #expect(c.status == 0, "\(c.err)")
        let maskedBytes = try Self.allBytes(masked), plainBytes = try Self.allBytes(plain)
        for s in Self.secrets {
            #expect(!Self.contains(maskedBytes, s), "\(s) is in the masked store's files")
            #expect(Self.contains(plainBytes, s), "the scan does not see \(s) in the unmasked store")
        }
        // Read back: the health checks are gone, every other record is there (twice: stdin and
        // the file; the lines no format fits among them), masked.
        #expect(try stored(masked, "SELECT count(*) n, count(DISTINCT seq) d FROM logs") == "n,d\n3000,1000\n")
        let errors = try stored(masked, "SELECT count(*) n, min(raw) r FROM errors")
        #expect(errors.hasPrefix("n,r\n1000,seq=") && errors.contains("<email>"), "\(errors)")
        let export = dir.appendingPathComponent("export").path
        #expect(try cli.logdash(["export", "--store", masked, "--to", export]).status == 0)
        let exported = try Self.allBytes(export)
        for s in Self.secrets { #expect(!Self.contains(exported + Array(errors.utf8), s)) }
    }

    /// Killed with SIGKILL while ingesting with transforms, restarted: the store holds the
    /// transformed input exactly once.
    @Test func killedAndRestartedTheStoreHoldsTheTransformedRecordsExactlyOnce() throws {
        let dir = try Scratch.directory("mask-crash")
        let file = dir.appendingPathComponent("app.log").path
        let store = dir.appendingPathComponent("store").path
        let config = try cli.temp("crash.yaml", Self.steps)
        try Self.lines(20000).write(toFile: file, atomically: true, encoding: .utf8)
        for (round, wait) in [0.2, 0.5, 0.9].enumerated() {
            let p = try Spawned(CommandLineTests.binary, ["ingest", "--stats-interval", "0", "--config", config, "--store", store, file],
                                stderr: dir.appendingPathComponent("err-\(round)").path,
                                environment: ["XDG_CONFIG_HOME": dir.path, "PATH": "/usr/bin:/bin"])
            Thread.sleep(forTimeInterval: wait)
            p.signal(SIGKILL)
            #expect(p.wait() == 128 + SIGKILL)
        }
        let last = try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", "--config", config, "--store", store, file])
        #expect(last.status == 0, "\(last.err)")
        #expect(try stored(store, "SELECT count(*) n, count(DISTINCT seq) d, count_if(path = '/health') h, count_if(message LIKE '%example.com%') m FROM logs") == "n,d,h,m\n60000,40000,0,0\n")  // (20000 of them lines no format fits)
        #expect(try stored(store, "SELECT count(*) n, count(DISTINCT raw) d FROM errors") == "n,d\n20000,20000\n")
    }

    @Test func checkAgainstDataNamesTheStepAndKeyOfEachFieldNoRecordHas() throws {
        let data = try cli.temp("check.log", Self.lines(5))
        let steps = try cli.temp("check-steps.yaml", """
            - where: "paht <> '/health'"
            - set: { area: "split_part(path, '/', 2)" }
            - rename: { area: zone }
            - set: { x: "upper(area)", y: "lower(zone)" }
            - drop: [cardd]
            """)
        let r = try cli.logdash(["check", steps, "--against", data])
        #expect(r.status == 1)
        #expect(r.err == """
            logdash: \(steps): step 1 (where): unknown column 'paht'
            logdash: \(steps): step 4 (set).x: unknown column 'area'
            logdash: \(steps): step 5 (drop).drop: unknown column 'cardd'; did you mean 'card'?
            3 problems found

            """, "\(r.err)")
        let fine = try cli.temp("fine-steps.yaml", "- set: { area: \"split_part(path, '/', 2)\" }\n")
        let ok = try cli.logdash(["check", fine, "--against", data])
        #expect(ok.status == 0 && ok.out == "\(fine): ok: 1 transform step\n", "\(ok.out) \(ok.err)")
    }

    /// `parse … as: FORMAT` names any format the config or a definition file defines; an
    /// unknown name is refused by `check` and at start, naming the step.
    @Test func parseAsAFormatKnowsTheConfigsFormatsAndRefusesUnknownNames() throws {
        let config = try cli.temp("fmt-config.yaml", #"""
            formats:
              deploy:
                regex: '^deploy (?<app>\S+) v(?<version>\S+) by (?<who>\S+)$'
            transforms:
              - parse: { field: detail, as: deploy }
            """#)
        let log = try cli.temp("fmt.log", #"""
            {"ts":"2026-11-27T14:00:00Z","msg":"released","detail":"deploy cart v2.1.0 by ann"}
            {"ts":"2026-11-27T14:00:01Z","msg":"other","detail":"nothing to see"}

            """#)
        let r = try cli.logdash(["query", "--config", config, "-o", "csv", "SELECT message, app, version, who FROM logs ORDER BY ts", log])
        #expect(r.status == 0 && r.out == "message,app,version,who\nreleased,cart,2.1.0,ann\nother,,,\n", "\(r.out) \(r.err)")
        #expect(try cli.logdash(["check", config]).status == 0)

        let steps = try cli.temp("fmt-steps.yaml", "- parse: { field: detail, as: deploy }\n")
        let bad = try cli.logdash(["check", steps])
        #expect(bad.status == 1 && bad.err.contains("parse.as") && bad.err.contains("no format 'deploy'"), "\(bad.err)")
        let refused = try cli.logdash(["query", "--transform", steps, "SELECT count(*) FROM logs", log])
        #expect(refused.status == 1 && refused.err.contains("no format 'deploy'"), "\(refused.err)")
    }

    /// A step's `sources:` matches a file named relative to the working directory by its
    /// absolute path too: a mask for `app/*` masks `app.log` read from inside `app/`.
    @Test func aStepsSourcesMatchAFileNamedFromItsOwnDirectory() throws {
        let dir = try Scratch.directory("relative")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("app"), withIntermediateDirectories: true)
        try #"{"ts":"2026-11-27T14:00:00Z","msg":"from ann@example.com"}"#.appending("\n").write(to: dir.appendingPathComponent("app/app.log"), atomically: true, encoding: .utf8)
        try "- mask: { kinds: [email] }\n  sources: ['app/*']\n".write(to: dir.appendingPathComponent("ms.yaml"), atomically: true, encoding: .utf8)
        let r = try cli.logdash(["-c", "cd '\(dir.path)/app' && exec '\(CommandLineTests.binary)' cat --transform ../ms.yaml app.log"], shell: true)
        #expect(r.status == 0 && r.out.contains("<email>") && !r.out.contains("ann@example.com"), "\(r.out) \(r.err)")
    }

    /// With lookup tables given, `check` judges the lookup steps' tables and fields as the
    /// commands that run them would.
    @Test func checkWithLookupTablesNamesALookupStepsMissingColumn() throws {
        let users = try cli.temp("check-users.csv", "user,team\nann,a\n")
        let steps = try cli.temp("check-lookup.yaml", "- lookup: { table: users, key: user, fields: [nope] }\n")
        let r = try cli.logdash(["check", steps, "--lookup", "users=\(users)"])
        #expect(r.status == 1 && r.err.contains("transforms[0].lookup.fields: lookup table 'users' has no column 'nope'"), "\(r.err)")
        let fine = try cli.temp("check-lookup-ok.yaml", "- lookup: { table: users, key: user, fields: [team] }\n")
        #expect(try cli.logdash(["check", fine, "--lookup", "users=\(users)"]).status == 0)
    }

    /// `inspect` lists the fields as parsed too: their names are masked as the records' are.
    @Test func inspectShowsFieldNamesMasked() throws {
        let log = try cli.temp("names.jsonl", #"{"ts":"2026-11-27T14:00:00Z","ann@example.com":1,"10.1.2.3":2}"# + "\n")
        let steps = try cli.temp("names.yaml", "- mask: { kinds: [email, ipv4] }\n")
        for format in ["text", "json"] {
            let r = try cli.logdash(["inspect", "--transform", steps, "-o", format, log])
            #expect(r.status == 0 && !r.out.contains("ann@example.com") && !r.out.contains("10.1.2.3") && r.out.contains("<email>"), "\(r.out) \(r.err)")
        }
    }

    /// A running ingest takes new steps when their file changes or on SIGHUP, for the records
    /// that come after; a file with a problem leaves the running steps, saying why.
    @Test func ingestReloadsItsStepsOnAChangeAndOnSIGHUPAndKeepsThemOnABadFile() throws {
        let dir = try Scratch.directory("reload")
        let file = dir.appendingPathComponent("app.log").path, store = dir.appendingPathComponent("store").path
        let steps = dir.appendingPathComponent("steps.yaml").path, err = dir.appendingPathComponent("err").path
        func write(_ yaml: String) throws { try yaml.write(toFile: steps, atomically: true, encoding: .utf8) }
        func append(_ phase: String) throws {
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            h.seekToEndOfFile()
            h.write(Data((0..<5).map { #"{"phase":"\#(phase)","n":\#($0),"msg":"from ann@example.com"}"# + "\n" }.joined().utf8))
            try h.close()
        }
        try "".write(toFile: file, atomically: true, encoding: .utf8)
        try write("- set: { tag: \"'one'\" }\n")
        let p = try Spawned(CommandLineTests.binary, ["ingest", "--stats-interval", "0", "--transform", steps, "--store", store, file],
                            stderr: err, environment: ["XDG_CONFIG_HOME": dir.path, "PATH": "/usr/bin:/bin"])
        Thread.sleep(forTimeInterval: 1.5)
        try append("a")
        Thread.sleep(forTimeInterval: 1.5)
        try write("- set: { tag: \"'two'\" }\n- mask: { kinds: [email] }\n")  // a change of the file
        Thread.sleep(forTimeInterval: 2.0)
        try append("b")
        Thread.sleep(forTimeInterval: 1.5)
        try write("- set: { tag: \"'three'\" }\n- wher: \"x\"\n")  // a typo: the running steps stay
        Thread.sleep(forTimeInterval: 2.0)
        try append("c")
        Thread.sleep(forTimeInterval: 1.5)
        try write("- set: { tag: \"'four'\" }\n")
        p.signal(SIGHUP)
        Thread.sleep(forTimeInterval: 1.5)
        try append("d")
        Thread.sleep(forTimeInterval: 1.5)
        p.signal(SIGTERM)
        #expect(p.wait() == 0)
        let said = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        #expect(said.contains("transform steps reloaded from \(steps): 2 steps, for records from now on"), "\(said)")
        #expect(!said.contains("logdash: logdash:"), "\(said)")
        #expect(said.contains("steps.yaml:2: transforms[1].wher: unknown step") && said.contains("the transform steps running stay as they were"), "\(said)")
        #expect(try stored(store, "SELECT phase, tag, min(message) m, count(*) n FROM logs GROUP BY 1, 2 ORDER BY 1") == """
            phase,tag,m,n
            a,one,from ann@example.com,5
            b,two,from <email>,5
            c,two,from <email>,5
            d,four,from ann@example.com,5

            """)
    }

    @Test func internalMetricsCountEachStepsRecordsAndMaskedValues() throws {
        let file = try cli.temp("metrics.log", Self.lines(250))
        let steps = try cli.temp("metrics.yaml", Self.steps)
        let r = try cli.logdash(["ingest", "--no-follow", "--no-store", "--stats-interval", "0", "--config", steps, "-o", "csv", "--query",
                                 "SELECT source, sum(records_in) i, sum(records_out) o, sum(failed) f, sum(masked) > 0 m FROM internal_metrics WHERE component = 'transform' GROUP BY source ORDER BY source",
                                 "--query", "SELECT sum(lines) FROM internal_metrics WHERE component = 'source'",
                                 "--query", """
                                    SELECT sum(masked) = sum(\(MaskKind.allCases.map { "coalesce(CAST(json_extract_scalar(masked_kinds, '$.\($0.rawValue)') AS bigint), 0)" }.joined(separator: " + "))) by_kind,
                                           count_if(json_extract_scalar(masked_kinds, '$.email') IS NOT NULL) > 0 emails
                                    FROM internal_metrics WHERE component = 'transform'
                                    """, file])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("source,i,o,f,m\nstep 1 (where),1000,750,0,false\nstep 2 (mask),750,750,0,true\n"), "\(r.out)")
        #expect(r.out.contains("by_kind,emails\ntrue,true\n"), "\(r.out)")
    }

    /// A step that drops every record of a batch leaves nothing to store, not an empty segment.
    @Test func stepsThatDropEveryRecordLeaveAnEmptyStoreAndNoCrash() throws {
        let dir = try Scratch.directory("drop-all")
        let file = dir.appendingPathComponent("app.log").path, store = dir.appendingPathComponent("store").path
        try Self.lines(300).write(toFile: file, atomically: true, encoding: .utf8)
        let steps = try cli.temp("none.yaml", "- where: \"false\"\n")
        for args in [["ingest", "--no-follow", "--stats-interval", "0", "--transform", steps, "--store", store, file],
                     ["-c", "exec '\(CommandLineTests.binary)' ingest --no-follow --stats-interval 0 --transform '\(steps)' --store '\(store)' - < '\(file)'"]] {
            let r = try cli.logdash(args, shell: args[0] == "-c")
            #expect(r.status == 0, "\(r.err)")
        }
        #expect(try stored(store, "SELECT count(*) n FROM logs") == "n\n0\n")
    }

    @Test func catShowsTheTransformedRecordsAndQueryReadsThem() throws {
        let file = try cli.temp("few.log", Self.lines(2))
        let steps = try cli.temp("steps.yaml", """
            - where: "path <> '/health'"
            - set: { kind: "CASE WHEN level = 'warn' THEN 'payment' ELSE 'login' END" }
            - mask: { kinds: [email, credit_card], with: partial }
            - drop: [path]
            """)
        let cat = try cli.logdash(["cat", "--transform", steps, "-o", "ndjson", file])
        #expect(cat.status == 0, "\(cat.err)")
        let lines = cat.out.split(separator: "\n")
        #expect(lines.count == 6, "\(cat.out)")  // (the lines no format fits have no path: kept)
        #expect(lines[0].contains(#""message":"login from 10.9.8.7""#) && lines[0].contains(#""user":"a***@example.com""#)
                && lines[0].contains(#""card":"************4242""#) && lines[0].contains(#""kind":"login""#) && !lines[0].contains("path"), "\(lines[0])")
        #expect(lines[1].contains("paid with **** **** **** 4242"), "\(lines[1])")
        let q = try cli.logdash(["query", "--transform", steps, "-o", "csv", "SELECT kind, count(*) n FROM logs WHERE seq IS NOT NULL GROUP BY kind ORDER BY kind", file])
        #expect(q.out == "kind,n\nlogin,2\npayment,2\n", "\(q.out) \(q.err)")
    }

    /// `inspect --transform` lists the fields as parsed and, after the steps, as SQL sees them:
    /// a field a step adds is there, one it drops is not, with its type and count.
    @Test func inspectListsTheFieldsBeforeAndAfterTheTransforms() throws {
        let file = try cli.temp("few.log", Self.lines(2))
        let steps = try cli.temp("steps.yaml", """
            - where: "path <> '/health'"
            - set: { slow: "seq > 2" }
            - drop: [path]
            """)
        let r = try cli.logdash(["inspect", "--transform", steps, file])
        #expect(r.status == 0, "\(r.err)")
        let parts = r.out.components(separatedBy: "  after transforms\n")
        #expect(parts.count == 2, "\(r.out)")
        let before = parts[0], after = parts.count == 2 ? parts[1].components(separatedBy: "  transforms   ")[0] : ""
        #expect(before.contains("path ") && !before.contains("slow "), "\(before)")
        #expect(after.contains("slow                         boolean    4 (66.7% of 6)") && !after.contains("path "), "\(after)")
        let json = try cli.logdash(["inspect", "--output", "json", "--transform", steps, file])
        let o = try #require((try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]])?.first)
        #expect(o["records_after_transforms"] as? Int == 6)
        #expect((o["fields_after_transforms"] as? [[String: Any]])?.contains { $0["name"] as? String == "slow" && $0["present"] as? Int == 4 } == true)
    }

    /// Erasure: what was stored before a mask rule is masked by `purge --mask`, and a user's
    /// records deleted by `purge --where`; afterwards no byte of the store holds them.
    @Test func purgeMasksAndDeletesSoThatTheStoresBytesNoLongerHoldTheValues() throws {
        let dir = try Scratch.directory("purge")
        let file = dir.appendingPathComponent("app.log").path, store = dir.appendingPathComponent("store").path
        try Self.lines(300).write(toFile: file, atomically: true, encoding: .utf8)
        // One part straight to a segment file, one through the write-ahead log (stdin).
        #expect(try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", "--store", store, file]).status == 0)
        #expect(try cli.logdash(["-c", "exec '\(CommandLineTests.binary)' ingest --no-follow --stats-interval 0 --store '\(store)' - < '\(file)'"], shell: true).status == 0)
        for s in Self.secrets { #expect(Self.contains(try Self.allBytes(store), s), "the scan does not see \(s) before the purge") }
        let steps = try cli.temp("purge.yaml", "- mask: { with: redact }\n")
        let masked = try cli.logdash(["purge", "--store", store, "--mask", "--transform", steps])
        #expect(masked.status == 0, "\(masked.err)")
        // (3 of each 4 lines hold a secret; the README shows this run.)
        #expect(masked.out == "purge: 0 records deleted, 1800 masked; 2 of 2 segment files rewritten\n", "\(masked.out)")
        let bytes = try Self.allBytes(store)
        for s in Self.secrets { #expect(!Self.contains(bytes, s), "\(s) is still in the store's files") }
        #expect(try stored(store, "SELECT count(*) n, count(DISTINCT seq) d FROM logs") == "n,d\n2400,900\n")
        // Deleting: the records of one sequence number go, with every byte of them.
        try (0..<3).map { #"{"seq":\#($0),"user":"zora-unique-\#($0)","msg":"x"}"# + "\n" }.joined().write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", "--store", store, file]).status == 0)
        let deleted = try cli.logdash(["purge", "--store", store, "--where", "user LIKE 'zora-unique-%'"])
        #expect(deleted.out.hasPrefix("purge: 3 records deleted, 0 masked; "), "\(deleted.out) \(deleted.err)")
        #expect(!Self.contains(try Self.allBytes(store), "zora-unique"))
        #expect(try stored(store, "SELECT count(*) n FROM logs") == "n\n2400\n")
        // The file they came from is not read again: the emptied segment file kept its position.
        #expect(try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", "--store", store, file]).status == 0)
        #expect(try stored(store, "SELECT count(*) n FROM logs") == "n\n2400\n")
        // A value is no condition, and a condition that fails for a record decides nothing: refused, nothing changed.
        for (condition, said) in [("seq", "--where gives bigint, not true or false"), ("CAST(user AS bigint) > 0", "--where fails for a stored record: cannot cast")] {
            let r = try cli.logdash(["purge", "--store", store, "--where", condition])
            #expect(r.status != 0 && r.err.contains(said) && r.err.contains("nothing was changed"), "\(r.err)")
        }
        #expect(try stored(store, "SELECT count(*) n FROM logs") == "n\n2400\n")
        // A mistake is said, and nothing changes.
        let bad = try cli.logdash(["purge", "--store", store, "--where", "usr = 'x'"])
        #expect(bad.status != 0 && bad.err.contains("unknown column 'usr'"), "\(bad.err)")
        let none = try cli.logdash(["purge", "--store", store])
        #expect(none.status != 0 && none.err.contains("say what to erase: --where EXPR (delete those records) or --mask (mask them again)"), "\(none.err)")
    }

    @Test func transformWithAStoreOrAnArchiveIsRefusedNotIgnored() throws {
        let steps = try cli.temp("refuse.yaml", "- mask: { kinds: [email] }\n")
        for args in [["query", "--store", "/tmp/nowhere", "--transform", steps, "SELECT 1"], ["export", "--store", "/tmp/nowhere", "--transform", steps, "--to", "/tmp/x"]] {
            let r = try cli.logdash(args)
            #expect(r.status != 0)
            #expect(r.err.contains("--transform runs on records as they are parsed; the records of --store were stored with the steps of the ingest that stored them"), "\(r.err)")
        }
    }

    @Test func aBadTransformNamesTheFileStepAndKey() throws {
        let file = try cli.temp("one.log", Self.lines(1))
        let bad = try cli.temp("bad.yaml", "transforms:\n  - set: { x: \"status +\" }\n")
        let r = try cli.logdash(["query", "--config", bad, "SELECT 1", file])
        #expect(r.status != 0)
        #expect(r.err.contains("bad.yaml:2: transforms[0].set.x: 'status +': syntax error"), "\(r.err)")
        let missing = try cli.logdash(["cat", "--transform", "/nonexistent/steps.yaml", file])
        #expect(missing.status != 0 && missing.err.contains("/nonexistent/steps.yaml: file not found"), "\(missing.err)")
    }
}
