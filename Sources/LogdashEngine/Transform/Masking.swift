import Crypto
import Foundation

/// Personal data and secrets the `mask` step finds in text: where each is, and what it becomes.
///
/// Detectors work on bytes in one pass: an e-mail address is found from its `@`, card numbers
/// from runs of digits (with single spaces or dashes between groups) that pass the Luhn check,
/// IPv6 addresses are confirmed by `inet_pton`, JWTs by their `eyJ…` header and payload, AWS
/// access keys by their prefixes, bearer tokens after `Bearer `.
public enum MaskKind: String, CaseIterable, Sendable {
    case email, ipv4, ipv6, creditCard = "credit_card", jwt, awsKey = "aws_key", bearer

    @inline(__always) static func bit(_ k: MaskKind) -> UInt8 {
        switch k {
        case .email: 1
        case .ipv4: 2
        case .ipv6: 4
        case .creditCard: 8
        case .jwt: 16
        case .awsKey: 32
        case .bearer: 64
        }
    }
}

/// What a found value becomes: `<email>` (redact), `<email:1f2e…>` (a keyed HMAC, so that equal
/// values stay equal and joinable), or a part kept (`a***@example.com`, `10.1.*.*`,
/// `************4242`).
public enum MaskMode: String, Sendable {
    case redact, hash, partial
}

public struct Masker: Sendable {
    public let kinds: Set<MaskKind>
    public let mode: MaskMode
    /// The HMAC key for `hash`.
    let key: [UInt8]

    /// `kinds` as bits (by `MaskKind.allCases` order): tested per byte, so no hashing.
    private let bits: UInt8

    @inline(__always) func has(_ k: MaskKind) -> Bool { bits & MaskKind.bit(k) != 0 }

    public init(kinds: Set<MaskKind>, mode: MaskMode, key: [UInt8]? = nil) {
        self.kinds = kinds
        bits = kinds.reduce(0) { $0 | MaskKind.bit($1) }
        self.mode = mode
        self.key = key ?? []
    }

    /// One value found: its kind and byte range.
    struct Found {
        var kind: MaskKind
        var range: Range<Int>
    }

    /// The text with every value found replaced, and how many of each kind; nil when nothing
    /// was found (the text stays as it is).
    public func mask(_ text: UnsafeBufferPointer<UInt8>) -> (bytes: [UInt8], counts: [MaskKind: Int])? {
        if let base = text.baseAddress, memchr(base, 0x5C, text.count) != nil || memchr(base, 0x25, text.count) != nil,  // `\`, `%`
           let plain = Masker.unescaped(text) {
            // Escapes hide nothing: `zed\u0040example.com` (JSON), `jane%40example.com` (URLs)
            // are searched as what they stand for (and, when something is found, kept so).
            return plain.withUnsafeBufferPointer { p in find(p).isEmpty ? nil : replace(p, find(p)) }
        }
        let found = find(text)
        guard !found.isEmpty else { return nil }
        return replace(text, found)
    }

    /// The text with JSON's `\u00XX` escapes of printable characters (not `"` or `\`, so that a
    /// JSON line stays JSON) and URLs' `%40` decoded; nil when it has none.
    static func unescaped(_ t: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        func hex(_ b: UInt8) -> Int? { isDigit(b) ? Int(b - 0x30) : (b | 0x20) &- 0x61 < 6 ? Int((b | 0x20) - 0x61 + 10) : nil }
        var out: [UInt8]?
        var i = 0, copied = 0
        while i < t.count {
            let b = t[i]
            var decoded: UInt8?, length = 0
            if b == UInt8(ascii: "\\"), i + 5 < t.count, t[i + 1] == UInt8(ascii: "u"), t[i + 2] == UInt8(ascii: "0"), t[i + 3] == UInt8(ascii: "0"),
               let h = hex(t[i + 4]), let l = hex(t[i + 5]), h * 16 + l >= 0x20, h * 16 + l < 0x7F, h * 16 + l != 0x22, h * 16 + l != 0x5C {
                decoded = UInt8(h * 16 + l); length = 6
            } else if b == UInt8(ascii: "%"), i + 2 < t.count, t[i + 1] == UInt8(ascii: "4"), t[i + 2] == UInt8(ascii: "0") {
                decoded = UInt8(ascii: "@"); length = 3
            } else if b == UInt8(ascii: "\\"), i + 1 < t.count {
                i += 2  // another escape (`\"`, `\\`): kept as it is
                continue
            }
            if let d = decoded {
                if out == nil { out = []; out!.reserveCapacity(t.count) }
                out!.append(contentsOf: t[copied..<i])
                out!.append(d)
                i += length
                copied = i
            } else {
                i += 1
            }
        }
        guard var o = out else { return nil }
        o.append(contentsOf: t[copied...])
        return o
    }

