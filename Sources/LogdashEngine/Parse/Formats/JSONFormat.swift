/// One JSON object per line. Nested objects flatten to dotted names (`http.status`); arrays
/// are kept as their JSON text; well-known keys (`ts`, `time`, `level`, `msg` …) also fill the
/// core columns.
///
/// A hand-written scanner over bytes: no intermediate tree, no `String` per key, and key
/// lookups that hit a per-position cache because lines of one source repeat their keys.
///
/// Objects nested deeper than `maxDepth` are not flattened further: the too-deep object is kept
/// as its JSON text in the field at that depth, so a hostile line is stored, not recursed into.
public struct JSONFormat: LogFormat {
    /// How many levels of objects are flattened into dotted names.
    public static let maxDepth = 64
    public let name = "json"
    public let joinsContinuationLines = false
    public init() {}

    public func parse(_ line: ByteLine, into batch: inout RecordBatch, scratch: ParseScratch) -> Bool {
        var p = Parser(line: line, scratch: scratch)
        p.skipSpace()
        guard p.i < line.count, line[p.i] == ASCII.lbrace else { return false }
        var slot = 0
        guard p.object(prefix: 0, depth: 1, slot: &slot, batch: &batch) else { return false }
        p.skipSpace()
        guard p.i == line.count else { return false }
        if batch.rowIsCLEF && !batch.rowHasLevel { batch.setLevel(.info) }
        return true
    }

    /// Whether `v` is a JSON number (`-12.5e+3`), however large.
    static func isNumber(_ v: ByteLine) -> Bool {
        var i = 0
        let n = v.count
        if i < n, v[i] == ASCII.minus { i += 1 }
        let intStart = i
        while i < n, ASCII.isDigit(v[i]) { i += 1 }
        guard i > intStart else { return false }
        if i < n, v[i] == ASCII.dot {
            i += 1
            let s = i
            while i < n, ASCII.isDigit(v[i]) { i += 1 }
            guard i > s else { return false }
        }
        if i < n, v[i] | 0x20 == 0x65 {
            i += 1
            if i < n, v[i] == ASCII.plus || v[i] == ASCII.minus { i += 1 }
            let s = i
            while i < n, ASCII.isDigit(v[i]) { i += 1 }
            guard i > s else { return false }
        }
        return i == n
    }

    /// `[104,105]` as the bytes it lists (`hi`), in `scratch.text`; nil unless it is a list of
    /// numbers 0–255.
    static func byteArray(_ v: ByteLine, _ scratch: ParseScratch) -> ByteLine? {
        guard v.count >= 2, v[0] == ASCII.lbracket, v[v.count - 1] == ASCII.rbracket else { return nil }
        scratch.reserveText(v.count / 2 + 1, keep: 0)
        var o = 0, i = 1, cur = -1, spaced = false
        while i < v.count - 1 {
            let b = v[i]
            if ASCII.isDigit(b) {
                if spaced && cur >= 0 { return nil }  // "[1 2]": two numbers without a comma
                spaced = false
                cur = (cur < 0 ? 0 : cur) * 10 + Int(b &- 0x30)
                guard cur < 256 else { return nil }
            } else if b == ASCII.comma {
                guard cur >= 0 else { return nil }
                scratch.text[o] = UInt8(cur); o += 1; cur = -1; spaced = false
            } else if ASCII.isSpace(b) || b == ASCII.lf || b == ASCII.cr {
                spaced = true
            } else {
                return nil
            }
            i += 1
        }
        if cur >= 0 { scratch.text[o] = UInt8(cur); o += 1 } else if o > 0 { return nil }
        return ByteLine(base: scratch.text, count: o)
    }

    struct Parser {
        let line: ByteLine
        let scratch: ParseScratch
        var i = 0

        init(line: ByteLine, scratch: ParseScratch) {
            self.line = line
            self.scratch = scratch
        }

        @inline(__always) mutating func skipSpace() {
            while i < line.count {
                let b = line[i]
                guard b == ASCII.space || b == ASCII.tab || b == ASCII.cr || b == ASCII.lf else { return }
                i += 1
            }
        }

