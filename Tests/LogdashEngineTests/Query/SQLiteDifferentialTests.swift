import CSQLite
import Foundation
import Testing
@testable import LogdashEngine

/// The same generated records in logdash and in SQLite, the same queries in their common
/// dialect, compared row for row.
@Suite struct SQLiteDifferentialTests {
    struct Row {
        var ts: String, level: String, service: String, method: String, path: String
        var status: Int64, latency: Double?, bytes: Int64?, user: String?
        /// Mostly unique: stored plain (bytes and offsets), not dictionary-encoded.
        var trace: String?
    }

    static let rows: [Row] = {
        var r = SplitMix64(seed: 20261127)
        let levels = ["debug", "info", "info", "info", "warn", "error"]
        let services = ["cart", "auth", "search", "payments", "gateway"]
        let methods = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
        let paths = ["/", "/api/cart", "/api/login", "/api/search", "/api/pay/charge", "/static/app.js", "/health"]
        let statuses: [Int64] = [200, 200, 200, 201, 204, 301, 404, 429, 500, 503]
        return (0..<6000).map { i in
            let t = Timestamp.make(year: 2026, month: 11, day: 27, hour: 0, minute: 0, second: 0)! + Int64(i) * 7_000_000_000 + Int64(r.int(0, 999)) * 1_000_000
            return Row(ts: Timestamp.iso8601(t), level: levels[r.int(0, 5)], service: services[r.int(0, 4)], method: methods[r.int(0, 5)],
                       path: paths[r.int(0, 6)], status: statuses[r.int(0, 9)],
                       latency: r.unit() < 0.1 ? nil : (Double(r.int(1, 200_000)) / 100).rounded(),  // whole numbers: exact in both
                       bytes: r.unit() < 0.15 ? nil : Int64(r.int(0, 50_000)), user: r.unit() < 0.2 ? nil : "u\(r.int(1, 300))",
                       trace: r.unit() < 0.1 ? nil : String(r.int(0, 1 << 24), radix: 16) + (i % 97 == 0 ? "é\(i % 5)" : ""))
        }
    }()

