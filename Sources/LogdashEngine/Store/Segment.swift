import Foundation
import Synchronization

/// One column of a sealed segment. Numbers and times are typed arrays. Strings with few
/// distinct values are dictionary-encoded (each distinct value stored once, rows hold codes) so
/// that a predicate on them is evaluated once per distinct value, not once per row; strings
/// that are mostly unique (ids, raw lines) are kept plain, as bytes and offsets.
public final class SegmentColumn: Sendable {
    public let type: ColumnType
    /// `int`, `bool` (0/1) and `timestamp` values; 0 where NULL.
    public let ints: [Int64]
    public let doubles: [Double]
    /// `string`: the row's index into `dictionary`, `SegmentColumn.nullCode` for NULL — four
    /// bytes a row, or one (`narrowCodes`, 255 for NULL) when the dictionary has under 255
    /// values, as most log fields do. Read them with `code(_:)`.
    let codes: [UInt32]
    let narrowCodes: [UInt8]
    public let dictionary: [String]
    /// Plain (not dictionary-encoded) strings, for columns of unique values such as `raw`:
    /// value `i` is `bytes[offsets[i]..<offsets[i+1]]`.
    public let offsets: [UInt32]
    public let bytes: [UInt8]
    /// Strings kept in a file instead (raw lines of a file source): offset and length per row.
    public let file: RawFile?
    public let fileStarts: [Int64]
    public let fileLengths: [UInt32]
    /// For numbers, times and booleans: bit `i` set when row `i` has a value; nil when every row does.
    public let validity: [UInt64]?
    /// Zone map: the smallest and largest value, for numbers and times (nil when all NULL).
    public let min: Double?
    public let max: Double?
    public let nonNullCount: Int
    /// The smallest and largest value of `int`, `bool` and `timestamp` columns exactly (`min`
    /// and `max` are doubles, which round past 2^53); nil when all NULL.
    public let intRange: ClosedRange<Int64>?
    /// `int` values as offsets from `intRange`'s lower bound when the range fits in 16 bits (HTTP statuses, ports,
    /// counts): a filter then reads a quarter of the memory. Empty otherwise.
    let small: [UInt16]

    public static let nullCode = UInt32.max

    /// Whether the column is dictionary-encoded (`codes` and `dictionary`).
    public var isDictionary: Bool { type == .string && offsets.isEmpty && file == nil }

    /// Whether bit `row` is set in a validity bitmap (nil: every row valid). Loops take the
    /// column's arrays into locals once and use this, rather than read the class per row.
    @inline(__always) static func valid(_ v: [UInt64]?, _ row: Int) -> Bool {
        guard let v else { return true }
        return v[row >> 6] & (1 << UInt64(row & 63)) != 0
    }

    /// The codes of every row, widened to four bytes (for loops that read many rows).
    func allCodes() -> [UInt32] {
        narrowCodes.isEmpty ? codes : narrowCodes.map { $0 == 255 ? SegmentColumn.nullCode : UInt32($0) }
    }

    /// The dictionary code of a row, `nullCode` for NULL.
    @inline(__always) public func code(_ row: Int) -> UInt32 {
        if !narrowCodes.isEmpty {
            let c = narrowCodes[row]
            return c == 255 ? SegmentColumn.nullCode : UInt32(c)
        }
        return codes[row]
    }

    @inline(__always) public func isValid(_ row: Int) -> Bool {
        switch type {
        case .string where file != nil: return true
        case .string where offsets.isEmpty: return code(row) != SegmentColumn.nullCode
        case .null: return false
        default:
            guard let v = validity else { return true }
            return v[row >> 6] & (1 << UInt64(row & 63)) != 0
        }
    }

    /// Every row's text, in row order (NULL rows skipped), for a pass over a whole segment.
    public func forEachText(rows: Int, _ body: (Int, String) -> Void) {
        forEachBytes(rows: rows) { r, b in body(r, String(decoding: b, as: UTF8.self)) }
    }

