/// A strptime-style timestamp pattern for user-defined formats: `%Y-%m-%d %H:%M:%S.%f %z`.
///
/// Directives: `%Y` `%y` `%m` `%d` `%e` `%H` `%I` `%p` `%M` `%S` `%f` (fraction, any digits)
/// `%L` (milliseconds) `%z` (`+0100`, `+01:00`, `Z`) `%Z` (a zone abbreviation: UTC, CET, EST … give
/// their offset, others are skipped)
/// `%b`/`%B` (month name) `%a`/`%A` (weekday name, skipped) `%j` (day of year) `%s` (epoch seconds)
/// `%T` (`%H:%M:%S`) `%F` (`%Y-%m-%d`) `%%`. A space matches one or more spaces.
/// Without `%Y`/`%y` the year is inferred from the arrival time.
public struct TimeFormat: Sendable {
    enum Token: Sendable, Equatable {
        case literal(UInt8), space
        case year4, year2, month, day, dayOfYear, hour24, hour12, ampm, minute, second, fraction, millis
        case zone, zoneName, monthName, weekdayName, epoch
    }

    let tokens: [Token]
    public let pattern: String

    public struct PatternError: Error, CustomStringConvertible {
        public let directive: String
        public var description: String { "unknown directive '%\(directive)' in timestamp format" }
    }

    public init(_ pattern: String) throws {
        self.pattern = pattern
        var out: [Token] = []
        var it = Array(pattern.utf8).makeIterator()
        while let c = it.next() {
            if c == 0x25 {  // %
                guard let d = it.next() else { throw PatternError(directive: "") }
                switch d {
                case 0x59: out.append(.year4)
                case 0x79: out.append(.year2)
                case 0x6D: out.append(.month)
                case 0x64, 0x65: out.append(.day)
                case 0x6A: out.append(.dayOfYear)
                case 0x48: out.append(.hour24)
                case 0x49: out.append(.hour12)
                case 0x70: out.append(.ampm)
                case 0x4D: out.append(.minute)
                case 0x53: out.append(.second)
                case 0x66: out.append(.fraction)
                case 0x4C: out.append(.millis)
                case 0x7A: out.append(.zone)
                case 0x5A: out.append(.zoneName)
                case 0x62, 0x42, 0x68: out.append(.monthName)
                case 0x61, 0x41: out.append(.weekdayName)
                case 0x73: out.append(.epoch)
                case 0x54: out += [.hour24, .literal(0x3A), .minute, .literal(0x3A), .second]
                case 0x46: out += [.year4, .literal(0x2D), .month, .literal(0x2D), .day]
                case 0x25: out.append(.literal(0x25))
                default: throw PatternError(directive: String(UnicodeScalar(d)))
                }
            } else if c == ASCII.space {
                out.append(.space)
            } else {
                out.append(.literal(c))
            }
        }
        tokens = out
    }

    /// Parses the whole of `text`; nil when it does not fit. A time without `%z` (or `%s`) is
    /// read as UTC (see `parsed(_:reference:)`).
    public func parse(_ text: ByteLine, reference: Int64) -> Int64? {
        parsed(text, reference: reference)?.nanos
    }

    /// Whether the pattern gives a time's zone (`%z`, `%s`): without, times are wall-clock times.
    public var isZoned: Bool { tokens.contains(.zone) || tokens.contains(.epoch) }

    /// Like `parse(_:reference:)`, saying whether the time carried its zone.
    public func parsed(_ text: ByteLine, reference: Int64) -> Timestamp.Parsed? {
        var named = false
        return time(text, reference: reference, namedZone: &named).map { Timestamp.Parsed(nanos: $0, length: text.count, zoned: isZoned || named) }
    }

