import Foundation
import Scratch
import Testing

/// `logdash export --to s3://…` (issue 26) against a real S3-compatible server on loopback
/// (moto_server), read back with boto3: the archive's layout, parts added after those already
/// there, athena.sql pointing at the bucket, and the errors a user meets.
@Suite(.serialized) struct S3CommandTests {
    let cli = CommandLineTests()

    @Test func exportToABucketWritesTheArchiveLayoutAndAddsPartsAfterThoseThere() throws {
        let moto = try MotoServer()
        _ = try moto.boto3("s3.create_bucket(Bucket='fleet-logs')")
        let log = try ExportCommandTests.generated(3000)
        for _ in 0..<2 {
            let r = try cli.logdash(["export", log, "--to", "s3://fleet-logs/archive/prod"], env: moto.environment)
            #expect(r.status == 0, "\(r.err)")
            #expect(r.err.contains("3000 records in ") && r.err.contains("s3://fleet-logs/archive/prod/athena.sql creates the Athena table"), "\(r.err)")
        }
        // Every part, read back by boto3: the partitions of the data's three hours, twice each.
        let listing = try moto.boto3("""
            import gzip
            for o in s3.list_objects_v2(Bucket="fleet-logs", Prefix="archive/prod/")["Contents"]:
                body = s3.get_object(Bucket="fleet-logs", Key=o["Key"])["Body"].read()
                lines = gzip.decompress(body).decode().splitlines() if o["Key"].endswith(".gz") else []
                print(o["Key"], len(lines))
            ddl = s3.get_object(Bucket="fleet-logs", Key="archive/prod/athena.sql")["Body"].read().decode()
            print("LOCATION 's3://fleet-logs/archive/prod/'" in ddl, "s3://fleet-logs/archive/prod/dt=${dt}/hour=${hour}/" in ddl)
            """).split(separator: "\n").map(String.init)
        let parts = listing.filter { $0.contains(".json.gz") }
        #expect(parts.count % 2 == 0 && parts.count >= 4, "\(listing)")
        #expect(parts.filter { $0.contains("/part-00000.json.gz") }.count == parts.count / 2)
        #expect(parts.filter { $0.contains("/part-00001.json.gz") }.count == parts.count / 2)
        #expect(parts.reduce(0) { $0 + Int($1.split(separator: " ")[1])! } == 6000, "\(parts)")
        #expect(listing.last == "True True", "\(listing)")
        // Each record in the hour its key names.
        let misplaced = try moto.boto3("""
            import gzip
            bad = 0
            for o in s3.list_objects_v2(Bucket="fleet-logs", Prefix="archive/prod/dt=")["Contents"]:
                dt, hour = o["Key"].split("dt=")[1].split("/")[0], o["Key"].split("hour=")[1].split("/")[0]
                for l in gzip.decompress(s3.get_object(Bucket="fleet-logs", Key=o["Key"])["Body"].read()).decode().splitlines():
                    ts = json.loads(l)["ts"]
                    bad += ts[:10] != dt or ts[11:13] != hour
            print(bad)
            """)
        #expect(misplaced == "0\n")
    }

    @Test func aMissingBucketNoCredentialsOrABadBucketNameIsAClearError() throws {
        let moto = try MotoServer()
        let log = try cli.temp("app.log", "{\"ts\":\"2026-12-07T03:00:00Z\",\"msg\":\"hi\"}\n")
        let r = try cli.logdash(["export", log, "--to", "s3://no-such-bucket/x"], env: moto.environment)
        #expect(r.status != 0)
        #expect(r.err.contains("aws: ListObjectsV2 s3://no-such-bucket/x/: NoSuchBucket (HTTP 404): The specified bucket does not exist"), "\(r.err)")
        let home = try Scratch.directory("no-aws-home").path
        var bare = moto.environment
        bare["AWS_ACCESS_KEY_ID"] = ""
        bare["AWS_SECRET_ACCESS_KEY"] = ""
        bare["HOME"] = home
        let n = try cli.logdash(["export", log, "--to", "s3://fleet-logs/x"], env: bare)
        #expect(n.status != 0)
        #expect(n.err.contains("aws: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile 'default' keys in \(home)/.aws/credentials"), "\(n.err)")
        let b = try cli.logdash(["export", log, "--to", "s3://Bad_Bucket/x"], env: moto.environment)
        #expect(b.status != 0 && b.err.contains("'Bad_Bucket' is not a bucket name"), "\(b.err)")
        // Nobody at the endpoint: each retry said, then the failure.
        var closed = moto.environment
        let port = MotoServer.freePort()
        closed["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:\(port)"
        let c = try cli.logdash(["query", "--archive", "s3://fleet-logs/x", "SELECT count(*) FROM logs"], env: closed)
        #expect(c.status != 0)
        #expect(c.err.contains("logdash: aws: ListObjectsV2 s3://fleet-logs/x/: 127.0.0.1:\(port) refused the connection; trying again (2 of 4)")
                && c.err.hasSuffix("logdash: aws: ListObjectsV2 s3://fleet-logs/x/: 127.0.0.1:\(port) refused the connection\n"), "\(c.err)")
    }