    /// Every row's text as bytes (valid only during the call), in row order, NULL rows skipped.
    public func forEachBytes(rows: Int, _ body: (Int, UnsafeBufferPointer<UInt8>) -> Void) {
        withLines(rows: rows) { span in
            for i in 0..<span.count { body(Int(span.rows[i]), span.line(i)) }
        }
    }

    /// Every row's text side by side in buffers (valid only during the call), in row order,
    /// NULL rows skipped: lines kept as offsets into their file are read with one `pread` for
    /// each run of them lying together in the file, up to `chunk` bytes (into one buffer,
    /// reused: a search then runs over bytes still in the cache), instead of one each; plain
    /// strings are not copied; anything else is gathered into a buffer.
    public func withLines(rows: Int, chunk: Int = 1 << 20, _ body: (LineSpan) -> Void) {
        guard type == .string else { return }
        if let file, !fileStarts.isEmpty {
            var buffer: [UInt8] = []
            var lines = LineSpan.Builder()
            var lo: Int64 = 0, hi: Int64 = 0, first = 0
            // The run so far, read and handed over; false when the file no longer holds it.
            func flush() -> Bool {
                defer { lines.removeAll() }
                guard !lines.isEmpty else { return true }
                if let bytes = file.inMemory(offset: lo, length: Int(hi - lo)) {
                    body(lines.span(over: bytes))  // (no copy: the lines were just parsed from there)
                    return true
                }
                guard file.read(offset: lo, length: Int(hi - lo), into: &buffer) else { return false }
                buffer.withUnsafeBufferPointer { body(lines.span(over: UnsafeBufferPointer(rebasing: $0[0..<Int(hi - lo)]))) }
                return true
            }
            for r in 0..<fileStarts.count where isValid(r) {
                let start = fileStarts[r], end = start + Int64(fileLengths[r])
                if lines.isEmpty || start < lo || Swift.max(hi, end) - lo > Int64(chunk) {
                    // A new run: this line is out of order, or too far on.
                    guard flush() else { return gather(from: first, rows: rows, body) }
                    lo = start
                    hi = end
                    first = r
                }
                hi = Swift.max(hi, end)
                lines.add(row: r, start: Int(start - lo), end: Int(end - lo))
            }
            if !flush() { gather(from: first, rows: rows, body) }
            return
        }
        if !offsets.isEmpty && file == nil {
            var lines = LineSpan.Builder()
            if validity == nil, rows > 0 {
                // Every row: the offsets as they are.
                lines.rows = (0..<Int32(rows)).map { $0 }
                lines.starts = offsets[0..<rows].map { Int($0) }
                lines.ends = offsets[1...rows].map { Int($0) }
            } else {
                for r in 0..<rows where isValid(r) { lines.add(row: r, start: Int(offsets[r]), end: Int(offsets[r + 1])) }
            }
            bytes.withUnsafeBufferPointer { body(lines.span(over: $0)) }
            return
        }
        gather(from: 0, rows: rows, body)
    }

    /// Rows from `from` on, their values gathered into a buffer.
    private func gather(from: Int, rows: Int, _ body: (LineSpan) -> Void) {
        var gathered: [UInt8] = [], lines = LineSpan.Builder()
        for r in from..<rows where isValid(r) {
            guard case .string(let s) = value(at: r) else { continue }
            let start = gathered.count
            gathered.append(contentsOf: s.utf8)
            lines.add(row: r, start: start, end: gathered.count)
            gathered.append(0x0A)
        }
        gathered.withUnsafeBufferPointer { body(lines.span(over: $0)) }
    }

