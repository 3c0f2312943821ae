import Foundation

/// Where AWS requests go and as whom, found as the AWS CLI and SDKs find it:
/// - credentials: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`), else
///   the profile `AWS_PROFILE` names (`default` without it) in `~/.aws/credentials`
///   (`AWS_SHARED_CREDENTIALS_FILE`), else the same profile in `~/.aws/config` (`AWS_CONFIG_FILE`,
///   sections `[profile NAME]`, or `[default]`), else the instance's IAM role from the EC2
///   instance metadata service (IMDSv2: `InstanceMetadata`);
/// - region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`;
/// - endpoint (S3-compatible stores, tests): the service's own `AWS_ENDPOINT_URL_<SERVICE>`,
///   `AWS_ENDPOINT_URL`, the profile's `endpoint_url`.
public struct AWSEnvironment: Sendable {
    public let variables: [String: String]
    public let home: String

    public init(variables: [String: String] = ProcessInfo.processInfo.environment, home: String? = nil) {
        self.variables = variables
        self.home = home ?? variables["HOME"] ?? NSHomeDirectory()
    }

    /// The profile in use.
    public var profile: String { nonEmpty("AWS_PROFILE") ?? nonEmpty("AWS_DEFAULT_PROFILE") ?? "default" }

    var credentialsFile: String { nonEmpty("AWS_SHARED_CREDENTIALS_FILE").map(expand) ?? home + "/.aws/credentials" }
    var configFile: String { nonEmpty("AWS_CONFIG_FILE").map(expand) ?? home + "/.aws/config" }

