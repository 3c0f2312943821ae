/// GROUP BY over segments, a column at a time.
///
/// For each segment, the rows that passed the filter get a group id — through a code → group
/// table when the key reads one dictionary-encoded column (so the key is computed once per
/// distinct value), through direct indexing when it is a small-range integer column, and by
/// evaluating and hashing the key otherwise. Then each aggregate runs over its own column in a
/// typed loop (`count`, `sum`, `avg`, `min`, `max`, `approx_percentile` over a numeric column)
/// or, for anything else, through `AggregateState` row by row.
final class GroupedAggregation {
    struct Call {
        let name: String
        let args: [Expr]
        let distinct: Bool
        let star: Bool
        let at: Int
    }

    private let keys: [Expr]
    private let calls: [Call]
    private let names: [String]
    private let actualNames: [String]
    private let types: [ColumnType]
    private let compiler: ExprCompiler
    private let keyEvals: [Eval]
    private let argEvals: [[Eval]]

    /// Each group's key values; empty for a group whose one string key is still only bytes in
    /// `byteGroups` (made into a `String` when the keys are read, not per thread and merge).
    private var keyStore: [[Value]] = []
    /// Per group: its entry in `byteGroups` when it was made from bytes, else -1.
    private var byteEntry: [Int32] = []

    /// The key values of group `g` (its `String` made now if it was still only bytes).
    func key(_ g: Int) -> [Value] {
        if byteEntry[g] >= 0 && keyStore[g].isEmpty {
            return [.string(byteGroups.withKey(Int(byteEntry[g])) { $0.string })]
        }
        return keyStore[g]
    }
    /// String keys by their bytes, in front of `singleIndex`.
    private let byteGroups = ByteKeyedGroups()
    private var groupIndex: [[Value]: Int32] = [:]
    private var singleIndex: [Value: Int32] = [:]

    /// One aggregate's state for every group: typed arrays indexed by group id, or generic
    /// states. A class, so that the arrays grow and change in place.
    private final class Accumulator {
        enum Kind { case count, countIf, sum(average: Bool), extreme(max: Bool), percentile(Double), distinctCount, generic }
        var kind: Kind = .generic
        var counts: [Int64] = []
        var ints: [Int64] = []
        var doubles: [Double] = []
        var sawDouble: [Bool] = []
        /// An integer sum of some group passed Int64 (kept as a float, and an error at the end).
        var overflowed = false
        var values: [Value] = []
        var samples: [[Double]] = []
        var states: [AggregateState] = []
        /// count(DISTINCT x): the (group, value) pairs seen — strings by their bytes after the
        /// group's four, numbers as integers (a double by its bits, 0 and NaN made one).
        var distinctBytes = ByteKeyedGroups()
        var distinctNumbers = Set<GroupNumber>()
        var distinctKept = 0
    }

    struct GroupNumber: Hashable {
        let group: Int32
        let value: Int64
    }
    private let accumulators: [Accumulator]

    init(keys: [Expr], calls: [Call], names: [String], actualNames: [String], types: [ColumnType], compiler: ExprCompiler) throws {
        self.keys = keys
        self.calls = calls
        self.names = names
        self.actualNames = actualNames
        self.types = types
        self.compiler = compiler
        keyEvals = try keys.map(compiler.compile)
        argEvals = try calls.map { try $0.args.map(compiler.compile) }
        accumulators = calls.map { _ in Accumulator() }
        // Grouping by a joined column: the WHERE's matches are handed over, not found twice.
        for key in keys {
            if case .call(let fn, let args, _, _, _) = key, fn == JoinIndex.function, case .literal(.int(let slot), _)? = args.first,
               Int(slot) < compiler.joins.count {
                compiler.joins[Int(slot)].handOverMatches()
            }
        }
    }

    var groupCount: Int { keyStore.count }

    /// Whether the query is only distinct counts of columns without GROUP BY, which two
    /// threads can split by value instead of by segment (`partition`): their counts add up.
    var partitionable: Bool {
        keys.isEmpty && !calls.isEmpty && calls.allSatisfy { c in
            guard c.args.count == 1, case .column(let n, _) = c.args[0], let t = tableType(n), t != .null else { return false }
            return (c.name == "count" && c.distinct) || (c.name == "approx_distinct" && !c.distinct)
        }
    }
    /// The part of the values this aggregation counts (`index` of `count`, by their hash's top
    /// bits, which neither the table's slots nor its tags use alone); nil: all of them.
    var partition: (index: Int, count: Int)?

    /// Adds the counts of an aggregation over the other values of the same rows (`partition`).
    func mergeDisjoint(_ other: GroupedAggregation) {
        // Both saw the same segments: both chose their accumulators and made the one group, or neither did.
        guard chosen, other.chosen, keyStore.count == 1, other.keyStore.count == 1 else { return }
        for (a, b) in zip(accumulators, other.accumulators) {
            a.counts[0] += b.counts[0]
            a.distinctKept += b.distinctKept
        }
    }

    @inline(__always) static func part(_ hash: UInt64, of count: Int) -> Int { Int(hash >> 56) % count }

    /// Values kept for percentiles (every one, for an exact answer).
    private var keptSamples = 0

    /// About what the groups hold: keys, their index, each aggregate's state, the samples.
    var keptBytes: Int {
        let perGroup = 64 + keys.count * (MemoryLayout<Value>.stride + 8)
            + accumulators.reduce(0) { n, a in if case .generic = a.kind { n + 224 } else { n + 24 } }
        return groupCount * perGroup + keptSamples * MemoryLayout<Double>.stride
            + accumulators.reduce(0) { n, a in n + a.distinctKept + a.states.reduce(0) { $0 + $1.bytes } }
    }

    // MARK: group ids

    private func group(for key: [Value]) -> Int32 {
        if let g = groupIndex[key] { return g }
        let g = Int32(keyStore.count)
        groupIndex[key] = g
        keyStore.append(key)
        byteEntry.append(-1)
        grow()
        return g
    }

