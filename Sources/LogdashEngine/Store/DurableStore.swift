import Foundation
import Synchronization

/// When the write-ahead log is forced to the disk (`--fsync`).
public enum FsyncMode: String, Sendable, CaseIterable {
    /// After every commit — each delivery flush of the parse stage (the default).
    case always
    /// At most once a second (a crash of the machine, not of logdash, may lose up to a second).
    case interval
    /// Never asked for: the kernel writes when it likes (a logdash crash loses nothing; a
    /// machine crash may lose what the kernel had not written).
    case never
}

public struct StoreOptions: Sendable {
    public var fsync: FsyncMode = .always
    /// Sealed files whose newest record is older than this (ns) are deleted (`--retain`).
    public var retain: Int64?
    /// The oldest sealed files are deleted while the store is larger than this (`--max-store-size`).
    public var maxBytes: Int64?
    /// The log is sealed into a segment file once it holds this many bytes.
    public var sealBytes = 64 << 20
    /// zstd level of segment files.
    public var level: Int32 = 6
    /// Once a log is sealed, its segments in memory are swapped for the file's mapped ones.
    public var swapSealed = true
    public var now: @Sendable () -> Int64 = { LoadOptions.wallClock() }
    /// Open to read only (`logdash query --store`, `export --store`): nothing is cut, moved,
    /// deleted or written, so a store that a running logdash writes can be read beside it.
    public var readOnly = false

    public init() {}
}

/// The store on disk (`--store DIR`): everything accepted survives a crash, a kill -9 and a reboot.
///
/// - `wal-NNNNNNNN.log`, the write-ahead log: each commit is one record (length, CRC-32, then
///   the segments' image and the file checkpoints they advance), appended and — with
///   `--fsync always` — forced to disk before the records become visible. A commit too big for
///   one record is written as parts that count only once their last part is there.
/// - `seg-NNNNNNNN.lds`, segment files: once the log holds `sealBytes`, a new log file starts
///   and the old one's segments are merged per source, compressed and written as one file
///   (temporary name, fsync, rename, directory fsync); its footer says which log files it
///   covers, so a crash between the rename and the log's deletion replays nothing twice.
///   Files are mapped and their columns decoded only when a query reads them.
/// - `corrupt/`: files that failed their checksums at start, set aside with a message.
public final class DurableStore: Sendable {
    public let directory: String
    public let store: Store
    public let options: StoreOptions
    /// Told of what a person should know: recovery, damaged files, failed writes.
    let report: @Sendable (String) -> Void

    private struct State {
        /// The log being written.
        var wal: Int32 = -1
        var walNumber = 0
        var walBytes = 0
        /// The number of the last segment file.
        var fileNumber = 0
        /// The log files up to this one are in segment files (seals finish in order).
        var sealedThrough = 0
        var dirty = false
        var pending: [Segment] = []
        var checkpoints: [String: FileCheckpoint] = [:]
        var failure: StoreError?
        var closed = false
        var timer: DispatchSourceTimer?
        /// The lock one writer holds (`DIR/lock`).
        var lockFile: Int32 = -1
        var recovered = Recovery()
        /// Told of every commit, with its log record images, before the log can be sealed
        /// (the sinks' spools: `attach`); a failure fails the commit.
        var observer: (@Sendable (CommitID, [[UInt8]], Int) -> StoreError?)?
        /// Called before sealed logs are deleted (the sinks sync their spools).
        var beforeLogRemoval: (@Sendable () -> Void)?
        /// The commits replayed from the log at recovery, until an observer takes them (or the
        /// first commit shows that none will).
        var replayed: [(CommitID, [Segment])] = []
    }
    private let state = Mutex(State())

    /// A commit's place in the log: the log file's number and the offset of its first record
    /// there. Every commit since the store was made has one, in order; a commit replayed after
    /// a crash has the same one again (damaged records passed over at replay move nothing: the
    /// records after them keep their offsets, and a log cut short is never written again).
    public struct CommitID: Comparable, Sendable, Hashable, CustomStringConvertible {
        public var log: Int
        public var offset: Int
        public init(log: Int, offset: Int) { self.log = log; self.offset = offset }
        public static func < (a: CommitID, b: CommitID) -> Bool { (a.log, a.offset) < (b.log, b.offset) }
        public var description: String { "\(log):\(offset)" }
    }

