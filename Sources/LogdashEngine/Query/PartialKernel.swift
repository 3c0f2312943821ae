/// A streaming query's partial query run straight over a batch's segments, for its common
/// shape: tumbling windows (or a hopping window's one-slide panes) or sessions of a time
/// column, other keys that are columns, and `count(*)`, `count(c)`, `count_if(p)`, `sum(c)`, `min(c)`,
/// `max(c)` of columns. It gives the rows the engine would give for the partial SELECT — the
/// same groups in the same order (first seen, in row order), the same values — without
/// planning a query per batch or evaluating anything row by row: the filter and `count_if`
/// conditions are evaluated a segment at once (`SegmentFilter`), a row's window is integer
/// arithmetic (redone only when its time leaves the previous row's window), a key column's
/// dictionary codes map to key ids once per segment, and the aggregates run in typed loops.
///
/// Anything outside that shape, or data it does not expect (a key or value column of another
/// type, a column the store lacks), is left to the engine: `run` returns nil.
struct PartialKernel: Sendable {
    /// An aggregate of the partial query; `where`: of a column's values where a condition
    /// holds (`sum(CASE WHEN c THEN x END)`, as an alarm's WHERE pushed into its aggregates).
    enum Part {
        case countAll
        case count(String, where: Expr?)
        case countIf(Expr)
        case sum(String, where: Expr?)
        case extreme(String, max: Bool, where: Expr?)

        var condition: Expr? {
            switch self {
            case .count(_, let c), .sum(_, let c), .extreme(_, _, let c): c
            case .countAll, .countIf: nil
            }
        }
    }

    let time: String
    /// The width of the windows the partial query groups by (a hopping window's slide), or
    /// the gap of sessions.
    let width: Int64
    let sessions: Bool
    let keys: [String]
    let parts: [Part]
    let filter: Expr?

    /// The kernel for a partial query of this shape, or nil.
    init?(window: GroupWindow, panes: Bool, keys: [Expr], parts: [Expr], filter: Expr?) {
        guard window.kind != .hop || panes, case .column(let t, _) = window.time else { return nil }
        time = t
        width = window.kind == .hop ? window.slide : window.size
        sessions = window.kind == .session
        var names: [String] = []
        for k in keys {
            guard case .column(let n, _) = k else { return nil }
            names.append(n)
        }
        self.keys = names
        var out: [Part] = []
        // A column, or a column where a condition holds (`CASE WHEN c THEN x END`).
        func column(_ e: Expr?) -> (String, Expr?)? {
            switch e {
            case .column(let c, _)?: return (c, nil)
            case .caseWhen(nil, let whens, let otherwise, _)? where whens.count == 1:
                guard case .column(let c, _) = whens[0].1 else { return nil }
                if let otherwise, case .literal(.null, _) = otherwise {} else if otherwise != nil { return nil }
                return (c, whens[0].0)
            default: return nil
            }
        }
        for p in parts {
            guard case .call(let called, let args, false, let star, _) = p else { return nil }
            let name = called.lowercased()
            if name == "count", args.isEmpty, star { out.append(.countAll); continue }
            if name == "count_if", args.count == 1 { out.append(.countIf(args[0])); continue }
            guard args.count == 1, let (c, condition) = column(args.first) else { return nil }
            switch name {
            case "count": out.append(.count(c, where: condition))
            case "sum": out.append(.sum(c, where: condition))
            case "min": out.append(.extreme(c, max: false, where: condition))
            case "max": out.append(.extreme(c, max: true, where: condition))
            default: return nil
            }
        }
        self.parts = out
        self.filter = filter
    }

    /// Whether the filter or a condition reads the clock (`now()`): its results depend on
    /// when the kernel runs.
    var readsTheClock: Bool {
        var reads = false
        let conditions = [filter] + parts.map { part -> Expr? in
            if case .countIf(let e) = part { return e }
            return part.condition
        }
        for case let e? in conditions {
            walk(e) { if case .call(let f, _, _, _, _) = $0, ["now", "current_timestamp"].contains(f.lowercased()) { reads = true } }
        }
        return reads
    }