    /// One key: strings by their bytes (as plain columns are grouped), anything else by value.
    private func group(forSingle key: Value) -> Int32 {
        if case .string(var s) = key {
            return s.withUTF8 { b in byteGroups.group(ByteLine(base: b.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: b.count)) { _, _ in newGroup(key) } }
        }
        if let g = singleIndex[key] { return g }
        let g = newGroup(key)
        singleIndex[key] = g
        return g
    }

    private func newGroup(_ key: Value) -> Int32 {
        let g = Int32(keyStore.count)
        keyStore.append([key])
        byteEntry.append(-1)
        grow()
        return g
    }

    /// A group for a string key not seen before, whose bytes are `byteGroups`' `entry`.
    private func newByteGroup(_ entry: Int32) -> Int32 {
        let g = Int32(keyStore.count)
        keyStore.append([])
        byteEntry.append(entry)
        grow()
        return g
    }

    /// Ensures an aggregate over no rows still gives one row when there is no GROUP BY.
    func ensureOneGroup() {
        if keys.isEmpty && keyStore.isEmpty { _ = group(for: []) }
    }

    private func column(_ name: String, _ seg: Segment) -> SegmentColumn? {
        guard let k = names.firstIndex(of: name.lowercased()) else { return nil }
        return seg.columns[actualNames[k]]
    }

    /// The table's type of a column (segments may store a narrower one).
    private func tableType(_ name: String) -> ColumnType? {
        names.firstIndex(of: name.lowercased()).map { types[$0] }
    }

    private func columnsOf(_ e: Expr) -> Set<String> {
        var out: Set<String> = []
        walk(e) { if case .column(let n, _) = $0 { out.insert(n.lowercased()) } }
        return out
    }

    /// A key's value for each passing row of a segment, as a small local number (a slot) and
    /// each slot's value — found without evaluating the key per row: once per distinct value
    /// of a dictionary column, by integer arithmetic for a time bucket, by offset for a
    /// small-range integer column. nil when the key has none of those shapes here.
    private func slots(_ key: Expr, _ seg: Segment, _ rows: [Int32]) throws -> (slots: [Int32], values: [Value])? {
        let cols = columnsOf(key)
        var values: [Value] = []
        var out = [Int32](repeating: 0, count: rows.count)
        // One dictionary column: the key once per distinct value.
        if cols.count == 1, let name = cols.first, let col = column(name, seg), col.isDictionary {
            let f = try compiler.with(names: [name]).compile(key)
            let c = RowCursor()
            var table = [Int32](repeating: -1, count: col.dictionary.count + 1)
            let codes = col.allCodes()
            for (i, r) in rows.enumerated() {
                let code = codes[Int(r)]
                let slot = code == SegmentColumn.nullCode ? col.dictionary.count : Int(code)
                var g = table[slot]
                if g < 0 {
                    c.values = [slot == col.dictionary.count ? .null : .string(col.dictionary[slot])]
                    g = Int32(values.count)
                    values.append(try f(c))
                    table[slot] = g
                }
                out[i] = g
            }
            return (out, values)
        }
        // A column of the other side of a lookup join (`JoinIndex`) keyed by a column of logs:
        // each row's match found as the column is stored, then grouped by the joined column's
        // codes (made once per query), so no value is hashed per row.
        if case .call(let fn, let args, _, _, _) = key, fn == JoinIndex.function, args.count == 3,
           case .literal(.int(let slot), _) = args[0], case .literal(.int(let k), _) = args[1], k >= 0,
           case .column(let name, _) = args[2], Int(slot) < compiler.joins.count,
           let col = column(name, seg), tableType(name) == col.type {
            let index = compiler.joins[Int(slot)]
            let found = index.matches(ObjectIdentifier(seg), col, count: seg.rowCount, taking: true)
            let (codes, distinct) = index.codes(ofColumn: Int(k))
            var table = [Int32](repeating: -1, count: distinct.count + 1)  // last: no row found (NULL)
            for (i, r) in rows.enumerated() {
                let f = found[Int(r)]
                let d = f < 0 ? distinct.count : Int(codes[Int(f)])
                var g = table[d]
                if g < 0 {
                    g = Int32(values.count)
                    values.append(d == distinct.count ? .null : distinct[d])
                    table[d] = g
                }
                out[i] = g
            }
            return (out, values)
        }
        // A time bucket of a timestamp column (date_trunc to a fixed unit, date_bin by a
        // literal interval): integer arithmetic, then direct indexing by bucket.
        if let (name, width) = GroupedAggregation.timeBucket(key), let col = column(name, seg), col.type == .timestamp,
           let range = col.intRange {
            let first = Functions.floorDiv(range.lowerBound, width), last = Functions.floorDiv(range.upperBound, width)
            // (A bucket start that would overflow is left to the general path, which says so.)
            guard last &- first >= 0, last &- first < 1 << 20, !first.multipliedReportingOverflow(by: width).overflow else { return nil }
            var table = [Int32](repeating: -1, count: Int(last - first) + 1)
            let isDate = GroupedAggregation.isDay(key)
            col.ints.withUnsafeBufferPointer { ints in
                for (i, r) in rows.enumerated() {
                    let b = Functions.floorDiv(ints[Int(r)], width)
                    var g = table[Int(b - first)]
                    if g < 0 {
                        g = Int32(values.count)
                        values.append(isDate ? .date(b) : .timestamp(b * width))
                        table[Int(b - first)] = g
                    }
                    out[i] = g
                }
            }
            return (out, values)
        }
        // A small-range integer column: direct indexing by value.
        if case .column(let name, _) = key, let col = column(name, seg), col.type == .int || col.type == .bool,
           tableType(name) == col.type, let r = col.intRange, case let (span, overflow) = r.upperBound.subtractingReportingOverflow(r.lowerBound),
           !overflow, span < 65536 {
            let base = r.lowerBound
            var table = [Int32](repeating: -1, count: Int(span) + 1)
            var nullSlot: Int32 = -1
            let validity = col.validity
            col.ints.withUnsafeBufferPointer { ints in
                for (i, r) in rows.enumerated() {
                    let row = Int(r)
                    if !SegmentColumn.valid(validity, row) {
                        if nullSlot < 0 { nullSlot = Int32(values.count); values.append(.null) }
                        out[i] = nullSlot
                        continue
                    }
                    let v = ints[row]
                    var g = table[Int(v - base)]
                    if g < 0 {
                        g = Int32(values.count)
                        values.append(col.type == .bool ? .bool(v != 0) : .int(v))
                        table[Int(v - base)] = g
                    }
                    out[i] = g
                }
            }
            return (out, values)
        }
        return nil
    }

