import CZlib
import Foundation
import Synchronization

/// Where a sink's parts go: a bucket or a directory, each object at a key under the sink's
/// place (`dt=2026-12-07/hour=05/web1-00000042.json.gz`).
protocol SinkDestination: Sendable {
    func put(_ bytes: [UInt8], key: String, contentType: String) throws
}

/// A directory (`file:///dir`): each object written under a temporary name, synced and renamed.
struct DirectoryDestination: SinkDestination {
    let root: String
    func put(_ bytes: [UInt8], key: String, contentType: String) throws {
        let path = root + "/" + key
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            throw StoreError.io(path, "cannot be made: \(error.localizedDescription)")
        }
        try DurableStore.writeFileSafely(path, bytes)
    }
}

/// A bucket (`s3://bucket/prefix`), through the AWS client core.
struct S3Destination: SinkDestination {
    let place: S3Location
    let client: S3Client
    func put(_ bytes: [UInt8], key: String, contentType: String) throws {
        let (client, place) = (client, place)
        try blocking { try await client.put(bytes, bucket: place.bucket, key: place.key(key), contentType: contentType) }
    }
}

/// One delivery stream: what the store commits is kept in the sink's spool in the store's
/// directory (`sinks/NAME/`), cut into parts by the buffering hints, and each part delivered
/// as the archive's layout (`dt=…/hour=…/HOST-SEQ.json.gz`, one object per hour its records
/// fall in). At least once, and exactly once unless logdash stops between an upload and the
/// removal of its part (the part is then uploaded again under the same names, replacing it).
///
/// The spool: `open.spool`, the part being filled, and `part-NNNNNNNN.ready`, parts cut and
/// not yet delivered — frames of [magic, the commit's log and ordinal, last-of-commit flag,
/// length, CRC-32] and the commit's log record image — and `state`, the next part's number
/// and the last commit cut into a part. A commit is in the spool before its log can be
/// sealed (`DurableStore.attach`), so after a crash the commits the spool misses are still in
/// the log and are taken from its replay.
public final class Sink: Sendable {
    public let spec: SinkSpec
    let directory: String
    let host: String
    let destination: any SinkDestination
    let fsync: FsyncMode
    let report: @Sendable (String) -> Void
    let now: @Sendable () -> Int64

    struct State {
        var open: Int32 = -1
        var openBytes = 0
        var openRecords = 0
        /// When the open part's first frame came (nil: it is empty).
        var openSince: Int64?
        var nextPart = 0
        /// The last commit in the spool.
        var through: DurableStore.CommitID
        var stopping = false
        /// A write to the spool failed: from then on nothing more is kept (said once).
        var broken: String?
        var status = SinkStatus()
        /// The status at the last `internal_metrics` sample.
        var sampled = SinkStatus()
    }
    let state: Mutex<State>
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    static let frameMagic: UInt32 = 0x3153_444C  // "LDS1"
    static let frameHeader = 21

