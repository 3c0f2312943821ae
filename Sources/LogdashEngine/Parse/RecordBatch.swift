/// Names of the columns every record has.
public enum CoreColumn {
    public static let names = ["ts", "ingest_ts", "source", "host", "level", "message", "raw"]
    /// A field whose key is a core name but whose value the core column could not take
    /// (an unparseable `ts`, a `raw` key) is kept under this name instead.
    public static func renamed(_ key: String) -> String { "_" + key }
}

/// Per-record flags.
public struct RecordFlags: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The record was longer than the maximum record size and was cut.
    public static let truncated = RecordFlags(rawValue: 1)
    /// No format fitted the line: the record has only `raw`, `message` and arrival time.
    public static let unparsed = RecordFlags(rawValue: 2)
    /// Continuation lines were joined to this record.
    public static let multiline = RecordFlags(rawValue: 4)
    /// The line had no timestamp of its own: `ts` is the arrival time.
    public static let arrivalTime = RecordFlags(rawValue: 8)
    /// A transform step failed for the record (`_transform_error` says which and why).
    public static let transformFailed = RecordFlags(rawValue: 16)
    /// The flags the `errors` table shows.
    public static let shownAsErrors: RecordFlags = [.unparsed, .truncated, .transformFailed]
}

/// What a field's key means to the core columns (`time`, `@timestamp` → `ts`, and so on).
enum FieldRole: UInt8 {
    case none, time, level, message, host
    /// Nanoseconds to add to a time given in whole seconds (GCP's `timestamp.nanos`).
    case timeNanos
    /// A message that is itself a log line, parsed again (Docker json-file's `log`).
    case payload
    /// Serilog CLEF's `@mt`.
    case template
    /// A time or level only when written as text (short keys: `t`, `s`).
    case timeText, levelText
    /// OpenTelemetry's `severityNumber` (1–4 trace … 21–24 fatal).
    case otelSeverity

    /// The core column a role fills.
    var coreName: String {
        switch self {
        case .none: ""
        case .time: "ts"
        case .level: "level"
        case .message: "message"
        case .host: "host"
        case .timeNanos, .timeText: "ts"
        case .levelText: "level"
        case .otelSeverity: "level"
        case .payload, .template: "message"
        }
    }

    /// Well-known keys, lower-cased, and whether the key is the core column's own name.
    static func of(_ name: String) -> (role: FieldRole, isCoreName: Bool) {
        switch name.lowercased() {
        case "ts": (.time, true)
        // (journald's __REALTIME_TIMESTAMP, OpenTelemetry's timeUnixNano and observedTimeUnixNano (when the
        // first is 0), Serilog's @t, MongoDB's t.$date, Grafana's t, Cloudflare's EdgeStartTimestamp, GCP's
        // timestamp.seconds, Windows event exports' TimeCreated and "Date and Time")
        case "time", "timestamp", "@timestamp", "datetime", "date", "eventtime", "event_time", "__realtime_timestamp",
             "timeunixnano", "time_unix_nano", "observedtimeunixnano", "observed_time_unix_nano", "@t", "t.$date",
             "edgestarttimestamp", "timestamp.seconds", "timecreated", "date_and_time": (.time, false)
        case "timestamp.nanos": (.timeNanos, false)
        // (Short keys only as text: Grafana's t is a time, MongoDB's s a level letter; a number under them is not.)
        case "t": (.timeText, false)
        case "s": (.levelText, false)
        case "severitynumber", "severity_number": (.otelSeverity, false)
        case "level": (.level, true)
        // (journald's PRIORITY, OpenTelemetry's severityText, Serilog's @l, Monolog's level_name, MongoDB's s,
        // PostgreSQL jsonlog's error_severity)
        case "severity", "lvl", "loglevel", "log_level", "log.level", "levelname", "severity_text", "priority", "severitytext",
             "@l", "level_name", "error_severity", "leveldisplayname": (.level, false)
        case "message": (.message, true)
        // (GELF's short_message, OpenTelemetry's body, Serilog's @m; journald's MESSAGE is "message")
        case "msg", "text", "short_message", "body", "@m": (.message, false)
        // Serilog's CLEF message template: the message when there is no @m; a record with one and no @l is Information.
        case "@mt": (.template, false)
        case "log": (.payload, false)
        case "host": (.host, true)
        case "hostname", "host.name", "_hostname": (.host, false)
        default: (.none, false)
        }
    }
}