    private func groupIds(_ seg: Segment, _ rows: [Int32], _ cursor: RowCursor) throws -> [Int32] {
        if keys.isEmpty {
            let g = group(for: [])
            return [Int32](repeating: g, count: rows.count)
        }
        // Every key by slots: the groups of each combination of slots, found once.
        let perKey = try keys.map { try slots($0, seg, rows) }
        if perKey.allSatisfy({ $0 != nil }) {
            let parts = perKey.map { $0! }
            let sizes = parts.map { max(1, $0.values.count) }
            let combinations = sizes.reduce(1) { $0 > 1 << 22 ? $0 : $0 * $1 }
            if combinations <= 1 << 22 {
                var table = [Int32](repeating: -1, count: combinations)
                var out = [Int32](repeating: 0, count: rows.count)
                for i in 0..<rows.count {
                    var index = 0
                    for (k, p) in parts.enumerated() { index = index * sizes[k] + Int(p.slots[i]) }
                    var g = table[index]
                    if g < 0 {
                        g = keys.count == 1 ? group(forSingle: parts[0].values[Int(parts[0].slots[i])])
                            : group(for: parts.map { $0.values[Int($0.slots[i])] })
                        table[index] = g
                    }
                    out[i] = g
                }
                return out
            }
        }
        if keys.count == 1 {
            let key = keys[0]
            // A plain (mostly unique) string column: group by its bytes, making a String only
            // for a value not seen before.
            if case .column(let name, _) = key, let col = column(name, seg), col.type == .string, !col.offsets.isEmpty,
               col.file == nil, tableType(name) == .string {
                return byteGroups.groups(rows: rows, offsets: col.offsets, bytes: col.bytes, validity: col.validity,
                                         null: { group(forSingle: .null) }, make: { _, entry in newByteGroup(entry) })
            }
            let f = keyEvals[0]
            return try rows.map { r in
                cursor.row = Int(r)
                return group(forSingle: try f(cursor))
            }
        }
        return try rows.map { r in
            cursor.row = Int(r)
            return group(for: try keyEvals.map { try $0(cursor) })
        }
    }

    /// `CAST(c AS date)`: a time bucket whose values are dates.
    static func isDay(_ e: Expr) -> Bool {
        if case .call("date", let args, false, false, _) = e, args.count == 1 { return true }
        return false
    }

    /// `CAST(c AS date)` (a day), `date_trunc('minute', c)` or `date_bin(INTERVAL …, c)`: the column and the bucket width
    /// in nanoseconds, for units of fixed length.
    static func timeBucket(_ e: Expr) -> (String, Int64)? {
        switch e {
        case .call("date", let args, false, false, _) where args.count == 1:
            guard case .column(let c, _) = args[0] else { return nil }
            return (c, Timestamp.nanosPerDay)
        case .call("date_trunc", let args, false, false, _) where args.count == 2:
            guard case .literal(.string(let unit), _) = args[0], unit.lowercased() != "week",
                  let w = Functions.unitNanos(unit), case .column(let c, _) = args[1] else { return nil }
            return (c, w)
        case .call("date_bin", let args, false, false, _) where args.count == 2:
            guard case .interval(let w, _) = args[0], w > 0, case .column(let c, _) = args[1] else { return nil }
            return (c, w)
        default:
            return nil
        }
    }

    // MARK: aggregates

    /// New groups start empty in every accumulator.
    private func grow() {
        for (k, acc) in accumulators.enumerated() {
            switch acc.kind {
            case .count, .countIf, .distinctCount: acc.counts.append(0)
            case .sum: acc.counts.append(0); acc.ints.append(0); acc.doubles.append(0); acc.sawDouble.append(false)
            case .extreme: acc.values.append(.null)
            case .percentile: acc.samples.append([])
            case .generic: acc.states.append(AggregateState(name: calls[k].name, distinct: calls[k].distinct))
            }
        }
    }

    /// For a percentile over the same column as an earlier one (p50, p95, p99 of latency):
    /// that one's index, whose samples it reads instead of gathering its own.
    private var sharesSamples: [Int?] = []

    /// `count_if` conditions, evaluated a segment at a time.
    private lazy var predicates = SegmentFilter(names: names, actualNames: actualNames, types: types, compiler: compiler)

    /// A condition shaped as one (a comparison, IN, LIKE, IS NULL, BETWEEN, AND/OR/NOT of
    /// those): `count_if` of it counts rows by whole segments; anything else goes row by row
    /// (whose errors name `count_if`).
    static func isPredicate(_ e: Expr) -> Bool {
        switch e {
        case .binary(let op, let l, let r, _) where op == "and" || op == "or": return isPredicate(l) && isPredicate(r)
        case .binary(let op, _, _, _): return ["=", "<>", "<", "<=", ">", ">="].contains(op)
        case .unary("not", let x, _): return isPredicate(x)
        case .inList, .like, .isNull, .between: return true
        default: return false
        }
    }

    /// Picks each aggregate's accumulator once, from the first segment's column types.
    private var chosen = false

