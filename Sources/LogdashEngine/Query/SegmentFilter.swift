import Foundation

/// Rows of a segment as bits: bit `i` of word `i / 64` is row `i`.
struct RowBits {
    var words: [UInt64]

    init(rows: Int, all: Bool) {
        words = [UInt64](repeating: all ? ~0 : 0, count: (rows + 63) / 64)
        if all, rows % 64 != 0 { words[words.count - 1] = (1 << UInt64(rows % 64)) - 1 }
    }

    @inline(__always) mutating func set(_ r: Int) { words[r >> 6] |= 1 << UInt64(r & 63) }
    @inline(__always) func has(_ r: Int) -> Bool { words[r >> 6] & (1 << UInt64(r & 63)) != 0 }

    static func & (a: RowBits, b: RowBits) -> RowBits { var c = a; for i in c.words.indices { c.words[i] &= b.words[i] }; return c }
    static func | (a: RowBits, b: RowBits) -> RowBits { var c = a; for i in c.words.indices { c.words[i] |= b.words[i] }; return c }

    /// The rows whose bit is set, in order.
    var rows: [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(words.reduce(0) { $0 + $1.nonzeroBitCount })
        for (w, word) in words.enumerated() {
            var x = word
            while x != 0 {
                out.append(Int32(w << 6 | x.trailingZeroBitCount))
                x &= x - 1
            }
        }
        return out
    }
}

/// Evaluates a WHERE clause over a whole segment at once.
///
/// Each predicate gives two bit sets, the rows where it is TRUE and where it is FALSE (a NULL
/// row is in neither), so NOT, AND and OR keep SQL's three-valued logic exactly. Leaves that
/// read one dictionary-encoded column are evaluated once per distinct value; `column op
/// constant` on numbers and times is a typed loop; any other leaf is evaluated row by row.
struct SegmentFilter {
    let names: [String]
    let actualNames: [String]
    /// The table's column types (a segment may store a narrower one).
    let types: [ColumnType]
    let compiler: ExprCompiler
    /// Leaves compiled for one column, kept for the whole query rather than per segment.
    private let compiled = CompiledLeaves()

    init(names: [String], actualNames: [String], types: [ColumnType], compiler: ExprCompiler) {
        self.names = names
        self.actualNames = actualNames
        self.types = types
        self.compiler = compiler
    }

    final class CompiledLeaves {
        var byCanonical: [String: Eval] = [:]
        /// Predicates evaluated row by row, by place and text.
        var rowByRow: [String: Eval] = [:]
        /// `IN` lists over plain string columns, by the list's place in the query (a subquery's
        /// answer can be tens of thousands of texts: made ready once, not per segment).
        var inTests: [String: (UnsafeBufferPointer<UInt8>) -> Bool] = [:]
        /// Long `IN` lists of ASCII texts over plain string columns: their bytes in one table,
        /// looked up a segment at a time.
        var inTables: [String: ByteKeyTable] = [:]
        /// The columns of long `IN` lists (walked once, not per segment).
        var columnsOfLists: [String: Set<String>] = [:]
    }

    /// A leaf's key among those compiled: its canonical text, except for a long `IN` list (a
    /// subquery's answer: tens of thousands of values), which its place and length name.
    private func key(_ e: Expr) -> String {
        if case .inList(let x, let items, let negated, let p) = e, items.count > 16 {
            return "\u{1}in\u{0}\(x.canonical)\u{0}\(p)\u{0}\(items.count)\u{0}\(negated)"
        }
        return e.canonical
    }

    func rows(_ e: Expr, in seg: Segment) throws -> [Int32] {
        try eval(e, seg).isTrue.rows
    }

    /// Per row, whether `e` is TRUE and whether it is FALSE (neither: NULL).
    func truthValues(_ e: Expr, in seg: Segment) throws -> (isTrue: RowBits, isFalse: RowBits) {
        let t = try eval(e, seg)
        return (t.isTrue, t.isFalse)
    }

