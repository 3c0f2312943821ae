import LogdashEngine

/// A pane of a dashboard: a chart of a query, or the live tail.
public struct PaneSpec: Sendable, Equatable {
    public var title: String
    /// nil: the tail of the records.
    public var sql: String?
    /// A chart type (`ChartPicker.kinds`); nil picks one from the result's shape.
    public var kind: String?
    /// Its share of the row's width.
    public var weight: Int
    /// The column its categories are values of (a top-N pane's field): Enter on a bar filters
    /// every pane to that value.
    public var field: String?
    /// At most this often (seconds) while records arrive; nil: as often as the panes refresh.
    public var refresh: Double?
    /// The alarm panel (no SQL of its own: the alarms' states).
    public var alarms = false

    public init(title: String, sql: String?, kind: String? = nil, weight: Int = 1, field: String? = nil) {
        self.title = title
        self.sql = sql
        self.kind = kind
        self.weight = weight
        self.field = field
    }
}

/// Panes in rows; a row's `height` is fixed (cells) or, when nil, a share (`weight`) of what
/// the fixed rows leave.
public struct DashboardSpec: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var height: Int?
        public var weight: Int
        public var panes: [PaneSpec]

        public init(height: Int? = nil, weight: Int = 1, panes: [PaneSpec]) {
            self.height = height
            self.weight = weight
            self.panes = panes
        }
    }

    public var rows: [Row]
    /// Shown in the status bar when there are several dashboards (`[` and `]` switch).
    public var name = "default"

    public init(rows: [Row], name: String = "default") {
        self.rows = rows
        self.name = name
    }

    public var panes: [PaneSpec] { rows.flatMap(\.panes) }
}

/// The first screen logdash builds from the fields it finds, for the usual on-call questions:
/// how much is coming in and how much of it is errors, what the busiest values are, how slow
/// it is, and the newest records.
public enum DefaultDashboard {
    /// Fields worth a top-values pane, in order of use.
    static let categorical = ["status", "path", "service", "host", "method", "user_agent", "agent", "app", "logger", "user"]
    /// Names of latency-like fields.
    static let latencyNames = ["latency_ms", "duration_ms", "response_time_ms", "elapsed_ms", "latency", "duration", "response_time", "request_time"]

    /// `columns`: the logs table's columns and types; `span`: its first and last record time
    /// (of the bulk of the records: see `TimeAxis`); `width`: the screen's, to size time
    /// buckets about one a column. `axis`: the bounds time panes keep to when some records lie
    /// far outside the bulk (a 1970 time in a file of today's), and how many do.
    public static func spec(columns: [(name: String, type: ColumnType)], span: (Int64, Int64)?, width: Int, height: Int,
                            alarms: Bool = false, axis: TimeAxis = TimeAxis()) -> DashboardSpec {
        // (A column no record has a value in — `host` of logs without hosts — gets no pane.)
        let names = Set(columns.filter { $0.type != .null }.map { $0.name.lowercased() })
        let numeric = Set(columns.filter { $0.type == .int || $0.type == .double }.map { $0.name.lowercased() })
        let bucket = bucket(span: span, width: width)
        let t = "date_bin(INTERVAL '\(bucket / 1_000_000_000)' SECOND, ts)"
        let per = "/" + Ticks.timeLabelOfStep(bucket)
        let errors = "level IN ('error', 'critical', 'fatal')"
        let latency = latencyNames.first { numeric.contains($0) }
        // Time panes keep to the axis; their titles say how many records lie outside it.
        let bounds = axis.condition(bucket: bucket)
        let within = bounds.map { " WHERE " + $0 } ?? ""
        let outside = axis.outside > 0 ? " · \(axis.outside) outside the axis" : ""
        // KPIs compare whole buckets: the one still filling (live data) is left out.
        let closed = "WHERE ts < date_bin(INTERVAL '\(bucket / 1_000_000_000)' SECOND, now())" + (bounds.map { " AND " + $0 } ?? "")
        var kpis = [
            PaneSpec(title: "records" + per, sql: "SELECT \(t) t, count(*) records FROM logs \(closed) GROUP BY 1 ORDER BY 1", kind: "kpi"),
            PaneSpec(title: "errors" + per, sql: "SELECT \(t) t, count_if(\(errors)) errors FROM logs \(closed) GROUP BY 1 ORDER BY 1", kind: "kpi"),
        ]
        if let latency {
            kpis.append(PaneSpec(title: "p95 \(latency)" + per,
                                 sql: "SELECT \(t) t, approx_percentile(\(latency), 0.95) \(latency) FROM logs \(closed) GROUP BY 1 ORDER BY 1", kind: "kpi"))
        }
        if names.contains("host") {
            // count(DISTINCT host) as a count of groups: grouping by a dictionary column is the fast path.
            kpis.append(PaneSpec(title: "hosts", sql: "SELECT count(*) FROM (SELECT host FROM logs WHERE host IS NOT NULL GROUP BY 1) t", kind: "kpi"))
        }
        let volume = PaneSpec(title: "records by level" + outside, sql: "SELECT \(t) t, level, count(*) n FROM logs\(within) GROUP BY 1, 2 ORDER BY 1", field: "level")
        var details: [PaneSpec] = categorical.filter { names.contains($0) }.prefix(latency == nil ? 3 : 2).map { f in
            PaneSpec(title: "top \(f)", sql: "SELECT \(quoted(f)), count(*) n FROM logs WHERE \(quoted(f)) IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10",
                     kind: "hbars", field: quoted(f))
        }
        if let latency {
            details.append(PaneSpec(
                title: "\(latency) p50 · p95 · p99",
                sql: "SELECT \(t) t, approx_percentile(\(latency), 0.5) p50, approx_percentile(\(latency), 0.95) p95, approx_percentile(\(latency), 0.99) p99 FROM logs\(within) GROUP BY 1 ORDER BY 1",
                weight: 2))
        } else {
            details.append(PaneSpec(title: "error rate %", sql: "SELECT \(t) t, 100.0 * count_if(\(errors)) / count(*) error_pct FROM logs\(within) GROUP BY 1 ORDER BY 1",
                                    kind: "area", weight: 2))
        }
        var rows: [DashboardSpec.Row] = []
        if height >= 24 { rows.append(.init(height: 5, panes: kpis)) }
        rows.append(.init(weight: 3, panes: [volume]))
        if height >= 16 { rows.append(.init(weight: 3, panes: details)) }
        var tail = [PaneSpec(title: "newest records", sql: nil, weight: 2)]
        if alarms {
            var panel = PaneSpec(title: "alarms", sql: nil)
            panel.alarms = true
            tail.append(panel)
        }
        rows.append(.init(weight: 3, panes: tail))
        return DashboardSpec(rows: rows)
    }

