import Foundation

/// The planning steps before a SELECT runs over one relation: its subqueries answered, its
/// FROM read — tables joined, each read once with only the columns the query uses and the
/// WHERE's conditions on it alone — and its column names bound to that relation (qualified
/// names, aliases, ambiguity). The SELECT itself then runs as ever (`Executor.select`), over
/// `logs` or over the rows the joins made; set operations combine whole queries.
extension QueryEngine {
    /// A column of the relation a FROM makes: the table (or alias) it comes from, its name, the
    /// name the rows carry it under, and whether an unqualified name or `*` skips it (the
    /// right-hand copy of a `USING` column).
    struct BoundColumn {
        var qualifier: String
        var name: String
        var key: String
        var hidden = false
    }

    /// `s` ready to run: the relation its FROM makes and the SELECT over it.
    func bind(_ s0: Select, ctes: [String: ResultSet], explain: inout PlanLog) throws -> (Relation, Select) {
        var s = s0
        // (Most queries have no subquery, no qualified name and no join: nothing to rewrite.)
        var subqueries = false, qualified = s.items.contains { $0.qualifier != nil }
        for e in s.items.map(\.expr) + [s.filter, s.having].compactMap({ $0 }) + s.groupBy + s.orderBy.map(\.expr) {
            walkAll(e) { x in
                if case .subquery = x { subqueries = true }
                if case .column(let n, _) = x, n.contains("\u{0}") { qualified = true }
            }
        }
        // Correlated subqueries become joins with what they compute per key (their answers then
        // columns of the joined rows); the others are answered first, as literals.
        if subqueries, try decorrelate(&s, ctes: ctes) { qualified = true }
        var joined = false
        if case .join? = s.from { joined = true }
        if subqueries {
            let outer = Set(qualifiers(of: s.from))
            func answer(_ e: Expr) throws -> Expr { try answering(e, ctes: ctes, outer: outer, explain: &explain) }
            s.items = try s.items.map { var it = $0; it.expr = try answer(it.expr); return it }
            s.filter = try s.filter.map(answer)
            s.having = try s.having.map(answer)
            s.groupBy = try s.groupBy.map(answer)
            s.orderBy = try s.orderBy.map { var o = $0; o.expr = try answer(o.expr); return o }
        }
        // No qualified name and no join: the names need no binding (and a subquery's answer,
        // thousands of values long, is not copied again).
        if !qualified && !joined {
            let rel = try resolve(s.from, ctes: ctes, explain: &explain)
            return (rel, try caseBound(s, rel))
        }
        switch s.from {
        case .join?:
            // Subqueries in the joins' ON conditions too.
            let outer = Set(qualifiers(of: s.from))
            func answerJoins(_ t: TableRef) throws -> TableRef {
                guard case .join(let kind, let l, let r, let on, let using, let at) = t else { return t }
                return .join(kind, try answerJoins(l), try answerJoins(r),
                             on: try on.map { try answering($0, ctes: ctes, outer: outer, explain: &explain) }, using: using, at: at)
            }
            s.from = try s.from.map(answerJoins)
            // A join of logs with a table that has each key once: logs scanned, the other looked up.
            if lookupJoins, let probed = try probeJoin(s, ctes: ctes, explain: &explain) { return try bind(probed, ctes: ctes, explain: &explain) }
            let (rows, columns, rest) = try joinRelation(s, ctes: ctes, explain: &explain)
            s.filter = rest
            s.from = nil
            let written = s.items
            s = try bound(s) { try Self.bindJoined($0, $1, columns) }
            // A column told apart from another by case keeps its name as written.
            for k in s.items.indices where s.items[k].alias == nil {
                if case .column(let key, _) = s.items[k].expr, key.contains("\u{3}") { s.items[k].alias = written[k].expr.defaultName }
            }
            s.items = try expandQualifiedStars(s.items, columns)
            return (.rows(rows), s)
        case .aliased(let inner, let alias)?:
            let rel = try resolve(inner, ctes: ctes, explain: &explain)
            s = try bound(s) { try Self.bindSingle($0, $1, allowed: [alias], names: rel.names(self)) }
            s.items = try expandSingleStars(s.items, allowed: [alias])
            return (rel, try caseBound(s, rel))
        default:
            let rel = try resolve(s.from, ctes: ctes, explain: &explain)
            let allowed = qualifiers(of: s.from)
            s = try bound(s) { try Self.bindSingle($0, $1, allowed: allowed, names: rel.names(self)) }
            s.items = try expandSingleStars(s.items, allowed: allowed)
            return (rel, try caseBound(s, rel))
        }
    }

    /// The names a FROM's tables go by: their aliases, else their names.
    func qualifiers(of from: TableRef?) -> [String] {
        switch from {
        case nil: []
        case .table(let n, _)?: [n]
        case .subquery(_, let alias)?: alias.map { [$0] } ?? []
        case .aliased(_, let alias)?: [alias]
        case .join(_, let l, let r, _, _, _)?: qualifiers(of: l) + qualifiers(of: r)
        case .unnest(_, _, let alias, _, _)?: alias.map { [$0] } ?? []
        }
    }

    // MARK: unnest

    /// The columns `UNNEST(…)` makes: those its alias names (`AS t(x, y)`), else `unnest` (one
    /// array) or `unnest1`, `unnest2` … — a map's key and value are two — and `ordinality`.
    static func unnestNames(_ count: Int, _ sample: [Value]?, ordinality: Bool, columns: [String], at p: Int) throws -> [String] {
        // (Without a sample row a map is not known to be one: names count one column per argument.)
        let widths = (0..<count).map { k -> Int in if case .map? = sample?[k] { 2 } else { 1 } }
        let width = widths.reduce(0, +) + (ordinality ? 1 : 0)
        if !columns.isEmpty {
            guard columns.count == width || sample == nil else {
                throw QueryError(.syntax, "UNNEST makes \(width) column\(width == 1 ? "" : "s") here but its alias names \(columns.count)", at: p)
            }
            return columns
        }
        var names = width - (ordinality ? 1 : 0) == 1 ? ["unnest"] : (1...max(1, width - (ordinality ? 1 : 0))).map { "unnest\($0)" }
        if ordinality { names.append("ordinality") }
        return names
    }

    /// The rows `UNNEST(values…)` makes: one per element, the arrays side by side (the shorter
    /// ones padded with NULLs), a map's entries as key and value; a NULL array is an empty one.
    static func unnested(_ values: [Value], ordinality: Bool, at p: Int) throws -> [[Value]] {
        var columns: [[Value]] = []
        for v in values {
            switch v {
            case .array(let items): columns.append(items)
            case .map(let keys, let vals): columns.append(keys); columns.append(vals)
            case .null: columns.append([])
            default: throw QueryError(.type, "UNNEST needs an array or a map, not \(typeName(v))", at: p)
            }
        }
        let n = columns.map(\.count).max() ?? 0
        return (0..<n).map { i in
            var row = columns.map { i < $0.count ? $0[i] : .null }
            if ordinality { row.append(.int(Int64(i + 1))) }
            return row
        }
    }

    // MARK: subqueries

