import Foundation
import Testing
@testable import LogdashEngine

/// Hopping windows fold panes of the slide (issue 24: `HOP` as fast as `TUMBLE`): each pane's
/// partial counts, sums, minima and maxima combine into the windows that hold it. The answers
/// must be those of copying every record into every window it is in — keys, HAVING, ORDER BY
/// by alias and ordinal, FILTER, records without a time — sums of doubles to rounding.
@Suite struct HopPanesTests {
    static let queries = [
        "SELECT window_start, window_end, count(*) FROM logs GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE) ORDER BY 1",
        "SELECT service, window_start, count(*) AS n, count(bytes), sum(bytes), min(latency_ms), max(status), avg(latency_ms) FROM logs GROUP BY service, HOP(ts, INTERVAL '30' SECOND, INTERVAL '2' MINUTE) ORDER BY window_start, service",
        "SELECT window_start, count(*) FILTER (WHERE status >= 500) AS errors, count_if(level = 'warn') FROM logs WHERE service <> 'auth' GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '3' MINUTE) HAVING count(*) > 20 ORDER BY errors DESC, 1 LIMIT 15",
        "SELECT HOP_x.k, HOP_x.w, HOP_x.n FROM (SELECT level AS k, window_end AS w, count(*) AS n FROM logs GROUP BY HOP(ts, INTERVAL '2' MINUTE, INTERVAL '4' MINUTE), level) HOP_x ORDER BY 2, 1",
        "SELECT window_start, sum(bytes) / count(*) AS per, max(ts) FROM logs GROUP BY HOP(ingest_ts, INTERVAL '10' SECOND, INTERVAL '1' MINUTE) ORDER BY 1",
        "SELECT window_start, avg(status) FROM logs GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '2' MINUTE) ORDER BY 1",
    ]

    /// Equal, doubles to a part in 10^9 (sums of doubles differ in their last bits by order).
    static func same(_ a: [Value], _ b: [Value]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            if case .double(let u) = x, case .double(let v) = y { return abs(u - v) <= 1e-9 * max(1, abs(u)) }
            return x == y
        }
    }

    @Test(arguments: queries)
    func panesGiveTheAnswerOfCopyingEachRecordIntoItsWindows(_ sql: String) throws {
        let lines = String(decoding: try genLogs(["--format", "json", "--lines", "3000", "--seed", "8", "--span", "1800"]), as: UTF8.self)
            .split(separator: "\n").map(String.init) + ["not json at all", "{\"status\":200}"]
        let store = try LogdashEngineTests.store(lines: lines, at: arrival, chunk: 400)
        let engine = QueryEngine(snapshot: store.snapshot(), now: arrival)
        var copying = engine
        copying.hopPanes = false
        let plan = try engine.execute("EXPLAIN ANALYZE " + sql).rows.map { "\($0[0])" }
        #expect(plan.contains { $0.contains("by ") && $0.contains("panes of the slide") }, "\(plan)")
        let want = try copying.execute(sql)
        #expect(!want.rows.isEmpty)
        let got = try engine.execute(sql)
        #expect(got.columns == want.columns)
        let (g, w) = (got.rows, want.rows)
        #expect(g.count == w.count, "\(sql)")
        if let k = g.indices.first(where: { $0 < w.count && !Self.same(g[$0], w[$0]) }) { Issue.record("row \(k): \(g[k]) instead of \(w[k]) in \(sql)") }
    }

    @Test func aPercentileOrADistinctCountCopiesRecordsIntoTheirWindows() throws {
        let lines = String(decoding: try genLogs(["--format", "json", "--lines", "500", "--seed", "8"]), as: UTF8.self).split(separator: "\n").map(String.init)
        let engine = QueryEngine(snapshot: try store(lines: lines, at: arrival).snapshot(), now: arrival)
        for sql in ["SELECT window_start, approx_percentile(latency_ms, 0.9) FROM logs GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE)",
                    "SELECT window_start, count(DISTINCT user) FROM logs GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE)"] {
            let plan = try engine.execute("EXPLAIN ANALYZE " + sql).rows.map { "\($0[0])" }
            #expect(plan.contains { $0.contains("row-windows") }, "\(plan)")
        }
    }
}
