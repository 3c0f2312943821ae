import Foundation

/// Files that hold their records inside one JSON document rather than one a line: a CloudTrail
/// file (`{"Records":[…]}`), the output of `aws logs get-log-events` / `filter-log-events`
/// (`{"events":[…]}`), a CloudWatch Logs subscription message (`{"logEvents":[…]}`), or a JSON
/// array of objects — pretty-printed or on one line, gzipped or not. Each record becomes a JSON
/// line, read as any other (the `json` format, or a JSON definition such as `cloudtrail`).
enum JSONDocument {
    /// The keys under which such documents keep their records.
    static let recordKeys = ["Records", "records", "events", "logEvents"]
    /// Documents larger than this are read line by line as they are.
    static let maxBytes = 256 << 20

    /// Whether bytes may be such a document (without copying them): they start with `[` or `{`,
    /// and are not JSON lines (a whole object on the first line, more after it).
    static func mayBe(_ data: UnsafeBufferPointer<UInt8>) -> Bool {
        guard data.count <= maxBytes,
              let first = data.firstIndex(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }),
              data[first] == ASCII.lbracket || data[first] == ASCII.lbrace else { return false }
        if data[first] == ASCII.lbrace, let nl = data[first...].firstIndex(of: ASCII.lf),
           data[(nl + 1)...].contains(where: { $0 == ASCII.lbrace }),
           (try? JSONSerialization.jsonObject(with: Data(UnsafeBufferPointer(rebasing: data[first..<nl])))) != nil {
            return false
        }
        return true
    }

    /// The records of a document already in memory; nil when it is not one.
    static func records(in data: [UInt8]) -> [UInt8]? {
        guard data.withUnsafeBufferPointer({ mayBe($0) }) else { return nil }
        guard let doc = try? JSONSerialization.jsonObject(with: Data(data), options: [.fragmentsAllowed]) else { return nil }
        let items: [Any]
        if let array = doc as? [Any] {
            items = array
        } else if let object = doc as? [String: Any], let key = recordKeys.first(where: { object[$0] is [Any] }) {
            items = object[key] as! [Any]
        } else {
            return nil
        }
        guard !items.isEmpty, items.allSatisfy({ $0 is [String: Any] }) else { return nil }
        var out = [UInt8]()
        for item in items {
            guard let line = try? JSONSerialization.data(withJSONObject: item, options: [.withoutEscapingSlashes]) else { continue }
            out += line
            out.append(ASCII.lf)
        }
        return out
    }
}

/// Bytes already read from an input, then the rest of it.
final class PrefixedInput: ByteInput {
    private var prefix: [UInt8]
    private var at = 0
    private let rest: any ByteInput

    init(prefix: [UInt8], rest: any ByteInput) {
        self.prefix = prefix
        self.rest = rest
        done = prefix.isEmpty
    }

    var fillsBuffer: Bool { rest.fillsBuffer }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !done else { return try rest.read(into: buffer) }
        let n = min(buffer.count, prefix.count - at)
        prefix.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + at, byteCount: n) }
        at += n
        if at == prefix.count { prefix = []; done = true }
        return n
    }

    private var done = false
}
