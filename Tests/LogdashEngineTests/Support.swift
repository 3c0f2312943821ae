import Foundation
@testable import LogdashEngine
import Scratch

/// A fixed arrival time for deterministic tests: 2026-11-27T15:00:00Z.
let arrival: Int64 = Timestamp.make(year: 2026, month: 11, day: 27, hour: 15, minute: 0, second: 0)!

/// A parsed record read back as a dictionary of its non-NULL columns.
struct Rec {
    var values: [String: Value]
    var flags: RecordFlags
    var format: String
    subscript(_ k: String) -> Value? { values[k] }
}

/// Parses `text` as one source, optionally in chunks of `chunk` bytes fed as a stream would be.
func parse(_ text: String, format: String? = nil, maxRecordBytes: Int = ParseOptions.defaultMaxRecordBytes,
           chunk: Int? = nil, registry: FormatRegistry = FormatRegistry(), at: Int64 = arrival,
           timezone: LocalZone? = nil) throws -> (records: [Rec], stats: SourceStats, detection: Detection) {
    let bytes = Array(text.utf8)
    return try parse(bytes: bytes, format: format, maxRecordBytes: maxRecordBytes, chunk: chunk, registry: registry, at: at, timezone: timezone)
}

func parse(bytes: [UInt8], format: String? = nil, maxRecordBytes: Int = ParseOptions.defaultMaxRecordBytes,
           chunk: Int? = nil, registry: FormatRegistry = FormatRegistry(), at: Int64 = arrival,
           timezone: LocalZone? = nil) throws -> (records: [Rec], stats: SourceStats, detection: Detection) {
    var options = ParseOptions(maxRecordBytes: maxRecordBytes, format: format, registry: registry)
    options.timezone = timezone
    let detection = try bytes.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: at) }
    let parser = SourceParser(options: options, detection: detection)
    var batches: [RecordBatch] = []
    if let chunk {
        var pending: [UInt8] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            pending += bytes[offset..<end]
            offset = end
            var batch = RecordBatch(source: "test")
            let used = pending.withUnsafeBufferPointer { parser.parse($0, arrival: at, final: offset == bytes.count, into: &batch) }
            pending.removeFirst(used)
            batch.finish()
            batches.append(batch)
        }
        if !pending.isEmpty {
            var batch = RecordBatch(source: "test")
            _ = pending.withUnsafeBufferPointer { parser.parse($0, arrival: at, final: true, into: &batch) }
            batch.finish()
            batches.append(batch)
        }
    } else {
        var batch = RecordBatch(source: "test")
        _ = bytes.withUnsafeBufferPointer { parser.parse($0, arrival: at, final: true, into: &batch) }
        batch.finish()
        batches.append(batch)
    }
    return (batches.flatMap(records), parser.stats, detection)
}

func records(_ b: RecordBatch) -> [Rec] {
    (0..<b.count).map { row in
        var v: [String: Value] = [:]
        for name in CoreColumn.names { if let x = b.value(name, at: row), x != .null { v[name] = x } }
        for f in b.fields { let x = f.value(at: row); if x != .null { v[f.name] = x } }
        return Rec(values: v, flags: b.flags[row], format: b.format(at: row))
    }
}

func ts(_ s: String) -> Value {
    .timestamp(ByteLine.with(s) { Timestamp.parse(text: $0, reference: arrival) }!)
}

/// The repository's root and the shared folder beside it (as CI lays it out).
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let sharedDir = repoRoot.deletingLastPathComponent().appendingPathComponent("shared")

/// Runs a program to its end; its output goes through temporary files, so that no pipe fills.
func run(_ exe: String, _ args: [String], stdin: Data? = nil, environment: [String: String]? = nil) throws -> (out: Data, err: String, status: Int32) {
    let dir = try Scratch.directory("run")
    defer { try? FileManager.default.removeItem(at: dir) }
    let outURL = dir.appendingPathComponent("out"), errURL = dir.appendingPathComponent("err"), inURL = dir.appendingPathComponent("in")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    if let environment { p.environment = environment }
    let outH = try FileHandle(forWritingTo: outURL), errH = try FileHandle(forWritingTo: errURL)
    p.standardOutput = outH
    p.standardError = errH
    if let stdin {
        try stdin.write(to: inURL)
        p.standardInput = try FileHandle(forReadingFrom: inURL)
    } else {
        p.standardInput = FileHandle.nullDevice
    }
    try p.run()
    p.waitUntilExit()
    try outH.close(); try errH.close()
    return (try Data(contentsOf: outURL), String(decoding: try Data(contentsOf: errURL), as: UTF8.self), p.terminationStatus)
}

/// Lines written by `gen_logs.py` in ../shared/bench.
func genLogs(_ args: [String]) throws -> Data {
    let script = sharedDir.appendingPathComponent("bench/gen_logs.py").path
    guard FileManager.default.fileExists(atPath: script) else { throw TestSetupError("missing \(script): shared/ must sit beside the repository") }
    let r = try run("/usr/bin/env", ["python3", script] + args)
    guard r.status == 0 else { throw TestSetupError("gen_logs.py failed: \(r.err)") }
    return r.out
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ s: String) { description = s }
}

/// A store holding `lines` (detected and parsed as one source, arrived at `at`): one segment,
/// or one per `chunk` lines.
func store(lines: [String], at: Int64 = 0, chunk: Int? = nil, into store: Store = Store()) throws -> Store {
    let size = max(1, chunk ?? lines.count)
    for start in stride(from: 0, to: lines.count, by: size) {
        let bytes = Array((lines[start..<min(lines.count, start + size)].joined(separator: "\n") + "\n").utf8)
        let options = ParseOptions()
        let d = try bytes.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: at) }
        var batch = RecordBatch(source: "t")
        _ = bytes.withUnsafeBufferPointer { SourceParser(options: options, detection: d).parse($0, arrival: at, final: true, into: &batch) }
        store.append(batch)
    }
    return store
}

/// `file` read whole into `store` by a real pipeline (not followed), in batches of
/// `chunkBytes` on two workers, with `load`'s taps.
func replay(_ file: URL, into store: Store, taps load: LoadOptions = LoadOptions(), chunkBytes: Int = 16384) throws {
    var load = load
    load.workers = 2
    load.chunkBytes = chunkBytes
    var settings = IngestSettings()
    settings.follow = false
    let pipeline = Pipeline(store: store, load: load, settings: settings)
    try pipeline.start([try LiveSource.parse(file.path)])
    pipeline.runToEnd()
}
