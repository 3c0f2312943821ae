import Foundation
import Scratch
import Testing
@testable import LogdashEngine

/// The AWS client core's signer (issue 26) against botocore's: for every request of a table —
/// S3 and other services, encoded paths and query strings, repeated and untidy headers, bodies,
/// unsigned payloads, session tokens, ports — the headers it adds, `Authorization` above all,
/// must be byte for byte what botocore adds at the same instant.
@Suite struct SigV4Tests {
    struct Case {
        var service = "s3"
        var region = "us-east-1"
        var method = "GET"
        var url: String
        var headers: [(String, String)] = []
        var body = ""
        var unsigned = false
        var token = ""
        var access = "AKIDEXAMPLE"
        var secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        var timestamp = "20261207T033015Z"
    }

    static let cases: [Case] = [
        Case(url: "http://127.0.0.1:5000/logs/dt%3D2026-12-07/hour%3D03/web-1%20a.json.gz"),
        Case(url: "http://127.0.0.1:5000/logs?list-type=2&prefix=fleet%2Fdt%3D2026-12-07%2F&delimiter=%2F&continuation-token=ab%2B%2F%3D%3D"),
        Case(method: "PUT", url: "http://localhost:9000/bucket/a/b.json.gz", headers: [("Content-Type", "application/gzip")],
             body: "{\"ts\":\"2026-12-07T03:30:00Z\",\"msg\":\"hello\"}\n", token: "FQoGZXIvYXdzEJr//////////wEaDOPtoken+with/odd=chars"),
        Case(method: "PUT", url: "https://bucket.s3.eu-west-1.amazonaws.com/fleet/part-00001.json.gz", headers: [("Content-Length", "1048576")],
             unsigned: true),
        Case(service: "kinesis", region: "eu-west-1", method: "POST", url: "https://kinesis.eu-west-1.amazonaws.com/",
             headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "Kinesis_20131202.GetRecords")],
             body: "{\"ShardIterator\":\"AAAAAAAAAAH\",\"Limit\":10000}"),
        Case(service: "kinesis", method: "POST", url: "http://127.0.0.1:4566/a/./b/../c//d%20e/", body: ""),
        Case(url: "https://s3.amazonaws.com:443/b/k?b=2&a=&a=1&c&versionId=3%2F4",
             headers: [("X-Amz-Meta-Tag", "  one   two "), ("x-amz-meta-tag", "three"), ("User-Agent", "logdash/1.0"), ("Expect", "100-continue"),
                       ("X-Amz-Date", "19990101T000000Z")]),
        Case(url: "http://[::1]:9000/b/caf%C3%A9/%E2%9C%93?uploads", token: "short"),
        Case(method: "POST", url: "http://127.0.0.1:5000/b/big.json.gz?uploadId=2~xyz&partNumber=7", body: String(repeating: "x", count: 70000)),
        Case(service: "sts", region: "us-west-2", method: "POST", url: "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
             timestamp: "20270101T000000Z"),
    ]

    func logdashHeaders(_ c: Case) throws -> [[String]] {
        let signer = SigV4Signer(credentials: AWSCredentials(accessKey: c.access, secretKey: c.secret, sessionToken: c.token.isEmpty ? nil : c.token),
                                 region: c.region, service: c.service)
        let date = try #require(DateFormatter.sigV4.date(from: c.timestamp))
        let payload: SigV4Signer.Payload = c.unsigned ? .unsigned : .bytes(Array(c.body.utf8))
        let out = signer.sign(method: c.method, url: try #require(URL(string: c.url)), headers: c.headers, payload: payload, at: date)
        let mine = ["X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256", "Authorization"]
        return mine.compactMap { name in out.first { $0.0 == name }.map { [$0.0, $0.1] } }
    }

    @Test func everyHeaderTheSignerAddsIsBotocoresByteForByte() throws {
        guard let python = PythonWith.find(module: "botocore", venv: "/tmp/logdash-aws", variable: "LOGDASH_AWS_PYTHON") else {
            Issue.record("no Python with botocore: .ci/run installs it in /tmp/logdash-aws (or set LOGDASH_AWS_PYTHON)")
            return
        }
        let dir = try Scratch.directory("sigv4")
        let list = dir.appendingPathComponent("cases.json")
        let json: [[String: Any]] = Self.cases.map { c in
            ["service": c.service, "region": c.region, "method": c.method, "url": c.url, "headers": c.headers.map { [$0.0, $0.1] },
             "body": c.body, "unsigned": c.unsigned, "token": c.token, "access": c.access, "secret": c.secret, "timestamp": c.timestamp]
        }
        try JSONSerialization.data(withJSONObject: json).write(to: list)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("botocore_sign.py")
        let r = try run(python, [script.path, list.path])
        #expect(r.status == 0, "\(r.err)")
        let lines = String(decoding: r.out, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == Self.cases.count)
        for (c, line) in zip(Self.cases, lines) {
            let theirs = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [[String]])
            #expect(try logdashHeaders(c) == theirs, "\(c.method) \(c.url)")
        }
    }

    /// The published example of AWS's SigV4 documentation (IAM ListUsers, 2015-08-30), whose
    /// signature the documentation prints: the signer agrees without botocore too.
    @Test func theDocumentationsExampleGivesItsSignature() throws {
        let signer = SigV4Signer(credentials: AWSCredentials(accessKey: "AKIDEXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                                 region: "us-east-1", service: "iam")
        let out = signer.sign(method: "GET", url: URL(string: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08")!,
                              headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], payload: .bytes([]),
                              at: DateFormatter.sigV4.date(from: "20150830T123600Z")!)
        #expect(out.last?.1 == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    }

    @Test func credentialsComeFromTheEnvironmentThenTheProfileFiles() throws {
        let dir = try Scratch.directory("aws-home")
        try FileManager.default.createDirectory(atPath: dir.path + "/.aws", withIntermediateDirectories: true)
        try """
            # keys
            [default]
            aws_access_key_id = AKIDDEFAULT
            aws_secret_access_key = secretdefault

            [work]
            aws_access_key_id=AKIDWORK
            aws_secret_access_key=secretwork
            aws_session_token = tokenwork
            """.write(toFile: dir.path + "/.aws/credentials", atomically: true, encoding: .utf8)
        try """
            [default]
            region = eu-central-1
            [profile ops]
            region = ap-south-1
            endpoint_url = http://127.0.0.1:9000
            aws_access_key_id = AKIDOPS
            aws_secret_access_key = secretops
            s3 =
              addressing_style = path
            """.write(toFile: dir.path + "/.aws/config", atomically: true, encoding: .utf8)
        let home = dir.path
        func env(_ v: [String: String]) -> AWSEnvironment { AWSEnvironment(variables: v, home: home) }

        let fromEnv = try env(["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t", "AWS_PROFILE": "work"]).credentials()
        #expect(fromEnv == AWSCredentials(accessKey: "AKIDENV", secretKey: "s", sessionToken: "t", origin: "environment"))
        #expect(try env([:]).credentials().accessKey == "AKIDDEFAULT")
        #expect(try env([:]).region() == "eu-central-1")
        let work = try env(["AWS_PROFILE": "work"]).credentials()
        #expect(work.accessKey == "AKIDWORK" && work.sessionToken == "tokenwork" && work.origin == "profile work in \(home)/.aws/credentials")
        let ops = env(["AWS_PROFILE": "ops"])
        #expect(try ops.credentials().accessKey == "AKIDOPS")
        #expect(try ops.region() == "ap-south-1")
        #expect(try ops.endpoint(for: "s3") == "http://127.0.0.1:9000")
        #expect(try env(["AWS_PROFILE": "ops", "AWS_ENDPOINT_URL_S3": "http://s3.local", "AWS_ENDPOINT_URL": "http://all.local"]).endpoint(for: "s3") == "http://s3.local")
        #expect(try env(["AWS_ENDPOINT_URL": "http://all.local"]).endpoint(for: "kinesis") == "http://all.local")
        #expect(try env(["AWS_REGION": "us-west-1", "AWS_DEFAULT_REGION": "us-west-2"]).region() == "us-west-1")

        #expect(throws: AWSError.configuration("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile 'nope' keys in \(home)/.aws/credentials (AWS_PROFILE chooses the profile)")) {
            try env(["AWS_PROFILE": "nope", "AWS_EC2_METADATA_DISABLED": "true"]).credentials()
        }
        #expect(throws: AWSError.configuration("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")) {
            try env(["AWS_ACCESS_KEY_ID": "x"]).credentials()
        }
        try "[default\naws_access_key_id = x\n".write(toFile: dir.path + "/bad", atomically: true, encoding: .utf8)
        #expect(throws: AWSError.configuration("\(home)/bad:1: '[default' is not a [section]")) {
            try env(["AWS_SHARED_CREDENTIALS_FILE": home + "/bad"]).credentials()
        }
    }
}

extension DateFormatter {
    /// SigV4's `YYYYMMDDTHHMMSSZ`, UTC.
    static let sigV4: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f
    }()
}
