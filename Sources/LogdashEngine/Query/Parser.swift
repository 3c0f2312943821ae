/// Parses SQL in the Trino/Athena dialect people use on logs into a `Statement`.
///
/// Precedence, loosest first: OR, AND, NOT, comparisons (`=`, `<`, `IS`, `IN`, `BETWEEN`,
/// `LIKE`), `||`, `+ -`, `* / %`, unary minus.
public struct SQLParser {
    /// How deep a query's expressions and subqueries may nest, counting each operand of a chain
    /// like `1+1+…` as a level. Deeper input is refused with an error rather than recursed into
    /// (parsing, binding, running and freeing a query all walk its tree).
    public static let maxDepth = 256

    private let tokens: [Token]
    private var i = 0
    private var depth = 0

    static let reserved: Set<String> = [
        "select", "from", "where", "group", "by", "having", "order", "limit", "offset", "union", "all", "as", "and", "or",
        "not", "in", "is", "null", "like", "ilike", "between", "case", "when", "then", "else", "end", "asc", "desc",
        "nulls", "first", "last", "distinct", "with", "on", "join", "cast", "try_cast", "interval", "true", "false",
        "intersect", "except", "exists",
    ]

    /// Words that end a table's name in FROM rather than alias it (`FROM logs LEFT JOIN …`).
    /// Keywords that are names too after AS and in expressions (`AS last`, `SELECT first FROM t`),
    /// as in Trino, though never an alias without AS (`ORDER BY x DESC NULLS LAST`).
    static let softKeywords: Set<String> = ["first", "last", "nulls", "asc", "desc"]

    static let notAliases: Set<String> = ["inner", "left", "right", "full", "outer", "cross", "natural", "using", "window"]

    public static func parse(_ sql: String) throws -> Statement {
        var p = SQLParser(tokens: try Lexer.tokens(sql))
        let s = try p.statement()
        if p.peek.kind == .symbol(";") { p.i += 1 }
        guard p.peek.kind == .end else { throw p.unexpected("end of query") }
        return s
    }

    private init(tokens: [Token]) { self.tokens = tokens }

    // MARK: nesting

    /// Counts one more level of nesting; throws past `maxDepth`. Pair with `leave`.
    private mutating func enter(_ levels: Int = 1) throws {
        depth += levels
        guard depth <= SQLParser.maxDepth else {
            throw QueryError(.syntax, "syntax error: the query nests more than \(SQLParser.maxDepth) levels deep (parentheses, operators in a row, calls or subqueries); split it up", at: peek.offset)
        }
    }

    private mutating func leave(_ levels: Int = 1) { depth -= levels }

    // MARK: tokens

    private var peek: Token { tokens[i] }
    private func peek(_ k: Int) -> Token { tokens[min(i + k, tokens.count - 1)] }

    private mutating func next() -> Token {
        let t = tokens[i]
        if i < tokens.count - 1 { i += 1 }
        return t
    }

    private func isWord(_ w: String) -> Bool { peek.word == w }

    private mutating func accept(_ w: String) -> Bool {
        if isWord(w) { i += 1; return true }
        return false
    }

    private mutating func accept(symbol s: String) -> Bool {
        if peek.kind == .symbol(s) { i += 1; return true }
        return false
    }

    private mutating func expect(_ w: String) throws {
        guard accept(w) else { throw unexpected(w.uppercased()) }
    }

    private mutating func expect(symbol s: String) throws {
        guard accept(symbol: s) else { throw unexpected("'\(s)'") }
    }

    private func describe(_ t: Token) -> String {
        switch t.kind {
        case .identifier(let s): return "'\(s)'"
        case .quotedIdentifier(let s): return "\"\(s)\""
        case .string(let s): return "'\(s)'"
        case .integer(let v): return String(v)
        case .decimal(let d): return String(d)
        case .symbol(let s): return "'\(s)'"
        case .end: return "the end of the query"
        }
    }

    private func unexpected(_ wanted: String) -> QueryError {
        QueryError(.syntax, "syntax error: expected \(wanted) but found \(describe(peek))", at: peek.offset)
    }

    // MARK: statements

    private mutating func statement() throws -> Statement {
        if accept("show") {
            try expect("tables")
            return .showTables
        }
        if isWord("describe") || isWord("desc") {
            i += 1
            let t = peek
            return .describe(try name(), at: t.offset)
        }
        if accept("explain") {
            let analyze = accept("analyze")
            return .explain(try query(), analyze: analyze)
        }
        return .query(try query())
    }

    private mutating func name() throws -> String {
        switch peek.kind {
        case .identifier(let s) where !SQLParser.reserved.contains(s) || SQLParser.softKeywords.contains(s): i += 1; return s
        case .quotedIdentifier(let s): i += 1; return s
        default: throw unexpected("a name")
        }
    }