        /// Parses an object at `i` (on `{`), itself `depth` levels deep. `prefix` bytes of
        /// `scratch.key` hold the dotted path so far.
        mutating func object(prefix: Int, depth: Int, slot: inout Int, batch: inout RecordBatch) -> Bool {
            i += 1
            skipSpace()
            guard i < line.count else { return false }
            if line[i] == ASCII.rbrace { i += 1; return true }
            while true {
                guard i < line.count, line[i] == ASCII.quote else { return false }
                // The key: straight from the line when flat and unescaped, else built in scratch.key.
                let keyStart = i + 1
                guard let keyEnd = stringEnd(from: keyStart) else { return false }
                let escaped = keyEnd.escaped
                i = keyEnd.end + 1
                var key: ByteLine
                var keyLen = 0
                if prefix == 0 && !escaped {
                    key = line.slice(keyStart, keyEnd.end)
                } else {
                    var at = prefix
                    if prefix > 0 { scratch.reserveKey(at + 1, keep: at); scratch.key[at] = ASCII.dot; at += 1 }
                    let raw = line.slice(keyStart, keyEnd.end)
                    if escaped {
                        guard let u = unescape(raw) else { return false }
                        scratch.reserveKey(at + u.count, keep: at)
                        (scratch.key + at).update(from: u.base, count: u.count)
                        at += u.count
                    } else {
                        scratch.reserveKey(at + raw.count, keep: at)
                        (scratch.key + at).update(from: raw.base, count: raw.count)
                        at += raw.count
                    }
                    keyLen = at
                    key = ByteLine(base: scratch.key, count: at)
                }
                skipSpace()
                guard i < line.count, line[i] == ASCII.colon else { return false }
                i += 1
                skipSpace()
                guard i < line.count else { return false }
                let b = line[i]
                // (Two steps: `field` may add a column, which `isIgnored` must then see.)
                let flattens = b == ASCII.lbrace && depth < JSONFormat.maxDepth
                let column = flattens ? -1 : batch.field(key, slot: slot)
                if column >= 0, batch.isIgnored(column) {
                    // A field no query reads: skip its value without decoding it.
                    guard skipValue() else { return false }
                } else if b == ASCII.quote {
                    guard let end = stringEnd(from: i + 1) else { return false }
                    let c = column
                    if end.escaped {
                        guard let u = unescape(line.slice(i + 1, end.end)) else { return false }
                        batch.put(string: u, field: c)
                    } else {
                        batch.put(string: line.slice(i + 1, end.end), field: c)
                    }
                    i = end.end + 1
                } else if flattens {
                    // Nested object: the key becomes the prefix.
                    if prefix == 0 && !escaped {
                        scratch.reserveKey(key.count, keep: 0)
                        scratch.key.update(from: key.base, count: key.count)
                        keyLen = key.count
                    }
                    slot += 1
                    guard object(prefix: keyLen, depth: depth + 1, slot: &slot, batch: &batch) else { return false }
                } else if b == ASCII.lbracket || b == ASCII.lbrace {
                    // An array, or an object past `maxDepth`: kept as its JSON text.
                    let start = i
                    guard skipComposite() else { return false }
                    if b == ASCII.lbracket, batch.isJournalMessage(column), let text = JSONFormat.byteArray(line.slice(start, i), scratch) {
                        // journald's MESSAGE as an array of bytes (not valid UTF-8, or with control characters)
                        batch.put(string: text, field: column)
                    } else {
                        batch.put(string: line.slice(start, i), field: column)
                    }
                } else if b == 0x74 {  // true
                    guard i + 4 <= line.count, line.slice(i, i + 4).equals("true") else { return false }
                    batch.put(bool: true, field: column)
                    i += 4
                } else if b == 0x66 {  // false
                    guard i + 5 <= line.count, line.slice(i, i + 5).equals("false") else { return false }
                    batch.put(bool: false, field: column)
                    i += 5
                } else if b == 0x6E {  // null: the field stays absent for this row
                    guard i + 4 <= line.count, line.slice(i, i + 4).equals("null") else { return false }
                    i += 4
                } else {
                    let start = i
                    var isInt = true
                    while i < line.count {
                        let d = line[i]
                        if ASCII.isDigit(d) || d == ASCII.minus { i += 1; continue }
                        if d == ASCII.dot || d | 0x20 == 0x65 || d == ASCII.plus { isInt = false; i += 1; continue }
                        break
                    }
                    guard i > start else { return false }
                    let c = column
                    if isInt, let v = ByteNumber.int(line, start, i) { batch.put(int: v, field: c) }
                    else if let v = ByteNumber.double(line, start, i), v.isFinite { batch.put(double: v, field: c) }
                    else if JSONFormat.isNumber(line.slice(start, i)) { batch.put(string: line.slice(start, i), field: c) }  // 1e999999: kept as written
                    else { return false }
                }
                slot += 1
                skipSpace()
                guard i < line.count else { return false }
                if line[i] == ASCII.comma { i += 1; skipSpace(); continue }
                if line[i] == ASCII.rbrace { i += 1; return true }
                return false
            }
        }

