import Foundation

/// Trino's array, map and JSON functions. Arrays are 1-based; a subscript out of range is an
/// error (`a[5]`) where `element_at` gives NULL.
extension Functions {
    static func array(_ v: Value, _ fn: String, _ p: Int) throws -> [Value] {
        if case .array(let items) = v { return items }
        throw QueryError(.type, "\(fn)() needs an array, not \(typeName(v))", at: p)
    }

    /// Whether `x` is `y` by SQL's `=` (nil when that is NULL).
    static func equal(_ x: Value, _ y: Value, at p: Int) throws -> Bool? {
        try Compare.values(x, y, at: p).map { $0 == 0 }
    }

    /// `items` each once, in the order they first come (equal by `=`: 1 and 1.0 alike; NULL once).
    static func distinct(_ items: [Value], at p: Int) throws -> [Value] {
        var seen = Set<Value>(), out: [Value] = []
        for x in items where seen.insert(hashable(x)).inserted { out.append(x) }
        return out
    }

    /// A value as `=` sees it, for hashing: a whole double as its integer.
    static func hashable(_ v: Value) -> Value {
        if case .double(let d) = v, d == d.rounded(), abs(d) < 9.2e18 { return .int(Int64(d)) }
        return v
    }

    /// The most elements an array a function makes may have.
    static let maxElements = 1_000_000

    /// `items`, when there are not too many of them.
    static func capped(_ items: [Value], _ fn: String, _ p: Int) throws -> Value {
        guard items.count <= maxElements else {
            throw QueryError(.value, "\(fn) would make an array of \(items.count) elements (at most \(maxElements))", at: p)
        }
        return .array(items)
    }

