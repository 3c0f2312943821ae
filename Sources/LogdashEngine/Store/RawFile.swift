import Foundation
import Synchronization

/// A source file that records point into for their raw bytes, instead of keeping a copy:
/// for a large file that is most of the memory a store would use. Read with `pread`, so that a
/// file cut or rotated later gives a clear marker, never a crash.
public final class RawFile: Sendable {
    public let path: String
    /// The open file, or — once it is detached — its lines kept compressed in memory (or in a
    /// store file, for lines read back from one). Readers take it under the lock and read outside.
    private let backing: Mutex<Backing>

    private enum Backing {
        case file(Descriptor)
        case pieces(PieceReader)
    }

    /// An open descriptor, closed when the last reader lets go of it.
    private final class Descriptor: Sendable {
        let fd: Int32
        init(_ fd: Int32) { self.fd = fd }
        deinit { close(fd) }
    }

    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SourceError.unreadable(path, String(cString: strerror(errno))) }
        self.path = path
        backing = Mutex(.file(Descriptor(fd)))
    }

    init(pieces: PieceReader, name: String) {
        path = name
        backing = Mutex(.pieces(pieces))
    }

    /// The file was deleted (its last name removed) while it is open here.
    public var isUnlinked: Bool {
        guard case .file(let d) = backing.withLock({ $0 }) else { return false }
        var st = stat()
        return fstat(d.fd, &st) == 0 && st.st_nlink == 0
    }

    /// Copies the file's first `length` bytes (all that records point into) into memory,
    /// compressed, and closes the file: a deleted file's disk space is freed while the records
    /// read from it keep their raw lines. Bytes the file no longer holds read as unavailable.
    public func detach(length: Int64) {
        guard case .file(let d) = backing.withLock({ $0 }) else { return }
        var writer = SegmentCodec.Writer(level: 1, bytes: [])
        var blocks: [SegmentCodec.Block] = []
        var chunk = [UInt8](repeating: 0, count: SegmentCodec.rawPiece)
        var offset: Int64 = 0
        while offset < length {
            let want = Int(min(Int64(chunk.count), length - offset))
            let n = chunk.withUnsafeMutableBytes { pread(d.fd, $0.baseAddress!, want, off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            blocks.append(chunk.withUnsafeBytes { writer.block(UnsafeRawBufferPointer(rebasing: $0[..<n])) })
            offset += Int64(n)
        }
        let image = writer.bytes.withUnsafeBytes { MappedImage(bytes: $0) }
        backing.withLock { $0 = .pieces(PieceReader(image: image, pieces: blocks)) }
    }

    /// The bytes at `offset`; nil when the file no longer holds them.
    public func read(offset: Int64, length: Int) -> [UInt8]? {
        let fd: Int32
        let held: Descriptor
        switch backing.withLock({ $0 }) {
        case .pieces(let pieces): return pieces.read(offset: offset, length: length)
        case .file(let d): held = d; fd = d.fd
        }
        return withExtendedLifetime(held) {
            var complete = false
            // Read straight into the array's storage (not zeroed first: `pread` fills it).
            let out = [UInt8](unsafeUninitializedCapacity: length) { buffer, count in
                var done = 0
                while done < length {
                    let n = pread(fd, buffer.baseAddress! + done, length - done, off_t(offset) + off_t(done))
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    done += n
                }
                complete = done == length
                count = done
            }
            return complete ? out : nil
        }
    }

    /// The bytes at `offset` into the front of `buffer` (grown when short, so that one buffer
    /// serves many reads); false when the file no longer holds them.
    public func read(offset: Int64, length: Int, into buffer: inout [UInt8]) -> Bool {
        let held: Descriptor
        switch backing.withLock({ $0 }) {
        case .pieces(let pieces):
            guard let bytes = pieces.read(offset: offset, length: length) else { return false }
            buffer = bytes
            return true
        case .file(let d): held = d
        }
        return withExtendedLifetime(held) {
            if buffer.count < length { buffer = [UInt8](unsafeUninitializedCapacity: length) { _, count in count = length } }  // (pread fills it)
            var done = 0
            while done < length {
                let n = buffer.withUnsafeMutableBytes { pread(held.fd, $0.baseAddress! + done, length - done, off_t(offset) + off_t(done)) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                done += n
            }
            return true
        }
    }

    /// What `raw` reads as when the file changed under the store.
    public static let unavailable = "<raw line unavailable: the file was changed or removed since it was read>"
}

/// The bytes of a file that this thread has in memory while it works on records just parsed
/// from them (a part of the file's mapping): their raw lines are read there rather than with
/// `pread` (the transform steps' masking reads every raw line). Set only around work on those
/// records (`RawFile.withWindow`), while the mapping is sure to hold them.
extension RawFile {
    struct Window {
        let file: RawFile
        /// The address of the file's first byte in the mapping.
        let base: UnsafePointer<UInt8>
        /// The file's offsets that the mapping holds (and this thread may read).
        let range: Range<Int64>
    }

    private final class WindowBox {
        let window: Window
        init(_ w: Window) { window = w }
    }

    private static let windowKey: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0)
        return key
    }()

    /// Runs `body` with `window` as this thread's bytes of its file.
    static func withWindow<R>(_ window: Window, _ body: () throws -> R) rethrows -> R {
        let box = WindowBox(window)
        let before = pthread_getspecific(windowKey)
        pthread_setspecific(windowKey, Unmanaged.passUnretained(box).toOpaque())
        defer { pthread_setspecific(windowKey, before) }
        return try withExtendedLifetime(box) { try body() }
    }

    /// This file's bytes at `offset`, when this thread has them in memory.
    func inMemory(offset: Int64, length: Int) -> UnsafeBufferPointer<UInt8>? {
        guard let p = pthread_getspecific(RawFile.windowKey) else { return nil }
        let w = Unmanaged<WindowBox>.fromOpaque(p).takeUnretainedValue().window
        guard w.file === self, offset >= w.range.lowerBound, offset + Int64(length) <= w.range.upperBound else { return nil }
        return UnsafeBufferPointer(start: w.base + Int(offset), count: length)
    }
}

/// Where a batch's raw lines live: copied into the batch, or in a file, by offset.
public struct RawReference: @unchecked Sendable {  // `base` is read only by the parsing workers, inside the mapping
    public let file: RawFile
    /// The address of the file's first byte in the mapping being parsed.
    public let base: UnsafePointer<UInt8>
}