    /// A column of the store's schema by the name a query uses (case-insensitive).
    private static func actual(_ name: String, _ schema: [SchemaColumn]) -> String? {
        let lower = name.lowercased()
        return (schema.first { $0.name == name } ?? schema.first { $0.name.lowercased() == lower })?.name
    }

    /// The partial rows for `segments` — keys, window start and end, parts, the record count
    /// and newest time of each group — or nil when the engine must run the query.
    /// `expected`: about how many groups the batch makes (the last batch's count, say), so
    /// that their index is made that large at once.
    func run(_ segments: [Segment], schema: [SchemaColumn], logsFilter: Expr?, now: Int64, expected: Int = 0) -> Groups? {
        // Fields whose names differ only in case: the engine binds each name to its column.
        if QueryEngine.columnKeys(schema.map(\.name)).contains(where: { $0.contains("\u{3}") }) { return nil }
        guard let timeName = Self.actual(time, schema) else { return nil }
        var keyNames: [String] = [], keyTypes: [ColumnType] = []
        for k in keys {
            guard let n = Self.actual(k, schema) else { return nil }
            keyNames.append(n)
            keyTypes.append(schema.first { $0.name == n }!.type)
        }
        var valueNames: [String?] = [], valueTypes: [ColumnType?] = []
        for p in parts {
            switch p {
            case .count(let c, _), .sum(let c, _), .extreme(let c, _, _):
                guard let n = Self.actual(c, schema) else { return nil }
                valueNames.append(n)
                valueTypes.append(schema.first { $0.name == n }!.type)
            case .countAll, .countIf:
                valueNames.append(nil)
                valueTypes.append(nil)
            }
        }
        let names = schema.map { $0.name.lowercased() }
        let predicates = SegmentFilter(names: names, actualNames: schema.map(\.name), types: schema.map(\.type),
                                       compiler: ExprCompiler(names: names, now: now))
        let condition: Expr? = switch (filter, logsFilter) {
        case (let f?, let l?): .binary("and", f, l, at: f.position)
        case (let f?, nil): f
        case (nil, let l?): l
        case (nil, nil): nil
        }
        var groups = Groups(keyCount: keys.count, parts: parts, expected: expected)
        // Each segment's rows that pass (with a time), and their keys.
        var scans: [Scan] = []
        for seg in segments where seg.rowCount > 0 {
            let columns = seg.columns
            guard let tc = columns[timeName] else { continue }  // no time column: no windows
            if tc.type == .null { continue }
            guard tc.type == .timestamp else { return nil }
            var rows: [Int32]
            do {
                rows = try condition.map { try predicates.rows($0, in: seg) } ?? Self.everyRow(seg.rowCount)
            } catch {
                return nil  // the engine reports it
            }
            if tc.validity != nil { rows = rows.filter { tc.isValid(Int($0)) } }
            guard !rows.isEmpty else { continue }
            var keySlots: [(slots: [Int32], ids: [Int32])] = []
            for (k, name) in keyNames.enumerated() {
                guard let s = groups.slots(key: k, column: columns[name], as: keyTypes[k], rows: rows) else { return nil }
                keySlots.append(s)
            }
            scans.append(Scan(segment: seg, rows: rows, everyRow: rows.count == seg.rowCount, times: tc.ints, keys: keySlots))
        }
        // Each row's group: by window, one segment at a time; by session, over the whole batch.
        let gids = sessions ? groups.assignSessions(scans, gap: width)
            : scans.map { groups.assign(rows: $0.rows, times: $0.times, range: $0.everyRow ? $0.segment.columns[timeName]?.intRange : nil,
                                        width: width, keys: $0.keys) }
        for (scan, gids) in zip(scans, gids) {
            let seg = scan.segment, columns = seg.columns
            // Conditions (of count_if, and of parts where a condition holds) once per segment each.
            var truths: [String: RowBits] = [:], subsets: [String: ([Int32], [Int32])] = [:]
            func truth(_ e: Expr) -> RowBits? {
                if let t = truths[e.canonical] { return t }
                let t = try? predicates.truth(e, in: seg)
                truths[e.canonical] = t
                return t
            }
            for (k, part) in parts.enumerated() {
                let col = valueNames[k].flatMap { columns[$0] }
                // The engine aggregates sessions over rows read as the table's types: a segment
                // whose column is narrower (integers in a column of floats) is left to it.
                if sessions, let col, col.type != .null, col.type != valueTypes[k] { return nil }
                var rows = scan.rows, gids = gids
                if let condition = part.condition, col != nil {
                    // Only the rows where the condition holds (once per condition in a segment).
                    if let subset = subsets[condition.canonical] {
                        (rows, gids) = subset
                    } else {
                        guard let passing = truth(condition) else { return nil }
                        (rows, gids) = Self.subset(rows, gids, passing, everyRow: scan.everyRow)
                        subsets[condition.canonical] = (rows, gids)
                    }
                }
                switch part {
                case .countAll:
                    break  // the group's record count
                case .count:
                    guard let col, col.type != .null else { continue }  // a column this segment lacks: all NULL
                    if col.type == .string {
                        // Text marks NULL in its codes, not in a validity bitmap.
                        var valid = RowBits(rows: seg.rowCount, all: false)
                        for r in rows where col.isValid(Int(r)) { valid.set(Int(r)) }
                        groups.count(k, gids, rows: rows, where: valid.words)
                    } else {
                        groups.count(k, gids, rows: rows, where: col.validity)
                    }
                case .countIf(let e):
                    guard let passing = truth(e) else { return nil }
                    groups.count(k, gids, rows: rows, where: passing.words, everyRow: scan.everyRow)
                case .sum:
                    guard let col, col.type != .null else { continue }
                    guard col.type == .int || col.type == .double else { return nil }
                    groups.sum(k, gids, rows: rows, col)
                case .extreme(_, let isMax, _):
                    guard let col, col.type != .null else { continue }
                    guard [.int, .double, .timestamp].contains(col.type) else { return nil }
                    groups.extreme(k, gids, rows: rows, col, max: isMax)
                }
            }
        }
        return groups
    }

