import Foundation

/// Scalar functions, registered by name in one table (not switched on throughout the code).
/// Unless noted, a NULL argument gives NULL.
enum Functions {
    struct Spec: Sendable {
        let arity: ClosedRange<Int>
        /// Whether NULL arguments pass in (coalesce, concat) instead of making the result NULL.
        let takesNulls: Bool
        let body: @Sendable ([Value], Int, ExprCompiler) throws -> Value
    }

    static func compile(_ name: String, _ args: [Expr], at p: Int, _ c: ExprCompiler) throws -> Eval {
        guard let spec = table[name] else {
            if name == SQLParser.monthsName {
                throw QueryError(.type, "a year-to-month interval (INTERVAL … MONTH or YEAR) is added to or subtracted from a timestamp or date: write ts + INTERVAL '1' MONTH", at: p)
            }
            let known = Array(table.keys) + Aggregates.names
            throw QueryError(.unknownFunction, "unknown function '\(name)'" + ExprCompiler.suggestion(for: name, among: known), at: p)
        }
        guard spec.arity.contains(args.count) else {
            let want = spec.arity.lowerBound == spec.arity.upperBound ? "\(spec.arity.lowerBound)" : "\(spec.arity.lowerBound) to \(spec.arity.upperBound)"
            throw QueryError(.arity, "\(name)() takes \(want) argument\(spec.arity.upperBound == 1 ? "" : "s"), not \(args.count)", at: p)
        }
        if name == "at_timezone", case .literal(let z, _) = args[1], z != .null {
            // A zone written in the query: looked up once (and a wrong name said even with no row).
            let zone = try Functions.zone(z, name, p), f = try c.compile(args[0])
            return { r in
                let v = try f(r)
                return v == .null ? .null : .zoned(try Functions.time(v, name, p), zone)
            }
        }
        let fs = try args.map(c.compile)
        return { r in
            var vals: [Value] = []
            vals.reserveCapacity(fs.count)
            for f in fs {
                let v = try f(r)
                if v == .null && !spec.takesNulls { return .null }
                vals.append(v)
            }
            return try spec.body(vals, p, c)
        }
    }

    static let names: [String] = Array(table.keys)

    // MARK: helpers

    static func str(_ v: Value, _ fn: String, _ p: Int) throws -> String {
        if case .string(let s) = v { return s }
        throw QueryError(.type, "\(fn)() needs varchar, not \(typeName(v))", at: p)
    }

    static func int(_ v: Value, _ fn: String, _ p: Int) throws -> Int64 {
        switch v {
        case .int(let i): return i
        case .double(let d) where d == d.rounded(): return try Checked.int64(d, "\(fn)() argument", at: p)
        default: throw QueryError(.type, "\(fn)() needs bigint, not \(typeName(v))", at: p)
        }
    }

    static func num(_ v: Value, _ fn: String, _ p: Int) throws -> Double {
        guard let d = Arithmetic.number(v) else { throw QueryError(.type, "\(fn)() needs a number, not \(typeName(v))", at: p) }
        return d
    }

    /// A time's instant, in nanoseconds since the epoch: a timestamp, a zoned time's instant, a
    /// date's midnight (UTC), or text that reads as a time.
    static func time(_ v: Value, _ fn: String, _ p: Int) throws -> Int64 {
        switch v {
        case .timestamp(let t), .zoned(let t, _): return t
        case .date(let d): return try Checked.multiply(d, Timestamp.nanosPerDay, "timestamp", at: p)
        case .string(let s): if let t = Compare.parseTime(s) { return t }
        default: break
        }
        throw QueryError(.type, "\(fn)() needs timestamp, not \(typeName(v))", at: p)
    }

    /// A time's wall clock, as nanoseconds since the epoch read as UTC: what its fields (hour,
    /// day, month …) are taken from. A zoned time's is its zone's clock; the others' are UTC's.
    static func wall(_ v: Value, _ fn: String, _ p: Int) throws -> Int64 {
        if case .zoned(let t, let z) = v {
            return t &+ Int64(z.zone.offset(atUTC: Timestamp.floorDiv(t, Timestamp.nanosPerSecond))) &* Timestamp.nanosPerSecond
        }
        return try time(v, fn, p)
    }

    /// A wall-clock time (from `wall`) back as the kind of `like`: a zoned time in its zone, a
    /// date when `whole` days were moved (a timestamp otherwise), else a timestamp.
    static func rewrap(_ wall: Int64, like v: Value, wholeDays: Bool) -> Value {
        switch v {
        case .zoned(_, let z): return .zoned(z.zone.utc(fromLocal: wall), z)
        case .date where wholeDays && wall % Timestamp.nanosPerDay == 0: return .date(wall / Timestamp.nanosPerDay)
        default: return .timestamp(wall)
        }
    }

    /// A zone named by a query (`'America/New_York'`, `'+05:30'`, `'UTC'`); made once per name.
    static func zone(_ v: Value, _ fn: String, _ p: Int) throws -> Value.Zone {
        let name = try str(v, fn, p)
        guard let z = LocalZone.cached(name) else {
            throw QueryError(.value, "'\(name)' is not a time zone; use a tz database name (Europe/Berlin), UTC or an offset (+05:30)", at: p)
        }
        return Value.Zone(z)
    }

