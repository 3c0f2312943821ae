import Foundation

/// Reads every shard of a Kinesis data stream into the pipeline, as the Kinesis Client Library
/// would: shards listed at start and every 10 s (and at once when one ends), a split's or
/// merge's children read once their parents are read to their end, so that a key's records
/// keep their order. Each shard is a stream of the pipeline whose records carry the shard's
/// checkpoint — the sequence number of the last one — committed with them in the store, so a
/// restart (even after kill -9) goes on after the last record stored.
///
/// Where reading began (`startedAt`) is kept in the store at the first start, as a checkpoint of
/// the stream itself: a shard with no checkpoint of its own — it gave no record yet, or it is a
/// split's child — is read from then, never from the newest record again (what came while
/// logdash was down or could not reach Kinesis would be skipped).
///
/// A record's data is one or more lines; gzip is unpacked (a record that does not unpack is
/// taken as it is), and a CloudWatch Logs subscription's payload (gzip JSON) becomes one JSON
/// line per log event (`ts`, `message`, `log_group`, `log_stream`, `owner`, `id`); its control
/// messages are skipped.
public final class KinesisReader: Sendable {
    let pipeline: Pipeline
    let source: KinesisSource
    /// For listing and iterators (tried again with backoff), and for reading records (tried
    /// once: a shard that is throttled backs off alone, the others go on).
    let client: KinesisClient, reader: KinesisClient

    /// Retries said since the last line about them, and when that was.
    private let retries = Guarded((count: 0, said: ContinuousClock.now - .seconds(60), badGzip: 0, badGzipSaid: ContinuousClock.now - .seconds(60)))

    init(pipeline: Pipeline, source: KinesisSource, client: KinesisClient) {
        self.pipeline = pipeline
        self.source = source
        var client = client
        let (url, report, retries) = (source.url, pipeline.report, retries)
        // Throttling is usual when consumers share a shard: said at most every 30 s, with a count.
        let say: @Sendable (AWSError) -> Void = { failure in
            let line: String? = retries.withLock { r in
                r.count += 1
                guard ContinuousClock.now - r.said >= .seconds(30) else { return nil }
                defer { r.count = 0; r.said = ContinuousClock.now }
                return "\(url): \(failure); backing off and trying again" + (r.count > 1 ? " (\(r.count) retries since the last report)" : "")
            }
            if let line { report(line) }
        }
        client.onRetry = { failure, _, _ in say(failure) }
        self.client = client
        var once = client
        once.attempts = 1
        reader = once
        self.say = say
    }

    private let say: @Sendable (AWSError) -> Void

    /// The least time between two reads of a shard (Kinesis allows five a second), the wait of
    /// a shard that gave nothing, how often the shards are listed, and the most bytes of lines
    /// handed on at once.
    static let pace: Duration = .milliseconds(200)
    static let idle: Duration = .milliseconds(250)
    static let listing: Duration = .seconds(10)
    static let pieceBytes = 4 << 20

    /// A shard as the reader follows it (on the reader's thread only).
    private final class Shard {
        let id: String
        let parents: [String]
        var closed: Bool
        /// Where a new iterator starts: after the last record taken, once one is.
        var position: KinesisClient.Position
        var iterator: String?
        var stream = 0
        var finished = false
        /// Waits for its parents to be read to their end.
        var waiting: Bool
        /// Not read again before this (pace, idle wait, or backoff), and the failures in a row.
        var next = ContinuousClock.now
        var failures = 0

        init(_ s: KinesisClient.Shard, position: KinesisClient.Position, waiting: Bool) {
            id = s.shardId
            parents = s.parents
            closed = s.isClosed
            self.position = position
            self.waiting = waiting
        }
    }

    /// The checkpoint path of a shard; the stream's own is `kinesis://STREAM`.
    func path(_ shard: String) -> String { "kinesis://\(source.stream)/\(shard)" }

