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
        guard n > 20, ASCII.isDigit(line[0]), let t = Timestamp.parse(line, at: 0, reference: batch.reference, dayFirst: batch.dayFirst) else { return false }
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
        var logger: ByteLine? = line.slice(lgs, i)
        if i + 2 <= n, line[i] == ASCII.colon, line[i + 1] == ASCII.space { i += 2 }
        else if i + 3 <= n, line[i] == ASCII.space, line[i + 1] == ASCII.minus, line[i + 2] == ASCII.space { i += 3 }
        else if i == n { i = lgs; logger = nil }  // one word after the level: the message, not a logger
        else { return false }

        batch.setTime(t)
        batch.setLevel(level)
        if !Level.isCanonical(line.slice(ls, le), level) { batch.putLevelRaw(line.slice(ls, le)) }
        if let thread { batch.put(string: thread, field: batch.field(JavaFormat.keys[0], slot: 30)) }
        if let logger { batch.put(string: logger, field: batch.field(JavaFormat.keys[1], slot: 31)) }
        let msg = line.slice(min(i, n), n)
        batch.setMessage(msg)
        KeyValueText.extract(msg, into: &batch, scratch: scratch)
        return true
    }
}

/// The lines nobody wrote a format for: a timestamp in any known shape wherever it sits in the
/// first 80 bytes (after a file name, a dash, a bracket, a pid …), epoch numbers and TAI64N
/// included; then the header around it — a level word (bracketed, upper-case, or followed by
/// `:`), a pid, a `[thread]`, a `logger:` after the level — and the message after it, whose
/// `key=value` pairs become fields. What comes before the time is kept as `prefix`. A level is
/// taken only from the header, never from deep inside the message; a line that starts like a
/// JSON object is not text (broken JSON is an error, not a generic line).
public struct GenericFormat: LogFormat {
    public let name = "generic"
    public let joinsContinuationLines = true
    public init() {}

    /// How far into a line a timestamp is looked for.
    static let searchBytes = 80
    static let keys = KeyTable(["prefix", "pid", "thread", "logger"])

    /// A timestamp at `i`: any shape `Timestamp.parse` knows, an epoch number, TAI64N.
    @inline(__always)
    static func time(_ line: ByteLine, at i: Int, batch: RecordBatch) -> Timestamp.Parsed? {
        let b = line[i]
        if ASCII.isDigit(b) {
            return Timestamp.parse(line, at: i, reference: batch.reference, dayFirst: batch.dayFirst)
                ?? Timestamp.epoch(line, at: i, reference: batch.reference)
        }
        if b == 0x40 { return Timestamp.tai64n(line, at: i) }
        if ASCII.isAlpha(b) { return Timestamp.parse(line, at: i, reference: batch.reference, dayFirst: batch.dayFirst) }
        return nil
    }

    /// Whether a token may start after this byte (a timestamp is looked for at token starts only).
    @inline(__always)
    static func separates(_ b: UInt8) -> Bool {
        !(ASCII.isDigit(b) || ASCII.isAlpha(b) || b == ASCII.dot || b >= 0x80)
    }

    /// Whether this byte may follow a timestamp.
    @inline(__always)
    static func ends(_ b: UInt8) -> Bool {
        ASCII.isSpace(b) || b == ASCII.colon || b == ASCII.rbracket || b == 0x29 || b == ASCII.comma || b == 0x7C
            || b == 0x3B || b == ASCII.quote || b == ASCII.gt
    }

