import Foundation

/// The row an expression reads: a row of a segment, or a row of values (a subquery's result,
/// the groups of an aggregation). One cursor is reused for every row of a scan, on the one
/// thread that runs it — so its fields skip the run-time exclusivity checks (each a
/// thread-local lookup, on every value every row reads).
final class RowCursor {
    @exclusivity(unchecked) var segmentColumns: [SegmentColumn?] = []
    /// A segment still in its store file: its columns are read as rows first ask for them.
    @exclusivity(unchecked) private var lazy: (segment: Segment, names: [String], types: [ColumnType])?
    @exclusivity(unchecked) private var fetched: [Bool] = []
    @exclusivity(unchecked) var row = 0
    /// The segment `segmentColumns` belong to, and its rows; nil and -1 when not known.
    @exclusivity(unchecked) var segment: ObjectIdentifier?
    @exclusivity(unchecked) var segmentRows = -1
    @exclusivity(unchecked) var values: [Value]?
    /// Per column, the table's type when this segment stores a narrower one (an int column
    /// in a segment whose table column is double): values are read at the table's type, so
    /// that results do not depend on how rows fell into segments.
    @exclusivity(unchecked) var widen: [ColumnType?] = []

    /// Points the cursor at a segment's columns, read as the table's `types`.
    func use(_ columns: [SegmentColumn?], types: [ColumnType]) {
        segmentColumns = columns
        segment = nil
        segmentRows = -1
        lazy = nil
        values = nil
        widen = zip(columns, types).map { c, t in
            guard let c, c.type != t, c.type != .null else { return nil }
            return t
        }
        if widen.allSatisfy({ $0 == nil }) { widen = [] }
    }

    /// Points the cursor at a segment's columns `names` (the table's, read as `types`); a
    /// segment in a store file gives each column only when a row reads it.
    func use(_ seg: Segment, names: [String], types: [ColumnType]) {
        defer { segment = ObjectIdentifier(seg); segmentRows = seg.rowCount }
        guard seg.isStoredLazily else { return use(names.map { seg.columns[$0] }, types: types) }
        segmentColumns = [SegmentColumn?](repeating: nil, count: names.count)
        fetched = [Bool](repeating: false, count: names.count)
        widen = []
        values = nil
        lazy = (seg, names, types)
    }

    private func fetch(_ k: Int) -> Bool {
        guard let lazy, !fetched[k] else { return false }
        fetched[k] = true
        guard let c = lazy.segment.columns[lazy.names[k]] else { return false }
        segmentColumns[k] = c
        if c.type != lazy.types[k] && c.type != .null {
            if widen.isEmpty { widen = [ColumnType?](repeating: nil, count: lazy.types.count) }
            widen[k] = lazy.types[k]
        }
        return true
    }

    @inline(__always) func column(_ k: Int) -> Value {
        if let values { return values[k] }
        guard let c = segmentColumns[k] else { return fetch(k) ? column(k) : .null }
        let v = c.value(at: row)
        if !widen.isEmpty, let t = widen[k] { return RowCursor.widened(v, to: t) }
        return v
    }

    /// Column `k` of the segment the row is in (`segmentRows` rows), when it is read at its
    /// stored type (not a row of values, not widened); nil otherwise.
    @inline(__always) func segmentColumn(_ k: Int) -> SegmentColumn? {
        if values != nil || segmentRows < 0 { return nil }
        if segmentColumns[k] == nil && !fetch(k) { return nil }
        if !widen.isEmpty, widen[k] != nil { return nil }
        return segmentColumns[k]
    }

    static func widened(_ v: Value, to t: ColumnType) -> Value {
        switch (v, t) {
        case (.int(let i), .double): return .double(Double(i))
        case (.null, _): return .null
        case (_, .string): return .string(textOf(v))
        default: return v
        }
    }
}

/// A compiled expression.
typealias Eval = (RowCursor) throws -> Value