    /// Machines exporting to one prefix at the same moment each get their own part numbers
    /// (conditional writes): every record of both is there.
    @Test func exportsRunningAtOnceToOnePrefixLoseNothing() throws {
        let moto = try MotoServer()
        _ = try moto.boto3("s3.create_bucket(Bucket='fleet-logs')")
        let one = try ExportCommandTests.generated(3000)
        let two = try Scratch.directory("other-host").appendingPathComponent("db-1.json.log").path
        try FileManager.default.copyItem(atPath: one, toPath: two)
        var env = moto.environment
        env["XDG_CACHE_HOME"] = try Scratch.directory("cache").path
        // (Spawned, not Process: the shell's `wait` needs SIGCHLD, which test threads block.)
        let script = "'\(CommandLineTests.binary)' export '\(one)' --to s3://fleet-logs/race & '\(CommandLineTests.binary)' export '\(two)' --to s3://fleet-logs/race & wait"
        let full = ProcessInfo.processInfo.environment.merging(env) { $1 }
        #expect(try Spawned("/bin/sh", ["-c", script], environment: full).wait() == 0)
        let q = try cli.logdash(["query", "--archive", "s3://fleet-logs/race", "-o", "csv", "SELECT source, count(*) FROM logs GROUP BY 1 ORDER BY 1"], env: env)
        #expect(q.out == "source,count\n\(one),3000\n\(two),3000\n", "\(q.out) \(q.err)")
    }

