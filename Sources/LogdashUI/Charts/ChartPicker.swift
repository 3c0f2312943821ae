import LogdashEngine

/// From the shape of a query's result to a chart, as a BI tool would pick it:
///
/// | result | chart |
/// |---|---|
/// | one row, one number | KPI |
/// | a time, numbers | lines, one per number column |
/// | a time, a category, a number | stacked bars over time (the top seven categories, then "other") |
/// | a category (or a number), a number | horizontal bars (top-N; up to 100 rows) |
/// | one number column, many rows | histogram |
/// | anything else | table |
///
/// `kind` asks for another chart of the same data (`line`, `area`, `bars`, `heatmap`,
/// `hbars`, `proportion`, `kpi`, `histogram`, `table`); one the data cannot make is an error.
public enum ChartPicker {
    public static let kinds = ["line", "area", "bars", "heatmap", "hbars", "proportion", "kpi", "gauge", "histogram", "pivot", "table"]

    public struct Mismatch: Error, CustomStringConvertible {
        public let description: String
    }

    enum Shape {
        case kpi(Double?)
        case timeSeries(times: [Int64], series: [Series])
        case timeByCategory(times: [Int64], series: [Series])
        case categories([Bar])
        case matrix(rows: [String], columns: [String], cells: [[Double?]])
        case numbers([Double])
        case other
    }

    /// `value`: the number column to plot (a result's column index) when there are several; nil
    /// takes the last one (every one, over time).
    public static func chart(for r: ResultSet, kind: String? = nil, value: Int? = nil) throws -> Chart {
        // A value and its target (QuickSight's gauge): the target is the full scale.
        if kind == "gauge", r.rows.count == 1, r.columns.count == 2, let v = number(r.rows[0][0]), let target = number(r.rows[0][1]), target > 0 {
            return .gauge(value: v, max: target, unit: Ticks.Unit.guess(r.columns[0]))
        }
        // No rows: nothing to chart, and nothing wrong (the table says so plainly).
        if r.rows.isEmpty { return .table(r) }
        let shape = shape(of: r, value: value)
        let unit = Ticks.Unit.guess(value.flatMap { r.columns[safe: $0] } ?? r.columns.last ?? "")
        func mismatch() -> Mismatch {
            Mismatch(description: "a \(kind ?? "") chart needs \(needs[kind ?? ""] ?? "other data"); this result has columns \(r.columns.joined(separator: ", "))")
        }
        switch (shape, kind) {
        case (_, "table"?): return .table(r)
        case (.kpi(let v), nil), (.kpi(let v), "kpi"?):
            return .kpi(value: v, previous: nil, history: [], unit: unit)
        case (.kpi(let v), "gauge"?):
            // The scale: 100 for a percentage, else the next 1-2-5 step above the value.
            let max = unit == .percent ? 100 : Ticks.nice(0, Swift.max(v ?? 0, 1), count: 2).high
            return .gauge(value: v, max: max, unit: unit)
        case (.matrix(let rows, let columns, let cells), nil), (.matrix(let rows, let columns, let cells), "pivot"?):
            return .matrix(rows: rows, columns: columns, cells: cells, heat: false)
        case (.matrix(let rows, let columns, let cells), "heatmap"?):
            return .matrix(rows: rows, columns: columns, cells: cells, heat: true)
        case (.timeSeries(let t, let s), nil), (.timeSeries(let t, let s), "line"?):
            return .line(times: t, series: s, unit: unit, area: false)
        case (.timeSeries(let t, let s), "area"?), (.timeByCategory(let t, let s), "area"?):
            return .line(times: t, series: s, unit: unit, area: true)
        case (.timeByCategory(let t, let s), nil):
            // Stacked bars add the categories up: right for counts and sums, not for an average,
            // a maximum or a percentile — those are a line per category.
            let measure = columns(of: r, value: value).value.map { r.columns[$0] } ?? ""
            return additive(measure) ? .bars(times: t, series: s, unit: unit) : .line(times: t, series: s, unit: unit, area: false)
        case (.timeSeries(let t, let s), "bars"?), (.timeByCategory(let t, let s), "bars"?):
            return .bars(times: t, series: s, unit: unit)
        case (.timeByCategory(let t, let s), "line"?):
            return .line(times: t, series: s, unit: unit, area: false)
        case (.timeByCategory(let t, let s), "heatmap"?), (.timeSeries(let t, let s), "heatmap"?):
            return .heatmap(times: t, rows: s.map(\.name), cells: s.map { $0.values.map { $0 ?? 0 } })
        case (.timeSeries(_, let s), "kpi"?) where s.count == 1:
            // The latest period against the one before it, the rest as the sparkline (a period
            // with no rows counted no records: 0, for what adds up).
            let v = additive(s[0].name) ? s[0].values.map { $0 ?? 0 } : s[0].values
            return .kpi(value: v.last ?? nil, previous: v.count >= 2 ? v[v.count - 2] : nil, history: v, unit: unit)
        case (.categories(let bars), nil), (.categories(let bars), "hbars"?):
            return .hbars(bars, unit: unit)
        case (.categories(let bars), "proportion"?):
            return .proportion(bars)
        case (.numbers(let values), nil), (.numbers(let values), "histogram"?):
            return .histogram(values: values, unit: unit)
        case (.other, nil):
            return .table(r)
        default:
            if let kind, !kinds.contains(kind) {
                throw Mismatch(description: "no chart type '\(kind)'; the types are \(kinds.joined(separator: ", "))")
            }
            throw mismatch()
        }
    }

