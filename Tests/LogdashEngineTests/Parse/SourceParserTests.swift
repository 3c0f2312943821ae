import Testing
@testable import LogdashEngine

@Suite struct SourceParserTests {
    @Test func crlfAndLfLinesFrameTheSame() throws {
        let (a, _, _) = try parse("{\"a\":1}\r\n{\"a\":2}\r\n")
        let (b, _, _) = try parse("{\"a\":1}\n{\"a\":2}")
        #expect(a.map { $0["a"] } == b.map { $0["a"] })
        #expect(a[0]["raw"] == .string("{\"a\":1}"))
    }

    @Test func overLongRecordsAreCutFlaggedAndCounted() throws {
        let long = String(repeating: "é", count: 100)  // 200 bytes
        let (r, s, _) = try parse("short line\n\(long)\nafter\n", maxRecordBytes: 101)
        #expect(r.count == 3)
        #expect(r[1].flags.contains(.truncated))
        guard case .string(let raw)? = r[1]["raw"] else { Issue.record("no raw"); return }
        #expect(raw == String(repeating: "é", count: 50))  // cut on a character boundary
        #expect(s.truncated == 1)
        #expect(s.truncatedBytes == 100)
    }

    @Test func overLongLinesAcrossChunksAreCutOnce() throws {
        let text = "a=1 b=2\n" + String(repeating: "x", count: 5000) + "\nc=3 d=4\n"
        let (r, s, _) = try parse(text, maxRecordBytes: 1000, chunk: 700)
        #expect(r.count == 3)
        #expect(r[1].flags.contains(.truncated))
        #expect(s.truncated == 1)
        #expect(s.bytes == text.utf8.count)
        #expect(r[2]["c"] == .int(3))
    }

    @Test func chunkedParsingGivesTheSameRecordsAsWhole() throws {
        let text = """
            2026-11-27 14:00:00,123 ERROR [t] a.B - x
            java.lang.RuntimeException: y
            \tat a.B.c(B.java:1)
            2026-11-27 14:00:01,000 INFO  [t] a.B - z

            2026-11-27 14:00:02,000 WARN  [t] a.B - w
            not a log line
            """
        let whole = try parse(text)
        for chunk in [1, 2, 3, 7, 16, 50] {
            let parts = try parse(text, chunk: chunk)
            #expect(parts.records.map(\.values) == whole.records.map(\.values), "chunk \(chunk)")
            #expect(parts.stats == whole.stats, "chunk \(chunk)")
        }
    }

    @Test func lineThatFitsNoFormatIsKeptRaw() throws {
        let (r, s, _) = try parse("{\"a\":1}\nnot a log line at all\n{\"a\":2}\n")
        #expect(r.count == 3)
        #expect(r[1].flags.contains(.unparsed))
        #expect(r[1]["message"] == .string("not a log line at all"))
        #expect(r[1]["raw"] == .string("not a log line at all"))
        #expect(r[1]["ts"] == .timestamp(arrival))
        #expect(s.unparsed == 1)
    }

    @Test func mixedFileUsesEachLinesOwnFormat() throws {
        let text = """
            {"ts":"2026-11-27T14:00:00Z","level":"info","msg":"json"}
            1.2.3.4 - - [27/Nov/2026:14:00:01 +0000] "GET / HTTP/1.1" 200 5 "-" "curl"
            <13>Nov 27 14:00:02 h app: syslog
            ts=2026-11-27T14:00:03Z level=warn msg=logfmt
            {"ts":"2026-11-27T14:00:04Z","level":"info","msg":"json again"}
            """
        let (r, s, d) = try parse(text)
        // No format reads 60 % of it: the source is read per line.
        #expect(d.format == "generic")
        #expect(r.map(\.format) == ["json", "combined", "syslog3164", "logfmt", "json"])
        #expect(s.otherFormat == 5)
        #expect(s.unparsed == 0)
    }

    @Test func detectionReportsConfidence() throws {
        let (_, _, d) = try parse("{\"a\":1}\n{\"a\":2}\n{\"a\":3}\nnope\n")
        #expect(d.format == "json")
        #expect(d.confidence == 0.75)
        #expect(d.sampled == 4)
        let (_, _, none) = try parse("just words\nmore words\n")
        #expect(none.format == nil)
    }

    @Test func forcingAnUnknownFormatIsAnError() {
        #expect(throws: ParseError.self) { try parse("x", format: "yaml") }
    }

    @Test func everyByteIsAccountedFor() throws {
        let text = "\n\n{\"a\":1}\n  indented orphan\n\r\nzzz\n" + String(repeating: "q", count: 300) + "\n"
        let (r, s, _) = try parse(text, maxRecordBytes: 100)
        #expect(s.bytes == text.utf8.count)
        #expect(s.lines == s.records + s.emptyLines + s.continuationLines)
        #expect(r.count == s.records)
    }
}

/// Property tests: no byte sequence crashes the parse stage, and its books always balance.
@Suite struct ParseRobustnessTests {
    static let seeds = [
        #"{"ts":"2026-11-27T14:00:00Z","level":"info","a":{"b":[1,2,{"c":"d"}]},"s":"x\u00e9\n"}"#,
        #"1.2.3.4 - u [27/Nov/2026:14:00:00 +0000] "GET /p?q HTTP/1.1" 200 12 "r" "a""#,
        #"<165>1 2026-11-27T14:00:00Z h a 1 m [id k="v\"w"] msg"#,
        "<13>Nov 27 14:00:00 host tag[1]: message k=v",
        "2026-11-27 14:00:00,123 ERROR [t] c.L - m\njava.lang.X: y\n\tat a.b(C.java:1)",
        "ts=2026-11-27T14:00:00Z level=info msg=\"q\\\"x\" n=1",
        "[Sun Dec 04 04:47:44 2005] [error] client denied",
    ]

    @Test func randomBytesAndMutationsNeverCrash() throws {
        var rng = SplitMix64(seed: 7)
        for iteration in 0..<3000 {
            var bytes: [UInt8]
            if iteration % 3 == 0 {
                bytes = (0..<rng.int(0, 400)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                bytes = Array(Self.seeds[rng.int(0, Self.seeds.count - 1)].utf8)
                for _ in 0..<rng.int(1, 8) where !bytes.isEmpty {
                    let i = rng.int(0, bytes.count - 1)
                    switch rng.int(0, 3) {
                    case 0: bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                    case 1: bytes.remove(at: i)
                    case 2: bytes.insert([0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x0A, 0x00, 0x1B, 0xFF, 0x3D, 0x20][rng.int(0, 11)], at: i)
                    default: bytes = Array(bytes[..<i])
                    }
                }
            }
            let chunk: Int? = iteration % 2 == 0 ? nil : rng.int(1, 64)
            let (r, s, _) = try parse(bytes: bytes, maxRecordBytes: 128, chunk: chunk)
            #expect(s.bytes == bytes.count)
            #expect(r.count == s.records)
            #expect(s.lines == s.records + s.emptyLines + s.continuationLines)
        }
    }
}