    /// `e` with each subquery in it run and replaced by its answer: a value, a truth, or a list
    /// of values for `IN`. A subquery that refers to the query around it (correlated) is an error.
    private func answering(_ e: Expr, ctes: [String: ResultSet], outer: Set<String>, explain: inout PlanLog) throws -> Expr {
        var failure: Error?
        var lines = PlanLog()
        func visit(_ x: Expr) -> Expr? {
            guard failure == nil, case .subquery(let q, let use, let p) = x else { return nil }
            do {
                let r: ResultSet
                do {
                    r = try run(q, ctes: ctes, explain: &lines)
                } catch let err as QueryError where err.kind == .unknownColumn || err.kind == .unknownTable {
                    if let name = Self.quotedName(err.message), outer.contains(where: { name.lowercased().hasPrefix($0.lowercased() + ".") || $0.lowercased() == name.lowercased() }) {
                        throw QueryError(.syntax, "'\(name)' refers to the query around this subquery, which a subquery may do only in equalities of its WHERE (… = outer.column); write it as a join", at: p)
                    }
                    throw err
                }
                switch use {
                case .scalar:
                    guard r.columns.count == 1 else { throw QueryError(.type, "a subquery used as a value must give one column (this one gives \(r.columns.count))", at: p) }
                    guard r.rows.count <= 1 else { throw QueryError(.value, "a subquery used as a value gave \(r.rows.count) rows (it must give at most one)", at: p) }
                    return .literal(r.rows.first?[0] ?? .null, at: p)
                case .exists:
                    return .literal(.bool(!r.rows.isEmpty), at: p)
                case .within(let x, let negated):
                    guard r.columns.count == 1 else { throw QueryError(.type, "a subquery after IN must give one column (this one gives \(r.columns.count))", at: p) }
                    var seen = Set<Value>(), values: [Expr] = []
                    for row in r.rows where seen.insert(row[0]).inserted { values.append(.literal(row[0], at: p)) }
                    // An empty list: IN is false, NOT IN true (whatever the value, NULL too).
                    if values.isEmpty { return .literal(.bool(negated), at: p) }
                    return .inList(x.mappingAll(visit), values, negated: negated, at: p)
                }
            } catch {
                failure = error
                return x
            }
        }
        let out = e.mappingAll(visit)
        if let failure { throw failure }
        explain.append(lines, prefix: "subquery: ")
        return out
    }

    // MARK: correlated subqueries

    /// Rewrites each subquery of `s` that refers to the query around it — only through
    /// equalities in its WHERE (`WHERE e.source = l.source AND …`), which is what SQL users
    /// write — into a LEFT JOIN of `s`'s FROM with the subquery's answer per correlation key:
    /// - `(SELECT agg … WHERE k = o.x)`: grouped by `k`; a key with no rows gets the answer of
    ///   no rows (`count` 0, `sum` NULL); a subquery without an aggregate must give at most one
    ///   row per key, or the query fails as Trino's does;
    /// - `[NOT] EXISTS (…)`: the distinct keys;
    /// - `x [NOT] IN (SELECT y … WHERE k = o.x)`: per key its row count and NULL count, and the
    ///   distinct (key, y) pairs joined on `y = x` too, for SQL's NULL rules.
    /// Returns whether anything was rewritten. A subquery that refers to the outer query in any
    /// other way is a clear error.
    private func decorrelate(_ s: inout Select, ctes: [String: ResultSet]) throws -> Bool {
        let outer = Set(qualifiers(of: s.from).map { $0.lowercased() })
        guard !outer.isEmpty else { return false }
        var joins: [(Select, alias: String, on: Expr)] = []
        var failure: Error?
        func rewrite(_ e: Expr) -> Expr {
            e.mappingAll { x in
                guard failure == nil, case .subquery(.select(let inner), let use, let p) = x else { return nil }
                do {
                    return try correlated(inner, use, p, outer: outer, number: joins.count, ctes: ctes) { joins.append(($0, $1, $2)) }
                } catch {
                    failure = error
                    return nil
                }
            }
        }
        s.items = s.items.map { var it = $0; it.expr = rewrite(it.expr); return it }
        s.filter = s.filter.map(rewrite)
        s.having = s.having.map(rewrite)
        s.orderBy = s.orderBy.map { var o = $0; o.expr = rewrite(o.expr); return o }
        if let failure { throw failure }
        guard !joins.isEmpty else { return false }
        for j in joins {
            s.from = .join(.left, s.from!, .subquery(.select(j.0), alias: j.alias), on: j.on, using: [], at: j.on.position)
        }
        return true
    }

