/// Alarms evaluated over the stored records, period by period in event time: each metric's
/// value per period (one query for all periods), then CloudWatch's evaluation at the end of
/// every period, then composite alarms over the states at each moment. Over a finished file
/// this replays its history; over live ingest it is run again as periods close and only the
/// new transitions are reported.
public enum AlarmReplay {
    /// Periods fetched per evaluation beyond N, as CloudWatch looks further back than the
    /// evaluation periods to have real points (the reference's example: 5 for N = 3).
    static let extraPeriods = 2

    /// Every transition, in time order. `lateness`: periods are closed once the newest event
    /// time less this has passed their end (live data); nil: every period through the end of
    /// the newest record's (the input has ended).
    public static func run(_ alarms: [AlarmDefinition], engine: QueryEngine, lateness: Int64? = nil) throws -> [AlarmTracker.Transition] {
        try evaluate(alarms, engine: engine, lateness: lateness).transitions
    }

    /// Where an alarm stands: for the dashboard's alarm panel.
    public struct Status: Sendable, Equatable {
        public var name: String
        public var state: AlarmState
        /// The latest data point, and the last periods' points (oldest first).
        public var value: Double?
        public var recent: [Double?]
        public var comparison: AlarmComparison?
        public var threshold: Double?
        /// When the state last changed, and why.
        public var since: Int64?
        public var reason: String
        public var composite: Bool
        /// The event time evaluated up to (the end of the newest closed period).
        public var asOf: Int64?
        /// Why the alarm cannot run (an unknown column …): it is shown in an error state.
        public var problem: String?

        /// Where alarm `name` (of `definition`) stands after `transitions`, its recent points
        /// oldest first; `noRecords`: nothing stored yet.
        static func of(_ name: String, _ definition: AlarmDefinition, transitions: [AlarmTracker.Transition], recent: [Double?],
                       asOf: Int64?, noRecords: Bool = false) -> Status {
            let lastChange = noRecords ? nil : transitions.last { $0.alarm == name }
            return Status(name: name, state: lastChange?.to ?? .insufficientData, value: recent.last { $0 != nil } ?? nil, recent: recent,
                          comparison: definition.rule?.comparison,
                          threshold: definition.rule?.comparison.isBand == true ? nil : definition.rule?.threshold,
                          since: lastChange?.at, reason: noRecords ? "no records yet" : lastChange?.reason ?? "no complete period yet",
                          composite: definition.composite != nil, asOf: asOf)
        }
    }

    /// The transitions and where every alarm stands at the end.
    public static func evaluate(_ alarms: [AlarmDefinition], engine: QueryEngine, lateness: Int64? = nil) throws
        -> (transitions: [AlarmTracker.Transition], statuses: [Status]) {
        let span = try engine.execute("SELECT min(ts), max(ts) FROM logs").rows.first
        guard case .timestamp(let first)? = span?[0], case .timestamp(let last)? = span?[1] else {
            return ([], alarms.map { Status.of($0.name, $0, transitions: [], recent: [], asOf: nil, noRecords: true) })
        }
        var out: [AlarmTracker.Transition] = []
        var recent: [String: [Double?]] = [:]
        var asOf: Int64?
        // Each alarm's series: one, or one per group value (`name[value]`).
        var watched: [(name: String, definition: AlarmDefinition)] = []
        for alarm in alarms {
            guard let rule = alarm.rule, let metric = alarm.metric else {
                watched.append((alarm.name, alarm))
                continue
            }
            let p = alarm.period
            let series: [(String, [Int64: Double])]
            if let group = alarm.groupBy, case .sql(let value, let condition) = metric {
                series = try perPeriodByGroup(value: value, where: condition, group: group, period: p, engine: engine)
                    .map { ("\(alarm.name)[\($0.key)]", $0.values) }
            } else {
                series = [(alarm.name, try perPeriod(metric, period: p, engine: engine))]
            }
            for (name, values) in series {
                watched.append((name, alarm))
                var tracker = AlarmTracker(name: name, rule: rule)
                let fetched = rule.evaluationPeriods + extraPeriods
                let firstEnd = Functions.floorDiv(first, p) * p + p
                let lastEnd = lateness.map { Functions.floorDiv(last - $0, p) * p } ?? (Functions.floorDiv(last, p) * p + p)
                var end = firstEnd
                while end <= lastEnd {
                    let starts = (0..<fetched).map { k in end - Int64(fetched - k) * p }
                    let points = starts.map { values[$0] }
                    // Band comparisons: each point against the band its history gives.
                    let bands = rule.comparison.isBand ? starts.map { AnomalyBand.band(values: values, at: $0, period: p, k: rule.bandWidth ?? 2) } : nil
                    if let t = tracker.evaluate(points: points, at: end, bands: bands) { out.append(t) }
                    end += p
                }
                // The closed periods' points, the newest last (the period ending at lastEnd is the newest closed one).
                let shown = max(12, fetched)
                asOf = max(asOf ?? lastEnd, lastEnd)
                recent[name] = (0..<shown).map { k in values[lastEnd - Int64(shown - k) * p] }
            }
        }
        out.sort { $0.at < $1.at }
        let all = composite(alarms, out)
        let statuses = watched.map { name, a in Status.of(name, a, transitions: all, recent: recent[name] ?? [], asOf: asOf) }
        return (all, statuses)
    }