/// Compiles expressions against the names of the columns their rows have.
struct ExprCompiler {
    /// Input column names, lower-cased.
    let names: [String]
    /// Evaluation time, for `now()`: fixed for the whole query.
    let now: Int64
    /// More names to suggest when a column is unknown (fields the store skipped).
    var hints: [String] = []
    let regexCache = RegexCache()
    /// The indexes of joins planned as lookups (`JoinIndex`).
    var joins: [JoinIndex] = []

    init(names: [String], now: Int64) {
        self.names = names
        self.now = now
    }

    /// A compiler for rows with other columns, with this one's clock and joins (and its own
    /// regular expressions).
    func with(names: [String]) -> ExprCompiler {
        var c = ExprCompiler(names: names, now: now)
        c.joins = joins
        return c
    }

    func index(of name: String, at p: Int) throws -> Int {
        let n = name.lowercased()
        if let k = names.firstIndex(of: n) { return k }
        throw QueryError(.unknownColumn, "unknown column '\(name)'" + ExprCompiler.suggestion(for: n, among: names + hints), at: p)
    }

    /// ", did you mean 'x'?" when a known name is close (edit distance ≤ 2, or a prefix).
    static func suggestion(for name: String, among names: [String]) -> String {
        let visible = names.filter { !$0.hasPrefix("\u{1}") }
        let best = visible.map { ($0, editDistance($0, name)) }.min { $0.1 < $1.1 }
        if let (n, d) = best, d <= max(1, min(2, name.count / 3)) || n.hasPrefix(name) { return "; did you mean '\(n)'?" }
        return ""
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where j <= b.count {
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }

    func compile(_ e: Expr) throws -> Eval {
        switch e {
        case .subquery(_, _, let p):
            // (The executor answers subqueries before compiling the query around them.)
            throw QueryError(.syntax, "a subquery cannot be used here", at: p)
        case .literal(let v, _):
            return { _ in v }
        case .interval(let ns, _):
            return { _ in .interval(ns) }
        case .column(let n, let p):
            let k = try index(of: n, at: p)
            return { $0.column(k) }
        case .unary(let op, let x, let p):
            let f = try compile(x)
            if op == "not" {
                return { r in
                    switch try f(r) {
                    case .null: return .null
                    case .bool(let b): return .bool(!b)
                    case let v: throw QueryError(.type, "NOT needs a boolean, not \(typeName(v))", at: p)
                    }
                }
            }
            return { r in
                let v = try f(r)
                if case .int(let i) = v { return .int(try Checked.negate(i, at: p)) }
                return try Arithmetic.apply("-", .int(0), v, at: p)
            }
        case .binary(let op, let l, let r, let p):
            let fl = try compile(l), fr = try compile(r)
            switch op {
            case "and":
                return { row in
                    let a = try fl(row)
                    if case .bool(false) = a { return .bool(false) }
                    let b = try fr(row)
                    if case .bool(false) = b { return .bool(false) }
                    guard case .bool = a, case .bool = b else {
                        if a == .null || b == .null, a == .null || a == .bool(true), b == .null || b == .bool(true) { return .null }
                        throw QueryError(.type, "AND needs booleans, not \(typeName(a)) and \(typeName(b))", at: p)
                    }
                    return .bool(true)
                }
            case "or":
                return { row in
                    let a = try fl(row)
                    if case .bool(true) = a { return .bool(true) }
                    let b = try fr(row)
                    if case .bool(true) = b { return .bool(true) }
                    if a == .null || b == .null {
                        guard a == .null || a == .bool(false), b == .null || b == .bool(false) else {
                            throw QueryError(.type, "OR needs booleans, not \(typeName(a)) and \(typeName(b))", at: p)
                        }
                        return .null
                    }
                    guard case .bool = a, case .bool = b else {
                        throw QueryError(.type, "OR needs booleans, not \(typeName(a)) and \(typeName(b))", at: p)
                    }
                    return .bool(false)
                }
            case "=", "<>", "<", "<=", ">", ">=":
                return { row in
                    let a = try fl(row), b = try fr(row)
                    guard let c = try Compare.values(a, b, at: p) else { return .null }
                    switch op {
                    case "=": return .bool(c == 0)
                    case "<>": return .bool(c != 0)
                    case "<": return .bool(c < 0)
                    case "<=": return .bool(c <= 0)
                    case ">": return .bool(c > 0)
                    default: return .bool(c >= 0)
                    }
                }
            case "||":
                return { row in
                    let a = try fl(row), b = try fr(row)
                    if a == .null || b == .null { return .null }
                    // Arrays join arrays (an element at either end joins too).
                    switch (a, b) {
                    case (.array(let x), .array(let y)): return try Functions.capped(x + y, "||", p)
                    case (.array(let x), _): return try Functions.capped(x + [b], "||", p)
                    case (_, .array(let y)): return .array([a] + y)
                    default: return .string(textOf(a) + textOf(b))
                    }
                }
            default:
                return { row in try Arithmetic.apply(op, try fl(row), try fr(row), at: p) }
            }
        case .isNull(let x, let negated, _):
            let f = try compile(x)
            return { r in .bool((try f(r) == .null) != negated) }
        case .between(let x, let lo, let hi, let negated, let p):
            let fx = try compile(x), fl = try compile(lo), fh = try compile(hi)
            return { r in
                let v = try fx(r)
                guard let a = try Compare.values(v, try fl(r), at: p), let b = try Compare.values(v, try fh(r), at: p) else { return .null }
                return .bool((a >= 0 && b <= 0) != negated)
            }
        case .inList(let x, let list, let negated, let p):
            let fx = try compile(x)
            // A long list of string or integer literals is looked up in a set, not walked.
            if list.count > 16 {
                /// Values of one type looked up in a set; a value of another type is compared one by one.
                func lookup<T: Hashable>(_ items: [T], _ wrap: @escaping (T) -> Value, _ unwrap: @escaping (Value) -> T?) -> Eval {
                    let set = Set(items)
                    return { r in
                        let v = try fx(r)
                        if v == .null { return .null }
                        if let x = unwrap(v) { return .bool(set.contains(x) != negated) }
                        return .bool(try items.contains { try Compare.values(v, wrap($0), at: p) == 0 } != negated)
                    }
                }
                let strings = list.compactMap { e -> String? in if case .literal(.string(let s), _) = e { s } else { nil } }
                if strings.count == list.count { return lookup(strings, Value.string) { if case .string(let s) = $0 { s } else { nil } } }
                let ints = list.compactMap { e -> Int64? in if case .literal(.int(let i), _) = e { i } else { nil } }
                if ints.count == list.count { return lookup(ints, Value.int) { if case .int(let i) = $0 { i } else { nil } } }
            }
            let fs = try list.map(compile)
            return { r in
                let v = try fx(r)
                if v == .null { return .null }
                var sawNull = false
                for f in fs {
                    let w = try f(r)
                    if w == .null { sawNull = true; continue }
                    if try Compare.values(v, w, at: p) == 0 { return .bool(!negated) }
                }
                return sawNull ? .null : .bool(negated)
            }
        case .like(let x, let pattern, let negated, let ci, let p):
            let fx = try compile(x)
            if case .literal(.string(let pat), _) = pattern {
                let m = LikePattern(pat, caseInsensitive: ci)
                return { r in
                    let v = try fx(r)
                    if v == .null { return .null }
                    return .bool(m.matches(textOf(v)) != negated)
                }
            }
            let fp = try compile(pattern)
            return { r in
                let v = try fx(r), pv = try fp(r)
                if v == .null || pv == .null { return .null }
                guard case .string(let pat) = pv else { throw QueryError(.type, "LIKE needs a varchar pattern, not \(typeName(pv))", at: p) }
                return .bool(LikePattern(pat, caseInsensitive: ci).matches(textOf(v)) != negated)
            }
        case .caseWhen(let operand, let whens, let other, let p):
            let fo = try operand.map(compile)
            let fw = try whens.map { (try compile($0.0), try compile($0.1)) }
            let fe = try other.map(compile)
            return { r in
                let base = try fo?(r)
                for (c, v) in fw {
                    let cv = try c(r)
                    if let base {
                        if try Compare.values(base, cv, at: p) == 0 { return try v(r) }
                    } else if cv == .bool(true) {
                        return try v(r)
                    }
                }
                return try fe?(r) ?? .null
            }
        case .cast(let x, let type, let isTry, let p):
            let f = try compile(x)
            return { r in
                let v = try f(r)
                if let c = Cast.value(v, to: type) { return c }
                if isTry { return .null }
                throw QueryError(.value, "cannot cast \(typeName(v)) '\(v)' to \(type)", at: p)
            }
        case .window(_, _, _, _, let p):
            throw QueryError(.syntax, "window functions belong in the SELECT list or ORDER BY", at: p)
        case .call(let name, let args, _, let star, let p):
            if Aggregates.isAggregate(name) {
                throw QueryError(.syntax, "aggregate \(name)() is not allowed here", at: p)
            }
            if star { throw QueryError(.syntax, "\(name)(*) is only for count", at: p) }
            if name == JoinIndex.function { return try JoinIndex.compile(args, at: p, self) }
            if Functions.lambdaTakers[name.lowercased()] != nil { return try Functions.compileWithLambdas(name.lowercased(), args, at: p, self) }
            if name == Functions.lambda { throw QueryError(.syntax, "a lambda (x -> …) goes only in transform, filter, reduce, any_match, all_match, none_match, zip_with, transform_values or map_filter", at: p) }
            if name.lowercased() == "try" {
                // Trino's try(x): NULL where x fails (a bad cast, a division by zero, an overflow).
                guard args.count == 1 else { throw QueryError(.arity, "try() takes 1 argument, not \(args.count)", at: p) }
                let f = try compile(args[0])
                return { r in
                    do { return try f(r) } catch let e as QueryError where e.kind != .cancelled && e.kind != .memory { return .null }
                }
            }
            return try Functions.compile(name, args, at: p, self)
        }
    }
}

/// Regular expressions compiled once per pattern for a query.
final class RegexCache: @unchecked Sendable {  // used by one query on one thread at a time
    private var cache: [String: PCRERegex] = [:]
    private var data: [ObjectIdentifier: PCRERegex.MatchData] = [:]