    private func time(_ text: ByteLine, reference: Int64, namedZone: inout Bool) -> Int64? {
        var i = 0
        let n = text.count
        var year: Int?, month = 1, day = 1, doy: Int?, hour = 0, minute = 0, second = 0, nanos = 0, offset = 0
        var pm: Bool?
        var epoch: Int64?
        func digits(_ maxLen: Int, min minLen: Int = 1) -> Int? {
            var v = 0, k = 0
            while i < n, k < maxLen, ASCII.isDigit(text[i]) { v = v * 10 + Int(text[i] &- 0x30); i += 1; k += 1 }
            return k >= minLen ? v : nil
        }
        func letters() -> Int {
            let s = i
            while i < n, ASCII.isAlpha(text[i]) { i += 1 }
            return i - s
        }
        for t in tokens {
            switch t {
            case .literal(let b):
                guard i < n, text[i] == b else { return nil }
                i += 1
            case .space:
                guard i < n, ASCII.isSpace(text[i]) else { return nil }
                while i < n, ASCII.isSpace(text[i]) { i += 1 }
            case .year4: guard let v = digits(4, min: 4) else { return nil }; year = v
            case .year2: guard let v = digits(2, min: 2) else { return nil }; year = 2000 + v
            case .month: guard let v = digits(2) else { return nil }; month = v
            case .day:
                if i < n, text[i] == ASCII.space { i += 1 }
                guard let v = digits(2) else { return nil }; day = v
            case .dayOfYear: guard let v = digits(3) else { return nil }; doy = v
            case .hour24, .hour12: guard let v = digits(2) else { return nil }; hour = v
            case .ampm:
                guard i + 2 <= n else { return nil }
                let a = ASCII.lower(text[i])
                guard a == 0x61 || a == 0x70, ASCII.lower(text[i + 1]) == 0x6D else { return nil }
                pm = a == 0x70
                i += 2
            case .minute: guard let v = digits(2) else { return nil }; minute = v
            case .second: guard let v = digits(2) else { return nil }; second = v
            case .fraction, .millis:
                let s = i
                var v = 0
                while i < n, ASCII.isDigit(text[i]) { if i - s < 9 { v = v * 10 + Int(text[i] &- 0x30) }; i += 1 }
                let len = min(i - s, 9)
                guard len > 0 else { return nil }
                for _ in len..<9 { v *= 10 }
                nanos = v
            case .zone:
                guard i < n else { return nil }
                if text[i] == 0x5A { i += 1; continue }
                guard text[i] == ASCII.plus || text[i] == ASCII.minus else { return nil }
                let sign = text[i] == ASCII.minus ? -1 : 1
                i += 1
                guard let h = digits(2, min: 2) else { return nil }
                if i < n, text[i] == ASCII.colon { i += 1 }
                let m = digits(2, min: 2) ?? 0
                offset = sign * (h * 3600 + m * 60)
            case .zoneName:
                // An abbreviation of one offset (UTC, CET, EST …) gives it; others are skipped.
                if i < n, let (off, len) = Timestamp.zoneName(text.base, n, i) { offset = off; namedZone = true; i += len; continue }
                guard letters() > 0 else { return nil }
            case .monthName:
                guard let m = Timestamp.month(text.base + i, n - i, 0) else { return nil }
                month = m
                _ = letters()
            case .weekdayName:
                guard letters() >= 3 else { return nil }
            case .epoch:
                guard let v = digits(12) else { return nil }
                epoch = Int64(v)
            }
        }
        guard i == n else { return nil }
        if let epoch {
            // Seconds since 1970, with any fraction after them (`%s.%f`).
            let (seconds, overflow) = epoch.multipliedReportingOverflow(by: Timestamp.nanosPerSecond)
            guard !overflow else { return nil }
            let ns = seconds + Int64(nanos)
            return Timestamp.range.contains(ns) ? ns : nil
        }
        if let pm { hour = hour % 12 + (pm ? 12 : 0) }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        if let y = year {
            if let doy {
                guard Timestamp.years.contains(y), (1...366).contains(doy) else { return nil }
                let days = Timestamp.daysFromCivil(y, 1, 1) + doy - 1
                return (Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second - offset)) * Timestamp.nanosPerSecond + Int64(nanos)
            }
            return Timestamp.make(year: y, month: month, day: day, hour: hour, minute: minute, second: second, nanos: nanos, offsetSeconds: offset)
        }
        return Timestamp.inferYear(month: month, day: day, h: hour, m: minute, s: second, nanos: nanos, reference: reference)
            .map { $0 - Int64(offset) * Timestamp.nanosPerSecond }
    }
}