    /// The join that answers one subquery per key (given to `add`) and the expression that
    /// reads its answer — or nil when the subquery does not refer to the outer query.
    private func correlated(_ inner: Select, _ use: SubqueryUse, _ p: Int, outer: Set<String>, number: Int, ctes: [String: ResultSet],
                            add: (Select, String, Expr) -> Void) throws -> Expr? {
        let own = Set(qualifiers(of: inner.from).map { $0.lowercased() })
        func outerRef(_ x: Expr) -> Bool {
            guard case .column(let n, _) = x else { return false }
            let parts = n.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
            return parts.count == 2 && outer.contains(parts[0].lowercased()) && !own.contains(parts[0].lowercased())
        }
        func refersOut(_ e: Expr) -> Bool {
            var found = false
            walkAll(e) { if outerRef($0) { found = true } }
            return found
        }
        func refersIn(_ e: Expr) -> Bool {
            var found = false
            walkAll(e) { x in if case .column = x, !outerRef(x) { found = true } }
            return found
        }
        var keys: [(inner: Expr, outer: Expr)] = [], rest: [Expr] = []
        for c in conjuncts(inner.filter) {
            guard refersOut(c) else { rest.append(c); continue }
            if case .binary("=", let a, let b, _) = c {
                if refersOut(b) && !refersIn(b) && !refersOut(a) { keys.append((a, b)); continue }
                if refersOut(a) && !refersIn(a) && !refersOut(b) { keys.append((b, a)); continue }
            }
            throw QueryError(.syntax, "a correlated subquery can refer to the query around it only in equalities of its WHERE (… = outer.column), not in '\(c.sql)'", at: c.position)
        }
        let elsewhere = inner.items.map(\.expr) + [inner.having].compactMap { $0 } + inner.groupBy + inner.orderBy.map(\.expr)
        if keys.isEmpty && !elsewhere.contains(where: refersOut) { return nil }
        if let e = elsewhere.first(where: refersOut) {
            throw QueryError(.syntax, "a correlated subquery can refer to the query around it only in equalities of its WHERE, not in '\(e.sql)'", at: e.position)
        }
        // (DISTINCT changes nothing for EXISTS and IN, and a value subquery counts distinct values.)
        guard inner.groupBy.isEmpty, inner.having == nil, inner.limit == nil, inner.offset == 0 else {
            throw QueryError(.syntax, "a correlated subquery with GROUP BY, HAVING, LIMIT or OFFSET is not supported; write it as a join", at: p)
        }
        let alias = "\u{1}sq\(number)"
        func col(_ name: String) -> Expr { .qualified(alias, name, at: p) }
        var base = inner
        base.filter = rest.reduce(nil as Expr?) { acc, c in acc.map { .binary("and", $0, c, at: c.position) } ?? c }
        base.orderBy = []
        base.distinct = false
        let keyItems = keys.enumerated().map { SelectItem(expr: $0.element.inner, alias: "\u{2}k\($0.offset)", isStar: false) }
        let on = keys.indices.map { Expr.binary("=", col("\u{2}k\($0)"), keys[$0].outer, at: p) }
            .reduce(nil as Expr?) { acc, c in acc.map { .binary("and", $0, c, at: p) } ?? c }!
        let present = Expr.literal(.bool(true), at: p)
        switch use {
        case .exists:
            var d = base
            d.items = keyItems + [SelectItem(expr: present, alias: "\u{2}present", isStar: false)]
            d.groupBy = keys.map(\.inner)
            add(d, alias, on)
            return .isNull(col("\u{2}present"), negated: true, at: p)
        case .scalar:
            guard inner.items.count == 1, !inner.items[0].isStar else {
                throw QueryError(.type, "a subquery used as a value must give one column", at: p)
            }
            let item = inner.items[0].expr
            var aggregate = false
            walkAll(item) { if case .call(let n, _, _, _, _) = $0, Aggregates.isAggregate(n.lowercased()) { aggregate = true } }
            var d = base
            d.groupBy = keys.map(\.inner)
            if aggregate {
                d.items = keyItems + [SelectItem(expr: item, alias: "\u{2}v", isStar: false), SelectItem(expr: present, alias: "\u{2}present", isStar: false)]
                add(d, alias, on)
                // A key without rows: the aggregate of no rows (count 0, sum NULL, …).
                var none = base
                none.items = [SelectItem(expr: item, alias: "v", isStar: false)]
                none.filter = .literal(.bool(false), at: p)
                var ignored = PlanLog()
                let empty = try select(none, ctes: ctes, explain: &ignored).rows.first?[0] ?? .null
                if empty == .null { return col("\u{2}v") }
                return .caseWhen(nil, [(.isNull(col("\u{2}present"), negated: false, at: p), .literal(empty, at: p))], col("\u{2}v"), at: p)
            }
            d.items = keyItems + [SelectItem(expr: .call("arbitrary", [item], distinct: false, star: false, at: p), alias: "\u{2}v", isStar: false),
                                  // (SELECT DISTINCT: one row per distinct value.)
                                  SelectItem(expr: inner.distinct ? .call("count", [item], distinct: true, star: false, at: p) : .call("count", [], distinct: false, star: true, at: p),
                                             alias: "\u{2}n", isStar: false)]
            add(d, alias, on)
            let fail = Expr.call(Functions.failure, [.literal(.string("a subquery used as a value gave more than one row for a row of the query around it"), at: p)],
                                 distinct: false, star: false, at: p)
            return .caseWhen(nil, [(.binary(">", col("\u{2}n"), .literal(.int(1), at: p), at: p), fail)], col("\u{2}v"), at: p)
        case .within(let x, let negated):
            guard inner.items.count == 1, !inner.items[0].isStar else {
                throw QueryError(.type, "a subquery after IN must give one column", at: p)
            }
            let y = inner.items[0].expr
            // Per key: how many rows, and how many with y NULL.
            var counts = base
            counts.groupBy = keys.map(\.inner)
            counts.items = keyItems + [SelectItem(expr: .call("count", [], distinct: false, star: true, at: p), alias: "\u{2}n", isStar: false),
                                       SelectItem(expr: .call("count_if", [.isNull(y, negated: false, at: p)], distinct: false, star: false, at: p), alias: "\u{2}nulls", isStar: false)]
            add(counts, alias, on)
            // The (key, y) pairs, joined on y = x too: a match is x among the key's values.
            let alias2 = alias + "m"
            var pairs = base
            pairs.groupBy = keys.map(\.inner) + [y]
            pairs.items = keyItems + [SelectItem(expr: y, alias: "\u{2}y", isStar: false), SelectItem(expr: present, alias: "\u{2}present", isStar: false)]
            let on2 = keys.indices.map { Expr.binary("=", .qualified(alias2, "\u{2}k\($0)", at: p), keys[$0].outer, at: p) }
                .reduce(Expr.binary("=", .qualified(alias2, "\u{2}y", at: p), x, at: p)) { .binary("and", $0, $1, at: p) }
            add(pairs, alias2, on2)
            let matched = Expr.isNull(.qualified(alias2, "\u{2}present", at: p), negated: true, at: p)
            let empty = Expr.isNull(col("\u{2}n"), negated: false, at: p)
            let unknown = Expr.binary("or", .isNull(x, negated: false, at: p), .binary(">", col("\u{2}nulls"), .literal(.int(0), at: p), at: p), at: p)
            // IN: true on a match; false for no rows; NULL when x or a value is NULL; else false.
            return .caseWhen(nil, [(matched, .literal(.bool(!negated), at: p)), (empty, .literal(.bool(negated), at: p)),
                                   (unknown, .literal(.null, at: p))], .literal(.bool(negated), at: p), at: p)
        }
    }

    /// The name an error message quotes first (`unknown column 'l.x'` → `l.x`).
    private static func quotedName(_ message: String) -> String? {
        let parts = message.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count >= 3 ? String(parts[1]) : nil
    }

    // MARK: names

    /// `s` with every column name in it passed through `bind` (with its position).
    private func bound(_ s: Select, _ bind: (String, Int) throws -> Expr?) throws -> Select {
        var out = s
        func rebind(_ e: Expr) throws -> Expr {
            var failure: Error?
            let r = e.mappingAll { x in
                guard failure == nil, case .column(let n, let p) = x else { return nil }
                do { return try bind(n, p) } catch { failure = error; return nil }
            }
            if let failure { throw failure }
            return r
        }
        out.items = try out.items.map { var it = $0; it.expr = try rebind(it.expr); return it }
        out.filter = try out.filter.map(rebind)
        out.having = try out.having.map(rebind)
        out.groupBy = try out.groupBy.map(rebind)
        // ORDER BY may name an output column by its alias: that stays the alias.
        let aliases = Set(s.items.compactMap { $0.alias?.lowercased() })
        out.orderBy = try out.orderBy.map { o in
            var o = o
            if case .column(let n, _) = o.expr, aliases.contains(n.lowercased()) { return o }
            o.expr = try rebind(o.expr)
            return o
        }
        return out
    }

    /// The names a relation's columns are compiled under: lower-cased, so that a name matches
    /// whatever its case — but columns whose names differ only in case (JSON keys `team` and
    /// `Team`) are told apart: the one spelt in lower case keeps it, the others get a key of
    /// their own (`team\u{3}9`, by position; stable under lower-casing).
    static func columnKeys(_ names: [String]) -> [String] {
        var keys = names.map { $0.lowercased() }
        var seen = Set<String>(minimumCapacity: keys.count)
        guard keys.contains(where: { !seen.insert($0).inserted }) else { return keys }
        // Spellings per lower-cased name: the same name twice (a self-join's columns) is not a case collision.
        var spellings: [String: Set<String>] = [:]
        for (k, n) in names.enumerated() { spellings[keys[k], default: []].insert(n) }
        for k in keys.indices where spellings[keys[k]]!.count > 1 && names[k] != keys[k] { keys[k] += "\u{3}\(k)" }
        return keys
    }

