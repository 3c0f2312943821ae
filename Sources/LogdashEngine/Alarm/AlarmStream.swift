import Foundation

/// Alarms evaluated on the streaming engine, as records arrive: each alarm's metric is a
/// streaming query (`SELECT [group,] window_start, VALUE FROM logs [WHERE …] GROUP BY [group,]
/// TUMBLE(ts, period)`) whose closed windows are the alarm's data points, and each period is
/// evaluated once, when the watermark (the newest event time less the lateness) passes its end —
/// nothing is rescanned. A metric the streaming engine cannot fold (`approx_percentile`, …) is
/// recomputed for the periods the new records touch only (the store's zone maps skip the older
/// segments); a metric filter pattern is measured on the new records' lines.
///
/// The transitions and statuses are those `AlarmReplay` gives over the same records (a test
/// holds them equal), provided records do not arrive later than the lateness.
public final class AlarmStream: @unchecked Sendable {  // one thread at a time
    public let alarms: [AlarmDefinition]
    public let lateness: Int64
    private let store: Store
    private let feed: SegmentFeed

    private enum Source {
        case streaming(StreamingQuery, grouped: Bool)
        /// A column of a query shared by alarms of one period (see `init`): the value's, and
        /// the count of rows meeting the alarm's WHERE (none: no data point).
        case shared(Int, value: Int, presence: Int?)
        case recompute(value: String, where: String?, group: String?)
        case filter(MetricFilter, selector: String?)
    }
    private var sources: [String: Source] = [:]
    /// The queries shared by alarms of one period.
    private var shared: [StreamingQuery] = []
    /// Shared queries given up (a member alarm could not run): their members run alone.
    private var dissolved: Set<Int> = []
    /// Alarms that cannot run, by name, with why (an unknown column, a type that does not fit):
    /// shown in an error state while the others keep working. Checked against the data's
    /// columns whenever they change; an alarm whose columns appear runs from then on, over
    /// every record stored.
    public private(set) var problems: [String: String] = [:]
    /// How many columns the data had when the alarms were last checked against it.
    private var checkedColumns = 0
    /// Alarms to compute over every stored record at the next step (one that came right).
    private var recomputeAll: Set<String> = []
    /// The alarms whose metrics are patterns, each prepared once.
    private var patterns: [(AlarmDefinition, PreparedFilter)] = []
    /// Measures the patterns on lines as they are parsed, when the loader is given it
    /// (`LoadOptions.lineTap`); nil without patterns.
    public private(set) var lineTap: LineTap?

    private struct Series {
        var tracker: AlarmTracker
        var definition: AlarmDefinition
        var points: [Int64: Double] = [:]
        /// The next period end to evaluate.
        var nextEnd: Int64?
    }
    /// By series name: the alarm's, or `name[value]` for a grouped one; in the order first seen.
    private var series: [String: Series] = [:]
    private var order: [String] = []
    private var first: Int64?
    private var last: Int64?
    private var asOf: Int64?
    private var transitions: [AlarmTracker.Transition] = []
    private var reported = 0
    /// Input read out of order (a finished file parsed in parallel): points are gathered but
    /// nothing is evaluated until `step(final: true)`.
    public var holdsWatermark = false {
        didSet {
            for case .streaming(let q, _) in sources.values { q.holdsWatermark = holdsWatermark }
            for q in shared { q.holdsWatermark = holdsWatermark }
        }
    }

    public init(_ alarms: [AlarmDefinition], store: Store, lateness: Int64) {
        self.alarms = alarms
        self.lateness = lateness
        self.store = store
        feed = store.subscribe(fromStart: true)
        share()
        for a in alarms {
            guard let rule = a.rule, let metric = a.metric else { continue }
            switch metric {
            case .sql where sources[a.name] != nil:
                break  // shared
            case .sql(let value, let condition):
                sources[a.name] = Self.alone(a, value: value, condition: condition, lateness: lateness)
            case .filter(let f, _, let selector):
                sources[a.name] = .filter(f, selector: selector)
                patterns.append((a, PreparedFilter(f, selector: selector)))
            }
            if a.groupBy == nil { add(a.name, a, rule) }
        }
        if !patterns.isEmpty { lineTap = LineTap(filters: patterns.map(\.1), periods: patterns.map(\.0.period)) }
    }

    deinit { store.unsubscribe(feed) }

