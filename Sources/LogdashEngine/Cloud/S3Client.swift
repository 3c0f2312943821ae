import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import XMLCoder

/// An S3 location: `s3://bucket/prefix` (the prefix without its slashes at either end).
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public let bucket: String
    public let prefix: String

    public init(bucket: String, prefix: String) {
        self.bucket = bucket
        self.prefix = prefix.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }

    /// `s3://bucket[/prefix]`, nil for anything else; a malformed one is an error saying why.
    public static func parse(_ text: String) throws -> S3Location? {
        guard text.lowercased().hasPrefix("s3://") else { return nil }
        let rest = text.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        // S3's rules: 3–63 characters, lower-case letters, digits, dots and hyphens.
        guard (3...63).contains(bucket.count), bucket.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "." || $0 == "-") }),
              bucket.first!.isLetter || bucket.first!.isNumber else {
            throw AWSError.configuration("'\(text)': '\(bucket)' is not a bucket name (3 to 63 lower-case letters, digits, dots and hyphens)")
        }
        return S3Location(bucket: bucket, prefix: String(rest.dropFirst(bucket.count)))
    }

    /// The key of `name` under the prefix.
    public func key(_ name: String) -> String { prefix.isEmpty ? name : prefix + "/" + name }

    public var description: String { "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)") }
}

/// A small S3 client (the operations logdash needs) over AsyncHTTPClient, signed with
/// `SigV4Signer`: path-style addressing for a given endpoint (MinIO, Ceph, R2, moto), the
/// regional virtual-hosted one for AWS; retries with exponential backoff and full jitter on
/// throttling, 5xx answers and dropped connections; a timeout per attempt; every failure an
/// `AWSError` naming the operation, the bucket and key, and AWS's error code.
public struct S3Client: Sendable {
    public let credentialSource: CredentialSource
    public var credentials: AWSCredentials { credentialSource.now }
    public let region: String
    /// A custom endpoint (`http://127.0.0.1:9000`), or nil for AWS.
    public let endpoint: URL?
    /// Attempts per request (the first included), and the first backoff, doubled per retry.
    public var attempts = 4
    public var backoff: Duration = .milliseconds(200)
    /// How long an attempt waits for the answer to begin (its body then may take as long as it
    /// takes while bytes keep coming: 30 s without any ends it).
    public var timeout: Duration = .seconds(20)
    /// Told, before each retry, what failed and which attempt comes next (for a line on stderr:
    /// a stalled server is not a silent wait).
    public var onRetry: (@Sendable (AWSError, _ next: Int, _ of: Int) -> Void)?

    public init(credentials: AWSCredentials, region: String, endpoint: URL?) {
        self.init(credentials: CredentialSource(credentials), region: region, endpoint: endpoint)
    }

    public init(credentials: CredentialSource, region: String, endpoint: URL?) {
        credentialSource = credentials
        self.region = region
        self.endpoint = endpoint
    }

    /// A client as the AWS CLI would make one here (`AWSEnvironment`): its credentials, its
    /// region (`us-east-1` when none is set) and the S3 endpoint it names.
    public init(environment: AWSEnvironment = AWSEnvironment()) throws {
        let c = try environment.client(for: "s3", name: "S3")
        self.init(credentials: c.credentials, region: c.region, endpoint: c.endpoint)
    }

    /// A client as `init(environment:)` makes it that says on stderr when it tries again.
    public static func forCommandLine() throws -> S3Client {
        var client = try S3Client()
        client.onRetry = { failure, next, of in
            FileHandle.standardError.write(Data("logdash: \(failure); trying again (\(next) of \(of))\n".utf8))
        }
        return client
    }

    /// An object's listing entry.
    public struct Object: Sendable, Equatable {
        public var key: String
        public var size: Int
        public var etag: String
    }

    // MARK: operations

