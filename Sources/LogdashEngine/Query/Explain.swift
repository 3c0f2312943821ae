import Foundation

/// What a query did, step by step (EXPLAIN ANALYZE): each line with the time since the line
/// before it — the time of the step it reports.
struct PlanLog {
    private(set) var lines: [String] = []
    private(set) var times: [Duration] = []
    private var last = ContinuousClock.now

    init() {}

    mutating func append(_ line: String) {
        let now = ContinuousClock.now
        lines.append(line)
        times.append(now - last)
        last = now
    }

    /// Another log's lines, each with `prefix` (a subquery's, read before the query around it).
    mutating func append(_ other: PlanLog, prefix: String = "") {
        lines += other.lines.map { prefix + $0 }
        times += other.times
        last = ContinuousClock.now
    }

    static func += (log: inout PlanLog, other: PlanLog) { log.append(other) }
}

extension QueryEngine {
    /// EXPLAIN: the plan of `q` without running it — each SELECT's table (for `logs`, how many
    /// segments its time range leaves to scan), filter, aggregation, sort and limit; joins,
    /// subqueries (which run first) and set operations, nested under what holds them.
    func describe(_ q: Query, ctes: Set<String> = [], depth: Int = 0) throws -> [String] {
        let pad = String(repeating: "  ", count: depth)
        switch q {
        case .select(let s):
            return try describe(s, ctes: ctes, depth: depth)
        case .unionAll(let parts, let orderBy, let limit, let offset):
            var out = [pad + "union all of \(parts.count) parts"]
            for p in parts { out += try describe(p, ctes: ctes, depth: depth + 1) }
            return out + order(orderBy, limit, offset, depth: depth)
        case .setOperation(let op, let all, let a, let b, let orderBy, let limit, let offset, _):
            var out = [pad + "\(op.rawValue)\(all ? " all" : "") (rows compared whole, by hashing)"]
            out += try describe(a, ctes: ctes, depth: depth + 1)
            out += try describe(b, ctes: ctes, depth: depth + 1)
            return out + order(orderBy, limit, offset, depth: depth)
        case .with(let defs, let body):
            var out: [String] = []
            var known = ctes
            for (name, def) in defs {
                out.append(pad + "with \(name) (computed once):")
                out += try describe(def, ctes: known, depth: depth + 1)
                known.insert(name.lowercased())
            }
            return out + (try describe(body, ctes: known, depth: depth))
        }
    }

    private func describe(_ s: Select, ctes: Set<String>, depth: Int) throws -> [String] {
        let pad = String(repeating: "  ", count: depth)
        func short(_ e: Expr) -> String {
            let t = e.sql
            return t.count > 80 ? String(t.prefix(79)) + "…" : t
        }
        var out = [pad + "select " + s.items.map { it in
            if it.isStar { return (it.qualifier.map { $0 + "." } ?? "") + "*" }
            return short(it.expr) + (it.alias.map { " AS \($0)" } ?? "")
        }.joined(separator: ", ")]
        out += try from(s.from, filter: s.filter, ctes: ctes, depth: depth + 1)
        // Subqueries anywhere in the SELECT run before it.
        var subqueries: [Query] = []
        for e in s.items.map(\.expr) + [s.filter, s.having].compactMap({ $0 }) + s.groupBy + s.orderBy.map(\.expr) {
            walkAll(e) { if case .subquery(let q, _, _) = $0 { subqueries.append(q) } }
        }
        for q in subqueries {
            out.append(pad + "  subquery, run first (or, when it refers to this query, grouped by its keys and joined):")
            out += try describe(q, ctes: ctes, depth: depth + 2)
        }
        if let f = s.filter { out.append(pad + "  filter: " + short(f)) }
        if let extra = logsFilter, case .table(let n, _)? = s.from, n.lowercased() == "logs" { out.append(pad + "  filter (the dashboard's): " + short(extra)) }
        var aggregates: [String] = []
        for e in s.items.map(\.expr) + [s.having].compactMap({ $0 }) + s.orderBy.map(\.expr) {
            walk(e) { x in
                if case .call(let n, _, _, _, _) = x, Aggregates.isAggregate(n.lowercased()), !aggregates.contains(short(x)) { aggregates.append(short(x)) }
            }
        }
        if let sets = try groupingSets(s.groupBy) {
            out.append(pad + "  aggregate: \(sets.count) grouping sets, each by its keys; " + aggregates.joined(separator: ", "))
        } else if let (window, _) = try GroupWindow.find(s.groupBy) {
            out.append(pad + "  aggregate by \(window) windows of ts" + (s.groupBy.count > 1 ? " and \(s.groupBy.count - 1) more keys" : "") + "; " + aggregates.joined(separator: ", "))
        } else if !s.groupBy.isEmpty || !aggregates.isEmpty {
            out.append(pad + "  aggregate" + (s.groupBy.isEmpty ? " (one group)" : " by " + s.groupBy.map(short).joined(separator: ", "))
                       + (aggregates.isEmpty ? "" : ": " + aggregates.joined(separator: ", ")))
        }
        if let h = s.having { out.append(pad + "  having: " + short(h)) }
        var windows = 0
        for e in s.items.map(\.expr) + s.orderBy.map(\.expr) { walkWindows(e) { _ in windows += 1 } }
        if windows > 0 { out.append(pad + "  window functions: \(windows)") }
        if s.distinct { out.append(pad + "  distinct rows") }
        return out + order(s.orderBy, s.limit, s.offset, depth: depth + 1)
    }

