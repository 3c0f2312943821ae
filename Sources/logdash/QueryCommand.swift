import ArgumentParser
import Foundation
import Synchronization
import LogdashEngine
import LogdashUI

/// `logdash query`: SQL over the records of the sources.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run SQL over the sources' records (tables logs and errors).",
        discussion: """
            Examples:
              logdash query "SELECT status, count(*) FROM logs GROUP BY status ORDER BY 2 DESC" access.log
              logdash query -f top-paths.sql --since 2h --output csv /var/log/nginx/*.log
            """
    )

    typealias Output = ResultFormat

    @OptionGroup var input: InputOptions

    @Option(name: [.customShort("f"), .customLong("file")], help: ArgumentHelp("Read the SQL from a file.", valueName: "file"))
    var file: String?

    @Option(name: .shortAndLong, help: "table, csv, json or ndjson.")
    var output: Output = .table

    @Option(help: ArgumentHelp("Only records at or after this time: ISO 8601, or an age like 15m, 2h, 7d.", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only records at or before this time: ISO 8601, or an age like 15m, 2h, 7d.", valueName: "time"))
    var until: String?

    @Option(help: ArgumentHelp("Read an archive that 'logdash export' wrote, a directory or s3://bucket/prefix (repeatable: several machines' archives form one history); --since/--until skip its hours outside the range.",
                               valueName: "dir"))
    var archive: [String] = []

    @Option(help: ArgumentHelp("Query a store on disk ('logdash ingest' writes one; read beside a running writer); segments outside --since/--until are not read.",
                               valueName: "dir"))
    var store: String?

    @Argument(help: "The SQL (unless -f is given), then files, globs, '-' (stdin) or demo://.")
    var arguments: [String] = []

    func validate() throws {
        if file == nil && arguments.isEmpty { throw ValidationError("give the SQL as the first argument, or -f FILE") }
        for (name, v) in [("--since", since), ("--until", until)] {
            if let v, TimeArgument.parse(v, now: 0) == nil {
                throw ValidationError("\(name) '\(v)' is neither a time (2026-11-27T14:00:00Z) nor an age (15m, 2h, 7d)")
            }
        }
    }

    /// The part files of archives — directories, and buckets fetched first (into the cache,
    /// by ETag) — in the time range, oldest partition first.
    static func archiveParts(_ archive: [String], timeRange range: (Int64, Int64)?) throws -> [String] {
        let buckets = try archive.compactMap { try S3Location.parse($0) }
        var parts = try Archive.parts(archive.filter { (try? S3Location.parse($0)) == nil }, timeRange: range)
        if !buckets.isEmpty {
            let client = try S3Client.forCommandLine()
            for place in buckets {
                let got = try blocking { try await S3Archive.fetch(place, timeRange: range, client: client) }
                parts += got.paths
                FileHandle.standardError.write(Data("logdash: \(place): \(got.objects) part object\(got.objects == 1 ? "" : "s"), \(got.fetched) fetched (\(got.bytes) bytes), \(got.objects - got.fetched) from the cache\n".utf8))
            }
            parts = Archive.inOrder(parts)
        }
        return parts
    }

    /// The records of archives' part files, each with the source and arrival time it was
    /// exported with.
    static func archived(_ parts: [String], options: LoadOptions) throws -> [Segment] {
        guard !parts.isEmpty else { return [] }
        let (loaded, _) = try Store.load(try parts.flatMap { try SourceSpec.parse($0) }, options: options)
        return loaded.snapshot().segments.map { Archive.restoringColumns($0) }
    }

    func run() throws {
        if store != nil { try input.refuseTransform(with: "--store") }
        if !archive.isEmpty { try input.refuseTransform(with: "--archive") }
        var args = arguments
        let sql: String
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw SourceError.unreadable(file, "cannot read the SQL file")
            }
            sql = text
        } else {
            sql = args.removeFirst()
        }
        let (config, resolved) = try input.resolve()
        let now = LoadOptions.wallClock()
        let range: (Int64, Int64)? = since == nil && until == nil ? nil
            : (since.flatMap { TimeArgument.parse($0, now: now) } ?? Int64.min, until.flatMap { TimeArgument.parse($0, now: now) } ?? Int64.max)
        // An archive's part files (only the hours in range) join the named sources.
        let parts = try Self.archiveParts(archive, timeRange: range)
        if !archive.isEmpty && parts.isEmpty && args.isEmpty {
            throw SourceError.noMatch(archive.joined(separator: ", ") + ": no dt=…/hour=…/part-….json.gz (or .json.zst) files" + (range == nil ? "" : " in the time range"))
        }
        let stored = try store.map { try StoredHistory.open($0) }
        let specs = args.isEmpty && (!parts.isEmpty || stored != nil) ? try parts.flatMap { try SourceSpec.parse($0) }
            : try input.sources(args, config: config, liveDemo: false, timeRange: range) + parts.flatMap { try SourceSpec.parse($0) }
        // Parse the SQL first: a typo should not wait for a large load. The parse stage keeps
        // only the columns the query reads.
        var options = resolved
        do {
            // A Logs Insights query (`filter … | stats …`): the columns of the SQL it becomes.
            let translated = InsightsQuery.looksLikeInsights(sql) ? try InsightsQuery.sql(sql) : sql
            options.parse.projection = try QueryEngine.columnsRead(translated)
            // (An archive's records bring their own source and arrival time as fields.)
            if !parts.isEmpty { options.parse.projection = options.parse.projection.map(Archive.projection(reading:)) }
            // Transform steps read and make fields of their own: every field is parsed for them.
            if options.transforms != nil { options.parse.projection = nil }
        } catch let e as QueryError {
            fail(e, sql)
        }
        let progress = LoadProgress()
        var (loaded, _) = try Store.load(specs, options: options, progress: progress.count)
        progress.finish()
        if !parts.isEmpty {
            // An archive's records keep the source and arrival time they were exported with.
            let restored = Store()
            let archived = Set(parts)
            for s in loaded.snapshot().segments { restored.append(archived.contains(s.source) ? Archive.restoringColumns(s) : s) }
            loaded = restored
        }
        if let stored {
            for s in loaded.snapshot().segments { stored.append(s) }
            loaded = stored
        }
        loaded.setLookups(try input.lookupTables(config: config))
        let engine = QueryEngine(snapshot: loaded.snapshot(), now: now, timeRange: range)
        do {
            let result = try engine.run(sql)
            FileHandle.standardOutput.write(Data(ResultWriter.forStandardOutput(result, as: output).utf8))
        } catch let e as QueryError {
            fail(e, sql)
        }
    }

    private func fail(_ e: QueryError, _ sql: String) -> Never {
        FileHandle.standardError.write(Data(("logdash: " + e.rendered(in: sql) + "\n").utf8))
        Foundation.exit(1)
    }
}

