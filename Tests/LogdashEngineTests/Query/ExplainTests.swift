import Foundation
import Testing
@testable import LogdashEngine

/// EXPLAIN shows the plan without running the query; EXPLAIN ANALYZE runs it and shows what
/// each step did and its time (issue 24).
@Suite struct ExplainTests {
    static func engine() throws -> QueryEngine {
        let lines = (0..<300).map { i in
            "{\"ts\":\"\(Timestamp.iso8601(Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: i / 60, second: i % 60)!))\",\"status\":\(i % 3 == 0 ? 500 : 200),\"user\":\"u\(i % 7)\"}"
        }
        return QueryEngine(snapshot: try store(lines: lines, at: arrival, chunk: 50).snapshot(), now: arrival)
    }

    @Test func explainShowsThePlanWithoutRunningTheQuery() throws {
        let engine = try Self.engine()
        // Run, this fails (the subquery gives many rows where one value is wanted) …
        let sql = "SELECT user, count(*) n FROM logs WHERE ts >= TIMESTAMP '2026-11-27 14:03:00' AND status = (SELECT status FROM logs) GROUP BY user ORDER BY n DESC LIMIT 3"
        #expect(throws: QueryError.self) { try engine.execute(sql) }
        // … explained, it is only described.
        let plan = try engine.execute("EXPLAIN " + sql).rows.map { "\($0[0])" }
        #expect(plan == [
            "select user, count(*) AS n",
            "  scan logs: 300 records, segments: 6; the time range 2026-11-27T14:03:00.000Z … +∞ leaves 3 of them (3 skipped)",
            "  subquery, run first (or, when it refers to this query, grouped by its keys and joined):",
            "    select status",
            "      scan logs: 300 records, segments: 6",
            "  filter: ((ts >= TIMESTAMP '2026-11-27T14:03:00.000Z') AND (status = (SELECT …)))",
            "  aggregate by user: count(*)",
            "  top 3 by n DESC (a heap of the best rows, not a full sort)",
        ])
    }

    @Test func explainNamesAnUnknownTableAsRunningWould() throws {
        let engine = try Self.engine()
        #expect(throws: QueryError.self) { try engine.execute("EXPLAIN SELECT * FROM lgos") }
    }

    @Test func explainAnalyzeRunsTheQueryAndTimesEachStep() throws {
        let engine = try Self.engine()
        let plan = try engine.execute("EXPLAIN ANALYZE SELECT user, count(*) n FROM logs WHERE ts >= TIMESTAMP '2026-11-27 14:03:00' GROUP BY user").rows.map { "\($0[0])" }
        #expect(plan.contains { $0.hasPrefix("scan logs: 3 of 6 segments, 3 skipped by their time range (") && $0.hasSuffix(" ms)") })
        #expect(plan.contains { $0.hasPrefix("aggregate: 7 groups, 1 aggregates (") })
        #expect(plan.last?.range(of: #"^7 rows in [0-9]+\.[0-9] ms$"#, options: .regularExpression) != nil, "\(plan)")
    }
}