    /// The rows (and their groups) where `passing` is set. `everyRow`: `rows` are all the
    /// segment's, in order — then only the set bits are visited (few rows meet most conditions).
    static func subset(_ rows: [Int32], _ gids: [Int32], _ passing: RowBits, everyRow: Bool) -> ([Int32], [Int32]) {
        let n = rows.count
        var outRows = [Int32](), outGids = [Int32]()
        outRows.reserveCapacity(n)
        outGids.reserveCapacity(n)
        passing.words.withUnsafeBufferPointer { w in
            rows.withUnsafeBufferPointer { rows in
                gids.withUnsafeBufferPointer { gids in
                    if everyRow {
                        for i in 0..<w.count {
                            var word = w[i]
                            while word != 0 {
                                let r = i << 6 | word.trailingZeroBitCount
                                guard r < n else { break }
                                outRows.append(Int32(truncatingIfNeeded: r))
                                outGids.append(gids[r])
                                word &= word &- 1
                            }
                        }
                    } else {
                        for i in 0..<n {
                            let r = Int(rows[i])
                            if (w[r >> 6] >> UInt64(r & 63)) & 1 != 0 {
                                outRows.append(rows[i])
                                outGids.append(gids[i])
                            }
                        }
                    }
                }
            }
        }
        return (outRows, outGids)
    }

    /// 0, 1, …, n − 1 (a plain loop: `Array(0..<n)` copies through a range's iterator).
    static func everyRow(_ n: Int) -> [Int32] {
        [Int32](unsafeUninitializedCapacity: n) { buffer, count in
            for i in 0..<n { buffer[i] = Int32(truncatingIfNeeded: i) }
            count = n
        }
    }

    /// A segment's passing rows, their times, and their keys (see `Groups.slots`).
    fileprivate struct Scan {
        let segment: Segment
        let rows: [Int32]
        /// Whether every row of the segment passed (then the time column's range is the rows').
        let everyRow: Bool
        let times: [Int64]
        let keys: [(slots: [Int32], ids: [Int32])]
    }

