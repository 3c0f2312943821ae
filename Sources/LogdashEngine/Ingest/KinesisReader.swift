import Foundation
import Synchronization

/// Reads every shard of a Kinesis data stream into the pipeline, as the Kinesis Client Library
/// would: shards listed at start and every 10 s (and at once when one ends), a split's or
/// merge's children read from their first record once their parents are read to their end, so
/// that a key's records keep their order. Each shard is a stream of the pipeline whose records
/// carry the shard's checkpoint — the sequence number of the last one — committed with them in
/// the store, so a restart (even after kill -9) goes on after the last record stored.
///
/// A record's data is one or more lines; gzip is unpacked (a record that does not unpack is
/// taken as it is), and a CloudWatch Logs subscription's payload (gzip JSON) becomes one JSON
/// line per log event (`ts`, `message`, `log_group`,
/// `log_stream`, `owner`, `id`); its control messages are skipped.
public final class KinesisReader: @unchecked Sendable {  // (its state is its thread's, or under a lock)
    let pipeline: Pipeline
    let source: KinesisSource
    let client: KinesisClient

    /// Retries said since the last line about them, and when that was.
    private let retries = Guarded((count: 0, said: ContinuousClock.now - .seconds(60)))

    init(pipeline: Pipeline, source: KinesisSource, client: KinesisClient) {
        self.pipeline = pipeline
        self.source = source
        var client = client
        let (url, report, retries) = (source.url, pipeline.report, retries)
        // Throttling is usual when consumers share a shard: said at most every 30 s, with a count.
        client.onRetry = { failure, _, _ in
            let line: String? = retries.withLock { r in
                r.count += 1
                guard ContinuousClock.now - r.said >= .seconds(30) else { return nil }
                defer { r = (0, ContinuousClock.now) }
                return "\(url): \(failure); backing off and trying again" + (r.count > 1 ? " (\(r.count) retries since the last report)" : "")
            }
            if let line { report(line) }
        }
        self.client = client
    }

    /// How long a shard that gave nothing waits before it is asked again (Kinesis allows five
    /// reads a second per shard), and how often the shards are listed.
    static let idle: Duration = .milliseconds(250)
    static let listing: Duration = .seconds(10)

    private final class Shard {
        let id: String
        let parents: [String]
        var closed: Bool
        /// Where to start when there is no iterator yet (after the last record taken, once one is).
        var position: KinesisClient.Position
        var iterator: String?
        var stream = 0
        var finished = false
        /// Waits for its parents to be read to their end.
        var waiting: Bool

        init(_ s: KinesisClient.Shard, position: KinesisClient.Position, waiting: Bool) {
            id = s.shardId
            parents = s.parents
            closed = s.isClosed
            self.position = position
            self.waiting = waiting
        }
    }

    /// The checkpoint path of a shard.
    func path(_ shard: String) -> String { "kinesis://\(source.stream)/\(shard)" }

    /// Errors that waiting cannot mend (no such stream, access denied, a bad request).
    static func isFinal(_ error: Error) -> Bool {
        guard case AWSError.service(_, _, let status, let code, _) = error else { return false }
        return (400..<500).contains(status) && status != 429
            && !["ProvisionedThroughputExceededException", "LimitExceededException", "ThrottlingException"].contains(code)
    }

    /// Lists the stream once before ingest starts: a stream that is not there, or credentials
    /// refused, stop the start with the error; a service that does not answer now is said, and
    /// reading begins when it does.
    func probe() throws {
        var quick = client
        quick.attempts = 1
        quick.timeout = .seconds(5)
        let (once, stream) = (quick, source.stream)
        do {
            _ = try blocking { try await once.listShards(stream: stream) }
        } catch where KinesisReader.isFinal(error) {
            throw SourceError.unreadable(source.url, "\(error)".replacingOccurrences(of: "aws: ", with: ""))
        } catch {
            pipeline.report("\(source.url): \(error); reading begins when it answers")
        }
    }

    /// Runs until the pipeline stops, on a thread of its own (it waits for room in the delivery
    /// buffer as a file's reader does); an error that retries cannot mend (no such stream,
    /// credentials refused) is said and ends this source.
    func run() {
        let progress = Progress()
        while !pipeline.isStopping {
            do {
                try read(progress)
                return
            } catch where KinesisReader.isFinal(error) {
                // Nothing to wait for: no such stream, access denied, a bad request.
                pipeline.sourceFailed("\(source.url): \(error)".replacingOccurrences(of: ": aws: ", with: ": "))
                return
            } catch {
                // An outage longer than the retries: said, and reading goes on from the checkpoints in 5 s.
                pipeline.report("\(source.url): \(error); reading again in 5 s from the last record taken")
                let until = ContinuousClock.now + .seconds(5)
                while ContinuousClock.now < until && !pipeline.isStopping { Thread.sleep(forTimeInterval: 0.05) }
            }
        }
    }

