import Foundation
import LogdashEngine

/// Axis ticks people can read: steps of 1, 2 or 5 times a power of ten for numbers, and
/// whole seconds, minutes, hours or days for times, labelled as the span needs.
public enum Ticks {
    /// A range widened to whole steps, and the ticks on it.
    public struct Scale: Sendable, Equatable {
        public var low: Double
        public var high: Double
        public var step: Double
        public var ticks: [Double] {
            guard step > 0, high >= low else { return [low] }
            let n = Int(((high - low) / step).rounded())
            return (0...n).map { low + Double($0) * step }
        }
    }

    /// At most `count` ticks (at least two) covering `low…high`.
    public static func nice(_ low: Double, _ high: Double, count: Int) -> Scale {
        var lo = low.isFinite ? low : 0, hi = high.isFinite ? high : 0
        if lo > hi { swap(&lo, &hi) }
        if lo == hi {
            // One value: a range around it (from zero for a positive one).
            if lo == 0 { return Scale(low: 0, high: 1, step: 1) }
            lo = lo > 0 ? 0 : lo * 2
            hi = hi > 0 ? hi : 0
        }
        let target = Double(max(1, count - 1))
        var step = niceStep((hi - lo) / target)
        while ((hi / step).rounded(.up) - (lo / step).rounded(.down)) > target { step = niceStep(step * 1.01) }
        return Scale(low: (lo / step).rounded(.down) * step, high: (hi / step).rounded(.up) * step, step: step)
    }

    /// The smallest 1, 2 or 5 × 10ⁿ at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let p = pow(10, (log10(raw)).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * p >= raw * (1 - 1e-9) { return m * p }
        return 10 * p
    }

    /// Time steps a person counts in.
    static let timeSteps: [Int64] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172_800, 604_800]
        .map { $0 * 1_000_000_000 }

    /// Ticks at whole steps of time from `low` to `high` (ns), at most `count` of them.
    public static func time(_ low: Int64, _ high: Int64, count: Int) -> [Int64] {
        let span = max(1, high - low)
        let step = timeSteps.first { span / $0 < Int64(max(1, count)) } ?? timeSteps.last!
        var t = (low >= 0 ? low / step : (low - step + 1) / step) * step
        if t < low { t += step }
        var out: [Int64] = []
        while t <= high && out.count < 1000 { out.append(t); t += step }
        return out
    }

    /// A time label as fine as the span needs: seconds under ten minutes, minutes under two
    /// days, dates beyond (in `zone`).
    public static func timeLabel(_ ns: Int64, span: Int64, zone: ShownZone = .utc) -> String {
        let iso = Timestamp.iso8601(zone.wall(ns))  // 2026-11-27T14:05:30.000Z
        let date = iso.dropFirst(5).prefix(5), hm = iso.dropFirst(11).prefix(5), hms = iso.dropFirst(11).prefix(8)
        if span < 600_000_000_000 { return String(hms) }
        if span < 2 * 86_400_000_000_000 { return String(hm) }
        return String(date)
    }

    /// What a value means, from its column's name: milliseconds, bytes, or a plain count.
    public enum Unit: Sendable, Equatable {
        case plain, milliseconds, bytes, percent

        public static func guess(_ column: String) -> Unit {
            let c = column.lowercased()
            if c.hasSuffix("_ms") || c.contains("latency") || c.contains("duration") || c.hasPrefix("p9") || c.hasPrefix("p5") { return .milliseconds }
            if c == "bytes" || c.hasSuffix("_bytes") || c.hasPrefix("bytes_") || c == "size" { return .bytes }
            if c.hasSuffix("_pct") || c.hasSuffix("percent") || c.hasSuffix("rate") { return .percent }
            return .plain
        }
    }

    /// A short label: `950`, `1.2k`, `3.4M`; `850ms`, `1.2s`; `512B`, `1.5KB`, `2.0MB`; `12.5%`.
    public static func label(_ v: Double, unit: Unit = .plain) -> String {
        guard v.isFinite else { return v.isNaN ? "NaN" : (v > 0 ? "∞" : "-∞") }
        let sign = v < 0 ? "-" : "", a = abs(v)
        func trim(_ x: Double, _ digits: Int = 1) -> String {  // no trailing zeros after the point
            var s = String(format: "%.\(digits)f", x)
            if s.contains(".") {
                while s.hasSuffix("0") { s.removeLast() }
                if s.hasSuffix(".") { s.removeLast() }
            }
            return s
        }
        switch unit {
        case .milliseconds:
            if a >= 60_000 { return sign + trim(a / 60_000) + "m" }
            if a >= 1000 { return sign + trim(a / 1000) + "s" }
            return sign + trim(a, a < 10 ? 1 : 0) + "ms"
        case .bytes:
            let units = ["B", "KB", "MB", "GB", "TB"]
            var x = a, i = 0
            while x >= 1024 && i < units.count - 1 { x /= 1024; i += 1 }
            return sign + trim(x, i == 0 ? 0 : 1) + units[i]
        case .percent:
            return sign + trim(a, a < 10 ? 1 : 0) + "%"
        case .plain:
            if a >= 1e9 { return sign + trim(a / 1e9) + "G" }
            if a >= 1e6 { return sign + trim(a / 1e6) + "M" }
            if a >= 1e4 { return sign + trim(a / 1e3) + "k" }
            if a == a.rounded() { return sign + String(Int64(a)) }
            return sign + trim(a, a < 1 ? 3 : (a < 10 ? 2 : 1))
        }
    }
}