    mutating func query() throws -> Query {
        try enter()
        defer { leave() }
        if accept("with") {
            var ctes: [(String, Query)] = []
            repeat {
                let n = try name()
                // `WITH t (a, b) AS (…)`: the query's columns named.
                var names: [String] = [], at = peek.offset
                if accept(symbol: "(") {
                    at = peek.offset
                    repeat { names.append(try name()) } while accept(symbol: ",")
                    try expect(symbol: ")")
                }
                try expect("as")
                try expect(symbol: "(")
                var q = try query()
                try expect(symbol: ")")
                if !names.isEmpty { q = try Self.renamingColumns(q, names, at: at) }
                ctes.append((n, q))
            } while accept(symbol: ",")
            return .with(ctes, try query())
        }
        // UNION and EXCEPT chain left to right; INTERSECT binds tighter (as in Trino).
        var terms = [try intersection()]
        var operators: [(SetOperator, Bool, Int)] = []
        while isWord("union") || isWord("except") {
            let t = next()
            let all = accept("all")
            if !all { _ = accept("distinct") }
            operators.append((t.word == "union" ? .union : .except, all, t.offset))
            terms.append(try intersection())
        }
        // ORDER BY / LIMIT after a last part in parentheses: the whole's, as written.
        if isWord("order") || isWord("limit") || isWord("offset") {
            let (o, l, off) = try orderAndLimit()
            if terms.count == 1 { return .unionAll(terms, orderBy: o, limit: l, offset: off) }
            if operators.allSatisfy({ $0.0 == .union && $0.1 }) { return .unionAll(terms, orderBy: o, limit: l, offset: off) }
            var q = terms[0]
            for (k, (op, all, at)) in operators.enumerated() {
                let last = k == operators.count - 1
                q = .setOperation(op, all: all, q, terms[k + 1], orderBy: last ? o : [], limit: last ? l : nil, offset: last ? off : 0, at: at)
            }
            return q
        }
        // ORDER BY / LIMIT after the last part apply to the whole.
        var (orderBy, limit, offset) = ([OrderItem](), Int?.none, 0)
        if terms.count == 1 {
            guard case .setOperation(let op, let all, let a, let b, _, _, _, let at) = terms[0] else { return terms[0] }
            let (last, o, l, off) = Self.liftingOrder(b)
            return .setOperation(op, all: all, a, last, orderBy: o, limit: l, offset: off, at: at)
        }
        (terms[terms.count - 1], orderBy, limit, offset) = Self.liftingOrder(terms[terms.count - 1])
        if operators.allSatisfy({ $0.0 == .union && $0.1 }) {
            return .unionAll(terms, orderBy: orderBy, limit: limit, offset: offset)
        }
        var q = terms[0]
        for (k, (op, all, at)) in operators.enumerated() {
            let last = k == operators.count - 1
            q = .setOperation(op, all: all, q, terms[k + 1], orderBy: last ? orderBy : [], limit: last ? limit : nil, offset: last ? offset : 0, at: at)
        }
        return q
    }

    /// The last part of a set operation without the ORDER BY, LIMIT and OFFSET written after
    /// it, and those (they belong to the whole).
    private static func liftingOrder(_ q: Query) -> (Query, [OrderItem], Int?, Int) {
        switch q {
        case .select(var s):
            let lifted = (s.orderBy, s.limit, s.offset)
            s.orderBy = []; s.limit = nil; s.offset = 0
            return (.select(s), lifted.0, lifted.1, lifted.2)
        case .setOperation(let op, let all, let a, let b, let o, let l, let off, let at) where o.isEmpty && l == nil && off == 0:
            let (last, lo, ll, loff) = liftingOrder(b)
            return (.setOperation(op, all: all, a, last, orderBy: [], limit: nil, offset: 0, at: at), lo, ll, loff)
        default:
            return (q, [], nil, 0)
        }
    }

    /// Parts joined by INTERSECT.
    private mutating func intersection() throws -> Query {
        var q = try selectOrParenthesised()
        while isWord("intersect") {
            let t = next()
            let all = accept("all")
            if !all { _ = accept("distinct") }
            q = .setOperation(.intersect, all: all, q, try selectOrParenthesised(), orderBy: [], limit: nil, offset: 0, at: t.offset)
        }
        return q
    }

    private mutating func selectOrParenthesised() throws -> Query {
        if isWord("values") { return try values() }
        if peek.kind == .symbol("(") {
            i += 1
            let q = try query()
            try expect(symbol: ")")
            // A part in parentheses keeps its own ORDER BY and LIMIT (nothing lifts them out).
            if case .select(let s) = q, !s.orderBy.isEmpty || s.limit != nil || s.offset != 0 { return .with([], q) }
            return q
        }
        return .select(try select())
    }

    /// `VALUES (1, 'a'), (2, 'b')` (or `VALUES 1, 2`): a row per tuple, its columns `_col0`,
    /// `_col1` … (renamed by `AS t(x, y)` after it).
    private mutating func values() throws -> Query {
        let at = next().offset
        var rows: [Select] = []
        repeat {
            var row: [Expr] = []
            if peek.kind == .symbol("(") {
                i += 1
                repeat { row.append(try expr()) } while accept(symbol: ",")
                try expect(symbol: ")")
            } else {
                row.append(try expr())
            }
            if let first = rows.first, first.items.count != row.count {
                throw QueryError(.syntax, "VALUES rows must have the same number of columns (\(first.items.count), then \(row.count))", at: at)
            }
            var s = Select()
            s.items = row.enumerated().map { SelectItem(expr: $0.element, alias: "_col\($0.offset)", isStar: false) }
            rows.append(s)
        } while accept(symbol: ",")
        return rows.count == 1 ? .select(rows[0]) : .unionAll(rows.map(Query.select), orderBy: [], limit: nil, offset: 0)
    }