    private func choose(_ seg: Segment) throws {
        guard !chosen else { return }
        chosen = true
        for (k, call) in calls.enumerated() {
            let numericColumn: Bool = {
                guard call.args.count >= 1, case .column(let n, _) = call.args[0], let c = column(n, seg) else { return false }
                return c.type == .int || c.type == .double
            }()
            let timeColumn: Bool = {
                guard call.args.count >= 1, case .column(let n, _) = call.args[0], let c = column(n, seg) else { return false }
                return c.type == .timestamp
            }()
            let plain = !call.distinct
            let acc = accumulators[k]
            switch call.name {
            case "count" where plain && (call.star || call.args.count == 1):
                acc.kind = .count
            case "count_if" where plain && call.args.count == 1 && GroupedAggregation.isPredicate(call.args[0]):
                acc.kind = .countIf
            case "sum" where plain && numericColumn, "avg" where plain && numericColumn:
                acc.kind = .sum(average: call.name == "avg")
            case "min" where plain && (numericColumn || timeColumn), "max" where plain && (numericColumn || timeColumn):
                acc.kind = .extreme(max: call.name == "max")
            case "count" where call.distinct && call.args.count == 1, "approx_distinct" where plain && call.args.count == 1:
                // Of one column: the distinct values in typed sets, not a set of values per group.
                guard case .column(let n, _) = call.args[0], let t = tableType(n), t != .null else { acc.kind = .generic; continue }
                acc.kind = .distinctCount
            case "approx_percentile" where numericColumn:
                // A percentage that is not a literal from 0 to 1: the generic state reports it.
                guard case .literal(let pv, _) = call.args[1], let q = Arithmetic.number(pv), q >= 0, q <= 1 else { continue }
                acc.kind = .percentile(q)
            default:
                acc.kind = .generic
            }
        }
        findSharedSamples()
    }

    private func sharedOwner(_ k: Int) -> Int? { k < sharesSamples.count ? sharesSamples[k] : nil }

    private func findSharedSamples() {
        sharesSamples = calls.indices.map { k in
            guard case .percentile = accumulators[k].kind else { return nil }
            return (0..<k).first { j in
                guard case .percentile = accumulators[j].kind else { return false }
                return calls[j].args[0].canonical == calls[k].args[0].canonical
            }
        }
    }

    /// `count(*)` by one dictionary or small-range integer column over every row of a segment:
    /// count per code or value in one loop, then give each non-empty bucket to its group.
    /// Returns false when the query or the segment does not have that shape.
    private func countAllRows(_ seg: Segment, rows: [Int32]) throws -> Bool {
        guard rows.count == seg.rowCount, keys.count == 1, !calls.isEmpty,
              calls.allSatisfy({ $0.name == "count" && $0.star }), case .column(let name, _) = keys[0],
              let col = column(name, seg), tableType(name) == col.type else { return false }
        var buckets: [Int64]
        var keyOf: (Int) -> Value
        if col.isDictionary {
            buckets = [Int64](repeating: 0, count: col.dictionary.count + 1)
            let nullSlot = col.dictionary.count
            if !col.narrowCodes.isEmpty {
                col.narrowCodes.withUnsafeBufferPointer { codes in
                    buckets.withUnsafeMutableBufferPointer { b in for c in codes { b[c == 255 ? nullSlot : Int(c)] += 1 } }
                }
            } else {
                col.codes.withUnsafeBufferPointer { codes in
                    buckets.withUnsafeMutableBufferPointer { b in for c in codes { b[c == SegmentColumn.nullCode ? nullSlot : Int(c)] += 1 } }
                }
            }
            let dict = col.dictionary
            keyOf = { $0 == nullSlot ? .null : .string(dict[$0]) }
        } else if col.type == .int, let r = col.intRange, case let (span, overflow) = r.upperBound.subtractingReportingOverflow(r.lowerBound),
                  !overflow, span < 65536 {
            let base = r.lowerBound, width = Int(span) + 1
            buckets = [Int64](repeating: 0, count: width + 1)  // the last bucket: NULL
            let validity = col.validity
            col.ints.withUnsafeBufferPointer { ints in
                buckets.withUnsafeMutableBufferPointer { b in
                    if validity == nil && !col.small.isEmpty {
                        col.small.withUnsafeBufferPointer { for v in $0 { b[Int(v)] += 1 } }
                    } else if validity == nil {
                        for v in ints { b[Int(v - base)] += 1 }
                    } else {
                        for r in 0..<ints.count { b[SegmentColumn.valid(validity, r) ? Int(ints[r] - base) : width] += 1 }
                    }
                }
            }
            keyOf = { $0 == width ? .null : .int(base + Int64($0)) }
        } else {
            return false
        }
        for (slot, n) in buckets.enumerated() where n > 0 {
            let g = Int(group(forSingle: keyOf(slot)))
            for acc in accumulators { acc.counts[g] += n }
        }
        return true
    }

    /// No GROUP BY: one group, so counts and sums run straight over the rows, with no group ids.
    /// Returns false (and does nothing) when an aggregate needs the general path.
    private func addWithoutGroups(_ seg: Segment, rows: [Int32], cursor: RowCursor) throws -> Bool {
        for (k, call) in calls.enumerated() {
            switch accumulators[k].kind {
            case .count where call.star: continue
            case .sum:
                guard call.args.count == 1, case .column(let n, _) = call.args[0] else { return false }
                if let col = column(n, seg), col.type != .int && col.type != .double && col.type != .null { return false }
            default: return false
            }
        }
        let g = Int(group(for: []))
        for (k, call) in calls.enumerated() {
            let acc = accumulators[k]
            if case .count = acc.kind { acc.counts[g] += Int64(rows.count); continue }
            guard case .column(let n, _) = call.args[0], let col = column(n, seg) else { continue }
            let validity = col.validity
            var count: Int64 = 0, isum: Int64 = 0, dsum: Double = 0, sawDouble = false
            if col.type == .int {
                col.ints.withUnsafeBufferPointer { v in
                    for r in rows where SegmentColumn.valid(validity, Int(r)) {
                        let (s, o) = isum.addingReportingOverflow(v[Int(r)])
                        if o { dsum += Double(isum) + Double(v[Int(r)]); isum = 0; sawDouble = true; acc.overflowed = true } else { isum = s }
                        count += 1
                    }
                }
            } else if col.type == .double {
                col.doubles.withUnsafeBufferPointer { v in
                    for r in rows where SegmentColumn.valid(validity, Int(r)) { dsum += v[Int(r)]; count += 1 }
                }
                sawDouble = count > 0
            }
            let (s, o) = acc.ints[g].addingReportingOverflow(isum)
            if o { acc.doubles[g] += Double(acc.ints[g]) + Double(isum); acc.ints[g] = 0; acc.sawDouble[g] = true; acc.overflowed = true } else { acc.ints[g] = s }
            acc.doubles[g] += dsum
            if sawDouble { acc.sawDouble[g] = true }
            acc.counts[g] += count
        }
        return true
    }

