import Foundation
import Testing
@testable import LogdashEngine
import Scratch

/// Alarms on the streaming engine give exactly what replaying the stored records gives.
@Suite struct AlarmStreamTests {
    static let yaml = """
        alarms:
          - name: rate
            metric:
              value: 100.0 * count_if(status >= 500) / count(*)
            period: 1m
            evaluation_periods: 3
            datapoints_to_alarm: 2
            comparison: GreaterThanThreshold
            threshold: 20
          - name: errors
            metric:
              value: count(*)
              where: level = 'error'
              group_by: service
            period: 1m
            evaluation_periods: 1
            comparison: GreaterThanOrEqualToThreshold
            threshold: 3
            treat_missing_data: notBreaching
          - name: p90
            metric:
              value: approx_percentile(latency_ms, 0.9)
            period: 2m
            evaluation_periods: 2
            comparison: GreaterThanThreshold
            threshold: 700
            treat_missing_data: ignore
          - name: timeouts
            metric:
              filter: '{ $.msg = "upstream timeout" }'
            period: 1m
            evaluation_periods: 2
            datapoints_to_alarm: 1
            comparison: GreaterThanOrEqualToThreshold
            threshold: 2
            treat_missing_data: breaching
          - name: traffic
            metric:
              value: count(*)
            period: 1m
            evaluation_periods: 1
            comparison: LessThanLowerOrGreaterThanUpperThreshold
            band: 2
          - name: outage
            metric:
              value: count(*)
              where: status = 503
            period: 1m
            evaluation_periods: 2
            datapoints_to_alarm: 1
            comparison: GreaterThanOrEqualToThreshold
            threshold: 5
          - name: slow_db
            metric:
              value: avg(latency_ms)
              where: service = 'db' AND status >= 500
            period: 1m
            evaluation_periods: 1
            comparison: GreaterThanThreshold
            threshold: 700
          - name: incident
            rule: ALARM(rate) AND NOT OK(timeouts)
        """