        /// Finds the closing quote of a string whose body starts at `from`.
        @inline(__always)
        func stringEnd(from: Int) -> (end: Int, escaped: Bool)? {
            var j = from
            var escaped = false
            let n = line.count
            // Eight bytes at a time until a word holds a quote or a backslash (SWAR: a byte equal
            // to b makes (x ^ b·0x01…) have a zero byte, found by the borrow trick; the lowest
            // flagged byte is exact).
            while j + 8 <= n {
                let x = UnsafeRawPointer(line.base + j).loadUnaligned(as: UInt64.self)
                let q = x ^ 0x2222_2222_2222_2222, s = x ^ 0x5C5C_5C5C_5C5C_5C5C
                let hit = ((q &- 0x0101_0101_0101_0101) & ~q | (s &- 0x0101_0101_0101_0101) & ~s) & 0x8080_8080_8080_8080
                if hit != 0 { j += hit.trailingZeroBitCount >> 3; break }
                j += 8
            }
            while j < n {
                let b = line[j]
                if b == ASCII.quote { return (j, escaped) }
                if b == ASCII.backslash { escaped = true; j += 2; continue }
                j += 1
            }
            return nil
        }

        /// Skips any value at `i` (string, number, literal, array or object).
        mutating func skipValue() -> Bool {
            let b = line[i]
            if b == ASCII.quote {
                guard let e = stringEnd(from: i + 1) else { return false }
                i = e.end + 1
                return true
            }
            if b == ASCII.lbracket || b == ASCII.lbrace { return skipComposite() }
            let start = i
            while i < line.count {
                let d = line[i]
                if d == ASCII.comma || d == ASCII.rbrace || d == ASCII.space || d == ASCII.tab || d == ASCII.cr || d == ASCII.lf { break }
                i += 1
            }
            return i > start
        }

        /// Skips an array or object at `i`, honouring strings.
        mutating func skipComposite() -> Bool {
            var depth = 0
            let n = line.count
            while i < n {
                let b = line[i]
                if b == ASCII.quote {
                    guard let e = stringEnd(from: i + 1) else { return false }
                    i = e.end + 1
                    continue
                }
                if b == ASCII.lbracket || b == ASCII.lbrace { depth += 1 }
                else if b == ASCII.rbracket || b == ASCII.rbrace {
                    depth -= 1
                    if depth == 0 { i += 1; return true }
                }
                i += 1
            }
            return false
        }

        /// Decodes JSON escapes into `scratch.text`; nil on a malformed escape.
        func unescape(_ s: ByteLine) -> ByteLine? {
            scratch.reserveText(s.count * 2 + 8, keep: 0)
            let out = scratch.text
            var o = 0, j = 0
            let n = s.count
            while j < n {
                let b = s[j]
                if b != ASCII.backslash { out[o] = b; o += 1; j += 1; continue }
                guard j + 1 < n else { return nil }
                let e = s[j + 1]
                j += 2
                switch e {
                case 0x22, 0x5C, 0x2F: out[o] = e; o += 1
                case 0x62: out[o] = 0x08; o += 1
                case 0x66: out[o] = 0x0C; o += 1
                case 0x6E: out[o] = 0x0A; o += 1
                case 0x72: out[o] = 0x0D; o += 1
                case 0x74: out[o] = 0x09; o += 1
                case 0x75:
                    guard var cp = hex4(s, j) else { return nil }
                    j += 4
                    if cp >= 0xD800 && cp < 0xDC00, j + 6 <= n, s[j] == ASCII.backslash, s[j + 1] == 0x75,
                       let lo = hex4(s, j + 2), lo >= 0xDC00 && lo < 0xE000 {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                        j += 6
                    }
                    if cp >= 0xD800 && cp < 0xE000 { cp = 0xFFFD }  // a lone surrogate
                    o += encodeUTF8(cp, out + o)
                default:
                    return nil
                }
            }
            return ByteLine(base: out, count: o)
        }

        private func hex4(_ s: ByteLine, _ at: Int) -> UInt32? {
            guard at + 4 <= s.count else { return nil }
            var v: UInt32 = 0
            for k in at..<(at + 4) {
                let c = s[k]
                let d: UInt8
                if ASCII.isDigit(c) { d = c - 0x30 } else if (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 { d = (c | 0x20) - 0x61 + 10 } else { return nil }
                v = v << 4 | UInt32(d)
            }
            return v
        }
    }
}

/// Writes a code point as UTF-8; returns the bytes written.
@inline(__always)
func encodeUTF8(_ cp: UInt32, _ out: UnsafeMutablePointer<UInt8>) -> Int {
    switch cp {
    case 0..<0x80:
        out[0] = UInt8(cp); return 1
    case 0x80..<0x800:
        out[0] = UInt8(0xC0 | cp >> 6); out[1] = UInt8(0x80 | cp & 0x3F); return 2
    case 0x800..<0x10000:
        out[0] = UInt8(0xE0 | cp >> 12); out[1] = UInt8(0x80 | cp >> 6 & 0x3F); out[2] = UInt8(0x80 | cp & 0x3F); return 3
    default:
        out[0] = UInt8(0xF0 | cp >> 18); out[1] = UInt8(0x80 | cp >> 12 & 0x3F)
        out[2] = UInt8(0x80 | cp >> 6 & 0x3F); out[3] = UInt8(0x80 | cp & 0x3F); return 4
    }
}