    /// A place before every commit still to come.
    public var lastCommit: CommitID { state.withLock { CommitID(log: $0.walNumber, offset: $0.walBytes - 1) } }

    /// Has `observer` told of every commit from now on (its place, its log record images and its
    /// number of records), under the store's lock, after the
    /// commit is in the log (and synced as `fsync` says) and before the log can be sealed — so
    /// that what it keeps of a commit is never missing while the log still holds it. Returns
    /// the commits replayed from the log at recovery that come after `after`: those it may
    /// have missed before a crash. Big files' histories then go through the log as well
    /// (`commitSealed`), so that every record is told.
    /// `beforeLogRemoval` runs before sealed logs are deleted, so that what the observer keeps
    /// of them is on disk first.
    public func attach(after: CommitID?, beforeLogRemoval: @escaping @Sendable () -> Void,
                       _ observer: @escaping @Sendable (CommitID, [[UInt8]], Int) -> StoreError?) -> [(CommitID, [Segment])] {
        state.withLock { s in
            s.observer = observer
            s.beforeLogRemoval = beforeLogRemoval
            let missed = s.replayed.filter { after == nil || $0.0 > after! }
            s.replayed = []
            return missed
        }
    }

    private let sealQueue = DispatchQueue(label: "logdash-seal")
    /// Seals a commit may leave running or waiting before it waits itself.
    private let sealSlots = DispatchSemaphore(value: 2)

    /// What recovery found, in figures.
    public var recovered: Recovery { state.withLock { $0.recovered } }
    public struct Recovery: Sendable, Equatable {
        public var files = 0
        public var fileRecords = 0
        public var logRecords = 0
        public var replayedRecords = 0
        public var tornBytes = 0
        /// Bytes of damaged log records passed over (the records after them are kept).
        public var skippedBytes = 0
        public var setAside: [String] = []
    }

    static let recordMagic: UInt32 = 0x3157_444C  // "LDW1"
    static let recordHeader = 13  // magic, payload length, CRC, kind
    enum RecordKind: UInt8 { case part = 0, commit = 1 }

