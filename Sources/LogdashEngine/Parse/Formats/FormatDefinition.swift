import Foundation
import Yams

/// A log format written as data: a file of `formats/` (built in), of
/// `$XDG_CONFIG_HOME/logdash/formats/`, or an entry of the config's `formats:` — the same keys
/// in each. Its sample lines must parse when it loads; those that say what they must yield
/// (`expect:`) are checked by the tests (`check()`).
///
/// ```yaml
/// name: spark
/// title: Apache Spark and Hadoop (log4j, yy/MM/dd)
/// regex: '^(?<ts>\d\d/\d\d/\d\d \d\d:\d\d:\d\d) (?<level>[A-Z]+) (?<logger>[^:\s]+): (?<message>.*)$'
/// timestamp_format: '%y/%m/%d %H:%M:%S'
/// samples:
///   - line: '17/06/09 20:10:40 INFO executor.Executor: Running task 0.0'
///     expect: { ts: '2017-06-09T20:10:40.000Z', level: info, logger: executor.Executor }
/// ```
public struct FormatDefinition: Sendable {
    public let name: String
    public let title: String
    public let format: RegexFormat
    public let samples: [Sample]
    /// The definition's text (a file's whole YAML; empty for one from the config file).
    public let text: String

    public struct Sample: Sendable {
        public let line: String
        /// Column or field name → the value it must have, as `logdash query` prints it (times
        /// in ISO 8601 UTC with milliseconds; `null` for none).
        public let expect: [(name: String, value: String)]
    }

    /// Every key a definition may have.
    public static let keys = ["name", "title", "regex", "patterns", "timestamp_field", "timestamp_format", "level_field", "level_map",
                              "message_field", "fields", "multiline", "record_start", "timezone", "payload", "json", "host_field", "partial_tag", "samples"]

    /// What the samples' times are read against (a yearless time takes the year that puts it
    /// at or before this): 2026-11-27T12:00:00Z.
    public static let sampleReference: Int64 = 1_795_780_800_000_000_000

    /// The built-in definitions (`formats/`, embedded).
    public static let builtin: [FormatDefinition] = BuiltinFormats.sources.map { source in
        do {
            return try parse(yaml: source.yaml, file: "formats/\(source.name).yaml")
        } catch {
            fatalError("built-in format \(source.name): \(error)")  // the tests load every one
        }
    }

    /// Reads the built-in definitions on another thread, so that they are ready when a
    /// command reads its first line (the main thread meanwhile reads its options, its config
    /// and its lookup tables); whoever asks for them first waits for that reading, not a second.
    public static func prepareInBackground() {
        Thread.detachNewThread { _ = FormatDefinition.builtin }
    }

