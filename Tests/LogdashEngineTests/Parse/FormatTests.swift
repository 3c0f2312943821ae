import Testing
@testable import LogdashEngine

@Suite struct JSONFormatTests {
    @Test func wellKnownKeysFillCoreColumnsAndStayQueryable() throws {
        let (r, _, d) = try parse(#"{"time":"2026-11-27T14:00:00.5Z","severity":"Warning","msg":"disk low","hostname":"db-1","pct":93.5}"#)
        #expect(d.format == "json")
        #expect(r[0]["ts"] == ts("2026-11-27T14:00:00.5Z"))
        #expect(r[0]["level"] == .string("warn"))
        #expect(r[0]["message"] == .string("disk low"))
        #expect(r[0]["host"] == .string("db-1"))
        #expect(r[0]["time"] == .string("2026-11-27T14:00:00.5Z"))
        #expect(r[0]["severity"] == .string("Warning"))
        #expect(r[0]["msg"] == .string("disk low"))
        #expect(r[0]["hostname"] == .string("db-1"))
        #expect(r[0]["level_raw"] == .string("Warning"))
        #expect(r[0]["pct"] == .double(93.5))
    }

    @Test func nestedObjectsFlattenToDottedNamesAndArraysStayJSON() throws {
        let (r, _, _) = try parse(#"{"ts":1795788000,"http":{"status":502,"req":{"path":"/x"}},"tags":["a",{"b":"]"}],"ok":true,"n":null}"#)
        #expect(r[0]["http.status"] == .int(502))
        #expect(r[0]["http.req.path"] == .string("/x"))
        #expect(r[0]["tags"] == .string(#"["a",{"b":"]"}]"#))
        #expect(r[0]["ok"] == .bool(true))
        #expect(r[0]["n"] == nil)
        #expect(r[0]["ts"] == ts("2026-11-27T14:00:00Z"))
    }

    @Test func escapesAndUnicodeDecode() throws {
        let (r, _, _) = try parse(#"{"message":"tab\there \"q\" \u00e9 \ud83d\ude80 \/","k\"ey":"v"}"#)
        #expect(r[0]["message"] == .string("tab\there \"q\" é 🚀 /"))
        #expect(r[0]["k\"ey"] == .string("v"))
    }

    @Test func pinoNumericLevelsAndEpochMillis() throws {
        let (r, _, _) = try parse(#"{"level":50,"time":1795788000123,"msg":"boom"}"#)
        #expect(r[0]["level"] == .string("error"))
        #expect(r[0]["ts"] == ts("2026-11-27T14:00:00.123Z"))
    }

    @Test func coreNamedKeysThatCannotFillTheCoreAreRenamed() throws {
        let (r, _, _) = try parse(#"{"ts":"yesterday","raw":"x","source":"y","level":[1]}"#)
        #expect(r[0]["_ts"] == .string("yesterday"))
        #expect(r[0]["_raw"] == .string("x"))
        #expect(r[0]["_source"] == .string("y"))
        #expect(r[0]["_level"] == .string("[1]"))
        #expect(r[0].flags.contains(.arrivalTime))
    }

    @Test func malformedJSONFallsBackToARawRecord() throws {
        for bad in [#"{"a":1"#, #"{"a":tru}"#, #"{"a" 1}"#, #"{"a":1}x"#, #"{"a":"\q"}"#, "{", #"{"a":1,}"#] {
            let (r, s, _) = try parse(bad, format: "json")
            #expect(r.count == 1, "\(bad)")
            #expect(r[0]["raw"] == .string(bad))
            #expect(r[0].flags.contains(.unparsed) || r[0].format != "json", "\(bad)")
            #expect(s.records == 1)
        }
    }

    @Test func typesWidenIntThenDoubleThenString() throws {
        let (r, _, _) = try parse("{\"v\":1}\n{\"v\":2.5}\n{\"v\":\"x\"}\n{\"w\":1}\n")
        #expect(r.map { $0["v"] } == [.string("1"), .string("2.5"), .string("x"), nil])
        let (r2, _, _) = try parse("{\"v\":1}\n{\"v\":2.5}\n")
        #expect(r2.map { $0["v"] } == [.double(1), .double(2.5)])
    }
}

@Suite struct LogfmtFormatTests {
    @Test func pairsAreTypedAndQuotedValuesUnescaped() throws {
        let (r, _, d) = try parse(#"ts=2026-11-27T14:00:00Z level=error msg="upstream \"db\" timed out" status=504 latency_ms=12.5 retry=true"#)
        #expect(d.format == "logfmt")
        #expect(r[0]["message"] == .string(#"upstream "db" timed out"#))
        #expect(r[0]["status"] == .int(504))
        #expect(r[0]["latency_ms"] == .double(12.5))
        #expect(r[0]["retry"] == .bool(true))
        #expect(r[0]["level"] == .string("error"))
        #expect(r[0]["ts"] == ts("2026-11-27T14:00:00Z"))
    }

    @Test func identifiersWithLeadingZerosStayText() throws {
        let (r, _, _) = try parse("a=007 b=12 c=0.5", format: "logfmt")
        #expect(r[0]["a"] == .string("007"))
        #expect(r[0]["c"] == .double(0.5))
    }

    @Test func proseIsNotLogfmt() throws {
        let (r, _, _) = try parse("this is not a=b log line at all", format: "logfmt")
        #expect(r[0].format != "logfmt")
    }
}

@Suite struct AccessLogFormatTests {
    @Test func combinedLineGivesEveryField() throws {
        let line = #"203.0.113.9 - alice [27/Nov/2026:14:00:00 +0000] "GET /api/cart?id=1&x=2 HTTP/1.1" 503 512 "https://ref.example/" "curl/8.5.0" 0.042"#
        let (r, _, d) = try parse(line)
        #expect(d.format == "combined")
        let x = r[0]
        #expect(x["ip"] == .string("203.0.113.9"))
        #expect(x["user"] == .string("alice"))
        #expect(x["method"] == .string("GET"))
        #expect(x["path"] == .string("/api/cart"))
        #expect(x["query"] == .string("id=1&x=2"))
        #expect(x["protocol"] == .string("HTTP/1.1"))
        #expect(x["status"] == .int(503))
        #expect(x["bytes"] == .int(512))
        #expect(x["referer"] == .string("https://ref.example/"))
        #expect(x["user_agent"] == .string("curl/8.5.0"))
        #expect(x["extra1"] == .double(0.042))
        #expect(x["level"] == .string("error"))
        #expect(x["message"] == .string("GET /api/cart?id=1&x=2 HTTP/1.1"))
        #expect(x["ts"] == ts("2026-11-27T14:00:00Z"))
    }

    @Test func commonLineIPv6AndDashBytes() throws {
        let (r, _, d) = try parse(#"2001:db8::1 - - [27/Nov/2026:14:00:00 -0500] "HEAD / HTTP/1.0" 304 -"#)
        #expect(d.format == "combined")
        #expect(r[0]["ip"] == .string("2001:db8::1"))
        #expect(r[0]["bytes"] == nil)
        #expect(r[0]["user"] == nil)
        #expect(r[0]["ts"] == ts("2026-11-27T19:00:00Z"))
        #expect(r[0]["level"] == .string("info"))
    }

    @Test func escapedQuotesInsideTheRequest() throws {
        let (r, _, _) = try parse(#"1.2.3.4 - - [27/Nov/2026:14:00:00 +0000] "GET /a\"b HTTP/1.1" 404 0 "-" "x\"y""#, format: "combined")
        #expect(r[0]["status"] == .int(404))
        #expect(r[0]["user_agent"] == .string(#"x\"y"#))
    }
}

@Suite struct SyslogFormatTests {
    @Test func rfc5424WithStructuredData() throws {
        let line = #"<165>1 2026-11-27T14:00:00.123Z web-1 checkout 4242 ID47 [req@32473 status="500" note="a \"b\" \]c"][x@1 k="v"] boom"#
        let (r, _, d) = try parse(line)
        #expect(d.format == "syslog5424")
        let x = r[0]
        #expect(x["facility"] == .string("local4"))
        #expect(x["severity"] == .int(5))
        #expect(x["level"] == .string("notice"))
        #expect(x["host"] == .string("web-1"))
        #expect(x["app"] == .string("checkout"))
        #expect(x["pid"] == .int(4242))
        #expect(x["msgid"] == .string("ID47"))
        #expect(x["status"] == .int(500))
        #expect(x["note"] == .string(#"a "b" ]c"#))
        #expect(x["k"] == .string("v"))
        #expect(x["message"] == .string("boom"))
        #expect(x["ts"] == ts("2026-11-27T14:00:00.123Z"))
    }

    @Test func rfc5424WithNilValues() throws {
        let (r, _, _) = try parse("<14>1 - - - - - - hello", format: "syslog5424")
        #expect(r[0]["message"] == .string("hello"))
        #expect(r[0]["host"] == nil)
        #expect(r[0].flags.contains(.arrivalTime))
    }

    /// A line that ends right after RFC 5424's version is not read past its end (the records
    /// fuzz target found the out-of-bounds read under AddressSanitizer).
    @Test func rfc5424CutAfterItsVersionIsNotReadPastItsEnd() throws {
        let f = Syslog5424Format()
        for text in ["<134>1 ", "<134>1", "<134>1 -", "<134>1 2026-11-27T14:00:00Z"] {
            let bytes = Array(text.utf8)  // exactly the line: nothing after it to read by mistake
            var batch = RecordBatch(source: "t")
            batch.beginRow(arrival: 0)
            let ok = bytes.withUnsafeBufferPointer { f.parse(ByteLine(base: $0.baseAddress!, count: $0.count), into: &batch, scratch: ParseScratch()) }
            #expect(!ok, "\(text)")
        }
    }

    @Test func rfc3164WithAndWithoutPriorityAndRsyslogISOTime() throws {
        let (r, _, d) = try parse("<11>Nov 27 14:00:00 web-1 sshd[812]: Failed password for root port=22\n"
                                  + "Nov 27 14:00:01 web-2 kernel: eth0 link up\n"
                                  + "2026-11-27T14:00:02.5+00:00 web-3 cron[9]: job done\n")
        #expect(d.format == "syslog3164")
        #expect(r.count == 3)
        #expect(r[0]["level"] == .string("error"))
        #expect(r[0]["app"] == .string("sshd"))
        #expect(r[0]["pid"] == .int(812))
        #expect(r[0]["port"] == .int(22))
        #expect(r[0]["facility"] == .string("user"))
        #expect(r[1]["app"] == .string("kernel"))
        #expect(r[1]["level"] == nil)
        #expect(r[2]["ts"] == ts("2026-11-27T14:00:02.5Z"))
        #expect(r[2]["host"] == .string("web-3"))
    }
}

@Suite struct JavaAndGenericFormatTests {
    @Test func log4jLineWithStackTraceIsOneRecord() throws {
        let text = """
            2026-11-27 14:00:00,123 ERROR [http-nio-8080-exec-3] com.shop.CheckoutService - payment failed order=17
            java.lang.IllegalStateException: payment failed
            \tat com.shop.Handler.handle(Handler.java:42)
            \tat com.shop.Server.run(Server.java:7)
            Caused by: java.net.SocketTimeoutException: Read timed out
            \t... 12 more
            2026-11-27 14:00:01,000 INFO  [main] com.shop.App - next
            """
        let (r, s, d) = try parse(text)
        #expect(d.format == "java")
        #expect(r.count == 2)
        #expect(s.continuationLines == 5)
        #expect(r[0]["thread"] == .string("http-nio-8080-exec-3"))
        #expect(r[0]["logger"] == .string("com.shop.CheckoutService"))
        #expect(r[0]["exception"] == .string("java.lang.IllegalStateException"))
        #expect(r[0]["order"] == .int(17))
        #expect(r[0].flags.contains(.multiline))
        guard case .string(let m)? = r[0]["message"] else { Issue.record("no message"); return }
        #expect(m.hasPrefix("payment failed order=17\njava.lang.IllegalStateException: payment failed\n\tat com.shop.Handler"))
        #expect(m.hasSuffix("\t... 12 more"))
        guard case .string(let raw)? = r[0]["raw"] else { Issue.record("no raw"); return }
        #expect(raw.split(separator: "\n").count == 6)
        #expect(r[1]["level"] == .string("info"))
    }

    @Test func genericLinesWithLevelTokensInManyShapes() throws {
        let text = """
            2026-11-27 14:00:00 [ERROR] db down
            [2026-11-27T14:00:01Z] warning: disk 91% used=91
            2026-11-27T14:00:02Z E/ActivityManager: crash
            Nov 27 14:00:03 started without a level
            2026-11-27 14:00:04 Information is a word here
            """
        let (r, _, _) = try parse(text, format: "generic")
        #expect(r.map { $0["level"] } == [.string("error"), .string("warn"), .string("error"), nil, nil])
        #expect(r[0]["message"] == .string("db down"))
        #expect(r[1]["used"] == .int(91))
        #expect(r[4]["message"] == .string("Information is a word here"))
        #expect(r.allSatisfy { $0.format == "generic" })
    }
}

@Suite struct RegexFormatTests {
    @Test func namedCapturesBecomeTypedFields() throws {
        let regex = try PCRERegex(#"^(?<ts>\d+/\d+/\d+ [\d:]+) \[(?<level>\w+)\] (?<user>\w+) took (?<ms>\d+)ms: (?<message>.*)$"#)
        let f = RegexFormat(name: "myapp", regex: regex, timestampFormat: try TimeFormat("%d/%m/%Y %H:%M:%S"), types: ["ms": .double])
        let (r, _, d) = try parse("27/11/2026 14:00:00 [Err] bob took 25ms: slow\n", registry: FormatRegistry(userFormats: [f]))
        #expect(d.format == "myapp")
        #expect(r[0]["ts"] == ts("2026-11-27T14:00:00Z"))
        #expect(r[0]["level"] == .string("error"))
        #expect(r[0]["level_raw"] == .string("Err"))
        #expect(r[0]["user"] == .string("bob"))
        #expect(r[0]["ms"] == .double(25))
        #expect(r[0]["message"] == .string("slow"))
    }

    @Test func invalidUTF8DoesNotStopAMatch() throws {
        let regex = try PCRERegex(#"^(?<a>\S+) (?<message>.*)$"#)
        let f = RegexFormat(name: "r", regex: regex)
        let (r, _, _) = try parse(bytes: Array("x ".utf8) + [0xFF, 0xFE, 0x41], format: "r", registry: FormatRegistry(userFormats: [f]))
        #expect(r[0].format == "r")
        #expect(r[0]["a"] == .string("x"))
    }

    @Test func badPatternReportsWhereItBroke() {
        #expect(throws: PCRERegex.CompileError.self) { try PCRERegex("(?<a>x") }
    }
}