    /// Opens (creating it if needed) and recovers the store in `directory`: sealed files are
    /// verified and mapped, the log's tail replayed, a torn last record cut.
    public init(directory: String, options: StoreOptions = StoreOptions(), report: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.directory = directory
        self.options = options
        self.report = report
        store = Store()
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError.io(directory, "cannot be created: \(error.localizedDescription)")
        }
        if !options.readOnly {
            let fd = open(path("lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            state.withLock { $0.lockFile = fd }
            guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                throw StoreError.inUse(directory)
            }
        }
        try state.withLock { s in
            try recover(&s)
            guard !options.readOnly else { return }
            try openLog(number: s.walNumber + 1, &s)
        }
        if !options.readOnly && options.fsync == .interval {
            state.withLock { s in
                let t = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "logdash-fsync"))
                t.schedule(deadline: .now() + 1, repeating: 1)
                t.setEventHandler { [weak self] in self?.syncIfDirty() }
                t.resume()
                s.timer = t
            }
        }
    }

    deinit {
        state.withLock { s in
            s.timer?.cancel()
            if s.wal >= 0 { Glibc.close(s.wal) }
            if s.lockFile >= 0 { Glibc.close(s.lockFile) }
        }
    }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
    static func name(_ prefix: String, _ n: Int, _ ext: String) -> String { prefix + String(format: "%08d", n) + ext }

    /// The segment files, in order.
    func files() -> [(Int, String)] { listing("seg-", ".lds") }

    /// Seals what the log holds into a segment file now, and waits for it (before a purge).
    func sealForPurge() throws {
        let current = state.withLock { s in
            _ = sealLocked(&s)
            return s.walNumber
        }
        sealQueue.sync {}
        if let failure = state.withLock({ $0.failure }) { throw failure }
        // Older logs hold nothing a segment file does not (what recovery could not read of them
        // included): none stays behind with a copy of a record.
        for (k, n) in listing("wal-", ".log") where k < current { unlink(path(n)) }
        syncDirectory()
    }

    /// Files recovery set aside as damaged (`DIR/corrupt`), which a purge does not rewrite.
    var setAsideFiles: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path("corrupt"))) ?? [] }

    /// The files of the store with their numbers, in order.
    private func listing(_ prefix: String, _ ext: String) -> [(Int, String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { n -> (Int, String)? in
            guard n.hasPrefix(prefix), n.hasSuffix(ext), let k = Int(n.dropFirst(prefix.count).dropLast(ext.count)) else { return nil }
            return (k, n)
        }.sorted { $0.0 < $1.0 }
    }

    // MARK: recovery

    private func recover(_ s: inout State) throws {
        let writes = !options.readOnly
        for n in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where writes && n.hasSuffix(".tmp") {
            unlink(path(n))  // a seal that did not finish: its log is still there
        }
        // The logs are opened before the segment files are listed: a writer that seals one
        // meanwhile (a reader beside a running logdash) renames its segment file into place
        // before deleting the log, so every record is found once — in the log still open here,
        // or in a segment file that says it covers that log.
        var logs: [(Int, String, Int32)] = []
        for (k, name) in listing("wal-", ".log") {
            let fd = open(path(name), (writes ? O_RDWR : O_RDONLY) | O_CLOEXEC)
            if fd >= 0 { logs.append((k, name, fd)) }
        }
        defer { for l in logs { Glibc.close(l.2) } }
        var files: [(Int, String, SegmentCodec.Footer, MappedImage)] = []
        s.fileNumber = listing("seg-", ".lds").last?.0 ?? 0  // set-aside files' numbers are not used again
        for (k, name) in listing("seg-", ".lds") {
            do {
                let image = try MappedImage(path: path(name))
                let footer = try SegmentCodec.footer(image, name: name)
                try SegmentCodec.verify(image, footer, name: name)
                files.append((k, name, footer, image))
            } catch let e as StoreError where e.isTooNew {
                throw e  // a newer logdash's store: left as it is, not set aside
            } catch {
                setAside(name, because: "\(error)", &s)
            }
        }
        // Files set aside by an earlier recovery stay in `errors` until someone removes them.
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: path("corrupt"))) ?? []).sorted()
        where !s.recovered.setAside.contains(name) {
            store.appendErrors([[.timestamp(options.now()), .timestamp(options.now()), .string("store"), .string("damaged segment file set aside"),
                                 .string("corrupt/\(name): set aside by an earlier recovery; its records are not in the store")]])
        }
        let covered = files.map { $0.2.walCovered }.max() ?? 0
        s.sealedThrough = covered
        // Each file's checkpoints as of when it was made, in the order they were made.
        for f in files {
            for cp in f.2.checkpoints { s.checkpoints[cp.key] = cp }
        }
        // Logs a sealed file covers are done with (a crash came between the seal and their deletion).
        for (k, name) in listing("wal-", ".log") where writes && k <= covered { unlink(path(name)) }
        s.walNumber = max(covered, logs.last?.0 ?? 0)
        // Retention first, so that what it deletes is not read.
        let cutoff = options.retain.map { options.now() - $0 }
        var expired: Set<String> = []
        for f in files {
            if let cutoff, let newest = f.2.segments.map(\.maxTs).max(), newest < cutoff {
                expired.insert(f.1)
                if writes { unlink(path(f.1)) }
            }
        }
        if writes { enforceSize() }
        for f in files where !expired.contains(f.1) && FileManager.default.fileExists(atPath: path(f.1)) {
            s.recovered.files += 1
            for seg in SegmentCodec.segments(f.3, f.2, name: f.1, lazy: true) { store.append(seg); s.recovered.fileRecords += seg.rowCount }
        }
        for (k, name, fd) in logs where k > covered { try replay(name, number: k, fd: fd, &s) }
    }

    private func setAside(_ name: String, because why: String, _ s: inout State) {
        let dir = path("corrupt")
        if !options.readOnly {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            rename(path(name), (dir as NSString).appendingPathComponent(name))
        }
        s.recovered.setAside.append(name)
        let msg = options.readOnly ? "\(why); skipped — its records are not read"
            : "\(why); set aside as corrupt/\(name) — its records are not in the store"
        report(msg)
        store.appendErrors([[.timestamp(options.now()), .timestamp(options.now()), .string("store"), .string("damaged segment file set aside"), .string(msg)]])
    }

    /// Replays one log file: committed records go to the store (and wait to be sealed again).
    /// Each record carries its length and CRC, so a damaged one is skipped alone: reading goes
    /// on at the next whole record, and the skipped bytes are reported and shown in `errors`.
    /// A torn end (a record cut short with nothing whole after it: a crash mid-write) is cut off.
    private func replay(_ name: String, number logNumber: Int, fd: Int32, _ s: inout State) throws {
        let p = path(name)
        var st = stat()
        fstat(fd, &st)
        let size = Int(st.st_size)
        if size == 0 {
            if !options.readOnly { unlink(p) }  // a log no commit reached
            return
        }
        var data = [UInt8](repeating: 0, count: size)
        var got = 0
        while got < size {
            let n = data.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, size - got, off_t(got)) }
            if n <= 0 { break }
            got += n
        }
        var pos = 0, good = 0
        var parts: [Segment] = []
        var partCount = 0
        var commitStart = 0
        var damage: String?
        while pos < got {
            var record = LogRecord.at(pos, in: data, count: got)
            if case .tooNew(let format) = record {
                // Trusted at the start of a log only (and with its checksum whole): elsewhere a
                // flipped bit in a header is damage, not a newer logdash.
                if pos == 0 { throw StoreError.tooNew(p, format: format) }
                record = .damaged("a record does not start where one should", end: nil)
            }
            var footer: SegmentCodec.Footer?, image: MappedImage?
            if case .whole(_, let start, let len) = record {
                let img = data.withUnsafeBytes { MappedImage(bytes: UnsafeRawBufferPointer(rebasing: $0[start..<(start + len)])) }
                do {
                    let f = try SegmentCodec.footer(img, name: name)
                    try SegmentCodec.verify(img, f, name: name, checksums: false)
                    footer = f
                    image = img
                } catch let e as StoreError where e.isTooNew {
                    throw e
                } catch {
                    record = .damaged("\(error)", end: start + len)
                }
            }
            guard case .whole(let kind, let start, let len) = record, let footer, let image else {
                // A record whose header holds but whose payload fails: the next record is where
                // its length says. Else (a damaged header; a length that runs past the end) the
                // next record is searched for, and taken only if whole records follow it to the
                // very end of the log: a record cut short by a crash mid-write, whose payload holds
                // clients' lines, is never mistaken for damage before records planted in it.
                let why: String, end: Int?
                switch record {
                case .damaged(let w, let e): why = w; end = e
                default: why = "the last record is cut short"; end = nil
                }
                let next: Int?
                if let end, end < got, case .whole = LogRecord.at(end, in: data, count: got) { next = end }
                else if let end, end == got { next = nil }
                else { next = LogRecord.next(after: pos, in: data, count: got) }
                guard let next else { damage = why; break }
                skip(name, bytes: pos..<next, why: why, &s)
                pos = next
                continue
            }
            if partCount == 0 { commitStart = pos }
            parts += SegmentCodec.segments(image, footer, name: name, lazy: false)
            partCount += 1
            if kind == .commit {
                for cp in footer.checkpoints { s.checkpoints[cp.key] = cp }
                for seg in parts { store.append(seg, log: logNumber); s.pending.append(seg); s.recovered.replayedRecords += seg.rowCount }
                if !options.readOnly && !parts.isEmpty { s.replayed.append((CommitID(log: logNumber, offset: commitStart), parts)) }
                s.recovered.logRecords += partCount
                parts = []
                partCount = 0
                good = start + len
            }
            pos = start + len
        }
        if options.readOnly && good < got {
            // A writer may be in the middle of this record: read what is whole.
            s.walBytes += good
            return
        }
        if good < got || damage != nil {
            let cut = size - good
            s.recovered.tornBytes += cut
            let why = damage ?? "a commit's last part is missing"
            let msg = "\(name): \(why); \(cut) bytes cut at offset \(good) (lines from files are read again from their checkpoints)"
            report("store: " + msg)
            store.appendErrors([[.timestamp(options.now()), .timestamp(options.now()), .string("store"), .string("torn log record cut at recovery"), .string(msg)]])
            guard ftruncate(fd, off_t(good)) == 0 else { throw StoreError.io(p, "cannot cut the torn record: \(String(cString: strerror(errno)))") }
            fsync(fd)
        }
        s.walBytes += good
    }

    /// A damaged stretch of a log passed over: reported, counted and shown in `errors`.
    private func skip(_ name: String, bytes: Range<Int>, why: String, _ s: inout State) {
        s.recovered.skippedBytes += bytes.count
        let msg = "\(name): \(why); bytes \(bytes.lowerBound)–\(bytes.upperBound - 1) (\(bytes.count) bytes) skipped, "
            + "the records after them kept (what the damaged record held is lost; lines from files are not read again)"
        report("store: " + msg)
        store.appendErrors([[.timestamp(options.now()), .timestamp(options.now()), .string("store"), .string("damaged log record skipped at recovery"), .string(msg)]])
    }

    /// What stands at an offset of a log file.
    enum LogRecord {
        /// A record whose header and checksum hold: its kind, and where its payload is.
        case whole(RecordKind, start: Int, length: Int)
        /// A record cut short by the end of the file.
        case short
        /// A record of a newer store format (its checksum whole).
        case tooNew(Int)
        /// `end`: where the record ends by its (intact) header, when only its payload is bad.
        case damaged(String, end: Int?)

        static func at(_ pos: Int, in data: [UInt8], count: Int) -> LogRecord {
            guard pos + DurableStore.recordHeader <= count else { return .short }
            let (magic, len, crc, kind) = data.withUnsafeBytes { b in
                (UInt32(littleEndian: b.loadUnaligned(fromByteOffset: pos, as: UInt32.self)),
                 Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: pos + 4, as: UInt32.self))),
                 UInt32(littleEndian: b.loadUnaligned(fromByteOffset: pos + 8, as: UInt32.self)), b[pos + 12])
            }
            // "LDW2" and on: a newer logdash's log.
            let newer = magic != DurableStore.recordMagic && magic & 0x00FF_FFFF == DurableStore.recordMagic & 0x00FF_FFFF
                && (Int(String(UnicodeScalar(UInt8(magic >> 24)))) ?? 0) > SegmentCodec.formatVersion
            guard magic == DurableStore.recordMagic || newer, let k = RecordKind(rawValue: kind) else {
                return .damaged("a record does not start where one should", end: nil)
            }
            let start = pos + DurableStore.recordHeader
            guard start + len <= count else { return .short }
            let ok = data.withUnsafeBytes { b in SegmentCodec.crc(b.baseAddress!.advanced(by: start), len) == crc }
            if newer { return ok ? .tooNew(Int(String(UnicodeScalar(UInt8(magic >> 24))))!) : .damaged("a record does not start where one should", end: nil) }
            return ok ? .whole(k, start: start, length: len) : .damaged("a record fails its checksum", end: start + len)
        }

        /// The offset of the next record after `pos` (found by its magic number) from which whole
        /// records run to the end of the log exactly, or nil.
        static func next(after pos: Int, in data: [UInt8], count: Int) -> Int? {
            let m = withUnsafeBytes(of: DurableStore.recordMagic.littleEndian) { Array($0) }
            var i = pos + 1
            while i + DurableStore.recordHeader <= count {
                if data[i] == m[0] && data[i + 1] == m[1] && data[i + 2] == m[2] && data[i + 3] == m[3], wholeToTheEnd(from: i, in: data, count: count) {
                    return i
                }
                i += 1
            }
            return nil
        }

        private static func wholeToTheEnd(from start: Int, in data: [UInt8], count: Int) -> Bool {
            var p = start
            while p < count {
                guard case .whole(_, let s, let len) = at(p, in: data, count: count) else { return false }
                p = s + len
            }
            return p == count
        }
    }

    // MARK: the log

    private func openLog(number: Int, _ s: inout State) throws {
        let p = path(DurableStore.name("wal-", number, ".log"))
        let fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io(p, "cannot be created: \(String(cString: strerror(errno)))") }
        if s.wal >= 0 { Glibc.close(s.wal) }
        s.wal = fd
        s.walNumber = number
        syncDirectory()
    }

    func syncDirectory() {
        let d = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if d >= 0 { fsync(d); Glibc.close(d) }
    }

    /// The checkpoint of a file (by device and inode), if the store has one.
    public func checkpoint(dev: UInt64, ino: UInt64) -> FileCheckpoint? {
        state.withLock { $0.checkpoints["\(dev):\(ino)"] }
    }

    public var allCheckpoints: [FileCheckpoint] {
        state.withLock { Array($0.checkpoints.values) }
    }

    /// Forgets checkpoints of files that are gone.
    public func forget(_ keys: [String]) {
        state.withLock { s in for k in keys { s.checkpoints[k] = nil } }
    }

    /// The first failure to write, if any: from then on every commit fails.
    public var writeFailure: StoreError? { state.withLock { $0.failure } }

    /// Makes segments (and the file positions they bring a file to) durable, as one commit:
    /// after a crash either all of them are recovered or none. Segments then go to `pending`;
    /// the caller makes them visible in the store.
    /// Returns the number of the log the commit went to.
    @discardableResult
    public func commit(_ segments: [Segment], checkpoints cps: [FileCheckpoint] = []) throws -> Int {
        try commit(segments, checkpoints: cps, tagging: false)
    }

    /// `tagging`: the segments are in the store already, untied to a log: tie them to this
    /// commit's, so that the seal swaps them for the file's instead of adding those beside them.
    private func commit(_ segments: [Segment], checkpoints cps: [FileCheckpoint], tagging: Bool) throws -> Int {
        guard !segments.isEmpty || !cps.isEmpty else { return walNumberNow }
        let (log, sealing) = try state.withLock { try commitLocked(segments, checkpoints: cps, tagging: tagging, &$0) }
        // Seals compress off this thread; when they fall behind, the commit that starts a
        // third waits here — the parse stage slows, the buffer fills, sources are pushed back —
        // rather than memory holding ever more logs' segments.
        if sealing { sealSlots.wait() }
        return log
    }

    private func commitLocked(_ segments: [Segment], checkpoints cps: [FileCheckpoint], tagging: Bool, _ s: inout State) throws -> (Int, Bool) {
        if let failure = s.failure { throw failure }
        guard !s.closed else { throw StoreError.io(directory, "the store is closed") }
        // Parts of at most ~32 MB of segments each, so that a big file's history is not one huge record.
        var groups: [[Segment]] = [[]]
        var rows = 0
        for s in segments {
            if rows > 0 && rows + s.rowCount > 131_072 { groups.append([]); rows = 0 }
            groups[groups.count - 1].append(s)
            rows += s.rowCount
        }
        let start = s.walBytes
        var images: [[UInt8]] = []
        do {
            for (i, g) in groups.enumerated() {
                let last = i == groups.count - 1
                let image = try SegmentCodec.encode(g, level: 0, checkpoints: last ? cps : [])
                try writeRecord(image, kind: last ? .commit : .part, &s)
                if s.observer != nil { images.append(image) }
            }
            if options.fsync == .always { try sync(&s) } else { s.dirty = true }
            if let observer = s.observer {
                // (A commit of checkpoints alone — a stream's first position — has nothing to deliver.)
                if !segments.isEmpty, let e = observer(CommitID(log: s.walNumber, offset: start), images, segments.reduce(0) { $0 + $1.rowCount }) { throw e }
            } else {
                s.replayed = []
            }
        } catch let e as StoreError {
            // Leave the log as it was before this commit, so that what was stored stays whole.
            _ = ftruncate(s.wal, off_t(start))
            s.walBytes = start
            s.failure = e
            throw e
        }
        for cp in cps { s.checkpoints[cp.key] = cp }
        s.pending += segments
        if tagging { store.tie(segments, toLog: s.walNumber) }
        let log = s.walNumber
        return (log, s.walBytes >= options.sealBytes && sealLocked(&s))
    }

    private var walNumberNow: Int { state.withLock { $0.walNumber } }

    /// Makes a file's history durable straight as a segment file (no log record: the file
    /// itself holds the lines until then), with the checkpoint after it in the file's footer.
    /// A crash before the rename leaves nothing, and the checkpoint where it was.
    public func commitSealed(_ segments: [Segment], checkpoints cps: [FileCheckpoint]) throws {
        if state.withLock({ $0.observer != nil }) {
            _ = try commit(segments, checkpoints: cps, tagging: true)  // a sink is told of every commit by its place in the log
            return
        }
        let (name, covered) = try state.withLock { s in
            if let failure = s.failure { throw failure }
            s.fileNumber += 1
            return (DurableStore.name("seg-", s.fileNumber, ".lds"), s.sealedThrough)
        }
        do {
            let image = try SegmentCodec.encode(segments, level: options.level, walCovered: covered, checkpoints: cps)
            try DurableStore.writeFileSafely(path(name), image)
            syncDirectory()
        } catch let e as StoreError {
            state.withLock { $0.failure = e }
            throw e
        }
        state.withLock { s in for cp in cps { s.checkpoints[cp.key] = cp } }
    }

    private func writeRecord(_ image: [UInt8], kind: RecordKind, _ s: inout State) throws {
        var header = [UInt8]()
        header.reserveCapacity(DurableStore.recordHeader)
        withUnsafeBytes(of: DurableStore.recordMagic.littleEndian) { header.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(image.count).littleEndian) { header.append(contentsOf: $0) }
        let crc = image.withUnsafeBytes { SegmentCodec.crc($0.baseAddress, $0.count) }
        withUnsafeBytes(of: crc.littleEndian) { header.append(contentsOf: $0) }
        header.append(kind.rawValue)
        try writeAll(header, &s)
        try writeAll(image, &s)
    }

    private func writeAll(_ bytes: [UInt8], _ s: inout State) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(s.wal, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw StoreError.io(path(DurableStore.name("wal-", s.walNumber, ".log")), "cannot be written: \(String(cString: strerror(n < 0 ? errno : ENOSPC)))")
            }
            done += n
            s.walBytes += n
        }
    }

    private func sync(_ s: inout State) throws {
        guard fdatasync(s.wal) == 0 else {
            throw StoreError.io(path(DurableStore.name("wal-", s.walNumber, ".log")), "cannot be synced: \(String(cString: strerror(errno)))")
        }
        s.dirty = false
    }

    private func syncIfDirty() {
        state.withLock { s in if s.dirty && s.failure == nil { try? sync(&s) } }
    }

    // MARK: sealing

    /// Starts a new log file and seals the old one's segments into a segment file, off the
    /// ingest thread. Called with the lock held.
    @discardableResult
    private func sealLocked(_ s: inout State) -> Bool {
        guard !s.pending.isEmpty else { return false }
        let covered = s.walNumber
        let segs = s.pending
        let cps = Array(s.checkpoints.values).sorted { $0.key < $1.key }
        do {
            try openLog(number: s.walNumber + 1, &s)
        } catch let e as StoreError {
            s.failure = e
            report("\(e)")
            return false
        } catch {}
        s.pending = []
        s.walBytes = 0
        s.fileNumber += 1
        let name = DurableStore.name("seg-", s.fileNumber, ".lds")
        sealQueue.async { [self] in
            seal(segs, into: name, covered: covered, checkpoints: cps)
            sealSlots.signal()
        }
        return true
    }

    /// Small segments of a source (a trickle of live lines) merged, in order, into segments of
    /// up to 65,536 rows; large ones (a file's history) kept as they are.
    static func merged(_ segs: [Segment]) -> [Segment] {
        var order: [String] = []
        var bySource: [String: [Segment]] = [:]
        for s in segs {
            if bySource[s.source] == nil { order.append(s.source) }
            bySource[s.source, default: []].append(s)
        }
        var out: [Segment] = []
        for src in order {
            var group: [Segment] = [], rows = 0
            func flush() {
                if !group.isEmpty { out.append(group.count == 1 ? group[0] : Segment(merging: group)) }
                group = []; rows = 0
            }
            for s in bySource[src]! {
                if s.rowCount >= 8192 { flush(); out.append(s); continue }
                if rows + s.rowCount > 65536 { flush() }
                group.append(s); rows += s.rowCount
            }
            flush()
        }
        return out
    }

    private func seal(_ segs: [Segment], into name: String, covered: Int, checkpoints cps: [FileCheckpoint]) {
        do {
            let image = try SegmentCodec.encode(DurableStore.merged(segs), level: options.level, walCovered: covered, checkpoints: cps)
            try DurableStore.writeFileSafely(path(name), image)
            syncDirectory()
            state.withLock { $0.sealedThrough = covered }
            // What memory held of those logs gives way to the file, mapped.
            if options.swapSealed, let mapped = try? MappedImage(path: path(name)), let footer = try? SegmentCodec.footer(mapped, name: name) {
                store.swapSealed(upTo: covered, with: SegmentCodec.segments(mapped, footer, name: name, lazy: true))
                Store.returnFreedMemory()
            }
            state.withLock { $0.beforeLogRemoval }?()
            for (k, n) in listing("wal-", ".log") where k <= covered { unlink(path(n)) }
            enforceRetention()
            enforceSize()
        } catch {
            // The log files stay (a restart replays them), and nothing more is accepted: a later
            // seal must not delete them.
            let e = (error as? StoreError) ?? StoreError.io(path(name), "\(error)")
            state.withLock { s in if s.failure == nil { s.failure = e } }
            report("store: sealing \(name) failed: \(error); the log keeps its records")
        }
    }

    /// Writes a file under a temporary name, forces it to disk and renames it into place.
    static func writeFileSafely(_ path: String, _ bytes: [UInt8]) throws {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io(tmp, "cannot be created: \(String(cString: strerror(errno)))") }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                let why = String(cString: strerror(n < 0 ? errno : ENOSPC))
                Glibc.close(fd); unlink(tmp)
                throw StoreError.io(tmp, "cannot be written: \(why)")
            }
            done += n
        }
        guard fsync(fd) == 0 else { Glibc.close(fd); unlink(tmp); throw StoreError.io(tmp, "cannot be synced") }
        Glibc.close(fd)
        guard rename(tmp, path) == 0 else { unlink(tmp); throw StoreError.io(path, "cannot be put in place: \(String(cString: strerror(errno)))") }
    }

    /// Deletes segment files whose newest record is older than `retain`.
    private func enforceRetention() {
        guard let retain = options.retain else { return }
        let cutoff = options.now() - retain
        for (_, name) in listing("seg-", ".lds") {
            guard let image = try? MappedImage(path: path(name)), let f = try? SegmentCodec.footer(image, name: name),
                  let newest = f.segments.map(\.maxTs).max(), newest < cutoff else { continue }
            unlink(path(name))
        }
    }

    /// Deletes the oldest segment files while the store is over `maxBytes`.
    private func enforceSize() {
        guard let max = options.maxBytes else { return }
        func size(_ n: String) -> Int64 {
            var st = stat()
            return stat(path(n), &st) == 0 ? Int64(st.st_size) : 0
        }
        let wal = listing("wal-", ".log").reduce(Int64(0)) { $0 + size($1.1) }
        var segs = listing("seg-", ".lds")
        var total = wal + segs.reduce(Int64(0)) { $0 + size($1.1) }
        while total > max, let oldest = segs.first {
            total -= size(oldest.1)
            unlink(path(oldest.1))
            segs.removeFirst()
        }
    }

    /// Seals what the log holds and waits for every seal: a clean stop leaves only segment files.
    public func close() throws {
        let timer = state.withLock { s in
            if !s.closed {
                if s.failure == nil { sealLocked(&s) }
                s.closed = true
            }
            return s.timer
        }
        sealQueue.sync {}
        timer?.cancel()
        try state.withLock { s in
            if s.wal >= 0 { Glibc.close(s.wal); s.wal = -1 }
            if s.lockFile >= 0 { Glibc.close(s.lockFile); s.lockFile = -1 }  // another writer may open it now
            if let failure = s.failure { throw failure }
        }
    }

    /// Sizes on disk: segment files and log, in bytes.
    public var diskBytes: (segments: Int64, log: Int64) {
        func total(_ l: [(Int, String)]) -> Int64 {
            l.reduce(Int64(0)) { acc, f in var st = stat(); return acc + (stat(path(f.1), &st) == 0 ? Int64(st.st_size) : 0) }
        }
        return (total(listing("seg-", ".lds")), total(listing("wal-", ".log")))
    }
}
