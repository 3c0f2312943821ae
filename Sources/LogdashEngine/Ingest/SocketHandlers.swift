import Foundation
import NIOCore
import NIOHTTP1

/// Whole records, each ending in a line feed, on their way from a connection to the delivery
/// buffer. When the buffer is full the connection stops being read (the kernel's window then
/// pushes back on the sender) until there is room again.
private struct Outbox {
    var bytes: [UInt8] = []
    var paused = false
}

/// A TCP connection of newline-delimited text or JSON, or of syslog (RFC 6587: octet counting
/// or LF framing, told apart by the first byte), framed by a `StreamFramer`.
final class StreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let pipeline: Pipeline
    let scheme: String
    private var framer: StreamFramer
    private var source = ""
    private var stream = 0
    private var outbox = Outbox()
    private var events: [StreamFramer.Event] = []
    private var closing = false
    private var ended = false
    private let maxRecord: Int
    private var peer = ""

    init(pipeline: Pipeline, kind: StreamFramer.Kind, scheme: String) {
        self.pipeline = pipeline
        self.scheme = scheme
        maxRecord = pipeline.load.parse.maxRecordBytes
        framer = StreamFramer(kind: kind, maxRecord: maxRecord)
    }

    func channelActive(context: ChannelHandlerContext) {
        source = listenerName(scheme: scheme, context.channel.parent?.localAddress) ?? scheme
        peer = peerName(context.channel.remoteAddress)
        stream = pipeline.openStream(source: source, holdsTail: false)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buf = unwrapInboundIn(data)
        buf.withUnsafeReadableBytes { framer.frame($0, into: &outbox.bytes, events: &events) }
        say()
        deliver(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        framer.finish(into: &outbox.bytes, events: &events)
        say()
        deliver(context)
        context.fireChannelInactive()
    }

    /// What the framer saw, on stderr and in the metrics.
    private func say() {
        for e in events {
            switch e {
            case .longLine:
                pipeline.report("\(source): a line from \(peer) is longer than \(maxRecord) bytes (--max-record-bytes); it is cut and flagged truncated, the rest of it dropped")
            case .longCountedMessage(let length):
                pipeline.report("\(source): a counted message of \(length) bytes from \(peer) is longer than \(maxRecord) bytes (--max-record-bytes); it is cut and flagged truncated, the rest of it dropped")
            case .framingError:
                pipeline.report("\(source): syslog framing error from \(peer) (expected 'LENGTH SP MESSAGE'); reading the rest as lines")
            case .endedMidMessage(let bytes):
                pipeline.report("\(source): a connection closed in the middle of a counted message; its \(bytes) bytes were dropped")
                pipeline.metrics.update(source) { $0.drops += 1 }
            }
        }
        events.removeAll(keepingCapacity: true)
    }

    /// Hands the outbox to the buffer, or pauses reading until there is room.
    private func deliver(_ context: ChannelHandlerContext) {
        guard !outbox.paused else { return }
        if !outbox.bytes.isEmpty {
            let bytes = outbox.bytes
            if pipeline.buffer.offer(stream: stream, bytes: bytes) {
                pipeline.metrics.update(source) { $0.bytes += bytes.count }
                outbox.bytes = []
            } else {
                outbox.paused = true
                context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                pipeline.buffer.whenRoom(for: bytes.count) {
                    bound.eventLoop.execute {
                        let (handler, ctx) = bound.value
                        handler.outbox.paused = false
                        handler.deliver(ctx)
                        if !handler.outbox.paused && !handler.closing {
                            ctx.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
                        }
                    }
                }
                return
            }
        }
        if closing && !ended {
            ended = true
            pipeline.buffer.end(stream: stream)
        }
    }
}