    /// The batch's groups — (keys, window) in the order first seen — and their accumulators.
    struct Groups {
        let keyCount: Int
        let parts: [Part]
        var keys: KeyIds
        /// Per group: its key ids (`keyCount` a group), window start, record count, newest time.
        var groupKeys: [Int32] = []
        var starts: [Int64] = []
        var ends: [Int64] = []
        var records: [Int64] = []
        var newest: [Int64] = []
        var index: GroupIndex
        /// Per part, per group: a count (counts, and a sum's non-NULL values), an integer sum,
        /// a float sum and whether one was seen, an extreme.
        var counts: [[Int64]]
        var ints: [[Int64]]
        var doubles: [[Double]]
        var sawDouble: [[Bool]]
        /// An extreme is held typed — an integer (`ints`; `counts` 1 once there is one) and a
        /// float (`doubles`, `sawDouble`) — and as a value where neither fits (a NaN; times
        /// beside integers), the three compared when the part is read.
        var extremes: [[Value]]
        /// Per part: whether its integer extreme is a time (nil until a segment says).
        var extremeIsTime: [Bool?]

        init(keyCount: Int, parts: [Part], expected: Int = 0) {
            self.keyCount = keyCount
            self.parts = parts
            index = GroupIndex(capacity: expected)
            keys = KeyIds(keyCount)
            counts = Array(repeating: [], count: parts.count)
            ints = counts
            doubles = Array(repeating: [], count: parts.count)
            sawDouble = Array(repeating: [], count: parts.count)
            extremes = Array(repeating: [], count: parts.count)
            extremeIsTime = Array(repeating: nil, count: parts.count)
        }

        /// The id of key `k`'s value `v`, read as the table's type `type` (as the engine reads a
        /// segment's column of a narrower type).
        mutating func id(key k: Int, _ value: Value, as type: ColumnType? = nil) -> Int32 {
            keys.id(k, type.map { RowCursor.widened(value, to: $0) } ?? value)
        }

        /// Key `k` for each row as a slot local to the segment (`slots`), and each slot's key id
        /// (`ids`): a dictionary column's codes through a table made once per segment, a
        /// small-range integer column's values likewise; nil for columns of other types.
        mutating func slots(key k: Int, column col: SegmentColumn?, as tableType: ColumnType, rows: [Int32]) -> (slots: [Int32], ids: [Int32])? {
            guard let col, col.type != .null else {
                return ([Int32](repeating: 0, count: rows.count), [self.id(key: k, .null)])
            }
            let widen: ColumnType? = col.type == tableType ? nil : tableType
            func id(key k: Int, _ v: Value) -> Int32 { self.id(key: k, v, as: widen) }
            var ids: [Int32] = []
            var out = [Int32](repeating: 0, count: rows.count)
            if col.isDictionary {
                let nullSlot = col.dictionary.count
                var table = [Int32](repeating: -1, count: nullSlot + 1)
                // The codes as stored (one byte, or four), NULL as `null`.
                func fill<Code: FixedWidthInteger>(_ codes: UnsafeBufferPointer<Code>, null: Code) {
                    rows.withUnsafeBufferPointer { rows in
                        out.withUnsafeMutableBufferPointer { out in
                            for i in 0..<rows.count {
                                let code = codes[Int(rows[i])]
                                let slot = code == null ? nullSlot : Int(code)
                                var local = table[slot]
                                if local < 0 {
                                    local = Int32(ids.count)
                                    ids.append(id(key: k, slot == nullSlot ? .null : .string(col.dictionary[slot])))
                                    table[slot] = local
                                }
                                out[i] = local
                            }
                        }
                    }
                }
                if !col.narrowCodes.isEmpty {
                    col.narrowCodes.withUnsafeBufferPointer { fill($0, null: 255) }
                } else {
                    col.codes.withUnsafeBufferPointer { fill($0, null: SegmentColumn.nullCode) }
                }
                return (out, ids)
            }
            guard col.type == .int || col.type == .bool else { return nil }
            let validity = col.validity, values = col.ints, bool = col.type == .bool
            var nullSlot: Int32 = -1
            if let r = col.intRange, case let (span, overflow) = r.upperBound.subtractingReportingOverflow(r.lowerBound), !overflow, span < 65536 {
                let base = r.lowerBound
                var table = [Int32](repeating: -1, count: Int(span) + 1)
                for (i, r) in rows.enumerated() {
                    guard SegmentColumn.valid(validity, Int(r)) else {
                        if nullSlot < 0 { nullSlot = Int32(ids.count); ids.append(id(key: k, .null)) }
                        out[i] = nullSlot
                        continue
                    }
                    let v = values[Int(r)]
                    var local = table[Int(v - base)]
                    if local < 0 {
                        local = Int32(ids.count)
                        ids.append(id(key: k, bool ? .bool(v != 0) : .int(v)))
                        table[Int(v - base)] = local
                    }
                    out[i] = local
                }
                return (out, ids)
            }
            var seen: [Value: Int32] = [:]
            for (i, r) in rows.enumerated() {
                let v = SegmentColumn.valid(validity, Int(r)) ? (bool ? Value.bool(values[Int(r)] != 0) : .int(values[Int(r)])) : .null
                if let local = seen[v] { out[i] = local; continue }
                let local = Int32(ids.count)
                ids.append(id(key: k, v))
                seen[v] = local
                out[i] = local
            }
            return (out, ids)
        }

