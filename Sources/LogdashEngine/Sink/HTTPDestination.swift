import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// Another logdash's `POST /ingest` (`https://central:8443/ingest`): a fan-in of a fleet's agents
/// into one central logdash. Each object is posted as the archive writes it — JSON lines,
/// compressed (`Content-Encoding: gzip` or `zstd`) — and marked as records
/// (`X-Logdash-Records: 1`), so that the central logdash takes every record's own time,
/// source, host, level and fields instead of reading the lines as new log lines. Anything but
/// a 2xx answer fails the delivery: the part stays in the spool and is posted again (with the
/// sink's backoff) until the central logdash takes it.
struct HTTPDestination: SinkDestination {
    let url: URL
    let token: String?
    /// This host's name, sent as `X-Logdash-Agent`: the central logdash gives it to the records
    /// that name no host of their own.
    let agent: String
    let client: HTTPClient

    /// The central logdash takes bodies of up to 16 MiB by default (`--max-body-bytes`): an
    /// object holds at most 8 MiB of JSON.
    var objectBytes: Int? { 8 << 20 }
    var writesArchive: Bool { false }

    init(spec: SinkSpec, url: URL, agent: String) throws {
        self.url = url
        self.agent = agent
        token = spec.token
        client = try HTTPDestination.client(trusting: spec.tlsCA)
    }

    func put(_ bytes: [UInt8], key: String, contentType: String) throws {
        // (Content-Encoding from the object's own compression: a part keeps its first try's.)
        let encoding = (ArchiveCompression.of(key) ?? .gzip).rawValue
        try blocking { [self] in try await post(bytes, key: key, encoding: encoding) }
    }

    private func post(_ bytes: [UInt8], key: String, encoding: String) async throws {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-ndjson")
        request.headers.add(name: "Content-Encoding", value: encoding)
        request.headers.add(name: "X-Logdash-Records", value: "1")
        request.headers.add(name: "X-Logdash-Object", value: key)
        request.headers.add(name: "X-Logdash-Agent", value: agent)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: bytes))
        let response: HTTPClientResponse
        let answer: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .seconds(120))
            answer = try await response.body.collect(upTo: 64 << 10)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            var why = AWSRequest.reason(error, url: url)
            if why.contains("not signed by a certificate authority") { why += " (a private CA: --tls-ca FILE, or the sink's tls_ca)" }
            throw DeliveryError("POST \(url.absoluteString): \(why)")
        }
        let status = Int(response.status.code)
        if (200..<300).contains(status) {
            // Delivered only to a logdash that took the body as records (not a proxy's or
            // another service's 2xx, nor an older logdash that read the lines as new ones).
            guard response.headers.first(name: "x-logdash-records") == "1" else {
                throw DeliveryError("POST \(url.absoluteString): \(status) without X-Logdash-Records: 1 — not a logdash that takes records at /ingest; nothing counted as delivered",
                                    status: status)
            }
            return
        }
        // The central logdash answers {"error": "…"}; say it, and what to do about the usual ones.
        let said = (try? JSONSerialization.jsonObject(with: Data(Array(buffer: answer)))) .flatMap { ($0 as? [String: Any])?["error"] as? String }
        var why = "\(status) \(response.status.reasonPhrase)" + (said.map { ": " + $0 } ?? "")
        switch status {
        case 401: why += " (the sink's token must be the central logdash's --auth-token)"
        case 403 where said?.contains("--auth-token") == true: why += " (start the central logdash with --auth-token TOKEN)"
        case 404: why += " (is this another logdash's HTTP source? it takes records at /ingest)"
        case 413: why += " (raise the central logdash's --max-body-bytes, or lower this sink's buffer_size)"
        default: break
        }
        throw DeliveryError("POST \(url.absoluteString): \(why)", status: status)
    }

    /// One client per certificate authority, made once and kept for the process (a client
    /// must be shut down before it is released; these never are).
    private static let clients = Mutex<[String: HTTPClient]>([:])

    static func client(trusting ca: String?) throws -> HTTPClient {
        guard let ca else { return AWSRequest.http }
        return try clients.withLock { known in
            if let c = known[ca] { return c }
            let roots: [NIOSSLCertificate]
            do { roots = try NIOSSLCertificate.fromPEMFile(ca) } catch {
                throw SinkSpec.Problem(key: "tls_ca", message: "'\(ca)' is not a PEM certificate: \(error)")
            }
            guard !roots.isEmpty else { throw SinkSpec.Problem(key: "tls_ca", message: "'\(ca)' holds no PEM certificate") }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(roots)
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10), read: .seconds(60))
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.redirectConfiguration = .disallow
            let c = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            known[ca] = c
            return c
        }
    }
}

/// A delivery that did not happen, in words a person can act on.
struct DeliveryError: Error, CustomStringConvertible {
    let description: String
    /// The HTTP status the destination answered with (nil: no answer).
    let status: Int?
    init(_ description: String, status: Int? = nil) {
        self.description = description
        self.status = status
    }
}
