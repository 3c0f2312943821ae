/// A user-defined format from the config file: a regular expression with named captures.
///
/// Captures named like the core columns fill them (`ts` or the configured timestamp field,
/// `level`, `message`, `host`); every other capture becomes a field, typed as configured
/// (`int`, `double`, `string`, `bool`) or by its text.
public struct RegexFormat: LogFormat {
    public enum FieldType: String, Sendable, CaseIterable {
        case int, double, string, bool, auto
    }

    public let name: String
    public let joinsContinuationLines: Bool
    public let regex: PCRERegex
    public let timestampField: String
    public let timestampFormat: TimeFormat?
    public let levelField: String
    public let messageField: String
    public let types: [String: FieldType]
    /// Per capture group: the field name, what it fills, its type.
    private let groups: [(group: Int, key: String, kind: Kind, type: FieldType)]
    private let keys: KeyTable

    enum Kind: Sendable { case time, level, message, field }

    public init(name: String, regex: PCRERegex, timestampField: String = "ts", timestampFormat: TimeFormat? = nil,
                levelField: String = "level", messageField: String = "message", types: [String: FieldType] = [:],
                multiline: Bool = true) {
        self.name = name
        self.regex = regex
        self.timestampField = timestampField
        self.timestampFormat = timestampFormat
        self.levelField = levelField
        self.messageField = messageField
        self.types = types
        joinsContinuationLines = multiline
        groups = regex.names.map { n in
            let kind: Kind = n.name == timestampField ? .time : n.name == levelField ? .level
                : n.name == messageField ? .message : .field
            return (n.group, n.name, kind, types[n.name] ?? .auto)
        }
        keys = KeyTable(regex.names.map(\.name))
    }

    public func parse(_ line: ByteLine, into batch: inout RecordBatch, scratch: ParseScratch) -> Bool {
        let data = scratch.matchData(for: regex)
        guard let ov = regex.match(line, data) else { return false }
        for (k, g) in groups.enumerated() {
            let s = ov[2 * g.group], e = ov[2 * g.group + 1]
            if s == PCRERegex.unset || s < 0 || e < s { continue }
            let v = line.slice(s, e)
            switch g.kind {
            case .time:
                let ns = timestampFormat.map { $0.parse(v, reference: batch.reference) }
                    ?? Timestamp.parse(text: v, reference: batch.reference)
                guard let ns else { return false }
                batch.setTime(ns)
            case .level:
                if let l = Level.recognise(v, 0, v.count) {
                    batch.setLevel(l)
                    if !Level.isCanonical(v, l) { batch.putLevelRaw(v) }
                } else if v.count > 0 {
                    batch.putLevelRaw(v)
                }
            case .message:
                batch.setMessage(v)
            case .field:
                let c = batch.field(keys[k], slot: k)
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