    private func order(_ orderBy: [OrderItem], _ limit: Int?, _ offset: Int, depth: Int) -> [String] {
        let pad = String(repeating: "  ", count: depth)
        let keys = orderBy.map { $0.expr.sql + ($0.ascending ? "" : " DESC") }.joined(separator: ", ")
        var out: [String] = []
        if let limit, !orderBy.isEmpty {
            out.append(pad + "top \(limit + offset) by \(keys) (a heap of the best rows, not a full sort)")
        } else if !orderBy.isEmpty {
            out.append(pad + "sort by \(keys)")
        }
        if let limit, orderBy.isEmpty { out.append(pad + "limit \(limit)" + (offset > 0 ? " offset \(offset)" : "")) } else if offset > 0 { out.append(pad + "offset \(offset)") }
        return out
    }

    private func from(_ t: TableRef?, filter: Expr?, ctes: Set<String>, depth: Int) throws -> [String] {
        let pad = String(repeating: "  ", count: depth)
        switch t {
        case nil:
            return [pad + "no table: one row"]
        case .table(let name, let p)?:
            let n = name.lowercased()
            if ctes.contains(n) { return [pad + "scan \(name) (the common table expression)"] }
            switch n {
            case "logs":
                // Segments whose time range the WHERE's (and --since/--until's) leaves in.
                var bounds = filter.flatMap { TimeBounds.of($0, now: now) }
                if let (a, b) = timeRange { bounds = (max(a, bounds?.0 ?? a), min(b, bounds?.1 ?? b)) }
                let total = snapshot.segments.count
                var line = pad + "scan logs: \(snapshot.rowCount) records, segments: \(total)"
                if let (lo, hi) = bounds {
                    let kept = snapshot.segments.filter { !($0.maxTs < lo || $0.minTs > hi) }.count
                    line += "; the time range \(lo == Int64.min ? "-∞" : Timestamp.iso8601(lo)) … \(hi == Int64.max ? "+∞" : Timestamp.iso8601(hi)) leaves \(kept) of them (\(total - kept) skipped)"
                }
                return [line]
            case "errors": return [pad + "scan errors"]
            case "internal_metrics": return [pad + "scan internal_metrics (\(snapshot.internalMetrics.rows.count) rows)"]
            case "alarm_history": return [pad + "scan alarm_history (\(snapshot.alarmHistory.rows.count) rows)"]
            default:
                if let lookup = snapshot.lookups[n] { return [pad + "scan \(name) (lookup table, \(lookup.rows.count) rows)"] }
                throw QueryError(.unknownTable, "unknown table '\(name)'" + ExprCompiler.suggestion(for: n, among: QueryEngine.tables + Array(ctes) + Array(snapshot.lookups.keys)), at: p)
            }
        case .aliased(let inner, let alias)?:
            var lines = try from(inner, filter: filter, ctes: ctes, depth: depth)
            if !lines.isEmpty { lines[0] += " as \(alias)" }
            return lines
        case .subquery(let q, let alias)?:
            return [pad + "from a subquery" + (alias.map { " as \($0)" } ?? "") + ":"] + (try describe(q, ctes: ctes, depth: depth + 1))
        case .unnest(let arrays, let ordinality, let alias, _, _)?:
            return [pad + "unnest \(arrays.map(\.sql).joined(separator: ", "))" + (ordinality ? " with ordinality" : "") + (alias.map { " as \($0)" } ?? "")]
        case .join(let kind, let l, let r, let on, let using, _)?:
            func isLogs(_ t: TableRef) -> Bool {
                switch t {
                case .table(let n, _): n.lowercased() == "logs" && !ctes.contains("logs")
                case .aliased(let inner, _): isLogs(inner)
                default: false
                }
            }
            var head = pad + "\(kind.rawValue) join" + (on.map { " on " + $0.sql } ?? "") + (using.isEmpty ? "" : " using (\(using.joined(separator: ", ")))")
            if (kind == .inner || kind == .left) && (isLogs(l) || isLogs(r)) && !(isLogs(l) && isLogs(r) && kind == .left) {
                head += " — logs scanned, the other side looked up by its key when it has each key once; else both read and hashed"
            } else if kind != .cross {
                head += " — both sides read, the smaller hashed on equal keys"
            }
            return [head] + (try from(l, filter: nil, ctes: ctes, depth: depth + 1)) + (try from(r, filter: nil, ctes: ctes, depth: depth + 1))
        }
    }
}
