/// A format defined as data (a built-in definition in `formats/`, or the user's): regular
/// expressions with named captures, tried in order.
///
/// Captures named like the core columns fill them (`ts` or the configured timestamp field,
/// `level`, `message`, `host`); every other capture becomes a field, typed as configured
/// (`int`, `double`, `string`, `bool`) or by its text. A level is read through the format's
/// level map first (`E: error`, `30: info`), then as any common level word.
public struct RegexFormat: LogFormat {
    public enum FieldType: String, Sendable, CaseIterable {
        case int, double, string, bool, auto
    }

    public let name: String
    public let joinsContinuationLines: Bool
    /// The patterns, tried in order; the first that matches parses the line.
    public let regexes: [PCRERegex]
    /// A definition of JSON lines (`json: true`) names its keys instead of patterns: the time,
    /// level, message and host are read from the keys `timestampField`, `levelField`,
    /// `messageField`, `hostField` (dotted for nested objects) after the line is parsed as JSON.
    public let isJSON: Bool
    public let hostField: String
    public let timestampField: String
    /// The time's formats, tried in order; none: any shape logdash knows.
    public let timestampFormats: [TimeFormat]
    public var timestampFormat: TimeFormat? { timestampFormats.first }
    public let levelField: String
    public let messageField: String
    public let types: [String: FieldType]
    /// Level text (lowercased) to level, before the common level words.
    public let levelMap: [String: Level]
    /// The level map as lower-cased bytes, matched per line without making a String.
    private let levelTexts: [(text: [UInt8], level: Level)]
    /// What starts a record (`record_start`): other lines continue the one before.
    public let recordStart: PCRERegex?
    /// The zone of this format's times that carry none, over the source's (`timezone:`).
    public let zone: LocalZone?
    /// Whether the message is itself a log line, parsed again by its own format (`payload: true`:
    /// a container runtime's or a collector's wrapper around the application's line).
    public let messageIsPayload: Bool
    /// The `tag` capture's value that marks a line as the first part of a longer one (`partial_tag`).
    public let partialTag: [UInt8]?
    /// Per pattern, per capture group: the field name, what it fills, its type, its key.
    private let patterns: [(regex: PCRERegex, groups: [(group: Int, key: Int, kind: Kind, type: FieldType)], tz: Int)]
    private let keys: KeyTable
    /// A JSON definition's keys: time, level, message, host.
    private let jsonKeys: KeyTable

    enum Kind: Sendable { case time, level, message, field }

    public init(name: String, regex: PCRERegex, timestampField: String = "ts", timestampFormat: TimeFormat? = nil,
                levelField: String = "level", messageField: String = "message", types: [String: FieldType] = [:],
                multiline: Bool = true) {
        self.init(name: name, regexes: [regex], timestampField: timestampField, timestampFormats: timestampFormat.map { [$0] } ?? [],
                  levelField: levelField, messageField: messageField, types: types, multiline: multiline)
    }

