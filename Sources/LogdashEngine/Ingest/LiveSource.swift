import Foundation

/// Where a listener binds: `HOST:PORT`, `[IPv6]:PORT`, or `:PORT` (127.0.0.1). Port 0 lets the
/// system choose; the listener then reports the port it got.
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Connections are TLS (`tcp+tls://`, `syslog+tls://`, `https://`), with `--tls-cert`/`--tls-key`.
    public var tls = false

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether it binds every interface (a warning is printed: logs are often sensitive).
    public var isWildcard: Bool { host == "0.0.0.0" || host == "::" }

    init(parsing text: Substring, url: String, tls: Bool = false) throws {
        self.tls = tls
        var rest = text
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[slash...]
            guard path == "/" || path == "/ingest" else {
                throw SourceError.unsupported(url, "a listener takes no path (HTTP always listens on /ingest)")
            }
            rest = rest[..<slash]
        }
        let hostPart: Substring, portPart: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix(":") else {
                throw SourceError.unsupported(url, "expected [IPv6]:PORT")
            }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            portPart = rest[rest.index(close, offsetBy: 2)...]
        } else {
            guard let colon = rest.lastIndex(of: ":") else { throw SourceError.unsupported(url, "a listener needs a port: HOST:PORT or :PORT") }
            hostPart = rest[..<colon]
            portPart = rest[rest.index(after: colon)...]
        }
        guard let port = Int(portPart), (0...65535).contains(port) else {
            throw SourceError.unsupported(url, "'\(portPart)' is not a port number (0–65535)")
        }
        host = hostPart.isEmpty || hostPart == "localhost" ? "127.0.0.1" : String(hostPart)
        self.port = port
    }

    public init(host: String, port: Int, tls: Bool = false) {
        self.host = host
        self.port = port
        self.tls = tls
    }
}

/// A source the live pipeline reads: files followed as they grow and rotate, stdin, the demo
/// stream, or a listener for TCP lines, syslog over TCP or UDP, or HTTP POSTs.
public enum LiveSource: Sendable, Equatable {
    /// A path or a glob, followed `tail -F` style (the files need not exist yet).
    case files(String)
    case stdin
    case demo(DemoOptions)
    /// Newline-delimited text or JSON over TCP.
    case tcp(Endpoint)
    /// Syslog over TCP: RFC 6587 octet counting or LF framing, detected per connection.
    case syslogTCP(Endpoint)
    /// Syslog over UDP: one message per datagram.
    case syslogUDP(Endpoint)
    /// `POST /ingest` with NDJSON or plain lines (`https://` with TLS).
    case http(Endpoint)
    /// A Kinesis data stream's every shard.
    case kinesis(KinesisSource)

    public var url: String {
        switch self {
        case .files(let p): p
        case .stdin: "stdin"
        case .demo(let o): o.url
        case .tcp(let e): (e.tls ? "tcp+tls://" : "tcp://") + "\(e)"
        case .syslogTCP(let e): (e.tls ? "syslog+tls://" : "syslog://") + "\(e)"
        case .syslogUDP(let e): "syslog+udp://\(e)"
        case .http(let e): (e.tls ? "https://" : "http://") + "\(e)"
        case .kinesis(let k): k.url
        }
    }

    public var endpoint: Endpoint? {
        switch self {
        case .tcp(let e), .syslogTCP(let e), .syslogUDP(let e), .http(let e): e
        default: nil
        }
    }

    /// A directory is no log: say so rather than wait for it to "appear" as a file.
    private static func notADirectory(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw SourceError.isDirectory(path)
        }
        return path
    }

    /// Parses one command-line or config source.
    public static func parse(_ arg: String) throws -> LiveSource {
        if arg == "-" { return .stdin }
        if arg.hasPrefix("demo://") || arg == "demo:" { return .demo(try DemoOptions(url: arg)) }
        guard let sep = arg.range(of: "://"), !arg[..<sep.lowerBound].contains("/") else { return .files(try notADirectory(arg)) }
        let scheme = arg[..<sep.lowerBound].lowercased()
        let rest = arg[sep.upperBound...]
        switch scheme {
        case "tcp": return .tcp(try Endpoint(parsing: rest, url: arg))
        case "tcp+tls": return .tcp(try Endpoint(parsing: rest, url: arg, tls: true))
        case "syslog", "syslog+tcp": return .syslogTCP(try Endpoint(parsing: rest, url: arg))
        case "syslog+tls": return .syslogTCP(try Endpoint(parsing: rest, url: arg, tls: true))
        case "https": return .http(try Endpoint(parsing: rest, url: arg, tls: true))
        case "syslog+udp", "udp": return .syslogUDP(try Endpoint(parsing: rest, url: arg))
        case "http": return .http(try Endpoint(parsing: rest, url: arg))
        case "file": return .files(try notADirectory(String(rest)))
        case "kinesis": return .kinesis(try KinesisSource(parsing: arg))
        case "s3":
            throw SourceError.unsupported(arg, "an S3 prefix is read, not followed: 'logdash query … \(arg)' reads its objects, 'logdash --archive \(arg)' shows an archive a sink delivered there")
        default:
            throw SourceError.unsupported(arg, "unknown scheme '\(scheme)'; sources are files, globs, '-', demo://, tcp://, syslog://, syslog+udp://, http:// (TLS: tcp+tls://, syslog+tls://, https://), kinesis://")
        }
    }
}

/// `kinesis://STREAM[?from=latest|trim_horizon|TIME]`: every shard of a Kinesis data stream,
/// from its newest record on (`latest`, the default), its oldest (`trim_horizon`), or a time
/// (`2026-12-07T14:00:00Z`, or a duration ago: `1h`).
public struct KinesisSource: Sendable, Equatable {
    public var stream: String
    public var start: KinesisClient.Position
    /// `kinesis://STREAM`: the records' `source`.
    public var url: String

    init(parsing arg: String, now: Date = Date()) throws {
        let rest = arg[arg.index(arg.startIndex, offsetBy: "kinesis://".count)...]
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts[0].hasSuffix("/") ? parts[0].dropLast() : parts[0]
        // Kinesis's rules: 1–128 letters, digits, '_', '-' and '.'.
        guard (1...128).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }) else {
            throw SourceError.unsupported(arg, "'\(name)' is not a stream name (1 to 128 letters, digits, '_', '-' and '.')")
        }
        stream = String(name)
        start = .latest
        url = "kinesis://" + stream
        guard parts.count == 2 else { return }
        let items = parts[1].split(separator: "&")
        if items.count > 1 { throw SourceError.unsupported(arg, "from= is given once") }
        for item in items {
            let kv = item.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0] == "from" else {
                throw SourceError.unsupported(arg, "'\(item)': the one parameter is from=latest|trim_horizon|TIME")
            }
            let value = String(kv[1]).removingPercentEncoding ?? String(kv[1])
            switch value.lowercased() {
            case "latest": start = .latest
            case "trim_horizon": start = .trimHorizon
            default:
                if let ago = TimeSpan.parseNanos(value), ago > 0 {
                    start = .atTimestamp(now - Double(ago) / 1e9)
                } else if let t = Compare.parseTime(value) {
                    start = .atTimestamp(Date(timeIntervalSince1970: Double(t) / 1e9))
                } else {
                    throw SourceError.unsupported(arg, "from='\(value)' is not latest, trim_horizon, a time (2026-12-07T14:00:00Z) or a duration ago (1h)")
                }
            }
        }
    }
}