    /// Folds one segment's passing rows into the groups.
    func add(_ seg: Segment, rows: [Int32], cursor: RowCursor) throws {
        try choose(seg)
        if try countAllRows(seg, rows: rows) { return }
        if keys.isEmpty, try addWithoutGroups(seg, rows: rows, cursor: cursor) { return }
        let gids = try groupIds(seg, rows, cursor)
        for (k, call) in calls.enumerated() {
            let col: SegmentColumn? = {
                guard call.args.count >= 1, case .column(let n, _) = call.args[0] else { return nil }
                return column(n, seg)
            }()
            let acc = accumulators[k]
            switch acc.kind {
            // Each loop works on a local array moved out of the accumulator and back: a class's
            // stored property would be checked for exclusive access on every row.
            case .count:
                var counts = acc.counts
                acc.counts = []
                defer { acc.counts = counts }
                if call.star {
                    for g in gids { counts[Int(g)] += 1 }
                } else if let col {
                    for (i, r) in rows.enumerated() where col.isValid(Int(r)) { counts[Int(gids[i])] += 1 }
                } else if call.args.count == 1, case .column = call.args[0] {
                    // A column this segment lacks: all NULL, nothing counted.
                } else {
                    let f = argEvals[k][0]
                    for (i, r) in rows.enumerated() {
                        cursor.row = Int(r)
                        if try f(cursor) != .null { counts[Int(gids[i])] += 1 }
                    }
                }
            case .countIf:
                // The condition over the whole segment at once, as a WHERE clause is.
                let passing = try predicates.truth(call.args[0], in: seg)
                var counts = acc.counts
                acc.counts = []
                defer { acc.counts = counts }
                for (i, r) in rows.enumerated() where passing.has(Int(r)) { counts[Int(gids[i])] += 1 }
            case .sum:
                guard let col else { break }
                switch col.type {
                case .int, .double:
                    var counts = acc.counts, ints = acc.ints, doubles = acc.doubles, saw = acc.sawDouble
                    acc.counts = []; acc.ints = []; acc.doubles = []; acc.sawDouble = []
                    defer { acc.counts = counts; acc.ints = ints; acc.doubles = doubles; acc.sawDouble = saw }
                    if Accumulate.sum(col, rows: rows, groups: gids, counts: &counts, ints: &ints, doubles: &doubles, sawDouble: &saw) {
                        acc.overflowed = true
                    }
                case .null:
                    break
                default:
                    throw QueryError(.type, "\(call.name)() needs numbers, not \(col.type)", at: call.at)
                }
            case .extreme(let isMax):
                guard let col, col.type != .null else { break }
                var values = acc.values
                acc.values = []
                defer { acc.values = values }
                Accumulate.extreme(col, rows: rows, groups: gids, max: isMax, values: &values)
            case .percentile:
                guard let col, sharedOwner(k) == nil else { break }
                var samples = acc.samples
                acc.samples = []
                defer { acc.samples = samples }
                let validity = col.validity, colInts = col.ints, colDoubles = col.doubles
                if col.type == .double || col.type == .int { keptSamples += rows.count }
                if col.type == .double {
                    for (i, r) in rows.enumerated() where SegmentColumn.valid(validity, Int(r)) { samples[Int(gids[i])].append(colDoubles[Int(r)]) }
                } else if col.type == .int {
                    for (i, r) in rows.enumerated() where SegmentColumn.valid(validity, Int(r)) { samples[Int(gids[i])].append(Double(colInts[Int(r)])) }
                }
            case .distinctCount:
                guard case .column(let n, _) = call.args[0], let col, col.type != .null, let type = tableType(n) else { break }
                var counts = acc.counts
                acc.counts = []
                defer { acc.counts = counts }
                try addDistinct(acc, col, type: type, rows: rows, gids: gids, counts: &counts) { i in
                    cursor.row = Int(rows[i])
                    return try self.argEvals[k][0](cursor)  // read at the table's type
                }
            case .generic:
                let fs = argEvals[k]
                for (i, r) in rows.enumerated() {
                    cursor.row = Int(r)
                    try acc.states[Int(gids[i])].add(try fs.map { try $0(cursor) }, at: call.at)
                }
            }
        }
    }

    /// Whether another aggregation over other segments of the same query can be folded into
    /// this one: every aggregate has a typed accumulator, chosen alike on both sides. A side
    /// that saw no segment has no groups and takes the other's choice.
    func readyToMerge(_ other: GroupedAggregation) -> Bool {
        if !other.chosen { return other.keyStore.isEmpty }
        if !chosen {
            guard keyStore.isEmpty else { return false }
            chosen = true
            for (a, b) in zip(accumulators, other.accumulators) { a.kind = b.kind }
            findSharedSamples()
        }
        return zip(accumulators, other.accumulators).allSatisfy { a, b in
            switch (a.kind, b.kind) {
            case (.count, .count), (.countIf, .countIf), (.sum, .sum), (.extreme, .extreme), (.percentile, .percentile): return true
            default: return false
            }
        }
    }

    /// Whether the aggregates can be merged at all (checked before scanning in parallel).
    var mergeable: Bool {
        calls.allSatisfy { c in
            !c.distinct && ["count", "count_if", "sum", "avg", "min", "max", "approx_percentile"].contains(c.name)
        }
    }

