import Foundation
import Testing
@testable import LogdashEngine

/// Continuous queries: windows close as the watermark (newest event time less the lateness)
/// passes their end; the state they fold is the same as a batch query's result; late records
/// update an emitted window or are dropped; the state is bounded.
@Suite struct StreamingQueryTests {
    static func t(_ h: Int, _ m: Int, _ s: Int) -> String {
        Timestamp.iso8601(Timestamp.make(year: 2026, month: 11, day: 27, hour: h, minute: m, second: s)!)
    }

    /// A store segment of JSON lines.
    static func segment(_ lines: [String]) throws -> Segment {
        let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        let options = ParseOptions()
        let d = try bytes.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: arrival) }
        var batch = RecordBatch(source: "t")
        _ = bytes.withUnsafeBufferPointer { SourceParser(options: options, detection: d).parse($0, arrival: arrival, final: true, into: &batch) }
        return Segment(batch)
    }

    static func line(_ ts: String, service: String = "api", latency: Int = 10, status: Int = 200) -> String {
        "{\"ts\":\"\(ts)\",\"service\":\"\(service)\",\"latency_ms\":\(latency),\"status\":\(status)}"
    }

    /// A store and a streaming query's feed of it, as ingest has them.
    final class Harness {
        let store = Store()
        let feed: SegmentFeed
        init() { feed = store.subscribe(fromStart: true) }

        /// Stores each batch as a segment, folds it in, and returns what the query emitted.
        func push(_ q: StreamingQuery, _ batches: [[String]]) throws -> [StreamingQuery.Emission] {
            var out: [StreamingQuery.Emission] = []
            for b in batches {
                store.append(try segment(b))
                try q.add(feed.take(), schema: store.snapshot().schema)
                out += try q.advance()
            }
            return out
        }
    }

    static func feed(_ q: StreamingQuery, _ batches: [[String]]) throws -> [StreamingQuery.Emission] {
        try Harness().push(q, batches)
    }

    /// Lines in batches of `n`.
    static func batches(_ lines: [String], of n: Int) -> [[String]] {
        stride(from: 0, to: lines.count, by: n).map { Array(lines[$0..<min(lines.count, $0 + n)]) }
    }

    /// `sql` as a streaming query fed `batches` (no lateness; then every window closed), beside
    /// the same SQL as a batch query over all their lines: each window group's last emitted row
    /// (a late record re-emits its window whole) by its first two columns, how many rows were
    /// emitted in all, and the batch rows.
    static func streamedBeside(_ sql: String, _ batches: [[String]]) throws -> (streamed: [[Value]: [Value]], emitted: Int, batch: [[Value]]) {
        let q = try StreamingQuery(sql: sql, lateness: 0)
        var emitted = try feed(q, batches)
        emitted += try q.finishAll()
        let rows = emitted.flatMap(\.result.rows)
        var latest: [[Value]: [Value]] = [:]
        for row in rows { latest[[row[0], row[1]]] = row }
        let store = Store()
        store.append(try segment(batches.flatMap { $0 }))
        return (latest, rows.count, try QueryEngine(snapshot: store.snapshot()).execute(sql).rows)
    }

    @Test func aTumblingWindowIsEmittedOnceTheWatermarkPassesItsEnd() throws {
        let q = try StreamingQuery(sql: "SELECT window_start, count(*) c, avg(latency_ms) a FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
                                   lateness: 5_000_000_000)
        let h = Harness()
        // 14:01:03 less 5 s is 14:00:58: the 14:00 window is still open.
        var e = try h.push(q, [[Self.line(Self.t(14, 0, 10), latency: 10), Self.line(Self.t(14, 0, 50), latency: 20), Self.line(Self.t(14, 1, 3))]])
        #expect(e.isEmpty)
        #expect(try q.openWindows().rows.map { $0[1] } == [.int(2), .int(1)])
        // 14:01:06 less 5 s passes 14:01:00.
        e = try h.push(q, [[Self.line(Self.t(14, 1, 6))]])
        #expect(e.count == 1)
        #expect(e[0].result.columns == ["window_start", "c", "a"])
        #expect(e[0].result.rows == [[.timestamp(Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: 0)!), .int(2), .double(15)]])
        #expect(!e[0].isUpdate)
        let rest = try q.finishAll()
        #expect(rest.count == 1 && rest[0].result.rows[0][1] == .int(2))
    }

    /// Whatever the batches, the windows emitted add up to the batch query's result.
    @Test(arguments: [
        "SELECT service, window_start, window_end, count(*) c, sum(latency_ms) s, min(status) lo, max(latency_ms) hi, avg(latency_ms) a FROM logs WHERE status <> 404 GROUP BY service, TUMBLE(ts, INTERVAL '1' MINUTE) HAVING count(*) > 1",
        "SELECT window_start, window_end, count(*) c, count_if(status >= 500) e FROM logs GROUP BY HOP(ts, INTERVAL '30' SECOND, INTERVAL '2' MINUTE)",
        "SELECT service, window_start, window_end, count(*) c, max(latency_ms) hi FROM logs GROUP BY service, SESSION(ts, INTERVAL '20' SECOND)",
        // ORDER BY: the final query runs through the engine rather than straight over the state.
        "SELECT service, window_start, count(*) c, avg(latency_ms) * 2 a2 FROM logs GROUP BY service, TUMBLE(ts, INTERVAL '1' MINUTE) HAVING max(latency_ms) > 100 ORDER BY c DESC",
    ])
    func windowsEmittedAddUpToTheBatchQuery(sql: String) throws {
        var rng = SplitMix64(seed: 11)
        var lines: [String] = []
        var second = 0
        for _ in 0..<600 {
            second += rng.int(0, 3)
            // A little disorder, always within the lateness.
            let s = max(0, second - rng.int(0, 4))
            let ts = Timestamp.iso8601(Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: s)!)
            lines.append(Self.line(ts, service: ["api", "web", "db"][rng.int(0, 2)], latency: rng.int(1, 900), status: [200, 200, 404, 500][rng.int(0, 3)]))
        }
        let q = try StreamingQuery(sql: sql, lateness: 10_000_000_000)
        let batches = stride(from: 0, to: lines.count, by: 37).map { Array(lines[$0..<min(lines.count, $0 + 37)]) }
        var emitted = try Self.feed(q, batches)
        emitted += try q.finishAll()
        #expect(q.updatedLate == 0 && q.droppedLate == 0)
        #expect(emitted.allSatisfy { !$0.isUpdate })
        let store = Store()
        store.append(try Self.segment(lines))
        let batch = try QueryEngine(snapshot: store.snapshot()).execute(sql)
        func sorted(_ rows: [[Value]]) -> [String] { rows.map { $0.map(\.description).joined(separator: "|") }.sorted() }
        #expect(sorted(emitted.flatMap(\.result.rows)) == sorted(batch.rows))
        #expect(emitted.allSatisfy { $0.result.columns == batch.columns })
        #expect(emitted.count > 3)
    }

    @Test func aLateRecordUpdatesAnEmittedWindowOrIsDroppedAfterTheAllowedLateness() throws {
        let q = try StreamingQuery(sql: "SELECT window_start, count(*) c FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
                                   lateness: 0, allowedLateness: 120_000_000_000)
        let h = Harness()
        var e = try h.push(q, [[Self.line(Self.t(14, 0, 10)), Self.line(Self.t(14, 1, 0))]])
        #expect(e.count == 1 && e[0].result.rows[0][1] == .int(1))
        // 14:00:20 arrives after the 14:00 window was emitted, within the allowed 2 minutes.
        e = try h.push(q, [[Self.line(Self.t(14, 0, 20))]])
        #expect(e.count == 1 && e[0].isUpdate && e[0].result.rows[0][1] == .int(2))
        #expect(q.updatedLate == 1)
        // Time moves to 14:05: the 14:00 window is evicted; a record for it is dropped.
        e = try h.push(q, [[Self.line(Self.t(14, 5, 0))], [Self.line(Self.t(14, 0, 30))]])
        #expect(q.droppedLate == 1)
        #expect(!e.contains { $0.windowStart == Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: 0)! })
    }

    @Test func aSessionGrowsAcrossBatchesAndClosesAGapAfterItsLastRecord() throws {
        let q = try StreamingQuery(sql: "SELECT service, window_start, window_end, count(*) c FROM logs GROUP BY service, SESSION(ts, INTERVAL '30' SECOND)",
                                   lateness: 0)
        let e = try Self.feed(q, [[Self.line(Self.t(14, 0, 0))], [Self.line(Self.t(14, 0, 20))], [Self.line(Self.t(14, 0, 45))], [Self.line(Self.t(14, 2, 0))]])
        #expect(e.count == 1)
        #expect(e[0].result.rows == [[.string("api"), .timestamp(Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: 0)!),
                                      .timestamp(Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 1, second: 15)!), .int(3)]])
    }

    @Test func stateOverItsLimitIsAClearError() throws {
        let q = try StreamingQuery(sql: "SELECT service, count(*) FROM logs GROUP BY service, TUMBLE(ts, INTERVAL '1' HOUR)", maxGroups: 2)
        #expect(throws: StreamingQuery.StateLimit.self) {
            _ = try Self.feed(q, [["a", "b", "c"].map { Self.line(Self.t(14, 0, 0), service: $0) }])
        }
        // count(DISTINCT …)'s sets count too: one window group, three values.
        let d = try StreamingQuery(sql: "SELECT count(DISTINCT service) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' HOUR)", maxGroups: 2)
        #expect { _ = try Self.feed(d, [["a", "b", "c"].map { Self.line(Self.t(14, 0, 0), service: $0) }]) } throws: {
            ($0 as? StreamingQuery.StateLimit)?.description.contains("3 distinct values") == true
        }
    }

    @Test func arrivalTimeWindowsCloseWithTheWallClock() throws {
        let q = try StreamingQuery(sql: "SELECT window_start, count(*) c FROM logs GROUP BY TUMBLE(ingest_ts, INTERVAL '1' SECOND)", lateness: 0)
        #expect(q.processingTime)
        let store = Store()
        let feed = store.subscribe(fromStart: true)
        store.append(try Self.segment(["no time here", "nor here"]))
        try q.add(feed.take(), schema: store.snapshot().schema, now: arrival)
        #expect(try q.advance(now: arrival).isEmpty)
        let e = try q.advance(now: arrival + 2_000_000_000)
        #expect(e.count == 1 && e[0].result.rows[0][1] == .int(2))
    }

    @Test(arguments: [
        ("SELECT count(*) FROM logs", "needs a window in GROUP BY"),
        ("SELECT approx_distinct(latency_ms) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)", "approx_distinct(…) cannot run in a streaming query yet"),
        ("SELECT approx_percentile(latency_ms, 0.5), approx_percentile(status, 0.5) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)", "approx_percentile(…) cannot run in a streaming query yet"),
        ("SELECT sum(DISTINCT latency_ms) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)", "sum(DISTINCT …) cannot run"),
        ("SELECT count(DISTINCT service), count(DISTINCT status) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)", "count(DISTINCT …) cannot run"),
        ("SELECT count(*) FROM errors GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)", "reads FROM logs"),
    ])
    func whatCannotStreamIsSaid(sql: String, message: String) {
        #expect { _ = try StreamingQuery(sql: sql) } throws: { ($0 as? QueryError)?.message.contains(message) == true }
    }

    /// The query pane's live query: history first, then each step adds what was stored since;
    /// closed windows' final rows come first, the open windows' partial rows last.
    @Test func aLiveQueryStartsFromHistoryAndEachStepAddsWhatWasStoredSince() throws {
        let store = Store()
        func ts(_ m: Int, _ s: Int) -> String { Timestamp.iso8601(Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: m, second: s)!) }
        store.append(try Self.segment([Self.line(ts(0, 1)), Self.line(ts(0, 30), service: "web")]))
        let live = try LiveQuery(sql: "SELECT window_start, service, count(*) c FROM logs GROUP BY service, TUMBLE(ts, INTERVAL '1' MINUTE)", store: store)
        let t0 = Value.timestamp(Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: 0)!)
        let t1 = Value.timestamp(Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 1, second: 0)!)
        var r = try live.step()
        #expect(r.columns == ["window_start", "service", "c"])
        #expect(r.rows == [[t0, .string("api"), .int(1)], [t0, .string("web"), .int(1)]])
        #expect(live.closedWindows == 0 && live.openWindows == 1)
        store.append(try Self.segment([Self.line(ts(0, 50)), Self.line(ts(1, 10))]))
        r = try live.step()
        // 14:01:10 less 5 s passes 14:01: the first window closes with its final rows.
        #expect(r.rows == [[t0, .string("api"), .int(2)], [t0, .string("web"), .int(1)], [t1, .string("api"), .int(1)]])
        #expect(live.closedWindows == 1 && live.openWindows == 1)
        // A late record within the allowed lateness updates the closed window in place.
        store.append(try Self.segment([Self.line(ts(0, 59), service: "web")]))
        r = try live.step()
        #expect(r.rows == [[t0, .string("api"), .int(2)], [t0, .string("web"), .int(2)], [t1, .string("api"), .int(1)]])
        #expect(live.closedWindows == 1)
        #expect(throws: QueryError.self) { try LiveQuery(sql: "SELECT count(*) FROM logs", store: store) }  // no window: not live
    }

    /// approx_percentile streams through a log-bucket sketch: within 1 % of the exact value the
    /// batch query gives, per window and group; alarms ask for exact values and are refused.
    /// stddev and variance fold sums of x and x² and a count: the same values as the batch
    /// query's (to rounding), windows of one record and of none included.
    @Test func stddevAndVarianceStreamAsTheBatchComputesThem() throws {
        var rng = SplitMix64(seed: 5)
        var lines = (0..<1200).map { i in
            Self.line(Timestamp.iso8601(Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: i / 4)!),
                      service: ["api", "web", "db"][rng.int(0, 2)], latency: rng.int(1, 100_000))
        }
        lines.append(Self.line(Self.t(14, 9, 0), service: "solo", latency: 7))  // a window of one record
        let sql = "SELECT service, window_start, stddev(latency_ms) s, stddev_pop(latency_ms) sp, variance(latency_ms) v, var_samp(latency_ms) vs, count(*) n FROM logs GROUP BY service, TUMBLE(ts, INTERVAL '1' MINUTE)"
        let (streamed, emitted, batch) = try Self.streamedBeside(sql, Self.batches(lines, of: 70))
        #expect(emitted == batch.count && streamed.count == batch.count && streamed.count >= 15)
        for row in batch {
            guard let s = streamed[[row[0], row[1]]] else { Issue.record("no window for \(row)"); continue }
            #expect(s[6] == row[6])
            for k in 2...5 {
                if row[k] == .null { #expect(s[k] == .null, "\(row)"); continue }
                guard let got = Arithmetic.number(s[k]), let want = Arithmetic.number(row[k]) else { Issue.record("\(s) vs \(row)"); continue }
                #expect(abs(got - want) <= 1e-9 * max(1, abs(want)), "\(row): \(got) vs \(want)")
            }
        }
        #expect(streamed.values.contains { $0[0] == .string("solo") && $0[2] == .null && $0[3] == .double(0) })
    }

    /// count(DISTINCT x) keeps each window group's set of values: the batch query's counts, in
    /// tumbling, hopping and session windows, with percentiles beside it.
    @Test(arguments: ["TUMBLE(ts, INTERVAL '1' MINUTE)", "HOP(ts, INTERVAL '30' SECOND, INTERVAL '2' MINUTE)", "SESSION(ts, INTERVAL '20' SECOND)"])
    func countDistinctStreamsAsTheBatchCountsIt(window: String) throws {
        var rng = SplitMix64(seed: 9)
        var lines = (0..<900).map { i in
            Self.line(Timestamp.iso8601(Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: i / 100, second: (i % 100) / 2)!),
                      service: ["api", "web"][rng.int(0, 1)], latency: rng.int(1, 50), status: [200, 201, 404, 500, 503][rng.int(0, 4)])
        }
        lines.insert("{\"ts\":\"\(Self.t(14, 3, 10))\",\"service\":\"api\"}", at: 321)  // no status: not a distinct value
        let sql = "SELECT service, window_start, count(DISTINCT status) d, count(DISTINCT status) + 0 d2, count(*) n, approx_percentile(latency_ms, 0.5) p FROM logs GROUP BY service, \(window)"
        // Batches out of order within the lateness allowance: sets merge whatever the order.
        var batches = Self.batches(lines, of: 60)
        batches.swapAt(2, 3)
        let (streamed, _, batch) = try Self.streamedBeside(sql, batches)
        #expect(streamed.count == batch.count && streamed.count >= 2)
        for row in batch {
            guard let s = streamed[[row[0], row[1]]] else { Issue.record("no window for \(row)"); continue }
            #expect(Array(s[0..<5]) == Array(row[0..<5]), "\(s) vs \(row)")
        }
    }

    @Test func percentilesStreamWithinOnePercentOfTheBatchValue() throws {
        var rng = SplitMix64(seed: 17)
        let lines = (0..<1500).map { i in
            Self.line(Timestamp.iso8601(Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: i / 4)!),
                      service: ["api", "web"][rng.int(0, 1)], latency: rng.int(1, 5000))
        }
        let sql = "SELECT service, window_start, approx_percentile(latency_ms, 0.5) p50, approx_percentile(latency_ms, 0.99) p99, count(*) n FROM logs GROUP BY service, TUMBLE(ts, INTERVAL '1' MINUTE)"
        let (streamed, emitted, batch) = try Self.streamedBeside(sql, Self.batches(lines, of: 100))
        #expect(emitted == batch.count && streamed.count == batch.count && streamed.count >= 10)
        for row in batch {
            guard let s = streamed[[row[0], row[1]]] else { Issue.record("no window for \(row)"); continue }
            #expect(s[4] == row[4])
            for k in [2, 3] {
                guard case .double(let got) = s[k], let want = Arithmetic.number(row[k]) else { Issue.record("\(s)"); continue }
                #expect(abs(got - want) <= 0.0101 * abs(want), "\(row): \(got) vs \(want)")
            }
        }
        #expect(throws: QueryError.self) {
            try StreamingQuery(sql: sql, approximatePercentiles: false)
        }
    }
}

