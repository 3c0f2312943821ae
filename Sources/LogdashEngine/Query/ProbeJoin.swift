import Foundation

/// The smaller side of a join with `logs`, indexed by its key, for reading while `logs` is
/// scanned: each record looks its key up and reads the other side's columns from the row it
/// finds (an index lookup join). The scan of `logs` stays columnar — zone maps, dictionary
/// columns evaluated once per distinct value, typed and parallel aggregation — instead of
/// every record becoming a row of values to join.
final class JoinIndex: Sendable {
    /// The function a joined column becomes: `\u{1}join(index, column, key…)` — the column of the
    /// row the key finds (NULL when none), or for column -1 whether there is one.
    static let function = "\u{1}join"

    let rows: [[Value]]
    let table: [[Value]: Int]
    /// The same for a join on one key, looked up without making an array per record.
    let single: [Value: Int]

    init(rows: [[Value]], table: [[Value]: Int]) {
        self.rows = rows
        self.table = table
        single = table.first?.key.count == 1 ? Dictionary(uniqueKeysWithValues: table.map { ($0.key[0], $0.value) }) : [:]
    }

    /// A key value as `=` compares it: NULL matches nothing (nil), a whole double is its integer.
    @inline(__always) static func normal(_ v: Value) -> Value? {
        switch v {
        case .null: nil
        case .double(let d) where d == d.rounded() && abs(d) < 9.2e18: .int(Int64(d))
        default: v
        }
    }

    /// Keys of different kinds (a number and its text) are equal by `=`'s conversions, which a
    /// hash cannot see: a join on them compares pairs instead.
    static func kind(_ v: Value) -> Int {
        switch v {
        case .int, .double: 0
        case .string: 1
        case .timestamp: 2
        case .bool: 3
        default: 4
        }
    }

    static func kind(_ t: ColumnType) -> Int? {
        switch t {
        case .int, .double: 0
        case .string: 1
        case .timestamp: 2
        case .bool: 3
        case .null: nil
        }
    }

    /// `\u{1}join(…)` compiled: the keys evaluated per row and looked up.
    static func compile(_ args: [Expr], at p: Int, _ c: ExprCompiler) throws -> Eval {
        guard args.count >= 3, case .literal(.int(let slot), _) = args[0], case .literal(.int(let column), _) = args[1],
              Int(slot) < c.joins.count else {
            throw QueryError(.syntax, "a joined column cannot be read here", at: p)
        }
        let index = c.joins[Int(slot)], k = Int(column)
        let keys = try args.dropFirst(2).map(c.compile)
        if keys.count == 1 {
            let key = keys[0]
            return { r in
                guard let v = normal(try key(r)), let row = index.single[v] else { return k < 0 ? .bool(false) : .null }
                return k < 0 ? .bool(true) : index.rows[row][k]
            }
        }
        return { r in
            var values: [Value] = []
            values.reserveCapacity(keys.count)
            for key in keys {
                guard let v = normal(try key(r)) else { return k < 0 ? .bool(false) : .null }
                values.append(v)
            }
            guard let row = index.table[values] else { return k < 0 ? .bool(false) : .null }
            return k < 0 ? .bool(true) : index.rows[row][k]
        }
    }
}