    /// Where the time axis of the default panes runs: the bulk of the records' event times, so
    /// that a few far-off times (a 1970 epoch from a broken clock, a year typed wrong) do not
    /// make its buckets days wide. The bulk is the 1st to 99th percentile widened by half its
    /// width on each side (every record of an ordinary log is inside); a side is bounded only
    /// when records lie beyond it.
    public struct TimeAxis: Sendable, Equatable {
        /// The lowest and highest time the axis shows (nil: no record lies below / above).
        public var low: Int64?
        public var high: Int64?
        /// Records outside it.
        public var outside = 0
        /// The least and greatest times sampled inside a bound (for the buckets' width).
        var inside: (Int64, Int64)?

        public init(low: Int64? = nil, high: Int64? = nil, outside: Int = 0) {
            self.low = low
            self.high = high
            self.outside = outside
        }

        public static func == (a: TimeAxis, b: TimeAxis) -> Bool {
            a.low == b.low && a.high == b.high && a.outside == b.outside && a.inside?.0 == b.inside?.0 && a.inside?.1 == b.inside?.1
        }

        /// The axis of times sampled from the segments (each sample standing for `weight`
        /// records), whose least and greatest times are `first` and `last`; nil bounds when
        /// nothing lies beyond them.
        public static func of(_ samples: [(ts: [Int64], weight: Double)], first: Int64, last: Int64) -> TimeAxis {
            var all: [(Int64, Double)] = []
            for s in samples { for t in s.ts { all.append((t, s.weight)) } }
            guard all.count >= 20 else { return TimeAxis() }
            all.sort { $0.0 < $1.0 }
            let total = all.reduce(0) { $0 + $1.1 }
            func quantile(_ q: Double) -> Int64 {
                var run = 0.0
                for (t, w) in all {
                    run += w
                    if run >= q * total { return t }
                }
                return all[all.count - 1].0
            }
            let p1 = quantile(0.01), p99 = quantile(0.99)
            let margin = max((p99 - p1) / 2, 60_000_000_000)
            let lo = p1 - margin, hi = p99 + margin
            var axis = TimeAxis(low: first < lo ? lo : nil, high: last > hi ? hi : nil)
            if axis.low != nil || axis.high != nil, let a = all.first(where: { $0.0 >= lo }), let b = all.last(where: { $0.0 <= hi }) {
                axis.inside = (a.0, b.0)
            }
            return axis
        }

