import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How much memory records may take: `--max-memory` / `ingest.max_memory` (default half of the
/// machine's memory). Half of it holds records in memory; past that the oldest spill to a file
/// (or, with `--no-spill`, are dropped). A quarter holds columns read back from store and spill
/// files, the least recently read given back first. The rest is left to queries and the screen.
public enum MemoryBudget {
    /// The machine's memory: the cgroup's limit when there is one, else `MemTotal`.
    public static var machine: Int {
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let n = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), n > 0 { return n }
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kb = Int(line.split(separator: " ").dropFirst().first ?? "") { return kb * 1024 }
        return Int(ProcessInfo.processInfo.physicalMemory)
    }

    public static var defaultBudget: Int { machine / 2 }

    /// What the columns read back from files take now, and how many were given back so far.
    public static var decodedColumns: (bytes: Int, evicted: Int) { DecodedColumns.shared.usage }

    /// Sets the bound on columns read back from files for this process (a quarter of the budget),
    /// and keeps malloc to as many arenas as there are cores (at most 4): glibc's default of
    /// eight a core keeps freed memory in each thread's arena, and a dashboard that queries
    /// spilled records while ingesting settled 50 % higher with it (Benchmarks/soak.sh). Load
    /// and query times are the same either way.
    public static func apply(_ budget: Int) {
        DecodedColumns.shared.setLimit(max(budget / 4, 1 << 20))
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mArenaMax: Int32 = -8  // M_ARENA_MAX in <malloc.h>, which Swift does not import
        if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil, let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
            _ = unsafeBitCast(sym, to: Mallopt.self)(mArenaMax, Int32(min(4, max(2, ProcessInfo.processInfo.activeProcessorCount))))
        }
        #endif
    }
}

/// Columns decoded from store and spill files, kept for the queries that read them next, within
/// a bound: past it the ones read least recently are given back (a query still reading one keeps
/// it until done; the next reads it from its file again). Clock replacement: a column read since
/// the hand last passed it gets another round.
final class DecodedColumns: Sendable {
    static let shared = DecodedColumns()

    private struct Entry {
        weak var content: StoredContent?
        let name: String
        let bytes: Int
    }
    private struct State {
        var entries: [Entry] = []
        var hand = 0
        var limit = Int.max
        var evicted = 0
    }
    private let state = Mutex(State())
    /// Kept apart from the lock: a column's segment may go (and `forget`) while `trim` holds it.
    private let total = Atomic<Int>(0)

    func setLimit(_ bytes: Int) {
        state.withLock { $0.limit = bytes }
        trim()
    }

    /// What the decoded columns take now, and how many were given back so far.
    var usage: (bytes: Int, evicted: Int) { (total.load(ordering: .relaxed), state.withLock { $0.evicted }) }

    /// `content` decoded `name` (of `bytes`): counted, and the least recently read given back
    /// while the total is past the bound.
    func admit(_ content: StoredContent, _ name: String, bytes: Int) {
        state.withLock { s in s.entries.append(Entry(content: content, name: name, bytes: bytes)) }
        total.add(bytes, ordering: .relaxed)
        trim()
    }

    /// A column given back by its segment (the segment is gone): no longer counted.
    func forget(bytes: Int) {
        total.subtract(bytes, ordering: .relaxed)
    }

    private func trim() {
        var victims: [(StoredContent, String)] = []
        state.withLock { s in
            var passes = 0
            while total.load(ordering: .relaxed) > s.limit && !s.entries.isEmpty && passes < 2 * s.entries.count + 2 {
                passes += 1
                if s.hand >= s.entries.count { s.hand = 0 }
                let e = s.entries[s.hand]
                guard let content = e.content else {
                    // Its segment is gone (and with it the column): forget it (`forget` counted it off).
                    s.entries.swapAt(s.hand, s.entries.count - 1)
                    s.entries.removeLast()
                    continue
                }
                if content.clearRecentlyRead(e.name) { s.hand += 1; continue }
                total.subtract(e.bytes, ordering: .relaxed)
                s.evicted += 1
                victims.append((content, e.name))
                s.entries.swapAt(s.hand, s.entries.count - 1)
                s.entries.removeLast()
            }
            // Entries of segments gone are dropped from time to time, whatever the total.
            if s.entries.count > 4096 && s.entries.count % 1024 == 0 { s.entries.removeAll { $0.content == nil } }
        }
        for (content, name) in victims { content.giveBack(name) }
    }
}

extension SegmentColumn {
    /// The memory the column's values take (an estimate: arrays' bytes, dictionary entries with
    /// their overhead).
    var residentBytes: Int {
        var n = ints.count * 8 + doubles.count * 8 + codes.count * 4 + narrowCodes.count + offsets.count * 4 + bytes.count
        n += fileStarts.count * 8 + fileLengths.count * 4 + (validity?.count ?? 0) * 8 + small.count * 2
        for d in dictionary { n += d.utf8.count + 16 }
        return n + 128
    }
}

