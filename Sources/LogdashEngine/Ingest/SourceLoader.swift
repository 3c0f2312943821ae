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
    /// Keep the raw lines of a regular file as offsets into it instead of copies (for a store
    /// that outlives the load: most of its memory would be raw lines otherwise).
    public var rawByReference = false
    /// A followed file bigger than twice this has its last this-many bytes loaded first (see
    /// `runPrefix`); nil loads every file from its start.
    public var newestFirst: Int? = 8 << 20
    /// The stages each segment goes through as it is made, on the worker that parsed it, before
    /// anything stores or shows it (see `SegmentStage`): the transform stage first, then the
    /// taps. Set through `transforms`, `lineTap` and `kernelTap`, which keep that order.
    public private(set) var stages: [any SegmentStage] = []

    /// The transform stage (`transforms:`, `--transform`): records changed, dropped or added to
    /// before anything stores, taps or shows them.
    public var transforms: TransformChain? {
        get { stage(TransformChain.self) }
        set { setStage(newValue, TransformChain.self) }
    }
    /// Metric filter patterns measured on each batch's lines as it is parsed (see `LineTap`).
    public var lineTap: LineTap? {
        get { stage(LineTap.self) }
        set { setStage(newValue, LineTap.self) }
    }
    /// Streaming queries' kernels run on each segment as it is made (see `KernelTap`).
    public var kernelTap: KernelTap? {
        get { stage(KernelTap.self) }
        set { setStage(newValue, KernelTap.self) }
    }

    private func stage<S: SegmentStage>(_ kind: S.Type) -> S? { stages.lazy.compactMap { $0 as? S }.first }

    /// Puts `stage` in the place of the stage of its kind (none: removes it), the stages kept in
    /// their order: what changes records before what only reads them.
    private mutating func setStage<S: SegmentStage>(_ stage: S?, _ kind: S.Type) {
        stages.removeAll { $0 is S }
        if let stage { stages.append(stage) }
        stages.sort { type(of: $0).order < type(of: $1).order }
    }
    /// Told after each round of a file's history the bytes and records it took, so that live
    /// ingest's counters move while a big file loads.
    public var roundDone: (@Sendable (_ bytes: Int, _ records: Int) -> Void)?
    /// Asked between rounds of a file's history: true ends the load where it is (the pipeline
    /// stops: SIGINT while a big file loads), the result marked `interrupted`.
    public var shouldStop: (@Sendable () -> Bool)?

    public init(parse: ParseOptions = ParseOptions(), workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                chunkBytes: Int = 4 << 20, now: @escaping @Sendable () -> Int64 = LoadOptions.wallClock) {
        self.parse = parse
        self.workers = max(1, workers)
        self.chunkBytes = max(4096, chunkBytes)
        self.now = now
    }

    /// Nanoseconds on a clock that never jumps (for intervals, not for records).
    @Sendable public static func monotonicClock() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * Timestamp.nanosPerSecond + Int64(ts.tv_nsec)
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
    /// The load was stopped before its end (`LoadOptions.shouldStop`).
    public var interrupted = false

    /// Two parts of one source, counted together.
    func merged(with other: LoadResult) -> LoadResult {
        var r = self
        r.stats.merge(other.stats)
        r.interrupted = interrupted || other.interrupted
        return r
    }
}

/// Reads one source to its end (or forever, for a live one) and hands its records on in
/// batches, in input order. Large inputs are split at record boundaries and parsed on every
/// worker at once.
public enum SourceLoader {
    public static func open(_ spec: SourceSpec, now: @escaping @Sendable () -> Int64) throws -> any ByteInput {
        switch spec {
        case .stdin: return FileInput(fd: 0, name: "stdin")
        case .demo(let o): return DemoInput(options: o, now: now)
        case .file(let path), .object(let path, _):
            if SourceSpec.isStream(path) { return try FileInput(path: path) }
            if GzipInput.isGzip(path: path) { return try GzipInput(path: path) }
            return ZstdInput.isZstd(path: path) ? try ZstdInput(path: path) : try FileInput(path: path)
        }
    }

    public static func run(_ spec: SourceSpec, options: LoadOptions,
                           onBatch: (RecordBatch) throws -> Void) throws -> LoadResult {
        try run(spec, options: options, prepare: { $0 }, deliver: onBatch)
    }

