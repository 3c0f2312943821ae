import Synchronization

/// A log format: turns one line into the current row of a `RecordBatch`.
///
/// `parse` writes fields as it goes and returns false as soon as the line does not fit; the
/// caller then abandons the row and tries other formats. Formats are immutable values shared
/// across threads; per-thread buffers live in `ParseScratch`.
public protocol LogFormat: Sendable {
    var name: String { get }
    /// Whether continuation lines (stack traces, indented lines) join this format's records.
    var joinsContinuationLines: Bool { get }
    func parse(_ line: ByteLine, into batch: inout RecordBatch, scratch: ParseScratch) -> Bool
    /// Whether `line` continues the record before it rather than starting one, for a format
    /// that says what starts its records (`record_start`); nil: the common rule (indented
    /// lines, stack-trace lines) decides.
    func continues(_ line: ByteLine, scratch: ParseScratch) -> Bool?
    /// What of a continuation line joins the record's message: for a wrapper format (compose,
    /// CRI), the wrapped line without the wrapper's prefix; nil: the whole line.
    func continuationText(_ line: ByteLine, scratch: ParseScratch) -> ByteLine?
    /// Whether a line of this format is the first part of a longer one that the next line ends
    /// (CRI's `P` lines: the runtime splits lines over 16 KiB).
    func isPartial(_ line: ByteLine, scratch: ParseScratch) -> Bool
}

extension LogFormat {
    public func continues(_ line: ByteLine, scratch: ParseScratch) -> Bool? { nil }
    public func continuationText(_ line: ByteLine, scratch: ParseScratch) -> ByteLine? { nil }
    public func isPartial(_ line: ByteLine, scratch: ParseScratch) -> Bool { false }
}

/// Growable byte buffers a parser reuses line after line (unescaped strings, dotted keys).
/// One per thread: not shared.
public final class ParseScratch {
    public private(set) var text: UnsafeMutablePointer<UInt8>
    public private(set) var textCapacity: Int
    public private(set) var key: UnsafeMutablePointer<UInt8>
    public private(set) var keyCapacity: Int
    /// Match data of user-defined regex formats, created on first use.
    var regexData: [ObjectIdentifier: PCRERegex.MatchData] = [:]

    public init() {
        textCapacity = 4096
        text = .allocate(capacity: textCapacity)
        keyCapacity = 1024
        key = .allocate(capacity: keyCapacity)
    }

    deinit {
        text.deallocate()
        key.deallocate()
    }

    /// Makes room for `n` bytes in `text`, keeping the first `keep`.
    public func reserveText(_ n: Int, keep: Int) {
        guard n > textCapacity else { return }
        let cap = max(n, textCapacity * 2)
        let t = UnsafeMutablePointer<UInt8>.allocate(capacity: cap)
        t.update(from: text, count: keep)
        text.deallocate()
        text = t
        textCapacity = cap
    }

    public func reserveKey(_ n: Int, keep: Int) {
        guard n > keyCapacity else { return }
        let cap = max(n, keyCapacity * 2)
        let k = UnsafeMutablePointer<UInt8>.allocate(capacity: cap)
        k.update(from: key, count: keep)
        key.deallocate()
        key = k
        keyCapacity = cap
    }
}

/// Extracts `key=value` pairs from free text (syslog and Java messages, generic lines):
/// `status=500 user="a b"` become fields `status` (a number) and `user`.
enum KeyValueText {
    static func extract(_ text: ByteLine, into batch: inout RecordBatch, scratch: ParseScratch, maxPairs: Int = 32) {
        let n = text.count
        var i = 0, pairs = 0
        while i < n, pairs < maxPairs {
            // Find the next '='.
            guard let eq = memchrIndex(text, ASCII.equals, from: i) else { return }
            // The key runs back from '=' over key bytes and must start a token.
            var ks = eq
            while ks > i, ASCII.isKeyByte(text[ks - 1]) { ks -= 1 }
            let keyOK = ks < eq && (ks == 0 || ASCII.isSpace(text[ks - 1]) || text[ks - 1] == ASCII.comma)
                && (ASCII.isAlpha(text[ks]) || text[ks] == 0x5F)
            var j = eq + 1
            if !keyOK { i = j; continue }
            let value: ByteLine
            if j < n, text[j] == ASCII.quote {
                var e = j + 1
                while e < n, text[e] != ASCII.quote { e += text[e] == ASCII.backslash ? 2 : 1 }
                guard e < n else { return }
                value = text.slice(j + 1, e)
                j = e + 1
            } else {
                var e = j
                while e < n, !ASCII.isSpace(text[e]), text[e] != ASCII.comma { e += 1 }
                value = text.slice(j, e)
                j = e
            }
            if value.count > 0 {
                let c = batch.field(text.slice(ks, eq), slot: 48 + pairs)
                batch.put(inferred: value, field: c)
                pairs += 1
            }
            i = j
        }
    }
}

