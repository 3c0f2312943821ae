import Foundation
/// The formats logdash knows, in the order detection prefers them on a tie: user-defined
/// formats first (they are the most specific), then the built-in ones.
public struct FormatRegistry: Sendable {
    public let formats: [any LogFormat]

    public static let builtinNames = ["json", "syslog5424", "syslog3164", "combined", "java", "logfmt", "generic"]

    /// User formats first, then the hand-written parsers, then the built-in definitions of
    /// `formats/`, then the generic one: on a tie, detection prefers the earlier.
    public init(userFormats: [any LogFormat] = []) {
        let user = Set(userFormats.map { $0.name.lowercased() })
        formats = userFormats + [JSONFormat(), Syslog5424Format(), Syslog3164Format(), AccessLogFormat(), JavaFormat(), LogfmtFormat()]
            + FormatDefinition.builtin.filter { !user.contains($0.name.lowercased()) }.map(\.format) + [GenericFormat()]
    }

    /// A format by name; `common` and `nginx` are names for the access-log format.
    public func named(_ name: String) -> (any LogFormat)? {
        let n = name.lowercased()
        let canonical = ["common": "combined", "nginx": "combined", "apache": "combined", "access": "combined",
                         "syslog": "syslog3164", "rfc3164": "syslog3164", "rfc5424": "syslog5424",
                         "log4j": "java", "ndjson": "json", "jsonl": "json"][n] ?? n
        return formats.first { $0.name.lowercased() == canonical }
    }

    public var names: [String] { formats.map(\.name) }

