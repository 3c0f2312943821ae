import Foundation
import Testing
@testable import LogdashEngine
import Scratch

/// The formats written as data (`formats/*.yaml`): each loads, each sample gives what it says,
/// the embedded copies equal the files, and detection picks them.
@Suite struct FormatDefinitionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test(arguments: BuiltinFormats.sources.map(\.name))
    func everyBuiltInDefinitionLoadsAndItsSamplesGiveWhatTheySay(_ name: String) throws {
        let source = try #require(BuiltinFormats.sources.first { $0.name == name })
        let d = try FormatDefinition.parse(yaml: source.yaml, file: "formats/\(name).yaml")
        #expect(!d.samples.isEmpty, "\(name) ships no samples")
        #expect(d.samples.contains { !$0.expect.isEmpty }, "\(name): no sample says what it must yield")
        #expect(d.title != name, "\(name) has no title")
        #expect(d.check() == [])
    }

    @Test func theEmbeddedCopiesEqualTheFilesInFormats() throws {
        let dir = Self.root.appendingPathComponent("formats")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
        #expect(Set(files) == Set(BuiltinFormats.sources.map { "\($0.name).yaml" }), "run formats/embed.py")
        for (name, yaml) in BuiltinFormats.sources {
            let file = try String(contentsOf: dir.appendingPathComponent("\(name).yaml"), encoding: .utf8)
            #expect(file == yaml, "formats/\(name).yaml differs from its copy in BuiltinFormats.swift: run formats/embed.py")
        }
    }

    /// A source made of a definition's samples is detected as that format — or as a hand-written
    /// parser that gives every sample what the definition says (an accelerator, like java for
    /// Spark's lines).
    @Test(arguments: BuiltinFormats.sources.map(\.name))
    func aFileOfADefinitionsSamplesIsDetectedAsIt(_ name: String) throws {
        let d = try #require(FormatDefinition.builtin.first { $0.name == name })
        let text = Array((d.samples.map(\.line).joined(separator: "\n") + "\n").utf8)
        let options = ParseOptions()
        let detection = try text.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: FormatDefinition.sampleReference) }
        if let header = detection.header {
            // A file with a header that names its columns (IIS's #Fields:) is read by it.
            #expect(name == "iis" && header.kind == .w3c, "\(name)'s samples were detected as \(header.kind)")
            return
        }
        let chosen = try #require(detection.format.flatMap { options.registry.named($0) }, "\(name)'s samples were not recognised")
        if chosen.name != name {
            #expect(FormatRegistry.builtinNames.contains(chosen.name), "\(name)'s samples were detected as \(chosen.name)")
            #expect(d.check(with: chosen) == [], "\(name)'s samples were detected as \(chosen.name), which reads them otherwise")
        }
        #expect(detection.confidence == 1)
    }
}

@Suite struct FormatDefinitionKeysTests {
    /// `logdash formats` shows a sample line of each parser of logdash's own: each is detected
    /// as that parser, with a time.
    @Test(arguments: FormatRegistry.parsers.map { $0.name })
    func everyParsersSampleIsReadByIt(_ name: String) throws {
        let p = try #require(FormatRegistry.parsers.first { $0.name == name })
        let text = Array((p.sample + "\n").utf8)
        let options = ParseOptions()
        let detection = try text.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: FormatDefinition.sampleReference) }
        #expect(detection.format == name)
        let parser = try #require(options.registry.named(name))
        let record = try #require(FormatDefinition.record(p.sample, format: parser))
        #expect(record["ts"] != .timestamp(FormatDefinition.sampleReference), "\(name)'s sample gives no time")
    }

    /// A definition in the config file takes the new keys too (several patterns, a level map,
    /// what starts a record), and a bad one names the key.
    @Test func aConfigFormatTakesPatternsALevelMapAndARecordStart() throws {
        let config = try Config.parse(yaml: #"""
            formats:
              batch:
                patterns:
                  - '^JOB (?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?<level>[A-Z]) (?<message>.*)$'
                  - '^TASK (?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?<message>.*)$'
                level_map: { S: info, F: error }
                record_start: '^(JOB|TASK) '
                samples:
                  - line: 'JOB 2026-11-27 14:00:00 F nightly export failed'
                    expect: { level: error, message: nightly export failed }
            """#)
        let text = "JOB 2026-11-27 14:00:00 F nightly export failed\n  step 3: disk full\nTASK 2026-11-27 14:00:05 retry\n"
        let lines = try records(text, formats: config.formats)
        #expect(lines.count == 2)
        #expect(lines.first?["level"] == .string("error"))
        #expect(lines.first?["message"] == .string("nightly export failed\n  step 3: disk full"))
        #expect(throws: ConfigError.self) { try Config.parse(yaml: "formats:\n  x:\n    regex: '(?<message>.*)'\n    level_map: { E: loud }\n") }
    }

    @Test func definitionFilesInTheUsersDirectoryAreLoadedAndMustBeNamedAsTheirFile() throws {
        let dir = try Scratch.directory("formats")
        try "name: mine\ntitle: Mine\nregex: '^MINE (?<message>.*)$'\nsamples: ['MINE hello']\n".write(to: dir.appendingPathComponent("mine.yaml"), atomically: true, encoding: .utf8)
        let loaded = try FormatDefinition.load(directory: dir.path)
        #expect(loaded.map(\.name) == ["mine"] && loaded[0].title == "Mine")
        try "name: other\nregex: '^(?<message>.*)$'\n".write(to: dir.appendingPathComponent("wrong.yaml"), atomically: true, encoding: .utf8)
        do {
            _ = try FormatDefinition.load(directory: dir.path)
            Issue.record("a definition named unlike its file was taken")
        } catch let e as ConfigError {
            #expect(e.description.contains("wrong.yaml") && e.description.contains("must be the file's name"))
        }
    }

    /// The records a text gives with `formats` first (every column and field of each).
    func records(_ text: String, formats: [any LogFormat]) throws -> [[String: Value]] {
        let bytes = Array(text.utf8)
        let options = ParseOptions(registry: FormatRegistry(userFormats: formats))
        let d = try bytes.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: FormatDefinition.sampleReference) }
        var batch = RecordBatch(source: "t")
        _ = bytes.withUnsafeBufferPointer { SourceParser(options: options, detection: d).parse($0, arrival: FormatDefinition.sampleReference, final: true, into: &batch) }
        batch.finish()
        return (0..<batch.count).map { r in
            var out: [String: Value] = [:]
            for n in ["ts", "level", "message"] { out[n] = batch.value(n, at: r) }
            for c in batch.fields { out[c.name] = c.value(at: r) }
            return out
        }
    }
}

@Suite struct FormatDefinitionReadmeTests {
    /// The README's example definition loads, and its samples give what they say.
    @Test func theReadmesExampleDefinitionLoadsAndHoldsItsSamples() throws {
        let readme = try String(contentsOf: FormatDefinitionTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "#### Writing a format"))
        let rest = readme[section.upperBound...]
        let start = try #require(rest.range(of: "```yaml\n")), end = try #require(rest.range(of: "```", range: start.upperBound..<rest.endIndex))
        let yaml = String(rest[start.upperBound..<end.lowerBound])
        let d = try FormatDefinition.parse(yaml: yaml, file: "batch.yaml")
        #expect(d.samples.count == 2)
        #expect(d.check() == [])
    }
}