    /// Where reading stands, kept across the retries of an outage (so that a run without a
    /// store does not read again what it took).
    private final class Progress {
        var shards: [String: Shard] = [:]
        var order: [String] = []
        /// The stream has been listed once in this run.
        var listed = false
        /// When the stream was first read (see `FileCheckpoint.sequence`).
        var startedAt: Int64?
    }

    private func read(_ progress: Progress) throws {
        let client = self.client, stream = source.stream
        let saved = (pipeline.durable?.allCheckpoints ?? []).filter { $0.sequence != nil && $0.path.hasPrefix("kinesis://\(stream)/") }
        let resumed = !saved.isEmpty
        var last: [String: String] = [:]
        for cp in saved { last[String(cp.path.dropFirst("kinesis://\(stream)/".count))] = cp.sequence }
        // Where a shard that has no checkpoint of its own starts: when the stream was first read.
        if progress.startedAt == nil {
            if let first = saved.map(\.offset).min() {
                progress.startedAt = first
            } else {
                switch source.start {
                case .trimHorizon: progress.startedAt = 0
                case .atTimestamp(let d): progress.startedAt = Int64(d.timeIntervalSince1970 * 1e9)
                default: progress.startedAt = Int64(Date().timeIntervalSince1970 * 1e9)
                }
            }
        }
        let startedAt = progress.startedAt!
        // (After an outage, each shard gets a new iterator from where it stands.)
        for shard in progress.shards.values { shard.iterator = nil }
        var nextListing = ContinuousClock.now
        while !pipeline.isStopping {
            if ContinuousClock.now >= nextListing {
                let listed = try blocking { try await client.listShards(stream: stream) }
                let ids = Set(listed.map(\.shardId))
                for s in listed {
                    if let known = progress.shards[s.shardId] {
                        known.closed = s.isClosed
                        continue
                    }
                    let lineage = s.parents.contains { ids.contains($0) || progress.shards[$0] != nil }
                    let shard: Shard
                    if let sequence = last[s.shardId] {
                        shard = Shard(s, position: .afterSequenceNumber(sequence), waiting: false)
                    } else if !progress.listed && !resumed {
                        // The first listing of a first run: the position asked for.
                        switch source.start {
                        case .latest:
                            // Only the open shards have records to come.
                            shard = Shard(s, position: .latest, waiting: false)
                            shard.finished = s.isClosed
                        case .trimHorizon: shard = Shard(s, position: .trimHorizon, waiting: lineage)
                        default: shard = Shard(s, position: source.start, waiting: lineage)
                        }
                    } else if lineage {
                        // A split's or merge's child: from its first record, once its parents are read.
                        shard = Shard(s, position: .trimHorizon, waiting: true)
                    } else {
                        // A shard of the first run that gave no record yet.
                        shard = Shard(s, position: startedAt == 0 ? .trimHorizon : .atTimestamp(Date(timeIntervalSince1970: Double(startedAt) / 1e9)), waiting: false)
                    }
                    progress.shards[s.shardId] = shard
                    progress.order.append(s.shardId)
                }
                if !progress.listed {
                    let open = listed.filter { !$0.isClosed }.count
                    let from: String
                    switch source.start {
                    case _ where resumed: from = "after the last record stored"
                    case .latest: from = "from the newest record on"
                    case .trimHorizon: from = "from the oldest record"
                    case .atTimestamp(let d): from = "from " + Timestamp.iso8601(Int64(d.timeIntervalSince1970 * 1e9))
                    case .afterSequenceNumber: from = ""
                    }
                    pipeline.report("\(source.url): reading \(open) open shard\(open == 1 ? "" : "s") (\(listed.count) in all) \(from)")
                }
                progress.listed = true
                nextListing = ContinuousClock.now + KinesisReader.listing
            }
            var taken = 0
            for id in progress.order {
                guard let shard = progress.shards[id], !shard.finished, !pipeline.isStopping else { continue }
                if shard.waiting {
                    guard shard.parents.allSatisfy({ progress.shards[$0]?.finished ?? true }) else { continue }
                    shard.waiting = false
                }
                if shard.iterator == nil {
                    do {
                        let position = shard.position
                        shard.iterator = try blocking { try await client.shardIterator(stream: stream, shard: id, at: position) }
                    } catch AWSError.service(_, _, _, "ResourceNotFoundException", _) {
                        shard.finished = true  // (trimmed away since it was listed)
                        continue
                    }
                }
                let got: KinesisClient.Records
                do {
                    let iterator = shard.iterator!
                    got = try blocking { try await client.records(stream: stream, shard: id, iterator: iterator) }
                } catch AWSError.service(_, _, _, "ExpiredIteratorException", _) {
                    shard.iterator = nil  // a new one, from the last record taken
                    continue
                }
                if !got.records.isEmpty {
                    if shard.stream == 0 { shard.stream = pipeline.openStream(source: source.url, holdsTail: false) }
                    let sequence = got.records.last!.sequenceNumber
                    let bytes = lines(got.records)
                    let checkpoint = FileCheckpoint(path: path(id), source: source.url, dev: 0, ino: 0, offset: startedAt, fingerprint: 0,
                                                    fingerprintLength: 0, sequence: sequence)
                    guard pipeline.buffer.put(stream: shard.stream, bytes: bytes, checkpoint: pipeline.durable == nil ? nil : checkpoint) else { return }
                    pipeline.metrics.update(source.url) { $0.bytes += bytes.count }
                    shard.position = .afterSequenceNumber(sequence)
                    taken += got.records.count
                }
                shard.iterator = got.nextShardIterator
                // A closed shard is read to its end when Kinesis gives no next iterator (or, as
                // some stand-ins for it do, nothing more and no lag).
                if got.nextShardIterator == nil || (shard.closed && got.records.isEmpty && (got.millisBehindLatest ?? 0) == 0) {
                    shard.finished = true
                    if shard.stream != 0 { pipeline.buffer.end(stream: shard.stream); shard.stream = 0 }
                    nextListing = ContinuousClock.now  // its children, if any, can start
                }
            }
            if taken == 0 {
                let until = ContinuousClock.now + KinesisReader.idle
                while ContinuousClock.now < until && !pipeline.isStopping { Thread.sleep(forTimeInterval: 0.05) }
            }
        }
    }