    func regex(_ pattern: String, at p: Int) throws -> (PCRERegex, PCRERegex.MatchData) {
        if let r = cache[pattern] { return (r, data[ObjectIdentifier(r)]!) }
        do {
            let r = try PCRERegex(pattern)
            cache[pattern] = r
            let d = r.makeMatchData()
            data[ObjectIdentifier(r)] = d
            return (r, d)
        } catch {
            throw QueryError(.value, "invalid regular expression: \(error)", at: p)
        }
    }
}

/// SQL's name for the type of a value, for error messages.
func typeName(_ v: Value) -> String {
    switch v {
    case .null: "unknown"
    case .bool: "boolean"
    case .int: "bigint"
    case .double: "double"
    case .string: "varchar"
    case .timestamp: "timestamp"
    case .interval: "interval day to second"
    case .array(let items): "array(\(items.first { $0 != .null }.map(typeName) ?? "unknown"))"
    case .map(let keys, let values):
        "map(\(keys.first.map(typeName) ?? "unknown"), \(values.first { $0 != .null }.map(typeName) ?? "unknown"))"
    case .binary: "varbinary"
    case .date: "date"
    case .zoned: "timestamp with time zone"
    }
}

/// The text of a value, as `||`, `concat` and string functions see it.
func textOf(_ v: Value) -> String {
    switch v {
    case .string(let s): s
    case .timestamp(let ns): Timestamp.iso8601(ns)
    default: v.description
    }
}

/// Comparisons between values: numbers across int and double, times against times (or text
/// that reads as a time), text against text (or numbers, when the text reads as one — a field
/// that widened to varchar still compares with numbers).
enum Compare {
    static func values(_ a: Value, _ b: Value, at p: Int) throws -> Int? {
        switch (a, b) {
        case (.null, _), (_, .null): return nil
        case (.int(let x), .int(let y)): return x < y ? -1 : x > y ? 1 : 0
        case (.int(let x), .double(let y)): return cmp(Double(x), y)
        case (.double(let x), .int(let y)): return cmp(x, Double(y))
        case (.double(let x), .double(let y)): return cmp(x, y)
        case (.string(let x), .string(let y)): return x < y ? -1 : x > y ? 1 : 0
        case (.timestamp(let x), .timestamp(let y)), (.interval(let x), .interval(let y)), (.date(let x), .date(let y)),
             (.zoned(let x, _), .zoned(let y, _)), (.zoned(let x, _), .timestamp(let y)), (.timestamp(let x), .zoned(let y, _)):
            return x < y ? -1 : x > y ? 1 : 0
        case (.date, .timestamp), (.date, .zoned), (.timestamp, .date), (.zoned, .date):
            // A day against a time: its midnight (UTC).
            return try values(.timestamp(try Functions.time(a, "a comparison", p)), .timestamp(try Functions.time(b, "a comparison", p)), at: p)
        case (.date, .string(let s)):
            return try values(a, try Functions.day(.string(s), "a comparison", p), at: p)
        case (.string(let s), .date):
            return try values(try Functions.day(.string(s), "a comparison", p), b, at: p)
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (!x ? -1 : 1)
        case (.binary(let x), .binary(let y)): return x.lexicographicallyPrecedes(y) ? -1 : x == y ? 0 : 1
        case (.array(let x), .array(let y)):
            // Element by element, then the shorter first; NULL elements make it NULL unless
            // another pair differs (ARRAY[NULL, 1] = ARRAY[NULL, 2] is false, as in Trino).
            var unknown = false
            for (u, v) in zip(x, y) {
                guard let c = try values(u, v, at: p) else { unknown = true; continue }
                if c != 0 { return c }
            }
            if unknown { return nil }
            return x.count < y.count ? -1 : x.count > y.count ? 1 : 0
        case (.map(let xk, let xv), .map(let yk, let yv)):
            // Maps are equal or not; they have no order (as in Trino).
            guard xk.count == yk.count else { return 1 }
            for (k, v) in zip(xk, xv) {
                guard let j = yk.firstIndex(of: k) else { return 1 }
                guard let c = try values(v, yv[j], at: p) else { return nil }
                if c != 0 { return 1 }
            }
            return 0
        case (.timestamp, .string(let s)), (.zoned, .string(let s)):
            guard let t = parseTime(s) else { throw QueryError(.type, "cannot compare timestamp with '\(s)', which is not a time", at: p) }
            return try values(a, .timestamp(t), at: p)
        case (.string(let s), .timestamp), (.string(let s), .zoned):
            guard let t = parseTime(s) else { throw QueryError(.type, "cannot compare '\(s)', which is not a time, with timestamp", at: p) }
            return try values(.timestamp(t), b, at: p)
        case (.string(let s), .int), (.string(let s), .double):
            guard let d = Double(s) else { return nil }
            return try values(.double(d), b, at: p)
        case (.int, .string(let s)), (.double, .string(let s)):
            guard let d = Double(s) else { return nil }
            return try values(a, .double(d), at: p)
        default:
            throw QueryError(.type, "cannot compare \(typeName(a)) with \(typeName(b))", at: p)
        }
    }