    /// `s` with its names bound to the relation's keys where two of its columns differ only in
    /// case: a name matches the column spelt exactly as it is (an unquoted name is lower case,
    /// `"Team"` keeps its capital); failing that, the one column it matches ignoring case; one
    /// that matches several only ignoring case is an error naming them. A bare column keeps its
    /// name as the result's column name.
    func caseBound(_ s: Select, _ rel: Relation) throws -> Select {
        let keys = rel.names(self)
        guard keys.contains(where: { $0.contains("\u{3}") }) else { return s }
        let spelt = rel.spelt(self)
        var groups: [String: [Int]] = [:]
        for (k, n) in spelt.enumerated() { groups[n.lowercased(), default: []].append(k) }
        func bind(_ n: String, _ p: Int) throws -> Expr? {
            guard !n.hasPrefix("\u{1}"), !n.contains("\u{0}"), !n.contains("\u{3}"),
                  let group = groups[n.lowercased()], Set(group.map { spelt[$0] }).count > 1 else { return nil }
            if let k = group.first(where: { spelt[$0] == n }) { return .column(keys[k], at: p) }
            throw QueryError(.unknownColumn, "column '\(n)' is ambiguous: " + group.map { "\"\(spelt[$0])\"" }.sorted().joined(separator: ", ")
                             + " differ only in case; write the one meant in double quotes, spelt as it is", at: p)
        }
        var out = try bound(s, bind)
        // (Named after binding: ORDER BY's names are the query's own aliases, not these.)
        for k in out.items.indices where out.items[k].alias == nil && !out.items[k].isStar {
            if case .column(let n, _) = s.items[k].expr { out.items[k].alias = n }
        }
        return out
    }

    /// A name over one table: `t.x` (or `alias.x`) is `x` when `t` names the table.
    static func bindSingle(_ n: String, _ p: Int, allowed: [String], names: [String]) throws -> Expr? {
        let parts = n.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        guard allowed.contains(where: { $0.lowercased() == parts[0].lowercased() }) else {
            throw QueryError(.unknownTable, "'\(parts[0])' is not a table of the FROM" + (allowed.isEmpty ? "" : " (it has \(allowed.joined(separator: ", ")))"), at: p)
        }
        return .column(String(parts[1]), at: p)
    }

    /// A name over joined tables: `t.x` the column `x` of `t`; `x` the one table's that has it.
    static func bindJoined(_ n: String, _ p: Int, _ columns: [BoundColumn]) throws -> Expr? {
        let parts = n.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 {
            let q = parts[0].lowercased(), name = parts[1].lowercased()
            if let c = columns.first(where: { $0.qualifier.lowercased() == q && $0.name == parts[1] }) { return .column(c.key, at: p) }
            let loose = columns.filter { $0.qualifier.lowercased() == q && $0.name.lowercased() == name }
            if Set(loose.map(\.name)).count > 1 {
                throw QueryError(.unknownColumn, "column '\(parts[0]).\(parts[1])' is ambiguous: " + Set(loose.map { "\"\($0.name)\"" }).sorted().joined(separator: ", ")
                                 + " differ only in case; write the one meant in double quotes, spelt as it is", at: p)
            }
            if let c = loose.first { return .column(c.key, at: p) }
            let tables = Array(Set(columns.map(\.qualifier))).sorted()
            guard tables.contains(where: { $0.lowercased() == q }) else {
                throw QueryError(.unknownTable, "'\(parts[0])' is not a table of the FROM (it has \(tables.joined(separator: ", ")))", at: p)
            }
            let theirs = columns.filter { $0.qualifier.lowercased() == q }.map { $0.name.lowercased() }
            throw QueryError(.unknownColumn, "unknown column '\(parts[0]).\(parts[1])'" + ExprCompiler.suggestion(for: name, among: theirs), at: p)
        }
        if n.hasPrefix("\u{1}") || n.contains("\u{0}") { return nil }  // already bound
        var matches = columns.filter { !$0.hidden && $0.name.lowercased() == n.lowercased() }
        // Two columns spelt alike but for case: the one spelt exactly as written.
        if matches.count > 1, case let exact = matches.filter({ $0.name == n }), exact.count == 1 { matches = exact }
        if matches.count > 1 {
            throw QueryError(.unknownColumn, "column '\(n)' is ambiguous: " + matches.map { "\($0.qualifier).\($0.name)" }.joined(separator: ", "), at: p)
        }
        return matches.first.map { .column($0.key, at: p) }
    }

    /// `t.*` over one table: `*`.
    private func expandSingleStars(_ items: [SelectItem], allowed: [String]) throws -> [SelectItem] {
        try items.map { it in
            guard let q = it.qualifier else { return it }
            guard allowed.contains(where: { $0.lowercased() == q.lowercased() }) else {
                throw QueryError(.unknownTable, "'\(q)' is not a table of the FROM", at: it.expr.position)
            }
            var star = it
            star.qualifier = nil
            return star
        }
    }

    /// `*` and `t.*` over joined tables: their columns by name (the right copy of a USING column once).
    private func expandQualifiedStars(_ items: [SelectItem], _ columns: [BoundColumn]) throws -> [SelectItem] {
        try items.flatMap { it -> [SelectItem] in
            guard it.isStar else { return [it] }
            let chosen = columns.filter { c in
                guard let q = it.qualifier else { return !c.hidden }
                return c.qualifier.lowercased() == q.lowercased()
            }
            if let q = it.qualifier, chosen.isEmpty { throw QueryError(.unknownTable, "'\(q)' is not a table of the FROM", at: it.expr.position) }
            return chosen.map { SelectItem(expr: .column($0.key, at: it.expr.position), alias: $0.name, isStar: false) }
        }
    }

    // MARK: joins

    /// A FROM's tables and joins, each table's columns and those the query uses, and where each
    /// of the WHERE's conditions goes.
    struct JoinAnalysis {
        var leaves: [(ref: TableRef, qualifier: String)] = []
        var joins: [(kind: JoinKind, on: Expr?, using: [String], at: Int)] = []
        /// The tables' names (their aliases), lower-cased.
        var names: [String] = []
        var available: [[String]] = []
        var used: [Set<String>] = []
        /// Tables all of whose columns are read (`*`, `t.*`).
        var everything = Set<Int>()
        /// Conditions on one table alone, applied while reading it (qualifiers taken off).
        var pushed: [[Expr]] = []
        /// Conditions on two tables or more, applied at the join where the last of them comes in.
        var atJoin: [[Expr]] = []
        /// The rest of the WHERE, over the joined rows.
        var rest: [Expr] = []