    /// The rows where `e` is not FALSE (TRUE or NULL).
    func notFalse(_ e: Expr, in seg: Segment) throws -> [Int32] {
        let f = try eval(e, seg).isFalse
        return (0..<Int32(seg.rowCount)).filter { !f.has(Int($0)) }
    }

    /// The rows where `e` is TRUE, as bits.
    func truth(_ e: Expr, in seg: Segment) throws -> RowBits {
        try eval(e, seg).isTrue
    }

    private struct Truth {
        var isTrue: RowBits
        var isFalse: RowBits
    }

    /// The type of a column of a segment still in its store file, from its footer (nil for a
    /// segment in memory, or a column it lacks).
    private func storedType(_ name: String, _ seg: Segment) -> ColumnType? {
        guard seg.isStoredLazily, let k = names.firstIndex(of: name.lowercased()) else { return nil }
        return seg.schema.first { $0.name == actualNames[k] }?.type
    }

    private func column(_ name: String, _ seg: Segment) -> SegmentColumn? {
        guard let k = names.firstIndex(of: name.lowercased()) else { return nil }
        return seg.columns[actualNames[k]]
    }

    /// `skip`: rows whose answer cannot matter (an enclosing AND is already FALSE there, an
    /// enclosing OR already TRUE): a leaf evaluated row by row leaves them out (as NULL), so
    /// `cheap AND costly` runs the costly part only where the cheap one left a chance. The
    /// answer is exact on every other row.
    private func eval(_ e: Expr, _ seg: Segment, skip: RowBits? = nil) throws -> Truth {
        switch e {
        case .binary("and", let l, let r, _):
            let a = try eval(l, seg, skip: skip)
            let b = try eval(r, seg, skip: skip.map { $0 | a.isFalse } ?? a.isFalse)
            return Truth(isTrue: a.isTrue & b.isTrue, isFalse: a.isFalse | b.isFalse)
        case .binary("or", let l, let r, _):
            let a = try eval(l, seg, skip: skip)
            let b = try eval(r, seg, skip: skip.map { $0 | a.isTrue } ?? a.isTrue)
            return Truth(isTrue: a.isTrue | b.isTrue, isFalse: a.isFalse & b.isFalse)
        case .unary("not", let x, _):
            let a = try eval(x, seg, skip: skip)
            return Truth(isTrue: a.isFalse, isFalse: a.isTrue)
        case .between(let x, let lo, let hi, let negated, let p) where columnsOf(lo).isEmpty && columnsOf(hi).isEmpty:
            // x BETWEEN a AND b is x >= a AND x <= b (with the same NULL logic).
            let both = Expr.binary("and", .binary(">=", x, lo, at: p), .binary("<=", x, hi, at: p), at: p)
            return try eval(negated ? .unary("not", both, at: p) : both, seg, skip: skip)
        default:
            if let t = try dictionaryLeaf(e, seg) { return t }
            if let t = try numericLeaf(e, seg) { return t }
            if let t = try plainStringLeaf(e, seg) { return t }
            if let t = nullLeaf(e, seg) { return t }
            if let t = joinLeaf(e, seg) { return t }
            return try rowByRow(e, seg, skip: skip)
        }
    }

    /// The columns an expression reads.
    private func columnsOf(_ e: Expr) -> Set<String> {
        if case .inList(_, let items, _, _) = e, items.count > 16 {
            let k = key(e)
            if let known = compiled.columnsOfLists[k] { return known }
            var out: Set<String> = []
            walk(e) { if case .column(let n, _) = $0 { out.insert(n.lowercased()) } }
            compiled.columnsOfLists[k] = out
            return out
        }
        var out: Set<String> = []
        walk(e) { if case .column(let n, _) = $0 { out.insert(n.lowercased()) } }
        return out
    }