    /// The day of a time, as Trino's `CAST(x AS date)`: a zoned time's day in its zone.
    static func day(_ v: Value, _ fn: String, _ p: Int) throws -> Value {
        switch v {
        case .null: return .null
        case .date: return v
        case .string(let s):
            // `2026-12-07`, or a time's day.
            guard let t = Compare.parseTime(s) else { throw QueryError(.value, "'\(s)' is not a date", at: p) }
            return .date(Timestamp.floorDiv(t, Timestamp.nanosPerDay))
        case .timestamp, .zoned: return .date(Timestamp.floorDiv(try wall(v, fn, p), Timestamp.nanosPerDay))
        default: throw QueryError(.type, "cannot cast \(typeName(v)) '\(v)' to date", at: p)
        }
    }

    /// Nanoseconds in a fixed-width unit; nil for calendar units (month, quarter, year).
    static func unitNanos(_ unit: String) -> Int64? {
        switch unit.lowercased() {
        case "millisecond": 1_000_000
        case "second": 1_000_000_000
        case "minute": 60_000_000_000
        case "hour": 3_600_000_000_000
        case "day": 86_400_000_000_000
        case "week": 7 * 86_400_000_000_000
        default: nil
        }
    }

    static func truncate(_ unit: String, _ t: Int64, at p: Int) throws -> Int64 {
        let u = unit.lowercased()
        if u == "week" {
            // ISO weeks start on Monday; 1970-01-01 was a Thursday.
            let day: Int64 = 86_400_000_000_000
            let days = floorDiv(t, day)
            let monday = days - ((days + 3) % 7 + 7) % 7
            return try Checked.multiply(monday, day, "timestamp", at: p)
        }
        if let n = unitNanos(u) { return try Checked.multiply(floorDiv(t, n), n, "timestamp", at: p) }
        let days = Int(floorDiv(t, 86_400_000_000_000))
        let (y, m, _) = Timestamp.civilFromDays(days)
        let start: Int64?
        switch u {
        case "month": start = Timestamp.make(year: y, month: m, day: 1, hour: 0, minute: 0, second: 0)
        case "quarter": start = Timestamp.make(year: y, month: (m - 1) / 3 * 3 + 1, day: 1, hour: 0, minute: 0, second: 0)
        case "year": start = Timestamp.make(year: y, month: 1, day: 1, hour: 0, minute: 0, second: 0)
        default: throw QueryError(.value, "unknown unit '\(unit)'; use millisecond, second, minute, hour, day, week, month, quarter or year", at: p)
        }
        guard let start else { throw Checked.overflow("timestamp", "truncation", at: p) }
        return start
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { Timestamp.floorDiv(a, b) }

    static func addUnits(_ unit: String, _ n: Int64, _ t: Int64, at p: Int) throws -> Int64 {
        if let u = unitNanos(unit) { return try Checked.add(t, try Checked.multiply(n, u, "timestamp", at: p), "timestamp", at: p) }
        let months: Int64
        switch unit.lowercased() {
        case "month": months = n
        case "quarter": months = try Checked.multiply(3, n, "timestamp", at: p)
        case "year": months = try Checked.multiply(12, n, "timestamp", at: p)
        default: throw QueryError(.value, "unknown unit '\(unit)'", at: p)
        }
        let day: Int64 = 86_400_000_000_000
        let days = floorDiv(t, day), rest = (t % day + day) % day  // (days * day can pass Int64.min)
        let (y, m, d) = Timestamp.civilFromDays(Int(days))
        let total = try Checked.add(Int64(y) * 12 + Int64(m - 1), months, "timestamp", at: p)
        // Nanoseconds since 1970 reach the years 1677 to 2262; a year far outside is refused
        // before the calendar arithmetic (the last step checks the exact bound).
        guard (1000 * 12)...(3000 * 12) ~= total else { throw Checked.overflow("timestamp", "addition", at: p) }
        let ny = Int(floorDiv(total, 12)), nm = Int(total - Int64(ny) * 12) + 1
        let lastDay = Timestamp.civilFromDays(Timestamp.daysFromCivil(nm == 12 ? ny + 1 : ny, nm == 12 ? 1 : nm + 1, 1) - 1).day
        let start = try Checked.multiply(Int64(Timestamp.daysFromCivil(ny, nm, min(d, lastDay))), day, "timestamp", at: p)
        return try Checked.add(start, rest, "timestamp", at: p)
    }

    /// Joda/Java-style patterns as Trino's format_datetime: yyyy MM dd HH mm ss SSS, literal text in quotes.
    /// `Z` writes the zone's offset (`+0100`, `ZZ` `+01:00`), `ZZZ` and `z` its name; times
    /// without a zone are UTC's.
    static func formatDateTime(_ t: Int64, _ pattern: String, zone: (offset: Int, name: String)? = nil) -> String {
        let day: Int64 = 86_400_000_000_000
        let days = floorDiv(t, day), rest = (t % day + day) % day  // (days * day can pass Int64.min)
        let (y, mo, d) = Timestamp.civilFromDays(Int(days))
        let h = Int(rest / 3_600_000_000_000), mi = Int(rest / 60_000_000_000 % 60), s = Int(rest / 1_000_000_000 % 60)
        let ms = Int(rest / 1_000_000 % 1000)
        let chars = Array(pattern)
        var out = "", i = 0
        func pad(_ v: Int, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        while i < chars.count {
            let c = chars[i]
            if c == "'" {
                i += 1
                while i < chars.count, chars[i] != "'" { out.append(chars[i]); i += 1 }
                i += 1
                continue
            }
            var n = 1
            while i + n < chars.count, chars[i + n] == c { n += 1 }
            switch c {
            case "y": out += n == 2 ? pad(y % 100, 2) : pad(y, n)
            case "M": out += n >= 3 ? ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][mo - 1] : pad(mo, n)
            case "d": out += pad(d, n)
            case "H": out += pad(h, n)
            case "m": out += pad(mi, n)
            case "s": out += pad(s, n)
            case "S": out += String(pad(ms, 3).prefix(n))
            case "Z" where n >= 3, "z": out += zone?.name ?? "UTC"
            case "Z":
                let offset = zone?.offset ?? 0, m = abs(offset) / 60
                out += (offset < 0 ? "-" : "+") + pad(m / 60, 2) + (n == 2 ? ":" : "") + pad(m % 60, 2)
            default: out += String(repeating: c, count: n)
            }
            i += n
        }
        return out
    }

    /// The ISO week of the day `days` after the epoch (weeks start on Monday; week 1 holds the
    /// year's first Thursday).
    static func isoWeek(_ days: Int) -> Int {
        let weekday = ((days + 3) % 7 + 7) % 7  // Monday 0
        let thursday = days - weekday + 3
        let year = Timestamp.civilFromDays(thursday).year
        return (thursday - Timestamp.daysFromCivil(year, 1, 1)) / 7 + 1
    }

    static func pad(_ a: [Value], left: Bool, _ fn: String, _ p: Int) throws -> String {
        let s = try str(a[0], fn, p), n = Int(try int(a[1], fn, p)), fill = try str(a[2], fn, p)
        guard n >= 0, n <= 1 << 20 else { throw QueryError(.value, "\(fn)() length \(n) is out of range", at: p) }
        if s.count >= n { return String(s.prefix(n)) }
        guard !fill.isEmpty else { throw QueryError(.value, "\(fn)() needs a non-empty padding", at: p) }
        let padding = String(String(repeating: fill, count: (n - s.count) / fill.count + 1).prefix(n - s.count))
        return left ? padding + s : s + padding
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    static let dayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// `date_format`'s MySQL-style pattern (`%Y-%m-%d %H:%i:%s`).
    static func mysqlFormat(_ t: Int64, _ pattern: String, at p: Int) throws -> String {
        let day: Int64 = 86_400_000_000_000
        let days = Int(floorDiv(t, day)), rest = (t % day + day) % day
        let (y, mo, d) = Timestamp.civilFromDays(days)
        let h = Int(rest / 3_600_000_000_000), mi = Int(rest / 60_000_000_000 % 60), s = Int(rest / 1_000_000_000 % 60)
        let micros = Int(rest / 1_000 % 1_000_000), weekday = ((days + 3) % 7 + 7) % 7
        func pad(_ v: Int, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        var out = "", chars = Array(pattern)[...]
        while let c = chars.popFirst() {
            guard c == "%", let f = chars.popFirst() else { out.append(c); continue }
            switch f {
            case "Y": out += pad(y, 4)
            case "y": out += pad(y % 100, 2)
            case "m": out += pad(mo, 2)
            case "c": out += String(mo)
            case "d": out += pad(d, 2)
            case "e": out += String(d)
            case "H": out += pad(h, 2)
            case "k": out += String(h)
            case "h", "I": out += pad((h + 11) % 12 + 1, 2)
            case "l": out += String((h + 11) % 12 + 1)
            case "i": out += pad(mi, 2)
            case "s", "S": out += pad(s, 2)
            case "f": out += pad(micros, 6)
            case "p": out += h < 12 ? "AM" : "PM"
            case "T": out += "\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2))"
            case "r": out += "\(pad((h + 11) % 12 + 1, 2)):\(pad(mi, 2)):\(pad(s, 2)) \(h < 12 ? "AM" : "PM")"
            case "j": out += pad(days - Timestamp.daysFromCivil(y, 1, 1) + 1, 3)
            case "M": out += monthNames[mo - 1]
            case "b": out += String(monthNames[mo - 1].prefix(3))
            case "W": out += dayNames[weekday]
            case "a": out += String(dayNames[weekday].prefix(3))
            case "%": out += "%"
            default: throw QueryError(.value, "date_format() does not know %\(f)", at: p)
            }
        }
        return out
    }

    /// `date_parse`'s MySQL-style pattern read back: the instant, or nil when the text does not fit.
    static func mysqlParse(_ text: String, _ pattern: String) -> Int64? {
        var t = Array(text.utf8)[...], y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0, micros = 0, pm: Bool?
        func number(_ most: Int) -> Int? {
            var v = 0, n = 0
            while n < most, let c = t.first, c >= 48, c <= 57 { v = v * 10 + Int(c - 48); t.removeFirst(); n += 1 }
            return n == 0 ? nil : v
        }
        var pat = Array(pattern)[...]
        while let c = pat.popFirst() {
            if c != "%" {
                guard let b = t.first, String(UnicodeScalar(b)) == String(c) else { return nil }
                t.removeFirst()
                continue
            }
            guard let f = pat.popFirst() else { return nil }
            switch f {
            case "Y": guard let v = number(4) else { return nil }; y = v
            case "y": guard let v = number(2) else { return nil }; y = 2000 + v
            case "m", "c": guard let v = number(2) else { return nil }; mo = v
            case "d", "e": guard let v = number(2) else { return nil }; d = v
            case "H", "k", "h", "I", "l": guard let v = number(2) else { return nil }; h = v
            case "i": guard let v = number(2) else { return nil }; mi = v
            case "s", "S": guard let v = number(2) else { return nil }; s = v
            case "f":
                let before = t.count
                guard let v = number(9) else { return nil }
                let digits = before - t.count
                micros = digits <= 6 ? v * Int(pow(10.0, Double(6 - digits))) : v / Int(pow(10.0, Double(digits - 6)))
            case "p":
                let word = String(decoding: t.prefix(2), as: UTF8.self).uppercased()
                guard word == "AM" || word == "PM" else { return nil }
                pm = word == "PM"
                t.removeFirst(2)
            case "T":
                guard let a = number(2), t.popFirst() == 58, let b = number(2), t.popFirst() == 58, let c2 = number(2) else { return nil }
                (h, mi, s) = (a, b, c2)
            case "%": guard t.popFirst() == 37 else { return nil }
            default: return nil
            }
        }
        guard t.isEmpty, (1...12).contains(mo), (1...31).contains(d), h <= 23, mi <= 59, s <= 60 else { return nil }
        if let pm { h = h % 12 + (pm ? 12 : 0) }
        guard let base = Timestamp.make(year: y, month: mo, day: d, hour: h, minute: mi, second: s) else { return nil }
        return base + Int64(micros) * 1000
    }

    /// A regular expression's match, or an error where PCRE2 gave up (never a silent "no match").
    static func search(_ r: PCRERegex, _ line: ByteLine, _ d: PCRERegex.MatchData, _ fn: String, _ p: Int, from start: Int = 0) throws -> UnsafeMutablePointer<Int>? {
        do {
            return try r.search(line, d, from: start)
        } catch let e as PCRERegex.LimitError {
            throw QueryError(.value, "\(fn)() gave up on a value: \(e.message) (the pattern backtracks too much, e.g. nested quantifiers like (x+x+)+; simplify it)", at: p)
        }
    }

    /// Every non-overlapping match of `r` in `bytes`, left to right: its start, end and `group`'s
    /// text (nil when the group took no part). After an empty match the next search starts a
    /// character later.
    static func matches(_ r: PCRERegex, _ d: PCRERegex.MatchData, _ bytes: [UInt8], group g: Int, _ fn: String, _ p: Int) throws -> [(Int, Int, String?)] {
        try bytes.withUnsafeBufferPointer { buf in
            let line = ByteLine(base: buf.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: buf.count)
            var out: [(Int, Int, String?)] = [], pos = 0
            while pos <= bytes.count, let ov = try search(r, line, d, fn, p, from: pos) {
                let (ms, me) = (ov[0], ov[1])
                out.append((ms, me, ov[2 * g] >= 0 ? line.slice(ov[2 * g], ov[2 * g + 1]).string : nil))
                if me > ms { pos = me; continue }
                // An empty match: on past the next character (not into the middle of one).
                pos = me + 1
                while pos < bytes.count, bytes[pos] & 0xC0 == 0x80 { pos += 1 }
                guard out.count <= maxElements else { break }
            }
            return out
        }
    }

    /// `$.a.b[0]`-style paths over JSON text: the scalar there, as text (NULL for objects and arrays).
    static func jsonExtract(_ json: String, _ path: String) -> Value {
        guard let root = parseJSON(json), let node = jsonNode(root, path) else { return .null }
        switch node {
        case let s as String: return .string(s)
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return .string(n.boolValue ? "true" : "false") }  // JSON true/false
            return .string(Value.format(n.doubleValue))
        default: return .null  // objects and arrays are not scalars
        }
    }

    // MARK: the table

    static let table: [String: Spec] = {
        var t: [String: Spec] = [:]
        func add(_ name: String, _ arity: ClosedRange<Int>, nulls: Bool = false, _ body: @escaping @Sendable ([Value], Int, ExprCompiler) throws -> Value) {
            t[name] = Spec(arity: arity, takesNulls: nulls, body: body)
        }
        // Strings
        add("lower", 1...1) { a, p, _ in .string(try str(a[0], "lower", p).lowercased()) }
        add("upper", 1...1) { a, p, _ in .string(try str(a[0], "upper", p).uppercased()) }
        add("length", 1...1) { a, _, _ in
            if case .binary(let b) = a[0] { return .int(Int64(b.count)) }
            return .int(Int64(textOf(a[0]).count))
        }
        add("trim", 1...1) { a, p, _ in .string(try str(a[0], "trim", p).trimmingCharacters(in: .whitespaces)) }
        add("ltrim", 1...1) { a, p, _ in .string(String(try str(a[0], "ltrim", p).drop { $0 == " " })) }
        add("rtrim", 1...1) { a, p, _ in
            let s = try str(a[0], "rtrim", p)
            return .string(String(s.reversed().drop { $0 == " " }.reversed()))
        }
        add("substr", 2...3) { a, p, _ in
            let s = Array(try str(a[0], "substr", p))
            var start = Int(try int(a[1], "substr", p))
            if start < 0 { start = start < -s.count ? 0 : s.count + start + 1 }
            guard start >= 1, start <= s.count else { return .string("") }
            let len = a.count == 3 ? Int(try int(a[2], "substr", p)) : s.count
            guard len > 0 else { return .string("") }
            return .string(String(s[(start - 1)..<(start - 1 + min(len, s.count - start + 1))]))
        }
        t["substring"] = t["substr"]
        add("strpos", 2...2) { a, p, _ in
            let s = try str(a[0], "strpos", p), sub = try str(a[1], "strpos", p)
            guard let r = s.range(of: sub) else { return .int(0) }
            return .int(Int64(s.distance(from: s.startIndex, to: r.lowerBound) + 1))
        }
        add("split_part", 3...3) { a, p, _ in
            let s = try str(a[0], "split_part", p), d = try str(a[1], "split_part", p)
            let i = Int(try int(a[2], "split_part", p))
            guard i >= 1 else { throw QueryError(.value, "split_part() index must be 1 or more", at: p) }
            guard !d.isEmpty else { return i == 1 ? .string(s) : .null }
            // The i-th field found in the bytes, without splitting the rest.
            var text = s, delimiter = d
            return text.withUTF8 { b in
                delimiter.withUTF8 { dl in
                    func next(_ from: Int) -> Int? {
                        guard b.count >= dl.count else { return nil }
                        var j = from
                        while j + dl.count <= b.count {
                            if b[j] == dl[0], memcmp(b.baseAddress! + j, dl.baseAddress!, dl.count) == 0 { return j }
                            j += 1
                        }
                        return nil
                    }
                    var start = 0
                    for _ in 1..<i {
                        guard let at = next(start) else { return .null }
                        start = at + dl.count
                    }
                    let end = next(start) ?? b.count
                    return .string(String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self))
                }
            }
        }
        add("concat", 1...64, nulls: true) { a, p, _ in
            if a.contains(.null) { return .null }
            if case .array = a[0] { return try capped(try a.flatMap { try array($0, "concat", p) }, "concat()", p) }
            return .string(a.map(textOf).joined())
        }
        add("replace", 2...3) { a, p, _ in
            .string(try str(a[0], "replace", p).replacingOccurrences(of: try str(a[1], "replace", p), with: a.count == 3 ? try str(a[2], "replace", p) : ""))
        }
        add("starts_with", 2...2) { a, p, _ in .bool(try str(a[0], "starts_with", p).hasPrefix(try str(a[1], "starts_with", p))) }
        // Conditionals
        add("coalesce", 1...64, nulls: true) { a, _, _ in a.first { $0 != .null } ?? .null }
        add("nullif", 2...2, nulls: true) { a, p, _ in
            if a[0] == .null { return .null }
            return try Compare.values(a[0], a[1], at: p) == 0 ? .null : a[0]
        }
        // (Values that cannot be compared — a number and a text — are an error, as in Trino.)
        @Sendable func extreme(_ name: String, _ a: [Value], _ p: Int, _ wins: (Int) -> Bool) throws -> Value {
            try a.dropFirst().reduce(a[0]) { m, v in
                guard let c = try Compare.values(v, m, at: p) else {
                    throw QueryError(.type, "\(name)() cannot compare \(typeName(v)) with \(typeName(m))", at: p)
                }
                return wins(c) ? v : m
            }
        }
        add("greatest", 1...64) { a, p, _ in try extreme("greatest", a, p) { $0 > 0 } }
        add("least", 1...64) { a, p, _ in try extreme("least", a, p) { $0 < 0 } }
        add("if", 2...3, nulls: true) { a, _, _ in a[0] == .bool(true) ? a[1] : (a.count == 3 ? a[2] : .null) }
        // Numbers
        add("abs", 1...1) { a, p, _ in
            if case .int(let i) = a[0] { return .int(i < 0 ? try Checked.negate(i, at: p) : i) }
            return .double(abs(try num(a[0], "abs", p)))
        }
        add("round", 1...2) { a, p, _ in
            let d = a.count == 2 ? Int(try int(a[1], "round", p)) : 0
            if case .int(let i) = a[0], d >= 0 { return .int(i) }
            let x = try num(a[0], "round", p)
            // Past ±308 places 10^d is infinite or zero in doubles: every double is already
            // whole at that scale, and rounds to 0 at the other end.
            if d > 308 { return .double(x) }
            if d < -308 { return .double(x.sign == .minus ? -0.0 : 0) }
            let scale = pow(10.0, Double(d))
            let r = (x * scale).rounded(.toNearestOrAwayFromZero) / scale
            return .double(r.isFinite ? r : x)
        }
        add("floor", 1...1) { a, p, _ in if case .int = a[0] { return a[0] }; return .double(floor(try num(a[0], "floor", p))) }
        add("ceil", 1...1) { a, p, _ in if case .int = a[0] { return a[0] }; return .double(ceil(try num(a[0], "ceil", p))) }
        t["ceiling"] = t["ceil"]
        add("sqrt", 1...1) { a, p, _ in .double(sqrt(try num(a[0], "sqrt", p))) }
        add("ln", 1...1) { a, p, _ in .double(log(try num(a[0], "ln", p))) }
        add("log10", 1...1) { a, p, _ in .double(log10(try num(a[0], "log10", p))) }
        add("power", 2...2) { a, p, _ in .double(pow(try num(a[0], "power", p), try num(a[1], "power", p))) }
        t["pow"] = t["power"]
        add("mod", 2...2) { a, p, _ in try Arithmetic.apply("%", a[0], a[1], at: p) }
        // Times
        add("now", 0...0) { _, _, c in .timestamp(c.now) }
        t["current_timestamp"] = t["now"]
        add("date_trunc", 2...2) { a, p, _ in
            let unit = try str(a[0], "date_trunc", p)
            let w = try wall(a[1], "date_trunc", p), cut = try truncate(unit, w, at: p)
            if case .zoned(let t, let z) = a[1], let u = unitNanos(unit), u < 86_400_000_000_000 {
                // Less than a day: cut at the offset the time has (the second 01:30 of a night the
                // clocks go back is truncated to the second 01:00, not the first).
                return .zoned(t - (w - cut), z)
            }
            return rewrap(cut, like: a[1], wholeDays: unitNanos(unit).map { $0 >= 86_400_000_000_000 } ?? true)
        }
        add("date_add", 3...3) { a, p, _ in
            let unit = try str(a[0], "date_add", p), n = try int(a[1], "date_add", p)
            if case .zoned(let t, let z) = a[2], let u = unitNanos(unit), u < 86_400_000_000_000 {
                // Hours and less move the instant (across a change of the clocks, as Trino).
                return .zoned(try addUnits(unit, n, t, at: p), z)
            }
            return rewrap(try addUnits(unit, n, try wall(a[2], "date_add", p), at: p), like: a[2], wholeDays: true)
        }
        // `ts + INTERVAL '1' MONTH` (the parser's name for it: not one a query can spell).
        add(SQLParser.addMonthsName, 2...2) { a, p, _ in
            rewrap(try addUnits("month", try int(a[0], "+", p), try wall(a[1], "+", p), at: p), like: a[1], wholeDays: true)
        }
        add("date_diff", 3...3) { a, p, _ in
            let unit = try str(a[0], "date_diff", p)
            if let n = unitNanos(unit) {
                // Days and weeks of zoned times on their clocks (a day the clocks change is a day).
                let byWall = n >= 86_400_000_000_000
                let x = byWall ? try wall(a[1], "date_diff", p) : try time(a[1], "date_diff", p)
                let y = byWall ? try wall(a[2], "date_diff", p) : try time(a[2], "date_diff", p)
                return .int(try Checked.subtract(y, x, "interval", at: p) / n)
            }
            // Calendar units: the whole months from one wall clock to the other, as Joda (and so
            // Trino) counts them — the most months that, added to the first, do not pass the
            // second (Jan 31 to Feb 28 is one month: Jan 31 plus a month is Feb 28).
            let x = try wall(a[1], "date_diff", p), y = try wall(a[2], "date_diff", p)
            let day: Int64 = 86_400_000_000_000
            let (y1, m1, _) = Timestamp.civilFromDays(Int(floorDiv(x, day))), (y2, m2, _) = Timestamp.civilFromDays(Int(floorDiv(y, day)))
            var months = Int64((y2 - y1) * 12 + (m2 - m1))
            if months > 0, try addUnits("month", months, x, at: p) > y { months -= 1 }
            if months < 0, try addUnits("month", months, x, at: p) < y { months += 1 }
            switch unit.lowercased() {
            case "month": return .int(months)
            case "quarter": return .int(months / 3)
            case "year": return .int(months / 12)
            default: throw QueryError(.value, "unknown unit '\(unit)'", at: p)
            }
        }
        add("date_bin", 2...3) { a, p, _ in
            guard case .interval(let w) = a[0], w > 0 else { throw QueryError(.type, "date_bin() needs a positive interval first, e.g. INTERVAL '5' MINUTE", at: p) }
            let t0 = try time(a[1], "date_bin", p)
            let origin = a.count == 3 ? try time(a[2], "date_bin", p) : 0
            let bins = floorDiv(try Checked.subtract(t0, origin, "timestamp", at: p), w)
            return .timestamp(try Checked.add(try Checked.multiply(bins, w, "timestamp", at: p), origin, "timestamp", at: p))
        }
        add("from_iso8601_timestamp", 1...1) { a, p, _ in
            guard let t = Compare.parseTime(try str(a[0], "from_iso8601_timestamp", p)) else { throw QueryError(.value, "'\(a[0])' is not an ISO 8601 time", at: p) }
            return .timestamp(t)
        }
        add("from_iso8601_date", 1...1) { a, p, _ in try day(.string(try str(a[0], "from_iso8601_date", p)), "from_iso8601_date", p) }
        add("from_unixtime", 1...2) { a, p, _ in
            let t = try Checked.int64(try num(a[0], "from_unixtime", p) * 1e9, "from_unixtime()'s time (in nanoseconds)", at: p)
            return a.count == 2 ? .zoned(t, try zone(a[1], "from_unixtime", p)) : .timestamp(t)
        }
        add("to_unixtime", 1...1) { a, p, _ in .double(Double(try time(a[0], "to_unixtime", p)) / 1e9) }
        add("format_datetime", 2...2) { a, p, _ in
            var zone: (offset: Int, name: String)?
            if case .zoned(let t, let z) = a[0] { zone = (z.zone.offset(atUTC: floorDiv(t, 1_000_000_000)), z.zone.identifier) }
            return .string(formatDateTime(try wall(a[0], "format_datetime", p), try str(a[1], "format_datetime", p), zone: zone))
        }
        // A time's fields, read on its wall clock (a zoned time's in its zone).
        func field(_ name: String, _ f: @escaping @Sendable (_ days: Int64, _ rest: Int64) -> Int64) {
            add(name, 1...1) { a, p, _ in
                let t = try wall(a[0], name, p), day: Int64 = 86_400_000_000_000
                let days = floorDiv(t, day)
                return .int(f(days, t &- days &* day))
            }
        }
        field("year") { days, _ in Int64(Timestamp.civilFromDays(Int(days)).year) }
        field("month") { days, _ in Int64(Timestamp.civilFromDays(Int(days)).month) }
        field("quarter") { days, _ in Int64((Timestamp.civilFromDays(Int(days)).month - 1) / 3 + 1) }
        for name in ["day", "day_of_month"] { field(name) { days, _ in Int64(Timestamp.civilFromDays(Int(days)).day) } }
        field("hour") { _, rest in rest / 3_600_000_000_000 }
        field("minute") { _, rest in rest / 60_000_000_000 % 60 }
        field("second") { _, rest in rest / 1_000_000_000 % 60 }
        field("millisecond") { _, rest in rest / 1_000_000 % 1000 }
        // ISO day of the week (Monday 1 … Sunday 7), day of the year, ISO week (Trino's).
        for name in ["day_of_week", "dow"] { field(name) { days, _ in ((days + 3) % 7 + 7) % 7 + 1 } }
        for name in ["day_of_year", "doy"] {
            field(name) { days, _ in Int64(Int(days) - Timestamp.daysFromCivil(Timestamp.civilFromDays(Int(days)).year, 1, 1) + 1) }
        }
        for name in ["week", "week_of_year"] { field(name) { days, _ in Int64(isoWeek(Int(days))) } }
        add("to_iso8601", 1...1) { a, p, _ in
            switch a[0] {
            case .date, .zoned: return .string(a[0].description)
            default: return .string(Timestamp.iso8601(try time(a[0], "to_iso8601", p)))
            }
        }
        // Days and zones.
        add("date", 1...1) { a, p, _ in try day(a[0], "date", p) }
        add("current_date", 0...0) { _, _, c in .date(floorDiv(c.now, 86_400_000_000_000)) }
        add("last_day_of_month", 1...1) { a, p, _ in
            let (y, m, _) = Timestamp.civilFromDays(Int(floorDiv(try wall(a[0], "last_day_of_month", p), 86_400_000_000_000)))
            return .date(Int64(Timestamp.daysFromCivil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1))
        }
        // The same instant on another zone's clock.
        add("at_timezone", 2...2) { a, p, _ in .zoned(try time(a[0], "at_timezone", p), try zone(a[1], "at_timezone", p)) }
        // The same wall clock, now read in a zone.
        add("with_timezone", 2...2) { a, p, _ in
            let z = try zone(a[1], "with_timezone", p)
            return .zoned(z.zone.utc(fromLocal: try wall(a[0], "with_timezone", p)), z)
        }
        add("timezone_hour", 1...1) { a, p, _ in
            guard case .zoned(let t, let z) = a[0] else { return .int(0) }
            return .int(Int64(z.zone.offset(atUTC: floorDiv(t, 1_000_000_000)) / 3600))
        }
        add("timezone_minute", 1...1) { a, p, _ in
            guard case .zoned(let t, let z) = a[0] else { return .int(0) }
            return .int(Int64(z.zone.offset(atUTC: floorDiv(t, 1_000_000_000)) / 60 % 60))
        }
        // MySQL-style patterns, as Trino's date_format and date_parse take them.
        add("date_format", 2...2) { a, p, _ in .string(try mysqlFormat(try wall(a[0], "date_format", p), try str(a[1], "date_format", p), at: p)) }
        add("date_parse", 2...2) { a, p, _ in
            let text = try str(a[0], "date_parse", p), pattern = try str(a[1], "date_parse", p)
            guard let t = mysqlParse(text, pattern) else { throw QueryError(.value, "'\(text)' does not match the pattern '\(pattern)'", at: p) }
            return .timestamp(t)
        }
        // Text
        add("reverse", 1...1) { a, p, _ in
            if case .array(let items) = a[0] { return .array(items.reversed()) }
            return .string(String(try str(a[0], "reverse", p).reversed()))
        }
        add("lpad", 3...3) { a, p, _ in .string(try pad(a, left: true, "lpad", p)) }
        add("rpad", 3...3) { a, p, _ in .string(try pad(a, left: false, "rpad", p)) }
        add("levenshtein_distance", 2...2) { a, p, _ in
            .int(Int64(ExprCompiler.editDistance(try str(a[0], "levenshtein_distance", p), try str(a[1], "levenshtein_distance", p))))
        }
        // URLs (Trino's url_extract_*): a part of a URL, NULL where it has none.
        for part in ["protocol", "host", "port", "path", "query", "fragment"] {
            add("url_extract_" + part, 1...1) { a, p, _ in
                guard let u = URLComponents(string: try str(a[0], "url_extract_" + part, p)) else { return .null }
                switch part {
                case "protocol": return u.scheme.map(Value.string) ?? .null
                case "host": return u.host.map(Value.string) ?? .null
                case "port": return u.port.map { .int(Int64($0)) } ?? .null
                case "path": return .string(u.path)
                case "query": return u.query.map(Value.string) ?? .null
                default: return u.fragment.map(Value.string) ?? .null
                }
            }
        }
        add("url_extract_parameter", 2...2) { a, p, _ in
            let name = try str(a[1], "url_extract_parameter", p)
            guard let u = URLComponents(string: try str(a[0], "url_extract_parameter", p)) else { return .null }
            return u.queryItems?.first { $0.name == name }.map { .string($0.value ?? "") } ?? .null
        }
        // Regular expressions (PCRE2; Trino uses Java's, the common syntax is the same)
        add("regexp_like", 2...2) { a, p, c in
            let (r, d) = try c.regexCache.regex(try str(a[1], "regexp_like", p), at: p)
            return .bool(try ByteLine.with(try str(a[0], "regexp_like", p)) { try search(r, $0, d, "regexp_like", p) } != nil)
        }
        add("regexp_extract", 2...3) { a, p, c in
            let s = try str(a[0], "regexp_extract", p)
            let (r, d) = try c.regexCache.regex(try str(a[1], "regexp_extract", p), at: p)
            let g = a.count == 3 ? Int(try int(a[2], "regexp_extract", p)) : 0
            guard g >= 0, g <= r.groupCount else { throw QueryError(.value, "regexp_extract() group \(g) does not exist; the pattern has \(r.groupCount)", at: p) }
            return try ByteLine.with(s) { line -> Value in
                guard let ov = try search(r, line, d, "regexp_extract", p), ov[2 * g] >= 0 else { return .null }
                return .string(line.slice(ov[2 * g], ov[2 * g + 1]).string)
            }
        }
        add("regexp_replace", 2...3) { a, p, c in
            let s = try str(a[0], "regexp_replace", p)
            let (r, d) = try c.regexCache.regex(try str(a[1], "regexp_replace", p), at: p)
            let repl = a.count == 3 ? try str(a[2], "regexp_replace", p) : ""
            let bytes = Array(s.utf8)
            var out: [UInt8] = [], pos = 0
            // Each search from where the last match ended, over the whole value (so `^` matches once).
            for (ms, me, _) in try matches(r, d, bytes, group: 0, "regexp_replace", p) {
                out += bytes[pos..<ms]
                out += Array(repl.utf8)
                pos = me
            }
            out += bytes[pos...]
            return .string(String(decoding: out, as: UTF8.self))
        }
        // JSON
        add("json_extract_scalar", 2...2) { a, p, _ in jsonExtract(try str(a[0], "json_extract_scalar", p), try str(a[1], "json_extract_scalar", p)) }
        add("typeof", 1...1, nulls: true) { a, _, _ in .string(typeName(a[0])) }
        t.merge(arrayTable) { mine, _ in mine }
        t.merge(binaryTable) { _, theirs in theirs }  // (to_base64 and from_base64 of bytes, as Trino's)
        return t
    }()
}
