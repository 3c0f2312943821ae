import Foundation

/// The records of one segment while the transform steps work on them, column by column.
struct TransformRecords {
    var rows: Int
    let source: String
    var columns: [String: SegmentColumn]
    var flags: [RecordFlags]
    let skipped: [String]
    /// Per row, why a step failed for it; empty until one does.
    var errors: [String?] = []
    /// Failures so far (a record can fail more than one step).
    var failures = 0
    /// Leave `_transform_error` out when no step failed (rewriting stored records).
    var dropEmptyErrorColumn = false
    /// The rows still kept (ascending) when a `where` or `sample` step dropped some that are
    /// still in the columns — later steps pass over them, and `compact()` removes them once at
    /// the end rather than each such step copying every column; nil when none was dropped.
    var selection: [Int32]?
    /// Per row, whether it is still kept (empty: every row is).
    var alive: [Bool] = []

    /// How many records are still kept.
    var liveCount: Int { selection?.count ?? rows }

    @inline(__always) func isAlive(_ r: Int) -> Bool { alive.isEmpty || alive[r] }

    init(_ seg: Segment) {
        rows = seg.rowCount
        source = seg.source
        var cols: [String: SegmentColumn] = [:]
        for c in seg.schema { cols[c.name] = seg.columns[c.name] }
        columns = cols
        flags = seg.flags
        skipped = seg.skippedFieldNames
    }

    /// The column of a name as written, else the one that differs only in case.
    func key(_ name: String) -> String? {
        if columns[name] != nil { return name }
        let lower = name.lowercased()
        return columns.keys.first { $0.lowercased() == lower }
    }

    func column(_ name: String) -> SegmentColumn? { key(name).flatMap { columns[$0] } }

    mutating func fail(_ row: Int, _ message: String) {
        guard isAlive(row) else { return }  // (a record already dropped is no failure)
        failures += 1
        if errors.isEmpty { errors = [String?](repeating: nil, count: rows) }
        errors[row] = errors[row].map { $0 + "; " + message } ?? message
    }

    /// A field from values a step found: where it found none (NULL), a field of that name
    /// keeps what it had.
    mutating func set(_ name: String, _ values: [Value]) {
        let k = key(name) ?? name
        if let old = columns[k] {
            var merged = values
            for r in 0..<rows where merged[r] == .null { merged[r] = old.value(at: r) }
            columns[k] = ["message", "host"].contains(k.lowercased()) ? .texts(merged.map { $0 == .null ? nil : textOf($0) }) : .of(merged)
        } else {
            columns[k] = .of(values)
        }
    }

    /// Drops every row but `keep` (ascending) from the records: marked now, removed from the
    /// columns by `compact()`.
    mutating func select(_ keep: [Int32]) {
        let kept = alive.isEmpty ? keep : keep.filter { alive[Int($0)] }
        guard kept.count < liveCount else { return }
        var a = [Bool](repeating: false, count: rows)
        for r in kept { a[Int(r)] = true }
        alive = a
        selection = kept
    }

    /// The rows dropped by `select` removed from every column.
    mutating func compact() {
        guard let s = selection else { return }
        selection = nil
        alive = []
        keep(s)
    }

    /// Keeps only `keep` (ascending), in every column.
    mutating func keep(_ keep: [Int32]) {
        guard keep.count < rows else { return }
        for (name, c) in columns { columns[name] = c.gathering(keep) }
        flags = keep.map { flags[Int($0)] }
        if !errors.isEmpty { errors = keep.map { errors[Int($0)] } }
        rows = keep.count
    }

    /// As a segment (for the query engine's filters, and at the end).
    func segment() -> Segment {
        var cols = columns, flags = self.flags
        if errors.isEmpty {
            if !dropEmptyErrorColumn, cols["_transform_error"] == nil { cols["_transform_error"] = .nulls(rows) }  // there to count, however many failed
        } else {
            var c = Column(name: "_transform_error")
            for r in 0..<rows {
                if let e = errors[r] {
                    c.append(string: e)
                    flags[r].insert(.transformFailed)
                } else {
                    c.pad(to: r + 1)
                }
            }
            cols["_transform_error"] = SegmentColumn(c, rows: rows)
        }
        let ts = cols["ts"]?.ints ?? []
        return Segment(rowCount: rows, source: source, columns: cols, flags: flags, minTs: ts.min() ?? 0, maxTs: ts.max() ?? 0,
                       skippedFieldNames: skipped)
    }

    /// Each row's text of a column (numbers and times as their text); nil for NULL.
    func texts(_ name: String) -> [String?] {
        guard let c = column(name) else { return [String?](repeating: nil, count: rows) }
        if c.isDictionary { return (0..<rows).map { r in let k = c.code(r); return k == SegmentColumn.nullCode ? nil : c.dictionary[Int(k)] } }
        return (0..<rows).map { r in
            let v = c.value(at: r)
            return v == .null ? nil : textOf(v)
        }
    }

    /// The columns `e` reads (lower-cased), in order.
    static func columnsRead(_ e: Expr) -> [String] {
        var refs: [String] = []
        walkAll(e) { if case .column(let c, _) = $0, !refs.contains(c.lowercased()) { refs.append(c.lowercased()) } }
        return refs
    }