    /// Opens (making it if needed) the sink's spool under `store`'s directory and recovers it:
    /// a torn last frame is cut, and the spool's last commit found.
    init(spec: SinkSpec, store: DurableStore, destination: any SinkDestination, host: String,
         report: @escaping @Sendable (String) -> Void) throws {
        self.spec = spec
        self.destination = destination
        self.host = host
        self.report = report
        fsync = store.options.fsync
        now = store.options.now
        directory = store.path("sinks/" + spec.spoolName)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError.io(directory, "the sink's spool cannot be made: \(error.localizedDescription)")
        }
        var s = State(through: store.lastCommit)
        if let saved = Sink.readState(directory + "/state") {
            s.nextPart = saved.next
            s.through = saved.through
        }
        for name in Sink.readyParts(directory) {
            let n = Int(name.dropFirst(5).dropLast(6)) ?? 0
            s.nextPart = max(s.nextPart, n + 1)
            let (frames, _) = Sink.frames(try Sink.read(directory + "/" + name))
            if let last = frames.last?.id { s.through = max(s.through, last) }
            s.status.waitingParts += 1
            s.status.waitingRecords += frames.reduce(0) { $0 + $1.records }
        }
        let openPath = directory + "/open.spool"
        let existing = (try? Sink.read(openPath)) ?? []
        let (frames, good) = Sink.frames(existing)
        let fd = open(openPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io(openPath, "cannot be opened: \(String(cString: strerror(errno)))") }
        if good < existing.count {
            report("sink \(spec.url): a torn spool frame cut (\(existing.count - good) bytes); its commit is taken again from the store's log")
            _ = ftruncate(fd, off_t(good))
        }
        s.open = fd
        s.openBytes = good
        s.openRecords = frames.reduce(0) { $0 + $1.records }
        if let last = frames.last?.id { s.through = max(s.through, last) }
        if good > 0 { s.openSince = now() }
        state = Mutex(s)
    }

    deinit {
        state.withLock { if $0.open >= 0 { close($0.open) } }
    }

    /// The last commit the spool holds.
    var through: DurableStore.CommitID { state.withLock { $0.through } }

    public var status: SinkStatus {
        state.withLock { s in
            var st = s.status
            st.waitingRecords += s.openRecords
            st.oldestWaiting = s.status.oldestWaiting ?? s.openSince
            return st
        }
    }

    /// The sink's `internal_metrics` row: records kept, delivered and failed attempts since
    /// the last row; records waiting and the oldest one's wait now.
    func metricRow(at ts: Int64) -> [Value] {
        let now = status
        let before = state.withLock { s in defer { s.sampled = now }; return s.sampled }
        let lag = now.oldestWaiting.map { max(0, ts - $0) / 1_000_000 } ?? 0
        return [.timestamp(ts), .string(spec.url)] + Array(repeating: Value.null, count: 10)
            + [.string("sink"), .int(Int64(now.kept - before.kept)), .int(Int64(now.delivered - before.delivered)),
               .int(Int64(now.failures - before.failures)), .null, .int(Int64(now.waitingRecords)), .int(lag)]
    }

    // MARK: the spool

    /// Keeps a commit (its log record images) in the open part; called under the store's lock.
    func append(_ id: DurableStore.CommitID, _ images: [[UInt8]], records: Int) {
        let due: Bool = state.withLock { s in
            guard s.broken == nil, id > s.through, !images.isEmpty else { return false }
            var bytes: [UInt8] = []
            for (k, image) in images.enumerated() { Sink.appendFrame(id, last: k == images.count - 1, image, to: &bytes) }
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { write(s.open, $0.baseAddress! + done, bytes.count - done) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    let why = String(cString: strerror(n < 0 ? errno : ENOSPC))
                    _ = ftruncate(s.open, off_t(s.openBytes))
                    s.broken = why
                    report("sink \(spec.url): its spool cannot be written (\(why)); records from now on are not delivered — free space and restart logdash")
                    return false
                }
                done += n
            }
            if fsync == .always { fdatasync(s.open) }
            s.status.kept += records
            s.openBytes += bytes.count
            s.openRecords += records
            s.through = id
            if s.openSince == nil { s.openSince = now() }
            return s.openBytes >= spec.bufferSize
        }
        if due { wake.signal() }
    }

    static func appendFrame(_ id: DurableStore.CommitID, last: Bool, _ image: [UInt8], to out: inout [UInt8]) {
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        u32(frameMagic)
        u32(UInt32(truncatingIfNeeded: id.log))
        u32(UInt32(truncatingIfNeeded: id.ordinal))
        out.append(last ? 1 : 0)
        u32(UInt32(image.count))
        u32(image.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) })
        out.append(contentsOf: image)
    }

    struct Frame {
        var id: DurableStore.CommitID
        var last: Bool
        var payload: Range<Int>
        var records: Int
    }

    /// The whole frames at the start of `data`, and where they end.
    static func frames(_ data: [UInt8]) -> ([Frame], Int) {
        var out: [Frame] = []
        var pos = 0
        data.withUnsafeBytes { b in
            func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
            while pos + frameHeader <= data.count, u32(pos) == frameMagic {
                let len = Int(u32(pos + 13))
                let start = pos + frameHeader
                guard start + len <= data.count else { break }
                let crc = UInt32(crc32(0, b.baseAddress!.advanced(by: start).assumingMemoryBound(to: UInt8.self), UInt32(len)))
                guard crc == u32(pos + 17) else { break }
                let image = MappedImage(bytes: UnsafeRawBufferPointer(rebasing: b[start..<(start + len)]))
                let footer = try? SegmentCodec.footer(image, name: "spool")
                let records = footer?.segments.reduce(0) { $0 + $1.rows } ?? 0
                out.append(Frame(id: DurableStore.CommitID(log: Int(u32(pos + 4)), ordinal: Int(u32(pos + 8))), last: b[pos + 12] == 1,
                                 payload: start..<(start + len), records: records))
                pos = start + len
            }
        }
        // A commit written in several frames counts only once its last frame is there.
        while let f = out.last, !f.last { out.removeLast(); pos = f.payload.lowerBound - frameHeader }
        return (out, pos)
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path) else { throw StoreError.io(path, "cannot be read") }
        return [UInt8](d)
    }

    static func readyParts(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasPrefix("part-") && $0.hasSuffix(".ready") }.sorted()
    }

    static func partFile(_ n: Int) -> String { "part-" + String(format: "%08d", n) + ".ready" }

    static func readState(_ path: String) -> (next: Int, through: DurableStore.CommitID)? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let f = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard f.count == 3 else { return nil }
        return (f[0], DurableStore.CommitID(log: f[1], ordinal: f[2]))
    }

    /// Cuts the open part into a ready one (when it holds anything).
    private func cut() throws {
        try state.withLock { s in
            guard s.openBytes > 0 else { return }
            let n = s.nextPart
            fdatasync(s.open)
            close(s.open)
            s.open = -1
            let openPath = directory + "/open.spool"
            guard rename(openPath, directory + "/" + Sink.partFile(n)) == 0 else {
                throw StoreError.io(openPath, "cannot be renamed: \(String(cString: strerror(errno)))")
            }
            s.nextPart = n + 1
            try DurableStore.writeFileSafely(directory + "/state", Array("\(s.nextPart) \(s.through.log) \(s.through.ordinal)\n".utf8))
            s.open = open(openPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard s.open >= 0 else { throw StoreError.io(openPath, "cannot be made: \(String(cString: strerror(errno)))") }
            s.status.waitingParts += 1
            s.status.waitingRecords += s.openRecords
            s.status.oldestWaiting = s.status.oldestWaiting ?? s.openSince
            s.openBytes = 0
            s.openRecords = 0
            s.openSince = nil
        }
    }

    // MARK: delivery

    /// Starts the thread that cuts parts and delivers them.
    func start() {
        let t = Thread { [self] in run(); finished.signal() }
        t.name = "logdash-sink"
        t.start()
    }

    /// Cuts what waits into a part and delivers every part, for at most `grace`; what is not
    /// delivered by then stays in the spool for the next run. Returns the parts left.
    @discardableResult
    func stop(grace: Duration) -> Int {
        state.withLock { $0.stopping = true }
        wake.signal()
        let ns = grace.components.seconds * 1_000_000_000 + grace.components.attoseconds / 1_000_000_000
        if finished.wait(timeout: .now() + .nanoseconds(Int(min(ns, Int64(Int.max))))) == .timedOut {
            state.withLock { $0.stopping = true }
        }
        return state.withLock { $0.status.waitingParts + ($0.openBytes > 0 ? 1 : 0) }
    }

    private var stopping: Bool { state.withLock { $0.stopping } }

    private func run() {
        var failures = 0
        while true {
            let (due, wait): (Bool, Int64) = state.withLock { s in
                guard let since = s.openSince else { return (s.stopping, spec.bufferInterval) }
                let age = now() - since
                return (s.stopping || s.openBytes >= spec.bufferSize || age >= spec.bufferInterval, max(1_000_000, spec.bufferInterval - age))
            }
            if due {
                do { try cut() } catch { report("sink \(spec.url): \(error)") }
            }
            if let part = Sink.readyParts(directory).first {
                do {
                    try deliver(part)
                    if failures > 0 { report("sink \(spec.url): delivering again") }
                    failures = 0
                    continue
                } catch {
                    failures += 1
                    state.withLock { $0.status.failures += 1; $0.status.lastError = "\(error)" }
                    let pause = Int64(min(30, 1 << min(failures - 1, 5))) * 1_000_000_000
                    if failures == 1 || failures % 10 == 0 {
                        report("sink \(spec.url): \(error); trying again in \(pause / 1_000_000_000)s (\(status.waitingParts) part(s) wait in the spool)")
                    }
                    if stopping { return }
                    _ = wake.wait(timeout: .now() + .nanoseconds(Int(pause)))
                    continue
                }
            }
            if stopping { return }
            _ = wake.wait(timeout: .now() + .nanoseconds(Int(wait)))
        }
    }

    /// Delivers one ready part: its commits read back as segments, written as the archive's
    /// JSON lines per hour, each hour's object put; then the part is removed.
    private func deliver(_ name: String) throws {
        let path = directory + "/" + name
        let data = try Sink.read(path)
        let (frames, good) = Sink.frames(data)
        guard let seq = Int(name.dropFirst(5).dropLast(6)) else { return }
        // What cannot be read back (a damaged spool) goes under `errors/` with the reason, as
        // Firehose's error prefix: never dropped, and never holding the parts after it back.
        var damaged: [(bytes: ArraySlice<UInt8>, why: String)] = []
        if good < data.count {
            damaged.append((data[good...], "\(data.count - good) damaged bytes after the part's first \(frames.count) commits"))
        }
        let work = directory + "/work-\(seq)"
        try? FileManager.default.removeItem(atPath: work)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let location: String? = if case .s3(let place) = spec.destination { "\(place)/" } else { nil }
        // A frame at a time (at most one log record's segments: 131,072 rows), so that a big
        // file's history is never all in memory as values; each adds a part file to the hours
        // its records fall in.
        var records = 0, files: [String] = []
        for f in frames {
            let image = data.withUnsafeBytes { MappedImage(bytes: UnsafeRawBufferPointer(rebasing: $0[f.payload])) }
            let footer: SegmentCodec.Footer
            do { footer = try SegmentCodec.footer(image, name: name) } catch {
                damaged.append((data[f.payload], "commit \(f.id): \(error)"))
                continue
            }
            let store = Store()
            for seg in SegmentCodec.segments(image, footer, name: name, lazy: false) { store.append(seg); records += seg.rowCount }
            files += try Archive.export(store.snapshot(), to: work, location: location).files
        }
        var bytes = 0
        let stem = host + "-" + String(format: "%08d", seq)
        for file in files {
            let parts = file.dropFirst(work.count + 1).split(separator: "/")
            // Objects are named by the part (the same names again if it is delivered again):
            // HOST-SEQ.json.gz, then HOST-SEQ-1.json.gz … for an hour more frames fell in.
            let n = Archive.partNumber(parts.last ?? "") ?? 0
            let key = parts.dropLast().joined(separator: "/") + "/" + stem + (n == 0 ? "" : "-\(n)") + ".json.gz"
            let body = try Sink.read(file)
            try destination.put(body, key: key, contentType: "application/gzip")
            bytes += body.count
        }
        for (k, d) in damaged.enumerated() {
            let key = "errors/" + stem + "-\(k).json"
            let doc = ["sink": spec.url, "host": host, "part": seq, "reason": d.why, "bytes_base64": Data(d.bytes).base64EncodedString()] as [String: Any]
            try destination.put([UInt8](try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])), key: key, contentType: "application/json")
            report("sink \(spec.url): part \(seq): \(d.why); its bytes are under errors/\(stem)-\(k).json")
        }
        let summary = (files: files, records: records)
        if !summary.files.isEmpty, let ddl = try? Sink.read(work + "/athena.sql") {
            try destination.put(ddl, key: "athena.sql", contentType: "application/sql")
        }
        guard unlink(path) == 0 || errno == ENOENT else { throw StoreError.io(path, "cannot be removed: \(String(cString: strerror(errno)))") }
        state.withLock { s in
            s.status.delivered += records
            s.status.parts += 1
            s.status.objects += summary.files.count
            s.status.bytes += bytes
            s.status.waitingParts = max(0, s.status.waitingParts - 1)
            s.status.waitingRecords = max(0, s.status.waitingRecords - records)
            if s.status.waitingParts == 0 { s.status.oldestWaiting = nil }
            s.status.lastDelivery = now()
        }
    }
}

