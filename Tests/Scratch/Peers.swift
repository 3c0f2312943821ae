import Foundation

/// A Python that can import `module`: the one `variable` names, else the venv `.ci/run`
/// makes, else the system's.
public enum PythonWith {
    public static func find(module: String, venv: String, variable: String) -> String? {
        let env = ProcessInfo.processInfo.environment[variable]
        for python in [env, venv + "/bin/python", "/usr/bin/python3"].compactMap({ $0 }) where FileManager.default.isExecutableFile(atPath: python) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = ["-c", "import \(module)"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { continue }
            p.waitUntilExit()
            if p.terminationStatus == 0 { return python }
        }
        return nil
    }
}

public struct PeerMissing: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// An S3- and Kinesis-compatible server for a test: `moto_server` (PyPI `moto[server]`, which `.ci/run`
/// installs in /tmp/logdash-aws) on a free port of 127.0.0.1, started here and stopped when
/// the value goes away. It keeps its buckets and streams in memory and takes any credentials.
public final class MotoServer: @unchecked Sendable {
    public let port: Int
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    /// The venv's Python (with boto3), for reading back what a test wrote.
    public let python: String
    private let server: LoopbackServer

    /// The environment a client of this server needs (the AWS SDKs' variables).
    public var environment: [String: String] {
        ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": endpoint,
         "AWS_ENDPOINT_URL_KINESIS": endpoint]
    }

    public init() throws {
        guard let python = PythonWith.find(module: "moto.server", venv: "/tmp/logdash-aws", variable: "LOGDASH_AWS_PYTHON"),
              FileManager.default.isExecutableFile(atPath: URL(fileURLWithPath: python).deletingLastPathComponent().path + "/moto_server") else {
            throw PeerMissing(description: "no moto_server: .ci/run installs moto[server] and boto3 in /tmp/logdash-aws (or set LOGDASH_AWS_PYTHON)")
        }
        self.python = python
        port = MotoServer.freePort()
        server = try LoopbackServer(URL(fileURLWithPath: python).deletingLastPathComponent().path + "/moto_server",
                                    ["-H", "127.0.0.1", "-p", String(port)], port: port, name: "moto_server", wait: 30)
    }

    public func stop() { server.stop() }

    /// Stops the server where it is (SIGSTOP: its buckets stay in memory) and lets it go on.
    public func pause() { server.signal(SIGSTOP) }
    public func resume() { server.signal(SIGCONT) }

    /// Runs Python with `s3`, a boto3 client of this server, defined; gives what it prints.
    public func boto3(_ code: String) throws -> String {
        let script = """
            import boto3, json, sys
            s3 = boto3.client("s3", endpoint_url="\(endpoint)", aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")

            """ + code
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", script]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("boto3-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: try Data(contentsOf: out), as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw PeerMissing(description: "boto3 failed: " + String(decoding: try Data(contentsOf: err), as: UTF8.self))
        }
        return text
    }

    /// A port nobody listens on now (bound to 0 and let go).
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    public static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }
}

/// An EC2 instance metadata service on loopback that speaks IMDSv2's token flow as AWS
/// documents it: `PUT /latest/api/token` (with `X-aws-ec2-metadata-token-ttl-seconds`) gives a
/// token, and every `GET` without a token it gave is refused with 401; the role
/// `logdash-role`'s credentials are `ASIA<n>` / `secret-<n>` / `session-<n>`, n counting the
/// times they were asked for, expiring `expiresIn` seconds after.
public final class LoopbackIMDS: @unchecked Sendable {
    public let port: Int
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    private let server: LoopbackServer

    public init(expiresIn: Int = 21600) throws {
        port = MotoServer.freePort()
        let script = """
            import http.server, json, sys, datetime
            tokens, asked = set(), [0]
            class H(http.server.BaseHTTPRequestHandler):
                def log_message(self, *a): pass
                def answer(self, code, body):
                    b = body.encode()
                    self.send_response(code); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
                def do_PUT(self):
                    if self.path != "/latest/api/token" or not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                        return self.answer(400, "")
                    t = "token-%d" % (len(tokens) + 1); tokens.add(t); self.answer(200, t)
                def do_GET(self):
                    if self.headers.get("X-aws-ec2-metadata-token") not in tokens: return self.answer(401, "")
                    base = "/latest/meta-data/iam/security-credentials/"
                    if self.path == base: return self.answer(200, "logdash-role")
                    if self.path == base + "logdash-role":
                        asked[0] += 1; n = asked[0]
                        exp = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=\(expiresIn))).strftime("%Y-%m-%dT%H:%M:%SZ")
                        return self.answer(200, json.dumps({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIA%d" % n,
                                                            "SecretAccessKey": "secret-%d" % n, "Token": "session-%d" % n, "Expiration": exp}))
                    self.answer(404, "")
            http.server.HTTPServer(("127.0.0.1", \(port)), H).serve_forever()
            """
        server = try LoopbackServer("/usr/bin/python3", ["-c", script], port: port, name: "the loopback metadata service", wait: 20)
    }
}

/// A peer script (`python`, its arguments) serving on a free loopback port it is given as its
/// first argument, started here and stopped when the value goes away.
public final class LoopbackScript: @unchecked Sendable {
    public let port: Int
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    private let server: LoopbackServer

    public init(python: String, script: String, _ arguments: [String], name: String) throws {
        port = MotoServer.freePort()
        server = try LoopbackServer(python, [script, String(port)] + arguments, port: port, name: name, wait: 20)
    }
}

/// A server process a test starts on a loopback port: ready once it accepts a connection,
/// stopped (SIGTERM, then SIGKILL) and reaped when the test lets it go.
final class LoopbackServer: @unchecked Sendable {
    private let process = Process()
    private var stopped = false

    init(_ program: String, _ arguments: [String], port: Int, name: String, wait seconds: Double) throws {
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while !MotoServer.accepts(port) {
            guard Date() < deadline, kill(process.processIdentifier, 0) == 0 else {
                stop()
                throw PeerMissing(description: "\(name) did not start on 127.0.0.1:\(port)")
            }
            usleep(50_000)
        }
    }

    deinit { stop() }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    func stop() {
        guard !stopped else { return }
        stopped = true
        // (Signalled and reaped directly: Foundation's waitUntilExit can hang off the main thread.)
        let pid = process.processIdentifier
        kill(pid, SIGCONT)
        kill(pid, SIGTERM)
        for _ in 0..<100 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) != 0 { return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
