import Foundation
import Testing
import Scratch
@testable import LogdashEngine

/// The same gen_logs.py records in logdash and in DuckDB, the same queries — in the Trino
/// dialect for logdash, translated to DuckDB's where the two differ — compared row for row
/// (issue 24): the hand-written queries of `duckdb/queries.sql` (joins, subqueries, set
/// operations, windows, functions, arrays) and generated aggregates (every aggregate by every
/// key under every filter). DuckDB comes from PyPI, in the venv `.ci/run` makes.
@Suite struct DuckDBDifferentialTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("duckdb")

    /// (logdash's SQL, DuckDB's) from the file.
    static func written() throws -> [(String, String)] {
        var out: [(String, String)] = []
        for line in try String(contentsOf: directory.appendingPathComponent("queries.sql"), encoding: .utf8).split(separator: "\n") {
            if line.hasPrefix("--") || line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if line.hasPrefix("=> ") { out[out.count - 1].1 = String(line.dropFirst(3)); continue }
            out.append((String(line), String(line)))
        }
        return out
    }

    /// Every aggregate by every key under every filter.
    static let generated: [(String, String)] = {
        let aggregates = ["count(*)", "count(bytes)", "sum(bytes)", "min(latency_ms)", "max(latency_ms)", "avg(latency_ms)",
                          "count(DISTINCT user)", "count_if(status >= 500)", "min(ts)", "max(path)"]
        let keys = ["", "service", "level", "status", "method, level", "date_trunc('minute', ts)"]
        let filters = ["", " WHERE status >= 400", " WHERE path LIKE '/api/%' AND method <> 'GET'", " WHERE latency_ms BETWEEN 10 AND 50 OR user IS NULL"]
        var out: [(String, String)] = []
        for a in aggregates {
            for k in keys {
                for f in filters {
                    let n = k.split(separator: ",").count
                    let sql = k.isEmpty ? "SELECT \(a) FROM logs\(f)"
                        : "SELECT \(k), \(a) FROM logs\(f) GROUP BY \(k) ORDER BY \((1...n).map(String.init).joined(separator: ", "))"
                    out.append((sql, sql.replacingOccurrences(of: "(user)", with: "(\"user\")").replacingOccurrences(of: " user ", with: " \"user\" ")))
                }
            }
        }
        return out
    }()

    /// A value as DuckDB's runner prints it: times as ISO 8601, arrays as lists.
    static func plain(_ v: Value) -> Any {
        switch v {
        case .null: NSNull()
        case .bool(let b): b
        case .int(let i): i
        case .double(let d): d
        case .string(let s): s
        case .timestamp(let t): Timestamp.iso8601(t)
        case .interval(let ns): ns
        case .array(let items): items.map(plain)
        case .map(let keys, let values): Dictionary(uniqueKeysWithValues: zip(keys.map(textOf), values.map(plain)))
        case .binary(let b): Value.hex(b)
        case .date, .zoned: v.description
        }
    }

    /// Equal, numbers to a part in 10^9 (sums of doubles differ in their last bits by order).
    static func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case (is NSNull, is NSNull): return true
        case (let x as Bool, let y as Bool): return x == y
        case (let x as [Any], let y as [Any]): return x.count == y.count && zip(x, y).allSatisfy(same)
        case (let x as String, let y as String): return x == y
        case (let x as NSNumber, let y as NSNumber):
            let u = x.doubleValue, v = y.doubleValue
            return u == v || abs(u - v) <= 1e-9 * max(1, abs(u), abs(v))
        case (let x as Int64, _): return same(NSNumber(value: x), b)
        case (_, let y as Int64): return same(a, NSNumber(value: y))
        case (let x as Double, _): return same(NSNumber(value: x), b)
        case (_, let y as Double): return same(a, NSNumber(value: y))
        default: return false
        }
    }

    @Test func logdashAgreesWithDuckDB() throws {
        let queries = try Self.written() + Self.generated
        #expect(queries.count >= 200)
        guard let python = PythonWith.find(module: "duckdb", venv: "/tmp/logdash-duckdb", variable: "LOGDASH_DUCKDB_PYTHON") else {
            Issue.record("no Python with duckdb: .ci/run installs it in /tmp/logdash-duckdb (or set LOGDASH_DUCKDB_PYTHON)")
            return
        }
        let dir = try Scratch.directory("duckdb-diff")
        let data = dir.appendingPathComponent("logs.json")
        try genLogs(["--format", "json", "--lines", "3000", "--seed", "7", "--span", "3600"]).write(to: data)
        let list = dir.appendingPathComponent("queries.json")
        try JSONSerialization.data(withJSONObject: queries.map(\.1)).write(to: list)
        let r = try run(python, [Self.directory.appendingPathComponent("run.py").path, data.path, list.path])
        #expect(r.status == 0, "\(r.err)")
        let answers = String(decoding: r.out, as: UTF8.self).split(separator: "\n")
        #expect(answers.count == queries.count)
        let lines = String(decoding: try Data(contentsOf: data), as: UTF8.self).split(separator: "\n").map(String.init)
        let engine = QueryEngine(snapshot: try store(lines: lines, at: arrival, chunk: 500).snapshot(), now: arrival)
        var agreed = 0
        for ((sql, duck), answer) in zip(queries, answers) {
            let theirs = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as! [String: Any]
            if let e = theirs["error"] { Issue.record("DuckDB cannot run \(duck): \(e)"); continue }
            let want = theirs["rows"] as! [[Any]]
            let got: [[Any]]
            do { got = try engine.execute(sql).rows.map { $0.map(Self.plain) } } catch { Issue.record("logdash cannot run \(sql): \(error)"); continue }
            if got.count != want.count || !zip(got, want).allSatisfy({ Self.same($0.0 as [Any], $0.1 as [Any]) }) {
                let k = (0..<min(got.count, want.count)).first { !Self.same(got[$0] as [Any], want[$0] as [Any]) } ?? min(got.count, want.count)
                Issue.record("\(sql)\n  \(got.count) rows, DuckDB \(want.count); first difference at row \(k): \(k < got.count ? "\(got[k])" : "-") vs \(k < want.count ? "\(want[k])" : "-")")
                continue
            }
            agreed += 1
        }
        #expect(agreed == queries.count)
    }
}
