import CZlib
import Foundation

/// Bytes of a store file or a log record, kept alive while segments read from them: a file
/// mapped read-only (`mmap`, so the kernel's page cache holds it, not the heap), or a copy.
public final class MappedImage: @unchecked Sendable {  // immutable after init
    public let base: UnsafeRawPointer
    public let count: Int
    private let mapped: Bool

    /// Maps a whole file.
    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io(path, String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError.io(path, String(cString: strerror(errno))) }
        count = Int(st.st_size)
        guard count > 0 else { throw StoreError.corrupt(path, "the file is empty") }
        guard let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw StoreError.io(path, "cannot be mapped: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
        mapped = true
    }

    /// A copy of bytes (a log record being replayed).
    public init(bytes: UnsafeRawBufferPointer) {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, bytes.count), alignment: 16)
        if let b = bytes.baseAddress { p.copyMemory(from: b, byteCount: bytes.count) }
        base = UnsafeRawPointer(p)
        count = bytes.count
        mapped = false
    }

    deinit {
        if mapped { munmap(UnsafeMutableRawPointer(mutating: base), count) } else { UnsafeMutableRawPointer(mutating: base).deallocate() }
    }

    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

public enum StoreError: Error, CustomStringConvertible, Equatable {
    case io(String, String)
    case corrupt(String, String)

    public var description: String {
        switch self {
        case .io(let path, let why): "store: \(path): \(why)"
        case .corrupt(let path, let why): "store: \(path) is damaged: \(why)"
        }
    }
}

/// Where a file source stood: which file (device and inode, and a fingerprint of its first
/// bytes, so a file truncated and rewritten — or an inode reused — is not mistaken for it) and
/// how far its lines are stored. Committed in the same log record as the lines it covers.
public struct FileCheckpoint: Codable, Sendable, Equatable {
    public var path: String
    public var source: String
    public var dev: UInt64
    public var ino: UInt64
    public var offset: Int64
    /// FNV-1a of the file's first `fingerprintLength` bytes.
    public var fingerprint: UInt64
    public var fingerprintLength: Int

    public var key: String { "\(dev):\(ino)" }

    /// The fingerprint of the first bytes of an open file (at most 1 KiB, at most `upTo`).
    static func fingerprint(fd: Int32, upTo: Int64) -> (UInt64, Int) {
        let n = Int(min(1024, max(0, upTo)))
        var buf = [UInt8](repeating: 0, count: n)
        let got = n == 0 ? 0 : buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, n, 0) }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in buf.prefix(max(0, got)) { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return (h, max(0, got))
    }
}

/// The binary layout shared by segment files and log records: blocks of column data (each
/// compressed with zlib when that helps, each with a CRC-32), then a JSON footer (schema,
/// dictionaries, zone maps, where each block lies), then a fixed trailer that finds the footer.
///
///     "LDSTORE1" | block … block | footer (JSON) | footer offset u64 | footer length u32 |
///     footer CRC-32 u32 | "LDSTOEND"
enum SegmentCodec {
    static let magic = Array("LDSTORE1".utf8)
    static let endMagic = Array("LDSTOEND".utf8)
    static let trailerSize = 24
    /// Raw lines are compressed in pieces of about this many bytes, so that reading one line
    /// back decompresses one piece, not the column.
    static let rawPiece = 1 << 20

    struct Block: Codable {
        var at: Int
        var size: Int
        /// Bytes once decompressed; equal to `size` for a block stored as is.
        var raw: Int
        var z: Bool
        var crc: UInt32
    }

    enum Kind: UInt8, Codable { case null, ints, doubles, narrowCodes, codes, plain, pieces }

    struct ColumnMeta: Codable {
        var name: String
        var type: UInt8
        var kind: Kind
        var dictionary: [String]?
        /// ints: deltas, validity?; doubles: values, validity?; codes: codes; plain: lengths,
        /// bytes, validity?; pieces: lengths, then the compressed pieces of the bytes.
        var blocks: [Block]
        var hasValidity: Bool
    }

    struct SegmentMeta: Codable {
        var source: String
        var rows: Int
        var minTs: Int64
        var maxTs: Int64
        var skipped: [String]
        var unparsed: Int
        var flagged: Int
        var flags: Block
        var columns: [ColumnMeta]
        var schema: [ColumnSummary]
    }

    struct ColumnSummary: Codable {
        var name: String
        var type: UInt8
        var nonNull: Int
    }

    struct Footer: Codable {
        var version = 1
        /// The log files numbered up to this one are all in this file or earlier ones.
        var walCovered: Int
        var checkpoints: [FileCheckpoint]
        var segments: [SegmentMeta]
    }

    // MARK: writing

