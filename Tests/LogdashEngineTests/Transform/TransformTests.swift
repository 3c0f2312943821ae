import Foundation
import Testing
import Yams
@testable import LogdashEngine

/// The transform stage (issue 25): each step kind on real parsed records, read back with SQL.
@Suite struct TransformTests {
    /// `lines` parsed as one source named `source`, through the steps of `yaml`, in a store.
    static func run(_ lines: [String], _ yaml: String, lookups: [String: ResultSet] = [:], source: String = "/var/log/app/t.log",
                    chunk: Int? = nil) throws -> (QueryEngine, TransformChain) {
        let chain = try TransformChain(steps: try steps(yaml), lookups: lookups)
        let store = Store()
        let size = max(1, chunk ?? lines.count)
        for start in stride(from: 0, to: lines.count, by: size) {
            let bytes = Array((lines[start..<min(lines.count, start + size)].joined(separator: "\n") + "\n").utf8)
            let options = ParseOptions()
            let d = try bytes.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: arrival) }
            var batch = RecordBatch(source: source)
            _ = bytes.withUnsafeBufferPointer { SourceParser(options: options, detection: d).parse($0, arrival: arrival, final: true, into: &batch) }
            store.append(chain.apply(Segment(batch), now: arrival))
        }
        return (QueryEngine(snapshot: store.snapshot(), now: arrival), chain)
    }

    static func steps(_ yaml: String) throws -> [TransformStep] {
        try TransformChain.parse(try Yams.compose(yaml: yaml)!, at: "transforms", file: "t.yaml")
    }

    static func rows(_ e: QueryEngine, _ sql: String) throws -> [String] {
        try e.execute(sql).rows.map { $0.map { $0 == .null ? "NULL" : $0.description }.joined(separator: "|") }
    }

    static let requests = [
        #"{"ts":"2026-11-27T14:00:00Z","level":"info","host":"eu-web-1","path":"/health","status":200,"latency_ms":1,"user":"ann","msg":"ok"}"#,
        #"{"ts":"2026-11-27T14:00:01Z","level":"info","host":"eu-web-2","path":"/api/cart","status":200,"latency_ms":700,"user":"bob","msg":"user=bob took=700ms"}"#,
        #"{"ts":"2026-11-27T14:00:02Z","level":"warn","host":"us-web-1","path":"/health","status":503,"latency_ms":2,"user":"cid","msg":"user=cid took=2ms"}"#,
        #"{"ts":"2026-11-27T14:00:03Z","level":"info","host":"us-web-1","path":"/api/cart","status":404,"user":"dee","msg":"no cart"}"#,
        #"{"ts":"2026-11-27T14:00:04Z","level":"info","path":"/api/pay","status":500,"latency_ms":900,"msg":"upstream timeout"}"#,
    ]

    @Test func whereDropsOnlyTheRecordsItIsFalseForAndKeepsThoseItCannotJudge() throws {
        let (e, chain) = try Self.run(Self.requests + ["a line no format fits"], #"- where: "NOT (path = '/health' AND status = 200) AND latency_ms > 1""#)
        // The record without latency_ms (NULL) and the unparsed line (no path) are kept: a missing field loses no line.
        #expect(try Self.rows(e, "SELECT path, status FROM logs ORDER BY ts") == ["/api/cart|200", "/health|503", "/api/cart|404", "/api/pay|500", "NULL|NULL"])
        #expect(chain.counts[0].recordsIn == 6 && chain.counts[0].recordsOut == 5)
        let (strict, _) = try Self.run(Self.requests, #"- where: "coalesce(latency_ms > 1, false)""#)
        #expect(try Self.rows(strict, "SELECT count(*) FROM logs") == ["3"])
    }

    /// Records a `where` dropped are still in the columns until the end, but no later step
    /// counts them: not masked, not failed, not in or out.
    @Test func stepsAfterAWhereCountOnlyTheRecordsItKept() throws {
        let lines = [
            #"{"ts":"2026-11-27T14:00:00Z","user":"ann","msg":"from ann@example.com","keep":1}"#,
            #"{"ts":"2026-11-27T14:00:01Z","user":"zed","msg":"from zed@example.com","keep":0}"#,
            #"{"ts":"2026-11-27T14:00:02Z","user":"bob","msg":"plain","keep":1}"#,
            #"{"ts":"2026-11-27T14:00:03Z","user":"xx","msg":"hi x@example.org","keep":1}"#,
            #"{"ts":"2026-11-27T14:00:04Z","user":"yy","msg":"card 4242 4242 4242 4242 y@example.org","keep":0}"#,
        ]
        let users = ResultSet(columns: ["user", "team"], rows: [[.string("ann"), .string("a")], [.string("bob"), .string("b")]])
        let (e, chain) = try Self.run(lines, """
            - where: "keep = 1"
            - mask: { kinds: [email, credit_card] }
            - lookup: { table: users, key: user, fields: [team], required: true }
            - where: "user <> 'bob'"
            - set: { n: "length(message)" }
            """, lookups: ["users": users])
        let c = chain.counts
        #expect(c.map(\.recordsIn) == [5, 3, 3, 3, 2] && c.map(\.recordsOut) == [3, 3, 3, 2, 2])
        // As many finds as over the kept records alone.
        let (_, alone) = try Self.run([lines[0], lines[2], lines[3]], "- mask: { kinds: [email, credit_card] }")
        #expect(c[1].masked == alone.counts[0].masked && c[1].masked["credit_card"] == nil && (c[1].masked["email"] ?? 0) >= 2)
        #expect(c.map(\.failed) == [0, 0, 1, 0, 0])
        #expect(try Self.rows(e, "SELECT user, team, message, n, _transform_error IS NOT NULL FROM logs ORDER BY ts")
                == ["ann|a|from <email>|12|false", "xx|NULL|hi <email>|10|true"])
        #expect(try Self.rows(e, "SELECT count(*) FROM errors") == ["1"])
    }

    /// The records a `where` dropped have no say in what later steps make: a field parsed or set
    /// takes its type from the records kept, and a key only a dropped record has makes no field.
    @Test func recordsAWhereDroppedShapeNoLaterField() throws {
        let (e, _) = try Self.run([
            #"{"ts":"2026-11-27T14:00:00Z","level":"info","msg":"took 12 x=1"}"#,
            #"{"ts":"2026-11-27T14:00:01Z","level":"debug","msg":"took 12ms x=oops ghost=1"}"#,
            #"{"ts":"2026-11-27T14:00:02Z","level":"info","msg":"took 30 x=2"}"#,
        ], """
            - where: "level <> 'debug'"
            - parse: { field: message, pattern: 'took (?<ms>\\S+)' }
            - parse: { field: message, as: kv }
            - set: { y: "CASE WHEN level = 'debug' THEN 'text' ELSE 1 END" }
            """)
        #expect(try Self.rows(e, "SELECT ms, typeof(ms), x, typeof(x), y, typeof(y) FROM logs ORDER BY ts") == ["12|bigint|1|bigint|1|bigint", "30|bigint|2|bigint|1|bigint"])
        #expect(try !e.execute("DESCRIBE logs").rows.contains { $0.first == .string("ghost") })
    }

    /// The columns of the records a step kept know how many values they hold (`DESCRIBE`,
    /// `inspect` and the store's zone maps read it), dictionary columns included.
    @Test func keptRecordsColumnsCountTheirValues() throws {
        let lines = (0..<40).map { i in #"{"ts":"2026-11-27T14:00:\#(String(format: "%02d", i))Z","kind":"\#(i % 3 == 0 ? "a" : "b")","n":\#(i)\#(i % 4 == 0 ? #","tag":"t""# : "")}"# }
        let (e, _) = try Self.run(lines, #"- where: "n >= 10""#)
        let described = try e.execute("DESCRIBE logs").rows.filter { ["kind", "n", "tag"].contains($0.first?.description ?? "") }.map { $0.map(\.description).joined(separator: "|") }
        #expect(described.sorted() == ["kind|varchar|30", "n|bigint|30", "tag|varchar|7"], "\(described)")
    }

    @Test func aWhereThatGivesNoBooleanKeepsEveryRecordWithItsError() throws {
        let (e, _) = try Self.run(Self.requests, #"- where: "CASE WHEN status > 300 THEN 'bad' END""#)
        #expect(try Self.rows(e, "SELECT count(*), count(_transform_error) FROM logs") == ["5|3"])
        #expect(try Self.rows(e, "SELECT DISTINCT reason FROM errors") == ["step 1 (where): gives varchar, not boolean"])
    }

    @Test func aRecordAnEarlierStepFailedForIsNeitherFilteredNorSampledAway() throws {
        let (e, _) = try Self.run(Self.requests, """
            - set: { n: "CAST(user AS bigint)" }
            - where: "n > 0"
            - sample: { rate: 0, where: "n IS NULL" }
            - sample: { rate: 0 }
            """)
        // Every record with a user failed the cast: kept by where and sample; the one without a user (n NULL) sampled away.
        #expect(try Self.rows(e, "SELECT user FROM logs ORDER BY ts") == ["ann", "bob", "cid", "dee"])
    }

    @Test func valuesMaskedAlikeAreOneValueToGroupBy() throws {
        let (e, _) = try Self.run((0..<40).map { #"{"ts":"2026-11-27T14:00:00Z","user":"user\#($0 % 4)@example.com","msg":"x"}"# }, "- mask: { kinds: [email] }")
        #expect(try Self.rows(e, "SELECT user, count(*) FROM logs GROUP BY user") == ["<email>|40"])
    }

    @Test func errorMessagesAreMaskedAsTheRecordsAre() throws {
        let (e, _) = try Self.run([#"{"ts":"2026-11-27T14:00:00Z","user":"ann@example.com","msg":"x"}"#], """
            - set: { n: "CAST(user AS bigint)" }
            - mask: { kinds: [email] }
            """)
        #expect(try Self.rows(e, "SELECT reason FROM errors") == ["step 1 (set): cannot cast varchar '<email>' to bigint"])
        #expect(try Self.rows(e, "SELECT _transform_error FROM logs") == ["step 1 (set): cannot cast varchar '<email>' to bigint"])
    }

    @Test func maskingAFieldListMasksTheKeyTheMessageCameFromToo() throws {
        let (e, _) = try Self.run([#"{"ts":"2026-11-27T14:00:00Z","msg":"for ann@example.com","user":"bob@example.com","note":"cid@example.com"}"#],
                                  "- mask: { fields: [message, user], kinds: [email] }")
        #expect(try Self.rows(e, "SELECT message, msg, user, note FROM logs") == ["for <email>|for <email>|<email>|cid@example.com"])
    }

    @Test func setMakesFieldsEachLaterExpressionAndStepSeesAndDropRemovesThem() throws {
        let (e, _) = try Self.run(Self.requests, """
            - set: { region: "split_part(host, '-', 1)", slow: "latency_ms > 500", twice: "status * 2" }
            - set: { label: "region || ':' || CAST(twice AS varchar)" }
            - drop: [twice, latency_ms]
            """)
        #expect(try Self.rows(e, "SELECT region, slow, label FROM logs ORDER BY ts")
                == ["eu|false|eu:400", "eu|true|eu:400", "us|false|us:1006", "us|NULL|us:808", "NULL|true|NULL"])
        #expect(throws: QueryError.self) { try e.execute("SELECT twice FROM logs") }
        #expect(throws: QueryError.self) { try e.execute("SELECT latency_ms FROM logs") }
    }

    @Test func aFieldSetToNumbersAndTextWidensToTextAsAParsedOneDoes() throws {
        let (e, _) = try Self.run(Self.requests, #"- set: { code: "CASE WHEN status >= 500 THEN 'bad' ELSE CAST(status AS varchar) END", n: "CASE WHEN status = 200 THEN 1 ELSE 2.5 END" }"#)
        #expect(try e.execute("SELECT typeof(code), typeof(n) FROM logs LIMIT 1").rows == [[.string("varchar"), .string("double")]])
        #expect(try Self.rows(e, "SELECT code, n FROM logs ORDER BY ts") == ["200|1", "200|1", "bad|2.5", "404|2.5", "bad|2.5"])
    }

    @Test func renameMovesAFieldAndOntoMessageWhereTheFieldHasAValue() throws {
        let (e, _) = try Self.run([
            #"{"ts":"2026-11-27T14:00:00Z","text":"from text","usr":"ann"}"#,
            #"{"ts":"2026-11-27T14:00:01Z","msg":"from msg","usr":"bob"}"#,
        ], "- rename: { usr: user, text: message }")
        #expect(try Self.rows(e, "SELECT user, message FROM logs ORDER BY ts") == ["ann|from text", "bob|from msg"])
        #expect(throws: QueryError.self) { try e.execute("SELECT usr FROM logs") }
    }

    @Test func sampleKeepsTheSameShareEveryTimeAndEveryRecordOfAKeyTogether() throws {
        let lines = String(decoding: try genLogs(["--format", "json", "--lines", "4000", "--seed", "7"]), as: UTF8.self).split(separator: "\n").map(String.init)
        let yaml = "- sample: { rate: 0.25, where: \"level <> 'error'\", key: user }"
        let (a, _) = try Self.run(lines, yaml, chunk: 700)
        let (b, _) = try Self.run(lines, yaml, chunk: 1300)
        let kept = try Self.rows(a, "SELECT user, count(*) FROM logs WHERE level <> 'error' GROUP BY user ORDER BY user")
        #expect(kept == (try Self.rows(b, "SELECT user, count(*) FROM logs WHERE level <> 'error' GROUP BY user ORDER BY user")))
        // About a quarter of the users, each with all their (non-error) records; errors all kept.
        let (all, _) = try Self.run(lines, "- where: \"true\"")
        let every = Dictionary(uniqueKeysWithValues: try Self.rows(all, "SELECT user, count(*) FROM logs WHERE level <> 'error' GROUP BY user").map { r in
            (r.split(separator: "|")[0], r) })
        let users = try Self.rows(all, "SELECT count(DISTINCT user) FROM logs WHERE level <> 'error'")[0]
        #expect(Double(kept.count) > 0.18 * Double(users)!, "\(kept.count) of \(users) users kept")
        #expect(Double(kept.count) < 0.32 * Double(users)!, "\(kept.count) of \(users) users kept")
        for r in kept { #expect(every[r.split(separator: "|")[0]] == r) }
        #expect(try Self.rows(a, "SELECT count(*) FROM logs WHERE level = 'error'") == (try Self.rows(all, "SELECT count(*) FROM logs WHERE level = 'error'")))
    }

    @Test func parseTakesNamedGroupsAndLeavesFieldsWhereThePatternDoesNotMatch() throws {
        let (e, _) = try Self.run(Self.requests, #"- parse: { field: message, pattern: 'user=(?<user>\w+) took=(?<took_ms>\d+)ms' }"#)
        #expect(try Self.rows(e, "SELECT user, took_ms FROM logs ORDER BY ts") == ["ann|NULL", "bob|700", "cid|2", "dee|NULL", "NULL|NULL"])
        #expect(try Self.rows(e, "SELECT DISTINCT typeof(took_ms) FROM logs WHERE took_ms IS NOT NULL") == ["bigint"])
    }

    @Test func parseAsLogfmtAndAsJSONMakesFieldsOfTheirPairs() throws {
        let (e, _) = try Self.run([
            #"{"ts":"2026-11-27T14:00:00Z","msg":"done","detail":"code=7 reason=\"disk full\" ok=false"}"#,
            #"{"ts":"2026-11-27T14:00:01Z","msg":"done","detail":"{\"code\":9,\"tags\":[\"a\"],\"ratio\":0.5}"}"#,
        ], """
            - parse: { field: detail, as: logfmt }
            - parse: { field: detail, as: json }
            """)
        #expect(try Self.rows(e, "SELECT code, reason, ok, tags, ratio FROM logs ORDER BY ts") == ["7|disk full|false|NULL|NULL", "9|NULL|NULL|[\"a\"]|0.5"])
    }

    /// `parse: {field, as: FORMAT}` reads a field as a line of a named format: its fields join
    /// the record; a value the format does not fit, or no value, gives none.
    @Test func parseAsAFormatReadsAFieldAsALineOfIt() throws {
        let access = #"10.1.2.3 - ann [27/Nov/2026:14:00:00 +0000] "GET /cart HTTP/1.1" 503 512 "-" "curl/8.5""#
        func json(_ o: [String: Any]) throws -> String { String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self) }
        let lines = [
            try json(["ts": "2026-11-27T14:00:00Z", "msg": "proxied", "line": access]),
            try json(["ts": "2026-11-27T14:00:01Z", "msg": "proxied", "line": "not an access log"]),
            try json(["ts": "2026-11-27T14:00:02Z", "msg": "no line"]),
            try json(["ts": "2026-11-27T14:00:03Z", "msg": access]),
        ]
        let (e, _) = try Self.run(lines, """
            - parse: { field: line, as: combined }
            - parse: { field: message, as: combined }
            """)
        #expect(try Self.rows(e, "SELECT message, status, path, user, user_agent, typeof(status) FROM logs ORDER BY ts") == [
            "proxied|503|/cart|ann|curl/8.5|bigint", "proxied|NULL|NULL|NULL|NULL|unknown", "no line|NULL|NULL|NULL|NULL|unknown",
            "GET /cart HTTP/1.1|503|/cart|ann|curl/8.5|bigint",
        ])
        // The line's message, read from another field than message, is kept as FIELD_message.
        #expect(try Self.rows(e, "SELECT line_message FROM logs ORDER BY ts") == ["GET /cart HTTP/1.1", "NULL", "NULL", "NULL"])
        // A format no registry knows is refused when the steps are put to use, naming the step.
        let chain = try TransformChain(steps: try Self.steps("- parse: { field: line, as: nginx_json }"))
        #expect(throws: ConfigError.self) { try chain.reading(with: ParseOptions()) }
        do { try chain.reading(with: ParseOptions()) } catch { #expect("\(error)".contains("transforms[0].parse.as") && "\(error)".contains("no format 'nginx_json'"), "\(error)") }
    }

    @Test func levelComesFromAFieldsValueByTheFirstRuleThatFits() throws {
        let (e, _) = try Self.run(Self.requests, #"- level: { from: status, map: { "5..": error, "4..": warn, "200": debug } }"#)
        #expect(try Self.rows(e, "SELECT status, level FROM logs ORDER BY ts") == ["200|debug", "200|debug", "503|error", "404|warn", "500|error"])
    }

    @Test func timestampComesFromAFieldAndAValueThatIsNoTimeIsAnErrorNotALoss() throws {
        let (e, chain) = try Self.run([
            #"{"msg":"a","event_time":"27/11/2026 14:03:07"}"#,
            #"{"msg":"b","event_time":"yesterday"}"#,
            #"{"msg":"c"}"#,
        ], "- timestamp: { from: event_time, format: '%d/%m/%Y %H:%M:%S' }")
        #expect(try Self.rows(e, "SELECT message, ts FROM logs WHERE message = 'a'") == ["a|2026-11-27T14:03:07.000Z"])
        #expect(try Self.rows(e, "SELECT count(*) FROM logs") == ["3"])
        #expect(try Self.rows(e, "SELECT reason FROM errors")
                == ["step 1 (timestamp): event_time 'yesterday' is not a time of the format '%d/%m/%Y %H:%M:%S'"])
        #expect(try Self.rows(e, "SELECT message FROM logs WHERE _transform_error IS NOT NULL") == ["b"])
        #expect(chain.counts[0].failed == 1)
    }

    @Test func aFailedExpressionKeepsTheRecordWithItsErrorAndAnErrorsRow() throws {
        let (e, _) = try Self.run(Self.requests, #"- set: { n: "CAST(user AS bigint)" }"#)
        #expect(try Self.rows(e, "SELECT count(*) FROM logs") == ["5"])
        #expect(try Self.rows(e, "SELECT reason FROM errors ORDER BY ts").first == "step 1 (set): cannot cast varchar 'ann' to bigint")
        #expect(try Self.rows(e, "SELECT count(*) FROM errors") == ["4"])  // the record without a user casts NULL
    }

    @Test func lookupAddsATablesFieldsAndARequiredMissIsAnError() throws {
        let users = ResultSet(columns: ["user", "team", "tier"], rows: [[.string("ann"), .string("core"), .int(1)], [.string("bob"), .string("edge"), .int(2)]])
        let (e, _) = try Self.run(Self.requests, "- lookup: { table: users, key: user, fields: [team, tier], required: true }", lookups: ["users": users])
        #expect(try Self.rows(e, "SELECT user, team, tier FROM logs ORDER BY ts") == ["ann|core|1", "bob|edge|2", "cid|NULL|NULL", "dee|NULL|NULL", "NULL|NULL|NULL"])
        #expect(try Self.rows(e, "SELECT reason FROM errors ORDER BY ts")
                == ["step 1 (lookup): no row of 'users' has user 'cid'", "step 1 (lookup): no row of 'users' has user 'dee'", "step 1 (lookup): no row of 'users' has user NULL"])
        do {
            _ = try TransformChain(steps: try Self.steps("- where: \"true\"\n- lookup: { table: geo, key: ip }"), lookups: ["users": users])
            Issue.record("a missing table was taken")
        } catch {
            #expect("\(error)" == "t.yaml:2: transforms[1].lookup.table: no lookup table 'geo'; give it with --lookup geo=FILE or under 'lookups:' in the config (tables: users)")
        }
        #expect(throws: ConfigError.self) { try TransformChain(steps: try Self.steps("- lookup: { table: users, key: user, fields: [nope] }"), lookups: ["users": users]) }
    }

    /// The key column as stored: mostly unique texts (kept plain, looked up by their bytes),
    /// text equal to a key in another normalisation form (`=`'s equality: the Kelvin sign is
    /// `K`), a number column by its text, the first row of a repeated key, and a field of the
    /// same name kept where nothing is found.
    @Test func lookupFindsKeysAsTextEqualityDoesWhateverTheColumnsEncoding() throws {
        var lines: [String] = []
        for i in 0..<60 {
            let user = i == 10 ? "Kat" : i == 11 ? "\u{212A}at" : i == 12 ? "café" : "u\(i)"
            lines.append(#"{"ts":"2026-11-27T14:00:\#(String(format: "%02d", i))Z","user":"\#(user)","code":\#(i % 3),"team":"old"}"#)
        }
        let users = ResultSet(columns: ["user", "team"], rows: [
            [.string("Kat"), .string("cats")], [.string("u7"), .string("seven")], [.string("u7"), .string("not this one")],
            [.string("u59"), .string("last")],
        ])
        let (e, _) = try Self.run(lines, "- lookup: { table: users, key: user }", lookups: ["users": users])
        #expect(try Self.rows(e, "SELECT user, team FROM logs WHERE team <> 'old' ORDER BY ts") == ["u7|seven", "Kat|cats", "\u{212A}at|cats", "u59|last"])
        #expect(try Self.rows(e, "SELECT count(*) FROM logs WHERE team = 'old'") == ["56"])
        let codes = ResultSet(columns: ["code", "name"], rows: [[.string("1"), .string("one")], [.string("café"), .string("x")]])
        let (c, _) = try Self.run(lines, "- lookup: { table: codes, key: code }\n- lookup: { table: codes, key: user, fields: [name] }", lookups: ["codes": codes])
        #expect(try Self.rows(c, "SELECT code, count(name) FROM logs GROUP BY code ORDER BY code") == ["0|1", "1|20", "2|0"])
        #expect(try Self.rows(c, "SELECT user FROM logs WHERE name = 'x'") == ["café"])
    }

    @Test func sourcesLimitAStepToTheSourcesItNames() throws {
        let yaml = """
            - set: { tagged: "true" }
              sources: ['nginx/*']
            """
        let (web, _) = try Self.run(Self.requests, yaml, source: "/var/log/nginx/access.log")
        let (app, _) = try Self.run(Self.requests, yaml, source: "/var/log/app/t.log")
        #expect(try Self.rows(web, "SELECT count(*) FROM logs WHERE tagged") == ["5"])
        #expect(throws: QueryError.self) { try app.execute("SELECT tagged FROM logs") }
    }

    // MARK: masking

    static let positives: [(String, MaskKind)] = [
        ("mail ann.lee+work@example.com now", .email), ("<x@mail.example.co.uk>", .email), ("a_b-c.d@sub-domain.io", .email),
        ("from 10.251.91.84:443", .ipv4), ("ip=192.168.0.1", .ipv4), ("0.0.0.0", .ipv4),
        ("at 2001:db8::1 ok", .ipv6), ("::1", .ipv6), ("fe80::1ff:fe23:4567:890a", .ipv6), ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", .ipv6), ("::ffff:10.0.0.1", .ipv6),
        ("card 4242424242424242", .creditCard), ("4242 4242 4242 4242", .creditCard), ("5555-5555-5555-4444", .creditCard), ("378282246310005", .creditCard),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", .jwt),
        ("key AKIAIOSFODNN7EXAMPLE used", .awsKey), ("ASIAY34FZKBOKMUTVV7A", .awsKey),
        ("Authorization: Bearer abc123def456ghi", .bearer), ("bearer mF_9.B5f-4.1JqM", .bearer),
        ("addr:2001:db8::1", .ipv6), ("exp 4111 1111 1111 1111 12/28", .creditCard), ("x=6011111111111117;", .creditCard),
    ]
    static let negatives = [
        "not@mail", "user@localhost", "@example.com", "14:03:07", "aa:bb:cc:dd:ee:ff", "version 1.2.3.4.5", "999.1.1.1",
        "1234 5678 9012 3456", "4242424242424241", "order 12345678901234567890123", "eyJhbGciOiJIUzI1NiJ9 alone", "AKIA1234", "AKIAIOSFODNN7EXAMPLEX",
        "Bearer x", "2026-11-27T14:00:00Z", "a::b::c", "::",
        "Mozilla/5.0 Chrome/120.0.0.0 Safari/537.36", "logo@2x.png", "Bearer authentication failed", "epoch 1733580187123 ms",
        "id 1733580187000000000", "std::vector", "4111-1111 1111-1111",
    ]

    @Test func eachDetectorFindsItsKindAndNotLookalikes() {
        let masker = Masker(kinds: Set(MaskKind.allCases), mode: .redact)
        for (text, kind) in Self.positives {
            var s = text
            let found = s.withUTF8 { masker.find($0) }
            #expect(found.map(\.kind) == [kind], "\(text)")
        }
        for text in Self.negatives {
            var s = text
            #expect(s.withUTF8 { masker.find($0) }.isEmpty, "\(text)")
        }
    }

    /// Addresses alone are found from their anchors; the finds are the full loop's.
    @Test func addressesFoundFromTheirAnchorsAreTheOnesTheFullScanFinds() {
        let addresses: Set<MaskKind> = [.email, .ipv4, .ipv6]
        let anchored = Masker(kinds: addresses, mode: .redact), full = Masker(kinds: Set(MaskKind.allCases), mode: .redact)
        let texts = Self.positives.map(\.0) + Self.negatives + [
            #"{"ts":"2026-11-27T14:00:00.000Z","ip":"10.1.2.3","v6":"fe80::1","m":"a@b.io x@y.com 1.2.3.4:80 [2001:db8::2]:443"}"#,
            "a.b.c 1.2 127.0.0.1. x10.0.0.1 10.0.0.1x ::ffff:10.0.0.1 at 09:30:00 mail me@x.org.", "@@..::", "",
        ]
        for text in texts {
            var s = text
            let a = s.withUTF8 { anchored.find($0) }, f = s.withUTF8 { full.find($0) }.filter { addresses.contains($0.kind) }
            #expect(a.map(\.kind) == f.map(\.kind) && a.map(\.range) == f.map(\.range), "\(text)")
        }
    }

    /// Lines of a column passed over by the buffer-wide search for e-mail and IPv4 anchors
    /// hold nothing the masker finds line by line.
    @Test func linesPassedOverForAddressesHoldNothingToMask() throws {
        var texts = Self.positives.map(\.0) + Self.negatives + [
            "10.0.0.1", "x 1.2.3.4", "1.22.333.4", "a@b", "%40", #"\u0040"#, "jane%40example.com", #"zed\u0040example.com 10\u002e0.0.1"#, "v1.2.3", "1.2.3", "..1..", "9.9.9.9.9", "",
        ]
        for format in ["json", "combined", "syslog3164"] {
            texts += String(decoding: try genLogs(["--format", format, "--lines", "1500", "--seed", "11", "--bad"]), as: UTF8.self)
                .split(separator: "\n").map(String.init)
        }
        var state: UInt64 = 42
        for _ in 0..<3000 {  // short texts of the anchors' bytes
            let alphabet = Array("0123456789..@%\\a :x".utf8)
            state = state &* 6364136223846793005 &+ 1442695040888963407
            texts.append(String(decoding: (0..<Int(state >> 59)).map { k in alphabet[Int((state >> UInt64(k * 2 % 50)) % UInt64(alphabet.count))] }, as: UTF8.self))
        }
        // Every other line right after the one before (as a plain column's values lie), the others after a newline.
        var buffer: [UInt8] = [], lines = LineSpan.Builder()
        for (k, t) in texts.enumerated() {
            let start = buffer.count
            buffer += Array(t.utf8)
            lines.add(row: k, start: start, end: buffer.count)
            if k % 2 == 0 { buffer.append(10) }
        }
        let kindsAsked: [Set<MaskKind>] = [[.email], [.ipv4], [.email, .ipv4]]
        for kinds in kindsAsked {
            let masker = Masker(kinds: kinds, mode: .redact)
            buffer.withUnsafeBufferPointer { b in
                let span = lines.span(over: b)
                guard let candidates = masker.candidates(span) else { Issue.record("no candidates for \(kinds)"); return }
                for i in 0..<span.count where !candidates[i] { #expect(masker.mask(span.line(i)) == nil, "\(kinds): \(texts[i])") }
                #expect(candidates.filter { !$0 }.count > texts.count / 4)  // most are passed over (else this proves nothing)
                #expect(candidates.contains(true))
            }
        }
        buffer.withUnsafeBufferPointer { #expect(Masker(kinds: [.ipv6, .email], mode: .redact).candidates(lines.span(over: $0)) == nil) }
    }

    @Test func redactHashAndPartialReplaceAsDocumented() {
        let text = "ann@example.com paid with 4242 4242 4242 4242 from 10.1.2.3"
        #expect(Masker(kinds: Set(MaskKind.allCases), mode: .redact).mask(text) == "<email> paid with <credit_card> from <ipv4>")
        #expect(Masker(kinds: Set(MaskKind.allCases), mode: .partial).mask(text) == "a***@example.com paid with **** **** **** 4242 from 10.1.*.*")
        let key = Array("a secret of sixteen+".utf8)
        let hashed = Masker(kinds: [.email], mode: .hash, key: key)
        #expect(hashed.mask("ann@example.com") == hashed.mask("ann@example.com"))
        #expect(hashed.mask("ann@example.com") != hashed.mask("bob@example.com"))
        #expect(hashed.mask("ann@example.com") != Masker(kinds: [.email], mode: .hash, key: Array("another secret key!".utf8)).mask("ann@example.com"))
        #expect(hashed.mask("x ann@example.com").hasPrefix("x <email:"))
        // Only the kinds asked for.
        #expect(Masker(kinds: [.ipv4], mode: .redact).mask(text) == "ann@example.com paid with 4242 4242 4242 4242 from <ipv4>")
    }

    @Test func maskingReachesRawUnparsedLinesContinuationsAndNumbersAndKeepsJSONLinesJSON() throws {
        let (e, chain) = try Self.run([
            #"{"ts":"2026-11-27T14:00:00Z","level":"info","msg":"login ann@example.com","user":"ann@example.com","card":4242424242424242}"#,
            "no format fits this line from bob@example.com",
        ], "- mask: { kinds: [email, credit_card] }")
        let all = try Self.rows(e, "SELECT raw FROM logs ORDER BY ts") + (try Self.rows(e, "SELECT message, user, CAST(card AS varchar) FROM logs"))
            + (try Self.rows(e, "SELECT raw FROM errors"))
        for r in all { #expect(!r.contains("example.com") && !r.contains("4242"), "\(r)") }
        let raw = try Self.rows(e, "SELECT raw FROM logs WHERE user IS NOT NULL")[0]
        #expect(raw == #"{"ts":"2026-11-27T14:00:00Z","level":"info","msg":"login <email>","user":"<email>","card":"<credit_card>"}"#)
        #expect((try? JSONSerialization.jsonObject(with: Data(raw.utf8))) != nil)
        #expect(chain.counts[0].masked["email"] ?? 0 >= 3)

        let java = "2026-11-27 14:00:00,000 ERROR [main] com.example.App - failed for carl@example.com\n"
            + "java.lang.IllegalStateException: user dora@example.com\n\tat com.example.App.run(App.java:10)"
        let (j, _) = try Self.run(java.split(separator: "\n", omittingEmptySubsequences: false).map(String.init), "- mask: { kinds: [email] }")
        for r in try Self.rows(j, "SELECT raw FROM logs") + (try Self.rows(j, "SELECT message FROM logs")) {
            #expect(!r.contains("example.com"), "\(r)")
        }
        #expect(try Self.rows(j, "SELECT count(*) FROM logs") == ["1"])
    }

    @Test func escapesNumbersWithFractionsAndFieldNamesHideNothing() throws {
        let (e, _) = try Self.run([
            #"{"ts":"2026-11-27T14:00:00Z","msg":"for zed\u0040example.com, card 4242\u00204242 4242 4242","u":"jane%40example.com","card_f":4242424242424242.0,"henry@example.com":1}"#,
        ], "- mask: { kinds: [email, credit_card] }")
        let raw = try Self.rows(e, "SELECT raw FROM logs")[0]
        #expect(raw == #"{"ts":"2026-11-27T14:00:00Z","msg":"for <email>, card <credit_card>","u":"<email>","card_f":"<credit_card>","<email>":1}"#, "\(raw)")
        #expect((try? JSONSerialization.jsonObject(with: Data(raw.utf8))) != nil)
        #expect(try Self.rows(e, #"SELECT message, u, card_f, "<email>" FROM logs"#) == ["for <email>, card <credit_card>|<email>|<credit_card>|1"])
        // Escapes of quotes and backslashes stay as they are: the line stays JSON; nothing found, nothing changed.
        var s = #"{"a":"say \"hi\" \\ \u0041"}"#
        #expect(s.withUTF8 { Masker(kinds: Set(MaskKind.allCases), mode: .redact).mask($0) } == nil)
    }

    /// Field names that mask alike are one field, but a record with values under two of them
    /// keeps both.
    @Test func fieldNamesThatMaskAlikeLoseNoValue() throws {
        let (e, _) = try Self.run([
            #"{"ts":"2026-11-27T14:00:00Z","10.0.0.1":5}"#,
            #"{"ts":"2026-11-27T14:00:01Z","10.0.0.2":7}"#,
            #"{"ts":"2026-11-27T14:00:02Z","10.0.0.3":1,"10.0.0.4":2}"#,
        ], "- mask: { kinds: [ipv4] }")
        #expect(try Self.rows(e, #"SELECT "<ipv4>", "<ipv4>_2" FROM logs ORDER BY ts"#) == ["5|NULL", "7|NULL", "1|2"])
    }

    @Test func numbersBeyondEveryCardAreLeftAloneNotACrash() throws {
        let (e, _) = try Self.run([#"{"ts":"2026-11-27T14:00:00Z","big":9.5e18,"huge":12345678901234567890,"card":4242424242424242.5}"#], "- mask: {}")
        #expect(try Self.rows(e, "SELECT big, card FROM logs") == ["9.5e+18|<credit_card>"])
    }

    @Test func aHashIsOfTheValueHoweverItIsWritten() {
        let m = Masker(kinds: [.creditCard, .email], mode: .hash, key: Array("sixteen or more chars".utf8))
        #expect(m.mask("4242 4242 4242 4242") == m.mask("4242424242424242"))
        #expect(m.mask("Ann@Example.com") == m.mask("ann@example.com"))
    }

    @Test func systemdUnitsAreNoAddresses() {
        let m = Masker(kinds: Set(MaskKind.allCases), mode: .redact)
        #expect(m.mask("Started getty@tty1.service and user@1000.service") == "Started getty@tty1.service and user@1000.service")
    }

    // MARK: a bad list

    @Test(arguments: [
        ("- wher: \"x\"", "t.yaml:1: transforms[0].wher: unknown step; steps are where, sample, set, rename, drop, parse, mask, lookup, level, timestamp"),
        ("- where: \"count(*) > 1\"", "t.yaml:1: transforms[0].where: 'count(*) > 1': count() works over many records; a step sees one"),
        ("- where: \"status >\"", "t.yaml:1: transforms[0].where: 'status >': syntax error: expected an expression but found the end of the query"),
        ("- set: { x: \"nosuch(1)\" }", "t.yaml:1: transforms[0].set.x: 'nosuch(1)': unknown function 'nosuch'"),
        ("- set: { ts: \"now()\" }", "t.yaml:1: transforms[0].set: 'ts' is a core column; the timestamp step sets it"),
        ("- drop: [level]", "t.yaml:1: transforms[0].drop: 'level' is a core column; the level step sets it"),
        ("- mask: { with: hash }", "t.yaml:1: transforms[0].mask.key: 'with: hash' needs a secret: key: … or key_file: FILE (so that equal values hash alike, and no one can hash guesses)"),
        ("- mask: { kinds: [phone] }", "t.yaml:1: transforms[0].mask.kinds: 'phone' is not a kind; kinds are email, ipv4, ipv6, credit_card, jwt, aws_key, bearer"),
        ("- sample: { rate: 2 }", "t.yaml:1: transforms[0].sample.rate: must be a share from 0 to 1 (0.1 keeps one record in ten)"),
        ("- parse: { field: message, pattern: '(\\d+)' }", "t.yaml:1: transforms[0].parse.pattern: has no named group: write (?<name>…) for each field to take"),
        ("- level: { from: status, map: { \"5..\": bad } }", "t.yaml:1: transforms[0].level.map: 'bad' is not a level; levels are trace, debug, info, notice, warn, error, critical, fatal"),
        ("- where: \"true\"\n  set: { a: \"1\" }", "t.yaml:2: transforms[0].set: one step per list item: 'where' is here already"),
        ("- where: \"status\"", "t.yaml:1: transforms[0].where: 'status' is a value, not a condition: write a comparison such as \"status >= 500\""),
        ("- mask: { kinds: [] }", "t.yaml:1: transforms[0].mask.kinds: names no kind"),
        ("- set: { a: \"1\" }\n  source: [x]", "t.yaml:2: transforms[0].source: unknown key; did you mean 'sources'?"),
    ])
    func aBadStepNamesItsKeyAndLine(_ yaml: String, _ message: String) {
        #expect(throws: (any Error).self) { try Self.steps(yaml) }
        do { _ = try Self.steps(yaml) } catch { #expect("\(error)".hasPrefix(message), "\(error)") }
    }
}
