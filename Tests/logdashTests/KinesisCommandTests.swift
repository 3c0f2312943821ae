import Foundation
import Testing
import Scratch

/// `kinesis://STREAM` as a source of `logdash ingest`, against `moto_server` on loopback with
/// boto3 as the producer: every shard read, a split followed, checkpoints in the store that a
/// kill -9 resumes from, CloudWatch Logs subscription payloads unpacked, throttling waited out.
@Suite struct KinesisCommandTests {
    let cli = CommandLineTests()
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("peers/kinesis_client.py").path

    /// boto3 against the server (kinesis_client.py).
    func producer(_ moto: MotoServer, _ args: [String]) throws {
        let quoted = ([moto.python, Self.script] + args).map { "'\($0)'" }.joined(separator: " ")
        let r = try cli.logdash(["-c", quoted], env: moto.environment, shell: true)
        if r.status != 0 { throw PeerMissing(description: "kinesis_client.py \(args.joined(separator: " ")): \(r.err)") }
    }

    /// `SELECT count(*), count(DISTINCT id)` over the store, as `logdash query --store` reads
    /// it beside the ingest writing it.
    func counts(_ store: String) throws -> (Int, Int)? {
        let r = try cli.logdash(["query", "--store", store, "-o", "csv", "SELECT count(*), count(DISTINCT id) FROM logs"])
        guard r.status == 0, let row = r.out.split(separator: "\n").last else { return nil }
        let v = row.split(separator: ",").compactMap { Int($0) }
        return v.count == 2 ? (v[0], v[1]) : nil
    }