    public init(name: String, regexes: [PCRERegex], timestampField: String = "ts", timestampFormats: [TimeFormat] = [],
                levelField: String = "level", messageField: String = "message", types: [String: FieldType] = [:],
                levelMap: [String: Level] = [:], recordStart: PCRERegex? = nil, timezone: LocalZone? = nil, payload: Bool = false, multiline: Bool = true,
                json: Bool = false, hostField: String = "host", partialTag: String? = nil) {
        self.partialTag = partialTag.map { Array($0.utf8) }
        precondition(!regexes.isEmpty || json, "a format has at least one pattern")
        self.isJSON = json
        self.hostField = hostField
        self.zone = timezone
        self.messageIsPayload = payload
        self.recordStart = recordStart
        self.name = name
        self.regexes = regexes
        self.timestampField = timestampField
        self.timestampFormats = timestampFormats
        self.levelField = levelField
        self.messageField = messageField
        self.types = types
        self.levelMap = Dictionary(levelMap.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        levelTexts = self.levelMap.map { (Array($0.key.utf8), $0.value) }
        joinsContinuationLines = multiline
        // One key per capture name over every pattern, so that a field keeps its column whichever pattern matched.
        var names: [String] = []
        for r in regexes { for n in r.names where !names.contains(n.name) { names.append(n.name) } }
        patterns = regexes.map { r in
            (r, r.names.map { n in
                let kind: Kind = n.name == timestampField ? .time : n.name == levelField ? .level
                    : n.name == messageField ? .message : .field
                return (n.group, names.firstIndex(of: n.name)!, kind, types[n.name] ?? .auto)
            }, r.names.first { $0.name == "tz" }?.group ?? -1)
        }
        keys = KeyTable(names)
        jsonKeys = KeyTable([timestampField, levelField, messageField, hostField])
    }

    /// Every capture name of every pattern.
    public var captureNames: Set<String> { Set(regexes.flatMap { $0.names.map(\.name) }) }

    public func continues(_ line: ByteLine, scratch: ParseScratch) -> Bool? {
        guard joinsContinuationLines else { return nil }
        if let recordStart { return !recordStart.matches(line, scratch.matchData(for: recordStart)) }
        // A wrapper's line continues the record when the line it wraps does (a stack trace
        // written through docker compose or a container runtime).
        guard messageIsPayload, let text = continuationText(line, scratch: scratch) else { return nil }
        return Continuation.isContinuation(text)
    }

    public func continuationText(_ line: ByteLine, scratch: ParseScratch) -> ByteLine? {
        guard messageIsPayload else { return nil }
        return capture(messageField, of: line, scratch: scratch)
    }

    public func isPartial(_ line: ByteLine, scratch: ParseScratch) -> Bool {
        guard let partialTag, let tag = capture("tag", of: line, scratch: scratch) else { return false }
        return tag.count == partialTag.count && (0..<tag.count).allSatisfy { tag[$0] == partialTag[$0] }
    }

    /// The named capture's text in a line the format matches.
    private func capture(_ name: String, of line: ByteLine, scratch: ParseScratch) -> ByteLine? {
        for p in patterns {
            let data = scratch.matchData(for: p.regex)
            guard let ov = p.regex.match(line, data) else { continue }
            guard let g = p.regex.names.first(where: { $0.name == name })?.group,
                  ov[2 * g] != PCRERegex.unset, ov[2 * g + 1] >= ov[2 * g] else { return nil }
            return line.slice(ov[2 * g], ov[2 * g + 1])
        }
        return nil
    }

    public func parse(_ line: ByteLine, into batch: inout RecordBatch, scratch: ParseScratch) -> Bool {
        if isJSON { return parseJSON(line, into: &batch, scratch: scratch) }
        for p in patterns {
            let data = scratch.matchData(for: p.regex)
            guard let ov = p.regex.match(line, data) else { continue }
            return fill(line, ov, p.groups, tz: p.tz, &batch)
        }
        return false
    }

    /// A JSON line, its named keys read into the core columns (over the keys logdash knows).
    private func parseJSON(_ line: ByteLine, into batch: inout RecordBatch, scratch: ParseScratch) -> Bool {
        // (The named keys are read whatever a query's projection keeps: they fill the core columns.)
        for k in 0..<4 { batch.keepField(batch.field(jsonKeys[k], slot: 60 + k)) }
        guard JSONFormat().parse(line, into: &batch, scratch: scratch) else { return false }
        // A line without the definition's time key is not of this format (any JSON parses).
        // (`ts`, a core column's own name, fills the time without being kept as a field.)
        guard batch.rowValue(batch.field(jsonKeys[0], slot: 60)) != nil || timestampField == "ts" && batch.rowHasTime else { return false }
        for (k, kind) in [(0, Kind.time), (1, .level), (2, .message), (3, .field)] {
            let c = batch.field(jsonKeys[k], slot: 60 + k)
            guard let value = batch.rowValue(c) else { continue }
            switch value {
            case .string(let s):
                let ok = ByteLine.with(s) { v -> Bool in
                    switch kind {
                    case .time:
                        var time: Timestamp.Parsed?
                        if timestampFormats.isEmpty { time = Timestamp.parsed(text: v, reference: batch.reference, dayFirst: batch.dayFirst) }
                        for f in timestampFormats where time == nil { time = f.parsed(v, reference: batch.reference) }
                        guard let time else { return false }
                        if let zone, !time.zoned { batch.setTime(zone.utc(fromLocal: time.nanos)) } else { batch.setTime(time) }
                    case .level:
                        if let l = mappedLevel(v) ?? Level.recognise(v, 0, v.count) { batch.setLevel(l) }
                    case .message:
                        batch.dropMessage()
                        batch.setMessage(v)
                    case .field:
                        batch.dropHost()
                        batch.setHost(v)
                    }
                    return true
                }
                if !ok { return false }
            case .int(let i):
                if kind == .time, let ns = Timestamp.fromEpoch(i) { batch.setTime(ns) }
                if kind == .level, let l = ByteLine.with(String(i), { mappedLevel($0) }) ?? Level(numeric: i) { batch.setLevel(l) }
            case .double(let d):
                if kind == .time, let ns = Timestamp.fromEpoch(d) { batch.setTime(ns) }
            default:
                break
            }
        }
        return true
    }

    /// The level the level map gives `v` (compared ignoring ASCII case), if any.
    private func mappedLevel(_ v: ByteLine) -> Level? {
        entries: for e in levelTexts where e.text.count == v.count {
            for i in 0..<v.count where ASCII.lower(v[i]) != e.text[i] { continue entries }
            return e.level
        }
        return nil
    }

    private func fill(_ line: ByteLine, _ ov: UnsafeMutablePointer<Int>, _ groups: [(group: Int, key: Int, kind: Kind, type: FieldType)],
                      tz: Int, _ batch: inout RecordBatch) -> Bool {
        for g in groups {
            let s = ov[2 * g.group], e = ov[2 * g.group + 1]
            if s == PCRERegex.unset || s < 0 || e < s { continue }
            let v = line.slice(s, e)
            switch g.kind {
            case .time:
                var time: Timestamp.Parsed?
                if timestampFormats.isEmpty {
                    time = Timestamp.parsed(text: v, reference: batch.reference, dayFirst: batch.dayFirst)
                } else {
                    for f in timestampFormats { if let t = f.parsed(v, reference: batch.reference) { time = t; break } }
                }
                guard let time else { return false }
                // The zone the line names (a `tz` capture: "Europe/Berlin", "CET"), else the format's, else the source's.
                var lineZone: LocalZone?
                if tz >= 0, !time.zoned, ov[2 * tz] != PCRERegex.unset, ov[2 * tz + 1] > ov[2 * tz] {
                    lineZone = LocalZone.named(line.slice(ov[2 * tz], ov[2 * tz + 1]))
                }
                if let z = lineZone ?? zone, !time.zoned { batch.setTime(z.utc(fromLocal: time.nanos)) } else { batch.setTime(time) }
            case .level:
                if !levelTexts.isEmpty, let l = mappedLevel(v) {
                    batch.setLevel(l)
                    if !Level.isCanonical(v, l) { batch.putLevelRaw(v) }
                } else if let l = Level.recognise(v, 0, v.count) {
                    batch.setLevel(l)
                    if !Level.isCanonical(v, l) { batch.putLevelRaw(v) }
                } else if v.count > 0 {
                    batch.putLevelRaw(v)
                }
            case .message:
                batch.setMessage(v)
                if messageIsPayload { batch.setPayload(v) }
            case .field:
                let c = batch.field(keys[g.key], slot: g.key)
                switch g.type {
                case .auto: batch.put(inferred: v, field: c)
                case .string: batch.put(string: v, field: c)
                case .int:
                    guard let i = ByteNumber.int(v, 0, v.count) else { batch.put(string: v, field: c); continue }
                    batch.put(int: i, field: c)
                case .double:
                    guard let d = ByteNumber.double(v, 0, v.count) else { batch.put(string: v, field: c); continue }
                    batch.put(double: d, field: c)
                case .bool:
                    batch.put(bool: v.equals("true") || v.equals("1") || v.equals("yes"), field: c)
                }
            }
        }
        return true
    }
}