    static func lines() -> [String] {
        var rng = SplitMix64(seed: 5)
        var out: [String] = []
        var second = 0
        for i in 0..<3000 {
            second += rng.int(0, 1)
            let incident = (1500..<2000).contains(i)
            let s = max(0, second - rng.int(0, 3))  // a little disorder, within the lateness
            let ts = Timestamp.iso8601(Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: s)!)
            let status = incident && rng.unit() < 0.5 ? 503 : [200, 200, 200, 404][rng.int(0, 3)]
            let level = status >= 500 || rng.unit() < 0.05 ? "error" : "info"
            let msg = status >= 500 && rng.unit() < 0.3 ? "upstream timeout" : "ok"
            let service = ["api", "web", "db"][rng.int(0, 2)]
            out.append("{\"ts\":\"\(ts)\",\"level\":\"\(level)\",\"status\":\(status),\"service\":\"\(service)\",\"latency_ms\":\(rng.int(1, incident ? 1500 : 800)),\"msg\":\"\(msg)\"}")
        }
        return out
    }

    static func segment(_ lines: ArraySlice<String>) throws -> Segment {
        try StreamingQueryTests.segment(Array(lines))
    }

    /// The alarms streamed over `lines` arriving `chunk` at a time, then the end: every
    /// transition, the last step's answer, and the store (for a replay to compare with).
    static func streamed(_ alarms: [AlarmDefinition], _ lines: [String], chunk: Int)
        throws -> (transitions: [AlarmTracker.Transition], end: (transitions: [AlarmTracker.Transition], statuses: [AlarmReplay.Status]), store: Store, stream: AlarmStream) {
        let store = Store()
        let stream = AlarmStream(alarms, store: store, lateness: 5_000_000_000)
        var streamed: [AlarmTracker.Transition] = []
        for start in stride(from: 0, to: lines.count, by: chunk) {
            store.append(try segment(lines[start..<min(lines.count, start + chunk)]))
            streamed += try stream.step().transitions
        }
        let end = try stream.step(final: true)
        return (streamed + end.transitions, end, store, stream)
    }

    @Test func streamedAlarmsGiveTheTransitionsAndStatusesOfTheReplay() throws {
        let alarms = try AlarmFile.parse(yaml: Self.yaml, file: "a.yaml")
        let (streamed, end, store, stream) = try Self.streamed(alarms, Self.lines(), chunk: 137)
        let replay = try AlarmReplay.evaluate(alarms, engine: QueryEngine(snapshot: store.snapshot()))
        #expect(streamed.count > 6)
        #expect(Set(streamed.map(\.alarm)).isSuperset(of: ["rate", "errors[api]", "p90", "timeouts", "incident", "outage", "slow_db"]))
        // rate, traffic, outage and slow_db share one pass; errors (grouped) has its own.
        #expect(stream.streamingQueries.count == 2)
        // Outside the incident no record has status 503: outage has no data points there (not zeros).
        #expect(streamed.contains { $0.alarm == "outage" && $0.to == .insufficientData })
        #expect(streamed == replay.transitions)
        #expect(end.statuses == replay.statuses)
    }

    /// An alarm's WHERE pushed into its value's aggregates, so that alarms of a period share a pass.
    @Test func aWhereIsPushedIntoEachAggregateOfTheValue() throws {
        func pushed(_ value: String, _ condition: String) throws -> String? {
            guard case .query(.select(let s)) = try SQLParser.parse("SELECT \(value) FROM logs WHERE \(condition)") else { return nil }
            return AlarmStream.pushed(s.items[0].expr, into: s.filter!)?.sql
        }
        #expect(try pushed("count(*)", "level = 'error'") == "count_if((level = 'error'))")
        #expect(try pushed("100.0 * count_if(status >= 500) / count(*)", "service = 'api'")
                == "((100.0 * count_if(((service = 'api') AND (status >= 500)))) / count_if((service = 'api')))")
        #expect(try pushed("avg(latency_ms)", "status = 200") == "avg(CASE  WHEN (status = 200) THEN latency_ms ELSE NULL END)")
        #expect(try pushed("count(DISTINCT user)", "status = 200") == nil)
        #expect(try pushed("approx_percentile(latency_ms, 0.9)", "status = 200") == nil)
    }

    /// A batch spanning many periods (a followed file's history, read at once) is folded in
    /// before its newest record moves the watermark: none of its periods is dropped as late.
    @Test func aBatchOfManyPeriodsIsFoldedInBeforeTheWatermarkMoves() throws {
        let alarms = try AlarmFile.parse(yaml: Self.yaml, file: "a.yaml")
        let lines = Self.lines()
        let store = Store()
        let stream = AlarmStream(alarms, store: store, lateness: 5_000_000_000)
        store.append(try Self.segment(lines[0..<2400]))
        var streamed = try stream.step().transitions
        store.append(try Self.segment(lines[2400...]))
        streamed += try stream.step(final: true).transitions
        let replay = try AlarmReplay.evaluate(alarms, engine: QueryEngine(snapshot: store.snapshot()))
        #expect(streamed == replay.transitions)
    }

    /// Patterns measured as a file's lines are parsed (`LineTap`: each batch searched in the
    /// file's mapping, on the parsing threads) give the replay's transitions.
    @Test func patternsMeasuredAsLinesAreParsedGiveTheReplaysTransitions() throws {
        let alarms = try AlarmFile.parse(yaml: Self.yaml, file: "a.yaml")
        let file = try Scratch.directory("tap").appendingPathComponent("a.log")
        try Data((Self.lines().joined(separator: "\n") + "\n").utf8).write(to: file)
        let store = Store()
        let stream = AlarmStream(alarms, store: store, lateness: 5_000_000_000)
        stream.holdsWatermark = true
        var load = LoadOptions()
        load.lineTap = stream.lineTap
        try replay(file, into: store, taps: load)  // many batches
        let end = try stream.step(final: true)
        let tap = try #require(stream.lineTap)
        #expect(tap.taken == store.snapshot().segments.count && tap.taken > 3)
        #expect(store.snapshot().segments.allSatisfy { $0.columns["raw"]?.file != nil })  // lines read from the mapping
        #expect(end.transitions.contains { $0.alarm == "timeouts" })
        #expect(end.transitions == (try AlarmReplay.run(alarms, engine: QueryEngine(snapshot: store.snapshot()))))
        #expect(end.statuses == (try AlarmReplay.evaluate(alarms, engine: QueryEngine(snapshot: store.snapshot()))).statuses)
    }

    /// What the tap measures as lines are parsed is what a pass over the stored segments
    /// measures: the same sums in the same periods (ten seconds: a line counted in another
    /// line's period would show).
    @Test func theTapsSumsAreThoseOfAPassOverTheStoredLines() throws {
        let file = try Scratch.directory("tap").appendingPathComponent("b.log")
        try Data((Self.lines().joined(separator: "\n") + "\n").utf8).write(to: file)
        let filters = try [#"{ $.msg = "upstream timeout" }"#, "timeout", #"{ $.status >= 500 }"#].map { PreparedFilter(try MetricFilter.parse($0), selector: nil) }
        let periods: [Int64] = [10_000_000_000, 60_000_000_000, 10_000_000_000]
        let tap = LineTap(filters: filters, periods: periods)
        let store = Store()
        var load = LoadOptions()
        load.lineTap = tap
        try replay(file, into: store, taps: load)
        let segments = store.snapshot().segments
        let direct = AlarmStream.sums(of: filters, periods: periods, over: segments)
        let tapped = AlarmStream.sums(of: filters, periods: periods, over: segments, tap: tap)
        #expect(tap.taken == segments.count && segments.count > 3)
        #expect(direct.allSatisfy { $0.count > 3 })
        #expect(tapped == direct)
    }

    /// A finished file is parsed out of order: nothing is evaluated before the end.
    @Test func heldUntilTheEndAFileReadOutOfOrderGivesTheReplaysTransitions() throws {
        let alarms = try AlarmFile.parse(yaml: Self.yaml, file: "a.yaml")
        let lines = Self.lines()
        let store = Store()
        let stream = AlarmStream(alarms, store: store, lateness: 5_000_000_000)
        stream.holdsWatermark = true
        for chunk in stride(from: 0, to: lines.count, by: 500).reversed() {  // newest first
            store.append(try Self.segment(lines[chunk..<min(lines.count, chunk + 500)]))
            #expect(try stream.step().transitions.isEmpty)
        }
        let end = try stream.step(final: true)
        #expect(end.transitions == (try AlarmReplay.run(alarms, engine: QueryEngine(snapshot: store.snapshot()))))
    }
}