    /// Like `run(_:options:onBatch:)`, with a step that runs on the parsing worker for each batch
    /// (sealing it into a segment, say) before `deliver` gets the results in input order.
    public static func run<T>(_ spec: SourceSpec, options: LoadOptions, prepare: @escaping @Sendable (RecordBatch) -> T,
                              deliver: (T) throws -> Void) throws -> LoadResult {
        if let path = spec.localPath, let mapped = try MappedFile(path: path) {
            // A JSON document of records (CloudTrail's, `aws logs get-log-events`'): its records as lines.
            if let lines = JSONDocument.records(in: mapped.bytes) {
                return try lines.withUnsafeBufferPointer { buf in
                    var used = 0
                    return try run(mapped: buf, yearReference: MappedFile.plausible(mapped.modified, now: options.now()), name: spec.name, options: options, rawFile: nil, isFinal: true,
                                   used: &used, prepare: prepare, onBatch: deliver)
                }
            }
            let rawFile = options.rawByReference ? try RawFile(path: path) : nil
            return try withExtendedLifetime(mapped) {
                var used = 0
                return try run(mapped: mapped.bytes, releasePages: true, yearReference: MappedFile.plausible(mapped.modified, now: options.now()), name: spec.name, options: options, rawFile: rawFile, isFinal: true,
                               used: &used, prepare: prepare, onBatch: deliver)
            }
        }
        let input = try open(spec, now: options.now)
        var modified: Int64?
        if let path = spec.localPath, !SourceSpec.isStream(path) {
            modified = MappedFile.plausible(MappedFile.modified(path: path), now: options.now())
            // A gzipped JSON document of records (CloudTrail's *.json.gz).
            if path.hasSuffix(".json.gz"), GzipInput.isGzip(path: path) {
                var whole = [UInt8]()
                var chunk = [UInt8](repeating: 0, count: 1 << 16)
                while whole.count <= JSONDocument.maxBytes {
                    let n = try chunk.withUnsafeMutableBytes { try input.read(into: $0) }
                    if n == 0 { break }
                    whole += chunk[0..<n]
                }
                let bytes = whole.withUnsafeBufferPointer { JSONDocument.records(in: $0) } ?? whole
                if whole.count <= JSONDocument.maxBytes {
                    return try bytes.withUnsafeBufferPointer { buf in
                        var used = 0
                        return try run(mapped: buf, yearReference: modified, name: spec.name, options: options, rawFile: nil, isFinal: true,
                                       used: &used, prepare: prepare, onBatch: deliver)
                    }
                }
                // Larger than a document may be: read as lines, from what was read and the rest.
                return try run(PrefixedInput(prefix: whole, rest: input), name: spec.name, options: options, yearReference: modified,
                               prepare: prepare, onBatch: deliver)
            }
        }
        return try run(input, name: spec.name, options: options, yearReference: modified, prepare: prepare, onBatch: deliver)
    }

    /// A whole file already in memory (a mapping): parsed round by round in place, no copies.
    static func run(mapped data: UnsafeBufferPointer<UInt8>, name: String, options: LoadOptions,
                    onBatch: (RecordBatch) throws -> Void) throws -> LoadResult {
        try run(mapped: data, name: name, options: options, prepare: { $0 }, onBatch: onBatch)
    }