    /// A SQL metric's own streaming query, or (one the streaming engine cannot fold) its
    /// recomputation.
    private static func alone(_ a: AlarmDefinition, value: String, condition: String?, lateness: Int64) -> Source {
        let p = a.period / 1_000_000_000
        let key = a.groupBy.map { "\($0) AS \"\u{1}group\", " } ?? ""
        let sql = "SELECT \(key)window_start, \(value) AS \"\u{1}value\" FROM logs" + (condition.map { " WHERE \($0)" } ?? "")
            + " GROUP BY \(a.groupBy.map { "\($0), " } ?? "")TUMBLE(ts, INTERVAL '\(p)' SECOND)"
        // Windows are evicted once emitted: a point arrives whole or not at all.
        if let q = try? StreamingQuery(sql: sql, lateness: lateness, allowedLateness: 0, maxGroups: 1_000_000, approximatePercentiles: false) {
            return .streaming(q, grouped: a.groupBy != nil)
        }
        return .recompute(value: value, where: condition, group: a.groupBy)
    }

    /// Checks the SQL metrics against the data's columns (`snapshot`'s, when they changed):
    /// an alarm that cannot run is set aside with its problem before anything is folded into
    /// it; one that now can (its columns came) is computed over every stored record. Before
    /// the first fold (`fresh`), an alarm set aside takes the others out of its shared pass.
    private func check(_ snapshot: StoreSnapshot, fresh: Bool) {
        guard snapshot.rowCount > 0, snapshot.schema.count != checkedColumns else { return }
        checkedColumns = snapshot.schema.count
        for a in alarms where a.rule != nil {
            guard case .sql(let value, let condition)? = a.metric else { continue }
            let problem = a.problem(against: snapshot)
            if let problem {
                if problems[a.name] == nil, case .shared(let q, _, _)? = sources[a.name], !dissolved.contains(q) {
                    dissolve(q, fresh: fresh)
                }
                problems[a.name] = problem
            } else if problems.removeValue(forKey: a.name) != nil {
                // Runs from now on, over everything stored: its records were never folded in.
                sources[a.name] = .recompute(value: value, where: condition, group: a.groupBy)
                recomputeAll.insert(a.name)
            }
        }
    }

    /// Gives up shared query `q`: its members run alone — afresh on their own queries before
    /// anything was folded (`fresh`), else recomputed over every stored record.
    private func dissolve(_ q: Int, fresh: Bool) {
        dissolved.insert(q)
        for a in alarms {
            guard case .shared(q, _, _)? = sources[a.name], case .sql(let value, let condition)? = a.metric else { continue }
            if fresh {
                sources[a.name] = Self.alone(a, value: value, condition: condition, lateness: lateness)
                if case .streaming(let sq, _)? = sources[a.name] { sq.holdsWatermark = holdsWatermark }
            } else {
                sources[a.name] = .recompute(value: value, where: condition, group: a.groupBy)
                recomputeAll.insert(a.name)
            }
        }
    }

    /// Alarms of one period whose metrics are one value each (no `group_by`) share one pass
    /// over the records: a query with each alarm's WHERE pushed into its aggregates
    /// (`count(*)` → `count_if(c)`, `avg(x)` → `avg(CASE WHEN c THEN x END)`), and beside it
    /// the count of rows meeting the WHERE — a period none meets has no data point, as the
    /// alarm's own query would have no window. Only metrics the streaming kernel takes so
    /// share (one it does not would slow the others down).
    private func share() {
        var byPeriod: [Int64: [(AlarmDefinition, value: Expr, presence: Expr?)]] = [:]
        var periods: [Int64] = []
        for a in alarms where a.rule != nil && a.groupBy == nil {
            guard case .sql(let value, let condition)? = a.metric,
                  case .query(.select(let s))? = try? SQLParser.parse("SELECT \(value) FROM logs" + (condition.map { " WHERE \($0)" } ?? "")),
                  let item = s.items.first, s.items.count == 1 else { continue }
            guard let pushed = s.filter.map({ Self.pushed(item.expr, into: $0) }) ?? item.expr else { continue }
            let sql = "SELECT window_start, \(pushed.sql) FROM logs GROUP BY TUMBLE(ts, INTERVAL '\(a.period / 1_000_000_000)' SECOND)"
            guard let q = try? StreamingQuery(sql: sql, approximatePercentiles: false), q.usesKernel else { continue }
            if byPeriod[a.period] == nil { periods.append(a.period) }
            byPeriod[a.period, default: []].append((a, pushed, s.filter))
        }
        for period in periods {
            guard let members = byPeriod[period], members.count > 1 else { continue }
            var items = ["window_start"], columns: [(value: Int, presence: Int?)] = []
            for (_, value, presence) in members {
                items.append(value.sql)
                let v = items.count - 1
                if let presence { items.append("count_if(\(presence.sql))") }
                columns.append((v, presence == nil ? nil : items.count - 1))
            }
            let sql = "SELECT " + items.enumerated().map { $0.offset == 0 ? $0.element : "\($0.element) AS \"\u{1}c\($0.offset)\"" }.joined(separator: ", ")
                + " FROM logs GROUP BY TUMBLE(ts, INTERVAL '\(period / 1_000_000_000)' SECOND)"
            // Windows are evicted once emitted: a point arrives whole or not at all.
            guard let q = try? StreamingQuery(sql: sql, lateness: lateness, allowedLateness: 0, maxGroups: 1_000_000, approximatePercentiles: false) else { continue }
            for ((a, _, _), c) in zip(members, columns) { sources[a.name] = .shared(shared.count, value: c.value, presence: c.presence) }
            shared.append(q)
        }
    }

