import Foundation

/// Trino's functions that take a lambda — `transform(a, x -> x * 2)`, `filter(a, x -> x > 0)`,
/// `reduce(a, 0, (s, x) -> s + x, s -> s)`, `any_match`, `all_match`, `none_match`,
/// `zip_with`, `transform_values`, `map_filter`. A lambda's body reads its parameters and any
/// column of the row around it.
extension Functions {
    /// A lambda as the parser writes it: `\u{1}lambda('x', 'y', body)`.
    static let lambda = "\u{1}lambda"

    static let lambdaTakers: [String: (arity: Int, lambdas: [Int: Int])] = [
        // name: (arguments, [argument index: parameters of the lambda there])
        "transform": (2, [1: 1]), "filter": (2, [1: 1]), "any_match": (2, [1: 1]), "all_match": (2, [1: 1]),
        "none_match": (2, [1: 1]), "reduce": (4, [2: 2, 3: 1]), "zip_with": (3, [2: 2]),
        "transform_values": (2, [1: 2]), "map_filter": (2, [1: 2]),
    ]

    /// A compiled lambda: its body, compiled against its parameters and the columns of the row
    /// around it that the body reads (those read per call).
    struct Lambda {
        let outer: [Int]
        let body: Eval
        let cursor = RowCursor()

        func callAsFunction(_ args: [Value], _ row: RowCursor) throws -> Value {
            var values = args
            for k in outer { values.append(row.column(k)) }
            cursor.values = values
            return try body(cursor)
        }
    }

    /// The names a lambda's body reads that are not its parameters (nor those of lambdas inside it).
    static func freeNames(_ e: Expr, bound: Set<String>) -> [String] {
        var out: [String] = []
        func visit(_ x: Expr, _ bound: Set<String>) {
            switch x {
            case .column(let n, _):
                if !bound.contains(n.lowercased()) && !out.contains(n.lowercased()) { out.append(n.lowercased()) }
            case .call(lambda, let args, _, _, _):
                let params = args.dropLast().compactMap { a -> String? in if case .literal(.string(let s), _) = a { s.lowercased() } else { nil } }
                visit(args[args.count - 1], bound.union(params))
            default:
                _ = x.mapChildren { child in visit(child, bound); return child }
            }
        }
        visit(e, bound)
        return out
    }

    static func compileLambda(_ e: Expr, parameters n: Int, for fn: String, _ c: ExprCompiler) throws -> Lambda {
        guard case .call(lambda, let args, _, _, let p) = e else {
            throw QueryError(.type, "\(fn)() needs a lambda here, e.g. x -> x * 2", at: e.position)
        }
        let params = args.dropLast().compactMap { a -> String? in if case .literal(.string(let s), _) = a { s.lowercased() } else { nil } }
        guard params.count == n else {
            throw QueryError(.arity, "\(fn)()'s lambda takes \(n) parameter\(n == 1 ? "" : "s") here, not \(params.count)", at: p)
        }
        let body = args[args.count - 1]
        let free = freeNames(body, bound: Set(params))
        let outer = try free.map { try c.index(of: $0, at: p) }
        var inner = c.with(names: params + free)
        inner.hints = c.hints
        return Lambda(outer: outer, body: try inner.compile(body))
    }

    static func compileWithLambdas(_ name: String, _ args: [Expr], at p: Int, _ c: ExprCompiler) throws -> Eval {
        let spec = lambdaTakers[name]!
        guard args.count == spec.arity else { throw QueryError(.arity, "\(name)() takes \(spec.arity) arguments, not \(args.count)", at: p) }
        var lambdas: [Int: Lambda] = [:], plain: [Int: Eval] = [:]
        for (k, a) in args.enumerated() {
            if let n = spec.lambdas[k] { lambdas[k] = try compileLambda(a, parameters: n, for: name, c) } else { plain[k] = try c.compile(a) }
        }
        func truth(_ v: Value, _ what: String) throws -> Bool? {
            switch v {
            case .bool(let b): return b
            case .null: return nil
            default: throw QueryError(.type, "\(name)()'s lambda must give a boolean, not \(typeName(v))", at: p)
            }
        }
        let f = lambdas.values.first!, arg0 = plain[0]!
        switch name {
        case "transform":
            return { r in
                let a = try arg0(r)
                if a == .null { return .null }
                return .array(try array(a, name, p).map { try f([$0], r) })
            }
        case "filter":
            return { r in
                let a = try arg0(r)
                if a == .null { return .null }
                return .array(try array(a, name, p).filter { try truth(try f([$0], r), name) == true })
            }
        case "any_match", "all_match", "none_match":
            return { r in
                let a = try arg0(r)
                if a == .null { return .null }
                var sawNull = false, sawTrue = false, sawFalse = false
                for x in try array(a, name, p) {
                    switch try truth(try f([x], r), name) {
                    case true?: sawTrue = true
                    case false?: sawFalse = true
                    case nil: sawNull = true
                    }
                }
                switch name {
                case "any_match": return sawTrue ? .bool(true) : sawNull ? .null : .bool(false)
                case "all_match": return sawFalse ? .bool(false) : sawNull ? .null : .bool(true)
                default: return sawTrue ? .bool(false) : sawNull ? .null : .bool(true)
                }
            }
        case "reduce":
            let initial = plain[1]!, step = lambdas[2]!, finish = lambdas[3]!
            return { r in
                let a = try arg0(r)
                if a == .null { return .null }
                var state = try initial(r)
                for x in try array(a, name, p) { state = try step([state, x], r) }
                return try finish([state], r)
            }
        case "zip_with":
            let second = plain[1]!
            return { r in
                let a = try arg0(r), b = try second(r)
                if a == .null || b == .null { return .null }
                let x = try array(a, name, p), y = try array(b, name, p)
                return .array(try (0..<max(x.count, y.count)).map { i in try f([i < x.count ? x[i] : .null, i < y.count ? y[i] : .null], r) })
            }
        default:  // transform_values, map_filter
            return { r in
                let m = try arg0(r)
                if m == .null { return .null }
                guard case .map(let keys, let values) = m else { throw QueryError(.type, "\(name)() needs a map, not \(typeName(m))", at: p) }
                if name == "transform_values" { return .map(keys, try zip(keys, values).map { try f([$0, $1], r) }) }
                let kept = try keys.indices.filter { try truth(try f([keys[$0], values[$0]], r), name) == true }
                return .map(kept.map { keys[$0] }, kept.map { values[$0] })
            }
        }
    }
}