    /// The bytes a followed file has when it is first opened, parsed in place like a whole file
    /// (raw lines kept as offsets into it), except that an unfinished last line is left for the
    /// follower to read with what comes after it. Returns the result and the bytes used.
    ///
    /// With `newestFirst` set and a file larger than it, the last `newestFirst` bytes or so (from
    /// the start of a record) are parsed first and go to `deliverNewest`; then the rest, from the
    /// file's start up to there, goes to `deliver` — so a dashboard shows a big file's newest
    /// records at once and its history as it loads. Raw lines are read back from `rawFile`
    /// (the same file, opened by the caller, who can detach it once the file is gone).
    static func runPrefix<T>(path: String, name: String, options: LoadOptions, rawFile: RawFile, newestFirst: Int? = nil,
                             prepare: @escaping @Sendable (RecordBatch) -> T, deliverNewest: ((T) throws -> Void)? = nil,
                             deliver: (T) throws -> Void) throws -> (LoadResult, Int)? {
        guard let mapped = try MappedFile(path: path) else { return nil }
        return try withExtendedLifetime(mapped) {
            let all = mapped.bytes
            var used = 0
            let newestFrom = newestFirst.flatMap { all.count > $0 * 2 ? all.count - $0 : nil }
            let cut = newestFrom.map { SourceParser.recordBoundary(all, near: $0) } ?? all.count
            guard let deliverNewest, cut < all.count else {
                let result = try run(mapped: all, releasePages: true, yearReference: MappedFile.plausible(mapped.modified, now: options.now()), name: name, options: options, rawFile: rawFile, isFinal: false, used: &used,
                                     prepare: prepare, onBatch: deliver)
                return (result, used)
            }
            let newest = try run(mapped: UnsafeBufferPointer(rebasing: all[cut...]), fileBase: all.baseAddress, releasePages: true,
                                 yearReference: MappedFile.plausible(mapped.modified, now: options.now()), name: name, options: options,
                                 rawFile: rawFile, isFinal: false, used: &used, prepare: prepare, onBatch: deliverNewest)
            if newest.interrupted { return (newest, cut + used) }
            var headUsed = 0
            let older = try run(mapped: UnsafeBufferPointer(rebasing: all[..<cut]), releasePages: true, yearReference: MappedFile.plausible(mapped.modified, now: options.now()), name: name, options: options, rawFile: rawFile,
                                isFinal: true, used: &headUsed, prepare: prepare, onBatch: deliver)
            // (Stopped part way: the bytes read, not where reading would go on.)
            return (older.merged(with: newest), older.interrupted ? headUsed + used : cut + used)
        }
    }


    static func run<T>(mapped data: UnsafeBufferPointer<UInt8>, name: String, options: LoadOptions, rawFile: RawFile? = nil,
                       prepare: @escaping @Sendable (RecordBatch) -> T, onBatch: (T) throws -> Void) throws -> LoadResult {
        var used = 0
        return try run(mapped: data, name: name, options: options, rawFile: rawFile, isFinal: true, used: &used, prepare: prepare, onBatch: onBatch)
    }

    /// `fileBase`: where the file starts when `data` is a part of its mapping (raw lines are
    /// kept as offsets from there). `releasePages`: `data` is a file mapping whose parsed pages
    /// can be given back (never memory of our own: that would zero it).
    static func run<T>(mapped data: UnsafeBufferPointer<UInt8>, fileBase: UnsafePointer<UInt8>? = nil, releasePages: Bool = false,
                       yearReference: Int64? = nil, name: String, options: LoadOptions,
                       rawFile: RawFile?, isFinal: Bool, used consumed: inout Int, prepare: @escaping @Sendable (RecordBatch) -> T,
                       onBatch: (T) throws -> Void) throws -> LoadResult {
        var state = try RoundState(name: name, options: options, workers: options.workers, prepare: prepare)
        state.rawReference = rawFile.map { RawReference(file: $0, base: fileBase ?? data.baseAddress!) }
        state.yearReference = yearReference
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var released = 0
        let roundBytes = options.chunkBytes * options.workers
        var pos = 0
        var window = roundBytes
        var reported = (bytes: 0, records: 0), interrupted = false
        while pos < data.count {
            let end = min(data.count, pos + window)
            let atEnd = end == data.count
            let final = atEnd && isFinal
            // A multi-line record longer than the window: widen it (up to 64 MiB) before giving up.
            let canGrow = !atEnd && window < 64 << 20
            let used = try state.parse(UnsafeBufferPointer(rebasing: data[pos..<end]), final: final, canGrow: canGrow, onBatch: onBatch)
            if used == 0 && canGrow { window *= 2; continue }
            if used == 0 && atEnd { break }  // an unfinished last line, left for later
            window = roundBytes
            pos += used
            if let roundDone = options.roundDone {
                let records = state.result.stats.records
                roundDone(pos - reported.bytes, records - reported.records)
                reported = (pos, records)
            }
            if pos < data.count, options.shouldStop?() == true {
                interrupted = true
                break
            }
            // Every value of the parsed bytes has been copied out (or is read from the file by
            // offset): give their pages back, so that a large file does not stay resident.
            // (Whole pages only: `data` may start inside one, when it is a part of a mapping.)
            if releasePages, let base = data.baseAddress {
                let from = max(released, (Int(bitPattern: base) + page - 1) / page * page)
                let upTo = (Int(bitPattern: base) + pos) / page * page
                if upTo > from {
                    _ = madvise(UnsafeMutableRawPointer(bitPattern: from), upTo - from, MADV_DONTNEED)
                    released = upTo
                }
            }
        }
        consumed = pos
        var result = state.result
        result.interrupted = interrupted
        return result
    }

