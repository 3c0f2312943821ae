import Foundation

/// An alarm being defined from a query (the dashboard's `a` on a result): the metric read from
/// the query — its one aggregate over `logs` as the value, its WHERE, its time bucket as the
/// period — and the rest as typed in the form, until it is saved to an alarms file as YAML.
public struct AlarmDraft: Sendable, Equatable {
    public var name: String
    public var value: String
    public var whereClause: String?
    public var period: String
    public var threshold: String
    public var comparison: AlarmComparison
    public var evaluationPeriods: String
    public var datapointsToAlarm: String
    public var treatMissingData: TreatMissingData

    public struct Unfit: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// The draft for a query: one aggregate item (other items may be its time bucket), FROM
    /// logs, GROUP BY nothing or one time bucket. `threshold`: a starting value (the result's
    /// largest, say).
    /// `valueColumn`: told which result column holds the value.
    public static func from(sql: String, name: String, threshold: Double?, valueColumn: ((Int) -> Void)? = nil) throws -> AlarmDraft {
        let text = InsightsQuery.looksLikeInsights(sql) ? try InsightsQuery.sql(sql) : sql
        guard case .query(.select(let s)) = try SQLParser.parse(text) else {
            throw Unfit(description: "an alarm watches one SELECT over logs, not this kind of query")
        }
        guard case .table(let t, _)? = s.from, t.lowercased() == "logs" else {
            throw Unfit(description: "an alarm watches a query FROM logs")
        }
        if s.hasSubquery { throw Unfit(description: "an alarm's query cannot hold a subquery") }
        var bucket: Int64?
        for g0 in s.groupBy {
            // An ordinal or an alias stands for its item.
            var g = g0
            if case .literal(.int(let n), _) = g0, n >= 1, n <= s.items.count { g = s.items[Int(n) - 1].expr }
            if case .column(let c, _) = g0, let item = s.items.first(where: { $0.alias?.lowercased() == c.lowercased() }) { g = item.expr }
            if let (_, w) = GroupedAggregation.timeBucket(g) { bucket = w; continue }
            if case .call(let n, let args, _, _, _) = g, n.lowercased() == "tumble", args.count == 2, case .interval(let w, _) = args[1] { bucket = w; continue }
            throw Unfit(description: "an alarm watches one value per period: group by a time bucket only (one alarm per group is not supported yet)")
        }
        let aggregates = s.items.filter { !$0.isStar && containsAggregate($0.expr) }
        guard aggregates.count == 1 else {
            throw Unfit(description: "an alarm watches one value: the query needs exactly one aggregate column (it has \(aggregates.count))")
        }
        if let k = s.items.firstIndex(where: { !$0.isStar && containsAggregate($0.expr) }), let c = valueColumn { c(k) }
        return AlarmDraft(name: name, value: aggregates[0].expr.sql, whereClause: s.filter?.sql,
                          period: bucket.map(Self.duration) ?? "1m", threshold: threshold.map { Value.format($0) } ?? "0",
                          comparison: .greaterThanOrEqualToThreshold, evaluationPeriods: "1", datapointsToAlarm: "1",
                          treatMissingData: .missing)
    }

    static func containsAggregate(_ e: Expr) -> Bool {
        var found = false
        walkThroughWindows(e) { x in if case .call(let n, _, _, _, _) = x, Aggregates.isAggregate(n.lowercased()) { found = true } }
        return found
    }

    static func duration(_ ns: Int64) -> String { TimeSpan.format(ns - ns % 1_000_000_000) }

    /// The alarm as an item of an `alarms:` list (indented for it).
    public var yaml: String {
        func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        var out = "  - name: \(q(name))\n    metric:\n      value: \(q(value))\n"
        if let w = whereClause { out += "      where: \(q(w))\n" }
        out += "    period: \(period)\n    evaluation_periods: \(evaluationPeriods)\n    datapoints_to_alarm: \(datapointsToAlarm)\n"
        out += "    comparison: \(comparison.rawValue)\n    threshold: \(threshold)\n    treat_missing_data: \(treatMissingData.rawValue)\n"
        return out
    }

    /// The alarm as the alarms file would load it: every problem named by its key.
    public func validated() throws -> AlarmDefinition {
        try AlarmFile.parse(yaml: "alarms:\n" + yaml, file: "the new alarm")[0]
    }

    /// Adds the alarm to the alarms file at `path` (made when missing, with `alarms:`); an
    /// alarm of the same name there is an error, never overwritten.
    public func append(toFile path: String) throws {
        _ = try validated()
        let fm = FileManager.default
        var text = fm.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        if !text.isEmpty {
            let existing = try AlarmFile.parse(yaml: text, file: path)
            if existing.contains(where: { $0.name == name }) { throw Unfit(description: "\(path) already has an alarm named '\(name)'") }
        }
        let before = text.isEmpty ? 0 : try AlarmFile.parse(yaml: text, file: path).count
        if text.isEmpty || !text.contains("alarms:") { text += (text.isEmpty || text.hasSuffix("\n") ? "" : "\n") + "alarms:\n" }
        if !text.hasSuffix("\n") { text += "\n" }
        text += yaml
        // Appended at the end, it must read back as one more alarm (the list is the file's last key).
        guard (try? AlarmFile.parse(yaml: text, file: path))?.count == before + 1 else {
            throw Unfit(description: "\(path): the new alarm cannot be appended (its alarms: list is not the file's last key); add it by hand:\n" + yaml)
        }
        try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