/// A batch of parsed records from one source, stored column by column.
///
/// The parse stage writes each line straight into the columns; the store (issue 3) seals
/// batches into segments. Core columns are typed arrays; every other field is a `Column`
/// created the first time its name is seen.
public struct RecordBatch: Sendable {
    public let source: String
    public private(set) var count = 0
    public private(set) var ts: [Int64] = []
    public private(set) var ingestTs: [Int64] = []
    /// `Level.rawValue`, 0 when the record has none.
    public private(set) var levels: [UInt8] = []
    public private(set) var flags: [RecordFlags] = []
    /// Index into `formatNames` of the format that parsed each record.
    public private(set) var formatIndex: [UInt8] = []
    public private(set) var formatNames: [String] = []
    public private(set) var host = Column(name: "host")
    public private(set) var message = Column(name: "message")
    public private(set) var raw = Column(name: "raw")
    /// When set, raw lines are not copied: `rawStarts`/`rawLengths` locate them in the file.
    public private(set) var rawReference: RawReference?
    /// `rawReference`'s base, kept apart so that a row's commit touches no reference count.
    private var rawBase: Int?
    public private(set) var rawStarts: [Int64] = []
    public private(set) var rawLengths: [UInt32] = []
    public private(set) var fields: [Column] = []

    // Field lookup by the key's bytes.
    /// Field keys, one after another in one arena (not an array each: a lookup then costs no
    /// reference counting); key `c` is `keyBytes[keyStart[c]..<keyStart[c+1]]`.
    private var keyBytes: [UInt8] = []
    private var keyStart: [Int32] = [0]
    private var fieldRoles: [FieldRole] = []
    private var fieldIsCoreName: [Bool] = []
    /// Fields no query will read (see `project`): their values are skipped, not stored.
    private var fieldIgnored: [Bool] = []
    /// The lower-cased names of the fields to keep; nil keeps every field.
    public private(set) var projection: Set<String>?
    private var table: [Int32] = Array(repeating: -1, count: 64)
    /// The column of the k-th key of the previous line: lines of one source repeat their keys.
    private var slotCache: [Int32] = Array(repeating: -1, count: 64)

    // The row being built.
    private var rowTs: Int64 = 0
    private var rowHasTs = false
    private var rowLevel: UInt8 = 0
    public private(set) var rowHasMessage = false
    private var rowHasHost = false
    public private(set) var reference: Int64 = 0
    /// The zone of times that carry none (nil: UTC); set by the source's parser.
    public var zone: LocalZone?
    /// The reference for the year of yearless times, when it is not the arrival time (a file's
    /// history: its modification time); set by the source's parser.
    public var yearReference: Int64?
    /// Whether the source writes `dd/MM/yyyy` (see `Timestamp.dayFirst(in:)`); set by its parser.
    public var dayFirst = false

    /// Rows this batch expects, so that columns reserve room once instead of regrowing.
    public private(set) var expectedRows = 0

    public init(source: String) {
        self.source = source
    }

    /// Keeps raw lines as offsets into the file being parsed rather than copies.
    public mutating func referenceRaw(_ r: RawReference) {
        precondition(count == 0, "choose how raw lines are kept before the first record")
        rawReference = r
        rawBase = Int(bitPattern: r.base)
    }

    /// Reserves room for about `rows` records of about `bytesPerRow` raw bytes each.
    public mutating func reserve(rows: Int, bytesPerRow: Int) {
        expectedRows = rows
        ts.reserveCapacity(rows); ingestTs.reserveCapacity(rows); levels.reserveCapacity(rows)
        flags.reserveCapacity(rows); formatIndex.reserveCapacity(rows)
        if rawReference != nil {
            rawStarts.reserveCapacity(rows); rawLengths.reserveCapacity(rows)
        } else {
            raw = Column(name: "raw", type: .string, expectedRows: rows)
            raw.reserve(bytesPerValue: bytesPerRow + 1)
        }
        host.expectedRows = rows
        message.expectedRows = rows
        for i in fields.indices { fields[i].expectedRows = rows }
    }

