/// Syslog's priority value: facility and severity.
enum SyslogPriority {
    static let facilities = KeyTable(["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
                                      "authpriv", "ftp", "ntp", "audit", "alert", "clock",
                                      "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"])
    static let keys = KeyTable(["facility", "severity", "app", "pid", "msgid"])

    /// Reads `<PRI>` at the start; returns the value and the index after `>`.
    static func parse(_ line: ByteLine) -> (pri: Int, next: Int)? {
        guard line.count > 3, line[0] == ASCII.lt else { return nil }
        var i = 1, v = 0
        while i < line.count, i <= 4, ASCII.isDigit(line[i]) { v = v * 10 + Int(line[i] &- 0x30); i += 1 }
        guard i > 1, i < line.count, line[i] == ASCII.gt, v <= 191 else { return nil }
        return (v, i + 1)
    }

    static func write(_ pri: Int, into batch: inout RecordBatch) {
        let facility = pri / 8, severity = pri % 8
        batch.put(string: facilities[facility], field: batch.field(keys[0], slot: 40))
        batch.put(int: Int64(severity), field: batch.field(keys[1], slot: 41))
        if let l = Level(syslogSeverity: severity) { batch.setLevel(l) }
    }
}

/// RFC 5424: `<165>1 2026-11-27T14:00:00.123Z web-1 checkout 4242 ID47 [req@32473 status="500"] message`.
/// Fields: `facility`, `severity`, `app`, `pid`, `msgid`, and each structured-data parameter
/// under its own name (typed by its text). `host` and `level` fill the core columns.
public struct Syslog5424Format: LogFormat {
    public let name = "syslog5424"
    public let joinsContinuationLines = false
    public init() {}

    public func parse(_ line: ByteLine, into batch: inout RecordBatch, scratch: ParseScratch) -> Bool {
        guard let (pri, afterPri) = SyslogPriority.parse(line) else { return false }
        let n = line.count
        var i = afterPri
        // VERSION
        let vs = i
        while i < n, ASCII.isDigit(line[i]) { i += 1 }
        guard i > vs, i - vs <= 2, i < n, line[i] == ASCII.space else { return false }
        i += 1
        // TIMESTAMP (a line may end right after the version: `<134>1 `)
        guard i < n else { return false }
        if line[i] == ASCII.minus {
            i += 1
        } else {
            guard let t = Timestamp.parse(line, at: i, reference: batch.reference, dayFirst: batch.dayFirst) else { return false }
            batch.setTime(t)
            i += t.length
        }
        guard i < n, line[i] == ASCII.space else { return false }
        i += 1
        // HOSTNAME APP-NAME PROCID MSGID (a failed parse is rolled back by the caller)
        SyslogPriority.write(pri, into: &batch)
        let k = SyslogPriority.keys
        for idx in 0..<4 {
            let s = i
            while i < n, line[i] != ASCII.space { i += 1 }
            guard i < n, i > s else { return false }
            let v = line.slice(s, i)
            i += 1
            if v.equals("-") { continue }
            switch idx {
            case 0: batch.setHost(v)
            case 1: batch.put(string: v, field: batch.field(k[2], slot: 42))
            case 2: batch.put(inferred: v, field: batch.field(k[3], slot: 43))
            default: batch.put(string: v, field: batch.field(k[4], slot: 44))
            }
        }
        // STRUCTURED-DATA
        guard i < n else { batch.setMessage(line.slice(n, n)); return true }
        if line[i] == ASCII.minus {
            i += 1
        } else {
            guard line[i] == ASCII.lbracket else { return false }
            var slot = 0
            while i < n, line[i] == ASCII.lbracket {
                i += 1
                while i < n, line[i] != ASCII.space, line[i] != ASCII.rbracket { i += 1 }  // SD-ID
                while i < n, line[i] == ASCII.space {
                    i += 1
                    let ks = i
                    while i < n, line[i] != ASCII.equals, line[i] != ASCII.space, line[i] != ASCII.rbracket { i += 1 }
                    guard i + 1 < n, line[i] == ASCII.equals, line[i + 1] == ASCII.quote else { return false }
                    let key = line.slice(ks, i)
                    i += 2
                    let vs = i
                    var escaped = false
                    while i < n, line[i] != ASCII.quote {
                        if line[i] == ASCII.backslash { escaped = true; i += 1 }
                        i += 1
                    }
                    guard i < n else { return false }
                    var value = line.slice(vs, i)
                    i += 1
                    if escaped { value = Syslog5424Format.unescapeParam(value, scratch) }
                    batch.put(inferred: value, field: batch.field(key, slot: slot))
                    slot += 1
                }
                guard i < n, line[i] == ASCII.rbracket else { return false }
                i += 1
            }
        }
        // MSG, with an optional UTF-8 byte order mark.
        if i < n, line[i] == ASCII.space { i += 1 }
        if i + 3 <= n, line[i] == 0xEF, line[i + 1] == 0xBB, line[i + 2] == 0xBF { i += 3 }
        batch.setMessage(line.slice(i, n))
        SyslogPriority.readMessageHead(line.slice(i, n), into: &batch)
        return true
    }

