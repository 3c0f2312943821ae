import Foundation
import LogdashEngine

/// Draws a `Chart` into a rectangle of a cell buffer: a pure function of the chart, the
/// rectangle and the glyph set. Axes and legends are left out when the rectangle is too small
/// for them, never the data.
public enum ChartView {
    /// `highlight`: the x positions (buckets) of a time chart picked, shown in reverse video.
    public static func render(_ chart: Chart, into buf: inout CellBuffer, area: Rect, glyphs: ChartGlyphs = .unicode,
                              highlight: ClosedRange<Int>? = nil) {
        guard area.width > 0, area.height > 0 else { return }
        switch chart {
        case .line(let times, let series, let unit, let area2):
            xy(times: times, series: series, unit: unit, bars: false, fill: area2, into: &buf, area: area, glyphs: glyphs, highlight: highlight)
        case .bars(let times, let series, let unit):
            xy(times: times, series: series, unit: unit, bars: true, fill: false, into: &buf, area: area, glyphs: glyphs, highlight: highlight)
        case .hbars(let bars, let unit):
            horizontal(bars, unit: unit, into: &buf, area: area, glyphs: glyphs)
        case .kpi(let value, let previous, let history, let unit):
            kpi(value, previous, history, unit, into: &buf, area: area, glyphs: glyphs)
        case .proportion(let parts):
            proportion(parts, into: &buf, area: area, glyphs: glyphs)
        case .histogram(let values, let unit):
            histogram(values, unit: unit, into: &buf, area: area, glyphs: glyphs)
        case .heatmap(let times, let rows, let cells):
            heatmap(times: times, rows: rows, cells: cells, into: &buf, area: area, glyphs: glyphs)
        case .gauge(let value, let max, let unit):
            gauge(value, max: max, unit: unit, into: &buf, area: area, glyphs: glyphs)
        case .matrix(let rows, let columns, let cells, let heat):
            matrix(rows, columns, cells, heat: heat, into: &buf, area: area, glyphs: glyphs)
        case .table(let r):
            table(r, into: &buf, area: area)
        }
    }

    /// The value in large type, under it a bar filled to its share of the scale, and the scale.
    static func gauge(_ value: Double?, max: Double, unit: Ticks.Unit, into buf: inout CellBuffer, area: Rect, glyphs: ChartGlyphs) {
        let text = value.map { Ticks.label($0, unit: unit) } ?? "–"
        buf.put(text, x: area.x + Swift.max(0, (area.width - DisplayWidth.of(text)) / 2), y: area.y, style: Style(.accent, bold: true),
                maxX: area.maxX, safe: true)
        guard area.height >= 2, let v = value, max > 0 else { return }
        let share = Swift.min(1, Swift.max(0, v / max))
        let pct = " " + Ticks.label(share * 100, unit: .percent)
        let width = Swift.max(1, area.width - DisplayWidth.of(pct))
        let eighths = Int((share * Double(width * 8)).rounded())
        var x = area.x
        for _ in 0..<(eighths / 8) { x = buf.put(glyphs.full, x: x, y: area.y + 1, style: Style(.series1), safe: true) }
        if eighths % 8 > 0 { x = buf.put(glyphs.widening[eighths % 8 - 1], x: x, y: area.y + 1, style: Style(.series1), safe: true) }
        while x < area.x + width { x = buf.put(glyphs.ascii ? "." : "░", x: x, y: area.y + 1, style: Style(.dim), safe: true) }
        buf.put(pct, x: x, y: area.y + 1, style: Style(.dim), maxX: area.maxX, safe: true)
        if area.height >= 3 {
            let top = Ticks.label(max, unit: unit)
            buf.put("0", x: area.x, y: area.y + 2, style: Style(.dim), safe: true)
            buf.put(top, x: area.x + width - DisplayWidth.of(top), y: area.y + 2, style: Style(.dim), safe: true)
        }
    }