    /// `q` with its columns named `names`, in order: `(VALUES …) AS t(x, y)`, `(SELECT …) AS t(x, y)`.
    private static func renamingColumns(_ q: Query, _ names: [String], at p: Int) throws -> Query {
        switch q {
        case .select(var s):
            guard !s.items.contains(where: \.isStar) else { throw QueryError(.syntax, "column names after a subquery need its columns written out, not *", at: p) }
            guard s.items.count == names.count else { throw QueryError(.syntax, "the subquery has \(s.items.count) columns but \(names.count) names are given", at: p) }
            if s.from == nil {  // a row of VALUES: named where it is made
                for k in s.items.indices { s.items[k].alias = names[k] }
                return .select(s)
            }
            // Otherwise a SELECT over it renames its columns (its own ORDER BY and GROUP BY keep
            // reading the names it gave them); a column it left unnamed gets a hidden one.
            for k in s.items.indices where s.items[k].alias == nil { s.items[k].alias = "\u{2}c\(k)" }
            let inner = s.items.map { $0.alias!.lowercased() }
            guard Set(inner).count == inner.count else {
                throw QueryError(.syntax, "the subquery names two columns alike; give them distinct names inside it", at: p)
            }
            var outer = Select()
            outer.items = zip(s.items, names).map { SelectItem(expr: .column($0.0.alias!, at: p), alias: $0.1, isStar: false) }
            outer.from = .subquery(.select(s), alias: nil)
            return .select(outer)
        case .unionAll(var parts, let o, let l, let off):
            // (A union's columns are its first part's.)
            parts[0] = try renamingColumns(parts[0], names, at: p)
            return .unionAll(parts, orderBy: o, limit: l, offset: off)
        case .setOperation(let op, let all, let a, let b, let o, let l, let off, let at):
            return .setOperation(op, all: all, try renamingColumns(a, names, at: p), b, orderBy: o, limit: l, offset: off, at: at)
        case .with(let defs, let body):
            return .with(defs, try renamingColumns(body, names, at: p))
        }
    }

    private mutating func select() throws -> Select {
        try expect("select")
        var s = Select()
        if accept("distinct") { s.distinct = true } else { _ = accept("all") }
        repeat {
            if peek.kind == .symbol("*") {
                i += 1
                s.items.append(SelectItem(expr: .literal(.null, at: peek.offset), alias: nil, isStar: true))
                continue
            }
            // `t.*`: every column of one table of the FROM.
            if peek(1).kind == .symbol("."), peek(2).kind == .symbol("*"), let q = qualifierWord(peek) {
                let p = peek.offset
                i += 3
                s.items.append(SelectItem(expr: .literal(.null, at: p), alias: nil, isStar: true, qualifier: q))
                continue
            }
            let e = try expr()
            var alias: String?
            // (In the SELECT list a soft keyword after an expression can only be its alias: `count(*) nulls`.)
            if accept("as") { alias = try name() } else if case .identifier(let w) = peek.kind, !SQLParser.reserved.contains(w) || SQLParser.softKeywords.contains(w) {
                alias = w; i += 1
            } else if case .quotedIdentifier(let w) = peek.kind { alias = w; i += 1 }
            s.items.append(SelectItem(expr: e, alias: alias, isStar: false))
        } while accept(symbol: ",")
        if accept("from") { s.from = try tableRef() }
        if accept("where") { s.filter = try expr() }
        if accept("group") {
            try expect("by")
            repeat {
                // GROUPING SETS ((a, b), (a), ()): written as a call the executor expands, as it
                // does ROLLUP (…) and CUBE (…), which parse as calls already.
                if isWord("grouping"), peek(1).word == "sets" {
                    let p = next().offset
                    i += 1
                    try expect(symbol: "(")
                    var sets: [Expr] = []
                    repeat {
                        let q = peek.offset
                        if accept(symbol: "(") {
                            var members: [Expr] = []
                            if !accept(symbol: ")") {
                                repeat { members.append(try expr()) } while accept(symbol: ",")
                                try expect(symbol: ")")
                            }
                            sets.append(.call("row", members, distinct: false, star: false, at: q))
                        } else {
                            sets.append(.call("row", [try expr()], distinct: false, star: false, at: q))
                        }
                    } while accept(symbol: ",")
                    try expect(symbol: ")")
                    s.groupBy.append(.call("grouping sets", sets, distinct: false, star: false, at: p))
                    continue
                }
                s.groupBy.append(try expr())
            } while accept(symbol: ",")
        }
        if accept("having") { s.having = try expr() }
        (s.orderBy, s.limit, s.offset) = try orderAndLimit()
        return s
    }

    /// `[ORDER BY …] [LIMIT n | ALL] [OFFSET n [ROWS]]`.
    private mutating func orderAndLimit() throws -> ([OrderItem], Int?, Int) {
        var orderBy: [OrderItem] = [], limit: Int?, offset = 0
        if accept("order") {
            try expect("by")
            orderBy = try orderItems()
        }
        if accept("limit") {
            if !accept("all") { limit = try count("LIMIT") }
        }
        if accept("offset") {
            offset = try count("OFFSET")
            _ = accept("rows") || accept("row")
        }
        return (orderBy, limit, offset)
    }

    private mutating func count(_ what: String) throws -> Int {
        guard case .integer(let v) = peek.kind, v >= 0, v <= Int64(Int32.max) else {
            throw QueryError(.syntax, "\(what) takes a whole number from 0 to 2147483647", at: peek.offset)
        }
        i += 1
        return Int(v)
    }

    private mutating func orderItems() throws -> [OrderItem] {
        var out: [OrderItem] = []
        repeat {
            let e = try expr()
            var asc = true
            if accept("desc") { asc = false } else { _ = accept("asc") }
            var nullsFirst: Bool?
            if accept("nulls") {
                if accept("first") { nullsFirst = true } else { try expect("last"); nullsFirst = false }
            }
            out.append(OrderItem(expr: e, ascending: asc, nullsFirst: nullsFirst))
        } while accept(symbol: ",")
        return out
    }

