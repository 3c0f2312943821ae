/// Event times: UTC nanoseconds since the Unix epoch, parsed from the shapes logs use.
///
/// Shapes recognised at the start of a byte range (the caller strips a leading `[`):
/// ISO 8601 (`2026-11-27T14:00:00.123Z`, `2026-11-27 14:00:00,123`, `+01:00`/`+0100` zones,
/// `2026/11/27 14:00:00`), Apache/nginx (`27/Nov/2026:14:00:00 +0000`), BSD syslog
/// (`Nov 27 14:00:00`, year inferred), asctime (`Sun Dec 04 04:47:44 2005`), HDFS
/// (`081109 203615`), Spark (`17/06/09 20:10:40`) and logcat (`03-17 16:13:38.811`, year
/// inferred). Epoch numbers are read only from fields known to hold a time (`epoch`).
public enum Timestamp {
    public static let nanosPerSecond: Int64 = 1_000_000_000
    public static let nanosPerDay: Int64 = 86_400_000_000_000

    /// `a / b` rounded down (towards minus infinity), for times before 1970.
    @inline(__always)
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    @inline(__always)
    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The civil date of a day count since the epoch.
    public static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// The years of the times logdash takes from logs. Nanoseconds since 1970 in an `Int64`
    /// reach from 1677-09-21 to 2262-04-11; more than a year is kept clear at each end, so that
    /// rounding a time to its year or window never overflows. A time outside is no time, not a
    /// wrapped one.
    public static let years = 1679...2260

    /// `years` in nanoseconds since the epoch.
    public static let range: ClosedRange<Int64> = {
        let day: Int64 = 86_400 * nanosPerSecond
        return Int64(daysFromCivil(years.lowerBound, 1, 1)) * day...Int64(daysFromCivil(years.upperBound + 1, 1, 1)) * day - 1
    }()

    /// Nanoseconds since the epoch of a civil date and time; nil outside `years`.
    public static func make(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, nanos: Int = 0,
                            offsetSeconds: Int = 0) -> Int64? {
        // `years`' bounds as literals: a static's lazy-initialisation check costs on every line.
        guard year >= 1679 && year <= 2260 else { return nil }
        // (Feb 30 is no day: not rolled on to Mar 2.)
        guard day <= 28 || day <= (month == 2 ? (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28)
                                                : month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31) else { return nil }
        let days = daysFromCivil(year, month, day)
        let secs = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        let (ns, o1) = secs.multipliedReportingOverflow(by: nanosPerSecond)
        let (t, o2) = ns.addingReportingOverflow(Int64(nanos))
        return o1 || o2 ? nil : t
    }

    /// Interprets an epoch number by its magnitude: seconds, milliseconds, microseconds or nanoseconds.
    /// nil for a number whose time does not fit (an epoch of 5e10 seconds is the year 3554).
    /// A fraction carried by a double is kept to the microsecond: a double of seconds near 2026
    /// holds no more (1795788000.123 is 1795788000.12299990654 in binary).
    public static func fromEpoch(_ v: Double) -> Int64? {
        guard v.isFinite else { return nil }
        let a = abs(v)
        if a >= 1e17 {
            let ns = v.rounded()
            // 2^63 is exactly representable; every double below it converts.
            guard ns >= Double(range.lowerBound), ns <= Double(range.upperBound) else { return nil }
            return Int64(ns)
        }
        let micros = (a < 1e11 ? v * 1e6 : a < 1e14 ? v * 1e3 : v).rounded()
        guard abs(micros) < 9.2e15 else { return nil }
        let ns = Int64(micros) * 1000
        return range.contains(ns) ? ns : nil
    }

    public static func fromEpoch(_ v: Int64) -> Int64? {
        let a = v.magnitude
        let scale: Int64 = a < 100_000_000_000 ? nanosPerSecond : a < 100_000_000_000_000 ? 1_000_000 : a < 100_000_000_000_000_000 ? 1_000 : 1
        let (ns, overflow) = v.multipliedReportingOverflow(by: scale)
        return overflow || !range.contains(ns) ? nil : ns
    }