        /// The times the time panes keep to, as SQL (bounds on bucket edges, so that a pane's
        /// first and last buckets are whole); nil when unbounded.
        public func condition(bucket: Int64) -> String? {
            func floor(_ t: Int64) -> Int64 { (t / bucket - (t % bucket < 0 ? 1 : 0)) * bucket }
            var parts: [String] = []
            if let low { parts.append("ts >= TIMESTAMP '\(Timestamp.iso8601(floor(low)))'") }
            if let high { parts.append("ts < TIMESTAMP '\(Timestamp.iso8601(floor(high) + bucket))'") }
            return parts.isEmpty ? nil : parts.joined(separator: " AND ")
        }

        /// The span the buckets are sized for: the records' inside a bound.
        public func span(first: Int64, last: Int64) -> (Int64, Int64) {
            (low == nil ? first : inside?.0 ?? first, high == nil ? last : inside?.1 ?? last)
        }
    }

    static func quoted(_ name: String) -> String { name.allSatisfy { ($0.isLetter && !$0.isUppercase) || $0.isNumber || $0 == "_" } ? name : "\"\(name)\"" }

    /// The time panes' bucket on a screen `width` wide: about one a column.
    public static func bucket(span: (Int64, Int64)?, width: Int) -> Int64 { bucketWidth(span: span, columns: max(10, width - 14)) }

    /// A bucket width from the time steps, giving at most about `columns` buckets over the span.
    static func bucketWidth(span: (Int64, Int64)?, columns: Int) -> Int64 {
        guard let (a, b) = span, b > a else { return 60_000_000_000 }
        return Ticks.timeSteps.first { (b - a) / $0 < Int64(columns) } ?? Ticks.timeSteps.last!
    }
}

extension Ticks {
    /// `1s`, `5m`, `1h`, `1d`: a bucket width as people write it.
    public static func timeLabelOfStep(_ ns: Int64) -> String {
        let s = ns / 1_000_000_000
        if s % 86400 == 0 { return "\(s / 86400)d" }
        if s % 3600 == 0 { return "\(s / 3600)h" }
        if s % 60 == 0 { return "\(s / 60)m" }
        return "\(s)s"
    }
}

/// Draws a dashboard: each pane in a box with its title, its chart (or its error) inside.
public enum DashboardRender {
    public enum Content: Sendable, Equatable {
        case chart(Chart)
        case tail([TailRow])
        case failure(String)
    }

    /// The rectangle of each pane, in the spec's order.
    public static func layout(_ spec: DashboardSpec, width: Int, height: Int) -> [Rect] {
        let fixed = spec.rows.reduce(0) { $0 + ($1.height ?? 0) }
        let weights = spec.rows.reduce(0) { $0 + ($1.height == nil ? $1.weight : 0) }
        let flexible = max(0, height - fixed)
        var out: [Rect] = []
        var y = 0, givenFlexible = 0, seenWeight = 0
        for row in spec.rows {
            let h: Int
            if let fixedHeight = row.height {
                h = fixedHeight
            } else {
                // Shares by cumulative rounding, so the rows fill the height exactly.
                seenWeight += row.weight
                let upTo = weights == 0 ? 0 : flexible * seenWeight / weights
                h = upTo - givenFlexible
                givenFlexible = upTo
            }
            let total = row.panes.reduce(0) { $0 + max(1, $1.weight) }
            var x = 0, seen = 0
            for pane in row.panes {
                seen += max(1, pane.weight)
                let right = width * seen / max(1, total)
                out.append(Rect(x: x, y: y, width: right - x, height: h))
                x = right
            }
            y += h
        }
        return out
    }

    public static func render(_ spec: DashboardSpec, contents: [Content], width: Int, height: Int, glyphs: ChartGlyphs = .unicode) -> CellBuffer {
        var buf = CellBuffer(width: width, height: height)
        draw(spec, contents: contents.map { $0 }, rects: layout(spec, width: width, height: height), into: &buf, glyphs: glyphs)
        return buf
    }

