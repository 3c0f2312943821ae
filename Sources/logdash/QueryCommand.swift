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

    enum Output: String, ExpressibleByArgument, CaseIterable { case table, csv, json, ndjson }

    @OptionGroup var input: InputOptions

    @Option(name: [.customShort("f"), .customLong("file")], help: ArgumentHelp("Read the SQL from a file.", valueName: "file"))
    var file: String?

    @Option(name: .shortAndLong, help: "table, csv, json or ndjson.")
    var output: Output = .table

    @Option(help: ArgumentHelp("Only records at or after this time: ISO 8601, or an age like 15m, 2h, 7d.", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only records at or before this time: ISO 8601, or an age like 15m, 2h, 7d.", valueName: "time"))
    var until: String?

    @Option(help: ArgumentHelp("Read an archive that 'logdash export' wrote (repeatable: several machines' archives form one history); --since/--until skip its hours outside the range.",
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

    func run() throws {
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
        let parts = archive.isEmpty ? [] : try Archive.parts(archive, timeRange: range)
        if !archive.isEmpty && parts.isEmpty && args.isEmpty {
            throw SourceError.noMatch(archive.joined(separator: ", ") + ": no dt=…/hour=…/part-….json.gz files" + (range == nil ? "" : " in the time range"))
        }
        let stored = try store.map { try StoredHistory.open($0) }
        let specs = args.isEmpty && (!parts.isEmpty || stored != nil) ? try parts.flatMap { try SourceSpec.parse($0) }
            : try input.sources(args, config: config, liveDemo: false) + parts.flatMap { try SourceSpec.parse($0) }
        // Parse the SQL first: a typo should not wait for a large load. The parse stage keeps
        // only the columns the query reads.
        var options = resolved
        do {
            // A Logs Insights query (`filter … | stats …`): the columns of the SQL it becomes.
            let translated = InsightsQuery.looksLikeInsights(sql) ? try InsightsQuery.sql(sql) : sql
            options.parse.projection = try QueryEngine.columnsRead(translated)
        } catch let e as QueryError {
            fail(e, sql)
        }
        let progress = LoadProgress()
        var (loaded, _) = try Store.load(specs, options: options, progress: progress.count)
        progress.finish()
        if let stored {
            for s in loaded.snapshot().segments { stored.append(s) }
            loaded = stored
        }
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

/// Query results as an aligned table (numbers right-aligned, NULL shown as NULL), CSV, JSON or NDJSON.
enum ResultWriter {
    static func render(_ r: ResultSet, as kind: QueryCommand.Output) -> String {
        switch kind {
        case .table: return table(r)
        case .csv: return csv(r)
        case .json, .ndjson: return objects(r, array: kind == .json)
        }
    }

    /// The rows as JSON objects — one per line, or (`array`) a JSON array of them — through one
    /// buffer, the keys escaped once and times' texts kept for the next rows.
    static func objects(_ r: ResultSet, array: Bool) -> String {
        let keys = keys(r.columns)
        var times = TimeTexts()
        var bytes: [UInt8] = array ? [UInt8(ascii: "[")] : []
        for (i, row) in r.rows.enumerated() {
            if array && i > 0 { bytes += ",\n ".utf8 }
            bytes.append(UInt8(ascii: "{"))
            appendMembers(keys, row, to: &bytes, times: &times)
            bytes.append(UInt8(ascii: "}"))
            if !array { bytes.append(0x0A) }
        }
        if array { bytes += "]\n".utf8 }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func cell(_ v: Value) -> String {
        switch v {
        case .null: "NULL"
        case .string(let s): VisibleText.escape(s)
        default: v.description
        }
    }

    static func table(_ r: ResultSet) -> String {
        let header = r.columns.map { VisibleText.escape($0) }
        let cells = r.rows.map { $0.map(cell) }
        var widths = header.map(\.count)
        for row in cells { for (k, c) in row.enumerated() { widths[k] = max(widths[k], c.count) } }
        let numeric = r.columns.indices.map { k in
            r.rows.contains { if case .int = $0[k] { true } else if case .double = $0[k] { true } else { false } }
        }
        func line(_ row: [String]) -> String {
            row.enumerated().map { k, c in
                let pad = String(repeating: " ", count: widths[k] - c.count)
                return numeric[k] ? pad + c : c + pad
            }.joined(separator: " │ ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = line(header) + "\n" + widths.map { String(repeating: "─", count: $0) }.joined(separator: "─┼─") + "\n"
        for row in cells { out += line(row) + "\n" }
        out += "(\(r.rows.count) row\(r.rows.count == 1 ? "" : "s"))\n"
        return out
    }

    /// `render`, for standard output: on a terminal, CSV and JSON keep their shape but control
    /// and escape characters from the logs are shown visibly, as the table does (piped, the
    /// bytes are left as they are for the program reading them).
    static func forStandardOutput(_ r: ResultSet, as kind: QueryCommand.Output) -> String {
        let text = render(r, as: kind)
        guard kind != .table, isatty(1) != 0 else { return text }
        return VisibleText.escape(text, VisibleText.Options(keepTabs: true, keepNewlines: true))
    }

    static func csv(_ r: ResultSet) -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out = r.columns.map(field).joined(separator: ",") + "\n"
        for row in r.rows {
            out += row.map { $0 == .null ? "" : field(textOf($0)) }.joined(separator: ",") + "\n"
        }
        return out
    }

    static func textOf(_ v: Value) -> String {
        if case .timestamp(let ns) = v { return Timestamp.iso8601(ns) }
        return v.description
    }

    /// Each column's `"name":`, escaped once for many rows.
    static func keys(_ columns: [String]) -> [[UInt8]] {
        columns.map { c in
            var k: [UInt8] = []
            JSONText.appendString(c, to: &k)
            k.append(UInt8(ascii: ":"))
            return k
        }
    }

    /// An integer's decimal digits, appended without making a `String`.
    static func appendDigits(_ i: Int64, to bytes: inout [UInt8]) {
        if i < 0 { bytes.append(UInt8(ascii: "-")) }
        var v = i.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in
            var k = 20
            repeat { k -= 1; buf[k] = UInt8(ascii: "0") + UInt8(v % 10); v /= 10 } while v > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[k..<20]))
        }
    }

    /// The texts of the last few distinct times written (ISO 8601), kept for the next ones:
    /// windows share their bounds with their neighbours (hopping ones with a few), and rows of
    /// a window its start. Eight, looked up newest first: no hashing.
    struct TimeTexts {
        private static let slots = 8, width = 40  // an ISO 8601 text is at most 40 bytes
        // Made at the first time written (output without times allocates nothing).
        private var times: [Int64] = []
        private var lengths: [Int] = []  // 0: an empty slot
        private var texts: [UInt8] = []
        private var newest = slots - 1

        /// Appends `t`'s text, from a slot when it is one of the last few written.
        mutating func append(_ t: Int64, to bytes: inout [UInt8]) {
            if times.isEmpty {
                times = Array(repeating: 0, count: Self.slots)
                lengths = Array(repeating: 0, count: Self.slots)
                texts = Array(repeating: 0, count: Self.slots * Self.width)
            }
            for age in 0..<Self.slots {
                let k = (newest - age) & (Self.slots - 1)
                guard lengths[k] > 0 else { break }
                if times[k] == t { return bytes.append(contentsOf: texts[(k * Self.width)..<(k * Self.width + lengths[k])]) }
            }
            let start = bytes.count
            Timestamp.appendISO8601(t, to: &bytes)
            newest = (newest + 1) & (Self.slots - 1)
            times[newest] = t
            lengths[newest] = bytes.count - start
            texts.replaceSubrange((newest * Self.width)..<(newest * Self.width + lengths[newest]), with: bytes[start...])
        }
    }

    /// A row's members of a JSON object (`"key":value`, comma-separated), appended to `bytes`;
    /// times written from `times`' texts.
    static func appendMembers(_ keys: [[UInt8]], _ row: [Value], to bytes: inout [UInt8], times: inout TimeTexts) {
        for (k, (key, v)) in zip(keys, row).enumerated() {
            if k > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: key)
            switch v {
            case .null: bytes.append(contentsOf: "null".utf8)
            case .bool(let b): bytes.append(contentsOf: (b ? "true" : "false").utf8)
            case .int(let i): appendDigits(i, to: &bytes)
            case .double(let d): bytes.append(contentsOf: (d.isFinite ? Value.format(d) : "null").utf8)
            case .timestamp(let t):  // ISO 8601 needs no escaping
                bytes.append(UInt8(ascii: "\""))
                times.append(t, to: &bytes)
                bytes.append(UInt8(ascii: "\""))
            default: JSONText.appendString(textOf(v), to: &bytes)
            }
        }
    }
}