    public var isEmpty: Bool { count == 0 }

    // MARK: building a row

    /// A log line inside the record being built (Docker's `log`, a compose or CRI line's message,
    /// JSON after a syslog header), which the source's parser parses again (see `SourceParser`).
    public private(set) var hasPayload = false
    private var payloadBytes: [UInt8] = []
    /// Whether the row is a Serilog CLEF event (it has `@mt`), whose level is Information unless `@l` says.
    public private(set) var rowIsCLEF = false

    /// Marks `v` as a line to parse again (copied: it may be in a scratch buffer).
    public mutating func setPayload(_ v: ByteLine) {
        payloadBytes.removeAll(keepingCapacity: true)
        payloadBytes.append(contentsOf: v.buffer)
        hasPayload = true
    }

    /// The payload's bytes, moved out (give them back with `returnPayload` to keep the buffer).
    public mutating func takePayload() -> [UInt8] {
        hasPayload = false
        let p = payloadBytes
        payloadBytes = []
        return p
    }

    public mutating func returnPayload(_ p: [UInt8]) {
        hasPayload = false
        payloadBytes = p
    }

    /// What the row being built holds, to go back to (`restore`) or keep (`keepOuter`) after
    /// a payload's parse.
    public struct RowState {
        let ts: Int64, hasTs: Bool, level: UInt8, hasMessage: Bool, hasHost: Bool
        let filled: [Bool]
    }

    public func rowState() -> RowState {
        RowState(ts: rowTs, hasTs: rowHasTs, level: rowLevel, hasMessage: rowHasMessage, hasHost: rowHasHost,
                 filled: fields.map { $0.count > count })
    }

    /// Undoes what was written since `state` (a payload's format that did not fit after all).
    public mutating func restore(_ state: RowState) {
        for i in fields.indices where fields[i].count > count && !(i < state.filled.count && state.filled[i]) { fields[i].truncate(to: count) }
        if rowHasMessage && !state.hasMessage { message.truncate(to: count) }
        if rowHasHost && !state.hasHost { host.truncate(to: count) }
        rowTs = state.ts; rowHasTs = state.hasTs; rowLevel = state.level
        rowHasMessage = state.hasMessage; rowHasHost = state.hasHost
        hasPayload = false
    }

    /// After a payload's parse: the outer record's time stands where it had one, and its level
    /// where the payload gave none (an application's own level is more telling than the
    /// default priority its syslog library sends).
    public mutating func keepOuter(_ state: RowState) {
        if state.hasTs { rowTs = state.ts; rowHasTs = true }
        if rowLevel == 0 { rowLevel = state.level }
        hasPayload = false
    }

    /// Takes the level out of the row being built (a payload's own level wins), to put back
    /// with `restoreLevel` when the payload gives none.
    public mutating func takeLevel() -> UInt8 {
        defer { rowLevel = 0 }
        return rowLevel
    }

    public mutating func restoreLevel(_ level: UInt8) {
        if rowLevel == 0 { rowLevel = level }
    }

    /// Keeps field `c`'s values whatever the projection says (a format reads them).
    public mutating func keepField(_ c: Int) {
        if fieldIgnored[c] { fieldIgnored[c] = false }
    }

    /// The value field `c` has in the row being built, if any.
    public func rowValue(_ c: Int) -> Value? {
        guard c >= 0, c < fields.count, fields[c].count > count else { return nil }
        return fields[c].value(at: count)
    }

    /// Marks the row's message as a line to parse again (CRI's split line, once whole).
    public mutating func setPayloadFromMessage() {
        guard rowHasMessage, message.count == count + 1 else { return }
        let s = Int(message.offsets[count]), e = Int(message.offsets[count + 1])
        payloadBytes.removeAll(keepingCapacity: true)
        payloadBytes.append(contentsOf: message.bytes[s..<e])
        hasPayload = true
    }

    /// Takes the host back out of the row being built.
    public mutating func dropHost() {
        if rowHasHost { host.truncate(to: count); rowHasHost = false }
    }