    struct Writer {
        var bytes: [UInt8] = SegmentCodec.magic
        /// zlib level; 0 stores blocks as they are (the log, written on the ingest path).
        let level: Int32
        /// Whether plain strings named `raw` go in compressed pieces (segment files) or whole.
        let pieces: Bool

        mutating func block(_ data: UnsafeRawBufferPointer) -> Block {
            let at = bytes.count
            let crcIn = data.isEmpty ? 0 : UInt32(crc32(0, data.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(data.count)))
            if level > 0 && data.count > 64 {
                var outLen = compressBound(uLong(data.count))
                let start = bytes.count
                bytes.append(contentsOf: repeatElement(0, count: Int(outLen)))
                let rc = bytes.withUnsafeMutableBufferPointer { out in
                    compress2(out.baseAddress! + start, &outLen, data.baseAddress!.assumingMemoryBound(to: Bytef.self), uLong(data.count), level)
                }
                if rc == Z_OK && Int(outLen) < data.count {
                    bytes.removeLast(bytes.count - start - Int(outLen))
                    let crc = bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress! + start, uInt(outLen))) }
                    return Block(at: at, size: Int(outLen), raw: data.count, z: true, crc: crc)
                }
                bytes.removeLast(bytes.count - start)
            }
            bytes.append(contentsOf: data)
            return Block(at: at, size: data.count, raw: data.count, z: false, crc: crcIn)
        }

        mutating func block<T>(_ array: [T]) -> Block {
            array.withUnsafeBytes { block($0) }
        }

        mutating func column(_ name: String, _ c: SegmentColumn, rows: Int) -> ColumnMeta {
            var meta = ColumnMeta(name: name, type: c.type.rawValue, kind: .null, dictionary: nil, blocks: [], hasValidity: c.validity != nil)
            func validity() { if let v = c.validity { meta.blocks.append(block(v)) } }
            switch c.type {
            case .null:
                meta.hasValidity = false
            case .int, .bool, .timestamp:
                meta.kind = .ints
                var deltas = [Int64](repeating: 0, count: rows)
                var prev: Int64 = 0
                for r in 0..<rows { deltas[r] = c.ints[r] &- prev; prev = c.ints[r] }
                meta.blocks.append(block(deltas))
                validity()
            case .double:
                meta.kind = .doubles
                meta.blocks.append(block(c.doubles))
                validity()
            case .string where c.isDictionary:
                meta.dictionary = c.dictionary
                meta.hasValidity = false
                if !c.narrowCodes.isEmpty {
                    meta.kind = .narrowCodes
                    meta.blocks.append(block(c.narrowCodes))
                } else {
                    meta.kind = .codes
                    meta.blocks.append(block(c.codes))
                }
            case .string:
                // Plain strings (or lines read from a file): lengths and bytes.
                var lengths = [UInt32](repeating: 0, count: rows)
                var text: [UInt8] = []
                if c.file != nil {
                    meta.hasValidity = false
                    c.forEachText(rows: rows) { r, s in lengths[r] = UInt32(s.utf8.count); text.append(contentsOf: s.utf8) }
                } else {
                    for r in 0..<rows { lengths[r] = c.offsets[r + 1] - c.offsets[r] }
                    text = c.bytes
                }
                meta.blocks.append(block(lengths))
                if pieces && name == "raw" {
                    meta.kind = .pieces
                    // Pieces end at line ends, so that most lines lie in one piece.
                    var start = 0, r = 0, pos = 0
                    while r < rows {
                        pos += Int(lengths[r]); r += 1
                        if pos - start >= SegmentCodec.rawPiece || r == rows {
                            meta.blocks.append(text.withUnsafeBytes { block(UnsafeRawBufferPointer(rebasing: $0[start..<pos])) })
                            start = pos
                        }
                    }
                } else {
                    meta.kind = .plain
                    meta.blocks.append(block(text))
                    if c.file == nil { validity() }
                }
            }
            return meta
        }

        mutating func segment(_ s: Segment) -> SegmentMeta {
            let cols = s.columns
            let names = CoreColumn.names.filter { cols[$0] != nil } + cols.keys.filter { !CoreColumn.names.contains($0) }.sorted()
            let metas = names.map { column($0, cols[$0]!, rows: s.rowCount) }
            let flags = s.flags
            return SegmentMeta(source: s.source, rows: s.rowCount, minTs: s.minTs, maxTs: s.maxTs, skipped: s.skippedFieldNames,
                               unparsed: s.unparsedCount, flagged: s.flaggedCount, flags: block(flags.map(\.rawValue)), columns: metas,
                               schema: s.schema.map { ColumnSummary(name: $0.name, type: $0.type.rawValue, nonNull: $0.nonNull) })
        }

        /// Ends the image with its footer and trailer.
        mutating func finish(_ footer: Footer) throws -> [UInt8] {
            let json = try JSONEncoder().encode(footer)
            let at = UInt64(bytes.count)
            bytes.append(contentsOf: json)
            let crc = json.withUnsafeBytes { UInt32(crc32(0, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(json.count))) }
            withUnsafeBytes(of: at.littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt32(json.count).littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: crc.littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: SegmentCodec.endMagic)
            return bytes
        }
    }

    /// The image of segments with their footer.
    static func encode(_ segments: [Segment], level: Int32, pieces: Bool, walCovered: Int = 0,
                       checkpoints: [FileCheckpoint] = []) throws -> [UInt8] {
        var w = Writer(level: level, pieces: pieces)
        let metas = segments.map { w.segment($0) }
        return try w.finish(Footer(walCovered: walCovered, checkpoints: checkpoints, segments: metas))
    }

    // MARK: reading

    /// The footer of an image, its trailer and CRC checked.
    static func footer(_ image: MappedImage, name: String) throws -> Footer {
        let b = image.buffer
        guard b.count >= magic.count + trailerSize, Array(b[0..<magic.count]) == magic else {
            throw StoreError.corrupt(name, "it does not start as a logdash store file")
        }
        let t = b.count - trailerSize
        guard Array(b[(b.count - 8)...]) == endMagic else { throw StoreError.corrupt(name, "its end is missing (cut short?)") }
        let at = Int(UInt64(littleEndian: b.loadUnaligned(fromByteOffset: t, as: UInt64.self)))
        let len = Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: t + 8, as: UInt32.self)))
        let crc = UInt32(littleEndian: b.loadUnaligned(fromByteOffset: t + 12, as: UInt32.self))
        guard at >= magic.count, at + len == t else { throw StoreError.corrupt(name, "its footer is out of place") }
        let json = UnsafeRawBufferPointer(rebasing: b[at..<(at + len)])
        guard UInt32(crc32(0, json.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(len))) == crc else {
            throw StoreError.corrupt(name, "its footer fails its checksum")
        }
        do {
            return try JSONDecoder().decode(Footer.self, from: Data(json))
        } catch {
            throw StoreError.corrupt(name, "its footer cannot be read: \(error)")
        }
    }

    /// Checks every block's CRC (a whole file, at start).
    static func verify(_ image: MappedImage, _ footer: Footer, name: String) throws {
        for s in footer.segments {
            for b in [s.flags] + s.columns.flatMap(\.blocks) {
                guard b.at >= magic.count, b.at + b.size <= image.count else { throw StoreError.corrupt(name, "a block lies outside the file") }
                let crc = UInt32(crc32(0, image.base.advanced(by: b.at).assumingMemoryBound(to: Bytef.self), uInt(b.size)))
                guard crc == b.crc else { throw StoreError.corrupt(name, "a block of \(s.source)'s column data fails its checksum") }
            }
        }
    }

    /// A block's bytes, decompressed.
    static func read(_ image: MappedImage, _ b: Block) -> [UInt8] {
        let src = image.base.advanced(by: b.at)
        guard b.z else { return Array(UnsafeRawBufferPointer(start: src, count: b.size)) }
        var out = [UInt8](repeating: 0, count: b.raw)
        var len = uLong(b.raw)
        let rc = out.withUnsafeMutableBufferPointer { uncompress($0.baseAddress!, &len, src.assumingMemoryBound(to: Bytef.self), uLong(b.size)) }
        if rc != Z_OK || Int(len) != b.raw { return [] }
        return out
    }

    static func array<T>(_ image: MappedImage, _ b: Block, as: T.Type) -> [T] {
        let bytes = read(image, b)
        let n = bytes.count / MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: n) { buf, count in
            bytes.withUnsafeBytes { src in
                if n > 0 { UnsafeMutableRawPointer(buf.baseAddress!).copyMemory(from: src.baseAddress!, byteCount: n * MemoryLayout<T>.stride) }
            }
            count = n
        }
    }

    static func column(_ image: MappedImage, _ m: ColumnMeta, rows: Int, name: String) -> SegmentColumn {
        let type = ColumnType(rawValue: m.type) ?? .null
        let validity: [UInt64]? = m.hasValidity ? array(image, m.blocks.last!, as: UInt64.self) : nil
        switch m.kind {
        case .null:
            return SegmentColumn.nulls(rows)
        case .ints:
            var ints = array(image, m.blocks[0], as: Int64.self)
            var prev: Int64 = 0
            for r in ints.indices { prev = prev &+ ints[r]; ints[r] = prev }
            return SegmentColumn(type: type, ints: ints, validity: validity, rows: rows)
        case .doubles:
            return SegmentColumn(type: .double, doubles: array(image, m.blocks[0], as: Double.self), validity: validity, rows: rows)
        case .narrowCodes:
            let codes = array(image, m.blocks[0], as: UInt8.self).map { $0 == 255 ? SegmentColumn.nullCode : UInt32($0) }
            return SegmentColumn(type: .string, codes: codes, dictionary: m.dictionary ?? [], validity: nil, rows: rows)
        case .codes:
            return SegmentColumn(type: .string, codes: array(image, m.blocks[0], as: UInt32.self), dictionary: m.dictionary ?? [], validity: nil, rows: rows)
        case .plain:
            let lengths = array(image, m.blocks[0], as: UInt32.self)
            var offsets = [UInt32](repeating: 0, count: rows + 1)
            for r in 0..<min(rows, lengths.count) { offsets[r + 1] = offsets[r] &+ lengths[r] }
            return SegmentColumn(type: .string, offsets: offsets, bytes: read(image, m.blocks[1]), validity: validity, rows: rows)
        case .pieces:
            // Lines stay compressed in the mapped file; reading one decompresses its piece.
            let lengths = array(image, m.blocks[0], as: UInt32.self)
            var starts = [Int64](repeating: 0, count: rows)
            var pos: Int64 = 0
            for r in 0..<min(rows, lengths.count) { starts[r] = pos; pos += Int64(lengths[r]) }
            let reader = PieceReader(image: image, pieces: Array(m.blocks.dropFirst()))
            return SegmentColumn(type: .string, file: RawFile(pieces: reader, name: name), fileStarts: starts, fileLengths: lengths,
                                 validity: nil, rows: rows)
        }
    }

    /// Segments of an image. `lazy`: each segment's columns are decoded the first time a query
    /// reads them (a store file); otherwise at once (a log record being replayed).
    static func segments(_ image: MappedImage, _ footer: Footer, name: String, lazy: Bool) -> [Segment] {
        footer.segments.map { m in
            let load: @Sendable () -> ([String: SegmentColumn], [RecordFlags]) = {
                var cols: [String: SegmentColumn] = [:]
                for c in m.columns { cols[c.name] = column(image, c, rows: m.rows, name: name) }
                let flags = array(image, m.flags, as: UInt8.self).map { RecordFlags(rawValue: $0) }
                return (cols, flags.count == m.rows ? flags : [RecordFlags](repeating: [], count: m.rows))
            }
            let schema = m.schema.map { SchemaColumn(name: $0.name, type: ColumnType(rawValue: $0.type) ?? .null, nonNull: $0.nonNull) }
            let summary = Segment.Summary(rowCount: m.rows, source: m.source, minTs: m.minTs, maxTs: m.maxTs, skippedFieldNames: m.skipped,
                                          unparsedCount: m.unparsed, flaggedCount: m.flagged, schema: schema)
            if lazy { return Segment(summary: summary, load: load) }
            let (cols, flags) = load()
            return Segment(rowCount: m.rows, source: m.source, columns: cols, flags: flags, minTs: m.minTs, maxTs: m.maxTs,
                           skippedFieldNames: m.skipped)
        }
    }
}

