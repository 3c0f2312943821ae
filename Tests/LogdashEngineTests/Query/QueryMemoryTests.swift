import Foundation
import Testing
@testable import LogdashEngine

/// A query holds no more memory than its budget: past it, an error, never the machine's memory.
@Suite struct QueryMemoryTests {
    /// 20,000 records of a dozen columns (a few MB kept per copy of them).
    static let logs: Store = {
        let lines = (0..<20_000).map { i in
            #"{"ts":"2026-11-27T14:\#(String(format: "%02d", i / 1000 % 60)):00Z","level":"info","service":"svc-\#(i % 7)","status":\#(200 + i % 5),"# +
            #""path":"/api/items/\#(i)","user":"user-\#(i % 500)","latency_ms":\#(Double(i % 997) / 3),"msg":"request \#(i) handled by worker \#(i % 13) in the pool"}"#
        }
        return try! store(lines: lines, chunk: 2_000)
    }()

    func engine(limit: Int? = nil) -> QueryEngine {
        var e = QueryEngine(snapshot: Self.logs.snapshot())
        e.memoryLimit = limit
        return e
    }

    func memoryError(_ sql: String, limit: Int) -> QueryError? {
        do {
            _ = try engine(limit: limit).execute(sql)
            return nil
        } catch let e as QueryError {
            return e
        } catch {
            return nil
        }
    }

    static let withChain: String = {
        var q = "WITH a0 AS (SELECT * FROM logs)"
        for i in 1..<50 { q += ", a\(i) AS (SELECT * FROM a\(i - 1))" }
        return q + " SELECT count(*) FROM a49"
    }()
    static let union100 = "SELECT count(*) FROM (" + Array(repeating: "SELECT * FROM logs", count: 100).joined(separator: " UNION ALL ") + ")"

    @Test(arguments: [
        (withChain, 2 << 20),
        (union100, 2 << 20),
        ("SELECT count(*) FROM (SELECT path, count(*) c FROM logs GROUP BY path)", 2 << 20),  // a group per record
        ("SELECT approx_percentile(latency_ms, 0.99) FROM logs", 100 << 10),  // every value kept (160 KB)
        ("SELECT path FROM logs ORDER BY msg", 2 << 20),
        ("SELECT path, row_number() OVER (ORDER BY latency_ms) FROM logs", 2 << 20),
        // (A percentile does not fold by panes: each record is copied into its 60 windows.)
        ("SELECT window_start, approx_percentile(latency_ms, 0.5) FROM logs GROUP BY HOP(ts, INTERVAL '1' SECOND, INTERVAL '1' MINUTE)", 2 << 20),
    ])
    func aQueryPastItsMemoryLimitStopsWithAnError(_ sql: String, limit: Int) throws {
        let e = try #require(memoryError(sql, limit: limit))
        #expect(e.kind == .memory)
        #expect(e.message.contains("memory limit of \(ByteSize.format(limit))") && e.message.contains("--max-query-memory"))
    }

    @Test func theErrorsTableIsChargedForTheRowsItMakes() throws {
        let lines = (0..<20_000).map { i in i % 2 == 0 ? #"{"ts":"2026-11-27T14:00:00Z","i":\#(i)}"# : "not json: line \(i) of a log that went wrong somewhere" }
        var e = QueryEngine(snapshot: try store(lines: lines).snapshot())
        #expect(try e.execute("SELECT count(*) FROM errors").rows == [[.int(10_000)]])
        e.memoryLimit = 1 << 20
        #expect(throws: QueryError.self) { try e.execute("SELECT count(*) FROM errors") }
    }

    /// The same queries run within a budget they fit in, with their answers.
    @Test func theSameQueriesRunWithinABudgetTheyFitIn() throws {
        let e = engine(limit: 1 << 30)
        #expect(try e.execute(Self.withChain).rows == [[.int(20_000)]])
        #expect(try e.execute(Self.union100.replacingOccurrences(of: "FROM logs", with: "FROM logs WHERE status = 200")).rows == [[.int(400_000)]])
        #expect(try e.execute("SELECT count(*) FROM (SELECT path, count(*) c FROM logs GROUP BY path)").rows == [[.int(20_000)]])
    }

    /// Each query gets its own budget: an engine that ran one query runs the next from zero.
    @Test func eachQueryHasItsOwnBudget() throws {
        let e = engine(limit: 32 << 20)
        for _ in 0..<20 {
            #expect(try e.execute("SELECT count(*) FROM (SELECT * FROM logs)").rows == [[.int(20_000)]])
        }
    }

    /// Small answers over much data are not charged for the data they read.
    @Test func aggregatesAndTopNOverEveryRecordFitASmallBudget() throws {
        let e = engine(limit: 1 << 20)
        #expect(try e.execute("SELECT service, count(*), avg(latency_ms) FROM logs GROUP BY service").rows.count == 7)
        #expect(try e.execute("SELECT path FROM logs ORDER BY latency_ms DESC LIMIT 10").rows.count == 10)
        #expect(try e.execute("SELECT count(*) FROM logs WHERE msg LIKE '%worker 3 %'").rows.count == 1)
    }

    @Test func theDefaultIsAQuarterOfTheMemoryUnlessConfigured() {
        #expect(QueryMemory.defaultLimit == QueryMemory.availableMemory / 4)
        // (Larger than the default, so that queries of tests running meanwhile are not refused.)
        QueryMemory.setDefaultLimit(QueryMemory.availableMemory / 2)
        #expect(QueryMemory.defaultLimit == QueryMemory.availableMemory / 2)
        QueryMemory.setDefaultLimit(nil)
        #expect(QueryMemory.defaultLimit == QueryMemory.availableMemory / 4)
    }

    @Test func theConfigKeyIsReadAndABadValueNamesIt() throws {
        #expect(try Config.parse(yaml: "query:\n  max_memory: 512M\n").queryMaxMemory == 512 << 20)
        #expect(throws: ConfigError.self) { try Config.parse(yaml: "query:\n  max_memory: lots\n") }
        do {
            _ = try Config.parse(yaml: "query:\n  max_memroy: 1G\n")
            Issue.record("an unknown key was accepted")
        } catch let e as ConfigError {
            #expect(e.description.contains("query.max_memroy") && e.description.contains("max_memory"))
        }
    }
}
