import Foundation
import Testing
@testable import LogdashEngine

/// The streaming partial query's kernel (`PartialKernel`) gives exactly the rows the engine
/// gives for the partial SELECT — same groups, same order, same values; tumbling, hopping and
/// session windows — over segments of
/// gen_logs.py data with hostile lines, segments of another format lacking columns, NULL
/// keys and times, a dashboard filter, and keys and values of every type it takes; and it
/// leaves to the engine what it does not take.
@Suite struct PartialKernelTests {
    /// JSON segments (with `--bad` lines) and logfmt ones: columns missing from some segments,
    /// numbers of both types.
    static func segments() throws -> (segments: [Segment], schema: [SchemaColumn]) {
        let json = String(decoding: try genLogs(["--format", "json", "--lines", "6000", "--seed", "9", "--bad", "--span", "1800"]), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        let logfmt = String(decoding: try genLogs(["--format", "logfmt", "--lines", "1500", "--seed", "4", "--span", "1800"]), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        var segs = try StreamingQueryTests.batches(json, of: 900).map(StreamingQueryTests.segment)
        segs.insert(contentsOf: try StreamingQueryTests.batches(logfmt, of: 700).map(StreamingQueryTests.segment), at: 3)
        // A segment with NULL times, keys and values, and a latency that is an integer.
        segs.append(try StreamingQueryTests.segment([
            #"{"level":"error","service":"api","latency_ms":5}"#,
            #"{"ts":"2026-11-27T00:10:00Z","latency_ms":7,"status":null,"user":"ann"}"#,
            #"{"ts":"2026-11-27T00:10:01Z","level":"warn","bytes":9223372036854775807,"status":503}"#,
            #"{"ts":"2026-11-27T00:10:02Z","level":"warn","bytes":9223372036854775807,"status":503}"#,
        ]))
        let store = Store()
        for s in segs { store.append(s) }
        return (segs, store.snapshot().schema)
    }

    static let queries = [
        "SELECT window_start, count(*) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
        "SELECT window_start, count_if(status >= 500) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
        "SELECT service, window_start, avg(latency_ms) FROM logs GROUP BY service, TUMBLE(ts, INTERVAL '1' MINUTE)",
        "SELECT path, window_start, max(latency_ms) FROM logs GROUP BY path, TUMBLE(ts, INTERVAL '5' MINUTE)",
        "SELECT level, window_start, count(*) FROM logs GROUP BY level, TUMBLE(ts, INTERVAL '10' SECOND)",
        "SELECT window_start, sum(bytes) FROM logs GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE)",
        "SELECT host, window_start, count(*) FROM logs WHERE status >= 500 GROUP BY host, TUMBLE(ts, INTERVAL '1' MINUTE)",
        "SELECT window_start, min(latency_ms), max(latency_ms) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' HOUR)",
        "SELECT status, window_start, count(*) FROM logs GROUP BY status, TUMBLE(ts, INTERVAL '1' MINUTE)",
        "SELECT status, level, window_start, count(*), sum(latency_ms), min(ts), max(bytes), count(user), count_if(latency_ms > 100) "
            + "FROM logs WHERE service <> 'auth' OR service IS NULL GROUP BY status, level, TUMBLE(ts, INTERVAL '30' SECOND)",
        "SELECT bytes, window_start, count(*), sum(bytes) FROM logs GROUP BY bytes, TUMBLE(ts, INTERVAL '1' MINUTE)",
        "SELECT window_start, 100.0 * count_if(status >= 500) / count(*) FROM logs WHERE level = 'error' GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
        "SELECT service, window_start, window_end, count(*) FROM logs WHERE level = 'error' GROUP BY service, SESSION(ts, INTERVAL '30' SECOND)",
        "SELECT status, host, window_start, window_end, count(*), min(bytes), sum(bytes) FROM logs GROUP BY status, host, SESSION(ts, INTERVAL '2' SECOND)",
        "SELECT window_start, window_end, count(*) FROM logs WHERE status >= 500 GROUP BY SESSION(ts, INTERVAL '10' SECOND)",
        // Aggregates of a column where a condition holds (alarms sharing one pass push their WHERE into them).
        "SELECT level, window_start, avg(CASE WHEN status >= 500 THEN latency_ms END), max(CASE WHEN service = 'api' THEN bytes ELSE NULL END), "
            + "count(CASE WHEN level = 'error' THEN user END), min(CASE WHEN path LIKE '/api/%' THEN ts END), count_if(status >= 500) "
            + "FROM logs GROUP BY level, TUMBLE(ts, INTERVAL '1' MINUTE)",
        "SELECT window_start, window_end, sum(CASE WHEN latency_ms > 100 THEN bytes END) FROM logs GROUP BY SESSION(ts, INTERVAL '5' SECOND)",
    ]

    @Test func theKernelGivesTheEnginesPartialRows() throws {
        let (segs, schema) = try Self.segments()
        let now = Timestamp.make(year: 2026, month: 11, day: 28, hour: 0, minute: 0, second: 0)!
        var ran = 0
        for sql in Self.queries {
            for filter in [nil, "method = 'GET'"] as [String?] {
                let q = try StreamingQuery(sql: sql)
                q.logsFilter = try filter.map(QueryEngine.filter)
                for batch in [Array(segs[0..<4]), Array(segs[4...]), segs] {
                    let engine = try q.partialRows(batch, schema: schema, now: now, kernel: false)
                    guard let kernel = q.kernelRows(batch, schema: schema, now: now) else {
                        Issue.record("the kernel left \(sql) to the engine")
                        continue
                    }
                    if let i = (0..<min(kernel.count, engine.count)).first(where: { kernel[$0] != engine[$0] }) ?? (kernel.count == engine.count ? nil : min(kernel.count, engine.count)) {
                        Issue.record("\(sql) with \(filter ?? "no filter"): row \(i) of \(kernel.count)/\(engine.count): kernel \(i < kernel.count ? kernel[i] : []) engine \(i < engine.count ? engine[i] : [])")
                    }
                    #expect(!engine.isEmpty)
                    ran += 1
                }
            }
        }
        #expect(ran == Self.queries.count * 6)
    }

    @Test func otherShapesAreLeftToTheEngine() throws {
        let (segs, schema) = try Self.segments()
        for sql in [
            "SELECT window_start, approx_percentile(latency_ms, 0.99) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
            "SELECT window_start, count(DISTINCT user) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
            "SELECT lower(service), window_start, count(*) FROM logs GROUP BY lower(service), TUMBLE(ts, INTERVAL '1' MINUTE)",
            "SELECT window_start, sum(latency_ms * 2) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
            "SELECT window_start, sum(CASE WHEN status >= 500 THEN bytes ELSE 0 END) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
        ] {
            let q = try StreamingQuery(sql: sql)
            #expect(q.kernelRows(segs, schema: schema, now: 0) == nil, "\(sql)")
        }
        // A key the kernel does not group by (mostly unique text), a minimum of text, or a
        // session over a column whose segments differ in type (integers among floats): the engine.
        for sql in [
            "SELECT window_start, max(latency_ms) FROM logs GROUP BY SESSION(ts, INTERVAL '2' SECOND)",
            "SELECT trace_id, window_start, count(*) FROM logs GROUP BY trace_id, TUMBLE(ts, INTERVAL '1' MINUTE)",
            "SELECT window_start, min(level) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
        ] {
            let q = try StreamingQuery(sql: sql)
            #expect(q.kernelRows(segs, schema: schema, now: 0) == nil, "\(sql)")
            #expect(try !q.partialRows(segs, schema: schema, now: 0).isEmpty)
        }
    }
}
