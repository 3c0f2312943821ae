import Testing
@testable import LogdashEngine

/// Lines of formats nobody wrote down: a time wherever it sits, the header around it, and lines
/// inside lines.
@Suite struct GenericPathTests {
    func one(_ line: String, at: Int64 = arrival) throws -> Rec {
        try #require(try parse(line + "\n", at: at).records.first)
    }

    @Test func aTimeAfterAPrefixIsFoundAndThePrefixKept() throws {
        let r = try one("myapp.log: 2026-11-27 14:00:00 ERROR boom status=500")
        #expect(r["ts"]?.description == "2026-11-27T14:00:00.000Z")
        #expect(r["level"] == .string("error") && r["prefix"] == .string("myapp.log") && r["status"] == .int(500))
        #expect(r["message"] == .string("boom status=500"))
        let hdfs = try one("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating")
        #expect(hdfs["pid"] == .int(148) && hdfs["logger"] == .string("dfs.DataNode$PacketResponder") && hdfs["level"] == .string("info"))
        let celery = try one("[2026-11-27 14:00:04,345: ERROR/ForkPoolWorker-2] Task raised")
        #expect(celery["level"] == .string("error") && celery["ts"]?.description == "2026-11-27T14:00:04.345Z")
    }

    /// `key: value` pairs become fields where unambiguous: a lower-case key and a number.
    @Test func colonPairsWithNumbersAreFieldsAndProseIsNot() throws {
        let r = try one("2026-11-27 14:00:00 INFO request done status: 200, took: 1.5 at 12:30 error: disk full")
        #expect(r["status"] == .int(200) && r["took"] == .double(1.5))
        #expect(r["at"] == nil && r["error"] == nil)
    }

    @Test func aLevelIsTakenFromTheHeaderNeverFromDeepInTheMessage() throws {
        #expect(try one("2026-11-27 14:00:00 user wrote ERROR in the form")["level"] == nil)
        #expect(try one("2026-11-27 14:00:00 [worker-3] WARN queue deep")["level"] == .string("warn"))
        #expect(try one("2026-11-27 14:00:00 - WARNING - low disk")["level"] == .string("warn"))
    }

    @Test func dayOrMonthFirstIsChosenPerSourceFromTheValuesItHas() throws {
        let dayFirst = try parse("03/04/2026 10:00:00 a\n25/04/2026 10:00:00 b\n").records
        #expect(dayFirst.map { $0["ts"]?.description ?? "-" } == ["2026-04-03T10:00:00.000Z", "2026-04-25T10:00:00.000Z"])
        let monthFirst = try parse("03/04/2026 10:00:00 a\n04/25/2026 10:00:00 b\n").records
        #expect(monthFirst.map { $0["ts"]?.description ?? "-" } == ["2026-03-04T10:00:00.000Z", "2026-04-25T10:00:00.000Z"])
        #expect(try one("27.11.2026 14:00:00 dotted is day first")["ts"]?.description == "2026-11-27T14:00:00.000Z")
        // Windows' US dates: one-digit parts and a 12-hour clock.
        #expect(try one("1/5/2026 9:00:00 PM started")["ts"]?.description == "2026-01-05T21:00:00.000Z")
        #expect(try one("12/31/2026 12:00:01 AM midnight")["ts"]?.description == "2026-12-31T00:00:01.000Z")
    }

    @Test func epochNumbersAreTimesOnlyInAPlausibleWindow() throws {
        #expect(try one("1795788000 started")["ts"]?.description == "2026-11-27T14:00:00.000Z")
        #expect(try one("1795788000.250 started")["ts"]?.description == "2026-11-27T14:00:00.250Z")
        #expect(try one("1795788000123 started")["ts"]?.description == "2026-11-27T14:00:00.123Z")
        // (19 digits past Int64 are no time, not a trap: found in review.)
        for line in ["42 apples", "123456789 is 1973", "9999999999 is 2286", "1795788000x not a number", "job 9999999999999999999 done"] {
            #expect(try one(line).flags.contains(.unparsed), "\(line)")
        }
    }

    @Test func tai64nLabelsAreTAIMinusTenSeconds() throws {
        // 0x400000006b098cea = 2^62 + 10 + 1795788000 (TAI is 10 s ahead of the UTC it stands for), 0x1dcd6500 ns = 0.5 s.
        let r = try one("@400000006b098cea1dcd6500 svscan: started")
        #expect(r["ts"]?.description == "2026-11-27T14:00:00.500Z")
        #expect(r["message"] == .string("svscan: started"))
    }