        /// An UNNEST after the first table reads the rows to its left (its arrays are theirs).
        static func lateral(_ leaves: [(ref: TableRef, qualifier: String)], _ k: Int) -> (arrays: [Expr], ordinality: Bool, columns: [String], at: Int)? {
            guard k > 0, case .unnest(let arrays, let ordinality, _, let columns, let at) = leaves[k].ref else { return nil }
            return (arrays, ordinality, columns, at)
        }

        func lateral(_ k: Int) -> (arrays: [Expr], ordinality: Bool, columns: [String], at: Int)? { Self.lateral(leaves, k) }
    }

    func analyseJoins(_ s: Select, ctes: [String: ResultSet]) throws -> JoinAnalysis {
        guard let from = s.from else { throw QueryError(.syntax, "no FROM", at: nil) }
        // The tables, left to right, and the joins between them.
        var leaves: [(ref: TableRef, qualifier: String)] = []
        var joins: [(kind: JoinKind, on: Expr?, using: [String], at: Int)] = []
        func flatten(_ t: TableRef) throws {
            switch t {
            case .join(let kind, let l, let r, let on, let using, let at):
                try flatten(l)
                if case .join = r { throw QueryError(.syntax, "a parenthesised join on the right of a join is not supported yet", at: at) }
                try flatten(r)
                joins.append((kind, on, using, at))
            case .aliased(let inner, let alias): leaves.append((inner, alias))
            case .table(let n, _): leaves.append((t, n))
            case .subquery(let q, let alias):
                // (Unnamed, as Trino allows: its columns are read by their names alone.)
                leaves.append((.subquery(q, alias: nil), alias ?? "subquery\(leaves.count + 1)"))
            case .unnest(_, _, let alias, _, _): leaves.append((t, alias ?? "unnest"))
            }
        }
        func lateral(_ k: Int) -> (arrays: [Expr], ordinality: Bool, columns: [String], at: Int)? { JoinAnalysis.lateral(leaves, k) }
        try flatten(from)
        let names = leaves.map { $0.qualifier.lowercased() }
        if let twice = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
            throw QueryError(.syntax, "'\(twice)' names two tables of the FROM: give one an alias (FROM logs a JOIN logs b …)", at: nil)
        }
        // Each table's columns, and which of them the query uses.
        var available: [[String]] = []
        for (k, leaf) in leaves.enumerated() {
            if let u = lateral(k) {
                available.append(try Self.unnestNames(u.arrays.count, nil, ordinality: u.ordinality, columns: u.columns, at: u.at))
                continue
            }
            var probe = PlanLog()
            let rel = try resolve(leaf.ref, ctes: ctes, explain: &probe)
            available.append(rel.displayNames(self).filter { !$0.hasPrefix("\u{1}") })
        }
        var used: [Set<String>] = Array(repeating: [], count: leaves.count)
        var everything = Set<Int>()
        var missing: QueryError?
        func note(_ e: Expr) {
            walkAll(e) { x in
                guard case .column(let n, let p) = x else { return }
                let parts = n.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
                if parts.count == 2 {
                    guard let k = names.firstIndex(of: parts[0].lowercased()) else { return }
                    used[k].insert(parts[1].lowercased())
                    if missing == nil, !available[k].contains(where: { $0.lowercased() == parts[1].lowercased() }) {
                        missing = QueryError(.unknownColumn, "unknown column '\(parts[0]).\(parts[1])'"
                                             + ExprCompiler.suggestion(for: parts[1].lowercased(), among: available[k].map { $0.lowercased() }), at: p)
                    }
                } else {
                    for k in leaves.indices where available[k].contains(where: { $0.lowercased() == n.lowercased() }) { used[k].insert(n.lowercased()) }
                }
            }
        }
        for it in s.items {
            if it.isStar {
                if let q = it.qualifier, let k = names.firstIndex(of: q.lowercased()) { everything.insert(k) } else if it.qualifier == nil { everything.formUnion(leaves.indices) }
            } else {
                note(it.expr)
            }
        }
        [s.filter, s.having].compactMap { $0 }.forEach(note)
        s.groupBy.forEach(note)
        s.orderBy.forEach { note($0.expr) }
        for k in leaves.indices { lateral(k)?.arrays.forEach(note) }
        for j in joins {
            if let on = j.on { note(on) }
            for u in j.using { for k in leaves.indices where available[k].contains(where: { $0.lowercased() == u.lowercased() }) { used[k].insert(u.lowercased()) } }
        }
        if let missing { throw missing }
        // WHERE conditions on one table alone are applied while reading it (inner joins only:
        // under an outer join they would turn missing rows into filtered ones).
        var pushed: [[Expr]] = Array(repeating: [], count: leaves.count)
        var rest: [Expr] = []
        // Conditions on two tables or more join them where the last of them comes in (inner
        // joins only): `FROM a, b WHERE a.x = b.y` is a hash join, not every pair then a filter.
        var atJoin: [[Expr]] = Array(repeating: [], count: joins.count)
        let innerOnly = joins.allSatisfy { $0.kind == .inner || $0.kind == .cross }
        for c in conjuncts(s.filter) {
            var tables = Set<Int>(), unknown = false, aggregate = false
            walkAll(c) { x in
                if case .call(let n, _, _, _, _) = x, Aggregates.isAggregate(n) { aggregate = true }
                guard case .column(let n, _) = x else { return }
                let parts = n.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
                if parts.count == 2, let k = names.firstIndex(of: parts[0].lowercased()) { tables.insert(k); return }
                let owners = leaves.indices.filter { k in available[k].contains { $0.lowercased() == n.lowercased() } }
                if owners.count == 1 { tables.insert(owners[0]) } else { unknown = true }
            }
            if innerOnly, tables.count == 1, !unknown, !aggregate, let k = tables.first, k > 0, lateral(k) != nil {
                atJoin[k - 1].append(c)  // an UNNEST's rows are made at its join
            } else if innerOnly, tables.count == 1, !unknown, !aggregate {
                let k = tables.first!
                pushed[k].append(try Self.stripQualifier(c, names[k]))
            } else if innerOnly, tables.count > 1, !unknown, !aggregate, let last = tables.max(), last >= 1 {
                atJoin[last - 1].append(c)
            } else {
                rest.append(c)
            }
        }
        return JoinAnalysis(leaves: leaves, joins: joins, names: names, available: available, used: used, everything: everything,
                            pushed: pushed, atJoin: atJoin, rest: rest)
    }

    /// A table's name as EXPLAIN shows it (a correlated subquery's answer has a hidden one).
    static func shown(_ qualifier: String) -> String {
        qualifier.hasPrefix("\u{1}sq") ? "the correlated subquery's answers" : qualifier
    }

    /// Table `k` of a FROM with joins, read with the columns the query uses and its own conditions.
    func readLeaf(_ k: Int, _ a: JoinAnalysis, ctes: [String: ResultSet], explain: inout PlanLog) throws -> (ResultSet, [BoundColumn]) {
        let leaf = a.leaves[k]
        if a.lateral(k) != nil {
            let keys = Self.columnKeys(a.available[k])
            return (ResultSet(columns: a.available[k], rows: []),
                    a.available[k].indices.map { BoundColumn(qualifier: leaf.qualifier, name: a.available[k][$0], key: leaf.qualifier.lowercased() + "\u{0}" + keys[$0]) })
        }
        let wanted = a.available[k].filter { a.everything.contains(k) || a.used[k].contains($0.lowercased()) }
        var read = Select()
        read.items = wanted.map { SelectItem(expr: .column($0, at: 0), alias: $0, isStar: false) }
        if read.items.isEmpty { read.items = [SelectItem(expr: .literal(.int(1), at: 0), alias: "\u{1}one", isStar: false)] }
        read.from = leaf.ref
        read.filter = a.pushed[k].reduce(nil) { acc, c in acc.map { .binary("and", $0, c, at: c.position) } ?? c }
        let r = try select(read, ctes: ctes, explain: &explain)
        explain.append("read \(Self.shown(leaf.qualifier)): \(wanted.count) column\(wanted.count == 1 ? "" : "s")" + (a.pushed[k].isEmpty ? "" : ", \(a.pushed[k].count) WHERE condition\(a.pushed[k].count == 1 ? "" : "s") applied while reading") + ", \(r.rows.count) rows")
        let keys = Self.columnKeys(r.columns)
        return (r, zip(r.columns, keys).map { n, key in BoundColumn(qualifier: leaf.qualifier, name: n, key: leaf.qualifier.lowercased() + "\u{0}" + key,
                                                                    hidden: n.hasPrefix("\u{1}") || n.hasPrefix("\u{2}")) })
    }

    /// The rows of a FROM with joins: each table read once, with only the columns the query
    /// uses (and, when every join is inner, the WHERE's conditions on that table alone), then
    /// joined left to right — on equal keys by a hash table of the right side, on any other
    /// condition by comparing every pair. Returns the rows, their columns and the WHERE left over.
    private func joinRelation(_ s: Select, ctes: [String: ResultSet], explain: inout PlanLog) throws -> (ResultSet, [BoundColumn], Expr?) {
        let a = try analyseJoins(s, ctes: ctes)
        let (leaves, joins, atJoin, rest) = (a.leaves, a.joins, a.atJoin, a.rest)
        func lateral(_ k: Int) -> (arrays: [Expr], ordinality: Bool, columns: [String], at: Int)? { a.lateral(k) }
        var tables: [ResultSet] = []
        var columns: [[BoundColumn]] = []
        for k in leaves.indices {
            let (r, c) = try readLeaf(k, a, ctes: ctes, explain: &explain)
            tables.append(r)
            columns.append(c)
        }
        // Join left to right.
        var current = tables[0], currentColumns = columns[0]
        var meter = MemoryMeter(memory)
        for (k, j) in joins.enumerated() {
            let right = tables[k + 1]
            var rightColumns = columns[k + 1]
            // USING (c): the left's c equals the right's; the right's copy is named once only.
            var condition = atJoin[k].reduce(j.on) { acc, c in acc.map { .binary("and", $0, c, at: c.position) } ?? c }
            var merged: [(left: Int, right: Int, name: String)] = []  // USING columns a FULL join merges
            for u in j.using {
                let lefts = currentColumns.indices.filter { !currentColumns[$0].hidden && currentColumns[$0].name.lowercased() == u.lowercased() }
                guard lefts.count == 1, let rk = rightColumns.firstIndex(where: { $0.name.lowercased() == u.lowercased() }) else {
                    throw QueryError(.unknownColumn, lefts.count > 1 ? "USING column '\(u)' is ambiguous on the left" : "USING column '\(u)' is not in both tables", at: j.at)
                }
                let eq = Expr.binary("=", .column(currentColumns[lefts[0]].key, at: j.at), .column(rightColumns[rk].key, at: j.at), at: j.at)
                condition = condition.map { .binary("and", $0, eq, at: j.at) } ?? eq
                // The column named once: the left's, the right's for a RIGHT join (its rows are
                // all there), whichever is there for a FULL one.
                switch j.kind {
                case .right: currentColumns[lefts[0]].hidden = true
                case .full: currentColumns[lefts[0]].hidden = true; rightColumns[rk].hidden = true; merged.append((lefts[0], currentColumns.count + rk, u))
                default: rightColumns[rk].hidden = true
                }
            }
            let all = currentColumns + rightColumns
            /// `e` with its names bound to `columns`.
            func bindNames(_ e: Expr, _ columns: [BoundColumn]) throws -> Expr {
                var failure: Error?
                let r = e.mappingAll { x in
                    guard failure == nil, case .column(let n, let p) = x else { return nil }
                    do { return try Self.bindJoined(n, p, columns) } catch { failure = error; return nil }
                }
                if let failure { throw failure }
                return r
            }
            let bound = try condition.map { try bindNames($0, all) }
            if let u = lateral(k + 1) {
                guard j.kind == .cross || j.kind == .inner || j.kind == .left else {
                    throw QueryError(.syntax, "UNNEST joins with CROSS JOIN, JOIN … ON or LEFT JOIN … ON, not a \(j.kind.rawValue.uppercased()) JOIN", at: j.at)
                }
                let arrays = try u.arrays.map { try bindNames($0, currentColumns) }
                current = try unnestJoin(current, currentColumns.map(\.key), arrays, u.ordinality, width: rightColumns.count, j.kind,
                                         on: bound, names: all.map(\.key), at: u.at, meter: &meter, explain: &explain)
            } else {
                current = try hashJoin(current, currentColumns.count, right, j.kind, on: bound, names: all.map(\.key), meter: &meter, explain: &explain)
            }
            currentColumns = all
            for m in merged {
                for r in current.rows.indices { current.rows[r].append(current.rows[r][m.left] != .null ? current.rows[r][m.left] : current.rows[r][m.right]) }
                currentColumns.append(BoundColumn(qualifier: "", name: m.name, key: "\u{0}" + m.name.lowercased()))
            }
        }
        try meter.flush()
        current.columns = currentColumns.map(\.key)
        let leftover = rest.reduce(nil as Expr?) { acc, c in acc.map { .binary("and", $0, c, at: c.position) } ?? c }
        return (current, currentColumns, leftover)
    }

    /// Each row of `left` with the rows `UNNEST(arrays)` makes of it (a LEFT join keeps a row
    /// whose arrays are empty, with NULLs), where `on` holds.
    private func unnestJoin(_ left: ResultSet, _ leftNames: [String], _ arrays: [Expr], _ ordinality: Bool, width: Int, _ kind: JoinKind,
                            on: Expr?, names: [String], at p: Int, meter: inout MemoryMeter, explain: inout PlanLog) throws -> ResultSet {
        let compiler = ExprCompiler(names: leftNames.map { $0.lowercased() }, now: now)
        let fs = try arrays.map(compiler.compile)
        let check = try on.map(ExprCompiler(names: names.map { $0.lowercased() }, now: now).compile)
        let cursor = RowCursor(), joinedCursor = RowCursor()
        var out: [[Value]] = []
        let none = [Value](repeating: .null, count: width)
        for row in left.rows {
            try progress?.visit(rows: 1)
            cursor.values = row
            let made = try Self.unnested(try fs.map { try $0(cursor) }, ordinality: ordinality, at: p)
            var matched = false
            for extra in made {
                guard extra.count == width else {
                    throw QueryError(.syntax, "UNNEST makes \(extra.count) columns here but its alias names \(width)", at: p)
                }
                let joined = row + extra
                if let check {
                    joinedCursor.values = joined
                    guard try check(joinedCursor) == .bool(true) else { continue }
                }
                matched = true
                try meter.keep(joined)
                out.append(joined)
            }
            if !matched && kind == .left {
                try meter.keep(row)
                out.append(row + none)
            }
        }
        explain.append("unnest: \(left.rows.count) rows → \(out.count) rows")
        return ResultSet(columns: names, rows: out)
    }

    /// `c` with the qualifier `q` taken off its names (it goes to the query reading `q` alone).
    static func stripQualifier(_ c: Expr, _ q: String) throws -> Expr {
        c.mappingAll { x in
            guard case .column(let n, let p) = x else { return nil }
            let parts = n.split(separator: "\u{0}", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].lowercased() == q else { return nil }
            return .column(String(parts[1]), at: p)
        }
    }

    /// The top-level AND terms of a WHERE.
    func conjuncts(_ e: Expr?) -> [Expr] {
        guard let e else { return [] }
        if case .binary("and", let l, let r, _) = e { return conjuncts(l) + conjuncts(r) }
        return [e]
    }

    /// Joins two row sets. `leftWidth`: how many of `names` are the left's columns.
    private func hashJoin(_ left: ResultSet, _ leftWidth: Int, _ right: ResultSet, _ joinKind: JoinKind, on: Expr?, names: [String],
                          meter: inout MemoryMeter, explain: inout PlanLog, swapped: Bool = false) throws -> ResultSet {
        // An inner join hashes the smaller side: joined the other way round, columns put back.
        if !swapped, joinKind == .inner || joinKind == .cross, on != nil, left.rows.count < right.rows.count / 2 {
            let rightWidth = names.count - leftWidth
            var r = try hashJoin(right, rightWidth, left, joinKind, on: on, names: Array(names[leftWidth...]) + Array(names[..<leftWidth]),
                                 meter: &meter, explain: &explain, swapped: true)
            r.rows = r.rows.map { Array($0[rightWidth...]) + Array($0[..<rightWidth]) }
            r.columns = names
            return r
        }
        let lowered = names.map { $0.lowercased() }
        let compiler = ExprCompiler(names: lowered, now: now)
        // Equal keys (`a.x = b.y`, each side of one table) for the hash table; the rest checked on each pair.
        var leftKeys: [Eval] = [], rightKeys: [Eval] = [], residual: [Expr] = []
        let leftNames = Set(lowered.prefix(leftWidth)), rightNames = Set(lowered.dropFirst(leftWidth))
        func side(_ e: Expr) -> Int? {
            var l = false, r = false, other = false
            walkAll(e) { x in
                if case .column(let n, _) = x { if leftNames.contains(n.lowercased()) { l = true } else if rightNames.contains(n.lowercased()) { r = true } else { other = true } }
                if case .call(let n, _, _, _, _) = x, Aggregates.isAggregate(n) { other = true }
            }
            return other || (l && r) ? nil : l ? 0 : r ? 1 : nil
        }
        let leftCompiler = ExprCompiler(names: Array(lowered.prefix(leftWidth)), now: now)
        let rightCompiler = ExprCompiler(names: Array(lowered.dropFirst(leftWidth)), now: now)
        for c in conjuncts(on) {
            if case .binary("=", let a, let b, _) = c, let sa = side(a), let sb = side(b), sa != sb {
                leftKeys.append(try leftCompiler.compile(sa == 0 ? a : b))
                rightKeys.append(try rightCompiler.compile(sa == 0 ? b : a))
            } else {
                residual.append(c)
            }
        }
        let width = names.count, rightWidth = width - leftWidth
        let cursor = RowCursor(), leftCursor = RowCursor(), rightCursor = RowCursor()
        // Keys compare as SQL's `=` does: 1 and 1.0 alike (a whole double as the integer it is,
        // big integers exact); a NULL never matches.
        func key(_ evals: [Eval], _ c: RowCursor) throws -> [Value]? {
            var out: [Value] = []
            for e in evals {
                guard let v = JoinIndex.normal(try e(c)) else { return nil }
                out.append(v)
            }
            return out
        }
        let kind: (Value) -> Int = JoinIndex.kind
        var table: [[Value]: [Int]] = [:]
        var rightKinds = Set<[Int]>()
        if !leftKeys.isEmpty {
            for (i, row) in right.rows.enumerated() {
                rightCursor.values = row
                if let k = try key(rightKeys, rightCursor) {
                    table[k, default: []].append(i)
                    rightKinds.insert(k.map(kind))
                }
            }
            // Keys of different kinds on the two sides (a number and its text, a time and a
            // string) are equal by `=`'s conversions, which a hash cannot see: compare pairs.
            var mixed = rightKinds.count > 1
            for row in left.rows where !mixed {
                leftCursor.values = row
                if let k = try key(leftKeys, leftCursor), !rightKinds.isEmpty, !rightKinds.contains(k.map(kind)) { mixed = true }
            }
            if mixed {
                leftKeys = []
                rightKeys = []
                residual = conjuncts(on)
                table = [:]
            }
        }
        let check = try residual.reduce(nil as Expr?) { acc, c in acc.map { .binary("and", $0, c, at: c.position) } ?? c }.map(compiler.compile)
        var out: [[Value]] = []
        var rightMatched = [Bool](repeating: false, count: joinKind == .right || joinKind == .full ? right.rows.count : 0)
        let noRight = [Value](repeating: .null, count: rightWidth), noLeft = [Value](repeating: .null, count: leftWidth)
        for row in left.rows {
            try progress?.visit(rows: 1)
            var matched = false
            let candidates: [Int]
            if leftKeys.isEmpty {
                candidates = Array(right.rows.indices)
            } else {
                leftCursor.values = row
                candidates = try key(leftKeys, leftCursor).flatMap { table[$0] } ?? []
            }
            for i in candidates {
                let joined = row + right.rows[i]
                if let check {
                    cursor.values = joined
                    guard try check(cursor) == .bool(true) else { continue }
                }
                matched = true
                if !rightMatched.isEmpty { rightMatched[i] = true }
                try meter.keep(joined)
                out.append(joined)
            }
            if !matched && (joinKind == .left || joinKind == .full) {
                try meter.keep(row)
                out.append(row + noRight)
            }
        }
        for (i, hit) in rightMatched.enumerated() where !hit {
            out.append(noLeft + right.rows[i])
            try meter.keep(out[out.count - 1])
        }
        explain.append("\(joinKind.rawValue) join: \(left.rows.count) × \(right.rows.count) rows" + (leftKeys.isEmpty ? " (every pair compared)" : " on \(leftKeys.count) equal key\(leftKeys.count == 1 ? "" : "s") (hash)")
                       + (residual.isEmpty ? "" : ", \(residual.count) other condition\(residual.count == 1 ? "" : "s")") + " → \(out.count) rows")
        return ResultSet(columns: names, rows: out)
    }

    // MARK: set operations

    /// `a UNION | INTERSECT | EXCEPT [ALL] b`: rows compared whole, NULLs equal to each other.
    func combine(_ op: SetOperator, all: Bool, _ a: ResultSet, _ b: ResultSet, at p: Int) throws -> ResultSet {
        guard a.columns.count == b.columns.count else {
            throw QueryError(.type, "\(op.rawValue.uppercased()) parts have \(a.columns.count) and \(b.columns.count) columns", at: p)
        }
        // (1 and 1.0 alike: a whole double as the integer it is; big integers exact.)
        func normal(_ row: [Value]) -> [Value] {
            row.map { if case .double(let d) = $0, d == d.rounded(), abs(d) < 9.2e18 { .int(Int64(d)) } else { $0 } }
        }
        var meter = MemoryMeter(memory)
        var out: [[Value]] = []
        switch (op, all) {
        case (.union, true):
            out = a.rows + b.rows
        case (.union, false):
            var seen = Set<[Value]>()
            for row in a.rows + b.rows where seen.insert(normal(row)).inserted { out.append(row); try meter.keep(row) }
        case (.intersect, _), (.except, _):
            var counts: [[Value]: Int] = [:]
            for row in b.rows { counts[normal(row), default: 0] += 1 }
            var emitted = Set<[Value]>()
            for row in a.rows {
                let k = normal(row)
                let inB = (counts[k] ?? 0) > 0
                if op == .intersect ? inB : !inB {
                    if all { if op == .intersect { counts[k]! -= 1 }; out.append(row) } else if emitted.insert(k).inserted { out.append(row) }
                } else if all && op == .except {
                    counts[k]! -= 1  // EXCEPT ALL: each row of b takes away one equal row of a
                }
                try meter.keep(row)
            }
        }
        try meter.flush()
        Self.unifyNumbers(&out)
        return ResultSet(columns: a.columns, rows: out)
    }
}