    /// The records' data as lines: gzip unpacked, CloudWatch Logs payloads as a JSON line per event.
    func lines(_ records: [KinesisClient.Record]) -> [UInt8] { KinesisReader.lines(records.map { [UInt8]($0.data) }) }

    /// Records' data as lines (what `kinesis://` parses).
    public static func lines(_ records: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for record in records {
            var data = record
            if data.starts(with: [0x1f, 0x8b]), let decoder = BodyDecoder(contentEncoding: "gzip", maxBytes: 64 << 20) {
                var plain: [UInt8] = []
                if (try? data.withUnsafeBytes { try decoder.feed($0, into: &plain) }) != nil, (try? decoder.finish()) != nil {
                    data = plain
                    // (CloudWatch Logs always compresses what it puts.)
                    if data.first == UInt8(ascii: "{"), let payload = try? JSONDecoder().decode(CloudWatchPayload.self, from: Data(data)) {
                        if payload.messageType == "DATA_MESSAGE" { payload.appendLines(to: &out) }
                        continue
                    }
                }
            }
            if data.isEmpty { continue }
            out += data
            if out.last != ASCII.lf { out.append(ASCII.lf) }
        }
        return out
    }

    /// What a CloudWatch Logs subscription filter puts on a stream (gzip JSON).
    struct CloudWatchPayload: Decodable {
        var messageType: String
        var owner: String?
        var logGroup: String?
        var logStream: String?
        var logEvents: [Event]
        struct Event: Decodable {
            var id: String?
            var timestamp: Int64
            var message: String
        }

        func appendLines(to out: inout [UInt8]) {
            for e in logEvents {
                out += Array(#"{"ts":"#.utf8)
                Archive.appendJSONString(Timestamp.iso8601(e.timestamp * 1_000_000), to: &out)
                out += Array(#","message":"#.utf8)
                Archive.appendJSONString(e.message, to: &out)
                for (key, value) in [("log_group", logGroup), ("log_stream", logStream), ("owner", owner), ("id", e.id)] {
                    guard let value else { continue }
                    out += Array(",\"\(key)\":".utf8)
                    Archive.appendJSONString(value, to: &out)
                }
                out += [UInt8(ascii: "}"), ASCII.lf]
            }
        }
    }
}