    public func parse(_ line: ByteLine, into batch: inout RecordBatch, scratch: ParseScratch) -> Bool {
        let n = line.count
        var first = 0
        while first < n, ASCII.isSpace(line[first]) { first += 1 }
        guard first < n, line[first] != ASCII.lbrace else { return false }
        // The timestamp: at the first token start in the first 80 bytes where one reads.
        var found: (start: Int, t: Timestamp.Parsed)?
        let limit = min(n, GenericFormat.searchBytes)
        var k = first
        while k < limit {
            if k == first || GenericFormat.separates(line[k - 1]), let t = GenericFormat.time(line, at: k, batch: batch),
               k + t.length == n || GenericFormat.ends(line[k + t.length]) {
                found = (k, t)
                break
            }
            k += 1
        }
        guard let (tStart, t) = found else { return false }
        batch.setTime(t)
        var level: Level?
        var levelText = ByteLine(base: line.base, count: 0)
        // Before the time: a level word, else kept whole as the prefix.
        var prefixEnd = tStart
        while prefixEnd > first, ASCII.isSpace(line[prefixEnd - 1]) || line[prefixEnd - 1] == ASCII.lbracket || line[prefixEnd - 1] == 0x28 { prefixEnd -= 1 }
        if prefixEnd > first {
            // (Of the prefix's first two tokens only: "INFO  [main] 2026-…", "app ERROR 2026-…".)
            var j = first, seen = 0
            while j < prefixEnd, seen < 2 {
                while j < prefixEnd, ASCII.isSpace(line[j]) { j += 1 }
                guard let tok = GenericFormat.token(line, j, prefixEnd) else { break }
                if level == nil, let l = tok.level { level = l; levelText = tok.text }
                j = tok.next
                seen += 1
            }
            var ps = first, pe = prefixEnd
            while pe > ps, line[pe - 1] == ASCII.colon || line[pe - 1] == 0x7C || line[pe - 1] == ASCII.comma || ASCII.isSpace(line[pe - 1]) { pe -= 1 }
            if pe - ps == 1, line[ps] == ASCII.minus { ps = pe }
            if pe > ps, !(level != nil && levelText.base - line.base <= ps + 1 && levelText.base + levelText.count - line.base >= pe - 1) {
                batch.put(string: line.slice(ps, pe), field: batch.field(GenericFormat.keys[0], slot: 40))
            }
        }
        // After the time: the header (pid, level, [thread], logger:), then the message.
        var i = tStart + t.length
        // A zone name after the time ("[27-Nov-2026 14:00:09 Europe/Berlin]"): the time is that zone's.
        if !t.zoned, i + 4 < n, line[i] == ASCII.space, ASCII.isAlpha(line[i + 1]) {
            var e = i + 1
            while e < n, e - i < 40, ASCII.isAlpha(line[e]) || line[e] == ASCII.slash || line[e] == 0x5F { e += 1 }
            if memchrIndex(line.slice(0, e), ASCII.slash, from: i + 1) != nil, let z = LocalZone.named(line.slice(i + 1, e)) {
                batch.setTime(z.utc(fromLocal: t.nanos))
                i = e
            }
        }
        if i < n, line[i] == ASCII.rbracket || line[i] == 0x29 || line[i] == ASCII.gt || line[i] == ASCII.colon { i += 1 }
        let headerStart = i
        var tokens = 0
        var sawPid = false, sawThread = false
        header: while i < n, tokens < 6 {
            while i < n, ASCII.isSpace(line[i]) || line[i] == 0x7C { i += 1 }
            // A lone " - " or ": " between header parts.
            if i + 1 < n, (line[i] == ASCII.minus || line[i] == ASCII.colon), ASCII.isSpace(line[i + 1]) { i += 2; continue }
            guard i < n, let tok = GenericFormat.token(line, i, min(n, i + 64)) else { break }
            tokens += 1
            if level == nil, let l = tok.level {
                level = l; levelText = tok.text
                i = tok.next
                // The logger or tag straight after the level: a word ending in ':'.
                var j = i
                while j < n, ASCII.isSpace(line[j]) { j += 1 }
                let ls = j
                while j < n, j - ls < 96, !ASCII.isSpace(line[j]), line[j] != ASCII.colon { j += 1 }
                if j > ls, j < n, line[j] == ASCII.colon, j + 1 == n || ASCII.isSpace(line[j + 1]),
                   ASCII.isAlpha(line[ls]) || line[ls] == 0x5F {
                    batch.put(string: line.slice(ls, j), field: batch.field(GenericFormat.keys[3], slot: 43))
                    i = j + 1
                    break header
                }
                continue
            }
            if tok.isNumber, !sawPid, level == nil {
                // A number between the time and the level: the pid.
                batch.put(inferred: tok.text, field: batch.field(GenericFormat.keys[1], slot: 41))
                sawPid = true
                i = tok.next
                continue
            }
            if tok.bracketed, tok.text.count > 0, memchrIndex(tok.text, ASCII.space, from: 0) == nil {
                // A [thread]; after the level, a dotted name is the logger ("[logstash.agent   ]").
                let dotted = level != nil && memchrIndex(tok.text, ASCII.dot, from: 0) != nil
                if dotted || !sawThread {
                    batch.put(string: tok.text, field: batch.field(GenericFormat.keys[dotted ? 3 : 2], slot: dotted ? 43 : 42))
                    if !dotted { sawThread = true }
                    i = tok.next
                    if dotted { break }
                    continue
                }
            }
            if level == nil, !tok.bracketed, memchrIndex(tok.text, ASCII.equals, from: 0) != nil {
                // key=value pairs before the level (Sidekiq's pid=… tid=…): fields, read below.
                i = tok.next
                continue
            }
            break
        }
        if let level {
            batch.setLevel(level)
            if !Level.isCanonical(levelText, level) { batch.putLevelRaw(levelText) }
        }
        while i < n, ASCII.isSpace(line[i]) { i += 1 }
        batch.setMessage(line.slice(min(i, n), n))
        KeyValueText.extract(line.slice(min(headerStart, n), n), into: &batch, scratch: scratch)
        KeyValueText.extractColonNumbers(line.slice(min(i, n), n), into: &batch)
        return true
    }