extension Expr {
    /// The expression with `f` applied top-down to every node, windows' insides included: where
    /// `f` gives a node it replaces the one it was given, where it gives nil the children are
    /// visited.
    func mappingAll(_ f: (Expr) -> Expr?) -> Expr {
        if let replaced = f(self) { return replaced }
        if case .window(let call, let partition, let order, let frame, let p) = self {
            return .window(call.mappingAll(f), partition: partition.map { $0.mappingAll(f) },
                           order: order.map { OrderItem(expr: $0.expr.mappingAll(f), ascending: $0.ascending, nullsFirst: $0.nullsFirst) }, frame: frame, at: p)
        }
        return mapChildren { $0.mappingAll(f) }
    }
}

/// Visits every node of an expression, windows' insides included (nothing is copied).
func walkAll(_ e: Expr, _ visit: (Expr) -> Void) {
    walk(e) { x in
        visit(x)
        if case .window(let call, let partition, let order, _, _) = x {
            walkAll(call, visit)
            partition.forEach { walkAll($0, visit) }
            order.forEach { walkAll($0.expr, visit) }
        }
    }
}

extension Select {
    /// Whether any of its expressions holds a subquery.
    var hasSubquery: Bool {
        var found = false
        for e in items.map(\.expr) + [filter, having].compactMap({ $0 }) + groupBy + orderBy.map(\.expr) {
            walkAll(e) { if case .subquery = $0 { found = true } }
        }
        return found
    }
}

