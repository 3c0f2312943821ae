import Foundation
import Testing
import Scratch

/// The HTTP source's open doors, with the real clients of each: OpenTelemetry's Python SDK and
/// its OTLP/HTTP exporter posting logs to `/v1/logs`, and prometheus-client's parser reading
/// `/metrics`.
@Suite struct OpenStandardsCommandTests {
    let cli = CommandLineTests()
    static let peers = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("peers")

    /// The Python with the OpenTelemetry SDK, its OTLP/HTTP exporter and prometheus-client
    /// (`.ci/run` installs them in /tmp/logdash-otel).
    static func python() throws -> String {
        guard let python = PythonWith.find(module: "opentelemetry.exporter.otlp.proto.http, prometheus_client", venv: "/tmp/logdash-otel",
                                           variable: "LOGDASH_OTEL_PYTHON") else {
            throw PeerMissing(description: "no Python with opentelemetry-sdk, opentelemetry-exporter-otlp-proto-http and prometheus-client: "
                              + ".ci/run installs them in /tmp/logdash-otel (or set LOGDASH_OTEL_PYTHON)")
        }
        return python
    }

    /// Runs one of the peers' scripts; its output and status.
    func peer(_ script: String, _ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let python = try Self.python()
        let quoted = ([python, Self.peers.appendingPathComponent(script).path] + args).map { "'\($0)'" }.joined(separator: " ")
        let r = try cli.logdash(["-c", quoted], shell: true)
        return (r.status, r.out, r.err)
    }