    /// Whether values of a column of this name add up across categories (a count, a sum, bytes)
    /// rather than being an average, an extreme, a percentile or a rate.
    static func additive(_ name: String) -> Bool {
        let n = name.lowercased()
        if n.range(of: #"(^|_)p\d{2,3}($|_)"#, options: .regularExpression) != nil { return false }
        return !["avg", "mean", "max", "min", "median", "percentile", "rate", "pct", "ratio", "stddev"].contains { n.contains($0) }
    }

    static let needs = [
        "line": "a time column and number columns", "area": "a time column and number columns", "bars": "a time column and numbers",
        "heatmap": "a time, a category and a number", "hbars": "a category column and a number column",
        "proportion": "a category column and a number column", "kpi": "one number (or a time and one number)",
        "histogram": "one column of numbers", "gauge": "one number (and, beside it, its target)", "pivot": "two categories and a number",
    ]

    static func number(_ v: Value) -> Double? {
        switch v {
        case .int(let i): Double(i)
        case .double(let d): d.isNaN ? nil : d
        default: nil
        }
    }

    /// What a chart of `r` plots, in words, for its caption: `n by level over t`,
    /// `p50, p95 over t`, `count by status`; nil for a table.
    public static func caption(for r: ResultSet, value: Int? = nil) -> String? {
        let c = columns(of: r, value: value)
        switch shape(of: r, value: value) {
        case .kpi: return r.columns.first
        case .timeSeries(_, let series): return series.map(\.name).joined(separator: ", ") + (c.time.map { " over " + r.columns[$0] } ?? "")
        case .timeByCategory: return [c.value, c.category, c.time].contains(nil) ? nil
            : "\(r.columns[c.value!]) by \(r.columns[c.category!]) over \(r.columns[c.time!])"
        case .categories: return c.value.map { r.columns[$0] + " by " + r.columns[c.category ?? 0] }
        case .matrix: return r.columns.count == 3 ? "\(r.columns[2]) by \(r.columns[0]) and \(r.columns[1])" : nil
        case .numbers: return "how \(r.columns[0]) is spread"
        case .other: return nil
        }
    }

    /// The number columns a chart of `r` could plot.
    public static func numberColumns(of r: ResultSet) -> [Int] { columns(of: r, value: nil).numbers }

    /// Which of `r`'s columns is the time, the category and the value plotted.
    static func columns(of r: ResultSet, value: Int?) -> (time: Int?, category: Int?, value: Int?, numbers: [Int]) {
        let n = r.columns.count
        func all(_ i: Int, _ test: (Value) -> Bool) -> Bool { r.rows.allSatisfy { $0[i] == .null || test($0[i]) } }
        let isTime = (0..<n).map { i in all(i) { if case .timestamp = $0.asInstant { true } else { false } } && r.rows.contains { $0[i] != .null } }
        let isNumber = (0..<n).map { i in all(i) { number($0) != nil } && r.rows.contains { $0[i] != .null } }
        let numbers = (0..<n).filter { isNumber[$0] }
        let text = (0..<n).filter { !isTime[$0] && !isNumber[$0] }
        let picked = value.flatMap { numbers.contains($0) ? $0 : nil } ?? numbers.last
        return (isTime.firstIndex(of: true), text.first ?? (numbers.count > 1 ? numbers.first : nil), picked, numbers)
    }

    static func shape(of r: ResultSet, value: Int? = nil) -> Shape {
        guard !r.rows.isEmpty else { return .other }
        let n = r.columns.count
        func all(_ i: Int, _ test: (Value) -> Bool) -> Bool { r.rows.allSatisfy { $0[i] == .null || test($0[i]) } }
        let isTime = (0..<n).map { i in all(i) { if case .timestamp = $0.asInstant { true } else { false } } && r.rows.contains { $0[i] != .null } }
        let isNumber = (0..<n).map { i in all(i) { number($0) != nil } && r.rows.contains { $0[i] != .null } }
        let isText = (0..<n).map { i in !isTime[i] && !isNumber[i] }
        if r.rows.count == 1 && n == 1 && isNumber[0] { return .kpi(number(r.rows[0][0])) }
        let timeCol = isTime.firstIndex(of: true)
        let allNumbers = (0..<n).filter { isNumber[$0] }
        // A value column picked (`←` `→` over a chart): it alone is plotted.
        let numberCols = value.flatMap { allNumbers.contains($0) ? [$0] : nil } ?? allNumbers
        let textCols = (0..<n).filter { isText[$0] }
        if let t = timeCol, !numberCols.isEmpty, textCols.isEmpty {
            let rows = r.rows.filter { $0[t] != .null }.sorted { time($0[t]) < time($1[t]) }
            let (times, series) = withGaps(rows.map { time($0[t]) }, numberCols.map { c in Series(name: r.columns[c], values: rows.map { number($0[c]) }) })
            return .timeSeries(times: times, series: series)
        }
        if let t = timeCol, let cat = textCols.first, textCols.count == 1, let m = numberCols.last {
            let times = Array(Set(r.rows.compactMap { $0[t] == .null ? nil : time($0[t]) })).sorted()
            let index = Dictionary(uniqueKeysWithValues: times.enumerated().map { ($1, $0) })
            var byCategory: [String: [Double?]] = [:]
            var totals: [String: Double] = [:]
            for row in r.rows where row[t] != .null {
                let name = row[cat] == .null ? "NULL" : ChartView.cellText(row[cat])
                var values = byCategory[name] ?? Array(repeating: nil, count: times.count)
                let v = number(row[m]) ?? 0
                values[index[time(row[t])]!] = (values[index[time(row[t])]!] ?? 0) + v
                byCategory[name] = values
                totals[name, default: 0] += v
            }
            let ranked = totals.keys.sorted { totals[$0]! != totals[$1]! ? totals[$0]! > totals[$1]! : $0 < $1 }
            var series = ranked.prefix(ranked.count > 8 ? 7 : 8).map { Series(name: $0, values: byCategory[$0]!) }
            if ranked.count > 8 {
                let rest = ranked.dropFirst(7)
                series.append(Series(name: "other", values: times.indices.map { i in rest.reduce(0.0) { $0 + (byCategory[$1]![i] ?? 0) } }))
            }
            let (gapped, withEmpty) = withGaps(times, series)
            return .timeByCategory(times: gapped, series: withEmpty)
        }
        // Two categories and a number: a matrix, in the order the rows and columns first appear.
        // (Two keys: both text, or a text and a number with the first column's values repeating,
        // as GROUP BY host, status gives — not a name with two measures.)
        let firstRepeats = Set(r.rows.map { $0[0] }).count < r.rows.count
        if timeCol == nil, n == 3, isNumber[2], (isText[0] && isText[1]) || ((isText[0] || isText[1]) && firstRepeats) {
            var rows: [String] = [], columns: [String] = []
            var at: [String: [String: Double]] = [:]
            for row in r.rows {
                let a = row[0] == .null ? "NULL" : ChartView.cellText(row[0]), b = row[1] == .null ? "NULL" : ChartView.cellText(row[1])
                if at[a] == nil { rows.append(a) }
                if !columns.contains(b) { columns.append(b) }
                at[a, default: [:]][b, default: 0] += number(row[2]) ?? 0
            }
            return .matrix(rows: rows, columns: columns, cells: rows.map { a in columns.map { at[a]?[$0] } })
        }
        if timeCol == nil, let cat = textCols.first, let m = numberCols.last, n == 2 || textCols.count == 1 {
            return .categories(r.rows.map { Bar($0[cat] == .null ? "NULL" : ChartView.cellText($0[cat]), number($0[m]) ?? 0) })
        }
        // Two number columns: the first names the bars (GROUP BY status).
        if timeCol == nil, n == 2, isNumber[1], r.rows.count <= 100 {
            return .categories(r.rows.map { Bar($0[0] == .null ? "NULL" : ChartView.cellText($0[0]), number($0[1]) ?? 0) })
        }
        if n == 1 && isNumber[0] { return .numbers(r.rows.compactMap { number($0[0]) }) }
        return .other
    }

    static func time(_ v: Value) -> Int64 { if case .timestamp(let t) = v.asInstant { t } else { 0 } }

    /// Times at a regular step (a time bucket) with some missing — the periods the result has no
    /// rows for — filled in with no value, so that a line breaks and bars leave a space there
    /// rather than joining across them. Times off the step (not buckets) are left as they are.
    static func withGaps(_ times: [Int64], _ series: [Series]) -> ([Int64], [Series]) {
        guard times.count >= 3 else { return (times, series) }
        // The step: what every gap is a multiple of (the bucket), when it is one.
        func gcd(_ a: Int64, _ b: Int64) -> Int64 { b == 0 ? a : gcd(b, a % b) }
        let step = zip(times, times.dropFirst()).reduce(Int64(0)) { g, pair in pair.1 > pair.0 ? gcd(pair.1 - pair.0, g) : g }
        guard step >= 1_000_000_000, step % 1_000_000_000 == 0, times.allSatisfy({ $0 % step == 0 }) else { return (times, series) }
        let slots = Int((times[times.count - 1] - times[0]) / step) + 1
        guard slots > times.count, slots <= max(2000, times.count * 4) else { return (times, series) }
        let grid = (0..<slots).map { times[0] + Int64($0) * step }
        let at = Dictionary(times.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        return (grid, series.map { s in Series(name: s.name, values: grid.map { t in at[t].flatMap { s.values[$0] } }) })
    }
}