    @inline(__always) static func cmp(_ x: Double, _ y: Double) -> Int {
        // NaN sorts after every number, as in Trino.
        if x.isNaN || y.isNaN { return x.isNaN ? (y.isNaN ? 0 : 1) : -1 }
        return x < y ? -1 : x > y ? 1 : 0
    }

    static func parseTime(_ s: String) -> Int64? {
        ByteLine.with(s) { Timestamp.parse(text: $0, reference: 0) }
            ?? ByteLine.with(s + " 00:00:00") { Timestamp.parse(text: $0, reference: 0) }
    }

    /// Total order for ORDER BY: NULLs handled by the caller; mixed types by type rank.
    @inline(__always)
    static func forSort(_ a: Value, _ b: Value) -> Int {
        // Same-typed values, the usual case, without the general (throwing) path.
        switch (a, b) {
        case (.int(let x), .int(let y)), (.timestamp(let x), .timestamp(let y)): return x < y ? -1 : x > y ? 1 : 0
        case (.double(let x), .double(let y)): return cmp(x, y)
        case (.string(let x), .string(let y)): return x < y ? -1 : x > y ? 1 : 0
        default: break
        }
        if let c = try? values(a, b, at: 0) { return c }
        return rank(a) - rank(b)
    }

    private static func rank(_ v: Value) -> Int {
        switch v {
        case .null: 0
        case .bool: 1
        case .int, .double: 2
        case .timestamp, .date, .zoned: 3
        case .interval: 4
        case .string: 5
        case .array: 6
        case .map: 7
        case .binary: 8
        }
    }
}

/// `+ - * / %` over numbers, and times with intervals.
enum Arithmetic {
    static func apply(_ op: String, _ a: Value, _ b: Value, at p: Int) throws -> Value {
        switch (a, b) {
        case (.null, _), (_, .null): return .null
        case (.int(let x), .int(let y)):
            switch op {
            case "+": return .int(try Checked.add(x, y, at: p))
            case "-": return .int(try Checked.subtract(x, y, at: p))
            case "*": return .int(try Checked.multiply(x, y, at: p))
            case "/": return .int(try Checked.divide(x, y, at: p))
            default: return .int(try Checked.remainder(x, y, at: p))
            }
        case (.int, .double), (.double, .int), (.double, .double):
            let x = number(a)!, y = number(b)!
            switch op {
            case "+": return .double(x + y)
            case "-": return .double(x - y)
            case "*": return .double(x * y)
            case "/": return .double(x / y)
            default: return .double(x.truncatingRemainder(dividingBy: y))
            }
        case (.timestamp(let t), .interval(let d)) where op == "+" || op == "-":
            return .timestamp(op == "+" ? try Checked.add(t, d, "timestamp", at: p) : try Checked.subtract(t, d, "timestamp", at: p))
        case (.interval(let d), .timestamp(let t)) where op == "+":
            return .timestamp(try Checked.add(t, d, "timestamp", at: p))
        case (.timestamp(let x), .timestamp(let y)) where op == "-":
            return .interval(try Checked.subtract(x, y, "interval", at: p))
        case (.zoned(let t, let z), .interval(let d)) where op == "+" || op == "-":
            return .zoned(op == "+" ? try Checked.add(t, d, "timestamp", at: p) : try Checked.subtract(t, d, "timestamp", at: p), z)
        case (.interval(let d), .zoned(let t, let z)) where op == "+":
            return .zoned(try Checked.add(t, d, "timestamp", at: p), z)
        case (.zoned(let x, _), .zoned(let y, _)) where op == "-", (.zoned(let x, _), .timestamp(let y)) where op == "-",
             (.timestamp(let x), .zoned(let y, _)) where op == "-":
            return .interval(try Checked.subtract(x, y, "interval", at: p))
        case (.date, .interval), (.interval, .date), (.date, .date):
            // Days move a date (a date it stays); a part of a day makes it a timestamp.
            func ns(_ v: Value) throws -> Int64 { if case .interval(let d) = v { d } else { try Functions.time(v, "'\(op)'", p) } }
            let x = try ns(a), y = try ns(b)
            guard op == "+" || op == "-", !(op == "-" && a.isInterval), !(op == "+" && b.isDate && a.isDate) else {
                throw QueryError(.type, "cannot apply '\(op)' to \(typeName(a)) and \(typeName(b))", at: p)
            }
            if a.isDate && b.isDate { return .interval(try Checked.subtract(x, y, "interval", at: p)) }
            let (t, d) = a.isDate ? (x, y) : (y, x)
            return Functions.rewrap(op == "+" ? try Checked.add(t, d, "timestamp", at: p) : try Checked.subtract(t, d, "timestamp", at: p),
                                    like: a.isDate ? a : b, wholeDays: true)
        case (.interval(let x), .interval(let y)) where op == "+" || op == "-":
            return .interval(op == "+" ? try Checked.add(x, y, "interval", at: p) : try Checked.subtract(x, y, "interval", at: p))
        case (.interval(let x), .int(let y)) where op == "*" || op == "/":
            return .interval(op == "*" ? try Checked.multiply(x, y, "interval", at: p) : try Checked.divide(x, y, "interval", at: p))
        case (.string(let s), _) where Double(s) != nil:
            return try apply(op, Int64(s).map(Value.int) ?? .double(Double(s)!), b, at: p)
        case (_, .string(let s)) where Double(s) != nil:
            return try apply(op, a, Int64(s).map(Value.int) ?? .double(Double(s)!), at: p)
        default:
            throw QueryError(.type, "cannot apply '\(op)' to \(typeName(a)) and \(typeName(b))", at: p)
        }
    }

