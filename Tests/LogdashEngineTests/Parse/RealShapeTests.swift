import Foundation
import Testing
import Yams
@testable import LogdashEngine

/// Real-shaped lines of every family logdash knows, written by hand from each format's
/// documentation with the values a correct parser gives (`RealShapes/lines.yaml`): each line
/// alone, detected as a new source would be, must give its time, level and key fields.
@Suite struct RealShapeTests {
    struct Entry: Sendable, CustomTestStringConvertible {
        let family: String
        let line: String
        let ts: String
        let level: String
        let fields: [(String, String)]
        var testDescription: String { family }
    }

    /// The reference for yearless times: 2026-12-06T12:00:00Z.
    static let reference: Int64 = Timestamp.make(year: 2026, month: 12, day: 6, hour: 12, minute: 0, second: 0)!

    static let entries: [Entry] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("RealShapes/lines.yaml")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        guard let list = (try? Yams.compose(yaml: text))?.sequence else { return [] }
        return list.compactMap { node in
            guard let m = node.mapping, let line = m["line"]?.string else { return nil }
            let fields = m["fields"]?.mapping.map { fm in fm.compactMap { k, v in k.string.flatMap { n in v.scalar.map { (n, $0.string) } } } } ?? []
            return Entry(family: m["family"]?.string ?? "?", line: line, ts: m["ts"]?.scalar?.string ?? "none",
                         level: m["level"]?.scalar?.string ?? "none", fields: fields)
        }
    }()

    @Test func theTableHoldsMoreThan150Lines() {
        #expect(Self.entries.count >= 150)
    }

    @Test(arguments: entries)
    func aRealLineGivesItsTimeLevelAndFields(_ e: Entry) throws {
        let r = try parse(e.line + "\n", at: Self.reference)
        let rec = try #require(r.records.first)
        let where_ = "\(e.line) — read as \(rec.format)"
        if e.ts == "none" {
            #expect(rec.flags.contains(.arrivalTime), "a time was found in: \(where_)")
        } else {
            let want = try #require(ByteLine.with(e.ts) { Timestamp.parse(text: $0, reference: 0) }, "bad ts in the table: \(e.ts)")
            #expect(!rec.flags.contains(.arrivalTime) && rec["ts"] == .timestamp(want),
                    "ts \(rec.flags.contains(.arrivalTime) ? "none" : rec["ts"]?.description ?? "-"), not \(e.ts), in: \(where_)")
        }
        let level = rec["level"]?.description ?? "none"
        #expect(level == e.level, "level \(level), not \(e.level), in: \(where_)")
        for (name, value) in e.fields {
            let got = rec[name]?.description ?? "null"
            #expect(got == value, "\(name) is \(got), not \(value), in: \(where_)")
        }
    }
}

/// The table's lines cut short, mutated and run together (a file of mixed formats, hostile bytes
/// in it) never crash a parser, and every line is accounted for.
@Suite struct RealShapePropertyTests {
    @Test func truncatedAndMutatedRealLinesNeverCrashAndEveryLineIsCounted() throws {
        let lines = RealShapeTests.entries.map { Array($0.line.utf8) } + FormatDefinition.builtin.flatMap { $0.samples.map { Array($0.line.utf8) } }
        try #require(lines.count > 400)
        var rng = SplitMix64(seed: 2026_12_06)
        for iteration in 0..<600 {
            var bytes: [UInt8] = []
            for _ in 0..<rng.int(1, 6) {
                var line = lines[rng.int(0, lines.count - 1)]
                switch rng.int(0, 3) {
                case 0: line = Array(line[..<rng.int(0, line.count)])  // cut short anywhere
                case 1:
                    for _ in 0..<rng.int(1, 6) where !line.isEmpty {
                        line[rng.int(0, line.count - 1)] = [0x00, 0x1B, 0xFF, 0x22, 0x5C, 0x7B, 0x5B, 0x3A, 0x40, 0x20, 0x39, 0x0D][rng.int(0, 11)]
                    }
                case 2: line += (0..<rng.int(1, 40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                default: break
                }
                bytes += line + [0x0A]
            }
            if iteration % 4 == 0 { bytes.removeLast() }  // an unfinished last line
            let chunk: Int? = iteration % 3 == 0 ? rng.int(1, 97) : nil
            let (r, s, _) = try parse(bytes: bytes, maxRecordBytes: iteration % 5 == 0 ? 96 : ParseOptions.defaultMaxRecordBytes, chunk: chunk,
                                      at: RealShapeTests.reference)
            #expect(s.bytes == bytes.count)
            #expect(r.count == s.records)
            #expect(s.lines == s.records + s.emptyLines + s.continuationLines)
            #expect(s.lines == bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count - (bytes.last == 0x0A ? 1 : 0))
        }
    }
}