    /// A JSON value parsed from text (nil when it is not JSON).
    static func parseJSON(_ text: String) -> Any? {
        guard let data = text.data(using: .utf8) else { return nil }
        return try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    /// JSON text of a parsed value, keys sorted (Trino's canonical form).
    static func jsonText(_ node: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: node, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The node a `$.a.b[0]` path names in a parsed JSON value (nil when there is none).
    static func jsonNode(_ root: Any, _ path: String) -> Any? {
        guard path.hasPrefix("$") else { return nil }
        var node = root
        var rest = Substring(path.dropFirst())
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let key = rest.prefix { $0 != "." && $0 != "[" }
                rest = rest.dropFirst(key.count)
                guard let obj = node as? [String: Any], let next = obj[String(key)] else { return nil }
                node = next
            } else if rest.hasPrefix("[") {
                let inner = rest.dropFirst().prefix { $0 != "]" }
                rest = rest.dropFirst(inner.count + 2)
                if let idx = Int(inner), let arr = node as? [Any], idx >= 0, idx < arr.count { node = arr[idx] }
                else if let obj = node as? [String: Any], let next = obj[inner.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))] { node = next }
                else { return nil }
            } else {
                return nil
            }
        }
        return node
    }

    /// A JSON scalar as a value of its own kind (objects and arrays as their JSON text).
    static func jsonScalar(_ node: Any) -> Value {
        switch node {
        case let s as String: return .string(s)
        case is NSNull: return .null
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return .bool(n.boolValue) }
            if let i = Int64(exactly: n.doubleValue), !"fd".contains(String(cString: n.objCType)) { return .int(i) }
            return .double(n.doubleValue)
        default: return .string(jsonText(node))
        }
    }

    /// The function `CAST(x AS ARRAY(…) | MAP(…))` becomes (users cannot call it by name).
    static let compositeCast = "\u{1}cast"

    /// A type `CAST` can make: a scalar, or an array or map of types.
    indirect enum CompositeType {
        case scalar(ColumnType), array(CompositeType), map(CompositeType, CompositeType)

        /// Reads the text the parser wrote (`array(bigint)`, `map(varchar, array(double))`).
        static func parse(_ text: Substring) -> (CompositeType, Substring)? {
            for (name, kind) in [("array(", 1), ("map(", 2)] where text.hasPrefix(name) {
                guard let (first, rest) = parse(text.dropFirst(name.count)) else { return nil }
                if kind == 1 { guard rest.first == ")" else { return nil }; return (.array(first), rest.dropFirst()) }
                guard rest.hasPrefix(", "), let (second, rest2) = parse(rest.dropFirst(2)), rest2.first == ")" else { return nil }
                return (.map(first, second), rest2.dropFirst())
            }
            for t in [ColumnType.bool, .int, .double, .string, .timestamp] where text.hasPrefix(t.description) {
                return (.scalar(t), text.dropFirst(t.description.count))
            }
            return nil
        }
    }

    /// `v` as a value of `type` (nil when some part of it cannot be): arrays and maps element
    /// by element, JSON text by its parsed value.
    static func cast(_ v: Value, to type: CompositeType) -> Value? {
        if v == .null { return .null }
        switch (type, v) {
        case (.scalar(.string), .array), (.scalar(.string), .map): return .string(jsonText(jsonObject(v)))  // JSON text, as Trino's CAST of JSON
        case (.scalar(let t), _): return Cast.value(v, to: t)
        case (.array(let t), .array(let items)):
            var out: [Value] = []
            for x in items { guard let c = cast(x, to: t) else { return nil }; out.append(c) }
            return .array(out)
        case (.map(let k, let t), .map(let keys, let values)):
            var ks: [Value] = [], vs: [Value] = []
            for (x, y) in zip(keys, values) {
                guard let ck = cast(x, to: k), ck != .null, let cv = cast(y, to: t) else { return nil }
                ks.append(ck); vs.append(cv)
            }
            return Value.sortedMap(ks, vs)
        case (_, .string(let text)):
            guard let node = parseJSON(text) else { return nil }
            return cast(jsonValue(node), to: type)
        default: return nil
        }
    }

    /// A value as JSON (the inverse of `jsonValue`): maps as objects keyed by their keys' text.
    static func jsonObject(_ v: Value) -> Any {
        switch v {
        case .null: NSNull()
        case .bool(let b): b
        case .int(let i): i
        case .double(let d): d.isFinite ? d : NSNull()
        case .array(let items): items.map(jsonObject)
        case .map(let keys, let values): Dictionary(zip(keys.map(textOf), values.map(jsonObject)), uniquingKeysWith: { x, _ in x })
        default: textOf(v)
        }
    }

    /// A parsed JSON value as a value: arrays as arrays, objects as maps of their keys.
    static func jsonValue(_ node: Any) -> Value {
        switch node {
        case let arr as [Any]: return .array(arr.map(jsonValue))
        case let obj as [String: Any]:
            let keys = obj.keys.sorted()
            return .map(keys.map(Value.string), keys.map { jsonValue(obj[$0]!) })
        default: return jsonScalar(node)
        }
    }

    /// A function the planner writes where a query must fail at run time with its message.
    static let failure = "\u{1}fail"

    static let arrayTable: [String: Spec] = {
        var t: [String: Spec] = [:]
        func add(_ name: String, _ arity: ClosedRange<Int>, nulls: Bool = false, _ body: @escaping @Sendable ([Value], Int, ExprCompiler) throws -> Value) {
            t[name] = Spec(arity: arity, takesNulls: nulls, body: body)
        }
        add(failure, 1...1) { a, p, _ in throw QueryError(.value, textOf(a[0]), at: p) }
        add("array", 0...10_000, nulls: true) { a, p, _ in
            // One element type, as Trino: numbers together as doubles when any is one.
            var kinds = Set<String>(), doubles = false
            for v in a where v != .null {
                if case .double = v { doubles = true }
                kinds.insert(v.isNumber ? "number" : String(typeName(v).prefix { $0 != "(" }))
            }
            guard kinds.count <= 1 else {
                throw QueryError(.type, "ARRAY elements must have one type, not " + kinds.sorted().joined(separator: " and "), at: p)
            }
            return .array(doubles ? a.map { if case .int(let i) = $0 { .double(Double(i)) } else { $0 } } : a)
        }
        add("subscript", 2...2) { a, p, _ in
            switch a[0] {
            case .array(let items):
                let i = try int(a[1], "subscript", p)
                guard i >= 1, i <= items.count else {
                    throw QueryError(.value, "array subscript \(i) is out of range (the array has \(items.count) element\(items.count == 1 ? "" : "s"); element_at() gives NULL instead)", at: p)
                }
                return items[Int(i) - 1]
            case .map(let keys, let values):
                guard let k = try keys.firstIndex(where: { try equal($0, a[1], at: p) == true }) else {
                    throw QueryError(.value, "key '\(a[1])' is not in the map (element_at() gives NULL instead)", at: p)
                }
                return values[k]
            default:
                throw QueryError(.type, "[…] needs an array or a map, not \(typeName(a[0]))", at: p)
            }
        }
        add("element_at", 2...2) { a, p, _ in
            switch a[0] {
            case .array(let items):
                let i = try int(a[1], "element_at", p)
                guard i != 0 else { throw QueryError(.value, "element_at() counts from 1 (or from -1 at the end), not 0", at: p) }
                let k = i > 0 ? Int(i) - 1 : items.count + Int(i)
                return k >= 0 && k < items.count ? items[k] : .null
            case .map(let keys, let values):
                return try keys.firstIndex { try equal($0, a[1], at: p) == true }.map { values[$0] } ?? .null
            default:
                throw QueryError(.type, "element_at() needs an array or a map, not \(typeName(a[0]))", at: p)
            }
        }
        add("cardinality", 1...1) { a, p, _ in
            switch a[0] {
            case .array(let items): return .int(Int64(items.count))
            case .map(let keys, _): return .int(Int64(keys.count))
            default: throw QueryError(.type, "cardinality() needs an array or a map, not \(typeName(a[0]))", at: p)
            }
        }
        add("contains", 2...2, nulls: true) { a, p, _ in
            if a[0] == .null { return .null }
            let items = try array(a[0], "contains", p)
            if a[1] == .null { return .null }
            var sawNull = false
            for x in items {
                guard let e = try equal(x, a[1], at: p) else { sawNull = true; continue }
                if e { return .bool(true) }
            }
            return sawNull ? .null : .bool(false)
        }
        add("array_position", 2...2) { a, p, _ in
            let items = try array(a[0], "array_position", p)
            return .int(Int64(try items.firstIndex { try equal($0, a[1], at: p) == true }.map { $0 + 1 } ?? 0))
        }
        add("array_join", 2...3) { a, p, _ in
            let items = try array(a[0], "array_join", p), d = try str(a[1], "array_join", p)
            let null = a.count == 3 ? try str(a[2], "array_join", p) : nil
            return .string(items.compactMap { $0 == .null ? null : textOf($0) }.joined(separator: d))
        }
        add("array_distinct", 1...1) { a, p, _ in .array(try distinct(try array(a[0], "array_distinct", p), at: p)) }
        add("array_sort", 1...1) { a, p, _ in
            // NULLs last.
            .array(try array(a[0], "array_sort", p).sorted { x, y in
                if x == .null || y == .null { return y == .null && x != .null }
                return Compare.forSort(x, y) < 0
            })
        }
        for (name, wins) in [("array_max", 1), ("array_min", -1)] {
            add(name, 1...1) { a, p, _ in
                let items = try array(a[0], name, p)
                if items.contains(.null) { return .null }
                return items.dropFirst().reduce(items.first ?? .null) { m, x in Compare.forSort(x, m) * wins > 0 ? x : m }
            }
        }
        add("array_remove", 2...2) { a, p, _ in .array(try array(a[0], "array_remove", p).filter { try equal($0, a[1], at: p) != true }) }
        add("array_union", 2...2) { a, p, _ in .array(try distinct(try array(a[0], "array_union", p) + array(a[1], "array_union", p), at: p)) }
        add("array_intersect", 2...2) { a, p, _ in
            let other = Set(try array(a[1], "array_intersect", p).map(hashable))
            return .array(try distinct(try array(a[0], "array_intersect", p), at: p).filter { other.contains(hashable($0)) })
        }
        add("array_except", 2...2) { a, p, _ in
            let other = Set(try array(a[1], "array_except", p).map(hashable))
            return .array(try distinct(try array(a[0], "array_except", p), at: p).filter { !other.contains(hashable($0)) })
        }
        add("arrays_overlap", 2...2) { a, p, _ in
            let x = try array(a[0], "arrays_overlap", p), y = try array(a[1], "arrays_overlap", p)
            let ys = Set(y.filter { $0 != .null }.map(hashable))
            if x.contains(where: { $0 != .null && ys.contains(hashable($0)) }) { return .bool(true) }
            return x.contains(.null) || y.contains(.null) ? .null : .bool(false)
        }
        add("flatten", 1...1) { a, p, _ in
            var out: [Value] = []
            for x in try array(a[0], "flatten", p) where x != .null {
                out += try array(x, "flatten", p)
                guard out.count <= maxElements else { return try capped(out, "flatten()", p) }
            }
            return .array(out)
        }
        add("slice", 3...3) { a, p, _ in
            let items = try array(a[0], "slice", p)
            let start = try int(a[1], "slice", p), length = try int(a[2], "slice", p)
            guard start != 0 else { throw QueryError(.value, "slice() counts from 1 (or from -1 at the end), not 0", at: p) }
            guard length >= 0 else { throw QueryError(.value, "slice()'s length must be 0 or more", at: p) }
            let from = start > 0 ? Int(start) - 1 : items.count + Int(start)
            guard from >= 0, from < items.count else { return .array([]) }
            return .array(Array(items[from..<min(items.count, from + Int(min(length, Int64(items.count))))]))
        }
        add("sequence", 2...3) { a, p, _ in
            let start = try int(a[0], "sequence", p), stop = try int(a[1], "sequence", p)
            let step = a.count == 3 ? try int(a[2], "sequence", p) : (start <= stop ? 1 : -1)
            guard step != 0, (stop >= start) == (step > 0) || stop == start else {
                throw QueryError(.value, "sequence() from \(start) to \(stop) cannot step by \(step)", at: p)
            }
            // (In magnitudes: no Int64 arithmetic here can overflow.)
            let span = stop >= start ? UInt64(bitPattern: stop &- start) : UInt64(bitPattern: start &- stop)
            let n = span / step.magnitude + 1
            guard n <= 10_000 else { throw QueryError(.value, "sequence() would make \(n) elements (at most 10000)", at: p) }
            return .array((0..<Int64(n)).map { .int(start &+ $0 &* step) })
        }
        add("repeat", 2...2, nulls: true) { a, p, _ in
            guard a[1] != .null else { return .null }
            let n = try int(a[1], "repeat", p)
            guard n >= 0, n <= 10_000 else { throw QueryError(.value, "repeat()'s count must be from 0 to 10000", at: p) }
            return .array(Array(repeating: a[0], count: Int(n)))
        }
        add("split", 2...3) { a, p, _ in
            let s = try str(a[0], "split", p), d = try str(a[1], "split", p)
            guard !d.isEmpty else { throw QueryError(.value, "split() needs a non-empty delimiter", at: p) }
            var parts = s.components(separatedBy: d)
            if a.count == 3 {
                let limit = try int(a[2], "split", p)
                guard limit > 0 else { throw QueryError(.value, "split()'s limit must be 1 or more", at: p) }
                if parts.count > Int(limit) { parts = Array(parts[..<(Int(limit) - 1)]) + [parts[(Int(limit) - 1)...].joined(separator: d)] }
            }
            return .array(parts.map(Value.string))
        }
        add("regexp_extract_all", 2...3) { a, p, c in
            let s = try str(a[0], "regexp_extract_all", p)
            let (r, d) = try c.regexCache.regex(try str(a[1], "regexp_extract_all", p), at: p)
            let g = a.count == 3 ? Int(try int(a[2], "regexp_extract_all", p)) : 0
            guard g >= 0, g <= r.groupCount else { throw QueryError(.value, "regexp_extract_all() group \(g) does not exist; the pattern has \(r.groupCount)", at: p) }
            return try capped(try matches(r, d, Array(s.utf8), group: g, "regexp_extract_all", p).map { $0.2.map(Value.string) ?? .null }, "regexp_extract_all()", p)
        }
        add(compositeCast, 3...3, nulls: true) { a, p, _ in
            guard case .string(let spec) = a[1], let (type, rest) = CompositeType.parse(Substring(spec)), rest.isEmpty else {
                throw QueryError(.type, "cannot cast to \(a[1])", at: p)
            }
            if let c = cast(a[0], to: type) { return c }
            if a[2] == .bool(true) { return .null }
            throw QueryError(.value, "cannot cast \(typeName(a[0])) '\(a[0])' to \(spec)", at: p)
        }
        // Maps
        add("map", 0...2) { a, p, _ in
            guard a.count == 2 else {
                if a.isEmpty { return .map([], []) }
                throw QueryError(.arity, "map() takes 0 or 2 arguments (an array of keys and one of values)", at: p)
            }
            let keys = try array(a[0], "map", p), values = try array(a[1], "map", p)
            guard keys.count == values.count else { throw QueryError(.value, "map() needs as many keys as values, not \(keys.count) and \(values.count)", at: p) }
            guard !keys.contains(.null) else { throw QueryError(.value, "a map key cannot be NULL", at: p) }
            guard try distinct(keys, at: p).count == keys.count else { throw QueryError(.value, "map() was given a key twice", at: p) }
            return Value.sortedMap(keys, values)
        }
        add("map_keys", 1...1) { a, p, _ in
            guard case .map(let keys, _) = a[0] else { throw QueryError(.type, "map_keys() needs a map, not \(typeName(a[0]))", at: p) }
            return .array(keys)
        }
        add("map_values", 1...1) { a, p, _ in
            guard case .map(_, let values) = a[0] else { throw QueryError(.type, "map_values() needs a map, not \(typeName(a[0]))", at: p) }
            return .array(values)
        }
        // JSON (JSON values are their text, as json_format gives it)
        add("json_parse", 1...1) { a, p, _ in
            let s = try str(a[0], "json_parse", p)
            guard let node = parseJSON(s) else { throw QueryError(.value, "'\(s.prefix(60))' is not JSON", at: p) }
            return .string(jsonText(node))
        }
        add("json_format", 1...1) { a, p, _ in .string(try str(a[0], "json_format", p)) }
        add("json_extract", 2...2) { a, p, _ in
            guard let root = parseJSON(try str(a[0], "json_extract", p)), let node = jsonNode(root, try str(a[1], "json_extract", p)) else { return .null }
            return .string(jsonText(node))
        }
        add("json_array_length", 1...1) { a, p, _ in
            guard let arr = parseJSON(try str(a[0], "json_array_length", p)) as? [Any] else { return .null }
            return .int(Int64(arr.count))
        }
        add("json_size", 2...2) { a, p, _ in
            guard let root = parseJSON(try str(a[0], "json_size", p)), let node = jsonNode(root, try str(a[1], "json_size", p)) else { return .null }
            if let arr = node as? [Any] { return .int(Int64(arr.count)) }
            if let obj = node as? [String: Any] { return .int(Int64(obj.count)) }
            return .int(0)
        }
        add("json_array_contains", 2...2) { a, p, _ in
            guard let arr = parseJSON(try str(a[0], "json_array_contains", p)) as? [Any] else { return .null }
            return .bool(try arr.contains { x in
                let v = jsonScalar(x)
                guard v != .null else { return false }
                switch (v, a[1]) {
                case (.bool, .bool), (.string, .string), (.int, .int), (.int, .double), (.double, .int), (.double, .double): return try equal(v, a[1], at: p) == true
                default: return false
                }
            })
        }
        return t
    }()
}
