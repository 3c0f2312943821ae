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

    public init(kinds: Set<MaskKind>, mode: MaskMode, key: [UInt8]? = nil) {
        self.kinds = kinds
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
        let found = find(text)
        guard !found.isEmpty else { return nil }
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

    /// Every value found, in order, none overlapping.
    func find(_ t: UnsafeBufferPointer<UInt8>) -> [Found] {
        var found: [Found] = []
        let n = t.count
        var i = 0
        while i < n {
            let b = t[i]
            var hit: Found?
            switch b {
            case UInt8(ascii: "@") where kinds.contains(.email):
                if let r = Masker.email(t, at: i) {
                    // Drop a shorter find that this one covers (the local part's digits).
                    while let last = found.last, last.range.upperBound > r.lowerBound { found.removeLast() }
                    hit = Found(kind: .email, range: r)
                }
            case UInt8(ascii: "e") where kinds.contains(.jwt) && Masker.startsWord(t, i):
                hit = Masker.jwt(t, at: i).map { Found(kind: .jwt, range: $0) }
            case UInt8(ascii: "A") where kinds.contains(.awsKey) && Masker.startsWord(t, i):
                hit = Masker.awsKey(t, at: i).map { Found(kind: .awsKey, range: $0) }
            case UInt8(ascii: "B"), UInt8(ascii: "b"):
                if kinds.contains(.bearer), Masker.startsWord(t, i) { hit = Masker.bearer(t, at: i).map { Found(kind: .bearer, range: $0) } }
            default:
                break
            }
            if hit == nil, Masker.isHex(b) || b == UInt8(ascii: ":"), Masker.startsWord(t, i) {
                // (Not the tail of a dotted run: `1.2.3.4.5` is a version, not an address.)
                let dotted = i >= 2 && t[i - 1] == UInt8(ascii: ".") && Masker.isDigit(t[i - 2])
                if Masker.isDigit(b), !dotted {
                    if kinds.contains(.ipv4), let r = Masker.ipv4(t, at: i) { hit = Found(kind: .ipv4, range: r) }
                    else if kinds.contains(.creditCard), let r = Masker.card(t, at: i) { hit = Found(kind: .creditCard, range: r) }
                }
                if hit == nil, kinds.contains(.ipv6), i == 0 || t[i - 1] != UInt8(ascii: ":"), let r = Masker.ipv6(t, at: i) { hit = Found(kind: .ipv6, range: r) }
            }
            if let h = hit {
                found.append(h)
                i = h.range.upperBound
            } else {
                i += 1
            }
        }
        return found
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    @inline(__always) static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 6 }
    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20) &- 0x61 < 26 }

    /// Whether position `i` starts a word (no letter or digit just before it).
    @inline(__always) static func startsWord(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        i == 0 || !(isAlnum(t[i - 1]) || t[i - 1] == UInt8(ascii: "_"))
    }

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
        return s..<e
    }

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

    /// 13 to 19 digits, in groups split by single spaces or dashes, that pass the Luhn check.
    static func card(_ t: UnsafeBufferPointer<UInt8>, at: Int) -> Range<Int>? {
        var i = at, digits: [UInt8] = [], end = at
        while i < t.count, digits.count <= 19 {
            if isDigit(t[i]) { digits.append(t[i] - 0x30); i += 1; end = i; continue }
            if (t[i] == UInt8(ascii: " ") || t[i] == UInt8(ascii: "-")), i + 1 < t.count, isDigit(t[i + 1]), !digits.isEmpty { i += 1; continue }
            break
        }
        guard (13...19).contains(digits.count), endsWord(t, end) else { return nil }
        var sum = 0
        for (k, d) in digits.reversed().enumerated() {
            let x = Int(d) * (k % 2 == 1 ? 2 : 1)
            sum += x > 9 ? x - 9 : x
        }
        return sum % 10 == 0 ? at..<end : nil
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
        return i - s >= 8 ? s..<i : nil
    }

    // MARK: replacing

    func replacement(_ kind: MaskKind, _ value: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        switch mode {
        case .redact:
            return Array("<\(kind.rawValue)>".utf8)
        case .hash:
            let mac = HMAC<SHA256>.authenticationCode(for: value, using: SymmetricKey(data: key))
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