    /// A query's WHERE machinery over these records, for the columns `refs`.
    func filter(_ refs: [String], now: Int64) -> SegmentFilter {
        let actual = refs.map { key($0) ?? $0 }
        return SegmentFilter(names: refs, actualNames: actual, types: actual.map { columns[$0]?.type ?? .null },
                             compiler: ExprCompiler(names: refs, now: now))
    }

    mutating func evaluate(_ e: Expr, now: Int64, step: TransformStep, failed: inout [Int]) -> [Value] {
        let refs = TransformRecords.columnsRead(e)
        if GroupedAggregation.isPredicate(e) {
            // A condition: vectorised, as a query's WHERE (row by row if it fails somewhere).
            if let (yes, no) = try? filter(refs, now: now).truthValues(e, in: segment()) {
                return (0..<rows).map { yes.has($0) ? .bool(true) : no.has($0) ? .bool(false) : .null }
            }
        }
        let cols = refs.map { column($0) }
        let cursor = RowCursor()
        cursor.use(cols, types: cols.map { $0?.type ?? .null })
        var out = [Value](repeating: .null, count: rows)
        let f: Eval
        do { f = try ExprCompiler(names: refs, now: now).compile(e) } catch {
            for r in 0..<rows { fail(r, "\(step.label): \(error)"); failed.append(r) }
            return out
        }
        if cols.count == 1, let c = cols[0], c.isDictionary {
            // One dictionary column: each distinct value once.
            var perEntry: [Result<Value, Error>] = []
            for entry in c.dictionary + [nil] as [String?] {
                cursor.values = [entry.map(Value.string) ?? .null]
                perEntry.append(Result { try f(cursor) })
            }
            cursor.values = nil
            for r in 0..<rows {
                let k = c.code(r)
                switch perEntry[k == SegmentColumn.nullCode ? perEntry.count - 1 : Int(k)] {
                case .success(let v): out[r] = v
                case .failure(let error): fail(r, "\(step.label): \(error)"); failed.append(r)
                }
            }
            return out
        }
        for r in 0..<rows {
            cursor.row = r
            do { out[r] = try f(cursor) } catch { fail(r, "\(step.label): \(error)"); failed.append(r) }
        }
        return out
    }

    /// `e` as a column without a value per row, when it has a shape that allows it and fails
    /// for no row: a condition as a boolean column from the WHERE machinery's bits, an
    /// expression of one dictionary column evaluated once per entry and gathered by code.
    /// nil otherwise (the caller evaluates row by row).
    func evaluateColumn(_ e: Expr, now: Int64) -> SegmentColumn? {
        let refs = TransformRecords.columnsRead(e)
        if GroupedAggregation.isPredicate(e) {
            guard let (yes, no) = try? filter(refs, now: now).truthValues(e, in: segment()) else { return nil }
            var ints = [Int64](repeating: 0, count: rows), validity = [UInt64](repeating: 0, count: rows / 64 + 1)
            for w in yes.words.indices {
                validity[w] = yes.words[w] | no.words[w]
                var x = yes.words[w]
                while x != 0 { ints[w << 6 | x.trailingZeroBitCount] = 1; x &= x - 1 }
            }
            return SegmentColumn(type: .bool, ints: ints, validity: validity, rows: rows)
        }
        guard refs.count == 1, let c = column(refs[0]), c.isDictionary,
              let f = try? ExprCompiler(names: refs, now: now).compile(e) else { return nil }
        let cursor = RowCursor()
        // Each entry a record still kept uses, once (a dropped record's entry has no say in the
        // column's type); NULL for the others, and for the dropped records.
        var used = [Bool](repeating: alive.isEmpty, count: c.dictionary.count + 1)
        used[c.dictionary.count] = true
        if !alive.isEmpty { for r in 0..<rows where alive[r] { let k = c.code(r); if k != SegmentColumn.nullCode { used[Int(k)] = true } } }
        var perEntry: [Value] = []
        for (k, entry) in (c.dictionary + [nil] as [String?]).enumerated() {
            guard used[k] else { perEntry.append(.null); continue }
            cursor.values = [entry.map(Value.string) ?? .null]
            guard let v = try? f(cursor) else { return nil }
            perEntry.append(v)
        }
        let nullEntry = Int32(c.dictionary.count)
        return SegmentColumn.of(perEntry).gathering((0..<rows).map { r in
            let k = c.code(r)
            return k == SegmentColumn.nullCode || !isAlive(r) ? nullEntry : Int32(k)
        })
    }

    /// Whether a row failed an earlier step.
    func hasFailed(_ r: Int) -> Bool { !errors.isEmpty && errors[r] != nil }

    /// The rows `e` is true for (`keepUnknown`: and those it is NULL for). A row it cannot judge
    /// (it fails, or gives no boolean) is kept with its error; so is a row an earlier step failed.
    mutating func matching(_ e: Expr, now: Int64, step: TransformStep, keepUnknown: Bool) -> [Int32] {
        // Vectorised, as a query's WHERE, when it is a condition; row by row otherwise, or when a row fails.
        if GroupedAggregation.isPredicate(e) {
            let f = filter(TransformRecords.columnsRead(e), now: now)
            if let rows = try? (keepUnknown ? f.notFalse(e, in: segment()) : f.rows(e, in: segment())) {
                guard !errors.isEmpty else { return rows }
                let kept = Set(rows)
                return (0..<Int32(self.rows)).filter { kept.contains($0) || hasFailed(Int($0)) }
            }
        }
        var failed: [Int] = []
        let before = (0..<rows).map(hasFailed)
        let values = evaluate(e, now: now, step: step, failed: &failed)
        return (0..<rows).compactMap { r in
            switch values[r] {
            case .bool(let b): return b || before[r] ? Int32(r) : nil
            case .null: return keepUnknown || before[r] || hasFailed(r) ? Int32(r) : nil
            default:
                fail(r, "\(step.label): gives \(typeName(values[r])), not boolean")
                return Int32(r)
            }
        }
    }
}

