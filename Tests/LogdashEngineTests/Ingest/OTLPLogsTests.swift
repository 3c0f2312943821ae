import Foundation
import Testing
@testable import LogdashEngine

/// OTLP/HTTP logs bodies into JSON lines, and Kinesis records' data into lines: the edge cases
/// (the end-to-end tests use the real SDK, boto3 and moto).
@Suite struct OTLPLogsTests {
    typealias LogRecord = Opentelemetry_Proto_Collector_Logs_V1_LogRecord

    static func value(_ v: OTLPLogs.AnyValue.OneOf_Value) -> OTLPLogs.AnyValue {
        var a = OTLPLogs.AnyValue()
        a.value = v
        return a
    }

    static func attribute(_ key: String, _ v: OTLPLogs.AnyValue.OneOf_Value) -> OTLPLogs.KeyValue {
        var kv = OTLPLogs.KeyValue()
        kv.key = key
        kv.value = value(v)
        return kv
    }

    /// A request of one resource and scope holding `records`, as protobuf bytes.
    static func protobuf(_ records: [LogRecord], resource: [OTLPLogs.KeyValue] = []) throws -> [UInt8] {
        var scope = Opentelemetry_Proto_Collector_Logs_V1_ScopeLogs()
        scope.scope.name = "lib"
        scope.logRecords = records
        var rl = Opentelemetry_Proto_Collector_Logs_V1_ResourceLogs()
        rl.resource.attributes = resource
        rl.scopeLogs = [scope]
        var request = OTLPLogs.Request()
        request.resourceLogs = [rl]
        return try request.serializedBytes()
    }

    /// The JSON objects of the lines a body gives.
    static func objects(_ body: [UInt8], _ encoding: OTLPLogs.Encoding) throws -> [[String: Any]] {
        let (lines, count) = try OTLPLogs.lines(body, as: encoding)
        let objects = lines.split(separator: ASCII.lf).map { try! JSONSerialization.jsonObject(with: Data($0)) as! [String: Any] }
        #expect(objects.count == count)
        return objects
    }

    @Test func severityNumbersMapToLevelsAndTheTextIsUsedOnlyWithoutOne() throws {
        let cases: [(Int32, String, String?)] = [(1, "", "trace"), (8, "", "debug"), (9, "WARN", "info"), (16, "", "warn"), (17, "", "error"),
                                                 (24, "", "fatal"), (0, "Warning", "warn"), (0, "", nil), (99, "err", "error")]
        for (number, text, level) in cases {
            #expect(OTLPLogs.level(number: number, text: text)?.name == level, "\(number) \(text)")
        }
    }

    @Test func everyKindOfValueBecomesJSONAndNamesThatWouldBeCoreColumnsAreKeptAside() throws {
        var r = LogRecord()
        r.observedTimeUnixNano = 1_796_637_600_000_000_001  // no time: the observed one
        r.body = Self.value(.kvlistValue({ var m = Opentelemetry_Proto_Collector_Logs_V1_KeyValueList(); m.values = [Self.attribute("k", .intValue(1))]; return m }()))
        r.traceID = Data(repeating: 0, count: 16)  // all zero: no trace
        r.spanID = Data([1, 2, 3, 4, 5, 6, 7, 0xff])
        r.attributes = [Self.attribute("time", .stringValue("not the time")), Self.attribute("d", .doubleValue(.nan)),
                        Self.attribute("b", .bytesValue(Data("hi".utf8))), Self.attribute("a", .arrayValue({
                            var a = Opentelemetry_Proto_Collector_Logs_V1_ArrayValue(); a.values = [Self.value(.boolValue(true)), Self.value(.doubleValue(2.5))]; return a
                        }())), Self.attribute("service.name", .stringValue("mine"))]
        let resource = [Self.attribute("service.name", .stringValue("theirs")), Self.attribute("host.name", .stringValue("h1")),
                        Self.attribute("message", .stringValue("resource says"))]
        let o = try Self.objects(try Self.protobuf([r], resource: resource), .protobuf)[0]
        #expect(o["ts"] as? String == "2026-12-07T10:00:00.000000001Z")
        #expect(o["message"] as? String == #"{"k":1}"#, "a structured body as its JSON: \(o)")
        #expect(o["trace_id"] == nil && o["span_id"] as? String == "01020304050607ff")
        #expect(o["attributes.time"] as? String == "not the time" && o["time"] == nil)
        #expect(o["resource.message"] as? String == "resource says")
        #expect(o["d"] as? String == "nan" && o["b"] as? String == "aGk=")
        #expect((o["a"] as? [Any])?.count == 2)
        #expect(o["service.name"] as? String == "mine", "the record's attribute wins over the resource's: \(o)")
        #expect(o["host"] as? String == "h1" && o["host.name"] == nil && o["scope"] as? String == "lib")
        #expect(o["level"] == nil)
    }