    /// Stores `body` under `key` (replacing what was there).
    /// Stores `body` under `key`; `ifAbsent`: only where there is no object yet (a conditional
    /// write, `If-None-Match: *`) — otherwise `AWSError.service` with status 412.
    public func put(_ body: [UInt8], bucket: String, key: String, contentType: String = "application/octet-stream", ifAbsent: Bool = false) async throws {
        _ = try await send("PutObject", method: .PUT, bucket: bucket, key: key,
                           headers: [("Content-Type", contentType)] + (ifAbsent ? [("If-None-Match", "*")] : []), body: body)
    }

    /// S3's smallest part of a multipart upload (but the last), and its most parts.
    public static let minimumPartSize = 5 << 20
    public static let maximumParts = 10_000

    /// Stores `body` under `key`: in one PutObject up to `partSize` bytes, else as a multipart
    /// upload (CreateMultipartUpload, an UploadPart per `partSize` bytes — a failed part is tried
    /// again alone —, CompleteMultipartUpload), so an object may pass PutObject's 5 GB and a big
    /// one is not sent again whole after a dropped connection. An upload that fails is aborted
    /// (AbortMultipartUpload): no parts are left behind to be billed.
    /// `ifAbsent`: only where there is no object yet (`If-None-Match: *`), else
    /// `AWSError.service` with status 412 — unless the object there is this very body (a
    /// request tried again after its first try was stored but its answer lost).
    public func putLarge(_ body: [UInt8], bucket: String, key: String, contentType: String = "application/octet-stream",
                         partSize: Int = 16 << 20, ifAbsent: Bool = false) async throws {
        let size = max(partSize, S3Client.minimumPartSize, (body.count + S3Client.maximumParts - 1) / S3Client.maximumParts)
        do {
            try await putLarge(body, bucket: bucket, key: key, contentType: contentType, size: size, ifAbsent: ifAbsent)
        } catch AWSError.service(let op, let target, let status, let code, let message) where ifAbsent && (status == 412 || code == "PreconditionFailed") {
            // The ETag S3 gives this body: its MD5, or for a multipart upload the MD5 of its parts' MD5s and their count.
            func hex(_ d: some Sequence<UInt8>) -> String { d.map { String(format: "%02x", $0) }.joined() }
            let mine = body.count <= size ? hex(Insecure.MD5.hash(data: body))
                : hex(Insecure.MD5.hash(data: stride(from: 0, to: body.count, by: size).flatMap { Array(Insecure.MD5.hash(data: body[$0..<min(body.count, $0 + size)])) }))
                  + "-\((body.count + size - 1) / size)"
            let there = try await list(bucket: bucket, prefix: key).first { $0.key == key }
            guard there?.etag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == mine else {
                throw AWSError.service(operation: op, target: target, status: 412, code: code, message: message)
            }
        }
    }