    /// Athena's side: `query --archive s3://…` reads what two machines exported to one prefix as
    /// one table (each record's `source` kept), the same answers as the files themselves; hours
    /// outside --since/--until are not fetched; a second query reads the cache, and an object
    /// replaced in the bucket (a new ETag) is fetched again.
    @Test func queryReadsABucketsArchiveBackAsOneTablePrunedByHourAndCached() throws {
        let moto = try MotoServer()
        _ = try moto.boto3("s3.create_bucket(Bucket='fleet-logs')")
        let one = try ExportCommandTests.generated(2000)
        let dir = try Scratch.directory("second-host")
        let two = dir.appendingPathComponent("web-2.json.log").path
        try FileManager.default.copyItem(atPath: one, toPath: two)
        var env = moto.environment
        env["XDG_CACHE_HOME"] = try Scratch.directory("cache").path
        for file in [one, two] {
            let r = try cli.logdash(["export", file, "--to", "s3://fleet-logs/fleet"], env: env)
            #expect(r.status == 0, "\(r.err)")
        }
        let sql = "SELECT count(*), sum(bytes), count(DISTINCT trace_id) FROM logs"
        let direct = try cli.logdash(["query", "-o", "csv", sql, one])
        let q = try cli.logdash(["query", "--archive", "s3://fleet-logs/fleet", "-o", "csv", "SELECT source, count(*), sum(bytes) FROM logs GROUP BY 1 ORDER BY 1"], env: env)
        #expect(q.status == 0, "\(q.err)")
        let counts = direct.out.split(separator: "\n")[1].split(separator: ",")
        #expect(q.out == "source,count,sum\n\(one),\(counts[0]),\(counts[1])\n\(two),\(counts[0]),\(counts[1])\n", "\(q.out)\n\(direct.out)")
        let fetchedAll = try #require(q.err.split(separator: "\n").first { $0.contains("part objects") })
        let objects = Int(fetchedAll.split(separator: " ")[2])!
        #expect(fetchedAll.contains(", \(objects) fetched (") && fetchedAll.hasSuffix(", 0 from the cache"), "\(fetchedAll)")
        // Again: everything from the cache, the same answer.
        let again = try cli.logdash(["query", "--archive", "s3://fleet-logs/fleet", "-o", "csv", "SELECT source, count(*), sum(bytes) FROM logs GROUP BY 1 ORDER BY 1"], env: env)
        #expect(again.out == q.out && again.err.contains(", 0 fetched (0 bytes), \(objects) from the cache"), "\(again.err)")
        // An hour and a half: two hours' parts of each machine, no more.
        let window = ["--since", "2026-11-27T02:00:00Z", "--until", "2026-11-27T03:30:00Z"]
        let some = try cli.logdash(["query", "--archive", "s3://fleet-logs/fleet"] + window + ["-o", "csv", "SELECT count(*) FROM logs"], env: env)
        let someDirect = try cli.logdash(["query"] + window + ["-o", "csv", "SELECT count(*) * 2 FROM logs", one])
        #expect(some.out.split(separator: "\n").last == someDirect.out.split(separator: "\n").last, "\(some.out) \(someDirect.out)")
        #expect(some.err.contains("s3://fleet-logs/fleet: 4 part objects"), "\(some.err)")
        // A part replaced in the bucket is fetched anew.
        let key = try moto.boto3("""
            k = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="fleet-logs", Prefix="fleet/dt=")["Contents"])[0]
            import gzip
            s3.put_object(Bucket="fleet-logs", Key=k, Body=gzip.compress(b'{"ts":"2026-11-27T00:00:01Z","bytes":1,"_source":"replaced"}\\n'))
            print(k)
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        let after = try cli.logdash(["query", "--archive", "s3://fleet-logs/fleet", "-o", "csv", "SELECT count(*) FROM logs WHERE source = 'replaced'"], env: env)
        #expect(after.out == "count\n1\n" && after.err.contains(", 1 fetched ("), "\(key): \(after.out) \(after.err)")
    }

    /// Any S3 prefix is a plain source (issue 26): ALB access logs under AWS's own key layout,
    /// gzip objects uploaded with boto3, read straight from the bucket by format detection; a
    /// time range leaves out the objects whose keys name days outside it; objects come from the
    /// cache the second time; records are named by their objects' s3:// URLs.
    @Test func anS3PrefixOfALBLogsIsASourcePrunedByTheDatesInItsKeys() throws {
        let moto = try MotoServer()
        let prefix = "AWSLogs/123456789012/elasticloadbalancing/us-east-1"
        _ = try moto.boto3("""
            import gzip
            s3.create_bucket(Bucket="alb-logs")
            def line(day, i):
                ts = "2026-11-%02dT%02d:%02d:%02d.%06dZ" % (day, 1 + i % 20, i % 60, i % 60, i)
                status = 503 if i % 10 == 0 else 200
                return ('https %s app/my-lb/50dc6c495c0c9188 10.0.0.%d:51234 10.0.1.9:80 0.000 0.001 0.000 %d %d 34 366 '
                        '"GET https://shop.example.com:443/p/%d HTTP/1.1" "curl/8.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 '
                        'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/73e2d6bc24d8a067 "Root=1-5833-%d" '
                        '"shop.example.com" "-" 0 %s "forward" "-" "-" "10.0.1.9:80" "%d" "-" "-"') % (ts, i % 250, status, status, i, i, ts, status)
            for day in (26, 27, 28):
                for k in range(2):
                    key = "\(prefix)/2026/11/%02d/123456789012_elasticloadbalancing_us-east-1_app.my-lb.50dc6c495c0c9188_202611%02dT%02d05Z_10.0.0.1_x%d.log.gz" % (day, day, 10 + k, k)
                    body = "\\n".join(line(day, k * 100 + i) for i in range(100)) + "\\n"
                    s3.put_object(Bucket="alb-logs", Key=key, Body=gzip.compress(body.encode()))
            """)
        var env = moto.environment
        env["XDG_CACHE_HOME"] = try Scratch.directory("alb-cache").path
        let all = try cli.logdash(["query", "SELECT count(*), count(DISTINCT source), count_if(status = 503) FROM logs",
                                   "s3://alb-logs/\(prefix)", "-o", "csv"], env: env)
        #expect(all.status == 0 && all.out == "count,count,count_if\n600,6,60\n", "\(all.out) \(all.err)")
        #expect(all.err.contains("s3://alb-logs/\(prefix): 6 objects, 6 fetched ("), "\(all.err)")
        // The 27th's records: the 26th's folder is left out by its name, not listed (the 28th's
        // too, an hour past --until); the 27th's objects come from the cache now.
        for _ in 0..<2 {
            let day = try cli.logdash(["query", "--since", "2026-11-27T00:00:00Z", "--until", "2026-11-27T22:00:00Z",
                                       "SELECT count(*), min(ts), max(ts), min(source) FROM logs", "s3://alb-logs/\(prefix)", "-o", "csv"],
                                      env: env)
            #expect(day.status == 0 && day.out.hasPrefix("count,min,max,min\n200,2026-11-27T01:00:00.000Z,2026-11-27T20:"), "\(day.out) \(day.err)")
            #expect(day.out.contains(",s3://alb-logs/\(prefix)/2026/11/27/123456789012_elasticloadbalancing_"), "\(day.out)")
            #expect(day.err.contains(": 2 objects (2 folders outside the time range not listed), " + "0 fetched (0 bytes), 2 from the cache"),
                    "\(day.err)")
        }
        // The format was detected (ALB's fields), and a prefix with nothing under it is said.
        let fields = try cli.logdash(["query", "SELECT elb, count(*) FROM logs GROUP BY elb", "s3://alb-logs/\(prefix)/2026/11/28", "-o", "csv"],
                                     env: env)
        #expect(fields.out == "elb,count\napp/my-lb/50dc6c495c0c9188,200\n", "\(fields.out) \(fields.err)")
        let none = try cli.logdash(["query", "SELECT count(*) FROM logs", "s3://alb-logs/\(prefix)/2025"], env: env)
        #expect(none.status != 0 && none.err.contains("s3://alb-logs/\(prefix)/2025: no objects"), "\(none.err)")
        // Followed, it is not: said.
        let follow = try cli.logdash(["ingest", "s3://alb-logs/\(prefix)"], env: env)
        #expect(follow.status != 0 && follow.err.contains("an S3 prefix is read, not followed"), "\(follow.err)")
    }
}