        /// The group of (window start, key ids), made if not seen before.
        private mutating func group(start: Int64, end: Int64, keyIds: [Int32]) -> Int32 {
            let hash = GroupIndex.hash(start: start, ids: keyIds), n = keyCount
            let found = index.find(hash) { g in
                guard starts[Int(g)] == start else { return false }
                for k in 0..<n where groupKeys[Int(g) * n + k] != keyIds[k] { return false }
                return true
            }
            if let found { return found }
            let g = Int32(starts.count)
            index.insert(g, hash: hash)
            groupKeys.append(contentsOf: keyIds)
            starts.append(start)
            ends.append(end)
            records.append(0)
            newest.append(.min)
            for k in parts.indices {
                switch parts[k] {
                case .countAll: break
                case .count, .countIf: counts[k].append(0)
                case .sum: counts[k].append(0); ints[k].append(0); doubles[k].append(0); sawDouble[k].append(false)
                case .extreme: counts[k].append(0); ints[k].append(0); doubles[k].append(0); sawDouble[k].append(false); extremes[k].append(.null)
                }
            }
            return g
        }

        /// Each row's group, counting the row and its time there. A row's window is integer
        /// arithmetic, redone only when its time leaves the previous row's window; (window, key
        /// slots) index a table made for the segment, so that groups are looked up by value
        /// once per combination.
        mutating func assign(rows: [Int32], times: [Int64], range: ClosedRange<Int64>?, width: Int64,
                             keys: [(slots: [Int32], ids: [Int32])]) -> [Int32] {
            // The rows' time range: the column's when every row passed, else found.
            var least = range?.lowerBound ?? .max, most = range?.upperBound ?? .min
            if range == nil {
                times.withUnsafeBufferPointer { t in
                    for r in rows { least = min(least, t[Int(r)]); most = max(most, t[Int(r)]) }
                }
            }
            let first = Functions.floorDiv(least, width), last = Functions.floorDiv(most, width)
            let sizes = keys.map { max(1, $0.ids.count) }
            var out = [Int32](repeating: 0, count: rows.count)
            var combinations = last &- first &+ 1  // (wraps below 1 for a span past Int64: no table)
            for n in sizes where combinations <= 1 << 22 { combinations *= Int64(n) }
            guard combinations >= 1, combinations <= 1 << 22 else {
                for (i, r) in rows.enumerated() {
                    let t = times[Int(r)]
                    let g = group(start: Functions.floorDiv(t, width) * width, end: Functions.floorDiv(t, width) * width + width, keyIds: keys.map { $0.ids[Int($0.slots[i])] })
                    out[i] = g
                    records[Int(g)] += 1
                    newest[Int(g)] = max(newest[Int(g)], t)
                }
                return out
            }
            // Each row's keys as one slot (row-major over the keys); a pane's slots follow each other.
            let combos = sizes.reduce(1, *)
            var combined = keys.count == 1 ? keys[0].slots : [Int32](repeating: 0, count: keys.isEmpty ? 0 : rows.count)
            if keys.count > 1 {
                combined.withUnsafeMutableBufferPointer { c in
                    for k in keys.indices {
                        keys[k].slots.withUnsafeBufferPointer { s in
                            for i in 0..<rows.count { c[i] = c[i] * Int32(sizes[k]) + s[i] }
                        }
                    }
                }
            }
            var table = [Int32](repeating: -1, count: Int(combinations))
            var scan = Scanner(width: width, first: first, combos: combos)
            while scan.i < rows.count {
                // Rows whose groups are known: counted in place, without growing anything.
                let made: Int? = times.withUnsafeBufferPointer { t in
                    table.withUnsafeMutableBufferPointer { table in
                        out.withUnsafeMutableBufferPointer { out in
                            records.withUnsafeMutableBufferPointer { records in
                                newest.withUnsafeMutableBufferPointer { newest in
                                    combined.withUnsafeBufferPointer { c in
                                        rows.withUnsafeBufferPointer { rows in
                                            scan.run(rows: rows, times: t, keys: c, table: table, out: out, records: records, newest: newest)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                guard let made else { break }
                // A new combination: its group found or made, then the rows go on.
                let row = scan.i
                table[made] = group(start: scan.lo, end: scan.hi, keyIds: keys.map { $0.ids[Int($0.slots[row])] })
            }
            return out
        }

        /// Where `assign` is in a segment's rows, and the window of the last row's time.
        struct Scanner {
            let width: Int64, first: Int64, combos: Int
            var i = 0
            var lo = Int64.max, hi = Int64.min
            /// The table's index of the window's first slot.
            var pane = 0

            init(width: Int64, first: Int64, combos: Int) {
                self.width = width
                self.first = first
                self.combos = combos
            }

            /// Assigns rows from `i` on until one whose (window, keys) has no group yet: the
            /// table's index for it, or nil at the end. Without keys, a window's rows are counted
            /// in registers; with keys, straight into their group's (they interleave).
            mutating func run(rows: UnsafeBufferPointer<Int32>, times: UnsafeBufferPointer<Int64>, keys: UnsafeBufferPointer<Int32>,
                              table: UnsafeMutableBufferPointer<Int32>, out: UnsafeMutableBufferPointer<Int32>,
                              records: UnsafeMutableBufferPointer<Int64>, newest: UnsafeMutableBufferPointer<Int64>) -> Int? {
                var i = self.i, lo = self.lo, hi = self.hi, pane = self.pane
                defer { self.i = i; self.lo = lo; self.hi = hi; self.pane = pane }
                let keyed = !keys.isEmpty
                var run: Int32 = -1, count: Int64 = 0, latest = Int64.min
                func flush() {
                    guard run >= 0 else { return }
                    records[Int(run)] += count
                    newest[Int(run)] = max(newest[Int(run)], latest)
                }
                defer { flush() }
                while i < rows.count {
                    let time = times[Int(rows[i])]
                    if time < lo || time >= hi {
                        let p = Functions.floorDiv(time, width)
                        lo = p * width
                        hi = lo + width
                        pane = Int(p - first) * combos
                    }
                    let index = keyed ? pane + Int(keys[i]) : pane
                    let g = table[index]
                    if g < 0 { return index }
                    out[i] = g
                    if keyed {
                        records[Int(g)] += 1
                        if time > newest[Int(g)] { newest[Int(g)] = time }
                    } else {
                        if g != run {
                            flush()
                            run = g
                            count = 0
                            latest = .min
                        }
                        count += 1
                        if time > latest { latest = time }
                    }
                    i += 1
                }
                return nil
            }
        }

        /// Counts each row whose bit is set in `bits` (nil: every row) in its group. `everyRow`:
        /// `rows` are all the segment's, in order — then only the set bits are visited (a
        /// condition few rows meet costs little).
        mutating func count(_ k: Int, _ gids: [Int32], rows: [Int32], where bits: [UInt64]?, everyRow: Bool = false) {
            counts[k].withUnsafeMutableBufferPointer { c in
                gids.withUnsafeBufferPointer { gids in
                    guard let bits else {
                        for g in gids { c[Int(g)] &+= 1 }
                        return
                    }
                    if everyRow {
                        bits.withUnsafeBufferPointer { w in
                            for i in 0..<w.count {
                                var word = w[i]
                                while word != 0 {
                                    let r = i << 6 | word.trailingZeroBitCount
                                    guard r < gids.count else { break }
                                    c[Int(gids[r])] &+= 1
                                    word &= word &- 1
                                }
                            }
                        }
                        return
                    }
                    bits.withUnsafeBufferPointer { w in
                        rows.withUnsafeBufferPointer { rows in
                            for i in 0..<rows.count {
                                let r = Int(rows[i])
                                c[Int(gids[i])] &+= Int64(truncatingIfNeeded: (w[r >> 6] >> UInt64(r & 63)) & 1)
                            }
                        }
                    }
                }
            }
        }

        /// As the engine's `sum` (`Accumulate.sum`).
        mutating func sum(_ k: Int, _ gids: [Int32], rows: [Int32], _ col: SegmentColumn) {
            var c = counts[k], s = ints[k], d = doubles[k], saw = sawDouble[k]
            counts[k] = []; ints[k] = []; doubles[k] = []; sawDouble[k] = []
            defer { counts[k] = c; ints[k] = s; doubles[k] = d; sawDouble[k] = saw }
            // An overflowing sum spills to a float here; the streaming result is not an error.
            _ = Accumulate.sum(col, rows: rows, groups: gids, counts: &c, ints: &s, doubles: &d, sawDouble: &saw)
        }

        /// As the engine's `min` and `max` (`Accumulate.extreme`).
        mutating func extreme(_ k: Int, _ gids: [Int32], rows: [Int32], _ col: SegmentColumn, max isMax: Bool) {
            var values = extremes[k], seen = counts[k], best = ints[k], saw = sawDouble[k], bestDouble = doubles[k]
            extremes[k] = []; counts[k] = []; ints[k] = []; sawDouble[k] = []; doubles[k] = []
            defer { extremes[k] = values; counts[k] = seen; ints[k] = best; sawDouble[k] = saw; doubles[k] = bestDouble }
            let validity = col.validity
            let time = col.type == .timestamp
            switch col.type {
            case .int, .timestamp:
                guard (extremeIsTime[k] ?? time) == time else {
                    Accumulate.extreme(col, rows: rows, groups: gids, max: isMax, values: &values)
                    return
                }
                extremeIsTime[k] = time
                Self.extremes(col.ints, rows: rows, gids: gids, validity: validity, max: isMax, best: &best, seen: &seen, mark: 1) { $0 != 0 }
            case .double:
                var odd: [Int32] = [], oddGroups: [Int32] = []  // NaNs: compared as the engine sorts them
                Self.extremes(col.doubles, rows: rows, gids: gids, validity: validity, max: isMax, best: &bestDouble, seen: &saw, mark: true, { $0 }) { r, g, x in
                    guard x.isNaN else { return false }
                    odd.append(r)
                    oddGroups.append(g)
                    return true
                }
                if !odd.isEmpty { Accumulate.extreme(col, rows: odd, groups: oddGroups, max: isMax, values: &values) }
            default:
                Accumulate.extreme(col, rows: rows, groups: gids, max: isMax, values: &values)
            }
        }

        /// Each group's least or greatest value of the rows' in a typed column (`best`, once
        /// `seen` holds `mark`); a value `aside` takes (a float's NaN) is left to it.
        @inline(__always)
        private static func extremes<T: Comparable, Seen>(_ column: [T], rows: [Int32], gids: [Int32], validity: [UInt64]?, max isMax: Bool,
                                                          best: inout [T], seen: inout [Seen], mark: Seen, _ isSeen: (Seen) -> Bool,
                                                          aside: (_ row: Int32, _ group: Int32, _ value: T) -> Bool = { _, _, _ in false }) {
            column.withUnsafeBufferPointer { v in
                seen.withUnsafeMutableBufferPointer { seen in
                    best.withUnsafeMutableBufferPointer { best in
                        rows.withUnsafeBufferPointer { rows in
                            gids.withUnsafeBufferPointer { gids in
                                for i in 0..<rows.count where SegmentColumn.valid(validity, Int(rows[i])) {
                                    let g = Int(gids[i]), x = v[Int(rows[i])]
                                    if aside(rows[i], gids[i], x) { continue }
                                    if !isSeen(seen[g]) || (isMax ? x > best[g] : x < best[g]) { best[g] = x; seen[g] = mark }
                                }
                            }
                        }
                    }
                }
            }
        }

        /// Each row's group by session, over the batch's segments at once (`GroupWindow.sessions`:
        /// a key's times less than `gap` apart share one), the groups made in the engine's
        /// order: keys as first seen, then each key's rows in order. Counts the rows and their times.
        fileprivate mutating func assignSessions(_ scans: [Scan], gap: Int64) -> [[Int32]] {
            // A key combination's index, per row: through a table per segment, by value once per combination.
            var combos: [[Int32]: Int32] = [:]
            var members: [[(scan: Int32, at: Int32)]] = []
            var comboIds: [[Int32]] = []
            for (n, scan) in scans.enumerated() {
                let sizes = scan.keys.map { max(1, $0.ids.count) }
                var local: [Int: Int32] = [:]
                for i in 0..<scan.rows.count {
                    var index = 0
                    for k in 0..<keyCount { index = index * sizes[k] + Int(scan.keys[k].slots[i]) }
                    var c = local[index] ?? -1
                    if c < 0 {
                        let ids = scan.keys.map { $0.ids[Int($0.slots[i])] }
                        if let found = combos[ids] {
                            c = found
                        } else {
                            c = Int32(members.count)
                            combos[ids] = c
                            members.append([])
                            comboIds.append(ids)
                        }
                        local[index] = c
                    }
                    members[Int(c)].append((Int32(n), Int32(i)))
                }
            }
            var out = scans.map { [Int32](repeating: 0, count: $0.rows.count) }
            let window = GroupWindow(kind: .session, time: .literal(.null, at: 0), size: gap, slide: gap, position: 0)
            for (c, list) in members.enumerated() {
                let times = list.map { scans[Int($0.scan)].times[Int(scans[Int($0.scan)].rows[Int($0.at)])] }
                for (m, (start, end)) in window.sessions(times).enumerated() {
                    let g = Int(group(start: start, end: end, keyIds: comboIds[c]))
                    out[Int(list[m].scan)][Int(list[m].at)] = Int32(g)
                    records[g] += 1
                    newest[g] = max(newest[g], times[m])
                }
            }
            return out
        }

        var count: Int { starts.count }

        /// Group `g`'s part `k`, as the engine's partial query gives it.
        func part(_ k: Int, _ g: Int) -> Value {
            switch parts[k] {
            case .countAll: return .int(records[g])
            case .count, .countIf: return .int(counts[k][g])
            case .sum:
                if counts[k][g] == 0 { return .null }
                return sawDouble[k][g] ? .double(doubles[k][g] + Double(ints[k][g])) : .int(ints[k][g])
            case .extreme(_, let isMax, _):
                var out = extremes[k][g]
                func consider(_ v: Value) {
                    if out == .null { out = v; return }
                    let c = Compare.forSort(v, out)
                    if isMax ? c > 0 : c < 0 { out = v }
                }
                if counts[k][g] > 0 { consider(extremeIsTime[k] == true ? .timestamp(ints[k][g]) : .int(ints[k][g])) }
                if sawDouble[k][g] { consider(.double(doubles[k][g])) }
                return out
            }
        }

        /// The rows of the engine's partial query: keys, window start and end, parts, the
        /// record count and newest time.
        func rows() -> [[Value]] {
            (0..<count).map { g in
                var row: [Value] = (0..<keyCount).map { keys.values[$0][Int(groupKeys[g * keyCount + $0])] }
                row.append(.timestamp(starts[g]))
                row.append(.timestamp(ends[g]))
                for k in parts.indices { row.append(part(k, g)) }
                row.append(.int(records[g]))
                row.append(.timestamp(newest[g]))
                return row
            }
        }
    }
}