    /// Draws the panes into their rectangles (an empty one is skipped). The focused pane's
    /// frame is highlighted and its picked bar or bucket named in its title; the tail pane's
    /// content comes from `tail`.
    public static func draw(_ spec: DashboardSpec, contents: [Content?], rects: [Rect], into buf: inout CellBuffer, glyphs: ChartGlyphs,
                            focus: Int? = nil, pick: Int = 0, anchor: Int? = nil, series: Int? = nil,
                            alarms: [AlarmReplay.Status] = [], alarmQuiet: [String: String] = [:],
                            tail: ((inout CellBuffer, Rect) -> Void)? = nil) {
        for (k, (pane, rect)) in zip(spec.panes, rects).enumerated() where rect.width > 0 && rect.height > 0 {
            let content = contents[safe: k] ?? nil
            var title = pane.title
            if k == focus, case .chart(let c)? = content, let label = ChartPicks.label(c, pick: pick, anchor: anchor, series: series, zone: glyphs.zone) {
                title += " › " + label
            }
            box(title, rect, into: &buf, glyphs: glyphs, focused: k == focus)
            let inner = rect.inset(1)
            guard inner.width > 0, inner.height > 0 else { continue }
            if pane.alarms {
                AlarmPanel.render(alarms, into: &buf, area: inner, glyphs: glyphs, pick: focus == k ? pick : nil, quiet: alarmQuiet)
                continue
            }
            if pane.sql == nil, let tail {
                tail(&buf, inner)
                continue
            }
            switch content {
            case .chart(let chart)?:
                // The focused time chart shows its picked bucket (or the range from the anchor).
                var picked: ClosedRange<Int>?
                if k == focus, series == nil, case .line = chart { picked = min(anchor ?? pick, pick)...max(anchor ?? pick, pick) }
                if k == focus, series == nil, case .bars = chart { picked = min(anchor ?? pick, pick)...max(anchor ?? pick, pick) }
                ChartView.render(chart, into: &buf, area: inner, glyphs: glyphs, highlight: picked)
                if k == focus, case .hbars(let bars, _) = chart, pick < min(bars.count, inner.height) {
                    for x in inner.x..<inner.maxX { buf[x, inner.y + pick].style.reverse = true }  // the picked bar
                }
                if k == focus, ChartPicks.row(chart, pick) != nil, pick + 1 < inner.height {
                    for x in inner.x..<inner.maxX { buf[x, inner.y + 1 + pick].style.reverse = true }  // the picked row, under the header
                }
            case .tail(let rows)?:
                var t = CellBuffer(width: inner.width, height: inner.height)
                TailView.render(rows, into: &t, top: 0, height: inner.height)
                blit(t, into: &buf, at: inner)
            case .failure(let why)?:
                buf.put(why, x: inner.x, y: inner.y, style: Style(.error), maxX: inner.maxX)
            case nil:
                buf.put("loading…", x: inner.x, y: inner.y, style: Style(.dim), maxX: inner.maxX, safe: true)
            }
        }
    }

    /// Copies a buffer into a rectangle of another.
    public static func blit(_ src: CellBuffer, into buf: inout CellBuffer, at r: Rect) {
        for y in 0..<min(src.height, r.height) { for x in 0..<min(src.width, r.width) { buf[r.x + x, r.y + y] = src[x, y] } }
    }

    /// A frame with the title in its top edge.
    public static func box(_ title: String, _ r: Rect, into buf: inout CellBuffer, glyphs: ChartGlyphs, focused: Bool = false) {
        guard r.width >= 2, r.height >= 2 else { return }
        let style = Style(focused ? .borderFocused : .border)
        let (h, v) = glyphs.ascii ? ("-", "|") : ("─", "│")
        let corners = glyphs.ascii ? ["+", "+", "+", "+"] : ["┌", "┐", "└", "┘"]
        for x in (r.x + 1)..<(r.maxX - 1) {
            buf.put(h, x: x, y: r.y, style: style, safe: true)
            buf.put(h, x: x, y: r.maxY - 1, style: style, safe: true)
        }
        for y in (r.y + 1)..<(r.maxY - 1) {
            buf.put(v, x: r.x, y: y, style: style, safe: true)
            buf.put(v, x: r.maxX - 1, y: y, style: style, safe: true)
        }
        buf.put(corners[0], x: r.x, y: r.y, style: style, safe: true)
        buf.put(corners[1], x: r.maxX - 1, y: r.y, style: style, safe: true)
        buf.put(corners[2], x: r.x, y: r.maxY - 1, style: style, safe: true)
        buf.put(corners[3], x: r.maxX - 1, y: r.maxY - 1, style: style, safe: true)
        if r.width > 4 { buf.put(" " + title + " ", x: r.x + 1, y: r.y, style: Style(.accent), maxX: r.maxX - 1) }
    }
}

/// What a pick in a chart is, and what Enter on it does.
public enum ChartPicks {
    public enum Drill: Sendable, Equatable {
        /// A filter for every pane: `status = 500`, `path = '/api/cart'`.
        case filter(String)
        /// A time range: the picked bucket.
        case time(from: Int64, to: Int64, label: String)
    }

