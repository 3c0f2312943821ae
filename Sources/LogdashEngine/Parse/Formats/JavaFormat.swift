/// Java/log4j/logback lines: `2026-11-27 14:00:00,123 ERROR [http-nio-8080-exec-3] com.shop.CheckoutService - message`,
/// with stack traces on the lines that follow (joined to the record).
/// Fields: `thread`, `logger`; `exception` (the class) when a trace follows.
public struct JavaFormat: LogFormat {
    public let name = "java"
    public let joinsContinuationLines = true
    public init() {}

    static let keys = KeyTable(["thread", "logger"])

    public func parse(_ line: ByteLine, into batch: inout RecordBatch, scratch: ParseScratch) -> Bool {
        let n = line.count
        guard n > 20, ASCII.isDigit(line[0]), let t = Timestamp.parse(line, at: 0, reference: batch.reference) else { return false }
        var i = t.length
        guard i < n, line[i] == ASCII.space else { return false }
        while i < n, line[i] == ASCII.space { i += 1 }
        let ls = i
        while i < n, ASCII.isAlpha(line[i]) { i += 1 }
        let le = i
        guard le > ls + 1, let level = Level.recognise(line, ls, le) else { return false }
        while i < n, line[i] == ASCII.space { i += 1 }
        var thread: ByteLine?
        if i < n, line[i] == ASCII.lbracket {
            // Thread names may contain spaces and brackets: take up to the last "] " before the logger.
            let s = i + 1
            var depth = 1
            i += 1
            while i < n, depth > 0 {
                if line[i] == ASCII.lbracket { depth += 1 } else if line[i] == ASCII.rbracket { depth -= 1 }
                i += 1
            }
            guard depth == 0 else { return false }
            thread = line.slice(s, i - 1)
            while i < n, line[i] == ASCII.space { i += 1 }
        }
        // logger, then " - " or ": "
        let lgs = i
        while i < n, line[i] != ASCII.space, line[i] != ASCII.colon { i += 1 }
        guard i > lgs else { return false }
        let logger = line.slice(lgs, i)
        if i + 2 <= n, line[i] == ASCII.colon, line[i + 1] == ASCII.space { i += 2 }
        else if i + 3 <= n, line[i] == ASCII.space, line[i + 1] == ASCII.minus, line[i + 2] == ASCII.space { i += 3 }
        else if i == n {}
        else { return false }

        batch.setTime(t)
        batch.setLevel(level)
        if !Level.isCanonical(line.slice(ls, le), level) { batch.putLevelRaw(line.slice(ls, le)) }
        if let thread { batch.put(string: thread, field: batch.field(JavaFormat.keys[0], slot: 30)) }
        batch.put(string: logger, field: batch.field(JavaFormat.keys[1], slot: 31))
        let msg = line.slice(min(i, n), n)
        batch.setMessage(msg)
        KeyValueText.extract(msg, into: &batch, scratch: scratch)
        return true
    }
}

/// Any line that starts with a timestamp in one of the known shapes (optionally in brackets),
/// then optionally a level token (`ERROR`, `[warn]`, `E`, `<info>`, `level:`), then the message.
/// `key=value` pairs in the message become fields.
public struct GenericFormat: LogFormat {
    public let name = "generic"
    public let joinsContinuationLines = true
    public init() {}

    public func parse(_ line: ByteLine, into batch: inout RecordBatch, scratch: ParseScratch) -> Bool {
        let n = line.count
        var i = 0
        let bracketed = n > 0 && line[0] == ASCII.lbracket
        if bracketed { i = 1 }
        guard let t = Timestamp.parse(line, at: i, reference: batch.reference) else { return false }
        i += t.length
        if bracketed {
            guard i < n, line[i] == ASCII.rbracket else { return false }
            i += 1
        }
        guard i == n || ASCII.isSpace(line[i]) || line[i] == ASCII.colon || line[i] == ASCII.rbracket else { return false }
        batch.setTime(t)
        while i < n, ASCII.isSpace(line[i]) || line[i] == ASCII.colon { i += 1 }
        // A level token: bare, bracketed or followed by ':'; single letters only when delimited.
        if i < n {
            var s = i
            let open = line[i]
            let close: UInt8? = open == ASCII.lbracket ? ASCII.rbracket : open == ASCII.lt ? ASCII.gt : open == 0x28 ? 0x29 : nil
            if close != nil { s += 1 }
            var e = s
            while e < n, ASCII.isAlpha(line[e]) { e += 1 }
            var after = e
            var delimited = false
            if let close {
                if e < n, line[e] == close { after = e + 1; delimited = true } else { after = -1 }
            } else if e < n, line[e] == ASCII.colon || line[e] == ASCII.slash {
                after = e + 1; delimited = true
            } else if e < n, !ASCII.isSpace(line[e]) {
                after = -1
            }
            // Undelimited, only an upper-case token counts: "ERROR x", not "Information is …".
            var upper = true
            if !delimited { for k in s..<e where line[k] & 0x20 != 0 { upper = false; break } }
            if after >= 0, e > s, e - s > 1 || delimited, delimited || upper, let level = Level.recognise(line, s, e) {
                batch.setLevel(level)
                if !Level.isCanonical(line.slice(s, e), level) { batch.putLevelRaw(line.slice(s, e)) }
                i = after
                while i < n, ASCII.isSpace(line[i]) { i += 1 }
                if i < n, (line[i] == ASCII.minus || line[i] == ASCII.colon), i + 1 < n, line[i + 1] == ASCII.space { i += 2 }
            }
        }
        let msg = line.slice(min(i, n), n)
        batch.setMessage(msg)
        KeyValueText.extract(msg, into: &batch, scratch: scratch)
        return true
    }
}
