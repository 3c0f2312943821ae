/// Files that hold their records inside one JSON document rather than one a line: a CloudTrail
/// file (`{"Records":[…]}`), the output of `aws logs get-log-events` / `filter-log-events`
/// (`{"events":[…]}`), a CloudWatch Logs subscription message (`{"logEvents":[…]}`), or a JSON
/// array of objects — pretty-printed or on one line, gzipped or not. Each record becomes a JSON
/// line, its bytes as written (keys in their order; line breaks between tokens taken out), read
/// as any other line (the `json` format, or a JSON definition such as `cloudtrail`).
///
/// A scanner over the bytes, no JSON tree: a document of many megabytes costs its size once
/// more, and a malformed record is a malformed line (counted, kept in `errors`), not a lost file.
enum JSONDocument {
    /// The keys under which such documents keep their records (of the outermost object).
    static let recordKeys: [[UInt8]] = ["Records", "records", "events", "logEvents"].map { Array($0.utf8) }
    /// Documents larger than this are read line by line as they are.
    static let maxBytes = 256 << 20

    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// The document's records, each on a line of its own; nil when the bytes are not such a
    /// document (JSON lines, a log line starting with `[`, an object without a records array).
    static func records(in data: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard data.count <= maxBytes, var i = data.firstIndex(where: { !isSpace($0) }) else { return nil }
        let n = data.count
        func skipSpace() { while i < n, isSpace(data[i]) { i += 1 } }
        let inObject = data[i] == ASCII.lbrace
        if inObject {
            // The outermost object: find a records key whose value is an array, skipping others.
            i += 1
            while true {
                skipSpace()
                guard i < n, data[i] == ASCII.quote, let keyEnd = stringEnd(data, i) else { return nil }
                let key = UnsafeBufferPointer(rebasing: data[(i + 1)..<keyEnd])
                i = keyEnd + 1
                skipSpace()
                guard i < n, data[i] == ASCII.colon else { return nil }
                i += 1
                skipSpace()
                guard i < n else { return nil }
                if data[i] == ASCII.lbracket, recordKeys.contains(where: { $0.elementsEqual(key) }) { break }
                guard let end = valueEnd(data, i) else { return nil }
                i = end
                skipSpace()
                guard i < n, data[i] == ASCII.comma else { return nil }  // (the end of the object, no records)
                i += 1
            }
        }
        guard i < n, data[i] == ASCII.lbracket else { return nil }
        // The array: objects, each copied out on a line of its own.
        i += 1
        var out: [UInt8] = []
        out.reserveCapacity(data.count)
        while true {
            skipSpace()
            guard i < n else { return nil }
            if data[i] == ASCII.rbracket { break }
            guard data[i] == ASCII.lbrace, let end = valueEnd(data, i) else { return nil }
            var inString = false, escaped = false
            for k in i..<end {
                let b = data[k]
                if inString {
                    if escaped { escaped = false } else if b == ASCII.backslash { escaped = true } else if b == ASCII.quote { inString = false }
                } else if b == ASCII.quote {
                    inString = true
                } else if b == 0x0A || b == 0x0D {
                    continue  // (a pretty-printed record's line breaks, between tokens)
                }
                out.append(b)
            }
            out.append(ASCII.lf)
            i = end
            skipSpace()
            guard i < n else { return nil }
            if data[i] == ASCII.comma { i += 1; continue }
            guard data[i] == ASCII.rbracket else { return nil }
            break
        }
        i += 1
        // The rest of the outermost object, then nothing: a document, not JSON lines that happen
        // to start with such an object.
        if inObject {
            while true {
                skipSpace()
                guard i < n else { return nil }
                if data[i] == ASCII.rbrace { i += 1; break }
                guard data[i] == ASCII.comma else { return nil }
                i += 1
                skipSpace()
                guard i < n, data[i] == ASCII.quote, let keyEnd = stringEnd(data, i) else { return nil }
                i = keyEnd + 1
                skipSpace()
                guard i < n, data[i] == ASCII.colon else { return nil }
                i += 1
                skipSpace()
                guard i < n, let end = valueEnd(data, i) else { return nil }
                i = end
            }
        }
        skipSpace()
        guard i == n else { return nil }
        return out.isEmpty ? nil : out
    }

    /// Where the string starting at `i` (on its quote) ends: the index of its closing quote.
    static func stringEnd(_ data: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        var k = i + 1
        while k < data.count {
            if data[k] == ASCII.backslash { k += 2; continue }
            if data[k] == ASCII.quote { return k }
            k += 1
        }
        return nil
    }

    /// Where the value starting at `i` ends (the index after it): a string, an object or array
    /// (brackets counted outside strings), or a scalar up to the next `,`, `}` or `]`.
    static func valueEnd(_ data: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        let n = data.count
        let b = data[i]
        if b == ASCII.quote { return stringEnd(data, i).map { $0 + 1 } }
        if b == ASCII.lbrace || b == ASCII.lbracket {
            var depth = 0, k = i
            while k < n {
                let c = data[k]
                if c == ASCII.quote {
                    guard let e = stringEnd(data, k) else { return nil }
                    k = e + 1
                    continue
                }
                if c == ASCII.lbrace || c == ASCII.lbracket { depth += 1 }
                else if c == ASCII.rbrace || c == ASCII.rbracket {
                    depth -= 1
                    if depth == 0 { return k + 1 }
                }
                k += 1
            }
            return nil
        }
        var k = i
        while k < n, data[k] != ASCII.comma, data[k] != ASCII.rbrace, data[k] != ASCII.rbracket { k += 1 }
        return k
    }
}

/// Bytes already read from an input, then the rest of it.
final class PrefixedInput: ByteInput {
    private var prefix: [UInt8]
    private var at = 0
    private var done: Bool
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
}