    /// A predicate over one dictionary-encoded column: once per distinct value, then by code.
    private func dictionaryLeaf(_ e: Expr, _ seg: Segment) throws -> Truth? {
        let cols = columnsOf(e)
        // A stored segment's footer says the column's type: no need to read a number column to
        // learn it is not text (its zone map may spare reading it at all).
        guard cols.count == 1, let name = cols.first, storedType(name, seg).map({ $0 == .string }) ?? true,
              let col = column(name, seg), col.isDictionary else { return nil }
        let f: Eval
        let k = key(e)
        if let cached = compiled.byCanonical[k] { f = cached } else {
            f = try compiler.with(names: [name]).compile(e)
            compiled.byCanonical[k] = f
        }
        let cursor = RowCursor()
        var verdict = [UInt8](repeating: 0, count: col.dictionary.count + 1)  // 1 true, 2 false; last slot: NULL
        for (k, v) in col.dictionary.enumerated() {
            cursor.values = [.string(v)]
            let r = try f(cursor)
            verdict[k] = r == .bool(true) ? 1 : r == .bool(false) ? 2 : 0
        }
        cursor.values = [.null]
        let nullResult = try f(cursor)
        verdict[col.dictionary.count] = nullResult == .bool(true) ? 1 : nullResult == .bool(false) ? 2 : 0
        var t = RowBits(rows: seg.rowCount, all: false), fl = RowBits(rows: seg.rowCount, all: false)
        let nullSlot = col.dictionary.count
        let n = seg.rowCount
        // Each 64-row word is built in registers and stored once.
        func fill(_ verdictOf: (Int) -> UInt8) {
            t.words.withUnsafeMutableBufferPointer { tw in
                fl.words.withUnsafeMutableBufferPointer { fw in
                    for w in 0..<tw.count {
                        var tb: UInt64 = 0, fb: UInt64 = 0
                        let base = w << 6
                        for r in base..<min(n, base + 64) {
                            let x = UInt64(verdictOf(r))
                            tb |= (x & 1) << UInt64(r - base)
                            fb |= (x >> 1) << UInt64(r - base)
                        }
                        tw[w] = tb
                        fw[w] = fb
                    }
                }
            }
        }
        let narrow = col.narrowCodes, wide = col.codes
        verdict.withUnsafeBufferPointer { v in
            if !narrow.isEmpty {
                narrow.withUnsafeBufferPointer { codes in
                    fill { r in let c = codes[r]; return v[c == 255 ? nullSlot : Int(c)] }
                }
            } else {
                wide.withUnsafeBufferPointer { codes in
                    fill { r in let c = codes[r]; return v[c == SegmentColumn.nullCode ? nullSlot : Int(c)] }
                }
            }
        }
        return Truth(isTrue: t, isFalse: fl)
    }

    /// Whether every value in [lo, hi] compares true (or every one false) with `c` under the
    /// operator (0 =, 1 <>, 2 <, 3 <=, 4 >, 5 >=); nil when the range does not settle it.
    static func zoneSettles<T: Comparable>(_ opCode: Int, lo: T, hi: T, _ c: T) -> Bool? {
        switch opCode {
        case 0: lo == c && hi == c ? true : (c < lo || c > hi ? false : nil)
        case 1: c < lo || c > hi ? true : (lo == c && hi == c ? false : nil)
        case 2: hi < c ? true : (lo >= c ? false : nil)
        case 3: hi <= c ? true : (lo > c ? false : nil)
        case 4: lo > c ? true : (hi <= c ? false : nil)
        default: lo >= c ? true : (hi < c ? false : nil)
        }
    }

