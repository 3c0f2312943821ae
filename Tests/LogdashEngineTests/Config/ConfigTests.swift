import Foundation
import Testing
@testable import LogdashEngine

@Suite struct ConfigTests {
    @Test func userFormatsLoadAndParse() throws {
        let yaml = #"""
        max_record_bytes: 4096
        sources: [demo://]
        formats:
          myapp:
            regex: '^(?<ts>\S+ \S+) \[(?<level>\w+)\] (?<message>.*?)(?: took=(?<took>\d+))?$'
            timestamp_format: '%Y-%m-%d %H:%M:%S'
            fields: { took: int }
            samples:
              - '2026-11-27 14:00:00 [WARN] slow took=12'
        """#
        let c = try Config.parse(yaml: yaml, file: "c.yaml")
        #expect(c.maxRecordBytes == 4096)
        #expect(c.sources == ["demo://"])
        #expect(c.formats.map(\.name) == ["myapp"])
        let (r, _, d) = try parse("2026-11-27 14:00:00 [WARN] slow took=12\n", registry: FormatRegistry(userFormats: c.formats))
        #expect(d.format == "myapp")
        #expect(r[0]["took"] == .int(12))
        #expect(r[0]["level"] == .string("warn"))
    }

    @Test func errorsNameTheKeyAndLine() throws {
        func problem(_ yaml: String) -> String {
            do { _ = try Config.parse(yaml: yaml, file: "c.yaml"); return "no error" } catch { return "\(error)" }
        }
        #expect(problem("colour: red").hasPrefix("c.yaml:1: colour: unknown key"))
        #expect(problem("max_record_bytes: lots").contains("max_record_bytes: must be a size"))
        #expect(try Config.parse(yaml: "max_record_bytes: 1M").maxRecordBytes == 1 << 20)
        #expect(try Config.parse(yaml: "ingest:\n  udp_buffer: 16M\n  request_timeout: 10s").ingest.udpBuffer == 16 << 20)
        #expect(problem("formats:\n  x:\n    timestamp_format: '%Y'").contains("formats.x.regex: is required"))
        #expect(problem("formats:\n  x:\n    regex: '(?<a>'").contains("formats.x.regex: does not compile"))
        #expect(problem("formats:\n  x:\n    regex: 'abc'").contains("has no named captures"))
        #expect(problem("formats:\n  x:\n    regex: '(?<a>.*)'\n    fields: { b: int }").contains("formats.x.fields.b: names no capture"))
        #expect(problem("formats:\n  x:\n    regex: '(?<a>.*)'\n    fields: { a: float }").contains("formats.x.fields.a: type must be one of"))
        #expect(problem("formats:\n  x:\n    regex: '(?<a>.*)'\n    timestamp_format: '%Q'").contains("unknown directive '%Q'"))
        #expect(problem("formats:\n  x:\n    regex: '^(?<a>\\d+)$'\n    samples: ['abc']").contains("formats.x.samples: sample does not match"))
        #expect(problem("formats:\n  json:\n    regex: '(?<a>.*)'").contains("'json' is a built-in format"))
        #expect(problem("a: [").contains("not valid YAML"))
        #expect(problem("bell: sometimes").hasPrefix("c.yaml:1: bell: true or false"))
        #expect(problem("ingest:\n  fsync: sometimes").hasPrefix("c.yaml:2: ingest.fsync: must be always, interval or never"))
        #expect(problem("ingest:\n  retain: forever").contains("ingest.retain: must be a duration"))
        #expect(problem("ingest:\n  max_store_size: huge").contains("ingest.max_store_size: must be a size"))
        #expect(problem("ingest:\n  max_memory: 10k").hasPrefix("c.yaml:2: ingest.max_memory: must be a size of at least 1M"))
        #expect(problem("ingest:\n  spill: sometimes").hasPrefix("c.yaml:2: ingest.spill: must be true or false"))
    }

    @Test func theMemoryBudgetKeysAreRead() throws {
        let c = try Config.parse(yaml: "ingest:\n  max_memory: 2G\n  spill: false", file: "c.yaml")
        #expect(c.ingest.maxMemory == 2 << 30 && c.ingest.spill == false)
        #expect(try Config.parse(yaml: "format: json", file: "c.yaml").ingest.maxMemory == nil)
    }

    @Test func theStoreKeysAreRead() throws {
        let c = try Config.parse(yaml: "ingest:\n  store: /var/lib/logdash\n  fsync: interval\n  retain: 7d\n  max_store_size: 10G", file: "c.yaml")
        #expect(c.ingest.store == "/var/lib/logdash" && c.ingest.fsync == .interval)
        #expect(c.ingest.retain == 7 * 86_400_000_000_000 && c.ingest.maxStoreSize == 10 << 30)
    }

    @Test func bellRingsUnlessTheConfigSaysNot() throws {
        #expect(try Config.parse(yaml: "format: json", file: "c.yaml").bell)
        #expect(try !Config.parse(yaml: "bell: false", file: "c.yaml").bell)
    }

    @Test func aMissingDefaultConfigIsFineButANamedOneIsNot() throws {
        #expect(try Config.load(path: "/nonexistent/config.yaml", required: false).formats.isEmpty)
        #expect(throws: ConfigError.self) { try Config.load(path: "/nonexistent/config.yaml", required: true) }
    }
}
