/// A view of one line's bytes, valid only while the chunk it points into is alive.
///
/// Parsers work on raw bytes, never on `String`: a log line is mostly ASCII and turning every
/// line into a `String` costs more than parsing it. Indexing is unchecked; every parser checks
/// `count` before it reads.
public struct ByteLine {
    public let base: UnsafePointer<UInt8>
    public let count: Int

    @inlinable public init(base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    @inlinable @inline(__always)
    public subscript(i: Int) -> UInt8 { base[i] }

    @inlinable public func slice(_ start: Int, _ end: Int) -> ByteLine {
        ByteLine(base: base + start, count: end - start)
    }

    @inlinable public var buffer: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base, count: count)
    }

    /// The bytes as a `String`, invalid UTF-8 repaired with U+FFFD.
    public var string: String { String(decoding: buffer, as: UTF8.self) }

    @inlinable public func hasPrefix(_ bytes: StaticString) -> Bool {
        let n = bytes.utf8CodeUnitCount
        guard n <= count else { return false }
        return memcmp(base, bytes.utf8Start, n) == 0
    }

    @inlinable public func equals(_ bytes: StaticString) -> Bool {
        bytes.utf8CodeUnitCount == count && hasPrefix(bytes)
    }

    /// Runs `body` over the bytes of a Swift string without copying when it is contiguous.
    public static func with<R>(_ s: String, _ body: (ByteLine) throws -> R) rethrows -> R {
        var s = s
        return try s.withUTF8 { buf in
            if let base = buf.baseAddress {
                return try body(ByteLine(base: base, count: buf.count))
            }
            // An empty string has no storage; point at a byte that is never read.
            return try withUnsafePointer(to: UInt8(0)) { try body(ByteLine(base: $0, count: 0)) }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte classes and small scanners shared by every format.
public enum ASCII {
    public static let space: UInt8 = 0x20, tab: UInt8 = 0x09, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D
    public static let quote: UInt8 = 0x22, backslash: UInt8 = 0x5C, equals: UInt8 = 0x3D
    public static let colon: UInt8 = 0x3A, comma: UInt8 = 0x2C, dot: UInt8 = 0x2E, minus: UInt8 = 0x2D
    public static let plus: UInt8 = 0x2B, slash: UInt8 = 0x2F, lbracket: UInt8 = 0x5B, rbracket: UInt8 = 0x5D
    public static let lbrace: UInt8 = 0x7B, rbrace: UInt8 = 0x7D, lt: UInt8 = 0x3C, gt: UInt8 = 0x3E

    @inline(__always) public static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }
    @inline(__always) public static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) &- 0x61 < 26 }
    @inline(__always) public static func isSpace(_ b: UInt8) -> Bool { b == space || b == tab }
    @inline(__always) public static func lower(_ b: UInt8) -> UInt8 { isAlpha(b) ? b | 0x20 : b }
    /// Letters, digits, `_`, `.`, `-`, `@`: the bytes of a field name in logfmt or key=value text.
    @inline(__always) public static func isKeyByte(_ b: UInt8) -> Bool {
        isAlpha(b) || isDigit(b) || b == 0x5F || b == dot || b == minus || b == 0x40
    }
}

/// Number parsing over bytes, exact for the shapes logs use.
public enum ByteNumber {
    /// A whole decimal integer spanning exactly `line[start..<end]`, with optional sign.
    @inline(__always)
    public static func int(_ line: ByteLine, _ start: Int, _ end: Int) -> Int64? {
        var i = start
        guard i < end else { return nil }
        var negative = false
        if line[i] == ASCII.minus { negative = true; i += 1 } else if line[i] == ASCII.plus { i += 1 }
        guard i < end, end - i <= 18 else { return end - i > 18 ? slowInt(line, start, end) : nil }
        var v: Int64 = 0
        while i < end {
            let d = line[i] &- 0x30
            guard d < 10 else { return nil }
            v = v &* 10 &+ Int64(d)
            i += 1
        }
        return negative ? -v : v
    }

    private static func slowInt(_ line: ByteLine, _ start: Int, _ end: Int) -> Int64? {
        Int64(line.slice(start, end).string)
    }

    private static let powersOf10: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// A decimal number (`-12.5`, `3e-4`) spanning exactly `line[start..<end]`.
    /// Uses the exact fast path (mantissa < 2^53, power of ten ≤ 22) and `strtod` otherwise.
    public static func double(_ line: ByteLine, _ start: Int, _ end: Int) -> Double? {
        var i = start
        guard i < end else { return nil }
        var negative = false
        if line[i] == ASCII.minus { negative = true; i += 1 } else if line[i] == ASCII.plus { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0, exp10 = 0, sawDigit = false
        while i < end, ASCII.isDigit(line[i]) {
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(line[i] &- 0x30); if mantissa > 0 { digits += 1 } } else { exp10 += 1 }
            sawDigit = true; i += 1
        }
        if i < end, line[i] == ASCII.dot {
            i += 1
            while i < end, ASCII.isDigit(line[i]) {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(line[i] &- 0x30); if mantissa > 0 { digits += 1 }; exp10 -= 1 }
                sawDigit = true; i += 1
            }
        }
        guard sawDigit else { return nil }
        if i < end, line[i] | 0x20 == 0x65 {  // e / E
            i += 1
            var expNegative = false
            if i < end, line[i] == ASCII.minus { expNegative = true; i += 1 } else if i < end, line[i] == ASCII.plus { i += 1 }
            var e = 0, expDigits = 0
            while i < end, ASCII.isDigit(line[i]) { if e < 10000 { e = e * 10 + Int(line[i] &- 0x30) }; i += 1; expDigits += 1 }
            guard expDigits > 0 else { return nil }
            exp10 += expNegative ? -e : e
        }
        guard i == end else { return nil }
        if mantissa < (1 << 53), exp10 >= -22, exp10 <= 22 {
            var v = Double(mantissa)
            v = exp10 < 0 ? v / powersOf10[-exp10] : v * powersOf10[exp10]
            return negative ? -v : v
        }
        return strtodFallback(line, start, end)
    }

    private static func strtodFallback(_ line: ByteLine, _ start: Int, _ end: Int) -> Double? {
        var tmp = [CChar](repeating: 0, count: end - start + 1)
        for k in start..<end { tmp[k - start] = CChar(bitPattern: line[k]) }
        return tmp.withUnsafeBufferPointer { buf -> Double? in
            var endPtr: UnsafeMutablePointer<CChar>?
            let v = strtod(buf.baseAddress!, &endPtr)
            guard let e = endPtr, e - UnsafeMutablePointer(mutating: buf.baseAddress!) == end - start else { return nil }
            return v
        }
    }
}