    public static func run(_ input: any ByteInput, name: String, options: LoadOptions,
                           onBatch: (RecordBatch) throws -> Void) throws -> LoadResult {
        try run(input, name: name, options: options, prepare: { $0 }, onBatch: onBatch)
    }

    static func run<T>(_ input: any ByteInput, name: String, options: LoadOptions, yearReference: Int64? = nil,
                       prepare: @escaping @Sendable (RecordBatch) -> T, onBatch: (T) throws -> Void) throws -> LoadResult {
        let workers = input.fillsBuffer ? options.workers : 1
        var state = try RoundState(name: name, options: options, workers: workers, prepare: prepare)
        state.yearReference = yearReference
        let roundBytes = options.chunkBytes * workers
        var buffer = [UInt8](repeating: 0, count: roundBytes + options.parse.maxRecordBytes + 1)
        var filled = 0
        var eof = false
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
            if filled == 0 { continue }
            let consumed = try buffer.withUnsafeBufferPointer { all in
                try state.parse(UnsafeBufferPointer(rebasing: all[0..<filled]), final: eof, canGrow: filled < all.count, onBatch: onBatch)
            }
            // Keep the unused tail for the next round.
            if consumed < filled {
                buffer.withUnsafeMutableBytes { p in
                    p.baseAddress!.copyMemory(from: p.baseAddress! + consumed, byteCount: filled - consumed)
                }
            }
            filled -= consumed
        }
        return state.result
    }

    /// What carries from one round to the next: detection, the per-worker parsers.
    struct RoundState<T> {
        let name: String
        let options: LoadOptions
        let workers: Int
        let prepare: @Sendable (RecordBatch) -> T
        var rawReference: RawReference?
        /// A file's modification time while its history is read: the year of its yearless times.
        var yearReference: Int64?
        var detection: Detection?
        var parsers: [SourceParser] = []

        init(name: String, options: LoadOptions, workers: Int, prepare: @escaping @Sendable (RecordBatch) -> T) throws {
            self.name = name
            self.options = options
            self.workers = workers
            self.prepare = prepare
        }

        var result: LoadResult {
            var stats = SourceStats()
            for p in parsers { stats.merge(p.stats) }
            return LoadResult(source: name, detection: detection ?? Detection(format: nil, confidence: 0, sampled: 0, forced: false),
                              stats: stats)
        }

        /// Parses one round of bytes on every worker and hands its batches on in order; returns
        /// the bytes used. The rest (an unfinished last record) must come again with more after it.
        /// When nothing could be used and `canGrow` is false (no more bytes can join this round),
        /// the open record is ended where the round ends rather than waited for forever.
        mutating func parse(_ data: UnsafeBufferPointer<UInt8>, final: Bool, canGrow: Bool,
                            onBatch: (T) throws -> Void) throws -> Int {
            let arrival = options.now()
            if detection == nil {
                let d = try SourceParser.detect(UnsafeBufferPointer(rebasing: data[0..<min(data.count, 1 << 18)]),
                                                options: options.parse, arrival: arrival, source: name)
                detection = d
                parsers = (0..<workers).map { _ in
                    let p = SourceParser(options: options.parse, detection: d)
                    p.yearReference = yearReference
                    return p
                }
            }
            var (consumed, batches) = parseRound(data, arrival: arrival, final: final, closeLastRecord: false)
            if consumed == 0 && !final && !canGrow {
                (consumed, batches) = parseRound(data, arrival: arrival, final: false, closeLastRecord: true)
            }
            for b in batches { try onBatch(b) }
            // An over-long line in progress continues in the first piece of the next round.
            if workers > 1, parsers[workers - 1].isSkippingLongLine {
                parsers[workers - 1].isSkippingLongLine = false
                parsers[0].isSkippingLongLine = true
            }
            return consumed
        }

        /// Splits `data` at record boundaries into one piece per worker and parses them side by
        /// side. Every piece but the last is complete, so only the last can leave bytes unused.
        private func parseRound(_ data: UnsafeBufferPointer<UInt8>, arrival: Int64, final: Bool,
                                closeLastRecord: Bool) -> (Int, [T]) {
            var cuts = [0]
            if workers > 1 && data.count >= 2 * 65536 {
                for k in 1..<workers {
                    let b = parsers[0].recordBoundary(data, near: data.count * k / workers)
                    if b > cuts.last! && b < data.count { cuts.append(b) }
                }
            }
            cuts.append(data.count)
            let bounds = cuts
            let pieces = cuts.count - 1
            // Each iteration writes only its own slot of these.
            let out = UnsafeMutableBufferPointer<RecordBatch>.allocate(capacity: pieces)
            out.initialize(repeating: RecordBatch(source: name))
            let used = UnsafeMutableBufferPointer<Int>.allocate(capacity: pieces)
            used.initialize(repeating: 0)
            let prepared = UnsafeMutableBufferPointer<T?>.allocate(capacity: pieces)
            prepared.initialize(repeating: nil)
            defer {
                out.deinitialize(); out.deallocate(); used.deallocate()
                prepared.deinitialize(); prepared.deallocate()
            }
            let shared = UncheckedBox((data: data, out: out, used: used, parsers: parsers, prepared: prepared, prepare: prepare,
                                       raw: rawReference))
            DispatchQueue.concurrentPerform(iterations: pieces) { k in
                let s = shared.value
                let piece = UnsafeBufferPointer(rebasing: s.data[bounds[k]..<bounds[k + 1]])
                let isLast = k == pieces - 1
                // Room for the piece's records up front: regrowing arrays cost more than parsing.
                if let raw = s.raw { s.out[k].referenceRaw(raw) }
                let rows = s.parsers[k].estimatedRows(forBytes: piece.count)
                s.out[k].reserve(rows: rows, bytesPerRow: piece.count / max(rows, 1))
                s.used[k] = s.parsers[k].parse(piece, arrival: arrival, final: !isLast || final,
                                               closeLastRecord: closeLastRecord, into: &s.out[k])
                s.out[k].finish()
                if !s.out[k].isEmpty {
                    if let raw = s.raw, let start = piece.baseAddress {
                        // The piece's raw lines are read where they lie while they are prepared.
                        let from = Int64(start - raw.base)
                        let window = RawFile.Window(file: raw.file, base: raw.base, range: from..<(from + Int64(piece.count)))
                        s.prepared[k] = RawFile.withWindow(window) { s.prepare(s.out[k]) }
                    } else {
                        s.prepared[k] = s.prepare(s.out[k])
                    }
                }
                s.out[k] = RecordBatch(source: "")  // free the batch now that it is prepared
            }
            return (bounds[pieces - 1] + used[pieces - 1], prepared.compactMap { $0 })
        }
    }
}

