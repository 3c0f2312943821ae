import CZlib
import CZstd
import Foundation

/// How an archive's parts are compressed: gzip (`.json.gz`, what every reader takes; the
/// default) or zstd (`.json.zst`: several times faster to write, and read by Athena, Trino,
/// Spark and DuckDB as well).
public enum ArchiveCompression: String, Sendable, CaseIterable {
    case gzip, zstd

    public var suffix: String { self == .gzip ? ".json.gz" : ".json.zst" }
    public var contentType: String { self == .gzip ? "application/gzip" : "application/zstd" }

    /// The compression a part's name says, nil for a name that is not a part's.
    public static func of(_ name: some StringProtocol) -> ArchiveCompression? {
        allCases.first { name.hasSuffix($0.suffix) }
    }

    func writer(_ path: String) throws -> any PartWriter {
        switch self {
        case .gzip: try GzipFile(path: path)
        case .zstd: try ZstdFile(path: path)
        }
    }
}

/// A part file being written: compressed to `PATH.tmp`, put in place when closed (`PendingFile`).
protocol PartWriter: AnyObject {
    func write(_ bytes: [UInt8]) throws
    func close() throws
}

/// The archive: records as the layout Athena, Trino, Spark and DuckDB read directly —
/// `OUT/dt=YYYY-MM-DD/hour=HH/part-NNNNN.json.gz`, one JSON object per line (every column of
/// the record but the raw line, `ts` as ISO 8601 UTC), partitioned by the record's time — and
/// `OUT/athena.sql`, a `CREATE EXTERNAL TABLE` with partition projection over it.
public enum Archive {
    public struct Summary: Sendable, Equatable {
        public var records: Int
        public var files: [String]
    }