    public func value(at row: Int) -> Value {
        guard isValid(row) else { return .null }
        if let v = Value(stored: type, int: { ints[row] }, double: { doubles[row] }) { return v }
        guard type == .string else { return .null }
        if let file {
            guard let b = file.read(offset: fileStarts[row], length: Int(fileLengths[row])) else { return .string(RawFile.unavailable) }
            return .string(String(decoding: b, as: UTF8.self))
        }
        if offsets.isEmpty { return .string(dictionary[Int(code(row))]) }
        let s = Int(offsets[row]), e = Int(offsets[row + 1])
        return bytes.withUnsafeBufferPointer { .string(String(decoding: UnsafeBufferPointer(rebasing: $0[s..<e]), as: UTF8.self)) }
    }

    init(type: ColumnType, ints: [Int64] = [], doubles: [Double] = [], codes: [UInt32] = [], narrowCodes: [UInt8] = [], dictionary: [String] = [],
         offsets: [UInt32] = [], bytes: [UInt8] = [], file: RawFile? = nil, fileStarts: [Int64] = [], fileLengths: [UInt32] = [],
         validity: [UInt64]?, rows: Int) {
        self.type = type
        self.file = file
        self.fileStarts = fileStarts
        self.fileLengths = fileLengths
        self.ints = ints
        self.doubles = doubles
        if !narrowCodes.isEmpty {
            precondition(dictionary.count < 255)
            self.narrowCodes = narrowCodes
            self.codes = []
        } else if type == .string && dictionary.count < 255 && !codes.isEmpty {
            self.narrowCodes = codes.map { $0 == SegmentColumn.nullCode ? 255 : UInt8($0) }
            self.codes = []
        } else {
            self.narrowCodes = []
            self.codes = codes
        }
        self.dictionary = dictionary
        self.offsets = offsets
        self.bytes = bytes
        var lo: Double?, hi: Double?, n = 0
        var least = Int64.max, most = Int64.min
        let allValid = validity.map { v in (0..<rows).allSatisfy { v[$0 >> 6] & (1 << UInt64($0 & 63)) != 0 } } ?? true
        self.validity = allValid ? nil : validity
        switch type {
        case .int, .timestamp, .bool:
            for r in 0..<rows where allValid || validity![r >> 6] & (1 << UInt64(r & 63)) != 0 {
                least = Swift.min(least, ints[r])
                most = Swift.max(most, ints[r])
                n += 1
            }
            if n > 0 { lo = Double(least); hi = Double(most) }
        case .double:
            for r in 0..<rows where allValid || validity![r >> 6] & (1 << UInt64(r & 63)) != 0 {
                let d = doubles[r]
                if !d.isNaN {
                    if lo == nil || d < lo! { lo = d }
                    if hi == nil || d > hi! { hi = d }
                }
                n += 1
            }
        case .string:
            if file != nil {
                n = rows
            } else if offsets.isEmpty {
                // The codes as given (one byte each when given so: 255 is NULL).
                n = narrowCodes.isEmpty ? codes.reduce(0) { $0 + ($1 == SegmentColumn.nullCode ? 0 : 1) } : narrowCodes.reduce(0) { $0 + ($1 == 255 ? 0 : 1) }
            } else if let v = self.validity {
                n = (0..<rows).reduce(0) { $0 + (v[$1 >> 6] & (1 << UInt64($1 & 63)) != 0 ? 1 : 0) }
            } else {
                n = rows
            }
        case .null:
            n = 0
        }
        min = lo
        max = hi
        nonNullCount = n
        intRange = [.int, .timestamp, .bool].contains(type) && n > 0 ? least...most : nil
        if type == .int, n > 0, case let (span, overflow) = most.subtractingReportingOverflow(least), !overflow, span < 65536 {
            let base = least
            small = ints.map { UInt16(truncatingIfNeeded: $0 &- base) }  // NULL rows: masked by validity
        } else {
            small = []
        }
    }

    /// A column of `rows` NULLs (a field another segment has).
    static func nulls(_ rows: Int) -> SegmentColumn {
        SegmentColumn(type: .null, validity: Array(repeating: 0, count: rows / 64 + 1), rows: rows)
    }

