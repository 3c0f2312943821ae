import Foundation
import Testing
@testable import LogdashEngine
import Scratch

/// A one-shot query loads only the columns it reads; its answers must not change.
@Suite struct ProjectionTests {
    static func load(_ data: Data, projection: Set<String>?) throws -> StoreSnapshot {
        let dir = try Scratch.directory("proj")
        let f = dir.appendingPathComponent("app.log")
        try data.write(to: f)
        var options = LoadOptions(workers: 2, chunkBytes: 1 << 16, now: { arrival })
        options.parse.projection = projection
        return try Store.load([.file(f.path)], options: options).0.snapshot()
    }

    @Test(arguments: [
        "SELECT status, count(*) FROM logs GROUP BY status ORDER BY 2 DESC, 1",
        "SELECT level, count(*) FROM logs WHERE message LIKE '%timeout%' GROUP BY level ORDER BY level",
        "SELECT host, max(latency_ms) FROM logs WHERE ts > TIMESTAMP '2026-11-27 06:00:00' GROUP BY host ORDER BY host",
        "SELECT \"user\", path FROM logs WHERE status >= 500 ORDER BY ts DESC LIMIT 5",
        "SELECT count(*) FROM errors",
        "SELECT count(*) FROM logs",
    ])
    func projectedLoadsGiveTheSameAnswers(_ sql: String) throws {
        let data = try genLogs(["--format", "json", "--lines", "4000", "--seed", "8", "--bad"])
        let full = try QueryEngine(snapshot: Self.load(data, projection: nil), now: arrival).execute(sql)
        let projection = try QueryEngine.columnsRead(sql)
        #expect(projection != nil)
        let projected = try QueryEngine(snapshot: Self.load(data, projection: projection), now: arrival).execute(sql)
        #expect(projected == full, "\(sql)")
    }

    @Test func columnsReadCoversEveryClauseAndGivesUpOnStar() throws {
        #expect(try QueryEngine.columnsRead("SELECT a, sum(b) FROM logs WHERE c > 1 GROUP BY a HAVING max(d) > 0 ORDER BY e") == ["a", "b", "c", "d", "e"])
        #expect(try QueryEngine.columnsRead("WITH t AS (SELECT x FROM logs) SELECT y FROM t") == ["x", "y"])
        #expect(try QueryEngine.columnsRead("SELECT rank() OVER (PARTITION BY p ORDER BY o) FROM logs") == ["p", "o"])
        #expect(try QueryEngine.columnsRead("SELECT * FROM logs") == nil)
        #expect(try QueryEngine.columnsRead("SELECT a FROM (SELECT * FROM logs) t") == nil)
        #expect(try QueryEngine.columnsRead("DESCRIBE logs") == nil)
    }

    @Test func aSkippedColumnIsStillSuggestedForATypo() throws {
        let data = try genLogs(["--format", "json", "--lines", "200", "--seed", "8"])
        let snap = try Self.load(data, projection: ["staus"])
        #expect(snap.column("status") == nil)
        #expect(snap.skippedNames.contains("status"))
        #expect(throws: QueryError(.unknownColumn, "unknown column 'staus'; did you mean 'status'?", at: 7)) {
            try QueryEngine(snapshot: snap, now: arrival).execute("SELECT staus FROM logs")
        }
    }
}