    private func nonEmpty(_ name: String) -> String? {
        guard let v = variables[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        return v
    }

    private func expand(_ path: String) -> String { path.hasPrefix("~/") ? home + path.dropFirst() : path }

    /// The credentials, or an error saying every place that was looked in. (From synchronous
    /// code: the instance metadata service is asked through `blocking`.)
    public func credentials() throws -> AWSCredentials {
        if let c = try keys() { return c }
        if let metadata = instanceMetadata {
            do { return try blocking { try await metadata.credentials() } } catch is InstanceMetadata.Unreachable {}
        }
        throw noCredentials
    }

    /// The credentials, from async code.
    public func credentials() async throws -> AWSCredentials {
        if let c = try keys() { return c }
        if let metadata = instanceMetadata {
            do { return try await metadata.credentials() } catch is InstanceMetadata.Unreachable {}
        }
        throw noCredentials
    }

    /// Keys from the environment or a profile, nil when there are none.
    private func keys() throws -> AWSCredentials? {
        if let key = nonEmpty("AWS_ACCESS_KEY_ID") {
            guard let secret = nonEmpty("AWS_SECRET_ACCESS_KEY") else {
                throw AWSError.configuration("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
            }
            return AWSCredentials(accessKey: key, secretKey: secret, sessionToken: nonEmpty("AWS_SESSION_TOKEN"), origin: "environment")
        }
        for (file, section) in [(credentialsFile, profile), (configFile, profile == "default" ? "default" : "profile \(profile)")] {
            guard let values = try AWSEnvironment.section(section, of: file) else { continue }
            guard let key = values["aws_access_key_id"] else { continue }
            guard let secret = values["aws_secret_access_key"] else {
                throw AWSError.configuration("\(file): [\(section)] has aws_access_key_id but no aws_secret_access_key")
            }
            return AWSCredentials(accessKey: key, secretKey: secret, sessionToken: values["aws_session_token"],
                                  origin: "profile \(profile) in \(file)")
        }
        return nil
    }

    private var noCredentials: AWSError {
        .configuration("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile '\(profile)' "
                       + "keys in \(credentialsFile) (AWS_PROFILE chooses the profile)"
                       + (instanceMetadata.map { "; the instance metadata service (\($0.endpoint)) did not answer" } ?? ""))
    }

    /// The instance metadata service the chain asks last (nil when AWS_EC2_METADATA_DISABLED is true).
    var instanceMetadata: InstanceMetadata? {
        guard nonEmpty("AWS_EC2_METADATA_DISABLED")?.lowercased() != "true" else { return nil }
        return InstanceMetadata(endpoint: nonEmpty("AWS_EC2_METADATA_SERVICE_ENDPOINT") ?? InstanceMetadata.defaultEndpoint)
    }

    /// The credentials as a source a long-lived client signs with: an instance role's are
    /// renewed before they expire.
    public func credentialSource() throws -> CredentialSource { source(try credentials()) }
    public func credentialSource() async throws -> CredentialSource { source(try await credentials()) }

    private func source(_ c: AWSCredentials) -> CredentialSource {
        guard c.expiration != nil, let metadata = instanceMetadata else { return CredentialSource(c) }
        return CredentialSource(c) { try await metadata.credentials() }
    }

    /// The region, or nil when none is set anywhere.
    public func region() throws -> String? {
        if let r = nonEmpty("AWS_REGION") ?? nonEmpty("AWS_DEFAULT_REGION") { return r }
        return try profileSetting("region")
    }

    /// The endpoint for `service` (`s3`, `kinesis`), or nil for AWS's own.
    public func endpoint(for service: String) throws -> String? {
        if let e = nonEmpty("AWS_ENDPOINT_URL_" + service.uppercased()) ?? nonEmpty("AWS_ENDPOINT_URL") { return e }
        return try profileSetting("endpoint_url")
    }

    /// What a client of `service` needs, as the AWS CLI would find it here: the credentials,
    /// the region (`us-east-1` when none is set) and the endpoint (nil: AWS's own). `name` is
    /// the service's name in messages (`S3`, `Kinesis`).
    public func client(for service: String, name: String) throws -> (credentials: CredentialSource, region: String, endpoint: URL?) {
        let endpoint = try self.endpoint(for: service)
        guard endpoint.map({ URL(string: $0)?.host != nil }) ?? true else {
            throw AWSError.configuration("the \(name) endpoint '\(endpoint!)' is not a URL (http://host:port)")
        }
        return (try credentialSource(), try region() ?? "us-east-1", endpoint.flatMap(URL.init(string:)))
    }

    private func profileSetting(_ key: String) throws -> String? {
        try AWSEnvironment.section(profile == "default" ? "default" : "profile \(profile)", of: configFile)?[key]
    }

    /// The `key = value` settings of one `[section]` of an INI file (keys lower-cased), nil
    /// when the file or the section is not there. Comments start with `#` or `;`; a line
    /// that is neither a section, a setting nor a comment is an error naming the file and line.
    static func section(_ name: String, of path: String) throws -> [String: String]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AWSError.configuration("\(path): cannot be read")
        }
        var current: String?, found: [String: String]?
        for (n, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces.union(.init(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw AWSError.configuration("\(path):\(n + 1): '\(line)' is not a [section]") }
                current = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces).split(whereSeparator: \.isWhitespace).joined(separator: " ")
                if current == name && found == nil { found = [:] }
                continue
            }
            guard let eq = line.firstIndex(of: "=") else {
                if raw.first?.isWhitespace == true { continue }  // a nested setting's line (`s3 =` sub-keys)
                throw AWSError.configuration("\(path):\(n + 1): '\(line)' is not a key = value setting")
            }
            guard current == name else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if raw.first?.isWhitespace == true { continue }  // nested under the key before it
            found?[key] = value
        }
        return found
    }
}

/// A failure talking to AWS (or an S3-compatible store), naming what was being done.
public enum AWSError: Error, CustomStringConvertible, Equatable {
    /// Credentials, region or endpoint missing or malformed.
    case configuration(String)
    /// The service answered with an error: the operation, its target (bucket/key, stream), the
    /// HTTP status, AWS's error code and message.
    case service(operation: String, target: String, status: Int, code: String, message: String)
    /// No answer: the operation, its target, and why (refused, timed out).
    case transport(operation: String, target: String, reason: String)

    public var description: String {
        switch self {
        case .configuration(let m): "aws: \(m)"
        case .service(let op, let target, let status, let code, let message):
            "aws: \(op) \(target): \(code.isEmpty ? "HTTP \(status)" : "\(code) (HTTP \(status))")" + (message.isEmpty ? "" : ": \(message)")
        case .transport(let op, let target, let reason): "aws: \(op) \(target): \(reason)"
        }
    }
}