    /// `column op constant` (or `constant op column`) over numbers and times, as a typed loop.
    private func numericLeaf(_ e: Expr, _ seg: Segment) throws -> Truth? {
        guard case .binary(let op0, let l, let r, _) = e, ["=", "<>", "<", "<=", ">", ">="].contains(op0) else { return nil }
        var op = op0
        let colExpr: Expr, constExpr: Expr
        if case .column = l { colExpr = l; constExpr = r } else if case .column = r {
            colExpr = r; constExpr = l
            op = ["<": ">", "<=": ">=", ">": "<", ">=": "<="][op] ?? op
        } else { return nil }
        guard case .column(let name, _) = colExpr, columnsOf(constExpr).isEmpty else { return nil }
        // The operator is decided once, not per row.
        let opCode: Int = ["=": 0, "<>": 1, "<": 2, "<=": 3, ">": 4][op] ?? 5
        // A segment still in its store file: its footer's zone map may settle the comparison
        // for every row, without reading the column (integers and times; no NULL, or all NULL).
        if seg.isStoredLazily, let i = names.firstIndex(of: name.lowercased()), let z = seg.storedZone(actualNames[i]),
           z.nonNull == seg.rowCount || z.nonNull == 0 {
            let k = try ExprCompiler(names: [], now: compiler.now).compile(constExpr)(RowCursor()).asInstant
            let settled: Bool? = switch k {
            case .int(let v), .timestamp(let v):
                // Exact bounds when the footer has them (doubles round past 2^53).
                z.ints.map { SegmentFilter.zoneSettles(opCode, lo: $0.lowerBound, hi: $0.upperBound, v) }
                    ?? SegmentFilter.zoneSettles(opCode, lo: z.min, hi: z.max, Double(v))
            default: nil
            }
            if let all = settled {
                let valid = RowBits(rows: seg.rowCount, all: z.nonNull > 0), none = RowBits(rows: seg.rowCount, all: false)
                return all ? Truth(isTrue: valid, isFalse: none) : Truth(isTrue: none, isFalse: valid)
            }
        }
        guard let col = column(name, seg) else { return nil }
        let k = try ExprCompiler(names: [], now: compiler.now).compile(constExpr)(RowCursor()).asInstant
        let n = seg.rowCount
        var t = RowBits(rows: n, all: false), fl = RowBits(rows: n, all: false)
        let validity = col.validity
        // Zone map: when the segment's min and max settle the comparison for every row, no loop
        // (integers against integers exactly: as doubles they round past 2^53).
        if let lo = col.min, let hi = col.max, col.type == .int || col.type == .timestamp || col.type == .double,
           let c: Double = {
               switch k {
               case .int(let v), .timestamp(let v): return Double(v)
               case .double(let v): return v.isNaN ? nil : v
               default: return nil
               }
           }(), !(col.type == .double && col.doubles.contains { $0.isNaN }) {
            let exact: Bool?? = switch (col.intRange, k) {
            case (let r?, .int(let v)), (let r?, .timestamp(let v)): .some(SegmentFilter.zoneSettles(opCode, lo: r.lowerBound, hi: r.upperBound, v))
            default: nil
            }
            if let all = exact ?? SegmentFilter.zoneSettles(opCode, lo: lo, hi: hi, c) {
                var valid = RowBits(rows: n, all: validity == nil)
                if let v = validity { for w in valid.words.indices { valid.words[w] = v[w] } }
                let none = RowBits(rows: n, all: false)
                return all ? Truth(isTrue: valid, isFalse: none) : Truth(isTrue: none, isFalse: valid)
            }
        }
        func run<V>(_ values: [V], _ c: V, _ less: (V, V) -> Bool, _ equal: (V, V) -> Bool) {
            values.withUnsafeBufferPointer { vs in
                for row in 0..<n where SegmentColumn.valid(validity, row) {
                    let v = vs[row]
                    let ok: Bool
                    switch opCode {
                    case 0: ok = equal(v, c)
                    case 1: ok = !equal(v, c)
                    case 2: ok = less(v, c)
                    case 3: ok = !less(c, v)
                    case 4: ok = less(c, v)
                    default: ok = !less(v, c)
                    }
                    if ok { t.set(row) } else { fl.set(row) }
                }
            }
        }
        // Integers and times, the common case: each 64-row word built in registers.
        func runInt<T: FixedWidthInteger>(_ values: [T], _ c: T) {
            let lastBits = n % 64
            values.withUnsafeBufferPointer { vs in
                t.words.withUnsafeMutableBufferPointer { tw in
                    fl.words.withUnsafeMutableBufferPointer { fw in
                        for w in 0..<tw.count {
                            let base = w << 6, end = min(n, base + 64)
                            var tb: UInt64 = 0
                            // Branch-free: a comparison's outcome is a bit, shifted into place.
                            @inline(__always) func bit(_ ok: Bool, _ r: Int) -> UInt64 { UInt64(ok ? 1 : 0) &<< UInt64(r &- base) }
                            switch opCode {
                            case 0: for r in base..<end { tb |= bit(vs[r] == c, r) }
                            case 1: for r in base..<end { tb |= bit(vs[r] != c, r) }
                            case 2: for r in base..<end { tb |= bit(vs[r] < c, r) }
                            case 3: for r in base..<end { tb |= bit(vs[r] <= c, r) }
                            case 4: for r in base..<end { tb |= bit(vs[r] > c, r) }
                            default: for r in base..<end { tb |= bit(vs[r] >= c, r) }
                            }
                            var inRange: UInt64 = w == tw.count - 1 && lastBits != 0 ? (1 << UInt64(lastBits)) - 1 : ~0
                            if let validity { inRange &= validity[w] }
                            tw[w] = tb & inRange
                            fw[w] = ~tb & inRange
                        }
                    }
                }
            }
        }
        switch (col.type, k) {
        case (.int, .int(let c)) where !col.small.isEmpty && c >= col.intRange!.lowerBound && c - col.intRange!.lowerBound <= Int64(UInt16.max):
            runInt(col.small, UInt16(c - col.intRange!.lowerBound))
        case (.int, .int(let c)), (.timestamp, .timestamp(let c)):
            runInt(col.ints, c)
        case (.int, .double(let c)):
            run(col.ints.map(Double.init), c, <, ==)
        case (.double, .double(let c)):
            run(col.doubles, c, { Compare.cmp($0, $1) < 0 }, { Compare.cmp($0, $1) == 0 })
        case (.double, .int(let c)):
            run(col.doubles, Double(c), { Compare.cmp($0, $1) < 0 }, { Compare.cmp($0, $1) == 0 })
        case (.timestamp, .string(let s)):
            guard let c = Compare.parseTime(s) else { return nil }
            runInt(col.ints, c)
        case (.null, _):
            break  // every row NULL: neither true nor false
        case (_, .null):
            break
        default:
            return nil
        }
        return Truth(isTrue: t, isFalse: fl)
    }

