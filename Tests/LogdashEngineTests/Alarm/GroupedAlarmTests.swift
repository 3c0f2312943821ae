import Foundation
import Testing
@testable import LogdashEngine

/// `metric.group_by`: one alarm per group value, each with its own state.
@Suite struct GroupedAlarmTests {
    static let yaml = """
        alarms:
          - name: errors
            metric:
              value: count(*)
              where: level = 'error'
              group_by: service
            period: 1m
            evaluation_periods: 1
            comparison: GreaterThanOrEqualToThreshold
            threshold: 3
            treat_missing_data: notBreaching
        """

    static func store(_ perMinute: [(service: String, minute: Int, errors: Int)]) throws -> Store {
        var lines: [String] = []
        for (service, minute, errors) in perMinute {
            lines.append("{\"ts\":\"2026-11-27T14:0\(minute):00Z\",\"level\":\"info\",\"service\":\"\(service)\"}")
            for e in 0..<errors { lines.append("{\"ts\":\"2026-11-27T14:0\(minute):\(10 + e)Z\",\"level\":\"error\",\"service\":\"\(service)\"}") }
        }
        return try LogdashEngineTests.store(lines: lines)
    }

    @Test func eachGroupValueIsAnAlarmOfItsOwn() throws {
        // api: errors in minutes 1, 2 and 3 (4, 5, 1); web: 1 error in minute 1 only.
        let store = try Self.store([("api", 0, 0), ("web", 0, 0), ("api", 1, 4), ("web", 1, 1), ("api", 2, 5), ("api", 3, 1), ("web", 3, 0)])
        let alarms = try AlarmFile.parse(yaml: Self.yaml, file: "a.yaml")
        let (t, statuses) = try AlarmReplay.evaluate(alarms, engine: QueryEngine(snapshot: store.snapshot()))
        func at(_ m: Int) -> Int64 { Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: m, second: 0)! }
        let api = t.filter { $0.alarm == "errors[api]" }.map { ($0.at, $0.to) }
        #expect(api.map(\.1) == [.ok, .alarm, .ok] && api.map(\.0) == [at(1), at(2), at(4)], "\(t.map { "\($0.alarm) \(Timestamp.iso8601($0.at)) \($0.to)" })")
        let web = t.filter { $0.alarm == "errors[web]" }.map { ($0.at, $0.to) }
        #expect(web.map(\.1) == [.ok] && web.map(\.0) == [at(1)])
        #expect(statuses.map(\.name) == ["errors[api]", "errors[web]"])
        #expect(alarms[0].owns("errors[api]") && !alarms[0].owns("errors[api") && !alarms[0].owns("errorsx"))
    }

    @Test func aGroupedAlarmNeedsASQLMetricAndNoCompositeRefersToIt() {
        func problem(_ y: String) -> String { do { _ = try AlarmFile.parse(yaml: y, file: "a.yaml"); return "none" } catch { return "\(error)" } }
        #expect(problem(Self.yaml + "\n  - name: both\n    rule: ALARM(errors)").contains("composite alarm 'both' refers to 'errors', which is one alarm per group"))
        let filter = """
            alarms:
              - name: t
                metric:
                  filter: 'timeout'
                  group_by: service
                period: 1m
                evaluation_periods: 1
                comparison: GreaterThanThreshold
                threshold: 1
            """
        #expect(problem(filter).contains("alarms[0].metric.group_by: one alarm per group needs a SQL metric"))
        #expect(problem(Self.yaml.replacingOccurrences(of: "group_by: service", with: "group_by: 'lower(service'")).contains("alarms[0].metric"))
    }
}
