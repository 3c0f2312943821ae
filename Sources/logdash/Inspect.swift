import ArgumentParser
import Foundation
import LogdashEngine
import LogdashUI

/// `logdash inspect`: what logdash makes of each source.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show, per source, the detected format, its fields and types, and how every line was parsed.",
        discussion: """
            Reads each source to its end. Example:
              logdash inspect /var/log/nginx/access.log app.json.log.gz
            """
    )

    enum Output: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var input: InputOptions

    @Option(name: .shortAndLong, help: "text or json.")
    var output: Output = .text

    @Argument(help: "Files, globs, '-' (stdin) or demo://.")
    var sources: [String] = []

    func run() throws {
        let (config, options) = try input.resolve()
        let specs = try input.sources(sources, config: config, liveDemo: false)
        var reports: [SourceReport] = []
        for spec in specs {
            var report = SourceReport()
            // The transform stage's steps, counted for this source's records.
            let chain = options.transforms?.fresh()
            let result = try SourceLoader.run(spec, options: options) { batch in
                report.add(batch)
                if let chain { report.addTransformed(chain.apply(Segment(batch), now: options.now())) }
            }
            report.result = result
            // Lines shown are masked as the records are.
            if let chain {
                report.unparsedExamples = report.unparsedExamples.map { chain.maskText($0, source: result.source) }
                // Field names as parsed can hold what is masked too (`{"ann@example.com": 1}`).
                var masked: [String: SourceReport.Field] = [:]
                for var f in report.fields.values {
                    f.name = chain.maskText(f.name, source: result.source)
                    if var other = masked[f.name] { other.count += f.count; other.order = min(other.order, f.order); masked[f.name] = other } else { masked[f.name] = f }
                }
                report.fields = masked
            }
            report.transforms = chain.map { c in zip(c.steps, c.counts).map { ($0.label, $1) } } ?? []
            reports.append(report)
        }
        let registry = options.parse.registry
        let text = output == .json ? json(reports, registry) : reports.map { describe($0, registry) }.joined(separator: "\n")
        print(text)
    }

    /// An unparsed line, and the format that came nearest to it: how far its pattern fits, and
    /// the text where it stops (control characters shown visibly).
    static func nearest(_ line: String, _ registry: FormatRegistry, own: String?) -> String {
        func shown(_ s: Substring, _ max: Int) -> String {
            let v = VisibleText.escape(String(s.prefix(max)))
            return s.count > max ? v + "…" : v
        }
        guard let near = registry.nearest(to: line, preferring: own) else {
            let mine = own.flatMap { $0 == "generic" ? nil : $0 }
            return "\"\(shown(line[...], 60))\" — " + (mine.map { "not a \($0) line, and " } ?? "") + "no format fits more than its first bytes"
        }
        if near.name == "json" && near.fitted == 0 {
            return "\"\(shown(line[...], 60))\" — nearest json: " + (line.hasPrefix("{") ? "not a whole JSON object (cut short or malformed)" : "not a JSON object")
        }
        let bytes = Array(line.utf8)
        let cut = String(decoding: bytes[near.fitted...], as: UTF8.self)
        let head = String(decoding: bytes[..<near.fitted], as: UTF8.self)
        return "\"\(shown(line[...], 60))\" — nearest \(near.name): its first \(near.fitted) bytes fit (\"…\(shown(head.suffix(20)[...], 20))\"), not from \"\(shown(cut[...], 24))\""
    }

    /// The zone a source's times without one were read in: its format's own, else the source's.
    private func zone(_ d: Detection, _ registry: FormatRegistry) -> (name: String, ownFormat: Bool) {
        if let z = d.format.flatMap({ registry.named($0) as? RegexFormat })?.zone { return (z.identifier, true) }
        return (d.zoneName, false)
    }

    private func describe(_ r: SourceReport, _ registry: FormatRegistry) -> String {
        guard let res = r.result else { return "" }
        let s = res.stats, d = res.detection
        func pct(_ n: Int, _ of: Int) -> String { of == 0 ? "0%" : String(format: "%.1f%%", Double(n) * 100 / Double(of)) }
        var lines = [VisibleText.escape(res.source)]
        let format = d.format.map { "\($0) (\(d.forced ? "forced" : "confidence \(pct(Int((d.confidence * Double(d.sampled)).rounded()), d.sampled)) of \(d.sampled) sampled lines"))"
            + ($0 == "generic" && !d.forced ? "; read per line, each by the format that fits it" : "") }
            ?? "none recognised (\(d.sampled) lines sampled)"
        lines.append("  format       \(format)")
        if !d.runnersUp.isEmpty {
            lines.append("  runners-up   " + d.runnersUp.map { "\($0.name) (\(pct(Int(($0.share * Double(d.sampled)).rounded()), d.sampled)))" }.joined(separator: ", "))
        }
        let z = zone(d, registry)
        lines.append("  time zone    \(z.name) (of times written without one\(z.ownFormat ? ": the format's own" : ""))")
        lines.append("  bytes        \(s.bytes)")
        lines.append("  lines        \(s.lines) (records \(s.records), continuation \(s.continuationLines), empty \(s.emptyLines))")
        let own = d.format.map { s.perFormat[$0] ?? 0 } ?? 0
        lines.append("  parsed       \(own) by \(d.format ?? "-") (\(pct(own, s.records))), \(s.otherFormat) by other formats"
                     + (s.otherFormat > 0 ? " [" + s.perFormat.filter { $0.key != d.format && $0.key != "raw" && $0.value > 0 }
                        .sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "]" : ""))
        lines.append("  fell back    \(s.unparsed) (\(pct(s.unparsed, s.records))) kept as raw records")
        // (A source read per line: the definition that read most of its lines is its own here.)
        let nearestOwn = d.format == "generic" && !d.forced
            ? s.perFormat.filter { registry.named($0.key) is RegexFormat && $0.value > 0 }.max { $0.value < $1.value }?.key ?? d.format
            : d.format
        for example in r.unparsedExamples {
            lines.append("    e.g.       " + Inspect.nearest(example, registry, own: nearestOwn))
        }
        lines.append("  truncated    \(s.truncated) records (\(s.truncatedBytes) bytes cut)")
        if let lo = r.minTs, let hi = r.maxTs {
            lines.append("  time range   \(Timestamp.iso8601(lo)) … \(Timestamp.iso8601(hi))"
                         + (r.arrivalTimeRows > 0 ? " (\(r.arrivalTimeRows) records without a time of their own use arrival time)" : ""))
        }
        lines.append("  fields       name                         type       present")
        for f in r.orderedFields() {
            let name = VisibleText.escape(f.name)
            lines.append("               " + name.padding(toLength: max(29, name.count + 1), withPad: " ", startingAt: 0)
                         + f.type.description.padding(toLength: 11, withPad: " ", startingAt: 0)
                         + "\(f.count) (\(pct(f.count, s.records)))")
        }
        if !r.transforms.isEmpty {
            // What the records hold once the steps have run: what SQL and the dashboard see.
            lines.append("  after transforms")
            for f in r.transformedFields.values.sorted(by: { $0.order < $1.order }) {
                let name = VisibleText.escape(f.name)
                lines.append("               " + name.padding(toLength: max(29, name.count + 1), withPad: " ", startingAt: 0)
                             + f.type.description.padding(toLength: 11, withPad: " ", startingAt: 0)
                             + "\(f.count) (\(pct(f.count, r.transformedRecords)) of \(r.transformedRecords))")
            }
        }
        for (k, (label, c)) in r.transforms.enumerated() {
            let masked = c.masked.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            lines.append((k == 0 ? "  transforms   " : "               ") + "\(label): \(c.recordsIn) in, \(c.recordsOut) out"
                         + (c.failed > 0 ? ", \(c.failed) failed (see _transform_error)" : "") + (masked.isEmpty ? "" : "; masked \(masked)"))
        }
        return lines.joined(separator: "\n")
    }

    private func json(_ reports: [SourceReport], _ registry: FormatRegistry) -> String {
        var out: [Any] = []
        for r in reports {
            guard let res = r.result else { continue }
            let s = res.stats
            var o: [String: Any] = [
                "source": res.source,
                "format": res.detection.format as Any? ?? NSNull(),
                "confidence": res.detection.confidence,
                "sampled": res.detection.sampled,
                "forced": res.detection.forced,
                "timezone": zone(res.detection, registry).name,
                "runners_up": res.detection.runnersUp.map { ["format": $0.name, "share": $0.share] as [String: Any] },
                "bytes": s.bytes, "lines": s.lines, "records": s.records, "continuation_lines": s.continuationLines,
                "empty_lines": s.emptyLines, "unparsed": s.unparsed, "other_format": s.otherFormat,
                "truncated": s.truncated, "truncated_bytes": s.truncatedBytes, "per_format": s.perFormat,
                "fields": r.orderedFields().map { ["name": $0.name, "type": $0.type.description, "present": $0.count] as [String: Any] },
            ]
            if let lo = r.minTs, let hi = r.maxTs { o["time_range"] = [Timestamp.iso8601(lo), Timestamp.iso8601(hi)] }
            if !r.transforms.isEmpty {
                o["fields_after_transforms"] = r.transformedFields.values.sorted { $0.order < $1.order }
                    .map { ["name": $0.name, "type": $0.type.description, "present": $0.count] as [String: Any] }
                o["records_after_transforms"] = r.transformedRecords
                o["transforms"] = r.transforms.map { label, c in
                    ["step": label, "records_in": c.recordsIn, "records_out": c.recordsOut, "failed": c.failed, "masked": c.masked] as [String: Any]
                }
            }
            out.append(o)
        }
        let data = (try? JSONSerialization.data(withJSONObject: out, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Field statistics gathered over a source's batches.
struct SourceReport {
    struct Field { var name: String; var type: ColumnType; var count: Int; var order: Int }
    var fields: [String: Field] = [:]
    var minTs: Int64?
    var maxTs: Int64?
    var arrivalTimeRows = 0
    var result: LoadResult?
    /// What each transform step did to the source's records.
    var transforms: [(label: String, counts: TransformChain.StepCounts)] = []
    /// The first lines no format parsed (for "nearest format").
    var unparsedExamples: [String] = []

    mutating func add(_ b: RecordBatch) {
        func note(_ name: String, _ type: ColumnType, _ count: Int) {
            guard count > 0 else { return }
            if var f = fields[name] {
                f.type = f.type.widened(with: type); f.count += count; fields[name] = f
            } else {
                fields[name] = Field(name: name, type: type, count: count, order: fields.count)
            }
        }
        note("ts", .timestamp, b.count)
        note("host", .string, b.host.nonNullCount)
        note("level", .string, b.levels.reduce(0) { $0 + ($1 != 0 ? 1 : 0) })
        note("message", .string, b.message.nonNullCount)
        for c in b.fields { note(c.name, c.type, c.nonNullCount) }
        for row in 0..<b.count {
            if unparsedExamples.count < 3, b.flags[row].contains(.unparsed), case .string(let raw)? = b.value("raw", at: row) {
                unparsedExamples.append(String(raw.prefix(4096)))
            }
            if b.flags[row].contains(.arrivalTime) { arrivalTimeRows += 1; continue }
            let t = b.ts[row]
            if minTs == nil || t < minTs! { minTs = t }
            if maxTs == nil || t > maxTs! { maxTs = t }
        }
    }

    func orderedFields() -> [Field] { fields.values.sorted { $0.order < $1.order } }

    /// The fields of the records after the transform steps (core columns but `ts`, `host`,
    /// `level` and `message` left out; `_transform_error` only when a step failed).
    var transformedFields: [String: Field] = [:]
    var transformedRecords = 0

    mutating func addTransformed(_ seg: Segment) {
        transformedRecords += seg.rowCount
        for c in seg.schema where !["ingest_ts", "source", "raw"].contains(c.name) {
            let count = seg.columns[c.name]?.nonNullCount ?? 0
            guard count > 0 || (transformedFields[c.name] == nil && c.name != "_transform_error") else { continue }
            if var f = transformedFields[c.name] {
                f.type = f.type.widened(with: c.type); f.count += count; transformedFields[c.name] = f
            } else {
                transformedFields[c.name] = Field(name: c.name, type: c.type, count: count, order: transformedFields.count)
            }
        }
    }
}