    /// The records' rows as JSON objects, from the `--query` output (`-o ndjson`).
    func rows(_ out: String) -> [[String: Any]] {
        out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// An application's logs, sent by OpenTelemetry's SDK in protobuf (gzip) and in OTLP's JSON,
    /// arrive with the resource's and the record's attributes as fields, the severity as the
    /// level, the trace and span ids of the span they were logged in, and the logger as scope.
    @Test func theOpenTelemetrySDKsLogsArriveWithAttributesSeverityAndTraceIdsInProtobufAndJSON() throws {
        let server = try IngestServer(["http://127.0.0.1:0", "--no-store", "--auth-token", "s3cret", "--stats-interval", "100ms",
                                       "--query", "SELECT * FROM logs ORDER BY ts, message", "-o", "ndjson"], name: "otlp")
        guard let port = server.port("http://127.0.0.1:") else {
            server.process.signal(SIGKILL); server.process.wait()
            Issue.record("no listening line: \(server.err)")
            return
        }
        let url = "http://127.0.0.1:\(port)/v1/logs"
        var ids: [String: [Substring]] = [:]
        for mode in ["protobuf", "json"] {
            let r = try peer("otlp_client.py", [url, mode, "s3cret"])
            #expect(r.status == 0, "\(mode): \(r.err)")
            ids[mode] = r.out.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines)[...] }
        }
        // Without the token the exporter's request is refused, and nothing of it is stored.
        let refused = try peer("otlp_client.py", [url, "protobuf"])
        #expect(refused.status == 3, "\(refused.err)")
        #expect(server.wait { $0.contains("total 6 lines") }, "\(server.err)")
        #expect(server.stop() == 0)
        let records = rows(server.out)
        #expect(server.out.components(separatedBy: #""retry":true"#).count == 3, "a boolean attribute stays one: \(server.out)")
        #expect(records.count == 6, "\(server.out)")
        for (mode, sent) in [("protobuf", records.prefix(3)), ("json", records.dropFirst(3).prefix(3))] {
            guard sent.count == 3, let trace = ids[mode], trace.count == 2 else { Issue.record("\(mode): \(records)"); continue }
            let failed = sent.first { $0["level"] as? String == "error" } ?? [:]
            #expect(failed["message"] as? String == "payment failed for order 42", "\(mode): \(failed)")
            #expect(failed["host"] as? String == "web-7")
            #expect(failed["service.name"] as? String == "checkout")
            #expect(failed["deployment.environment"] as? String == "test")
            #expect(failed["order_id"] as? Int == 42 && failed["amount"] as? Double == 12.5 && (failed["retry"] as? NSNumber)?.boolValue == true, "\(mode): \(failed)")
            #expect(failed["card.brand"] as? String == "visa", "\(mode): \(failed)")
            #expect(failed["trace_id"] as? String == String(trace[0]) && failed["span_id"] as? String == String(trace[1]), "\(mode): \(failed) \(trace)")
            #expect(failed["scope"] as? String == "shop.payments")
            #expect(failed["source"] as? String == "http://127.0.0.1:\(port)")
            let slow = sent.first { $0["message"] as? String == "slow checkout" } ?? [:]
            #expect(slow["level"] as? String == "warn" && slow["latency_ms"] as? Int == 812, "\(mode): \(slow)")
            // An attribute named as a core column's alias is kept aside, not taken as the level.
            #expect(slow["attributes.severity"] as? String == "an attribute named severity", "\(mode): \(slow)")
            #expect(slow["trace_id"] == nil || slow["trace_id"] is NSNull, "logged outside the span: \(slow)")
            #expect(sent.contains { $0["level"] as? String == "info" && $0["message"] as? String == "checkout done" })
            // The records' times are the SDK's, to the nanosecond, not the arrival's (printed with
            // 3, 6 or 9 digits of fraction, as many as they need: one of 1,000 ends in 000).
            let times = sent.compactMap { $0["ts"] as? String }
            #expect(times.count == 3 && times.allSatisfy { $0.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(\d{3}|\d{6}|\d{9})Z$"#, options: .regularExpression) != nil }
                    && times.contains { $0.count == "2026-12-07T17:00:00.123456789Z".count }, "\(times)")
        }
    }

    /// A body that is not an OTLP logs request is answered 400 with the reason, in the request's
    /// encoding, and nothing of it is stored: not the records before the bad one either.
    @Test func aBadOTLPBodyIs400AndNothingOfItIsStored() throws {
        let server = try IngestServer(["http://127.0.0.1:0", "--no-store", "--stats-interval", "100ms",
                                       "--query", "SELECT message FROM logs", "--query", "SELECT sum(refused) FROM internal_metrics", "-o", "csv"],
                                      name: "otlp-bad")
        guard let port = server.port("http://127.0.0.1:") else {
            server.process.signal(SIGKILL); server.process.wait()
            Issue.record("no listening line: \(server.err)")
            return
        }
        let url = "http://127.0.0.1:\(port)/v1/logs"
        let good = #"{"logRecords":[{"timeUnixNano":"1765126800000000000","body":{"stringValue":"kept"}}]}"#
        let firstGoodThenBad = #"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"half"}},{"traceId":"xyz"}]}]}]}"#
        let script = """
            post() { curl -s -o /dev/null -w '%{http_code} %{content_type}\\n' -H "Content-Type: $1" --data-binary "$2" '\(url)'; }
            post application/json '\(firstGoodThenBad)'
            post application/x-protobuf 'not protobuf at all'
            post application/json '[1,2]'
            post text/plain 'hello'
            curl -s -H 'Content-Type: application/json' --data-binary '\(firstGoodThenBad)' '\(url)'; echo
            curl -s -H 'Content-Type: application/json' --data-binary '{"resourceLogs":[{"scopeLogs":[\(good)]}]}' '\(url)' -w ' %{http_code}\\n'
            """
        let r = try cli.logdash(["-c", script], shell: true)
        let answers = r.out.split(separator: "\n").map(String.init)
        #expect(answers.prefix(4) == ["400 application/json", "400 application/x-protobuf", "400 application/json", "415 application/json"], "\(r.out) \(r.err)")
        #expect(answers.count == 7 && answers[4].contains(#""code":3"#) && answers[4].contains("logRecords[1].traceId is not 16 bytes of hex"), "\(r.out)")
        #expect(answers.suffix(2) == ["{}", " 200"], "\(r.out)")
        #expect(server.wait { $0.contains("total 1 lines") }, "\(server.err)")
        #expect(server.stop() == 0)
        #expect(server.out.contains("message\nkept\n") && !server.out.contains("half"), "\(server.out)")
        #expect(server.out.contains("\n5\n"), "every refusal counted: \(server.out)")
    }

    /// Prometheus reads `/metrics` (its own text parser, with the bearer token): every documented
    /// metric is there, each counter equal to the sum of its `internal_metrics` column, the
    /// sinks' lag and the alarms' states beside them; without the token, 401.
    @Test func prometheusReadsEveryDocumentedMetricAndTheCountersEqualInternalMetrics() throws {
        let dir = try Scratch.directory("prom")
        let alarms = dir.appendingPathComponent("alarms.yaml")
        try """
            alarms:
              - name: errors
                metric:
                  value: count_if(level = 'error')
                period: 1s
                evaluation_periods: 1
                comparison: GreaterThanOrEqualToThreshold
                threshold: 1
                treat_missing_data: notBreaching
            """.write(to: alarms, atomically: true, encoding: .utf8)
        let steps = dir.appendingPathComponent("steps.yaml")
        try "transforms:\n  - mask: {kinds: [email]}\n".write(to: steps, atomically: true, encoding: .utf8)
        let archive = dir.appendingPathComponent("archive")
        let server = try IngestServer(["http://127.0.0.1:0", "--store", dir.appendingPathComponent("store").path, "--format", "json",
                                       "--auth-token", "s3cret", "--alarms", alarms.path, "--lateness", "0s", "--transform", steps.path,
                                       "--sink", "file://" + archive.path, "--stats-interval", "100ms",
                                       "--query", """
                                           SELECT source, sum(lines), sum(bytes), sum(parse_failures), sum(refused), sum(records_in), sum(records_out), sum(masked)
                                           FROM internal_metrics GROUP BY source ORDER BY source
                                           """, "-o", "csv"], name: "prom")
        guard let port = server.port("http://127.0.0.1:") else {
            server.process.signal(SIGKILL); server.process.wait()
            Issue.record("no listening line: \(server.err)")
            return
        }
        // 50 records in one second (5 errors), one a second later that closes that second's
        // period (--lateness 0s), and a line the JSON format cannot read.
        let now = Date()
        let second = ISO8601DateFormatter().string(from: now), next = ISO8601DateFormatter().string(from: now + 1)
        let body = try cli.temp("prom-body", (0..<50).map { #"{"ts":"\#(second)","level":"\#($0 % 10 == 0 ? "error" : "info")","msg":"user \#($0)@example.com"}"# }
                                .joined(separator: "\n") + "\n{\"ts\":\"\(next)\",\"msg\":\"later\"}\nnot json\n")
        let sent = try cli.logdash(["-c", "curl -s -H 'Authorization: Bearer s3cret' --data-binary @'\(body)' http://127.0.0.1:\(port)/ingest"], shell: true)
        #expect(sent.out.contains(#""accepted":52"#), "\(sent.out) \(sent.err)")
        let unauthorized = try peer("prometheus_scrape.py", ["http://127.0.0.1:\(port)/metrics"])
        #expect(unauthorized.status == 2 && unauthorized.out.hasPrefix("401"), "\(unauthorized.out) \(unauthorized.err)")
        // Scraped until the alarm has been evaluated and the sink has taken the records.
        var samples: [String: Any] = [:]
        let source = "source=http://127.0.0.1:\(port)"
        for _ in 0..<60 {
            let r = try peer("prometheus_scrape.py", ["http://127.0.0.1:\(port)/metrics", "s3cret"])
            #expect(r.status == 0, "\(r.out) \(r.err)")
            samples = (try? JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]) ?? [:]
            if samples["logdash_alarm_state{alarm=errors,state=ALARM}"] as? Double == 1,
               samples["logdash_sink_records_in_total{sink=file://\(archive.path)}"] as? Double == 51 { break }
            Thread.sleep(forTimeInterval: 0.25)
        }
        // A reload of the steps (SIGHUP) takes none of their counts back.
        let before = samples["logdash_transform_records_in_total{step=step 1 (mask)}"] as? Double ?? 0
        server.process.signal(SIGHUP)
        #expect(server.wait { $0.contains("transform steps reloaded") }, "\(server.err)")
        let more = try cli.temp("prom-more", #"{"ts":"\#(next)","level":"info","msg":"again a@example.com"}"# + "\n")
        _ = try cli.logdash(["-c", "curl -s -H 'Authorization: Bearer s3cret' --data-binary @'\(more)' http://127.0.0.1:\(port)/ingest"], shell: true)
        for _ in 0..<40 {
            let r = try peer("prometheus_scrape.py", ["http://127.0.0.1:\(port)/metrics", "s3cret"])
            samples = (try? JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]) ?? [:]
            if samples["logdash_transform_records_in_total{step=step 1 (mask)}"] as? Double == before + 1 { break }
            Thread.sleep(forTimeInterval: 0.25)
        }
        #expect(samples["logdash_transform_records_in_total{step=step 1 (mask)}"] as? Double == before + 1, "\(before) \(samples)")
        let types = samples["#types"] as? [String: String] ?? [:]
        #expect((samples["#content-type"] as? String)?.hasPrefix("text/plain; version=0.0.4") == true)
        for counter in ["lines", "bytes", "parse_failures", "truncated", "drops", "refused", "transform_records_in", "transform_records_out",
                        "transform_failed", "transform_masked", "sink_records_in", "sink_records_out", "sink_failed"] {
            #expect(types["logdash_" + counter] == "counter", "\(counter): \(types)")
        }
        for gauge in ["lag_bytes", "connections", "buffer_bytes", "buffer_capacity_bytes", "sink_waiting_records", "sink_lag_seconds",
                      "sink_behind", "alarm_state", "alarm_value"] {
            #expect(types["logdash_" + gauge] == "gauge", "\(gauge): \(types)")
        }
        #expect(samples["logdash_lines_total{\(source)}"] as? Double == 53, "\(samples)")
        #expect(samples["logdash_parse_failures_total{\(source)}"] as? Double == 1)
        #expect(samples["logdash_alarm_state{alarm=errors,state=OK}"] as? Double == 0)
        #expect(samples["logdash_alarm_value{alarm=errors}"] as? Double == 5, "\(samples)")
        #expect(samples["logdash_buffer_capacity_bytes{}"] as? Double == Double(64 << 20))
        #expect(server.stop() == 0)
        // Each counter is its internal_metrics column summed: read from the run's own rows.
        let rows = server.out.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let http = rows.first { $0.first == "http://127.0.0.1:\(port)" } ?? []
        func scraped(_ name: String, _ labels: String) -> String {
            (samples["logdash_\(name)_total{\(labels)}"] as? Double).map { String(Int($0)) } ?? "missing"
        }
        #expect(http.count == 8 && Array(http[1...4]) == [scraped("lines", source), scraped("bytes", source), scraped("parse_failures", source),
                                                          scraped("refused", source)], "\(server.out) \(samples)")
        let step = rows.first { $0.first == "step 1 (mask)" } ?? []
        #expect(step.count == 8 && Array(step[5...7]) == [scraped("transform_records_in", "step=step 1 (mask)"),
                                                          scraped("transform_records_out", "step=step 1 (mask)"),
                                                          scraped("transform_masked", "kind=email,step=step 1 (mask)")], "\(server.out)")
        #expect(step.count == 8 && step[7] != "0", "\(server.out)")
    }
}