    /// Seals a batch column: strings are dictionary-encoded when they repeat enough.
    convenience init(_ c: Column, rows: Int) {
        var col = c
        col.pad(to: rows)
        let validity = (0..<(rows / 64 + 1)).map { w in col.validity.indices.contains(w) ? col.validity[w] : 0 }
        switch col.type {
        case .string:
            if let (codes, dict) = SegmentColumn.encode(col, rows: rows, maxDistinct: Swift.max(16, rows / 4)) {
                self.init(type: .string, codes: codes, dictionary: dict, validity: nil, rows: rows)
            } else {
                self.init(type: .string, offsets: col.offsets, bytes: col.bytes, validity: validity, rows: rows)
            }
        case .double:
            self.init(type: .double, doubles: col.doubles, validity: validity, rows: rows)
        case .null:
            self.init(type: .null, validity: validity, rows: rows)
        default:
            self.init(type: col.type, ints: col.ints, validity: validity, rows: rows)
        }
    }

    /// Dictionary-encodes a string column by hashing its bytes, or gives nil when it has more
    /// than `maxDistinct` distinct values (it is then better kept plain). `String`s are made
    /// only at the end, once per distinct value.
    static func encode(_ col: Column, rows: Int, maxDistinct: Int) -> ([UInt32], [String])? {
        var codes = [UInt32](repeating: nullCode, count: rows)
        var distinct = 0
        var tooMany = false
        var slots = [Int32](repeating: -1, count: 1024)
        var entryStart: [Int] = [], entryEnd: [Int] = []
        let dict: [String] = col.bytes.withUnsafeBufferPointer { bytes in
            let base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
            for r in 0..<rows where col.isValid(r) {
                if tooMany { break }
                let s = Int(col.offsets[r]), e = Int(col.offsets[r + 1])
                var h: UInt64 = 0xcbf2_9ce4_8422_2325
                for i in s..<e { h = (h ^ UInt64(base[i])) &* 0x100_0000_01b3 }
                var mask = slots.count - 1
                var i = Int(truncatingIfNeeded: h ^ (h >> 31)) & mask
                while true {
                    let d = Int(slots[i])
                    if d < 0 {
                        // A new distinct value.
                        slots[i] = Int32(distinct)
                        codes[r] = UInt32(distinct)
                        entryStart.append(s); entryEnd.append(e)
                        distinct += 1
                        if distinct > maxDistinct { tooMany = true; break }
                        if distinct * 2 > slots.count {
                            slots = [Int32](repeating: -1, count: slots.count * 2)
                            mask = slots.count - 1
                            for (k, (ks, ke)) in zip(entryStart, entryEnd).enumerated() {
                                var kh: UInt64 = 0xcbf2_9ce4_8422_2325
                                for x in ks..<ke { kh = (kh ^ UInt64(base[x])) &* 0x100_0000_01b3 }
                                var j = Int(truncatingIfNeeded: kh ^ (kh >> 31)) & mask
                                while slots[j] >= 0 { j = (j + 1) & mask }
                                slots[j] = Int32(k)
                            }
                        }
                        break
                    }
                    let ds = entryStart[d], de = entryEnd[d]
                    if de - ds == e - s && (e == s || memcmp(base + ds, base + s, e - s) == 0) {
                        codes[r] = UInt32(d)
                        break
                    }
                    i = (i + 1) & mask
                }
            }
            if tooMany { return [] }
            return (0..<distinct).map { String(decoding: UnsafeBufferPointer(start: base + entryStart[$0], count: entryEnd[$0] - entryStart[$0]), as: UTF8.self) }
        }
        return tooMany ? nil : (codes, dict)
    }
}

