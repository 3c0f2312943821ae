/// One JSON object written key by key into bytes (the lines logdash makes of OTLP records and
/// CloudWatch Logs events, and its error answers): strings escaped as `Archive` escapes them.
struct JSONObjectWriter {
    fileprivate(set) var bytes: [UInt8] = []
    private var first = true

    /// Writes an object at the end of `out` (with `line`, a line feed after it), in place.
    static func write(into out: inout [UInt8], line: Bool = false, _ body: (inout JSONObjectWriter) -> Void) {
        var o = JSONObjectWriter()
        swap(&o.bytes, &out)  // (the bytes move, not copied)
        o.bytes.append(UInt8(ascii: "{"))
        body(&o)
        o.bytes.append(UInt8(ascii: "}"))
        if line { o.bytes.append(ASCII.lf) }
        swap(&o.bytes, &out)
    }

    /// One object on its own.
    static func object(_ body: (inout JSONObjectWriter) -> Void) -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out, body)
        return out
    }

    /// `"key":` — the value is written next (`raw`, `string`, or by `write`).
    mutating func key(_ key: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        Archive.appendJSONString(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ key: String, _ value: String) {
        self.key(key)
        Archive.appendJSONString(value, to: &bytes)
    }

    /// A value already written as JSON (a number, an object).
    mutating func raw(_ key: String, _ json: some Sequence<UInt8>) {
        self.key(key)
        bytes.append(contentsOf: json)
    }

    /// Writes a value after `key` straight into the bytes.
    mutating func write(_ body: (inout [UInt8]) -> Void) { body(&bytes) }
}
