import Foundation
import Synchronization

/// Where a sink's parts go: a bucket or a directory, each object at a key under the sink's
/// place (`dt=2026-12-07/hour=05/web1-00000042.json.gz`).
protocol SinkDestination: Sendable {
    func put(_ bytes: [UInt8], key: String, contentType: String) throws
    /// Records exported into one object at most.
    var objectRows: Int { get }
    /// Bytes of JSON in one object at most (nil: no bound but the records').
    var objectBytes: Int? { get }
    /// Whether the place is an archive (a bucket, a directory): it gets `athena.sql`, and the
    /// bytes of a damaged part under `errors/`. (Another logdash takes records only: a damaged
    /// part's bytes stay in the spool's own `errors/`.)
    var writesArchive: Bool { get }
}

extension SinkDestination {
    var objectRows: Int { 131_072 }
    var objectBytes: Int? { nil }
    var writesArchive: Bool { true }
}

/// A directory (`file:///dir`): each object written under a temporary name, synced and renamed.
struct DirectoryDestination: SinkDestination {
    let root: String
    func put(_ bytes: [UInt8], key: String, contentType: String) throws {
        let path = root + "/" + key
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            // (Foundation's message names no cause: say what is in the way, a file where a
            // directory should be.)
            var why = error.localizedDescription, place = (path as NSString).deletingLastPathComponent
            var isDirectory: ObjCBool = false
            while place.count > 1 {
                if FileManager.default.fileExists(atPath: place, isDirectory: &isDirectory) {
                    if !isDirectory.boolValue { why = "'\(place)' is a file, not a directory" }
                    break
                }
                place = (place as NSString).deletingLastPathComponent
            }
            throw StoreError.io(path, "cannot be made: \(why)")
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
        try blocking { try await client.putLarge(bytes, bucket: place.bucket, key: place.key(key), contentType: contentType) }
    }
}

