/// The syntax tree of a query, as the parser hands it to the planner. Every node that can be
/// wrong at run time carries the offset of its text, for error carets.
public indirect enum Expr: Sendable {
    case literal(Value, at: Int)
    case column(String, at: Int)
    case unary(String, Expr, at: Int)                 // "-", "not"
    case binary(String, Expr, Expr, at: Int)          // "+", "=", "and", "||" …
    case call(String, [Expr], distinct: Bool, star: Bool, at: Int)
    case caseWhen(Expr?, [(Expr, Expr)], Expr?, at: Int)
    case cast(Expr, ColumnType, isTry: Bool, at: Int)
    case inList(Expr, [Expr], negated: Bool, at: Int)
    case between(Expr, Expr, Expr, negated: Bool, at: Int)
    case like(Expr, Expr, negated: Bool, caseInsensitive: Bool, at: Int)
    case isNull(Expr, negated: Bool, at: Int)
    case interval(Int64, at: Int)                     // nanoseconds
    /// `f(…) OVER (PARTITION BY … ORDER BY … [ROWS BETWEEN n PRECEDING AND CURRENT ROW])`;
    /// `frame` is the number of preceding rows, nil for the default frame.
    case window(Expr, partition: [Expr], order: [OrderItem], frame: Int?, at: Int)
    /// A query inside an expression: `(SELECT …)` (one value), `EXISTS (SELECT …)`,
    /// `x [NOT] IN (SELECT …)`. Run before the query that holds it, which then sees its answer
    /// as literals.
    case subquery(Query, SubqueryUse, at: Int)

    /// The name a qualified column (`l.status`, `logs.status`) has in the syntax tree: the
    /// qualifier and the name joined by a NUL (no field's name holds one).
    public static func qualified(_ qualifier: String, _ name: String, at p: Int) -> Expr { .column(qualifier + "\u{0}" + name, at: p) }

    public var position: Int {
        switch self {
        case .literal(_, let p), .column(_, let p), .unary(_, _, let p), .binary(_, _, _, let p), .call(_, _, _, _, let p),
             .caseWhen(_, _, _, let p), .cast(_, _, _, let p), .inList(_, _, _, let p), .between(_, _, _, _, let p),
             .like(_, _, _, _, let p), .isNull(_, _, let p), .interval(_, let p), .window(_, _, _, _, let p), .subquery(_, _, let p):
            return p
        }
    }

    /// A canonical text of the expression without positions: two spellings of the same
    /// expression (in SELECT and GROUP BY) compare equal.
    public var canonical: String {
        switch self {
        case .literal(let v, _): if case .string(let s) = v { return "'\(s)'" } else { return v.description }
        case .column(let n, _): return "\"\(n.lowercased())\""
        case .unary(let op, let e, _): return "(\(op) \(e.canonical))"
        case .binary(let op, let l, let r, _): return "(\(l.canonical) \(op) \(r.canonical))"
        case .call(let n, let args, let d, let star, _):
            return "\(n)(\(d ? "distinct " : "")\(star ? "*" : args.map(\.canonical).joined(separator: ", ")))"
        case .caseWhen(let o, let w, let e, _):
            return "case \(o?.canonical ?? "") " + w.map { "when \($0.0.canonical) then \($0.1.canonical)" }.joined(separator: " ")
                + " else \(e?.canonical ?? "null") end"
        case .cast(let e, let t, let isTry, _): return "\(isTry ? "try_cast" : "cast")(\(e.canonical) as \(t))"
        case .inList(let e, let l, let n, _): return "(\(e.canonical) \(n ? "not " : "")in (\(l.map(\.canonical).joined(separator: ", "))))"
        case .between(let e, let lo, let hi, let n, _): return "(\(e.canonical) \(n ? "not " : "")between \(lo.canonical) and \(hi.canonical))"
        case .like(let e, let p, let n, let ci, _): return "(\(e.canonical) \(n ? "not " : "")\(ci ? "ilike" : "like") \(p.canonical))"
        case .isNull(let e, let n, _): return "(\(e.canonical) is \(n ? "not " : "")null)"
        case .interval(let ns, _): return "interval \(ns)"
        case .window(let f, let p, let o, let frame, _):
            return "\(f.canonical) over (partition by \(p.map(\.canonical).joined(separator: ", ")) order by "
                + o.map { "\($0.expr.canonical) \($0.ascending ? "asc" : "desc") \($0.nullsFirst.map { $0 ? "nf" : "nl" } ?? "")" }.joined(separator: ", ")
                + " rows \(frame.map(String.init) ?? "default"))"
        case .subquery(_, let use, let p): return "subquery@\(p) \(use)"
        }
    }

    /// The expression as SQL text that parses back to it (for alarms made from a query).
    public var sql: String {
        switch self {
        case .literal(.string(let s), _): return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
        case .literal(.timestamp(let t), _): return "TIMESTAMP '\(Timestamp.iso8601(t))'"
        case .literal(.date(let d), _): return "DATE '\(Value.formatDate(d))'"
        case .literal(.double(let d), _):
            let t = Value.format(d)  // a double stays one: 100.0, not the integer 100
            return t.contains(where: { ".eEn".contains($0) }) ? t : t + ".0"
        case .literal(let v, _): return v == .null ? "NULL" : v.description
        case .column(let n, _):
            func name(_ n: Substring) -> String {
                n.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) ? String(n) : "\"\(n.replacingOccurrences(of: "\"", with: "\"\""))\""
            }
            return n.split(separator: "\u{0}", omittingEmptySubsequences: false).map(name).joined(separator: ".")  // `l.status`
        case .unary(let op, let e, _): return "(\(op.uppercased()) \(e.sql))"
        case .binary(let op, let l, let r, _): return "(\(l.sql) \(op.uppercased()) \(r.sql))"
        case .call(Functions.compositeCast, let args, _, _, _) where args.count == 3:
            if case .literal(.string(let spec), _) = args[1] { return "\(args[2].sql == "true" ? "TRY_CAST" : "CAST")(\(args[0].sql) AS \(spec))" }
            return canonical
        case .call(SQLParser.addMonthsName, let args, _, _, _) where args.count == 2:
            return "(\(args[1].sql) + INTERVAL '\(args[0].sql)' MONTH)"
        case .call(SQLParser.monthsName, let args, _, _, _) where args.count == 1:
            return "INTERVAL '\(args[0].sql)' MONTH"
        case .call(let n, let args, let d, let star, _):
            return "\(n)(\(d ? "DISTINCT " : "")\(star ? "*" : args.map(\.sql).joined(separator: ", ")))"
        case .caseWhen(let o, let w, let e, _):
            return "CASE \(o?.sql ?? "") " + w.map { "WHEN \($0.0.sql) THEN \($0.1.sql)" }.joined(separator: " ") + " ELSE \(e?.sql ?? "NULL") END"
        case .cast(let e, let t, let isTry, _): return "\(isTry ? "TRY_CAST" : "CAST")(\(e.sql) AS \(t))"
        case .inList(let e, let l, let n, _): return "(\(e.sql) \(n ? "NOT " : "")IN (\(l.map(\.sql).joined(separator: ", "))))"
        case .between(let e, let lo, let hi, let n, _): return "(\(e.sql) \(n ? "NOT " : "")BETWEEN \(lo.sql) AND \(hi.sql))"
        case .like(let e, let p, let n, let ci, _): return "(\(e.sql) \(n ? "NOT " : "")\(ci ? "ILIKE" : "LIKE") \(p.sql))"
        case .isNull(let e, let n, _): return "(\(e.sql) IS \(n ? "NOT " : "")NULL)"
        case .interval(let ns, _):
            return ns % 1_000_000_000 == 0 ? "INTERVAL '\(ns / 1_000_000_000)' SECOND" : "INTERVAL '\(Double(ns) / 1e9)' SECOND"
        case .subquery(_, .scalar, _): return "(SELECT …)"
        case .subquery(_, .exists, _): return "EXISTS (SELECT …)"
        case .subquery(_, .within(let x, let negated), _): return "(\(x.sql) \(negated ? "NOT " : "")IN (SELECT …))"
        case .window: return canonical
        }
    }

    /// The name a result column gets when the query gives it none.
    public var defaultName: String {
        switch self {
        case .column(let n, _): return n.split(separator: "\u{0}", omittingEmptySubsequences: false).last.map(String.init) ?? n
        case .call(let n, _, _, _, _): return n == Aggregates.orderedArrayAgg ? "array_agg" : n == SQLParser.addMonthsName ? "_col" : n
        default: return "_col"
        }
    }
}