// MARK: grouping sets

extension QueryEngine {
    /// The grouping sets a GROUP BY asks for — `ROLLUP (a, b)`: (a, b), (a), (); `CUBE (a, b)`:
    /// every subset; `GROUPING SETS ((a, b), (a), ())` as written; plain keys belong to every
    /// set — or nil for an ordinary GROUP BY.
    func groupingSets(_ groupBy: [Expr]) throws -> [[Expr]]? {
        var sets: [[Expr]] = [[]], found = false
        for g in groupBy {
            var options: [[Expr]]
            switch g {
            case .call(let n, let args, false, false, let p) where n.lowercased() == "rollup":
                options = (0...args.count).reversed().map { Array(args.prefix($0)) }
                if args.isEmpty { throw QueryError(.syntax, "ROLLUP needs at least one expression", at: p) }
            case .call(let n, let args, false, false, let p) where n.lowercased() == "cube":
                guard (1...8).contains(args.count) else { throw QueryError(.syntax, "CUBE takes 1 to 8 expressions (2^n groupings)", at: p) }
                options = (0..<(1 << args.count)).reversed().map { mask in args.indices.filter { mask & (1 << (args.count - 1 - $0)) != 0 }.map { args[$0] } }
            case .call("grouping sets", let rows, _, _, _):
                options = rows.map { if case .call("row", let members, _, _, _) = $0 { members } else { [$0] } }
            default:
                sets = sets.map { $0 + [g] }
                continue
            }
            found = true
            sets = sets.flatMap { prefix in options.map { prefix + $0 } }
        }
        return found ? sets : nil
    }

