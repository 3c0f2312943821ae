import Foundation
import Testing
import Scratch

/// Alarms from the command line: `logdash ingest --alarms` over generated logs, `logdash check`.
@Suite struct AlarmCommandTests {
    let cli = CommandLineTests()

    /// The 5xx-rate alarm (a list item of `alarms:`), which other tests give actions.
    static let rate = """
          - name: 5xx-rate
            metric:
              value: 100.0 * count_if(status >= 500) / count(*)
            period: 10m
            evaluation_periods: 3
            datapoints_to_alarm: 2
            comparison: GreaterThanThreshold
            threshold: 10
        """

    static let alarms = "alarms:\n" + rate + "\n" + """
          - name: timeouts
            metric:
              filter: '{ $.msg = "upstream timeout" }'
            period: 10m
            evaluation_periods: 1
            comparison: GreaterThanOrEqualToThreshold
            threshold: 5
            treat_missing_data: notBreaching
          - name: incident
            rule: ALARM(5xx-rate) AND ALARM(timeouts)
        """

    /// gen_logs.py puts an incident (5xx and timeouts) at 60–65 % of its span: the 5xx-rate
    /// alarm goes to ALARM inside it and back to OK after it, at those event times.
    @Test func theGeneratedIncidentRaisesTheAlarmAndItClearsAfter() throws {
        let file = try RenderCommandTests().generated("json", lines: 20000)
        let yaml = try Scratch.directory("alarms").appendingPathComponent("a.yaml").path
        try Self.alarms.write(toFile: yaml, atomically: true, encoding: .utf8)
        let r = try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", "--alarms", yaml, file,
                                 "--query", "SELECT count(*) FROM alarm_history WHERE alarm = '5xx-rate' AND new_state = 'ALARM'", "-o", "csv"])
        #expect(r.status == 0, "\(r.err)")
        let jsonLines = r.out.split(separator: "\n").filter { $0.hasPrefix("{") }
        let events = try jsonLines.map { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]).compactMapValues { $0 as? String }
        }
        #expect(r.out.hasSuffix("count\n1\n"))  // the transitions are in alarm_history too
        let span = try cli.logdash(["query", "SELECT to_unixtime(min(ts)), to_unixtime(max(ts)) FROM logs", file, "-o", "csv"])
        let bounds = span.out.split(separator: "\n")[1].split(separator: ",").map { Double($0)! }
        func seconds(_ iso: String) -> Double { ISO8601DateFormatter().date(from: iso.replacingOccurrences(of: ".000Z", with: "Z"))!.timeIntervalSince1970 }
        let (start, length) = (bounds[0], bounds[1] - bounds[0])
        let rate = events.filter { $0["alarm"] == "5xx-rate" }
        let raised = try #require(rate.first { $0["new_state"] == "ALARM" })
        let cleared = try #require(rate.first { $0["new_state"] == "OK" && $0["old_state"] == "ALARM" })
        #expect(seconds(raised["time"]!) >= start + 0.60 * length && seconds(raised["time"]!) <= start + 0.65 * length + 1800, "\(raised)")
        #expect(seconds(cleared["time"]!) >= start + 0.65 * length && seconds(cleared["time"]!) <= start + 0.65 * length + 3600, "\(cleared)")
        #expect(rate.filter { $0["new_state"] == "ALARM" }.count == 1)  // one incident, one alarm
        #expect(raised["reason"]?.hasPrefix("Threshold Crossed: ") == true && raised["old_state"] == "OK")
        // The composite follows its two alarms.
        let incident = events.filter { $0["alarm"] == "incident" }.map { $0["new_state"]! }
        #expect(incident.contains("ALARM") && incident.last == "OK")
    }

    /// Following a file, the alarms are reported as their periods close (the newest event time
    /// less the lateness passes their end), while ingest goes on; SIGTERM adds nothing twice.
    @Test func whileFollowingTransitionsArePrintedAsPeriodsClose() throws {
        let file = try RenderCommandTests().generated("json", lines: 20000)
        let dir = try Scratch.directory("alarms-live")
        let yaml = dir.appendingPathComponent("a.yaml").path
        try Self.alarms.write(toFile: yaml, atomically: true, encoding: .utf8)
        let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err")
        let p = try Spawned(CommandLineTests.binary, ["ingest", "--stats-interval", "0", "--alarms", yaml, file],
                            stdout: outURL.path, stderr: errURL.path, environment: ["XDG_CONFIG_HOME": dir.path, "XDG_DATA_HOME": dir.path, "PATH": "/usr/bin:/bin"])
        var out = ""
        for _ in 0..<100 where !out.contains("\"new_state\":\"ALARM\"") {
            Thread.sleep(forTimeInterval: 0.1)
            out = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        }
        #expect(out.contains("\"alarm\":\"5xx-rate\""), "\(out)")
        p.signal(SIGTERM)
        #expect(p.wait() == 0)
        let lines = (try String(contentsOf: outURL, encoding: .utf8)).split(separator: "\n")
        #expect(Set(lines).count == lines.count)  // each transition once
        #expect(lines.contains { $0.contains("\"alarm\":\"5xx-rate\"") && $0.contains("\"new_state\":\"OK\"") && $0.contains("\"old_state\":\"ALARM\"") })
    }

    /// Actions run only on a change: a program (no shell of logdash's) with the alarm in its
    /// environment, a JSON line appended to a file, a POST to a webhook (a real HTTP server on
    /// loopback); one that fails is retried, reported, and holds nothing up.
    @Test func actionsRunOnEachChangeAndAFailingOneIsReported() throws {
        let file = try RenderCommandTests().generated("json", lines: 20000)
        let dir = try Scratch.directory("actions")
        let execOut = dir.appendingPathComponent("exec.txt").path, fileOut = dir.appendingPathComponent("alarms.jsonl").path
        let hookOut = dir.appendingPathComponent("hook.txt").path, portFile = dir.appendingPathComponent("port").path
        // A webhook receiver: python's http.server, one body per line.
        let server = try Spawned("/usr/bin/python3", ["-c", """
            import http.server, sys
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers['Content-Length']))
                    open(sys.argv[1], 'ab').write(body + b'\\n')
                    self.send_response(200); self.end_headers()
                def log_message(self, *a): pass
            s = http.server.HTTPServer(('127.0.0.1', 0), H)
            open(sys.argv[2], 'w').write(str(s.server_address[1]))
            s.serve_forever()
            """, hookOut, portFile])
        defer { server.signal(SIGKILL); _ = server.wait() }
        var port = ""
        for _ in 0..<100 where port.isEmpty { Thread.sleep(forTimeInterval: 0.05); port = (try? String(contentsOfFile: portFile, encoding: .utf8)) ?? "" }
        let yaml = dir.appendingPathComponent("a.yaml").path
        try ("alarms:\n" + Self.rate + "\n" + """
                actions:
                  - exec: [/bin/sh, -c, 'printf "%s %s %s\\n" "$LOGDASH_ALARM" "$LOGDASH_OLD_STATE" "$LOGDASH_STATE" >> \(execOut)']
                  - file: \(fileOut)
                    on: [ALARM]
                  - webhook: http://127.0.0.1:\(port)/hook
                  - webhook: http://127.0.0.1:9/closed
                    on: ALARM
            """).write(toFile: yaml, atomically: true, encoding: .utf8)
        let r = try cli.logdash(["ingest", "--no-follow", "--stats-interval", "0", "--alarms", yaml, file])
        #expect(r.status == 0, "\(r.err)")
        let transitions = r.out.split(separator: "\n").count
        #expect(transitions == 3)  // INSUFFICIENT_DATA → OK, OK → ALARM, ALARM → OK
        #expect(try String(contentsOfFile: execOut, encoding: .utf8) == "5xx-rate INSUFFICIENT_DATA OK\n5xx-rate OK ALARM\n5xx-rate ALARM OK\n")
        let alarmLines = try String(contentsOfFile: fileOut, encoding: .utf8).split(separator: "\n")
        #expect(alarmLines.count == 1 && alarmLines[0].contains("\"new_state\":\"ALARM\"") && alarmLines[0].contains("\"value\":"))
        #expect(try String(contentsOfFile: hookOut, encoding: .utf8).split(separator: "\n").count == 3)
        #expect(r.err.contains("alarm 5xx-rate: action webhook http://127.0.0.1:9/closed failed") && r.err.contains("given up"), "\(r.err)")
    }

    @Test func checkSaysWhatIsWrongAndWhere() throws {
        let dir = try Scratch.directory("check")
        let good = dir.appendingPathComponent("a.yaml").path, bad = dir.appendingPathComponent("b.yaml").path
        try Self.alarms.write(toFile: good, atomically: true, encoding: .utf8)
        try Self.alarms.replacingOccurrences(of: "GreaterThanThreshold", with: "Bigger").write(toFile: bad, atomically: true, encoding: .utf8)
        let ok = try cli.logdash(["check", good])
        #expect(ok.status == 0 && ok.out == "\(good): ok: 2 alarms, 1 composite\n")
        let no = try cli.logdash(["check", bad])
        #expect(no.status == 1 && no.err.contains("b.yaml:8: alarms[0].comparison: one of GreaterThanOrEqualToThreshold"), "\(no.err)")
        let config = dir.appendingPathComponent("config.yaml").path
        try "alarms: a.yaml\n".write(toFile: config, atomically: true, encoding: .utf8)
        let viaConfig = try cli.logdash(["check", config])
        #expect(viaConfig.status == 0 && viaConfig.out.contains("config.yaml: ok: config") && viaConfig.out.contains("a.yaml: ok: 2 alarms"))
    }

    /// `check` says every problem of a file, not the first only; `--against` checks the SQL of
    /// alarms and dashboards against the columns of real records (issue 23, item 3).
    @Test func checkSaysEveryProblemAndAgainstDataTheUnknownColumns() throws {
        let alarms = try cli.temp("alarms.yaml", """
            alarms:
              - name: slow
                metric: { value: "avg(latncy_ms)" }
                period: 1m
                evaluation_periods: 1
                comparison: GreaterThanThreshold
                threshold: 500
              - name: broken
                metric: { value: "count(*)" }
                period: 1x
                evaluation_periods: 1
                comparison: GreaterThanThreshold
                threshold: 5
              - name: zero
                metric: { value: "count(*)" }
                period: 1m
                evaluation_periods: 0
                comparison: GreaterThanThreshold
                threshold: 5
            """)
        let plain = try cli.logdash(["check", alarms])
        #expect(plain.status == 1 && plain.err.contains("alarms.yaml:10: alarms[1].period") && plain.err.contains("alarms.yaml:17: alarms[2].evaluation_periods")
                && plain.err.contains("2 problems found"), "\(plain.err)")
        let data = try cli.temp("app.log", "{\"ts\":\"2026-11-27T14:00:00Z\",\"level\":\"info\",\"latency_ms\":12,\"path\":\"/a\"}\n")
        let against = try cli.logdash(["check", alarms, "--against", data])
        #expect(against.status == 1 && against.err.contains("alarm slow: unknown column 'latncy_ms'; did you mean 'latency_ms'?")
                && against.err.contains("3 problems found"), "\(against.err)")
        let boards = try cli.temp("boards.yaml", """
            dashboards:
              - name: web
                rows:
                  - panes:
                      - { title: paths, sql: "SELECT pth, count(*) FROM logs GROUP BY 1" }
                      - { title: fine, sql: "SELECT path, count(*) FROM logs GROUP BY 1" }
                      - { title: odd, sql: "SELECT 1", colour: red }
            """)
        let board = try cli.logdash(["check", boards, "--against", data])
        #expect(board.status == 1 && board.err.contains("boards.yaml:7: dashboards[0].rows[0].panes[2].colour: unknown key")
                && board.err.contains("dashboard web, pane 'paths': unknown column 'pth'; did you mean 'path'?") && board.err.contains("2 problems found"),
                "\(board.err)")
        let config = try cli.temp("config.yaml", "format: \ntimezone: Mars/Olympus\nbell: maybe\n")
        let conf = try cli.logdash(["check", config])
        #expect(conf.status == 1 && conf.err.contains("format") && conf.err.contains("timezone") && conf.err.contains("bell")
                && conf.err.contains("3 problems found"), "\(conf.err)")
    }
}
