import Foundation

/// Settings of the built-in demo source, from its URL:
/// `demo://` (a finite batch: 20,000 lines over the last hour),
/// `demo://?lines=100000&span=86400&seed=7`, or `demo://?rate=500` (live, forever, at 500 lines/s;
/// add `&lines=N` to stop after N).
public struct DemoOptions: Sendable, Equatable {
    public var url: String
    public var lines: Int?
    public var rate: Double?
    public var seed: UInt64 = 42
    /// Seconds covered by a finite batch, ending now.
    public var span: Double = 3600

    public var isLive: Bool { rate != nil }

    public init(url: String) throws {
        self.url = url
        guard let q = url.firstIndex(of: "?") else {
            lines = 20_000
            return
        }
        for part in url[url.index(after: q)...].split(separator: "&") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { throw SourceError.badDemo(url, "'\(part)' is not key=value") }
            switch kv[0] {
            case "lines":
                guard let n = Int(kv[1]), n >= 0 else { throw SourceError.badDemo(url, "lines must be a whole number") }
                lines = n
            case "rate":
                guard let r = Double(kv[1]), r > 0, r <= 10_000_000 else { throw SourceError.badDemo(url, "rate must be lines per second, above 0") }
                rate = r
            case "seed":
                guard let s = UInt64(kv[1]) else { throw SourceError.badDemo(url, "seed must be a whole number") }
                seed = s
            case "span":
                guard let s = Double(kv[1]), s > 0 else { throw SourceError.badDemo(url, "span must be seconds, above 0") }
                span = s
            default:
                throw SourceError.badDemo(url, "unknown parameter '\(kv[0])'; known: lines, rate, seed, span")
            }
        }
        if rate == nil && lines == nil { lines = 20_000 }
    }
}

/// Realistic web and application logs for the demo: an nginx gateway's access log, JSON logs
/// of several services on several hosts, and a Java payments service whose errors carry stack
/// traces. Statuses, latencies and levels follow the shapes of real traffic, and an incident
/// (a burst of 5xx errors and slow requests) fills 60–65 % of the time span — in live mode,
/// minute 6 of every 10 minutes. Deterministic for a given seed.
public struct DemoGenerator {
    private var rng: SplitMix64
    private let ips: [String]
    private let users: [String]

