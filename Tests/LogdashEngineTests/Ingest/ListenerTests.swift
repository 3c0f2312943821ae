import Foundation
import Testing
import Scratch
@testable import LogdashEngine

/// A loopback TCP client.
final class TCPClient: @unchecked Sendable {  // one thread uses it at a time
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { close(fd); throw TestSetupError("connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))") }
    }

    /// Writes everything (blocking while the receiver pushes back); `progress` hears of each write.
    func send(_ bytes: [UInt8], progress: (Int) -> Void = { _ in }) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, min(65536, bytes.count - done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw TestSetupError("write: \(String(cString: strerror(errno)))") }
            done += n
            progress(n)
        }
    }

    /// Whether the server closed the connection within the time (a read gives end of file or a
    /// reset; what it sends first, a TLS alert say, is read past).
    func closedByPeer(within seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        var b = [UInt8](repeating: 0, count: 4096)
        while Date() < end {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 100) == 1 else { continue }
            if read(fd, &b, b.count) <= 0 { return true }
        }
        return false
    }

    deinit { close(fd) }
}

/// A loopback UDP sender: one socket for many datagrams.
final class UDPClient {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    var addr = sockaddr_in()

    init(port: Int) {
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    }

    func send(_ bytes: [UInt8]) {
        _ = withUnsafePointer(to: &addr) { a in
            a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    deinit { close(fd) }
}

func sendUDP(port: Int, _ message: String) { UDPClient(port: port).send(Array(message.utf8)) }

extension LivePipeline {
    /// The port a listener got, by its scheme (`tcp`, `syslog`, `syslog+udp`, `http`).
    func port(_ scheme: String) -> Int {
        let url = pipeline.listening.first { $0.hasPrefix(scheme + "://") }!
        return Int(url.split(separator: ":").last!)!
    }
}

let anyPort = Endpoint(host: "127.0.0.1", port: 0)

@Suite struct ListenerTests {
    @Test func aMillionLinesOverTCPAreAMillionRecords() throws {
        let live = try LivePipeline([.tcp(anyPort)])
        var text: [UInt8] = []
        text.reserveCapacity(20 << 20)
        for i in 0..<1_000_000 { text += Array("n=\(i) m=x\n".utf8) }
        let client = try TCPClient(port: live.port("tcp"))
        try client.send(text)
        withExtendedLifetime(client) {}
        #expect(live.waitUntil(120) { live.count() >= 1_000_000 })
        #expect(try live.query("SELECT count(*), count(DISTINCT n), min(n), max(n) FROM logs")
                == [[.int(1_000_000), .int(1_000_000), .int(0), .int(999_999)]])
    }

    @Test func loggerSendsSyslogOverTCPWithEitherFramingAndOverUDP() throws {
        let live = try LivePipeline([.syslogTCP(anyPort), .syslogUDP(anyPort)])
        let tcp = String(live.port("syslog")), udp = String(live.port("syslog+udp"))
        #expect(try run("/usr/bin/env", ["logger", "--tcp", "--octet-count", "-n", "127.0.0.1", "-P", tcp, "-t", "app", "hello octet"]).status == 0)
        #expect(try run("/usr/bin/env", ["logger", "--tcp", "-n", "127.0.0.1", "-P", tcp, "-t", "app", "hello lf"]).status == 0)
        #expect(try run("/usr/bin/env", ["logger", "--udp", "-n", "127.0.0.1", "-P", udp, "-t", "app", "hello udp"]).status == 0)
        #expect(live.waitUntil { live.count() == 3 })
        let rows = try live.query("SELECT message FROM logs WHERE raw LIKE '%app%' ORDER BY message")
        #expect(rows == [[.string("hello lf")], [.string("hello octet")], [.string("hello udp")]])
        #expect(live.count("source LIKE 'syslog+udp://%'") == 1)
    }

    /// Counted frames split across writes and several in one write are taken apart exactly.
    @Test func octetCountedFramesAreTakenApartWhereverTheWritesSplitThem() throws {
        let live = try LivePipeline([.syslogTCP(anyPort)])
        let messages = (0..<50).map { "<34>1 2026-11-27T14:00:00Z host app - - - message \($0) with spaces" }
        let framed = Array(messages.map { "\($0.utf8.count) \($0)" }.joined().utf8)
        let client = try TCPClient(port: live.port("syslog"))
        var pos = 0, step = 1
        while pos < framed.count {
            let end = min(framed.count, pos + step)
            try client.send(Array(framed[pos..<end]))
            pos = end
            step = step * 3 % 97 + 1
            Thread.sleep(forTimeInterval: 0.001)
        }
        #expect(live.waitUntil { live.count() == 50 })
        #expect(try live.query("SELECT message FROM logs ORDER BY ts, message LIMIT 1") == [[.string("message 0 with spaces")]])
        #expect(live.count("message LIKE 'message % with spaces'") == 50)
    }

    @Test func curlPostsNDJSONAndGetsTheCountOnceItIsAccepted() throws {
        var settings = IngestSettings()
        settings.listeners.authToken = "s3cret"
        let live = try LivePipeline([.http(anyPort)], settings: settings)
        let url = "http://127.0.0.1:\(live.port("http"))"
        let body = (0..<100).map { "{\"ts\":\"2026-11-27T14:00:00Z\",\"i\":\($0)}" }.joined(separator: "\n")
        let ok = try run("/usr/bin/env", ["curl", "-s", "-w", " %{http_code}", "-H", "Authorization: Bearer s3cret", "--data-binary", "@-", url + "/ingest"],
                         stdin: Data(body.utf8))
        #expect(String(decoding: ok.out, as: UTF8.self) == "{\"accepted\":100}\n 200")
        let denied = try run("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--data-binary", "x", url + "/ingest"])
        #expect(String(decoding: denied.out, as: UTF8.self) == "401")
        let wrongPath = try run("/usr/bin/env", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer s3cret",
                                                 "--data-binary", "x", url + "/logs"])
        #expect(String(decoding: wrongPath.out, as: UTF8.self) == "404")
        let health = try run("/usr/bin/env", ["curl", "-s", url + "/health"])
        #expect(String(decoding: health.out, as: UTF8.self) == "{\"status\":\"ok\"}\n")
        #expect(live.waitUntil { live.count() == 100 })
        #expect(try live.query("SELECT sum(i) FROM logs") == [[.int(4950)]])
    }

    /// With the parse stage stalled the buffer fills: a TCP sender is held back by the kernel's
    /// window, HTTP answers 503 with Retry-After; once parsing goes on, every line arrives once.
    @Test func aFullBufferSlowsTCPSendersAndMakesHTTPAnswer503WithoutLosingALine() throws {
        var settings = IngestSettings()
        settings.buffer = BufferOptions(sizeHint: 16 << 10, interval: 5_000_000, capacity: 256 << 10)
        let live = try LivePipeline([.tcp(anyPort), .http(anyPort)], settings: settings)
        live.pipeline.holdParsing(true)
        let lines = 1_000_000
        var text: [UInt8] = []
        // ~65 MB: more than the kernel's socket buffers can hold (tcp_rmem's ceiling is 32 MB here).
        let pad = String(repeating: "p", count: 48)
        for i in 0..<lines { text += Array("n=\(i) m=x pad=\(pad)\n".utf8) }
        let total = text.count
        let sent = Counter()
        let client = try TCPClient(port: live.port("tcp"))
        let payload = text
        let sender = Thread { try? client.send(payload) { sent.add($0) } }
        sender.start()
        Thread.sleep(forTimeInterval: 1)
        let stalledAt = sent.value
        #expect(stalledAt < total, "the sender should be held back while the buffer is full")
        Thread.sleep(forTimeInterval: 0.3)
        #expect(sent.value - stalledAt < 1 << 20, "and stay held back")
        let url = "http://127.0.0.1:\(live.port("http"))/ingest"
        // Larger than whatever room a paused connection's last read left.
        let body = Data((0..<8000).map { "h=\($0) m=x\n" }.joined().utf8)
        let refused = try run("/usr/bin/env", ["curl", "-s", "-D", "-", "--data-binary", "@-", url], stdin: body)
        let answer = String(decoding: refused.out, as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 503"))
        #expect(answer.lowercased().contains("retry-after: 1"))
        live.pipeline.holdParsing(false)
        #expect(live.waitUntil(120) { sent.value == total })
        #expect(live.waitUntil(120) { live.count() == lines })
        #expect(live.waitUntil { live.pipeline.bufferFill == 0 })  // the last batch released
        let retried = try run("/usr/bin/env", ["curl", "-s", "--data-binary", "@-", url], stdin: body)
        #expect(String(decoding: retried.out, as: UTF8.self) == "{\"accepted\":8000}\n")
        #expect(live.waitUntil(120) { live.count() == lines + 8000 })
        #expect(live.count("n IS NOT NULL") == lines)
        #expect(try live.query("SELECT count(DISTINCT n), count(DISTINCT h) FROM logs") == [[.int(Int64(lines)), .int(8000)]])
        #expect(live.pipeline.metrics.total().refused == 1)
    }

    @Test func connectionsFromOutsideTheAllowListAreRefusedAndCounted() throws {
        var settings = IngestSettings()
        settings.listeners.allow = [try CIDR("10.0.0.0/8")]
        let live = try LivePipeline([.tcp(anyPort)], settings: settings)
        let client = try TCPClient(port: live.port("tcp"))
        #expect(client.closedByPeer(within: 5))
        #expect(live.waitUntil { live.pipeline.metrics.total().refused == 1 })
        #expect(live.reports.all.contains { $0.contains("not in --allow") })
        #expect(try CIDR("127.0.0.0/8").contains(.init(ipAddress: "127.0.0.1", port: 1)))
        #expect(try !CIDR("10.0.0.0/8").contains(.init(ipAddress: "11.0.0.1", port: 1)))
        #expect(try CIDR("::1").contains(.init(ipAddress: "::1", port: 1)))
        #expect(throws: SourceError.self) { try CIDR("10.0.0.0/33") }
    }

    @Test func connectionLimitIdleTimeAndRecordSizeEachSayWhenHit() throws {
        var settings = IngestSettings()
        settings.listeners.maxConnections = 1
        settings.listeners.idleTimeout = 1
        let live = try LivePipeline([.tcp(anyPort)], settings: settings, maxRecordBytes: 1024)
        let port = live.port("tcp")
        let first = try TCPClient(port: port)
        try first.send(Array(("long=" + String(repeating: "x", count: 5000) + " m=a\nshort=1 m=b\n").utf8))
        #expect(live.waitUntil { live.count() == 2 })
        let second = try TCPClient(port: port)
        #expect(second.closedByPeer(within: 5))
        #expect(first.closedByPeer(within: 5))  // silent for a second since
        let reports = live.reports.all
        #expect(reports.contains { $0.contains("already 1 open (--max-connections)") })
        #expect(reports.contains { $0.contains("closed an idle connection from 127.0.0.1:") && $0.contains("(--idle-timeout)") })
        #expect(reports.contains { $0.contains("longer than 1024 bytes (--max-record-bytes)") })
        #expect(try live.query("SELECT count(*) FROM errors WHERE reason LIKE '%cut%'") == [[.int(1)]])
        #expect(live.count("short = 1") == 1)
        #expect(live.pipeline.metrics.total().refused == 1)
    }

    /// UDP cannot push back: datagrams that find the buffer full are dropped, counted and
    /// reported; stored + dropped = sent.
    @Test func udpDatagramsThatFindTheBufferFullAreDroppedAndCounted() throws {
        var settings = IngestSettings()
        settings.buffer = BufferOptions(sizeHint: 4 << 10, interval: 1_000_000, capacity: 16 << 10)
        let live = try LivePipeline([.syslogUDP(anyPort)], settings: settings)
        live.pipeline.holdParsing(true)
        let port = live.port("syslog+udp")
        let padding = String(repeating: "p", count: 1000)
        for i in 0..<40 {
            sendUDP(port: port, "<13>Nov 27 14:00:00 box app: datagram \(i) \(padding)")
            Thread.sleep(forTimeInterval: 0.005)
        }
        #expect(live.waitUntil { live.pipeline.metrics.total().drops > 0 })
        live.pipeline.holdParsing(false)
        Thread.sleep(forTimeInterval: 0.3)
        let drops = live.pipeline.metrics.total().drops
        #expect(live.waitUntil { live.count() + drops == 40 })
        #expect(drops >= 20)
        #expect(live.reports.all.contains { $0.contains(": the delivery buffer is full (counted in internal_metrics.drops)") })
    }

    /// Every datagram is stored or counted in `drops`, whatever lost it: the kernel (a burst
    /// into a small `SO_RCVBUF`, read from /proc/net/udp) or emptiness; a datagram over NIO's
    /// default 2 KiB read is stored whole.
    @Test func udpLossIsCountedWhateverLostItAndLargeDatagramsAreWhole() throws {
        var settings = IngestSettings()
        settings.listeners.udpReceiveBuffer = 4096
        let live = try LivePipeline([.syslogUDP(anyPort)], settings: settings)
        let client = UDPClient(port: live.port("syslog+udp"))
        func send(_ bytes: [UInt8]) { client.send(bytes) }
        let burst = 20_000
        for i in 0..<burst { send(Array("<13>Nov 27 14:00:00 box app: burst \(i)".utf8)) }
        Thread.sleep(forTimeInterval: 0.3)
        send(Array(("<13>Nov 27 14:00:00 box app: big " + String(repeating: "x", count: 10_000)).utf8))
        Thread.sleep(forTimeInterval: 0.1)
        send([0, 0, 0])
        send([])
        let sent = burst + 3
        #expect(live.waitUntil { live.count() + live.pipeline.metrics.total().drops == sent })
        let drops = live.pipeline.metrics.total().drops
        #expect(drops > 2, "a burst into 4 KiB lost nothing?")
        #expect(live.count() + drops == sent)
        #expect(try live.query("SELECT length(message) FROM logs WHERE message LIKE 'big %'") == [[.int(10_004)]])
        let reports = live.reports.all
        #expect(reports.contains { $0.contains("the kernel's receive buffer was full") })
        #expect(reports.contains { $0.contains("empty (nothing but NUL bytes and line feeds)") })
        #expect(KernelUDPDrops.drops(in: """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
             1: 0100007F:0202 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 123 2 0000000000000000 17
             2: 00000000:0203 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 124 2 0000000000000000 5
            """, port: 0x202) == 17)
    }

    /// Slowloris: connections that trickle a request's head hold every slot, until
    /// `--request-timeout` closes them; then a well-behaved client gets its 200. A client that
    /// half-closes after its request still gets the answer.
    @Test func trickledRequestsAreClosedAtTheRequestTimeoutAndHalfClosersAreAnswered() throws {
        var settings = IngestSettings()
        settings.listeners.requestTimeout = 1
        settings.listeners.maxConnections = 20
        let live = try LivePipeline([.http(anyPort)], settings: settings)
        let port = live.port("http")
        let slow = try (0..<20).map { _ in try TCPClient(port: port) }
        for c in slow { try c.send(Array("POST /ingest HTTP/1.1\r\nHost: x\r\n".utf8)) }
        Thread.sleep(forTimeInterval: 0.3)
        let curl = ["curl", "-s", "-m", "5", "--data-binary", "n=1", "http://127.0.0.1:\(port)/ingest"]
        #expect(try run("/usr/bin/env", curl).status != 0, "every slot is held")
        #expect(slow.allSatisfy { $0.closedByPeer(within: 3) })
        let after = try run("/usr/bin/env", curl)
        #expect(String(decoding: after.out, as: UTF8.self).contains("\"accepted\":1"), "\(after.err)")
        #expect(live.reports.all.contains { $0.contains("no whole request within 1s (--request-timeout)") })
        // Half-closed after the request: answered all the same.
        let half = try TCPClient(port: port)
        try half.send(Array("POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nn=2\n".utf8))
        shutdown(half.fd, Int32(SHUT_WR))
        var answer = [UInt8](repeating: 0, count: 512)
        var p = pollfd(fd: half.fd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&p, 1, 3000) == 1)
        let n = read(half.fd, &answer, answer.count)
        #expect(n > 0 && String(decoding: answer[0..<max(n, 0)], as: UTF8.self).hasPrefix("HTTP/1.1 200 OK"))
        #expect(live.waitUntil { live.count() == 2 })
    }

    /// Bodies still arriving are held in memory, so they count against `--buffer-max`: past it
    /// an upload is answered 503 at once (not held until its end), and a client that leaves
    /// gives its room back.
    @Test func bodiesStillArrivingCountAgainstTheBufferBound() throws {
        var settings = IngestSettings()
        settings.buffer = BufferOptions(sizeHint: 32 << 10, interval: 1_000_000_000, capacity: 64 << 10)
        let live = try LivePipeline([.http(anyPort)], settings: settings)
        let port = live.port("http")
        let part = Array(String(repeating: "n=1\n", count: 5 << 10).utf8)  // 20 KiB of a 30 KiB body
        func upload(declaring length: Int = 30 << 10) throws -> TCPClient {
            let c = try TCPClient(port: port)
            try c.send(Array("POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Length: \(length)\r\n\r\n".utf8) + part)
            return c
        }
        func answer(_ c: TCPClient) -> String {
            var p = pollfd(fd: c.fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 3000) == 1 else { return "" }
            var b = [UInt8](repeating: 0, count: 512)
            let n = read(c.fd, &b, b.count)
            return n > 0 ? String(decoding: b[0..<n], as: UTF8.self) : ""
        }
        // A body larger than the whole buffer could never be taken: 413 at once, not a 503 to retry.
        let huge = try upload(declaring: 100 << 10)
        #expect(answer(huge).hasPrefix("HTTP/1.1 413"))
        var slow = try (0..<3).map { _ in try upload() }
        #expect(live.waitUntil(5) { live.pipeline.bufferFill >= 60 << 10 })
        let fourth = try upload()
        #expect(answer(fourth).hasPrefix("HTTP/1.1 503"))
        #expect(live.pipeline.bufferFill <= 64 << 10)
        slow.removeAll()  // the slow clients leave: their room is free again
        #expect(live.waitUntil(5) { live.pipeline.bufferFill == 0 })
        let curl = try run("/usr/bin/env", ["curl", "-s", "-m", "5", "--data-binary", "n=2", "http://127.0.0.1:\(port)/ingest"])
        #expect(String(decoding: curl.out, as: UTF8.self).contains("\"accepted\":1"))
        #expect(live.pipeline.metrics.total().refused >= 1)
    }

    /// One address cannot take every slot: past `--max-connections-per-address` its
    /// connections are closed and counted; one it closes frees a slot.
    @Test func oneAddressCannotTakeEverySlot() throws {
        var settings = IngestSettings()
        settings.listeners.maxConnectionsPerAddress = 2
        let live = try LivePipeline([.tcp(anyPort)], settings: settings)
        let port = live.port("tcp")
        var held = try (0..<2).map { _ in try TCPClient(port: port) }
        let third = try TCPClient(port: port)
        #expect(third.closedByPeer(within: 3))
        #expect(!held[0].closedByPeer(within: 0.2))
        #expect(live.reports.all.contains { $0.contains("already 2 open from that address (--max-connections-per-address)") })
        held.removeLast()
        #expect(live.waitUntil(5) { live.pipeline.metrics.total().connections == 1 })
        let again = try TCPClient(port: port)
        try again.send(Array("line=1\n".utf8))
        #expect(live.waitUntil(5) { live.count() == 1 })
        #expect(live.pipeline.metrics.total().refused == 1)
    }

    /// Bodies compressed as Fluent Bit and the OpenTelemetry Collector send them (gzip, also
    /// multi-member; deflate; zstd) are taken; a truncated one is a 400, a bomb a 413 long
    /// before it is inflated, an unknown encoding a 415. gzip and zstd are the real tools.
    @Test func compressedBodiesAreTakenWithinBounds() throws {
        let live = try LivePipeline([.http(anyPort)])
        let port = live.port("http")
        let dir = try Scratch.directory("bodies")
        let plain = dir.appendingPathComponent("body.txt").path
        try (1...5000).map { "{\"n\":\($0)}\n" }.joined().write(toFile: plain, atomically: true, encoding: .utf8)
        let sh = """
            cd '\(dir.path)'
            gzip -c body.txt > b.gz && cat b.gz b.gz > b2.gz && zstd -q -c body.txt > b.zst && head -c 1000 b.gz > cut.gz
            head -c 100000000 /dev/zero | gzip -c > bomb.gz
            python3 -c "import zlib,sys; sys.stdout.buffer.write(zlib.compress(open('body.txt','rb').read()))" > b.zz
            post() { curl -s -H "Content-Encoding: $1" --data-binary @"$2" http://127.0.0.1:\(port)/ingest; echo; }
            post gzip b.gz; post gzip b2.gz; post zstd b.zst; post deflate b.zz; post gzip cut.gz; post gzip bomb.gz; post br b.gz
            """
        let r = try run("/bin/bash", ["-c", sh])
        let answers = String(decoding: r.out, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(answers.count == 7, "\(answers) \(r.err)")
        guard answers.count == 7 else { return }
        #expect(answers[0..<4] == [#"{"accepted":5000}"#, #"{"accepted":10000}"#, #"{"accepted":5000}"#, #"{"accepted":5000}"#])
        #expect(answers[4].contains("the gzip body ends early"))
        #expect(answers[5].contains("decompresses over 100 times its size"))
        #expect(answers[6].contains("Content-Encoding 'br' is not supported"))
        #expect(live.waitUntil { live.count() == 25_000 })
        #expect(try live.query("SELECT count(DISTINCT n), sum(n) FROM logs") == [[.int(5000), .int(5 * 5000 * 5001 / 2)]])
        #expect(live.pipeline.metrics.total().refused == 3)
    }

    /// A client that closes after its answer frees its slot at once (half-closure is allowed
    /// for clients that half-close, and must not keep finished connections open).
    @Test func finishedHTTPConnectionsFreeTheirSlots() throws {
        var settings = IngestSettings()
        settings.listeners.maxConnections = 2
        let live = try LivePipeline([.http(anyPort)], settings: settings)
        let port = live.port("http")
        for i in 0..<6 {
            let r = try run("/usr/bin/env", ["curl", "-s", "-m", "5", "--data-binary", "n=\(i)", "http://127.0.0.1:\(port)/ingest"])
            #expect(String(decoding: r.out, as: UTF8.self).contains("\"accepted\":1"), "post \(i): \(r.err)")
        }
        #expect(live.waitUntil(5) { live.pipeline.metrics.total().connections == 0 })
        #expect(live.pipeline.metrics.total().refused == 0)
    }

    /// A counted syslog message far over the record size keeps its head (cut, flagged
    /// truncated) and the connection goes on with the next message; it was closed, losing both.
    @Test func anOverLongCountedMessageIsCutAndTheNextOneKept() throws {
        let live = try LivePipeline([.syslogTCP(anyPort)], maxRecordBytes: 4096)
        let port = live.port("syslog")
        let long = "<13>Nov 27 14:00:00 box app: " + String(repeating: "x", count: 40_000)
        let short = "<13>Nov 27 14:00:01 box app: after the long one"
        let c = try TCPClient(port: port)
        try c.send(Array("\(long.utf8.count) \(long)\(short.utf8.count) \(short)".utf8))
        #expect(live.waitUntil { live.count() == 2 })
        #expect(try live.query("SELECT count(*) FROM errors WHERE reason LIKE '%cut%'") == [[.int(1)]])
        #expect(live.count("message = 'after the long one'") == 1)
        #expect(!c.closedByPeer(within: 0.3))
        #expect(live.reports.all.contains { $0.contains("a counted message of \(long.utf8.count) bytes") })
    }

    /// TLS on TCP, syslog and HTTP with a self-signed certificate made by openssl: curl and
    /// openssl s_client are the clients; a plain-text client is turned away and logged.
    @Test func tlsListenersTakeTLSClientsAndTurnAwayPlainText() throws {
        let dir = try tempDirectory()
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let made = try run("/usr/bin/env", ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                            "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        #expect(made.status == 0, "\(made.err)")
        var settings = IngestSettings()
        settings.listeners.tlsCertificate = cert
        settings.listeners.tlsKey = key
        let tls = Endpoint(host: "127.0.0.1", port: 0, tls: true)
        let live = try LivePipeline([.http(tls), .tcp(tls), .syslogTCP(tls)], settings: settings)
        #expect(live.pipeline.listening.map { String($0.prefix { $0 != ":" }) } == ["https", "tcp+tls", "syslog+tls"])
        let posted = try run("/usr/bin/env", ["curl", "-s", "--cacert", cert, "--data-binary", "@-", "https://127.0.0.1:\(live.port("https"))/ingest"],
                             stdin: Data("{\"via\":\"https\",\"n\":1}\n{\"via\":\"https\",\"n\":2}\n".utf8))
        #expect(String(decoding: posted.out, as: UTF8.self) == "{\"accepted\":2}\n", "\(posted.err)")
        let message = "<13>1 2026-11-27T14:00:00Z box app - - - over tls"
        for (port, text) in [(live.port("tcp+tls"), "via=tcp n=3\nvia=tcp n=4\n"), (live.port("syslog+tls"), "\(message.utf8.count) \(message)")] {
            let r = try run("/usr/bin/env", ["openssl", "s_client", "-quiet", "-no_ign_eof", "-connect", "127.0.0.1:\(port)"], stdin: Data(text.utf8))
            #expect(r.status == 0, "\(r.err)")
        }
        #expect(live.waitUntil { live.count() == 5 })
        #expect(try live.query("SELECT via, count(*) FROM logs GROUP BY via ORDER BY via NULLS LAST")
                == [[.string("https"), .int(2)], [.string("tcp"), .int(2)], [.null, .int(1)]])
        #expect(live.count("message = 'over tls'") == 1)
        let plain = try TCPClient(port: live.port("tcp+tls"))
        try plain.send(Array("not tls at all\n".utf8))
        #expect(plain.closedByPeer(within: 5))
        #expect(live.waitUntil { live.reports.all.contains { $0.contains("tcp+tls://") && $0.contains("closed the connection from 127.0.0.1:") } })
        #expect(live.count() == 5)
    }

    @Test func aTLSListenerWithoutACertificateIsAClearError() throws {
        #expect(throws: SourceError.self) { _ = try LivePipeline([.tcp(Endpoint(host: "127.0.0.1", port: 0, tls: true))]) }
        var settings = IngestSettings()
        settings.listeners.tlsCertificate = "/nonexistent/cert.pem"
        settings.listeners.tlsKey = "/nonexistent/key.pem"
        do {
            _ = try LivePipeline([.http(Endpoint(host: "127.0.0.1", port: 0, tls: true))], settings: settings)
            Issue.record("should not start")
        } catch {
            #expect("\(error)".contains("/nonexistent/cert.pem: cannot be read: not a PEM certificate (--tls-cert)"))
        }
    }

    /// Debian's rsyslog takes messages from `logger` on its own UDP port and forwards them to
    /// logdash's syslog port over TCP with octet counting, as a fleet's relay would.
    @Test func rsyslogForwardsToTheSyslogPort() throws {
        let rsyslogd = "/usr/sbin/rsyslogd"
        guard FileManager.default.isExecutableFile(atPath: rsyslogd) else {
            Issue.record("rsyslog is not installed (apt-get install rsyslog; .ci/run installs it)")
            return
        }
        let live = try LivePipeline([.syslogTCP(anyPort)])
        let dir = try tempDirectory()
        let inPort = 20000 + Int.random(in: 0..<20000)
        try """
        global(workDirectory="\(dir.path)")
        module(load="imudp")
        input(type="imudp" address="127.0.0.1" port="\(inPort)")
        action(type="omfwd" target="127.0.0.1" port="\(live.port("syslog"))" protocol="tcp" TCP_Framing="octet-counted"
               template="RSYSLOG_SyslogProtocol23Format")
        """.write(to: dir.appendingPathComponent("rsyslog.conf"), atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: rsyslogd)
        p.arguments = ["-n", "-f", dir.appendingPathComponent("rsyslog.conf").path, "-i", dir.appendingPathComponent("pid").path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // SIGKILL: test threads block signals, and rsyslogd inherits the mask, so SIGTERM would wait.
        defer { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        // rsyslog listens a moment after it starts: send until the first message comes through.
        var sent = 0
        #expect(live.waitUntil(20) {
            sendUDP(port: inPort, "<13>Nov 27 14:00:00 box relay: warm-up \(sent)")
            sent += 1
            Thread.sleep(forTimeInterval: 0.1)
            return live.count() > 0
        })
        for i in 0..<20 {
            #expect(try run("/usr/bin/env", ["logger", "--udp", "-n", "127.0.0.1", "-P", String(inPort), "-t", "relayed", "message \(i)"]).status == 0)
        }
        #expect(live.waitUntil { live.count("message LIKE 'message %'") == 20 })
        #expect(try live.query("SELECT count(DISTINCT message) FROM logs WHERE message LIKE 'message %'") == [[.int(20)]])
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add(_ k: Int) { lock.lock(); n += k; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