/// What a sink has done and what waits, for `internal_metrics`, the status bar and stderr.
public struct SinkStatus: Sendable, Equatable {
    /// Records kept in the spool (this run).
    public var kept = 0
    public var delivered = 0
    public var parts = 0
    public var objects = 0
    public var bytes = 0
    public var failures = 0
    public var waitingParts = 0
    public var waitingRecords = 0
    /// When the oldest record waiting was kept (nil: none waits).
    public var oldestWaiting: Int64?
    public var lastDelivery: Int64?
    public var lastError: String?
}

/// The sinks of one store: each told of every commit, each delivering on its own thread.
public final class SinkSet: Sendable {
    public let sinks: [Sink]

    /// Opens the sinks' spools in `store`, gives them the commits a crash may have kept from
    /// them, and starts delivering.
    public init(_ specs: [SinkSpec], store: DurableStore, host: String = SinkSet.hostName,
                report: @escaping @Sendable (String) -> Void) throws {
        var sinks: [Sink] = []
        for spec in specs where !sinks.contains(where: { $0.spec.url == spec.url }) {
            let destination: any SinkDestination
            switch spec.destination {
            case .directory(let dir): destination = DirectoryDestination(root: dir)
            case .s3(let place):
                var client = try S3Client()
                try SinkSet.probe(client, place, spec: spec, report: report)
                client.onRetry = { failure, next, of in report("sink \(spec.url): \(failure); trying again (\(next) of \(of))") }
                destination = S3Destination(place: place, client: client)
            }
            sinks.append(try Sink(spec: spec, store: store, destination: destination, host: host, report: report))
        }
        self.sinks = sinks
        guard !sinks.isEmpty else { return }
        let oldest = sinks.map(\.through).min()
        let missed = store.attach(after: oldest) { [sinks] id, images, records in
            for sink in sinks { sink.append(id, images, records: records) }
        }
        for (id, segments) in missed {
            guard let image = try? SegmentCodec.encode(segments, level: 0) else { continue }
            for sink in sinks { sink.append(id, [image], records: segments.reduce(0) { $0 + $1.rowCount }) }
        }
        for sink in sinks { sink.start() }
    }