extension SegmentColumn {
    /// Rows `keep` of this column, in that order: each array made at its final size and
    /// filled through pointers (no growth, no reference counting per row).
    func gathering(_ keep: [Int32]) -> SegmentColumn {
        let n = keep.count
        func gathered<T>(_ source: [T]) -> [T] {
            [T](unsafeUninitializedCapacity: n) { out, count in
                source.withUnsafeBufferPointer { src in keep.withUnsafeBufferPointer { k in for i in 0..<n { (out.baseAddress! + i).initialize(to: src[Int(k[i])]) } } }
                count = n
            }
        }
        func validityOf() -> [UInt64]? {
            guard let v = validity else { return nil }
            var out = [UInt64](repeating: 0, count: n / 64 + 1)
            v.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer { o in
                    keep.withUnsafeBufferPointer { k in
                        for i in 0..<n {
                            let r = Int(k[i])
                            if v[r >> 6] & (1 << UInt64(r & 63)) != 0 { o[i >> 6] |= 1 << UInt64(i & 63) }
                        }
                    }
                }
            }
            return out
        }
        switch type {
        case .null:
            return .nulls(n)
        case .int, .bool, .timestamp:
            return SegmentColumn(type: type, ints: gathered(ints), validity: validityOf(), rows: n)
        case .double:
            return SegmentColumn(type: .double, doubles: gathered(doubles), validity: validityOf(), rows: n)
        case .string:
            if let file {
                return SegmentColumn(type: .string, file: file, fileStarts: gathered(fileStarts), fileLengths: gathered(fileLengths),
                                     validity: validityOf(), rows: n)
            }
            if isDictionary {
                // The codes gathered; the dictionary kept when every entry is still used, else
                // only the entries still used, renumbered.
                func regathered<C: FixedWidthInteger>(_ source: [C], null: C) -> ([C], [String]) {
                    var codes = gathered(source)
                    var used = [Bool](repeating: false, count: dictionary.count), usedCount = 0
                    for c in codes where c != null && !used[Int(c)] { used[Int(c)] = true; usedCount += 1 }
                    guard usedCount < dictionary.count else { return (codes, dictionary) }
                    var remap = [C](repeating: null, count: dictionary.count), dict: [String] = []
                    for k in dictionary.indices where used[k] { remap[k] = C(dict.count); dict.append(dictionary[k]) }
                    for i in codes.indices where codes[i] != null { codes[i] = remap[Int(codes[i])] }
                    return (codes, dict)
                }
                if !narrowCodes.isEmpty {
                    let (codes, dict) = regathered(narrowCodes, null: 255)
                    return SegmentColumn(type: .string, narrowCodes: codes, dictionary: dict, validity: nil, rows: n)
                }
                let (codes, dict) = regathered(self.codes, null: SegmentColumn.nullCode)
                return SegmentColumn(type: .string, codes: codes, dictionary: dict, validity: nil, rows: n)
            }
            return offsets.withUnsafeBufferPointer { o in
                keep.withUnsafeBufferPointer { k in
                    var total = 0
                    for i in 0..<n { let r = Int(k[i]); total += Int(o[r + 1] &- o[r]) }
                    var offs = [UInt32](repeating: 0, count: n + 1)
                    let out = [UInt8](unsafeUninitializedCapacity: total) { out, count in
                        bytes.withUnsafeBufferPointer { src in
                            offs.withUnsafeMutableBufferPointer { offs in
                                var at = 0
                                for i in 0..<n {
                                    let r = Int(k[i]), a = Int(o[r]), len = Int(o[r + 1] &- o[r])
                                    if len > 0 { memcpy(out.baseAddress! + at, src.baseAddress! + a, len) }
                                    at += len
                                    offs[i + 1] = UInt32(at)
                                }
                            }
                        }
                        count = total
                    }
                    return SegmentColumn(type: .string, offsets: offs, bytes: out, validity: validityOf(), rows: n)
                }
            }
        }
    }

    /// A column of values (types widen as a parsed field's do: numbers meeting text become text).
    static func of(_ values: [Value]) -> SegmentColumn {
        var c = Column(name: "")
        for v in values { c.append(value: v) }
        return SegmentColumn(c, rows: values.count)
    }

    /// A text column; nil rows are NULL.
    static func texts(_ values: [String?]) -> SegmentColumn {
        var c = Column(name: "")
        for (r, v) in values.enumerated() { if let v { c.append(string: v) } else { c.pad(to: r + 1) } }
        return SegmentColumn(c, rows: values.count)
    }
}

extension Column {
    /// Appends a value as a field's: a number, a time, a boolean, text (anything else as its text).
    mutating func append(value v: Value) {
        switch v {
        case .null: pad(to: count + 1)
        case .bool(let b): append(bool: b)
        case .int(let i): append(int: i)
        case .double(let d): append(double: d)
        case .timestamp(let t): append(timestamp: t)
        case .string(let s): append(string: s)
        default: append(string: v.description)
        }
    }
}