    static func number(_ v: Value) -> Double? {
        switch v {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

}

/// CAST and TRY_CAST: nil when the value does not convert.
enum Cast {
    static func value(_ v: Value, to t: ColumnType) -> Value? {
        if v == .null { return .null }
        switch (t, v) {
        case (.int, .int), (.double, .double), (.string, .string), (.bool, .bool), (.timestamp, .timestamp): return v
        case (.int, .double(let d)): return d.isFinite && abs(d) < 9.2e18 ? .int(Int64(d.rounded())) : nil
        case (.int, .bool(let b)): return .int(b ? 1 : 0)
        case (.int, .string(let s)): return Int64(s.trimmingCharacters(in: .whitespaces)).map(Value.int)
        case (.int, .timestamp(let ns)): return .int(ns / Timestamp.nanosPerSecond)
        case (.double, .int(let i)): return .double(Double(i))
        case (.double, .string(let s)): return Double(s.trimmingCharacters(in: .whitespaces)).map(Value.double)
        case (.double, .bool(let b)): return .double(b ? 1 : 0)
        case (.string, _): return .string(textOf(v))
        case (.bool, .string(let s)):
            switch s.lowercased() { case "true", "t", "1", "yes": return .bool(true); case "false", "f", "0", "no": return .bool(false); default: return nil }
        case (.bool, .int(let i)): return .bool(i != 0)
        case (.timestamp, .string(let s)): return Compare.parseTime(s).map(Value.timestamp)
        case (.timestamp, .date(let d)): return d.multipliedReportingOverflow(by: Timestamp.nanosPerDay).overflow ? nil : .timestamp(d * Timestamp.nanosPerDay)
        case (.timestamp, .zoned): return (try? Functions.wall(v, "CAST", 0)).map(Value.timestamp)  // its wall clock, as Trino
        case (.timestamp, .int(let i)): return Timestamp.fromEpoch(i).map(Value.timestamp)
        default: return nil
        }
    }
}

/// A LIKE pattern: `%` any run, `_` any one character (code point, as in Trino), matched over
/// UTF-8 bytes. The pattern is split at `%`: the first piece must match at the start, the last
/// at the end, and the ones between leftmost in order (which is enough: a later match only
/// leaves less room). Pieces without `_` are found with `memchr` and `memcmp`.
struct LikePattern: Sendable {
    /// A piece's bytes; `_` stands for any one code point.
    private let pieces: [[UInt8]]
    private let pieceHasOne: [Bool]
    private let caseInsensitive: Bool
    private static let one = UInt8(ascii: "_")

    init(_ pattern: String, caseInsensitive: Bool) {
        self.caseInsensitive = caseInsensitive
        let p = caseInsensitive ? pattern.lowercased() : pattern
        pieces = Array(p.utf8).split(separator: UInt8(ascii: "%"), omittingEmptySubsequences: false).map(Array.init)
        pieceHasOne = pieces.map { $0.contains(LikePattern.one) }
    }

    func matches(_ s: String) -> Bool {
        var s = caseInsensitive ? s.lowercased() : s
        return s.withUTF8 { matches($0, fold: false) }
    }

    /// Matches stored bytes. ILIKE folds ASCII letters as it compares; text with other
    /// characters goes through `String.lowercased()`, as the general path does.
    func matches(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard caseInsensitive else { return matches(bytes, fold: false) }
        if !LikePattern.isASCII(bytes) { return matches(String(decoding: bytes, as: UTF8.self)) }
        return matches(bytes, fold: true)
    }

    /// Eight bytes at a time.
    static func isASCII(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = UnsafeRawPointer(b.baseAddress) else { return true }
        var i = 0
        while i + 8 <= b.count {
            if base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < b.count { if b[i] >= 0x80 { return false }; i += 1 }
        return true
    }

    @inline(__always) private static func lower(_ b: UInt8) -> UInt8 { b &- 0x41 < 26 ? b | 0x20 : b }

    private func matches(_ s: UnsafeBufferPointer<UInt8>, fold: Bool) -> Bool {
        let n = s.count
        if pieces.count == 1 { return match(0, s, at: 0, fold) == n }
        guard var pos = match(0, s, at: 0, fold) else { return false }
        for k in 1..<(pieces.count - 1) where !pieces[k].isEmpty {
            guard let end = find(k, s, from: pos, fold) else { return false }
            pos = end
        }
        let last = pieces.count - 1
        if pieces[last].isEmpty { return true }
        if !pieceHasOne[last] {
            let len = pieces[last].count
            return n - len >= pos && match(last, s, at: n - len, fold) == n
        }
        for start in pos...n where match(last, s, at: start, fold) == n { return true }
        return false
    }

    /// Where piece `k` ends when it matches at `start`, or nil.
    @inline(__always)
    private func match(_ k: Int, _ s: UnsafeBufferPointer<UInt8>, at start: Int, _ fold: Bool) -> Int? {
        var p = start
        let n = s.count
        for b in pieces[k] {
            guard p < n else { return nil }
            if b == LikePattern.one {
                p += 1
                while p < n && s[p] & 0xC0 == 0x80 { p += 1 }
            } else {
                guard (fold ? LikePattern.lower(s[p]) : s[p]) == b else { return nil }
                p += 1
            }
        }
        return p
    }

    /// The end of piece `k`'s leftmost match at or after `from`.
    private func find(_ k: Int, _ s: UnsafeBufferPointer<UInt8>, from: Int, _ fold: Bool) -> Int? {
        let piece = pieces[k]
        if !pieceHasOne[k] && !fold {
            // memchr to each candidate first byte, then compare the rest.
            guard let base = s.baseAddress else { return nil }
            let m = piece.count, first = Int32(piece[0])
            var at = from
            return piece.withUnsafeBufferPointer { needle -> Int? in
                while at + m <= s.count {
                    guard let hit = memchr(base + at, first, s.count - m + 1 - at) else { return nil }
                    let i = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
                    if m == 1 || memcmp(base + i + 1, needle.baseAddress! + 1, m - 1) == 0 { return i + m }
                    at = i + 1
                }
                return nil
            }
        }
        let first = piece[0], any = first == LikePattern.one
        var start = from
        while start < s.count {
            if any || (fold ? LikePattern.lower(s[start]) : s[start]) == first, let end = match(k, s, at: start, fold) { return end }
            start += 1
        }
        return nil
    }
}