    /// Folds `other`'s groups into this one's, in `other`'s order, so that with `other` over
    /// the later segments the groups come out in the order a single scan would give.
    func merge(_ other: GroupedAggregation) {
        // First where each of `other`'s groups goes, then each aggregate in one typed loop.
        // Runs of groups made from bytes are looked up together (one table swap);
        // groups are made in `other`'s order, so ties keep their order.
        var target = [Int](repeating: 0, count: other.keyStore.count)
        var g = 0
        while g < other.keyStore.count {
            if other.byteEntry[g] >= 0 {
                var end = g
                while end < other.keyStore.count && other.byteEntry[end] >= 0 { end += 1 }
                let found = byteGroups.groups(ofEntries: other.byteEntry[g..<end], in: other.byteGroups) { _, entry in newByteGroup(entry) }
                for (k, t) in found.enumerated() { target[g + k] = Int(t) }
                g = end
            } else {
                let key = other.keyStore[g]
                target[g] = Int(keys.count == 1 ? group(forSingle: key[0]) : group(for: key))
                g += 1
            }
        }
        for (a, b) in zip(accumulators, other.accumulators) {
            switch b.kind {
            case .count, .countIf:
                a.counts.withUnsafeMutableBufferPointer { ac in
                    for (g, t) in target.enumerated() { ac[t] += b.counts[g] }
                }
            case .sum:
                if b.overflowed { a.overflowed = true }
                for (g, t) in target.enumerated() {
                    let (s, o) = a.ints[t].addingReportingOverflow(b.ints[g])
                    if o { a.doubles[t] += Double(a.ints[t]) + Double(b.ints[g]); a.ints[t] = 0; a.sawDouble[t] = true; a.overflowed = true } else { a.ints[t] = s }
                    a.doubles[t] += b.doubles[g]
                    if b.sawDouble[g] { a.sawDouble[t] = true }
                    a.counts[t] += b.counts[g]
                }
            case .extreme(let isMax):
                for (g, t) in target.enumerated() {
                    let v = b.values[g]
                    if v == .null { continue }
                    if a.values[t] == .null { a.values[t] = v; continue }
                    let c = Compare.forSort(v, a.values[t])
                    if isMax ? c > 0 : c < 0 { a.values[t] = v }
                }
            case .percentile:
                for (g, t) in target.enumerated() {
                    a.samples[t].append(contentsOf: b.samples[g])  // empty for one that shares another's
                }
            case .generic, .distinctCount:
                precondition(target.isEmpty, "readyToMerge rules out generic and distinct accumulators")
            }
        }
    }

    /// count(DISTINCT column) over one segment's rows: each (group, value) pair not seen before
    /// counts once for its group. A segment storing a narrower type than the table's (an int
    /// column of a double table column) is read value by value at the table's type (`value`).
    private func addDistinct(_ acc: Accumulator, _ col: SegmentColumn, type: ColumnType, rows: [Int32], gids: [Int32],
                             counts: inout [Int64], value: (Int) throws -> Value) throws {
        var numbers = acc.distinctNumbers
        acc.distinctNumbers = []
        defer { acc.distinctNumbers = numbers }
        var scratch: [UInt8] = []
        var kept = 0
        // Without GROUP BY every pair is of group 0: the value's bytes alone are the key.
        let prefixed = !keys.isEmpty
        let partition = partition
        func addBytes(_ g: Int32, _ p: UnsafePointer<UInt8>?, _ n: Int) {
            scratch.removeAll(keepingCapacity: true)
            if prefixed { withUnsafeBytes(of: g) { scratch.append(contentsOf: $0) } }
            if let p, n > 0 { scratch.append(contentsOf: UnsafeBufferPointer(start: p, count: n)) }
            if let partition, scratch.withUnsafeBufferPointer({
                GroupedAggregation.part(ByteKeyTable.hash($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count), of: partition.count)
            }) != partition.index { return }
            scratch.withUnsafeBufferPointer { b in
                _ = acc.distinctBytes.group(ByteLine(base: b.baseAddress!, count: b.count)) { _, _ in
                    counts[Int(g)] += 1
                    kept += b.count + 40
                    return 0
                }
            }
        }
        func addNumber(_ g: Int32, _ v: Int64) {
            if let partition, GroupedAggregation.part(UInt64(bitPattern: v) &* 0x9E37_79B9_7F4A_7C15, of: partition.count) != partition.index { return }
            if numbers.insert(GroupNumber(group: g, value: v)).inserted { counts[Int(g)] += 1; kept += 40 }
        }
        func bits(_ d: Double) -> Int64 { d == 0 ? 0 : d.isNaN ? Int64(bitPattern: Double.nan.bitPattern) : Int64(bitPattern: d.bitPattern) }
        defer { acc.distinctKept += kept }
        guard col.type == type, col.file == nil else {  // (raw lines kept in their file: read one by one)
            for i in rows.indices {
                switch try value(i) {
                case .null: continue
                case .string(var s): s.withUTF8 { addBytes(gids[i], $0.baseAddress, $0.count) }
                case .double(let d): addNumber(gids[i], bits(d))
                case .int(let v), .timestamp(let v): addNumber(gids[i], v)
                case .bool(let b): addNumber(gids[i], b ? 1 : 0)
                default: continue
                }
            }
            return
        }
        let validity = col.validity
        switch type {
        case .string where col.isDictionary:
            // Each (group, code) once per segment, then its text.
            let codes = col.allCodes()
            var seen = Set<Int64>()
            for (i, r) in rows.enumerated() {
                let code = codes[Int(r)]
                guard code != SegmentColumn.nullCode, seen.insert(Int64(gids[i]) << 32 | Int64(code)).inserted else { continue }
                var text = col.dictionary[Int(code)]
                text.withUTF8 { addBytes(gids[i], $0.baseAddress, $0.count) }
            }
        case .string where !prefixed:
            // One group: the rows' bytes straight from the column, hashed in one pass.
            _ = acc.distinctBytes.groups(rows: rows, offsets: col.offsets, bytes: col.bytes, validity: validity, partition: partition,
                                         null: { 0 }) { key, _ in
                counts[0] += 1
                kept += key.count + 40
                return 0
            }
        case .string:
            col.bytes.withUnsafeBufferPointer { b in
                col.offsets.withUnsafeBufferPointer { offs in
                    for (i, r) in rows.enumerated() where SegmentColumn.valid(validity, Int(r)) {
                        let s = Int(offs[Int(r)])
                        addBytes(gids[i], b.baseAddress.map { $0 + s }, Int(offs[Int(r) + 1]) - s)
                    }
                }
            }
        case .double:
            col.doubles.withUnsafeBufferPointer { v in
                for (i, r) in rows.enumerated() where SegmentColumn.valid(validity, Int(r)) { addNumber(gids[i], bits(v[Int(r)])) }
            }
        default:
            col.ints.withUnsafeBufferPointer { v in
                for (i, r) in rows.enumerated() where SegmentColumn.valid(validity, Int(r)) { addNumber(gids[i], v[Int(r)]) }
            }
        }
    }

