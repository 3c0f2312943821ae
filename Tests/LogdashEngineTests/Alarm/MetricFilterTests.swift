import Foundation
import Testing
@testable import LogdashEngine
import Scratch

/// CloudWatch Logs metric filter patterns.
@Suite struct MetricFilterTests {
    func m(_ pattern: String, _ line: String) throws -> Bool { try MetricFilter.parse(pattern).matches(line) }

    @Test func termsAllNoneAndAny() throws {
        #expect(try m("ERROR timeout", "2026 ERROR upstream timeout"))
        #expect(try !m("ERROR timeout", "2026 ERROR upstream refused"))
        #expect(try !m("error", "ERROR"))  // case-sensitive
        #expect(try m("ERROR -healthcheck", "ERROR on /api"))
        #expect(try !m("ERROR -healthcheck", "ERROR on healthcheck"))
        #expect(try m("?ERROR ?FATAL", "FATAL: disk"))
        #expect(try !m("?ERROR ?FATAL", "WARN: disk"))
        #expect(try m("\"upstream timeout\"", "the upstream timeout hit"))
        #expect(try !m("\"upstream timeout\"", "timeout upstream"))
        #expect(try m("", "anything"))
        #expect(throws: MetricFilter.ParseError.self) { _ = try MetricFilter.parse("\"open") }
    }

    @Test func jsonSelectorsComparisonsAndLogic() throws {
        let line = #"{"level":"error","latency_ms":750,"http":{"status":503,"path":"/api/cart"},"tags":["a","b"],"ok":false,"user":null}"#
        #expect(try m(#"{ $.level = "error" && $.latency_ms > 500 }"#, line))
        #expect(try !m(#"{ $.level = "error" && $.latency_ms > 1000 }"#, line))
        #expect(try m(#"{ $.level = "info" || $.http.status >= 500 }"#, line))
        #expect(try m(#"{ $.http.path = "/api/*" }"#, line))
        #expect(try m(#"{ $.http.path != "/health" }"#, line))
        #expect(try m(#"{ $.tags[1] = "b" }"#, line))
        #expect(try m(#"{ $.ok IS FALSE && $.user IS NULL && $.trace NOT EXISTS }"#, line))
        #expect(try !m(#"{ $.ok IS TRUE }"#, line))
        #expect(try m(#"{ ($.level = "warn" || $.level = "error") && $.http.status = 503 }"#, line))
        #expect(try !m(#"{ $.level = "error" }"#, "not json at all"))
        #expect(try MetricFilter.parse(#"{ $.level = "error" }"#).value(of: "$.latency_ms", in: line) == 750)
        for bad in [#"{ level = "error" }"#, #"{ $.level "error" }"#, #"{ $.level = "error" "#, #"{ ($.a = 1 }"#] {
            #expect(throws: MetricFilter.ParseError.self, "\(bad)") { _ = try MetricFilter.parse(bad) }
        }
    }

    @Test func spaceDelimitedFieldsWithEllipsisAndConditions() throws {
        let access = #"10.0.0.7 - bob [27/Nov/2026:14:00:00 +0000] "GET /api/cart HTTP/1.1" 503 1234"#
        let p = try MetricFilter.parse("[ip, identity, user, time, request, status=5*, bytes>1000]")
        #expect(p.matches(access))
        #expect(!p.matches(access.replacingOccurrences(of: " 503 ", with: " 200 ")))
        #expect(try m("[..., status=503, bytes]", access))
        #expect(try m("[ip=10.0.0.*, ...]", access))
        #expect(try m("[..., status=200 || status=503, bytes<2000]", access))
        #expect(try !m("[ip, user]", access))  // seven fields, two names and no ellipsis
        #expect(p.value(of: "bytes", in: access) == 1234)
        #expect(throws: MetricFilter.ParseError.self) { _ = try MetricFilter.parse("[ip, status~5]") }
    }

    @Test func byteSearchFindsTermsAnywhereCaseSensitively() {
        #expect(MetricFilter.has("upstream timeout", "timeout") && MetricFilter.has("timeout", "timeout") && MetricFilter.has("x", ""))
        #expect(!MetricFilter.has("Timeout", "timeout") && !MetricFilter.has("time", "timeout") && !MetricFilter.has("", "a"))
        #expect(MetricFilter.has("ttttimeout", "ttimeout") && MetricFilter.has("héllo wörld", "wörld") && !MetricFilter.has("héllo", "hel"))
    }

