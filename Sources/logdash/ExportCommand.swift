import ArgumentParser
import Foundation
import LogdashEngine

/// `logdash export`: the records as an archive Athena, Trino, Spark and DuckDB read directly.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the sources' records as an archive: OUT/dt=YYYY-MM-DD/hour=HH/part-NNNNN.json.gz (or .json.zst), and OUT/athena.sql.",
        discussion: """
            One JSON object per line, every field of the record (ts as ISO 8601 UTC), partitioned \
            by the record's time; athena.sql creates a table over it with partition projection. \
            Read it back with: logdash query --archive OUT "SQL" \
            Examples:
              logdash export /var/log/app/*.json --to /srv/archive
              logdash export app.log --to out --since 2026-11-27T00:00:00Z --until 2026-11-28T00:00:00Z
              logdash export --store ~/.local/share/logdash/store --to out --since 7d
              logdash export /var/log/app/*.json --to s3://my-logs/app
            """
    )

    @OptionGroup var input: InputOptions

    @Option(help: ArgumentHelp("The archive's directory (made when missing; parts already there are kept), or s3://bucket/prefix "
                               + "(credentials, region and endpoint as the AWS CLI finds them).", valueName: "dir|s3://bucket/prefix"))
    var to: String

    @Option(help: ArgumentHelp("Only records at or after this time: ISO 8601, or an age like 15m, 2h, 7d.", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only records at or before this time: ISO 8601, or an age like 15m, 2h, 7d.", valueName: "time"))
    var until: String?

    @Option(help: ArgumentHelp("The table's name in athena.sql.", valueName: "name"))
    var table = "logs"

    @Option(help: ArgumentHelp("How parts are compressed: gzip (.json.gz, the default) or zstd (.json.zst).", valueName: "gzip|zstd"))
    var compression = "gzip"

    @Option(help: ArgumentHelp("The compression's level: gzip 1–9 (default 6), zstd 1–19 (default 3); lower is faster, higher smaller.", valueName: "n"))
    var compressionLevel: Int?

    @Option(help: ArgumentHelp("Export a store on disk ('logdash ingest' writes one) instead of, or beside, sources.", valueName: "dir"))
    var store: String?

    @Argument(help: "Files, globs or '-' (stdin).")
    var sources: [String] = []

    func validate() throws {
        if sources.isEmpty && store == nil { throw ValidationError("name the sources to export (files, globs or '-'), or --store DIR") }
        if ArchiveCompression(rawValue: compression.lowercased()) == nil { throw ValidationError("--compression '\(compression)' is not gzip or zstd") }
        if let level = compressionLevel, !packing.levels.contains(level) {
            throw ValidationError("--compression-level: \(packing.rawValue)'s levels are \(packing.levels.lowerBound) to \(packing.levels.upperBound), not \(level)")
        }
        for (name, v) in [("--since", since), ("--until", until)] {
            if let v, TimeArgument.parse(v, now: 0) == nil {
                throw ValidationError("\(name) '\(v)' is neither a time (2026-11-27T14:00:00Z) nor an age (15m, 2h, 7d)")
            }
        }
    }

    func run() throws {
        if store != nil { try input.refuseTransform(with: "--store") }
        let (config, options) = try input.resolve()
        let now = LoadOptions.wallClock()
        let range: (Int64, Int64)? = since == nil && until == nil ? nil
            : (since.flatMap { TimeArgument.parse($0, now: now) } ?? Int64.min, until.flatMap { TimeArgument.parse($0, now: now) } ?? Int64.max)
        let specs = sources.isEmpty ? [] : try input.sources(sources, config: config, liveDemo: false, timeRange: range)
        let progress = LoadProgress()
        var (loaded, _) = try Store.load(specs, options: options, progress: progress.count)
        progress.finish()
        if let dir = store {
            let stored = try StoredHistory.open(dir)
            for s in loaded.snapshot().segments { stored.append(s) }
            loaded = stored
        }
        if let bucket = try S3Location.parse(to) {
            try upload(loaded.snapshot(), to: bucket, range: range)
            return
        }
        let summary = try Archive.export(loaded.snapshot(), to: to, timeRange: range, table: table, compression: packing, level: compressionLevel)
        FileHandle.standardError.write(Data("logdash: \(summary.records) records in \(summary.files.count) part files under \(to); \(to)/athena.sql creates the Athena table\n".utf8))
    }

    private var packing: ArchiveCompression { ArchiveCompression(rawValue: compression.lowercased()) ?? .gzip }

    /// The archive written to a bucket: made in a scratch directory, then each part uploaded
    /// after the parts already under the prefix (an export adds, it never replaces), and
    /// athena.sql with the table's LOCATION set to the prefix.
    private func upload(_ snapshot: StoreSnapshot, to place: S3Location, range: (Int64, Int64)?) throws {
        let client = try S3Client.forCommandLine()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("logdash-export-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let summary = try Archive.export(snapshot, to: scratch, timeRange: range, table: table, location: "\(place)/", compression: packing, level: compressionLevel)
        guard summary.records > 0 else {
            FileHandle.standardError.write(Data("logdash: no records to export; nothing written to \(place)\n".utf8))
            return
        }
        // The last part number of each partition already in the bucket.
        let existing = try blocking { try await client.list(bucket: place.bucket, prefix: place.key("")) }
        var last: [String: Int] = [:]
        for object in existing {
            let name = object.key.dropFirst(place.key("").count)
            guard let slash = name.lastIndex(of: "/"), let n = Archive.partNumber(name[name.index(after: slash)...]) else { continue }
            last[String(name[..<slash]), default: -1] = max(last[String(name[..<slash])] ?? -1, n)
        }
        var uploaded = 0
        for file in summary.files {
            let partition = String(file.dropFirst(scratch.count + 1).split(separator: "/").dropLast().joined(separator: "/"))
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            // Written only where no part is yet (a conditional PUT): an export running beside
            // this one (another machine) that took the number makes this one take the next.
            while true {
                let n = (last[partition] ?? -1) + 1
                last[partition] = n
                let key = place.key(partition + "/" + Archive.partName(n, packing))
                do {
                    try blocking { try await client.putLarge(bytes, bucket: place.bucket, key: key, contentType: packing.contentType, ifAbsent: true) }
                    break
                } catch AWSError.service(_, _, 412, _, _) {
                    continue
                }
            }
            uploaded += 1
        }
        let ddl = try [UInt8](Data(contentsOf: URL(fileURLWithPath: scratch + "/athena.sql")))
        try blocking { try await client.put(ddl, bucket: place.bucket, key: place.key("athena.sql"), contentType: "application/sql") }
        FileHandle.standardError.write(Data("logdash: \(summary.records) records in \(uploaded) part object\(uploaded == 1 ? "" : "s") under \(place); \(place)/athena.sql creates the Athena table\n".utf8))
    }
}