/// A regular, uncompressed file mapped read-only into memory for the time of a load.
final class MappedFile {
    let bytes: UnsafeBufferPointer<UInt8>
    /// The file's modification time (ns since the epoch).
    let modified: Int64
    private let base: UnsafeMutableRawPointer
    private let length: Int

    /// A file's modification time (ns since the epoch); nil when it cannot be read.
    static func modified(path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_mtim.tv_sec) * Timestamp.nanosPerSecond + Int64(st.st_mtim.tv_nsec)
    }

    /// A modification time worth taking yearless times' year from: after 2000 and not ahead of
    /// the clock (archives unpacked with times of 0 or 1980, a skewed copy, fall back to arrival).
    static func plausible(_ mtime: Int64?, now: Int64) -> Int64? {
        guard let mtime, mtime >= 946_684_800 * Timestamp.nanosPerSecond, mtime <= now + 86_400 * Timestamp.nanosPerSecond else { return nil }
        return mtime
    }

    /// nil when the path is not a plain non-empty regular file (a pipe, gzip or zstd data), which is read instead.
    init?(path: String) throws {
        if SourceSpec.isStream(path) { return nil }  // (opening a pipe here would take its writer)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SourceError.unreadable(path, String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 else { return nil }
        var magic: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        let n = pread(fd, &magic, 4, 0)
        if n >= 2, magic.0 == 0x1F, magic.1 == 0x8B { return nil }
        if n == 4, magic == (0x28, 0xB5, 0x2F, 0xFD) { return nil }
        let len = Int(st.st_size)
        modified = Int64(st.st_mtim.tv_sec) * Timestamp.nanosPerSecond + Int64(st.st_mtim.tv_nsec)
        guard let p = mmap(nil, len, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else { return nil }
        _ = madvise(p, len, MADV_SEQUENTIAL)
        base = p
        length = len
        bytes = UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: len)
    }

    deinit { munmap(base, length) }
}

/// Lets a value cross into `concurrentPerform`, where each iteration touches only its own slot.
final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