    /// Formats as ISO 8601 UTC with millisecond precision, or more when the value has it;
    /// `fractionDigits` fixes the precision instead (3 for aligned text, 0 for none).
    public static func iso8601(_ ns: Int64, fractionDigits: Int? = nil) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buf in
            String(decoding: UnsafeBufferPointer(rebasing: buf[0..<write(ns, fractionDigits: fractionDigits, into: buf)]), as: UTF8.self)
        }
    }

    /// `iso8601` appended to `bytes` as they are, without making a `String`.
    public static func appendISO8601(_ ns: Int64, to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buf in
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[0..<write(ns, fractionDigits: nil, into: buf)]))
        }
    }

    /// Writes `iso8601`'s text into `buf` (40 bytes); its length.
    private static func write(_ ns: Int64, fractionDigits: Int?, into buf: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var secs = ns / nanosPerSecond
        var frac = ns % nanosPerSecond
        if frac < 0 { frac += nanosPerSecond; secs -= 1 }
        var days = Int(secs / 86400)
        var rem = Int(secs % 86400)
        if rem < 0 { rem += 86400; days -= 1 }
        let (y, m, d) = civilFromDays(days)
        // Digits written into a byte buffer: this runs for every timestamp a result prints.
        do {
            var n = 0
            func put(_ c: UInt8) { buf[n] = c; n += 1 }
            func pad(_ v: Int, _ w: Int) {
                var v = v
                if v < 0 { put(UInt8(ascii: "-")); v = -v }
                var digits = 1, p = 10
                while p <= v && digits < 19 { digits += 1; p &*= 10 }
                for _ in digits..<max(w, digits) { put(UInt8(ascii: "0")) }
                var k = n + digits - 1
                n += digits
                repeat { buf[k] = UInt8(ascii: "0") + UInt8(v % 10); v /= 10; k -= 1 } while k >= n - digits
            }
            pad(y, 4); put(UInt8(ascii: "-")); pad(m, 2); put(UInt8(ascii: "-")); pad(d, 2); put(UInt8(ascii: "T"))
            pad(rem / 3600, 2); put(UInt8(ascii: ":")); pad(rem / 60 % 60, 2); put(UInt8(ascii: ":")); pad(rem % 60, 2)
            if let digits = fractionDigits {
                if digits > 0 {
                    var scale: Int64 = 1
                    for _ in digits..<9 { scale *= 10 }
                    put(UInt8(ascii: "."))
                    pad(Int(frac / scale), digits)
                }
            } else {
                put(UInt8(ascii: "."))
                if frac % 1_000_000 == 0 { pad(Int(frac / 1_000_000), 3) }
                else if frac % 1000 == 0 { pad(Int(frac / 1000), 6) }
                else { pad(Int(frac), 9) }
            }
            put(UInt8(ascii: "Z"))
            return n
        }
    }

    /// What a parse found: the time and how many bytes it used.
    public struct Parsed {
        public var nanos: Int64
        public var length: Int
        /// Whether the text said its zone (`Z`, `+01:00`, an epoch number); a time without one
        /// is a wall-clock time in the source's zone (see `RecordBatch.setTime`).
        public var zoned = false
    }

    /// Parses a timestamp at `line[start...]`. `reference` (arrival time, ns) supplies the year for
    /// shapes without one; `dayFirst` reads an ambiguous `01/02/2026` as 1 February (the source's
    /// choice, from the values it has: see `Timestamp.dayFirst(in:)`).
    public static func parse(_ line: ByteLine, at start: Int = 0, reference: Int64, dayFirst: Bool = false) -> Parsed? {
        let n = line.count - start
        guard n >= 8 else { return nil }
        let p = line.base + start
        @inline(__always) func dig(_ i: Int) -> Bool { i < n && ASCII.isDigit(p[i]) }
        if dig(0), n >= 14, p[1] == ASCII.slash || p[1] == ASCII.dot || p[1] == ASCII.minus {
            return parseNumericDate(p, n, dayFirst: dayFirst)  // 1/5/2026 2:00:00 PM
        }
        if dig(0) && dig(1) {
            if dig(2) && dig(3) {
                if n >= 16 && (p[4] == ASCII.minus || p[4] == ASCII.slash || p[4] == ASCII.dot) { return parseISO(p, n, start) }
                // Compact: yyyyMMdd-HH:mm:ss:SSS, yyyyMMdd HH:mm:ss, ISO basic yyyyMMddTHHmmss(Z)
                if n >= 15, dig(4), dig(5), dig(6), dig(7), p[8] == ASCII.minus || p[8] == ASCII.space || p[8] == 0x54 {
                    return parseCompact(p, n)
                }
            }
            let sep = p[2]
            if let t = parseNumericDate(p, n, dayFirst: dayFirst) { return t }
            if n >= 20, sep == ASCII.minus || sep == ASCII.space, let mo = month(p, n, 3), p[6] == sep, dig(7), dig(8), dig(9), dig(10),
               p[11] == ASCII.space || p[11] == ASCII.colon {
                // Tomcat's dd-MMM-yyyy HH:mm:ss and dd MMM yyyy HH:mm:ss
                guard let t = clock(p, n, 12) else { return nil }
                let d = num2(p, 0)
                let (nanos, fracLen) = fraction(p, n, 20)
                guard let ns = make(year: num2(p, 7) * 100 + num2(p, 9), month: mo, day: d, hour: t.h, minute: t.m, second: t.s, nanos: nanos) else { return nil }
                return Parsed(nanos: ns, length: 20 + fracLen).validated(month: mo, day: d)
            }
            if n >= 20, p[2] == ASCII.slash, ASCII.isAlpha(p[3]) { return parseCLF(p, n) }
            if n >= 17, p[2] == ASCII.slash, dig(3), dig(4), p[5] == ASCII.slash, dig(6), dig(7), p[8] == ASCII.space {
                // Spark: yy/MM/dd HH:mm:ss
                guard let t = clock(p, n, 9) else { return nil }
                let y = 2000 + num2(p, 0)
                return make(year: y, month: num2(p, 3), day: num2(p, 6), hour: t.h, minute: t.m, second: t.s).map { Parsed(nanos: $0, length: 17) }?
                    .validated(month: num2(p, 3), day: num2(p, 6))
            }
            if n >= 14, dig(2), dig(3), dig(4), dig(5), p[6] == ASCII.space {
                // MySQL 5: yyMMdd HH:mm:ss, or yyMMdd  H:mm:ss (the hour padded with a space)
                var at = 7
                if p[7] == ASCII.space, dig(8), p[9] == ASCII.colon { at = 8 }
                let short = at == 8
                let h = short ? Int(p[8] &- 0x30) : (dig(7) && dig(8) && p[9] == ASCII.colon ? num2(p, 7) : -1)
                let c = at + (short ? 1 : 2)
                if h >= 0, c + 6 <= n, p[c] == ASCII.colon, dig(c + 1), dig(c + 2), p[c + 3] == ASCII.colon, dig(c + 4), dig(c + 5) {
                    let mo = num2(p, 2), d = num2(p, 4), mi = num2(p, c + 1), s = num2(p, c + 4)
                    guard h < 24, mi < 60, s < 61,
                          let ns = make(year: 2000 + num2(p, 0), month: mo, day: d, hour: h, minute: mi, second: s) else { return nil }
                    return Parsed(nanos: ns, length: c + 6).validated(month: mo, day: d)
                }
            }
            if n >= 13, dig(2), dig(3), dig(4), dig(5), p[6] == ASCII.space, dig(7), dig(8), dig(9), dig(10), dig(11), dig(12) {
                // HDFS: yyMMdd HHmmss
                let mo = num2(p, 2), d = num2(p, 4), h = num2(p, 7), mi = num2(p, 9), s = num2(p, 11)
                guard h < 24, mi < 60, s < 61 else { return nil }
                guard let ns = make(year: 2000 + num2(p, 0), month: mo, day: d, hour: h, minute: mi, second: s) else { return nil }
                return Parsed(nanos: ns, length: 13).validated(month: mo, day: d)
            }
            if n >= 14, p[2] == ASCII.minus, dig(3), dig(4), p[5] == ASCII.space {
                // logcat: MM-dd HH:mm:ss.SSS
                let mo = num2(p, 0), d = num2(p, 3)
                guard let t = clock(p, n, 6) else { return nil }
                var len = 14
                let (nanos, fracLen) = fraction(p, n, len)
                len += fracLen
                guard let ns = inferYear(month: mo, day: d, h: t.h, m: t.m, s: t.s, nanos: nanos, reference: reference) else { return nil }
                return Parsed(nanos: ns, length: len).validated(month: mo, day: d)
            }
            return nil
        }
        guard ASCII.isAlpha(p[0]) else { return nil }
        if let mo = month(p, n, 0), n >= 15, p[3] == ASCII.space {
            // BSD syslog: "Nov 27 14:00:00" or "Nov  7 14:00:00"
            var i = 4
            if p[i] == ASCII.space { i += 1 }
            var d = 0
            while i < n, ASCII.isDigit(p[i]), d < 100 { d = d * 10 + Int(p[i] &- 0x30); i += 1 }
            if i + 8 < n, p[i] == ASCII.comma { return parseUSLong(p, n, i, month: mo, day: d) }
            guard i < n, p[i] == ASCII.space else { return nil }
            i += 1
            guard let t = clock(p, n, i) else { return nil }
            i += 8
            let (nanos, fracLen) = fraction(p, n, i)
            i += fracLen
            // An optional year after the time ("Nov 27 14:00:00 2026").
            if i + 5 <= n, p[i] == ASCII.space, dig(i + 1), dig(i + 2), dig(i + 3), dig(i + 4), i + 5 == n || !dig(i + 5) {
                let y = Int(p[i + 1] &- 0x30) * 1000 + num2(p, i + 2) * 10 + Int(p[i + 4] &- 0x30)
                guard let ns = make(year: y, month: mo, day: d, hour: t.h, minute: t.m, second: t.s, nanos: nanos) else { return nil }
                return Parsed(nanos: ns, length: i + 5).validated(month: mo, day: d)
            }
            guard let ns = inferYear(month: mo, day: d, h: t.h, m: t.m, s: t.s, nanos: nanos, reference: reference) else { return nil }
            return Parsed(nanos: ns, length: i).validated(month: mo, day: d)
        }
        if n >= 24, p[3] == ASCII.space, let mo = month(p, n, 4), p[7] == ASCII.space {
            // asctime: "Sun Dec 04 04:47:44 2005" (day may be space-padded)
            var i = 8
            if p[i] == ASCII.space { i += 1 }
            var d = 0
            while i < n, ASCII.isDigit(p[i]), d < 100 { d = d * 10 + Int(p[i] &- 0x30); i += 1 }
            guard i < n, p[i] == ASCII.space, let t = clock(p, n, i + 1) else { return nil }
            i += 9
            let (nanos, fracLen) = fraction(p, n, i)
            i += fracLen
            guard i + 5 <= n, p[i] == ASCII.space, dig(i + 1), dig(i + 2), dig(i + 3), dig(i + 4) else { return nil }
            let y = Int(p[i + 1] &- 0x30) * 1000 + num2(p, i + 2) * 10 + Int(p[i + 4] &- 0x30)
            guard let ns = make(year: y, month: mo, day: d, hour: t.h, minute: t.m, second: t.s, nanos: nanos) else { return nil }
            return Parsed(nanos: ns, length: i + 5).validated(month: mo, day: d)
        }
        return nil
    }

    /// Parses a whole string as a timestamp: any shape above, or an epoch number. A time
    /// without a zone is read as UTC (see `parsed(text:reference:)` for the source's zone).
    public static func parse(text line: ByteLine, reference: Int64) -> Int64? {
        parsed(text: line, reference: reference)?.nanos
    }

    /// Like `parse(text:reference:)`, saying whether the text carried its zone.
    public static func parsed(text line: ByteLine, reference: Int64, dayFirst: Bool = false) -> Parsed? {
        if let p = parse(line, reference: reference, dayFirst: dayFirst), p.length == line.count { return p }
        if let v = ByteNumber.int(line, 0, line.count) { return fromEpoch(v).map { Parsed(nanos: $0, length: line.count, zoned: true) } }
        if let v = ByteNumber.double(line, 0, line.count) { return fromEpoch(v).map { Parsed(nanos: $0, length: line.count, zoned: true) } }
        return nil
    }

    // MARK: shapes

    private static func parseISO(_ p: UnsafePointer<UInt8>, _ n: Int, _ start: Int) -> Parsed? {
        let sep = p[4]
        // Between date and time: 'T', a space (apt writes two); '_' (file names), '-' (BGL's yyyy-MM-dd-HH.mm.ss).
        let between = p[10]
        let k = between == ASCII.space && n >= 20 && p[11] == ASCII.space ? 1 : 0
        guard p[7] == sep, ASCII.isDigit(p[5]), ASCII.isDigit(p[6]), ASCII.isDigit(p[8]), ASCII.isDigit(p[9]),
              between == 0x54 || between == ASCII.space || between == 0x74 || between == 0x5F || between == ASCII.minus else { return nil }
        // HH:MM:SS, or HH:MM alone (as people type times: '2026-11-27 14:00').
        var clockLength = 8
        var t = clock(p, n, 11 + k, separator: between == ASCII.minus && p[13] == ASCII.dot ? ASCII.dot : ASCII.colon)
        if t == nil, between != ASCII.minus, 16 + k <= n, ASCII.isDigit(p[11 + k]), ASCII.isDigit(p[12 + k]), p[13 + k] == ASCII.colon,
           ASCII.isDigit(p[14 + k]), ASCII.isDigit(p[15 + k]), 16 + k == n || !ASCII.isDigit(p[16 + k]) && p[16 + k] != ASCII.colon {
            let h = num2(p, 11 + k), m = num2(p, 14 + k)
            if h < 24, m < 60 { t = (h, m, 0); clockLength = 5 }
        }
        guard let t else { return nil }
        let y = num2(p, 0) * 100 + num2(p, 2), mo = num2(p, 5), d = num2(p, 8)
        var i = 11 + k + clockLength
        let (nanos, fracLen) = fraction(p, n, i)
        i += fracLen
        var offset = 0, zoned = true
        if i < n {
            let c = p[i]
            if c == 0x5A || c == 0x7A { i += 1 }  // Z
            else if c == ASCII.plus || c == ASCII.minus, let (off, len) = zone(p, n, i) { offset = off; i += len }
            else if c == ASCII.space, i + 1 < n, p[i + 1] == ASCII.plus || p[i + 1] == ASCII.minus,
                    let (off, len) = zone(p, n, i + 1) { offset = off; i += 1 + len }
            else if let (off, len) = zoneName(p, n, i) { offset = off; i += len }
            else { zoned = false }
        } else {
            zoned = false
        }
        guard let ns = make(year: y, month: mo, day: d, hour: t.h, minute: t.m, second: t.s, nanos: nanos, offsetSeconds: offset) else { return nil }
        return Parsed(nanos: ns, length: i, zoned: zoned).validated(month: mo, day: d)
    }

    /// `20171223-22:15:29:606`, `20261127 14:00:00.5`, `20261127T140000Z`: a date without separators.
    private static func parseCompact(_ p: UnsafePointer<UInt8>, _ n: Int) -> Parsed? {
        let y = num2(p, 0) * 100 + num2(p, 2), mo = num2(p, 4), d = num2(p, 6)
        var i = 9, h = 0, mi = 0, s = 0
        if let t = clock(p, n, 9) {
            (h, mi, s) = t
            i = 17
        } else if p[8] == 0x54, n >= 15, (9..<15).allSatisfy({ ASCII.isDigit(p[$0]) }) {
            h = num2(p, 9); mi = num2(p, 11); s = num2(p, 13)
            guard h < 24, mi < 60, s < 61 else { return nil }
            i = 15
        } else {
            return nil
        }
        var (nanos, fracLen) = fraction(p, n, i)
        if fracLen == 0, i + 1 < n, p[i] == ASCII.colon, ASCII.isDigit(p[i + 1]) {
            // HealthApp's milliseconds after a colon.
            var j = i + 1, v = 0
            while j < n, j < i + 4, ASCII.isDigit(p[j]) { v = v * 10 + Int(p[j] &- 0x30); j += 1 }
            guard j == i + 4 else { return nil }
            nanos = v * 1_000_000
            fracLen = 4
        }
        i += fracLen
        var zoned = false
        if i < n, p[i] == 0x5A { i += 1; zoned = true }
        guard let ns = make(year: y, month: mo, day: d, hour: h, minute: mi, second: s, nanos: nanos) else { return nil }
        return Parsed(nanos: ns, length: i, zoned: zoned).validated(month: mo, day: d)
    }

    /// Epoch seconds, milliseconds, microseconds or nanoseconds written as a number at `start`
    /// (`1764252000`, `1764252000.123`, `1764252000123`), taken only as a time from 2000 to a year
    /// after `reference`: other numbers (ids, counts, sizes) are not times.
    public static func epoch(_ line: ByteLine, at start: Int, reference: Int64) -> Parsed? {
        let n = line.count
        var i = start, v: Int64 = 0
        while i < n, ASCII.isDigit(line[i]), i - start < 19 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(line[i] &- 0x30))
            if o1 || o2 { return nil }  // (past Int64: no time)
            v = a
            i += 1
        }
        let digits = i - start
        guard digits == 9 || digits == 10 || digits == 13 || digits == 16 || digits == 19 else { return nil }
        var ns: Int64?
        if i + 1 < n, line[i] == ASCII.dot, ASCII.isDigit(line[i + 1]), digits <= 10 {
            var j = i + 1, frac = 0, fd = 0
            while j < n, ASCII.isDigit(line[j]) { if fd < 9 { frac = frac * 10 + Int(line[j] &- 0x30); fd += 1 }; j += 1 }
            for _ in fd..<9 { frac *= 10 }
            ns = fromEpoch(v).map { $0 + Int64(frac) }
            i = j
        } else {
            ns = fromEpoch(v)
        }
        guard let ns, i == n || !ASCII.isAlpha(line[i]) && !ASCII.isDigit(line[i]) && line[i] != ASCII.dot else { return nil }
        // 2000-01-01 … a year after the reference.
        guard ns >= 946_684_800 * nanosPerSecond, ns <= reference &+ 366 * 86_400 * nanosPerSecond else { return nil }
        return Parsed(nanos: ns, length: i - start, zoned: true)
    }

    /// TAI64N (daemontools, s6, runit): `@` and 24 hex digits, TAI seconds + 2^62 and nanoseconds.
    /// Like `tai64nlocal`, TAI is taken as UTC + 10 s (later leap seconds are not subtracted).
    public static func tai64n(_ line: ByteLine, at start: Int) -> Parsed? {
        guard start + 25 <= line.count, line[start] == 0x40 else { return nil }
        var secs: UInt64 = 0, nanos: UInt64 = 0
        for k in 0..<24 {
            let b = line[start + 1 + k]
            let h: UInt64
            switch b {
            case 0x30...0x39: h = UInt64(b - 0x30)
            case 0x61...0x66: h = UInt64(b - 0x61 + 10)
            case 0x41...0x46: h = UInt64(b - 0x41 + 10)
            default: return nil
            }
            if k < 16 { secs = secs << 4 | h } else { nanos = nanos << 4 | h }
        }
        guard secs >= 0x4000_0000_0000_000A, nanos < 1_000_000_000 else { return nil }
        let unix = secs - 0x4000_0000_0000_000A
        guard unix < 9_000_000_000 else { return nil }
        let ns = Int64(unix) * nanosPerSecond + Int64(nanos)
        guard range.contains(ns) else { return nil }
        return Parsed(nanos: ns, length: 25, zoned: true)
    }

    /// Whether a source writes `dd/MM/yyyy` rather than `MM/dd/yyyy`, from its lines: a first
    /// number over 12 says day first, a second over 12 month first; nil when no line tells.
    public static func dayFirst(in lines: [ByteLine]) -> Bool? {
        for line in lines {
            let n = min(line.count, 96)
            var i = 0
            while i + 10 <= n {
                if ASCII.isDigit(line[i]), ASCII.isDigit(line[i + 1]), line[i + 2] == ASCII.slash || line[i + 2] == ASCII.minus,
                   ASCII.isDigit(line[i + 3]), ASCII.isDigit(line[i + 4]), line[i + 5] == line[i + 2],
                   ASCII.isDigit(line[i + 6]), ASCII.isDigit(line[i + 7]), ASCII.isDigit(line[i + 8]), ASCII.isDigit(line[i + 9]),
                   i == 0 || !ASCII.isDigit(line[i - 1]) {
                    let a = Int(line[i] &- 0x30) * 10 + Int(line[i + 1] &- 0x30), b = Int(line[i + 3] &- 0x30) * 10 + Int(line[i + 4] &- 0x30)
                    if a > 12 && b <= 12 { return true }
                    if b > 12 && a <= 12 { return false }
                }
                i += 1
            }
        }
        return nil
    }

    /// `27/11/2026 14:00:00`, `11/27/2026 2:00:00 PM`, `1.5.2026 09:00:00` (Windows' and Europe's
    /// numeric dates: day and month of one or two digits, a four-digit year, a 12- or 24-hour
    /// clock). A first number over 12 is a day, a second over 12 a day too; else the source's
    /// choice (`.` is always day first, as written in Europe).
    private static func parseNumericDate(_ p: UnsafePointer<UInt8>, _ n: Int, dayFirst: Bool) -> Parsed? {
        var i = 0
        func number(_ maxDigits: Int) -> Int? {
            var v = 0, k = 0
            while i < n, k < maxDigits, ASCII.isDigit(p[i]) { v = v * 10 + Int(p[i] &- 0x30); i += 1; k += 1 }
            return k > 0 ? v : nil
        }
        guard let a = number(2), i < n else { return nil }
        let sep = p[i]
        guard sep == ASCII.slash || sep == ASCII.dot || sep == ASCII.minus else { return nil }
        i += 1
        guard let b = number(2), i < n, p[i] == sep else { return nil }
        i += 1
        let ys = i
        guard let y = number(4), i - ys == 4, i < n, p[i] == ASCII.space || p[i] == ASCII.colon || p[i] == 0x54 else { return nil }
        i += 1
        guard var h = number(2), i + 6 <= n, p[i] == ASCII.colon, ASCII.isDigit(p[i + 1]), ASCII.isDigit(p[i + 2]), p[i + 3] == ASCII.colon,
              ASCII.isDigit(p[i + 4]), ASCII.isDigit(p[i + 5]) else { return nil }
        let mi = num2(p, i + 1), s = num2(p, i + 4)
        i += 6
        let (nanos, fracLen) = fraction(p, n, i)
        i += fracLen
        if i + 3 <= n, p[i] == ASCII.space, (p[i + 1] | 0x20) == 0x61 || (p[i + 1] | 0x20) == 0x70, (p[i + 2] | 0x20) == 0x6D,
           i + 3 == n || !ASCII.isAlpha(p[i + 3]) {
            guard (1...12).contains(h) else { return nil }
            h = h % 12 + ((p[i + 1] | 0x20) == 0x70 ? 12 : 0)
            i += 3
        }
        let dayIsFirst = a > 12 ? true : b > 12 ? false : sep == ASCII.dot || dayFirst
        let (mo, d) = dayIsFirst ? (b, a) : (a, b)
        guard h < 24, mi < 60, s < 61, let ns = make(year: y, month: mo, day: d, hour: h, minute: mi, second: s, nanos: nanos) else { return nil }
        return Parsed(nanos: ns, length: i).validated(month: mo, day: d)
    }

    /// java.util.logging's `Nov 27, 2026 2:00:08 PM` from the `,` after the day at `i`.
    private static func parseUSLong(_ p: UnsafePointer<UInt8>, _ n: Int, _ at: Int, month mo: Int, day d: Int) -> Parsed? {
        var i = at + 1
        guard i + 13 <= n, p[i] == ASCII.space, (1...4).allSatisfy({ ASCII.isDigit(p[i + $0]) }) else { return nil }
        let y = num2(p, i + 1) * 100 + num2(p, i + 3)
        i += 5
        guard p[i] == ASCII.space else { return nil }
        i += 1
        var h = 0
        let hs = i
        while i < n, i - hs < 2, ASCII.isDigit(p[i]) { h = h * 10 + Int(p[i] &- 0x30); i += 1 }
        guard i > hs, i + 6 <= n, p[i] == ASCII.colon, ASCII.isDigit(p[i + 1]), ASCII.isDigit(p[i + 2]), p[i + 3] == ASCII.colon,
              ASCII.isDigit(p[i + 4]), ASCII.isDigit(p[i + 5]) else { return nil }
        let mi = num2(p, i + 1), s = num2(p, i + 4)
        i += 6
        if i + 3 <= n, p[i] == ASCII.space, (p[i + 1] | 0x20) == 0x61 || (p[i + 1] | 0x20) == 0x70, (p[i + 2] | 0x20) == 0x6D {
            guard (1...12).contains(h) else { return nil }
            h = h % 12 + ((p[i + 1] | 0x20) == 0x70 ? 12 : 0)
            i += 3
        }
        guard h < 24, mi < 60, s < 61, let ns = make(year: y, month: mo, day: d, hour: h, minute: mi, second: s) else { return nil }
        return Parsed(nanos: ns, length: i).validated(month: mo, day: d)
    }

    /// `27/Nov/2026:14:00:00 +0000`
    private static func parseCLF(_ p: UnsafePointer<UInt8>, _ n: Int) -> Parsed? {
        guard let mo = month(p, n, 3), p[6] == ASCII.slash, n >= 20,
              ASCII.isDigit(p[7]), ASCII.isDigit(p[8]), ASCII.isDigit(p[9]), ASCII.isDigit(p[10]),
              p[11] == ASCII.colon || p[11] == ASCII.space, let t = clock(p, n, 12) else { return nil }
        let y = num2(p, 7) * 100 + num2(p, 9), d = num2(p, 0)
        var i = 20
        let (nanos, fracLen) = fraction(p, n, i)
        i += fracLen
        var offset = 0, zoned = false
        if i + 1 < n, p[i] == ASCII.space, p[i + 1] == ASCII.plus || p[i + 1] == ASCII.minus, let (off, len) = zone(p, n, i + 1) {
            offset = off; i += 1 + len; zoned = true
        }
        guard let ns = make(year: y, month: mo, day: d, hour: t.h, minute: t.m, second: t.s, nanos: nanos, offsetSeconds: offset) else { return nil }
        return Parsed(nanos: ns, length: i, zoned: zoned).validated(month: mo, day: d)
    }

    @inline(__always) private static func num2(_ p: UnsafePointer<UInt8>, _ i: Int) -> Int {
        Int(p[i] &- 0x30) * 10 + Int(p[i + 1] &- 0x30)
    }

    /// `HH:MM:SS` at `i` (or with another separator).
    @inline(__always)
    private static func clock(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int, separator: UInt8 = ASCII.colon) -> (h: Int, m: Int, s: Int)? {
        guard i + 8 <= n, ASCII.isDigit(p[i]), ASCII.isDigit(p[i + 1]), p[i + 2] == separator,
              ASCII.isDigit(p[i + 3]), ASCII.isDigit(p[i + 4]), p[i + 5] == separator,
              ASCII.isDigit(p[i + 6]), ASCII.isDigit(p[i + 7]) else { return nil }
        let h = num2(p, i), m = num2(p, i + 3), s = num2(p, i + 6)
        guard h < 24, m < 60, s < 61 else { return nil }
        return (h, m, s)
    }

    /// A `.123` or `,123456` fraction at `i`: nanoseconds and bytes used (0 when absent).
    @inline(__always)
    private static func fraction(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> (Int, Int) {
        guard i + 1 < n, p[i] == ASCII.dot || p[i] == ASCII.comma, ASCII.isDigit(p[i + 1]) else { return (0, 0) }
        var j = i + 1, v = 0, digits = 0
        while j < n, ASCII.isDigit(p[j]) {
            if digits < 9 { v = v * 10 + Int(p[j] &- 0x30); digits += 1 }
            j += 1
        }
        var scale = 1
        for _ in digits..<9 { scale *= 10 }
        return (v * scale, j - i)
    }

    /// `+01:00`, `+0100`, `+01` at `i`: offset east of UTC in seconds, bytes used.
    private static func zone(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> (Int, Int)? {
        guard i + 3 <= n, ASCII.isDigit(p[i + 1]), ASCII.isDigit(p[i + 2]) else { return nil }
        let sign = p[i] == ASCII.minus ? -1 : 1
        let h = num2(p, i + 1)
        var m = 0, len = 3
        if i + 6 <= n, p[i + 3] == ASCII.colon, ASCII.isDigit(p[i + 4]), ASCII.isDigit(p[i + 5]) { m = num2(p, i + 4); len = 6 }
        else if i + 5 <= n, ASCII.isDigit(p[i + 3]), ASCII.isDigit(p[i + 4]) { m = num2(p, i + 3); len = 5 }
        guard h <= 14, m < 60 else { return nil }
        return (sign * (h * 3600 + m * 60), len)
    }

    /// A zone abbreviation after a time (` UTC`, ` CET`, ` EST`, or `UTC` right after it) at `i`:
    /// its offset and the bytes used; nil when absent. Only abbreviations that name one offset
    /// (`CET` is always +01:00; `CEST` +02:00).
    @inline(__always)
    static func zoneName(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> (Int, Int)? {
        let s = p[i] == ASCII.space ? i + 1 : i
        var e = s
        while e < n, e - s < 5, p[e] >= 0x41 && p[e] <= 0x5A { e += 1 }
        guard e - s >= 3, e - s <= 4, e == n || !ASCII.isAlpha(p[e]) else { return nil }
        var key: UInt32 = 0
        for k in s..<e { key = key << 8 | UInt32(p[k]) }
        guard let hours = zoneAbbreviations[key] else { return nil }
        return (Int(hours * 3600), e - i)
    }

    /// Abbreviations of fixed offsets, in hours east of UTC (as packed ASCII).
    private static let zoneAbbreviations: [UInt32: Double] = {
        let table: [(String, Double)] = [
            // (Not CST, IST, BST, AST: each names more than one offset — China's and America's CST.)
            ("UTC", 0), ("GMT", 0), ("UT", 0), ("Z", 0), ("WET", 0), ("WEST", 1), ("CET", 1), ("CEST", 2), ("MET", 1), ("MEST", 2),
            ("EET", 2), ("EEST", 3), ("MSK", 3), ("PKT", 5), ("ICT", 7), ("WIB", 7), ("CDT", -5), ("EST", -5), ("EDT", -4),
            ("MST", -7), ("MDT", -6), ("PST", -8), ("PDT", -7), ("AKST", -9), ("AKDT", -8), ("HST", -10),
            ("NST", -3.5), ("NDT", -2.5), ("BRT", -3), ("ART", -3), ("HKT", 8), ("SGT", 8), ("AWST", 8), ("JST", 9), ("KST", 9),
            ("ACST", 9.5), ("ACDT", 10.5), ("AEST", 10), ("AEDT", 11), ("NZST", 12), ("NZDT", 13), ("SAST", 2), ("CAT", 2), ("EAT", 3), ("WAT", 1),
        ]
        var d: [UInt32: Double] = [:]
        for (name, h) in table where name.count >= 3 { d[name.utf8.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }] = h }
        return d
    }()

    /// A three-letter English month name at `i` (any case): 1...12.
    @inline(__always)
    static func month(_ p: UnsafePointer<UInt8>, _ n: Int, _ i: Int) -> Int? {
        guard i + 3 <= n else { return nil }
        let key = UInt32(ASCII.lower(p[i])) << 16 | UInt32(ASCII.lower(p[i + 1])) << 8 | UInt32(ASCII.lower(p[i + 2]))
        switch key {
        case 0x6A_616E: return 1   // jan
        case 0x66_6562: return 2   // feb
        case 0x6D_6172: return 3   // mar
        case 0x61_7072: return 4   // apr
        case 0x6D_6179: return 5   // may
        case 0x6A_756E: return 6   // jun
        case 0x6A_756C: return 7   // jul
        case 0x61_7567: return 8   // aug
        case 0x73_6570: return 9   // sep
        case 0x6F_6374: return 10  // oct
        case 0x6E_6F76: return 11  // nov
        case 0x64_6563: return 12  // dec
        default: return nil
        }
    }

    /// The year for a date written without one: the latest year that does not put it more than
    /// two days after `reference`. A line read on 2 Jan stamped "Dec 31" belongs to last year;
    /// one stamped "Jan 1" read on 31 Dec (a sender's clock slightly ahead) to next year.
    static func inferYear(month: Int, day: Int, h: Int, m: Int, s: Int, nanos: Int, reference: Int64) -> Int64? {
        let refDays = Int((reference / nanosPerSecond) / 86400)
        let refYear = civilFromDays(refDays).year
        let slack = 2 * 86400 * nanosPerSecond
        var y = refYear + 1
        while y >= refYear - 1 {
            if let t = make(year: y, month: month, day: day, hour: h, minute: m, second: s, nanos: nanos), t <= reference &+ slack { return t }
            y -= 1
        }
        return make(year: refYear - 1, month: month, day: day, hour: h, minute: m, second: s, nanos: nanos)
    }
}

extension Timestamp.Parsed {
    /// Rejects impossible calendar fields (month 13, day 32) that the digit checks let through.
    @inline(__always)
    fileprivate func validated(month: Int, day: Int) -> Timestamp.Parsed? {
        (1...12).contains(month) && (1...31).contains(day) ? self : nil
    }
}