    /// How many things can be picked.
    public static func count(_ chart: Chart) -> Int {
        switch chart {
        case .hbars(let bars, _), .proportion(let bars): bars.count
        case .line(let times, _, _, _), .bars(let times, _, _), .heatmap(let times, _, _): times.count
        case .table(let r): r.rows.count
        case .matrix(let rows, _, _, _): rows.count
        default: 0
        }
    }

    /// A table's (or pivot's) picked row: its first column's name and value.
    static func row(_ chart: Chart, _ pick: Int) -> (column: String?, value: String)? {
        switch chart {
        case .table(let r):
            guard let row = r.rows[safe: pick], let first = row.first, let name = r.columns.first else { return nil }
            return (name.allSatisfy { ($0.isLetter && !$0.isUppercase) || $0.isNumber || $0 == "_" } ? name : "\"\(name)\"", first == .null ? "NULL" : ChartView.cellText(first))
        case .matrix(let rows, _, _, _):
            return rows[safe: pick].map { (nil, $0) }
        default:
            return nil
        }
    }

    /// `field = 'label'` as a WHERE expression: NULL as IS NULL, numbers bare, text quoted.
    static func filter(_ field: String, _ label: String) -> String {
        if label == "NULL" { return "\(field) IS NULL" }
        if Double(label) != nil { return "\(field) = \(label)" }
        return "\(field) = '\(label.replacingOccurrences(of: "'", with: "''"))'"
    }

    /// The series of a time chart (its legend), or none.
    public static func seriesNames(_ chart: Chart) -> [String] {
        switch chart {
        case .line(_, let series, _, _), .bars(_, let series, _): series.map(\.name)
        case .heatmap(_, let rows, _): rows
        default: []
        }
    }

    static func isTimed(_ chart: Chart) -> Bool {
        switch chart {
        case .line, .bars, .heatmap: true
        default: false
        }
    }

    /// The picked bar's label, or the picked series, bucket or range of a time chart, for the
    /// pane's title.
    public static func label(_ chart: Chart, pick: Int, anchor: Int? = nil, series: Int? = nil, zone: ShownZone = .utc) -> String? {
        switch chart {
        case .hbars(let bars, _), .proportion(let bars):
            return bars[safe: pick].map(\.label)
        case .table, .matrix:
            return row(chart, pick)?.value
        case .line(let times, _, _, _), .bars(let times, _, _), .heatmap(let times, _, _):
            if let series, let name = seriesNames(chart)[safe: series] { return name }
            guard let t = times[safe: pick], let first = times.first, let last = times.last else { return nil }
            let span = max(last - first, 600_000_000_000)
            if let anchor, let a = times[safe: anchor] {
                return Ticks.timeLabel(min(a, t), span: span, zone: zone) + " … " + Ticks.timeLabel(max(a, t), span: span, zone: zone)
            }
            return Ticks.timeLabel(t, span: span, zone: zone)
        default:
            return nil
        }
    }

    /// The filter or time range Enter sets; nil when the pick names nothing (a bar of a pane
    /// that has no field). In a time chart: the picked series as a filter, else the buckets
    /// from `anchor` to `pick` (or the picked one) as the time range.
    public static func drill(_ chart: Chart, pick: Int, field: String?, anchor: Int? = nil, series: Int? = nil, zone: ShownZone = .utc) -> Drill? {
        func filter(_ label: String) -> Drill? { field.map { .filter(ChartPicks.filter($0, label)) } }
        switch chart {
        case .hbars(let bars, _), .proportion(let bars):
            return bars[safe: pick].flatMap { filter($0.label) }
        case .table, .matrix:
            // A table row: its first column's value, by the pane's field or that column's name.
            guard let (column, value) = row(chart, pick), let name = field ?? column else { return nil }
            return .filter(ChartPicks.filter(name, value))
        case .line(let times, _, _, _), .bars(let times, _, _), .heatmap(let times, _, _):
            if let series, let name = seriesNames(chart)[safe: series] { return filter(name) }
            guard let t = times[safe: pick] else { return nil }
            let width = times.count >= 2 ? (times[1] - times[0]) : 60_000_000_000
            let span = max((times.last ?? t) - (times.first ?? t), 600_000_000_000)
            let from = min(times[safe: anchor ?? pick] ?? t, t), to = max(times[safe: anchor ?? pick] ?? t, t) + width
            return .time(from: from, to: to, label: Ticks.timeLabel(from, span: span, zone: zone) + " … " + Ticks.timeLabel(to, span: span, zone: zone))
        default:
            return nil
        }
    }
}
