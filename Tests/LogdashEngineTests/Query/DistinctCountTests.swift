import Foundation
import Testing
@testable import LogdashEngine

/// count(DISTINCT column) and approx_distinct(column) count in typed sets — strings by their
/// bytes (plain, dictionary-encoded and kept-in-file columns), numbers as integers — per group
/// (issue 24: high-cardinality distinct counts). They must agree with counting the rows of
/// SELECT DISTINCT, across segments that store a column at different types.
@Suite struct DistinctCountTests {
    @Test func distinctCountsAgreeWithSelectDistinctOnGeneratedLogs() throws {
        let lines = String(decoding: try genLogs(["--format", "json", "--lines", "6000", "--seed", "5"]), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        let engine = QueryEngine(snapshot: try store(lines: lines, at: arrival, chunk: 700).snapshot(), now: arrival)
        for column in ["trace_id", "user", "service", "status", "latency_ms", "bytes", "ts", "path", "raw"] {
            let want = try engine.execute("SELECT count(*) FROM (SELECT DISTINCT \(column) FROM logs WHERE \(column) IS NOT NULL) t").rows
            #expect(try engine.execute("SELECT count(DISTINCT \(column)) FROM logs").rows == want, "\(column)")
            #expect(try engine.execute("SELECT approx_distinct(\(column)) FROM logs").rows == want, "\(column)")
            let grouped = try engine.execute("SELECT service, count(DISTINCT \(column)) FROM logs GROUP BY service ORDER BY service").rows
            let wantGrouped = try engine.execute("SELECT service, count(*) FROM (SELECT DISTINCT service, \(column) FROM logs WHERE \(column) IS NOT NULL) t GROUP BY service ORDER BY service").rows
            #expect(grouped == wantGrouped, "\(column) by service")
        }
    }

    @Test func distinctCountsSplitByValueOverTwoThreadsAgreeWithOneThread() throws {
        // Without GROUP BY, two threads each count the values of half the hashes over every
        // segment; their counts add up to what one thread counts.
        let lines = String(decoding: try genLogs(["--format", "json", "--lines", "6000", "--seed", "5"]), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        let one = QueryEngine(snapshot: try store(lines: lines, at: arrival, chunk: 700).snapshot(), now: arrival)
        var two = one
        two.parallelRows = 0
        for column in ["trace_id", "user", "service", "status", "latency_ms", "ts", "raw"] {
            for filter in ["", " WHERE status >= 500", " WHERE service = 'nowhere'"] {
                let sql = "SELECT count(DISTINCT \(column)), approx_distinct(\(column)), count(DISTINCT service) FROM logs" + filter
                #expect(try two.execute(sql).rows == one.execute(sql).rows, "\(sql)")
            }
        }
        // Within a time range (--since/--until): the rows outside it are in neither thread's count.
        guard case .timestamp(let lo)? = try one.execute("SELECT min(ts) FROM logs").rows.first?.first,
              case .timestamp(let hi)? = try one.execute("SELECT max(ts) FROM logs").rows.first?.first else { Issue.record("no times"); return }
        let range = (lo + (hi - lo) / 3, hi - (hi - lo) / 3)
        let oneRanged = QueryEngine(snapshot: one.snapshot, now: arrival, timeRange: range)
        var twoRanged = oneRanged
        twoRanged.parallelRows = 0
        let ranged = "SELECT count(DISTINCT trace_id), count(DISTINCT user) FROM logs"
        #expect(try twoRanged.execute(ranged).rows == oneRanged.execute(ranged).rows)
        #expect(try twoRanged.execute(ranged).rows != one.execute(ranged).rows)
        let plan = try two.execute("EXPLAIN ANALYZE SELECT count(DISTINCT trace_id) FROM logs").rows.map { "\($0)" }.joined()
        #expect(plan.contains("on 2 threads"), "\(plan)")
        // Not only distinct counts: the plain count would be counted twice, so one thread does it.
        let mixed = "SELECT count(*), count(DISTINCT trace_id) FROM logs"
        #expect(try two.execute(mixed).rows == one.execute(mixed).rows)
    }

    @Test func aValueStoredAtTwoTypesInTwoSegmentsCountsOnce() throws {
        // `n` is an integer in the first segment and a double in the second (the table's type
        // double: 1 and 1.0 are one value); `s` a number in the first and text in the second
        // (the table's type varchar: 200 and "200" are one value); 0.0 and -0.0 are one.
        let first = ["{\"n\":1,\"s\":200,\"z\":0.0}", "{\"n\":2,\"s\":404,\"z\":1.5}"]
        let second = ["{\"n\":1.0,\"s\":\"200\",\"z\":-0.0}", "{\"n\":2.5,\"s\":\"x\",\"z\":1.5}"]
        let s = try store(lines: first, at: arrival)
        _ = try store(lines: second, at: arrival, into: s)
        let engine = QueryEngine(snapshot: s.snapshot(), now: arrival)
        #expect(s.snapshot().segments.count == 2)
        let r = try engine.execute("SELECT count(DISTINCT n), count(DISTINCT s), count(DISTINCT z), approx_distinct(s) FROM logs").rows
        #expect(r == [[.int(3), .int(3), .int(2), .int(3)]])
    }
}
