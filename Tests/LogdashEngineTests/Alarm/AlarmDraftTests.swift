import Foundation
import Testing
@testable import LogdashEngine
import Scratch

/// Alarms defined from a query in the dashboard: the metric read from the query, saved as YAML
/// that loads back as the same alarm.
@Suite struct AlarmDraftTests {
    @Test(arguments: [
        ("SELECT date_trunc('minute', ts) m, count_if(status >= 500) e FROM logs GROUP BY 1", "count_if((status >= 500))", nil as String?, "1m"),
        ("SELECT date_bin(INTERVAL '5' MINUTE, ts) b, avg(latency_ms) FROM logs WHERE service = 'it''s' GROUP BY b", "avg(latency_ms)", "(service = 'it''s')", "5m"),
        ("SELECT window_start, count(*) FROM logs WHERE level IN ('error', 'fatal') GROUP BY TUMBLE(ts, INTERVAL '1' HOUR)", "count(*)", "(level IN ('error', 'fatal'))", "1h"),
        ("SELECT 100.0 * count_if(status >= 500) / count(*) FROM logs", "((100.0 * count_if((status >= 500))) / count(*))", nil, "1m"),
        ("filter status >= 500 | stats count(*) as n by bin(30s)", "count(*)", "(status >= 500)", "30s"),
    ])
    func aQuerysMetricBecomesTheAlarmsValueWhereAndPeriod(_ sql: String, _ value: String, _ whereClause: String?, _ period: String) throws {
        let d = try AlarmDraft.from(sql: sql, name: "a", threshold: 3)
        #expect(d.value == value && d.whereClause == whereClause && d.period == period && d.threshold == "3")
        let a = try d.validated()
        #expect(a.name == "a" && a.period == TimeSpan.parseNanos(period))
        if case .sql(let v, let w)? = a.metric { #expect(v == value && w == whereClause) } else { Issue.record("not a SQL metric") }
    }

    @Test(arguments: [
        ("SELECT service, count(*) FROM logs GROUP BY service", "group by a time bucket only"),
        ("SELECT count(*), avg(latency_ms) FROM logs", "exactly one aggregate column (it has 2)"),
        ("SELECT status FROM logs", "exactly one aggregate column (it has 0)"),
        ("SELECT count(*) FROM errors", "a query FROM logs"),
        ("SHOW TABLES", "not this kind of query"),
    ])
    func aQueryWithoutOneValuePerPeriodIsRefusedSayingWhy(_ sql: String, _ why: String) {
        #expect { try AlarmDraft.from(sql: sql, name: "a", threshold: nil) } throws: { "\($0)".contains(why) }
    }

    @Test func savingAppendsToTheAlarmsFileAndRefusesWhatWouldNotLoadBack() throws {
        let dir = try Scratch.directory("draft")
        let path = dir.appendingPathComponent("sub/alarms.yaml").path
        var d = try AlarmDraft.from(sql: "SELECT count(*) FROM logs WHERE level = 'error'", name: "errors", threshold: 5)
        try d.append(toFile: path)  // made, with its directory
        d.name = "errors-2"
        d.comparison = .lessThanThreshold
        d.treatMissingData = .breaching
        try d.append(toFile: path)
        let loaded = try AlarmFile.load(path: path)
        #expect(loaded.map(\.name) == ["errors", "errors-2"])
        #expect(loaded[1].rule == AlarmRule(evaluationPeriods: 1, datapointsToAlarm: 1, comparison: .lessThanThreshold, threshold: 5, treatMissingData: .breaching))
        #expect { try d.append(toFile: path) } throws: { "\($0)".contains("already has an alarm named 'errors-2'") }
        d.name = "bad"
        d.period = "soon"
        #expect { try d.append(toFile: path) } throws: { "\($0)".contains("period") }
        // An alarms list that is not the file's last key: not appended blindly.
        let other = dir.appendingPathComponent("other.yaml").path
        try "alarms:\n  - name: x\n    rule: TRUE\nextra: 1\n".write(toFile: other, atomically: true, encoding: .utf8)
        d.period = "1m"
        if (try? AlarmFile.load(path: other)) != nil {
            #expect { try d.append(toFile: other) } throws: { "\($0)".contains("cannot be appended") }
        }
        #expect(try AlarmFile.load(path: path).count == 2)
    }
}