    /// A FROM: tables, joined (`JOIN … ON`, `USING`, `CROSS JOIN`, commas) left to right.
    private mutating func tableRef() throws -> TableRef {
        var left = try tablePrimary()
        while true {
            let t = peek
            var kind: JoinKind
            if accept(symbol: ",") {
                kind = .cross
            } else if accept("cross") {
                try expect("join")
                kind = .cross
            } else if isWord("join") || isWord("inner") || isWord("left") || isWord("right") || isWord("full") {
                let w = next().word
                kind = w == "left" ? .left : w == "right" ? .right : w == "full" ? .full : .inner
                if w != "join" {
                    if kind != .inner { _ = accept("outer") }
                    try expect("join")
                }
            } else if isWord("natural") {
                throw QueryError(.syntax, "NATURAL JOIN is not supported: name the columns with USING (…) or ON", at: t.offset)
            } else {
                return left
            }
            let right = try tablePrimary()
            var on: Expr?, using: [String] = []
            if kind != .cross {
                if accept("on") {
                    on = try expr()
                } else if accept("using") {
                    try expect(symbol: "(")
                    repeat { using.append(try name()) } while accept(symbol: ",")
                    try expect(symbol: ")")
                } else {
                    throw unexpected("ON or USING after the joined table")
                }
            }
            left = .join(kind, left, right, on: on, using: using, at: t.offset)
        }
    }

    /// One table of a FROM: a name or a parenthesised query, perhaps with an alias.
    private mutating func tablePrimary() throws -> TableRef {
        if peek.kind == .symbol("(") {
            i += 1
            var q = try query()
            try expect(symbol: ")")
            let alias = try tableAlias()
            if alias != nil, peek.kind == .symbol("(") {
                let p = next().offset
                var names: [String] = []
                repeat { names.append(try name()) } while accept(symbol: ",")
                try expect(symbol: ")")
                q = try Self.renamingColumns(q, names, at: p)
            }
            return .subquery(q, alias: alias)
        }
        let t = peek
        if isWord("unnest"), peek(1).kind == .symbol("(") {
            // UNNEST(a [, b …]) [WITH ORDINALITY] [AS] t [(x [, y …])]
            i += 2
            var arrays: [Expr] = []
            repeat { arrays.append(try expr()) } while accept(symbol: ",")
            try expect(symbol: ")")
            var ordinality = false
            if isWord("with"), peek(1).word == "ordinality" { i += 2; ordinality = true }
            let alias = try tableAlias()
            var columns: [String] = []
            if alias != nil, accept(symbol: "(") {
                repeat { columns.append(try name()) } while accept(symbol: ",")
                try expect(symbol: ")")
            }
            return .unnest(arrays, ordinality: ordinality, alias: alias, columns: columns, at: t.offset)
        }
        let n = try name()
        let table = TableRef.table(n, at: t.offset)
        return try tableAlias().map { .aliased(table, alias: $0) } ?? table
    }

    private mutating func tableAlias() throws -> String? {
        if accept("as") { return try name() }
        if case .identifier(let w) = peek.kind, !SQLParser.reserved.contains(w), !SQLParser.notAliases.contains(w) { i += 1; return w }
        if case .quotedIdentifier(let w) = peek.kind { i += 1; return w }
        return nil
    }

    /// The word a qualified name starts with (`l` of `l.status`), when the token is one.
    private func qualifierWord(_ t: Token) -> String? {
        switch t.kind {
        case .identifier(let w) where !SQLParser.reserved.contains(w): w
        case .quotedIdentifier(let w): w
        default: nil
        }
    }

    // MARK: expressions

    mutating func expr() throws -> Expr {
        try enter()
        defer { leave() }
        return try or()
    }

    // Each operand of a chain (`a OR b OR …`, `1+1+…`) nests the tree one level deeper.

    private mutating func or() throws -> Expr {
        var l = try and(), links = 0
        defer { leave(links) }
        while isWord("or") { try enter(); links += 1; let p = next().offset; l = .binary("or", l, try and(), at: p) }
        return l
    }

    private mutating func and() throws -> Expr {
        var l = try not(), links = 0
        defer { leave(links) }
        while isWord("and") { try enter(); links += 1; let p = next().offset; l = .binary("and", l, try not(), at: p) }
        return l
    }

    private mutating func not() throws -> Expr {
        if isWord("not") {
            try enter()
            defer { leave() }
            let p = next().offset
            return .unary("not", try not(), at: p)
        }
        return try comparison()
    }

    private mutating func comparison() throws -> Expr {
        let l = try concat()
        guard case .symbol(let s) = peek.kind, ["=", "<>", "!=", "<", "<=", ">", ">="].contains(s) else { return try predicate(l) }
        let p = next().offset
        return .binary(s == "!=" ? "<>" : s, l, try concat(), at: p)
    }

    /// What may follow an operand besides a comparison: IS [NOT] NULL, [NOT] IN, BETWEEN, LIKE.
    @inline(never)
    private mutating func predicate(_ l: Expr) throws -> Expr {
        let t = peek
        if accept("is") {
            let negated = accept("not")
            try expect("null")
            return .isNull(l, negated: negated, at: t.offset)
        }
        var negated = false
        if isWord("not"), let w = peek(1).word, ["in", "between", "like", "ilike"].contains(w) { i += 1; negated = true }
        if accept("in") {
            try expect(symbol: "(")
            if isWord("select") || isWord("with") {
                let q = try query()
                try expect(symbol: ")")
                return .subquery(q, .within(l, negated: negated), at: t.offset)
            }
            var list: [Expr] = []
            repeat { list.append(try expr()) } while accept(symbol: ",")
            try expect(symbol: ")")
            return .inList(l, list, negated: negated, at: t.offset)
        }
        if accept("between") {
            let lo = try concat()
            try expect("and")
            return .between(l, lo, try concat(), negated: negated, at: t.offset)
        }
        if isWord("like") || isWord("ilike") {
            let ci = next().word == "ilike"
            return .like(l, try concat(), negated: negated, caseInsensitive: ci, at: t.offset)
        }
        if negated { throw unexpected("IN, BETWEEN or LIKE after NOT") }
        return l
    }

    private mutating func concat() throws -> Expr {
        var l = try additive(), links = 0
        defer { leave(links) }
        while peek.kind == .symbol("||") { try enter(); links += 1; let p = next().offset; l = .binary("||", l, try additive(), at: p) }
        return l
    }