    /// Rows by one category, columns by another: numbers right-aligned under each column's
    /// name, or shades (darker is more) with the columns' names above.
    static func matrix(_ rows: [String], _ columns: [String], _ cells: [[Double?]], heat: Bool,
                       into buf: inout CellBuffer, area: Rect, glyphs: ChartGlyphs) {
        let labelWidth = Swift.min(rows.map { DisplayWidth.of(VisibleText.escape($0)) }.max() ?? 0, Swift.max(1, area.width / 3))
        let texts = cells.map { $0.map { $0.map { Ticks.label($0) } ?? "" } }
        let columnWidth = heat ? Swift.max(1, Swift.min(6, (area.width - labelWidth - 1) / Swift.max(1, columns.count)))
            : Swift.max(3, (columns.map { DisplayWidth.of(VisibleText.escape($0)) } + texts.flatMap { $0.map(DisplayWidth.of) }).max() ?? 3) + 1
        let top = Swift.max(cells.flatMap { $0.compactMap { $0 } }.max() ?? 0, .leastNonzeroMagnitude)
        for (j, name) in columns.enumerated() {
            let x = area.x + labelWidth + 1 + j * columnWidth
            guard x < area.maxX else { break }
            buf.put(name, x: x, y: area.y, style: Style(.accent, bold: !heat), maxX: Swift.min(area.maxX, x + columnWidth - (heat ? 0 : 1)))
        }
        for (i, name) in rows.enumerated() where i + 1 < area.height {
            let y = area.y + 1 + i
            buf.put(name, x: area.x, y: y, style: Style(.text), maxX: area.x + labelWidth)
            for j in columns.indices {
                let x = area.x + labelWidth + 1 + j * columnWidth
                guard x < area.maxX, let v = cells[safe: i]?[safe: j] ?? nil else { continue }
                if heat {
                    let level = v <= 0 ? 0 : Swift.max(1, Int((v / top * Double(glyphs.shades.count - 1)).rounded()))
                    for dx in 0..<columnWidth where x + dx < area.maxX {
                        buf.put(glyphs.shades[level], x: x + dx, y: y, style: Style(.series1), safe: true)
                    }
                } else {
                    let t = texts[i][j]
                    buf.put(t, x: x + columnWidth - 1 - DisplayWidth.of(t), y: y, style: Style(.text), maxX: area.maxX, safe: true)
                }
            }
        }
    }

    // MARK: lines and vertical bars

    /// The frame of an x–y chart: a legend on top (several series), y labels on the left, an
    /// axis and time labels at the bottom — each only when there is room.
    struct Frame {
        var plot: Rect
        var legendY: Int?
        var axis: Bool
        var labelWidth: Int
    }

    static func frame(_ area: Rect, legend: Bool, yLabels: [String]) -> Frame {
        let withAxes = area.height >= 5 && area.width >= 14
        let legendRow = legend && area.height >= 6
        let labelWidth = withAxes ? (yLabels.map(DisplayWidth.of).max() ?? 0) : 0
        let top = area.y + (legendRow ? 1 : 0)
        let plot = Rect(x: area.x + (withAxes ? labelWidth + 1 : 0), y: top,
                        width: area.width - (withAxes ? labelWidth + 1 : 0), height: area.maxY - top - (withAxes ? 2 : 0))
        return Frame(plot: plot, legendY: legendRow ? area.y : nil, axis: withAxes, labelWidth: labelWidth)
    }