/// A mistyped alarm is loud and alone: it shows its problem, the others run as if it were not
/// there (issue 23, item 3).
@Suite struct AlarmProblemTests {
    static let typos = """
          - name: typo
            metric:
              value: avg(latncy_ms)
            period: 1m
            evaluation_periods: 1
            comparison: GreaterThanThreshold
            threshold: 500
          - name: typo_grouped
            metric:
              value: count(*)
              group_by: servce
            period: 1m
            evaluation_periods: 1
            comparison: GreaterThanThreshold
            threshold: 5

        """

    @Test func anAlarmWithAnUnknownColumnShowsItsProblemAndTheOthersGoOn() throws {
        // The typo shares a period with rate, traffic, outage and slow_db: it must not take
        // their shared pass down.
        let good = try AlarmFile.parse(yaml: AlarmStreamTests.yaml, file: "a.yaml")
        let all = try AlarmFile.parse(yaml: AlarmStreamTests.yaml.replacingOccurrences(of: "  - name: incident", with: Self.typos + "  - name: incident"),
                                      file: "a.yaml")
        #expect(all.count == good.count + 2)
        let (streamed, end, store, stream) = try AlarmStreamTests.streamed(all, AlarmStreamTests.lines(), chunk: 500)
        let replay = try AlarmReplay.evaluate(good, engine: QueryEngine(snapshot: store.snapshot()))
        #expect(streamed == replay.transitions)
        #expect(end.statuses.filter { $0.problem == nil } == replay.statuses)
        let typo = end.statuses.first { $0.name == "typo" }
        #expect(typo?.problem == "unknown column 'latncy_ms'; did you mean 'latency_ms'?")
        #expect(end.statuses.first { $0.name == "typo_grouped" }?.problem?.contains("'servce'; did you mean 'service'?") == true)
        #expect(stream.problems.count == 2)
    }