    static func unescapeParam(_ v: ByteLine, _ scratch: ParseScratch) -> ByteLine {
        scratch.reserveText(v.count, keep: 0)
        var o = 0, j = 0
        while j < v.count {
            if v[j] == ASCII.backslash, j + 1 < v.count, v[j + 1] == ASCII.quote || v[j + 1] == ASCII.backslash || v[j + 1] == ASCII.rbracket {
                j += 1
            }
            scratch.text[o] = v[j]
            o += 1
            j += 1
        }
        return ByteLine(base: scratch.text, count: o)
    }
}

extension SyslogPriority {
    /// What the head of a message says: a level word there when the priority gave none
    /// (`error: kex_exchange_identification …`, `[WARN] …`), and a JSON object (after `@cee:`,
    /// or the whole message) is a payload, parsed again for its fields.
    static func readMessageHead(_ msg: ByteLine, into batch: inout RecordBatch) {
        guard msg.count > 0 else { return }
        var j = 0
        if msg.count > 6, msg.slice(0, 5).equals("@cee:") { j = 5; while j < msg.count, ASCII.isSpace(msg[j]) { j += 1 } }
        if j < msg.count, msg[j] == ASCII.lbrace, msg[msg.count - 1] == ASCII.rbrace {
            batch.setPayload(msg.slice(j, msg.count))
            return
        }
        if !batch.rowHasLevel, let tok = GenericFormat.token(msg, 0, min(msg.count, 64)), let level = tok.level {
            batch.setLevel(level)
            if !Level.isCanonical(tok.text, level) { batch.putLevelRaw(tok.text) }
        }
    }
}

/// RFC 3164 (BSD) syslog and the files rsyslog writes:
/// `<134>Nov 27 14:00:00 web-1 checkout[4242]: message`, the priority optional, the time
/// also in ISO 8601 (`RSYSLOG_FileFormat`). The year, absent from the BSD stamp, is inferred
/// from the arrival time. `key=value` pairs in the message become fields.
public struct Syslog3164Format: LogFormat {
    public let name = "syslog3164"
    public let joinsContinuationLines = true
    public init() {}

    public func parse(_ line: ByteLine, into batch: inout RecordBatch, scratch: ParseScratch) -> Bool {
        var i = 0
        let n = line.count
        var pri: Int?
        if let (p, next) = SyslogPriority.parse(line) { pri = p; i = next }
        guard i < n, let t = Timestamp.parse(line, at: i, reference: batch.reference, dayFirst: batch.dayFirst) else { return false }
        i += t.length
        guard i < n, line[i] == ASCII.space else { return false }
        i += 1
        // HOSTNAME
        let hs = i
        while i < n, line[i] != ASCII.space { i += 1 }
        guard i > hs, i < n else { return false }
        let host = line.slice(hs, i)
        i += 1
        // TAG[PID]: — the tag ends at '[' or ':'.
        let ts = i
        while i < n, line[i] != ASCII.lbracket, line[i] != ASCII.colon, line[i] != ASCII.space { i += 1 }
        guard i < n, i > ts else { return false }
        let tag = line.slice(ts, i)
        var pid: ByteLine?
        if line[i] == ASCII.lbracket {
            let ps = i + 1
            while i < n, line[i] != ASCII.rbracket { i += 1 }
            guard i < n else { return false }
            pid = line.slice(ps, i)
            i += 1
        }
        guard i < n, line[i] == ASCII.colon else { return false }
        i += 1
        if i < n, line[i] == ASCII.space { i += 1 }

        batch.setTime(t)
        if let pri { SyslogPriority.write(pri, into: &batch) }
        batch.setHost(host)
        let k = SyslogPriority.keys
        batch.put(string: tag, field: batch.field(k[2], slot: 42))
        if let pid, pid.count > 0 { batch.put(inferred: pid, field: batch.field(k[3], slot: 43)) }
        let msg = line.slice(i, n)
        batch.setMessage(msg)
        SyslogPriority.readMessageHead(msg, into: &batch)
        KeyValueText.extract(msg, into: &batch, scratch: scratch)
        return true
    }
}