    /// One `internal_metrics` row per sink.
    public func metricRows(at ts: Int64) -> [[Value]] { sinks.map { $0.metricRow(at: ts) } }

    /// Delivers what waits, for at most `grace`; says what is left for the next run.
    public func stop(grace: Duration = .seconds(30), report: (String) -> Void) {
        for sink in sinks {
            let left = sink.stop(grace: grace)
            let st = sink.status
            if st.parts > 0 {
                report("sink \(sink.spec.url): \(st.delivered) records delivered in \(st.objects) object\(st.objects == 1 ? "" : "s") (\(ByteSize.format(st.bytes)))")
            }
            if left > 0 {
                report("sink \(sink.spec.url): \(left) part\(left == 1 ? "" : "s") not delivered yet; kept in the store's spool and delivered when logdash next runs with this store and sink")
            }
        }
    }

    /// A bucket that is not there, or credentials it refuses, stop the start with a clear
    /// error; a store that does not answer now only delays delivery (what arrives waits in
    /// the spool), so it is said and ingest goes on.
    static func probe(_ client: S3Client, _ place: S3Location, spec: SinkSpec, report: (String) -> Void) throws {
        var quick = client
        quick.attempts = 1
        quick.timeout = .seconds(5)
        let once = quick
        do {
            try blocking { try await once.probe(bucket: place.bucket, prefix: place.prefix) }
        } catch AWSError.service(let op, let target, let status, let code, let message) where (400..<500).contains(status) && status != 429 && status != 408 {
            let why = AWSError.service(operation: op, target: target, status: status, code: code, message: message)
            throw AWSError.configuration("sink \(spec.url) cannot be delivered to: \(why)".replacingOccurrences(of: "aws: ", with: ""))
        } catch {
            report("sink \(spec.url): \(error); what arrives waits in the store's spool until it answers")
        }
    }

    /// This machine's name as part names carry it (letters, digits, '.', '-', '_').
    public static var hostName: String {
        let h = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        let clean = String(h.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        return clean.isEmpty ? "host" : clean
    }
}