    /// `value` with `condition` pushed into each of its aggregates; nil when one cannot take it.
    static func pushed(_ value: Expr, into condition: Expr) -> Expr? {
        var ok = true
        func rewrite(_ e: Expr) -> Expr {
            guard case .call(let n, let args, let distinct, let star, let p) = e, Aggregates.isAggregate(n.lowercased()) else {
                return e.mapChildren(rewrite)
            }
            func call(_ name: String, _ args: [Expr]) -> Expr { .call(name, args, distinct: false, star: false, at: p) }
            switch (n.lowercased(), args.count) {
            case _ where distinct: break
            case ("count", 0) where star: return call("count_if", [condition])
            case ("count_if", 1): return call("count_if", [.binary("and", condition, args[0], at: p)])
            case ("count", 1), ("sum", 1), ("avg", 1), ("min", 1), ("max", 1):
                return call(n.lowercased(), [.caseWhen(nil, [(condition, args[0])], nil, at: p)])
            default: break
            }
            ok = false
            return e
        }
        let out = rewrite(value)
        return ok ? out : nil
    }

    /// How many streaming queries the alarms run (those sharing a pass count once).
    /// The streaming queries the metrics run (a shared pass counted once).
    public var streamingQueries: [StreamingQuery] {
        shared + alarms.compactMap { a -> StreamingQuery? in
            guard case .streaming(let q, _)? = sources[a.name] else { return nil }
            return q
        }
    }

    private func add(_ name: String, _ a: AlarmDefinition, _ rule: AlarmRule) {
        guard series[name] == nil else { return }
        series[name] = Series(tracker: AlarmTracker(name: name, rule: rule), definition: a)
        order.append(name)
    }

    private func point(_ alarm: AlarmDefinition, group: Value?, start: Int64, value: Value) {
        let name: String
        if let group {
            switch group {
            case .null: return  // a NULL group: no alarm
            case .string(let s): name = "\(alarm.name)[\(s)]"
            default: name = "\(alarm.name)[\(group.description)]"
            }
            if series[name] == nil {
                guard order.filter({ alarm.owns($0) }).count < AlarmDefinition.maxGroups else { return }
                add(name, alarm, alarm.rule!)
            }
        } else {
            name = alarm.name
        }
        switch value {
        case .int(let i): series[name]!.points[start] = Double(i)
        case .double(let d) where !d.isNaN: series[name]!.points[start] = d
        default: series[name]!.points[start] = nil  // NULL: no data point
        }
    }