    /// A field that only later records have: the alarm waits with its problem, and once the
    /// field is there it runs over every record stored, as if it had been there from the start.
    @Test func anAlarmWhoseColumnComesLaterRunsOverEverythingOnceItIsThere() throws {
        let yaml = """
            alarms:
              - name: slow
                metric:
                  value: max(took_ms)
                period: 1m
                evaluation_periods: 1
                comparison: GreaterThanThreshold
                threshold: 100
              - name: volume
                metric:
                  value: count(*)
                period: 1m
                evaluation_periods: 1
                comparison: GreaterThanThreshold
                threshold: 1000
            """
        let alarms = try AlarmFile.parse(yaml: yaml, file: "a.yaml")
        let store = Store()
        let stream = AlarmStream(alarms, store: store, lateness: 0)
        func line(_ minute: Int, _ took: Int?) -> String {
            "{\"ts\":\"2026-11-27T14:\(String(format: "%02d", minute)):00Z\",\"msg\":\"m\"" + (took.map { ",\"took_ms\":\($0)" } ?? "") + "}"
        }
        store.append(try AlarmStreamTests.segment([line(0, nil), line(1, nil)]))
        let before = try stream.step()
        #expect(before.statuses.first { $0.name == "slow" }?.problem == "unknown column 'took_ms'")
        #expect(before.statuses.first { $0.name == "volume" }?.problem == nil)
        store.append(try AlarmStreamTests.segment([line(2, 50), line(3, 500), line(4, nil), line(5, 20)]))
        var streamed = before.transitions + (try stream.step().transitions)
        let end = try stream.step(final: true)
        streamed += end.transitions
        let replay = try AlarmReplay.evaluate(alarms, engine: QueryEngine(snapshot: store.snapshot()))
        #expect(stream.problems.isEmpty)
        #expect(streamed.filter { $0.alarm == "slow" } == replay.transitions.filter { $0.alarm == "slow" })
        #expect(streamed.contains { $0.alarm == "slow" && $0.to == .alarm })
    }
}

/// One alarm of a shared pass failing as it runs (a sum of text) leaves the others of its
/// period working, each recomputed alone (found in a review).
@Suite struct SharedAlarmFailureTests {
    @Test func anAlarmFailingInASharedPassDoesNotTakeItsNeighboursDown() throws {
        let yaml = """
            alarms:
              - name: words
                metric:
                  value: sum(msg)
                period: 1m
                evaluation_periods: 1
                comparison: GreaterThanThreshold
                threshold: 1
              - name: volume
                metric:
                  value: count(*)
                period: 1m
                evaluation_periods: 1
                comparison: GreaterThanThreshold
                threshold: 40
            """
        let alarms = try AlarmFile.parse(yaml: yaml, file: "a.yaml")
        let (streamed, end, store, _) = try AlarmStreamTests.streamed(alarms, AlarmStreamTests.lines(), chunk: 600)
        let replay = try AlarmReplay.evaluate([alarms[1]], engine: QueryEngine(snapshot: store.snapshot()))
        #expect(end.statuses.first { $0.name == "words" }?.problem != nil)
        #expect(end.statuses.first { $0.name == "volume" }?.problem == nil)
        #expect(streamed.filter { $0.alarm == "volume" } == replay.transitions)
        #expect(!replay.transitions.isEmpty)
    }

    /// A streaming query cannot answer a subquery batch by batch: it is refused (and such a
    /// query runs over the whole store instead).
    @Test func aStreamingQueryWithASubqueryIsRefused() {
        #expect(throws: QueryError.self) {
            _ = try StreamingQuery(sql: "SELECT window_start, count(*) FROM logs WHERE status IN (SELECT status FROM logs WHERE status >= 500) GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)")
        }
    }
}