    private mutating func additive() throws -> Expr {
        var l = try multiplicative(), links = 0
        defer { leave(links) }
        while case .symbol(let s) = peek.kind, s == "+" || s == "-" {
            try enter(); links += 1
            let p = next().offset
            l = Self.additive(s, l, try multiplicative(), at: p)
        }
        return l
    }

    /// `l + r` or `l - r`; with a year-to-month interval on one side, its months added.
    /// (Apart from `additive`, whose stack frame every level of a nested expression pays.)
    @inline(never)
    private static func additive(_ op: String, _ l: Expr, _ r: Expr, at p: Int) -> Expr {
        if let months = months(r) { return addMonths(op == "+" ? months : -months, to: l, at: p) }
        if let months = months(l), op == "+" { return addMonths(months, to: r, at: p) }
        return .binary(op, l, r, at: p)
    }

    /// The months of a year-to-month interval (`INTERVAL '1' MONTH`, `INTERVAL '1-6' YEAR TO
    /// MONTH`), which the parser holds as a call of `Self.monthsName` until `+`/`-` makes it a
    /// call of `Self.addMonthsName` (date_add's calendar rules: the 31st of January plus a month
    /// is the last of February). Neither name can be written in a query.
    static let monthsName = "$months"

    static func months(_ e: Expr) -> Int64? {
        if case .call(monthsName, let args, _, _, _) = e, case .literal(.int(let n), _)? = args.first { return n }
        return nil
    }

    static let addMonthsName = "$add_months"

    static func addMonths(_ n: Int64, to e: Expr, at p: Int) -> Expr {
        .call(addMonthsName, [.literal(.int(n), at: p), e], distinct: false, star: false, at: p)
    }

    private mutating func multiplicative() throws -> Expr {
        var l = try unary(), links = 0
        defer { leave(links) }
        while case .symbol(let s) = peek.kind, s == "*" || s == "/" || s == "%" {
            try enter(); links += 1
            let p = next().offset
            l = .binary(s, l, try unary(), at: p)
        }
        return l
    }

    private mutating func unary() throws -> Expr {
        guard peek.kind == .symbol("-") || peek.kind == .symbol("+") else { return try primary() }
        try enter()
        defer { leave() }
        if peek.kind == .symbol("+") { i += 1; return try unary() }
        let p = next().offset
        let e = try unary()
        if case .literal(.int(let v), _) = e, v != .min { return .literal(.int(-v), at: p) }
        if case .literal(.double(let v), _) = e { return .literal(.double(-v), at: p) }
        return Self.negated(e, at: p)
    }

    @inline(never)
    private static func negated(_ e: Expr, at p: Int) -> Expr {
        if let months = months(e) { return .call(monthsName, [.literal(.int(-months), at: p)], distinct: false, star: false, at: p) }
        return .unary("-", e, at: p)
    }

    /// A primary expression and what follows it: subscripts (`a[1]`, `m['key']`) and
    /// `AT TIME ZONE 'Europe/Berlin'` (Trino's `at_timezone`).
    private mutating func primary() throws -> Expr {
        let e = try atom()
        guard peek.kind == .symbol("[") || isWord("at") else { return e }
        return try postfix(e)
    }

    @inline(never)
    private mutating func postfix(_ first: Expr) throws -> Expr {
        var e = first
        while true {
            if peek.kind == .symbol("[") {
                let p = next().offset
                let index = try expr()
                try expect(symbol: "]")
                e = .call("subscript", [e, index], distinct: false, star: false, at: p)
            } else if isWord("at"), peek(1).word == "time", peek(2).word == "zone" {
                let p = peek.offset
                i += 3
                e = .call("at_timezone", [e, try atom()], distinct: false, star: false, at: p)
            } else {
                return e
            }
        }
    }

    // Every level of a nested expression passes through or → and → not → comparison → concat
    // → additive → multiplicative → unary → primary → atom (and, for a call's arguments,
    // `call` and `lambdaOrExpr`): their stack frames are kept small — what only some
    // expressions need is in functions of its own — so that the deepest query taken
    // (`maxDepth`) is parsed on a thread of 2 MiB even in a debug build.
    private mutating func atom() throws -> Expr {
        let t = peek
        switch t.kind {
        case .integer(let v): i += 1; return .literal(.int(v), at: t.offset)
        case .decimal(let d): i += 1; return .literal(.double(d), at: t.offset)
        case .string(let s): i += 1; return .literal(.string(s), at: t.offset)
        case .quotedIdentifier(let s):
            i += 1
            if let q = try qualified(s) { return .qualified(s, q, at: t.offset) }
            return .column(s, at: t.offset)
        case .symbol("("):
            i += 1
            if isWord("select") || isWord("with") { return try scalarSubquery(at: t.offset) }
            let e = try expr()
            try expect(symbol: ")")
            return e
        case .identifier(let w):
            if let e = try keyword(w, at: t.offset) { return e }
            if SQLParser.reserved.contains(w) && !SQLParser.softKeywords.contains(w) { throw unexpected("an expression") }
            i += 1
            if let q = try qualified(w) { return .qualified(w, q, at: t.offset) }
            if peek.kind == .symbol("(") { return try call(w, at: t.offset) }
            return .column(w, at: t.offset)
        default:
            throw unexpected("an expression")
        }
    }

    @inline(never)
    private mutating func scalarSubquery(at p: Int) throws -> Expr {
        let q = try query()
        try expect(symbol: ")")
        return .subquery(q, .scalar, at: p)
    }