extension TransformChain {
    /// The records of `seg` after every step for its source; `seg` itself when no step is.
    public func apply(_ seg: Segment, now: Int64) -> Segment {
        let now0 = current.withLock { ($0.steps, $0.tables, $0.generation) }
        let (steps, tables, generation) = now0
        if steps.contains(where: { !$0.sources.isEmpty }), let bySource = Self.recordsBySource(seg) {
            // Records another logdash delivered keep their own sources: a step for some sources
            // is decided by each record's, on the records of one source at a time (each keeps
            // its order).
            let parts = bySource.map { name, rows in
                apply(Segment(rowCount: rows.count, source: name, columns: seg.columns.all.mapValues { $0.gathering(rows) },
                              flags: rows.map { seg.flags[Int($0)] }, minTs: seg.minTs, maxTs: seg.maxTs, skippedFieldNames: seg.skippedFieldNames),
                      now: now)
            }
            let kept = parts.filter { $0.rowCount > 0 }
            let merged = Segment(merging: kept.isEmpty ? [parts[0]] : kept)
            return Segment(rowCount: merged.rowCount, source: seg.source, columns: merged.columns.all, flags: merged.flags,
                           minTs: merged.minTs, maxTs: merged.maxTs, skippedFieldNames: merged.skippedFieldNames)
        }
        let active = steps.enumerated().filter { $0.element.applies(to: seg.source) }
        guard !active.isEmpty, seg.rowCount > 0 else { return seg }
        var t = TransformRecords(seg)
        var counts = [StepCounts](repeating: StepCounts(), count: steps.count)
        for (k, step) in active {
            counts[k].recordsIn = t.liveCount
            let failedBefore = t.failures
            run(step, on: &t, now: now, tables: tables, masked: &counts[k].masked)
            counts[k].recordsOut = t.liveCount
            counts[k].failed = t.failures - failedBefore
        }
        t.compact()
        // Error messages quote values: they are masked as the records are.
        if !t.errors.isEmpty, active.contains(where: { if case .mask = $0.element.action { true } else { false } }) {
            t.errors = t.errors.map { $0.map { TransformChain.maskText($0, source: seg.source, steps: steps) } }
        }
        current.withLock { c in
            guard c.generation == generation else { return }
            for k in c.counts.indices {
                c.counts[k].recordsIn += counts[k].recordsIn
                c.counts[k].recordsOut += counts[k].recordsOut
                c.counts[k].failed += max(0, counts[k].failed)
                for (kind, n) in counts[k].masked { c.counts[k].masked[kind, default: 0] += n }
            }
        }
        return t.segment()
    }

    /// The rows of each source when a segment's records name sources other than the segment's
    /// own (records another logdash delivered, `Archive.restoringColumns`); nil when they do not.
    static func recordsBySource(_ seg: Segment) -> [(String, [Int32])]? {
        guard let column = seg.columns["source"], column.type == .string else { return nil }
        // (A file's records: one source, the segment's.)
        if column.isDictionary, column.dictionary.count <= 1, column.dictionary.first ?? seg.source == seg.source { return nil }
        var names = [String?](repeating: nil, count: seg.rowCount)
        column.forEachText(rows: seg.rowCount) { r, name in names[r] = name }
        var order: [String] = [], rows: [String: [Int32]] = [:]
        for (r, name) in names.enumerated() {
            let name = name ?? seg.source  // (a record without one: the segment's)
            if rows[name] == nil { order.append(name) }
            rows[name, default: []].append(Int32(r))
        }
        guard order.count > 1 || (order.count == 1 && order[0] != seg.source) else { return nil }
        return order.map { ($0, rows[$0]!) }
    }

    /// Text with every mask step's finds (for `source`) replaced: for text about records that
    /// is not a record (an error message, `inspect`'s examples).
    public func maskText(_ text: String, source: String) -> String {
        TransformChain.maskText(text, source: source, steps: steps)
    }

    static func maskText(_ text: String, source: String, steps: [TransformStep]) -> String {
        steps.reduce(text) { s, step in
            guard case .mask(_, let masker) = step.action, step.applies(to: source) else { return s }
            return masker.mask(s)
        }
    }

    /// One step over records, with this chain's tables.
    func run(_ step: TransformStep, on t: inout TransformRecords, now: Int64, masked: inout [String: Int]) {
        run(step, on: &t, now: now, tables: current.withLock { $0.tables }, masked: &masked)
    }

