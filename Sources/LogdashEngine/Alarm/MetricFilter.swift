import Foundation

/// A CloudWatch Logs metric filter pattern, matched against a log line:
///
/// - terms: `ERROR timeout` (every term, case-sensitive; `"an exact phrase"` quoted), `-debug`
///   (must not appear), `?ERROR ?FATAL` (at least one of the `?` terms);
/// - JSON: `{ $.level = "error" && $.latency_ms > 500 }` — selectors `$.a.b` and `$.a[0]`,
///   `=` and `!=` on strings (`*` a wildcard) and numbers, `<` `<=` `>` `>=` on numbers,
///   `IS TRUE`, `IS FALSE`, `IS NULL`, `NOT EXISTS`, `&&`, `||`, parentheses;
/// - space-delimited: `[ip, user, ..., status=5*, bytes>1000]` — fields split at spaces
///   (`"…"` and `[…]` as one field), `...` any number of fields, conditions as in JSON, several
///   joined with `&&` or `||`.
///
/// An empty pattern matches every line.
public indirect enum MetricFilter: Sendable {
    case terms(all: [String], none: [String], any: [String])
    case json(JSONCondition)
    case fields(names: [String?], conditions: [String: FieldCondition])

    public enum Comparison: String, Sendable { case eq = "=", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=" }

    public enum Literal: Sendable, Equatable {
        case string(String)
        case number(Double)
    }

    public indirect enum JSONCondition: Sendable {
        case compare([PathStep], Comparison, Literal)
        case isValue([PathStep], Bool?)  // IS TRUE / IS FALSE / IS NULL (nil)
        case notExists([PathStep])
        case and(JSONCondition, JSONCondition)
        case or(JSONCondition, JSONCondition)
    }

    public enum PathStep: Sendable, Equatable { case key(String), index(Int) }

    /// Conditions on one space-delimited field, joined by `&&` (all) or `||` (any).
    public struct FieldCondition: Sendable {
        public var tests: [(Comparison, Literal)]
        public var any: Bool
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    // MARK: parsing

    /// CloudWatch's bound on a filter pattern's length; it also bounds how deep a JSON pattern's
    /// conditions nest.
    public static let maxPatternLength = 1024

    public static func parse(_ pattern: String) throws -> MetricFilter {
        let t = pattern.trimmingCharacters(in: .whitespaces)
        guard t.count <= maxPatternLength else {
            throw ParseError(description: "a filter pattern is at most \(maxPatternLength) characters (this one has \(t.count))")
        }
        if t.hasPrefix("{") {
            guard t.hasSuffix("}") else { throw ParseError(description: "a JSON pattern ends with '}'") }
            var p = JSONParser(chars: Array(t.dropFirst().dropLast()))
            let c = try p.or()
            p.skip()
            guard p.i == p.chars.count else { throw ParseError(description: "unexpected '\(String(p.chars[p.i...]))' in the JSON pattern") }
            return .json(c)
        }
        if t.hasPrefix("[") {
            guard t.hasSuffix("]") else { throw ParseError(description: "a space-delimited pattern ends with ']'") }
            var names: [String?] = []
            var conditions: [String: FieldCondition] = [:]
            for raw in t.dropFirst().dropLast().split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if raw == "..." { names.append(nil); continue }
                func isName(_ n: String) -> Bool { !n.isEmpty && n.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } }
                guard let nameEnd = raw.firstIndex(where: { "=!<>|&".contains($0) }) else {
                    guard isName(raw) else { throw ParseError(description: "'\(raw)': a field is a name, or a name and a condition (status=5*, bytes>1000)") }
                    names.append(raw)
                    continue
                }
                let name = raw[..<nameEnd].trimmingCharacters(in: .whitespaces)
                guard isName(name) else { throw ParseError(description: "'\(raw)': a condition needs a field name before it") }
                let rest = raw[nameEnd...]
                let any = rest.contains("||")
                var tests: [(Comparison, Literal)] = []
                for part in rest.components(separatedBy: any ? "||" : "&&") {
                    var s = part.trimmingCharacters(in: .whitespaces)
                    if s.hasPrefix(name) { s = String(s.dropFirst(name.count)).trimmingCharacters(in: .whitespaces) }
                    guard let op = [Comparison.le, .ge, .ne, .eq, .lt, .gt].first(where: { s.hasPrefix($0.rawValue) }) else {
                        throw ParseError(description: "no comparison in '\(part)' (use =, !=, <, <=, >, >=)")
                    }
                    tests.append((op, literal(String(s.dropFirst(op.rawValue.count)).trimmingCharacters(in: .whitespaces))))
                }
                names.append(name)
                conditions[name] = FieldCondition(tests: tests, any: any)
            }
            return .fields(names: names, conditions: conditions)
        }
        var all: [String] = [], none: [String] = [], any: [String] = []
        for term in try terms(t) {
            if term.hasPrefix("-"), term.count > 1 { none.append(String(term.dropFirst())) }
            else if term.hasPrefix("?"), term.count > 1 { any.append(String(term.dropFirst())) }
            else { all.append(term) }
        }
        return .terms(all: all, none: none, any: any)
    }

    /// Words, with `"quoted phrases"` (after an optional `-` or `?`) as one term.
    static func terms(_ text: String) throws -> [String] {
        var out: [String] = [], current = "", quoted = false
        for ch in text {
            if ch == "\"" { quoted.toggle(); continue }
            if ch == " " && !quoted {
                if !current.isEmpty { out.append(current); current = "" }
                continue
            }
            current.append(ch)
        }
        guard !quoted else { throw ParseError(description: "a quote is not closed in '\(text)'") }
        if !current.isEmpty { out.append(current) }
        return out
    }

    static func literal(_ s: String) -> Literal {
        if s.hasPrefix("\""), s.hasSuffix("\""), s.count >= 2 { return .string(String(s.dropFirst().dropLast())) }
        if let d = Double(s) { return .number(d) }
        return .string(s)
    }

    // MARK: matching

    /// Whether `needle`'s bytes occur in `line` (a byte search: terms are case-sensitive).
    /// Whether `line` holds `needle` (bytes, as they are).
    static func has(_ h: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard h.count >= needle.count, let hb = h.baseAddress else { return false }
        return needle.withUnsafeBufferPointer { n in
            if let memmem = MetricFilter.memmem { return memmem(hb, h.count, n.baseAddress!, n.count) != nil }
            return String(decoding: h, as: UTF8.self).utf8.firstRange(of: n) != nil
        }
    }

    static func has(_ line: String, _ needle: String) -> Bool {
        var line = line, needle = needle
        return line.withUTF8 { h in
            needle.withUTF8 { n in
                guard let first = n.first else { return true }
                guard h.count >= n.count, let hb = h.baseAddress, let nb = n.baseAddress else { return false }
                if let memmem = MetricFilter.memmem { return memmem(hb, h.count, nb, n.count) != nil }
                // memchr to each candidate first byte, memcmp for the rest.
                var i = 0
                let last = h.count - n.count
                while i <= last {
                    guard let hit = memchr(hb + i, Int32(first), last - i + 1) else { return false }
                    let at = hb.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(hb + at, nb, n.count) == 0 { return true }
                    i = at + 1
                }
                return false
            }
        }
    }

    /// glibc's `memmem` (two-way search), looked up at run time: Swift does not import it.
    typealias MemMem = @convention(c) (UnsafeRawPointer?, Int, UnsafeRawPointer?, Int) -> UnsafeMutableRawPointer?
    static let memmem: MemMem? = {
        #if canImport(Glibc)
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memmem") else { return nil }
        return unsafeBitCast(sym, to: MemMem.self)
        #else
        return nil
        #endif
    }()

    /// Quoted strings a JSON pattern's line must contain to match (`"error"` for
    /// `$.level = "error" && …`): string equalities that every match needs, without wildcards.
    /// A line without a backslash (no JSON escapes) lacking one of them cannot match, so it
    /// need not be parsed.
    public var requiredQuoted: [String] {
        guard case .json(let c) = self else { return [] }
        func required(_ c: JSONCondition) -> [String] {
            switch c {
            case .compare(_, .eq, .string(let s)) where !s.contains("*") && Double(s) == nil && !["true", "false", "null"].contains(s):
                return ["\"" + s + "\""]
            case .and(let a, let b): return required(a) + required(b)
            default: return []
            }
        }
        return required(c)
    }

    /// Whether the quick test rules the line out (see `requiredQuoted`).
    public static func ruledOut(_ line: String, required: [String]) -> Bool {
        guard !required.isEmpty, !has(line, "\\") else { return false }
        return required.contains { !has(line, $0) }
    }

    public func matches(_ line: String) -> Bool {
        switch self {
        case .terms(let all, let none, let any):
            return all.allSatisfy { MetricFilter.has(line, $0) } && !none.contains { MetricFilter.has(line, $0) }
                && (any.isEmpty || any.contains { MetricFilter.has(line, $0) })
        case .json(let c):
            return MetricFilter.parseJSON(line).map { MetricFilter.holds(c, $0) } ?? false
        case .fields(let names, _):
            return MetricFilter.bind(names, MetricFilter.split(line)).map(fieldsHold) ?? false
        }
    }

    /// Whether the bound fields meet every field's conditions.
    func fieldsHold(_ bound: [String: String]) -> Bool {
        guard case .fields(_, let conditions) = self else { return false }
        return conditions.allSatisfy { name, cond in
            guard let v = bound[name] else { return false }
            let results = cond.tests.map { MetricFilter.compare(v as Any, $0.0, $0.1) }
            return cond.any ? results.contains(true) : results.allSatisfy { $0 }
        }
    }

    /// What a matching line adds to its metric: `selector` a number (that much), a selector
    /// (`$.latency_ms`, or a space-delimited field's name: its value), or nil (1). nil when the
    /// line does not match or the selected value is not a number. The line is parsed once.
    public func measure(_ line: String, selector: String?) -> Double? {
        let constant = selector.flatMap(Double.init) ?? (selector == nil ? 1 : nil)
        switch self {
        case .terms:
            return matches(line) ? constant : nil
        case .json(let c):
            guard let obj = MetricFilter.parseJSON(line), MetricFilter.holds(c, obj) else { return nil }
            return constant ?? selector.flatMap { MetricFilter.jsonValue($0, obj) }
        case .fields(let names, _):
            guard let bound = MetricFilter.bind(names, MetricFilter.split(line)), fieldsHold(bound) else { return nil }
            return constant ?? selector.flatMap { s in bound[s.hasPrefix("$") ? String(s.dropFirst()) : s].flatMap { Double($0) } }
        }
    }

    /// The selected value of a line, matching or not (`$.latency_ms`, or a field's name).
    public func value(of selector: String, in line: String) -> Double? {
        switch self {
        case .json:
            return MetricFilter.parseJSON(line).flatMap { MetricFilter.jsonValue(selector, $0) }
        case .fields(let names, _):
            let name = selector.hasPrefix("$") ? String(selector.dropFirst()) : selector
            return MetricFilter.bind(names, MetricFilter.split(line))?[name].flatMap { Double($0) }
        case .terms:
            return nil
        }
    }

    /// A scalar of a flat JSON line, as its bytes say it (strings by their range in the line).
    enum FlatValue {
        case string(Range<Int>)
        case number(Double, integer: Int64?)
        case bool(Bool)
        case null
    }

    /// A flat JSON object (scalar values only, no escapes) parsed straight from its bytes into
    /// what `JSONSerialization` would give; nil for anything else (the caller then asks
    /// Foundation), so that the common log line is not parsed the slow way. `keys`: only these
    /// keys' values are kept — the others are checked as JSON and skipped, not made into strings.
    static func parseFlatJSON(_ b: UnsafeBufferPointer<UInt8>, keys: [[UInt8]]? = nil) -> [String: Any]? {
        var out: [String: Any] = [:]
        func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self) }
        let ok = scanFlatJSON(b, keys: keys) { _, key, v in
            switch v {
            case .string(let r): out[text(key)] = text(r)
            case .number(let d, let i): out[text(key)] = i.map { NSNumber(value: $0) } ?? NSNumber(value: d)
            case .bool(let x): out[text(key)] = NSNumber(value: x)
            case .null: out[text(key)] = NSNull()
            }
        }
        return ok ? out : nil
    }

    /// Walks a flat JSON object's members (see `parseFlatJSON`): `body(index in keys, key's
    /// range, value)` for each wanted one, in order. False when the line is not such an object.
    static func scanFlatJSON(_ b: UnsafeBufferPointer<UInt8>, keys: [[UInt8]]?, _ body: (Int, Range<Int>, FlatValue) -> Void) -> Bool {
        let quote = UInt8(ascii: "\""), n = b.count
        var i = 0
        func space() { while i < n, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D || b[i] == 0x0A { i += 1 } }
        /// A string without escapes or control characters: its bytes' range.
        func string() -> Range<Int>? {
            guard i < n, b[i] == quote else { return nil }
            let start = i + 1
            var j = start
            while j < n, b[j] != quote {
                if b[j] == UInt8(ascii: "\\") || b[j] < 0x20 { return nil }
                j += 1
            }
            guard j < n else { return nil }
            i = j + 1
            return start..<j
        }
        /// The wanted key's index (0 when every key is wanted), or nil.
        func wanted(_ r: Range<Int>) -> Int? {
            guard let keys else { return 0 }
            return keys.firstIndex { k in k.count == r.count && k.withUnsafeBufferPointer { memcmp($0.baseAddress!, b.baseAddress! + r.lowerBound, k.count) == 0 } }
        }
        @inline(__always) func digit(_ k: Int) -> Bool { k < n && b[k] >= 0x30 && b[k] <= 0x39 }
        /// A number as JSON spells it (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`): its range and
        /// whether it has a fraction or exponent.
        func number() -> (Range<Int>, fractional: Bool)? {
            let start = i
            var fractional = false
            if i < n, b[i] == UInt8(ascii: "-") { i += 1 }
            guard digit(i) else { return nil }
            if b[i] == 0x30 { i += 1 } else { while digit(i) { i += 1 } }
            if i < n, b[i] == UInt8(ascii: ".") {
                i += 1
                fractional = true
                guard digit(i) else { return nil }
                while digit(i) { i += 1 }
            }
            if i < n, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                i += 1
                fractional = true
                if i < n, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                guard digit(i) else { return nil }
                while digit(i) { i += 1 }
            }
            return (start..<i, fractional)
        }
        func word(_ w: StaticString) -> Bool {
            let count = w.utf8CodeUnitCount
            guard i + count <= n, memcmp(b.baseAddress! + i, w.utf8Start, count) == 0 else { return false }
            i += count
            return true
        }
        space()
        guard i < n, b[i] == UInt8(ascii: "{") else { return false }
        i += 1
        space()
        if i < n, b[i] == UInt8(ascii: "}") { i += 1; space(); return i == n }
        while true {
            space()
            guard let key = string() else { return false }
            let keep = wanted(key)
            space()
            guard i < n, b[i] == UInt8(ascii: ":") else { return false }
            i += 1
            space()
            guard i < n else { return false }
            switch b[i] {
            case quote:
                guard let v = string() else { return false }
                if let keep { body(keep, key, .string(v)) }
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                let v: FlatValue
                if word("true") { v = .bool(true) } else if word("false") { v = .bool(false) } else if word("null") { v = .null } else { return false }
                if let keep { body(keep, key, v) }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard let (r, fractional) = number() else { return false }
                guard let keep else { break }
                let t = String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self)
                if !fractional, let v = Int64(t) { body(keep, key, .number(Double(v), integer: v)) } else if let v = Double(t) { body(keep, key, .number(v, integer: nil)) } else { return false }
            default:
                return false  // an object or array inside: Foundation's
            }
            space()
            guard i < n else { return false }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            guard b[i] == UInt8(ascii: "}") else { return false }
            i += 1
            space()
            return i == n
        }
    }

    /// `holds` over a flat line's wanted values (by key index; nil where absent), for
    /// conditions whose selectors are all one key deep: no dictionary, no Foundation.
    static func holds(_ c: JSONCondition, flat values: [FlatValue?], keys: [String], in b: UnsafeBufferPointer<UInt8>) -> Bool {
        func value(_ path: [PathStep]) -> FlatValue? {
            guard path.count == 1, case .key(let k) = path[0], let i = keys.firstIndex(of: k) else { return nil }
            return values[i]
        }
        switch c {
        case .and(let a, let x): return holds(a, flat: values, keys: keys, in: b) && holds(x, flat: values, keys: keys, in: b)
        case .or(let a, let x): return holds(a, flat: values, keys: keys, in: b) || holds(x, flat: values, keys: keys, in: b)
        case .notExists(let path): return value(path) == nil
        case .isValue(let path, let want):
            guard let v = value(path) else { return false }
            if let want { if case .bool(want) = v { return true } else { return false } }
            if case .null = v { return true } else { return false }
        case .compare(let path, let op, let lit):
            guard let v = value(path) else { return false }
            let number: Double? = switch v {
            case .number(let d, _): d
            case .string(let r): Double(String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self))
            case .bool, .null: nil
            }
            return compare(number: number, text: {
                if case .string(let r) = v { return String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self) }
                if case .number(let d, _) = v { return Value.format(d) }
                return nil
            }(), op, lit)
        }
    }

    static func parseJSON(_ line: String) -> Any? {
        line.data(using: .utf8).flatMap { try? JSONSerialization.jsonObject(with: $0, options: [.fragmentsAllowed]) }
    }

    static func jsonValue(_ selector: String, _ obj: Any) -> Double? {
        guard selector.hasPrefix("$"), let path = try? JSONParser.path(Array(selector)) else { return nil }
        return resolve(path, obj).flatMap(number)
    }

    static func split(_ line: String) -> [String] {
        var out: [String] = [], current = "", closer: Character?
        for ch in line {
            if let c = closer {
                if ch == c { closer = nil } else { current.append(ch) }
                continue
            }
            if ch == "\"" { closer = "\""; continue }
            if ch == "[" { closer = "]"; continue }
            if ch == " " {
                if !current.isEmpty { out.append(current); current = "" }
                continue
            }
            current.append(ch)
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Names to fields; `...` (nil) takes as many fields as the rest leaves over.
    static func bind(_ names: [String?], _ values: [String]) -> [String: String]? {
        var out: [String: String] = [:]
        let fixed = names.filter { $0 != nil }.count
        guard values.count >= fixed, names.contains(nil) || values.count == fixed else { return nil }
        var v = 0
        for (k, name) in names.enumerated() {
            guard let name else {
                // The first `...` takes all it can; later ones none.
                let later = names[(k + 1)...].filter { $0 != nil }.count
                v = max(v, values.count - later)
                continue
            }
            guard v < values.count else { return nil }
            out[name] = values[v]
            v += 1
        }
        return out
    }

    static func holds(_ c: JSONCondition, _ obj: Any) -> Bool {
        switch c {
        case .and(let a, let b): return holds(a, obj) && holds(b, obj)
        case .or(let a, let b): return holds(a, obj) || holds(b, obj)
        case .notExists(let path): return resolve(path, obj) == nil
        case .isValue(let path, let b):
            guard let v = resolve(path, obj) else { return false }
            if let b { return isBoolean(v) && (v as? NSNumber)?.boolValue == b }
            return v is NSNull
        case .compare(let path, let op, let lit):
            guard let v = resolve(path, obj) else { return false }
            return compare(v, op, lit)
        }
    }

    static func resolve(_ path: [PathStep], _ obj: Any) -> Any? {
        var cur: Any = obj
        for step in path {
            switch step {
            case .key(let k):
                guard let d = cur as? [String: Any], let next = d[k] else { return nil }
                cur = next
            case .index(let i):
                guard let a = cur as? [Any], a.indices.contains(i) else { return nil }
                cur = a[i]
            }
        }
        return cur
    }

    /// JSON's true and false (Foundation gives them as NSNumbers of type `c`).
    static func isBoolean(_ v: Any) -> Bool {
        (v as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? false
    }

    static func number(_ v: Any) -> Double? {
        if let n = v as? NSNumber, !isBoolean(n) { return n.doubleValue }
        if let s = v as? String { return Double(s) }
        return nil
    }

    static func compare(_ v: Any, _ op: Comparison, _ lit: Literal) -> Bool {
        let n = number(v)
        return compare(number: n, text: (v as? String) ?? n.map(Value.format), op, lit)
    }

    /// A value compared with a literal: as a number (nil: it is none), or as text (nil: it is
    /// neither a string nor a number), `*` in a literal's text a wildcard.
    static func compare(number: Double?, text: @autoclosure () -> String?, _ op: Comparison, _ lit: Literal) -> Bool {
        switch lit {
        case .number(let want):
            guard let have = number else { return op == .ne }
            switch op {
            case .eq: return have == want
            case .ne: return have != want
            case .lt: return have < want
            case .le: return have <= want
            case .gt: return have > want
            case .ge: return have >= want
            }
        case .string(let pattern):
            guard let text = text() else { return op == .ne }
            let equal = wildcard(pattern, text)
            switch op {
            case .eq: return equal
            case .ne: return !equal
            default: return false  // order is for numbers
            }
        }
    }

    /// `*` matches any run of characters.
    /// (On the bytes: Foundation's `range(of:)` gave ranges past a Substring's end for text with
    /// NULs in it.)
    static func wildcard(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        guard p.contains(UInt8(ascii: "*")) else { return p == t }
        let parts = p.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: false)
        guard t.starts(with: parts[0]) else { return false }
        var at = parts[0].count
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let found = firstIndex(of: part, in: t, from: at) else { return false }
            at = found + part.count
        }
        let last = parts[parts.count - 1]
        return t.count - at >= last.count && t[(t.count - last.count)...].elementsEqual(last)
    }

    /// Where `needle` first occurs in `hay` at or after `from`.
    private static func firstIndex(of needle: ArraySlice<UInt8>, in hay: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty else { return from }
        var i = from
        while i + needle.count <= hay.count {
            if hay[i] == needle.first!, hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    struct JSONParser {
        let chars: [Character]
        var i = 0

        mutating func skip() { while i < chars.count && chars[i].isWhitespace { i += 1 } }

        func error(_ m: String) -> ParseError { ParseError(description: "\(m) at offset \(i + 1) of the JSON pattern") }

        mutating func or() throws -> JSONCondition {
            var left = try and()
            while take("||") { left = .or(left, try and()) }
            return left
        }

        mutating func and() throws -> JSONCondition {
            var left = try primary()
            while take("&&") { left = .and(left, try primary()) }
            return left
        }

        mutating func take(_ s: String) -> Bool {
            skip()
            let t = Array(s)
            guard i + t.count <= chars.count, Array(chars[i..<i + t.count]) == t else { return false }
            i += t.count
            return true
        }

        mutating func primary() throws -> JSONCondition {
            if take("(") {
                let c = try or()
                guard take(")") else { throw error("expected ')'") }
                return c
            }
            skip()
            let start = i
            while i < chars.count && !chars[i].isWhitespace && !"=!<>()&|".contains(chars[i]) { i += 1 }
            let path = try JSONParser.path(Array(chars[start..<i]))
            if take("IS") {
                if take("TRUE") { return .isValue(path, true) }
                if take("FALSE") { return .isValue(path, false) }
                if take("NULL") { return .isValue(path, nil) }
                throw error("expected TRUE, FALSE or NULL after IS")
            }
            if take("NOT") {
                guard take("EXISTS") else { throw error("expected EXISTS after NOT") }
                return .notExists(path)
            }
            skip()
            guard let op = [Comparison.le, .ge, .ne, .eq, .lt, .gt].first(where: { take($0.rawValue) }) else {
                throw error("expected a comparison (=, !=, <, <=, >, >=), IS or NOT EXISTS")
            }
            skip()
            var value = ""
            if i < chars.count && chars[i] == "\"" {
                i += 1
                while i < chars.count && chars[i] != "\"" { value.append(chars[i]); i += 1 }
                guard i < chars.count else { throw error("a quote is not closed") }
                i += 1
                return .compare(path, op, .string(value))
            }
            while i < chars.count && !chars[i].isWhitespace && !"()&|".contains(chars[i]) { value.append(chars[i]); i += 1 }
            guard !value.isEmpty else { throw error("expected a value") }
            return .compare(path, op, MetricFilter.literal(value))
        }

        /// `$.a.b[0].c` as steps.
        static func path(_ chars: [Character]) throws -> [PathStep] {
            guard chars.first == "$" else { throw ParseError(description: "a selector starts with '$.' (\(String(chars)))") }
            var steps: [PathStep] = [], i = 1
            while i < chars.count {
                if chars[i] == "." {
                    i += 1
                    var key = ""
                    while i < chars.count && chars[i] != "." && chars[i] != "[" { key.append(chars[i]); i += 1 }
                    guard !key.isEmpty else { throw ParseError(description: "an empty key in \(String(chars))") }
                    steps.append(.key(key))
                } else if chars[i] == "[" {
                    i += 1
                    var n = ""
                    while i < chars.count && chars[i] != "]" { n.append(chars[i]); i += 1 }
                    guard let k = Int(n), i < chars.count else { throw ParseError(description: "an index is a number in brackets in \(String(chars))") }
                    steps.append(.index(k))
                    i += 1
                } else {
                    throw ParseError(description: "unexpected '\(chars[i])' in the selector \(String(chars))")
                }
            }
            return steps
        }
    }
}

/// A metric filter pattern made ready for a pass over raw lines as bytes: lines that cannot
/// match (a term missing, a string the JSON condition needs absent) are told without making a
/// `String` of them, which is most lines of most patterns.
public final class PreparedFilter: Sendable {
    public let filter: MetricFilter
    public let selector: String?
    private let required: [[UInt8]]
    private let terms: (all: [[UInt8]], none: [[UInt8]], any: [[UInt8]])?
    /// A JSON pattern's top-level keys (those its conditions and selector read first): a flat
    /// line's other values are skipped, not made into strings. nil: every key.
    private let keys: [[UInt8]]?
    /// Those keys as strings when every selector is one key deep (then lines are measured from
    /// their typed values, without a dictionary), and the value selector's index among them.
    private let keyNames: [String]?
    private let selectorKey: Int?
    private static let backslash: [UInt8] = [UInt8(ascii: "\\")]

    public init(_ filter: MetricFilter, selector: String?) {
        self.filter = filter
        self.selector = selector
        required = filter.requiredQuoted.map { Array($0.utf8) }
        if case .terms(let all, let none, let any) = filter {
            terms = (all.map { Array($0.utf8) }, none.map { Array($0.utf8) }, any.map { Array($0.utf8) })
        } else {
            terms = nil
        }
        if case .json(let c) = filter {
            var paths: [[MetricFilter.PathStep]] = []
            func collect(_ c: MetricFilter.JSONCondition) {
                switch c {
                case .compare(let p, _, _), .isValue(let p, _), .notExists(let p): paths.append(p)
                case .and(let a, let b), .or(let a, let b): collect(a); collect(b)
                }
            }
            collect(c)
            if let selector, Double(selector) == nil {
                paths.append((try? MetricFilter.JSONParser.path(Array(selector))) ?? [.index(0)])
            }
            var names: [String] = []
            var flat = true
            for p in paths {
                guard case .key(let k)? = p.first else { flat = false; break }
                if !names.contains(k) { names.append(k) }
            }
            keys = flat ? names.map { Array($0.utf8) } : nil
            // Every selector one key deep (and the value selector one of them): the typed path.
            let shallow = flat && paths.allSatisfy { $0.count == 1 }
            keyNames = shallow ? names : nil
            if shallow, let selector, Double(selector) == nil, case .key(let k)? = paths.last?.first {
                selectorKey = names.firstIndex(of: k)
            } else {
                selectorKey = nil
            }
        } else {
            keys = nil
            keyNames = nil
            selectorKey = nil
        }
    }

    /// What a line adds to the metric, as `MetricFilter.measure` says.
    public func measure(_ line: UnsafeBufferPointer<UInt8>) -> Double? {
        if let terms {
            let hit = terms.all.allSatisfy { MetricFilter.has(line, $0) } && !terms.none.contains { MetricFilter.has(line, $0) }
                && (terms.any.isEmpty || terms.any.contains { MetricFilter.has(line, $0) })
            guard hit else { return nil }
            return constant
        }
        // A line with a JSON escape may spell a required string differently: it is parsed.
        if !required.isEmpty && !MetricFilter.has(line, PreparedFilter.backslash) && required.contains(where: { !MetricFilter.has(line, $0) }) {
            return nil
        }
        return measureParsed(line)
    }

    /// A matching line's value when the selector is a number or absent (1).
    private var constant: Double? { selector.flatMap(Double.init) ?? (selector == nil ? 1 : nil) }

    private func measureParsed(_ line: UnsafeBufferPointer<UInt8>) -> Double? {
        if case .json(let c) = filter, let keys, let names = keyNames {
            // Selectors one key deep: the wanted values straight from the bytes.
            var values = [MetricFilter.FlatValue?](repeating: nil, count: keys.count)
            if MetricFilter.scanFlatJSON(line, keys: keys, { k, _, v in values[k] = v }) {
                guard MetricFilter.holds(c, flat: values, keys: names, in: line) else { return nil }
                if let constant { return constant }
                guard let s = selectorKey, let v = values[s] else { return nil }
                switch v {
                case .number(let d, _): return d
                case .string(let r): return Double(String(decoding: UnsafeBufferPointer(rebasing: line[r]), as: UTF8.self))
                case .bool, .null: return nil
                }
            }
        }
        if case .json(let c) = filter, let obj = MetricFilter.parseFlatJSON(line, keys: keys) {
            guard MetricFilter.holds(c, obj) else { return nil }
            return constant ?? selector.flatMap { MetricFilter.jsonValue($0, obj) }
        }
        return filter.measure(String(decoding: line, as: UTF8.self), selector: selector)
    }

    /// What each line of `span` adds to the metric: `body(line, value)` for the lines that
    /// match, in order. Terms, and the strings a JSON pattern requires, are searched through
    /// the whole span first (`LineSpan.containing`), so only the lines that may match are
    /// looked at one by one.
    public func measure(_ span: LineSpan, _ body: (Int, Double) -> Void) {
        func and(_ a: inout [Bool], _ b: [Bool]) { for i in a.indices where !b[i] { a[i] = false } }
        if let terms {
            guard let value = constant else { return }
            var hit = [Bool](repeating: true, count: span.count)
            for t in terms.all { and(&hit, span.containing(t)) }
            if !terms.any.isEmpty {
                var some = [Bool](repeating: false, count: span.count)
                for t in terms.any { for (i, h) in span.containing(t).enumerated() where h { some[i] = true } }
                and(&hit, some)
            }
            for t in terms.none { for (i, h) in span.containing(t).enumerated() where h { hit[i] = false } }
            for i in hit.indices where hit[i] { body(i, value) }
            return
        }
        guard !required.isEmpty else {
            for i in 0..<span.count { if let v = measureParsed(span.line(i)) { body(i, v) } }
            return
        }
        // Lines holding every required string, or an escape (which may spell one differently).
        var maybe = [Bool](repeating: true, count: span.count)
        for r in required { and(&maybe, span.containing(r)) }
        for (i, h) in span.containing(PreparedFilter.backslash).enumerated() where h { maybe[i] = true }
        for i in maybe.indices where maybe[i] { if let v = measureParsed(span.line(i)) { body(i, v) } }
    }
}