    /// Docker's `log`, a compose line and JSON after a syslog header are parsed again by their
    /// own format; the outer time stands.
    @Test func linesInsideLinesAreParsedByTheirOwnFormat() throws {
        let docker = try one(#"{"log":"10.0.0.1 - - [27/Nov/2026:14:00:05 +0000] \"GET /cart?id=7 HTTP/1.1\" 502 0 \"-\" \"curl/8.5\"\n","stream":"stdout","time":"2026-11-27T14:00:05.123456789Z"}"#)
        #expect(docker.format == "json" && docker["status"] == .int(502) && docker["path"] == .string("/cart") && docker["level"] == .string("error"))
        #expect(docker["message"] == .string("GET /cart?id=7 HTTP/1.1"), "the inner line's message")
        let dockerJSON = try one(#"{"log":"{\"level\":\"warn\",\"msg\":\"slow\",\"ms\":812}\n","stream":"stdout","time":"2026-11-27T14:00:05.1Z"}"#)
        #expect(dockerJSON["level"] == .string("warn") && dockerJSON["ms"] == .int(812) && dockerJSON["message"] == .string("slow"))
        let dockerText = try one(#"{"log":"plain words\n","stream":"stderr","time":"2026-11-27T14:00:06Z"}"#)
        #expect(dockerText["message"] == .string("plain words"), "without Docker's newline")
        #expect(docker["ts"]?.description == "2026-11-27T14:00:05.123456789Z" && docker["stream"] == .string("stdout"))
        let compose = try one("db-1   | 2026-11-27 14:00:00.123 UTC [1] LOG:  database system is ready")
        #expect(compose.format == "docker-compose" && compose["service"] == .string("db-1") && compose["level"] == .string("info") && compose["pid"] == .int(1))
        #expect(compose["ts"]?.description == "2026-11-27T14:00:00.123Z")
        let syslog = try one(#"<14>Nov 27 14:00:00 web-1 api[42]: @cee: {"user":"ann","latency_ms":12,"level":"warn"}"#)
        #expect(syslog.format == "syslog3164" && syslog["user"] == .string("ann") && syslog["latency_ms"] == .int(12))
        #expect(syslog["level"] == .string("warn") && syslog["severity"] == .int(6), "the application's level wins over its library's priority")
        let cri = try one(#"2026-11-27T14:00:00.5Z stderr F {"level":"error","msg":"boom","code":7}"#)
        #expect(cri.format == "cri" && cri["code"] == .int(7) && cri["level"] == .string("error"))
    }

    /// A stack trace written through a container runtime or docker compose is one record, its
    /// lines without the wrapper's prefix; CRI's `P` lines are joined to the line that ends them.
    @Test func aStackTraceThroughAWrapperIsOneRecordAndSplitLinesAreJoined() throws {
        let cri = """
            2026-11-27T14:00:00.100000000Z stderr F 2026-11-27 14:00:00,100 ERROR [main] com.shop.App - checkout failed
            2026-11-27T14:00:00.100000001Z stderr F java.lang.IllegalStateException: no stock
            2026-11-27T14:00:00.100000002Z stderr F 	at com.shop.Cart.take(Cart.java:42)
            2026-11-27T14:00:01.000000000Z stdout P part one,
            2026-11-27T14:00:01.000000001Z stdout P  part two,
            2026-11-27T14:00:01.000000002Z stdout F  the end
            2026-11-27T14:00:02.000000000Z stdout F next

            """
        let (r, s, _) = try parse(cri)
        #expect(r.count == 3 && s.continuationLines == 4 && s.unparsed == 0)
        #expect(r[0]["message"] == .string("checkout failed\njava.lang.IllegalStateException: no stock\n\tat com.shop.Cart.take(Cart.java:42)"))
        #expect(r[0]["exception"] == .string("java.lang.IllegalStateException") && r[0]["level"] == .string("error"))
        #expect(r[1]["message"] == .string("part one, part two, the end"))
        #expect(r[2]["message"] == .string("next"))
        // A JSON object split in parts is parsed once whole.
        let split = try parse("2026-11-27T14:00:01.0Z stdout P {\"level\":\"warn\",\"msg\":\"a long\n2026-11-27T14:00:01.1Z stdout F  line\",\"part\":3}\n").records
        #expect(split.count == 1 && split[0]["level"] == .string("warn") && split[0]["message"] == .string("a long line") && split[0]["part"] == .int(3))
        let compose = try parse("api-1  | 2026-11-27 14:00:00,100 ERROR [main] com.shop.App - boom\napi-1  | \tat com.shop.Cart.take(Cart.java:42)\nweb-1  | up\n").records
        #expect(compose.count == 2 && compose[0]["message"] == .string("boom\n\tat com.shop.Cart.take(Cart.java:42)"))
    }

    /// A file that mixes formats, detected as generic, is read per line: each line by the
    /// format that fits it.
    @Test func aSourceOfManyFormatsIsReadPerLine() throws {
        let text = """
            <13>Nov 27 14:00:00 web-1 app[7]: started port=8080
            1.2.3.4 - - [27/Nov/2026:14:00:01 +0000] "GET /x HTTP/1.1" 500 3 "-" "curl"
            myapp: 2026-11-27 14:00:02 WARN plain text

            """
        let (r, s, d) = try parse(text)
        #expect(d.format == "generic")
        #expect(r.map(\.format) == ["syslog3164", "combined", "generic"])
        #expect(r[0]["host"] == .string("web-1") && r[1]["status"] == .int(500) && r[2]["level"] == .string("warn"))
        #expect(s.unparsed == 0)
    }
}