    /// Errors that waiting cannot mend (no such stream, access denied, a bad request).
    static func isFinal(_ error: Error) -> Bool {
        guard case AWSError.service(_, _, let status, let code, _) = error else { return false }
        return (400..<500).contains(status) && status != 429 && !KinesisClient.throttling.contains(code)
    }

    /// Lists the stream once before ingest starts: a stream that is not there, or credentials
    /// refused, stop the start with the error; a service that does not answer now is said, and
    /// reading begins when it does.
    func probe() throws {
        var quick = reader
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
    /// buffer as a file's reader does). An outage is waited out; a stream that is gone (or
    /// access refused) is said and asked for again every 30 s.
    func run() {
        let progress = Progress()
        while !pipeline.isStopping {
            do {
                try read(progress)
                return
            } catch where KinesisReader.isFinal(error) {
                // It was there at the start (the probe): deleted, or access taken away since.
                // Said, and tried again every 30 s — a stream made anew is read when it is back.
                pipeline.report("\(source.url): \(error); trying again in 30 s".replacingOccurrences(of: ": aws: ", with: ": "))
                sleep(until: ContinuousClock.now + .seconds(30))
                progress.shards = [:]
                progress.order = []
                progress.listed = false
                progress.resumed = true
            } catch {
                // An outage longer than the retries: said, and reading goes on where each shard stood.
                pipeline.report("\(source.url): \(error); reading again in 5 s from where each shard stood")
                sleep(until: ContinuousClock.now + .seconds(5))
            }
        }
    }

    /// Sleeps until `t` or until the pipeline stops.
    private func sleep(until t: ContinuousClock.Instant) {
        while ContinuousClock.now < t && !pipeline.isStopping { Thread.sleep(forTimeInterval: 0.05) }
    }

    /// Where reading stands, kept across the retries of an outage (so that a run without a
    /// store does not read again what it took).
    private final class Progress {
        var shards: [String: Shard] = [:]
        var order: [String] = []
        /// The stream has been listed once in this run.
        var listed = false
        /// When reading began (ns since the epoch; 0: from the oldest record), and whether an
        /// earlier run began it.
        var startedAt: Int64?
        var resumed = false
    }

    /// Whether sequence number `a` comes before `b` (decimal numbers of any length).
    static func precedes(_ a: String, _ b: String) -> Bool {
        let x = a.drop { $0 == "0" }, y = b.drop { $0 == "0" }
        return x.count != y.count ? x.count < y.count : x < y
    }

    /// Where a shard with no checkpoint of its own starts.
    private static func position(since startedAt: Int64) -> KinesisClient.Position {
        startedAt == 0 ? .trimHorizon : .atTimestamp(Date(timeIntervalSince1970: Double(startedAt) / 1e9))
    }

    private func read(_ progress: Progress) throws {
        let (client, reader, stream) = (self.client, self.reader, source.stream)
        if progress.startedAt == nil { try begin(progress) }
        let startedAt = progress.startedAt!
        // (After an outage, each shard gets a new iterator from where it stands.)
        for shard in progress.shards.values { shard.iterator = nil }
        var nextListing = ContinuousClock.now
        while !pipeline.isStopping {
            if ContinuousClock.now >= nextListing {
                let listed = try blocking { try await client.listShards(stream: stream) }
                discover(listed, progress, startedAt: startedAt)
                nextListing = ContinuousClock.now + KinesisReader.listing
            }
            var soonest = nextListing
            for id in progress.order {
                guard let shard = progress.shards[id], !shard.finished, !pipeline.isStopping else { continue }
                if shard.waiting {
                    guard shard.parents.allSatisfy({ progress.shards[$0]?.finished ?? true }) else { continue }
                    shard.waiting = false
                }
                guard ContinuousClock.now >= shard.next else { soonest = min(soonest, shard.next); continue }
                if shard.iterator == nil {
                    let position = shard.position
                    do {
                        shard.iterator = try blocking { try await client.shardIterator(stream: stream, shard: id, at: position) }
                    } catch AWSError.service(_, _, _, "ResourceNotFoundException", _) {
                        shard.finished = true  // (trimmed away since it was listed)
                        continue
                    } catch let AWSError.service(_, _, _, "InvalidArgumentException", message) where position != KinesisClient.Position.latest {
                        // A checkpoint this stream does not know (it was deleted and made anew).
                        pipeline.report("\(source.url): \(id): the stored position is not this stream's (\(message)); reading it from where this run began")
                        shard.position = KinesisReader.position(since: startedAt)
                        continue
                    }
                    // A shard that was to start at the newest record starts, if its iterator is
                    // ever asked for again, from when reading began — never from a newer record.
                    if position == .latest { shard.position = KinesisReader.position(since: startedAt) }
                }
                let got: KinesisClient.Records
                do {
                    let iterator = shard.iterator!
                    got = try blocking { try await reader.records(stream: stream, shard: id, iterator: iterator) }
                    shard.failures = 0
                } catch AWSError.service(_, _, _, "ExpiredIteratorException", _) {
                    shard.iterator = nil  // a new one, from where it stands
                    continue
                } catch AWSError.service(_, _, _, "ResourceNotFoundException", _) {
                    shard.finished = true
                    nextListing = ContinuousClock.now  // (the stream itself may be gone: the listing says)
                    continue
                } catch where !KinesisReader.isFinal(error) {
                    // Throttled, or the service failing: this shard backs off (exponentially, with
                    // jitter, at most 10 s); the others go on.
                    if let e = error as? AWSError { say(e) }
                    shard.failures += 1
                    let ceiling = min(10.0, 0.25 * Double(1 << min(shard.failures - 1, 6)))
                    shard.next = ContinuousClock.now + .milliseconds(Int(1000 * Double.random(in: ceiling / 2...ceiling)))
                    soonest = min(soonest, shard.next)
                    continue
                }
                if !got.records.isEmpty {
                    guard hand(got.records, of: shard, startedAt: startedAt) else { return }
                }
                shard.iterator = got.nextShardIterator
                // A closed shard is read to its end when Kinesis gives no next iterator (or, as
                // stand-ins such as moto do, nothing more and no lag at all).
                if got.nextShardIterator == nil || (shard.closed && got.records.isEmpty && got.millisBehindLatest == 0) {
                    shard.finished = true
                    if shard.stream != 0 { pipeline.buffer.end(stream: shard.stream); shard.stream = 0 }
                    nextListing = ContinuousClock.now  // its children, if any, can start
                    continue
                }
                shard.next = ContinuousClock.now + (got.records.isEmpty ? KinesisReader.idle : KinesisReader.pace)
                soonest = min(soonest, shard.next)
            }
            sleep(until: soonest)
        }
    }

    /// Where this run begins: the store's checkpoints of the stream, or — the first time — the
    /// position asked for, kept in the store before any record is read.
    private func begin(_ progress: Progress) throws {
        let stream = source.stream
        let saved = (pipeline.durable?.allCheckpoints ?? []).filter {
            $0.sequence != nil && ($0.path == "kinesis://\(stream)" || $0.path.hasPrefix("kinesis://\(stream)/"))
        }
        if let first = saved.map(\.offset).min() {
            progress.startedAt = first
            progress.resumed = true
            return
        }
        let startedAt: Int64
        switch source.start {
        case .trimHorizon: startedAt = 0
        case .atTimestamp(let d): startedAt = Int64(d.timeIntervalSince1970 * 1e9)
        default: startedAt = Int64(Date().timeIntervalSince1970 * 1e9)
        }
        if let durable = pipeline.durable {
            _ = try durable.commit([], checkpoints: [FileCheckpoint(path: "kinesis://\(stream)", source: source.url, dev: 0, ino: 0, offset: startedAt,
                                                                    fingerprint: 0, fingerprintLength: 0, sequence: "")])
        }
        progress.startedAt = startedAt
    }

    /// Adds the shards a listing names that are new, each with where it starts.
    private func discover(_ listed: [KinesisClient.Shard], _ progress: Progress, startedAt: Int64) {
        let stream = source.stream
        var last: [String: String] = [:]
        if progress.resumed || !progress.listed {
            for cp in pipeline.durable?.allCheckpoints ?? [] where cp.sequence?.isEmpty == false && cp.path.hasPrefix("kinesis://\(stream)/") {
                last[String(cp.path.dropFirst("kinesis://\(stream)/".count))] = cp.sequence
            }
        }
        let ids = Set(listed.map(\.shardId))
        for s in listed {
            if let known = progress.shards[s.shardId] {
                known.closed = s.isClosed
                continue
            }
            let lineage = s.parents.contains { ids.contains($0) || progress.shards[$0] != nil }
            let shard: Shard
            if let sequence = last[s.shardId], !KinesisReader.precedes(sequence, s.sequenceNumberRange.startingSequenceNumber) {
                shard = Shard(s, position: .afterSequenceNumber(sequence), waiting: false)
            } else if let sequence = last[s.shardId] {
                // Older than the shard's first record: a checkpoint of a stream deleted and made anew.
                pipeline.report("\(source.url): \(s.shardId): the stored position (\(sequence)) is older than the shard; reading it from where the first run began")
                shard = Shard(s, position: KinesisReader.position(since: startedAt), waiting: false)
            } else if !progress.listed && !progress.resumed {
                // The first listing of a first run: the position asked for.
                switch source.start {
                case .latest:
                    // Only the open shards have records to come.
                    shard = Shard(s, position: .latest, waiting: false)
                    shard.finished = s.isClosed
                case .trimHorizon: shard = Shard(s, position: .trimHorizon, waiting: lineage)
                default: shard = Shard(s, position: source.start, waiting: lineage)
                }
            } else {
                // A split's or merge's child (once its parents are read), or a shard that gave
                // no record yet: from when reading began.
                shard = Shard(s, position: KinesisReader.position(since: startedAt), waiting: lineage)
            }
            progress.shards[s.shardId] = shard
            progress.order.append(s.shardId)
        }
        if !progress.listed {
            let open = listed.filter { !$0.isClosed }.count
            let from: String
            switch source.start {
            case _ where progress.resumed && pipeline.durable != nil: from = "after the last record stored"
            case _ where progress.resumed: from = "from where reading began"
            case .latest: from = "from the newest record on"
            case .trimHorizon: from = "from the oldest record"
            case .atTimestamp(let d): from = "from " + Timestamp.iso8601(Int64(d.timeIntervalSince1970 * 1e9))
            case .afterSequenceNumber: from = ""
            }
            pipeline.report("\(source.url): reading \(open) open shard\(open == 1 ? "" : "s") (\(listed.count) in all) \(from)")
        }
        progress.listed = true
    }

    /// Hands records to the pipeline as lines, a piece of at most `pieceBytes` at a time (a few
    /// records can unpack to far more than they weigh), each with the checkpoint of its last
    /// record. False when the pipeline no longer takes them.
    private func hand(_ records: [KinesisClient.Record], of shard: Shard, startedAt: Int64) -> Bool {
        if shard.stream == 0 { shard.stream = pipeline.openStream(source: source.url, holdsTail: false) }
        var piece: [UInt8] = []
        for (k, r) in records.enumerated() {
            if let why = KinesisReader.append([UInt8](r.data), to: &piece) {
                // Kept as it came (its lines no format may fit: they go to `errors`), and said.
                let count: Int? = retries.withLock { said in
                    said.badGzip += 1
                    guard ContinuousClock.now - said.badGzipSaid >= .seconds(30) else { return nil }
                    defer { said.badGzip = 0; said.badGzipSaid = ContinuousClock.now }
                    return said.badGzip
                }
                if let n = count {
                    pipeline.report("\(source.url): \(shard.id): a record's gzip data does not unpack (\(why)); kept as it came"
                                    + (n > 1 ? " (\(n) such records since the last report)" : ""))
                }
            }
            guard piece.count >= KinesisReader.pieceBytes || k == records.count - 1 else { continue }
            let checkpoint = FileCheckpoint(path: path(shard.id), source: source.url, dev: 0, ino: 0, offset: startedAt, fingerprint: 0,
                                            fingerprintLength: 0, sequence: r.sequenceNumber)
            guard pipeline.buffer.put(stream: shard.stream, bytes: piece, checkpoint: pipeline.durable == nil ? nil : checkpoint) else { return false }
            let n = piece.count
            pipeline.metrics.update(source.url) { $0.bytes += n }
            shard.position = .afterSequenceNumber(r.sequenceNumber)
            piece = []
        }
        return true
    }

    /// Records' data as lines (what `kinesis://` parses).
    public static func lines(_ records: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for data in records { append(data, to: &out) }
        return out
    }

    /// A CloudWatch Logs payload's events as lines (its JSON unpacked); nothing when it is not one.
    public static func cloudWatchLines(_ json: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        _ = CloudWatchPayload.append(json, to: &out)
        return out
    }

    /// A record's data as lines: gzip unpacked (at most 64 MiB, and at most 100 times its size
    /// once past 1 MiB), a CloudWatch Logs payload as a JSON line per event.
    /// Returns why gzip data did not unpack (it is then taken as it came), else nil.
    @discardableResult
    static func append(_ record: [UInt8], to out: inout [UInt8]) -> String? {
        var data = record
        var failure: String?
        if data.starts(with: [0x1f, 0x8b]), let decoder = BodyDecoder(contentEncoding: "gzip", maxBytes: 64 << 20) {
            var plain: [UInt8] = []
            do {
                try data.withUnsafeBytes { try decoder.feed($0, into: &plain) }
                try decoder.finish()
                data = plain
                // (CloudWatch Logs always compresses what it puts.)
                if CloudWatchPayload.append(data, to: &out) { return nil }
            } catch BodyDecoder.Failure.corrupt(let why), BodyDecoder.Failure.tooLarge(let why) {
                failure = why
            } catch {
                failure = "\(error)"
            }
        }
        if data.isEmpty { return failure }
        out += data
        if out.last != ASCII.lf { out.append(ASCII.lf) }
        return failure
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
            /// (An event without a usable time or message keeps the rest.)
            var timestamp: Int64?
            var message: String
            enum CodingKeys: String, CodingKey { case id, timestamp, message }
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                id = try? c.decodeIfPresent(String.self, forKey: .id)
                timestamp = try? c.decodeIfPresent(Int64.self, forKey: .timestamp)
                message = (try? c.decodeIfPresent(String.self, forKey: .message)) ?? ""
            }
        }

        /// A payload's events as JSON lines (none for a control message); false when `data` is
        /// not such a payload.
        static func append(_ data: [UInt8], to out: inout [UInt8]) -> Bool {
            guard data.first == UInt8(ascii: "{"), let payload = try? JSONDecoder().decode(CloudWatchPayload.self, from: Data(data)) else { return false }
            guard payload.messageType == "DATA_MESSAGE" else { return true }
            for e in payload.logEvents {
                JSONObjectWriter.write(into: &out, line: true) { o in
                    // (A time past what nanoseconds can hold is left out, not trapped on.)
                    if let (nanos, overflow) = e.timestamp?.multipliedReportingOverflow(by: 1_000_000), !overflow {
                        o.string("ts", Timestamp.iso8601(nanos))
                    }
                    o.string("message", e.message)
                    for (key, value) in [("log_group", payload.logGroup), ("log_stream", payload.logStream), ("owner", payload.owner), ("id", e.id)] {
                        if let value { o.string(key, value) }
                    }
                }
            }
            return true
        }
    }
}