    /// `=`, `<>`, `IN` and `LIKE`/`ILIKE` between a plain (not dictionary-encoded) string column
    /// and constants, compared on the stored bytes: no `String` is made per row.
    private func plainStringLeaf(_ e: Expr, _ seg: Segment) throws -> Truth? {
        let name: String
        let test: (UnsafeBufferPointer<UInt8>) -> Bool
        func constant(_ x: Expr) throws -> String? {
            guard columnsOf(x).isEmpty, case .string(let v) = try ExprCompiler(names: [], now: compiler.now).compile(x)(RowCursor()) else { return nil }
            return v
        }
        switch e {
        case .binary(let op, let l, let r, _) where op == "=" || op == "<>":
            let (c, k): (Expr, Expr) = if case .column = l { (l, r) } else { (r, l) }
            guard case .column(let n, _) = c, let v = try constant(k) else { return nil }
            name = n
            let want = ByteString(v), negated = op == "<>"
            test = { want.equals($0) != negated }
        case .inList(.column(let n, _), let items, let negated, _):
            name = n
            let key = key(e)
            if let table = compiled.inTables[key] {
                return try listLeaf(table, name, negated: negated, seg)
            }
            if let known = compiled.inTests[key] {
                test = known
                break
            }
            var wants: [ByteString] = []
            for item in items {
                if case .literal(.string(let v), _) = item { wants.append(ByteString(v)); continue }
                guard let v = try constant(item) else { return nil }  // NULLs and non-strings: the general path
                wants.append(ByteString(v))
            }
            if wants.count > 16 {
                if wants.allSatisfy(\.ascii) {
                    // ASCII wants (ids, names, a subquery's answer): their bytes in one table,
                    // looked up a segment at a time (see `listLeaf`).
                    var keys = ByteKeyTable(capacity: wants.count)
                    for w in wants {
                        w.bytes.withUnsafeBufferPointer { b in
                            _ = keys.group(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, b.count) { _, _ in 0 }
                        }
                    }
                    compiled.inTables[key] = keys
                    return try listLeaf(keys, name, negated: negated, seg)
                }
                // Swift's String hashing and `==` agree on canonical equivalence, as `equals` does.
                let set = Set(wants.map(\.text))
                test = { b in set.contains(String(decoding: b, as: UTF8.self)) != negated }
            } else {
                test = { b in wants.contains { $0.equals(b) } != negated }
            }
            compiled.inTests[key] = test
        case .like(.column(let n, _), .literal(.string(let pattern), _), let negated, let ci, _):
            name = n
            let m = LikePattern(pattern, caseInsensitive: ci)
            test = { m.matches(bytes: $0) != negated }
        default:
            return nil
        }
        guard let col = column(name, seg), col.type == .string, !col.offsets.isEmpty,
              let k = names.firstIndex(of: name.lowercased()), types[k] == .string else { return nil }
        let n = seg.rowCount
        var t = RowBits(rows: n, all: false), fl = RowBits(rows: n, all: false)
        let offsets = col.offsets, validity = col.validity
        col.bytes.withUnsafeBufferPointer { bytes in
            let base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
            for row in 0..<n where SegmentColumn.valid(validity, row) {
                let s = Int(offsets[row])
                if test(UnsafeBufferPointer(start: base + s, count: Int(offsets[row + 1]) - s)) { t.set(row) } else { fl.set(row) }
            }
        }
        return Truth(isTrue: t, isFalse: fl)
    }

