import Foundation
import LogdashEngine
import LogdashUI

/// What libFuzzer (or the replay of a corpus) feeds bytes to: each reads them as one kind of
/// input logdash takes from outside. A target returns normally for any input — an error thrown
/// for bad input is the right answer; a crash, a trap or a hang is a bug.
enum FuzzTarget: String, CaseIterable {
    /// Log text: detected, or parsed as the format the first byte picks; every record stored
    /// and read back.
    case records
    /// A TCP stream framed as lines or syslog (octet counting), in pieces the first bytes pick.
    case framing
    /// SQL, run over a small store.
    case sql
    /// A CloudWatch Logs Insights query, translated and run over a small store.
    case insights
    /// A metric-filter pattern, matched against a few lines.
    case filterPattern = "filter-pattern"
    /// YAML: a config, an alarms file, a dashboard file, a theme or a format definition (by the
    /// first byte), or a composite alarm rule.
    case config
    /// A store's write-ahead log, recovered.
    case wal
    /// A store's segment file, opened and read.
    case segment
    /// What the network brings besides lines: an OTLP/HTTP logs body (protobuf or JSON, by the
    /// first byte), Kinesis records' data (gzip, CloudWatch Logs payloads) or a CloudWatch Logs
    /// payload unpacked, parsed and stored.
    case otlp

    func run(_ data: [UInt8]) {
        switch self {
        case .records: Self.records(data)
        case .framing: Self.framing(data)
        case .sql: Self.query(String(decoding: data, as: UTF8.self))
        case .insights:
            let text = String(decoding: data, as: UTF8.self)
            if let sql = try? InsightsQuery.sql(text) { Self.query(sql) }
        case .filterPattern: Self.filterPattern(String(decoding: data, as: UTF8.self))
        case .config: Self.config(data)
        case .wal: Self.storeFile(data, name: "wal-00000001.log")
        case .segment: Self.storeFile(data, name: "seg-00000001.lds")
        case .otlp: Self.otlp(data)
        }
    }

    // MARK: targets

    static let formats: [String?] = [nil] + FormatRegistry.builtinNames

