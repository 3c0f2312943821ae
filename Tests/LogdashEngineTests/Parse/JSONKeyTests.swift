import Foundation
import Testing
@testable import LogdashEngine

/// JSON lines from the common shippers fill the core columns from their own key names.
@Suite struct JSONKeyTests {
    /// `journalctl -o json`: microseconds in a string, PRIORITY as a syslog severity in a
    /// string, _HOSTNAME, MESSAGE.
    @Test func journaldJSONGivesTimeLevelHostAndMessage() throws {
        let (r, _, d) = try parse(#"{"__REALTIME_TIMESTAMP":"1795780800123456","PRIORITY":"3","_HOSTNAME":"web-1","SYSLOG_IDENTIFIER":"sshd","_PID":"812","MESSAGE":"Failed password for root"}"# + "\n")
        #expect(d.format == "json")
        #expect(r[0]["ts"] == .timestamp(1_795_780_800_123_456_000))
        #expect(r[0]["level"] == .string("error"))
        #expect(r[0]["host"] == .string("web-1"))
        #expect(r[0]["message"] == .string("Failed password for root"))
        #expect(r[0]["SYSLOG_IDENTIFIER"] == .string("sshd"))
        #expect(!r[0].flags.contains(.arrivalTime))
    }

    /// GELF (Graylog): epoch seconds with a fraction, short_message, a numeric syslog level.
    @Test func gelfGivesTimeLevelAndMessage() throws {
        let (r, _, _) = try parse(#"{"version":"1.1","host":"web-2","short_message":"disk full","timestamp":1795780800.5,"level":4,"_app":"shop"}"# + "\n")
        #expect(r[0]["ts"] == .timestamp(1_795_780_800_500_000_000))
        #expect(r[0]["level"] == .string("warn"))
        #expect(r[0]["message"] == .string("disk full"))
        #expect(r[0]["host"] == .string("web-2"))
    }

    /// OpenTelemetry's JSON log records and Serilog's compact JSON (CLEF).
    @Test func openTelemetryAndSerilogCompactJSON() throws {
        let (r, _, _) = try parse(#"{"timeUnixNano":"1795780800000000042","severityText":"WARN","body":"retrying","traceId":"5b8efff798038103d269b633813fc60c"}"# + "\n"
                                  + #"{"@t":"2026-11-27T12:00:01.5Z","@l":"Error","@m":"Order 42 failed","OrderId":42}"# + "\n")
        #expect(r[0]["ts"] == .timestamp(1_795_780_800_000_000_042))
        #expect(r[0]["level"] == .string("warn") && r[0]["message"] == .string("retrying"))
        #expect(r[1]["ts"] == ts("2026-11-27T12:00:01.5Z"))
        #expect(r[1]["level"] == .string("error") && r[1]["message"] == .string("Order 42 failed"))
    }

    /// Docker's json-file driver: the line in `log`, `stream`, `time`.
    @Test func dockerJSONFileGivesTheLineAndItsTime() throws {
        let (r, _, _) = try parse(#"{"log":"GET /healthz 200\n","stream":"stdout","time":"2026-11-27T12:00:00.123456789Z"}"# + "\n")
        #expect(r[0]["ts"] == .timestamp(1_795_780_800_123_456_789))
        #expect(r[0]["stream"] == .string("stdout"))
    }

    /// MongoDB 4.4+: the time in `t.$date`.
    @Test func mongoDBJSONGivesItsTime() throws {
        let (r, _, _) = try parse(#"{"t":{"$date":"2026-11-27T12:00:00.123+00:00"},"s":"I","c":"NETWORK","id":22943,"ctx":"listener","msg":"Connection accepted"}"# + "\n")
        #expect(r[0]["ts"] == .timestamp(1_795_780_800_123_000_000))
        #expect(r[0]["message"] == .string("Connection accepted"))
    }
}

@Suite struct JSONValueEdgeTests {
    /// journald writes a MESSAGE that is not valid UTF-8 (or holds control characters) as an
    /// array of its bytes: they are the message. A number too large for a double is kept as written.
    @Test func journaldsByteArrayMessageIsItsBytesAndAHugeNumberIsKeptAsWritten() throws {
        let (r, s, _) = try parse(#"{"__REALTIME_TIMESTAMP":"1795788000000000","PRIORITY":"3","MESSAGE":[104,105,27,91,51,49,109,33]}"# + "\n"
                                  + #"{"a":1e999999,"msg":"big"}"# + "\n")
        #expect(s.unparsed == 0)
        #expect(r[0]["message"] == .string("hi\u{1B}[31m!") && r[0]["level"] == .string("error"))
        #expect(r[1]["a"] == .string("1e999999") && r[1]["message"] == .string("big"))
        // Short keys are a time or a level only as text (Grafana's t, MongoDB's s), not as numbers.
        let short = try parse(#"{"t":42,"s":3,"ts":"2026-11-27T14:00:00Z","msg":"x"}"# + "\n" + #"{"t":"2026-11-27T14:00:01Z","s":"W","msg":"y"}"# + "\n").records
        #expect(short[0]["ts"]?.description == "2026-11-27T14:00:00.000Z" && short[0]["level"] == nil)
        #expect(short[1]["ts"]?.description == "2026-11-27T14:00:01.000Z" && short[1]["level"] == .string("warn"))
        for (text, isNumber) in [("-1.5e+3", true), ("1e999999", true), ("12", true), ("1-2", false), ("1.", false), ("e5", false), ("--1", false)] {
            #expect(ByteLine.with(text) { JSONFormat.isNumber($0) } == isNumber, "\(text)")
        }
    }
}