extension QueryEngine {
    /// A join of `logs` with one other table on equal keys — INNER (either side) or `logs LEFT
    /// JOIN t` — whose other side has each key once (a lookup table, an aggregate by the key):
    /// the other side is read and indexed, and the query becomes one over `logs` whose columns
    /// of the other side are lookups (and, for an inner join, whose WHERE keeps the records that
    /// find a row). nil when the join has another shape, or its keys repeat or differ in kind;
    /// the general join then runs.
    func probeJoin(_ s: Select, ctes: [String: ResultSet], explain: inout PlanLog) throws -> Select? {
        var a = try analyseJoins(s, ctes: ctes)
        guard a.leaves.count == 2, a.joins.count == 1, a.lateral(1) == nil, ctes["logs"] == nil else { return nil }
        func isLogs(_ k: Int) -> Bool { if case .table(let n, _) = a.leaves[k].ref { n.lowercased() == "logs" } else { false } }
        let j = a.joins[0]
        let big: Int
        switch j.kind {
        case .inner, .cross:
            guard isLogs(0) || isLogs(1) else { return nil }
            // logs with itself: the side the WHERE narrows is indexed, the other scanned.
            big = isLogs(0) && !(isLogs(1) && !a.pushed[0].isEmpty && a.pushed[1].isEmpty) ? 0 : 1
        case .left: guard isLogs(0), !isLogs(1) else { return nil }; big = 0
        default: return nil
        }
        let small = 1 - big
        let using = Set(j.using.map { $0.lowercased() })
        // Which table a name belongs to (nil: neither, or both and not a USING column).
        func owner(_ n: String) -> Int? {
            let parts = n.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 { return a.names.firstIndex(of: parts[0].lowercased()) }
            let owners = [0, 1].filter { k in a.available[k].contains { $0.lowercased() == n.lowercased() } }
            if owners.count == 2 && using.contains(n.lowercased()) { return big }  // the USING column: equal on every joined row
            return owners.count == 1 ? owners[0] : nil
        }
        func sides(_ e: Expr) -> Set<Int>? {
            var out = Set<Int>(), unknown = false
            walkAll(e) { x in
                if case .column(let n, _) = x { if let k = owner(n) { out.insert(k) } else { unknown = true } }
                if case .call(let n, _, _, _, _) = x, Aggregates.isAggregate(n.lowercased()) { unknown = true }
                if case .subquery = x { unknown = true }
            }
            return unknown ? nil : out
        }
        // The keys: equalities between a column of logs and an expression of the other table.
        var bigKeys: [Expr] = [], smallKeys: [Expr] = [], residual: [Expr] = []
        var conditions = conjuncts(j.on) + a.atJoin[0]
        for u in j.using { conditions.append(.binary("=", .qualified(a.leaves[big].qualifier, u, at: j.at), .qualified(a.leaves[small].qualifier, u, at: j.at), at: j.at)) }
        for c in conditions {
            if case .binary("=", let x, let y, _) = c, let sx = sides(x), let sy = sides(y), sx.count == 1, sy.count == 1, sx != sy {
                let (b, o) = sx.first == big ? (x, y) : (y, x)
                if case .column = b { bigKeys.append(b); smallKeys.append(o); continue }
            }
            // A condition on the other table alone narrows its rows before they are indexed.
            if let sc = sides(c), sc == [small] {
                a.pushed[small].append(try Self.stripQualifier(c, a.names[small]))
                continue
            }
            residual.append(c)
        }
        guard !bigKeys.isEmpty, residual.isEmpty || j.kind != .left else { return nil }
        guard residual.allSatisfy({ sides($0) != nil }) else { return nil }
        // Each key's kind in logs (the table's type).
        let schema = Dictionary(snapshot.schema.map { ($0.name.lowercased(), $0.type) }, uniquingKeysWith: { x, _ in x })
        let bigKinds = bigKeys.map { e -> Int? in
            guard case .column(let n, _) = e else { return nil }
            return schema[String(n.split(separator: "\u{0}").last ?? "").lowercased()].flatMap(JoinIndex.kind)
        }
        // Read and index the other side.
        var lines = PlanLog()
        let (rows, columns) = try readLeaf(small, a, ctes: ctes, explain: &lines)
        let keyNames = columns.map { $0.key.lowercased() }
        let compiler = ExprCompiler(names: keyNames, now: now)
        let keyEvals = try smallKeys.map { e -> Eval in
            try compiler.compile(e.mappingAll { x in
                guard case .column(let n, let p) = x else { return nil }
                let name = n.split(separator: "\u{0}").last.map(String.init) ?? n
                return .column(a.leaves[small].qualifier.lowercased() + "\u{0}" + name.lowercased(), at: p)
            })
        }
        var table: [[Value]: Int] = [:]
        table.reserveCapacity(rows.rows.count)
        let cursor = RowCursor()
        var meter = MemoryMeter(memory)
        for (i, row) in rows.rows.enumerated() {
            cursor.values = row
            var key: [Value] = []
            var null = false
            for (k, f) in keyEvals.enumerated() {
                guard let v = JoinIndex.normal(try f(cursor)) else { null = true; break }
                // A key of another kind than the column of logs: `=`'s conversions, not a hash.
                if let want = bigKinds[k], JoinIndex.kind(v) != want { return nil }
                key.append(v)
            }
            if null { continue }
            guard table.updateValue(i, forKey: key) == nil else { return nil }  // a key twice: the general join
            try meter.keep(row)
        }
        try meter.flush()
        let slot = s.joinIndexes.count
        let index = JoinIndex(rows: rows.rows, table: table)
        // The query over logs alone: the other side's columns are lookups.
        let bigQualifier = a.leaves[big].qualifier
        func lookup(_ column: Int, at p: Int) -> Expr {
            .call(JoinIndex.function, [.literal(.int(Int64(slot)), at: p), .literal(.int(Int64(column)), at: p)] + bigKeys, distinct: false, star: false, at: p)
        }
        var failure: QueryError?
        func rewrite(_ e: Expr) -> Expr {
            e.mappingAll { x in
                guard case .column(let n, let p) = x else { return nil }
                if !n.contains("\u{0}"), !n.hasPrefix("\u{1}"), owner(n) == nil, failure == nil,
                   [0, 1].allSatisfy({ k in a.available[k].contains { $0.lowercased() == n.lowercased() } }) {
                    // A name both tables have, unqualified (and not a USING column): as the general join says.
                    failure = QueryError(.unknownColumn, "column '\(n)' is ambiguous: " + [0, 1].map { "\(a.leaves[$0].qualifier).\(n)" }.joined(separator: ", "), at: p)
                    return x
                }
                guard owner(n) == small else { return nil }
                let name = (n.split(separator: "\u{0}").last.map(String.init) ?? n).lowercased()
                guard let k = columns.firstIndex(where: { $0.name.lowercased() == name }) else {
                    failure = QueryError(.unknownColumn, "unknown column '\(n.replacingOccurrences(of: "\u{0}", with: "."))'", at: p)
                    return x
                }
                return lookup(k, at: p)
            }
        }
        var out = s
        out.from = bigQualifier.lowercased() == "logs" ? .table("logs", at: 0) : .aliased(.table("logs", at: 0), alias: bigQualifier)
        let aliases = Set(s.items.compactMap { $0.alias?.lowercased() })
        out.items = []
        for it in s.items {
            if it.isStar {
                // `*`: each table's columns in the FROM's order; `t.*`: that table's.
                for k in [0, 1] where it.qualifier == nil || it.qualifier?.lowercased() == a.names[k] {
                    if k == big {
                        out.items.append(SelectItem(expr: it.expr, alias: nil, isStar: true, qualifier: bigQualifier))
                    } else {
                        for (c, col) in columns.enumerated() where !col.hidden && !(it.qualifier == nil && using.contains(col.name.lowercased())) {
                            out.items.append(SelectItem(expr: lookup(c, at: it.expr.position), alias: col.name, isStar: false))
                        }
                    }
                }
                continue
            }
            var item = it
            if item.alias == nil, case .column = it.expr { item.alias = it.expr.defaultName }
            item.expr = rewrite(it.expr)
            out.items.append(item)
        }
        // (The conditions on logs alone lost their qualifier for reading it alone: given back.)
        let own = a.pushed[big].map { c in
            c.mappingAll { x in
                guard case .column(let n, let p) = x, !n.contains("\u{0}"), !n.hasPrefix("\u{1}") else { return nil }
                return .qualified(bigQualifier, n, at: p)
            }
        }
        var filter = own + a.rest + residual
        if j.kind != .left { filter.append(lookup(-1, at: j.at)) }
        out.filter = filter.map(rewrite).reduce(nil as Expr?) { acc, c in acc.map { .binary("and", $0, c, at: c.position) } ?? c }
        out.having = s.having.map(rewrite)
        out.groupBy = s.groupBy.map(rewrite)
        out.orderBy = s.orderBy.map { o in
            var o = o
            if case .column(let n, _) = o.expr, aliases.contains(n.lowercased()) { return o }
            o.expr = rewrite(o.expr)
            return o
        }
        if let failure { throw failure }
        out.joinIndexes.append(index)
        explain += lines
        explain.append("\(j.kind == .left ? "left" : "inner") join: logs looks up its key\(bigKeys.count == 1 ? "" : "s") in \(Self.shown(a.leaves[small].qualifier)) (\(table.count) keys, each once) as it is scanned")
        return out
    }
}
