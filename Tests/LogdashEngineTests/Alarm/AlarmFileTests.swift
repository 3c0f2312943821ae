import Testing
@testable import LogdashEngine

@Suite struct AlarmFileTests {
    static let good = """
        alarms:
          - name: errors
            metric:
              value: count(*)
              where: level = 'error'
            period: 1m
            evaluation_periods: 2
            comparison: GreaterThanOrEqualToThreshold
            threshold: 2
            treat_missing_data: notBreaching
          - name: slow
            metric:
              filter: '{ $.latency_ms > 500 }'
            period: 1m
            evaluation_periods: 1
            comparison: GreaterThanThreshold
            threshold: 0
          - name: both
            rule: ALARM(errors) AND ALARM(slow)
        """

    /// Enter on an alarm in the dashboard filters by the records behind its metric.
    @Test func anAlarmsRecordsFilterComesFromItsWhereOrItsPattern() throws {
        func filter(_ metric: String) throws -> String? {
            try AlarmFile.parse(yaml: "alarms:\n  - name: a\n    metric:\n\(metric)\n    period: 1m\n    evaluation_periods: 1\n    comparison: GreaterThanThreshold\n    threshold: 0\n",
                                file: "a.yaml")[0].recordsFilter
        }
        #expect(try filter("      value: count(*)\n      where: level = 'error'") == "level = 'error'")
        #expect(try filter("      value: count(*)") == nil)
        #expect(try filter("      filter: '{ $.level = \"error\" && $.http.status >= 500 }'") == "level = 'error' AND \"http.status\" >= 500")
        #expect(try filter("      filter: 'ERROR timeout'") == "ERROR timeout")
        #expect(try filter("      filter: 'ERROR -healthcheck'") == nil)
        #expect(try filter("      filter: '[ip, user, status=5*]'") == nil)
        #expect(try AlarmFile.parse(yaml: Self.good, file: "a.yaml")[2].recordsFilter == nil)  // a composite
    }

    @Test func alarmsParseWithTheirRulesAndComposites() throws {
        let a = try AlarmFile.parse(yaml: Self.good, file: "a.yaml")
        #expect(a.map(\.name) == ["errors", "slow", "both"])
        #expect(a[0].rule == AlarmRule(evaluationPeriods: 2, comparison: .greaterThanOrEqualToThreshold, threshold: 2, treatMissingData: .notBreaching))
        #expect(a[0].period == 60_000_000_000 && a[2].composite == .and(.state(.alarm, "errors"), .state(.alarm, "slow")))
        let withActions = try AlarmFile.parse(yaml: "alarms:\n  - name: a\n    rule: TRUE\n    actions:\n      - exec: [notify-send, hi]\n        on: ALARM\n      - webhook: https://example.com/h\n", file: "a.yaml")
        #expect(withActions[0].actions == [AlarmAction(.exec(["notify-send", "hi"]), on: [.alarm]), AlarmAction(.webhook("https://example.com/h"))])
    }