/// One delivery stream: what the store commits is kept in the sink's spool in the store's
/// directory (`sinks/NAME/`), cut into parts by the buffering hints, and each part delivered
/// as the archive's layout (`dt=…/hour=…/HOST-STREAM-SEQ.json.gz`: one object per hour its
/// records fall in, a second one in an hour for every further 131,072 records). At least once,
/// and exactly once unless logdash stops between an upload and the removal of its part (the
/// part is then uploaded again under the same names, replacing what was there).
///
/// The spool: `open.spool`, the part being filled, and `part-NNNNNNNN.ready`, parts cut and
/// not yet delivered — frames of [magic, the commit's log and offset, last-of-commit flag,
/// length, CRC-32] and the commit's log record image — and `state`: the next part's number,
/// the last commit cut into a part, and the names the objects carry (the host's, and a stream
/// id made with the spool, so that two stores on one host — or a host renamed — never write
/// over each other's objects). A commit is in the spool before its log can be sealed
/// (`DurableStore.attach`), and synced before the log is deleted, so after a crash the
/// commits the spool misses are still in the log and are taken from its replay.
public final class Sink: Sendable {
    public let spec: SinkSpec
    let directory: String
    let destination: any SinkDestination
    let fsync: FsyncMode
    let report: @Sendable (String) -> Void
    let now: @Sendable () -> Int64
    /// Objects' names start with this: the host's name and the stream's id.
    let stem: String

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
        var status = SinkStatus()
        /// The status at the last `internal_metrics` sample.
        var sampled = SinkStatus()
    }
    let state: Mutex<State>
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    static let frameMagic: UInt32 = 0x3253_444C  // "LDS2"
    static let frameHeader = 25

    /// Opens (making it if needed) the sink's spool under `store`'s directory and recovers it:
    /// a torn last frame is cut, and the spool's last commit found.
    init(spec: SinkSpec, store: DurableStore, destination: any SinkDestination, host: String,
         report: @escaping @Sendable (String) -> Void) throws {
        self.spec = spec
        self.destination = destination
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
        let saved = Sink.readState(directory + "/state")
        if let saved {
            s.nextPart = saved.next
            s.through = saved.through
            stem = saved.stem
        } else {
            stem = host + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16).leftPadded(to: 8)
        }
        for (n, name) in Sink.readyParts(directory) {
            s.nextPart = max(s.nextPart, n + 1)
            let image = try MappedImage(path: directory + "/" + name)
            let (frames, _) = Sink.frames(UnsafeRawBufferPointer(start: image.base, count: image.count))
            if let last = frames.last?.id { s.through = max(s.through, last) }
            s.status.waitingParts += 1
            s.status.waitingRecords += frames.reduce(0) { $0 + $1.records }
        }
        let openPath = directory + "/open.spool"
        let existing = (try? Sink.read(openPath)) ?? []
        let (frames, good) = existing.withUnsafeBytes { Sink.frames($0) }
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
        // Saved now: a new spool's starting place and names, and a part number recovered from
        // parts cut after the last save — never handed out again.
        if saved == nil || saved!.next != s.nextPart {
            try Sink.writeState(directory, next: s.nextPart, through: s.through, stem: stem)
        }
        state = Mutex(s)
    }

    deinit {
        state.withLock { if $0.open >= 0 { close($0.open) } }
    }

    /// The last commit the spool holds.
    var through: DurableStore.CommitID { state.withLock { $0.through } }

    public var status: SinkStatus { status(at: now()) }

    /// What the sink has done and what waits, its lag measured at `t`.
    func status(at t: Int64) -> SinkStatus {
        state.withLock { s in
            var st = s.status
            st.waitingRecords += s.openRecords
            st.oldestWaiting = s.status.oldestWaiting ?? s.openSince
            st.lagMs = st.oldestWaiting.map { max(0, t - $0) / 1_000_000 } ?? 0
            // (Late: past the interval and the time an upload takes — 5 s, or a tenth of it.)
            st.overdue = st.lagMs * 1_000_000 > spec.bufferInterval + max(5_000_000_000, spec.bufferInterval / 10)
            st.behind = st.lagMs * 1_000_000 > spec.lagLimit
            return st
        }
    }

    /// The sink's `internal_metrics` row: records kept, delivered and failed attempts since
    /// the last row; records waiting and the oldest one's wait now.
    func metricRow(at ts: Int64) -> [Value] {
        let now = status(at: ts)
        let before = state.withLock { s in defer { s.sampled = now }; return s.sampled }
        return [.timestamp(ts), .string(spec.url)] + Array(repeating: Value.null, count: 10)
            + [.string("sink"), .int(Int64(now.kept - before.kept)), .int(Int64(now.delivered - before.delivered)),
               .int(Int64(now.failures - before.failures)), .null, .int(Int64(now.waitingRecords)), .int(now.lagMs),
               .bool(now.behind), .null, .null, .null]
    }

    // MARK: the spool

    /// Keeps a commit (its log record images) in the open part; called under the store's lock.
    /// Returns the open part's size before, for `rollBack`, or an error (nothing kept).
    func append(_ id: DurableStore.CommitID, _ images: [[UInt8]], records: Int) -> Result<Int, StoreError> {
        let result: Result<Int, StoreError> = state.withLock { s in
            let before = s.openBytes
            guard id > s.through, !images.isEmpty else { return .success(before) }
            // Each frame's header, then its image as it is (a big history's images are not
            // copied into one buffer).
            var written = 0
            for (k, image) in images.enumerated() {
                var header: [UInt8] = []
                Sink.appendFrameHeader(id, last: k == images.count - 1, image, to: &header)
                for chunk in [header, image] {
                    if let why = Sink.writeAll(s.open, chunk) {
                        _ = ftruncate(s.open, off_t(before))
                        return .failure(StoreError.io(directory + "/open.spool", "cannot be written (\(why)): sink \(spec.url) would miss records"))
                    }
                    written += chunk.count
                }
            }
            if fsync == .always { fdatasync(s.open) }
            s.status.kept += records
            s.openBytes += written
            s.openRecords += records
            s.through = id
            if s.openSince == nil { s.openSince = now() }
            return .success(before)
        }
        if case .success = result, state.withLock({ $0.openBytes >= spec.bufferSize }) { wake.signal() }
        return result
    }

    /// Takes back the last commit kept (another sink, or the log, could not keep it).
    func rollBack(to bytes: Int, through: DurableStore.CommitID, records: Int) {
        state.withLock { s in
            guard s.openBytes > bytes else { return }
            _ = ftruncate(s.open, off_t(bytes))
            s.openBytes = bytes
            s.openRecords -= records
            s.status.kept -= records
            s.through = through
            if bytes == 0 { s.openSince = nil }
        }
    }

    /// Forces the open part to disk (before the logs it could be recovered from are deleted).
    func sync() {
        state.withLock { s in if s.open >= 0 { fdatasync(s.open) } }
    }

    /// Writes all of `bytes` (a short write goes on); the reason when it cannot.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return String(cString: strerror(n < 0 ? errno : ENOSPC)) }
            done += n
        }
        return nil
    }

    static func appendFrameHeader(_ id: DurableStore.CommitID, last: Bool, _ image: [UInt8], to out: inout [UInt8]) {
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        u32(frameMagic)
        u32(UInt32(truncatingIfNeeded: id.log))
        withUnsafeBytes(of: UInt64(id.offset).littleEndian) { out.append(contentsOf: $0) }
        out.append(last ? 1 : 0)
        u32(UInt32(image.count))
        u32(image.withUnsafeBytes { SegmentCodec.crc($0.baseAddress, $0.count) })
    }

    struct Frame {
        var id: DurableStore.CommitID
        var last: Bool
        var payload: Range<Int>
        var records: Int
        /// Whether its record image reads back (its footer decodes).
        var readable: Bool
    }

    /// The whole frames at the start of `data`, and where they end.
    static func frames(_ b: UnsafeRawBufferPointer) -> ([Frame], Int) {
        var out: [Frame] = []
        var pos = 0
        func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: b.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        while pos + frameHeader <= b.count, u32(pos) == frameMagic {
            let len = Int(u32(pos + 17))
            let start = pos + frameHeader
            guard len <= b.count - start else { break }
            let crc = SegmentCodec.crc(b.baseAddress!.advanced(by: start), len)
            guard crc == u32(pos + 21) else { break }
            let image = MappedImage(bytes: UnsafeRawBufferPointer(rebasing: b[start..<(start + len)]))
            let footer = try? SegmentCodec.footer(image, name: "spool")
            let offset = Int(UInt64(littleEndian: b.loadUnaligned(fromByteOffset: pos + 8, as: UInt64.self)))
            out.append(Frame(id: DurableStore.CommitID(log: Int(u32(pos + 4)), offset: offset), last: b[pos + 16] == 1,
                             payload: start..<(start + len), records: footer?.segments.reduce(0) { $0 + $1.rows } ?? 0, readable: footer != nil))
            pos = start + len
        }
        // A commit written in several frames counts only once its last frame is there.
        while let f = out.last, !f.last { out.removeLast(); pos = f.payload.lowerBound - frameHeader }
        return (out, pos)
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path) else { throw StoreError.io(path, "cannot be read") }
        return [UInt8](d)
    }

    /// The parts cut and not delivered, by number.
    static func readyParts(_ dir: String) -> [(Int, String)] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).compactMap { name in
            guard name.hasPrefix("part-"), name.hasSuffix(".ready"), let n = Int(name.dropFirst(5).dropLast(6)) else { return nil }
            return (n, name)
        }.sorted { $0.0 < $1.0 }
    }

    /// Adds a delivered object's key to a part's ledger, synced (a crash after it never sends
    /// the object again).
    static func note(_ key: String, in ledger: String) throws {
        let fd = open(ledger, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.io(ledger, "cannot be written: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if let why = writeAll(fd, Array((key + "\n").utf8)) { throw StoreError.io(ledger, "cannot be written: \(why)") }
        guard Glibc.fsync(fd) == 0 else { throw StoreError.io(ledger, "cannot be synced: \(String(cString: strerror(errno)))") }
    }

    /// Columns in the order first seen, each of the type that holds every value it had.
    static func unionColumns(_ columns: [SchemaColumn]) -> [SchemaColumn] {
        var out: [SchemaColumn] = [], at: [String: Int] = [:]
        for c in columns {
            if let k = at[c.name] { out[k].type = out[k].type.widened(with: c.type) } else {
                at[c.name] = out.count
                out.append(SchemaColumn(name: c.name, type: c.type, nonNull: 0))
            }
        }
        return out
    }

    /// The columns a sink has delivered so far (a JSON list of [name, type]); none when there is no file.
    static func readColumns(_ path: String) -> [SchemaColumn] {
        guard let data = FileManager.default.contents(atPath: path), let list = try? JSONSerialization.jsonObject(with: data) as? [[Any]] else { return [] }
        return list.compactMap { pair in
            guard pair.count == 2, let name = pair[0] as? String, let raw = pair[1] as? Int, let t = ColumnType(rawValue: UInt8(clamping: raw)) else { return nil }
            return SchemaColumn(name: name, type: t, nonNull: 0)
        }
    }

    static func partFile(_ n: Int) -> String { "part-" + String(format: "%08d", n) + ".ready" }

    static func readState(_ path: String) -> (next: Int, through: DurableStore.CommitID, stem: String)? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let f = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard f.count == 4, let next = Int(f[0]), let log = Int(f[1]), let offset = Int(f[2]) else { return nil }
        return (next, DurableStore.CommitID(log: log, offset: offset), f[3])
    }

    static func writeState(_ dir: String, next: Int, through: DurableStore.CommitID, stem: String) throws {
        try DurableStore.writeFileSafely(dir + "/state", Array("\(next) \(through.log) \(through.offset) \(stem)\n".utf8))
    }

    /// Cuts the open part into a ready one (when it holds anything). Under the lock only the
    /// rename and a new open file; the syncs and the state after it.
    private func cut() throws {
        let cutPart: (n: Int, through: DurableStore.CommitID)? = try state.withLock { s in
            guard s.openBytes > 0 else { return nil }
            let n = s.nextPart
            let openPath = directory + "/open.spool"
            guard rename(openPath, directory + "/" + Sink.partFile(n)) == 0 else {
                throw StoreError.io(openPath, "cannot be renamed: \(String(cString: strerror(errno)))")
            }
            let fd = open(openPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                // Taken back, so that what comes keeps going where it went.
                _ = rename(directory + "/" + Sink.partFile(n), openPath)
                throw StoreError.io(openPath, "cannot be made: \(String(cString: strerror(errno)))")
            }
            let old = s.open
            s.open = fd
            close(old)
            s.nextPart = n + 1
            s.status.waitingParts += 1
            s.status.waitingRecords += s.openRecords
            s.status.oldestWaiting = s.status.oldestWaiting ?? s.openSince
            s.openBytes = 0
            s.openRecords = 0
            s.openSince = nil
            return (n, s.through)
        }
        guard let cutPart else { return }
        // The part and its name on disk, and the next number, before the part can be delivered.
        let fd = open(directory + "/" + Sink.partFile(cutPart.n), O_RDONLY | O_CLOEXEC)
        if fd >= 0 { fdatasync(fd); close(fd) }
        try Sink.writeState(directory, next: cutPart.n + 1, through: cutPart.through, stem: stem)
    }

    // MARK: delivery

    /// Starts the thread that cuts parts and delivers them.
    func start() {
        let t = Thread { [self] in run(); finished.signal() }
        t.name = "logdash-sink"
        t.start()
    }

    /// Asks the thread to cut what waits into a part, deliver every part and end.
    func requestStop() {
        state.withLock { $0.stopping = true }
        wake.signal()
    }

    /// Waits until `deadline` for the thread to end; returns the parts left in the spool.
    func waitForStop(until deadline: DispatchTime) -> Int {
        _ = finished.wait(timeout: deadline)
        return state.withLock { $0.status.waitingParts + ($0.openBytes > 0 ? 1 : 0) }
    }

    private var stopping: Bool { state.withLock { $0.stopping } }

    private func run() {
        var failures = 0, wasBehind = false
        while true {
            // Past `max_lag`: said once when it happens and once when delivery has caught up.
            let st = status
            if st.behind != wasBehind {
                wasBehind = st.behind
                report(st.behind ? "sink \(spec.url) is behind: its oldest record has waited \(TimeSpan.age(milliseconds: st.lagMs)) (max_lag \(TimeSpan.format(spec.lagLimit))); \(st.waitingRecords) records wait"
                                 : "sink \(spec.url) has caught up")
            }
            let (due, wait): (Bool, Int64) = state.withLock { s in
                guard let since = s.openSince else { return (s.stopping, spec.bufferInterval) }
                let age = now() - since
                return (s.stopping || s.openBytes >= spec.bufferSize || age >= spec.bufferInterval, max(1_000_000, spec.bufferInterval - age))
            }
            var failure: Error?
            if due {
                do { try cut() } catch { failure = error }
            }
            if failure == nil, let (seq, name) = Sink.readyParts(directory).first {
                do {
                    try deliver(name, seq: seq)
                    if failures > 0 { report("sink \(spec.url): delivering again") }
                    failures = 0
                    continue
                } catch {
                    failure = error
                }
            }
            if let failure {
                failures += 1
                state.withLock { $0.status.failures += 1; $0.status.lastError = "\(failure)" }
                let pause = Int64(min(30, 1 << min(failures - 1, 5))) * 1_000_000_000
                if failures == 1 || failures % 10 == 0 {
                    report("sink \(spec.url): \(failure); trying again in \(pause / 1_000_000_000)s (\(status.waitingParts) part(s) wait in the spool)")
                }
                if stopping { return }
                _ = wake.wait(timeout: .now() + .nanoseconds(Int(pause)))
                continue
            }
            if stopping { return }
            _ = wake.wait(timeout: .now() + .nanoseconds(Int(wait)))
        }
    }

    /// What a part could not deliver, under `errors/` with its reason (as Firehose's error output
    /// prefix): the destination's, or for another logdash (which takes records, not files) the
    /// spool's own; said on stderr.
    private func keepUnder(_ key: String, _ body: [UInt8], saying what: String) throws {
        if destination.writesArchive {
            try destination.put(body, key: key, contentType: "application/json")
            report("sink \(spec.url): \(what); its bytes are under \(key)")
        } else {
            try DirectoryDestination(root: directory).put(body, key: key, contentType: "application/json")
            report("sink \(spec.url): \(what); its bytes are kept in \(directory)/\(key)")
        }
    }

    /// Whether an error is the destination refusing the object itself (a 4xx answer that trying
    /// again will not change), not an outage, throttling, or credentials, permissions or a
    /// place that the operator can put right (401, 403, 404) — those are tried again for as
    /// long as it takes.
    static func refuses(_ error: Error) -> Bool {
        let status: Int? = switch error {
        // (S3's 400s that a later try can pass: a slow or cut body, a token to renew, a region
        // or clock to set right.)
        case AWSError.service(_, _, _, let code, _) where ["RequestTimeout", "IncompleteBody", "BadDigest", "ExpiredToken", "TokenRefreshRequired",
                                                             "InvalidToken", "AuthorizationHeaderMalformed", "RequestTimeTooSkewed"].contains(code): nil
        case AWSError.service(_, _, let s, _, _): s
        case let e as DeliveryError: e.status
        default: nil
        }
        guard let status, (400..<500).contains(status) else { return false }
        return ![401, 403, 404, 408, 429].contains(status)
    }

    /// When the destination first refused part `seq` (kept in the spool as `refused-SEQ`, so
    /// that runs shorter than the retry duration add up).
    private func firstRefusal(_ seq: Int) -> Int64 {
        let path = directory + "/refused-\(seq)"
        if let t = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap({ Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) { return t }
        let t = now()
        try? DurableStore.writeFileSafely(path, Array(String(t).utf8))
        return t
    }

    /// Delivers one ready part: its commits read back as segments, written as the archive's
    /// JSON lines per hour, each hour's objects put; then the part is removed.
    private func deliver(_ name: String, seq: Int) throws {
        let path = directory + "/" + name
        let part = try MappedImage(path: path)
        let data = UnsafeRawBufferPointer(start: part.base, count: part.count)
        let (frames, good) = Sink.frames(data)
        // What cannot be read back (a damaged spool) goes under `errors/` with the reason, as
        // Firehose's error prefix: never dropped, and never holding the parts after it back.
        var damaged: [(bytes: UnsafeRawBufferPointer, why: String)] = []
        if good < data.count {
            damaged.append((UnsafeRawBufferPointer(rebasing: data[good...]), "\(data.count - good) damaged bytes after the part's first \(frames.count) commits"))
        }
        let work = directory + "/work-\(seq)"
        try? FileManager.default.removeItem(atPath: work)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let location: String? = if case .s3(let place) = spec.destination { "\(place)/" } else { nil }
        // A part keeps the compression of its first try (noted before anything is put): objects
        // named with another suffix, after `compression` changed across a restart, would not
        // replace those an interrupted try put, and the records would be there twice.
        let pinned = directory + "/compression-\(seq)"
        let compression: ArchiveCompression
        if let c = (try? String(contentsOfFile: pinned, encoding: .utf8)).flatMap(ArchiveCompression.init(rawValue:)) {
            compression = c
        } else {
            compression = spec.compression
            try DurableStore.writeFileSafely(pinned, Array(compression.rawValue.utf8))
        }
        let level = compression == spec.compression ? spec.compressionLevel : nil
        // Commits are gathered up to `objectRows` records and exported together (one object
        // per hour for most parts; never a whole big history in memory as values), the batches
        // on every core a few at a time, each into a directory of its own.
        var batches: [[Frame]] = [[]], batchRows = 0, records = 0
        for f in frames {
            guard f.readable else {
                damaged.append((UnsafeRawBufferPointer(rebasing: data[f.payload]), "commit \(f.id): its record does not read back"))
                continue
            }
            if batchRows > 0 && batchRows + f.records > destination.objectRows { batches.append([]); batchRows = 0 }
            batches[batches.count - 1].append(f)
            batchRows += f.records
            records += f.records
        }
        let exported = Mutex<[(batch: Int, files: [String], counts: [Int], columns: [SchemaColumn])]>([])
        let failure = Mutex<Error?>(nil)
        let wave = max(1, ProcessInfo.processInfo.activeProcessorCount)
        for first in stride(from: 0, to: batches.count, by: wave) {
            let group = Array(batches[first..<min(batches.count, first + wave)])
            DispatchQueue.concurrentPerform(iterations: group.count) { k in
                let data = UnsafeRawBufferPointer(start: part.base, count: part.count)
                let store = Store()
                for f in group[k] {
                    let image = MappedImage(bytes: UnsafeRawBufferPointer(rebasing: data[f.payload]))
                    guard let footer = try? SegmentCodec.footer(image, name: name) else { continue }
                    for seg in SegmentCodec.segments(image, footer, name: name, lazy: false) { store.append(seg) }
                }
                guard store.snapshot().rowCount > 0 else { return }
                do {
                    let snapshot = store.snapshot()
                    let summary = try Archive.export(snapshot, to: work + "/b\(first + k)", location: location, compression: compression,
                                                     level: level, partBytes: destination.objectBytes, withRaw: !destination.writesArchive)
                    exported.withLock { $0.append((first + k, summary.files, summary.counts, snapshot.schema.filter { $0.name != "raw" })) }
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                }
            }
            if let e = failure.withLock({ $0 }) { throw e }
        }
        var bytes = 0, objects = 0
        let partStem = stem + "-" + String(format: "%08d", seq)
        // The objects of this part already delivered by an earlier try (one that failed on a
        // later object, or stopped): not sent again — another logdash appends what it takes.
        let ledger = directory + "/delivered-\(seq)"
        let done = Set((try? String(contentsOfFile: ledger, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? [])
        var refusedObjects = 0, refusedRecords = 0
        for (batch, files, counts, _) in exported.withLock({ $0 }).sorted(by: { $0.batch < $1.batch }) {
            let dir = work + "/b\(batch)"
            var inPartition: [String: Int] = [:]
            for (file, count) in zip(files, counts) {
                // Objects are named by the part and the batch (the same names again if the part
                // is delivered again): …-SEQ.json.gz, then …-SEQ-1.json.gz … for later batches,
                // …-SEQ-B-K.json.gz for the K-th more object of a batch in one hour.
                let partition = file.dropFirst(dir.count + 1).split(separator: "/").dropLast().joined(separator: "/")
                let k = inPartition[partition, default: 0]
                inPartition[partition] = k + 1
                let key = partition + "/" + partStem + (batch == 0 && k == 0 ? "" : "-\(batch)") + (k == 0 ? "" : "-\(k)") + compression.suffix
                if done.contains(key) { continue }
                let body = try Sink.read(file)
                do {
                    try destination.put(body, key: key, contentType: compression.contentType)
                } catch where Sink.refuses(error) {
                    // Refused for longer than the retry duration: under errors/ with the reason,
                    // and the part goes on (it would otherwise hold every part after it back).
                    let since = firstRefusal(seq)
                    guard now() - since >= spec.retryDuration else { throw error }
                    let doc = ["sink": spec.url, "part": seq, "key": key, "reason": "\(error)",
                               "refused_since": Timestamp.iso8601(since), "bytes_base64": Data(body).base64EncodedString()] as [String: Any]
                    let name = "errors/" + key.replacingOccurrences(of: "/", with: "_") + ".json"
                    try keepUnder(name, [UInt8](try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])),
                                  saying: "part \(seq): \(key) (\(count) records) refused for longer than retry_duration (\(TimeSpan.format(spec.retryDuration))): \(error)")
                    if !destination.writesArchive { try Sink.note(key, in: ledger) }
                    refusedObjects += 1
                    refusedRecords += count
                    continue
                }
                if !destination.writesArchive { try Sink.note(key, in: ledger) }
                bytes += body.count
                objects += 1
            }
        }
        for (k, d) in damaged.enumerated() {
            let doc = ["sink": spec.url, "part": seq, "reason": d.why, "bytes_base64": Data(d.bytes).base64EncodedString()] as [String: Any]
            try keepUnder("errors/" + partStem + "-\(k).json", [UInt8](try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])),
                          saying: "part \(seq): \(d.why)")
        }
        if objects > 0, destination.writesArchive {
            // The table has every column any delivered record had (kept in the spool across
            // parts and runs), each of the type that holds all its values.
            let columns = Sink.unionColumns(Sink.readColumns(directory + "/columns") + exported.withLock { $0.flatMap(\.columns) })
            try DurableStore.writeFileSafely(directory + "/columns", [UInt8](try JSONSerialization.data(withJSONObject: columns.map { [$0.name, Int($0.type.rawValue)] as [Any] })))
            try destination.put(Array(Archive.athenaDDL(columns, table: "logs", location: location).utf8), key: "athena.sql", contentType: "application/sql")
        }
        guard unlink(path) == 0 || errno == ENOENT else { throw StoreError.io(path, "cannot be removed: \(String(cString: strerror(errno)))") }
        unlink(ledger)
        unlink(pinned)
        unlink(directory + "/refused-\(seq)")
        state.withLock { s in
            s.status.delivered += records - refusedRecords
            s.status.refused += refusedRecords
            s.status.failures += refusedObjects
            s.status.parts += 1
            s.status.objects += objects
            s.status.bytes += bytes
            s.status.waitingParts = max(0, s.status.waitingParts - 1)
            s.status.waitingRecords = max(0, s.status.waitingRecords - records)
            if s.status.waitingParts == 0 { s.status.oldestWaiting = nil }
            s.status.lastDelivery = now()
        }
    }
}