    /// Folds in the records stored since the last step and evaluates the periods the watermark
    /// closed (`final`: the input has ended — every period through the newest record's). The
    /// new transitions, in time order, and where every alarm stands. `spread`: the work spreads
    /// over the cores (else it runs on the calling thread).
    public func step(final: Bool = false, spread: Bool = true) throws -> (transitions: [AlarmTracker.Transition], statuses: [AlarmReplay.Status]) {
        let segments = feed.take()
        let snapshot = store.snapshot()
        check(snapshot, fresh: first == nil)
        for s in segments where s.rowCount > 0 {
            first = min(first ?? s.minTs, s.minTs)
            last = max(last ?? s.maxTs, s.maxTs)
        }
        let schema = snapshot.schema
        // The metrics that are streaming queries fold side by side on the cores.
        let streamed = alarms.compactMap { a -> (AlarmDefinition, StreamingQuery, Bool)? in
            guard problems[a.name] == nil, case .streaming(let q, let grouped)? = sources[a.name] else { return nil }
            return (a, q, grouped)
        }
        let sharedLive = shared.indices.filter { !dissolved.contains($0) }
        // The streaming metrics and one pass over the new lines for every pattern, side by side.
        // Every record moves the watermark, not only the metric's (`newest`, once they are folded in).
        let work = UncheckedBox((patterns.map(\.1), patterns.map(\.0.period), segments))
        let queries = streamed.map { ($0.1, segments) } + sharedLive.map { (shared[$0], segments) }
        let newest = last, tap = lineTap
        let (folded, measured) = SideBySide.run(spread: spread, { StreamingQuery.step(queries, schema: schema, end: final, newest: newest, spread: spread) },
                                                { AlarmStream.sums(of: work.value.0, periods: work.value.1, over: work.value.2, tap: tap) })
        let outcomes = try folded.get()
        // A metric that fails is that alarm's problem; the others go on.
        for ((a, _, grouped), outcome) in zip(streamed, outcomes) {
            do {
                for e in try outcome.get() {
                    for row in e.result.rows {
                        point(a, group: grouped ? row[0] : nil, start: e.windowStart, value: row[grouped ? 2 : 1])
                    }
                }
            } catch {
                problems[a.name] = "\(error)"
            }
        }
        var sharedEmissions: [Int: [StreamingQuery.Emission]] = [:]
        for (q, outcome) in zip(sharedLive, outcomes[streamed.count...]) {
            do {
                sharedEmissions[q] = try outcome.get()
            } catch {
                // One member's failure must not be the others': each recomputes alone from now on
                // (over every stored record), and keeps its own problem if it has one.
                dissolve(q, fresh: false)
            }
        }
        for a in alarms where problems[a.name] == nil {
            guard case .shared(let q, let value, let presence)? = sources[a.name], let emissions = sharedEmissions[q] else { continue }
            for e in emissions {
                for row in e.result.rows {
                    if let presence, case .int(let n) = row[presence], n == 0 { continue }  // no row met its WHERE
                    point(a, group: nil, start: e.windowStart, value: row[value])
                }
            }
        }
        for a in alarms where problems[a.name] == nil {
            guard let source = sources[a.name] else { continue }
            switch source {
            case .streaming, .shared:
                break  // above
            case .recompute(let value, let condition, let group):
                let everything = recomputeAll.remove(a.name) != nil
                guard let from = everything ? snapshot.segments.filter({ $0.rowCount > 0 }).map(\.minTs).min()
                        : segments.filter({ $0.rowCount > 0 }).map(\.minTs).min() else { continue }
                let p = a.period
                let start = Functions.floorDiv(from, p) * p
                let bound = "ts >= TIMESTAMP '\(Timestamp.iso8601(start))'"
                let sql = "SELECT date_bin(INTERVAL '\(p / 1_000_000_000)' SECOND, ts) t, \(group.map { "\($0) g, " } ?? "")\(value) v FROM logs WHERE "
                    + (condition.map { "(\($0)) AND " } ?? "") + bound + " GROUP BY 1\(group == nil ? "" : ", 2")"
                // The periods from `start` on are computed afresh: forget what they had.
                for name in order where a.owns(name) {
                    series[name]!.points = series[name]!.points.filter { $0.key < start }
                }
                do {
                    for row in try QueryEngine(snapshot: store.snapshot()).execute(sql).rows {
                        guard case .timestamp(let t) = row[0] else { continue }
                        point(a, group: group == nil ? nil : row[1], start: t, value: row[group == nil ? 1 : 2])
                    }
                } catch {
                    problems[a.name] = "\(error)"
                }
            case .filter:
                break  // below: one pass over the new lines for every pattern
            }
        }
        let sums = try measured.get()
        for (k, (a, _)) in patterns.enumerated() {
            for (t, v) in sums[k] { series[a.name]!.points[t, default: 0] += v }
        }
        guard let first, let last, final || !holdsWatermark else { return ([], statuses()) }
        // Each series: every period end the watermark passed, once — in the alarms' order, a
        // grouped alarm's groups by value (as the replay orders transitions of the same time).
        var fresh: [AlarmTracker.Transition] = []
        let ordered = alarms.flatMap { a in a.groupBy == nil ? [a.name] : order.filter { a.owns($0) && $0 != a.name }.sorted() }
        for name in ordered where series[name] != nil && problems[series[name]!.definition.name] == nil {
            var s = series[name]!
            guard let rule = s.definition.rule else { continue }
            let p = s.definition.period
            let fetched = rule.evaluationPeriods + AlarmReplay.extraPeriods
            let lastEnd = final ? Functions.floorDiv(last, p) * p + p : Functions.floorDiv(last - lateness, p) * p
            var end = s.nextEnd ?? Functions.floorDiv(first, p) * p + p
            // The periods an evaluation reads, oldest first: they slide by one period an evaluation.
            func band(_ start: Int64) -> ClosedRange<Double>? { AnomalyBand.band(values: s.points, at: start, period: p, k: rule.bandWidth ?? 2) }
            let starts = (0..<fetched).map { k in end - Int64(fetched - k) * p }
            var points = starts.map { s.points[$0] }
            var bands = rule.comparison.isBand ? starts.map(band) : nil
            while end <= lastEnd {
                if let t = s.tracker.evaluate(points: points, at: end, bands: bands) { fresh.append(t) }
                points.removeFirst()
                points.append(s.points[end])
                if bands != nil {
                    bands!.removeFirst()
                    bands!.append(band(end))
                }
                end += p
            }
            s.nextEnd = end
            if lastEnd >= (asOf ?? lastEnd) { asOf = lastEnd }
            series[name] = s
        }
        transitions += fresh.sorted { $0.at < $1.at }
        let all = AlarmReplay.composite(alarms, transitions)
        let new = Array(all[min(reported, all.count)...])
        reported = all.count
        return (new, statuses(all))
    }

