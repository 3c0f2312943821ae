import Foundation

/// Sizes as people write them: `4096`, `512k`, `4M`, `1G`, `64MiB` (powers of 1024).
public enum ByteSize {
    public static func parse(_ text: String) -> Int? {
        var t = text.trimmingCharacters(in: .whitespaces).lowercased()
        for suffix in ["ib", "b"] where t.hasSuffix(suffix) && t.count > suffix.count { t.removeLast(suffix.count); break }
        let scale: Int
        switch t.last {
        case "k": scale = 1 << 10
        case "m": scale = 1 << 20
        case "g": scale = 1 << 30
        default: scale = 1
        }
        if scale > 1 { t.removeLast() }
        guard let v = Double(t), v >= 0, v * Double(scale) < Double(Int.max / 2) else { return nil }
        return Int(v * Double(scale))
    }

    /// `1.5 MB`, `12 KB`, `900 B`.
    public static func format(_ n: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = Double(n), u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(n) B" : String(format: v < 10 ? "%.1f %@" : "%.0f %@", v, units[u])
    }
}

/// Spans of time as people write them: `250ms`, `20ms`, `1.5s`, `5m`, `2h`, `1d`; a bare
/// number is seconds.
public enum TimeSpan {
    /// A duration as it would be written: the largest unit that divides it (`5m`, `2h`, `1d`,
    /// `250ms`).
    public static func format(_ ns: Int64) -> String {
        if ns % 1_000_000_000 != 0 { return "\(ns / 1_000_000)ms" }
        let s = ns / 1_000_000_000
        if s != 0 && s % 86400 == 0 { return "\(s / 86400)d" }
        if s != 0 && s % 3600 == 0 { return "\(s / 3600)h" }
        if s != 0 && s % 60 == 0 { return "\(s / 60)m" }
        return "\(s)s"
    }

    /// How long something has waited, to two units: `45s`, `6m12s`, `2h05m`, `3d04h`.
    public static func age(milliseconds ms: Int64) -> String {
        let s = max(0, ms) / 1000
        switch s {
        case ..<60: return "\(s)s"
        case ..<3600: return "\(s / 60)m" + String(format: "%02ds", s % 60)
        case ..<86400: return "\(s / 3600)h" + String(format: "%02dm", s / 60 % 60)
        default: return "\(s / 86400)d" + String(format: "%02dh", s / 3600 % 24)
        }
    }

    public static func parseNanos(_ text: String) -> Int64? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9), ("d", 86400e9)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count)), v >= 0, v * scale < 9e18 else { return nil }
            return Int64(v * scale)
        }
        guard let v = Double(t), v >= 0, v < 9e9 else { return nil }
        return Int64(v * 1e9)
    }
}