/// A sealed, immutable set of records from one source: the unit the query engine scans,
/// skipping whole segments by their zone maps (time range, numeric min/max).
public final class Segment: Sendable {
    public let rowCount: Int
    public let source: String
    public let minTs: Int64
    public let maxTs: Int64
    /// Fields the records had but a projection left out of the store.
    public let skippedFieldNames: [String]
    /// Records no format fitted, and records with any flag the `errors` table shows.
    public let unparsedCount: Int
    public let flaggedCount: Int
    /// The segment's columns as the store's schema counts them: core ones first, then fields by name.
    public let schema: [SchemaColumn]
    /// Columns and per-record flags (truncated, unparsed …): in memory, or read from a store
    /// file the first time a query needs them.
    private let resident: (columns: [String: SegmentColumn], flags: [RecordFlags])?
    private let stored: StoredContent?

    /// The columns by name: in memory, or each read from its store file when first asked for.
    public var columns: SegmentColumns { SegmentColumns(resident: resident?.columns, stored: stored) }
    public var flags: [RecordFlags] { resident?.flags ?? stored!.flags }
    /// Whether the columns are in a store file, each read on first use.
    public var isStoredLazily: Bool { resident == nil }
    /// Whether any column is in memory (false: in a store file, none read yet).
    public var isResident: Bool { resident != nil || stored!.loadedCount > 0 }
    /// The memory the columns of a segment in memory take (0 for one in a file).
    public let residentBytes: Int

    /// What a store file's footer says of a segment, enough to plan queries without reading it.
    struct Summary {
        var rowCount: Int, source: String, minTs: Int64, maxTs: Int64, skippedFieldNames: [String]
        var unparsedCount: Int, flaggedCount: Int, schema: [SchemaColumn]
        var zones: [String: Zone] = [:]
    }

    /// A column's zone map as a store file's footer has it (integer and time columns).
    struct Zone: Sendable {
        var min: Double, max: Double
        /// The bounds exactly, for integers and times (nil from files written before them).
        var ints: ClosedRange<Int64>?
        var nonNull: Int
    }
    private let zones: [String: Zone]

    /// The footer's zone map of a column of a segment still in its store file (nil for a
    /// segment in memory, whose column has its own, or a column without one).
    func storedZone(_ name: String) -> Zone? { zones[name] }

    init(rowCount: Int, source: String, columns: [String: SegmentColumn], flags: [RecordFlags], minTs: Int64, maxTs: Int64,
         skippedFieldNames: [String]) {
        self.rowCount = rowCount
        self.source = source
        self.resident = (columns, flags)
        self.stored = nil
        self.zones = [:]
        self.minTs = minTs
        self.maxTs = maxTs
        self.skippedFieldNames = skippedFieldNames
        var unparsed = 0, flagged = 0
        for f in flags {
            if f.contains(.unparsed) { unparsed += 1 }
            if !f.isDisjoint(with: .shownAsErrors) { flagged += 1 }
        }
        unparsedCount = unparsed
        flaggedCount = flagged
        let names = CoreColumn.names.filter { columns[$0] != nil } + columns.keys.filter { !CoreColumn.names.contains($0) }.sorted()
        schema = names.map { SchemaColumn(name: $0, type: columns[$0]!.type, nonNull: columns[$0]!.nonNullCount) }
        residentBytes = columns.values.reduce(flags.count * MemoryLayout<RecordFlags>.stride + 256) { $0 + $1.residentBytes }
    }

    /// A segment of a store file, each column read when first needed.
    init(summary s: Summary, names: [String], column: @escaping @Sendable (String) -> SegmentColumn?,
         flags: @escaping @Sendable () -> [RecordFlags]) {
        rowCount = s.rowCount
        source = s.source
        minTs = s.minTs
        maxTs = s.maxTs
        skippedFieldNames = s.skippedFieldNames
        unparsedCount = s.unparsedCount
        flaggedCount = s.flaggedCount
        schema = s.schema
        resident = nil
        residentBytes = 0
        zones = s.zones
        stored = StoredContent(names: names, column: column, flags: flags)
    }