private extension String {
    func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
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
    /// Records of objects the destination refused past the retry duration, put under `errors/`.
    public var refused = 0
    public var waitingParts = 0
    public var waitingRecords = 0
    /// When the oldest record waiting was kept (nil: none waits).
    public var oldestWaiting: Int64?
    /// How long the oldest record has waited, in milliseconds (0: none waits); past the
    /// buffer interval (`overdue`: delivery is late) and past `max_lag` (`behind`).
    public var lagMs: Int64 = 0
    public var overdue = false
    public var behind = false
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
            case .http(let url):
                if spec.token != nil && url.scheme == "http" {
                    report("warning: sink \(spec.url): its token goes over the network in clear text; the central logdash can listen on https://")
                }
                destination = try HTTPDestination(spec: spec, url: url, agent: host)
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
        let missed = store.attach(after: oldest, beforeLogRemoval: { [sinks] in for sink in sinks { sink.sync() } }) { [sinks] id, images, records in
            SinkSet.keep(id, images, records: records, in: sinks)
        }
        for (id, segments) in missed {
            guard let image = try? SegmentCodec.encode(segments, level: 0) else { continue }
            if let e = SinkSet.keep(id, [image], records: segments.reduce(0) { $0 + $1.rowCount }, in: sinks) { throw e }
        }
        for sink in sinks { sink.start() }
    }

    /// A commit kept by every sink, or by none (the error then fails the commit).
    static func keep(_ id: DurableStore.CommitID, _ images: [[UInt8]], records: Int, in sinks: [Sink]) -> StoreError? {
        var kept: [(Sink, Int, DurableStore.CommitID)] = []
        for sink in sinks {
            let through = sink.through
            switch sink.append(id, images, records: records) {
            case .success(let before): kept.append((sink, before, through))
            case .failure(let e):
                for (other, before, through) in kept { other.rollBack(to: before, through: through, records: records) }
                return e
            }
        }
        return nil
    }

    /// One `internal_metrics` row per sink.
    public func metricRows(at ts: Int64) -> [[Value]] { sinks.map { $0.metricRow(at: ts) } }

    /// Delivers what waits, for at most `grace` in all; says what is left for the next run.
    public func stop(grace: Duration = .seconds(30), report: (String) -> Void) {
        for sink in sinks { sink.requestStop() }
        let deadline = DispatchTime.now() + .milliseconds(Int(grace.components.seconds * 1000 + grace.components.attoseconds / 1_000_000_000_000_000))
        for sink in sinks {
            let left = sink.waitForStop(until: deadline)
            let st = sink.status
            if st.parts > 0 {
                report("sink \(sink.spec.url): \(st.delivered) records delivered in \(st.objects) object\(st.objects == 1 ? "" : "s") (\(ByteSize.format(st.bytes)))"
                       + (st.refused > 0 ? "; \(st.refused) records refused past retry_duration, under errors/" : ""))
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