    /// Takes the message back out of the row being built (a payload's format gives its own).
    public mutating func dropMessage() {
        if rowHasMessage { message.truncate(to: count); rowHasMessage = false }
    }

    /// Starts a record; `arrival` is its arrival time, also the reference for year inference.
    public mutating func beginRow(arrival: Int64) {
        hasPayload = false
        rowIsCLEF = false
        reference = yearReference ?? arrival
        rowHasTs = false
        rowLevel = 0
        rowHasMessage = false
        rowHasHost = false
    }

    /// Undoes every field written since `beginRow`. Rare (a line that did not fit a format
    /// after all), so it looks at every column rather than have each write keep a list.
    public mutating func abandonRow() {
        hasPayload = false
        for i in fields.indices where fields[i].count > count { fields[i].truncate(to: count) }
        if rowHasMessage { message.truncate(to: count) }
        if rowHasHost { host.truncate(to: count) }
        rowHasTs = false
        rowLevel = 0
        rowHasMessage = false
        rowHasHost = false
    }

    /// Keeps only these fields (lower-cased names); set before the first record. A field that fills
    /// a core column is kept when the projection names that column, and a time always.
    public mutating func project(_ names: Set<String>?) {
        precondition(fields.isEmpty, "choose the projection before the first field")
        projection = names
    }

    /// Whether values of column `c` are skipped (a projection leaves it out).
    @inline(__always) public func isIgnored(_ c: Int) -> Bool { fieldIgnored[c] }

    /// The fields in the order their values take precedence when two keys are stored under one
    /// name (`Column.coalesced`): a key as written (`_raw`) before a core column's name kept
    /// aside (`raw`), else as first seen.
    public var fieldsByPrecedence: [Column] {
        fields.indices.sorted { a, b in fieldIsCoreName[a] != fieldIsCoreName[b] ? !fieldIsCoreName[a] : a < b }.map { fields[$0] }
    }

    /// The names of fields seen but skipped by the projection (for "did you mean" hints).
    public var skippedFieldNames: [String] {
        fields.indices.filter { fieldIgnored[$0] }.map { fields[$0].name }
    }

    /// Names the formats that `commitRow`'s `format` indexes; set once by the parser.
    public mutating func setFormatNames(_ names: [String]) {
        if formatNames.isEmpty { formatNames = names }
    }

    /// Finishes the record: raw bytes, arrival time, flags and the index of its format in `formatNames`.
    public mutating func commitRow(raw line: ByteLine, arrival: Int64, format: Int, flags f: RecordFlags) {
        var f = f
        if !rowHasTs { ts.append(arrival); f.insert(.arrivalTime) } else { ts.append(rowTs) }
        ingestTs.append(arrival)
        levels.append(rowLevel)
        flags.append(f)
        formatIndex.append(UInt8(truncatingIfNeeded: format))
        if let base = rawBase {
            rawStarts.append(Int64(Int(bitPattern: line.base) - base))
            rawLengths.append(UInt32(line.count))
        } else {
            raw.pad(to: count)
            raw.append(line)
        }
        count += 1
    }

    public func format(at row: Int) -> String { formatNames[Int(formatIndex[row])] }

    public mutating func setTime(_ ns: Int64) { rowTs = ns; rowHasTs = true }
    /// A parsed time: one without a zone is a wall-clock time in the source's `zone`.
    @inline(__always)
    public mutating func setTime(_ t: Timestamp.Parsed) {
        rowTs = t.zoned ? t.nanos : local(t.nanos); rowHasTs = true
    }
    /// The UTC instant of a wall-clock time in the source's zone.
    @inline(__always)
    public func local(_ ns: Int64) -> Int64 {
        guard let zone else { return ns }
        return zone.utc(fromLocal: ns)
    }
    public var rowHasTime: Bool { rowHasTs }
    public mutating func setLevel(_ l: Level) { rowLevel = l.rawValue }
    public var rowHasLevel: Bool { rowLevel != 0 }

    public mutating func setMessage(_ line: ByteLine) {
        guard !rowHasMessage else { return }
        message.pad(to: count); message.append(line); rowHasMessage = true
    }