    static func records(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let text = Array(data.dropFirst())
        var options = ParseOptions()
        options.format = formats[Int(first) % formats.count]
        options.maxRecordBytes = first & 0x80 != 0 ? 64 : ParseOptions.defaultMaxRecordBytes
        let arrival: Int64 = 1_795_000_000_000_000_000
        let batch: RecordBatch
        do {
            let d = try text.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: arrival) }
            var b = RecordBatch(source: "fuzz")
            _ = text.withUnsafeBufferPointer { SourceParser(options: options, detection: d).parse($0, arrival: arrival, final: true, into: &b) }
            batch = b
        } catch {
            return
        }
        let store = Store()
        store.append(batch)
        let engine = QueryEngine(snapshot: store.snapshot())
        _ = try? engine.execute("SELECT * FROM logs")
        _ = try? engine.execute("SELECT * FROM errors")
    }

    static func otlp(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let body = Array(data.dropFirst())
        let lines: [UInt8]
        switch first % 4 {
        case 0: guard let l = try? OTLPLogs.lines(body, as: .protobuf, maxBytes: 64 << 20).lines else { return }; lines = l
        case 1: guard let l = try? OTLPLogs.lines(body, as: .json, maxBytes: 64 << 20).lines else { return }; lines = l
        case 2: lines = KinesisReader.lines(body.split(separator: 0xFF, omittingEmptySubsequences: false).map(Array.init))
        default: lines = KinesisReader.cloudWatchLines(body)  // (a payload as it is once unpacked)
        }
        // What they become is parsed as JSON lines (or, from Kinesis, as any log), and stored.
        records([first % 4 == 2 ? 0 : UInt8(formats.firstIndex(of: "json")!)] + lines)
    }

    static func framing(_ data: [UInt8]) {
        guard data.count >= 2 else { return }
        var framer = StreamFramer(kind: data[0] & 1 == 0 ? .syslog : .lines, maxRecord: 64 + Int(data[0] >> 1))
        let piece = 1 + Int(data[1])
        let stream = data.dropFirst(2)
        var out: [UInt8] = [], events: [StreamFramer.Event] = []
        var at = stream.startIndex
        while at < stream.endIndex {
            let end = min(at + piece, stream.endIndex)
            Array(stream[at..<end]).withUnsafeBytes { framer.frame($0, into: &out, events: &events) }
            at = end
        }
        framer.finish(into: &out, events: &events)
        precondition(out.isEmpty || out.last == 0x0A, "a framed record does not end in a line feed")
    }

    /// A store of a few dozen varied records (times, levels, numbers, text, a NULL or two).
    static let store: Store = {
        var lines: [String] = []
        for i in 0..<40 {
            let status = [200, 201, 404, 500, 503][i % 5]
            let user = i % 7 == 0 ? "null" : "\"u\(i % 5)\""
            lines.append(#"{"ts":"2026-11-27T14:\#(String(format: "%02d", i)):0\#(i % 10)Z","level":"\#(["info", "warn", "error"][i % 3])","service":"svc-\#(i % 3)","status":\#(status),"latency_ms":\#(Double(i) * 1.5),"path":"/api/items/\#(i)","user":\#(user),"bytes":\#(i * 1000 - 7),"msg":"request \#(i) took \#(i) ms"}"#)
        }
        lines.append("not json at all")
        let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        let options = ParseOptions()
        let arrival: Int64 = 1_795_000_000_000_000_000
        let d = try! bytes.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: arrival) }
        var batch = RecordBatch(source: "fuzz")
        _ = bytes.withUnsafeBufferPointer { SourceParser(options: options, detection: d).parse($0, arrival: arrival, final: true, into: &batch) }
        let s = Store()
        s.append(batch)
        return s
    }()

    static func query(_ sql: String) {
        var engine = QueryEngine(snapshot: store.snapshot(), now: 1_795_000_000_000_000_000)
        engine.memoryLimit = 256 << 20
        _ = try? engine.execute(sql)
    }

    static let lines = [
        #"{"level":"error","status":503,"latency_ms":812.5,"msg":"upstream timed out","user":{"id":7}}"#,
        #"10.0.0.1 - - [27/Nov/2026:14:00:00 +0000] "GET /api/x HTTP/1.1" 500 512 "-" "curl/8.0""#,
        "level=warn msg=\"disk 91% full\" host=web-1 took=12ms",
        "ERROR [main] java.lang.IllegalStateException: boom",
        "",
    ]

    static func filterPattern(_ pattern: String) {
        guard let filter = try? MetricFilter.parse(pattern) else { return }
        for line in lines {
            _ = filter.matches(line)
            _ = filter.measure(line, selector: nil)
            _ = filter.measure(line, selector: "$.latency_ms")
        }
    }

    static func config(_ data: [UInt8]) {
        guard let first = data.first else { return }
        let text = String(decoding: data.dropFirst(), as: UTF8.self)
        switch first % 6 {
        case 0: _ = try? Config.parse(yaml: text)
        case 1: _ = try? AlarmFile.parse(yaml: text, file: "fuzz.yaml")
        case 2: _ = try? DashboardFile.parse(yaml: text, file: "fuzz.yaml")
        case 3: _ = try? Theme.parse(yaml: text, file: "fuzz.yaml")
        case 4: _ = try? CompositeRule.parse(text)
        default:
            // A format definition, then its samples read back.
            if let d = try? FormatDefinition.parse(yaml: text, file: "\(FuzzTarget.definitionName(text)).yaml") { _ = d.check() }
        }
    }

    /// The `name:` a definition's text gives (its file must be named so).
    static func definitionName(_ text: String) -> String {
        for line in text.split(separator: "\n") where line.hasPrefix("name: ") {
            return String(line.dropFirst(6)).trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "/", with: "_")
        }
        return "fuzz"
    }

    /// A store directory holding only `data` as the file `name`, recovered and read whole.
    static func storeFile(_ data: [UInt8], name: String) {
        let dir = storeDirectory
        let fm = FileManager.default
        for f in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] { try? fm.removeItem(atPath: dir + "/" + f) }
        guard fm.createFile(atPath: dir + "/" + name, contents: Data(data)) else { return }
        var options = StoreOptions()
        options.readOnly = true
        guard let durable = try? DurableStore(directory: dir, options: options) else { return }
        let engine = QueryEngine(snapshot: durable.store.snapshot())
        _ = try? engine.execute("SELECT * FROM logs")
        _ = try? engine.execute("SELECT * FROM errors")
    }

    static let storeDirectory: String = {
        let dir = NSTemporaryDirectory() + "logdash-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "logdash-fuzz-\(getpid())") }
        return dir
    }()
}
