/// A record's severity, normalised across formats; the original spelling is kept in `level_raw`
/// when it differs.
public enum Level: UInt8, CaseIterable, Sendable, Comparable {
    case trace = 1, debug, info, notice, warn, error, critical, fatal

    public var name: String {
        switch self {
        case .trace: "trace"
        case .debug: "debug"
        case .info: "info"
        case .notice: "notice"
        case .warn: "warn"
        case .error: "error"
        case .critical: "critical"
        case .fatal: "fatal"
        }
    }

    public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

    /// Syslog severity 0 (emergency) … 7 (debug).
    public init?(syslogSeverity s: Int) {
        switch s {
        case 0: self = .fatal
        case 1, 2: self = .critical
        case 3: self = .error
        case 4: self = .warn
        case 5: self = .notice
        case 6: self = .info
        case 7: self = .debug
        default: return nil
        }
    }

    public init?(_ s: String) {
        guard let l = ByteLine.with(s, { Level.recognise($0, 0, $0.count) }) else { return nil }
        self = l
    }

    /// Recognises a level token spanning exactly `line[start..<end]`, in any case:
    /// the full names, their usual abbreviations (`ERR`, `WRN`, `E`, `W` …), Java's
    /// (`SEVERE`, `FINE` …) and syslog's (`emerg`, `alert`, `crit`).
    public static func recognise(_ line: ByteLine, _ start: Int, _ end: Int) -> Level? {
        let n = end - start
        guard n >= 1, n <= 11 else { return nil }
        // Pack up to 8 lower-cased bytes into an integer and compare against known tokens.
        var key: UInt64 = 0
        for i in start..<min(end, start + 8) {
            let b = line[i]
            guard ASCII.isAlpha(b) else { return nil }
            key = key << 8 | UInt64(b | 0x20)
        }
        if n > 8 {
            for i in (start + 8)..<end where !ASCII.isAlpha(line[i]) { return nil }
            // Only a few valid tokens are longer than 8 letters.
            let s = String(decoding: line.slice(start, end).buffer, as: UTF8.self).lowercased()
            switch s {
            case "information", "informational": return .info
            case "emergency": return .fatal
            default: return nil
            }
        }
        return lookup(key)
    }

    /// Open addressing over 128 slots with a multiplicative hash: cheaper per record than a
    /// `Dictionary`, whose hashing is built to resist attacks on large tables.
    @inline(__always)
    private static func lookup(_ key: UInt64) -> Level? {
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 57)
        while true {
            let k = tableKeys[i]
            if k == key { return Level(rawValue: tableLevels[i]) }
            if k == 0 { return nil }
            i = (i + 1) & 127
        }
    }

    private static let (tableKeys, tableLevels): ([UInt64], [UInt8]) = {
        var keys = [UInt64](repeating: 0, count: 128), levels = [UInt8](repeating: 0, count: 128)
        for (k, l) in words {
            var i = Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> 57)
            while keys[i] != 0 { i = (i + 1) & 127 }
            keys[i] = k
            levels[i] = l.rawValue
        }
        return (keys, levels)
    }()

    private static let words: [(UInt64, Level)] = {
        var t: [(UInt64, Level)] = []
        func add(_ l: Level, _ words: String...) {
            for w in words { t.append((w.utf8.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }, l)) }
        }
        add(.trace, "trace", "trc", "t", "finest", "finer", "verbose", "v")
        add(.debug, "debug", "dbg", "d", "fine", "config")
        add(.info, "info", "inf", "i", "log")
        add(.notice, "notice", "note", "n")
        add(.warn, "warn", "warning", "wrn", "w")
        add(.error, "error", "err", "e", "severe", "eror")
        add(.critical, "critical", "crit", "crt", "c", "alert")
        add(.fatal, "fatal", "ftl", "f", "panic", "emerg")
        return t
    }()
}