    static func xy(times: [Int64], series: [Series], unit: Ticks.Unit, bars: Bool, fill: Bool,
                   into buf: inout CellBuffer, area: Rect, glyphs: ChartGlyphs, highlight: ClosedRange<Int>? = nil) {
        // The range: stacked totals for bars; bars and positive data from zero.
        let n = series.map(\.values.count).max() ?? 0
        var lo = Double.infinity, hi = -Double.infinity
        for i in 0..<n {
            if bars {
                let total = series.reduce(0.0) { $0 + max(0, $1.values[safe: i].flatMap { $0 } ?? 0) }
                hi = max(hi, total)
                lo = min(lo, 0)
            } else {
                for s in series { if let v = s.values[safe: i].flatMap({ $0 }) { lo = min(lo, v); hi = max(hi, v) } }
            }
        }
        if lo == .infinity { lo = 0; hi = 0 }
        if lo > 0 { lo = 0 }
        let rough = frame(area, legend: series.count > 1, yLabels: ["0000"])
        let scale = Ticks.nice(lo, hi, count: max(2, rough.plot.height / 2 + 1))
        let labels = scale.ticks.map { Ticks.label($0, unit: unit) }
        let f = frame(area, legend: series.count > 1, yLabels: labels)
        let plot = f.plot
        guard plot.width > 0, plot.height > 0 else { return }
        // Each series' colour by its name: a level's its own, others by a hash of the name.
        let roles = StyleRole.series(named: series.map(\.name))
        if let y = f.legendY { legend(series.map(\.name), roles: roles, into: &buf, x: area.x, y: y, maxX: area.maxX, glyphs: glyphs) }
        if f.axis {
            for (t, label) in zip(scale.ticks, labels) {
                let row = plot.maxY - 1 - Int(((t - scale.low) / (scale.high - scale.low) * Double(plot.height - 1)).rounded())
                buf.put(label, x: plot.x - 1 - DisplayWidth.of(label), y: row, style: Style(.dim), safe: true)
            }
            for y in plot.y..<plot.maxY { buf.put(glyphs.vertical, x: plot.x - 1, y: y, style: Style(.border), safe: true) }
            buf.put(glyphs.corner, x: plot.x - 1, y: plot.maxY, style: Style(.border), safe: true)
            for x in plot.x..<plot.maxX { buf.put(glyphs.horizontal, x: x, y: plot.maxY, style: Style(.border), safe: true) }
        }
        // The x positions drawn: the newest that fit.
        let shown = bars ? min(n, plot.width) : min(n, plot.width * (glyphs.ascii ? 1 : 2))
        let first = n - shown
        // Bars spread over the width, each up to the next (less a gap when three cells or more
        // wide); points spread from the first column to the last.
        func column(_ i: Int) -> Int {  // x position i (of `shown`) → column
            bars ? plot.x + i * plot.width / max(1, shown) : plot.x + (shown <= 1 ? 0 : i * (plot.width - 1) / (shown - 1))
        }
        if bars {
            for i in 0..<shown {
                let values = series.map { max(0, $0.values[safe: first + i].flatMap { $0 } ?? 0) }
                let total = values.reduce(0, +)
                let eighths = Int(((total - scale.low) / (scale.high - scale.low) * Double(plot.height * 8)).rounded())
                let span = column(i + 1) - column(i), barWidth = max(1, span - (span >= 3 ? 1 : 0))
                func put(_ glyph: String, _ style: Style, row r: Int) {
                    for dx in 0..<barWidth where column(i) + dx < plot.maxX { buf.put(glyph, x: column(i) + dx, y: plot.maxY - 1 - r, style: style, safe: true) }
                }
                if glyphs.fills {
                    // No colours: whole cells, each series' own fill.
                    let cells = stack(values, eighths: eighths)
                    for (r, k) in cells.enumerated() where r < plot.height {
                        let top = r == cells.count - 1 && eighths % 8 != 0 || eighths == 0 ? max(1, eighths % 8) : 8
                        put(top >= 8 ? glyphs.fill(k) : glyphs.rising[top - 1], Style(roles[k]), row: r)
                    }
                    continue
                }
                // Parts to the eighth of a cell: a cell where one part ends and the next begins
                // shows the lower in its colour and the upper as the background.
                let ends = stackEighths(values, eighths: max(eighths, total > 0 ? 1 : 0))
                let height = ends.last ?? 0
                for r in 0..<min(plot.height, (height + 7) / 8) {
                    let bottom = 8 * r
                    guard let a = ends.firstIndex(where: { $0 > bottom }) else { break }
                    let aTop = min(ends[a], bottom + 8)
                    if aTop == bottom + 8 { put(glyphs.full, Style(roles[a]), row: r); continue }
                    var style = Style(roles[a])
                    if let b = ends.indices.first(where: { $0 > a && ends[$0] > aTop }) { style.background = roles[b] }
                    put(glyphs.rising[aTop - bottom - 1], style, row: r)
                }
            }
        } else if glyphs.ascii {
            // One mark a cell: `*` at each value, `|` filling below for an area chart.
            for (k, s) in series.enumerated() {
                for i in 0..<shown {
                    guard let v = s.values[safe: first + i].flatMap({ $0 }) else { continue }
                    let r = Int(((v - scale.low) / (scale.high - scale.low) * Double(plot.height - 1)).rounded())
                    let y = plot.maxY - 1 - r
                    buf.put("*", x: column(i), y: y, style: Style(roles[k]), safe: true)
                    if fill { for yy in (y + 1)..<plot.maxY { buf.put("|", x: column(i), y: yy, style: Style(roles[k]), safe: true) } }
                }
            }
        } else {
            // Braille: 2×4 dots a cell; consecutive values joined by straight lines, gaps left open.
            var dots = [UInt8](repeating: 0, count: plot.width * plot.height)
            var owner = [Int](repeating: 0, count: plot.width * plot.height)
            let dotsWide = plot.width * 2, dotsHigh = plot.height * 4
            func dotX(_ i: Int) -> Int { shown <= 1 ? 0 : i * (dotsWide - 1) / (shown - 1) }
            func dotY(_ v: Double) -> Int { dotsHigh - 1 - Int(((v - scale.low) / (scale.high - scale.low) * Double(dotsHigh - 1)).rounded()) }
            func set(_ x: Int, _ y: Int, _ k: Int) {
                guard x >= 0, x < dotsWide, y >= 0, y < dotsHigh else { return }
                let bits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]
                let c = (y / 4) * plot.width + x / 2
                dots[c] |= bits[x % 2][y % 4]
                owner[c] = k
            }
            for (k, s) in series.enumerated() {
                var last: (Int, Int)?
                for i in 0..<shown {
                    guard let v = s.values[safe: first + i].flatMap({ $0 }) else { last = nil; continue }
                    let p = (dotX(i), dotY(v))
                    if let l = last {
                        // Bresenham between the two points.
                        var (x0, y0) = l
                        let dx = abs(p.0 - x0), dy = -abs(p.1 - y0), sx = x0 < p.0 ? 1 : -1, sy = y0 < p.1 ? 1 : -1
                        var err = dx + dy
                        while true {
                            set(x0, y0, k)
                            if x0 == p.0 && y0 == p.1 { break }
                            let e2 = 2 * err
                            if e2 >= dy { err += dy; x0 += sx }
                            if e2 <= dx { err += dx; y0 += sy }
                        }
                    } else {
                        set(p.0, p.1, k)
                    }
                    if fill { for y in (p.1 + 1)..<dotsHigh { set(p.0, y, k) } }
                    last = p
                }
            }
            for c in dots.indices where dots[c] != 0 {
                let ch = String(UnicodeScalar(0x2800 + UInt32(dots[c]))!)
                buf.put(ch, x: plot.x + c % plot.width, y: plot.y + c / plot.width, style: Style(roles[owner[c]]), safe: true)
            }
        }
        // The picked buckets, in reverse video down the plot (and their labels' row).
        if let highlight, shown > 0 {
            let picked = max(highlight.lowerBound - first, 0)...max(highlight.upperBound - first, 0)
            for i in picked where i < shown {
                let from = column(i), to = bars ? max(from + 1, column(i + 1) - (column(i + 1) - from >= 3 ? 1 : 0)) : from + 1
                for x in from..<min(to, plot.maxX) {
                    for y in plot.y..<plot.maxY { buf[x, y].style.reverse = true }
                }
            }
        }
        // Time labels under the axis, as many as fit without touching, each under the bucket of
        // its time: a tick no bucket starts at (a quiet hour has none) gets no label, unless no
        // tick has a bucket (then each goes under the first bucket after it).
        if f.axis, let t0 = times[safe: first], let t1 = times.last, shown > 0 {
            let span = t1 - t0
            let visible = times[first...]
            // Ticks at round wall-clock times of the zone shown.
            let z = glyphs.zone
            let ticks = Ticks.time(z.wall(t0), z.wall(t1), count: max(2, plot.width / 8)).map { z.instant(fromWall: $0) }
            let exact = ticks.contains { t in visible.contains(t) }
            var nextFree = plot.x
            for t in ticks {
                guard let found = exact ? visible.firstIndex(of: t) : visible.firstIndex(where: { $0 >= t }) else { continue }
                let i = found - first
                let label = Ticks.timeLabel(t, span: span, zone: glyphs.zone)
                let x = min(column(i), plot.maxX - DisplayWidth.of(label))
                guard x >= nextFree else { continue }
                nextFree = buf.put(label, x: x, y: plot.maxY + 1, style: Style(.dim), safe: true) + 1
            }
        }
    }

    /// The cells of a stacked bar, bottom up, as the index of the series each shows: `eighths`
    /// of height (the top cell partly filled) shared out by the values' sizes (largest
    /// remainder), every non-zero value one cell at least when there are cells enough (else the
    /// biggest values, one each) — so no part of the total vanishes by rounding.
    static func stack(_ values: [Double], eighths: Int) -> [Int] {
        let total = values.reduce(0, +)
        guard total > 0 else { return [] }
        let count = max(1, (eighths + 7) / 8)
        let present = values.indices.filter { values[$0] > 0 }
        var cells = [Int](repeating: 0, count: values.count)
        if count <= present.count {
            for k in present.sorted(by: { values[$0] > values[$1] }).prefix(count) { cells[k] = 1 }
        } else {
            let exact = values.map { $0 / total * Double(count) }
            for k in present { cells[k] = max(1, Int(exact[k])) }
            var sum = cells.reduce(0, +)
            while sum > count, let k = present.filter({ cells[$0] > 1 }).max(by: { Double(cells[$0]) - exact[$0] < Double(cells[$1]) - exact[$1] }) {
                cells[k] -= 1
                sum -= 1
            }
            for k in present.sorted(by: { exact[$0] - Double(cells[$0]) > exact[$1] - Double(cells[$1]) }).prefix(max(0, count - sum)) { cells[k] += 1 }
        }
        return cells.enumerated().flatMap { k, n in [Int](repeating: k, count: n) }
    }

    /// Where each part of a stacked bar `eighths` high ends, in eighths of a cell from the
    /// bottom: shared by the values' sizes (largest remainder), every non-zero value one eighth
    /// at least — the bar as tall as its total, no part lost by rounding.
    static func stackEighths(_ values: [Double], eighths: Int) -> [Int] {
        let total = values.reduce(0, +)
        guard total > 0, eighths > 0 else { return values.map { _ in 0 } }
        let exact = values.map { $0 / total * Double(eighths) }
        var parts = exact.map { Int($0) }
        for k in values.indices where values[k] > 0 && parts[k] == 0 { parts[k] = 1 }
        var sum = parts.reduce(0, +)
        while sum > eighths, let k = parts.indices.filter({ parts[$0] > 1 }).max(by: { Double(parts[$0]) - exact[$0] < Double(parts[$1]) - exact[$1] }) {
            parts[k] -= 1
            sum -= 1
        }
        for k in values.indices.filter({ values[$0] > 0 }).sorted(by: { exact[$0] - Double(parts[$0]) > exact[$1] - Double(parts[$1]) }).prefix(max(0, eighths - sum)) {
            parts[k] += 1
        }
        var run = 0
        return parts.map { run += $0; return run }
    }

    static func legend(_ names: [String], roles: [StyleRole]? = nil, into buf: inout CellBuffer, x: Int, y: Int, maxX: Int, glyphs: ChartGlyphs) {
        let roles = roles ?? StyleRole.series(named: names)
        var col = x
        for (k, name) in names.enumerated() {
            guard col < maxX else { break }
            col = buf.put(glyphs.mark(k), x: col, y: y, style: Style(roles[k]), maxX: maxX, safe: true)
            col = buf.put(" " + name + "  ", x: col, y: y, style: Style(.text), maxX: maxX)
        }
    }

    // MARK: horizontal bars, shares, KPIs

    static func horizontal(_ bars: [Bar], unit: Ticks.Unit, into buf: inout CellBuffer, area: Rect, glyphs: ChartGlyphs) {
        let rows = bars.prefix(area.height)
        let values = rows.map { Ticks.label($0.value, unit: unit) }
        let valueWidth = values.map(DisplayWidth.of).max() ?? 0
        // The labels get the room they need, the bars what is left (a few cells at least); labels
        // still too long lose their common start, then their middle, never their ends.
        let needed = rows.map { DisplayWidth.of(VisibleText.escape($0.label)) }.max() ?? 0
        let fits = max(1, min(needed, area.width - valueWidth - 2 - min(10, area.width / 4)))
        let labels = shortened(rows.map(\.label), width: fits, ascii: glyphs.ascii)
        let labelWidth = min(fits, labels.map(DisplayWidth.of).max() ?? 0)
        let room = area.width - labelWidth - valueWidth - 2
        let top = max(rows.map(\.value).max() ?? 0, .leastNonzeroMagnitude)
        for (k, bar) in rows.enumerated() {
            let y = area.y + k
            buf.put(labels[k], x: area.x, y: y, style: Style(.text), maxX: area.x + labelWidth, safe: true)
            var x = area.x + labelWidth + 1
            // A level's bar in its level's colour; others in the first series colour.
            let role = bar.label.count >= 3 ? Level(bar.label).map { StyleRole.level($0) } ?? .series1 : .series1
            if room > 0 {
                let eighths = Int((max(0, bar.value) / top * Double(room * 8)).rounded())
                for _ in 0..<(eighths / 8) { x = buf.put(glyphs.full, x: x, y: y, style: Style(role), safe: true) }
                if eighths % 8 > 0 { x = buf.put(glyphs.widening[eighths % 8 - 1], x: x, y: y, style: Style(role), safe: true) }
                if eighths == 0 && bar.value > 0 { x = buf.put(glyphs.widening[0], x: x, y: y, style: Style(role), safe: true) }
            }
            buf.put(" " + values[k], x: x, y: y, style: Style(.dim), maxX: area.maxX, safe: true)
        }
    }

    /// Labels fitted to `width` columns, kept apart: shown terminal-safe; when some are too long,
    /// the start they all share (up to a `/`, `.`, `:`, `-`, `_` or space) becomes `…`, then
    /// what is still too long loses its middle (`/api/pay…/charge`), the end kept longer than
    /// the start (where paths and names differ).
    static func shortened(_ labels: [String], width: Int, ascii: Bool = false) -> [String] {
        var out = labels.map { VisibleText.escape($0) }
        guard width > 0, out.contains(where: { DisplayWidth.of($0) > width }) else { return out }
        let ellipsis = ascii ? "~" : "…"
        if out.count > 1 {
            var shared = out.dropFirst().reduce(Array(out[0])) { common, s in Array(zip(common, s).prefix { $0 == $1 }.map(\.0)) }
            while let last = shared.last, !"/.:-_ ".contains(last) { shared.removeLast() }
            if shared.count >= 2 { out = out.map { ellipsis + String($0.dropFirst(shared.count)) } }
        }
        return out.map { s in
            guard DisplayWidth.of(s) > width, width >= 3 else { return s }
            let chars = Array(s)
            // Its start already gone (the shared part): keep its end only, one ellipsis.
            var head = s.hasPrefix(ellipsis) ? 1 : (width - 1) / 3, tail = width - 1 - (s.hasPrefix(ellipsis) ? 0 : head)
            if s.hasPrefix(ellipsis) {
                while tail > 0, DisplayWidth.of(ellipsis + String(chars.suffix(tail))) > width { tail -= 1 }
                return ellipsis + String(chars.suffix(tail))
            }
            // (Wide characters: fewer of them fit.)
            while head + tail > 0, DisplayWidth.of(String(chars.prefix(head)) + ellipsis + String(chars.suffix(tail))) > width {
                if tail > head { tail -= 1 } else { head -= 1 }
            }
            return String(chars.prefix(head)) + ellipsis + String(chars.suffix(tail))
        }
    }

    static func proportion(_ parts: [Bar], into buf: inout CellBuffer, area: Rect, glyphs: ChartGlyphs) {
        let total = parts.reduce(0) { $0 + max(0, $1.value) }
        guard total > 0 else { buf.put("no data", x: area.x, y: area.y, style: Style(.dim), maxX: area.maxX, safe: true); return }
        // Cells per part by largest remainder, so the bar is exactly the width.
        let exact = parts.map { max(0, $0.value) / total * Double(area.width) }
        var cells = exact.map { Int($0) }
        let order = exact.indices.sorted { exact[$0] - Double(cells[$0]) > exact[$1] - Double(cells[$1]) }
        for i in order.prefix(area.width - cells.reduce(0, +)) { cells[i] += 1 }
        let roles = StyleRole.series(named: parts.map(\.label))
        var x = area.x
        for (k, n) in cells.enumerated() {
            for _ in 0..<n { x = buf.put(glyphs.fill(k), x: x, y: area.y, style: Style(roles[k]), safe: true) }
        }
        for (k, p) in parts.enumerated() where k + 1 < area.height {
            let pct = Ticks.label(max(0, p.value) / total * 100, unit: .percent)
            var col = buf.put(glyphs.mark(k), x: area.x, y: area.y + 1 + k, style: Style(roles[k]), safe: true)
            col = buf.put(" " + pct + " ", x: col, y: area.y + 1 + k, style: Style(.dim), maxX: area.maxX, safe: true)
            buf.put(p.label, x: col, y: area.y + 1 + k, style: Style(.text), maxX: area.maxX)
        }
    }

    static func kpi(_ value: Double?, _ previous: Double?, _ history: [Double?], _ unit: Ticks.Unit,
                    into buf: inout CellBuffer, area: Rect, glyphs: ChartGlyphs) {
        let big = value.map { Ticks.label($0, unit: unit) } ?? "–"
        buf.put(big, x: area.x + max(0, (area.width - DisplayWidth.of(big)) / 2), y: area.y, style: Style(.accent, bold: true), maxX: area.maxX, safe: true)
        var next = area.y + 1
        if let v = value, let p = previous, area.height >= 2 {
            let change: String
            let role: StyleRole
            if p == 0 || abs(v - p) < abs(p) * 0.005 {
                change = v == p ? "= previous" : (p == 0 ? "new" : "≈ previous")
                role = .dim
            } else {
                let pct = (v - p) / abs(p) * 100
                change = (pct >= 0 ? glyphs.up : glyphs.down) + " " + Ticks.label(abs(pct), unit: .percent) + " vs previous"
                role = .dim  // whether up is good depends on the measure
            }
            buf.put(change, x: area.x + max(0, (area.width - DisplayWidth.of(change)) / 2), y: next, style: Style(role), maxX: area.maxX, safe: true)
            next += 1
        }
        if next < area.maxY, !history.isEmpty {
            sparkline(history, into: &buf, x: area.x, y: area.maxY - 1, width: area.width, glyphs: glyphs)
        }
    }

    /// One row of rising blocks, the newest values that fit, scaled from zero (or the lowest
    /// value when some are negative).
    /// `scaleWith`: a value the scale must reach too (an alarm's threshold, so that bars read
    /// against it); `roleOf`: each value's role (breaching ones in the alarm's colour).
    public static func sparkline(_ values: [Double?], into buf: inout CellBuffer, x: Int, y: Int, width: Int, glyphs: ChartGlyphs,
                                 role: StyleRole = .series1, scaleWith: Double? = nil, roleOf: ((Double) -> StyleRole)? = nil) {
        let shown = values.suffix(width)
        let present = shown.compactMap { $0 } + (scaleWith.map { [$0] } ?? [])
        guard let hi = present.max(), let lo0 = present.min() else { return }
        let lo = min(0, lo0)
        for (i, v) in shown.enumerated() {
            guard let v else { continue }
            let level = hi == lo ? (v == 0 ? 0 : 7) : Int(((v - lo) / (hi - lo) * 7).rounded())
            buf.put(glyphs.rising[max(0, min(7, level))], x: x + i, y: y, style: Style(roleOf?(v) ?? role), safe: true)
        }
    }

    // MARK: histograms, heat maps, tables

    static func histogram(_ values: [Double], unit: Ticks.Unit, into buf: inout CellBuffer, area: Rect, glyphs: ChartGlyphs) {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else {
            buf.put("no data", x: area.x, y: area.y, style: Style(.dim), maxX: area.maxX, safe: true)
            return
        }
        let scale = Ticks.nice(lo, hi == lo ? lo + 1 : hi, count: max(2, min(30, area.width / 3)))
        let bins = max(1, Int(((scale.high - scale.low) / scale.step).rounded()))
        var counts = [Double](repeating: 0, count: bins)
        for v in finite { counts[min(bins - 1, max(0, Int((v - scale.low) / scale.step)))] += 1 }
        // Drawn as bars over the bins, each labelled with its lower edge.
        let plotHeight = max(1, area.height - 1)
        let top = max(counts.max() ?? 1, 1)
        let width = max(1, area.width / bins)
        for (i, c) in counts.enumerated() {
            let eighths = Int((c / top * Double(plotHeight * 8)).rounded())
            for r in 0..<plotHeight {
                let t = min(eighths, 8 * r + 8) - 8 * r
                guard t > 0 else { break }
                for dx in 0..<max(1, width - 1) where area.x + i * width + dx < area.maxX {
                    buf.put(t >= 8 ? glyphs.full : glyphs.rising[t - 1], x: area.x + i * width + dx, y: area.y + plotHeight - 1 - r,
                            style: Style(.series1), safe: true)
                }
            }
        }
        var nextFree = area.x
        for i in 0..<bins {
            let x = area.x + i * width
            guard x >= nextFree, area.height >= 2 else { continue }
            nextFree = buf.put(Ticks.label(scale.low + Double(i) * scale.step, unit: unit), x: x, y: area.maxY - 1, style: Style(.dim),
                               maxX: area.maxX, safe: true) + 1
        }
    }

    static func heatmap(times: [Int64], rows: [String], cells: [[Double]], into buf: inout CellBuffer, area: Rect, glyphs: ChartGlyphs) {
        let labelWidth = min(rows.map { DisplayWidth.of(VisibleText.escape($0)) }.max() ?? 0, max(1, area.width / 4))
        let plotWidth = area.width - labelWidth - 1
        let top = max(cells.flatMap { $0 }.max() ?? 0, .leastNonzeroMagnitude)
        let hasTimeRow = area.height > rows.count && times.count > 1
        let roles = StyleRole.series(named: rows)
        for (r, name) in rows.prefix(area.height - (hasTimeRow ? 1 : 0)).enumerated() {
            buf.put(name, x: area.x, y: area.y + r, style: Style(.text), maxX: area.x + labelWidth)
            let row = Array((cells[safe: r] ?? []).suffix(max(0, plotWidth)))
            for (i, v) in row.enumerated() {
                let level = v <= 0 ? 0 : max(1, Int((v / top * Double(glyphs.shades.count - 1)).rounded()))
                // Each time spread over its share of the width.
                for x in (i * plotWidth / row.count)..<((i + 1) * plotWidth / row.count) {
                    buf.put(glyphs.shades[level], x: area.x + labelWidth + 1 + x, y: area.y + r, style: Style(roles[r]), safe: true)
                }
            }
        }
        if hasTimeRow, let t0 = times.suffix(max(1, plotWidth)).first, let t1 = times.last {
            let y = area.y + min(rows.count, area.height - 1)
            buf.put(Ticks.timeLabel(t0, span: t1 - t0, zone: glyphs.zone), x: area.x + labelWidth + 1, y: y, style: Style(.dim), maxX: area.maxX, safe: true)
            let end = Ticks.timeLabel(t1, span: t1 - t0, zone: glyphs.zone)
            buf.put(end, x: area.maxX - DisplayWidth.of(end), y: y, style: Style(.dim), safe: true)
        }
    }

    static func table(_ r: ResultSet, into buf: inout CellBuffer, area: Rect) {
        if r.rows.isEmpty {
            // Empty is not an error: said plainly where the chart would be.
            let text = "no records in this range"
            buf.put(text, x: area.x + max(0, (area.width - DisplayWidth.of(text)) / 2), y: area.y + max(0, (area.height - 1) / 2),
                    style: Style(.dim), maxX: area.maxX, safe: true)
            return
        }
        let cells = r.rows.prefix(max(0, area.height - 1)).map { $0.map(cellText) }
        var widths = r.columns.map { DisplayWidth.of(VisibleText.escape($0)) }
        for row in cells { for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], DisplayWidth.of(VisibleText.escape(c))) } }
        var x = area.x
        for (i, name) in r.columns.enumerated() {
            guard x < area.maxX else { break }
            buf.put(name, x: x, y: area.y, style: Style(.accent, bold: true), maxX: area.maxX)
            for (k, row) in cells.enumerated() {
                let v = r.rows[k][i]
                let text = row[i]
                let numeric: Bool = { if case .int = v { return true }; if case .double = v { return true }; return false }()
                let pad = numeric ? widths[i] - DisplayWidth.of(text) : 0
                buf.put(text, x: x + pad, y: area.y + 1 + k, style: Style(v == .null ? .dim : .text), maxX: min(area.maxX, x + widths[i]))
            }
            x += widths[i] + 2
        }
    }

    static func cellText(_ v: Value) -> String {
        switch v {
        case .null: "NULL"
        case .timestamp(let ns): Timestamp.iso8601(ns)
        case .double(let d): Value.format(d)
        default: v.description
        }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
