/// The type of a column. A column starts as `null` (no value seen) and widens as values
/// disagree: bool or int → double → string. Widening never loses a value: numbers that meet
/// text become their decimal text.
public enum ColumnType: UInt8, Sendable, Comparable, CustomStringConvertible {
    case null, bool, int, double, string, timestamp

    public static func < (a: ColumnType, b: ColumnType) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int: "bigint"
        case .double: "double"
        case .string: "varchar"
        case .timestamp: "timestamp"
        }
    }

    /// The narrowest type that holds both.
    public func widened(with other: ColumnType) -> ColumnType {
        if self == other || other == .null { return self }
        if self == .null { return other }
        switch (self, other) {
        case (.int, .double), (.double, .int): return .double
        default: return .string
        }
    }
}

/// One value of one cell, for reading records back out (`cat`, tests, the UI's detail view).
/// The hot paths never build these; they read the typed arrays of a `Column`.
public enum Value: Sendable, Hashable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case timestamp(Int64)
    /// A span of time in nanoseconds (`INTERVAL '5' MINUTE`, the difference of two times).
    case interval(Int64)
    /// An array (`ARRAY[…]`, `split`, `array_agg`): Trino's `array(T)`. Query results only;
    /// no stored column holds one.
    case array([Value])
    /// A map (`map(…)`, `histogram`, `map_agg`): its keys in order, each once, and their values.
    case map([Value], [Value])
    /// Bytes (`to_utf8`, `md5`, `from_hex`, `from_base64`): Trino's `varbinary`.
    case binary([UInt8])
    /// A calendar day, as days since 1970-01-01 (`CAST(ts AS date)`, `DATE '2026-12-07'`).
    case date(Int64)
    /// An instant (nanoseconds since the epoch) seen in a zone (`ts AT TIME ZONE 'Europe/Berlin'`):
    /// Trino's `timestamp with time zone`. Compares by instant; its fields are the zone's wall clock.
    case zoned(Int64, Zone)

    public var description: String {
        switch self {
        case .null: "NULL"
        case .bool(let b): b ? "true" : "false"
        case .int(let v): String(v)
        case .double(let v): Value.format(v)
        case .string(let s): s
        case .timestamp(let ns): Timestamp.iso8601(ns)
        case .interval(let ns): Value.formatInterval(ns)
        case .array(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .map(let keys, let values): "{" + zip(keys, values).map { "\($0)=\($1)" }.joined(separator: ", ") + "}"
        case .binary(let bytes): Value.hex(bytes, separator: " ")  // as Trino prints varbinary: 61 62 63
        case .date(let days): Value.formatDate(days)
        case .zoned(let ns, let zone): Value.formatZoned(ns, zone)
        }
    }

    /// `2026-12-07`.
    public static func formatDate(_ days: Int64) -> String {
        String(Timestamp.iso8601(days &* Timestamp.nanosPerDay).prefix { $0 != "T" })
    }

    /// `2026-12-07T09:30:00.000+01:00`: the zone's wall clock and its offset then.
    public static func formatZoned(_ ns: Int64, _ zone: Zone) -> String {
        let offset = zone.zone.offset(atUTC: Timestamp.floorDiv(ns, Timestamp.nanosPerSecond))
        let text = Timestamp.iso8601(ns &+ Int64(offset) &* Timestamp.nanosPerSecond)
        guard offset != 0 else { return text }
        let m = abs(offset) / 60
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return text.dropLast() + (offset < 0 ? "-" : "+") + two(m / 60) + ":" + two(m % 60)
    }

    /// The zone of a `zoned` value: one of the tz database's (or a fixed offset). Zoned values
    /// are equal (and hash alike) by their instant alone, as in Trino: the zone takes no part.
    public struct Zone: Sendable, Hashable {
        public let zone: LocalZone
        public init(_ zone: LocalZone) { self.zone = zone }
        public static func == (a: Zone, b: Zone) -> Bool { true }
        public func hash(into h: inout Hasher) {}
    }

    /// Bytes as two lower-case hex digits each.
    public static func hex(_ bytes: [UInt8], separator: String = "", upper: Bool = false) -> String {
        let digits = Array((upper ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * (2 + separator.utf8.count))
        for (k, b) in bytes.enumerated() {
            if k > 0 { out += separator.utf8 }
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A date as its midnight (UTC) and a zoned time as its instant: how they compare with
    /// stored times.
    public var asInstant: Value {
        switch self {
        case .date(let d): d.multipliedReportingOverflow(by: Timestamp.nanosPerDay).overflow ? self : .timestamp(d * Timestamp.nanosPerDay)
        case .zoned(let t, _): .timestamp(t)
        default: self
        }
    }

    var isDate: Bool { if case .date = self { true } else { false } }
    var isInterval: Bool { if case .interval = self { true } else { false } }

    /// Whether it is a bigint or a double.
    public var isNumber: Bool {
        switch self {
        case .int, .double: true
        default: false
        }
    }

    /// `1 day 02:03:04.500`, the way Trino prints a day-to-second interval.
    public static func formatInterval(_ ns: Int64) -> String {
        let sign = ns < 0 ? "-" : ""
        var rest = ns.magnitude
        let days = rest / (86400 * 1_000_000_000); rest %= 86400 * 1_000_000_000
        let h = rest / 3_600_000_000_000; rest %= 3_600_000_000_000
        let m = rest / 60_000_000_000; rest %= 60_000_000_000
        let s = rest / 1_000_000_000, ms = rest % 1_000_000_000 / 1_000_000
        func two(_ v: UInt64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(sign)\(days) \(two(h)):\(two(m)):\(two(s)).\(msText)"
    }

    /// A stored number as the value of a column of `type` (bool, int and timestamp columns
    /// store Int64s, double columns Doubles); nil for string and null columns.
    init?(stored type: ColumnType, int: () -> Int64, double: () -> Double) {
        switch type {
        case .bool: self = .bool(int() != 0)
        case .int: self = .int(int())
        case .timestamp: self = .timestamp(int())
        case .double: self = .double(double())
        case .string, .null: return nil
        }
    }

    /// Shortest text that reads back as the same double; integral values without `.0`.
    public static func format(_ v: Double) -> String {
        if v.isFinite, v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}

/// A growable column of one field: typed values, a validity bitmap, and for strings a byte arena.
///
/// Parsers append directly into columns and roll a row back with `truncate(to:)` when a line
/// turns out not to fit its format after all; rows a column never saw read as NULL.
public struct Column: Sendable {
    public let name: String
    public private(set) var type: ColumnType = .null
    public private(set) var count = 0
    /// Values for `bool` (0/1), `int` and `timestamp` columns.
    public private(set) var ints: [Int64] = []
    public private(set) var doubles: [Double] = []
    /// For `string` columns: value `i` is `bytes[offsets[i]..<offsets[i+1]]`.
    public private(set) var offsets: [UInt32] = [0]
    public private(set) var bytes: [UInt8] = []
    /// Bit `i` set when row `i` has a value.
    public private(set) var validity: [UInt64] = []
    public private(set) var nonNullCount = 0

    /// Rows to reserve room for when the column gets its first value (set by the batch).
    var expectedRows = 0

    public init(name: String, type: ColumnType = .null, expectedRows: Int = 0) {
        self.name = name
        self.type = type
        self.expectedRows = expectedRows
    }

    /// Reserves room for `expectedRows` values of `type` (and `bytesPerValue` string bytes).
    mutating func reserve(bytesPerValue: Int = 16) {
        guard expectedRows > 0 else { return }
        switch type {
        case .bool, .int, .timestamp: ints.reserveCapacity(expectedRows)
        case .double: doubles.reserveCapacity(expectedRows)
        case .string:
            offsets.reserveCapacity(expectedRows + 1)
            bytes.reserveCapacity(expectedRows * bytesPerValue)
        case .null: break
        }
        validity.reserveCapacity(expectedRows / 64 + 1)
    }

    @inline(__always) public func isValid(_ row: Int) -> Bool {
        let w = row >> 6
        return w < validity.count && validity[w] & (1 << UInt64(row & 63)) != 0
    }

    public func value(at row: Int) -> Value {
        guard row < count, isValid(row) else { return .null }
        if let v = Value(stored: type, int: { ints[row] }, double: { doubles[row] }) { return v }
        return type == .string ? .string(string(at: row)) : .null
    }

    public func string(at row: Int) -> String {
        let s = Int(offsets[row]), e = Int(offsets[row + 1])
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[s..<e]), as: UTF8.self) }
    }

    // MARK: appending

    /// Brings the column to `row` rows, the missing ones NULL.
    @inline(__always)
    public mutating func pad(to row: Int) {
        guard count < row else { return }
        switch type {
        case .null: break
        case .bool, .int, .timestamp: ints.append(contentsOf: repeatElement(0, count: row - count))
        case .double: doubles.append(contentsOf: repeatElement(0, count: row - count))
        case .string:
            let end = offsets[offsets.count - 1]
            offsets.append(contentsOf: repeatElement(end, count: row - count))
        }
        count = row
    }

    @inline(__always)
    private mutating func markValid() {
        let w = count >> 6
        while validity.count <= w { validity.append(0) }
        validity[w] |= 1 << UInt64(count & 63)
        count += 1
        nonNullCount += 1
    }

    public mutating func append(int v: Int64) {
        switch type {
        case .int: ints.append(v)
        case .null: widen(to: .int); ints.append(v)
        case .double: doubles.append(Double(v))
        case .bool, .timestamp: widen(to: .string); appendText(String(v))
        case .string: appendText(String(v))
        }
        markValid()
    }

    public mutating func append(double v: Double) {
        switch type {
        case .double: doubles.append(v)
        case .null, .int: widen(to: .double); doubles.append(v)
        case .bool, .timestamp: widen(to: .string); appendText(Value.format(v))
        case .string: appendText(Value.format(v))
        }
        markValid()
    }

    public mutating func append(bool v: Bool) {
        switch type {
        case .bool: ints.append(v ? 1 : 0)
        case .null: widen(to: .bool); ints.append(v ? 1 : 0)
        default: widen(to: .string); appendText(v ? "true" : "false")
        }
        markValid()
    }

    public mutating func append(timestamp v: Int64) {
        switch type {
        case .timestamp: ints.append(v)
        case .null: widen(to: .timestamp); ints.append(v)
        default: widen(to: .string); appendText(Timestamp.iso8601(v))
        }
        markValid()
    }

    public mutating func append(bytes p: UnsafePointer<UInt8>, count n: Int) {
        if type != .string { widen(to: .string) }
        bytes.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        offsets.append(UInt32(truncatingIfNeeded: bytes.count))
        markValid()
    }

    public mutating func append(_ line: ByteLine) { append(bytes: line.base, count: line.count) }

    public mutating func append(string s: String) {
        var s = s
        s.withUTF8 { buf in
            if let b = buf.baseAddress { append(bytes: b, count: buf.count) }
            else { withUnsafePointer(to: UInt8(0)) { append(bytes: $0, count: 0) } }
        }
    }

    /// Adds bytes to the end of the last value (a string column): continuation lines of a record.
    public mutating func extendLast(separator: UInt8, _ line: ByteLine) {
        precondition(type == .string && count > 0 && isValid(count - 1))
        bytes.append(separator)
        bytes.append(contentsOf: line.buffer)
        offsets[offsets.count - 1] = UInt32(truncatingIfNeeded: bytes.count)
    }

    /// Appends to the last value with nothing between.
    public mutating func extendLast(_ line: ByteLine) {
        precondition(type == .string && count > 0 && isValid(count - 1))
        bytes.append(contentsOf: line.buffer)
        offsets[offsets.count - 1] = UInt32(truncatingIfNeeded: bytes.count)
    }

    /// This column with `other`'s values in the rows where it has none: two keys stored under
    /// one name (a record's `source` kept as `_source` beside a `_source` key; `{"a":{"b":1}}`
    /// flattened beside `"a.b"`). Where both have a value, this column's is kept.
    func coalesced(with other: Column, rows n: Int) -> Column {
        var out = Column(name: name, expectedRows: n)
        for r in 0..<n {
            out.pad(to: r)
            switch isValid(r) ? value(at: r) : other.value(at: r) {
            case .bool(let b): out.append(bool: b)
            case .int(let i): out.append(int: i)
            case .double(let d): out.append(double: d)
            case .timestamp(let t): out.append(timestamp: t)
            case .string(let s): out.append(string: s)
            default: continue
            }
        }
        out.pad(to: n)
        return out
    }

    private mutating func appendText(_ s: String) {
        bytes.append(contentsOf: s.utf8)
        offsets.append(UInt32(truncatingIfNeeded: bytes.count))
    }

    /// Drops rows from `row` on (a parse that failed halfway). The type stays as widened.
    public mutating func truncate(to row: Int) {
        guard row < count else { return }
        for r in row..<count where isValid(r) {
            validity[r >> 6] &= ~(1 << UInt64(r & 63))
            nonNullCount -= 1
        }
        switch type {
        case .null: break
        case .bool, .int, .timestamp: ints.removeLast(count - row)
        case .double: doubles.removeLast(count - row)
        case .string:
            offsets.removeLast(count - row)
            bytes.removeLast(bytes.count - Int(offsets[offsets.count - 1]))
        }
        count = row
    }

    /// Converts the stored values to `target`, a wider type.
    private mutating func widen(to target0: ColumnType) {
        let target = type.widened(with: target0)
        guard target != type else { return }
        let old = self
        ints = []; doubles = []; bytes = []; offsets = [0]
        type = target
        defer { reserve() }
        switch target {
        case .bool, .int, .timestamp:
            ints = Array(repeating: 0, count: count)  // only ever from .null
        case .double:
            doubles = old.type == .int ? old.ints.map(Double.init) : Array(repeating: 0, count: count)
        case .string:
            offsets.reserveCapacity(count + 1)
            for r in 0..<count {
                if old.isValid(r) { appendText(old.value(at: r).description) }
                else { offsets.append(UInt32(truncatingIfNeeded: bytes.count)) }
            }
        case .null: break
        }
    }
}