    /// For a line no format parsed: the source's own format when it is a definition that fits
    /// some of the line, else the definition whose pattern fits most of its start; and how many
    /// bytes fit (the line stops fitting there). A line that starts like a JSON object is named
    /// as broken JSON (`fitted` 0). nil when no pattern fits a byte.
    public func nearest(to line: String, preferring own: String? = nil) -> (name: String, fitted: Int)? {
        let bytes = Array(line.utf8)
        if bytes.first == ASCII.lbrace || own == "json" { return ("json", 0) }
        var best: (name: String, fitted: Int)?
        bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            let l = ByteLine(base: base, count: buf.count)
            func fit(_ f: RegexFormat) -> Int { f.regexes.map { $0.fittingPrefix(l, $0.makeMatchData()) }.max() ?? 0 }
            if let own, let f = named(own) as? RegexFormat, case let k = fit(f), k > 0 { best = (f.name, k); return }
            // Of a source read by a parser of logdash's own, only a pattern that fits most of the
            // line is a clue; loose patterns (`\S+ \S+ …`) fit the start of anything.
            let floor = own.map { named($0) is RegexFormat || $0 == "generic" } ?? true ? 3 : l.count / 2
            for case let f as RegexFormat in formats {
                // (A pattern that fits the whole line only wants more of it: no clue for a short line.)
                let k = fit(f)
                if k > max(best?.fitted ?? 0, floor), k < l.count || l.count >= 24 { best = (f.name, k) }
            }
        }
        return best
    }

    /// The hand-written parsers, with what they read.
    public static let parsers: [(name: String, title: String, sample: String)] = [
        ("json", "JSON lines (any common key names for time, level, message, host)", #"{"ts":"2026-11-27T14:00:00Z","level":"info","msg":"ready"}"#),
        ("syslog5424", "Syslog RFC 5424", "<165>1 2026-11-27T14:00:00.003Z web-1 nginx 4242 ID47 - request done"),
        ("syslog3164", "Syslog RFC 3164 / BSD (with or without PRI, rsyslog's ISO times)", "<34>Nov 27 14:00:00 web-1 sshd[4242]: Accepted publickey for deploy"),
        ("combined", "Apache / nginx access log (common, combined)", #"10.0.0.1 - - [27/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.0""#),
        ("java", "log4j / logback / Spark layouts, with stack traces joined", "2026-11-27 14:00:00,123 ERROR [main] com.example.App - boom"),
        ("logfmt", "logfmt (key=value pairs)", #"ts=2026-11-27T14:00:00Z level=warn msg="disk 91% full""#),
        ("generic", "any line with a time in its first 80 bytes (read per line when a source mixes formats)", "app.log: 2026-11-27 14:00:00 WARN something happened"),
    ]
}

/// How parsing behaves; the same for every source of a run.
public struct ParseOptions: Sendable {
    /// Longer records are cut to this many bytes and flagged `truncated`.
    public var maxRecordBytes: Int
    /// A format forced with `--format`; nil to detect per source.
    public var format: String?
    /// The fields to keep (lower-cased), besides the core columns; nil keeps all. A one-shot
    /// query sets it to the columns it reads, so the parser skips the values of the others.
    public var projection: Set<String>?
    public var registry: FormatRegistry
    /// The zone of times written without one (`--timezone`, `timezone:`); nil: UTC.
    public var timezone: LocalZone?
    /// Settings for the sources whose names match a pattern (the config's `sources:` entries
    /// with `timezone:` or `format:`); the first that matches applies.
    public var sourceSettings: [SourceSetting] = []

    public static let defaultMaxRecordBytes = 1 << 20

    public init(maxRecordBytes: Int = ParseOptions.defaultMaxRecordBytes, format: String? = nil,
                registry: FormatRegistry = FormatRegistry()) {
        self.maxRecordBytes = maxRecordBytes
        self.format = format
        self.registry = registry
    }
}

/// What the config says of the sources a glob names: their zone, their format.
public struct SourceSetting: Sendable {
    public var pattern: String
    public var format: String?
    public var timezone: LocalZone?

    public init(pattern: String, format: String? = nil, timezone: LocalZone? = nil) {
        self.pattern = pattern
        self.format = format
        self.timezone = timezone
    }

    /// Whether a source's name is this setting's (its pattern, as a glob or the name itself),
    /// as written or as absolute paths (`app.log`, `./app.log` and `/srv/app.log` are one file).
    public func matches(_ source: String) -> Bool {
        if source == pattern || fnmatch(pattern, source, 0) == 0 { return true }
        guard !source.contains("://"), source != "-" else { return false }
        let file = SourceSetting.absolute(source), glob = SourceSetting.absolute(pattern)
        return file == glob || fnmatch(glob, file, 0) == 0
    }

    /// A path made absolute (from the working directory), `.` and `..` taken out by its text
    /// (symbolic links are not followed: a glob's `*` could not follow them).
    static func absolute(_ path: String) -> String {
        let p = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for c in p.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }
}

extension ParseOptions {
    /// The setting for a source, if one names it.
    public func setting(for source: String) -> SourceSetting? {
        sourceSettings.first { $0.matches(source) }
    }
}

/// The format chosen for a source and how sure detection was.
public struct Detection: Sendable, Equatable {
    /// nil when no format fitted any sampled line.
    public var format: String?
    /// The share of sampled lines the format parsed, 0…1 (1 when forced).
    public var confidence: Double
    public var sampled: Int
    public var forced: Bool
    /// The next best formats and the share of sampled lines each parsed (for `inspect`).
    public var runnersUp: [(name: String, share: Double)] = []
    /// The zone the source's times without one are read in; nil: UTC.
    public var zone: LocalZone?
    /// Whether the source writes `dd/MM/yyyy` rather than `MM/dd/yyyy` (from its sampled lines).
    public var dayFirst = false
    /// The header that names the source's columns (W3C, Zeek, CSV/TSV), when its format is one.
    public var header: HeaderFormat.Header?

    public init(format: String?, confidence: Double, sampled: Int, forced: Bool, runnersUp: [(name: String, share: Double)] = [],
                zone: LocalZone? = nil) {
        self.format = format
        self.confidence = confidence
        self.sampled = sampled
        self.forced = forced
        self.runnersUp = runnersUp
        self.zone = zone
    }

    /// The zone's name for people: `UTC` when none.
    public var zoneName: String { zone?.identifier ?? "UTC" }

    public static func == (a: Detection, b: Detection) -> Bool {
        a.format == b.format && a.confidence == b.confidence && a.sampled == b.sampled && a.forced == b.forced
            && a.runnersUp.map(\.name) == b.runnersUp.map(\.name) && a.runnersUp.map(\.share) == b.runnersUp.map(\.share)
            && a.zoneName == b.zoneName && a.dayFirst == b.dayFirst && a.header == b.header
    }
}

/// Counts kept while parsing one source; every input byte ends up in one of them.
public struct SourceStats: Sendable, Equatable {
    public var bytes = 0
    /// Physical lines seen, including empty and continuation lines.
    public var lines = 0
    public var records = 0
    public var emptyLines = 0
    /// Lines joined to the record before them.
    public var continuationLines = 0
    /// Records no format fitted: kept with only `raw`, `message` and arrival time.
    public var unparsed = 0
    /// Records cut at the maximum record size.
    public var truncated = 0
    /// Bytes cut from over-long records (kept nowhere, counted here).
    public var truncatedBytes = 0
    /// Records parsed by a format other than the source's own.
    public var otherFormat = 0
    public var perFormat: [String: Int] = [:]

    public init() {}

    public mutating func merge(_ o: SourceStats) {
        bytes += o.bytes; lines += o.lines; records += o.records; emptyLines += o.emptyLines
        continuationLines += o.continuationLines; unparsed += o.unparsed; truncated += o.truncated
        truncatedBytes += o.truncatedBytes; otherFormat += o.otherFormat
        perFormat.merge(o.perFormat, uniquingKeysWith: +)
    }
}

/// Turns the bytes of one source into records: framing (LF, CRLF), multi-line joining,
/// the maximum record size, the source's format with fallback to the others, and raw records
/// for lines nothing fits. One instance per thread.
public final class SourceParser {
    public let options: ParseOptions
    public let detection: Detection
    private var counts = SourceStats()
    /// The registry's formats, in an array of this parser's own (one per thread: see `parse`).
    private let formats: [any LogFormat]
    private let formatSlot: Int
    /// Whether the source's format is the generic one, detected (not forced): its lines are then
    /// read per line by the format that fits each (the last that fitted first), generic last.
    private let perLine: Bool
    private var lastOther = -1
    /// The registry's format names, then "raw": what a batch's format indexes point at.
    private let formatNames: [String]
    /// Per format of the registry: whether it says what starts its records (`continues`: a
    /// `record_start`, or a wrapper whose wrapped line continues a record).
    private let recordStarts: [Bool]
    /// Per format: whether its lines may be parts of longer ones (`isPartial`: CRI's `P`).
    private let splitsLines: [Bool]
    /// Per format of the registry: whether it is a definition (a regular expression), and how
    /// many of this source's lines it failed in a row as a fallback (negative once it fitted one).
    private let isDefinition: [Bool]
    private var fallbackMisses: [Int]
    /// The format that last parsed a record's payload (tried first for the next), and how many
    /// payloads in a row no format fitted.
    private var payloadFormat = -1
    private var payloadMisses = 0
    /// Records per format, by index into `formatNames` (folded into `stats.perFormat` on read).
    private var formatCounts: [Int]
    private let scratch = ParseScratch()
    /// The reference for yearless times in place of the arrival time: a file's modification
    /// time while its history is read (a line of "Dec 31" in a file last written on 2 January
    /// is from the year before), nil for live lines.
    public var yearReference: Int64?
    /// Inside an over-long line whose end has not been seen yet.
    private var skippingLongLine = false
    /// Whether the next bytes continue an over-long line being skipped (handed between workers).
    public var isSkippingLongLine: Bool {
        get { skippingLongLine }
        set { skippingLongLine = newValue }
    }

    public init(options: ParseOptions, detection: Detection) {
        self.options = options
        self.detection = detection
        // A source whose header names its columns has a format of its own, after the registry's.
        let own: [any LogFormat] = options.registry.formats + (detection.header.map { [HeaderFormat($0)] } ?? [])
        let f = detection.header != nil ? own.last : detection.format.flatMap { options.registry.named($0) }
        let names = own.map(\.name) + ["raw"]
        formats = own
        formatNames = names
        recordStarts = own.map { ($0 as? RegexFormat).map { $0.recordStart != nil || $0.messageIsPayload } ?? false }
        splitsLines = own.map { ($0 as? RegexFormat)?.partialTag != nil }
        isDefinition = own.map { $0 is RegexFormat }
        fallbackMisses = Array(repeating: 0, count: own.count)
        formatSlot = detection.header != nil ? own.count - 1 : f.flatMap { names.firstIndex(of: $0.name) } ?? -1
        perLine = f is GenericFormat && !detection.forced
        formatCounts = Array(repeating: 0, count: names.count)
    }

    /// About how many records `bytes` more input will give, from what was seen so far.
    public func estimatedRows(forBytes bytes: Int) -> Int {
        let perRow = counts.records > 1000 ? max(16, counts.bytes / counts.records) : 160
        return bytes / perRow + 16
    }

        /// Counts so far; every input byte is in one of them.
    public var stats: SourceStats {
        var s = counts
        for (i, n) in formatCounts.enumerated() where n != 0 { s.perFormat[formatNames[i], default: 0] += n }
        return s
    }

    /// Chooses a format from the first lines of a source: the one that parses most of them.
    /// `source` names the source, for the settings that the config gives by name.
    public static func detect(_ sample: UnsafeBufferPointer<UInt8>, options: ParseOptions, arrival: Int64,
                              maxLines: Int = 64, source: String = "") throws -> Detection {
        let setting = options.setting(for: source)
        let lines = sampleLines(sample, options: options, maxLines: maxLines)
        let dayFirst = Timestamp.dayFirst(in: lines) ?? false
        let forced = options.format ?? setting?.format
        var d: Detection
        if let header = try headerDetection(lines, forced: forced, arrival: arrival) {
            d = header
        } else {
            d = try detectFormat(lines, options: options, forced: forced, arrival: arrival, dayFirst: dayFirst)
        }
        d.zone = setting?.timezone ?? options.timezone
        d.dayFirst = dayFirst
        return d
    }

    /// A header that names the columns (W3C `#Fields:`, Zeek `#fields`, a CSV/TSV header line)
    /// chooses its format when it reads at least 60 % of the lines after it; `--format w3c`
    /// (zeek, csv, tsv) asks for one, and a source without it is an error.
    private static func headerDetection(_ lines: [ByteLine], forced: String?, arrival: Int64) throws -> Detection? {
        let forcedKind = forced.flatMap { HeaderFormat.Kind(rawValue: $0.lowercased()) }
        if forced != nil && forcedKind == nil { return nil }
        guard let header = HeaderFormat.find(in: lines), forcedKind == nil || forcedKind == header.kind
                || (forcedKind == .csv || forcedKind == .tsv) && (header.kind == .csv || header.kind == .tsv) else {
            if let forcedKind { throw ParseError.noHeader(forcedKind.rawValue) }
            return nil
        }
        let format = HeaderFormat(header)
        let scratch = ParseScratch()
        var parsed = 0, data = 0
        for line in lines where line[0] != 0x23 {
            data += 1
            var batch = RecordBatch(source: "detect")
            batch.beginRow(arrival: arrival)
            if format.parse(line, into: &batch, scratch: scratch) { parsed += 1 }
            batch.abandonRow()
        }
        let share = data == 0 ? 1 : Double(parsed) / Double(data)
        guard forcedKind != nil || share >= 0.6 else { return nil }
        var d = Detection(format: format.name, confidence: forcedKind != nil ? 1 : share, sampled: lines.count, forced: forcedKind != nil)
        d.header = header
        return d
    }

    /// The first lines of a sample that start records (by the common rule), up to `maxLines`.
    private static func sampleLines(_ sample: UnsafeBufferPointer<UInt8>, options: ParseOptions, maxLines: Int) -> [ByteLine] {
        guard let base = sample.baseAddress else { return [] }
        var lines: [ByteLine] = []
        var pos = 0
        let all = ByteLine(base: base, count: sample.count)
        while pos < all.count, lines.count < maxLines {
            let nl = memchrIndex(all, ASCII.lf, from: pos) ?? all.count
            var end = nl
            if end > pos, all[end - 1] == ASCII.cr { end -= 1 }
            let line = all.slice(pos, min(end, pos + options.maxRecordBytes))
            if line.count > 0, !Continuation.isContinuation(line) { lines.append(line) }
            pos = nl + 1
        }
        return lines
    }

    private static func detectFormat(_ lines: [ByteLine], options: ParseOptions, forced: String?, arrival: Int64,
                                     dayFirst: Bool) throws -> Detection {
        if let forced {
            guard let f = options.registry.named(forced) else {
                throw ParseError.unknownFormat(forced, known: options.registry.names)
            }
            return Detection(format: f.name, confidence: 1, sampled: 0, forced: true)
        }
        guard !lines.isEmpty else { return Detection(format: nil, confidence: 0, sampled: 0, forced: false) }
        let scratch = ParseScratch()
        var best: (name: String, score: Int, share: Double)?
        var scored: [(name: String, score: Int, share: Double)] = []
        let formats = options.registry.formats
        var nestedFormat = -1, nestedMisses = 0
        for (index, f) in formats.enumerated() {
            var batch = RecordBatch(source: "detect")
            batch.zone = options.timezone
            batch.dayFirst = dayFirst
            var score = 0
            var parsed = 0, considered = 0, lastParsed = false
            for line in lines {
                if f.continues(line, scratch: scratch) == true {
                    // A line of a record (a definition's `record_start` says what starts one):
                    // read as part of it when that record's first line parsed.
                    if lastParsed { score += 2 }
                    continue
                }
                considered += 1
                lastParsed = false
                batch.beginRow(arrival: arrival)
                if f.parse(line, into: &batch, scratch: scratch) {
                    if batch.hasPayload {
                        SourceParser.parsePayload(formats, outer: index, last: &nestedFormat, misses: &nestedMisses, into: &batch, scratch: scratch)
                    }
                    parsed += 1
                    lastParsed = true
                    score += SourceParser.score(f, batch)
                } else {
                    // A line it cannot read counts against it: a format reading every line does
                    // not lose to one reading most of them a little more richly (Java's log read
                    // as supervisord's, whose `INFO ` lines it takes but not `INFO  `).
                    score -= 4
                }
                batch.abandonRow()
            }
            let share = Double(parsed) / Double(max(1, considered))
            if score > 0 { scored.append((f.name, score, share)) }
            if score > (best?.score ?? 0) { best = (f.name, score, share) }
        }
        guard var best else { return Detection(format: nil, confidence: 0, sampled: lines.count, forced: false) }
        // Below the floor (60 % of the lines), no format is the source's: the generic one reads
        // it per line — each line by the format that fits it (a file of several formats).
        if best.share < SourceParser.detectionFloor, let generic = scored.first(where: { $0.name == "generic" }) {
            best = generic
        }
        // The next best, by score (the earlier on a tie, as detection decides).
        let others = scored.enumerated().filter { $0.element.name != best.name }
            .sorted { $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset }
            .prefix(3).map { (name: $0.element.name, share: $0.element.share) }
        // (Of the lines that start records in its reading: a format's own continuation lines are not misses.)
        return Detection(format: best.name, confidence: best.share, sampled: lines.count, forced: false, runnersUp: Array(others))
    }

    /// Parses the complete records in `buf` into `batch` and returns how many bytes it used.
    /// Unless `final`, an unfinished last line, and a last record that continuation lines may
    /// still extend, are left for the next call (with more bytes after them). `closeLastRecord`
    /// ends that last record all the same (when no more bytes can join it).
    public func parse(_ buf: UnsafeBufferPointer<UInt8>, arrival: Int64, final: Bool, closeLastRecord: Bool = false,
                      into batch: inout RecordBatch) -> Int {
        guard let base = buf.baseAddress, buf.count > 0 else { return 0 }
        batch.setFormatNames(formatNames)
        batch.zone = detection.zone
        batch.dayFirst = detection.dayFirst
        batch.yearReference = yearReference
        if batch.fields.isEmpty, batch.projection == nil, options.projection != nil { batch.project(options.projection) }
        let formats = self.formats  // (a local: read per line without touching the parser)
        let rawSlot = formatNames.count - 1
        let all = ByteLine(base: base, count: buf.count)
        let n = all.count
        let maxBytes = options.maxRecordBytes
        var pos = 0
        // The open record: where it starts and ends, whether it joins continuation lines.
        var open = false
        var openStart = 0, openEnd = 0
        var openJoins = false, openFlags: RecordFlags = [], openFormat = -1
        var openSawException = false
        // The open record's line was split by its writer; the next line ends it (CRI's `P`).
        var openPartial = false
        var openJoinedParts = false
        // The counts as they were before the open record's first line, to undo it exactly.
        var countsBeforeOpen = counts

        func close(_ batch: inout RecordBatch) {
            if openJoinedParts {
                // A line its writer split (CRI's P parts), now whole: parsed again as one.
                batch.setPayloadFromMessage()
                if batch.hasPayload { SourceParser.parsePayload(formats, outer: openFormat, last: &payloadFormat, misses: &payloadMisses, into: &batch, scratch: scratch) }
                openJoinedParts = false
            }
            batch.commitRow(raw: all.slice(openStart, openEnd), arrival: arrival, format: openFormat, flags: openFlags)
            counts.records += 1
            open = false
        }

        while pos < n {
            let nlFound = memchrIndex(all, ASCII.lf, from: pos)
            if skippingLongLine {
                guard let nl = nlFound else { counts.truncatedBytes += n - pos; counts.bytes += n - pos; pos = n; break }
                counts.truncatedBytes += nl - pos
                counts.bytes += nl + 1 - pos
                pos = nl + 1
                skippingLongLine = false
                continue
            }
            var lineEnd: Int
            var next: Int
            var cut = false
            if let nl = nlFound {
                lineEnd = nl; next = nl + 1
            } else if final {
                lineEnd = n; next = n
            } else if n - pos > maxBytes {
                lineEnd = n; next = n; cut = true; skippingLongLine = true
            } else {
                break  // an unfinished line: wait for the rest
            }
            if lineEnd > pos, all[lineEnd - 1] == ASCII.cr { lineEnd -= 1 }
            var cutBytes = 0
            if lineEnd - pos > maxBytes {
                let keep = SourceParser.utf8Boundary(all, pos, pos + maxBytes)
                cutBytes = lineEnd - keep
                lineEnd = keep
                cut = true
            }
            let line = all.slice(pos, lineEnd)
            if line.count == 0 {
                counts.lines += 1
                counts.emptyLines += 1
                counts.bytes += next - pos
                pos = next
                continue
            }
            let ownRule = openFormat >= 0 && openFormat < recordStarts.count && recordStarts[openFormat]
            // (A split line is continued only by a line of its own format: CRI's next line.)
            if open && openPartial && formats[openFormat].continuationText(line, scratch: scratch) == nil { openPartial = false }
            if open, openPartial || openJoins && (ownRule ? formats[openFormat].continues(line, scratch: scratch) : nil) ?? Continuation.isContinuation(line) {
                counts.lines += 1
                counts.continuationLines += 1
                counts.truncatedBytes += cutBytes
                if openEnd - openStart + 1 + line.count <= maxBytes && !openFlags.contains(.truncated) {
                    // (A wrapper's line joins without its prefix; the rest of a split line, with nothing between.)
                    let text = ownRule ? formats[openFormat].continuationText(line, scratch: scratch) ?? line : line
                    if openPartial {
                        batch.continueMessage(text)
                        openJoinedParts = true
                        openPartial = formats[openFormat].isPartial(line, scratch: scratch)
                    } else {
                        batch.appendToMessage(text)
                    }
                    if !openSawException, let cls = Continuation.exceptionClass(text) {
                        openSawException = true
                        batch.put(string: cls, field: batch.field(named: "exception"))
                    }
                    openEnd = lineEnd
                    openFlags.insert(.multiline)
                } else {
                    if !openFlags.contains(.truncated) { counts.truncated += 1 }
                    openFlags.insert(.truncated)
                    counts.truncatedBytes += line.count
                    // (Past the record size the rest of a split line is cut too, up to the line that ends it.)
                    if openPartial { openPartial = formats[openFormat].isPartial(line, scratch: scratch) }
                }
                counts.bytes += next - pos
                pos = next
                continue
            }
            if open { close(&batch) }
            // A new record starts here.
            countsBeforeOpen = counts
            counts.lines += 1
            counts.truncatedBytes += cutBytes
            batch.beginRow(arrival: arrival)
            open = true
            openStart = pos; openEnd = lineEnd
            openFlags = cut ? [.truncated] : []
            openSawException = false
            if cut { counts.truncated += 1 }
            // (Formats are called in place, by index in this parser's own array: copying one out
            // retains what it holds, and threads doing that per line fight over the counts.)
            if formatSlot >= 0, !perLine, formats[formatSlot].parse(line, into: &batch, scratch: scratch) {
                openFormat = formatSlot
                openJoins = formats[formatSlot].joinsContinuationLines
                if batch.hasPayload { readPayload(of: line, format: formatSlot, into: &batch) }
            } else {
                if formatSlot >= 0 && !perLine { batch.abandonRow() }
                openFormat = -1
                // A source read per line tries the format that fitted its last line first, and
                // its own (generic, the registry's last) last.
                if perLine, lastOther >= 0, tryFallback(lastOther, line, &batch, arrival: arrival) { openFormat = lastOther }
                if openFormat < 0 {
                    for k in formats.indices where k != formatSlot || perLine {
                        if k == lastOther && perLine { continue }
                        if tryFallback(k, line, &batch, arrival: arrival) {
                            openFormat = k
                            if perLine && k != formatSlot { lastOther = k }
                            break
                        }
                    }
                }
                if openFormat >= 0 {
                    openJoins = formats[openFormat].joinsContinuationLines
                    if batch.hasPayload { readPayload(of: line, format: openFormat, into: &batch) }
                }
                if openFormat < 0 {
                    batch.beginRow(arrival: arrival)
                    batch.setMessage(line)
                    openFormat = rawSlot
                    openJoins = false
                    openFlags.insert(.unparsed)
                    counts.unparsed += 1
                } else if openFormat != formatSlot {
                    counts.otherFormat += 1
                }
            }
            openPartial = openFormat < splitsLines.count && splitsLines[openFormat] && formats[openFormat].isPartial(line, scratch: scratch)
            formatCounts[openFormat] += 1
            counts.bytes += next - pos
            pos = next
        }
        if open {
            // A record that continuation lines could still extend waits for more bytes.
            if final || closeLastRecord || !openJoins || skippingLongLine {
                close(&batch)
            } else {
                batch.abandonRow()
                formatCounts[openFormat] -= 1
                counts = countsBeforeOpen
                pos = openStart
            }
        }
        return pos
    }

    /// The share of a source's sampled lines a format must parse to be chosen (below it, the
    /// source is read per line).
    public static let detectionFloor = 0.6

    /// How well `format` read the row just parsed into `batch`, for detection. A line a format
    /// parses counts 4; 2 more when it found the line's time, 1 more for its level, 1 more when
    /// a definition's pattern matched it whole: of formats that parse as many lines, the one
    /// that reads more of them wins (a time and a level beat a generic key=value reading; a load
    /// balancer's full pattern beats syslog taking its ISO time and first word as a host). The
    /// generic format, which finds a time in almost any line, counts 2 + 2 for its time + 1 for
    /// its level: below a format that reads a line's time, so that it wins only where the others
    /// parse little (a mixed file is read per line).
    static func score(_ format: any LogFormat, _ batch: RecordBatch) -> Int {
        if format is GenericFormat { return 2 + (batch.rowHasTime ? 2 : 0) + (batch.rowHasLevel ? 1 : 0) }
        return 4 + (batch.rowHasTime ? 2 : 0) + (batch.rowHasLevel ? 1 : 0) + (format is RegexFormat ? 1 : 0)
    }

    /// Parses the payload format `k` marked in the row — unless the line is the first part of a
    /// split one (CRI's `P`), whose whole text is parsed once the line that ends it joins it.
    private func readPayload(of line: ByteLine, format k: Int, into batch: inout RecordBatch) {
        if splitsLines[k] && formats[k].isPartial(line, scratch: scratch) {
            batch.returnPayload(batch.takePayload())
            return
        }
        SourceParser.parsePayload(formats, outer: k, last: &payloadFormat, misses: &payloadMisses, into: &batch, scratch: scratch)
    }

    /// Tries format `k` on a line that its source's format did not take. A definition that fitted
    /// none of this source's stray lines so far is tried on one in 64 only: dozens of patterns per
    /// unparseable line cost more than the line (a hand-written parser, or one that fitted, is
    /// always tried).
    private func tryFallback(_ k: Int, _ line: ByteLine, _ batch: inout RecordBatch, arrival: Int64) -> Bool {
        if fallbackMisses[k] >= 64 && fallbackMisses[k] & 63 != 0 { fallbackMisses[k] += 1; return false }
        batch.beginRow(arrival: arrival)
        if formats[k].parse(line, into: &batch, scratch: scratch) {
            fallbackMisses[k] = Int.min
            return true
        }
        if isDefinition[k] { fallbackMisses[k] &+= 1 }
        batch.abandonRow()
        return false
    }

    /// Parses the payload a format marked in the row being built (Docker's `log`, a compose or
    /// CRI line's message, JSON after a syslog header) with the other formats, adding the level,
    /// fields and (where the outer line has none) time it gives; the outer record's time and
    /// level stand. A JSON object is tried as JSON only; other text with the format that fitted
    /// the last payload, then every format — every one only one time in 64 once a run of
    /// payloads fitted none (plain text in a container's log).
    static func parsePayload(_ formats: [any LogFormat], outer: Int, last: inout Int, misses: inout Int,
                             into batch: inout RecordBatch, scratch: ParseScratch) {
        let payload = batch.takePayload()
        defer { batch.returnPayload(payload) }
        payload.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            var line = ByteLine(base: base, count: buf.count)
            while line.count > 0, line[line.count - 1] == ASCII.lf || line[line.count - 1] == ASCII.cr { line = line.slice(0, line.count - 1) }
            guard line.count > 0 else { return }
            // The payload's format gives the message (an nginx line's is its request); the
            // whole payload is the message again when no format fits it.
            batch.dropMessage()
            let outerLevel = batch.takeLevel()
            defer {
                if !batch.rowHasMessage { batch.setMessage(line) }
                batch.restoreLevel(outerLevel)
            }
            let state = batch.rowState()
            func attempt(_ k: Int) -> Bool {
                guard k >= 0, k < formats.count, k != outer || formats[k] is JSONFormat else { return false }
                if formats[k].parse(line, into: &batch, scratch: scratch) {
                    batch.keepOuter(state)
                    last = k
                    misses = 0
                    return true
                }
                batch.restore(state)
                return false
            }
            if line[0] == ASCII.lbrace {
                if let json = formats.firstIndex(where: { $0 is JSONFormat }) { _ = attempt(json) }
                return
            }
            if attempt(last) { return }
            if misses >= 64 && misses & 63 != 0 { misses += 1; return }
            // The format that reads most of it, as detection scores (a time and a level beat a
            // looser reading: PostgreSQL's line is not a syslog line with "[1]" as its host).
            var best = -1, bestScore = 0
            for k in formats.indices where k != outer && !(formats[k] is JSONFormat) {
                guard formats[k].parse(line, into: &batch, scratch: scratch) else { batch.restore(state); continue }
                let score = SourceParser.score(formats[k], batch)
                batch.restore(state)
                if score > bestScore { best = k; bestScore = score }
            }
            if attempt(best) { return }
            misses += 1
        }
    }

    /// Backs `end` off so that it does not split a UTF-8 sequence.
    static func utf8Boundary(_ all: ByteLine, _ start: Int, _ end: Int) -> Int {
        var e = end
        while e > start, e > end - 4, all[e] & 0xC0 == 0x80 { e -= 1 }
        return e
    }

    /// A split point at or after `offset` where a new record starts: after a line feed, before
    /// a line that is not a continuation. `buf.count` when there is none.
    public static func recordBoundary(_ buf: UnsafeBufferPointer<UInt8>, near offset: Int,
                                      continues: (ByteLine) -> Bool = Continuation.isContinuation) -> Int {
        guard let base = buf.baseAddress else { return 0 }
        let all = ByteLine(base: base, count: buf.count)
        var pos = offset
        while let nl = memchrIndex(all, ASCII.lf, from: pos) {
            let start = nl + 1
            guard start < all.count else { return all.count }
            var lineEnd = memchrIndex(all, ASCII.lf, from: start) ?? all.count
            if lineEnd > start, all[lineEnd - 1] == ASCII.cr { lineEnd -= 1 }
            let line = all.slice(start, lineEnd)
            if line.count > 0, !continues(line) { return start }
            pos = start
        }
        return all.count
    }

    /// `recordBoundary` by this source's rule: a format that says what starts its records
    /// (`record_start`: apt's history, a PHP error) is split only before one.
    public func recordBoundary(_ buf: UnsafeBufferPointer<UInt8>, near offset: Int) -> Int {
        guard formatSlot >= 0, !perLine, recordStarts[formatSlot] else { return SourceParser.recordBoundary(buf, near: offset) }
        let format = formats[formatSlot], scratch = scratch
        return SourceParser.recordBoundary(buf, near: offset) { format.continues($0, scratch: scratch) ?? Continuation.isContinuation($0) }
    }
}

/// Errors in what the user asked of the parse stage.
public enum ParseError: Error, CustomStringConvertible, Equatable {
    case unknownFormat(String, known: [String])
    /// `--format w3c` (zeek, csv, tsv) for a source without that header.
    case noHeader(String)

    public var description: String {
        switch self {
        case .unknownFormat(let name, let known):
            "unknown format '\(name)'; known formats: \(known.joined(separator: ", ")) (and common, nginx, syslog, log4j, w3c, zeek, csv, tsv)"
        case .noHeader(let kind):
            "--format \(kind): no \(kind == "w3c" ? "#Fields: header" : kind == "zeek" ? "#fields header" : "header line") in the source's first lines"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
