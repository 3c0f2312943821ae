import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The credentials of an EC2 instance's IAM role, from the instance metadata service in its
/// version 2 (IMDSv2), as the AWS SDKs take them when neither the environment nor a profile
/// has keys: a session token first (`PUT /latest/api/token`), then — with the token — the
/// role's name (`GET /latest/meta-data/iam/security-credentials/`) and its credentials
/// (`GET …/ROLE`: keys, a session token and when they expire). `AWS_EC2_METADATA_SERVICE_ENDPOINT`
/// names another endpoint (tests); `AWS_EC2_METADATA_DISABLED=true` turns it off.
public struct InstanceMetadata: Sendable {
    public let endpoint: String
    /// How long each request may take: off EC2 nothing answers, and the chain must not hang.
    public var timeout: Duration = .seconds(1)

    public static let defaultEndpoint = "http://169.254.169.254"

    public init(endpoint: String = InstanceMetadata.defaultEndpoint) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
    }

    /// Nobody answered at the endpoint (not on EC2, or the service is off).
    public struct Unreachable: Error {}

    public func credentials() async throws -> AWSCredentials {
        let token = try await request(.PUT, "/latest/api/token", headers: [("X-aws-ec2-metadata-token-ttl-seconds", "21600")])
        let auth = [("X-aws-ec2-metadata-token", String(decoding: token, as: UTF8.self))]
        let roles = String(decoding: try await request(.GET, "/latest/meta-data/iam/security-credentials/", headers: auth), as: UTF8.self)
        guard let role = roles.split(whereSeparator: \.isNewline).first.map(String.init), !role.isEmpty else {
            throw AWSError.configuration("the instance metadata service at \(endpoint) names no IAM role: attach one to the instance")
        }
        let body = try await request(.GET, "/latest/meta-data/iam/security-credentials/" + role, headers: auth)
        struct Document: Decodable {
            let Code: String?
            let AccessKeyId: String?
            let SecretAccessKey: String?
            let Token: String?
            let Expiration: String?
        }
        guard let doc = try? JSONDecoder().decode(Document.self, from: Data(body)), let key = doc.AccessKeyId, let secret = doc.SecretAccessKey else {
            throw AWSError.configuration("the instance metadata service at \(endpoint) gave role \(role) no credentials")
        }
        if let code = doc.Code, code != "Success" {
            throw AWSError.configuration("the instance metadata service at \(endpoint): role \(role): \(code)")
        }
        let expiration = doc.Expiration.flatMap { ISO8601DateFormatter().date(from: $0) }
        return AWSCredentials(accessKey: key, secretKey: secret, sessionToken: doc.Token, origin: "instance role \(role) (IMDSv2)",
                              expiration: expiration)
    }

    private func request(_ method: HTTPMethod, _ path: String, headers: [(String, String)]) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: endpoint + path)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        let response: HTTPClientResponse
        do {
            response = try await AWSRequest.http.execute(request, timeout: .nanoseconds(Int64(timeout / .nanoseconds(1))))
        } catch {
            throw Unreachable()
        }
        let body = Array(buffer: try await response.body.collect(upTo: 1 << 20))
        guard response.status == .ok else {
            throw AWSError.configuration("the instance metadata service at \(endpoint): \(method) \(path): HTTP \(response.status.code)")
        }
        return body
    }
}

/// A client's credentials, renewed before they expire when they came from somewhere that
/// renews them (an instance role's expire every few hours; a sink runs for days).
public final class CredentialSource: Sendable {
    private let cached: Mutex<AWSCredentials>
    private let renew: (@Sendable () async throws -> AWSCredentials)?

    public init(_ credentials: AWSCredentials, renew: (@Sendable () async throws -> AWSCredentials)? = nil) {
        cached = Mutex(credentials)
        self.renew = renew
    }

    public var now: AWSCredentials { cached.withLock { $0 } }

    /// The credentials to sign with: renewed first when they expire within five minutes.
    public func current() async throws -> AWSCredentials {
        let c = now
        guard let renew, let expiration = c.expiration, expiration.timeIntervalSinceNow < 300 else { return c }
        let fresh = try await renew()
        cached.withLock { $0 = fresh }
        return fresh
    }
}
