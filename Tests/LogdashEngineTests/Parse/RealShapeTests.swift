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
