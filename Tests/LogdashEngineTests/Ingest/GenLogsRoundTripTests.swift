import Foundation
import Testing
@testable import LogdashEngine

/// Every format `gen_logs.py` writes, parsed back and checked field by field against what the
/// generator wrote. The same seed gives the same events in every format, and the JSON form
/// carries all of them, so it is the ground truth.
@Suite struct GenLogsRoundTripTests {
    static let lines = 3000
    /// The generator's span starts 2026-11-27; parse as if it arrived the next day.
    static let arrivalNextDay = Timestamp.make(year: 2026, month: 11, day: 28, hour: 1, minute: 0, second: 0)!

    func load(_ format: String, extra: [String] = []) throws -> (records: [Rec], stats: SourceStats, detection: Detection) {
        let data = try genLogs(["--format", format, "--lines", String(Self.lines), "--seed", "42"] + extra)
        return try parse(bytes: Array(data), chunk: 1 << 16, at: Self.arrivalNextDay)
    }

    func truth() throws -> [[String: Any]] {
        let data = try genLogs(["--format", "json", "--lines", String(Self.lines), "--seed", "42"])
        return try data.split(separator: 0x0A).map { try JSONSerialization.jsonObject(with: Data($0)) as! [String: Any] }
    }

    func expectSameTime(_ v: Value?, _ iso: Any?, secondsOnly: Bool = false, _ where_: String) {
        guard case .timestamp(let ns)? = v, let iso = iso as? String else { Issue.record("no ts \(where_)"); return }
        var want = ByteLine.with(iso) { Timestamp.parse(text: $0, reference: arrival) }!
        if secondsOnly { want -= want % Timestamp.nanosPerSecond }
        #expect(ns == want, "\(where_)")
    }