/// Syslog over UDP: one message per datagram. UDP has no way to push back, so every loss is
/// counted in `drops` and said on stderr (at most once a second): datagrams that find the
/// delivery buffer full, those the kernel dropped because its receive buffer was full (read from
/// `/proc/net/udp` once a second), and empty ones (nothing but NULs and line feeds).
final class DatagramHandler: ChannelDuplexHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundIn = AddressedEnvelope<ByteBuffer>

    let pipeline: Pipeline
    let scheme: String
    private var source = ""
    private var stream = 0
    private var out: [UInt8] = []
    private var messages = 0
    /// Senders refused by --allow, and when each was last said.
    private var refusedReported: [String: Int64] = [:]
    /// Datagrams lost since their reason's last report, and when that was.
    private var lost: [String: (count: Int, reported: Int64)] = [:]
    private var port = 0
    private var kernelDrops = 0
    private var pollKernel: RepeatedTask?

    init(pipeline: Pipeline, scheme: String) {
        self.pipeline = pipeline
        self.scheme = scheme
    }

    func channelActive(context: ChannelHandlerContext) {
        source = listenerName(scheme: scheme, context.channel.localAddress) ?? scheme
        stream = pipeline.openStream(source: source, holdsTail: false)
        port = context.channel.localAddress?.port ?? 0
        kernelDrops = KernelUDPDrops.read(port: port) ?? 0
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        pollKernel = context.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            bound.value.readKernelDrops()
        }
        context.fireChannelActive()
    }

    /// Adds what the kernel dropped since the last look to `drops`.
    private func readKernelDrops() {
        guard let now = KernelUDPDrops.read(port: port) else { return }
        // (Less than before: a socket on the port went away; counting goes on from here.)
        if now > kernelDrops { count(now - kernelDrops, "the kernel's receive buffer was full (raise --udp-buffer and net.core.rmem_max)") }
        kernelDrops = now
    }

    private func count(_ n: Int, _ reason: String) {
        pipeline.metrics.update(source) { $0.drops += n }
        lost[reason, default: (0, 0)].count += n
        reportLosses(force: false)
    }

    /// Says what was lost for each reason, at most once a second each (all of it at the end).
    private func reportLosses(force: Bool) {
        let now = LoadOptions.monotonicClock()
        for (why, l) in lost.sorted(by: { $0.key < $1.key }) where l.count > 0 && (force || l.reported == 0 || now - l.reported >= 1_000_000_000) {
            pipeline.report("\(source): dropped \(l.count) datagram\(l.count == 1 ? "" : "s"): \(why) (counted in internal_metrics.drops)")
            lost[why] = (0, now)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let allow = pipeline.settings.listeners.allow
        if !allow.isEmpty && !allow.contains(where: { $0.contains(envelope.remoteAddress) }) {
            pipeline.metrics.update(source) { $0.refused += 1 }
            // Said as connections refused by --allow are (at most once a second per sender).
            let who = peerName(envelope.remoteAddress), now = LoadOptions.monotonicClock()
            if now - (refusedReported[who] ?? 0) >= 1_000_000_000 || refusedReported[who] == nil {
                if refusedReported.count > 1024 { refusedReported = [:] }
                refusedReported[who] = now
                pipeline.report("\(source): refused datagrams from \(who): not in --allow (counted in refused)")
            }
            return
        }
        let empty = envelope.data.withUnsafeReadableBytes { b -> Bool in
            var e = b.count
            while e > 0 && (b[e - 1] == ASCII.lf || b[e - 1] == 0) { e -= 1 }
            guard e > 0 else { return true }
            out += b[0..<e]
            out.append(ASCII.lf)
            messages += 1
            return false
        }
        if empty { count(1, "empty (nothing but NUL bytes and line feeds)") }
        if out.count >= 1 << 18 { deliver() }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        deliver()
        context.fireChannelReadComplete()
    }

    /// The kernel's last count is read while the socket is still open (its row leaves
    /// /proc/net/udp with it): a stop right after a burst loses no count.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        readKernelDrops()
        context.close(mode: mode, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pollKernel?.cancel()
        deliver()
        reportLosses(force: true)
        pipeline.buffer.end(stream: stream)
        context.fireChannelInactive()
    }

    private func deliver() {
        guard !out.isEmpty else { return }
        let bytes = out, n = messages
        out = []
        messages = 0
        if pipeline.buffer.offer(stream: stream, bytes: bytes) {
            pipeline.metrics.update(source) { $0.bytes += bytes.count }
            return
        }
        count(n, "the delivery buffer is full")
    }
}

