import Foundation
import Yams

/// Alarms defined in YAML (`--alarms FILE`, or `alarms: FILE` in the config file):
///
///     alarms:
///       - name: 5xx-rate
///         metric:
///           value: 100.0 * count_if(status >= 500) / count(*)   # an aggregate over each period
///           where: path LIKE '/api/%'                           # optional
///         period: 1m
///         evaluation_periods: 3
///         datapoints_to_alarm: 2                # default: evaluation_periods
///         comparison: GreaterThanThreshold
///         threshold: 5
///         treat_missing_data: missing           # notBreaching, breaching, ignore
///       - name: timeouts
///         metric:
///           filter: '"upstream timeout"'        # a CloudWatch metric filter pattern
///           value: 1                            # per matching line (default), or a selector: $.latency_ms
///         period: 1m
///         evaluation_periods: 1
///         comparison: GreaterThanOrEqualToThreshold
///         threshold: 10
///       - name: traffic-anomaly
///         metric:
///           value: count(*)
///         period: 5m
///         evaluation_periods: 2
///         comparison: LessThanLowerOrGreaterThanUpperThreshold   # or LessThanLowerThreshold, GreaterThanUpperThreshold
///         band: 2                               # mean ± 2σ (see AnomalyBand: an approximation)
///       - name: api-down
///         rule: ALARM(5xx-rate) AND NOT OK(timeouts)   # a composite alarm
public struct AlarmDefinition: Sendable {
    public enum Metric: Sendable {
        /// An aggregate of `logs` per period, over the records `where` keeps.
        case sql(value: String, where: String?)
        /// Lines matching a metric filter pattern: 1 each, or the selected field's value.
        case filter(MetricFilter, pattern: String, value: String?)
    }

    public var name: String
    public var metric: Metric?
    public var rule: AlarmRule?
    public var period: Int64
    /// A composite alarm's rule over other alarms' states.
    public var composite: CompositeRule?
    /// What a change of state does.
    public var actions: [AlarmAction] = []
    /// One alarm per value of this expression (`metric.group_by`): each named `name[value]`,
    /// with its own state, from the same metric over that group's records.
    public var groupBy: String?

    /// At most this many groups are watched (those with the largest totals), so that a
    /// mistaken `group_by` (a request id) does not make a million alarms.
    public static let maxGroups = 100

    /// The definition an alarm's name belongs to: its own, or a grouped alarm's (`name[value]`).
    public func owns(_ alarm: String) -> Bool {
        alarm == name || (groupBy != nil && alarm.hasPrefix(name + "[") && alarm.hasSuffix("]"))
    }
}

public enum AlarmFile {
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    static let alarmKeys = ["name", "metric", "period", "evaluation_periods", "datapoints_to_alarm", "comparison", "threshold",
                            "band", "treat_missing_data", "rule", "actions"]
    static let actionKeys = ["exec", "file", "webhook", "on"]
    static let metricKeys = ["value", "where", "filter", "group_by"]