    private func run(_ step: TransformStep, on t: inout TransformRecords, now: Int64, tables: [String: LookupIndex], masked: inout [String: Int]) {
        switch step.action {
        case .keep(let e):
            t.select(t.matching(e, now: now, step: step, keepUnknown: true))

        case .sample(let rate, let condition, let key):
            // The records the sample decides for: those `where` is true for (without one, all),
            // still kept, and not failed by an earlier step (those are kept). Only their keys are hashed.
            var picked = [Bool](repeating: condition == nil, count: t.rows)
            if let c = condition { for r in t.matching(c, now: now, step: step, keepUnknown: false) { picked[Int(r)] = true } }
            for r in 0..<t.rows where picked[r] && (!t.isAlive(r) || t.hasFailed(r)) { picked[r] = false }
            guard rate < 1 else { return }
            let threshold = UInt64(rate * 18_446_744_073_709_551_616.0)
            var hashes = [UInt64](repeating: 0, count: t.rows)
            var keyed = [Bool](repeating: false, count: t.rows)
            if let key, let col = t.column(key) {
                if col.isDictionary {
                    let perEntry = col.dictionary.map { TransformChain.hash(Array($0.utf8)) }
                    for r in 0..<t.rows where picked[r] { let c = col.code(r); if c != SegmentColumn.nullCode { hashes[r] = perEntry[Int(c)]; keyed[r] = true } }
                } else if col.type == .string, col.file == nil, !col.offsets.isEmpty {
                    // Text: its bytes hashed where they lie.
                    col.bytes.withUnsafeBufferPointer { b in
                        for r in 0..<t.rows where picked[r] && col.isValid(r) {
                            hashes[r] = TransformChain.hash(UnsafeBufferPointer(rebasing: b[Int(col.offsets[r])..<Int(col.offsets[r + 1])]))
                            keyed[r] = true
                        }
                    }
                } else if col.type == .string {
                    col.forEachBytes(rows: t.rows) { r, b in if picked[r] { hashes[r] = TransformChain.hash(b); keyed[r] = true } }
                } else {
                    for r in 0..<t.rows where picked[r] { let v = col.value(at: r); if v != .null { hashes[r] = TransformChain.hash(Array(textOf(v).utf8)); keyed[r] = true } }
                }
            }
            // Without a key (or where it is NULL), by the raw line.
            if (0..<t.rows).contains(where: { picked[$0] && !keyed[$0] }) {
                t.column("raw")?.forEachBytes(rows: t.rows) { r, b in if picked[r] && !keyed[r] { hashes[r] = TransformChain.hash(b) } }
            }
            t.select((0..<Int32(t.rows)).filter { r in !picked[Int(r)] || hashes[Int(r)] < threshold })

        case .set(let assignments):
            for a in assignments {
                if !["message", "host"].contains((t.key(a.name) ?? a.name).lowercased()), let column = t.evaluateColumn(a.expr, now: now) {
                    t.columns[t.key(a.name) ?? a.name] = column
                    continue
                }
                var failed: [Int] = []
                var values = t.evaluate(a.expr, now: now, step: step, failed: &failed)
                for r in 0..<t.rows where !t.isAlive(r) { values[r] = .null }  // (dropped: no say in the field's type)
                let name = t.key(a.name) ?? a.name
                // A row the expression fails for keeps what it had (and says why).
                if let old = t.columns[name] { for r in failed { values[r] = old.value(at: r) } }
                if ["message", "host"].contains(name.lowercased()) {
                    t.columns[name.lowercased()] = .texts(values.map { $0 == .null ? nil : textOf($0) })
                } else {
                    t.columns[name] = .of(values)
                }
            }

        case .rename(let pairs):
            for (from, to) in pairs {
                guard let fromKey = t.key(from), let col = t.columns[fromKey] else { continue }
                t.columns[fromKey] = nil
                let target = t.key(to) ?? to
                if ["message", "host"].contains(target.lowercased()), let old = t.columns[target.lowercased()] {
                    // A core column takes the field's text where the field has one.
                    let mine = t.rows
                    var merged = [String?](repeating: nil, count: mine)
                    for r in 0..<mine {
                        let v = col.value(at: r)
                        merged[r] = v != .null ? textOf(v) : { let o = old.value(at: r); return o == .null ? nil : textOf(o) }()
                    }
                    t.columns[target.lowercased()] = .texts(merged)
                } else {
                    t.columns[target] = col
                }
            }

        case .drop(let names):
            for n in names { if let k = t.key(n) { t.columns[k] = nil } }

        case .extract(let field, let regex):
            let texts = t.texts(field)
            let data = regex.makeMatchData()
            var values = [[Value]](repeating: [Value](repeating: .null, count: t.rows), count: regex.names.count)
            for r in 0..<t.rows where t.isAlive(r) {  // (a dropped record makes no field)
                guard let s = texts[r] else { continue }
                var s2 = s
                s2.withUTF8 { b in
                    let line = ByteLine(base: b.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: b.count)
                    guard let ov = regex.match(line, data) else { return }
                    for (k, g) in regex.names.enumerated() {
                        let start = ov[2 * g.group], end = ov[2 * g.group + 1]
                        guard start != PCRERegex.unset, end >= start else { continue }
                        values[k][r] = TransformChain.inferred(String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self))
                    }
                }
            }
            for (k, g) in regex.names.enumerated() { t.set(TransformChain.fieldName(g.name), values[k]) }

        case .pairs(let field, let json):
            let texts = t.texts(field)
            var names: [String] = []
            var values: [String: [Value]] = [:]
            for r in 0..<t.rows where t.isAlive(r) {  // (a dropped record makes no field)
                guard let s = texts[r] else { continue }
                let pairs = json ? TransformChain.jsonPairs(s) : TransformChain.keyValuePairs(s)
                for (k, v) in pairs {
                    let name = TransformChain.fieldName(k)
                    if values[name] == nil {
                        guard names.count < TransformChain.maxParsedFields else { continue }
                        names.append(name)
                        values[name] = [Value](repeating: .null, count: t.rows)
                    }
                    values[name]![r] = v
                }
            }
            for n in names { t.set(n, values[n]!) }

        case .formatted(let field, let name):
            // Each record's field parsed alone, as a line of the format (a record of its own: a
            // line the format does not fit gives nothing); then each of the parsed records'
            // columns set on the records they came from.
            let parse = current.withLock { $0.parse }
            guard let format = parse.registry.named(name) else { return }
            var options = parse
            options.format = format.name
            let parser = SourceParser(options: options, detection: Detection(format: format.name, confidence: 1, sampled: 0, forced: true))
            var batch = RecordBatch(source: t.source)
            var recordOf = [Int](repeating: -1, count: t.rows)
            let texts = t.texts(field)
            for r in 0..<t.rows where t.isAlive(r) {
                guard var text = texts[r], !text.isEmpty else { continue }
                let before = batch.count
                text.withUTF8 { _ = parser.parse($0, arrival: now, final: true, closeLastRecord: true, into: &batch) }
                if batch.count == before + 1, !batch.flags[before].contains(.unparsed) { recordOf[r] = before }
            }
            guard recordOf.contains(where: { $0 >= 0 }) else { return }
            batch.finish()
            let parsed = Segment(batch)
            func values(_ column: SegmentColumn) -> [Value] { recordOf.map { $0 < 0 ? .null : column.value(at: $0) } }
            // Its fields; its message in place of the message it was read from, or as
            // `FIELD_message`; its host where the record has none. (Not its time or level:
            // `timestamp:` and `level:` steps take those from its fields.)
            for c in parsed.schema where !["ts", "ingest_ts", "source", "raw", "level", "message", "host"].contains(c.name) {
                guard let column = parsed.columns[c.name] else { continue }
                t.set(TransformChain.fieldName(c.name), values(column))
            }
            if let message = parsed.columns["message"] {
                t.set(field.lowercased() == "message" ? "message" : "\(field)_message", values(message))
            }
            if let host = parsed.columns["host"] {
                let own = t.column("host")
                t.set("host", zip(0..<t.rows, values(host)).map { r, v in own.map { $0.isValid(r) } ?? false ? .null : v })
            }

        case .mask(let fields, let masker):
            // Field names can hold what is masked too (`{"ann@example.com": 1}`).
            // Names that mask alike are one field (`{"10.0.0.1": 5}` and `{"10.0.0.2": 7}` in two
            // records: `<ipv4>`), but a record with values under both keeps each: the second
            // goes under `<ipv4>_2` (`_3`, …), not over the first.
            for name in t.columns.keys.sorted() where !CoreColumn.names.contains(name) {
                let masked2 = masker.mask(name)
                guard masked2 != name, let col = t.columns[name] else { continue }
                t.columns[name] = nil
                var target = masked2, n = 1
                while let other = t.columns[target],
                      (0..<t.rows).contains(where: { col.isValid($0) && other.isValid($0) && t.isAlive($0) }) {
                    n += 1
                    target = "\(masked2)_\(n)"
                }
                if t.columns[target] != nil {
                    t.set(target, (0..<t.rows).map { t.isAlive($0) ? col.value(at: $0) : .null })  // (where it has no value, the other's stays)
                } else {
                    t.columns[target] = col
                }
                masked["field names", default: 0] += 1
            }
            // The fields named — with the keys a core one came from (`msg` for message) — and raw.
            let targets = fields.map { named in
                let cores = Set(named.map { $0.lowercased() }.filter { $0 == "message" || $0 == "host" })
                return named.compactMap { t.key($0) } + ["raw"] + t.columns.keys.filter { cores.contains(FieldRole.of($0).role.coreName) }
            } ?? t.columns.keys.filter { !["ts", "ingest_ts", "source", "level"].contains($0) }
            for name in Set(targets.map { t.key($0) ?? $0 }) {
                guard let col = t.columns[name] else { continue }
                if let (masked2, counts) = TransformChain.mask(col, rows: t.rows, with: masker, alive: t.alive) {
                    t.columns[name] = masked2
                    // (Counted in the fields, not again in the raw line that holds them.)
                    if name != "raw" { for (kind, n) in counts { masked[kind.rawValue, default: 0] += n } }
                }
            }

        case .lookup(let table, let key, let fields, let required):
            guard let index = tables[table.lowercased()] else { return }
            let wanted = (fields ?? Array(index.columns.dropFirst())).map { f in index.columns.firstIndex { $0.lowercased() == f.lowercased() }! }
            // Each record's row of the table (`index.count`: none), then each field gathered from
            // the table's column by those numbers.
            let found = TransformChain.lookupRows(t.column(key), rows: t.rows, in: index)
            if required {
                for r in 0..<t.rows where found[r] == index.count {
                    let v = t.column(key)?.value(at: r) ?? .null
                    t.fail(r, "\(step.label): no row of '\(table)' has \(key) \(v == .null ? "NULL" : "'\(textOf(v))'")")
                }
            }
            for c in wanted {
                let column = index.stored[c].gathering(found)
                let name = TransformChain.fieldName(index.columns[c])
                if t.key(name) == nil && !["message", "host"].contains(name.lowercased()) {
                    t.columns[name] = column
                } else {
                    t.set(name, (0..<t.rows).map { column.value(at: $0) })
                }
            }

        case .level(let from, let map):
            let texts = t.texts(from)
            var levels = t.texts("level")
            var changed = false
            for r in 0..<t.rows {
                guard let s = texts[r], let rule = map.first(where: { TransformChain.levelPattern($0.pattern, matches: s) }) else { continue }
                levels[r] = rule.level.name
                changed = true
            }
            if changed { t.columns["level"] = .texts(levels) }

        case .timestamp(let from, let format):
            guard let col = t.column(from) else { return }
            var ts = t.columns["ts"]?.ints ?? [Int64](repeating: 0, count: t.rows)
            for r in 0..<t.rows {
                let v = col.value(at: r)
                let parsed: Int64?
                switch v {
                case .null: continue
                case .timestamp(let x): parsed = x
                case .int(let n): parsed = Timestamp.fromEpoch(n)
                case .double(let d): parsed = d.isFinite && abs(d) < 9e9 ? Int64(d * 1e9) : nil
                default:
                    let s = textOf(v)
                    parsed = ByteLine.with(s) { line in format.map { $0.parse(line, reference: t.columns["ingest_ts"]?.ints[r] ?? now) } ?? Timestamp.parse(text: line, reference: 0) }
                }
                if let parsed {
                    ts[r] = parsed
                    t.flags[r].remove(.arrivalTime)
                } else {
                    t.fail(r, "\(step.label): \(from) '\(textOf(v))' is not a time\(format.map { " of the format '\($0.pattern)'" } ?? "")")
                }
            }
            t.columns["ts"] = SegmentColumn(type: .timestamp, ints: ts, validity: nil, rows: t.rows)
        }
    }

    /// Each row's row number in a lookup table by the text of `col` (`index.count` where it has
    /// none, or is NULL): a plain string column's ASCII bytes through the table's byte keys, a
    /// dictionary column once per entry, anything else by its text.
    static func lookupRows(_ col: SegmentColumn?, rows: Int, in index: LookupIndex) -> [Int32] {
        var found = [Int32](repeating: index.count, count: rows)
        guard let col else { return found }
        if col.isDictionary {
            let perEntry = col.dictionary.map(index.number)
            for r in 0..<rows { let c = col.code(r); if c != SegmentColumn.nullCode { found[r] = perEntry[Int(c)] } }
        } else if col.type == .string, col.file == nil, !col.offsets.isEmpty, let keys = index.bytes {
            found = keys.find(in: col, count: rows, rows: nil, other: index.number).map { $0 < 0 ? index.count : $0 }
        } else {
            for r in 0..<rows {
                let v = col.value(at: r)
                if v != .null { found[r] = index.number(textOf(v)) }
            }
        }
        return found
    }

    /// Fields a `parse … as:` step adds at most per batch (keys past them are left out).
    static let maxParsedFields = 256

    /// A field a step makes under a core column's name goes under `_name`, as a parsed one does.
    static func fieldName(_ name: String) -> String {
        CoreColumn.names.contains(name.lowercased()) && !["message", "host"].contains(name.lowercased()) ? CoreColumn.renamed(name) : name
    }

    /// Text as a field's value: a whole number, a decimal, true/false, else the text.
    static func inferred(_ s: String) -> Value {
        if let i = Int64(s) { return .int(i) }
        if let d = Double(s), d.isFinite, s.contains(where: \.isNumber), !s.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" }) { return .double(d) }
        if s == "true" || s == "false" { return .bool(s == "true") }
        return .string(s)
    }

    /// `"5.."` matches any value of three characters starting with 5; other patterns match the
    /// value itself, in any case.
    static func levelPattern(_ p: String, matches s: String) -> Bool {
        if p.contains(".") {
            guard p.count == s.count else { return false }
            return zip(p, s).allSatisfy { $0 == "." || $0 == $1 }
        }
        return p.caseInsensitiveCompare(s) == .orderedSame
    }

    /// A 64-bit hash of bytes (FNV-1a, then a mixer), the same on every machine and run.
    static func hash<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        h ^= h >> 33; h &*= 0xff51_afd7_ed55_8ccd; h ^= h >> 33; h &*= 0xc4ce_b9fe_1a85_ec53; h ^= h >> 33
        return h
    }

    /// The members of a JSON object (nested ones as their JSON text).
    static func jsonPairs(_ s: String) -> [(String, Value)] {
        guard let obj = Functions.parseJSON(s) as? [String: Any] else { return [] }
        return obj.keys.sorted().map { k in
            let v = obj[k]!
            return (k, v is [Any] || v is [String: Any] ? .string(Functions.jsonText(v)) : Functions.jsonScalar(v))
        }
    }

    /// `key=value` pairs (logfmt): values bare or in double quotes (with `\"` inside).
    static func keyValuePairs(_ s: String) -> [(String, Value)] {
        var out: [(String, Value)] = []
        let b = Array(s.utf8)
        var i = 0
        func isKey(_ c: UInt8) -> Bool { Masker.isAlnum(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: ".") || c == UInt8(ascii: "-") }
        while i < b.count {
            while i < b.count, !isKey(b[i]) { i += 1 }
            let ks = i
            while i < b.count, isKey(b[i]) { i += 1 }
            guard i < b.count, b[i] == UInt8(ascii: "="), i > ks else { continue }
            let key = String(decoding: b[ks..<i], as: UTF8.self)
            i += 1
            var value: [UInt8] = []
            if i < b.count, b[i] == UInt8(ascii: "\"") {
                i += 1
                while i < b.count, b[i] != UInt8(ascii: "\"") {
                    if b[i] == UInt8(ascii: "\\"), i + 1 < b.count { i += 1 }
                    value.append(b[i]); i += 1
                }
                i += 1
                out.append((key, .string(String(decoding: value, as: UTF8.self))))
            } else {
                let vs = i
                while i < b.count, b[i] != UInt8(ascii: " "), b[i] != UInt8(ascii: "\t") { i += 1 }
                out.append((key, inferred(String(decoding: b[vs..<i], as: UTF8.self))))
            }
        }
        return out
    }

    /// A column with every value the masker finds replaced (numbers holding one become text),
    /// and how many it replaced of each kind; nil when it found none.
    /// Rows not `alive` (when it is not empty: records already dropped) are neither searched
    /// nor counted.
    static func mask(_ col: SegmentColumn, rows: Int, with masker: Masker, alive: [Bool] = []) -> (SegmentColumn, [MaskKind: Int])? {
        @inline(__always) func isAlive(_ r: Int) -> Bool { alive.isEmpty || alive[r] }
        var counts: [MaskKind: Int] = [:]
        func add(_ c: [MaskKind: Int], times: Int = 1) { for (k, n) in c { counts[k, default: 0] += n * times } }
        switch col.type {
        case .string where col.isDictionary:
            // Each distinct value once.
            var changed = false
            let dict = col.dictionary.map { s -> String in
                var s = s
                guard let m = s.withUTF8({ masker.mask($0) }) else { return s }
                changed = true
                return String(decoding: m.bytes, as: UTF8.self)
            }
            guard changed else { return nil }
            var uses = [Int](repeating: 0, count: col.dictionary.count)
            for r in 0..<rows where isAlive(r) { let c = col.code(r); if c != SegmentColumn.nullCode { uses[Int(c)] += 1 } }
            for (k, s) in col.dictionary.enumerated() where uses[k] > 0 {
                var s = s
                if let m = s.withUTF8({ masker.mask($0) }) { add(m.counts, times: uses[k]) }
            }
            // Values masked alike become one entry (a dictionary holds each value once).
            var unique: [String] = [], at: [String: UInt32] = [:]
            let remap = dict.map { s -> UInt32 in
                if let k = at[s] { return k }
                at[s] = UInt32(unique.count)
                unique.append(s)
                return UInt32(unique.count - 1)
            }
            let codes = (0..<rows).map { r -> UInt32 in let c = col.code(r); return c == SegmentColumn.nullCode ? c : remap[Int(c)] }
            return (SegmentColumn(type: .string, codes: codes, dictionary: unique, validity: nil, rows: rows), counts)
        case .string:
            // Found first; copied only when something was.
            var replaced: [Int: [UInt8]] = [:]
            col.withLines(rows: rows) { span in
                // (Lines that cannot hold a find are passed over, found a buffer at a time.)
                let candidates = masker.candidates(span)
                for i in 0..<span.count where candidates?[i] ?? true && isAlive(Int(span.rows[i])) {
                    if let m = masker.mask(span.line(i)) { replaced[Int(span.rows[i])] = m.bytes; add(m.counts) }
                }
            }
            guard !replaced.isEmpty else { return nil }
            var c = Column(name: "")
            col.forEachBytes(rows: rows) { r, b in
                c.pad(to: r)
                if let m = replaced[r] {
                    m.withUnsafeBufferPointer { c.append(bytes: $0.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: $0.count) }
                } else {
                    c.append(bytes: b.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: b.count)
                }
            }
            c.pad(to: rows)
            return (SegmentColumn(c, rows: rows), counts)
        case .double where masker.kinds.contains(.creditCard):
            // (A card number written with a fraction: `4242424242424242.0`.)
            let validity = col.validity
            // (Its whole part: a card number written with a fraction is still one.)
            func card(_ d: Double) -> Bool { d >= 1e12 && d < 9.2e18 && Masker.isCard(Int64(d.rounded(.towardZero))) }
            guard (0..<rows).contains(where: { SegmentColumn.valid(validity, $0) && card(col.doubles[$0]) }) else { return nil }
            var texts = [String?](repeating: nil, count: rows)
            for r in 0..<rows where SegmentColumn.valid(validity, r) {
                let d = col.doubles[r]
                if card(d) {
                    texts[r] = masker.mask(String(Int64(d.rounded(.towardZero))))
                    if isAlive(r) { counts[.creditCard, default: 0] += 1 }
                } else {
                    texts[r] = Value.format(d)
                }
            }
            return (.texts(texts), counts)
        case .int where masker.kinds.contains(.creditCard):
            // A card number can arrive as a JSON number (a double could not hold one exactly).
            let validity = col.validity
            guard (0..<rows).contains(where: { SegmentColumn.valid(validity, $0) && Masker.isCard(col.ints[$0]) }) else { return nil }
            var texts = [String?](repeating: nil, count: rows)
            for r in 0..<rows where SegmentColumn.valid(validity, r) {
                let s = String(col.ints[r])
                texts[r] = masker.mask(s)
                if Masker.isCard(col.ints[r]), isAlive(r) { counts[.creditCard, default: 0] += 1 }
            }
            return (.texts(texts), counts)
        default:
            return nil
        }
    }
}