    @Test(arguments: [
        ("alarms:\n  - name: x\n    metric: {value: count(*)}\n    period: 1m\n    evaluation_periods: 3\n    comparison: GreaterThanThreshold\n    threshold: 1\n    colour: red\n",
         "a.yaml:8: alarms[0].colour: unknown key"),
        ("alarms:\n  - name: x\n    metric: {value: count(*)}\n    period: 1m\n    evaluation_periods: 3\n    datapoints_to_alarm: 4\n    comparison: GreaterThanThreshold\n    threshold: 1\n",
         "alarms[0].datapoints_to_alarm: a whole number from 1 to evaluation_periods (3)"),
        ("alarms:\n  - name: x\n    metric: {value: count(*) +}\n    period: 1m\n    evaluation_periods: 1\n    comparison: GreaterThanThreshold\n    threshold: 1\n",
         "alarms[0].metric:"),
        ("alarms:\n  - name: x\n    metric: {filter: '{ $.a = }'}\n    period: 1m\n    evaluation_periods: 1\n    comparison: GreaterThanThreshold\n    threshold: 1\n",
         "alarms[0].metric.filter: expected a value"),
        ("alarms:\n  - name: x\n    metric: {value: count(*)}\n    period: 500ms\n    evaluation_periods: 1\n    comparison: GreaterThanThreshold\n    threshold: 1\n",
         "alarms[0].period: a period of at least 1s"),
        ("alarms:\n  - name: a\n    rule: ALARM(b)\n  - name: b\n    rule: ALARM(a)\n", "composite alarms form a cycle: a → b → a"),
        ("alarms:\n  - name: a\n    rule: ALARM(b)\n", "composite alarm 'a' names 'b', which is no alarm"),
        ("alarms: []\nextra: 1\n", "(top level): a mapping with one key, 'alarms'"),
        ("alarms:\n  - name: a\n    rule: TRUE\n    actions:\n      - exec: sh\n", "alarms[0].actions[0].exec: a list: the program, then its arguments"),
        ("alarms:\n  - name: a\n    rule: TRUE\n    actions:\n      - webhook: ftp://x\n", "alarms[0].actions[0].webhook: an http:// or https:// URL"),
        ("alarms:\n  - name: a\n    rule: TRUE\n    actions:\n      - file: /tmp/x\n        on: [BROKEN]\n", "alarms[0].actions[0].on: states are ALARM, OK"),
        ("alarms:\n  - name: a\n    rule: TRUE\n    actions:\n      - file: /tmp/x\n        exec: [true]\n", "alarms[0].actions[0]: exactly one of exec, file or webhook"),
    ])
    func aBadFileNamesTheKeyAndTheProblem(_ yaml: String, _ message: String) {
        do {
            _ = try AlarmFile.parse(yaml: yaml, file: "a.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    /// Per-minute error counts 0, 1, 3, 3, then two minutes without errors (no data points):
    /// "errors" (2 of 2 at ≥ 2) goes OK after the first minute and ALARM after the fourth, and
    /// stays there — with no new points CloudWatch looks further back for real ones.
    @Test func replayGivesTransitionsAtTheEndsOfPeriods() throws {
        var lines: [String] = []
        let perMinute = [0, 1, 3, 3, -1, 0]  // -1: no records at all that minute
        for (minute, errors) in perMinute.enumerated() where errors >= 0 {
            lines.append("{\"ts\":\"2026-11-27T14:0\(minute):00Z\",\"level\":\"info\",\"latency_ms\":10}")
            for e in 0..<errors { lines.append("{\"ts\":\"2026-11-27T14:0\(minute):\(10 + e)Z\",\"level\":\"error\",\"latency_ms\":\(e == 0 ? 900 : 10)}") }
        }
        let store = try store(lines: lines)
        let t = try AlarmReplay.run(try AlarmFile.parse(yaml: Self.good, file: "a.yaml"), engine: QueryEngine(snapshot: store.snapshot()))
        func at(_ minute: Int) -> Int64 { Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: minute, second: 0)! }
        let errors = t.filter { $0.alarm == "errors" }.map { ($0.at, $0.to) }
        #expect(errors.map(\.0) == [at(1), at(4)] && errors.map(\.1) == [.ok, .alarm])
        // The 900 ms lines: one in each of minutes 1, 2 and 3 (the first minute has none: no
        // data point, INSUFFICIENT_DATA stays).
        let slow = t.filter { $0.alarm == "slow" }.map { ($0.at, $0.to) }
        #expect(slow.map(\.1) == [.alarm] && slow.map(\.0) == [at(2)])
        #expect(t.first { $0.alarm == "slow" }?.reason.contains("1 out of the last 1 datapoints [1]") == true)
        // The composite: OK while "slow" has no data, ALARM once both are.
        let both = t.filter { $0.alarm == "both" }.map { ($0.at, $0.to) }
        #expect(both.map(\.1) == [.ok, .alarm] && both.map(\.0) == [at(1), at(4)])
        #expect(t.map(\.at) == t.map(\.at).sorted())
    }
}