    static let queries = [
        "SELECT status, count(*) FROM logs GROUP BY status ORDER BY status",
        "SELECT service, count(*), sum(bytes), min(latency_ms), max(latency_ms), count(user) FROM logs GROUP BY service ORDER BY service",
        "SELECT level, service, count(*) FROM logs GROUP BY level, service ORDER BY level, service",
        "SELECT count(*) FROM logs WHERE status >= 500 AND service = 'payments'",
        "SELECT count(*) FROM logs WHERE path LIKE '/api/%' AND method <> 'GET'",
        "SELECT count(*) FROM logs WHERE path NOT LIKE '%a%'",
        "SELECT user, count(*) c FROM logs WHERE status >= 400 AND user IS NOT NULL GROUP BY user ORDER BY c DESC, user LIMIT 10",
        "SELECT DISTINCT method FROM logs ORDER BY method",
        "SELECT count(*), count(bytes), count(latency_ms), count(DISTINCT user) FROM logs",
        "SELECT sum(bytes), min(bytes), max(bytes) FROM logs WHERE bytes IS NOT NULL AND level = 'error'",
        "SELECT count(*) FROM logs WHERE bytes IS NULL OR latency_ms IS NULL",
        // Leaves evaluated row by row under AND, OR and NOT, where NULLs and the other side decide.
        "SELECT count(*) FROM logs WHERE NOT (bytes > 20000 AND latency_ms + bytes > 25000)",
        "SELECT count(*) FROM logs WHERE NOT (status >= 500 OR bytes * 2 > latency_ms * 300)",
        "SELECT count(*) FROM logs WHERE (user IS NULL OR bytes - latency_ms > 1000) AND NOT (status < 300 AND latency_ms * 2 > bytes)",
        "SELECT count(*) FROM logs WHERE status IN (404, 429, 503)",
        "SELECT count(*) FROM logs WHERE status NOT IN (200, 201)",
        "SELECT count(*) FROM logs WHERE bytes BETWEEN 1000 AND 2000",
        "SELECT CASE WHEN status >= 500 THEN 'server' WHEN status >= 400 THEN 'client' ELSE 'ok' END k, count(*) FROM logs GROUP BY 1 ORDER BY 1",
        "SELECT coalesce(user, 'anonymous') u, count(*) FROM logs GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
        "SELECT nullif(status, 200), count(*) FROM logs GROUP BY 1 ORDER BY 1 NULLS FIRST",
        "SELECT upper(service), lower(method), length(path), substr(path, 2, 4), service || '-' || method FROM logs ORDER BY ts LIMIT 20",
        "SELECT replace(path, '/', '_'), count(*) FROM logs GROUP BY 1 ORDER BY 1",
        "SELECT status / 100, status % 7, status * 2 - 1, -status FROM logs ORDER BY ts LIMIT 15",
        "SELECT abs(bytes - 25000) FROM logs WHERE bytes IS NOT NULL ORDER BY ts LIMIT 10",
        "SELECT service, count(*) FROM logs GROUP BY service HAVING count(*) > 1190 ORDER BY service",
        "SELECT service, max(bytes) - min(bytes) FROM logs GROUP BY service HAVING sum(bytes) > 0 ORDER BY 2 DESC",
        "SELECT user, bytes FROM logs WHERE user IS NOT NULL ORDER BY bytes DESC NULLS LAST, user, ts LIMIT 12",
        "SELECT user, bytes FROM logs ORDER BY bytes NULLS FIRST, ts LIMIT 12 OFFSET 900",
        "SELECT ts, path FROM logs WHERE level = 'warn' ORDER BY ts DESC LIMIT 7",
        "SELECT count(*) FROM (SELECT user FROM logs WHERE user IS NOT NULL GROUP BY user HAVING count(*) >= 20) t",
        "WITH e AS (SELECT service, status FROM logs WHERE status >= 500) SELECT service, count(*) FROM e GROUP BY service ORDER BY service",
        "SELECT method FROM logs WHERE status = 201 AND service = 'auth' UNION ALL SELECT method FROM logs WHERE status = 204 AND service = 'auth' ORDER BY 1",
        "SELECT count(*) FROM logs WHERE ts >= '2026-11-27T05:00:00.000Z' AND ts < '2026-11-27T06:00:00.000Z'",
        "SELECT service, avg(bytes) FROM logs WHERE level = 'info' GROUP BY service ORDER BY service",
        "SELECT count(*) FROM logs WHERE NOT (level = 'info' OR level = 'debug') AND user IS NOT NULL",
        // Several keys, each by slots (dictionary × small-range integer), with aggregates.
        "SELECT level, status, count(*), sum(bytes), max(latency_ms) FROM logs GROUP BY level, status ORDER BY 1, 2",
        "SELECT service, status, method, count(*) FROM logs WHERE status >= 400 GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3 LIMIT 9",
        "SELECT user, level, count(*) FROM logs GROUP BY 1, 2 ORDER BY 3 DESC, 1 NULLS FIRST, 2 LIMIT 8",
        // A plain (mostly unique) string column: compared on its bytes.
        "SELECT count(*), count(trace), count(DISTINCT trace) FROM logs",
        "SELECT count(*) FROM logs WHERE trace <> 'abc' AND trace = trace",
        "SELECT count(*) FROM logs WHERE trace LIKE '%ab%'",
        "SELECT count(*) FROM logs WHERE trace LIKE 'a_c%' OR trace LIKE '%é_' OR trace LIKE '_b'",
        "SELECT count(*) FROM logs WHERE trace NOT LIKE '%1%' AND trace NOT LIKE 'f%'",
        "SELECT trace FROM logs WHERE trace LIKE '%é3' ORDER BY trace",
        "SELECT count(*) FROM logs WHERE trace NOT IN ('abc', 'fff')",
        "SELECT substr(trace, 1, 1) k, count(*) FROM logs GROUP BY 1 ORDER BY 1 NULLS FIRST",
        "SELECT ts, trace FROM logs WHERE trace = '\(someTraces[0])' ORDER BY ts",
        "SELECT count(*) FROM logs WHERE trace IN ('abc', '\(someTraces[1])', '\(someTraces[2])')",
        // Frames slid along (one row in, one out), and peers found once.
        "SELECT ts, count(*) OVER (ORDER BY ts ROWS BETWEEN 50 PRECEDING AND CURRENT ROW), count(bytes) OVER (ORDER BY ts ROWS BETWEEN 50 PRECEDING AND CURRENT ROW), "
            + "sum(bytes) OVER (ORDER BY ts ROWS BETWEEN 50 PRECEDING AND CURRENT ROW) FROM logs ORDER BY ts",
        "SELECT ts, min(latency_ms) OVER (PARTITION BY service ORDER BY ts ROWS BETWEEN 20 PRECEDING AND CURRENT ROW), "
            + "max(bytes) OVER (PARTITION BY service ORDER BY ts ROWS BETWEEN 20 PRECEDING AND CURRENT ROW), "
            + "max(user) OVER (ORDER BY ts ROWS BETWEEN 5 PRECEDING AND CURRENT ROW), min(path) OVER (ORDER BY ts ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) FROM logs ORDER BY ts",
        "SELECT ts, sum(latency_ms) OVER (ORDER BY ts ROWS BETWEEN 100 PRECEDING AND CURRENT ROW), avg(bytes) OVER (ORDER BY ts ROWS BETWEEN 0 PRECEDING AND CURRENT ROW) FROM logs ORDER BY ts",
        "SELECT ts, count(*) OVER (ORDER BY level), sum(bytes) OVER (ORDER BY status) FROM logs ORDER BY ts LIMIT 300",
        // Joins (issue 24): looked up as logs is scanned (each key once on the other side) or
        // read and hashed (keys that repeat, outer joins of two tables, other conditions).
        "SELECT l.service, count(*) FROM logs l JOIN (SELECT user, count(*) AS n FROM logs WHERE user IS NOT NULL GROUP BY user) u ON l.user = u.user WHERE u.n > 20 GROUP BY l.service ORDER BY l.service",
        "SELECT count(*), count(u.n), sum(u.n) FROM logs l LEFT JOIN (SELECT user, count(*) AS n FROM logs WHERE status >= 500 AND user IS NOT NULL GROUP BY user) u ON l.user = u.user",
        "SELECT a.service, a.n, b.errors FROM (SELECT service, count(*) AS n FROM logs GROUP BY service) a JOIN (SELECT service, sum(CASE WHEN status >= 500 THEN 1 ELSE 0 END) AS errors FROM logs GROUP BY service) b ON a.service = b.service ORDER BY a.service",
        "SELECT count(*) FROM logs a JOIN logs b ON a.user = b.user WHERE a.status = 503 AND b.status = 500",
        "SELECT count(*), min(a.ts), max(b.ts) FROM logs a JOIN logs b ON a.trace = b.trace AND a.ts < b.ts",
        "SELECT a.level, b.service FROM (SELECT DISTINCT level FROM logs) a CROSS JOIN (SELECT DISTINCT service FROM logs) b ORDER BY 1, 2",
        "SELECT service, count(*) FROM logs JOIN (SELECT service, max(bytes) AS mb FROM logs GROUP BY service) m USING (service) WHERE bytes = mb GROUP BY service ORDER BY service",
        "SELECT s.service, count(l.ts) FROM (SELECT ts, service FROM logs WHERE status = 503 AND method = 'PUT') l RIGHT JOIN (SELECT DISTINCT service FROM logs) s ON l.service = s.service GROUP BY s.service ORDER BY s.service",
        "SELECT a.user, b.user FROM (SELECT DISTINCT user FROM logs WHERE status = 503 AND user < 'u15') a FULL JOIN (SELECT DISTINCT user FROM logs WHERE status = 429 AND user < 'u15') b ON a.user = b.user ORDER BY 1 NULLS LAST, 2 NULLS LAST",
        "SELECT count(*) FROM (SELECT DISTINCT status FROM logs) a JOIN (SELECT DISTINCT status FROM logs) b ON a.status < b.status",
        "SELECT m.* FROM logs l JOIN (SELECT service, min(ts) AS first FROM logs GROUP BY service) m ON l.service = m.service AND l.ts = m.first ORDER BY m.service",
        "SELECT l.level, m.mb FROM logs l JOIN (SELECT level, max(bytes) AS mb FROM logs GROUP BY level) m ON l.level = m.level AND l.bytes = m.mb ORDER BY l.ts",
        "SELECT l.path, count(*) FROM logs l LEFT JOIN (SELECT path, avg(latency_ms) AS a FROM logs WHERE method = 'POST' GROUP BY path) p ON l.path = p.path WHERE p.a IS NULL OR l.latency_ms > p.a GROUP BY l.path ORDER BY l.path",
        // Subqueries: uncorrelated (answered first) and correlated (grouped by their keys, joined).
        "SELECT count(*) FROM logs WHERE latency_ms > (SELECT avg(latency_ms) FROM logs)",
        "SELECT count(*) FROM logs WHERE user IN (SELECT user FROM logs WHERE status = 503)",
        "SELECT count(*) FROM logs WHERE bytes NOT IN (SELECT bytes FROM logs WHERE status = 503)",
        "SELECT count(*) FROM logs WHERE user NOT IN (SELECT user FROM logs WHERE status = 503 AND user IS NOT NULL)",
        "SELECT count(*) FROM logs WHERE EXISTS (SELECT 1 FROM logs WHERE status = 999)",
        "SELECT service, count(*) FROM logs l WHERE latency_ms > (SELECT avg(latency_ms) FROM logs i WHERE i.service = l.service) GROUP BY service ORDER BY service",
        "SELECT user, (SELECT count(*) FROM logs i WHERE i.user = l.user AND i.status >= 500) FROM logs l WHERE l.status = 429 ORDER BY l.ts",
        "SELECT service, (SELECT max(i.bytes) FROM logs i WHERE i.service = l.service AND i.level = l.level) FROM logs l WHERE l.status = 201 ORDER BY l.ts",
        "SELECT count(*) FROM logs l WHERE EXISTS (SELECT 1 FROM logs i WHERE i.user = l.user AND i.level = 'error' AND i.service = 'payments')",
        "SELECT count(*) FROM logs l WHERE NOT EXISTS (SELECT 1 FROM logs i WHERE i.user = l.user AND i.status = 503)",
        "SELECT count(*) FROM logs l WHERE status IN (SELECT i.status FROM logs i WHERE i.user = l.user AND i.level = 'error')",
        "SELECT count(*), count(l.user) FROM logs l WHERE bytes NOT IN (SELECT i.bytes FROM logs i WHERE i.user = l.user AND i.level = 'error')",
        "SELECT count(*) FROM logs l WHERE latency_ms NOT IN (SELECT i.latency_ms FROM logs i WHERE i.path = l.path AND i.service = l.service AND i.status = 404)",
        "SELECT service, count(*) * 1.0 / (SELECT count(*) FROM logs) FROM logs GROUP BY service ORDER BY service",
        "SELECT service FROM logs GROUP BY service HAVING count(*) > (SELECT count(*) / 5 FROM logs) ORDER BY service",
        // Set operations (rows compared whole, NULLs equal).
        "SELECT user FROM logs WHERE status = 503 INTERSECT SELECT user FROM logs WHERE status = 429 ORDER BY 1 NULLS LAST",
        "SELECT user FROM logs WHERE status = 503 EXCEPT SELECT user FROM logs WHERE status = 429 ORDER BY 1 NULLS LAST",
        "SELECT service, level FROM logs WHERE status = 503 UNION SELECT service, level FROM logs WHERE bytes > 49000 ORDER BY 1, 2",
        "SELECT count(*) FROM (SELECT path, method FROM logs WHERE level = 'error' UNION SELECT path, method FROM logs WHERE status = 201) t",
    ]
    static let someTraces = rows.compactMap(\.trace).enumerated().filter { $0.offset % 1000 == 7 }.map(\.element)

