import Foundation
import Testing
@testable import LogdashEngine

/// ORDER BY … LIMIT n takes shortcuts (a typed heap for one time or integer key, a generic
/// heap otherwise); they must give exactly the first n rows of the full, stable sort.
@Suite struct TopNTests {
    static func store() throws -> Store {
        var rng = SplitMix64(seed: 3)
        var lines: [String] = []
        for i in 0..<3000 {
            let ts = Timestamp.iso8601(Timestamp.make(year: 2026, month: 11, day: 27, hour: 0, minute: 0, second: rng.int(0, 5000))!)
            var fields = ["\"ts\":\"\(ts)\"", "\"i\":\(i)", "\"k\":\(rng.int(0, 20))", "\"s\":\"s\(rng.int(0, 9))\""]
            if rng.unit() < 0.9 { fields.append("\"n\":\(rng.int(-50, 50))") }  // NULL one row in ten
            lines.append("{" + fields.joined(separator: ",") + "}")
        }
        let store = Store()
        // Several segments, so that the heap sees rows arrive across them.
        for chunk in stride(from: 0, to: lines.count, by: 700) {
            let text = lines[chunk..<min(lines.count, chunk + 700)].joined(separator: "\n") + "\n"
            let bytes = Array(text.utf8)
            let options = ParseOptions()
            let d = try bytes.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: arrival) }
            var batch = RecordBatch(source: "t")
            _ = bytes.withUnsafeBufferPointer { SourceParser(options: options, detection: d).parse($0, arrival: arrival, final: true, into: &batch) }
            store.append(batch)
        }
        return store
    }

    @Test(arguments: [
        "ts DESC", "ts", "n", "n DESC", "n NULLS FIRST", "n DESC NULLS LAST", "k, n DESC", "s DESC, ts", "k * 2 - n",
    ])
    func limitGivesThePrefixOfTheFullSort(_ order: String) throws {
        let engine = QueryEngine(snapshot: try Self.store().snapshot(), now: arrival)
        let full = try engine.execute("SELECT i, ts, n, k, s FROM logs ORDER BY \(order)").rows
        #expect(full.count == 3000)
        for (limit, offset) in [(1, 0), (10, 0), (100, 0), (25, 40), (500, 0)] {
            let part = try engine.execute("SELECT i, ts, n, k, s FROM logs ORDER BY \(order) LIMIT \(limit) OFFSET \(offset)").rows
            #expect(part == Array(full[offset..<offset + limit]), "ORDER BY \(order) LIMIT \(limit) OFFSET \(offset)")
            let star = try engine.execute("SELECT * FROM logs WHERE k < 15 ORDER BY \(order) LIMIT \(limit) OFFSET \(offset)").rows
            let starFull = try engine.execute("SELECT * FROM logs WHERE k < 15 ORDER BY \(order)").rows
            #expect(star == Array(starFull[offset..<min(starFull.count, offset + limit)]), "SELECT * … ORDER BY \(order) LIMIT \(limit)")
        }
    }

    /// Records in time order, ten to a timestamp, segments of 700 (so ties straddle segment
    /// boundaries): ORDER BY ts … LIMIT visits segments newest (or oldest) first and skips the
    /// rest, and must still give exactly the full sort's rows, ties in table order.
    @Test func pruningSegmentsByTimeKeepsTheFullSortsAnswer() throws {
        let store = Store()
        let base = Timestamp.make(year: 2026, month: 11, day: 27, hour: 0, minute: 0, second: 0)!
        let lines = (0..<5000).map { i in "{\"ts\":\"\(Timestamp.iso8601(base + Int64(i / 10) * 1_000_000_000))\",\"i\":\(i)}" }
        _ = try LogdashEngineTests.store(lines: lines, at: arrival, chunk: 700, into: store)
        let engine = QueryEngine(snapshot: store.snapshot(), now: arrival)
        for order in ["ts DESC", "ts"] {
            let full = try engine.execute("SELECT i, ts FROM logs ORDER BY \(order)").rows
            for (limit, offset) in [(1, 0), (5, 0), (15, 0), (100, 3), (1000, 0)] {
                let part = try engine.execute("SELECT i, ts FROM logs ORDER BY \(order) LIMIT \(limit) OFFSET \(offset)").rows
                #expect(part == Array(full[offset..<offset + limit]), "ORDER BY \(order) LIMIT \(limit) OFFSET \(offset)")
            }
            let plan = try engine.execute("EXPLAIN ANALYZE SELECT * FROM logs ORDER BY \(order) LIMIT 5").rows.map { "\($0[0])" }
            #expect(plan.contains { $0.contains("could not reach the top rows") }, "\(plan)")
        }
    }

    /// GROUP BY … ORDER BY aggregates LIMIT n reads the sort values from the aggregate arrays and
    /// makes rows for the kept groups only (by other keys: each group's row in one buffer, kept
    /// for the top groups only); on one thread or two (whose groups merge), its rows
    /// are the full sort's first n, ties in the order the groups were first seen.
    @Test(arguments: [
        "SELECT u, count(*) c FROM logs GROUP BY u ORDER BY c DESC",
        "SELECT u, count(*) FROM logs WHERE n > 0 GROUP BY u ORDER BY count(*) DESC, sum(n)",
        "SELECT u, sum(n) t, max(ts) FROM logs GROUP BY u ORDER BY 2 NULLS FIRST",
        "SELECT k, u, avg(n) a FROM logs GROUP BY k, u ORDER BY a DESC NULLS LAST, count(*)",
        // By group keys too, and with HAVING: each group's row is made, sorted and dropped.
        "SELECT u, count(*) c FROM logs GROUP BY u ORDER BY c DESC, u",
        "SELECT u, sum(n) t FROM logs GROUP BY u HAVING count(*) > 1 ORDER BY upper(u) DESC",
        "SELECT k, u, max(n) FROM logs GROUP BY k, u HAVING max(n) IS NOT NULL ORDER BY 3, k DESC, u",
    ])
    func groupTopNByAggregatesGivesThePrefixOfTheFullSort(_ sql: String) throws {
        var rng = SplitMix64(seed: 9)
        let store = Store()
        let lines = (0..<3000).map { i in
            "{\"ts\":\"\(Timestamp.iso8601(Timestamp.make(year: 2026, month: 11, day: 27, hour: 0, minute: 0, second: i)!))\","
                + "\"u\":\"u\(rng.int(0, 1200))\",\"k\":\(rng.int(0, 3))"
                + (rng.unit() < 0.9 ? ",\"n\":\(rng.int(-50, 50))}" : "}")
        }
        _ = try LogdashEngineTests.store(lines: lines, at: arrival, chunk: 700, into: store)
        for threads in [1, 2] {
            var engine = QueryEngine(snapshot: store.snapshot(), now: arrival)
            if threads == 2 { engine.parallelRows = 0 }
            let full = try engine.execute(sql).rows
            #expect(full.count > 500)
            for (limit, offset) in [(1, 0), (10, 0), (25, 40)] {
                let part = try engine.execute(sql + " LIMIT \(limit) OFFSET \(offset)")
                #expect(part.rows == Array(full[offset..<offset + limit]), "\(sql) LIMIT \(limit) OFFSET \(offset), \(threads) thread(s)")
                let plan = try engine.execute("EXPLAIN ANALYZE " + sql + " LIMIT \(limit) OFFSET \(offset)").rows.map { "\($0)" }.joined()
                // Sorted by aggregates alone: straight from their arrays; by keys too: group rows one by one.
                let byKeys = ["c DESC, u", "upper(u)", "k DESC"].contains { sql.contains($0) }
                let keys = sql.components(separatedBy: "ORDER BY")[1].split(separator: ",").count
                #expect(plan.contains("groups by \(keys) \(byKeys ? "key" : "aggregate")"), "\(plan)")
            }
        }
    }
}
