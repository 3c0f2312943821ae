import CDeflate
import CZstd
import Foundation
import Synchronization

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
    /// Another logdash writes the store (its lock is held).
    case inUse(String)
    /// A file written by a newer logdash, in a store format this one does not read.
    case tooNew(String, format: Int)

    var isTooNew: Bool { if case .tooNew = self { true } else { false } }

    public var description: String {
        switch self {
        case .io(let path, let why): "store: \(path): \(why)"
        case .corrupt(let path, let why): "store: \(path) is damaged: \(why)"
        case .inUse(let path): "store: \(path): is in use by another logdash (one writes a store at a time; 'logdash query --store' reads it beside)"
        case .tooNew(let path, let format):
            "store: \(path) was written by a newer logdash (store format \(format); this one reads formats up to \(SegmentCodec.formatVersion)): open the store with that logdash or a later one; nothing was changed"
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
    /// A Kinesis shard's checkpoint (`path` is `kinesis://STREAM/SHARD`): the sequence number of
    /// the last record taken; `offset` is then when the stream was first read (ns since the
    /// epoch; 0 from its oldest record), where a shard with no checkpoint of its own starts.
    public var sequence: String? = nil

    public var key: String { sequence == nil ? "\(dev):\(ino)" : path }

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
/// compressed with zstd when that helps, each with a CRC-32), then a JSON footer (schema,
/// dictionaries, zone maps, where each block lies), then a fixed trailer that finds the footer.
///
///     "LDSTORE1" | block … block | footer (JSON) | footer offset u64 | footer length u32 |
///     footer CRC-32 u32 | "LDSTOEND"
///
/// Segment files (not the log, which is written on the ingest path and kept plain) encode
/// columns for size: integers as deltas or offsets from the minimum in the fewest bytes that
/// hold them, decimals with few digits as scaled integers, and text found verbatim in the
/// record's raw line (JSON strings, logfmt values) as its position there — the line is stored
/// anyway, so the value is not stored twice.
enum SegmentCodec {
    /// The store format this logdash writes and the newest it reads: segment files and log
    /// records carry it (in their magic and their footer). A newer format is refused, never
    /// misread; older ones keep opening (Tests/…/Store/fixtures holds a store of each).
    public static let formatVersion = 1
    static let magic = Array("LDSTORE1".utf8)
    static let endMagic = Array("LDSTOEND".utf8)
    static let trailerSize = 24
    /// Raw lines are compressed in pieces of about this many bytes, so that reading one line
    /// back decompresses one piece, not the column.
    static let rawPiece = 1 << 20
    /// No block is larger once decompressed (a damaged footer cannot ask for more memory).
    static let maxBlockBytes = 1 << 32

    struct Block: Codable {
        var at: Int
        var size: Int
        /// Bytes once decompressed; equal to `size` for a block stored as is.
        var raw: Int
        /// Compressed with zstd.
        var z: Bool
        var crc: UInt32
    }

    enum Kind: UInt8, Codable { case null, ints, doubles, narrowCodes, codes, plain, pieces, rawRefs }

    /// How a column of integers is laid out: `mode` 0 the values, 1 zig-zag deltas from the
    /// previous row (from `base` for the first), 2 offsets from `base` (the minimum); each in
    /// `width` bytes.
    struct IntLayout: Codable {
        var mode: UInt8
        var width: Int
        var base: Int64
        /// Every delta (or offset) is a multiple of this, and stored divided by it.
        var step: Int64 = 1
    }

    struct ColumnMeta: Codable {
        var name: String
        var type: UInt8
        var kind: Kind
        var dictionary: [String]?
        /// ints: values, validity?; doubles: values (or scaled ints), validity?; codes: codes;
        /// plain: lengths, bytes, validity?; pieces: lengths, then the compressed pieces of the
        /// bytes; rawRefs: starts in the raw line, lengths, validity?.
        var blocks: [Block]
        var hasValidity: Bool
        var ints: IntLayout?
        /// Doubles stored as integers times 10^scale.
        var scale: Int?
        var lengths: IntLayout?
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

        mutating func shift(by n: Int) {
            flags.at += n
            for c in columns.indices { for b in columns[c].blocks.indices { columns[c].blocks[b].at += n } }
        }
    }

    struct ColumnSummary: Codable {
        var name: String
        var type: UInt8
        var nonNull: Int
        /// The zone map of integer and time columns: their smallest and largest value (as
        /// doubles, and exactly: `least` and `most`, absent from files written before them).
        var min: Double?
        var max: Double?
        var least: Int64?
        var most: Int64?
    }

    struct Footer: Codable {
        var version = 1
        /// The log files numbered up to this one are all in this file or earlier ones.
        var walCovered: Int
        var checkpoints: [FileCheckpoint]
        var segments: [SegmentMeta]
    }

    /// CRC-32 (zlib's, as every record and frame of the store and spool carries), computed
    /// by libdeflate: the same value at about three times zlib's speed.
    static func crc(_ p: UnsafeRawPointer?, _ n: Int) -> UInt32 {
        n == 0 ? 0 : libdeflate_crc32(0, p, n)
    }

    // MARK: writing

    struct Writer {
        var bytes: [UInt8]
        /// zstd level; 0 stores blocks as they are, and columns simply (the log, written on the
        /// ingest path).
        let level: Int32
        var compact: Bool { level > 0 }

        init(level: Int32, bytes: [UInt8] = SegmentCodec.magic) {
            self.level = level
            self.bytes = bytes
        }

        mutating func block(_ data: UnsafeRawBufferPointer) -> Block {
            let at = bytes.count
            if level > 0 && data.count > 64 {
                let bound = ZSTD_compressBound(data.count)
                let start = bytes.count
                bytes.append(contentsOf: repeatElement(0, count: bound))
                let n = bytes.withUnsafeMutableBufferPointer { out in
                    ZSTD_compress(out.baseAddress! + start, bound, data.baseAddress!, data.count, level)
                }
                if ZSTD_isError(n) == 0 && n < data.count {
                    bytes.removeLast(bytes.count - start - n)
                    let c = bytes.withUnsafeBytes { SegmentCodec.crc($0.baseAddress! + start, n) }
                    return Block(at: at, size: n, raw: data.count, z: true, crc: c)
                }
                bytes.removeLast(bytes.count - start)
            }
            bytes.append(contentsOf: data)
            let c = data.isEmpty ? 0 : SegmentCodec.crc(data.baseAddress!, data.count)
            return Block(at: at, size: data.count, raw: data.count, z: false, crc: c)
        }

        mutating func block<T>(_ array: [T]) -> Block {
            array.withUnsafeBytes { block($0) }
        }

        /// Integers in the smallest layout (`valid` rows only decide it; others are written as
        /// the previous value): deltas for columns that mostly grow (times), else offsets from
        /// the minimum; both divided by their common factor (times in whole milliseconds).
        mutating func ints(_ v: [Int64], valid: [UInt64]?) -> (Block, IntLayout) {
            guard compact, !v.isEmpty else { return (block(v), IntLayout(mode: 0, width: 8, base: 0)) }
            let isValid = { (r: Int) in valid.map { $0[r >> 6] & (1 << UInt64(r & 63)) != 0 } ?? true }
            var lo = Int64.max, hi = Int64.min, prev: Int64?, first: Int64 = 0
            var dGcd: UInt64 = 0, maxD: UInt64 = 0, growing = 0, n = 0
            func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 { var (a, b) = (a, b); while b != 0 { (a, b) = (b, a % b) }; return a }
            for r in v.indices where isValid(r) {
                lo = min(lo, v[r]); hi = max(hi, v[r])
                if let p = prev {
                    let d = v[r] &- p
                    if d >= 0 { growing += 1 }
                    dGcd = gcd(dGcd, d.magnitude)
                    maxD = max(maxD, d.magnitude)
                } else {
                    first = v[r]
                }
                prev = v[r]
                n += 1
            }
            if prev == nil { lo = 0; hi = 0; first = 0 }
            var vGcd: UInt64 = 0
            for r in v.indices where isValid(r) { vGcd = gcd(vGcd, UInt64(bitPattern: v[r] &- lo)); if vGcd == 1 { break } }
            func width(_ m: UInt64) -> Int { m <= 0xFF ? 1 : m <= 0xFFFF ? 2 : m <= 0xFFFF_FFFF ? 4 : 8 }
            let dStep = max(dGcd, 1), vStep = max(vGcd, 1)
            let deltaWidth = width((maxD / dStep) << 1 | 1), forWidth = width(UInt64(bitPattern: hi &- lo) / vStep)
            let useDelta = deltaWidth < forWidth || (deltaWidth == forWidth && growing * 10 >= n * 9)
            let step = useDelta ? dStep : vStep
            let layout = IntLayout(mode: useDelta ? 1 : 2, width: useDelta ? deltaWidth : forWidth, base: useDelta ? first : lo, step: Int64(step))
            var out = [UInt8](repeating: 0, count: v.count * layout.width)
            var p = layout.base
            out.withUnsafeMutableBytes { o in
                for r in v.indices {
                    let x: UInt64
                    if useDelta {
                        let cur = isValid(r) ? v[r] : p
                        let d = (cur &- p) / Int64(step)
                        x = UInt64(bitPattern: (d << 1) ^ (d >> 63))
                        p = cur
                    } else {
                        x = isValid(r) ? UInt64(bitPattern: v[r] &- lo) / step : 0
                    }
                    switch layout.width {
                    case 1: o.storeBytes(of: UInt8(truncatingIfNeeded: x), toByteOffset: r, as: UInt8.self)
                    case 2: o.storeBytes(of: UInt16(truncatingIfNeeded: x).littleEndian, toByteOffset: r * 2, as: UInt16.self)
                    case 4: o.storeBytes(of: UInt32(truncatingIfNeeded: x).littleEndian, toByteOffset: r * 4, as: UInt32.self)
                    default: o.storeBytes(of: x.littleEndian, toByteOffset: r * 8, as: UInt64.self)
                    }
                }
            }
            return (block(out), layout)
        }

        mutating func column(_ name: String, _ c: SegmentColumn, rows: Int, raw: (starts: [Int], text: [UInt8])?) -> ColumnMeta {
            var meta = ColumnMeta(name: name, type: c.type.rawValue, kind: .null, dictionary: nil, blocks: [], hasValidity: c.validity != nil)
            func validity() { if let v = c.validity { meta.blocks.append(block(v)) } }
            switch c.type {
            case .null:
                meta.hasValidity = false
            case .int, .bool, .timestamp:
                meta.kind = .ints
                let (b, layout) = ints(c.ints, valid: c.validity)
                meta.blocks.append(b)
                meta.ints = layout
                validity()
            case .double:
                meta.kind = .doubles
                if compact, let (scaled, k) = SegmentCodec.decimals(c.doubles, valid: c.validity) {
                    let (b, layout) = ints(scaled, valid: c.validity)
                    meta.blocks.append(b)
                    meta.ints = layout
                    meta.scale = k
                } else {
                    meta.blocks.append(block(c.doubles))
                }
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
                var lengths = [Int64](repeating: 0, count: rows)
                var text: [UInt8] = []
                if name == "raw", let raw {
                    for r in 0..<rows { lengths[r] = Int64(raw.starts[r + 1] - raw.starts[r]) }
                    text = raw.text
                } else if c.file != nil {
                    c.forEachBytes(rows: rows) { r, b in lengths[r] = Int64(b.count); text.append(contentsOf: b) }
                } else {
                    for r in 0..<rows { lengths[r] = Int64(c.offsets[r + 1] - c.offsets[r]) }
                    text = c.bytes
                }
                let valid = c.file == nil ? c.validity : nil
                if compact && name == "raw" {
                    meta.kind = .pieces
                    meta.hasValidity = false
                    let (b, layout) = ints(lengths, valid: nil)
                    meta.blocks.append(b)
                    meta.lengths = layout
                    // Pieces end at line ends, so that most lines lie in one piece.
                    var start = 0, r = 0, pos = 0
                    while r < rows {
                        pos += Int(lengths[r]); r += 1
                        if pos - start >= SegmentCodec.rawPiece || r == rows {
                            meta.blocks.append(text.withUnsafeBytes { block(UnsafeRawBufferPointer(rebasing: $0[start..<pos])) })
                            start = pos
                        }
                    }
                } else if compact, let raw, let starts = SegmentCodec.references(lengths: lengths, text: text, valid: valid, raw: raw) {
                    // Every value is in its raw line: where, not what.
                    meta.kind = .rawRefs
                    meta.hasValidity = valid != nil
                    let (b, layout) = ints(starts, valid: valid)
                    let (lb, ll) = ints(lengths, valid: valid)
                    meta.blocks += [b, lb]
                    meta.ints = layout
                    meta.lengths = ll
                    if let v = valid { meta.blocks.append(block(v)) }
                } else {
                    meta.kind = .plain
                    meta.hasValidity = valid != nil
                    let (b, layout) = ints(lengths, valid: nil)
                    meta.blocks.append(b)
                    meta.lengths = layout
                    meta.blocks.append(block(text))
                    if let v = valid { meta.blocks.append(block(v)) }
                }
            }
            return meta
        }

        mutating func segment(_ s: Segment) -> SegmentMeta {
            let cols = s.columns.all
            let names = CoreColumn.names.filter { cols[$0] != nil } + cols.keys.filter { !CoreColumn.names.contains($0) }.sorted()
            // The raw lines, once, for the raw column and for values found in them.
            var raw: (starts: [Int], text: [UInt8])?
            if compact, let r = cols["raw"], r.type == .string {
                var starts = [Int](repeating: 0, count: s.rowCount + 1)
                var text: [UInt8] = []
                if r.file != nil {
                    r.forEachBytes(rows: s.rowCount) { row, b in text.append(contentsOf: b); starts[row + 1] = text.count }
                    for i in stride(from: 1, through: s.rowCount, by: 1) where starts[i] < starts[i - 1] { starts[i] = starts[i - 1] }
                } else if !r.offsets.isEmpty {
                    for i in 0...s.rowCount { starts[i] = Int(r.offsets[i]) }
                    text = r.bytes
                }
                if text.count == starts[s.rowCount] { raw = (starts, text) }
            }
            let metas = names.map { column($0, cols[$0]!, rows: s.rowCount, raw: raw) }
            let flags = s.flags
            return SegmentMeta(source: s.source, rows: s.rowCount, minTs: s.minTs, maxTs: s.maxTs, skipped: s.skippedFieldNames,
                               unparsed: s.unparsedCount, flagged: s.flaggedCount, flags: block(flags.map(\.rawValue)), columns: metas,
                               schema: s.schema.map { c in
                                   let col = cols[c.name]
                                   let zoned = col.map { $0.type == .int || $0.type == .timestamp } ?? false
                                   return ColumnSummary(name: c.name, type: c.type.rawValue, nonNull: c.nonNull,
                                                        min: zoned ? col?.min : nil, max: zoned ? col?.max : nil,
                                                        least: zoned ? col?.intRange?.lowerBound : nil, most: zoned ? col?.intRange?.upperBound : nil)
                               })
        }

        /// Ends the image with its footer and trailer.
        mutating func finish(_ footer: Footer) throws -> [UInt8] {
            let json = try JSONEncoder().encode(footer)
            let at = UInt64(bytes.count)
            bytes.append(contentsOf: json)
            let c = json.withUnsafeBytes { SegmentCodec.crc($0.baseAddress!, json.count) }
            withUnsafeBytes(of: at.littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt32(json.count).littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: c.littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: SegmentCodec.endMagic)
            return bytes
        }
    }

    /// Doubles that are all decimals of at most four places, as integers times 10^k (nil when
    /// some are not, or too large).
    static func decimals(_ v: [Double], valid: [UInt64]?) -> ([Int64], Int)? {
        let isValid = { (r: Int) in valid.map { $0[r >> 6] & (1 << UInt64(r & 63)) != 0 } ?? true }
        outer: for k in 0...4 {
            let f = [1.0, 10, 100, 1000, 10000][k]
            var out = [Int64](repeating: 0, count: v.count)
            for r in v.indices where isValid(r) {
                let x = v[r] * f
                guard x.isFinite, abs(x) < 1e15 else { return nil }
                let i = Int64(x.rounded())
                guard Double(i) / f == v[r] else { continue outer }
                out[r] = i
            }
            return (out, k)
        }
        return nil
    }

    /// Where each value lies in its row's raw line, or nil when some value is not found there.
    static func references(lengths: [Int64], text: [UInt8], valid: [UInt64]?, raw: (starts: [Int], text: [UInt8])) -> [Int64]? {
        guard let memmem = MetricFilter.memmem else { return nil }
        var out = [Int64](repeating: 0, count: lengths.count)
        var pos = 0
        let ok: Bool = text.withUnsafeBytes { t in
            raw.text.withUnsafeBytes { rt in
                for r in lengths.indices {
                    let n = Int(lengths[r])
                    defer { pos += n }
                    if let v = valid, v[r >> 6] & (1 << UInt64(r & 63)) == 0 { continue }
                    let ls = raw.starts[r], le = raw.starts[r + 1]
                    if n == 0 { continue }
                    guard le - ls >= n, let hit = memmem(rt.baseAddress! + ls, le - ls, t.baseAddress! + pos, n) else { return false }
                    out[r] = Int64(rt.baseAddress!.distance(to: UnsafeRawPointer(hit)) - ls)
                }
                return true
            }
        }
        return ok ? out : nil
    }

    /// The image of segments with their footer; with a level, segments are encoded side by
    /// side on every core.
    static func encode(_ segments: [Segment], level: Int32, walCovered: Int = 0, checkpoints: [FileCheckpoint] = []) throws -> [UInt8] {
        var w = Writer(level: level)
        var metas: [SegmentMeta]
        if level > 0 && segments.count > 1 {
            let parts = UnsafeMutableBufferPointer<(SegmentMeta, [UInt8])?>.allocate(capacity: segments.count)
            parts.initialize(repeating: nil)
            defer { parts.deallocate() }
            nonisolated(unsafe) let out = parts
            DispatchQueue.concurrentPerform(iterations: segments.count) { i in
                var part = Writer(level: level, bytes: [])
                let m = part.segment(segments[i])
                out[i] = (m, part.bytes)
            }
            metas = []
            for case let (m, bytes)? in parts {
                var m = m
                m.shift(by: w.bytes.count)
                w.bytes += bytes
                metas.append(m)
            }
        } else {
            metas = segments.map { w.segment($0) }
        }
        return try w.finish(Footer(walCovered: walCovered, checkpoints: checkpoints, segments: metas))
    }

    // MARK: reading

    /// The footer of an image, its trailer and CRC checked.
    static func footer(_ image: MappedImage, name: String) throws -> Footer {
        let b = image.buffer
        // A newer format's magic ("LDSTORE2") is believed only with a footer that passes its
        // checksum and says so (below): one flipped bit must not pass for a newer logdash.
        let newerMagic = b.count >= magic.count && Array(b[0..<7]) == Array(magic[0..<7]) && (Int(String(UnicodeScalar(b[7]))) ?? 0) > formatVersion
        guard b.count >= magic.count + trailerSize, Array(b[0..<magic.count]) == magic || newerMagic else {
            throw StoreError.corrupt(name, "it does not start as a logdash store file")
        }
        let t = b.count - trailerSize
        guard Array(b[(b.count - 8)...]) == endMagic else { throw StoreError.corrupt(name, "its end is missing (cut short?)") }
        let at64 = UInt64(littleEndian: b.loadUnaligned(fromByteOffset: t, as: UInt64.self))
        let len = Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: t + 8, as: UInt32.self)))
        let c = UInt32(littleEndian: b.loadUnaligned(fromByteOffset: t + 12, as: UInt32.self))
        guard at64 >= UInt64(magic.count), at64 <= UInt64(t), Int(at64) + len == t else { throw StoreError.corrupt(name, "its footer is out of place") }
        let at = Int(at64)
        let json = UnsafeRawBufferPointer(rebasing: b[at..<(at + len)])
        guard crc(json.baseAddress!, len) == c else { throw StoreError.corrupt(name, "its footer fails its checksum") }
        let footer: Footer
        do {
            footer = try JSONDecoder().decode(Footer.self, from: Data(json))
        } catch {
            // A newer footer may not decode as this one's: its version says which it is.
            struct Version: Decodable { var version: Int }
            if let v = try? JSONDecoder().decode(Version.self, from: Data(json)), v.version > formatVersion { throw StoreError.tooNew(name, format: v.version) }
            throw StoreError.corrupt(name, "its footer cannot be read: \(error)")
        }
        guard footer.version <= formatVersion else { throw StoreError.tooNew(name, format: footer.version) }
        return footer
    }

    /// Checks that every block lies in the file and, with `checksums`, its CRC (a whole file,
    /// at start; a log record has a checksum of its own).
    static func verify(_ image: MappedImage, _ footer: Footer, name: String, checksums: Bool = true) throws {
        for s in footer.segments {
            for b in [s.flags] + s.columns.flatMap(\.blocks) {
                guard b.at >= magic.count, b.size >= 0, b.at <= image.count - b.size, b.raw >= 0, b.raw <= SegmentCodec.maxBlockBytes else {
                    throw StoreError.corrupt(name, "a block lies outside the file")
                }
                guard !checksums || crc(image.base.advanced(by: b.at), b.size) == b.crc else {
                    throw StoreError.corrupt(name, "a block of \(s.source)'s column data fails its checksum")
                }
            }
        }
    }

    /// A block's bytes, decompressed.
    static func read(_ image: MappedImage, _ b: Block) -> [UInt8] {
        let src = image.base.advanced(by: b.at)
        guard b.z else { return Array(UnsafeRawBufferPointer(start: src, count: b.size)) }
        var out = [UInt8](repeating: 0, count: b.raw)
        let n = out.withUnsafeMutableBytes { ZSTD_decompress($0.baseAddress!, b.raw, src, b.size) }
        if ZSTD_isError(n) != 0 || n != b.raw { return [] }
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

    /// Integers written by `Writer.ints`.
    static func ints(_ image: MappedImage, _ b: Block, _ layout: IntLayout?, rows: Int) -> [Int64] {
        guard let layout, layout.mode != 0 else { return array(image, b, as: Int64.self) }
        let bytes = read(image, b)
        var out = [Int64](repeating: 0, count: rows)
        guard bytes.count >= rows * layout.width else { return out }
        bytes.withUnsafeBytes { src in
            var p = layout.base
            for r in 0..<rows {
                let x: UInt64
                switch layout.width {
                case 1: x = UInt64(src[r])
                case 2: x = UInt64(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: r * 2, as: UInt16.self)))
                case 4: x = UInt64(UInt32(littleEndian: src.loadUnaligned(fromByteOffset: r * 4, as: UInt32.self)))
                default: x = UInt64(littleEndian: src.loadUnaligned(fromByteOffset: r * 8, as: UInt64.self))
                }
                if layout.mode == 1 {
                    p = p &+ (Int64(bitPattern: x >> 1) ^ -Int64(bitPattern: x & 1)) &* layout.step
                    out[r] = p
                } else {
                    out[r] = layout.base &+ Int64(bitPattern: x) &* layout.step
                }
            }
        }
        return out
    }

    static func column(_ image: MappedImage, _ m: ColumnMeta, rows: Int, name: String, raw: @Sendable () -> (starts: [Int64], text: [UInt8])) -> SegmentColumn {
        let type = ColumnType(rawValue: m.type) ?? .null
        let validity: [UInt64]? = m.hasValidity ? array(image, m.blocks.last!, as: UInt64.self) : nil
        /// NULL rows read 0, as in a column sealed from a batch.
        func zeroNulls(_ v: inout [Int64]) {
            guard let validity else { return }
            for r in v.indices where validity[r >> 6] & (1 << UInt64(r & 63)) == 0 { v[r] = 0 }
        }
        switch m.kind {
        case .null:
            return SegmentColumn.nulls(rows)
        case .ints:
            var v = ints(image, m.blocks[0], m.ints, rows: rows)
            zeroNulls(&v)
            return SegmentColumn(type: type, ints: v, validity: validity, rows: rows)
        case .doubles:
            var d: [Double]
            if let k = m.scale {
                let f = [1.0, 10, 100, 1000, 10000][k]
                d = ints(image, m.blocks[0], m.ints, rows: rows).map { Double($0) / f }
                if let validity { for r in d.indices where validity[r >> 6] & (1 << UInt64(r & 63)) == 0 { d[r] = 0 } }
            } else {
                d = array(image, m.blocks[0], as: Double.self)
            }
            return SegmentColumn(type: .double, doubles: d, validity: validity, rows: rows)
        case .narrowCodes:
            let codes = array(image, m.blocks[0], as: UInt8.self).map { $0 == 255 ? SegmentColumn.nullCode : UInt32($0) }
            return SegmentColumn(type: .string, codes: codes, dictionary: m.dictionary ?? [], validity: nil, rows: rows)
        case .codes:
            return SegmentColumn(type: .string, codes: array(image, m.blocks[0], as: UInt32.self), dictionary: m.dictionary ?? [], validity: nil, rows: rows)
        case .plain:
            let lengths = ints(image, m.blocks[0], m.lengths, rows: rows)
            var offsets = [UInt32](repeating: 0, count: rows + 1)
            for r in 0..<rows { offsets[r + 1] = offsets[r] &+ UInt32(truncatingIfNeeded: lengths[r]) }
            return SegmentColumn(type: .string, offsets: offsets, bytes: read(image, m.blocks[1]), validity: validity, rows: rows)
        case .rawRefs:
            let starts = ints(image, m.blocks[0], m.ints, rows: rows)
            let lengths = ints(image, m.blocks[1], m.lengths, rows: rows)
            let (lineStarts, text) = raw()
            var offsets = [UInt32](repeating: 0, count: rows + 1)
            var bytes: [UInt8] = []
            for r in 0..<rows {
                if validity.map({ $0[r >> 6] & (1 << UInt64(r & 63)) != 0 }) ?? true, lengths[r] > 0 {
                    let s = Int(lineStarts[r] + starts[r])
                    let e = s + Int(lengths[r])
                    if s >= 0 && e <= text.count { bytes.append(contentsOf: text[s..<e]) }
                }
                offsets[r + 1] = UInt32(bytes.count)
            }
            return SegmentColumn(type: .string, offsets: offsets, bytes: bytes, validity: validity, rows: rows)
        case .pieces:
            // Lines stay compressed in the mapped file; reading one decompresses its piece.
            let lengths = ints(image, m.blocks[0], m.lengths, rows: rows).map { UInt32(truncatingIfNeeded: $0) }
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
            // The raw lines, decompressed for a column that refers into them (and dropped after).
            let rawLines: @Sendable () -> (starts: [Int64], text: [UInt8]) = {
                var starts = [Int64](repeating: 0, count: m.rows + 1)
                var text: [UInt8] = []
                if let r = m.columns.first(where: { $0.name == "raw" && $0.kind == .pieces }) {
                    let lengths = ints(image, r.blocks[0], r.lengths, rows: m.rows)
                    for i in 0..<m.rows { starts[i + 1] = starts[i] + lengths[i] }
                    for b in r.blocks.dropFirst() { text += read(image, b) }
                }
                return (starts, text)
            }
            let decodeColumn: @Sendable (String) -> SegmentColumn? = { n in
                m.columns.first { $0.name == n }.map { column(image, $0, rows: m.rows, name: name, raw: rawLines) }
            }
            let decodeFlags: @Sendable () -> [RecordFlags] = {
                let flags = array(image, m.flags, as: UInt8.self).map { RecordFlags(rawValue: $0) }
                return flags.count == m.rows ? flags : [RecordFlags](repeating: [], count: m.rows)
            }
            let schema = m.schema.map { SchemaColumn(name: $0.name, type: ColumnType(rawValue: $0.type) ?? .null, nonNull: $0.nonNull) }
            var zones: [String: Segment.Zone] = [:]
            for c in m.schema {
                if let lo = c.min, let hi = c.max {
                    let exact = c.least.flatMap { lo in c.most.map { lo...$0 } }
                    zones[c.name] = Segment.Zone(min: lo, max: hi, ints: exact, nonNull: c.nonNull)
                }
            }
            let summary = Segment.Summary(rowCount: m.rows, source: m.source, minTs: m.minTs, maxTs: m.maxTs, skippedFieldNames: m.skipped,
                                          unparsedCount: m.unparsed, flaggedCount: m.flagged, schema: schema, zones: zones)
            let names = m.columns.map(\.name)
            if lazy { return Segment(summary: summary, names: names, column: decodeColumn, flags: decodeFlags) }
            var cols: [String: SegmentColumn] = [:]
            for n in names { cols[n] = decodeColumn(n) }
            return Segment(rowCount: m.rows, source: m.source, columns: cols, flags: decodeFlags(), minTs: m.minTs, maxTs: m.maxTs,
                           skippedFieldNames: m.skipped)
        }
    }
}

/// Lines kept in compressed pieces of a mapped store file, read by their offset in the
/// uncompressed whole; the last piece read is kept, so reading lines in order decompresses each
/// piece once.
final class PieceReader: Sendable {
    let image: MappedImage
    let pieces: [SegmentCodec.Block]
    /// Where each piece starts in the uncompressed whole.
    let starts: [Int64]
    private let cached = Mutex<(index: Int, bytes: [UInt8])?>(nil)

    init(image: MappedImage, pieces: [SegmentCodec.Block]) {
        self.image = image
        self.pieces = pieces
        var s: [Int64] = []
        var pos: Int64 = 0
        for p in pieces { s.append(pos); pos += Int64(p.raw) }
        starts = s
    }

    private func piece(_ i: Int) -> [UInt8] {
        if let hit = cached.withLock({ c in c.flatMap { $0.index == i ? $0.bytes : nil } }) { return hit }
        let b = SegmentCodec.read(image, pieces[i])  // (outside the lock: readers of other pieces go on)
        cached.withLock { $0 = (i, b) }
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
