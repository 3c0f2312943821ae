import Crypto
import Foundation

/// AWS credentials: an access key and its secret, and for temporary ones a session token.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKey: String
    public var secretKey: String
    public var sessionToken: String?
    /// Where they were found, for messages (`environment`, `profile work in ~/.aws/credentials`…).
    public var origin: String
    /// When they stop working (an instance role's), nil for keys that do not expire.
    public var expiration: Date?

    public init(accessKey: String, secretKey: String, sessionToken: String? = nil, origin: String = "given", expiration: Date? = nil) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.sessionToken = sessionToken
        self.origin = origin
        self.expiration = expiration
    }
}

/// AWS Signature Version 4 (the `Authorization` header every AWS API and S3-compatible store
/// checks), computed as botocore computes it — the same canonical request byte for byte, which
/// the tests check against botocore itself:
/// - the path as sent for S3; for other services with `.`/`..` segments and repeated slashes
///   removed and percent-encoded once more (AWS's "double encoding");
/// - the query string's `key=value` pairs as sent (already encoded), sorted;
/// - every header but hop-by-hop ones and `User-Agent`, names lower-cased, values trimmed and
///   inner runs of white space made one space, plus `host` (its port only when not the
///   scheme's default), `x-amz-date`, `x-amz-security-token` for temporary credentials, and
///   for S3 (or an unsigned payload) `x-amz-content-sha256`.
public struct SigV4Signer: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// What the signature says of the body.
    public enum Payload: Sendable, Equatable {
        /// The body itself: its SHA-256 is signed.
        case bytes([UInt8])
        /// `UNSIGNED-PAYLOAD` (S3 over HTTPS, streaming uploads).
        case unsigned
    }

    /// Headers never signed (hop-by-hop ones a proxy may change, and the client's name).
    static let unsignedHeaders: Set<String> = ["connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                                               "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id"]

    /// The request's headers with the signature's own added: `X-Amz-Date`,
    /// `X-Amz-Security-Token` (temporary credentials), `X-Amz-Content-SHA256` (S3, or an
    /// unsigned payload) and `Authorization`, in that order after the given ones (a given
    /// header of one of those names is replaced). `url` is as it will be sent: its path and
    /// query already percent-encoded.
    public func sign(method: String, url: URL, headers: [(String, String)] = [], payload: Payload, at date: Date) -> [(String, String)] {
        let stamp = SigV4Signer.timestamp(date)
        let mine: Set<String> = ["x-amz-date", "authorization", "x-amz-security-token", "x-amz-content-sha256"]
        var out = headers.filter { !mine.contains($0.0.lowercased()) }
        out.append(("X-Amz-Date", stamp))
        if let token = credentials.sessionToken { out.append(("X-Amz-Security-Token", token)) }
        let bodyHash: String
        switch payload {
        case .bytes(let b): bodyHash = SigV4Signer.hex(SHA256.hash(data: b))
        case .unsigned: bodyHash = "UNSIGNED-PAYLOAD"
        }
        if service == "s3" || payload == .unsigned { out.append(("X-Amz-Content-SHA256", bodyHash)) }
        let (canonical, signed) = canonicalRequest(method: method, url: url, headers: out, bodyHash: bodyHash)
        let scope = "\(stamp.prefix(8))/\(region)/\(service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(stamp)\n\(scope)\n" + SigV4Signer.hex(SHA256.hash(data: Array(canonical.utf8)))
        let signature = SigV4Signer.hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: signingKey(day: String(stamp.prefix(8)))))
        out.append(("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(scope), SignedHeaders=\(signed), Signature=\(signature)"))
        return out
    }

    /// The canonical request, and the names of the headers it signs (`;`-joined).
    func canonicalRequest(method: String, url: URL, headers: [(String, String)], bodyHash: String) -> (String, String) {
        let parts = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let rawPath = parts?.percentEncodedPath ?? ""
        let path = service == "s3" ? rawPath : SigV4Signer.quote(SigV4Signer.removeDotSegments(rawPath))
        var query = ""
        if let q = parts?.percentEncodedQuery, !q.isEmpty {
            let pairs = q.split(separator: "&", omittingEmptySubsequences: false).map { pair -> (String, String) in
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
            }
            query = pairs.sorted { ($0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars)) || ($0.0 == $1.0 && $0.1.unicodeScalars.lexicographicallyPrecedes($1.1.unicodeScalars)) }
                .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        }
        var values: [String: [String]] = [:]
        for (name, value) in headers where !SigV4Signer.unsignedHeaders.contains(name.lowercased()) {
            values[name.lowercased(), default: []].append(value.split(whereSeparator: { $0.isWhitespace }).joined(separator: " "))
        }
        if values["host"] == nil, let host = SigV4Signer.host(of: url) { values["host"] = [host] }
        let names = values.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        let canonicalHeaders = names.map { "\($0):\(values[$0]!.joined(separator: ","))" }.joined(separator: "\n")
        let signed = names.joined(separator: ";")
        return ([method.uppercased(), path, query, canonicalHeaders + "\n", signed, bodyHash].joined(separator: "\n"), signed)
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request").
    func signingKey(day: String) -> SymmetricKey {
        func mac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key)))
        }
        let date = mac(SymmetricKey(data: Array(("AWS4" + credentials.secretKey).utf8)), day)
        return mac(mac(mac(date, region), service), "aws4_request")
    }

    /// `YYYYMMDDTHHMMSSZ`, UTC.
    static func timestamp(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// The `host` header of a URL: lower-cased, the port only when it is not the scheme's default.
    static func host(of url: URL) -> String? {
        guard let parts = URLComponents(url: url, resolvingAgainstBaseURL: false), var host = parts.host?.lowercased() else { return nil }
        if host.contains(":") && !host.hasPrefix("[") { host = "[\(host)]" }
        if let port = parts.port, port != (parts.scheme?.lowercased() == "https" ? 443 : parts.scheme?.lowercased() == "http" ? 80 : -1) {
            host += ":\(port)"
        }
        return host
    }

    /// Percent-encodes every byte but the unreserved ones (`A–Z a–z 0–9 - _ . ~`) and `/`.
    static func quote(_ s: String, keepSlash: Bool = true) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(b))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    /// RFC 3986's "remove dot segments", with empty segments (repeated slashes) removed too, as
    /// AWS services want; `/` for an empty path.
    static func removeDotSegments(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var kept: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: false) where !segment.isEmpty && segment != "." {
            if segment == ".." { if !kept.isEmpty { kept.removeLast() } } else { kept.append(segment) }
        }
        return (path.hasPrefix("/") ? "/" : "") + kept.joined(separator: "/") + (path.hasSuffix("/") && !kept.isEmpty ? "/" : "")
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
