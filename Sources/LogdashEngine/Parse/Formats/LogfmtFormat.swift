/// `key=value key2="quoted value"` lines (Heroku, Go's slog, Grafana tools). Values are typed
/// by their text: numbers become numbers, `true`/`false` booleans. A line must start with a pair
/// and hold at least two, and more pairs than bare words (text with pairs in it, after a time or
/// a word, is the generic format's: `2026-11-27T14:00:02Z pid=42 INFO: start`).
public struct LogfmtFormat: LogFormat {
    public let name = "logfmt"
    public let joinsContinuationLines = false
    public init() {}

    public func parse(_ line: ByteLine, into batch: inout RecordBatch, scratch: ParseScratch) -> Bool {
        let n = line.count
        var i = 0, pairs = 0, bare = 0
        while i < n {
            while i < n, ASCII.isSpace(line[i]) { i += 1 }
            if i >= n { break }
            let ks = i
            while i < n, ASCII.isKeyByte(line[i]) { i += 1 }
            if i < n, line[i] == ASCII.equals, i > ks {
                let key = line.slice(ks, i)
                i += 1
                var value: ByteLine
                if i < n, line[i] == ASCII.quote {
                    let vs = i + 1
                    var j = vs, escaped = false
                    while j < n, line[j] != ASCII.quote {
                        if line[j] == ASCII.backslash { escaped = true; j += 1 }
                        j += 1
                    }
                    guard j < n else { return false }
                    value = line.slice(vs, j)
                    if escaped { value = unescape(value, scratch) }
                    i = j + 1
                    batch.put(string: value, field: batch.field(key, slot: pairs))
                } else {
                    let vs = i
                    while i < n, !ASCII.isSpace(line[i]) { i += 1 }
                    value = line.slice(vs, i)
                    if value.count > 0 { batch.put(inferred: value, field: batch.field(key, slot: pairs)) }
                }
                pairs += 1
            } else {
                // A bare word (or a token that is not a key): skip it.
                if pairs == 0 { return false }
                while i < n, !ASCII.isSpace(line[i]) { i += 1 }
                bare += 1
            }
        }
        return pairs >= 2 && pairs > bare
    }

    private func unescape(_ v: ByteLine, _ scratch: ParseScratch) -> ByteLine {
        scratch.reserveText(v.count, keep: 0)
        var o = 0, j = 0
        while j < v.count {
            var b = v[j]
            if b == ASCII.backslash, j + 1 < v.count {
                j += 1
                switch v[j] {
                case 0x6E: b = ASCII.lf
                case 0x74: b = ASCII.tab
                case 0x72: b = ASCII.cr
                default: b = v[j]
                }
            }
            scratch.text[o] = b
            o += 1
            j += 1
        }
        return ByteLine(base: scratch.text, count: o)
    }
}