    /// The definitions in a directory (`$XDG_CONFIG_HOME/logdash/formats/*.yaml`), by file name.
    public static func load(directory: String) throws -> [FormatDefinition] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        return try names.map { n in
            let path = (directory as NSString).appendingPathComponent(n)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError(file: path, key: nil, line: nil, problem: "cannot be read")
            }
            return try parse(yaml: String(decoding: data, as: UTF8.self), file: path)
        }
    }

    /// `$XDG_CONFIG_HOME/logdash/formats` (or `~/.config/logdash/formats`).
    public static var userDirectory: String {
        (Config.defaultPath as NSString).deletingLastPathComponent + "/formats"
    }

    /// A definition file (`formats/NAME.yaml`): its `name` must be the file's.
    public static func parse(yaml: String, file: String) throws -> FormatDefinition {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let e as YamlError {
            throw ConfigError(file: file, key: nil, line: nil, problem: "not valid YAML: \(e)")
        }
        func fail(_ key: String, _ node: Node?, _ problem: String) -> ConfigError {
            ConfigError(file: file, key: key, line: node?.mark.map { $0.line }, problem: problem)
        }
        guard let root, let m = root.mapping else { throw fail("(top level)", root, "must be a mapping with 'name' and 'regex'") }
        guard let nameNode = m["name"], let name = nameNode.string, !name.isEmpty else {
            throw fail("name", root, "is required: the format's name, as --format takes it")
        }
        let base = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        guard base == name else { throw fail("name", nameNode, "'\(name)' must be the file's name (\(base))") }
        return try parse(name: name, node: root, at: "", text: yaml, fail: fail)
    }

    /// A definition's keys from a mapping; `at` prefixes the keys named in errors (`formats.myapp`).
    static func parse(name: String, node: Node, at: String, text: String = "",
                      fail: (String, Node?, String) -> ConfigError) throws -> FormatDefinition {
        func path(_ key: String) -> String { at.isEmpty ? key : "\(at).\(key)" }
        guard let m = node.mapping else { throw fail(at.isEmpty ? "(top level)" : at, node, "must be a mapping with at least 'regex'") }
        var patterns: [(String, Node)] = [], tsField = "ts", tsFormats: [TimeFormat] = [], levelField = "level", messageField = "message"
        var title = name, levelMap: [String: Level] = [:], recordStart: PCRERegex?, zone: LocalZone?, payload = false, json = false, hostField = "host", partialTag: String?
        var types: [String: RegexFormat.FieldType] = [:], multiline = true, samples: [(Sample, Node)] = []
        for (k, v) in m {
            guard let key = k.string else { throw fail(path("(keys)"), k, "keys must be strings") }
            let here = path(key)
            switch key {
            case "name":
                guard at.isEmpty else { throw fail(here, k, "the format's name is its key under formats:") }
            case "title":
                guard let s = v.string, !s.isEmpty else { throw fail(here, v, "must be a line of text") }
                title = s
            case "regex":
                guard let s = v.string, !s.isEmpty else { throw fail(here, v, "must be a regular expression") }
                patterns.insert((s, v), at: 0)
            case "patterns":
                guard let seq = v.sequence, !seq.isEmpty else { throw fail(here, v, "must be a list of regular expressions, tried in order") }
                for item in seq {
                    guard let s = item.string, !s.isEmpty else { throw fail(here, item, "each pattern must be a regular expression") }
                    patterns.append((s, item))
                }
            case "timestamp_field":
                guard let s = v.string else { throw fail(here, v, "must be a capture name") }
                tsField = s
            case "timestamp_format":
                let items = v.sequence.map(Array.init) ?? [v]
                for item in items {
                    guard let s = item.string else { throw fail(here, item, "must be a strptime-style pattern such as '%Y-%m-%d %H:%M:%S' (or a list of them)") }
                    do { tsFormats.append(try TimeFormat(s)) } catch { throw fail(here, item, "\(error)") }
                }
            case "level_field":
                guard let s = v.string else { throw fail(here, v, "must be a capture name") }
                levelField = s
            case "level_map":
                guard let lm = v.mapping else { throw fail(here, v, "must map level text to a level (E: error, 30: info)") }
                for (lk, lv) in lm {
                    guard let text = lk.string, let l = lv.string.flatMap({ w in Level.allCases.first { $0.name == w.lowercased() } }) else {
                        throw fail("\(here).\(lk.string ?? "?")", lv, "must be one of \(Level.allCases.map(\.name).joined(separator: ", "))")
                    }
                    levelMap[text] = l
                }
            case "message_field":
                guard let s = v.string else { throw fail(here, v, "must be a capture name") }
                messageField = s
            case "fields":
                guard let fm = v.mapping else { throw fail(here, v, "must map capture names to types") }
                for (fk, fv) in fm {
                    guard let f = fk.string, let t = fv.string.flatMap(RegexFormat.FieldType.init(rawValue:)) else {
                        throw fail("\(here).\(fk.string ?? "?")", fv,
                                   "type must be one of \(RegexFormat.FieldType.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    types[f] = t
                }
            case "multiline":
                guard let b = v.bool else { throw fail(here, v, "must be true or false") }
                multiline = b
            case "record_start":
                guard let p = v.string, !p.isEmpty else { throw fail(here, v, "must be a regular expression matching the first line of a record") }
                do { recordStart = try PCRERegex(p) } catch { throw fail(here, v, "does not compile: \(error)") }
            case "timezone":
                zone = try Config.zone(v, here, fail)
            case "partial_tag":
                guard let s = v.string, !s.isEmpty else { throw fail(here, v, "must be the value of the tag capture that marks a line continued by the next (CRI's P)") }
                partialTag = s
            case "json":
                guard let b = v.bool else { throw fail(here, v, "must be true or false (whether lines are JSON objects whose keys the *_field keys name)") }
                json = b
            case "host_field":
                guard let s = v.string else { throw fail(here, v, "must be a key") }
                hostField = s
            case "payload":
                guard let b = v.bool else { throw fail(here, v, "must be true or false (whether the message is a log line to parse again)") }
                payload = b
            case "samples":
                guard let seq = v.sequence else { throw fail(here, v, "must be a list of example lines") }
                for item in seq {
                    if let s = item.string {
                        samples.append((Sample(line: s, expect: []), item))
                        continue
                    }
                    guard let sm = item.mapping, let line = sm["line"]?.string else {
                        throw fail(here, item, "each sample is a line, or a mapping with 'line' and 'expect'")
                    }
                    var expect: [(String, String)] = []
                    if let e = sm["expect"] {
                        guard let em = e.mapping else { throw fail("\(here).expect", e, "must map column names to the values the line gives") }
                        for (ek, ev) in em {
                            guard let n = ek.string, let value = ev.scalar?.string else { throw fail("\(here).expect", ev, "values must be plain text") }
                            expect.append((n, value))
                        }
                    }
                    samples.append((Sample(line: line, expect: expect), item))
                }
            default:
                throw fail(here, k, "unknown key; known keys: \(keys.filter { at.isEmpty || $0 != "name" }.joined(separator: ", "))")
            }
        }
        if json && !patterns.isEmpty { throw fail(path("json"), node, "a JSON definition names keys, not patterns: drop regex/patterns") }
        guard !patterns.isEmpty || json else { throw fail(path("regex"), node, "is required (or json: true with the keys named by timestamp_field, level_field, message_field, host_field)") }
        var regexes: [PCRERegex] = []
        for (p, n) in patterns {
            do { regexes.append(try PCRERegex(p)) } catch {
                throw fail(path(patterns.count == 1 ? "regex" : "patterns"), n, "does not compile: \(error)")
            }
            if regexes.last!.names.isEmpty { throw fail(path("regex"), n, "has no named captures such as (?<message>.*)") }
        }
        let captureNames = Set(regexes.flatMap { $0.names.map(\.name) })
        for f in types.keys where !captureNames.contains(f) && !json {
            throw fail(path("fields.\(f)"), node, "names no capture of the regex (captures: \(captureNames.sorted().joined(separator: ", ")))")
        }
        if partialTag != nil && !captureNames.contains("tag") {
            throw fail(path("partial_tag"), node, "needs a capture named tag")
        }
        if !tsFormats.isEmpty && !captureNames.contains(tsField) && !json {
            throw fail(path("timestamp_field"), node, "'\(tsField)' is not a capture of the regex")
        }
        let format = RegexFormat(name: name, regexes: regexes, timestampField: tsField, timestampFormats: tsFormats,
                                 levelField: levelField, messageField: messageField, types: types, levelMap: levelMap,
                                 recordStart: recordStart, timezone: zone, payload: payload, multiline: multiline, json: json, hostField: hostField, partialTag: partialTag)
        // Every sample must parse, so that a wrong pattern is found at load time, not on live data.
        let definition = FormatDefinition(name: name, title: title, format: format, samples: samples.map(\.0), text: text)
        for (sample, n) in samples where definition.parse(sample.line) == nil {
            throw fail(path("samples"), n, "sample does not match the format: \(sample.line)")
        }
        return definition
    }

    /// The record a line gives: every column and field by name; nil when the format does not fit it.
    public func parse(_ line: String, reference: Int64 = FormatDefinition.sampleReference) -> [String: Value]? {
        FormatDefinition.record(line, format: format, reference: reference)
    }

    /// The record `format` makes of a line: every column and field by name; nil when it does not fit.
    public static func record(_ line: String, format: any LogFormat, reference: Int64 = FormatDefinition.sampleReference) -> [String: Value]? {
        var batch = RecordBatch(source: "sample")
        batch.beginRow(arrival: reference)
        let ok = ByteLine.with(line) { format.parse($0, into: &batch, scratch: ParseScratch()) }
        guard ok else { return nil }
        ByteLine.with(line) { batch.commitRow(raw: $0, arrival: reference, format: 0, flags: []) }
        batch.finish()
        var out: [String: Value] = [:]
        for name in ["ts", "level", "message", "host"] { out[name] = batch.value(name, at: 0) }
        for c in batch.fieldsByPrecedence where out[c.name] == nil || out[c.name] == .null { out[c.name] = c.value(at: 0) }
        return out
    }

    /// What the samples' expectations say and the format (or `other`, a parser that stands in
    /// for it) does not give (empty: none).
    public func check(with other: (any LogFormat)? = nil) -> [String] {
        var problems: [String] = []
        for s in samples {
            guard let record = FormatDefinition.record(s.line, format: other ?? format) else {
                problems.append("\(name): does not parse: \(s.line)")
                continue
            }
            for (n, want) in s.expect {
                let got = record[n].map { $0 == .null ? "null" : $0.description } ?? "null"
                if got != want { problems.append("\(name): \(n) is '\(got)', not '\(want)', in: \(s.line)") }
            }
        }
        return problems
    }
}