    private func putLarge(_ body: [UInt8], bucket: String, key: String, contentType: String, size: Int, ifAbsent: Bool) async throws {
        guard body.count > size else { return try await put(body, bucket: bucket, key: key, contentType: contentType, ifAbsent: ifAbsent) }
        let created = try await send("CreateMultipartUpload", method: .POST, bucket: bucket, key: key, query: [("uploads", "")],
                                     headers: [("Content-Type", contentType)])
        guard let upload = try? XMLDecoder().decode(InitiateMultipartUploadResult.self, from: Data(created.body)).uploadId, !upload.isEmpty else {
            throw AWSError.service(operation: "CreateMultipartUpload", target: "s3://\(bucket)/\(key)", status: created.status, code: "",
                                   message: "the answer names no UploadId")
        }
        do {
            var etags: [String] = []
            for (n, start) in stride(from: 0, to: body.count, by: size).enumerated() {
                let part = Array(body[start..<min(body.count, start + size)])
                let r = try await send("UploadPart", method: .PUT, bucket: bucket, key: key,
                                       query: [("partNumber", String(n + 1)), ("uploadId", upload)], body: part)
                guard let etag = r.headers.first(where: { $0.0.lowercased() == "etag" })?.1 else {
                    throw AWSError.service(operation: "UploadPart", target: "s3://\(bucket)/\(key)", status: r.status, code: "",
                                           message: "the answer to part \(n + 1) has no ETag")
                }
                etags.append(etag)
            }
            let parts = etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\(S3Client.xmlEscaped($0.element))</ETag></Part>" }
            // `ifAbsent`: the completion is the conditional write (S3 takes If-None-Match there).
            let done = try await send("CompleteMultipartUpload", method: .POST, bucket: bucket, key: key, query: [("uploadId", upload)],
                                      headers: [("Content-Type", "application/xml")] + (ifAbsent ? [("If-None-Match", "*")] : []),
                                      body: Array(("<CompleteMultipartUpload>" + parts.joined() + "</CompleteMultipartUpload>").utf8))
            // (S3 may answer 200 and still fail the completion, saying so in the body.)
            if let error = try? XMLDecoder().decode(ErrorBody.self, from: Data(done.body)), let code = error.code, !code.isEmpty {
                throw AWSError.service(operation: "CompleteMultipartUpload", target: "s3://\(bucket)/\(key)", status: done.status, code: code,
                                       message: error.message ?? "")
            }
        } catch {
            _ = try? await send("AbortMultipartUpload", method: .DELETE, bucket: bucket, key: key, query: [("uploadId", upload)])
            throw error
        }
    }

    static func xmlEscaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private struct InitiateMultipartUploadResult: Decodable {
        let uploadId: String
        enum CodingKeys: String, CodingKey { case uploadId = "UploadId" }
    }

    /// An object's bytes.
    public func get(bucket: String, key: String, limit: Int = 5 << 30) async throws -> [UInt8] {
        try await send("GetObject", method: .GET, bucket: bucket, key: key, limit: limit).body
    }

    /// Removes an object (no error when it is not there, as S3 answers).
    public func delete(bucket: String, key: String) async throws {
        _ = try await send("DeleteObject", method: .DELETE, bucket: bucket, key: key)
    }