    /// `column [NOT] IN (…)` over a plain string column, the list's texts all ASCII and in
    /// `keys`: the segment's ASCII rows looked up by their bytes in one pass (hashes first, then
    /// lookups: see `ByteKeyTable.find(in:)`); a row with other bytes equals an ASCII text only
    /// if its composed form (NFC, as `=` compares) is that text (the Kelvin sign and K).
    private func listLeaf(_ keys: ByteKeyTable, _ name: String, negated: Bool, _ seg: Segment) throws -> Truth? {
        guard let col = column(name, seg), col.type == .string, !col.offsets.isEmpty, col.file == nil,
              let k = names.firstIndex(of: name.lowercased()), types[k] == .string else { return nil }
        let n = seg.rowCount
        let found = keys.find(in: col, count: n, rows: nil) { text in
            let s = text.precomposedStringWithCanonicalMapping
            guard s.utf8.allSatisfy({ $0 < 0x80 }) else { return -1 }
            var t = s
            return t.withUTF8 { b in
                let p = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
                return keys.withReader { $0.find(p, b.count, hash: ByteKeyTable.hash(p, b.count)) }
            }
        }
        var t = RowBits(rows: n, all: false), fl = RowBits(rows: n, all: false)
        let validity = col.validity
        found.withUnsafeBufferPointer { f in
            t.words.withUnsafeMutableBufferPointer { tw in
                fl.words.withUnsafeMutableBufferPointer { fw in
                    for w in 0..<tw.count {
                        var hit: UInt64 = 0
                        let base = w << 6, end = min(n, base + 64)
                        for r in base..<end where f[r] >= 0 { hit |= 1 << UInt64(r - base) }
                        var valid: UInt64 = end - base == 64 ? ~0 : (1 << UInt64(end - base)) - 1
                        if let validity { valid &= validity[w] }
                        tw[w] = (negated ? ~hit : hit) & valid
                        fw[w] = (negated ? hit : ~hit) & valid
                    }
                }
            }
        }
        return Truth(isTrue: t, isFalse: fl)
    }