    static let services = ["checkout", "cart", "auth", "search", "catalog", "payments", "gateway"]
    static let hosts = (1...8).map { "web-\($0)" } + (1...4).map { "api-\($0)" }
    static let methods = Array(repeating: "GET", count: 14) + Array(repeating: "POST", count: 4) + ["PUT", "DELETE"]
    static let paths = ["/", "/api/cart", "/api/cart/items", "/api/checkout", "/api/login", "/api/logout", "/api/search",
                        "/api/products", "/api/products/42", "/api/products/1337", "/static/app.js", "/static/app.css",
                        "/img/logo.png", "/health", "/api/orders", "/api/orders/9001", "/api/payments/charge", "/favicon.ico"]
    static let agents = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
                         "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                         "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
                         "curl/8.5.0", "Go-http-client/1.1", "python-requests/2.32.3", "kube-probe/1.31"]
    static let statuses: [(Int, Int)] = [(200, 70), (201, 4), (204, 2), (301, 1), (304, 5), (400, 2), (401, 1), (403, 1),
                                         (404, 5), (429, 1), (500, 1), (502, 1), (503, 1), (504, 1)]
    static let messages: [String: [String]] = [
        "info": ["request completed", "user logged in", "cache hit", "order created", "payment authorized", "search executed"],
        "debug": ["cache miss", "db query", "feature flag evaluated"],
        "warn": ["slow query", "retry budget low", "upstream latency high", "deprecated endpoint called"],
        "error": ["upstream timeout", "database connection refused", "payment declined by provider", "rate limit exceeded"],
    ]

    public init(seed: UInt64) {
        var r = SplitMix64(seed: seed)
        ips = (0..<2000).map { _ in "\(r.int(1, 223)).\(r.int(0, 255)).\(r.int(0, 255)).\(r.int(1, 254))" }
        users = (0..<5000).map { _ in "u\(r.int(1000, 99999))" }
        rng = r
    }

    /// Appends one record (one line, or several for a stack trace) stamped `t` (ns), ending in
    /// a line feed. `incident` makes errors and slow requests far more likely.
    public mutating func record(at t0: Int64, incident: Bool, into out: inout [UInt8]) {
        let t = t0 - t0 % 1_000_000  // services stamp milliseconds
        var status = weighted(DemoGenerator.statuses)
        if incident && rng.unit() < 0.35 { status = [500, 502, 503, 504][rng.int(0, 3)] }
        let latency = (exp(3.0 + 0.8 * rng.gaussian()) * (incident ? 6 : 1) * 1000).rounded() / 1000
        let level = status >= 500 ? "error" : (status >= 400 || latency > 500) ? "warn" : (rng.unit() < 0.85 ? "info" : "debug")
        let kind = rng.unit()
        let host = pick(DemoGenerator.hosts), path = pick(DemoGenerator.paths), method = pick(DemoGenerator.methods)
        let user = pick(users)
        if kind < 0.55 {
            let bytes = status == 204 || status == 304 ? 0 : Int(exp(7 + 1.5 * rng.gaussian()))
            let ref = path.hasPrefix("/api") ? "-" : "https://shop.example.com/"
            let line = "\(pick(ips)) - \(status == 401 ? "-" : user) [\(clf(t))] \"\(method) \(path) HTTP/1.1\" \(status) \(bytes) "
                + "\"\(ref)\" \"\(pick(DemoGenerator.agents))\""
            out.append(contentsOf: line.utf8)
        } else if kind < 0.95 {
            let service = pick(DemoGenerator.services)
            let msg = pick(DemoGenerator.messages[level]!)
            let line = "{\"ts\":\"\(Timestamp.iso8601(t))\",\"level\":\"\(level)\",\"service\":\"\(service)\",\"host\":\"\(host)\","
                + "\"method\":\"\(method)\",\"path\":\"\(path)\",\"status\":\(status),\"latency_ms\":\(Value.format(latency)),"
                + "\"user\":\"\(user)\",\"trace_id\":\"\(String(rng.next(), radix: 16))\",\"msg\":\"\(msg)\"}"
            out.append(contentsOf: line.utf8)
        } else {
            let msg = pick(DemoGenerator.messages[level]!)
            let lvl = level.uppercased()
            let lvlPadded = lvl.count < 5 ? lvl + String(repeating: " ", count: 5 - lvl.count) : lvl
            var line = "\(javaTime(t)) \(lvlPadded) [http-nio-8080-exec-\(rng.int(1, 20))] com.shop.PaymentsService - \(msg) status=\(status)"
            if level == "error" && rng.unit() < 0.6 {
                line += "\njava.lang.IllegalStateException: \(msg)"
                for k in 0..<rng.int(3, 9) {
                    line += "\n\tat com.shop.payments.Handler\(k).handle(Handler\(k).java:\(rng.int(10, 400)))"
                }
                if rng.unit() < 0.5 {
                    line += "\nCaused by: java.net.SocketTimeoutException: Read timed out\n\t... \(rng.int(3, 30)) more"
                }
            }
            out.append(contentsOf: line.utf8)
        }
        out.append(ASCII.lf)
    }

    private mutating func pick<T>(_ a: [T]) -> T { a[rng.int(0, a.count - 1)] }

    private mutating func weighted(_ table: [(Int, Int)]) -> Int {
        let total = table.reduce(0) { $0 + $1.1 }
        var r = rng.int(0, total - 1)
        for (v, w) in table { if r < w { return v }; r -= w }
        return table[0].0
    }

    private func clf(_ t: Int64) -> String {
        let iso = Timestamp.iso8601(t)  // 2026-11-27T14:00:00.000Z
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let y = iso.prefix(4), m = Int(iso.dropFirst(5).prefix(2))!, d = iso.dropFirst(8).prefix(2)
        return "\(d)/\(months[m - 1])/\(y):\(iso.dropFirst(11).prefix(8)) +0000"
    }

    private func javaTime(_ t: Int64) -> String {
        let iso = Timestamp.iso8601(t)
        return "\(iso.prefix(10)) \(iso.dropFirst(11).prefix(8)),\(iso.dropFirst(20).prefix(3))"
    }
}

/// A small, fast, seedable random number generator (Vigna's SplitMix64).
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    public mutating func int(_ lo: Int, _ hi: Int) -> Int { lo + Int(next() % UInt64(hi - lo + 1)) }
    /// A standard normal deviate (Box–Muller).
    public mutating func gaussian() -> Double {
        let u = max(unit(), 1e-12), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}

/// The demo source as a byte input: a finite batch, or a live stream paced by the wall clock.
public final class DemoInput: ByteInput {
    private var generator: DemoGenerator
    private let options: DemoOptions
    private let now: @Sendable () -> Int64
    private var emitted = 0
    private var pending: [UInt8] = []
    private let start: Int64
    public var fillsBuffer: Bool { !options.isLive }

    public init(options: DemoOptions, now: @escaping @Sendable () -> Int64) {
        self.options = options
        self.now = now
        generator = DemoGenerator(seed: options.seed)
        start = now()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var written = 0
        while written < buffer.count {
            if !pending.isEmpty {
                let n = min(pending.count, buffer.count - written)
                pending.withUnsafeBytes { (buffer.baseAddress! + written).copyMemory(from: $0.baseAddress!, byteCount: n) }
                pending.removeFirst(n)
                written += n
                continue
            }
            if let limit = options.lines, emitted >= limit { break }
            if let rate = options.rate {
                // Live: emit what is due by now; if nothing is, wait for the next line (unless we have output).
                let elapsed = Double(now() - start) / 1e9
                let due = Int(elapsed * rate) + 1
                if emitted >= due {
                    if written > 0 { break }
                    let wait = (Double(emitted) / rate - elapsed)
                    usleep(UInt32(max(1_000, min(wait * 1e6, 200_000))))
                    continue
                }
                let t = now()
                let cycle = (t / Timestamp.nanosPerSecond) % 600
                generator.record(at: t, incident: cycle >= 360 && cycle < 390, into: &pending)
            } else {
                let total = options.lines ?? 0
                let frac = Double(emitted) / Double(max(total, 1))
                let t = start - Int64(options.span * 1e9) + Int64(frac * options.span * 1e9)
                generator.record(at: t, incident: frac >= 0.60 && frac < 0.65, into: &pending)
            }
            emitted += 1
        }
        return written
    }
}