    func loadLogdash() throws -> QueryEngine {
        let store = Store()
        let options = ParseOptions()
        var lines: [String] = []
        for r in Self.rows {
            var f = ["\"ts\":\"\(r.ts)\"", "\"level\":\"\(r.level)\"", "\"service\":\"\(r.service)\"", "\"method\":\"\(r.method)\"",
                     "\"path\":\"\(r.path)\"", "\"status\":\(r.status)"]
            if let l = r.latency { f.append("\"latency_ms\":\(Value.format(l))") }
            if let b = r.bytes { f.append("\"bytes\":\(b)") }
            if let u = r.user { f.append("\"user\":\"\(u)\"") }
            if let t = r.trace { f.append("\"trace\":\"\(t)\"") }
            lines.append("{" + f.joined(separator: ",") + "}")
        }
        for chunk in stride(from: 0, to: lines.count, by: 1000) {  // six segments
            let bytes = Array((lines[chunk..<min(lines.count, chunk + 1000)].joined(separator: "\n") + "\n").utf8)
            let d = try bytes.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: arrival) }
            var batch = RecordBatch(source: "diff")
            _ = bytes.withUnsafeBufferPointer { SourceParser(options: options, detection: d).parse($0, arrival: arrival, final: true, into: &batch) }
            store.append(batch)
        }
        return QueryEngine(snapshot: store.snapshot(), now: arrival)
    }

    final class SQLite {
        var db: OpaquePointer?
        init() throws {
            guard sqlite3_open(":memory:", &db) == SQLITE_OK else { throw TestSetupError("sqlite3_open failed") }
            try exec("PRAGMA case_sensitive_like = ON")  // LIKE is case-sensitive in Trino and logdash
            try exec("CREATE TABLE logs (ts TEXT, level TEXT, service TEXT, method TEXT, path TEXT, status INTEGER, latency_ms REAL, bytes INTEGER, user TEXT, trace TEXT)")
        }
        deinit { sqlite3_close(db) }

        func exec(_ sql: String) throws {
            var err: UnsafeMutablePointer<CChar>?
            guard sqlite3_exec(db, sql, nil, nil, &err) == SQLITE_OK else {
                defer { sqlite3_free(err) }
                throw TestSetupError("sqlite: \(err.map { String(cString: $0) } ?? "?") in \(sql)")
            }
        }

        func insert(_ rows: [Row]) throws {
            try exec("BEGIN")
            var st: OpaquePointer?
            sqlite3_prepare_v2(db, "INSERT INTO logs VALUES (?,?,?,?,?,?,?,?,?,?)", -1, &st, nil)
            let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
            for r in rows {
                sqlite3_reset(st)
                for (i, s) in [r.ts, r.level, r.service, r.method, r.path].enumerated() { sqlite3_bind_text(st, Int32(i + 1), s, -1, transient) }
                sqlite3_bind_int64(st, 6, r.status)
                if let l = r.latency { sqlite3_bind_double(st, 7, l) } else { sqlite3_bind_null(st, 7) }
                if let b = r.bytes { sqlite3_bind_int64(st, 8, b) } else { sqlite3_bind_null(st, 8) }
                if let u = r.user { sqlite3_bind_text(st, 9, u, -1, transient) } else { sqlite3_bind_null(st, 9) }
                if let t = r.trace { sqlite3_bind_text(st, 10, t, -1, transient) } else { sqlite3_bind_null(st, 10) }
                guard sqlite3_step(st) == SQLITE_DONE else { throw TestSetupError("insert failed") }
            }
            sqlite3_finalize(st)
            try exec("COMMIT")
        }

        func query(_ sql: String) throws -> [[String]] {
            var st: OpaquePointer?
            guard sqlite3_prepare_v2(db, sql, -1, &st, nil) == SQLITE_OK else {
                throw TestSetupError("sqlite cannot run: \(String(cString: sqlite3_errmsg(db))) in \(sql)")
            }
            defer { sqlite3_finalize(st) }
            var out: [[String]] = []
            while sqlite3_step(st) == SQLITE_ROW {
                out.append((0..<sqlite3_column_count(st)).map { i in
                    switch sqlite3_column_type(st, i) {
                    case SQLITE_NULL: return "NULL"
                    case SQLITE_INTEGER: return String(sqlite3_column_int64(st, i))
                    case SQLITE_FLOAT: return Value.format(sqlite3_column_double(st, i))
                    default: return String(cString: sqlite3_column_text(st, i))
                    }
                })
            }
            return out
        }
    }

    @Test(arguments: queries)
    func logdashAgreesWithSQLite(_ sql: String) throws {
        let engine = try loadLogdash()
        let sqlite = try SQLite()
        try sqlite.insert(Self.rows)
        let want = try sqlite.query(sql)
        let got = try engine.execute(sql).rows.map { $0.map(SQLLogicTests.render) }
        #expect(!want.isEmpty)
        #expect(got == want, "\(sql)")
    }
}