    public static func load(path: String) throws -> [AlarmDefinition] {
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError(description: "\(path): cannot be read") }
        return try parse(yaml: String(decoding: data, as: UTF8.self), file: path)
    }

    static func parseActions(_ node: Node?, _ path: String, _ fail: (String, Node?, String) -> LoadError) throws -> [AlarmAction] {
        guard let node else { return [] }
        guard let list = node.sequence else { throw fail(path, node, "a list of actions: exec, file or webhook") }
        return try list.enumerated().map { k, item in
            let at = "\(path)[\(k)]"
            guard let m = item.mapping else { throw fail(at, item, "an action is a mapping: exec: [program, args…], file: PATH or webhook: URL") }
            for (key, _) in m where !actionKeys.contains(key.string ?? "") {
                throw fail("\(at).\(key.string ?? "?")", key, "unknown key; known keys: \(actionKeys.joined(separator: ", "))")
            }
            var on: Set<AlarmState> = []
            if let o = m["on"] {
                let names = o.sequence?.compactMap(\.string) ?? o.string.map { [$0] } ?? []
                for n in names {
                    guard let st = AlarmState(rawValue: n) else { throw fail("\(at).on", o, "states are ALARM, OK and INSUFFICIENT_DATA") }
                    on.insert(st)
                }
            }
            let kinds = ["exec", "file", "webhook"].filter { m[$0] != nil }
            guard kinds.count == 1 else { throw fail(at, item, "exactly one of exec, file or webhook") }
            switch kinds[0] {
            case "exec":
                guard let argv = m["exec"]?.sequence?.compactMap(\.string), !argv.isEmpty, argv.count == m["exec"]?.sequence?.count else {
                    throw fail("\(at).exec", m["exec"], "a list: the program, then its arguments (no shell)")
                }
                return AlarmAction(.exec(argv), on: on)
            case "file":
                guard let p = m["file"]?.string, !p.isEmpty else { throw fail("\(at).file", m["file"], "a path") }
                return AlarmAction(.file(p), on: on)
            default:
                guard let u = m["webhook"]?.string, let url = URL(string: u), ["http", "https"].contains(url.scheme ?? "") else {
                    throw fail("\(at).webhook", m["webhook"], "an http:// or https:// URL")
                }
                return AlarmAction(.webhook(u), on: on)
            }
        }
    }

    public static func parse(yaml: String, file: String) throws -> [AlarmDefinition] {
        let (alarms, problems) = try check(yaml: yaml, file: file)
        if let first = problems.first { throw first }
        return alarms
    }

    /// The alarms a file defines and every problem in it, each naming its line and key (an
    /// alarm with a problem is left out; the others are read on). Throws only when the file is
    /// no alarms file at all.
    public static func check(yaml: String, file: String) throws -> ([AlarmDefinition], [LoadError]) {
        func fail(_ key: String, _ node: Node?, _ problem: String) -> LoadError {
            LoadError(description: "\(file)\(node?.mark.map { ":\($0.line)" } ?? ""): \(key): \(problem)")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch { throw LoadError(description: "\(file): not valid YAML: \(error)") }
        guard let top = root?.mapping, let list = top["alarms"]?.sequence, top.count == 1 else {
            throw fail("(top level)", root, "a mapping with one key, 'alarms': a list of alarms")
        }
        var out: [AlarmDefinition] = []
        var problems: [LoadError] = []
        for (k, node) in list.enumerated() {
            do {
                let path = "alarms[\(k)]"
                guard let m = node.mapping else { throw fail(path, node, "an alarm is a mapping with a name and a metric (or a rule)") }
                for (key, _) in m where !alarmKeys.contains(key.string ?? "") {
                    throw fail("\(path).\(key.string ?? "?")", key, "unknown key; known keys: \(alarmKeys.joined(separator: ", "))")
                }
                guard let name = m["name"]?.string, !name.isEmpty else { throw fail("\(path).name", m["name"] ?? node, "every alarm needs a name") }
                guard !out.contains(where: { $0.name == name }) else { throw fail("\(path).name", m["name"], "'\(name)' names two alarms") }
                let actions = try parseActions(m["actions"], "\(path).actions", fail)
                if let r = m["rule"] {
                    if let other = ["metric", "period", "evaluation_periods", "comparison", "threshold"].first(where: { m[$0] != nil }) {
                        throw fail("\(path).\(other)", m[other], "a composite alarm (with 'rule') has no '\(other)'")
                    }
                    guard let text = r.string else { throw fail("\(path).rule", r, "a rule such as ALARM(a) AND NOT OK(b)") }
                    do {
                        out.append(AlarmDefinition(name: name, metric: nil, rule: nil, period: 0, composite: try CompositeRule.parse(text), actions: actions))
                    } catch {
                        throw fail("\(path).rule", r, "\(error)")
                    }
                    continue
                }
                guard let metricNode = m["metric"], let mm = metricNode.mapping else {
                    throw fail("\(path).metric", m["metric"] ?? node, "a mapping with 'value' (and 'where'), or 'filter'")
                }
                for (key, _) in mm where !metricKeys.contains(key.string ?? "") {
                    throw fail("\(path).metric.\(key.string ?? "?")", key, "unknown key; known keys: \(metricKeys.joined(separator: ", "))")
                }
                let metric: AlarmDefinition.Metric
                var groupBy: String?
                if let f = mm["filter"] {
                    guard let pattern = f.string else { throw fail("\(path).metric.filter", f, "a metric filter pattern") }
                    do {
                        metric = .filter(try MetricFilter.parse(pattern), pattern: pattern, value: mm["value"]?.string)
                    } catch {
                        throw fail("\(path).metric.filter", f, "\(error)")
                    }
                    if mm["where"] != nil { throw fail("\(path).metric.where", mm["where"], "a filter metric has no 'where'") }
                    if mm["group_by"] != nil { throw fail("\(path).metric.group_by", mm["group_by"], "one alarm per group needs a SQL metric (value, where)") }
                } else {
                    guard let value = mm["value"]?.string, !value.isEmpty else { throw fail("\(path).metric.value", mm["value"] ?? metricNode, "an aggregate, such as count(*)") }
                    let condition = mm["where"]?.string
                    if let g = mm["group_by"] {
                        guard let text = g.string, !text.isEmpty else { throw fail("\(path).metric.group_by", g, "an expression to group by, such as service") }
                        groupBy = text
                    }
                    do {
                        _ = try QueryEngine.columnsRead("SELECT \(groupBy.map { $0 + ", " } ?? "")\(value) FROM logs" + (condition.map { " WHERE \($0)" } ?? ""))
                    } catch let e as QueryError {
                        throw fail("\(path).metric", metricNode, e.message)
                    }
                    metric = .sql(value: value, where: condition)
                }
                guard let p = m["period"]?.string, let period = TimeSpan.parseNanos(p), period >= 1_000_000_000 else {
                    throw fail("\(path).period", m["period"] ?? node, "a period of at least 1s, such as 10s or 1m")
                }
                guard let n = m["evaluation_periods"]?.int, n >= 1, n <= 1000 else {
                    throw fail("\(path).evaluation_periods", m["evaluation_periods"] ?? node, "a whole number from 1 to 1000")
                }
                var datapoints: Int?
                if let d = m["datapoints_to_alarm"] {
                    guard let v = d.int, v >= 1, v <= n else { throw fail("\(path).datapoints_to_alarm", d, "a whole number from 1 to evaluation_periods (\(n))") }
                    datapoints = v
                }
                guard let c = m["comparison"]?.string, let comparison = AlarmComparison(rawValue: c) else {
                    throw fail("\(path).comparison", m["comparison"] ?? node,
                               "one of \(AlarmComparison.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                // A threshold, or for the anomaly-band comparisons a band width (k standard deviations).
                var threshold = 0.0, bandWidth: Double?
                if comparison.isBand {
                    if let t = m["threshold"] { throw fail("\(path).threshold", t, "a band comparison has 'band' (its width in standard deviations), not a threshold") }
                    if let b = m["band"] {
                        guard let k = Double(b.string ?? ""), k > 0, k <= 100 else { throw fail("\(path).band", b, "a number of standard deviations, such as 2") }
                        bandWidth = k
                    } else {
                        bandWidth = 2
                    }
                } else {
                    if let b = m["band"] { throw fail("\(path).band", b, "only the band comparisons (\(AlarmComparison.allCases.filter(\.isBand).map(\.rawValue).joined(separator: ", "))) take a band") }
                    guard let t = m["threshold"], let v = Double(t.string ?? "") else { throw fail("\(path).threshold", m["threshold"] ?? node, "a number") }
                    threshold = v
                }
                var missing = TreatMissingData.missing
                if let tm = m["treat_missing_data"] {
                    guard let v = tm.string.flatMap(TreatMissingData.init(rawValue:)) else {
                        throw fail("\(path).treat_missing_data", tm, "one of \(TreatMissingData.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    missing = v
                }
                out.append(AlarmDefinition(name: name, metric: metric,
                                           rule: AlarmRule(evaluationPeriods: n, datapointsToAlarm: datapoints, comparison: comparison,
                                                           threshold: threshold, treatMissingData: missing, bandWidth: bandWidth),
                                           period: period, composite: nil, actions: actions, groupBy: groupBy))
            } catch let e as LoadError {
                problems.append(e)
            }
        }
        let composites = Dictionary(uniqueKeysWithValues: out.compactMap { d in d.composite.map { (d.name, $0) } })
        for (name, rule) in composites {
            if let grouped = rule.references.sorted().first(where: { r in out.contains { $0.name == r && $0.groupBy != nil } }) {
                problems.append(LoadError(description: "\(file): composite alarm '\(name)' refers to '\(grouped)', which is one alarm per group: a composite refers to single alarms"))
            }
        }
        if problems.isEmpty {  // (an alarm left out would make its composites' references unknown)
            do {
                try CompositeRule.check(composites, known: Set(out.filter { $0.composite == nil }.map(\.name)))
            } catch {
                problems.append(LoadError(description: "\(file): \(error)"))
            }
        }
        return (out, problems)
    }
}

extension AlarmDefinition {
    /// The query a SQL metric runs, over the whole of `logs`.
    public var metricQuery: String? {
        guard case .sql(let value, let condition)? = metric else { return nil }
        return "SELECT \(groupBy.map { $0 + ", " } ?? "")\(value) FROM logs" + (condition.map { " WHERE \($0)" } ?? "")
            + (groupBy.map { " GROUP BY \($0)" } ?? "")
    }

    /// Why this alarm's metric cannot run over data of `snapshot`'s columns (an unknown column,
    /// a function that does not take their types), or nil when it can. Nothing is read.
    public func problem(against snapshot: StoreSnapshot) -> String? {
        guard let sql = metricQuery else { return nil }
        do {
            _ = try QueryEngine(snapshot: snapshot.shapeOnly).execute(sql)
            return nil
        } catch let e as QueryError {
            return e.message
        } catch {
            return "\(error)"
        }
    }

    /// A filter for the dashboard that keeps the records behind this alarm's metric: its
    /// `where`; for a metric filter pattern, a JSON pattern as the same comparisons in SQL, or
    /// plain terms as words the message must contain. nil when the metric counts every record,
    /// or its pattern has no such form (space-delimited, `?a ?b`, `-term`).
    public var recordsFilter: String? {
        switch metric {
        case .sql(_, let w)?:
            return w
        case .filter(_, let pattern, _)?:
            let p = pattern.trimmingCharacters(in: .whitespaces)
            if p.hasPrefix("{") && p.hasSuffix("}") {
                var body = String(p.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                guard !body.contains("*"), !body.contains("IS ") else { return nil }
                body = body.replacingOccurrences(of: #""([^"]*)""#, with: "'$1'", options: .regularExpression)  // strings first
                body = body.replacingOccurrences(of: #"\$\.([A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+)"#, with: "\"$1\"", options: .regularExpression)
                body = body.replacingOccurrences(of: "$.", with: "")
                return body.replacingOccurrences(of: "&&", with: "AND").replacingOccurrences(of: "||", with: "OR").replacingOccurrences(of: "!=", with: "<>")
            }
            guard !p.hasPrefix("["), !p.isEmpty else { return nil }
            let terms = p.split(separator: " ").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            guard !terms.contains(where: { $0.hasPrefix("-") || $0.hasPrefix("?") || $0.isEmpty }) else { return nil }
            return terms.joined(separator: " ")
        case nil:
            return nil
        }
    }
}