    /// The quick test before parsing a line's JSON never rules out a line that matches.
    @Test func theQuickTestRulesOutOnlyLinesThatCannotMatch() throws {
        let f = try MetricFilter.parse(#"{ $.level = "error" && ($.latency_ms > 500 || $.path = "/a*") && $.code != "x" }"#)
        #expect(f.requiredQuoted == [#""error""#])
        let lines = [
            #"{"level":"error","latency_ms":900,"code":"y"}"#, #"{"level":"info","latency_ms":900}"#, #"{"level":"\u0065rror","latency_ms":900,"code":"y"}"#,
            #"{"msg":"error","latency_ms":900}"#, #"{"level":"errors","latency_ms":900}"#, "not json error", #"{"level":"error","path":"/ab","code":"z"}"#,
        ]
        #expect(lines.filter(f.matches).count == 3)
        for line in lines where f.matches(line) {
            #expect(!MetricFilter.ruledOut(line, required: f.requiredQuoted), "\(line)")
        }
        #expect(MetricFilter.ruledOut(#"{"level":"info","latency_ms":900}"#, required: f.requiredQuoted))
        let simple = try MetricFilter.parse(#"{ $.level = "error" }"#)
        #expect(!MetricFilter.ruledOut(#"{"level":"\u0065rror"}"#, required: simple.requiredQuoted))  // an escape: parsed
        #expect(simple.matches(#"{"level":"\u0065rror"}"#))
        #expect(try MetricFilter.parse(#"{ $.a = "x" || $.b = "y" }"#).requiredQuoted.isEmpty)
        #expect(try MetricFilter.parse(#"{ $.a = "x*" && $.n = "5" }"#).requiredQuoted.isEmpty)
    }
}


/// The pass over raw lines as bytes (`PreparedFilter`: terms by `memmem`, flat JSON parsed by
/// hand) gives what the `String` path through Foundation gives, line by line, on gen_logs.py
/// lines with hostile ones mixed in and on JSON shapes it must hand back to Foundation.
@Suite struct PreparedFilterTests {
    @Test func bytesAndStringsGiveTheSameMeasure() throws {
        var lines = String(decoding: try genLogs(["--format", "json", "--lines", "3000", "--seed", "3", "--bad"]), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        lines += [#"{"level":"error","latency_ms":900,"nested":{"a":1}}"#, #"{"level":"err\u006fr","latency_ms":900}"#,
                  #"{"level":"error","latency_ms":"900"}"#, #"{"level":"error","ok":true,"x":null,"latency_ms":1e3}"#,
                  #"  {"level" : "error" , "latency_ms" : -1.5 }  "#, #"{"level":"error","latency_ms":900"#, "[1,2]", "{}"]
        let patterns: [(String, String?)] = [
            (#"{ $.level = "error" && $.latency_ms > 500 }"#, nil), (#"{ $.level = "error" }"#, "$.latency_ms"),
            (#"{ $.ok IS TRUE || $.x IS NULL }"#, nil), (#"{ $.status = 5* }"#, "2"), (#"{ $.missing NOT EXISTS }"#, nil),
            ("timeout", nil), ("ERROR -health ?timeout ?refused", "$.latency_ms"), (#""checkout""#, nil),
        ]
        var compared = 0
        for (text, selector) in patterns {
            let f = try MetricFilter.parse(text)
            let prepared = PreparedFilter(f, selector: selector)
            for line in lines {
                var l = line
                let viaBytes = l.withUTF8 { prepared.measure($0) }
                let viaString = f.measure(line, selector: selector)
                #expect(viaBytes == viaString, "\(text) on \(line)")
                compared += 1
            }
        }
        #expect(compared > 20000)
        // And the quick parse is the one that ran for gen_logs lines (Foundation only for the odd ones).
        var flat = 0
        for line in lines { var l = line; if l.withUTF8({ MetricFilter.parseFlatJSON($0) }) != nil { flat += 1 } }
        #expect(flat > 2800, "\(flat) of \(lines.count)")
    }

    /// A segment's lines searched at once (`LineSpan`: a term found by one search through all
    /// of them) match line by line as each line alone does — lines kept as bytes in memory and
    /// lines read back from their file, terms at a line's very start and end, across two lines
    /// (not a match), and patterns no line matches.
    @Test func aSegmentSearchedAtOnceMatchesLineByLine() throws {
        var lines = String(decoding: try genLogs(["--format", "json", "--lines", "4000", "--seed", "5", "--bad"]), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        lines += ["timeout at the end: timeout", "timeout", "time", "out", "tim", "eout", #"{"level":"error","latency_ms":600}"#, "10.0.0.1 alice GET / 503"]
        let patterns: [(String, String?)] = [
            ("timeout", nil), ("time out", nil), ("-timeout", "2"), ("?timeout ?refused", nil), ("error -health", nil), ("nothing-matches-this", nil),
            (#"{ $.level = "error" && $.latency_ms > 500 }"#, nil), (#"{ $.level = "error" }"#, "$.latency_ms"), (#"[ip, user, ..., status=5*]"#, nil),
        ]
        let inMemory = try store(lines: lines, chunk: 700).snapshot().segments
        let file = try Scratch.directory("span").appendingPathComponent("lines.log")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        let fromFile = try Store.load([.file(file.path)], options: LoadOptions()).0.snapshot().segments
        #expect(fromFile.contains { $0.columns["raw"]?.file != nil })
        for segments in [inMemory, fromFile] {
            for (text, selector) in patterns {
                let prepared = PreparedFilter(try MetricFilter.parse(text), selector: selector)
                var byLine: [Int: Double] = [:]
                var base = 0
                for seg in segments {
                    seg.columns["raw"]!.forEachBytes(rows: seg.rowCount) { r, line in
                        if let v = prepared.measure(line) { byLine[base + r] = v }
                    }
                    base += seg.rowCount
                }
                #expect(!byLine.isEmpty || text.contains("nothing"), "\(text)")
                // Lines from a file are read in runs of up to `chunk` bytes: one run, several, one a line.
                for chunk in [1 << 20, 4096, 1] {
                    var atOnce: [Int: Double] = [:], visited: [Int] = []
                    base = 0
                    for seg in segments {
                        seg.columns["raw"]!.withLines(rows: seg.rowCount, chunk: chunk) { span in
                            visited += span.rows.map { base + Int($0) }
                            prepared.measure(span) { i, v in atOnce[base + Int(span.rows[i])] = v }
                        }
                        base += seg.rowCount
                    }
                    #expect(atOnce == byLine, "\(text), chunk \(chunk)")
                    #expect(visited == Array(0..<base), "every line once, in order (chunk \(chunk))")
                }
            }
        }
    }

    /// The needle search finds the first match at every offset of a buffer, wherever the
    /// blocks it compares at once begin and end, as a byte-by-byte search does.
    @Test func theSearchFindsTheFirstMatchAtEveryOffset() {
        for needle in ["timeout", "ab", "\"error\"", "x"].map({ Array($0.utf8) }) {
            for size in [needle.count, 17, 64, 80, 150] {
                for at in 0...(size - needle.count) {
                    var text = [UInt8](repeating: UInt8(ascii: "."), count: size)
                    text.replaceSubrange(at..<(at + needle.count), with: needle)
                    if at > 3 { text[at - 3] = needle[0] }  // a partial match before it
                    let finder = LineSpan.Finder(needle, sample: text.withUnsafeBufferPointer { $0 })
                    for from in Set([0, max(0, at - 1), at, min(size, at + 1)]) {
                        let naive = (from...max(from, size - needle.count)).first { $0 + needle.count <= size && Array(text[$0..<($0 + needle.count)]) == needle }
                        let found = text.withUnsafeBufferPointer { finder.find($0.baseAddress!, from: from, to: size) }
                        #expect(found == naive, "\(String(decoding: needle, as: UTF8.self)) in \(size) bytes at \(at), from \(from)")
                    }
                }
            }
        }
    }

    /// `*` in a field's value: prefix, middle and suffix parts, in order, without overlap — also
    /// for values with NULs (a crash the filter-pattern fuzz target found).
    @Test func wildcardsMatchPartsInOrderWithoutOverlap() throws {
        #expect(MetricFilter.wildcard("5*", "503"))
        #expect(MetricFilter.wildcard("*out", "timed out"))
        #expect(MetricFilter.wildcard("a*b*c", "a-x-b-y-c"))
        #expect(!MetricFilter.wildcard("a*b*c", "a-c-b"))
        #expect(!MetricFilter.wildcard("ab*ba", "aba"))  // the suffix cannot reuse the prefix's bytes
        #expect(MetricFilter.wildcard("*", ""))
        #expect(!MetricFilter.wildcard("{* *}\0\0*e", "s=  {* *}\0\0\0"))
        let f = try MetricFilter.parse("[..., s=  {* *}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}*e]")
        _ = f.matches("a b c s=x \u{0}\u{0} e")
    }
}