    /// An expression a keyword starts (`NULL`, `TIMESTAMP '…'`, `INTERVAL …`, `CASE`, `CAST`,
    /// `ARRAY[…]`, `EXISTS`, Trino's niladic times), or nil.
    @inline(never)
    private mutating func keyword(_ w: String, at p: Int) throws -> Expr? {
        switch w {
        case "null": i += 1; return .literal(.null, at: p)
        case "true": i += 1; return .literal(.bool(true), at: p)
        case "false": i += 1; return .literal(.bool(false), at: p)
        case "timestamp", "date":
            if case .string(let s) = peek(1).kind {
                i += 2
                guard let ns = Compare.parseTime(s) else { throw QueryError(.value, "'\(s)' is not a \(w)", at: p) }
                return .literal(w == "date" ? .date(Timestamp.floorDiv(ns, Timestamp.nanosPerDay)) : .timestamp(ns), at: p)
            }
        case "interval":
            i += 1
            return try interval(at: p)
        case let niladic where ["current_timestamp", "localtimestamp", "current_date"].contains(niladic) && peek(1).kind != .symbol("("):
            // Trino's niladic forms: the query's start (`now()`), and its day.
            i += 1
            return .call(w == "current_date" ? "current_date" : "now", [], distinct: false, star: false, at: p)
        case "array" where peek(1).kind == .symbol("["):
            // ARRAY[a, b, …]
            i += 2
            var items: [Expr] = []
            if !accept(symbol: "]") {
                repeat { items.append(try expr()) } while accept(symbol: ",")
                try expect(symbol: "]")
            }
            return .call("array", items, distinct: false, star: false, at: p)
        case "exists":
            i += 1
            try expect(symbol: "(")
            let q = try query()
            try expect(symbol: ")")
            return .subquery(q, .exists, at: p)
        case "case":
            i += 1
            return try caseExpr(at: p)
        case "cast", "try_cast":
            i += 1
            try expect(symbol: "(")
            let e = try expr()
            try expect("as")
            if (isWord("array") || isWord("map")) && peek(1).kind == .symbol("(") {
                // CAST(x AS ARRAY(T)), CAST(x AS MAP(K, V)): x an array, a map or JSON text.
                let spec = try compositeType()
                try expect(symbol: ")")
                return .call(Functions.compositeCast, [e, .literal(.string(spec), at: p), .literal(.bool(w == "try_cast"), at: p)],
                             distinct: false, star: false, at: p)
            }
            if accept("date") {
                // A date is a day of its own type (Trino's `date`): `date(x)`.
                try expect(symbol: ")")
                let day = Expr.call("date", [e], distinct: false, star: false, at: p)
                return w == "try_cast" ? .call("try", [day], distinct: false, star: false, at: p) : day
            }
            let type = try typeName()
            if type == .timestamp, accept("with") {
                // CAST(x AS timestamp with time zone): a time with a zone, UTC unless it says one.
                try expect("time"); try expect("zone")
                try expect(symbol: ")")
                let zoned = Expr.call("with_timezone", [.cast(e, .timestamp, isTry: w == "try_cast", at: p), .literal(.string("UTC"), at: p)],
                                      distinct: false, star: false, at: p)
                return zoned
            }
            try expect(symbol: ")")
            return .cast(e, type, isTry: w == "try_cast", at: p)
        default:
            break
        }
        return nil
    }

    /// `name(…)` after its name: `*`, DISTINCT, the arguments (lambdas among them), `array_agg`'s
    /// ORDER BY, then FILTER and OVER.
    @inline(never)
    private mutating func call(_ w: String, at p: Int) throws -> Expr {
        i += 1
        if accept(symbol: ")") { return try windowed(.call(w, [], distinct: false, star: false, at: p)) }
        if peek.kind == .symbol("*") {
            i += 1
            try expect(symbol: ")")
            return try windowed(try filtered(.call(w, [], distinct: false, star: true, at: p)))
        }
        let distinct = accept("distinct")
        var args: [Expr] = []
        repeat { args.append(try lambdaOrExpr()) } while accept(symbol: ",")
        if w == "array_agg", args.count == 1, isWord("order") { return try orderedArrayAgg(args[0], distinct: distinct, at: p) }
        try expect(symbol: ")")
        return try windowed(try filtered(.call(w, args, distinct: distinct, star: false, at: p)))
    }

    /// array_agg(x ORDER BY k [DESC] …): the value, a condition (FILTER's), then each key and
    /// whether it descends.
    @inline(never)
    private mutating func orderedArrayAgg(_ value: Expr, distinct: Bool, at p: Int) throws -> Expr {
        i += 1
        try expect("by")
        let order = try orderItems()
        try expect(symbol: ")")
        let keys = order.flatMap { [$0.expr, Expr.literal(.bool(!$0.ascending), at: p)] }
        return try windowed(try filtered(.call(Aggregates.orderedArrayAgg, [value, .literal(.bool(true), at: p)] + keys,
                                               distinct: distinct, star: false, at: p)))
    }

    /// A function's argument: an expression, or a lambda — `x -> x * 2`, `(s, x) -> s + x` —
    /// written as `\u{1}lambda('x', body)`, its parameters then its body.
    private mutating func lambdaOrExpr() throws -> Expr {
        let p = peek.offset
        guard let params = lambdaHead() else { return try expr() }
        return Self.lambda(params, try expr(), at: p)
    }

    /// A lambda's parameters and arrow (`x ->`, `(a, b) ->`), taken; nil (nothing taken) when
    /// no lambda starts here.
    @inline(never)
    private mutating func lambdaHead() -> [String]? {
        if case .identifier(let w) = peek.kind, peek(1).kind == .symbol("->") {
            i += 2
            return [w]
        }
        guard peek.kind == .symbol("("), case .identifier = peek(1).kind, [Token.Kind.symbol(","), .symbol(")")].contains(peek(2).kind) else { return nil }
        // `(a, b) ->`: look ahead for the arrow after the closing parenthesis.
        var j = 1, names: [String] = []
        while case .identifier(let w) = peek(j).kind {
            names.append(w)
            if peek(j + 1).kind == .symbol(",") { j += 2; continue }
            break
        }
        guard peek(j + 1).kind == .symbol(")"), peek(j + 2).kind == .symbol("->") else { return nil }
        i += j + 3
        return names
    }

