import ArgumentParser
import Foundation
import Synchronization
import LogdashEngine

/// The `logdash` command: a terminal dashboard and headless tools for log analysis.
struct Logdash: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "logdash",
        abstract: "Real-time and historical log analysis in the terminal.",
        discussion: """
            With no subcommand, logdash opens the dashboard. Sources are files (globs and .gz \
            welcome), '-' for standard input, or demo:// for the built-in demo stream \
            (demo://?rate=500 for a live one). With no source and a terminal on standard input, \
            logdash reads the live demo stream.
            """,
        version: version,
        subcommands: [DashboardCommand.self, IngestCommand.self, Cat.self, Inspect.self, QueryCommand.self, ExportCommand.self, PurgeCommand.self, RenderCommand.self, CheckCommand.self, FormatsCommand.self],
        defaultSubcommand: DashboardCommand.self
    )
}

/// Options every command that reads sources shares.
struct InputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Parse every source as this format instead of detecting it.",
                               discussion: "json, logfmt, combined (or common), syslog5424, syslog3164, java, generic, or a format defined in the config file."))
    var format: String?

    @Option(help: ArgumentHelp("The zone of times written without one: Europe/Berlin, UTC, +05:30 … (default: the machine's, from TZ or /etc/localtime).",
                               valueName: "zone"))
    var timezone: String?

    @Option(help: ArgumentHelp("Config file.", discussion: "Default: $XDG_CONFIG_HOME/logdash/config.yaml.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Cut longer records to this many bytes and flag them truncated: 4096, 64k, 1M …", valueName: "bytes"))
    var maxRecordBytes: String?

    @Option(help: ArgumentHelp("Threads that parse (default: every core).", valueName: "n"))
    var jobs: Int?

    @Option(help: ArgumentHelp("The memory one query may hold (rows of subqueries, sorts, groups …): 512M, 4G … (default: a quarter of the memory).",
                               valueName: "bytes"))
    var maxQueryMemory: String?

    @Option(name: .customLong("lookup"),
            help: ArgumentHelp("A lookup table to join with: NAME=FILE (CSV or TSV with a header, JSON lines …; repeatable; also 'lookups:' in the config file).",
                               valueName: "name=file"))
    var lookups: [String] = []

    @Option(name: .customLong("transform"),
            help: ArgumentHelp("A file of transform steps (a YAML list, or 'transforms:'), run on every record before anything stores or shows it; instead of the config's 'transforms:'.",
                               valueName: "file"))
    var transformFile: String?

    /// `--transform` runs as records are parsed: over a store's (or an archive's) records, which
    /// were stored already, it would silently do nothing.
    func refuseTransform(with what: String) throws {
        guard transformFile != nil else { return }
        throw ValidationError("--transform runs on records as they are parsed; the records of \(what) were stored with the steps of the ingest that stored them (give the sources to read them again with these steps)")
    }

    /// The lookup tables, `--lookup` and the config's `lookups:` (a name given twice: `--lookup`'s).
    func lookupTables(config: Config) throws -> [String: ResultSet] {
        var out: [String: ResultSet] = [:]
        for (name, path) in config.lookups { out[name.lowercased()] = try LookupTable.load(name: name, path: path) }
        for spec in lookups {
            let (name, table) = try LookupTable.load(spec)
            out[name.lowercased()] = table
        }
        return out
    }

    func validate() throws {
        _ = try recordBytes()
        _ = try queryMemory()
        _ = try zone()
        if let j = jobs, j < 1 || j > 256 { throw ValidationError("--jobs must be from 1 to 256") }
    }

    /// `--max-record-bytes` as a number of bytes (sizes take the suffixes k, M, G).
    func recordBytes() throws -> Int? {
        guard let text = maxRecordBytes else { return nil }
        guard let n = ByteSize.parse(text), n >= 64, n <= 1 << 30 else {
            throw ValidationError("--max-record-bytes '\(text)' must be a size from 64 bytes to 1G (e.g. 4096, 64k, 1M)")
        }
        return n
    }

    /// `--timezone` as a zone; nil when not given.
    func zone() throws -> LocalZone? {
        guard let timezone else { return nil }
        guard let z = LocalZone(timezone) else {
            throw ValidationError("--timezone '\(timezone)' is not a time zone: give a tz name (Europe/Berlin), UTC, an offset (+05:30) or local")
        }
        return z
    }

    /// `--max-query-memory` as a number of bytes.
    func queryMemory() throws -> Int? {
        guard let text = maxQueryMemory else { return nil }
        guard let n = ByteSize.parse(text), n >= 1 << 20 else {
            throw ValidationError("--max-query-memory '\(text)' must be a size of at least 1M (e.g. 512M, 4G)")
        }
        return n
    }

    /// The formats known: the config's, then the user's definition files (a name given twice:
    /// the first), then the built-in ones.
    static func formats(_ config: Config) throws -> FormatRegistry {
        let files = try FormatDefinition.load(directory: FormatDefinition.userDirectory).map(\.format)
        return FormatRegistry(userFormats: config.formats + files.filter { f in !config.formats.contains { $0.name == f.name } })
    }

    /// The config (from --config, or the default path when it exists) and the load options it
    /// gives; sets the memory limit of this process's queries.
    func resolve() throws -> (Config, LoadOptions) {
        TransformReload.noteRead(transformFile ?? self.config ?? Config.defaultPath)
        let config = try Config.load(path: self.config ?? Config.defaultPath, required: self.config != nil)
        QueryMemory.setDefaultLimit(try queryMemory() ?? config.queryMaxMemory)
        // (The transform steps and their lookup tables first: the built-in formats are being
        // read on another thread meanwhile.)
        var transforms: TransformChain?
        let steps = try transformFile.map { try TransformChain.load(path: $0) } ?? config.transforms
        if !steps.isEmpty {
            let needsTables = steps.contains { if case .lookup = $0.action { true } else { false } }
            transforms = try TransformChain(steps: steps, lookups: needsTables ? try lookupTables(config: config) : [:])
        }
        var parse = ParseOptions(registry: try InputOptions.formats(config))
        parse.maxRecordBytes = try recordBytes() ?? config.maxRecordBytes ?? ParseOptions.defaultMaxRecordBytes
        parse.format = format ?? config.format
        // Times without a zone: --timezone, the config's, else the machine's (nil when UTC).
        let zone = try self.zone() ?? config.timezone ?? LocalZone.system()
        if try self.zone() == nil, config.timezone == nil, let tz = ProcessInfo.processInfo.environment["TZ"], !tz.isEmpty,
           LocalZone(tz.hasPrefix(":") ? String(tz.dropFirst()) : tz) == nil {
            FileHandle.standardError.write(Data("logdash: TZ='\(tz)' is not a time zone the tz database knows; times written without a zone are read as UTC (--timezone ZONE says otherwise)\n".utf8))
        }
        parse.timezone = zone.flatMap { $0.isUTC ? nil : $0 }
        parse.sourceSettings = config.sourceSettings
        for f in [parse.format].compactMap({ $0 }) + config.sourceSettings.compactMap(\.format) where parse.registry.named(f) == nil && HeaderFormat.Kind(rawValue: f.lowercased()) == nil {
            throw ParseError.unknownFormat(f, known: parse.registry.names)
        }
        try transforms?.reading(with: parse)  // (`parse … as: FORMAT` steps: the formats just made known)
        var load = LoadOptions(parse: parse)
        if let jobs { load.workers = jobs }
        load.transforms = transforms
        return (config, load)
    }

    /// The names of the sources to read: those given, else the config's; nil when there are
    /// none, after the fallback (stdin when it is not a terminal, else the demo stream with a
    /// hint on stderr: live for commands that follow their sources) went into `fallback`.
    private func names(_ args: [String], config: Config, liveDemo: Bool, fallback: inout String?) throws -> [String]? {
        let names = args.isEmpty ? config.sources : args
        guard names.isEmpty else { return names }
        if isatty(0) == 0 { fallback = "-"; return nil }
        let url = liveDemo ? "demo://?rate=50" : "demo://"
        let hint = liveDemo ? "; Ctrl-C stops it" : ""
        FileHandle.standardError.write(Data("logdash: no sources given, reading the built-in demo stream \(url)\(hint) (try 'logdash FILE…' or 'logdash --help')\n".utf8))
        fallback = url
        return nil
    }

    /// The sources to read to their end (globs expanded, files must exist; an `s3://bucket/prefix`
    /// is the objects under it, those of `timeRange` by the times their keys name, fetched into
    /// the cache first).
    func sources(_ args: [String], config: Config, liveDemo: Bool, timeRange: (Int64, Int64)? = nil) throws -> [SourceSpec] {
        var fallback: String?
        let given = try names(args, config: config, liveDemo: liveDemo, fallback: &fallback)
        var client: S3Client?
        return try (given ?? [fallback!]).flatMap { name -> [SourceSpec] in
            guard let place = try S3Location.parse(name) else { return try SourceSpec.parse(name) }
            if client == nil { client = try S3Client.forCommandLine() }
            let s3 = client!
            let found = try blocking { try await S3Sources.fetch(place, timeRange: timeRange, client: s3) }
            let f = found.fetched
            FileHandle.standardError.write(Data(("logdash: \(place): \(found.specs.count) object\(found.specs.count == 1 ? "" : "s")"
                + (found.skipped > 0 ? " (\(found.skipped) more outside the time range, by their keys)" : "")
                + (found.unlisted > 0 ? " (\(found.unlisted) folder\(found.unlisted == 1 ? "" : "s") outside the time range not listed)" : "")
                + ", \(f.fetched) fetched (\(f.bytes) bytes), \(f.objects - f.fetched) from the cache\n").utf8))
            if found.specs.isEmpty { throw SourceError.noMatch("\(place): no objects" + (found.skipped + found.unlisted > 0 ? " in the time range" : "")) }
            return found.specs
        }
    }

    /// The sources to follow (files need not exist yet); the live demo when none are named.
    func liveSources(_ args: [String], config: Config) throws -> [LiveSource] {
        var fallback: String?
        let given = try names(args, config: config, liveDemo: true, fallback: &fallback)
        return try (given ?? [fallback!]).map { try LiveSource.parse($0) }
    }
}