    /// Folds rows of a computed relation (a subquery, a CTE) into the groups, row by row.
    func add(rows: [[Value]], cursor: RowCursor) throws {
        chosen = true  // generic accumulators only
        for row in rows {
            cursor.values = row
            let g = keys.isEmpty ? group(for: []) : keys.count == 1 ? group(forSingle: try keyEvals[0](cursor))
                : group(for: try keyEvals.map { try $0(cursor) })
            for (k, call) in calls.enumerated() {
                try accumulators[k].states[Int(g)].add(try argEvals[k].map { try $0(cursor) }, at: call.at)
            }
        }
    }

    /// Group `g`'s row — its keys, then its aggregates — written over `row` (one buffer reused
    /// from group to group, instead of an array made per group).
    func fill(_ g: Int, into row: inout [Value]) {
        row.removeAll(keepingCapacity: true)
        if byteEntry[g] >= 0 && keyStore[g].isEmpty {
            row.append(.string(byteGroups.withKey(Int(byteEntry[g])) { $0.string }))
        } else {
            row.append(contentsOf: keyStore[g])
        }
        for k in accumulators.indices { row.append(result(g, call: k)) }
    }

    /// The aggregate values of group `g`, in call order.
    func results(_ g: Int) -> [Value] {
        accumulators.indices.map { result(g, call: $0) }
    }

    /// Throws when an integer `sum` (or `avg`) passed Int64 in any group, as Trino's
    /// "bigint addition overflow": the spilled float would be a silently inexact answer.
    func checkOverflow() throws {
        for (k, acc) in accumulators.enumerated() where acc.overflowed || acc.states.contains(where: \.overflowed) {
            throw QueryError(.value, "bigint addition overflow in \(calls[k].name)(); CAST its argument AS double to add past 2^63", at: calls[k].at)
        }
    }

    /// The value of aggregate `k` for group `g`.
    func result(_ g: Int, call k: Int) -> Value {
        let acc = accumulators[k]
        switch acc.kind {
        case .count, .countIf, .distinctCount: return .int(acc.counts[g])
        case .sum(let average):
            if acc.counts[g] == 0 { return .null }
            let total = acc.doubles[g] + Double(acc.ints[g])
            if average { return .double(total / Double(acc.counts[g])) }
            return acc.sawDouble[g] ? .double(total) : .int(acc.ints[g])
        case .extreme: return acc.values[g]
        case .percentile(let p):
            let samples = accumulators[sharedOwner(k) ?? k].samples[g]
            guard !samples.isEmpty else { return .null }
            return .double(Percentile.nearestRank(samples, p))
        case .generic: return acc.states[g].result
        }
    }
}