    /// A grouped metric's values per group value, then per period start; the groups with the
    /// largest totals, at most `AlarmDefinition.maxGroups`, in the order of their values.
    static func perPeriodByGroup(value: String, where condition: String?, group: String, period p: Int64,
                                 engine: QueryEngine) throws -> [(key: String, values: [Int64: Double])] {
        let sql = "SELECT date_bin(INTERVAL '\(p / 1_000_000_000)' SECOND, ts) t, CAST(\(group) AS varchar) k, \(value) v FROM logs"
            + (condition.map { " WHERE \($0)" } ?? "") + " GROUP BY 1, 2"
        var byKey: [String: [Int64: Double]] = [:]
        for row in try engine.execute(sql).rows {
            guard case .timestamp(let t) = row[0], case .string(let k) = row[1] else { continue }  // a NULL group: no alarm
            switch row[2] {
            case .int(let i): byKey[k, default: [:]][t] = Double(i)
            case .double(let d) where !d.isNaN: byKey[k, default: [:]][t] = d
            default: byKey[k, default: [:]][t] = byKey[k]?[t]  // the group exists; no point this period
            }
        }
        var totals: [(key: String, total: Double)] = []
        for (k, v) in byKey {
            var total = 0.0
            for x in v.values { total += abs(x) }
            totals.append((k, total))
        }
        totals.sort { $0.total != $1.total ? $0.total > $1.total : $0.key < $1.key }
        let kept: [String] = totals.prefix(AlarmDefinition.maxGroups).map { $0.key }.sorted()
        return kept.map { (key: $0, values: byKey[$0] ?? [:]) }
    }

    /// A metric's value for each period start (ns) that has one.
    static func perPeriod(_ metric: AlarmDefinition.Metric, period p: Int64, engine: QueryEngine) throws -> [Int64: Double] {
        var values: [Int64: Double] = [:]
        switch metric {
        case .sql(let value, let condition):
            let sql = "SELECT date_bin(INTERVAL '\(p / 1_000_000_000)' SECOND, ts) t, \(value) v FROM logs"
                + (condition.map { " WHERE \($0)" } ?? "") + " GROUP BY 1"
            for row in try engine.execute(sql).rows {
                guard case .timestamp(let t) = row[0] else { continue }
                switch row[1] {
                case .int(let i): values[t] = Double(i)
                case .double(let d) where !d.isNaN: values[t] = d
                default: break  // NULL: no data point
                }
            }
        case .filter(let filter, _, let selector):
            // A period without a matching line has no data point (CloudWatch's rule).
            for row in try engine.execute("SELECT ts, raw FROM logs").rows {
                guard case .timestamp(let t) = row[0], case .string(let line) = row[1], let v = filter.measure(line, selector: selector) else { continue }
                values[Functions.floorDiv(t, p) * p, default: 0] += v
            }
        }
        return values
    }

    /// Composite alarms: ALARM while their rule holds over the other alarms' states, OK
    /// otherwise; evaluated at every moment a state changed (and again for composites of
    /// composites until nothing changes).
    static func composite(_ alarms: [AlarmDefinition], _ transitions: [AlarmTracker.Transition]) -> [AlarmTracker.Transition] {
        let composites = alarms.filter { $0.composite != nil }
        guard !composites.isEmpty else { return transitions }
        var states: [String: AlarmState] = [:]
        var out: [AlarmTracker.Transition] = []
        var i = 0
        while i < transitions.count {
            let at = transitions[i].at
            while i < transitions.count && transitions[i].at == at {
                states[transitions[i].alarm] = transitions[i].to
                out.append(transitions[i])
                i += 1
            }
            var changed = true
            var rounds = 0
            while changed && rounds <= composites.count {
                changed = false
                rounds += 1
                for c in composites {
                    let next: AlarmState = c.composite!.holds(states) ? .alarm : .ok
                    let now = states[c.name] ?? .insufficientData
                    guard next != now else { continue }
                    states[c.name] = next
                    changed = true
                    out.append(.init(alarm: c.name, at: at, from: now, to: next,
                                     reason: "Composite rule \(next == .alarm ? "holds" : now == .alarm ? "no longer holds" : "does not hold") with " +
                                         c.composite!.references.sorted().map { "\($0) \((states[$0] ?? .insufficientData).rawValue)" }.joined(separator: ", ")))
                }
            }
        }
        return out
    }

}
