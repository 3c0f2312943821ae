import Crypto
import Foundation
import Scratch
import Testing
@testable import LogdashEngine

/// The S3 client (issue 26) against a real S3-compatible server on loopback (moto_server),
/// cross-checked with boto3: keys that need encoding, listings over several pages, and the
/// errors a user meets — a bucket that does not exist, an endpoint nobody answers.
@Suite(.serialized) struct S3ClientTests {
    @Test func objectsPutAreListedAndReadBackByBoto3AndByTheClient() async throws {
        let moto = try MotoServer()
        _ = try moto.boto3("s3.create_bucket(Bucket='fleet-logs')")
        let client = try S3Client(environment: AWSEnvironment(variables: moto.environment, home: "/nonexistent"))
        let keys = ["archive/dt=2026-12-07/hour=03/part-00000.json.gz", "archive/dt=2026-12-07/hour=03/web 1+é~(a).json.gz",
                    "archive/dt=2026-12-07/hour=04/part-00000.json.gz", "archive/athena.sql", "other/x"]
        for (i, key) in keys.enumerated() {
            try await client.put(Array("object \(i) of \(key)\n".utf8), bucket: "fleet-logs", key: key)
        }
        // Pages of two: the continuation tokens are followed to the end.
        let listed = try await client.list(bucket: "fleet-logs", prefix: "archive/", pageSize: 2)
        #expect(listed.map(\.key) == keys.filter { $0.hasPrefix("archive/") }.sorted())
        #expect(listed.allSatisfy { $0.size > 0 && !$0.etag.isEmpty })
        let back = try await client.get(bucket: "fleet-logs", key: keys[1])
        #expect(String(decoding: back, as: UTF8.self) == "object 1 of \(keys[1])\n")
        // boto3 sees the same keys and bytes.
        let theirs = try moto.boto3("""
            r = s3.get_object(Bucket="fleet-logs", Key=\(Self.python(keys[1])))
            print(r["Body"].read().decode(), end="")
            print(json.dumps(sorted(o["Key"] for o in s3.list_objects_v2(Bucket="fleet-logs")["Contents"]), ensure_ascii=False))
            """)
        #expect(theirs == "object 1 of \(keys[1])\n" + "[" + keys.sorted().map { Self.python($0) }.joined(separator: ", ") + "]\n")
        try await client.delete(bucket: "fleet-logs", key: "other/x")
        #expect(try await client.list(bucket: "fleet-logs", prefix: "other/").isEmpty)
    }

