import Foundation
import Synchronization
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Limits and access rules of the network sources.
public struct ListenerOptions: Sendable {
    /// HTTP requests must carry `Authorization: Bearer TOKEN` (`--auth-token`).
    public var authToken: String?
    /// TCP, syslog and HTTP clients must come from one of these networks (`--allow`); empty
    /// lets anyone who can reach the address in.
    public var allow: [CIDR] = []
    /// Open connections per listener (`--max-connections`).
    public var maxConnections = 1024
    /// Open connections per listener from one address (`--max-connections-per-address`), so
    /// that one host cannot take every slot.
    public var maxConnectionsPerAddress = 256
    /// A connection that sends nothing for this long is closed, in seconds (`--idle-timeout`, 0: never).
    public var idleTimeout = 300
    /// An HTTP request must arrive whole (head and body) within this many seconds of the
    /// connection opening or of the last answer, else the connection is closed
    /// (`--request-timeout`): a client that trickles bytes cannot hold a connection for ever.
    public var requestTimeout = 30
    /// The largest HTTP body taken, in bytes (larger ones get 413).
    public var maxBodyBytes = 16 << 20
    /// The receive buffer (`SO_RCVBUF`) asked for syslog over UDP (`--udp-buffer`): what the
    /// kernel holds while logdash is busy; datagrams beyond it are dropped by the kernel (and
    /// counted). The kernel caps it at `net.core.rmem_max`.
    public var udpReceiveBuffer = 8 << 20
    /// PEM files of the certificate (chain) and private key TLS listeners present (`--tls-cert`, `--tls-key`).
    public var tlsCertificate: String?
    public var tlsKey: String?

    public init() {}
}

/// An address range, `10.0.0.0/8`, `192.168.1.7` or `::1/128`.
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    let bytes: [UInt8]
    let prefix: Int
    public let description: String

    public init(_ text: String) throws {
        let parts = text.split(separator: "/", maxSplits: 1)
        let addr = String(parts.first ?? "")
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, addr, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, addr, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            throw SourceError.unsupported(text, "not an address or network (e.g. 10.0.0.0/8, 192.168.1.7, ::1)")
        }
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...bytes.count * 8).contains(p) else {
                throw SourceError.unsupported(text, "the prefix length must be 0–\(bytes.count * 8)")
            }
            prefix = p
        } else {
            prefix = bytes.count * 8
        }
        description = text
    }

    /// Whether an address (IPv4-mapped IPv6 addresses count as IPv4) is in the range.
    func contains(_ address: SocketAddress) -> Bool {
        var b: [UInt8]
        switch address {
        case .v4(let a): b = withUnsafeBytes(of: a.address.sin_addr) { Array($0) }
        case .v6(let a):
            b = withUnsafeBytes(of: a.address.sin6_addr) { Array($0) }
            if bytes.count == 4 && b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { b = Array(b[12...]) }
        default: return false
        }
        guard b.count == bytes.count else { return false }
        var left = prefix
        for i in 0..<b.count where left > 0 {
            let bits = min(8, left)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if b[i] & mask != bytes[i] & mask { return false }
            left -= bits
        }
        return true
    }
}

/// The socket sources, on one SwiftNIO event loop: TCP lines, syslog over TCP and UDP, HTTP.
final class Listeners: Sendable {
    let pipeline: Pipeline
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let channels = Mutex<[Channel]>([])
    private let urls = Mutex<[String]>([])

    /// The addresses bound, as URLs with the ports they got.
    var bound: [String] { urls.withLock { $0 } }

    init(pipeline: Pipeline) {
        self.pipeline = pipeline
    }

    func start(_ sources: [LiveSource]) throws {
        do {
            for s in sources { try bind(s) }
        } catch {
            stop()
            throw error
        }
    }