    /// What each metric filter pattern sums per period of its alarm over the segments' lines:
    /// as `tap` measured them while they were parsed, or by one pass over a segment's lines
    /// for every pattern (see `PreparedFilter.measure`).
    static func sums(of filters: [PreparedFilter], periods: [Int64], over segments: [Segment], tap: LineTap? = nil) -> [[Int64: Double]] {
        var sums = [[Int64: Double]](repeating: [:], count: filters.count)
        guard !filters.isEmpty else { return sums }
        for seg in segments {
            if let measured = tap?.take(seg) {
                for k in filters.indices { sums[k].merge(measured[k], uniquingKeysWith: +) }
                continue
            }
            guard let raw = seg.columns["raw"], let ts = seg.columns["ts"], ts.type == .timestamp else { continue }
            raw.withLines(rows: seg.rowCount) { LineTap.add($0, filters: filters, periods: periods, times: ts, into: &sums) }
        }
        return sums
    }

    /// Every alarm's status, as `AlarmReplay.evaluate` gives it.
    private func statuses(_ all: [AlarmTracker.Transition]? = nil) -> [AlarmReplay.Status] {
        let all = all ?? AlarmReplay.composite(alarms, transitions)
        var names: [(String, AlarmDefinition)] = []
        for a in alarms {
            if a.groupBy != nil, a.rule != nil, problems[a.name] == nil {
                names += order.filter { a.owns($0) && $0 != a.name }.sorted().map { ($0, a) }
            } else {
                names.append((a.name, a))
            }
        }
        guard first != nil else {
            return names.map { AlarmReplay.Status.of($0.0, $0.1, transitions: [], recent: [], asOf: nil, noRecords: true) }
        }
        return names.map { name, a in
            if let problem = problems[a.name] {
                var s = AlarmReplay.Status.of(name, a, transitions: [], recent: [], asOf: asOf)
                s.problem = problem
                s.reason = problem
                return s
            }
            var recent: [Double?] = []
            if let s = series[name], let rule = a.rule, let next = s.nextEnd {
                let shown = max(12, rule.evaluationPeriods + AlarmReplay.extraPeriods)
                let lastEnd = next - a.period
                recent = (0..<shown).map { k in s.points[lastEnd - Int64(shown - k) * a.period] }
            }
            return AlarmReplay.Status.of(name, a, transitions: all, recent: recent, asOf: asOf)
        }
    }
}
