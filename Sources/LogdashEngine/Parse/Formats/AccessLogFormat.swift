/// Apache/nginx access logs, combined and common:
/// `203.0.113.9 - alice [27/Nov/2026:14:00:00 +0000] "GET /api/cart?id=1 HTTP/1.1" 200 512 "-" "curl/8.5.0"`.
///
/// Fields: `ip`, `ident`, `user`, `method`, `path`, `query`, `protocol`, `status`, `bytes`,
/// `referer`, `user_agent`; further trailing values (nginx's `$request_time` …) become
/// `extra1`, `extra2` …. `message` is the request line. `level` follows the status: 5xx error,
/// 4xx warn, otherwise info.
public struct AccessLogFormat: LogFormat {
    public let name = "combined"
    public let joinsContinuationLines = false
    public init() {}

    public func parse(_ line: ByteLine, into batch: inout RecordBatch, scratch: ParseScratch) -> Bool {
        let n = line.count
        var i = 0
        // Client address: a token of address bytes.
        while i < n, line[i] != ASCII.space { i += 1 }
        guard i > 0, i < n, ASCII.isDigit(line[0]) || ASCII.isAlpha(line[0]) || line[0] == ASCII.colon else { return false }
        let ip = line.slice(0, i)
        i += 1
        let identStart = i
        while i < n, line[i] != ASCII.space { i += 1 }
        guard i < n else { return false }
        let ident = line.slice(identStart, i)
        i += 1
        let userStart = i
        while i < n, line[i] != ASCII.space { i += 1 }
        guard i + 1 < n, line[i + 1] == ASCII.lbracket else { return false }
        let user = line.slice(userStart, i)
        i += 2
        guard let t = Timestamp.parse(line, at: i, reference: batch.reference, dayFirst: batch.dayFirst), i + t.length < n,
              line[i + t.length] == ASCII.rbracket else { return false }
        i += t.length + 1
        guard i + 1 < n, line[i] == ASCII.space, line[i + 1] == ASCII.quote else { return false }
        i += 2
        let reqStart = i
        while i < n, line[i] != ASCII.quote { i += line[i] == ASCII.backslash ? 2 : 1 }
        guard i < n else { return false }
        let request = line.slice(reqStart, i)
        i += 1
        guard i < n, line[i] == ASCII.space else { return false }
        i += 1
        let statusStart = i
        while i < n, ASCII.isDigit(line[i]) { i += 1 }
        guard i - statusStart == 3, let status = ByteNumber.int(line, statusStart, i) else { return false }
        guard i < n, line[i] == ASCII.space else { return false }
        i += 1
        let bytesStart = i
        while i < n, line[i] != ASCII.space { i += 1 }
        let bytesText = line.slice(bytesStart, i)
        let bytes = ByteNumber.int(bytesText, 0, bytesText.count)
        guard bytes != nil || bytesText.equals("-") else { return false }

        // The line fits: write the fields.
        batch.setTime(t)
        batch.setLevel(status >= 500 ? .error : status >= 400 ? .warn : .info)
        var slot = 0
        let k = AccessLogFormat.keys
        func put(_ name: Int, _ v: ByteLine, _ batch: inout RecordBatch) {
            batch.put(string: v, field: batch.field(k[name], slot: slot)); slot += 1
        }
        put(K.ip, ip, &batch)
        if !ident.equals("-") { put(K.ident, ident, &batch) }
        if !user.equals("-") { put(K.user, user, &batch) }
        // "METHOD target PROTOCOL"
        // Short strings: plain loops beat memchr calls here.
        func find(_ b: UInt8, in l: ByteLine) -> Int? {
            var j = 0
            while j < l.count { if l[j] == b { return j }; j += 1 }
            return nil
        }
        if let sp1 = find(ASCII.space, in: request) {
            put(K.method, request.slice(0, sp1), &batch)
            let rest = request.slice(sp1 + 1, request.count)
            let sp2 = find(ASCII.space, in: rest) ?? rest.count
            let target = rest.slice(0, sp2)
            if let q = find(0x3F, in: target) {
                put(K.path, target.slice(0, q), &batch)
                put(K.query, target.slice(q + 1, target.count), &batch)
            } else {
                put(K.path, target, &batch)
            }
            if sp2 < rest.count { put(K.protocol, rest.slice(sp2 + 1, rest.count), &batch) }
        }
        batch.put(int: status, field: batch.field(k[K.status], slot: 20))
        if let bytes { batch.put(int: bytes, field: batch.field(k[K.bytes], slot: 21)) }
        batch.setMessage(request)
        // Combined: "referer" "user agent", then anything else.
        var quoted = 0, extra = 0
        while i < n {
            while i < n, line[i] == ASCII.space { i += 1 }
            if i >= n { break }
            let value: ByteLine
            let isQuoted = line[i] == ASCII.quote
            if isQuoted {
                let s = i + 1
                i = s
                while i < n, line[i] != ASCII.quote { i += line[i] == ASCII.backslash ? 2 : 1 }
                value = line.slice(s, min(i, n))
                i += 1
            } else {
                let s = i
                while i < n, line[i] != ASCII.space { i += 1 }
                value = line.slice(s, i)
            }
            if isQuoted && quoted < 2 && extra == 0 {
                if !value.equals("-") {
                    batch.put(string: value, field: batch.field(k[quoted == 0 ? K.referer : K.agent], slot: 22 + quoted))
                }
                quoted += 1
            } else {
                extra += 1
                if !value.equals("-") { batch.put(inferred: value, field: batch.field(named: "extra\(extra)")) }
            }
        }
        return true
    }

    private enum K {
        static let ip = 0, ident = 1, user = 2, method = 3, path = 4, query = 5, `protocol` = 6
        static let status = 7, bytes = 8, referer = 9, agent = 10
    }

    private static let keys = KeyTable(["ip", "ident", "user", "method", "path", "query", "protocol", "status", "bytes",
                                        "referer", "user_agent"])
}