    public mutating func setMessage(_ s: String) {
        guard !rowHasMessage else { return }
        message.pad(to: count); message.append(string: s); rowHasMessage = true
    }

    public var rowHasMessageSet: Bool { rowHasMessage }

    /// Adds a continuation line to the row's message, on a new line.
    public mutating func appendToMessage(_ line: ByteLine) {
        if rowHasMessage { message.extendLast(separator: ASCII.lf, line) } else { setMessage(line) }
    }

    /// Joins the rest of a line split in parts (CRI's `P` lines) to the message, with nothing between.
    public mutating func continueMessage(_ part: ByteLine) {
        if rowHasMessage { message.extendLast(part) } else { setMessage(part) }
    }

    public mutating func setHost(_ line: ByteLine) {
        guard !rowHasHost else { return }
        host.pad(to: count); host.append(line); rowHasHost = true
    }

    // MARK: fields

    /// The column for a field key, created on first sight. `slot` is the key's position in
    /// the line, a hint that makes the common case one `memcmp`.
    @inline(__always)
    public mutating func field(_ key: ByteLine, slot: Int) -> Int {
        if slot < 64 {
            let c = Int(slotCache[slot])
            if c >= 0 {
                if keyMatches(c, key) { return c }
            }
            let c2 = lookup(key)
            slotCache[slot] = Int32(c2)
            return c2
        }
        return lookup(key)
    }

    public mutating func field(named name: String) -> Int {
        ByteLine.with(name) { lookup($0) }
    }

    @inline(__always)
    private func keyMatches(_ c: Int, _ key: ByteLine) -> Bool {
        let s = Int(keyStart[c])
        guard Int(keyStart[c + 1]) - s == key.count else { return false }
        return key.count == 0 || keyBytes.withUnsafeBufferPointer { bytesEqual($0.baseAddress! + s, key.base, key.count) }
    }