public struct SelectItem: Sendable {
    public var expr: Expr
    public var alias: String?
    /// `*`: every column of the input.
    public var isStar: Bool
    /// `t.*`: every column of the table or alias `t` of the FROM.
    public var qualifier: String? = nil
}

public struct OrderItem: Sendable {
    public var expr: Expr
    public var ascending: Bool
    /// nil: NULLs last, whatever the direction (Trino's default).
    public var nullsFirst: Bool?
}

public indirect enum TableRef: Sendable {
    case table(String, at: Int)
    case subquery(Query, alias: String?)
    /// A table under another name: `FROM logs l`.
    case aliased(TableRef, alias: String)
    /// `a [INNER | LEFT | RIGHT | FULL] JOIN b ON … | USING (…)`, `a CROSS JOIN b`, `a, b`.
    case join(JoinKind, TableRef, TableRef, on: Expr?, using: [String], at: Int)
    /// `UNNEST(a [, b …]) [WITH ORDINALITY] AS t (x [, y …])`: a row per element of the arrays
    /// (side by side, the shorter padded with NULLs; a map gives its keys and values), for each
    /// row of the tables to its left.
    case unnest([Expr], ordinality: Bool, alias: String?, columns: [String], at: Int)
}

public enum JoinKind: String, Sendable {
    case inner, left, right, full, cross
}

