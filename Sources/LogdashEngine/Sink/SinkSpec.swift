import Foundation

/// A delivery stream (Firehose's, in logdash): where a sink delivers what is stored, and its
/// buffering hints. Written `s3://bucket/prefix`, `file:///dir` or `https://central:8443/ingest`
/// (another logdash's HTTP source: a fleet's agents fanned in to one), on the command line with
/// the hints as the URL's query (`s3://logs/app?buffer_size=1M&buffer_interval=10s`) and in the
/// config as keys of the sink (`sinks: [{url: …, buffer_size: 5M, buffer_interval: 60s}]`).
public struct SinkSpec: Sendable, Equatable {
    public enum Destination: Sendable, Equatable {
        case s3(S3Location)
        case directory(String)
        /// Another logdash's `POST /ingest` (`http://` or `https://`), which takes the records
        /// with their own time, source, host and fields.
        case http(URL)
    }

    /// The URL, without its query, as the place has it (`file:///x/` is `file:///x`).
    public var url: String
    public var destination: Destination
    /// A part is delivered once this many bytes of records wait (Firehose's size hint)…
    public var bufferSize: Int
    /// … or once its first record has waited this long, in nanoseconds (the interval hint).
    public var bufferInterval: Int64
    /// A sink whose oldest waiting record has waited longer than this (nanoseconds; nil: its
    /// `buffer_interval` and five minutes more) is behind: said on stderr, in `internal_metrics`
    /// and on the dashboard's status bar.
    public var maxLag: Int64?
    /// How objects are compressed: gzip (`.json.gz`) or zstd (`.json.zst`).
    public var compression: ArchiveCompression = .gzip
    /// The compression's level (nil: gzip's 6, zstd's 3): lower is faster, higher smaller.
    public var compressionLevel: Int?
    /// How long an object the destination keeps refusing (a 4xx answer about the object itself:
    /// not credentials, permissions, a missing bucket or throttling) is tried again before it
    /// goes under `errors/` instead (Firehose's retry duration), in nanoseconds.
    public var retryDuration: Int64 = SinkSpec.defaultRetryDuration
    /// An HTTP sink's bearer token (the central logdash's `--auth-token`).
    public var token: String?
    /// A PEM file of the certificate authority an `https://` sink trusts (a private CA; the
    /// system's trust store otherwise).
    public var tlsCA: String?
    /// `maxLag`, or its default.
    public var lagLimit: Int64 { maxLag ?? bufferInterval + 300_000_000_000 }

    public static let defaultBufferSize = 5 << 20
    public static let defaultBufferInterval: Int64 = 60_000_000_000
    public static let defaultRetryDuration: Int64 = 300_000_000_000
    public static let keys = ["url", "buffer_size", "buffer_interval", "max_lag", "retry_duration", "compression", "compression_level", "token", "tls_ca"]

    public struct Problem: Error, CustomStringConvertible {
        /// The key the problem is in (`url`, `buffer_size` …).
        public let key: String
        public let message: String
        public var description: String { message }
    }

    public init(url: String, destination: Destination, bufferSize: Int = SinkSpec.defaultBufferSize,
                bufferInterval: Int64 = SinkSpec.defaultBufferInterval) {
        self.url = url
        self.destination = destination
        self.bufferSize = bufferSize
        self.bufferInterval = bufferInterval
    }