    private func bind(_ source: LiveSource) throws {
        guard let ep = source.endpoint else { return }
        let pipeline = self.pipeline
        let options = pipeline.settings.listeners
        let counter = ConnectionCounter()
        let scheme = String(source.url.prefix { $0 != ":" })
        let tls = ep.tls ? try tlsContext(for: source) : nil
        let channel: Channel
        do {
            switch source {
            case .syslogUDP:
                channel = try DatagramBootstrap(group: group)
                    .channelOption(.socketOption(.so_reuseaddr), value: 1)
                    .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(clamping: options.udpReceiveBuffer))
                    // A datagram is read whole (UDP's largest is 65,507 bytes), never cut to NIO's default 2 KiB.
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 1 << 16))
                    .channelInitializer { ch in
                        ch.eventLoop.makeCompletedFuture {
                            try ch.pipeline.syncOperations.addHandler(DatagramHandler(pipeline: pipeline, scheme: scheme))
                        }
                    }
                    .bind(host: ep.host, port: ep.port).wait()
            default:
                let kind: StreamFramer.Kind = if case .syslogTCP = source { .syslog } else { .lines }
                let isHTTP = if case .http = source { true } else { false }
                let idle = options.idleTimeout
                channel = try ServerBootstrap(group: group)
                    .serverChannelOption(.backlog, value: 256)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    // A client that half-closes after its request still gets the answer (NIO's
                    // HTTP pipeline closes once it is sent); a line stream ends at the half-close.
                    .childChannelOption(.allowRemoteHalfClosure, value: isHTTP)
                    .childChannelInitializer { ch in
                        ch.eventLoop.makeCompletedFuture {
                            let ops = ch.pipeline.syncOperations
                            if let tls { try ops.addHandler(NIOSSLServerHandler(context: tls)) }
                            if idle > 0 { try ops.addHandler(IdleStateHandler(readTimeout: .seconds(Int64(idle)))) }
                            try ops.addHandler(ConnectionGate(pipeline: pipeline, scheme: scheme, counter: counter, announcesBytes: isHTTP))
                            if isHTTP {
                                try ops.configureHTTPServerPipeline(withErrorHandling: true)
                                try ops.addHandler(HTTPIngestHandler(pipeline: pipeline, scheme: scheme))
                            } else {
                                try ops.addHandler(StreamHandler(pipeline: pipeline, kind: kind, scheme: scheme))
                            }
                        }
                    }
                    .bind(host: ep.host, port: ep.port).wait()
            }
        } catch {
            throw SourceError.unsupported(source.url, "cannot listen: \(error)")
        }
        channels.withLock { $0.append(channel) }
        let url = listenerName(scheme: scheme, channel.localAddress) ?? source.url
        urls.withLock { $0.append(url) }
        let isHTTP = if case .http = source { true } else { false }
        pipeline.report("listening on \(url)" + (isHTTP ? " (POST /ingest, OTLP POST /v1/logs, GET /metrics)" : ""))
        if case .syslogUDP = source, let got = try? channel.getOption(.socketOption(.so_rcvbuf)).wait(), Int(got) / 2 < options.udpReceiveBuffer {
            // Linux reports twice what it grants (the other half is its bookkeeping).
            pipeline.report("\(url): the kernel gave a receive buffer of \(ByteSize.format(Int(got) / 2)), not the \(ByteSize.format(options.udpReceiveBuffer)) asked (--udp-buffer); "
                            + "net.core.rmem_max caps it, and bursts beyond it are dropped by the kernel (counted in drops)")
        }
        if ep.isWildcard {
            pipeline.report("warning: \(url) listens on every interface; anyone who can reach this host can send logs (limit it with --allow"
                            + (isHTTP ? " or --auth-token)" : ")"))
        }
    }

    /// The TLS context of a `+tls`/`https` listener, from `--tls-cert` and `--tls-key`.
    private func tlsContext(for source: LiveSource) throws -> NIOSSLContext {
        let options = pipeline.settings.listeners
        guard let certPath = options.tlsCertificate, let keyPath = options.tlsKey else {
            throw SourceError.unsupported(source.url, "a TLS listener needs --tls-cert FILE and --tls-key FILE (PEM)")
        }
        let certs: [NIOSSLCertificate]
        do { certs = try NIOSSLCertificate.fromPEMFile(certPath) } catch {
            throw SourceError.unreadable(certPath, "not a PEM certificate (--tls-cert): \(error)")
        }
        guard !certs.isEmpty else { throw SourceError.unreadable(certPath, "holds no PEM certificate (--tls-cert)") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: keyPath, format: .pem) } catch {
            throw SourceError.unreadable(keyPath, "not a PEM private key (--tls-key): \(error)")
        }
        let config = TLSConfiguration.makeServerConfiguration(certificateChain: certs.map { .certificate($0) }, privateKey: .privateKey(key))
        do { return try NIOSSLContext(configuration: config) } catch {
            throw SourceError.unsupported(source.url, "the TLS certificate and key do not make a context: \(error)")
        }
    }

    func stop() {
        for c in channels.withLock({ c in defer { c = [] }; return c }) { try? c.close().wait() }
        try? group.syncShutdownGracefully()
    }
}