    /// Whether the bucket is there and these credentials may list it: one ListObjectsV2 of
    /// one key (throws the service's answer: NoSuchBucket, AccessDenied, InvalidAccessKeyId …).
    public func probe(bucket: String, prefix: String) async throws {
        _ = try await send("ListObjectsV2", method: .GET, bucket: bucket, key: nil,
                           query: [("list-type", "2"), ("prefix", prefix), ("max-keys", "1")],
                           target: "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)"))
    }

    /// Every object whose key starts with `prefix`, in key order (ListObjectsV2, page by page).
    public func list(bucket: String, prefix: String, pageSize: Int = 1000) async throws -> [Object] {
        try await list(bucket: bucket, prefix: prefix, delimiter: nil, pageSize: pageSize).objects
    }

    /// The objects right under `prefix` and its folders (the common prefixes up to the next
    /// `delimiter`, each ending in it), as S3 lists them with a delimiter; nil: every object.
    public func list(bucket: String, prefix: String, delimiter: String?, pageSize: Int = 1000) async throws -> (objects: [Object], folders: [String]) {
        var out: [Object] = [], folders: [String] = [], token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix), ("max-keys", String(pageSize))]
            if let delimiter { query.append(("delimiter", delimiter)) }
            if let token { query.append(("continuation-token", token)) }
            let r = try await send("ListObjectsV2", method: .GET, bucket: bucket, key: nil, query: query,
                                   target: "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)"))
            let page: ListBucketResult
            do {
                page = try XMLDecoder().decode(ListBucketResult.self, from: Data(r.body))
            } catch {
                throw AWSError.service(operation: "ListObjectsV2", target: "s3://\(bucket)/\(prefix)", status: r.status, code: "",
                                       message: "the answer is not a ListBucketResult (\(error))")
            }
            out += (page.contents ?? []).map { Object(key: $0.key, size: $0.size ?? 0, etag: $0.etag ?? "") }
            folders += (page.commonPrefixes ?? []).map(\.prefix)
            let next = page.isTruncated == true ? page.nextContinuationToken : nil
            if next != nil && next == token {
                throw AWSError.service(operation: "ListObjectsV2", target: "s3://\(bucket)/\(prefix)", status: r.status, code: "",
                                       message: "the server gave the same continuation token twice")
            }
            token = next
        } while token != nil
        return (out, folders)
    }

    private struct ListBucketResult: Decodable {
        struct Entry: Decodable {
            let key: String
            let size: Int?
            let etag: String?
            enum CodingKeys: String, CodingKey { case key = "Key", size = "Size", etag = "ETag" }
        }
        struct Folder: Decodable {
            let prefix: String
            enum CodingKeys: String, CodingKey { case prefix = "Prefix" }
        }
        let contents: [Entry]?
        let commonPrefixes: [Folder]?
        let isTruncated: Bool?
        let nextContinuationToken: String?
        enum CodingKeys: String, CodingKey {
            case contents = "Contents", commonPrefixes = "CommonPrefixes", isTruncated = "IsTruncated", nextContinuationToken = "NextContinuationToken"
        }
    }

    private struct ErrorBody: Decodable {
        let code: String?
        let message: String?
        enum CodingKeys: String, CodingKey { case code = "Code", message = "Message" }
    }

    // MARK: requests

    /// The URL of a bucket's key: path style (`endpoint/bucket/key`) for a given endpoint,
    /// `https://bucket.s3.REGION.amazonaws.com/key` for AWS (path style there too when the
    /// bucket's name has dots, which TLS's wildcard certificate does not cover).
    func url(bucket: String, key: String?, query: [(String, String)]) -> URL? {
        let path = key.map { "/" + SigV4Signer.quote($0) } ?? "/"
        var base: String
        if let endpoint {
            let root = endpoint.absoluteString.hasSuffix("/") ? String(endpoint.absoluteString.dropLast()) : endpoint.absoluteString
            base = root + "/" + bucket + (key == nil ? "" : path)
        } else if bucket.contains(".") {
            base = "https://s3.\(region).amazonaws.com/" + bucket + (key == nil ? "" : path)
        } else {
            base = "https://\(bucket).s3.\(region).amazonaws.com" + path
        }
        if !query.isEmpty {
            base += "?" + query.map { SigV4Signer.quote($0.0, keepSlash: false) + "=" + SigV4Signer.quote($0.1, keepSlash: false) }.joined(separator: "&")
        }
        return URL(string: base)
    }

    private func send(_ operation: String, method: HTTPMethod, bucket: String, key: String?, query: [(String, String)] = [],
                      headers: [(String, String)] = [], body: [UInt8] = [], limit: Int = 16 << 20,
                      target: String? = nil) async throws -> (status: Int, body: [UInt8], headers: [(String, String)]) {
        let target = target ?? "s3://\(bucket)" + (key.map { "/" + $0 } ?? "")
        guard let url = url(bucket: bucket, key: key, query: query) else {
            throw AWSError.configuration("\(operation) \(target): '\(bucket)' is not a bucket name")
        }
        let policy = AWSRequest.Policy(service: "s3", region: region, credentials: credentialSource, attempts: attempts, backoff: backoff,
                                       timeout: timeout, onRetry: onRetry, errorOf: { bytes in
                                           (try? XMLDecoder().decode(ErrorBody.self, from: Data(bytes))).map { ($0.code ?? "", $0.message ?? "") }
                                       }, retried: ["SlowDown", "RequestTimeout", "Throttling", "ThrottlingException"])
        return try await AWSRequest(operation: operation, target: target, method: method, url: url, headers: headers, body: body, limit: limit)
            .send(policy)
    }
}