/// Lines kept in compressed pieces of a mapped store file, read by their offset in the
/// uncompressed whole; the last piece read is kept, so reading lines in order decompresses each
/// piece once.
final class PieceReader: @unchecked Sendable {  // cache guarded by `lock`
    let image: MappedImage
    let pieces: [SegmentCodec.Block]
    /// Where each piece starts in the uncompressed whole.
    let starts: [Int64]
    private let lock = NSLock()
    private var cached: (index: Int, bytes: [UInt8])?

    init(image: MappedImage, pieces: [SegmentCodec.Block]) {
        self.image = image
        self.pieces = pieces
        var s: [Int64] = []
        var pos: Int64 = 0
        for p in pieces { s.append(pos); pos += Int64(p.raw) }
        starts = s
    }

    private func piece(_ i: Int) -> [UInt8] {
        lock.lock()
        if let c = cached, c.index == i { lock.unlock(); return c.bytes }
        lock.unlock()
        let b = SegmentCodec.read(image, pieces[i])
        lock.lock(); cached = (i, b); lock.unlock()
        return b
    }

    func read(offset: Int64, length: Int) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(length)
        var pos = offset
        let end = offset + Int64(length)
        // The last piece starting at or before `pos`.
        var lo = 0, hi = starts.count - 1
        guard hi >= 0 else { return length == 0 ? [] : nil }
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= pos { lo = mid } else { hi = mid - 1 }
        }
        var i = lo
        while pos < end {
            guard i < pieces.count else { return nil }
            let p = piece(i)
            guard p.count == pieces[i].raw else { return nil }
            let from = Int(pos - starts[i])
            let to = Int(min(end - starts[i], Int64(p.count)))
            if from < to { out.append(contentsOf: p[from..<to]) }
            pos = starts[i] + Int64(to)
            i += 1
        }
        return out
    }
}