/// What the connection gate tells an HTTP handler when bytes arrive (before the HTTP decoder
/// holds them): a request has started.
struct RequestBytes {}

/// Counts a listener's open connections, in all and by address.
final class ConnectionCounter: Sendable {
    enum Refusal { case total, perAddress }
    private let counts = Mutex<(open: Int, byAddress: [String: Int])>((0, [:]))

    /// Counts a connection from `address`, unless that would pass a limit (which one is said).
    func admit(_ address: String, max: Int, maxPerAddress: Int) -> Refusal? {
        counts.withLock { c in
            if c.open >= max { return .total }
            if c.byAddress[address, default: 0] >= maxPerAddress { return .perAddress }
            c.open += 1
            c.byAddress[address, default: 0] += 1
            return nil
        }
    }

    /// A connection `admit` counted has closed.
    func release(_ address: String) {
        counts.withLock { c in
            c.open -= 1
            c.byAddress[address, default: 1] -= 1
            if c.byAddress[address] == 0 { c.byAddress[address] = nil }
        }
    }
}

/// A client's address as people write it: `127.0.0.1:51450`, `[::1]:51450`.
func peerName(_ address: SocketAddress?) -> String {
    guard let address, let ip = address.ipAddress, let port = address.port else { return "an unknown address" }
    return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
}

/// The source name records from a listener carry: its URL with the port it got.
func listenerName(scheme: String, _ address: SocketAddress?) -> String? {
    guard address?.ipAddress != nil, address?.port != nil else { return nil }
    return "\(scheme)://" + peerName(address)
}

/// First on every connection: checks the allow-list and the connection limit, keeps the
/// `connections` gauge, and closes connections that stay silent too long.
final class ConnectionGate: ChannelInboundHandler {
    typealias InboundIn = NIOAny
    let pipeline: Pipeline
    let counter: ConnectionCounter
    let scheme: String
    private var source = ""
    private var address = ""
    private var counted = false

    /// Whether reads are announced to the handlers after (an HTTP listener's request deadline).
    let announcesBytes: Bool

    init(pipeline: Pipeline, scheme: String, counter: ConnectionCounter, announcesBytes: Bool = false) {
        self.pipeline = pipeline
        self.scheme = scheme
        self.counter = counter
        self.announcesBytes = announcesBytes
    }

    func channelActive(context: ChannelHandlerContext) {
        source = listenerName(scheme: scheme, context.channel.parent?.localAddress) ?? scheme
        let options = pipeline.settings.listeners
        let peer = context.channel.remoteAddress
        let who = peerName(peer)
        if !options.allow.isEmpty, !(peer.map { a in options.allow.contains { $0.contains(a) } } ?? false) {
            pipeline.report("\(source): refused a connection from \(who): not in --allow")
            pipeline.metrics.update(source) { $0.refused += 1 }
            context.close(promise: nil)
            return
        }
        address = peer?.ipAddress ?? ""
        if let refusal = counter.admit(address, max: options.maxConnections, maxPerAddress: options.maxConnectionsPerAddress) {
            pipeline.report("\(source): refused a connection from \(who): " + (refusal == .total
                ? "already \(options.maxConnections) open (--max-connections)"
                : "already \(options.maxConnectionsPerAddress) open from that address (--max-connections-per-address)"))
            pipeline.metrics.update(source) { $0.refused += 1 }
            context.close(promise: nil)
            return
        }
        counted = true
        pipeline.metrics.update(source) { $0.connections += 1 }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if announcesBytes { context.fireUserInboundEventTriggered(RequestBytes()) }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if counted {
            counter.release(address)
            counted = false
            pipeline.metrics.update(source) { $0.connections -= 1 }
            context.fireChannelInactive()
        }
    }

    /// A failed TLS handshake, a reset: logged once, and the connection closed.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let who = peerName(context.channel.remoteAddress)
        pipeline.report("\(source): closed the connection from \(who): \(error)")
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            pipeline.report("\(source): closed an idle connection from \(peerName(context.channel.remoteAddress)) (--idle-timeout)")
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
