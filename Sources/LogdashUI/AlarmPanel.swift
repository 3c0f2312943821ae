import Foundation
import LogdashEngine

/// The alarm panel: every alarm, most urgent first — its state in the theme's alarm colour, the
/// latest value against the threshold, a sparkline of the last periods, how long it has been
/// in that state, and the reason of its last change.
public enum AlarmPanel {
    static func order(_ s: AlarmState) -> Int {
        switch s {
        case .alarm: 0
        case .insufficientData: 1
        case .ok: 2
        }
    }

    /// The alarms in the panel's order: those that cannot run, then the most urgent first,
    /// then as defined.
    public static func sorted(_ statuses: [AlarmReplay.Status]) -> [AlarmReplay.Status] {
        func rank(_ s: AlarmReplay.Status) -> Int { s.problem != nil ? -1 : order(s.state) }
        return statuses.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
    }

    /// `pick`: the alarm picked (the panel has the focus); `quiet`: what muted or acknowledged
    /// alarms show instead of their age (`muted 45m`, `acknowledged`).
    public static func render(_ statuses: [AlarmReplay.Status], into buf: inout CellBuffer, area: Rect, glyphs: ChartGlyphs,
                              pick: Int? = nil, quiet: [String: String] = [:]) {
        guard area.width > 0, area.height > 0 else { return }
        if statuses.isEmpty {
            buf.put("no alarms (--alarms FILE)", x: area.x, y: area.y, style: Style(.dim), maxX: area.maxX, safe: true)
            return
        }
        let sorted = sorted(statuses)
        let nameWidth = min(max(8, sorted.map { DisplayWidth.of($0.name) }.max() ?? 0), max(8, area.width * 2 / 5))  // room for name[group]
        let twoLines = area.height >= sorted.count * 2
        var y = area.y
        for (k, a) in sorted.enumerated() where y < area.maxY {
            if let problem = a.problem {
                // An alarm that cannot run: ERROR and why, in full on its own line when there is room.
                var x = buf.put(glyphs.ascii ? "!" : "✖", x: area.x, y: y, style: Style(.error), safe: true) + 1
                buf.put(a.name, x: x, y: y, style: Style(.text, bold: true, reverse: pick == k), maxX: x + nameWidth)
                x += nameWidth + 1
                x = buf.put("ERROR", x: x, y: y, style: Style(.error, bold: true), maxX: area.maxX, safe: true) + 2
                if !twoLines { buf.put(problem, x: x, y: y, style: Style(.error), maxX: area.maxX, safe: true) }
                y += 1
                if twoLines {
                    // The whole problem, wrapped, in the lines the alarms after it leave.
                    let room = max(1, area.maxY - y - (sorted.count - k - 1) * 2)
                    for line in VisibleText.wrapped(problem, width: max(1, area.width - 2)).prefix(room) where y < area.maxY {
                        buf.put(line, x: area.x + 2, y: y, style: Style(.error), maxX: area.maxX)
                        y += 1
                    }
                }
                continue
            }
            let role = StyleRole.alarm(a.state)
            var x = buf.put(glyphs.ascii ? "*" : "●", x: area.x, y: y, style: Style(role), safe: true) + 1
            buf.put(a.name, x: x, y: y, style: Style(.text, bold: a.state == .alarm, reverse: pick == k), maxX: x + nameWidth)
            x += nameWidth + 1
            let state = a.state == .insufficientData ? "INSUFFICIENT" : a.state.rawValue
            x = buf.put(state, x: x, y: y, style: Style(role, bold: true, reverse: a.state == .alarm), maxX: area.maxX, safe: true) + 1
            if !a.composite, let t = a.threshold {
                let v = a.value.map { Ticks.label($0) } ?? "–"
                x = buf.put("\(v) \(relation(a.comparison, value: a.value, threshold: t, ascii: glyphs.ascii)) \(Ticks.label(t))", x: x + 1, y: y, style: Style(.text),
                            maxX: area.maxX, safe: true) + 1
                let spark = min(12, a.recent.count, max(0, area.maxX - x - 10))
                if spark > 0 {
                    // Scaled with the threshold; the periods that breach it in the alarm's colour.
                    let comparison = a.comparison
                    ChartView.sparkline(Array(a.recent.suffix(spark)), into: &buf, x: x, y: y, width: spark, glyphs: glyphs, role: role,
                                        scaleWith: t, roleOf: { v in comparison?.breaches(v, threshold: t) == true ? .alarmAlarm : .alarmOK })
                    x += spark + 1
                }
            }
            if !a.composite, a.threshold == nil, a.comparison?.isBand == true {
                let v = a.value.map { Ticks.label($0) } ?? "–"
                x = buf.put("\(v) vs its band", x: x + 1, y: y, style: Style(.text), maxX: area.maxX, safe: true) + 1
                let spark = min(12, a.recent.count, max(0, area.maxX - x - 10))
                if spark > 0 {
                    ChartView.sparkline(Array(a.recent.suffix(spark)), into: &buf, x: x, y: y, width: spark, glyphs: glyphs, role: role)
                    x += spark + 1
                }
            }
            if let q = quiet[a.name] {
                buf.put(q, x: x, y: y, style: Style(.accent), maxX: area.maxX, safe: true)
            } else if let since = a.since, let now = a.asOf {  // in event time: how long the data has had it so
                buf.put("for " + age(now - since), x: x, y: y, style: Style(.dim), maxX: area.maxX, safe: true)
            }
            y += 1
            if twoLines && y < area.maxY {
                buf.put(a.reason, x: area.x + 2, y: y, style: Style(.dim), maxX: area.maxX)
                y += 1
            }
        }
    }

    /// How the value stands to the threshold: the comparison when it breaches it (`46 ≥ 10`),
    /// its opposite when it does not (`120 ≤ 500` for an alarm on `> 500`), the comparison when
    /// there is no value yet.
    static func relation(_ c: AlarmComparison?, value: Double?, threshold: Double, ascii: Bool) -> String {
        guard let c, let v = value, !c.breaches(v, threshold: threshold) else { return symbol(c, ascii: ascii) }
        switch c {
        case .greaterThanThreshold: return ascii ? "<=" : "≤"
        case .greaterThanOrEqualToThreshold: return "<"
        case .lessThanThreshold: return ascii ? ">=" : "≥"
        case .lessThanOrEqualToThreshold: return ">"
        default: return symbol(c, ascii: ascii)
        }
    }

    static func symbol(_ c: AlarmComparison?, ascii: Bool) -> String {
        switch c {
        case .greaterThanThreshold?: ">"
        case .greaterThanOrEqualToThreshold?: ascii ? ">=" : "≥"
        case .lessThanThreshold?: "<"
        case .lessThanOrEqualToThreshold?: ascii ? "<=" : "≤"
        default: "vs"
        }
    }

    /// `45s`, `12m`, `3h05m`, `2d4h`.
    static func age(_ ns: Int64) -> String {
        let s = max(0, ns / 1_000_000_000)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m" }
        if s < 86400 { return "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" }
        return "\(s / 86400)d\(s % 86400 / 3600)h"
    }
}
