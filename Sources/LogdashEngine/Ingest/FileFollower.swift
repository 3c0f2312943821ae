import Foundation
import Synchronization

/// Follows files `tail -F` style: reads each matching file from its start, then what is
/// appended, and keeps going through rotation.
///
/// - Rename rotation (`app.log` → `app.log.1`, a new `app.log`): the old file is read to its
///   end (and for a while longer, for a writer that has not reopened yet), then the new one
///   from its start. Files are told apart by device and inode, so a rotated file that still
///   matches a glob is not read twice.
/// - Copy-truncate: a file shorter than what was read is read again from its start. Lines
///   written between the last read and the truncation are lost — the method's inherent race.
/// - Deletion and re-creation, files that do not exist yet, new files matching a glob: found
///   on the next look.
///
/// It waits on inotify (the directories of the patterns), and looks again every second as a
/// fallback (globbed directories, file systems without inotify). With nothing written it
/// sleeps.
/// What following says of a pattern that names no file yet, and once it does (after the pattern).
public enum FollowNotice {
    public static let missing = ": no such file yet; waiting for it to appear"
    public static let appeared = ": there now; reading it"
}

final class FileFollower: Sendable {
    fileprivate let pipeline: Pipeline
    fileprivate let patterns: [String]
    fileprivate let inotify: Int32
    /// A pipe `stop` writes to, to end the wait at once.
    fileprivate let wake: Int32
    private let wakeWriter: Int32
    private let stopRequested = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)
    /// Rotated files are read for this long after they last grew, then closed.
    static let retireAfter: Int64 = 2_000_000_000
    static let chunkBytes = 1 << 20

    fileprivate final class Tail {
        let fd: Int32
        let dev: UInt64
        let ino: UInt64
        var path: String
        let source: String
        var offset: Int64 = 0
        let stream: Int
        /// When it stopped matching its pattern (rotated away or deleted); nil while current.
        var retired: Int64?
        var lastGrowth: Int64
        var compressed: Bool
        /// Of the first bytes, for the checkpoint (recomputed until it covers 1 KiB).
        var fingerprint: (UInt64, Int) = (0, 0)
        /// The file its first bytes' records read their raw lines from, and how many bytes that is.
        var raw: (file: RawFile, length: Int64)?

        func checkpoint(offset: Int64) -> FileCheckpoint {
            if fingerprint.1 < 1024 && offset > Int64(fingerprint.1) { fingerprint = FileCheckpoint.fingerprint(fd: fd, upTo: offset) }
            return FileCheckpoint(path: path, source: source, dev: dev, ino: ino, offset: offset, fingerprint: fingerprint.0,
                                  fingerprintLength: fingerprint.1)
        }

        init(fd: Int32, dev: UInt64, ino: UInt64, path: String, source: String, stream: Int, now: Int64, compressed: Bool) {
            self.fd = fd; self.dev = dev; self.ino = ino; self.path = path; self.source = source
            self.stream = stream; lastGrowth = now; self.compressed = compressed
        }
    }

    init(pipeline: Pipeline, patterns: [String]) {
        self.pipeline = pipeline
        self.patterns = patterns
        inotify = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC); _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
        wake = fds[0]
        wakeWriter = fds[1]
    }

    deinit {
        if inotify >= 0 { close(inotify) }
        close(wake)
        close(wakeWriter)
    }

    func stop() {
        stopRequested.store(true, ordering: .relaxed)
        var one: UInt8 = 1
        _ = write(wakeWriter, &one, 1)
    }

    func waitStopped() { stopped.wait(); stopped.signal() }

    fileprivate var shouldStop: Bool { stopRequested.load(ordering: .relaxed) }

    /// Follows until stopped (without `follow`: reads every file to its end), on the calling
    /// thread, which alone touches what the following keeps.
    func run() {
        defer { stopped.signal() }
        Following(self).run()
    }
}

/// What following keeps — the open files, the directories watched — owned by the one thread
/// that follows.
private final class Following {
    typealias Tail = FileFollower.Tail
    let follower: FileFollower
    var pipeline: Pipeline { follower.pipeline }
    var patterns: [String] { follower.patterns }
    var inotify: Int32 { follower.inotify }
    var wake: Int32 { follower.wake }
    var shouldStop: Bool { follower.shouldStop }
    func stop() { follower.stop() }

    var tails: [Tail] = []
    var watches: [String: Int32] = [:]
    var warnedMissing: Set<String> = []
    /// Files done with whose records still read raw lines from them (rotated away, say, and
    /// deleted later by logrotate): detached once deleted, forgotten once nothing reads them.
    var finishedRaw: [FinishedRaw] = []

    struct FinishedRaw {
        weak var file: RawFile?
        let length: Int64
    }

