import Foundation
import Testing
@testable import LogdashEngine

/// Runs the SQL logic files in `logic/`: each loads records, then checks queries against
/// expected rows (or errors against expected messages).
///
///     load                         -- NDJSON (or any format) lines, up to a blank line
///     {"ts":"2026-11-27T14:00:00Z","status":200}
///
///     query                        -- SQL up to "----", then the expected rows
///     SELECT status FROM logs
///     ----
///     200
///
///     error                        -- SQL up to "----", then text the error message must contain
///     SELECT nope FROM logs
///     ----
///     unknown column 'nope'
///
/// Rows print as `|`-separated values; NULL is `NULL`; times are ISO 8601; `{segments}` in an
/// expected row is the number of segments the data was loaded into, `{threads}` what EXPLAIN
/// adds when an aggregation scans on two threads.
@Suite struct SQLLogicTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("logic")
    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasSuffix(".test") }.sorted()
    /// `now()` in the logic files: 2026-11-27T15:00:00Z.
    static let now = arrival

    struct Case {
        var kind: String
        var sql: String
        var expected: [String]
        var line: Int
    }

    @Test func thereAreLogicFiles() {
        #expect(Self.files.count >= 4)
    }

    enum Layout: String, CaseIterable, CustomStringConvertible {
        case oneSegment = "one segment"
        case segmentPerRecord = "a segment per record"
        case twoThreads = "a segment per record, aggregated on two threads"
        var description: String { rawValue }
    }

    /// Every file runs three times: all records in one segment; each record in a segment of its
    /// own (so that dictionaries, zone maps and groups are merged across segments); and so again
    /// with aggregations split over two threads and merged.
    @Test(arguments: files, Layout.allCases)
    func logicFile(_ name: String, layout: Layout) throws {
        let onePerSegment = layout != .oneSegment
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        var store = Store()
        var i = 0
        var cases = 0
        func block(until stop: (String) -> Bool) -> [String] {
            var out: [String] = []
            while i < lines.count, !stop(lines[i]) { out.append(lines[i]); i += 1 }
            return out
        }
        while i < lines.count {
            let line = lines[i]
            if line.hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty { i += 1; continue }
            let start = i + 1
            i += 1
            switch line {
            case _ where line == "load" || line.hasPrefix("load from "):
                var data = block { $0.isEmpty }.joined(separator: "\n") + "\n"
                if line.hasPrefix("load from ") {
                    // The first load block of another file: files share one dataset.
                    let other = try String(contentsOf: Self.directory.appendingPathComponent(String(line.dropFirst(10))), encoding: .utf8)
                    let otherLines = other.components(separatedBy: "\n")
                    guard let at = otherLines.firstIndex(of: "load") else { Issue.record("\(name):\(start): no load block in \(line)"); return }
                    data = otherLines[(at + 1)...].prefix { !$0.isEmpty }.joined(separator: "\n") + "\n"
                }
                store = Store()
                let options = ParseOptions()
                let bytes = Array(data.utf8)
                let detection = try bytes.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: Self.now) }
                let parser = SourceParser(options: options, detection: detection)
                let pieces = onePerSegment ? data.split(separator: "\n").map { Array(($0 + "\n").utf8) } : [bytes]
                for piece in pieces {
                    var batch = RecordBatch(source: "test.log")
                    _ = piece.withUnsafeBufferPointer { parser.parse($0, arrival: Self.now, final: true, into: &batch) }
                    store.append(batch)
                }
            case "query", "error":
                let sql = block { $0 == "----" }.joined(separator: "\n")
                i += 1
                // `{segments}` stands for the number of segments the data was loaded into.
                let segments = String(store.snapshot().segments.count)
                let expected = block { $0.isEmpty }.map {
                    $0.replacingOccurrences(of: "{segments}", with: segments)
                        .replacingOccurrences(of: "{threads}", with: layout == .twoThreads ? ", on 2 threads" : "")
                }
                cases += 1
                var engine = QueryEngine(snapshot: store.snapshot(), now: Self.now)
                if layout == .twoThreads { engine.parallelRows = 0 }
                if line == "query" {
                    do {
                        let r = try engine.execute(sql)
                        let got = r.rows.map { $0.map(Self.render).joined(separator: "|") }
                        #expect(got == expected, "\(name):\(start) (\(layout)): \(sql)")
                    } catch {
                        Issue.record("\(name):\(start): \(sql)\nunexpected error: \((error as? QueryError)?.rendered(in: sql) ?? "\(error)")")
                    }
                } else {
                    do {
                        let r = try engine.execute(sql)
                        Issue.record("\(name):\(start): \(sql)\nexpected an error, got \(r.rows.count) rows")
                    } catch let e as QueryError {
                        let want = expected.joined(separator: "\n")
                        #expect(e.rendered(in: sql).contains(want), "\(name):\(start): \(e.rendered(in: sql))")
                    }
                }
            default:
                Issue.record("\(name):\(i): unknown directive '\(line)'")
            }
        }
        #expect(cases > 0)
    }

    static func render(_ v: Value) -> String {
        switch v {
        case .null: "NULL"
        case .timestamp(let ns): Timestamp.iso8601(ns)
        default: v.description
        }
    }
}