/// A store on disk opened to read (`query --store`, `export --store`): what it says of itself
/// (damage found, records recovered) goes to stderr.
enum StoredHistory {
    static func open(_ dir: String) throws -> Store {
        guard FileManager.default.fileExists(atPath: dir) else { throw StoreError.io(dir, "no such store (a directory 'logdash ingest --store' wrote)") }
        var o = StoreOptions()
        o.readOnly = true
        let d = try DurableStore(directory: dir, options: o) { FileHandle.standardError.write(Data("logdash: \($0)\n".utf8)) }
        return d.store
    }
}

/// `--since`/`--until` values: an ISO 8601 time, or an age before now (`90s`, `15m`, `2h`, `7d`, `1w`).
enum TimeArgument {
    static func parse(_ s: String, now: Int64) -> Int64? {
        if let unit = s.last, let n = Double(s.dropLast()), n >= 0 {
            let seconds: Double? = switch unit {
            case "s": 1
            case "m": 60
            case "h": 3600
            case "d": 86400
            case "w": 604_800
            default: nil
            }
            if let seconds { return now - Int64(n * seconds * 1e9) }
        }
        return ByteLine.with(s) { Timestamp.parse(text: $0, reference: now) }
    }
}

/// Prints "loading… N records" on stderr while a load takes over a second, when stderr is a terminal.
final class LoadProgress: Sendable {
    private struct State { var records = 0, done = false, shown = false }
    private let state = Mutex(State())
    private let start = Date()

    init() {
        guard isatty(2) != 0 else { return }
        Thread.detachNewThread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.25)
                // (`shown` was set outside the lock; the box makes that impossible.)
                let n: Int? = state.withLock { s in
                    if s.done { return nil }
                    if Date().timeIntervalSince(start) > 1 { s.shown = true }
                    return s.shown ? s.records : -1
                }
                guard let n else { return }
                if n >= 0 { FileHandle.standardError.write(Data("\rloading… \(n) records".utf8)) }
            }
        }
    }

    func count(_ n: Int) { state.withLock { $0.records += n } }

    func finish() {
        let shown = state.withLock { s in
            s.done = true
            return s.shown
        }
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

extension ResultFormat: ExpressibleByArgument {}
