import CZlib
import Crypto
import Foundation

/// Trino's varbinary functions: bytes from text and back, hex and base64, digests (MD5, SHA-1,
/// SHA-256, SHA-512 and HMAC-SHA256 from swift-crypto; CRC-32 from zlib) — as Athena users write
/// them: `to_hex(sha256(to_utf8(user)))`. A varchar where bytes are wanted is taken as its UTF-8.
extension Functions {
    static func bytes(_ v: Value, _ fn: String, _ p: Int) throws -> [UInt8] {
        switch v {
        case .binary(let b): return b
        case .string(let s): return Array(s.utf8)
        default: throw QueryError(.type, "\(fn)() needs varbinary, not \(typeName(v))", at: p)
        }
    }

    static let binaryTable: [String: Spec] = {
        var t: [String: Spec] = [:]
        func add(_ name: String, _ arity: ClosedRange<Int>, _ body: @escaping @Sendable ([Value], Int, ExprCompiler) throws -> Value) {
            t[name] = Spec(arity: arity, takesNulls: false, body: body)
        }
        add("to_utf8", 1...1) { a, p, _ in .binary(Array(try str(a[0], "to_utf8", p).utf8)) }
        add("from_utf8", 1...2) { a, p, _ in
            // Invalid UTF-8 replaced (by U+FFFD, or the text given).
            let b = try bytes(a[0], "from_utf8", p)
            if a.count == 2, String(validating: b, as: UTF8.self) == nil {
                let replacement = try str(a[1], "from_utf8", p)
                return .string(String(decoding: b, as: UTF8.self).replacingOccurrences(of: "\u{FFFD}", with: replacement))
            }
            return .string(String(decoding: b, as: UTF8.self))
        }
        add("to_hex", 1...1) { a, p, _ in .string(Value.hex(try bytes(a[0], "to_hex", p), upper: true)) }
        add("from_hex", 1...1) { a, p, _ in
            let s = Array(try str(a[0], "from_hex", p).utf8)
            func digit(_ c: UInt8) -> UInt8? {
                switch c {
                case 48...57: c - 48
                case 65...70: c - 55
                case 97...102: c - 87
                default: nil
                }
            }
            guard s.count % 2 == 0 else { throw QueryError(.value, "from_hex() needs an even number of hex digits", at: p) }
            var out: [UInt8] = []
            out.reserveCapacity(s.count / 2)
            for k in stride(from: 0, to: s.count, by: 2) {
                guard let hi = digit(s[k]), let lo = digit(s[k + 1]) else { throw QueryError(.value, "'\(a[0])' is not hex", at: p) }
                out.append(hi << 4 | lo)
            }
            return .binary(out)
        }
        add("to_base64", 1...1) { a, p, _ in .string(Data(try bytes(a[0], "to_base64", p)).base64EncodedString()) }
        add("from_base64", 1...1) { a, p, _ in
            guard let d = Data(base64Encoded: try str(a[0], "from_base64", p)) else { throw QueryError(.value, "'\(a[0])' is not base64", at: p) }
            return .binary(Array(d))
        }
        add("md5", 1...1) { a, p, _ in .binary(Array(Insecure.MD5.hash(data: try bytes(a[0], "md5", p)))) }
        add("sha1", 1...1) { a, p, _ in .binary(Array(Insecure.SHA1.hash(data: try bytes(a[0], "sha1", p)))) }
        add("sha256", 1...1) { a, p, _ in .binary(Array(SHA256.hash(data: try bytes(a[0], "sha256", p)))) }
        add("sha512", 1...1) { a, p, _ in .binary(Array(SHA512.hash(data: try bytes(a[0], "sha512", p)))) }
        add("hmac_sha256", 2...2) { a, p, _ in
            let key = SymmetricKey(data: try bytes(a[1], "hmac_sha256", p))
            return .binary(Array(HMAC<SHA256>.authenticationCode(for: try bytes(a[0], "hmac_sha256", p), using: key)))
        }
        add("crc32", 1...1) { a, p, _ in
            let b = try bytes(a[0], "crc32", p)
            return .int(Int64(b.withUnsafeBufferPointer { CZlib.crc32(0, $0.baseAddress, uInt($0.count)) }))
        }
        return t
    }()
}