/// The typed loops of `sum`, `min` and `max` over a column: each of `rows` adds its value to
/// its group (`groups`, in step with the rows). The engine's grouped aggregation and the
/// streaming kernel both run them.
enum Accumulate {
    /// Integers exactly (into floats past Int64), floats apart; `counts` the values added.
    /// For an `int` or `double` column. True when an integer sum passed Int64.
    static func sum(_ col: SegmentColumn, rows: [Int32], groups gids: [Int32], counts c: inout [Int64], ints s: inout [Int64],
                    doubles d: inout [Double], sawDouble saw: inout [Bool]) -> Bool {
        let validity = col.validity
        var overflowed = false
        // Every array through its buffer: no bounds or uniqueness checks per row.
        rows.withUnsafeBufferPointer { rows in
            gids.withUnsafeBufferPointer { gids in
                d.withUnsafeMutableBufferPointer { d in
                    c.withUnsafeMutableBufferPointer { c in
                        saw.withUnsafeMutableBufferPointer { saw in
                            if col.type == .int {
                                col.ints.withUnsafeBufferPointer { values in
                                    s.withUnsafeMutableBufferPointer { s in
                                        for i in 0..<rows.count where SegmentColumn.valid(validity, Int(rows[i])) {
                                            let g = Int(gids[i]), v = values[Int(rows[i])]
                                            let (total, overflow) = s[g].addingReportingOverflow(v)
                                            if overflow {
                                                d[g] += Double(s[g]) + Double(v); s[g] = 0; saw[g] = true; overflowed = true
                                            } else {
                                                s[g] = total
                                            }
                                            c[g] += 1
                                        }
                                    }
                                }
                            } else {
                                col.doubles.withUnsafeBufferPointer { values in
                                    for i in 0..<rows.count where SegmentColumn.valid(validity, Int(rows[i])) {
                                        let g = Int(gids[i])
                                        d[g] += values[Int(rows[i])]
                                        saw[g] = true
                                        c[g] += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return overflowed
    }

    /// The least or greatest value, compared as the column's type (across types as SQL sorts).
    static func extreme(_ col: SegmentColumn, rows: [Int32], groups gids: [Int32], max isMax: Bool, values: inout [Value]) {
        let validity = col.validity
        switch col.type {
        case .int, .timestamp:
            // Compared as Int64 while the group's value has the column's type.
            let colInts = col.ints, time = col.type == .timestamp
            for (i, r) in rows.enumerated() where SegmentColumn.valid(validity, Int(r)) {
                let g = Int(gids[i]), v = colInts[Int(r)]
                switch values[g] {
                case .null: values[g] = time ? .timestamp(v) : .int(v)
                case .int(let x) where !time: if isMax ? v > x : v < x { values[g] = .int(v) }
                case .timestamp(let x) where time: if isMax ? v > x : v < x { values[g] = .timestamp(v) }
                default:
                    let c = Compare.forSort(time ? .timestamp(v) : .int(v), values[g])
                    if isMax ? c > 0 : c < 0 { values[g] = time ? .timestamp(v) : .int(v) }
                }
            }
        case .double:
            let colDoubles = col.doubles
            for (i, r) in rows.enumerated() where SegmentColumn.valid(validity, Int(r)) {
                let g = Int(gids[i]), v = colDoubles[Int(r)]
                if case .double(let x) = values[g], !x.isNaN, !v.isNaN {
                    if isMax ? v > x : v < x { values[g] = .double(v) }
                } else if values[g] == .null {
                    values[g] = .double(v)
                } else {
                    let c = Compare.forSort(.double(v), values[g])
                    if isMax ? c > 0 : c < 0 { values[g] = .double(v) }
                }
            }
        default:
            for (i, r) in rows.enumerated() where col.isValid(Int(r)) {
                let g = Int(gids[i])
                let v = col.value(at: Int(r))
                if values[g] == .null { values[g] = v; continue }
                let c = Compare.forSort(v, values[g])
                if isMax ? c > 0 : c < 0 { values[g] = v }
            }
        }
    }
}

/// Percentiles by nearest rank, found by selection (average linear time) rather than a sort.
enum Percentile {
    static func nearestRank(_ values: [Double], _ p: Double) -> Double {
        var a = values.filter { !$0.isNaN }
        guard !a.isEmpty else { return .nan }
        let k = max(0, min(a.count - 1, Int((p * Double(a.count)).rounded(.up)) - 1))
        var lo = 0, hi = a.count - 1
        var rng = SplitMix64(seed: UInt64(a.count))
        a.withUnsafeMutableBufferPointer { a in
            while lo < hi {
                a.swapAt(lo + Int(rng.next() % UInt64(hi - lo + 1)), hi)
                let pivot = a[hi]
                var store = lo
                for i in lo..<hi where a[i] < pivot { a.swapAt(i, store); store += 1 }
                a.swapAt(store, hi)
                if store == k { return }
                if store < k { lo = store + 1 } else { hi = store - 1 }
            }
        }
        return a[k]
    }
}

/// Group ids of string keys looked up by their bytes (hashed 8 bytes at a time, open addressing), so that a
/// row of a plain string column costs a hash and a compare, not a `String` and its hashing.
/// A batch of rows runs against a local copy of the table (no exclusivity checks per row).
final class ByteKeyedGroups {
    private typealias Table = ByteKeyTable

    private var table = Table()
    /// Scratch for `groups`: the hash of each row, reused from segment to segment.
    private var hashes: [UInt64] = []

    /// The group of one key; `make` gives the group for a key not seen before.
    func group(_ key: ByteLine, make: (ByteLine, Int32) -> Int32) -> Int32 {
        var t = table
        table = Table(slots: [], entries: [], arena: [])  // t stays uniquely referenced
        defer { table = t }
        return t.group(key.base, key.count, make: make)
    }

    /// The groups of `other`'s keys numbered `entries`.
    func groups(ofEntries entries: ArraySlice<Int32>, in other: ByteKeyedGroups, make: (ByteLine, Int32) -> Int32) -> [Int32] {
        precondition(other !== self)
        var t = table
        table = Table(slots: [], entries: [], arena: [])
        defer { table = t }
        let source = other.table
        return source.arena.withUnsafeBufferPointer { a in
            let base = a.baseAddress ?? UnsafePointer(bitPattern: 1)!
            return entries.map { e in
                let entry = source.entries[Int(e)]
                return t.group(base + Int(entry.start), Int(entry.count), hash: ByteKeyTable.hash(base + Int(entry.start), Int(entry.count)), make: make)
            }
        }
    }

    /// The bytes of the `entry`-th key, for the length of `body`.
    func withKey<R>(_ entry: Int, _ body: (ByteLine) -> R) -> R {
        let e = table.entries[entry]
        return table.arena.withUnsafeBufferPointer { a in
            body(ByteLine(base: (a.baseAddress ?? UnsafePointer(bitPattern: 1)!) + Int(e.start), count: Int(e.count)))
        }
    }

    /// The groups of `rows` of a plain string column; a NULL row gets `null()`.
    /// With a `partition`, only keys of that part are looked up (the others get -1).
    func groups(rows: [Int32], offsets: [UInt32], bytes: [UInt8], validity: [UInt64]?, partition: (index: Int, count: Int)? = nil,
                null: () -> Int32, make: (ByteLine, Int32) -> Int32) -> [Int32] {
        var t = table
        table = Table(slots: [], entries: [], arena: [])
        defer { table = t }
        var out = [Int32](repeating: 0, count: rows.count)
        // Two passes: first every row's hash (independent loads of scattered offsets and
        // bytes, which the processor overlaps), then the table lookups.
        if hashes.count < rows.count { hashes = [UInt64](repeating: 0, count: rows.count) }
        bytes.withUnsafeBufferPointer { b in
            let base = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
            offsets.withUnsafeBufferPointer { offs in
                hashes.withUnsafeMutableBufferPointer { hs in
                    for (k, r) in rows.enumerated() {
                        let s = Int(offs[Int(r)])
                        hs[k] = Table.hash(base + s, Int(offs[Int(r) + 1]) - s)
                    }
                }
                for (k, r) in rows.enumerated() {
                    let row = Int(r)
                    guard SegmentColumn.valid(validity, row) else { out[k] = null(); continue }
                    if let partition, GroupedAggregation.part(hashes[k], of: partition.count) != partition.index { out[k] = -1; continue }
                    let s = Int(offs[row])
                    out[k] = t.group(base + s, Int(offs[row + 1]) - s, hash: hashes[k], make: make)
                }
            }
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#endif