    func waitFor(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let end = Date() + seconds
        while Date() < end {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.5)
        }
        return try condition()
    }

    /// 100,000 records on three shards, one shard split while they are read, the reader killed
    /// (-9) halfway and started again: every record is in the store once.
    @Test func recordsOnEveryShardAndASplitsChildrenAreStoredOnceAcrossAKill9() throws {
        let moto = try MotoServer()
        try producer(moto, ["create", "orders", "3"])
        let store = try Scratch.directory("kinesis-store").path
        let args = ["kinesis://orders?from=trim_horizon", "--store", store, "--stats-interval", "0"]
        let first = try IngestServer(args, name: "kinesis-1", env: moto.environment)
        #expect(first.wait { $0.contains("kinesis://orders: reading 3 open shards (3 in all) from the oldest record") }, "\(first.err)")
        // Half to shards 1 and 2 only (moto, unlike Kinesis, moves a split shard's records into
        // its children: the shard split here is one that holds none yet).
        try producer(moto, ["put", "orders", "0", "50000", "1,2"])
        try producer(moto, ["split", "orders", "shardId-000000000000"])
        // The other half by partition key, over shards 1 and 2 and the split's two children,
        // while the reader is killed halfway through and started again.
        let rest = try Spawned("/bin/sh", ["-c", ([moto.python, Self.script, "put", "orders", "50000", "100000"]).map { "'\($0)'" }.joined(separator: " ")],
                               stdout: "/dev/null", stderr: "/dev/null", environment: moto.environment.merging(["PATH": "/usr/bin:/bin"]) { $1 })
        #expect(try waitFor(seconds: 120) { (try counts(store)?.0 ?? 0) >= 60_000 }, "\(first.err)")
        first.process.signal(SIGKILL)
        first.process.wait()
        // (Killed halfway: the second run has records left to read.)
        let stored = try counts(store)?.0 ?? 0
        #expect(stored >= 60_000 && stored < 100_000, "\(stored)")
        #expect(rest.wait() == 0)
        let second = try IngestServer(args, name: "kinesis-2", env: moto.environment)
        #expect(second.wait { $0.contains("kinesis://orders: reading 4 open shards (5 in all) after the last record stored") }, "\(second.err)")
        #expect(try waitFor(seconds: 120) { (try counts(store)?.0 ?? 0) >= 100_000 }, "\(second.err)")
        Thread.sleep(forTimeInterval: 1.5)  // (anything doubled would arrive by now)
        #expect(second.stop() == 0, "\(second.err)")
        let (n, distinct) = try counts(store) ?? (0, 0)
        #expect(n == 100_000 && distinct == 100_000, "\(n) records, \(distinct) distinct: \(second.err)")
    }

    /// A CloudWatch Logs subscription's payload (gzip JSON) is one record per log event with
    /// its time, log group and stream; its control message is skipped; a plain record beside it
    /// is a line. Throttled reads (ProvisionedThroughputExceededException) are waited out and
    /// said, and nothing is lost.
    @Test func cloudWatchLogsPayloadsAreOneRecordPerEventAndThrottlingIsWaitedOut() throws {
        let moto = try MotoServer()
        try producer(moto, ["create", "cwl", "1"])
        let proxy = try LoopbackScript(python: moto.python, script: URL(fileURLWithPath: Self.script).deletingLastPathComponent().path + "/throttling_proxy.py",
                                       [moto.endpoint, "6"], name: "the throttling proxy")
        let env = moto.environment.merging(["AWS_ENDPOINT_URL_KINESIS": proxy.endpoint]) { $1 }
        let server = try IngestServer(["kinesis://cwl", "--no-store", "--stats-interval", "0",
                                       "--query", "SELECT ts, message, log_group, log_stream, id FROM logs ORDER BY ts, message", "-o", "csv"],
                                      name: "kinesis-cwl", env: env)
        // From the newest record on (the default): what is put once it reads.
        #expect(server.wait { $0.contains("kinesis://cwl: reading 1 open shard (1 in all) from the newest record on") }, "\(server.err)")
        Thread.sleep(forTimeInterval: 1)
        try producer(moto, ["cloudwatch", "cwl"])
        try producer(moto, ["put", "cwl", "0", "2000"])
        let throttled = { (try? String(contentsOf: URL(string: proxy.endpoint + "/throttled")!, encoding: .utf8)) ?? "" }
        #expect(waitFor(seconds: 60) { throttled() == "6" }, "\(server.err)")
        Thread.sleep(forTimeInterval: 3)
        #expect(server.stop() == 0, "\(server.err)")
        #expect(server.err.contains("kinesis://cwl: aws: GetRecords kinesis://cwl/shardId-000000000000: ProvisionedThroughputExceededException (HTTP 400): Rate exceeded for shard; backing off and trying again"), "\(server.err)")
        let lines = server.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 1 + 3 + 1 + 2000, "\(lines.prefix(8))")
        #expect(lines.contains("2026-12-07T10:00:00.000Z,START RequestId: r-0,/aws/lambda/checkout,2026/12/07/[$LATEST]abc,38000000000000000000000000000000000000000000000000"), "\(lines.prefix(8))")
        #expect(lines.contains("2026-12-07T10:00:02.000Z,ERROR payment 2 failed,/aws/lambda/checkout,2026/12/07/[$LATEST]abc,38000000000000000000000000000000000000000000000002"), "\(lines.prefix(8))")
        #expect(lines.contains { $0.contains("plain line from another producer") })
        #expect(!server.out.contains("CONTROL MESSAGE"))
    }

    /// A quiet stream read from its newest record (the default) with a store: what is put
    /// while logdash is stopped is read when it starts again, once — where reading first began
    /// is in the store before any record is.
    @Test func aQuietStreamReadFromItsNewestRecordLosesNothingPutWhileLogdashIsDown() throws {
        let moto = try MotoServer()
        try producer(moto, ["create", "quiet", "2"])
        try producer(moto, ["put", "quiet", "0", "10"])  // before logdash: never read
        let store = try Scratch.directory("kinesis-quiet").path
        let args = ["kinesis://quiet", "--store", store, "--stats-interval", "0"]
        let first = try IngestServer(args, name: "kinesis-q1", env: moto.environment)
        #expect(first.wait { $0.contains("kinesis://quiet: reading 2 open shards (2 in all) from the newest record on") }, "\(first.err)")
        Thread.sleep(forTimeInterval: 1)
        #expect(first.stop() == 0, "\(first.err)")
        try producer(moto, ["put", "quiet", "10", "110"])  // while it is down
        let second = try IngestServer(args, name: "kinesis-q2", env: moto.environment)
        #expect(second.wait { $0.contains("kinesis://quiet: reading 2 open shards (2 in all) after the last record stored") }, "\(second.err)")
        #expect(try waitFor(seconds: 60) { (try counts(store)?.0 ?? 0) >= 100 }, "\(second.err)")
        Thread.sleep(forTimeInterval: 1)
        #expect(second.stop() == 0, "\(second.err)")
        let r = try cli.logdash(["query", "--store", store, "-o", "csv", "SELECT count(*), count(DISTINCT id), min(id) FROM logs"])
        #expect(r.out.split(separator: "\n").last == "100,100,10", "\(r.out) \(r.err)")
    }

    /// A stream that is not there stops the start, naming it; a bad name or position is said
    /// before anything is asked; --no-follow has no end to read to.
    @Test func aMissingStreamOrABadURLIsAClearError() throws {
        let moto = try MotoServer()
        let missing = try cli.logdash(["ingest", "--no-store", "kinesis://nope"], env: moto.environment)
        #expect(missing.status != 0 && missing.err.contains("kinesis://nope: cannot be read: ListShards kinesis://nope: ResourceNotFoundException (HTTP 400)"), "\(missing.err)")
        let name = try cli.logdash(["ingest", "--no-store", "kinesis://bad name"], env: moto.environment)
        #expect(name.status != 0 && name.err.contains("'bad name' is not a stream name"), "\(name.err)")
        let from = try cli.logdash(["ingest", "--no-store", "kinesis://s?from=yesterday"], env: moto.environment)
        #expect(from.status != 0 && from.err.contains("from='yesterday' is not latest, trim_horizon, a time"), "\(from.err)")
        let replay = try cli.logdash(["ingest", "--no-follow", "kinesis://s"], env: moto.environment)
        #expect(replay.status != 0 && replay.err.contains("a stream has no end to read to"), "\(replay.err)")
    }
}