    init(_ follower: FileFollower) {
        self.follower = follower
    }

    func run() {
        let follow = pipeline.settings.follow
        resumeRotated()
        scan(rescan: true)
        while follow && !shouldStop {
            let changed = waitForEvents(timeoutMs: tails.contains { $0.retired != nil } ? 250 : 1000)
            if shouldStop { break }
            scan(rescan: changed)
        }
        // Read what is there now, then end every stream.
        if !shouldStop { readAll() }
        for t in tails { finish(t) }
        tails = []
    }

    /// Waits for inotify events or the timeout; true when files may have appeared, moved or
    /// gone (anything but writes), which calls for matching the patterns again.
    private func waitForEvents(timeoutMs: Int32) -> Bool {
        var fds = [pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        if inotify >= 0 { fds.append(pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)) }
        let n = poll(&fds, nfds_t(fds.count), inotify >= 0 ? timeoutMs : 250)
        if n <= 0 { return true }  // the timer: look at everything
        guard inotify >= 0, fds[1].revents != 0 else { return false }
        var structural = false
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = Glibc.read(inotify, &buf, buf.count)
            if got <= 0 { break }
            var p = 0
            while p + 16 <= got {
                let mask = buf.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: p + 4, as: UInt32.self) }
                let len = buf.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: p + 12, as: UInt32.self) }
                if mask & UInt32(IN_MODIFY) == 0 { structural = true }
                p += 16 + Int(len)
            }
        }
        return structural
    }

    private func readAll() {
        for t in tails { read(t) }
        updateLag()
    }

    /// Matches the patterns again when `rescan` (new files, rotation), then reads what every
    /// file has gained.
    private func scan(rescan: Bool) {
        let now = LoadOptions.monotonicClock()
        if rescan {
            var current: Set<String> = []  // "dev:ino" of files the patterns name now
            for pattern in patterns {
                watchDirectory(of: pattern)
                let paths = FileFollower.expand(pattern)
                if paths.isEmpty {
                    if !warnedMissing.contains(pattern) {
                        warnedMissing.insert(pattern)
                        pipeline.report("\(pattern)" + FollowNotice.missing)
                    }
                    continue
                }
                if warnedMissing.remove(pattern) != nil { pipeline.report("\(pattern)" + FollowNotice.appeared) }
                for path in paths {
                    var st = stat()
                    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
                    let key = "\(st.st_dev):\(st.st_ino)"
                    current.insert(key)
                    if let t = tails.first(where: { $0.dev == UInt64(st.st_dev) && $0.ino == UInt64(st.st_ino) }) {
                        if t.retired != nil && t.path != path { t.retired = nil }  // renamed back into a match
                        t.path = path
                        continue
                    }
                    open(path, source: pattern.contains(where: { "*?[".contains($0) }) ? path : pattern, now: now)
                }
            }
            for t in tails where t.retired == nil && !current.contains("\(t.dev):\(t.ino)") {
                t.retired = now  // rotated away or deleted: read to its end, then a little longer
                read(t)
            }
        }
        for t in tails { read(t) }
        if rescan { detachDeleted() }
        // Rotated files that stopped growing are done.
        tails.removeAll { t in
            guard let r = t.retired, r == Int64.min || now - max(r, t.lastGrowth) >= FileFollower.retireAfter || t.compressed else { return false }
            if r != Int64.min { read(t) }
            finish(t)
            return true
        }
        updateLag()
    }

    /// Files the store has a checkpoint for that the patterns no longer name — rotated away
    /// while logdash was not running — are found by device and inode in their directory and
    /// read from their checkpoint to their end, before the new files.
    private func resumeRotated() {
        guard let durable = pipeline.durable else { return }
        var named: Set<String> = []
        for pattern in patterns {
            for p in FileFollower.expand(pattern) {
                var st = stat()
                if stat(p, &st) == 0 { named.insert("\(st.st_dev):\(st.st_ino)") }
            }
        }
        var gone: [String] = []
        // Only this run's files: a pattern is their source, or a glob that names their path.
        let ours = durable.allCheckpoints.filter { cp in
            cp.sequence == nil && patterns.contains { $0 == cp.source || ($0.contains(where: { "*?[".contains($0) }) && fnmatch($0, cp.path, 0) == 0) }
        }
        for cp in ours where !named.contains(cp.key) {
            let dir = (cp.path as NSString).deletingLastPathComponent
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir)) ?? []
            let found = names.lazy.map { (dir as NSString).appendingPathComponent($0) }.first { p in
                var st = stat()
                guard stat(p, &st) == 0 && UInt64(st.st_dev) == cp.dev && UInt64(st.st_ino) == cp.ino else { return false }
                // The same inode with other first bytes is another file now: not ours to read.
                let fd = Glibc.open(p, O_RDONLY | O_CLOEXEC)
                defer { if fd >= 0 { close(fd) } }
                return fd >= 0 && FileCheckpoint.fingerprint(fd: fd, upTo: Int64(cp.fingerprintLength)) == (cp.fingerprint, cp.fingerprintLength)
            }
            guard let found else {
                // A file gone with part of it unread cannot be helped; one fully read is simply done.
                gone.append(cp.key)
                continue
            }
            let now = LoadOptions.monotonicClock()
            open(found, source: cp.source, now: now)
            if let t = tails.last, t.ino == cp.ino { t.retired = now }
        }
        durable.forget(gone)
    }

    private func open(_ path: String, source: String, now: Int64) {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            pipeline.sourceFailed("\(path): cannot be read: \(String(cString: strerror(errno)))")
            return
        }
        var st = stat()
        fstat(fd, &st)
        // (gzip or zstd: a compressed file is history, read once, whole.)
        let compressed = GzipInput.isGzip(path: path) || ZstdInput.isZstd(path: path)
        let stream = pipeline.openStream(source: source, holdsTail: true)
        let t = Tail(fd: fd, dev: UInt64(st.st_dev), ino: UInt64(st.st_ino), path: path, source: source, stream: stream,
                     now: now, compressed: compressed)
        tails.append(t)
        t.fingerprint = FileCheckpoint.fingerprint(fd: fd, upTo: Int64(st.st_size))
        if let cp = pipeline.durable?.checkpoint(dev: t.dev, ino: t.ino) {
            // Stored before: go on where the store stopped, unless the file is another one now.
            let same = FileCheckpoint.fingerprint(fd: fd, upTo: Int64(cp.fingerprintLength)) == (cp.fingerprint, cp.fingerprintLength)
            if same && (compressed || Int64(st.st_size) >= cp.offset) {
                if compressed {
                    do {
                        pipeline.pump(try SourceLoader.open(.file(path), now: pipeline.load.now), stream: stream, source: source, checkpoint: cp)
                    } catch {
                        pipeline.report("\(error)")
                    }
                    t.retired = now
                }
                t.offset = compressed ? Int64(st.st_size) : cp.offset
                return
            }
            pipeline.report("\(path): not the file the store's checkpoint describes (rewritten or truncated); reading it from its start")
        }
        if !compressed && st.st_size > 0 {
            // What the file holds already is history: parsed in place on every core, raw lines
            // kept as offsets into the file, straight into the store. The buffer takes what
            // comes after.
            var options = pipeline.load
            options.rawByReference = true
            let store = pipeline.store
            // While it loads, what is not read yet is lag (the status bar's sign that history is
            // coming), and the lines and bytes read count as they are read: the stats line's rate.
            let size = Int(st.st_size)
            pipeline.metrics.update(source) { $0.lagBytes += size }
            let counted = Guarded((bytes: 0, lines: 0))
            options.roundDone = { [pipeline] bytes, lines in
                counted.change { $0.bytes += bytes; $0.lines += lines }
                pipeline.metrics.update(source) { $0.bytes += bytes; $0.lines += lines; $0.lagBytes = max(0, $0.lagBytes - bytes) }
            }
            // Stopping (SIGINT) ends the load at the next round, not after the whole file.
            options.shouldStop = { [pipeline] in pipeline.isStopping }
            defer {
                let read = counted.withLock { $0.bytes }
                pipeline.metrics.update(source) { $0.lagBytes = max(0, $0.lagBytes - (size - read)) }
            }
            // A big file's newest records first, then its history in front of them.
            var firstNewest: Segment?
            var newest: [Segment] = [], older: [Segment] = []  // in file order, for the store on disk
            let durable = pipeline.durable
            do {
                let rawFile = try RawFile(path: path)
                if let (result, used) = try SourceLoader.runPrefix(
                    path: path, name: source, options: options, rawFile: rawFile, newestFirst: options.newestFirst, prepare: { [options] in Segment.made(from: $0, taps: options) },
                    deliverNewest: { seg in
                        if firstNewest == nil && seg.rowCount > 0 { firstNewest = seg }
                        store.append(seg, kept: true)  // (its history goes in front of it: the newest 8 MB stay in memory)
                        if durable != nil && seg.rowCount > 0 { newest.append(seg) }  // (the transform stage may leave none)
                    },
                    deliver: { seg in
                        store.append(seg, before: firstNewest)
                        if durable != nil && seg.rowCount > 0 { older.append(seg) }
                    }) {
                    if result.interrupted {
                        let read = counted.withLock { $0.bytes }
                        pipeline.report("\(path): stopped while its history loaded (\(ByteSize.format(read)) of \(ByteSize.format(size)) read)"
                                        + (durable == nil ? "" : "; none of it is stored: the next run reads it from its start"))
                        // The pipeline is stopping: read nothing more of the file (no position
                        // to go on from — `used` counts bytes read, not where reading stopped).
                        pipeline.metrics.update(source) { $0.bytes += used - read }
                        stop()
                        return
                    }
                    if let durable, !result.interrupted {
                        // The history and the position after it, as one segment file.
                        do {
                            try durable.commitSealed(older + newest, checkpoints: [t.checkpoint(offset: Int64(used))])
                        } catch {
                            pipeline.report(Pipeline.stopsFor(error))
                            stop()
                        }
                    }
                    t.offset = Int64(used)
                    t.raw = (rawFile, Int64(used))
                    let s = result.stats, done = counted.withLock { $0 }
                    pipeline.metrics.update(source) {
                        $0.bytes += used - done.bytes; $0.lines += s.records - done.lines; $0.parseFailures += s.unparsed; $0.truncated += s.truncated
                    }
                }
            } catch {
                pipeline.report("\(error)")
            }
        }
        if compressed {
            // Compressed files are history (a rotated log): read once, whole, not followed.
            do {
                pipeline.pump(try SourceLoader.open(.file(path), now: pipeline.load.now), stream: stream, source: source,
                              checkpoint: pipeline.durable == nil ? nil : t.checkpoint(offset: 0))
            } catch {
                pipeline.report("\(error)")
            }
            t.retired = now
            t.offset = Int64(st.st_size)
        }
    }

    /// Reads what the file has beyond what was read, waiting for room in the buffer.
    private func read(_ t: Tail) {
        guard !t.compressed else { return }
        var st = stat()
        guard fstat(t.fd, &st) == 0 else { return }
        if Int64(st.st_size) < t.offset {
            if t.retired != nil {
                // A rotated file cut short is being reused (overwritten by a copy, say): it is done.
                t.retired = Int64.min
                return
            }
            pipeline.report("\(t.path): truncated; reading it again from the start")
            t.offset = 0
            t.fingerprint = (0, 0)
        }
        while t.offset < Int64(st.st_size) && !shouldStop {
            let want = min(FileFollower.chunkBytes, Int(Int64(st.st_size) - t.offset))
            var chunk = [UInt8](repeating: 0, count: want)
            let n = chunk.withUnsafeMutableBytes { pread(t.fd, $0.baseAddress, want, off_t(t.offset)) }
            if n <= 0 { break }
            if n < want { chunk.removeLast(want - n) }
            t.offset += Int64(n)
            t.lastGrowth = LoadOptions.monotonicClock()
            pipeline.metrics.update(t.source) { $0.bytes += n }
            let cp = pipeline.durable == nil ? nil : t.checkpoint(offset: t.offset)
            if !pipeline.buffer.put(stream: t.stream, bytes: chunk, checkpoint: cp) { return }
            if n < want { break }
        }
    }

    private func finish(_ t: Tail) {
        pipeline.buffer.end(stream: t.stream)
        // A deleted file's space is freed only when no descriptor is left: the records read
        // from it in place take a compressed copy of their raw lines instead.
        if let raw = t.raw { finishedRaw.append(FinishedRaw(file: raw.file, length: raw.length)) }
        close(t.fd)
        detachDeleted()
    }

    private func detachDeleted() {
        finishedRaw.removeAll { raw in
            guard let file = raw.file else { return true }
            guard file.isUnlinked else { return false }
            // (Reading and compressing a big file takes a while: not on the thread that follows.)
            let length = raw.length
            DispatchQueue.global(qos: .utility).async { file.detach(length: length) }
            return true
        }
    }

    private func updateLag() {
        var lag: [String: Int] = [:]
        for t in tails where !t.compressed {
            var st = stat()
            if fstat(t.fd, &st) == 0 { lag[t.source, default: 0] += max(0, Int(Int64(st.st_size) - t.offset)) }
        }
        for (source, bytes) in lag { pipeline.metrics.update(source) { $0.lagBytes = bytes } }
    }

    /// Watches the pattern's directory for files appearing, moving, going and growing (once it
    /// exists; a directory with glob characters is looked at by the timer instead).
    private func watchDirectory(of pattern: String) {
        guard inotify >= 0 else { return }
        let dir = (pattern as NSString).deletingLastPathComponent
        let d = dir.isEmpty ? "." : dir
        guard watches[d] == nil, !d.contains(where: { "*?[".contains($0) }) else { return }
        let mask = UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
        let wd = inotify_add_watch(inotify, d, mask)
        if wd >= 0 { watches[d] = wd }
    }

}

extension FileFollower {
    /// The regular files a pattern names now, sorted (a literal path: itself, if it exists).
    static func expand(_ pattern: String) -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else {
            var st = stat()
            return stat(pattern, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? [pattern] : []
        }
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}