extension KeyValueText {
    /// `key: value` pairs in free text where they are unambiguous: a lower-case key of 2–32
    /// letters, digits, `_` or `.` starting a token, then `: ` and a number (`status: 200`,
    /// `took: 1.5`). Prose ("error: disk full", "at 12:30") gives none.
    static func extractColonNumbers(_ text: ByteLine, into batch: inout RecordBatch, maxPairs: Int = 16) {
        let n = text.count
        var i = 0, pairs = 0
        while pairs < maxPairs, let colon = memchrIndex(text, ASCII.colon, from: i) {
            i = colon + 1
            guard colon + 2 < n, text[colon + 1] == ASCII.space else { continue }
            var ks = colon
            while ks > 0, colon - ks < 32, text[ks - 1] >= 0x61 && text[ks - 1] <= 0x7A || ASCII.isDigit(text[ks - 1]) || text[ks - 1] == 0x5F || text[ks - 1] == ASCII.dot { ks -= 1 }
            guard colon - ks >= 2, text[ks] >= 0x61 && text[ks] <= 0x7A, ks == 0 || ASCII.isSpace(text[ks - 1]) || text[ks - 1] == ASCII.comma || text[ks - 1] == 0x28 else { continue }
            let vs = colon + 2
            var ve = vs
            while ve < n, !ASCII.isSpace(text[ve]), text[ve] != ASCII.comma, text[ve] != 0x3B, text[ve] != 0x29 { ve += 1 }
            let value = text.slice(vs, ve)
            guard value.count > 0, value.count < 24, ByteNumber.int(value, 0, value.count) != nil || ByteNumber.double(value, 0, value.count) != nil else { continue }
            batch.put(inferred: value, field: batch.field(text.slice(ks, colon), slot: 32 + pairs))
            pairs += 1
            i = ve
        }
    }
}

@inline(__always)
func memchrIndex(_ line: ByteLine, _ byte: UInt8, from: Int) -> Int? {
    guard from < line.count else { return nil }
    guard let p = memchr(line.base + from, Int32(byte), line.count - from) else { return nil }
    return UnsafeRawPointer(p) - UnsafeRawPointer(line.base)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Field names as byte lines in memory that lives for the whole run, so formats can look up
/// their fixed columns without building a key per line. (No reference is held: a count
/// touched per line by every parsing thread would cost more than the parse.) Tables are
/// interned by their names, so that formats made again and again — a config loaded anew —
/// share one.
struct KeyTable: @unchecked Sendable {  // immutable bytes, never freed, reachable from `interned`
    private let keys: [ByteLine]

    private static let interned = Mutex<[[String]: [ByteLine]]>([:])

    init(_ names: [String]) {
        keys = KeyTable.interned.withLock { tables in
            if let known = tables[names] { return known }
            let total = names.reduce(0) { $0 + $1.utf8.count }
            // (No names, no bytes: an allocation that no key points at would leak.)
            guard !names.isEmpty else { return [] }
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: max(total, 1))
            var at = 0, keys: [ByteLine] = []
            for n in names {
                let bytes = Array(n.utf8)
                (p + at).update(from: bytes, count: bytes.count)
                keys.append(ByteLine(base: p + at, count: bytes.count))
                at += bytes.count
            }
            tables[names] = keys
            return keys
        }
    }

    @inline(__always) subscript(i: Int) -> ByteLine { keys[i] }
}