    /// Whether a record of `logs` finds a row of a lookup join's other side by its key column
    /// (`JoinIndex`'s `\u{1}join(slot, -1, column)`: TRUE or FALSE, never NULL): the segment's
    /// matches, found as the column is stored and kept for a GROUP BY of a joined column.
    private func joinLeaf(_ e: Expr, _ seg: Segment) -> Truth? {
        guard case .call(let fn, let args, _, _, _) = e, fn == JoinIndex.function, args.count == 3,
              case .literal(.int(let slot), _) = args[0], case .literal(.int(-1), _) = args[1],
              case .column(let name, _) = args[2], Int(slot) < compiler.joins.count,
              let col = column(name, seg), let k = names.firstIndex(of: name.lowercased()), types[k] == col.type else { return nil }
        let found = compiler.joins[Int(slot)].matches(ObjectIdentifier(seg), col, count: seg.rowCount)
        let n = seg.rowCount
        var t = RowBits(rows: n, all: false), fl = RowBits(rows: n, all: true)
        found.withUnsafeBufferPointer { f in
            t.words.withUnsafeMutableBufferPointer { tw in
                fl.words.withUnsafeMutableBufferPointer { fw in
                    for w in 0..<tw.count {
                        var hit: UInt64 = 0
                        let base = w << 6
                        for r in base..<min(n, base + 64) where f[r] >= 0 { hit |= 1 << UInt64(r - base) }
                        tw[w] = hit
                        fw[w] &= ~hit
                    }
                }
            }
        }
        return Truth(isTrue: t, isFalse: fl)
    }

    /// `column IS [NOT] NULL`, from the column's validity (never NULL itself).
    private func nullLeaf(_ e: Expr, _ seg: Segment) -> Truth? {
        guard case .isNull(.column(let name, _), let negated, _) = e else { return nil }
        let n = seg.rowCount
        var present = RowBits(rows: n, all: false)
        if let col = column(name, seg) {
            switch col.type {
            case .null:
                break
            case .string where col.isDictionary:
                let codes = col.allCodes()
                for r in 0..<n where codes[r] != SegmentColumn.nullCode { present.set(r) }
            default:
                if let v = col.validity {
                    for w in present.words.indices { present.words[w] = v[w] }
                    if n % 64 != 0 { present.words[present.words.count - 1] &= (1 << UInt64(n % 64)) - 1 }
                } else {
                    present = RowBits(rows: n, all: true)
                }
            }
        }
        var absent = present
        let all = RowBits(rows: n, all: true)
        for w in absent.words.indices { absent.words[w] = ~present.words[w] & all.words[w] }
        return negated ? Truth(isTrue: present, isFalse: absent) : Truth(isTrue: absent, isFalse: present)
    }

    /// Any other predicate, one row at a time (compiled once for the whole query), rows in
    /// `skip` left out.
    private func rowByRow(_ e: Expr, _ seg: Segment, skip: RowBits?) throws -> Truth {
        var t = RowBits(rows: seg.rowCount, all: false), fl = RowBits(rows: seg.rowCount, all: false)
        if let skip, skip.words == RowBits(rows: seg.rowCount, all: true).words { return Truth(isTrue: t, isFalse: fl) }
        let key = "\(e.position)\u{0}\(key(e))"
        let f: Eval
        if let known = compiled.rowByRow[key] { f = known } else {
            f = try compiler.compile(e)
            compiled.rowByRow[key] = f
        }
        let cursor = RowCursor()
        cursor.use(seg, names: actualNames, types: types)
        for r in 0..<seg.rowCount {
            if let skip, skip.has(r) { continue }
            cursor.row = r
            let v = try f(cursor)
            if v == .bool(true) { t.set(r) } else if v == .bool(false) { fl.set(r) }
            else if v != .null { throw QueryError(.type, "WHERE needs a boolean, not \(typeName(v))", at: e.position) }
        }
        return Truth(isTrue: t, isFalse: fl)
    }
}

/// A string constant's UTF-8 bytes, for comparing with stored bytes as `String ==` would.
struct ByteString {
    let text: String
    let bytes: [UInt8]
    let ascii: Bool

    init(_ s: String) {
        text = s
        bytes = Array(s.utf8)
        ascii = bytes.allSatisfy { $0 < 0x80 }
    }

    /// Equal bytes are equal strings; different bytes of non-ASCII text may still be the same
    /// text in another normalisation form, which Swift's `==` (the general path's) counts as equal.
    func equals(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        if b.count == bytes.count, b.count == 0 || bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, b.baseAddress!, b.count) == 0 }) { return true }
        return !ascii && String(decoding: b, as: UTF8.self) == text
    }
}