    /// One header token at `i` (before `end`): bracketed (`[x]`, `<x>`, `(x)`) or a word up to a
    /// space (a trailing `:` dropped); a level when it is a level word bracketed, upper-case, or
    /// followed by `:` (`ERROR`, `[warn]`, `<info>`, `error:`, `W`‑letters only when bracketed).
    @inline(__always)
    static func token(_ line: ByteLine, _ i: Int, _ end: Int) -> (text: ByteLine, next: Int, level: Level?, bracketed: Bool, isNumber: Bool)? {
        guard i < end, !ASCII.isSpace(line[i]) else { return nil }
        let open = line[i]
        let close: UInt8? = open == ASCII.lbracket ? ASCII.rbracket : open == ASCII.lt ? ASCII.gt : open == 0x28 ? 0x29 : nil
        if let close {
            var j = i + 1
            while j < end, line[j] != close { j += 1 }
            guard j < end else { return nil }
            let text = line.slice(i + 1, j)
            var s = 0, e = text.count
            while s < e, ASCII.isSpace(text[s]) { s += 1 }
            while e > s, ASCII.isSpace(text[e - 1]) { e -= 1 }
            let word = text.slice(s, e)
            var next = j + 1
            if next < end, line[next] == ASCII.colon { next += 1 }
            return (word, next, Level.recognise(word, 0, word.count), true, false)
        }
        var j = i
        while j < end, !ASCII.isSpace(line[j]) { j += 1 }
        // The head of the word, up to ':', '/' or '[' ("ERROR:", "INFO/MainProcess]", "WARN[0000]").
        var h = i
        while h < j, line[h] != ASCII.colon, line[h] != ASCII.slash, line[h] != ASCII.lbracket { h += 1 }
        let word = line.slice(i, h)
        var upper = word.count > 1, digits = word.count > 0
        for k in 0..<word.count {
            let b = word[k]
            if !ASCII.isDigit(b) { digits = false }
            if !(b >= 0x41 && b <= 0x5A) { upper = false }
        }
        let delimited = h < j && (line[h] == ASCII.colon || line[h] == ASCII.slash) && word.count > 0
        let level = upper || delimited ? Level.recognise(word, 0, word.count) : nil
        if level == nil && h < j && line[h] != ASCII.lbracket {
            // Not a level: the whole word (a trailing ':' dropped).
            let e = line[j - 1] == ASCII.colon ? j - 1 : j
            return (line.slice(i, e), j, nil, false, false)
        }
        var next = j
        if level != nil, h < j {
            if line[h] == ASCII.colon { next = h + 1 }
            else if line[h] == ASCII.lbracket, let close = memchrIndex(line.slice(0, end), ASCII.rbracket, from: h) { next = close + 1 }
        }
        return (word, next, level, false, digits && h == j)
    }
}