    private static func hash(_ key: ByteLine) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<key.count { h = (h ^ UInt64(key[i])) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    private mutating func lookup(_ key: ByteLine) -> Int {
        var mask = table.count - 1
        var i = RecordBatch.hash(key) & mask
        while true {
            let c = Int(table[i])
            if c < 0 { break }
            if keyMatches(c, key) { return c }
            i = (i + 1) & mask
        }
        // New field.
        let name = key.string
        let (role, isCore) = FieldRole.of(name)
        let storedName = (isCore || CoreColumn.names.contains(name)) ? CoreColumn.renamed(name) : name
        let c = fields.count
        fields.append(Column(name: storedName, expectedRows: expectedRows))
        keyBytes.append(contentsOf: key.buffer)
        keyStart.append(Int32(keyBytes.count))
        fieldRoles.append(role)
        fieldIsCoreName.append(isCore || CoreColumn.names.contains(name))
        // Skipped when the projection names neither the field nor the core column it fills;
        // a time is always kept (time ranges and segment skipping need `ts`), and a payload (a
        // line inside the line may hold any column).
        fieldIgnored.append(projection.map { wanted in
            !wanted.contains(storedName.lowercased()) && role != .time && role != .timeNanos && role != .payload
                && !(role != .none && wanted.contains(role.coreName))
        } ?? false)
        table[i] = Int32(c)
        if fields.count * 2 > table.count {
            table = Array(repeating: -1, count: table.count * 2)
            mask = table.count - 1
            for k in 0..<fields.count {
                let s = Int(keyStart[k]), e = Int(keyStart[k + 1])
                var j = keyBytes.withUnsafeBufferPointer { RecordBatch.hash(ByteLine(base: ($0.baseAddress ?? UnsafePointer(bitPattern: 1)!) + s, count: e - s)) } & mask
                while table[j] >= 0 { j = (j + 1) & mask }
                table[j] = Int32(k)
            }
        }
        return c
    }

    @inline(__always)
    private mutating func touch(_ c: Int) -> Bool {
        if fields[c].count > count { return false }  // a repeated key: the first value wins
        fields[c].pad(to: count)
        return true
    }

    /// Whether column `c`'s key is journald's `MESSAGE` (whose value may be an array of bytes).
    public func isJournalMessage(_ c: Int) -> Bool {
        c >= 0 && fieldRoles[c] == .message && keyMatches(c, RecordBatch.journalKey[0])
    }

    private static let journalKey = KeyTable(["MESSAGE"])

    /// A string value. Well-known keys also fill the core columns.
    public mutating func put(string v: ByteLine, field c: Int) {
        if fieldIgnored[c] { return }
        let role = fieldRoles[c]
        if role != .none, consume(role: role, string: v) {
            if fieldIsCoreName[c] { return }
        }
        if touch(c) { fields[c].append(v) }
    }

    public mutating func put(int v: Int64, field c: Int) {
        if fieldIgnored[c] { return }
        let role = fieldRoles[c]
        if role == .time, !rowHasTs, v != 0, let ns = Timestamp.fromEpoch(v) {
            setTime(ns)
            if fieldIsCoreName[c] { return }
        } else if role == .level, rowLevel == 0, let l = Level(numeric: v) {
            setLevel(l)
        } else if role == .otelSeverity || role == .timeNanos {
            addTimeOrSeverity(v, role: role)
        }
        if touch(c) { fields[c].append(int: v) }
    }

    public mutating func put(double v: Double, field c: Int) {
        if fieldIgnored[c] { return }
        if fieldRoles[c] == .time, !rowHasTs, v != 0, let ns = Timestamp.fromEpoch(v) {
            setTime(ns)
            if fieldIsCoreName[c] { return }
        }
        if touch(c) { fields[c].append(double: v) }
    }

    public mutating func put(bool v: Bool, field c: Int) {
        if fieldIgnored[c] { return }
        if touch(c) { fields[c].append(bool: v) }
    }

    /// Text whose type is not known (logfmt, syslog parameters, regex captures): a number
    /// when it reads as one, else a string.
    public mutating func put(inferred v: ByteLine, field c: Int) {
        if fieldIgnored[c] { return }
        if v.count > 0, v.count < 24 {
            let b = v[0]
            if ASCII.isDigit(b) || ((b == ASCII.minus || b == ASCII.plus) && v.count > 1) {
                // Leading zeros ("007") and long digit strings (ids) stay text.
                if !(b == 0x30 && v.count > 1 && v[1] != ASCII.dot) {
                    if let i = ByteNumber.int(v, 0, v.count) { put(int: i, field: c); return }
                    if let d = ByteNumber.double(v, 0, v.count) { put(double: d, field: c); return }
                }
            } else if v.equals("true") { put(bool: true, field: c); return }
            else if v.equals("false") { put(bool: false, field: c); return }
        }
        put(string: v, field: c)
    }

    /// An OpenTelemetry severity number (1–4 trace … 21–24 fatal) as the row's level, or
    /// nanoseconds added to a time of whole seconds.
    private mutating func addTimeOrSeverity(_ v: Int64, role: FieldRole) {
        if role == .otelSeverity, rowLevel == 0, (1...24).contains(v) {
            setLevel([Level.trace, .debug, .info, .warn, .error, .fatal][Int(v - 1) / 4])
        } else if role == .timeNanos, rowHasTs, (0..<Timestamp.nanosPerSecond).contains(v), rowTs % Timestamp.nanosPerSecond == 0 {
            rowTs += v
        }
    }

    /// Fills a core column from a string under a well-known key; false when it could not.
    private mutating func consume(role: FieldRole, string v: ByteLine) -> Bool {
        switch role {
        case .time, .timeText:
            // A time as text, or epoch digits in a string (journald's microseconds, OTel's nanoseconds).
            guard !rowHasTs, let t = Timestamp.parsed(text: v, reference: reference, dayFirst: dayFirst)
                    ?? (v.count <= 19 ? ByteNumber.int(v, 0, v.count).flatMap(Timestamp.fromEpoch).map { Timestamp.Parsed(nanos: $0, length: v.count, zoned: true) } : nil),
                  t.nanos != 0 || !t.zoned
            else { return false }
            setTime(t)
            return true
        case .levelText:
            guard rowLevel == 0, let l = Level.recognise(v, 0, v.count)
                    ?? (v.count == 2 && v[0] == 0x44 && v[1] >= 0x31 && v[1] <= 0x35 ? .debug : nil) else { return false }
            setLevel(l)
            if !Level.isCanonical(v, l) { putLevelRaw(v) }
            return true
        case .level:
            // A level word, or a number in a string (journald's PRIORITY "3").
            // (MongoDB's debug levels D1 … D5.)
            guard rowLevel == 0, let l = Level.recognise(v, 0, v.count)
                    ?? (v.count <= 2 ? ByteNumber.int(v, 0, v.count).flatMap(Level.init(numeric:)) : nil)
                    ?? (v.count == 2 && v[0] == 0x44 && v[1] >= 0x31 && v[1] <= 0x35 ? .debug : nil) else { return false }
            setLevel(l)
            if !Level.isCanonical(v, l) { putLevelRaw(v) }
            return true
        case .message, .payload, .template:
            if role == .template { rowIsCLEF = true }
            guard !rowHasMessage else { return false }
            setMessage(v)
            if role == .payload { setPayload(v) }
            return true
        case .host:
            guard !rowHasHost else { return false }
            setHost(v)
            return true
        case .timeNanos, .otelSeverity:
            // (numbers written as text: "250000000", "13")
            if v.count <= 10, let n = ByteNumber.int(v, 0, v.count) { addTimeOrSeverity(n, role: role) }
            return false
        case .none:
            return false
        }
    }

    /// Keeps a level's original spelling when it is not the normalised name.
    public mutating func putLevelRaw(_ v: ByteLine) {
        let c = field(named: "level_raw")
        if touch(c) { fields[c].append(v) }
    }

    // MARK: finishing

    /// Pads every column to the batch's row count; call before reading.
    public mutating func finish() {
        for i in fields.indices { fields[i].pad(to: count) }
        host.pad(to: count)
        message.pad(to: count)
    }

    public func column(named name: String) -> Column? {
        fields.first { $0.name == name }
    }

    /// The value of a core column or field at a row; nil for an unknown name.
    public func value(_ name: String, at row: Int) -> Value? {
        switch name {
        case "ts": return .timestamp(ts[row])
        case "ingest_ts": return .timestamp(ingestTs[row])
        case "source": return .string(source)
        case "host": return host.value(at: row)
        case "level": return levels[row] == 0 ? .null : .string(Level(rawValue: levels[row])!.name)
        case "message": return message.value(at: row)
        case "raw":
            if let r = rawReference {
                guard let bytes = r.file.read(offset: rawStarts[row], length: Int(rawLengths[row])) else { return .string(RawFile.unavailable) }
                return .string(String(decoding: bytes, as: UTF8.self))
            }
            return raw.value(at: row)
        default: return column(named: name)?.value(at: row)
        }
    }
}

/// Equality of short byte strings (field names): a loop beats a `memcmp` call at these lengths.
@inline(__always)
func bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    if n > 32 { return memcmp(a, b, n) == 0 }
    var i = 0
    while i + 8 <= n {
        if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) { return false }
        i += 8
    }
    while i < n { if a[i] != b[i] { return false }; i += 1 }
    return true
}

extension Level {
    /// Numeric levels: syslog severities 0–7 (journald's PRIORITY, GELF's level), and pino's
    /// and bunyan's 10 trace … 60 fatal.
    init?(numeric v: Int64) {
        if (0...7).contains(v) {
            self.init(syslogSeverity: Int(v))
            return
        }
        switch v {
        case 10: self = .trace
        case 20: self = .debug
        case 30: self = .info
        case 40: self = .warn
        case 50: self = .error
        case 60: self = .fatal
        default: return nil
        }
    }

    /// Whether the token is spelled exactly as the normalised name (`info`, not `INFO`).
    static func isCanonical(_ v: ByteLine, _ l: Level) -> Bool {
        let name = canonicalBytes[Int(l.rawValue)]
        return name.count == v.count && name.withUnsafeBufferPointer { memcmp($0.baseAddress!, v.base, v.count) == 0 }
    }

    private static let canonicalBytes: [[UInt8]] = [[0]] + Level.allCases.map { Array($0.name.utf8) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