    @inline(never)
    private static func lambda(_ params: [String], _ body: Expr, at p: Int) -> Expr {
        .call(Functions.lambda, params.map { .literal(.string($0), at: p) } + [body], distinct: false, star: false, at: p)
    }

    /// After a name, `.name` makes it a qualifier: the column's name (nil when no `.` follows).
    private mutating func qualified(_ qualifier: String) throws -> String? {
        guard peek.kind == .symbol(".") else { return nil }
        i += 1
        switch peek.kind {
        case .identifier(let n), .quotedIdentifier(let n): i += 1; return n
        default: throw unexpected("a column name after '\(qualifier).'")
        }
    }

    /// `agg(…) FILTER (WHERE c)`: the aggregate over the rows where `c` holds — written as the
    /// same aggregate of `CASE WHEN c THEN x END` (`count(*)` as `count_if(c)`).
    private mutating func filtered(_ call: Expr) throws -> Expr {
        guard isWord("filter"), peek(1).kind == .symbol("("), peek(2).word == "where" else { return call }
        let p = next().offset
        i += 2
        let condition = try expr()
        try expect(symbol: ")")
        guard case .call(let n, let args, let distinct, let star, let at) = call, Aggregates.isAggregate(n.lowercased()) else {
            throw QueryError(.syntax, "FILTER (WHERE …) goes after an aggregate", at: p)
        }
        if star {
            guard n.lowercased() == "count" else { throw QueryError(.syntax, "\(n)(*) is only for count", at: at) }
            return .call("count_if", [condition], distinct: false, star: false, at: at)
        }
        if n.lowercased() == "count_if", let x = args.first { return .call(n, [.binary("and", condition, x, at: p)], distinct: distinct, star: false, at: at) }
        // array_agg keeps NULLs: the condition goes with it, to skip the other rows.
        if n.lowercased() == "array_agg", args.count == 1 { return .call(n, [args[0], condition], distinct: distinct, star: false, at: at) }
        if n == Aggregates.orderedArrayAgg { return .call(n, [args[0], condition] + args.dropFirst(2), distinct: distinct, star: false, at: at) }
        guard !args.isEmpty else { throw QueryError(.syntax, "FILTER (WHERE …) needs an aggregate of a value", at: p) }
        // Every argument that varies by row (max_by's key as well as its value); constants
        // (a percentile's fraction) as they are.
        return .call(n, args.map { a in
            var constant = true
            walk(a) { if case .column = $0 { constant = false } }
            if constant { return a }
            return .caseWhen(nil, [(condition, a)], nil, at: p)
        }, distinct: distinct, star: false, at: at)
    }

    /// `call OVER (…)`, or the call itself when no OVER follows.
    private mutating func windowed(_ call: Expr) throws -> Expr {
        guard isWord("over") else { return call }
        let p = next().offset
        try expect(symbol: "(")
        var partition: [Expr] = [], order: [OrderItem] = [], frame: Int?
        if accept("partition") {
            try expect("by")
            repeat { partition.append(try expr()) } while accept(symbol: ",")
        }
        if accept("order") {
            try expect("by")
            order = try orderItems()
        }
        if accept("rows") {
            try expect("between")
            if accept("unbounded") {
                try expect("preceding")
            } else {
                frame = try count("the frame")
                try expect("preceding")
            }
            try expect("and")
            try expect("current")
            try expect("row")
        }
        try expect(symbol: ")")
        return .window(call, partition: partition, order: order, frame: frame, at: p)
    }

    /// `array(T)` or `map(K, V)` (nested as deep as written), as the text `CAST` reads back.
    private mutating func compositeType() throws -> String {
        if (isWord("array") || isWord("map")) && peek(1).kind == .symbol("(") {
            let w = next().word!
            i += 1
            var parts = [try compositeType()]
            if w == "map" { try expect(symbol: ","); parts.append(try compositeType()) }
            try expect(symbol: ")")
            return "\(w)(\(parts.joined(separator: ", ")))"
        }
        return try typeName().description
    }

    private mutating func typeName() throws -> ColumnType {
        let t = peek
        guard let w = t.word else { throw unexpected("a type") }
        i += 1
        switch w {
        case "bigint", "integer", "int", "smallint", "tinyint": return .int
        case "double", "real", "float", "decimal": 
            if accept(symbol: "(") { while !accept(symbol: ")") { guard peek.kind != .end else { throw unexpected("')'") }; i += 1 } }
            return .double
        case "varchar", "string", "char", "text":
            if accept(symbol: "(") { _ = next(); try expect(symbol: ")") }
            return .string
        case "boolean", "bool": return .bool
        case "timestamp": return .timestamp
        default: throw QueryError(.type, "unknown type '\(w)'; types are bigint, double, varchar, boolean, timestamp, date, array(T), map(K, V)", at: t.offset)
        }
    }