    /// A SELECT whose GROUP BY has grouping sets: one grouping per set, its keys that are not in
    /// the set NULL in its rows and `grouping(…)` telling which (a bit per argument, set when the
    /// argument is rolled up), the rows of every set together, then ORDER BY and LIMIT over them.
    func groupedBySets(_ s: Select, _ sets: [[Expr]], ctes: [String: ResultSet], explain: inout PlanLog) throws -> ResultSet {
        let all = sets.flatMap { $0 }
        var out: ResultSet?
        var meter = MemoryMeter(memory)
        for set in sets {
            let kept = Set(set.map(\.canonical))
            func fill(_ e: Expr) -> Expr {
                e.mappingAll { x in
                    if case .call(let n, let args, _, _, let p) = x, n.lowercased() == "grouping" {
                        return .literal(.int(args.reduce(Int64(0)) { bits, a in bits << 1 | (kept.contains(a.canonical) ? 0 : 1) }), at: p)
                    }
                    if case .call(let n, _, _, _, _) = x, Aggregates.isAggregate(n) { return x }  // the rows inside an aggregate are the group's
                    if all.contains(where: { $0.canonical == x.canonical }), !kept.contains(x.canonical) { return .literal(.null, at: x.position) }
                    return nil
                }
            }
            var one = s
            one.groupBy = set
            one.items = s.items.map { var it = $0; if !it.isStar { it.alias = it.alias ?? it.expr.defaultName; it.expr = fill(it.expr) }; return it }
            one.having = s.having.map(fill)
            one.orderBy = []
            one.limit = nil
            one.offset = 0
            // (No key and no aggregate would make it no grouping at all: count the set's rows.)
            let r = try select(one, ctes: ctes, explain: &explain)
            if out == nil { out = r } else { out!.rows += r.rows }
            for row in r.rows { try meter.keep(row) }
        }
        try meter.flush()
        explain.append("grouping sets: \(sets.count) groupings")
        var result = out ?? ResultSet(columns: [], rows: [])
        return try ordered(&result, s.orderBy, limit: s.limit, offset: s.offset)
    }
}