    /// A body over the part size goes up as a multipart upload (issue 26): boto3 reads back the
    /// same bytes, S3's ETag counts the parts, no upload is left open; a small body is one PUT.
    @Test func aLargeBodyIsUploadedInPartsAndReadsBackWhole() async throws {
        let moto = try MotoServer()
        _ = try moto.boto3("s3.create_bucket(Bucket='big-parts')")
        let client = try S3Client(environment: AWSEnvironment(variables: moto.environment, home: "/nonexistent"))
        var rng = SystemRandomNumberGenerator()
        let body = (0..<(11 << 20 + 12345)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        try await client.putLarge(body, bucket: "big-parts", key: "dt=2026-12-07/big.json.gz", partSize: S3Client.minimumPartSize)
        try await client.putLarge(Array("small\n".utf8), bucket: "big-parts", key: "small.txt", partSize: S3Client.minimumPartSize)
        let digest = Insecure.MD5.hash(data: body).map { String(format: "%02x", $0) }.joined()
        let theirs = try moto.boto3("""
            import hashlib
            o = s3.get_object(Bucket="big-parts", Key="dt=2026-12-07/big.json.gz")
            data = o["Body"].read()
            print(len(data), hashlib.md5(data).hexdigest(), o["ETag"].strip('"').split("-")[-1])
            print(s3.get_object(Bucket="big-parts", Key="small.txt")["ETag"].count("-"))
            print(len(s3.list_multipart_uploads(Bucket="big-parts").get("Uploads", [])))
            """)
        #expect(theirs == "\(body.count) \(digest) 3\n0\n0\n", "\(theirs)")
        #expect(try await client.get(bucket: "big-parts", key: "dt=2026-12-07/big.json.gz", limit: 16 << 20) == body)
        // A conditional upload (an export's part number) where an object is: its completion is
        // refused (412), the upload aborted, the object left as it was.
        do {
            try await client.putLarge(Array(body.reversed()), bucket: "big-parts", key: "dt=2026-12-07/big.json.gz", partSize: S3Client.minimumPartSize, ifAbsent: true)
            Issue.record("a conditional multipart upload replaced an object")
        } catch AWSError.service(let op, _, let status, _, _) {
            #expect(op == "CompleteMultipartUpload" && status == 412)
        }
        // The same body again (a retried request whose first try was stored): taken as done.
        try await client.putLarge(body, bucket: "big-parts", key: "dt=2026-12-07/big.json.gz", partSize: S3Client.minimumPartSize, ifAbsent: true)
        try await client.putLarge(Array("small\n".utf8), bucket: "big-parts", key: "small.txt", partSize: S3Client.minimumPartSize, ifAbsent: true)
        do {
            try await client.putLarge(Array("other\n".utf8), bucket: "big-parts", key: "small.txt", partSize: S3Client.minimumPartSize, ifAbsent: true)
            Issue.record("a conditional put replaced an object")
        } catch AWSError.service(_, _, let status, _, _) {
            #expect(status == 412)
        }
        try await client.putLarge(Array(body.reversed()), bucket: "big-parts", key: "dt=2026-12-07/other.json.gz", partSize: S3Client.minimumPartSize, ifAbsent: true)
        #expect(try await client.get(bucket: "big-parts", key: "dt=2026-12-07/big.json.gz", limit: 16 << 20) == body)
        #expect(try await client.get(bucket: "big-parts", key: "dt=2026-12-07/other.json.gz", limit: 16 << 20) == Array(body.reversed()))
        #expect(try moto.boto3("print(len(s3.list_multipart_uploads(Bucket='big-parts').get('Uploads', [])))") == "0\n")
    }

    @Test func aMissingBucketOrAnEndpointNobodyAnswersIsAClearError() async throws {
        let moto = try MotoServer()
        let client = try S3Client(environment: AWSEnvironment(variables: moto.environment, home: "/nonexistent"))
        do {
            try await client.put(Array("x".utf8), bucket: "no-such-bucket", key: "a/b")
            Issue.record("a put into a missing bucket succeeded")
        } catch let e as AWSError {
            guard case .service(let op, let target, let status, let code, _) = e else { Issue.record("\(e)"); return }
            #expect(op == "PutObject" && target == "s3://no-such-bucket/a/b" && status == 404 && code == "NoSuchBucket")
            #expect("\(e)".hasPrefix("aws: PutObject s3://no-such-bucket/a/b: NoSuchBucket (HTTP 404)"), "\(e)")
        }
        let port = MotoServer.freePort()
        var nobody = S3Client(credentials: AWSCredentials(accessKey: "a", secretKey: "b"), region: "us-east-1", endpoint: URL(string: "http://127.0.0.1:\(port)"))
        nobody.attempts = 3
        nobody.backoff = .milliseconds(5)
        let unanswered = nobody
        let started = Date()
        do {
            _ = try await unanswered.list(bucket: "b-1", prefix: "")
            Issue.record("a listing from a closed port succeeded")
        } catch let e as AWSError {
            #expect(e == .transport(operation: "ListObjectsV2", target: "s3://b-1", reason: "127.0.0.1:\(port) refused the connection"))
        }
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func locationsAreParsedAndBadBucketNamesNamed() throws {
        #expect(try S3Location.parse("s3://fleet-logs/archive/prod/") == S3Location(bucket: "fleet-logs", prefix: "archive/prod"))
        #expect(try S3Location.parse("s3://fleet-logs") == S3Location(bucket: "fleet-logs", prefix: ""))
        #expect(try S3Location.parse("/var/log") == nil)
        #expect(throws: AWSError.configuration("'s3://Fleet_Logs/x': 'Fleet_Logs' is not a bucket name (3 to 63 lower-case letters, digits, dots and hyphens)")) {
            try S3Location.parse("s3://Fleet_Logs/x")
        }
        #expect(S3Location(bucket: "b-1", prefix: "a/b").key("dt=1/x") == "a/b/dt=1/x")
    }

    static func python(_ s: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: s, options: [.fragmentsAllowed, .withoutEscapingSlashes]), as: UTF8.self)
    }

    /// Whatever a bucket's keys hold, their cached copies stay under the cache and apart from
    /// the ETags (which are kept in a tree of their own).
    @Test func cachedKeysStayUnderTheCacheAndApartFromTheirTags() {
        let cases = [("a/b.log", "a/b.log"), ("x/../../../.bashrc", "x/%2E%2E/%2E%2E/%2E%2E/.bashrc"), ("./a//b/", "%2E/a/%/b/%"),
                     ("100%/..x", "100%25/..x"), ("/abs", "%/abs")]
        for (key, want) in cases {
            #expect(S3Archive.relative(key) == want, "\(key)")
            let path = S3Archive.cached(key, bucket: "b", cache: "/c")
            #expect(!URL(fileURLWithPath: path).standardized.path.split(separator: "/").contains(".."), "\(path)")
            #expect(URL(fileURLWithPath: path).standardized.path.hasPrefix("/c/b/"), "\(path)")
        }
        #expect(S3Archive.cached("a.log.etag", bucket: "b", cache: "/c") != S3Archive.tag("a.log", bucket: "b", cache: "/c"))
        #expect(S3Archive.tag("a.log", bucket: "b", cache: "/c") == "/c/.etags/b/a.log")
    }

    /// The time an object's key names, for pruning a plain S3 source by --since/--until: AWS's
    /// day folders, an archive's dt=/hour=, CloudFront's and S3 access logs' hours.
    @Test func keysNameTheDayOrHourOfAWSLogLayouts() {
        let day: Int64 = 86_400_000_000_000, hour: Int64 = 3_600_000_000_000
        let d27 = Timestamp.make(year: 2026, month: 11, day: 27, hour: 0, minute: 0, second: 0)!
        let cases: [(String, (Int64, Int64)?)] = [
            ("AWSLogs/1/elasticloadbalancing/us-east-1/2026/11/27/1_elasticloadbalancing_x_20261127T1405Z_ip_x.log.gz", (d27, d27 + day)),
            ("AWSLogs/1/CloudTrail/eu-west-1/2026/11/27/1_CloudTrail_eu-west-1_20261127T1400Z_x.json.gz", (d27, d27 + day)),
            ("fleet/dt=2026-11-27/hour=14/web1-0-000001.json.gz", (d27 + 14 * hour, d27 + 15 * hour)),
            ("fleet/dt=2026-11-27/x.json.gz", (d27, d27 + day)),
            ("cf/E2ABCDEF.2026-11-27-14.abcd1234.gz", (d27 + 14 * hour, d27 + 15 * hour)),
            ("access/2026-11-27-14-05-01-0123456789ABCDEF", (d27 + 14 * hour, d27 + 15 * hour)),
            ("logs/app.log.gz", nil),
            ("logs/2026/13/40/app.log", nil),
        ]
        for (key, want) in cases {
            let got = S3Sources.keyTime(key)
            #expect(got?.0 == want?.0 && got?.1 == want?.1, "\(key)")
        }
        // How much earlier records may be than the key says: an hour for AWS's day folders, a
        // day for CloudFront and S3 access logs (delivered hours late at times).
        #expect(S3Sources.keyTime(cases[0].0)?.late == hour && S3Sources.keyTime(cases[4].0)?.late == day && S3Sources.keyTime(cases[5].0)?.late == day)
    }

    /// Which failed deliveries count against a sink's retry duration: the destination refusing
    /// the object itself; never an outage, throttling, credentials or a place to put right.
    @Test func onlyAnObjectsOwnRefusalCountsAgainstTheRetryDuration() {
        func s3(_ status: Int, _ code: String) -> Error { AWSError.service(operation: "PutObject", target: "s3://b/k", status: status, code: code, message: "") }
        #expect(Sink.refuses(s3(400, "InvalidArgument")) && Sink.refuses(s3(400, "EntityTooLarge")) && Sink.refuses(s3(413, "")))
        #expect(Sink.refuses(DeliveryError("POST …: 400", status: 400)) && Sink.refuses(DeliveryError("POST …: 413", status: 413)))
        for e in [s3(400, "RequestTimeout"), s3(400, "ExpiredToken"), s3(400, "AuthorizationHeaderMalformed"), s3(403, "AccessDenied"),
                  s3(404, "NoSuchBucket"), s3(503, "SlowDown"), s3(500, "InternalError"), s3(429, ""),
                  AWSError.transport(operation: "PutObject", target: "s3://b/k", reason: "refused"),
                  DeliveryError("POST …: 401", status: 401), DeliveryError("POST …: connection refused")] as [Error] {
            #expect(!Sink.refuses(e), "\(e)")
        }
    }

    /// The time a folder's name gives, for leaving it out of a listing: days, hours and months
    /// (December's ends at the next year), and nothing for folders that only look like one.
    @Test func foldersNameTheMonthDayOrHourTheyHold() {
        let hour: Int64 = 3_600_000_000_000
        let d27 = Timestamp.make(year: 2026, month: 11, day: 27, hour: 0, minute: 0, second: 0)!
        let dec1 = Timestamp.make(year: 2026, month: 12, day: 1, hour: 0, minute: 0, second: 0)!
        let jan1 = Timestamp.make(year: 2027, month: 1, day: 1, hour: 0, minute: 0, second: 0)!
        let nov1 = Timestamp.make(year: 2026, month: 11, day: 1, hour: 0, minute: 0, second: 0)!
        let cases: [(String, (Int64, Int64)?)] = [
            ("AWSLogs/1/elasticloadbalancing/us-east-1/2026/11/27/", (d27, d27 + 24 * hour)),
            ("AWSLogs/1/elasticloadbalancing/us-east-1/2026/11/", (nov1, dec1)),
            ("2026/12/", (dec1, jan1)),
            ("fleet/dt=2026-11-27/", (d27, d27 + 24 * hour)),
            ("fleet/dt=2026-11-27/hour=14/", (d27 + 14 * hour, d27 + 15 * hour)),
            ("AWSLogs/1/elasticloadbalancing/us-east-1/2026/", nil),
            ("logs/2026/13/", nil),
            ("logs/2026/11/27/extra/", nil),
            ("AWSLogs/123456789012/", nil),
        ]
        for (folder, want) in cases {
            let got = S3Sources.folderTime(folder)
            #expect(got?.0 == want?.0 && got?.1 == want?.1, "\(folder)")
        }
    }
}
