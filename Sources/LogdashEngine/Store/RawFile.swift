import Foundation

/// A source file that records point into for their raw bytes, instead of keeping a copy:
/// for a large file that is most of the memory a store would use. Read with `pread`, so that a
/// file cut or rotated later gives a clear marker, never a crash.
public final class RawFile: Sendable {
    public let path: String
    private let fd: Int32
    /// Lines kept compressed in a store file instead (offsets are into the uncompressed whole).
    private let pieces: PieceReader?

    public init(path: String) throws {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SourceError.unreadable(path, String(cString: strerror(errno))) }
        self.path = path
        pieces = nil
    }

    init(pieces: PieceReader, name: String) {
        fd = -1
        path = name
        self.pieces = pieces
    }

    deinit { if fd >= 0 { close(fd) } }

    /// The bytes at `offset`; nil when the file no longer holds them.
    public func read(offset: Int64, length: Int) -> [UInt8]? {
        if let pieces { return pieces.read(offset: offset, length: length) }
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

    /// The bytes at `offset` into the front of `buffer` (grown when short, so that one buffer
    /// serves many reads); false when the file no longer holds them.
    public func read(offset: Int64, length: Int, into buffer: inout [UInt8]) -> Bool {
        if let pieces {
            guard let bytes = pieces.read(offset: offset, length: length) else { return false }
            buffer = bytes
            return true
        }
        if buffer.count < length { buffer = [UInt8](repeating: 0, count: length) }
        var done = 0
        while done < length {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, length - done, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }

    /// What `raw` reads as when the file changed under the store.
    public static let unavailable = "<raw line unavailable: the file was changed or removed since it was read>"
}

/// Where a batch's raw lines live: copied into the batch, or in a file, by offset.
public struct RawReference: @unchecked Sendable {  // `base` is only compared against, never read
    public let file: RawFile
    /// The address of the file's first byte in the mapping being parsed.
    public let base: UnsafePointer<UInt8>
}