    public convenience init(_ batch: RecordBatch) {
        var b = batch
        b.finish()
        let n = b.count
        var cols: [String: SegmentColumn] = [:]
        cols["ts"] = SegmentColumn(type: .timestamp, ints: b.ts, validity: nil, rows: n)
        cols["ingest_ts"] = SegmentColumn(type: .timestamp, ints: b.ingestTs, validity: nil, rows: n)
        cols["source"] = SegmentColumn(type: .string, codes: [UInt32](repeating: 0, count: n), dictionary: [b.source], validity: nil, rows: n)
        cols["host"] = SegmentColumn(b.host, rows: n)
        cols["message"] = SegmentColumn(b.message, rows: n)
        // Raw lines are unique: kept as plain bytes, not dictionary-encoded.
        if let r = b.rawReference {
            cols["raw"] = SegmentColumn(type: .string, file: r.file, fileStarts: b.rawStarts, fileLengths: b.rawLengths, validity: nil, rows: n)
        } else {
            cols["raw"] = SegmentColumn(type: .string, offsets: b.raw.offsets, bytes: b.raw.bytes, validity: nil, rows: n)
        }
        // Levels are already small codes: map them straight to a dictionary of names.
        let names = [""] + Level.allCases.map(\.name)
        var used = [Int](repeating: -1, count: 9)
        var dict: [String] = []
        let codes = b.levels.map { l -> UInt32 in
            if l == 0 { return SegmentColumn.nullCode }
            if used[Int(l)] < 0 { used[Int(l)] = dict.count; dict.append(names[Int(l)]) }
            return UInt32(used[Int(l)])
        }
        cols["level"] = SegmentColumn(type: .string, codes: codes, dictionary: dict, validity: nil, rows: n)
        // Two keys stored under one name make one column (`Column.coalesced`).
        var fields: [String: Column] = [:]
        for f in b.fieldsByPrecedence where cols[f.name] == nil && f.nonNullCount > 0 {
            fields[f.name] = fields[f.name].map { $0.coalesced(with: f, rows: n) } ?? f
        }
        for (name, f) in fields { cols[name] = SegmentColumn(f, rows: n) }
        self.init(rowCount: n, source: b.source, columns: cols, flags: b.flags, minTs: b.ts.min() ?? 0, maxTs: b.ts.max() ?? 0,
                  skippedFieldNames: b.skippedFieldNames)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Segment {
    /// One segment holding the rows of `parts` (of one source) in order: the store merges the
    /// small segments live ingest seals, so that a long quiet stream does not leave thousands
    /// of tiny segments for every query to visit.
    public convenience init(merging parts: [Segment]) {
        precondition(!parts.isEmpty)
        var names: [String] = []
        var seen: Set<String> = []
        for p in parts {
            for n in CoreColumn.names + p.columns.keys.sorted() where p.columns[n] != nil && !seen.contains(n) {
                seen.insert(n); names.append(n)
            }
        }
        var cols: [String: SegmentColumn] = [:]
        for n in names { cols[n] = SegmentColumn(concatenating: parts.map { ($0.columns[n], $0.rowCount) }) }
        var skipped = Set<String>()
        for p in parts { skipped.formUnion(p.skippedFieldNames) }
        self.init(rowCount: parts.reduce(0) { $0 + $1.rowCount }, source: parts[0].source, columns: cols,
                  flags: parts.flatMap(\.flags), minTs: parts.map(\.minTs).min()!, maxTs: parts.map(\.maxTs).max()!,
                  skippedFieldNames: skipped.sorted())
    }
}

extension SegmentColumn {
    /// The rows of several columns one after another (a missing column reads NULL); types that
    /// disagree widen as the schema does: int and double to double, anything else to text.
    convenience init(concatenating parts: [(SegmentColumn?, Int)]) {
        let rows = parts.reduce(0) { $0 + $1.1 }
        let type = parts.compactMap { $0.0?.type }.reduce(ColumnType.null) { $0.widened(with: $1) }
        var validity = [UInt64](repeating: 0, count: rows / 64 + 1)
        var row = 0
        func eachRow(_ body: (SegmentColumn, Int) -> Void) {
            for (col, n) in parts {
                if let col { for r in 0..<n where col.isValid(r) { validity[(row + r) >> 6] |= 1 << UInt64((row + r) & 63); body(col, r) } }
                row += n
            }
        }
        switch type {
        case .null:
            self.init(type: .null, validity: validity, rows: rows)
        case .int, .bool, .timestamp:
            var ints = [Int64](repeating: 0, count: rows)
            eachRow { c, r in ints[row + r] = c.ints[r] }
            self.init(type: type, ints: ints, validity: validity, rows: rows)
        case .double:
            var doubles = [Double](repeating: 0, count: rows)
            eachRow { c, r in doubles[row + r] = c.type == .double ? c.doubles[r] : Double(c.ints[r]) }
            self.init(type: .double, doubles: doubles, validity: validity, rows: rows)
        case .string:
            var texts = [String?](repeating: nil, count: rows)
            eachRow { c, r in
                let v = c.value(at: r)
                if case .string(let s) = v { texts[row + r] = s } else { texts[row + r] = v.description }
            }
            // Dictionary-encoded when values repeat enough, as when a batch is sealed.
            var dict: [String: UInt32] = [:]
            var entries: [String] = []
            var codes = [UInt32](repeating: SegmentColumn.nullCode, count: rows)
            let maxDistinct = Swift.max(16, rows / 4)
            var plain = parts.contains { $0.0.map { !$0.isDictionary && $0.type == .string } ?? false }
            if !plain {
                for (i, t) in texts.enumerated() {
                    guard let t else { continue }
                    if let c = dict[t] { codes[i] = c; continue }
                    if entries.count >= maxDistinct { plain = true; break }
                    dict[t] = UInt32(entries.count)
                    codes[i] = UInt32(entries.count)
                    entries.append(t)
                }
            }
            if !plain {
                self.init(type: .string, codes: codes, dictionary: entries, validity: nil, rows: rows)
            } else {
                var offsets: [UInt32] = [0]
                var bytes: [UInt8] = []
                offsets.reserveCapacity(rows + 1)
                for t in texts {
                    if let t { bytes.append(contentsOf: t.utf8) }
                    offsets.append(UInt32(bytes.count))
                }
                self.init(type: .string, offsets: offsets, bytes: bytes, validity: validity, rows: rows)
            }
        }
    }
}

/// A stored segment's columns, each decoded once, by its first reader; later readers share it.
final class StoredContent: Sendable {
    let names: [String]
    private let decode: @Sendable (String) -> SegmentColumn?
    private let decodeFlags: @Sendable () -> [RecordFlags]
    private struct Cache {
        var columns: [String: (column: SegmentColumn, bytes: Int)] = [:]
        /// Columns read since `DecodedColumns`' hand last passed them.
        var recentlyRead: Set<String> = []
        var flags: [RecordFlags]?
    }
    private let cache = Mutex(Cache())

    init(names: [String], column: @escaping @Sendable (String) -> SegmentColumn?, flags: @escaping @Sendable () -> [RecordFlags]) {
        self.names = names
        decode = column
        decodeFlags = flags
    }

    deinit {
        let bytes = cache.withLock { $0.columns.values.reduce(0) { $0 + $1.bytes } }
        if bytes > 0 { DecodedColumns.shared.forget(bytes: bytes) }
    }

    var loadedCount: Int { cache.withLock { $0.columns.count } }

    func column(_ name: String) -> SegmentColumn? {
        if let c = cache.withLock({ cache -> SegmentColumn? in
            guard let c = cache.columns[name]?.column else { return nil }
            if !cache.recentlyRead.contains(name) { cache.recentlyRead.insert(name) }
            return c
        }) { return c }
        guard names.contains(name), let c = decode(name) else { return nil }  // decoded outside the lock
        let bytes = c.residentBytes
        let (kept, fresh) = cache.withLock { cache -> (SegmentColumn, Bool) in
            if let other = cache.columns[name] { return (other.column, false) }
            cache.columns[name] = (c, bytes)
            return (c, true)
        }
        if fresh { DecodedColumns.shared.admit(self, name, bytes: bytes) }
        return kept
    }

    /// Whether `name` was read since last asked (and now: not).
    func clearRecentlyRead(_ name: String) -> Bool {
        cache.withLock { $0.recentlyRead.remove(name) != nil }
    }

    /// Drops a decoded column (read from the file again when next needed).
    func giveBack(_ name: String) {
        cache.withLock { _ = $0.columns.removeValue(forKey: name) }
    }

    var flags: [RecordFlags] {
        if let f = cache.withLock({ $0.flags }) { return f }
        let f = decodeFlags()
        cache.withLock { $0.flags = f }
        return f
    }
}

/// A segment's columns by name, as a dictionary reads; a stored segment's are read on first use.
public struct SegmentColumns: Sendable {
    let resident: [String: SegmentColumn]?
    let stored: StoredContent?

    public subscript(name: String) -> SegmentColumn? {
        if let resident { return resident[name] }
        return stored?.column(name)
    }

    public var keys: [String] { resident.map { Array($0.keys) } ?? stored?.names ?? [] }

    /// Every column (reads a stored segment's whole).
    public var all: [String: SegmentColumn] {
        if let resident { return resident }
        var out: [String: SegmentColumn] = [:]
        for n in keys { out[n] = self[n] }
        return out
    }
}

/// A stage of the pipeline between parsing and storing: each segment goes through the stages of
/// its `LoadOptions` in order as it is made, on the worker that parsed it, before anything stores
/// or shows it. The transform stage changes records; the taps (metric filters, streaming
/// queries' kernels) measure them and pass them on.
public protocol SegmentStage: AnyObject, Sendable {
    /// Where the stage's kind runs among the stages: lower first.
    static var order: Int { get }
    /// `segment` passed on, or the records changed (a new segment). `batch` is the batch the
    /// segment was made from while no stage has changed its records (its lines are at hand
    /// there), else nil.
    func process(_ segment: Segment, batch: RecordBatch?, now: Int64) -> Segment
}

extension TransformChain: SegmentStage {
    public static var order: Int { 0 }
    public func process(_ segment: Segment, batch: RecordBatch?, now: Int64) -> Segment { apply(segment, now: now) }
}

extension LineTap: SegmentStage {
    public static var order: Int { 1 }
    public func process(_ segment: Segment, batch: RecordBatch?, now: Int64) -> Segment {
        measure(batch, into: segment)
        return segment
    }
}

extension KernelTap: SegmentStage {
    public static var order: Int { 2 }
    public func process(_ segment: Segment, batch: RecordBatch?, now: Int64) -> Segment {
        run(on: segment)
        return segment
    }
}

extension Segment {
    /// A batch made a segment, through the options' stages.
    /// `restoring`: the batch holds records another logdash delivered, whose own `source` and
    /// `ingest_ts` come back from their JSON (`Archive.restoringColumns`) before anything sees
    /// them, and whose `host`, where they have none, is the `agent`'s that sent them.
    static func made(from batch: RecordBatch, taps options: LoadOptions, restoring: Bool = false, agent: String? = nil) -> Segment {
        let fresh = Segment(batch)
        var segment = restoring ? Archive.restoringColumns(fresh, host: agent) : fresh
        guard !options.stages.isEmpty else { return segment }
        // The transform stage, then the taps: metric filters and streaming queries see what is stored.
        let now = options.now()
        for stage in options.stages { segment = stage.process(segment, batch: segment === fresh ? batch : nil, now: now) }
        return segment
    }
}
