import CZlib
import CZstd
import Foundation

/// Where a source's bytes come from. `read` fills as much of `buffer` as it can and returns
/// the count; 0 means the input has ended.
public protocol ByteInput: AnyObject {
    /// Whether a read should be repeated until the buffer is full (files) rather than handed
    /// on at once (pipes, live streams), for latency.
    var fillsBuffer: Bool { get }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A file or pipe read with `read(2)`.
public final class FileInput: ByteInput {
    let fd: Int32
    let path: String
    let ownsFD: Bool
    public let fillsBuffer: Bool

    public init(path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SourceError.unreadable(path, String(cString: strerror(errno))) }
        self.path = path
        ownsFD = true
        var st = stat()
        fillsBuffer = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// Standard input, or another descriptor the process already holds.
    public init(fd: Int32, name: String) {
        self.fd = fd
        path = name
        ownsFD = false
        var st = stat()
        fillsBuffer = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    deinit { if ownsFD { close(fd) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw SourceError.unreadable(path, String(cString: strerror(errno)))
        }
    }
}

/// A gzip file decompressed while it is read (several concatenated members are fine).
public final class GzipInput: ByteInput {
    private let file: FileInput
    private var stream = z_stream()
    private var input: UnsafeMutablePointer<UInt8>
    private let inputCapacity = 1 << 18
    private var finished = false
    private var inputEnded = false
    public var fillsBuffer: Bool { true }

    public init(path: String) throws {
        file = try FileInput(path: path)
        input = .allocate(capacity: inputCapacity)
        guard logdash_inflate_init_gzip(&stream) == Z_OK else {
            input.deallocate()
            throw SourceError.unreadable(path, "zlib could not be initialised")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, let out = buffer.baseAddress else { return 0 }
        stream.next_out = out.assumingMemoryBound(to: UInt8.self)
        stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputEnded {
                let n = try file.read(into: UnsafeMutableRawBufferPointer(start: input, count: inputCapacity))
                if n == 0 { inputEnded = true } else {
                    stream.next_in = input
                    stream.avail_in = UInt32(n)
                }
            }
            if stream.avail_in == 0 && inputEnded {
                // Input ended: whatever inflate still holds has been flushed by now.
                let produced = buffer.count - Int(stream.avail_out)
                if produced == 0 && !finished {
                    finished = true
                    if stream.total_in > 0 && !atMemberEnd {
                        throw SourceError.corrupt(file.path, "gzip data ends early (truncated file)")
                    }
                }
                return produced
            }
            let rc = inflate(&stream, Z_NO_FLUSH)
            switch rc {
            case Z_OK, Z_BUF_ERROR:
                atMemberEnd = false
            case Z_STREAM_END:
                atMemberEnd = true
                // Another member may follow.
                inflateReset(&stream)
            default:
                let msg = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw SourceError.corrupt(file.path, "gzip data is corrupt: \(msg)")
            }
        }
        return buffer.count - Int(stream.avail_out)
    }

    private var atMemberEnd = true

    /// Whether a path names gzip data, by its magic bytes.
    public static func isGzip(path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        let magic = (try? h.read(upToCount: 2)) ?? Data()
        return magic.count == 2 && magic[magic.startIndex] == 0x1F && magic[magic.startIndex + 1] == 0x8B
    }
}

/// A zstd file decompressed while it is read (several frames one after another are fine; a file
/// that ends inside a frame is an error, not a silent loss).
public final class ZstdInput: ByteInput {
    private let file: FileInput
    private let stream: OpaquePointer
    private var input: UnsafeMutablePointer<UInt8>
    private let inputCapacity = 1 << 18
    private var source = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
    private var inputEnded = false
    /// 0 when the last frame decoded is complete (zstd's answer), else what it still wants.
    private var pending: Int = 0
    private var sawInput = false
    public var fillsBuffer: Bool { true }

    public init(path: String) throws {
        file = try FileInput(path: path)
        guard let d = ZSTD_createDStream() else { throw SourceError.unreadable(path, "zstd could not be initialised") }
        ZSTD_initDStream(d)
        stream = d
        input = .allocate(capacity: inputCapacity)
    }

    deinit {
        ZSTD_freeDStream(stream)
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        var out = ZSTD_outBuffer(dst: base, size: buffer.count, pos: 0)
        while out.pos < out.size {
            if source.pos == source.size && !inputEnded {
                let n = try file.read(into: UnsafeMutableRawBufferPointer(start: input, count: inputCapacity))
                if n == 0 { inputEnded = true } else {
                    source = ZSTD_inBuffer(src: input, size: n, pos: 0)
                    sawInput = true
                }
            }
            if source.pos == source.size && inputEnded {
                // Nothing more to read: flush what the decoder holds, then the end.
                let before = out.pos
                let rc = ZSTD_decompressStream(stream, &out, &source)
                if ZSTD_isError(rc) != 0 { throw SourceError.corrupt(file.path, "zstd data is corrupt: " + String(cString: ZSTD_getErrorName(rc))) }
                // (Between frames, zstd answers with what a next frame's header would need:
                // only a call that gave bytes tells whether the frame is complete.)
                if out.pos > before { pending = rc; continue }
                if sawInput && pending != 0 && out.pos == 0 { throw SourceError.corrupt(file.path, "zstd data ends early (truncated file)") }
                return out.pos
            }
            let rc = ZSTD_decompressStream(stream, &out, &source)
            if ZSTD_isError(rc) != 0 { throw SourceError.corrupt(file.path, "zstd data is corrupt: " + String(cString: ZSTD_getErrorName(rc))) }
            pending = rc
        }
        return out.pos
    }

    /// Whether a path names zstd data, by its magic bytes (28 B5 2F FD).
    public static func isZstd(path: String) -> Bool {
        guard let h = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? h.close() }
        let magic = [UInt8]((try? h.read(upToCount: 4)) ?? Data())
        return magic == [0x28, 0xB5, 0x2F, 0xFD]
    }
}