    private func replace(_ text: UnsafeBufferPointer<UInt8>, _ found: [Found]) -> (bytes: [UInt8], counts: [MaskKind: Int]) {
        var out: [UInt8] = []
        out.reserveCapacity(text.count + 16)
        var at = 0
        var counts: [MaskKind: Int] = [:]
        for f in found {
            out.append(contentsOf: text[at..<f.range.lowerBound])
            let r = replacement(f.kind, UnsafeBufferPointer(rebasing: text[f.range]))
            if Masker.isJSONNumber(text, f.range), !r.allSatisfy(Masker.isDigit) {
                // A JSON number (`"card":4242…`) becomes a string, so that the line stays JSON.
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: r)
                out.append(UInt8(ascii: "\""))
            } else {
                out.append(contentsOf: r)
            }
            counts[f.kind, default: 0] += 1
            at = f.range.upperBound
        }
        out.append(contentsOf: text[at...])
        return (out, counts)
    }

    public func mask(_ s: String) -> String {
        var s = s
        return s.withUTF8 { b in mask(b).map { String(decoding: $0.bytes, as: UTF8.self) } } ?? s
    }

    /// Whether `range` holds a JSON member's bare number: after `:` and before `,`, `}` or `]`.
    static func isJSONNumber(_ t: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var i = range.lowerBound - 1
        while i >= 0, t[i] == 0x20 { i -= 1 }
        guard i >= 0, t[i] == UInt8(ascii: ":"), i >= 1, t[i - 1] == UInt8(ascii: "\"") else { return false }
        var j = range.upperBound
        while j < t.count, t[j] == 0x20 { j += 1 }
        return j < t.count && (t[j] == UInt8(ascii: ",") || t[j] == UInt8(ascii: "}") || t[j] == UInt8(ascii: "]"))
    }

    // MARK: finding

    /// Which lines of `span` can hold something to mask (by line index), found over the whole
    /// buffer at once rather than line by line: those with an escape (`\`, `%`), an `@` (for
    /// e-mail addresses), or a dot followed by one to three digits and a dot (every IPv4
    /// address has one). nil when every line must be searched: kinds other than e-mail and
    /// IPv4 addresses are asked for, or the lines are out of order in the buffer.
    func candidates(_ span: LineSpan) -> [Bool]? {
        guard bits & ~(MaskKind.bit(.email) | MaskKind.bit(.ipv4)) == 0, span.ordered, span.count > 0,
              let base = span.buffer.baseAddress else { return nil }
        let count = span.count, starts = span.starts, ends = span.ends
        var out = [Bool](repeating: false, count: count)
        let from = starts[0], limit = ends[count - 1]
        func next(_ byte: UInt8, _ p: Int) -> Int? {
            memchr(base + p, Int32(byte), limit - p).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) }
        }
        // The line holding byte h, if one does (lines are in order; gaps lie between them).
        func line(holding h: Int) -> Int? {
            var lo = 0, hi = count
            while lo < hi { let m = (lo + hi) / 2; if starts[m] <= h { lo = m + 1 } else { hi = m } }
            return lo > 0 && h < ends[lo - 1] ? lo - 1 : nil
        }
        var anchors: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "%")]
        if has(.email) { anchors.append(UInt8(ascii: "@")) }
        for byte in anchors {
            var p = from
            while p < limit, let h = next(byte, p) {
                if let i = line(holding: h) { out[i] = true; p = ends[i] } else { p = h + 1 }
            }
        }
        if has(.ipv4) {
            var p = from, i = 0
            while p < limit, let h = next(UInt8(ascii: "."), p) {
                var j = h + 1
                while j < limit, j - h <= 4, Masker.isDigit(base[j]) { j += 1 }
                if j - h >= 2, j - h <= 4, j < limit, base[j] == UInt8(ascii: ".") {
                    while i < count, ends[i] <= h { i += 1 }
                    if i < count, starts[i] <= h { out[i] = true; p = ends[i]; continue }
                }
                p = h + 1
            }
        }
        return out
    }

    /// Every value found, in order, none overlapping. Words are visited once each at their first
    /// byte (where every detector but the e-mail one starts) and skipped whole otherwise; an
    /// e-mail address is found from its `@`.
    func find(_ t: UnsafeBufferPointer<UInt8>) -> [Found] {
        // Addresses alone: from their anchors (`@`, `.`, `:`), found by memchr, not byte by byte.
        if bits & ~(MaskKind.bit(.email) | MaskKind.bit(.ipv4) | MaskKind.bit(.ipv6)) == 0 { return findAddresses(t) }
        var found: [Found] = []
        let n = t.count
        var i = 0
        while i < n {
            let b = t[i]
            guard Masker.isWord(b) else {
                if b == UInt8(ascii: "@"), has(.email), let r = Masker.email(t, at: i) {
                    // Drop a find inside the address (its local part's digits).
                    while let last = found.last, last.range.upperBound > r.lowerBound { found.removeLast() }
                    found.append(Found(kind: .email, range: r))
                    i = r.upperBound
                } else if b == UInt8(ascii: ":"), has(.ipv6), i + 1 < n, t[i + 1] == UInt8(ascii: ":"), i == 0 || !Masker.isWord(t[i - 1]),
                          let r = Masker.ipv6(t, at: i) {
                    found.append(Found(kind: .ipv6, range: r))  // `::1`
                    i = r.upperBound
                } else {
                    i += 1
                }
                continue
            }
            // The first byte of a word.
            var hit: Found?
            switch b {
            case UInt8(ascii: "e") where has(.jwt): hit = Masker.jwt(t, at: i).map { Found(kind: .jwt, range: $0) }
            case UInt8(ascii: "A") where has(.awsKey): hit = Masker.awsKey(t, at: i).map { Found(kind: .awsKey, range: $0) }
            case UInt8(ascii: "B"), UInt8(ascii: "b"): if has(.bearer) { hit = Masker.bearer(t, at: i).map { Found(kind: .bearer, range: $0) } }
            default: break
            }
            if hit == nil, Masker.isDigit(b) {
                // Not the tail of a dotted run (`1.2.3.4.5` is a version) nor a product's version (`Chrome/120.0.0.0`).
                let dotted = i >= 2 && t[i - 1] == UInt8(ascii: ".") && Masker.isDigit(t[i - 2])
                let versioned = i >= 2 && t[i - 1] == UInt8(ascii: "/") && Masker.isAlnum(t[i - 2])
                if has(.ipv4), !dotted, !versioned, let r = Masker.ipv4(t, at: i) { hit = Found(kind: .ipv4, range: r) }
                else if has(.creditCard), !dotted, let r = Masker.card(t, at: i) { hit = Found(kind: .creditCard, range: r) }
            }
            // An IPv6 address starts a word, or follows a `:` that follows no hex digit (`addr:2001:db8::1`).
            if hit == nil, has(.ipv6), Masker.isHex(b), i == 0 || t[i - 1] != UInt8(ascii: ":") || i < 2 || !(Masker.isHex(t[i - 2]) || t[i - 2] == UInt8(ascii: ":")),
               Masker.colonSoon(t, i), let r = Masker.ipv6(t, at: i) {
                hit = Found(kind: .ipv6, range: r)
            }
            if let h = hit {
                found.append(h)
                i = h.range.upperBound
            } else {
                i += 1
                while i < n, Masker.isWord(t[i]) { i += 1 }
            }
        }
        return found
    }

    /// `find` for e-mail and IP addresses only: each `@`, `.` and `:` is looked at (as the
    /// byte-by-byte loop would at the word it ends), every other byte skipped by memchr.
    private func findAddresses(_ t: UnsafeBufferPointer<UInt8>) -> [Found] {
        guard let base = t.baseAddress else { return [] }
        let n = t.count
        // Each kind's next anchor at or after i (kept until passed; n: none left, or not asked for).
        var nextAt = has(.email) ? -1 : n, nextDot = has(.ipv4) ? -1 : n, nextColon = has(.ipv6) ? -1 : n
        @inline(__always) func next(_ byte: UInt8, from i: Int) -> Int {
            memchr(base + i, Int32(byte), n - i).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? n
        }
        var found: [Found] = []
        var i = 0
        while i < n {
            // The nearest anchor at or after i.
            if nextAt < i { nextAt = next(UInt8(ascii: "@"), from: i) }
            if nextDot < i { nextDot = next(UInt8(ascii: "."), from: i) }
            if nextColon < i { nextColon = next(UInt8(ascii: ":"), from: i) }
            let p = min(nextAt, nextDot, nextColon)
            guard p < n else { break }
            let lastEnd = found.last?.range.upperBound ?? 0
            var hit: Found?
            switch t[p] {
            case UInt8(ascii: "@"):
                if let r = Masker.email(t, at: p) {
                    while let last = found.last, last.range.upperBound > r.lowerBound { found.removeLast() }
                    hit = Found(kind: .email, range: r)
                }
            case UInt8(ascii: "."):
                var s = p
                while s > lastEnd, p - s < 3, Masker.isDigit(t[s - 1]) { s -= 1 }
                let dotted = s >= 2 && t[s - 1] == UInt8(ascii: ".") && Masker.isDigit(t[s - 2])
                let versioned = s >= 2 && t[s - 1] == UInt8(ascii: "/") && Masker.isAlnum(t[s - 2])
                if s < p, s == 0 || !Masker.isWord(t[s - 1]), !dotted, !versioned, let r = Masker.ipv4(t, at: s) { hit = Found(kind: .ipv4, range: r) }
            default:  // ":"
                var s = p
                while s > lastEnd, p - s < 4, Masker.isHex(t[s - 1]) { s -= 1 }
                if s < p {
                    let starts = s == 0 || (!Masker.isWord(t[s - 1]) && (t[s - 1] != UInt8(ascii: ":") || s < 2 || !(Masker.isHex(t[s - 2]) || t[s - 2] == UInt8(ascii: ":"))))
                    if starts, let r = Masker.ipv6(t, at: s) { hit = Found(kind: .ipv6, range: r) }
                } else if p + 1 < n, t[p + 1] == UInt8(ascii: ":"), p == 0 || !Masker.isWord(t[p - 1]), let r = Masker.ipv6(t, at: p) {
                    hit = Found(kind: .ipv6, range: r)  // `::1`
                }
            }
            if let h = hit {
                found.append(h)
                i = h.range.upperBound
            } else {
                i = p + 1
            }
        }
        return found
    }

    /// Letters, digits and `_`: the bytes of a word.
    @inline(__always) static func isWord(_ b: UInt8) -> Bool { wordBytes[Int(b)] }
    private static let wordBytes: [Bool] = (0..<256).map { b in
        let c = UInt8(b)
        return isAlnum(c) || c == UInt8(ascii: "_")
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    /// Whether a `:` comes within the first five hex digits from `i`, as in every IPv6 address
    /// (its groups have at most four): most words are turned away here.
    @inline(__always) static func colonSoon(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        var j = i
        while j < t.count, j - i < 5 {
            if t[j] == UInt8(ascii: ":") { return true }
            guard isHex(t[j]) else { return false }
            j += 1
        }
        return false
    }
    @inline(__always) static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 6 }
    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 26 }

    /// Whether position `i` ends a word (no letter or digit at it).
    @inline(__always) static func endsWord(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        i >= t.count || !(isAlnum(t[i]) || t[i] == UInt8(ascii: "_"))
    }

    /// `local@domain.tld` around the `@` at `at`.
    static func email(_ t: UnsafeBufferPointer<UInt8>, at: Int) -> Range<Int>? {
        func local(_ b: UInt8) -> Bool { isAlnum(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "%") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") }
        func domain(_ b: UInt8) -> Bool { isAlnum(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") }
        var s = at
        while s > 0, local(t[s - 1]) { s -= 1 }
        while s < at, t[s] == UInt8(ascii: ".") { s += 1 }
        guard s < at else { return nil }
        var e = at + 1
        while e < t.count, domain(t[e]) { e += 1 }
        while e > at + 1, t[e - 1] == UInt8(ascii: ".") || t[e - 1] == UInt8(ascii: "-") { e -= 1 }
        // The domain has a dot and ends in a top-level domain of two or more letters.
        guard let dot = (at + 1..<e).last(where: { t[$0] == UInt8(ascii: ".") }), dot > at + 1, e - dot - 1 >= 2,
              (dot + 1..<e).allSatisfy({ (t[$0] | 0x20) &- 0x61 < 26 }) else { return nil }
        // Not a file name (`logo@2x.png`).
        let tld = String(decoding: t[(dot + 1)..<e], as: UTF8.self).lowercased()
        guard !fileExtensions.contains(tld) else { return nil }
        return s..<e
    }

    static let fileExtensions: Set<String> = ["png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "css", "js", "map", "html", "json", "txt", "log",
                                              // systemd's units (`getty@tty1.service`)
                                              "service", "socket", "target", "mount", "automount", "timer", "device", "scope", "slice", "swap"]

    /// Four dotted numbers of at most 255, not part of a longer dotted run.
    static func ipv4(_ t: UnsafeBufferPointer<UInt8>, at: Int) -> Range<Int>? {
        var i = at
        for part in 0..<4 {
            var v = 0, digits = 0
            while i < t.count, isDigit(t[i]), digits < 4 { v = v * 10 + Int(t[i] - 0x30); digits += 1; i += 1 }
            guard digits >= 1, digits <= 3, v <= 255 else { return nil }
            if part < 3 {
                guard i < t.count, t[i] == UInt8(ascii: ".") else { return nil }
                i += 1
            }
        }
        if i < t.count, isAlnum(t[i]) { return nil }
        if i + 1 < t.count, t[i] == UInt8(ascii: "."), isDigit(t[i + 1]) { return nil }
        return at..<i
    }

    /// A card number: 13 to 19 digits, together or in groups split by single spaces or dashes
    /// (4-4-4-4[-3], 4-6-5, 4-6-4), starting as the card networks' numbers do (2 to 6), that
    /// pass the Luhn check. A run that goes on (`4111 1111 1111 1111 12/28`) is tried at each
    /// group's end, longest first.
    static func card(_ t: UnsafeBufferPointer<UInt8>, at: Int) -> Range<Int>? {
        guard t[at] >= UInt8(ascii: "2"), t[at] <= UInt8(ascii: "6") else { return nil }
        // Most numbers are short: turned away before any list is made.
        var j = at, seen = 0
        while j < t.count, seen < 13 {
            if isDigit(t[j]) { seen += 1 } else if !((t[j] == UInt8(ascii: " ") || t[j] == UInt8(ascii: "-")) && j + 1 < t.count && isDigit(t[j + 1])) { break }
            j += 1
        }
        guard seen >= 13 else { return nil }
        var groups: [(digits: Int, end: Int)] = []  // cumulative digits at each group's end
        var i = at, count = 0, separator: UInt8 = 0
        while i < t.count, count <= 19, groups.count < 6 {
            let s = i
            while i < t.count, isDigit(t[i]) { i += 1 }
            count += i - s
            groups.append((count, i))
            guard i + 1 < t.count, t[i] == UInt8(ascii: " ") || t[i] == UInt8(ascii: "-"), isDigit(t[i + 1]),
                  separator == 0 || separator == t[i] else { break }
            separator = t[i]
            i += 1
        }
        for k in stride(from: groups.count - 1, through: 0, by: -1) {
            let (digits, digitsEnd) = groups[k]
            var end = digitsEnd
            // A number written with a fraction (`4242424242424242.0`): the fraction is its.
            if k == groups.count - 1, end + 1 < t.count, t[end] == UInt8(ascii: "."), isDigit(t[end + 1]) {
                var e = end + 1
                while e < t.count, isDigit(t[e]) { e += 1 }
                if e >= t.count || !isAlnum(t[e]) { end = e }
            }
            guard (13...19).contains(digits), endsWord(t, end) || k < groups.count - 1 else { continue }
            if k < groups.count - 1, end < t.count, isAlnum(t[end]) { continue }
            let sizes = (0...k).map { groups[$0].digits - ($0 == 0 ? 0 : groups[$0 - 1].digits) }
            let grouped = k == 0 || sizes.dropLast().allSatisfy { $0 == 4 } || sizes == [4, 6, 5] || sizes == [4, 6, 4]
            guard grouped, luhn(t, at..<digitsEnd) else { continue }
            return at..<end
        }
        return nil
    }

    /// The Luhn check over the digits of a range (other bytes skipped).
    static func luhn(_ t: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        var sum = 0, k = 0, j = r.upperBound
        while j > r.lowerBound {
            j -= 1
            guard isDigit(t[j]) else { continue }
            let x = Int(t[j] - 0x30) * (k % 2 == 1 ? 2 : 1)
            sum += x > 9 ? x - 9 : x
            k += 1
        }
        return sum % 10 == 0
    }

    /// Whether a whole number is a card number (13 to 19 digits that pass the Luhn check).
    static func isCard(_ v: Int64) -> Bool {
        guard v >= 1_000_000_000_000 else { return false }
        var lead = v
        while lead >= 10 { lead /= 10 }
        guard (2...6).contains(lead) else { return false }
        var x = v, sum = 0, k = 0
        while x > 0 {
            let d = Int(x % 10) * (k % 2 == 1 ? 2 : 1)
            sum += d > 9 ? d - 9 : d
            x /= 10
            k += 1
        }
        return sum % 10 == 0
    }

    /// An IPv6 address (`2001:db8::1`, `::1`, `fe80::1%eth0` without the zone, `::ffff:10.0.0.1`),
    /// confirmed by `inet_pton`.
    static func ipv6(_ t: UnsafeBufferPointer<UInt8>, at: Int) -> Range<Int>? {
        var e = at, colons = 0
        while e < t.count, e - at < 45, isHex(t[e]) || t[e] == UInt8(ascii: ":") || t[e] == UInt8(ascii: ".") {
            if t[e] == UInt8(ascii: ":") { colons += 1 }
            e += 1
        }
        while e > at, t[e - 1] == UInt8(ascii: ".") || (t[e - 1] == UInt8(ascii: ":") && !(e - 2 >= at && t[e - 2] == UInt8(ascii: ":"))) {
            if t[e - 1] == UInt8(ascii: ":") { colons -= 1 }
            e -= 1
        }
        // The whole run is the address (`a::b::c` holds none), with a hex digit in it (`::` alone is none).
        guard colons >= 2, e - at >= 3, endsWord(t, e), e >= t.count || t[e] != UInt8(ascii: ":"), (at..<e).contains(where: { isHex(t[$0]) }) else { return nil }
        var text = Array(t[at..<e])
        text.append(0)
        var addr = in6_addr()
        return text.withUnsafeBufferPointer { inet_pton(AF_INET6, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), &addr) } == 1 ? at..<e : nil
    }

    @inline(__always) static func isBase64URL(_ b: UInt8) -> Bool { isAlnum(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") }

    /// `eyJ….eyJ….signature`: a JSON Web Token (header and payload are base64url JSON objects).
    static func jwt(_ t: UnsafeBufferPointer<UInt8>, at: Int) -> Range<Int>? {
        func starts(_ i: Int) -> Bool { i + 3 <= t.count && t[i] == UInt8(ascii: "e") && t[i + 1] == UInt8(ascii: "y") && t[i + 2] == UInt8(ascii: "J") }
        var i = at
        func run() -> Int {
            let s = i
            while i < t.count, isBase64URL(t[i]) { i += 1 }
            return i - s
        }
        let dot = UInt8(ascii: ".")
        guard starts(i), run() >= 4, i < t.count, t[i] == dot else { return nil }
        i += 1
        guard starts(i), run() >= 4, i < t.count, t[i] == dot else { return nil }
        i += 1
        _ = run()
        return at..<i
    }

    static let awsPrefixes: [[UInt8]] = ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"].map { Array($0.utf8) }

    /// An AWS access key id: a known four-letter prefix and 16 upper-case letters or digits.
    static func awsKey(_ t: UnsafeBufferPointer<UInt8>, at: Int) -> Range<Int>? {
        guard at + 20 <= t.count, Masker.awsPrefixes.contains(where: { p in (0..<4).allSatisfy { t[at + $0] == p[$0] } }) else { return nil }
        for k in at + 4..<at + 20 where !(isDigit(t[k]) || t[k] &- 0x41 < 26) { return nil }
        return endsWord(t, at + 20) ? at..<at + 20 : nil
    }

    /// The token after `Bearer ` (the word itself is kept).
    static func bearer(_ t: UnsafeBufferPointer<UInt8>, at: Int) -> Range<Int>? {
        let word = Array("bearer ".utf8)
        guard at + word.count < t.count, (0..<word.count).allSatisfy({ (t[at + $0] | 0x20) == word[$0] || (word[$0] == 0x20 && t[at + $0] == 0x20) }) else { return nil }
        var i = at + word.count
        while i < t.count, t[i] == 0x20 { i += 1 }
        let s = i
        func token(_ b: UInt8) -> Bool { isBase64URL(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "~") || b == UInt8(ascii: "+") || b == UInt8(ascii: "/") || b == UInt8(ascii: "=") }
        while i < t.count, token(t[i]) { i += 1 }
        // A token, not a word (`Bearer authentication failed`): a digit, a symbol or both cases in it.
        let body = t[s..<i]
        let tokenLike = body.contains(where: { isDigit($0) || !isAlnum($0) }) || (body.contains { $0 &- 0x41 < 26 } && body.contains { $0 &- 0x61 < 26 })
        return i - s >= 8 && tokenLike ? s..<i : nil
    }

    // MARK: replacing

    func replacement(_ kind: MaskKind, _ value: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        switch mode {
        case .redact:
            return Array("<\(kind.rawValue)>".utf8)
        case .hash:
            // The value as one thing however it is written: a card's digits, an address in lower case.
            let canonical: [UInt8] = switch kind {
            case .creditCard: value.prefix { $0 != UInt8(ascii: ".") }.filter(Masker.isDigit)  // (a fraction is no part of the number)
            case .email: value.map { $0 &- 0x41 < 26 ? $0 | 0x20 : $0 }
            default: Array(value)
            }
            let mac = HMAC<SHA256>.authenticationCode(for: canonical, using: SymmetricKey(data: key))
            return Array("<\(kind.rawValue):\(Value.hex(Array(mac.prefix(8))))>".utf8)
        case .partial:
            return partial(kind, Array(value))
        }
    }

    /// The part of a value that identifies no one: an address's first letter and domain, a
    /// network's first two numbers, a card's last four digits, a token's first four characters.
    func partial(_ kind: MaskKind, _ v: [UInt8]) -> [UInt8] {
        let star = UInt8(ascii: "*")
        switch kind {
        case .email:
            guard let at = v.firstIndex(of: UInt8(ascii: "@")) else { return Array("<email>".utf8) }
            return [v[0]] + Array("***".utf8) + v[at...]
        case .ipv4:
            let parts = v.split(separator: UInt8(ascii: "."))
            return Array(parts[0]) + [UInt8(ascii: ".")] + Array(parts[1]) + Array(".*.*".utf8)
        case .ipv6:
            let first = v.prefix { $0 != UInt8(ascii: ":") }
            return Array(first) + Array(":****".utf8)
        case .creditCard:
            let v = Array(v.prefix { $0 != UInt8(ascii: ".") })
            var digitsLeft = v.filter(Masker.isDigit).count
            return v.map { b in
                guard Masker.isDigit(b) else { return b }
                digitsLeft -= 1
                return digitsLeft < 4 ? b : star
            }
        case .jwt, .awsKey, .bearer:
            return Array(v.prefix(4)) + Array("****".utf8)
        }
    }
}
