/// Makes text from logs safe to put on a terminal: nothing in a log line may move the cursor,
/// change colours, set the window title or reorder text.
///
/// C0 controls and DEL become caret notation (`^[` for ESC, `^G` for BEL, `^M` for CR), C1
/// controls and bytes that are not UTF-8 become `\xNN`, and bidirectional overrides become
/// `<U+202E>`. Tabs and line feeds are kept only when the caller allows them.
public enum VisibleText {
    public struct Options: Sendable {
        public var keepTabs: Bool
        public var keepNewlines: Bool
        public init(keepTabs: Bool = false, keepNewlines: Bool = false) {
            self.keepTabs = keepTabs
            self.keepNewlines = keepNewlines
        }
    }

    /// Escapes a string (already valid Unicode).
    public static func escape(_ s: String, _ options: Options = Options()) -> String {
        guard needsEscaping(s, options) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for u in s.unicodeScalars { append(u, to: &out, options) }
        return out
    }

    /// Escapes raw bytes, showing invalid UTF-8 byte by byte.
    public static func escape(bytes: some Collection<UInt8>, _ options: Options = Options()) -> String {
        let a = Array(bytes)
        var out = ""
        out.reserveCapacity(a.count)
        var i = 0
        while i < a.count {
            if let (u, len) = decodeScalar(a, i) {
                append(u, to: &out, options)
                i += len
            } else {
                out += hex(a[i])
                i += 1
            }
        }
        return out
    }

    /// One well-formed UTF-8 scalar at `i` (no overlong forms, no surrogates) and its length.
    static func decodeScalar(_ a: [UInt8], _ i: Int) -> (Unicode.Scalar, Int)? {
        let b0 = a[i]
        if b0 < 0x80 { return (Unicode.Scalar(b0), 1) }
        let len: Int, minValue: UInt32
        var v: UInt32
        switch b0 {
        case 0xC2...0xDF: len = 2; v = UInt32(b0 & 0x1F); minValue = 0x80
        case 0xE0...0xEF: len = 3; v = UInt32(b0 & 0x0F); minValue = 0x800
        case 0xF0...0xF4: len = 4; v = UInt32(b0 & 0x07); minValue = 0x10000
        default: return nil
        }
        guard i + len <= a.count else { return nil }
        for k in 1..<len {
            let c = a[i + k]
            guard c & 0xC0 == 0x80 else { return nil }
            v = v << 6 | UInt32(c & 0x3F)
        }
        guard v >= minValue, let u = Unicode.Scalar(v) else { return nil }
        return (u, len)
    }

    private static func needsEscaping(_ s: String, _ o: Options) -> Bool {
        for u in s.unicodeScalars {
            let v = u.value
            if v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) || isBidiControl(v) {
                if v == 0x09 && o.keepTabs { continue }
                if v == 0x0A && o.keepNewlines { continue }
                return true
            }
        }
        return false
    }

    private static func isBidiControl(_ v: UInt32) -> Bool {
        (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) || v == 0x200E || v == 0x200F
    }

    private static func append(_ u: Unicode.Scalar, to out: inout String, _ o: Options) {
        let v = u.value
        switch v {
        case 0x09 where o.keepTabs, 0x0A where o.keepNewlines:
            out.unicodeScalars.append(u)
        case 0..<0x20:
            out += "^" + String(UnicodeScalar(UInt8(v) + 0x40))
        case 0x7F:
            out += "^?"
        case 0x80...0x9F:
            out += hex(UInt8(v))
        default:
            if isBidiControl(v) {
                let h = String(v, radix: 16, uppercase: true)
                out += "<U+" + String(repeating: "0", count: max(0, 4 - h.count)) + h + ">"
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }

    private static func hex(_ b: UInt8) -> String {
        let h = String(b, radix: 16, uppercase: true)
        return "\\x" + (h.count == 1 ? "0" + h : h)
    }
}

extension VisibleText {
    /// `text` made visible and broken into lines at most `width` columns wide: at spaces where
    /// it can be, inside a word too long for a line.
    public static func wrapped(_ text: String, width: Int) -> [String] {
        var rest = Substring(escape(text))
        var out: [String] = []
        let room = max(1, width)
        repeat {
            var cut = rest.endIndex, used = 0
            for i in rest.indices {
                used += DisplayWidth.of(rest[i])
                if used > room { cut = i; break }
            }
            if cut < rest.endIndex, let space = rest[..<cut].lastIndex(of: " ") { cut = rest.index(after: space) }
            if cut == rest.startIndex { cut = rest.index(after: cut) }  // (a character wider than the line)
            out.append(String(rest[..<cut]).trimmingCharacters(in: .whitespaces))
            rest = rest[cut...]
        } while !rest.isEmpty
        return out
    }
}