/// How a subquery's rows are used inside an expression.
public indirect enum SubqueryUse: Sendable, CustomStringConvertible {
    /// Its one value (NULL when it has no row; more than one row is an error).
    case scalar
    /// Whether it has a row.
    case exists
    /// Whether the value is among its values (`NOT IN`: `negated`), with SQL's NULL rules.
    case within(Expr, negated: Bool)

    public var description: String {
        switch self {
        case .scalar: "scalar"
        case .exists: "exists"
        case .within(let e, let n): "\(n ? "not " : "")in \(e.canonical)"
        }
    }
}

/// UNION, INTERSECT, EXCEPT.
public enum SetOperator: String, Sendable {
    case union, intersect, except
}

public struct Select: Sendable {
    public var distinct = false
    public var items: [SelectItem] = []
    public var from: TableRef?
    public var filter: Expr?
    public var groupBy: [Expr] = []
    public var having: Expr?
    public var orderBy: [OrderItem] = []
    public var limit: Int?
    public var offset: Int = 0
    /// Tables a planned join indexed, read by the `\u{1}join(…)` lookups its expressions hold.
    var joinIndexes: [JoinIndex] = []
}

public indirect enum Query: Sendable {
    case select(Select)
    case unionAll([Query], orderBy: [OrderItem], limit: Int?, offset: Int)
    case with([(String, Query)], Query)
    /// `a UNION | INTERSECT | EXCEPT [ALL | DISTINCT] b` (INTERSECT binding tighter), with the
    /// ORDER BY, LIMIT and OFFSET written after the last part applying to the whole.
    case setOperation(SetOperator, all: Bool, Query, Query, orderBy: [OrderItem], limit: Int?, offset: Int, at: Int)
}

public enum Statement: Sendable {
    case query(Query)
    case showTables
    case describe(String, at: Int)
    /// EXPLAIN: the plan, not run; EXPLAIN ANALYZE: run, each step with its time.
    case explain(Query, analyze: Bool)
}