/// The kernel's count of datagrams it dropped for a UDP port's sockets (its receive buffer was
/// full), from `/proc/net/udp` and `/proc/net/udp6`; nil where there is no such file.
enum KernelUDPDrops {
    static func read(port: Int) -> Int? {
        var found: Int?
        for file in ["/proc/net/udp", "/proc/net/udp6"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            found = (found ?? 0) + drops(in: text, port: port)
        }
        return found
    }

    /// The `drops` column (the last) summed over the rows whose local address has `port`
    /// (`0100007F:0202`: the port in hex after the colon).
    static func drops(in table: String, port: Int) -> Int {
        var total = 0
        for line in table.split(separator: "\n").dropFirst() {
            let cols = line.split(separator: " ", omittingEmptySubsequences: true)
            guard cols.count >= 13, let colon = cols[1].lastIndex(of: ":"),
                  Int(cols[1][cols[1].index(after: colon)...], radix: 16) == port, let d = Int(cols[cols.count - 1]) else { continue }
            total += d
        }
        return total
    }
}

/// `POST /ingest` with NDJSON or plain lines, and `POST /v1/logs` with OTLP logs (protobuf or
/// JSON). The answer is sent once the delivery buffer has taken the body — with a store on disk,
/// once its records are durable: 200 with the number of lines, 503 with `Retry-After` when the
/// buffer is full (or the store cannot write). `GET /health` says it is up; `GET /metrics` is
/// for Prometheus.
final class HTTPIngestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let pipeline: Pipeline
    let scheme: String
    private var source = ""
    private var stream = 0
    /// The streams of bodies marked `X-Logdash-Records: 1`, by the agent that sent them
    /// (`X-Logdash-Agent`): records another logdash's sink delivered (JSON lines with their own
    /// source, host and time), opened on first use.
    private var recordsStreams: [String: Int] = [:]
    /// The request being read is such a body, and the agent it names ("" for none).
    private var records = false
    private var agent = ""
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    /// Set when the request is answered without taking its body.
    private var refusal: (HTTPResponseStatus, String, [(String, String)])?
    /// What the request asks, when it is not `POST /ingest`.
    private enum Asked { case health, metrics, otlp(OTLPLogs.Encoding) }
    private var asked: Asked?
    /// The streams of OTLP bodies (their records are JSON lines, whatever the listener's format).
    private var otlpStream = 0
    private var deadline: Scheduled<Void>?
    /// Room held in the delivery buffer for `body` while it arrives.
    private var reserved = 0
    /// The request was answered before its end (refused mid-body); the connection is closing.
    private var answered = false
    /// Decompresses a body sent with `Content-Encoding: gzip`, `deflate` or `zstd`.
    private var decoder: BodyDecoder?
    /// The client half-closed: the connection closes once what it asked is answered.
    private var inputClosed = false
    /// Requests taken whose answers are not written yet (a durable store answers later).
    private var unanswered = 0

    init(pipeline: Pipeline, scheme: String) {
        self.pipeline = pipeline
        self.scheme = scheme
    }

    func channelActive(context: ChannelHandlerContext) {
        source = listenerName(scheme: scheme, context.channel.parent?.localAddress) ?? scheme
        startDeadline(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        pipeline.buffer.unreserve(reserved)
        reserved = 0
        if stream != 0 { pipeline.buffer.end(stream: stream) }
        if otlpStream != 0 { pipeline.buffer.end(stream: otlpStream) }
        for s in recordsStreams.values { pipeline.buffer.end(stream: s) }
        context.fireChannelInactive()
    }

    /// Answers a request before its body has all come, and closes the connection after.
    private func refuseNow(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus, _ message: String,
                           _ headers: [(String, String)]) {
        answered = true
        pipeline.metrics.update(source) { $0.refused += 1 }
        var closing = head
        closing.headers.replaceOrAdd(name: "connection", value: "close")
        respond(context, closing, status, errorBody(message, status), headers)
    }

    private func dropBody() {
        body = []
        pipeline.buffer.unreserve(reserved)
        reserved = 0
    }

    /// The next request must be whole within `--request-timeout`.
    private func startDeadline(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        guard context.channel.isActive else { return }  // (an answer sent after the client left)
        let seconds = pipeline.settings.listeners.requestTimeout
        guard seconds > 0 else { return }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) {
            let (handler, ctx) = bound.value
            handler.pipeline.report("\(handler.source): closed the connection from \(peerName(ctx.channel.remoteAddress)): "
                                    + "no whole request within \(seconds)s (--request-timeout)")
            handler.pipeline.metrics.update(handler.source) { $0.refused += 1 }
            ctx.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            refusal = nil
            asked = nil
            decoder = nil
            records = h.headers.first(name: "x-logdash-records") == "1"
            // A host name as a sink sends it (letters, digits, '.', '-', '_'), nothing else.
            let named = h.headers.first(name: "x-logdash-agent") ?? ""
            agent = named.count <= 255 && named.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }) ? named : ""
            let options = pipeline.settings.listeners
            let path = h.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? h.uri
            let authorized = options.authToken.map { HTTPIngestHandler.bears(h.headers.first(name: "authorization"), $0) } ?? true
            if path == "/v1/logs" {
                // (Errors are answered in the request's encoding.)
                asked = .otlp(OTLPLogs.Encoding(contentType: h.headers.first(name: "content-type")) ?? .json)
            }
            if path == "/health" && h.method == .GET {
                asked = .health
            } else if path == "/metrics" {
                if h.method != .GET {
                    refusal = (.methodNotAllowed, "use GET", [("Allow", "GET")])
                } else if !authorized {
                    refusal = (.unauthorized, "a valid 'Authorization: Bearer TOKEN' header is required", [("WWW-Authenticate", "Bearer")])
                } else {
                    asked = .metrics
                }
            } else if path != "/ingest" && path != "/v1/logs" {
                refusal = (.notFound, "logs are posted to /ingest (lines) or /v1/logs (OTLP); metrics are at /metrics", [])
            } else if h.method != .POST {
                refusal = (.methodNotAllowed, "use POST", [("Allow", "POST")])
            } else if !authorized {
                refusal = (.unauthorized, "a valid 'Authorization: Bearer TOKEN' header is required", [("WWW-Authenticate", "Bearer")])
            } else if records, path == "/ingest", options.authToken == nil {
                // Records keep the `source` and arrival time their sender gives: only a sender
                // holding the listener's token is trusted with that.
                refusal = (.forbidden, "records with their own source (X-Logdash-Records: 1) are taken only by a listener started with --auth-token; give the sink the same token", [])
            } else if path == "/v1/logs", OTLPLogs.Encoding(contentType: h.headers.first(name: "content-type")) == nil {
                refusal = (.unsupportedMediaType, "OTLP logs are sent as application/x-protobuf or application/json", [])
            } else if let enc = h.headers.first(name: "content-encoding"), enc.lowercased() != "identity" {
                decoder = BodyDecoder(contentEncoding: enc, maxBytes: options.maxBodyBytes)
                if decoder == nil {
                    refusal = (.unsupportedMediaType, "Content-Encoding '\(enc)' is not supported; send gzip, deflate, zstd or identity", [])
                }
            } else if let len = h.headers.first(name: "content-length").flatMap(Int.init), len > options.maxBodyBytes {
                refusal = (.payloadTooLarge, "the body is over \(options.maxBodyBytes) bytes; send smaller batches", [])
            } else if let len = h.headers.first(name: "content-length").flatMap(Int.init), len > pipeline.buffer.options.capacity {
                // Larger than the whole delivery buffer: it could never be taken, so a retry would loop.
                refusal = (.payloadTooLarge, "the body is over the delivery buffer's \(pipeline.buffer.options.capacity) bytes (--buffer-max); send smaller batches", [])
            }
            if let (status, message, headers) = refusal, status == .payloadTooLarge {
                // Said before the body comes, not after the client has sent it all.
                refuseNow(context, h, status, message, headers)
            }
        case .body(let buf):
            guard refusal == nil, !answered else { return }
            switch asked { case .health?, .metrics?: return; default: break }
            var buf = buf
            if let decoder {
                var plain: [UInt8] = []
                do {
                    try buf.withUnsafeReadableBytes { try decoder.feed($0, into: &plain) }
                } catch BodyDecoder.Failure.corrupt(let why) {
                    refusal = (.badRequest, why, [])
                    dropBody()
                    return
                } catch BodyDecoder.Failure.tooLarge(let why) {
                    refusal = (.payloadTooLarge, why, [])
                    dropBody()
                    return
                } catch {
                    refusal = (.badRequest, "\(error)", [])
                    dropBody()
                    return
                }
                buf = context.channel.allocator.buffer(bytes: plain)
            }
            if body.count + buf.readableBytes > pipeline.settings.listeners.maxBodyBytes {
                refusal = (.payloadTooLarge, "the body is over \(pipeline.settings.listeners.maxBodyBytes) bytes; send smaller batches", [])
                dropBody()
                return
            }
            // A body held while it arrives counts against --buffer-max: many slow uploads
            // cannot hold more memory than the buffer's bound.
            guard buf.readableBytes == 0 || pipeline.buffer.reserve(buf.readableBytes) else {
                // Answered now, not at the body's end: a slow upload would hold its memory till then.
                dropBody()
                if let head { refuseNow(context, head, .serviceUnavailable, "the delivery buffer is full (--buffer-max); retry later", [("Retry-After", "1")]) }
                return
            }
            reserved += buf.readableBytes
            buf.withUnsafeReadableBytes { body += $0 }
        case .end:
            guard let head, !answered else { return }
            self.head = nil
            unanswered += 1  // each path below answers it, now or once durable
            deadline?.cancel()
            deadline = nil
            pipeline.buffer.unreserve(reserved)
            reserved = 0
            if refusal == nil, let decoder {
                do { try decoder.finish() } catch { refusal = (.badRequest, "the \(decoder.encoding.rawValue) body ends early", []); body = [] }
            }
            decoder = nil
            if case .health? = asked { return respond(context, head, .ok, #"{"status":"ok"}"#) }
            if case .metrics? = asked {
                return respond(context, head, .ok, pipeline.metricsText(), contentType: "text/plain; version=0.0.4; charset=utf-8")
            }
            if refusal == nil, case .otlp(let encoding)? = asked {
                // The whole body is read before any of it is taken (a bad one stores nothing),
                // off the event loop: a large one takes a while, and other connections wait on it.
                let received = body, limit = min(4 * pipeline.settings.listeners.maxBodyBytes, pipeline.buffer.options.capacity)
                // (A value is cut well under the record size: the record keeps its other fields.)
                let valueBytes = max(1024, pipeline.load.parse.maxRecordBytes / 4)
                body = []
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                DispatchQueue.global().async {
                    let result = Result { try OTLPLogs.lines(received, as: encoding, maxBytes: limit, valueBytes: valueBytes).lines }
                    bound.eventLoop.execute {
                        let (handler, ctx) = bound.value
                        switch result {
                        case .success(let lines): handler.body = lines
                        case .failure(let e as OTLPLogs.Failure) where e.tooLarge: handler.refusal = (.payloadTooLarge, e.description, [])
                        case .failure(let e): handler.refusal = (.badRequest, "\(e)", [])
                        }
                        handler.take(ctx, head, received: received.count)
                    }
                }
                return
            }
            take(context, head, received: body.count)
        }
    }

    /// Answers a request whose body is all here (for OTLP, read into lines): its refusal, or the
    /// body offered to the delivery buffer, answered now or once durable.
    private func take(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, received: Int) {
        let kind = asked
        if let (status, message, headers) = refusal {
            body = []
            if [.unauthorized, .payloadTooLarge, .serviceUnavailable, .badRequest, .unsupportedMediaType].contains(status) {
                pipeline.metrics.update(source) { $0.refused += 1 }
            }
            return respond(context, head, status, errorBody(message, status, for: kind), headers)
        }
        var otlp: OTLPLogs.Encoding?
        if case .otlp(let encoding)? = kind { otlp = encoding }
        if !body.isEmpty && body.last != ASCII.lf { body.append(ASCII.lf) }
        let lines = body.reduce(0) { $0 + ($1 == ASCII.lf ? 1 : 0) }
        if otlp != nil {
            if otlpStream == 0 { otlpStream = pipeline.openStream(source: source, holdsTail: false, format: "json") }
        } else if records {
            if recordsStreams[agent] == nil {
                recordsStreams[agent] = pipeline.openStream(source: source, holdsTail: false, records: true, agent: agent.isEmpty ? nil : agent)
            }
        } else if stream == 0 {
            stream = pipeline.openStream(source: source, holdsTail: false)
        }
        let stream = otlp != nil ? otlpStream : records ? recordsStreams[agent]! : stream
        // What a taken body is answered with: OTLP's response, else the lines' count.
        let accepted = otlp.map { OTLPLogs.success($0) } ?? Array(#"{"accepted":\#(lines)}"#.utf8)
        let acceptedType = otlp?.contentType ?? "application/json"
        // Records are answered with the header that says they were read as records (a
        // sink counts nothing else as delivered).
        let taken: [(String, String)] = records ? [("X-Logdash-Records", "1")] : []
        // With a store on disk the answer waits until the body's records are durable.
        var durable: (@Sendable (StoreError?) -> Void)?
        if pipeline.durable != nil && !body.isEmpty {
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let failed = { (why: String) in self.errorBody(why, .serviceUnavailable, for: kind) }
            let notStored = NIOLoopBound(failed, eventLoop: context.eventLoop)
            durable = { error in
                bound.eventLoop.execute {
                    let (handler, ctx) = bound.value
                    if let error {
                        handler.respond(ctx, head, .serviceUnavailable, notStored.value("not stored: \(error)"), [("Retry-After", "1")])
                    } else {
                        handler.respond(ctx, head, .ok, accepted, taken, contentType: acceptedType)
                    }
                }
            }
        }
        if body.isEmpty || pipeline.buffer.offer(stream: stream, bytes: body, done: durable) {
            pipeline.metrics.update(source) { $0.bytes += received }
            body = []
            if durable == nil { respond(context, head, .ok, accepted, taken, contentType: acceptedType) }
        } else {
            body = []
            pipeline.metrics.update(source) { $0.refused += 1 }
            respond(context, head, .serviceUnavailable, errorBody("the delivery buffer is full; retry later", .serviceUnavailable, for: kind), [("Retry-After", "1")])
        }
    }

    /// Whether an `Authorization` header carries `token` (the scheme `Bearer` in any case, RFC 7235).
    static func bears(_ header: String?, _ token: String) -> Bool {
        guard let header, let space = header.firstIndex(of: " ") else { return false }
        return header[..<space].lowercased() == "bearer" && header[header.index(after: space)...].trimmingCharacters(in: .whitespaces) == token
    }

    /// An error's answer: `{"error": …}`, or for an OTLP request (`kind`, the request's; `asked`
    /// when it is the one being read) a `google.rpc.Status` in its encoding.
    private func errorBody(_ message: String, _ status: HTTPResponseStatus, for kind: Asked?? = nil) -> (body: [UInt8], contentType: String) {
        if case .otlp(let encoding)? = kind ?? asked {
            return (OTLPLogs.error(message, status: Int(status.code), encoding), encoding.contentType)
        }
        return (JSONObjectWriter.object { $0.string("error", message) }, "application/json")
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus,
                         _ error: (body: [UInt8], contentType: String), _ extra: [(String, String)] = []) {
        respond(context, head, status, error.body, extra, contentType: error.contentType)
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus, _ text: String,
                         _ extra: [(String, String)] = []) {
        respond(context, head, status, Array(text.utf8), extra, contentType: "application/json")
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus, _ body: [UInt8],
                         _ extra: [(String, String)] = [], contentType: String) {
        // (JSON answers end with a line feed, for curl; a protobuf one is its bytes.)
        let payload = contentType == "application/json" ? body + [ASCII.lf] : body
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(payload.count))
        for (k, v) in extra { headers.add(name: k, value: v) }
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: payload)))), promise: nil)
        let channel = context.channel
        if unanswered > 0 { unanswered -= 1 }
        let closeAfter = !keepAlive || (inputClosed && unanswered == 0)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if closeAfter { channel.close(promise: nil) }
        }
    }

    /// The first bytes of the next request on a kept-alive connection start its deadline (an
    /// idle kept-alive connection is left to --idle-timeout).
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is RequestBytes {
            if deadline == nil && head == nil { startDeadline(context) }
            return
        }
        if let e = event as? ChannelEvent, e == .inputClosed {
            // (Half-closure is allowed so that such a client still gets its answer; with
            // nothing left to answer, the connection is done — else its slot stays taken.)
            inputClosed = true
            if unanswered == 0 { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