    /// Writes the snapshot's `logs` records (those in `timeRange`, when given) under `out`.
    /// Parts already there are kept: a new export adds `part-` files after the last one.
    public static func export(_ snapshot: StoreSnapshot, to out: String, timeRange: (Int64, Int64)? = nil,
                              table: String = "logs", location: String? = nil, compression: ArchiveCompression = .gzip) throws -> Summary {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let engine = QueryEngine(snapshot: snapshot, timeRange: timeRange)
        let columns = snapshot.schema.filter { $0.name != "raw" }
        guard !columns.isEmpty else { return Summary(records: 0, files: []) }
        let list = columns.map { "\"\($0.name.replacingOccurrences(of: "\"", with: "\"\""))\"" }.joined(separator: ", ")
        let result = try engine.execute("SELECT \(list) FROM logs ORDER BY ts")
        let keys = columns.map { c -> [UInt8] in
            var k: [UInt8] = []
            appendJSONString(c.name, to: &k)
            k.append(UInt8(ascii: ":"))
            return k
        }
        let tsIndex = columns.firstIndex { $0.name == "ts" }
        var files: [String] = []
        var current: (partition: String, writer: any PartWriter)?
        defer { try? current?.writer.close() }
        for row in result.rows {
            guard let tsIndex, case .timestamp(let t) = row[tsIndex] else { continue }
            let iso = Timestamp.iso8601(t)
            let partition = "dt=\(iso.prefix(10))/hour=\(iso.dropFirst(11).prefix(2))"
            if current?.partition != partition {
                try current?.writer.close()
                let dir = out + "/" + partition
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                let existing = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
                let next = existing.compactMap(partNumber).max().map { $0 + 1 } ?? 0
                let path = dir + "/" + partName(next, compression)
                current = (partition, try compression.writer(path))
                files.append(path)
            }
            var line: [UInt8] = [UInt8(ascii: "{")]
            var first = true
            for (k, v) in row.enumerated() where v != .null {
                if !first { line.append(UInt8(ascii: ",")) }
                first = false
                line.append(contentsOf: keys[k])
                switch v {
                case .bool(let b): line.append(contentsOf: (b ? "true" : "false").utf8)
                case .int(let i): line.append(contentsOf: String(i).utf8)
                case .double(let d): line.append(contentsOf: (d.isFinite ? Value.format(d) : "null").utf8)
                case .timestamp(let t): appendJSONString(Timestamp.iso8601(t), to: &line)
                default: appendJSONString(v.description, to: &line)
                }
            }
            line.append(contentsOf: "}\n".utf8)
            try current!.writer.write(line)
        }
        try current?.writer.close()
        current = nil
        try athenaDDL(columns, table: table, location: location).write(toFile: out + "/athena.sql", atomically: true, encoding: .utf8)
        return Summary(records: result.rows.count, files: files)
    }

    /// The Athena table over the archive: the columns as the JSON SerDe reads them, partition
    /// projection over `dt` and `hour` (no `MSCK REPAIR` needed).
    /// `location`: where the archive is in S3 (`s3://bucket/prefix/`), when it is known.
    public static func athenaDDL(_ columns: [SchemaColumn], table: String, location: String? = nil) -> String {
        func type(_ t: ColumnType) -> String {
            switch t {
            case .bool: "boolean"
            case .int: "bigint"
            case .double: "double"
            case .timestamp, .string, .null: "string"
            }
        }
        let cols = columns.map { "  `\($0.name)` \(type($0.type))" }.joined(separator: ",\n")
        let place = (location.map { $0.hasSuffix("/") ? $0 : $0 + "/" } ?? "s3://YOUR-BUCKET/logdash/").replacingOccurrences(of: "'", with: "''")
        return """
            -- Athena: the archive as a table.\(location == nil ? " Set LOCATION to where OUT was uploaded (s3://bucket/prefix/)." : "")
            -- ts is ISO 8601 UTC text: from_iso8601_timestamp(ts) makes it a timestamp.
            CREATE EXTERNAL TABLE IF NOT EXISTS \(table) (
            \(cols)
            )
            PARTITIONED BY (dt string, hour string)
            ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
            LOCATION '\(place)'
            TBLPROPERTIES (
              'projection.enabled' = 'true',
              'projection.dt.type' = 'date',
              'projection.dt.format' = 'yyyy-MM-dd',
              'projection.dt.range' = '2020-01-01,NOW',
              'projection.hour.type' = 'integer',
              'projection.hour.range' = '0,23',
              'projection.hour.digits' = '2',
              'storage.location.template' = '\(place)dt=${dt}/hour=${hour}/'
            );

            """
    }

    /// The part files of an archive (several archives' directories side by side form one
    /// history), oldest partition first; with `timeRange`, only the hours that overlap it.
    public static func parts(_ roots: [String], timeRange: (Int64, Int64)? = nil) throws -> [String] {
        var out: [String] = []
        for root in roots {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue,
                  let e = FileManager.default.enumerator(atPath: root) else { throw SourceError.unreadable(root, "no such archive directory") }
            for case let rel as String in e where ArchiveCompression.of(rel) != nil {
                guard let partition = partition(of: rel), hour(partition, overlaps: timeRange) else { continue }
                out.append(root + "/" + rel)
            }
        }
        return inOrder(out)
    }

    /// Part files oldest partition first (by `dt=…/hour=…/part-…`, whichever archive they are in).
    public static func inOrder(_ parts: [String]) -> [String] {
        parts.sorted { ($0.split(separator: "/").suffix(3).joined(separator: "/"), $0) < ($1.split(separator: "/").suffix(3).joined(separator: "/"), $1) }
    }

    /// A part file's name: `part-00042.json.gz`.
    public static func partName(_ n: Int, _ compression: ArchiveCompression = .gzip) -> String {
        "part-" + String(format: "%05d", n) + compression.suffix
    }

    /// The number of a part file's name (`part-00042.json.gz`: 42), nil for another name.
    public static func partNumber(_ name: some StringProtocol) -> Int? {
        guard name.hasPrefix("part-"), let c = ArchiveCompression.of(name) else { return nil }
        return Int(name.dropFirst(5).dropLast(c.suffix.count))
    }

    /// The `dt=` day and `hour=` of a part's path (`…/dt=2026-11-27/hour=14/part-00000.json.gz`).
    public static func partition(of path: String) -> (day: String, hour: String)? {
        let parts = path.split(separator: "/")
        guard parts.count >= 3, parts[parts.count - 3].hasPrefix("dt="), parts[parts.count - 2].hasPrefix("hour=") else { return nil }
        return (String(parts[parts.count - 3].dropFirst(3)), String(parts[parts.count - 2].dropFirst(5)))
    }

    /// Whether a partition's hour overlaps `timeRange` (any does without one; a malformed one none).
    public static func hour(_ p: (day: String, hour: String), overlaps timeRange: (Int64, Int64)?) -> Bool {
        guard let start = ByteLine.with("\(p.day)T\(p.hour):00:00Z", { Timestamp.parse(text: $0, reference: 0) }) else { return false }
        guard let (lo, hi) = timeRange else { return true }
        return start + 3_600_000_000_000 > lo && start <= hi
    }

    /// A segment read from an archive part with the core columns its records had when they
    /// were exported: each record's own `source` and `ingest_ts` (which, read back as JSON,
    /// came as the fields `_source` and `_ingest_ts`, the part file standing in as the source),
    /// so that `WHERE source = 'app.log'` finds what it found before the export.
    public static func restoringColumns(_ segment: Segment) -> Segment {
        var columns = segment.columns.all
        guard let source = columns.removeValue(forKey: "_source"), source.type == .string else { return segment }
        columns["source"] = source
        if let arrival = columns.removeValue(forKey: "_ingest_ts") {
            var ints = [Int64](repeating: 0, count: segment.rowCount)
            let fallback = columns["ingest_ts"]
            for row in 0..<segment.rowCount {
                switch arrival.value(at: row) {
                case .timestamp(let t): ints[row] = t
                case .string(let text): ints[row] = ByteLine.with(text) { Timestamp.parse(text: $0, reference: 0) } ?? 0
                default: if case .timestamp(let t)? = fallback?.value(at: row) { ints[row] = t }
                }
            }
            columns["ingest_ts"] = SegmentColumn(type: .timestamp, ints: ints, validity: nil, rows: segment.rowCount)
        }
        return Segment(rowCount: segment.rowCount, source: segment.source, columns: columns, flags: segment.flags, minTs: segment.minTs,
                       maxTs: segment.maxTs, skippedFieldNames: segment.skippedFieldNames)
    }

    /// `s` as a JSON string (quotes, escapes, control characters as \u00XX).
    public static func appendJSONString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A file written as `PATH.tmp` and put in place — synced, renamed — when it is finished, so
