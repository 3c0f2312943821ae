import Foundation
import Testing
@testable import LogdashEngine

/// Bad SQL gets an error, never a crash: mutated queries either run or throw `QueryError`.
@Suite struct QueryRobustnessTests {
    static let seeds = [
        "SELECT status, count(*) FROM logs WHERE level = 'error' GROUP BY status HAVING count(*) > 1 ORDER BY 2 DESC LIMIT 5",
        "SELECT date_bin(INTERVAL '5' MINUTE, ts) b, avg(latency_ms) FROM logs GROUP BY b ORDER BY b",
        "WITH t AS (SELECT user, bytes FROM logs) SELECT user, sum(bytes) FROM t GROUP BY user",
        "SELECT CASE WHEN status >= 500 THEN 'x' ELSE lower(path) END, CAST(bytes AS double) / 3 FROM logs",
        "SELECT rank() OVER (PARTITION BY service ORDER BY latency_ms DESC) r, lag(path, 1, 'none') OVER (ORDER BY ts) FROM logs",
        "SELECT regexp_extract(msg, '(\\w+)', 1), json_extract_scalar(raw, '$.a.b[0]'), substr(path, -3, 2) FROM logs",
        "SELECT * FROM logs WHERE ts BETWEEN TIMESTAMP '2026-11-27 14:00:00' AND now() AND path NOT LIKE '%x_%' LIMIT 3 OFFSET 1",
        "SELECT a FROM (SELECT status a FROM logs UNION ALL SELECT 1) t WHERE a IN (1, 2, NULL) ORDER BY a NULLS FIRST",
    ]
    static let tokens = ["SELECT", "FROM", "WHERE", "(", ")", ",", "*", "'", "\"", "GROUP BY", "ORDER BY", "OVER", "NULL",
                         "1e999", "-9223372036854775808", "9223372036854775807", "/", "%", "||", "AND", "NOT", "CASE", "END",
                         "INTERVAL", "TIMESTAMP", "count(", "sum(", "--", "/*", ";", "LIMIT", "0", "logs", "errors", "ts", "\u{0}", "é"]

    /// Integers at the ends of Int64's range are stored, filtered and grouped exactly (their
    /// zone bounds are kept as integers: as doubles, Int64.max rounds past itself and crashed
    /// the segment encoder).
    @Test func integersAtTheEndsOfTheRangeAreStoredAndFilteredExactly() throws {
        let s = try store(lines: [
            #"{"ts":"2026-11-27T14:00:00Z","bytes":9223372036854775807}"#,
            #"{"ts":"2026-11-27T14:00:01Z","bytes":9223372036854775806}"#,
            #"{"ts":"2026-11-27T14:00:02Z","bytes":-9223372036854775808}"#,
        ])
        let engine = QueryEngine(snapshot: s.snapshot())
        #expect(try engine.execute("SELECT count(*) FROM logs WHERE bytes = 9223372036854775806").rows == [[.int(1)]])
        #expect(try engine.execute("SELECT count(*) FROM logs WHERE bytes > 9223372036854775806").rows == [[.int(1)]])
        #expect(try engine.execute("SELECT bytes, count(*) FROM logs GROUP BY bytes ORDER BY bytes").rows
            == [[.int(.min), .int(1)], [.int(.max - 1), .int(1)], [.int(.max), .int(1)]])
    }

    @Test func mutatedQueriesRunOrFailWithAQueryError() throws {
        let text = """
            {"ts":"2026-11-27T14:00:00Z","level":"error","service":"a","status":500,"latency_ms":12.5,"path":"/x","user":"u1","bytes":10,"msg":"boom now"}
            {"ts":"2026-11-27T14:01:00Z","level":"info","service":"b","status":200,"latency_ms":3,"path":"/y","bytes":0,"msg":"ok"}
            not json at all
            """
        let bytes = Array(text.utf8)
        let options = ParseOptions()
        let d = try bytes.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: arrival) }
        var batch = RecordBatch(source: "t")
        _ = bytes.withUnsafeBufferPointer { SourceParser(options: options, detection: d).parse($0, arrival: arrival, final: true, into: &batch) }
        let store = Store()
        store.append(batch)
        let engine = QueryEngine(snapshot: store.snapshot(), now: arrival)
        var rng = SplitMix64(seed: 99)
        var ran = 0, failed = 0
        for iteration in 0..<3000 {
            var words = Self.seeds[iteration % Self.seeds.count].split(separator: " ").map(String.init)
            for _ in 0..<rng.int(1, 4) {
                switch rng.int(0, 4) {
                case 0 where !words.isEmpty: words.remove(at: rng.int(0, words.count - 1))
                case 1: words.insert(Self.tokens[rng.int(0, Self.tokens.count - 1)], at: rng.int(0, words.count))
                case 2 where words.count > 1: words.swapAt(rng.int(0, words.count - 1), rng.int(0, words.count - 1))
                case 3 where !words.isEmpty:
                    let i = rng.int(0, words.count - 1)
                    var chars = Array(words[i])
                    if !chars.isEmpty { chars.remove(at: rng.int(0, chars.count - 1)) }
                    words[i] = String(chars)
                default: words.append(String(repeating: "(", count: rng.int(1, 40)))
                }
            }
            let sql = words.joined(separator: " ")
            do {
                _ = try engine.execute(sql)
                ran += 1
            } catch let e as QueryError {
                failed += 1
                // The caret always points inside the text (or at its end).
                if let p = e.position { #expect(p >= 0 && p <= sql.utf8.count, "\(sql)") }
                _ = e.rendered(in: sql)
            }
        }
        #expect(ran > 20)  // execution, not only parsing, is exercised
        #expect(failed > 50)
    }
}

/// The query pane's running query: its progress counts the rows scanned, and a cancelled one
/// stops with an error of its own kind (the pane shows it; nothing crashes).
@Suite struct QueryProgressTests {
    @Test func progressCountsTheSegmentsScannedAndCancelStopsTheQuery() throws {
        let store = try TopNTests.store()
        var engine = QueryEngine(snapshot: store.snapshot(), now: arrival)
        let progress = QueryProgress()
        engine.progress = progress
        _ = try engine.execute("SELECT k, count(*) FROM logs GROUP BY k")
        #expect(progress.scanned.rows == 3000 && progress.scanned.segments == 5)
        let stopped = QueryProgress()
        stopped.cancel()
        engine.progress = stopped
        #expect(throws: QueryError(.cancelled, "the query was cancelled", at: nil)) { try engine.execute("SELECT count(*) FROM logs") }
        #expect(stopped.scanned.rows == 0)
    }
}
