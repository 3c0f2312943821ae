import Dispatch
import Foundation

/// How a run reads its sources.
public struct LoadOptions: Sendable {
    public var parse: ParseOptions
    /// Threads that parse one source's chunks side by side.
    public var workers: Int
    /// Bytes each worker parses per round (≈ the rows of one batch).
    public var chunkBytes: Int
    /// The arrival clock (ns since the epoch); tests fix it.
    public var now: @Sendable () -> Int64

    public init(parse: ParseOptions = ParseOptions(), workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                chunkBytes: Int = 4 << 20, now: @escaping @Sendable () -> Int64 = LoadOptions.wallClock) {
        self.parse = parse
        self.workers = max(1, workers)
        self.chunkBytes = max(4096, chunkBytes)
        self.now = now
    }

    @Sendable public static func wallClock() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * Timestamp.nanosPerSecond + Int64(ts.tv_nsec)
    }
}

/// What reading one source came to.
public struct LoadResult: Sendable {
    public var source: String
    public var detection: Detection
    public var stats: SourceStats
}

/// Reads one source to its end (or forever, for a live one) and hands its records on in
/// batches, in input order. Large inputs are split at record boundaries and parsed on every
/// worker at once.
public enum SourceLoader {
    public static func open(_ spec: SourceSpec, now: @escaping @Sendable () -> Int64) throws -> any ByteInput {
        switch spec {
        case .stdin: return FileInput(fd: 0, name: "stdin")
        case .demo(let o): return DemoInput(options: o, now: now)
        case .file(let path):
            return GzipInput.isGzip(path: path) ? try GzipInput(path: path) : try FileInput(path: path)
        }
    }

    public static func run(_ spec: SourceSpec, options: LoadOptions,
                           onBatch: (RecordBatch) throws -> Void) throws -> LoadResult {
        let input = try open(spec, now: options.now)
        return try run(input, name: spec.name, options: options, onBatch: onBatch)
    }

    public static func run(_ input: any ByteInput, name: String, options: LoadOptions,
                           onBatch: (RecordBatch) throws -> Void) throws -> LoadResult {
        let workers = input.fillsBuffer ? options.workers : 1
        let roundBytes = options.chunkBytes * workers
        var buffer = [UInt8](repeating: 0, count: roundBytes + options.parse.maxRecordBytes + 1)
        var filled = 0
        var eof = false
        var detection: Detection?
        var parsers: [SourceParser] = []
        var stats = SourceStats()

        while !eof || filled > 0 {
            // Read: fill the round (files), or take what is there (pipes, live streams).
            if !eof {
                repeat {
                    let room = buffer.count - filled
                    if room == 0 { break }
                    let n = try buffer.withUnsafeMutableBytes { try input.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
                    if n == 0 { eof = true; break }
                    filled += n
                } while input.fillsBuffer && filled < roundBytes
            }
            if filled == 0 { if eof { break } else { continue } }
            let arrival = options.now()
            if detection == nil {
                let d = try buffer.withUnsafeBufferPointer {
                    try SourceParser.detect(UnsafeBufferPointer(rebasing: $0[0..<min(filled, 1 << 18)]), options: options.parse, arrival: arrival)
                }
                detection = d
                parsers = (0..<workers).map { _ in SourceParser(options: options.parse, detection: d) }
            }
            // Split into pieces at record boundaries; every piece but the last is complete.
            let (consumed, batches): (Int, [RecordBatch]) = buffer.withUnsafeBufferPointer { all in
                let data = UnsafeBufferPointer(rebasing: all[0..<filled])
                var cuts = [0]
                if workers > 1 && filled >= 2 * 65536 {
                    for k in 1..<workers {
                        let b = SourceParser.recordBoundary(data, near: filled * k / workers)
                        if b > cuts.last! && b < filled { cuts.append(b) }
                    }
                }
                cuts.append(filled)
                let bounds = cuts
                let pieces = cuts.count - 1
                // Each iteration writes only its own slot of these.
                let out = UnsafeMutableBufferPointer<RecordBatch>.allocate(capacity: pieces)
                out.initialize(repeating: RecordBatch(source: name))
                let used = UnsafeMutableBufferPointer<Int>.allocate(capacity: pieces)
                used.initialize(repeating: 0)
                defer { out.deinitialize(); out.deallocate(); used.deallocate() }
                let shared = UncheckedBox((data: data, out: out, used: used, parsers: parsers))
                let finalRound = eof
                DispatchQueue.concurrentPerform(iterations: pieces) { k in
                    let s = shared.value
                    let piece = UnsafeBufferPointer(rebasing: s.data[bounds[k]..<bounds[k + 1]])
                    let isLast = k == pieces - 1
                    s.used[k] = s.parsers[k].parse(piece, arrival: arrival, final: !isLast || finalRound, into: &s.out[k])
                    s.out[k].finish()
                }
                return (cuts[pieces - 1] + used[pieces - 1], Array(out))
            }
            for b in batches where !b.isEmpty { try onBatch(b) }
            // Keep the unused tail for the next round.
            if consumed < filled {
                buffer.withUnsafeMutableBytes { p in
                    p.baseAddress!.copyMemory(from: p.baseAddress! + consumed, byteCount: filled - consumed)
                }
            }
            filled -= consumed
            // An over-long line in progress continues in the first piece of the next round.
            if workers > 1, parsers[workers - 1].isSkippingLongLine {
                parsers[workers - 1].isSkippingLongLine = false
                parsers[0].isSkippingLongLine = true
            }
            if eof && consumed == 0 && filled > 0 {
                // Cannot happen with final parsing; guard against a loop all the same.
                break
            }
        }
        for p in parsers { stats.merge(p.stats) }
        return LoadResult(source: name, detection: detection ?? Detection(format: nil, confidence: 0, sampled: 0, forced: false),
                          stats: stats)
    }
}

/// Lets a value cross into `concurrentPerform`, where each iteration touches only its own slot.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