    /// A sink from its URL; the query, if any, sets the buffering hints.
    public static func parse(_ text: String) throws -> SinkSpec {
        var base = text, hints: [(String, String)] = []
        // What errors quote: the URL without its token.
        let shown = text.replacingOccurrences(of: #"token=[^&]*"#, with: "token=…", options: .regularExpression)
        if let q = text.firstIndex(of: "?") {
            base = String(text[..<q])
            for pair in text[text.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { throw Problem(key: "url", message: "'\(pair)' in '\(shown)' is not KEY=VALUE (buffer_size=5M, buffer_interval=60s)") }
                hints.append((kv[0], kv[1]))
            }
        }
        let place = try destination(base)
        // The URL as one place has it, whichever way it was written (`file:///x/`, `file:///x`).
        let canonical = switch place {
        case .s3(let location): location.description
        case .directory(let path): "file://" + path
        case .http(let url): url.absoluteString
        }
        var spec = SinkSpec(url: canonical, destination: place)
        for (k, v) in hints { try spec.set(k, v, in: shown) }
        try spec.check()
        return spec
    }

    /// The hints agree with each other: `max_lag` is longer than `buffer_interval` (a sink would
    /// otherwise be behind whenever it waits as asked).
    public func check() throws {
        if let maxLag, maxLag <= bufferInterval {
            throw Problem(key: "max_lag", message: "max_lag (\(TimeSpan.format(maxLag))) must be longer than buffer_interval (\(TimeSpan.format(bufferInterval)))")
        }
        if let level = compressionLevel, !compression.levels.contains(level) {
            throw Problem(key: "compression_level", message: "\(compression.rawValue)'s levels are \(compression.levels.lowerBound) to \(compression.levels.upperBound), not \(level)")
        }
        let web: URL? = if case .http(let url) = destination { url } else { nil }
        if token != nil && web == nil { throw Problem(key: "token", message: "token is for an http(s):// sink (\(url) is not one)") }
        if let tlsCA {
            guard web?.scheme == "https" else { throw Problem(key: "tls_ca", message: "tls_ca is for an https:// sink (\(url) is not one)") }
            guard FileManager.default.isReadableFile(atPath: tlsCA) else { throw Problem(key: "tls_ca", message: "'\(tlsCA)' cannot be read (a PEM file of the CA's certificate)") }
        }
    }

    /// Sets a buffering hint by its key.
    public mutating func set(_ key: String, _ value: String, in place: String) throws {
        switch key {
        case "buffer_size":
            guard let n = ByteSize.parse(value), n > 0 else { throw Problem(key: key, message: "'\(value)' is not a size such as 1M or 5M") }
            bufferSize = n
        case "buffer_interval":
            guard let ns = TimeSpan.parseNanos(value), ns > 0 else { throw Problem(key: key, message: "'\(value)' is not a duration such as 10s or 60s") }
            bufferInterval = ns
        case "compression":
            guard let c = ArchiveCompression(rawValue: value.lowercased()) else { throw Problem(key: key, message: "'\(value)' is not a compression: gzip or zstd") }
            compression = c
        case "max_lag":
            guard let ns = TimeSpan.parseNanos(value), ns > 0 else { throw Problem(key: key, message: "'\(value)' is not a duration such as 5m or 1h") }
            maxLag = ns
        case "retry_duration":
            guard let ns = TimeSpan.parseNanos(value), ns >= 0 else { throw Problem(key: key, message: "'\(value)' is not a duration such as 5m or 1h") }
            retryDuration = ns
        case "compression_level":
            guard let n = Int(value) else { throw Problem(key: key, message: "'\(value)' is not a level (gzip 1–9, zstd 1–19)") }
            compressionLevel = n
        case "token":
            guard !value.isEmpty, !value.contains(where: { $0.isWhitespace || $0.isNewline }) else { throw Problem(key: key, message: "a token is one word, without spaces") }
            token = value
        case "tls_ca":
            guard !value.isEmpty else { throw Problem(key: key, message: "tls_ca names a PEM file") }
            tlsCA = value
        default:
            throw Problem(key: key, message: "'\(key)' is not a sink's key; keys are \(SinkSpec.keys.joined(separator: ", "))")
        }
    }

    static func destination(_ url: String) throws -> Destination {
        if let place = try S3Location.parse(url) { return .s3(place) }
        if url.hasPrefix("file://") {
            let path = String(url.dropFirst("file://".count))
            guard path.hasPrefix("/") else { throw Problem(key: "url", message: "'\(url)': a file:// sink names an absolute directory (file:///var/archive)") }
            return .directory(path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path)
        }
        if url.hasPrefix("http://") || url.hasPrefix("https://") {
            guard var parts = URLComponents(string: url), let host = parts.host, !host.isEmpty, parts.user == nil else {
                throw Problem(key: "url", message: "'\(url)' is not a URL such as https://central:8443/ingest")
            }
            // Another logdash takes records at /ingest: the path may be left out.
            if parts.path.isEmpty || parts.path == "/" { parts.path = "/ingest" }
            guard parts.path == "/ingest", parts.fragment == nil, let place = parts.url else {
                throw Problem(key: "url", message: "'\(url)': an http(s):// sink is another logdash's /ingest (https://central:8443/ingest)")
            }
            return .http(place)
        }
        throw Problem(key: "url", message: "'\(url)' is not a sink: write s3://bucket/prefix, file:///dir or https://central:8443/ingest")
    }

    /// The name of the sink's spool directory in the store: the URL made a file name, and a
    /// hash of it so that two URLs never share one.
    var spoolName: String {
        let readable = url.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in url.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(String(readable).prefix(60)) + "-" + String(h & 0xFFFF_FFFF, radix: 16)
    }
}
