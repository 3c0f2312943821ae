import Foundation
import Synchronization

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
    /// The keys of a join on several columns.
    let table: [[Value]: Int]
    /// The keys of a join on one column, unless they are all ASCII strings (`bytes`).
    let single: [Value: Int]
    /// A join on one string key whose every value is ASCII: the keys by their bytes, so that a
    /// plain string column's rows are looked up without a `String` each (and ASCII bytes are
    /// equal as strings exactly when they are equal as bytes). nil otherwise.
    let bytes: ByteKeyTable?
    /// Per column of the other side, each row's number among the column's distinct values, and
    /// those values: made on first use, for grouping by a joined column.
    private let distinct = Mutex<[Int: (codes: [Int32], values: [Value])]>([:])

    /// Gathers the keys of the other side's rows (`normal` values, none NULL), in row order.
    struct Builder {
        private let width: Int
        private var table: [[Value]: Int] = [:]
        private var single: [Value: Int] = [:]
        private var bytes: ByteKeyTable
        /// Whether every key so far is an ASCII string (kept in `bytes`).
        private var ascii = true

        /// For keys of `width` columns, about `capacity` of them.
        init(width: Int, capacity: Int) {
            self.width = width
            bytes = ByteKeyTable(capacity: width == 1 ? capacity : 0)
        }

        /// Adds the key of row `row`; false when another row has the same key.
        mutating func add(_ key: [Value], row: Int) -> Bool {
            guard width == 1 else { return table.updateValue(row, forKey: key) == nil }
            let v = key[0]
            if ascii, case .string(var s) = v, s.utf8.allSatisfy({ $0 < 0x80 }) {
                let found = s.withUTF8 { b in bytes.group(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, b.count) { _, _ in Int32(row) } }
                return found == Int32(row)
            }
            if ascii {
                // Not every key is an ASCII string: all of them by value instead.
                ascii = false
                bytes.arena.withUnsafeBufferPointer { a in
                    for e in bytes.entries {
                        let text = String(decoding: UnsafeBufferPointer(rebasing: a[Int(e.start)..<Int(e.start + e.count)]), as: UTF8.self)
                        single[.string(text)] = Int(e.group)
                    }
                }
                bytes = ByteKeyTable()
            }
            return single.updateValue(row, forKey: v) == nil
        }

        /// The index over `rows` (the rows whose keys were added by their numbers).
        func index(_ rows: [[Value]]) -> JoinIndex {
            JoinIndex(rows: rows, table: table, single: single, bytes: width == 1 && ascii ? bytes : nil)
        }
    }

    /// How many keys there are.
    var count: Int { bytes?.entries.count ?? max(table.count, single.count) }

    private init(rows: [[Value]], table: [[Value]: Int], single: [Value: Int], bytes: ByteKeyTable?) {
        self.rows = rows
        self.table = table
        self.single = single
        self.bytes = bytes
    }

    /// The row a key finds, or -1 (`=`'s rules: NULL finds none).
    func row(of key: Value) -> Int32 {
        guard let v = JoinIndex.normal(key) else { return -1 }
        guard let bytes else { return single[v].map(Int32.init) ?? -1 }
        guard case .string(var s) = v else { return -1 }
        // Text equal to an ASCII key as `=` compares (canonical equivalence) has that key as
        // its composed form (NFC): a compatibility character such as the Kelvin sign does.
        if !s.utf8.allSatisfy({ $0 < 0x80 }) {
            s = s.precomposedStringWithCanonicalMapping
            guard s.utf8.allSatisfy({ $0 < 0x80 }) else { return -1 }
        }
        return s.withUTF8 { b in
            let p = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
            return bytes.withReader { $0.find(p, b.count, hash: ByteKeyTable.hash(p, b.count)) }
        }
    }

    /// Per segment of `logs` (by identity: the query's snapshot keeps its segments), the row
    /// each of its rows finds, worked out by the WHERE that keeps the rows that find one and
    /// handed to a `GROUP BY` of a joined column, which takes it (so an entry lives from one to
    /// the other, not for the whole query); kept at all only when such a GROUP BY said it will
    /// read them (`handOver`).
    private let matches = Mutex<(handOver: Bool, bySegment: [ObjectIdentifier: [Int32]])>((false, [:]))

    /// A GROUP BY of a joined column will read the matches the WHERE finds.
    func handOverMatches() { matches.withLock { $0.handOver = true } }

    /// The row each row of segment `seg` finds (-1: none), its key read from `col`, `count`
    /// rows; `taking`: the GROUP BY's read, the last of the segment's.
    func matches(_ seg: ObjectIdentifier, _ col: SegmentColumn, count: Int, taking: Bool = false) -> [Int32] {
        if let known = matches.withLock({ taking ? $0.bySegment.removeValue(forKey: seg) : $0.bySegment[seg] }) { return known }
        let found = JoinProbe(index: self).rows(col, count: count, nil)
        if !taking { matches.withLock { if $0.handOver { $0.bySegment[seg] = found } } }
        return found
    }

    /// Column `k` of the other side as codes: each row's number among the column's distinct
    /// values, and those values — texts told apart by their bytes, as GROUP BY tells them apart
    /// everywhere (`Value` equality would merge canonically equal spellings).
    func codes(ofColumn k: Int) -> (codes: [Int32], values: [Value]) {
        distinct.withLock { known in
            if let c = known[k] { return c }
            var ids: [Value: Int32] = [:], texts = ByteKeyTable(), values: [Value] = []
            let codes = rows.map { row in
                let v = row[k]
                if case .string(var s) = v {
                    let next = Int32(values.count)
                    let id = s.withUTF8 { b in texts.group(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, b.count) { _, _ in next } }
                    if id != next { return id }
                } else {
                    if let id = ids[v] { return id }
                    ids[v] = Int32(values.count)
                }
                values.append(v)
                return Int32(values.count - 1)
            }
            known[k] = (codes, values)
            return (codes, values)
        }
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
        if keys.count == 1, case .column(let name, let np) = args[2] {
            // A column of logs as the key: read as stored (see `JoinProbe`).
            // The segment's matches found at its first row; this thread's own copy of the column read.
            let input = try c.index(of: name, at: np), key = keys[0]
            let values = k >= 0 ? index.rows.map { $0[k] } : []
            let current = MatchCursor()
            return { r in
                let row: Int32
                if let col = r.segmentColumn(input), let seg = r.segment {
                    if col !== current.column {
                        current.found = index.matches(seg, col, count: r.segmentRows)
                        current.column = col
                    }
                    row = current.found[r.row]
                } else {
                    row = index.row(of: try key(r))
                }
                if row < 0 { return k < 0 ? .bool(false) : .null }
                return k < 0 ? .bool(true) : values[Int(row)]
            }
        }
        if keys.count == 1 {
            let key = keys[0]
            return { r in
                let row = index.row(of: try key(r))
                guard row >= 0 else { return k < 0 ? .bool(false) : .null }
                return k < 0 ? .bool(true) : index.rows[Int(row)][k]
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

/// The matches of the segment a compiled lookup last read (one thread's, like `RowCursor`).
final class MatchCursor {
    @exclusivity(unchecked) var column: SegmentColumn?
    @exclusivity(unchecked) var found: [Int32] = []
}

/// Finds the other side's row of a join for rows of the column of `logs` that is its one key,
/// a segment (or a list of its rows) at a time, reading the column as stored: a dictionary
/// column's codes are looked up once per code, a plain string column's ASCII bytes in the
/// index's byte table without making a `String` (and without reference counting per row: the
/// index is shared by the threads of a scan).
struct JoinProbe {
    let index: JoinIndex

    /// The other side's row (-1: none) for each of `rows` of `col`, or for every row of it
    /// (`count` of them) when `rows` is nil.
    func rows(_ col: SegmentColumn, count: Int, _ rows: [Int32]?) -> [Int32] {
        let total = rows?.count ?? count
        var out = [Int32](repeating: -1, count: total)
        @inline(__always) func row(_ i: Int) -> Int { if let rows { Int(rows[i]) } else { i } }
        if col.isDictionary {
            var found = [Int32](repeating: -2, count: col.dictionary.count)  // per code; -2: not looked up yet
            for i in 0..<total {
                let c = col.code(row(i))
                if c == SegmentColumn.nullCode { continue }
                var f = found[Int(c)]
                if f == -2 {
                    f = index.row(of: .string(col.dictionary[Int(c)]))
                    found[Int(c)] = f
                }
                out[i] = f
            }
        } else if let keys = index.bytes, col.type == .string, !col.offsets.isEmpty, col.file == nil {
            // Other text may equal an ASCII key in another normalisation form, as `=` says.
            out = keys.find(in: col, count: count, rows: rows) { index.row(of: .string($0)) }
        } else {
            for i in 0..<total { out[i] = index.row(of: col.value(at: row(i))) }
        }
        return out
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
            // Both have it but for case: the table that spells it as written.
            let exact = owners.filter { k in a.available[k].contains(n) }
            return owners.count == 1 ? owners[0] : exact.count == 1 ? exact[0] : nil
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
        let bigKinds = bigKeys.map { e -> Int? in
            guard case .column(let n, _) = e else { return nil }
            return snapshot.column(String(n.split(separator: "\u{0}").last ?? "")).flatMap { JoinIndex.kind($0.type) }
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
                // The column spelt as written, else the one ignoring case (its key tells apart names that differ only in case).
                if let c = columns.first(where: { $0.name == name }) ?? columns.first(where: { $0.name.lowercased() == name.lowercased() }) {
                    return .column(c.key, at: p)
                }
                return .column(a.leaves[small].qualifier.lowercased() + "\u{0}" + name.lowercased(), at: p)
            })
        }
        var keys = JoinIndex.Builder(width: keyEvals.count, capacity: rows.rows.count)
        let cursor = RowCursor()
        var meter = MemoryMeter(memory)
        var key: [Value] = []
        for (i, row) in rows.rows.enumerated() {
            cursor.values = row
            key.removeAll(keepingCapacity: true)
            for (k, f) in keyEvals.enumerated() {
                guard let v = JoinIndex.normal(try f(cursor)) else { break }
                // A key of another kind than the column of logs: `=`'s conversions, not a hash.
                if let want = bigKinds[k], JoinIndex.kind(v) != want { return nil }
                key.append(v)
            }
            if key.count < keyEvals.count { continue }  // a NULL key finds nothing
            guard keys.add(key, row: i) else { return nil }  // a key twice: the general join
            try meter.keep(row)
        }
        try meter.flush()
        let slot = s.joinIndexes.count
        let index = keys.index(rows.rows)
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
                let spelt = n.split(separator: "\u{0}").last.map(String.init) ?? n
                guard let k = columns.firstIndex(where: { $0.name == spelt }) ?? columns.firstIndex(where: { $0.name.lowercased() == name }) else {
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
        explain.append("\(j.kind == .left ? "left" : "inner") join: logs looks up its key\(bigKeys.count == 1 ? "" : "s") in \(Self.shown(a.leaves[small].qualifier)) (\(index.count) keys, each once) as it is scanned")
        return out
    }
}
