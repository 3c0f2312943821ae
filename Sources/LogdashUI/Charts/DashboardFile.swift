import Foundation
import LogdashEngine
import Yams

/// Dashboards written in YAML (`--dashboard FILE`, or `dashboard: FILE` in the config file):
///
///     dashboards:                  # or one dashboard's keys at the top level
///       - name: web
///         rows:
///           - height: 5            # cells; or weight: 2 (a share of what fixed rows leave; default 1)
///             panes:
///               - title: requests/min
///                 sql: SELECT date_trunc('minute', ts) t, count(*) n FROM logs GROUP BY 1 ORDER BY 1
///                 chart: kpi       # optional: line, area, bars, heatmap, hbars, proportion, kpi, histogram, table
///                 width: 1         # optional: a share of the row
///                 refresh: 10s     # optional: at most this often while records arrive
///                 field: status    # optional: the column Enter on a bar filters
///               - tail: true       # the live tail
///
/// Every problem names the file, the line and the key, and says what is expected.
public enum DashboardFile {
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    static let dashboardKeys = ["name", "rows"]
    static let rowKeys = ["height", "weight", "panes"]
    static let paneKeys = ["title", "sql", "chart", "width", "refresh", "field", "tail", "alarms"]

    public static func load(path: String) throws -> [DashboardSpec] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "\(path): cannot be read")
        }
        return try parse(yaml: String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(yaml: String, file: String) throws -> [DashboardSpec] {
        let (specs, problems) = try check(yaml: yaml, file: file)
        if let first = problems.first { throw first }
        return specs
    }

    /// The dashboards a file defines and every problem in it, each naming its line and key
    /// (a pane with a problem is left out, and a dashboard with one outside its panes). Throws
    /// only when the file is no dashboards file at all.
    public static func check(yaml: String, file: String) throws -> ([DashboardSpec], [LoadError]) {
        func fail(_ key: String, _ node: Node?, _ problem: String) -> LoadError {
            LoadError(description: "\(file)\(node?.mark.map { ":\($0.line)" } ?? ""): \(key): \(problem)")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch { throw LoadError(description: "\(file): not valid YAML: \(error)") }
        guard let top = root?.mapping else { throw fail("(top level)", root, "a mapping with 'dashboards' (a list) or one dashboard's 'name' and 'rows'") }
        let list: [(Node, String)]
        if let d = top["dashboards"] {
            guard top.count == 1 else { throw fail("(top level)", root, "'dashboards' goes alone at the top level") }
            guard let seq = d.sequence, !seq.isEmpty else { throw fail("dashboards", d, "a list of dashboards, each with 'name' and 'rows'") }
            list = seq.enumerated().map { ($1, "dashboards[\($0)]") }
        } else {
            list = [(root!, "(top level)")]
        }
        var names: Set<String> = []
        let problems = Problems()
        let specs = list.compactMap { node, path -> DashboardSpec? in
            problems.noting {
                let d = try dashboard(node, path, fail, problems)
                guard names.insert(d.name).inserted else { throw fail("\(path).name", node, "'\(d.name)' names two dashboards") }
                return d
            }
        }
        return (specs, problems.found)
    }

    /// The problems found while reading on past them.
    final class Problems {
        private(set) var found: [LoadError] = []

        /// `body`'s value, or nil with its problem noted.
        func noting<T>(_ body: () throws -> T) -> T? {
            do {
                return try body()
            } catch let e as LoadError {
                found.append(e)
            } catch {
                found.append(LoadError(description: "\(error)"))
            }
            return nil
        }
    }

    typealias Fail = (String, Node?, String) -> LoadError

    /// Dashboards as a file `load` reads back as the same (`:save` in the dashboard).
    public static func yaml(_ specs: [DashboardSpec]) throws -> String {
        func map(_ pairs: [(String, Node)]) -> Node { .mapping(Node.Mapping(pairs.map { (Node($0.0), $0.1) })) }
        func text(_ s: String) -> Node { Node(s, Tag(.str), .singleQuoted) }
        func number(_ n: Int) -> Node { Node(String(n), Tag(.int)) }
        let dashboards = specs.map { d -> Node in
            map([("name", text(d.name)), ("rows", .sequence(Node.Sequence(d.rows.map { row -> Node in
                var r: [(String, Node)] = []
                if let h = row.height { r.append(("height", number(h))) } else if row.weight != 1 { r.append(("weight", number(row.weight))) }
                r.append(("panes", .sequence(Node.Sequence(row.panes.map { p -> Node in
                    var m: [(String, Node)] = [("title", text(p.title))]
                    if p.alarms {
                        m.append(("alarms", Node("true", Tag(.bool))))
                    } else if let sql = p.sql {
                        m.append(("sql", text(sql)))
                        if let k = p.kind { m.append(("chart", text(k))) }
                        if let f = p.field { m.append(("field", text(f.hasPrefix("\"") && f.hasSuffix("\"") ? String(f.dropFirst().dropLast()) : f))) }
                        if let r = p.refresh { m.append(("refresh", text(r == r.rounded() ? "\(Int(r))s" : "\(Int((r * 1000).rounded()))ms"))) }
                    } else {
                        m.append(("tail", Node("true", Tag(.bool))))
                    }
                    if p.weight != 1 { m.append(("width", number(p.weight))) }
                    return map(m)
                }))))
                return map(r)
            })))])
        }
        return try Yams.serialize(node: map([("dashboards", .sequence(Node.Sequence(dashboards)))]))
    }

    static func keys(_ m: Node.Mapping, _ path: String, allowed: [String], _ fail: Fail) throws {
        for (k, _) in m {
            guard let key = k.string, allowed.contains(key) else {
                throw fail("\(path).\(k.string ?? "?")", k, "unknown key; known keys: \(allowed.joined(separator: ", "))")
            }
        }
    }

    static func dashboard(_ node: Node, _ path: String, _ fail: Fail, _ problems: Problems = Problems()) throws -> DashboardSpec {
        guard let m = node.mapping else { throw fail(path, node, "a dashboard is a mapping with 'name' and 'rows'") }
        try keys(m, path, allowed: dashboardKeys, fail)
        guard let name = m["name"]?.string, !name.isEmpty else { throw fail("\(path).name", m["name"] ?? node, "every dashboard needs a name") }
        guard let rowsNode = m["rows"], let rows = rowsNode.sequence, !rows.isEmpty else {
            throw fail("\(path).rows", m["rows"] ?? node, "a list of rows, each with 'panes'")
        }
        var spec = DashboardSpec(rows: try rows.enumerated().map { try row($1, "\(path).rows[\($0)]", fail, problems) })
        spec.name = name
        return spec
    }

    static func positive(_ node: Node?, _ key: String, _ fail: Fail) throws -> Int? {
        guard let node else { return nil }
        guard let n = node.int, n >= 1, n <= 1000 else { throw fail(key, node, "a whole number from 1 to 1000") }
        return n
    }

    static func row(_ node: Node, _ path: String, _ fail: Fail, _ problems: Problems) throws -> DashboardSpec.Row {
        guard let m = node.mapping else { throw fail(path, node, "a row is a mapping with 'panes' (and 'height' or 'weight')") }
        try keys(m, path, allowed: rowKeys, fail)
        let height = try positive(m["height"], "\(path).height", fail)
        let weight = try positive(m["weight"], "\(path).weight", fail) ?? 1
        if height != nil && m["weight"] != nil { throw fail("\(path).weight", m["weight"], "a row has a height or a weight, not both") }
        guard let panesNode = m["panes"], let panes = panesNode.sequence, !panes.isEmpty else {
            throw fail("\(path).panes", m["panes"] ?? node, "a list of panes")
        }
        let read = panes.enumerated().compactMap { k, p in problems.noting { try pane(p, "\(path).panes[\(k)]", fail) } }
        guard !read.isEmpty else { throw fail("\(path).panes", panesNode, "no pane of the row could be read") }
        return .init(height: height, weight: weight, panes: read)
    }

    static func pane(_ node: Node, _ path: String, _ fail: Fail) throws -> PaneSpec {
        guard let m = node.mapping else { throw fail(path, node, "a pane is a mapping with 'sql' (or 'tail: true') and a 'title'") }
        try keys(m, path, allowed: paneKeys, fail)
        let width = try positive(m["width"], "\(path).width", fail) ?? 1
        if let a = m["alarms"] {
            guard a.bool == true, m["sql"] == nil, m["tail"] == nil else { throw fail("\(path).alarms", a, "'alarms: true' makes the pane the alarm panel (no sql)") }
            var p = PaneSpec(title: m["title"]?.string ?? "alarms", sql: nil, weight: width)
            p.alarms = true
            return p
        }
        if let t = m["tail"] {
            guard t.bool == true else { throw fail("\(path).tail", t, "'tail: true' makes the pane the live tail") }
            if let other = ["sql", "chart", "refresh", "field"].first(where: { m[$0] != nil }) {
                throw fail("\(path).\(other)", m[other], "the tail pane has no '\(other)'")
            }
            return PaneSpec(title: m["title"]?.string ?? "newest records", sql: nil, weight: width)
        }
        guard let sqlNode = m["sql"], let sql = sqlNode.string, !sql.isEmpty else {
            throw fail("\(path).sql", m["sql"] ?? node, "each pane has 'sql' (a query over logs) or 'tail: true'")
        }
        do {
            _ = try QueryEngine.columnsRead(sql)  // a syntax error now, not on the screen later
        } catch let e as QueryError {
            throw fail("\(path).sql", sqlNode, e.rendered(in: sql).replacingOccurrences(of: "\n", with: "\n    "))
        }
        let title = m["title"]?.string ?? String(sql.prefix(40))
        var kind: String?
        if let c = m["chart"] {
            guard let k = c.string, ChartPicker.kinds.contains(k) else {
                throw fail("\(path).chart", c, "one of \(ChartPicker.kinds.joined(separator: ", "))")
            }
            kind = k
        }
        var refresh: Double?
        if let r = m["refresh"] {
            guard let text = r.string, let ns = TimeSpan.parseNanos(text), ns >= 100_000_000 else {
                throw fail("\(path).refresh", r, "a time of at least 100ms, like 5s or 1m")
            }
            refresh = Double(ns) / 1e9
        }
        var field: String?
        if let f = m["field"] {
            guard let s = f.string, !s.isEmpty else { throw fail("\(path).field", f, "a column name") }
            field = s.contains(".") && !s.hasPrefix("\"") ? "\"\(s)\"" : s
        }
        var p = PaneSpec(title: title, sql: sql, kind: kind, weight: width, field: field)
        p.refresh = refresh
        return p
    }
}