/// Reloads the transform steps of a running ingest or dashboard: on SIGHUP (`:reload`), and when the file they come
/// from (`--transform FILE`, else the config file) changes. The new steps apply to records
/// parsed from then on; a file with a problem leaves the running steps as they are.
final class TransformReload {
    let input: InputOptions
    let path: String
    private var stamp: Date?
    private var lastLook = Date()

    init(input: InputOptions) {
        self.input = input
        path = input.transformFile ?? input.config ?? Config.defaultPath
        if let read = TransformReload.stampsRead.withLock({ $0[path] }) { stamp = read } else { stamp = TransformReload.modified(path) }
    }

    /// Each steps' file's modification time as it was before `resolve` read it: a change made
    /// after that (even before the first look for changes) is a change to reload.
    private static let stampsRead = Mutex<[String: Date?]>([:])  // (nil: there was no file)

    static func noteRead(_ path: String) {
        let stamp = modified(path)
        stampsRead.withLock { $0[path] = .some(stamp) }
    }

    static func modified(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// What to say when the steps were reloaded (or could not be: `failed`); nil when nothing changed.
    func reload(_ chain: TransformChain, asked: Bool) -> (message: String, failed: Bool)? {
        guard let line = check(chain, hangUp: asked) else { return nil }
        return (String(line.dropFirst("logdash: ".count)), line.hasSuffix("stay as they were"))
    }

    /// A line to say when the steps were reloaded (or could not be); nil when nothing changed.
    func check(_ chain: TransformChain, hangUp: Bool) -> String? {
        var changed = hangUp
        if Date().timeIntervalSince(lastLook) >= 1 {
            lastLook = Date()
            let now = TransformReload.modified(path)
            if now != stamp { stamp = now; changed = true }
        }
        guard changed else { return nil }
        do {
            // The file as it is now: missing or empty (an editor between writing and renaming)
            // is not "no steps" — masking must not stop because a save was caught half-way.
            guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > 0 else {
                return "logdash: \(path) is missing or empty; the transform steps running stay as they were"
            }
            // Only the steps (and their lookup tables) are read again: nothing else of the config changes here.
            let steps = try input.transformFile.map { try TransformChain.load(path: $0) }
                ?? Config.load(path: path, required: true).transforms
            let config = try Config.load(path: input.config ?? Config.defaultPath, required: input.config != nil)
            let needsTables = steps.contains { if case .lookup = $0.action { true } else { false } }
            let next = try TransformChain(steps: steps, lookups: needsTables ? try input.lookupTables(config: config) : [:])
            try next.reading(with: chain.readingOptions)
            chain.replace(with: next)
            return "logdash: transform steps reloaded from \(path): \(next.steps.count) step\(next.steps.count == 1 ? "" : "s"), for records from now on"
        } catch {
            return "logdash: \(error); the transform steps running stay as they were"
        }
    }
}