    @Test func jsonRoundTripsEveryField() throws {
        let (r, s, d) = try load("json")
        let t = try truth()
        #expect(d.format == "json")
        #expect(r.count == t.count)
        #expect(s.unparsed == 0)
        for (i, (rec, want)) in zip(r, t).enumerated() {
            expectSameTime(rec["ts"], want["ts"], "row \(i)")
            #expect(rec["level"] == .string(want["level"] as! String))
            #expect(rec["message"] == .string(want["msg"] as! String))
            #expect(rec["host"] == .string(want["host"] as! String))
            for k in ["service", "method", "path", "user", "trace_id"] { #expect(rec[k] == .string(want[k] as! String), "\(k) row \(i)") }
            #expect(rec["status"] == .int(Int64(want["status"] as! Int)))
            #expect(rec["bytes"] == .int(Int64(want["bytes"] as! Int)))
            #expect(rec["latency_ms"].map(asDouble) == (want["latency_ms"] as! NSNumber).doubleValue, "row \(i)")
        }
    }

    @Test func logfmtRoundTripsEveryField() throws {
        let (r, s, d) = try load("logfmt")
        let t = try truth()
        #expect(d.format == "logfmt")
        #expect(r.count == t.count)
        #expect(s.unparsed == 0)
        for (i, (rec, want)) in zip(r, t).enumerated() {
            expectSameTime(rec["ts"], want["ts"], "row \(i)")
            #expect(rec["message"] == .string(want["msg"] as! String), "row \(i)")
            #expect(rec["level"] == .string(want["level"] as! String))
            #expect(rec["status"] == .int(Int64(want["status"] as! Int)))
            #expect(rec["path"] == .string(want["path"] as! String))
            #expect(rec["latency_ms"].map(asDouble) == (want["latency_ms"] as! NSNumber).doubleValue, "row \(i)")
        }
    }

    @Test func combinedRoundTripsRequestFields() throws {
        let (r, s, d) = try load("combined")
        let t = try truth()
        #expect(d.format == "combined")
        #expect(r.count == t.count)
        #expect(s.unparsed == 0)
        for (i, (rec, want)) in zip(r, t).enumerated() {
            expectSameTime(rec["ts"], want["ts"], secondsOnly: true, "row \(i)")
            #expect(rec["method"] == .string(want["method"] as! String))
            #expect(rec["path"] == .string(want["path"] as! String))
            let status = want["status"] as! Int
            #expect(rec["status"] == .int(Int64(status)))
            #expect(rec["bytes"] == .int(Int64(want["bytes"] as! Int)))
            #expect(rec["user"] == (status == 401 ? nil : .string(want["user"] as! String)), "row \(i)")
            #expect(rec["user_agent"] != nil)
        }
    }

    @Test func syslog5424RoundTripsHeaderAndStructuredData() throws {
        let (r, s, d) = try load("syslog5424")
        let t = try truth()
        #expect(d.format == "syslog5424")
        #expect(r.count == t.count)
        #expect(s.unparsed == 0)
        for (i, (rec, want)) in zip(r, t).enumerated() {
            expectSameTime(rec["ts"], want["ts"], "row \(i)")
            #expect(rec["host"] == .string(want["host"] as! String))
            #expect(rec["app"] == .string(want["service"] as! String))
            #expect(rec["message"] == .string(want["msg"] as! String), "row \(i)")
            #expect(rec["level"] == .string(want["level"] as! String))
            #expect(rec["facility"] == .string("local0"))
            #expect(rec["status"] == .int(Int64(want["status"] as! Int)))
            #expect(rec["latency_ms"].map(asDouble) == (want["latency_ms"] as! NSNumber).doubleValue, "row \(i)")
        }
    }

    @Test func syslog3164RoundTripsWithTheYearInferred() throws {
        let (r, s, d) = try load("syslog3164")
        let t = try truth()
        #expect(d.format == "syslog3164")
        #expect(r.count == t.count)
        #expect(s.unparsed == 0)
        for (i, (rec, want)) in zip(r, t).enumerated() {
            expectSameTime(rec["ts"], want["ts"], secondsOnly: true, "row \(i)")
            #expect(rec["host"] == .string(want["host"] as! String))
            #expect(rec["app"] == .string(want["service"] as! String))
            #expect(rec["level"] == .string(want["level"] as! String))
            #expect(rec["status"] == .int(Int64(want["status"] as! Int)))
            #expect(rec["message"] == .string("\(want["msg"] as! String) status=\(want["status"] as! Int)"), "row \(i)")
        }
    }

    @Test func javaRecordsJoinTheirStackTraces() throws {
        let data = try genLogs(["--format", "java", "--lines", String(Self.lines), "--seed", "42"])
        let text = String(decoding: data, as: UTF8.self)
        let physical = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        let heads = physical.filter { $0.first?.isNumber == true }
        let (r, s, d) = try parse(bytes: Array(data), chunk: 1 << 14, at: Self.arrivalNextDay)
        #expect(d.format == "java")
        #expect(r.count == Self.lines)
        #expect(r.count == heads.count)
        #expect(s.lines == physical.count)
        #expect(s.continuationLines == physical.count - heads.count)
        #expect(s.unparsed == 0)
        let withTrace = r.filter { $0.flags.contains(.multiline) }
        #expect(!withTrace.isEmpty)
        #expect(withTrace.allSatisfy { $0["exception"] == .string("java.lang.IllegalStateException") && $0["level"] == .string("error") })
        for (rec, head) in zip(r, heads) {
            // "2026-11-27 00:00:00,000 INFO  [http-nio-8080-exec-19] com.shop.PaymentsService - session refreshed"
            let parts = head.split(separator: " ", omittingEmptySubsequences: true)
            #expect(rec["logger"] == .string(String(parts[4])))
            #expect(rec["thread"] == .string(String(parts[3].dropFirst().dropLast())))
        }
    }

    @Test func badModeInputIsFullyAccountedFor() throws {
        let data = try genLogs(["--format", "json", "--lines", "5000", "--seed", "3", "--bad"])
        let physical = data.split(separator: 0x0A, omittingEmptySubsequences: false).count - 1
        let (r, s, d) = try parse(bytes: Array(data), maxRecordBytes: 65536, chunk: 1 << 15, at: Self.arrivalNextDay)
        #expect(d.format == "json")
        #expect(s.bytes == data.count)
        #expect(s.lines == physical)
        #expect(s.records + s.emptyLines + s.continuationLines == physical)
        #expect(r.count == s.records)
        #expect(s.unparsed > 0)
        #expect(s.truncated > 0)  // the 70,000-byte lines, with a 64 KiB limit
        #expect(r.filter { $0.flags.contains(.unparsed) }.count == s.unparsed)
    }

    func asDouble(_ v: Value) -> Double? {
        switch v {
        case .double(let d): d
        case .int(let i): Double(i)
        default: nil
        }
    }
}
