import CZlib
import CZstd

/// A compressed HTTP body (`Content-Encoding: gzip`, `deflate` or `zstd`, as Fluent Bit and the
/// OpenTelemetry Collector send) decompressed as its parts arrive, within bounds: the output
/// may not pass `maxBytes` (the body limit), nor `maxRatio` times the input once past 1 MiB —
/// a bomb is refused long before it is inflated.
final class BodyDecoder {
    enum Encoding: String { case gzip, deflate, zstd }

    enum Failure: Error {
        /// The data is not valid for its encoding, or ends early.
        case corrupt(String)
        /// The output passed `maxBytes` or the ratio bound.
        case tooLarge(String)
    }

    let encoding: Encoding
    let maxBytes: Int
    static let maxRatio = 100
    private var zlib = z_stream()
    private var zstd: OpaquePointer?
    private var inBytes = 0, outBytes = 0
    private var ended = false
    private var chunk = [UInt8](repeating: 0, count: 1 << 16)

    /// nil for an encoding it does not know; `identity` needs no decoder.
    init?(contentEncoding: String, maxBytes: Int) {
        switch contentEncoding.lowercased() {
        case "gzip", "x-gzip": encoding = .gzip
        case "deflate": encoding = .deflate
        case "zstd": encoding = .zstd
        default: return nil
        }
        self.maxBytes = maxBytes
        if encoding == .zstd {
            guard let d = ZSTD_createDStream() else { return nil }
            ZSTD_initDStream(d)
            // An 8 MiB window at most (RFC 8878's advice for HTTP), not zstd's 128 MiB default:
            // the decoder's own memory is bounded too.
            ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 23)
            zstd = d
        } else {
            // 15 + 32: a gzip or zlib header, told apart by its bytes.
            guard logdash_inflate_init_gzip(&zlib) == Z_OK else { return nil }
        }
    }

    deinit {
        if let zstd { ZSTD_freeDStream(zstd) } else { inflateEnd(&zlib) }
    }

    /// Decompresses one part of the body, appending to `out`.
    func feed(_ input: UnsafeRawBufferPointer, into out: inout [UInt8]) throws {
        guard !input.isEmpty, let base = input.baseAddress else { return }
        inBytes += input.count
        if let zstd {
            var src = ZSTD_inBuffer(src: base, size: input.count, pos: 0)
            var produced = chunk.count
            while src.pos < src.size || produced == chunk.count {  // a full chunk may leave more to flush
                produced = chunk.withUnsafeMutableBytes { c -> Int in
                    var dst = ZSTD_outBuffer(dst: c.baseAddress, size: c.count, pos: 0)
                    let rc = ZSTD_decompressStream(zstd, &dst, &src)
                    if ZSTD_isError(rc) != 0 { return -1 }
                    ended = rc == 0
                    return dst.pos
                }
                guard produced >= 0 else { throw Failure.corrupt("the zstd body is corrupt") }
                try append(produced, to: &out)
            }
            return
        }
        zlib.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self))
        zlib.avail_in = UInt32(input.count)
        var produced = chunk.count
        while zlib.avail_in > 0 || produced == chunk.count {  // a full chunk may leave more to flush
            if ended {
                guard zlib.avail_in > 0 else { break }
                guard encoding == .gzip else { throw Failure.corrupt("bytes follow the end of the deflate body") }
                inflateReset(&zlib)  // another gzip member
                ended = false
            }
            let rc = chunk.withUnsafeMutableBytes { c -> Int32 in
                zlib.next_out = c.baseAddress!.assumingMemoryBound(to: UInt8.self)
                zlib.avail_out = UInt32(c.count)
                return inflate(&zlib, Z_NO_FLUSH)
            }
            produced = chunk.count - Int(zlib.avail_out)
            switch rc {
            case Z_OK, Z_BUF_ERROR: break
            case Z_STREAM_END: ended = true
            default: throw Failure.corrupt("the \(encoding.rawValue) body is corrupt: " + (zlib.msg.map { String(cString: $0) } ?? "error \(rc)"))
            }
            try append(produced, to: &out)
            if rc == Z_BUF_ERROR && produced == 0 { break }
        }
    }

    /// The body has ended: throws if its compressed stream had not.
    func finish() throws {
        if inBytes > 0 && !ended { throw Failure.corrupt("the \(encoding.rawValue) body ends early") }
    }

    private func append(_ n: Int, to out: inout [UInt8]) throws {
        outBytes += n
        if outBytes > maxBytes { throw Failure.tooLarge("the body decompresses to over \(maxBytes) bytes; send smaller batches") }
        if outBytes > 1 << 20 && outBytes / max(1, inBytes) > BodyDecoder.maxRatio {
            throw Failure.tooLarge("the body decompresses over \(BodyDecoder.maxRatio) times its size (a compression bomb?)")
        }
        out += chunk[0..<n]
    }
}