/// that a reader never sees half of it.
final class PendingFile {
    let path: String
    private let handle: FileHandle

    init(path: String) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path + ".tmp", contents: nil) else {
            throw SourceError.unreadable(path, "cannot be created")
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path + ".tmp"))
    }

    func write(_ bytes: ArraySlice<UInt8>) throws { try handle.write(contentsOf: bytes) }

    func finish() throws {
        try handle.synchronize()
        try handle.close()
        guard rename(path + ".tmp", path) == 0 else { throw SourceError.unreadable(path, "cannot be put in place: \(String(cString: strerror(errno)))") }
    }
}

/// A gzip file written through zlib.
final class GzipFile: PartWriter {
    private var stream = z_stream()
    private let file: PendingFile
    private var path: String { file.path }
    private var closed = false
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)

    init(path: String) throws {
        file = try PendingFile(path: path)
        guard logdash_deflate_init_gzip(&stream) == Z_OK else { throw SourceError.unreadable(path, "zlib cannot start a gzip stream") }
    }

    func write(_ bytes: [UInt8]) throws { try pump(bytes, finish: false) }

    func close() throws {
        guard !closed else { return }
        closed = true
        try pump([], finish: true)
        deflateEnd(&stream)
        try file.finish()
    }

    private func pump(_ input: [UInt8], finish: Bool) throws {
        var input = input
        try input.withUnsafeMutableBufferPointer { inp in
            stream.next_in = inp.baseAddress
            stream.avail_in = UInt32(inp.count)
            repeat {
                let (rc, produced) = buffer.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    let rc = deflate(&stream, finish ? Z_FINISH : Z_NO_FLUSH)
                    return (rc, out.count - Int(stream.avail_out))
                }
                guard rc != Z_STREAM_ERROR else { throw SourceError.unreadable(path, "zlib failed to compress") }
                if produced > 0 { try file.write(buffer[0..<produced]) }
                if finish ? rc == Z_STREAM_END : (stream.avail_in == 0 && stream.avail_out != 0) { break }
            } while true
        }
    }
}

/// A zstd file: level 3, one frame with its checksum.
final class ZstdFile: PartWriter {
    private let stream: OpaquePointer
    private let file: PendingFile
    private var path: String { file.path }
    private var closed = false
    private var buffer = [UInt8](repeating: 0, count: 1 << 17)

    init(path: String) throws {
        file = try PendingFile(path: path)
        guard let c = ZSTD_createCCtx() else { throw SourceError.unreadable(path, "zstd cannot start a frame") }
        ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3)
        ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)
        stream = c
    }

    deinit { ZSTD_freeCCtx(stream) }

    func write(_ bytes: [UInt8]) throws { try pump(bytes, end: false) }

    func close() throws {
        guard !closed else { return }
        closed = true
        try pump([], end: true)
        try file.finish()
    }

    private func pump(_ input: [UInt8], end: Bool) throws {
        try input.withUnsafeBytes { inp in
            var source = ZSTD_inBuffer(src: inp.baseAddress, size: inp.count, pos: 0)
            while true {
                let (rc, produced) = buffer.withUnsafeMutableBytes { out -> (Int, Int) in
                    var target = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                    let rc = ZSTD_compressStream2(stream, &target, &source, end ? ZSTD_e_end : ZSTD_e_continue)
                    return (rc, target.pos)
                }
                if ZSTD_isError(rc) != 0 { throw SourceError.unreadable(path, "zstd failed to compress: " + String(cString: ZSTD_getErrorName(rc))) }
                if produced > 0 { try file.write(buffer[0..<produced]) }
                if end ? rc == 0 : source.pos == source.size { break }
            }
        }
    }
}
