import Foundation
import Testing
@testable import LogdashEngine

/// CloudWatch Logs Insights queries give the same rows as the SQL a person would write.
@Suite struct InsightsTests {
    static let store: Store = {
        var rng = SplitMix64(seed: 21)
        var lines: [String] = []
        for i in 0..<800 {
            let ts = Timestamp.iso8601(Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: i * 9)!)
            let service = ["api", "web", "db"][rng.int(0, 2)]
            let status = [200, 200, 200, 404, 500, 503][rng.int(0, 5)]
            let user = "u\(rng.int(1, 40))"
            let message = status >= 500 ? "upstream timeout user=\(user) took=\(rng.int(100, 900))ms" : "served user=\(user) path=/p\(rng.int(1, 5))"
            lines.append("{\"ts\":\"\(ts)\",\"service\":\"\(service)\",\"status\":\(status),\"latency_ms\":\(rng.int(1, 1000)),\"user\":\"\(user)\",\"message\":\"\(message)\",\"http.method\":\"GET\"}")
        }
        let store = Store()
        let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        let options = ParseOptions()
        let d = try! bytes.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: arrival) }
        var batch = RecordBatch(source: "app")
        _ = bytes.withUnsafeBufferPointer { SourceParser(options: options, detection: d).parse($0, arrival: arrival, final: true, into: &batch) }
        store.append(batch)
        return store
    }()

    @Test(arguments: [
        ("filter status >= 500 | stats count(*) as errors by bin(5m)",
         "SELECT date_bin(INTERVAL '5' MINUTE, ts) AS \"bin(5m)\", count(*) AS errors FROM logs WHERE status >= 500 GROUP BY 1 ORDER BY 1"),
        ("stats count(*) as n, avg(latency_ms), pct(latency_ms, 90) as p90, count_distinct(user) by service | sort n desc | limit 2",
         "SELECT service, count(*) n, avg(latency_ms), approx_percentile(latency_ms, 0.9), approx_distinct(user) FROM logs GROUP BY service ORDER BY n DESC LIMIT 2"),
        ("fields @timestamp, @message | filter @message like /timeout/ and status != 503 | sort @timestamp desc | limit 5",
         "SELECT ts, message FROM logs WHERE regexp_like(message, 'timeout') AND status <> 503 ORDER BY ts DESC LIMIT 5"),
        ("filter @message like \"user=u7 \" | stats count(*) by status",
         "SELECT status, count(*) FROM logs WHERE message LIKE '%user=u7 %' GROUP BY status"),
        ("filter service in [\"api\", \"db\"] and not (status = 200) | stats max(latency_ms), min(latency_ms) by service, status | sort service, status",
         "SELECT service, status, max(latency_ms), min(latency_ms) FROM logs WHERE service IN ('api', 'db') AND NOT status = 200 GROUP BY 1, 2 ORDER BY 1, 2"),
        ("filter `http.method` = \"GET\" and strlen(user) > 2 | stats earliest(user), latest(user)",
         "SELECT min_by(user, ts), max_by(user, ts) FROM logs WHERE \"http.method\" = 'GET' AND length(user) > 2"),
        ("parse @message \"took=*ms\" as took | filter ispresent(took) | stats count(*) as slow by service | sort slow desc",
         "SELECT service, count(*) slow FROM logs WHERE regexp_extract(message, 'took=(.*?)ms', 1) IS NOT NULL GROUP BY service ORDER BY slow DESC"),
        ("parse @message /user=(?<who>u\\d+)/ | stats count(*) as n by who | sort n desc, who | limit 3",
         "SELECT regexp_extract(message, 'user=(u\\d+)', 1) who, count(*) n FROM logs GROUP BY 1 ORDER BY n DESC, who LIMIT 3"),
        ("filter status = 404 | fields user, service | sort user | dedup service",
         "SELECT user, service FROM (SELECT user, service, row_number() OVER (PARTITION BY service ORDER BY user) r FROM logs WHERE status = 404) t WHERE r = 1 ORDER BY user"),
        ("stats count(*) as n by bin(30m), service | filter n > 60 | sort n desc",
         "SELECT * FROM (SELECT date_bin(INTERVAL '30' MINUTE, ts) b, service, count(*) n FROM logs GROUP BY 1, 2) t WHERE n > 60 ORDER BY n DESC"),
    ])
    func anInsightsQueryGivesTheRowsOfItsSQL(_ insights: String, _ sql: String) throws {
        let engine = QueryEngine(snapshot: Self.store.snapshot(), now: arrival)
        let got = try engine.run(insights)
        let want = try engine.execute(sql)
        #expect(!want.rows.isEmpty)
        let became = try InsightsQuery.sql(insights)
        #expect(got.rows == want.rows, "\(insights)\n  became: \(became)")
    }

    @Test func columnsAreNamedAsInsightsNamesThem() throws {
        let r = try QueryEngine(snapshot: Self.store.snapshot(), now: arrival).run("stats count(*), avg(latency_ms) as mean by service, bin(1h)")
        #expect(r.columns == ["service", "bin(1h)", "count(*)", "mean"])
    }

    @Test(arguments: [
        ("filter status >= 500 | frobnicate x", "unknown command 'frobnicate'", 23),
        ("filter status >= 500 || stats count(*)", "an empty command between pipes", 22),
        ("stats count(*) | limit ten", "limit takes a number of rows, not 'ten'", 23),
        ("parse @message \"a=* b=*\" as a", "the glob has 2 * but 1 name follow 'as'", 5),
        ("fields a | dedup", "dedup needs its arguments", 16),
        ("filter message like \"open", "a string without its closing \"", 20),
        ("stats count(*) by bin(x)", "bin() takes a period such as 5m", 18),
    ])
    func aBadQueryNamesTheProblemAndItsPlace(_ text: String, _ message: String, _ position: Int) {
        do {
            _ = try InsightsQuery.sql(text)
            Issue.record("no error for \(text)")
        } catch let e as QueryError {
            #expect(e.message.hasPrefix(message), "\(e.message)")
            #expect(e.position == position, "\(text): at \(e.position ?? -1)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func anUnknownFieldNamesTheSQLItBecame() {
        #expect(throws: QueryError(.unknownColumn, "unknown column 'bogus' (in the SQL the query became: SELECT count(*) AS \"count(*)\" FROM logs WHERE (bogus > 1))", at: nil)) {
            try QueryEngine(snapshot: Self.store.snapshot(), now: arrival).run("filter bogus > 1 | stats count(*)")
        }
    }

    @Test func sqlIsNotTakenForInsights() {
        #expect(!InsightsQuery.looksLikeInsights("SELECT * FROM logs"))
        #expect(!InsightsQuery.looksLikeInsights("WITH x AS (SELECT 1) SELECT * FROM x"))
        #expect(InsightsQuery.looksLikeInsights("  filter x = 1"))
        #expect(InsightsQuery.looksLikeInsights("Stats count(*)"))
    }
}