/// Where records past the memory budget go, and what happened to them.
public final class RecordMemoryLimit: Sendable {
    /// Records in memory are kept under this many bytes.
    public let bytes: Int
    /// The directory spill files are made in; nil: the oldest records are dropped instead.
    public let spillDirectory: String?
    let report: @Sendable (String) -> Void
    let queue = DispatchQueue(label: "logdash.spill", qos: .utility)
    let busy = Atomic<Bool>(false)
    private struct Counts {
        var files = 0, spilledRows = 0, droppedRows = 0
        var told = false
        var failure: String?
        var lastDropNotice: ContinuousClock.Instant?
    }
    private let counts = Mutex(Counts())

    /// `budget`: the whole memory budget (records get half of it). `spill`: false drops the
    /// oldest records instead of writing them to files under `directory`.
    public init(budget: Int, spill: Bool, directory: String? = nil, report: @escaping @Sendable (String) -> Void) {
        bytes = max(budget / 2, 1 << 20)
        spillDirectory = spill ? (directory ?? RecordMemoryLimit.defaultDirectory()) : nil
        self.report = report
        if spill && directory == nil { RecordMemoryLimit.removeStale() }
    }

    /// Spill directories of runs that ended without removing theirs (killed, or still spilling
    /// when they ended): their process is gone, and with it the files' space.
    static func removeStale() {
        let parent = (defaultDirectory() as NSString).deletingLastPathComponent
        for name in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix("spill-") {
            guard let pid = Int32(name.dropFirst(6)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: (parent as NSString).appendingPathComponent(name))
        }
    }

    /// `$XDG_CACHE_HOME/logdash/spill-PID` (or `~/.cache/…`).
    static func defaultDirectory() -> String {
        let env = ProcessInfo.processInfo.environment
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.cache")
        return cache + "/logdash/spill-\(getpid())"
    }

    /// Records spilled so far and records dropped so far.
    public var spilledRows: Int { counts.withLock { $0.spilledRows } }
    public var droppedRows: Int { counts.withLock { $0.droppedRows } }

    /// A short state for a status bar: nil while nothing went past the budget.
    public var status: String? {
        counts.withLock { c in
            if c.droppedRows > 0 { return "dropped \(Self.count(c.droppedRows)) oldest" }
            if c.spilledRows > 0 { return "spilled \(Self.count(c.spilledRows)) to disk" }
            return nil
        }
    }

    static func count(_ n: Int) -> String {
        n >= 10_000_000 ? "\(n / 1_000_000)M" : n >= 10_000 ? "\(n / 1000)k" : "\(n)"
    }

    static func size(_ n: Int) -> String {
        n >= 1 << 30 ? String(format: "%.1f GB", Double(n) / Double(1 << 30)) : "\(n >> 20) MB"
    }

    /// Writes `segments` to a new spill file and gives them back mapped from it (read lazily).
    /// The file is unlinked once mapped: its space goes back when the mapping does (at exit at
    /// the latest); a crash leaves at most the empty directory (`removeStale`).
    func spill(_ segments: [Segment]) throws -> [Segment] {
        guard let dir = spillDirectory else { return [] }
        let n = counts.withLock { c -> Int in c.files += 1; return c.files }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            mkdir(dir, 0o755)  // (for the system's word on why)
            throw StoreError.io(dir, "cannot be made: \(String(cString: strerror(errno)))")
        }
        defer { rmdir(dir) }  // (empty again once the file is unlinked)
        let name = "spill-" + String(format: "%08d", n) + ".lds"
        let path = (dir as NSString).appendingPathComponent(name)
        let image = try SegmentCodec.encode(segments, level: 1)
        guard FileManager.default.createFile(atPath: path, contents: Data(image)) else {
            throw StoreError.io(path, "cannot be written: \(String(cString: strerror(errno)))")
        }
        defer { unlink(path) }
        let mapped = try MappedImage(path: path)
        let footer = try SegmentCodec.footer(mapped, name: name)
        return SegmentCodec.segments(mapped, footer, name: name, lazy: true)
    }

    /// `rows` records went to a spill file: counted, and said the first time.
    func spilled(_ rows: Int) {
        let first = counts.withLock { c -> Bool in
            c.spilledRows += rows
            defer { c.told = true }
            return !c.told
        }
        if first {
            report("memory budget for records (\(Self.size(bytes))) reached: the oldest records are kept in files under \(spillDirectory ?? "?"), "
                   + "read back when a query needs them (deleted at exit; --max-memory sets the budget)")
        }
    }

    /// The oldest records were dropped (`--no-spill`, or spilling failed): counted and said,
    /// at most once a minute.
    func dropped(_ rows: Int) {
        let now = ContinuousClock.now
        let (say, total, failure) = counts.withLock { c -> (Bool, Int, String?) in
            c.droppedRows += rows
            let say = c.lastDropNotice.map { now - $0 > .seconds(60) } ?? true
            if say { c.lastDropNotice = now }
            return (say, c.droppedRows, c.failure)
        }
        if say {
            report("memory budget for records (\(Self.size(bytes))) reached: the oldest \(Self.count(total)) records were dropped"
                   + (spillDirectory == nil ? " (--no-spill)" : failure.map { " (spilling failed: \($0))" } ?? ""))
        }
    }

    /// Spilling failed (a full disk): kept for the notices that say the oldest records were
    /// dropped instead.
    func failed(_ error: Error) {
        counts.withLock { $0.failure = $0.failure ?? "\(error)" }
    }
}