    @Test func otlpJSONTakesNumbersAsStringsEnumNamesSnakeCaseAndIgnoresUnknownKeys() throws {
        let body = #"""
            {"resource_logs":[{"scopeLogs":[{"logRecords":[
              {"time_unix_nano":1796637600000000000,"severityNumber":"SEVERITY_NUMBER_WARN2","body":{"stringValue":"a"},
               "attributes":[{"key":"n","value":{"intValue":7}},{"key":"neg","value":{"int_value":"-8"}},{"key":"x","value":{"doubleValue":"Infinity"}}],
               "somethingNew":{"x":1},"traceId":"5B8EFFF798038103D269B633813FC60C"}]}]}]}
            """#
        let o = try Self.objects(Array(body.utf8), .json)[0]
        #expect(o["level"] as? String == "warn" && o["message"] as? String == "a")
        #expect(o["n"] as? Int == 7 && o["neg"] as? Int == -8 && o["x"] as? String == "inf")
        #expect(o["trace_id"] as? String == "5b8efff798038103d269b633813fc60c")
        #expect(o["ts"] as? String == "2026-12-07T10:00:00.000Z")
    }

    @Test func aBadBodyIsAnErrorThatSaysWhere() throws {
        let cases: [(String, String)] = [
            ("[1]", "the body is not a JSON object"),
            (#"{"resourceLogs":{}}"#, "resourceLogs is not a list"),
            (#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"spanId":"abc"}]}]}]}"#, "resourceLogs[0].scopeLogs[0].logRecords[0].spanId is not 8 bytes of hex"),
            (#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"LOUD"}]}]}]}"#, "'LOUD' is not a severity number"),
            (#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":-5}]}]}]}"#, "timeUnixNano is not a number of nanoseconds"),
            (#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"value":{"stringValue":"x"}}]}]}]}]}"#, "attributes[0] has no key"),
            (#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"boolValue":1}}]}]}]}"#, "body.boolValue is not true or false"),
            ("{", "the body is not JSON"),
        ]
        for (body, message) in cases {
            #expect(throws: OTLPLogs.Failure.self) { try OTLPLogs.lines(Array(body.utf8), as: .json) }
            do { _ = try OTLPLogs.lines(Array(body.utf8), as: .json) } catch { #expect("\(error)".contains(message), "\(body): \(error)") }
        }
        // Values nested past the bound, and protobuf that is not a request.
        let deep = String(repeating: #"{"arrayValue":{"values":["#, count: 70) + String(repeating: "]}}", count: 70)
        let nested = #"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":"# + deep + "}]}]}]}"
        do { _ = try OTLPLogs.lines(Array(nested.utf8), as: .json); Issue.record("no error") } catch { #expect("\(error)".contains("nest deeper than 64 levels"), "\(error)") }
        #expect(throws: OTLPLogs.Failure.self) { try OTLPLogs.lines([0x0a, 0x05, 0x01], as: .protobuf) }
    }

    /// Records that share a large resource come to far more as lines than the body weighs:
    /// past the bound the body is refused whole (413), not expanded.
    @Test func aSmallBodyThatWouldExpandPastTheBoundIsRefusedAsTooLarge() throws {
        let resource = [Self.attribute("big", .stringValue(String(repeating: "x", count: 10_000)))]
        let body = try Self.protobuf(Array(repeating: LogRecord(), count: 200), resource: resource)
        #expect(body.count < 20_000)
        do {
            _ = try OTLPLogs.lines(body, as: .protobuf, maxBytes: 1 << 20)
            Issue.record("no error")
        } catch let e as OTLPLogs.Failure {
            #expect(e.tooLarge && e.description.contains("more than 1048576 bytes"), "\(e)")
        }
        #expect(try OTLPLogs.lines(body, as: .protobuf, maxBytes: 4 << 20).count == 200)
    }

    @Test func anErrorAnswerIsAStatusInTheRequestsEncoding() throws {
        // (Its code is gRPC's for the HTTP status: 400 INVALID_ARGUMENT, 503 UNAVAILABLE.)
        let proto = OTLPLogs.error("bad \"thing\"", status: 400, .protobuf)
        let status = try Opentelemetry_Proto_Collector_Logs_V1_Status(serializedBytes: proto)
        #expect(status.code == 3 && status.message == "bad \"thing\"")
        let json = try JSONSerialization.jsonObject(with: Data(OTLPLogs.error("bad \"thing\"", status: 503, .json))) as? [String: Any]
        #expect(json?["message"] as? String == "bad \"thing\"" && json?["code"] as? Int == 14)
        #expect(OTLPLogs.Encoding(contentType: "application/json; charset=utf-8") == .json)
        #expect(OTLPLogs.Encoding(contentType: "Application/X-Protobuf") == .protobuf)
        #expect(OTLPLogs.Encoding(contentType: "text/plain") == nil)
    }

    /// Kinesis records: lines as they are (one ending without a line feed gets one), gzip
    /// unpacked, a CloudWatch Logs payload a JSON line per event, its control message skipped,
    /// gzip that does not unpack kept as it came.
    @Test func kinesisRecordsBecomeLinesAndCloudWatchPayloadsBecomeOnePerEvent() throws {
        func gzip(_ s: String) throws -> [UInt8] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "printf '%s' \"$0\" | gzip -c", s]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return [UInt8](data)
        }
        let cwl = #"{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"/g","logStream":"s","logEvents":[{"id":"a","timestamp":1796637600000,"message":"one"},{"id":"b","timestamp":1796637601500,"message":"two\nlines"}]}"#
        let control = #"{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE"}]}"#
        // (A time past what nanoseconds hold is left out, not trapped on.)
        let far = #"{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":9300000000000000,"message":"far"}]}"#
        let out = String(decoding: KinesisReader.lines([Array("plain".utf8), try gzip("zipped\n"), try gzip(cwl), try gzip(control),
                                                         [0x1f, 0x8b, 0x00, 0x41], [], Array("a\nb\n".utf8), try gzip(far)]), as: UTF8.self)
        #expect(out == """
            plain
            zipped
            {"ts":"2026-12-07T10:00:00.000Z","message":"one","log_group":"/g","log_stream":"s","owner":"1","id":"a"}
            {"ts":"2026-12-07T10:00:01.500Z","message":"two\\nlines","log_group":"/g","log_stream":"s","owner":"1","id":"b"}
            \u{1f}\u{fffd}\u{0}A
            a
            b
            {"message":"far"}

            """, "\(out.debugDescription)")
    }

    /// The severity text as given (so that the JSON format keeps its spelling), the number's
    /// level when they disagree (the text kept aside); attributes named as core columns kept
    /// aside; a long value cut and counted, the record whole.
    @Test func severityTextCoreNamesAndLongValuesKeepTheRecordWhole() throws {
        var a = LogRecord(), b = LogRecord(), c = LogRecord()
        a.severityText = "Information"; a.severityNumber = 9
        b.severityText = "bogus"
        c.severityText = "DEBUG"; c.severityNumber = 17
        c.body = Self.value(.stringValue(String(repeating: "é", count: 3000)))  // 6000 bytes, cut at a character's end
        c.attributes = [Self.attribute("raw", .stringValue("r")), Self.attribute("source", .stringValue("s")), Self.attribute("host", .stringValue("mine")),
                        Self.attribute("short", .stringValue("kept"))]
        let resource = [Self.attribute("host", .stringValue("theirs"))]
        let (lines, _) = try OTLPLogs.lines(try Self.protobuf([a, b, c], resource: resource), as: .protobuf, valueBytes: 1001)
        let o = lines.split(separator: ASCII.lf).map { try! JSONSerialization.jsonObject(with: Data($0)) as! [String: Any] }
        #expect(o[0]["level"] as? String == "Information" && o[0]["otel_severity_text"] == nil)
        #expect(o[1]["level"] as? String == "bogus")
        #expect(o[2]["level"] as? String == "error" && o[2]["otel_severity_text"] as? String == "DEBUG", "\(o[2])")
        #expect((o[2]["message"] as? String)?.utf8.count == 1000 && o[2]["values_cut"] as? Int == 1, "\(o[2]["values_cut"] ?? "")")
        #expect(o[2]["attributes.raw"] as? String == "r" && o[2]["attributes.source"] as? String == "s")
        #expect(o[2]["attributes.host"] as? String == "mine" && o[2]["resource.host"] as? String == "theirs", "both kept: \(o[2])")
        #expect(o[2]["short"] as? String == "kept")
    }

    @Test func protobufIdsOfAnotherSizeAndBrokenBodiesAreRefusedInWords() throws {
        var r = LogRecord()
        r.traceID = Data([1, 2, 3])
        do { _ = try OTLPLogs.lines(try Self.protobuf([r]), as: .protobuf); Issue.record("no error") } catch {
            #expect("\(error)".contains("resourceLogs[0].scopeLogs[0].logRecords[0].traceId is not 16 bytes"), "\(error)")
        }
        let whole = try Self.protobuf([LogRecord()])
        do { _ = try OTLPLogs.lines(Array(whole.dropLast()), as: .protobuf); Issue.record("no error") } catch {
            #expect("\(error)".contains("it ends in the middle of a field"), "\(error)")
        }
        let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        do { _ = try OTLPLogs.lines(Array(deep.utf8), as: .json); Issue.record("no error") } catch {
            #expect("\(error)".contains("the body is not JSON: ") && "\(error)".count > "the body is not JSON: ".count, "\(error)")
        }
    }

    @Test func aBearerTokenIsTakenWithTheSchemeInAnyCase() {
        #expect(HTTPIngestHandler.bears("Bearer s3cret", "s3cret") && HTTPIngestHandler.bears("bearer s3cret", "s3cret"))
        #expect(HTTPIngestHandler.bears("BEARER  s3cret ", "s3cret"))
        #expect(!HTTPIngestHandler.bears("Basic s3cret", "s3cret") && !HTTPIngestHandler.bears("Bearer s3cre", "s3cret") && !HTTPIngestHandler.bears(nil, "x"))
    }

    @Test func sequenceNumbersCompareAsNumbersOfAnyLength() {
        #expect(KinesisReader.precedes("9", "10") && !KinesisReader.precedes("10", "9"))
        #expect(KinesisReader.precedes("49590338271490256608559692538361571095921575989136588898", "49590338271490256608559692540925702759324208523137515618"))
        #expect(!KinesisReader.precedes("5", "5") && KinesisReader.precedes("0", "1"))
    }

    /// An alarm that cannot run is in ERROR for Prometheus too, as the panel shows it.
    @Test func anAlarmThatCannotRunIsInErrorOnMetrics() {
        let exposition = MetricsExposition()
        let broken = AlarmReplay.Status(name: "broken", state: .insufficientData, value: nil, recent: [], comparison: nil, threshold: nil, since: nil,
                                        reason: "", composite: false, asOf: nil, problem: "unknown column 'x'")
        let fine = AlarmReplay.Status(name: "fine", state: .alarm, value: 7, recent: [], comparison: nil, threshold: nil, since: nil,
                                      reason: "", composite: false, asOf: nil, problem: nil)
        exposition.setAlarms([broken, fine])
        let text = String(decoding: exposition.text(metrics: IngestMetrics(), bufferBytes: 0, bufferCapacity: 1), as: UTF8.self)
        #expect(text.contains(#"logdash_alarm_state{alarm="broken",state="ERROR"} 1.0"#), "\(text)")
        #expect(text.contains(#"logdash_alarm_state{alarm="broken",state="INSUFFICIENT_DATA"} 0.0"#))
        #expect(text.contains(#"logdash_alarm_state{alarm="fine",state="ALARM"} 1.0"#) && text.contains(#"logdash_alarm_value{alarm="fine"} 7.0"#))
    }
}
