import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One signed AWS request, tried again with exponential backoff and full jitter on throttling,
/// 5xx answers and dropped connections: what the S3 and Kinesis clients share. Every failure is
/// an `AWSError` naming the operation, its target and AWS's error code.
struct AWSRequest: Sendable {
    let operation: String
    /// What it acts on, for messages: `s3://bucket/key`, `kinesis://stream`.
    let target: String
    let method: HTTPMethod
    let url: URL
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    /// The most an answer's body may hold.
    var limit = 16 << 20

    /// How a client sends: its signer's service and region, its credentials and retry policy.
    struct Policy: Sendable {
        let service: String
        let region: String
        let credentials: CredentialSource
        let attempts: Int
        let backoff: Duration
        let timeout: Duration
        let onRetry: (@Sendable (AWSError, _ next: Int, _ of: Int) -> Void)?
        /// AWS's error code and message in an error answer's body (S3's XML, Kinesis's JSON).
        let errorOf: @Sendable ([UInt8]) -> (code: String, message: String)?
        /// Error codes worth another try besides 5xx and 429 (throttling).
        let retried: Set<String>
    }

    func send(_ policy: Policy) async throws -> (status: Int, body: [UInt8], headers: [(String, String)]) {
        let signer = SigV4Signer(credentials: try await policy.credentials.current(), region: policy.region, service: policy.service)
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = method
            for (name, value) in signer.sign(method: method.rawValue, url: url, headers: headers, payload: .bytes(body), at: Date()) {
                request.headers.add(name: name, value: value)
            }
            if !body.isEmpty || method == .PUT { request.body = .bytes(ByteBuffer(bytes: body)) }
            var failure: AWSError
            do {
                let response = try await AWSRequest.http.execute(request, timeout: .nanoseconds(Int64(policy.timeout / .nanoseconds(1))))
                let bytes = Array(buffer: try await response.body.collect(upTo: limit))
                let status = Int(response.status.code)
                if (200..<300).contains(status) { return (status, bytes, response.headers.map { ($0.name, $0.value) }) }
                let error = policy.errorOf(bytes)
                failure = .service(operation: operation, target: target, status: status, code: error?.code ?? "", message: error?.message ?? "")
                // Worth another try: throttling and the server's own failures.
                let retry = status >= 500 || status == 429 || policy.retried.contains(error?.code ?? "")
                guard retry, attempt < policy.attempts else { throw failure }
            } catch let error as AWSError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as NIOTooManyBytesError {
                // Not a failure of the network: trying again would give the same.
                throw AWSError.service(operation: operation, target: target, status: 200, code: "",
                                       message: "the answer is larger than the \(limit) bytes this reads (\(error))")
            } catch {
                failure = .transport(operation: operation, target: target, reason: AWSRequest.reason(error, url: url))
                guard attempt < policy.attempts else { throw failure }
            }
            policy.onRetry?(failure, attempt + 1, policy.attempts)
            // Exponential backoff with full jitter: a random wait up to base · 2^(attempt-1).
            let ceiling = policy.backoff * (1 << min(attempt - 1, 10))
            try await Task.sleep(for: ceiling * Double.random(in: 0...1))
        }
    }

    /// One HTTP client for every request, made once (never shut down: it lives as long as the
    /// process). A connection that cannot be made fails the attempt at once — the clients' own
    /// retries, with their backoff, decide what happens next — instead of the library trying
    /// again until the request's deadline.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10), read: .seconds(30))
        configuration.connectionPool.retryConnectionEstablishment = false
        // A redirect would be sent with headers signed for the first host: S3 names the right
        // region in its error instead.
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// A transport failure in words a person can act on.
    static func reason(_ error: Error, url: URL) -> String {
        let host = url.host.map { $0 + (url.port.map { ":\($0)" } ?? "") } ?? "the endpoint"
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "\(host) refused the connection" }
        if text.contains("deadlineExceeded") || text.contains("timeout") { return "\(host) did not answer in time" }
        if text.contains("CERTIFICATE_VERIFY_FAILED") { return "\(host)'s TLS certificate is not signed by a certificate authority this trusts" }
        return "\(host): \(text)"
    }
}

/// Runs async work from synchronous code (the command line's subcommands) and waits for it.
/// Never from async code: it holds its thread while the work needs one.
@available(*, noasync)
public func blocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    Task {
        do { box.set(.success(try await work())) } catch { box.set(.failure(error)) }
        done.signal()
    }
    done.wait()
    return try box.get()
}

private final class ResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, Error>?
    func set(_ r: Result<T, Error>) { lock.withLock { result = r } }
    func get() throws -> T { try lock.withLock { result! }.get() }
}