    private mutating func interval(at p: Int) throws -> Expr {
        // INTERVAL '5' MINUTE, INTERVAL '5 minutes', INTERVAL 5 MINUTE; INTERVAL '2' MONTH,
        // INTERVAL '1-6' YEAR TO MONTH, INTERVAL '1 02:30:00' DAY TO SECOND.
        var text: String?
        var amount: Double
        var unit: String?
        switch peek.kind {
        case .string(let s):
            i += 1
            text = s
            let parts = s.split(separator: " ")
            amount = parts.count == 1 ? Double(parts[0]) ?? .nan : Double(parts.first ?? "") ?? .nan
            if parts.count > 1, parts[1].allSatisfy(\.isLetter) { unit = parts[1].lowercased() }
        case .integer(let v): i += 1; amount = Double(v)
        case .decimal(let d): i += 1; amount = d
        default: throw unexpected("an interval amount")
        }
        if unit == nil {
            guard let w = peek.word else { throw unexpected("an interval unit (SECOND, MINUTE, HOUR, DAY, MONTH, YEAR)") }
            i += 1
            unit = w
        }
        var name = unit!.hasSuffix("s") && unit!.count > 2 ? String(unit!.dropLast()) : unit!
        // `YEAR TO MONTH`, `DAY TO SECOND` (and the other spans Trino takes): the text holds each field.
        if isWord("to") {
            i += 1
            guard let last = peek.word?.lowercased() else { throw unexpected("the interval's last field (MONTH, SECOND …)") }
            i += 1
            return try fieldInterval(text, from: name, to: last, at: p)
        }
        guard !amount.isNaN else { throw QueryError(.value, "'\(text ?? "")' is not an interval amount", at: p) }
        if name == "year" || name == "month" || name == "quarter" || name == "y" || name == "mon" {
            guard amount == amount.rounded() else {
                throw QueryError(.value, "a year-to-month interval counts whole months: '\(text ?? String(amount))' is not a whole number", at: p)
            }
            let per: Double = name == "year" || name == "y" ? 12 : name == "quarter" ? 3 : 1
            return .call(Self.monthsName, [.literal(.int(try Checked.int64(amount * per, "the interval (in months)", at: p)), at: p)],
                         distinct: false, star: false, at: p)
        }
        if name == "mon" { name = "month" }
        let seconds: Double
        switch name {
        case "millisecond", "ms": seconds = 0.001
        case "second", "sec", "s": seconds = 1
        case "minute", "min", "m": seconds = 60
        case "hour", "h": seconds = 3600
        case "day", "d": seconds = 86400
        case "week", "w": seconds = 7 * 86400
        default: throw QueryError(.value, "unknown interval unit '\(unit!)'; use MILLISECOND, SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER or YEAR", at: p)
        }
        return .interval(try Checked.int64(amount * seconds * 1e9, "the interval (in nanoseconds)", at: p), at: p)
    }

    /// `INTERVAL '1-6' YEAR TO MONTH` (months) and `INTERVAL '1 02:30:00.5' DAY TO SECOND`
    /// (and DAY TO HOUR/MINUTE, HOUR TO MINUTE/SECOND, MINUTE TO SECOND): the fields of the text,
    /// from the first unit to the last, each bounded as in Trino after the first.
    private func fieldInterval(_ text: String?, from first: String, to last: String, at p: Int) throws -> Expr {
        let spans: [String: [String]] = ["year": ["year", "month"], "day": ["day", "hour", "minute", "second"],
                                         "hour": ["hour", "minute", "second"], "minute": ["minute", "second"]]
        guard let all = spans[first], let end = all.firstIndex(of: last), end > 0 else {
            throw QueryError(.value, "INTERVAL … \(first.uppercased()) TO \(last.uppercased()) is not an interval; write YEAR TO MONTH, DAY TO SECOND, DAY TO HOUR, HOUR TO MINUTE …", at: p)
        }
        let fields = Array(all[...end])
        let bad = QueryError(.value, "'\(text ?? "")' is not an INTERVAL \(first.uppercased()) TO \(last.uppercased()): write it as "
                             + (first == "year" ? "'1-6' (years-months)" : "'1 02:30:00' (days hours:minutes:seconds, from the first field named)"), at: p)
        guard var t = text?.trimmingCharacters(in: .whitespaces), !t.isEmpty else { throw bad }
        let negative = t.hasPrefix("-")
        if negative { t.removeFirst() }
        // Fields: separated by '-' (years-months), ' ' (days hours), ':' (the rest).
        let parts = t.split(omittingEmptySubsequences: false) { $0 == "-" || $0 == " " || $0 == ":" }.map(String.init)
        guard parts.count == fields.count else { throw bad }
        var values: [Double] = []
        for (k, part) in parts.enumerated() {
            let isLast = k == parts.count - 1
            guard let v = isLast && fields[k] == "second" ? Double(part) : Int64(part).map(Double.init), v >= 0, part.first?.isNumber == true else { throw bad }
            if k > 0 {
                let limit: Double = ["month": 12, "hour": 24, "minute": 60, "second": 60][fields[k]] ?? .infinity
                guard v < limit else { throw bad }
            }
            values.append(v)
        }
        let sign: Double = negative ? -1 : 1
        if first == "year" {
            let months = try Checked.int64(sign * (values[0] * 12 + values[1]), "the interval (in months)", at: p)
            return .call(Self.monthsName, [.literal(.int(months), at: p)], distinct: false, star: false, at: p)
        }
        let unitSeconds: [String: Double] = ["day": 86400, "hour": 3600, "minute": 60, "second": 1]
        let seconds = zip(fields, values).reduce(0.0) { $0 + (unitSeconds[$1.0] ?? 0) * $1.1 }
        return .interval(try Checked.int64(sign * seconds * 1e9, "the interval (in nanoseconds)", at: p), at: p)
    }

    private mutating func caseExpr(at p: Int) throws -> Expr {
        var operand: Expr?
        if !isWord("when") { operand = try expr() }
        var whens: [(Expr, Expr)] = []
        while accept("when") {
            let c = try expr()
            try expect("then")
            whens.append((c, try expr()))
        }
        guard !whens.isEmpty else { throw unexpected("WHEN") }
        var other: Expr?
        if accept("else") { other = try expr() }
        try expect("end")
        return .caseWhen(operand, whens, other, at: p)
    }
}
