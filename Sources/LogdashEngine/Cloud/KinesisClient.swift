import Foundation
import NIOHTTP1

/// A small Kinesis Data Streams client (the reading side: ListShards, GetShardIterator,
/// GetRecords) over the JSON 1.1 protocol, signed with `SigV4Signer` and sent as `S3Client`'s
/// requests are: the endpoint `AWS_ENDPOINT_URL_KINESIS`/`AWS_ENDPOINT_URL`/`endpoint_url` names
/// (moto, LocalStack) or AWS's regional one; throttling (`ProvisionedThroughputExceededException`,
/// `LimitExceededException`) and 5xx tried again with exponential backoff and full jitter.
public struct KinesisClient: Sendable {
    public let credentialSource: CredentialSource
    public let region: String
    public let endpoint: URL?
    public var attempts = 8
    public var backoff: Duration = .milliseconds(250)
    public var timeout: Duration = .seconds(20)
    public var onRetry: (@Sendable (AWSError, _ next: Int, _ of: Int) -> Void)?

    /// The error codes of throttling (answered with 400): waited out, never final.
    public static let throttling: Set<String> = ["ProvisionedThroughputExceededException", "LimitExceededException", "ThrottlingException",
                                                 "KMSThrottlingException"]

    public init(credentials: CredentialSource, region: String, endpoint: URL?) {
        credentialSource = credentials
        self.region = region
        self.endpoint = endpoint
    }

    /// A client as the AWS CLI would make one here: its credentials, region (`us-east-1` when
    /// none is set) and the Kinesis endpoint it names.
    public init(environment: AWSEnvironment = AWSEnvironment()) throws {
        let c = try environment.client(for: "kinesis", name: "Kinesis")
        self.init(credentials: c.credentials, region: c.region, endpoint: c.endpoint)
    }

    public struct Shard: Decodable, Sendable, Equatable {
        public var shardId: String
        public var parentShardId: String?
        public var adjacentParentShardId: String?
        public var sequenceNumberRange: SequenceRange
        public struct SequenceRange: Decodable, Sendable, Equatable {
            public var startingSequenceNumber: String
            public var endingSequenceNumber: String?
            enum CodingKeys: String, CodingKey { case startingSequenceNumber = "StartingSequenceNumber", endingSequenceNumber = "EndingSequenceNumber" }
        }
        /// Closed by a split or merge: it takes no more records.
        public var isClosed: Bool { sequenceNumberRange.endingSequenceNumber != nil }
        public var parents: [String] { [parentShardId, adjacentParentShardId].compactMap { $0 } }
        enum CodingKeys: String, CodingKey {
            case shardId = "ShardId", parentShardId = "ParentShardId", adjacentParentShardId = "AdjacentParentShardId"
            case sequenceNumberRange = "SequenceNumberRange"
        }
    }

    public struct Record: Decodable, Sendable {
        public var sequenceNumber: String
        public var data: Data
        public var approximateArrivalTimestamp: Double?
        enum CodingKeys: String, CodingKey {
            case sequenceNumber = "SequenceNumber", data = "Data", approximateArrivalTimestamp = "ApproximateArrivalTimestamp"
        }
    }

    public struct Records: Decodable, Sendable {
        public var records: [Record]
        /// nil once a closed shard has been read to its end.
        public var nextShardIterator: String?
        public var millisBehindLatest: Int64?
        enum CodingKeys: String, CodingKey { case records = "Records", nextShardIterator = "NextShardIterator", millisBehindLatest = "MillisBehindLatest" }
    }

    /// Where a shard iterator starts.
    public enum Position: Sendable, Equatable {
        case latest, trimHorizon
        case atTimestamp(Date)
        case afterSequenceNumber(String)
    }

    // MARK: operations

    /// Every shard of the stream, open and closed (within the retention period).
    public func listShards(stream: String) async throws -> [Shard] {
        struct Page: Decodable {
            var shards: [Shard]
            var nextToken: String?
            enum CodingKeys: String, CodingKey { case shards = "Shards", nextToken = "NextToken" }
        }
        var shards: [Shard] = []
        var token: String?
        repeat {
            let body: [String: Any] = token.map { ["NextToken": $0] } ?? ["StreamName": stream]
            let page: Page = try await call("ListShards", stream: stream, body)
            shards += page.shards
            token = page.nextToken
        } while token != nil
        return shards
    }

    public func shardIterator(stream: String, shard: String, at position: Position) async throws -> String {
        var body: [String: Any] = ["StreamName": stream, "ShardId": shard]
        switch position {
        case .latest: body["ShardIteratorType"] = "LATEST"
        case .trimHorizon: body["ShardIteratorType"] = "TRIM_HORIZON"
        case .atTimestamp(let date):
            body["ShardIteratorType"] = "AT_TIMESTAMP"
            body["Timestamp"] = date.timeIntervalSince1970
        case .afterSequenceNumber(let sequence):
            body["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER"
            body["StartingSequenceNumber"] = sequence
        }
        struct Answer: Decodable {
            var shardIterator: String
            enum CodingKeys: String, CodingKey { case shardIterator = "ShardIterator" }
        }
        let answer: Answer = try await call("GetShardIterator", stream: stream, body, target: "kinesis://\(stream)/\(shard)")
        return answer.shardIterator
    }

    public func records(stream: String, shard: String, iterator: String, limit: Int = 10_000) async throws -> Records {
        try await call("GetRecords", stream: stream, ["ShardIterator": iterator, "Limit": limit], target: "kinesis://\(stream)/\(shard)", answerLimit: 64 << 20)
    }

    // MARK: requests

    private struct ErrorBody: Decodable {
        let type: String?
        let message: String?
        let upperMessage: String?
        enum CodingKeys: String, CodingKey { case type = "__type", message = "message", upperMessage = "Message" }
    }

    private func call<T: Decodable>(_ operation: String, stream: String, _ body: [String: Any], target: String? = nil,
                                    answerLimit: Int = 16 << 20) async throws -> T {
        let target = target ?? "kinesis://\(stream)"
        guard let url = endpoint ?? URL(string: "https://kinesis.\(region).amazonaws.com/") else {
            throw AWSError.configuration("\(operation) \(target): no endpoint for region '\(region)'")
        }
        let bytes = Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]))
        let policy = AWSRequest.Policy(service: "kinesis", region: region, credentials: credentialSource, attempts: attempts, backoff: backoff,
                                       timeout: timeout, onRetry: onRetry, errorOf: { bytes in
                                           (try? JSONDecoder().decode(ErrorBody.self, from: Data(bytes))).map {
                                               // (`__type` may be `namespace#Code`.)
                                               (String(($0.type ?? "").split(separator: "#").last ?? ""), $0.message ?? $0.upperMessage ?? "")
                                           }
                                       }, retried: KinesisClient.throttling.union(["InternalFailure", "ServiceUnavailable"]))
        let request = AWSRequest(operation: operation, target: target, method: .POST, url: url,
                                 headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "Kinesis_20131202." + operation)],
                                 body: bytes, limit: answerLimit)
        let answer = try await request.send(policy)
        do {
            return try JSONDecoder().decode(T.self, from: Data(answer.body))
        } catch {
            throw AWSError.service(operation: operation, target: target, status: answer.status, code: "",
                                   message: "the answer is not what Kinesis sends (\(error))")
        }
    }
}
