import Foundation
import Scratch
import Testing
@testable import LogdashEngine

/// The archive's JSON lines are written from the segments' columns as stored (issue 26: delivery
/// speed): they must be the lines the query engine's values give — every value read as the
/// table's type (an int column of one segment in a double column), texts escaped (quotes,
/// backslashes, control characters, DEL) in dictionary columns and plain ones, NULLs left out,
/// times as ISO 8601 — and a time range must keep exactly the records the engine keeps.
@Suite struct ArchiveExportTests {
    /// What the archive held before it read columns directly: each record as the engine's values.
    static func reference(_ snapshot: StoreSnapshot, timeRange: (Int64, Int64)? = nil) throws -> [String] {
        let columns = snapshot.schema.filter { $0.name != "raw" }
        let list = columns.map { "\"\($0.name)\"" }.joined(separator: ", ")
        let rows = try QueryEngine(snapshot: snapshot, timeRange: timeRange).execute("SELECT \(list) FROM logs ORDER BY ts").rows
        return rows.map { row in
            var line: [UInt8] = [UInt8(ascii: "{")]
            var first = true
            for (k, v) in row.enumerated() where v != .null {
                if !first { line.append(UInt8(ascii: ",")) }
                first = false
                Archive.appendJSONString(columns[k].name, to: &line)
                line.append(UInt8(ascii: ":"))
                _ = Archive.appendJSON(v, to: &line)
            }
            line.append(UInt8(ascii: "}"))
            return String(decoding: line, as: UTF8.self)
        }
    }

    static func exported(_ snapshot: StoreSnapshot, timeRange: (Int64, Int64)? = nil) throws -> [String] {
        let dir = try Scratch.directory("archive-export").path
        let summary = try Archive.export(snapshot, to: dir, timeRange: timeRange)
        var lines: [String] = []
        for file in summary.files {
            let text = String(decoding: try run("/bin/sh", ["-c", "gzip -dc '\(file)'"]).out, as: UTF8.self)
            lines += text.split(separator: "\n").map(String.init)
        }
        #expect(lines.count == summary.records)
        return lines
    }

    @Test func theArchiveFromColumnsIsTheArchiveOfTheEnginesValues() throws {
        let texts = ["plain", "say \"hi\"", "back\\slash", "tab\there", "new\nline", "bell\u{7}", "del\u{7F}", "café", "K\u{212A}", "😀 emoji", ""]
        var lines: [String] = []
        for i in 0..<120 {
            let t = "2026-11-27T\(String(format: "%02d", 9 + i / 40)):\(String(format: "%02d", i % 60)):00.\(String(format: "%03d", i))Z"
            // Segment by segment (chunks of 30): `n` an int, then a double; `mixed` a text, then a number.
            let n = i < 30 ? "\(i)" : "\(Double(i) + 0.25)"
            let mixed = i < 60 ? "\"w\(i % 3)\"" : "\(i)"
            let text = texts[i % texts.count]
            let escaped = String(data: try JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed]), encoding: .utf8)!.dropFirst().dropLast()
            let unique = "\"u\(i)-\(escaped.dropFirst().dropLast())\""
            var fields = [#""ts":"\#(t)""#, #""n":\#(n)"#, #""mixed":\#(mixed)"#, #""text":\#(escaped)"#, #""id":\#(unique)"#, #""ok":\#(i % 2 == 0)"#]
            if i % 7 == 0 { fields.append(#""rare":null"#) } else if i % 5 == 0 { fields.append(#""rare":"r\#(i)""#) }
            lines.append("{" + fields.joined(separator: ",") + "}")
        }
        let store = try LogdashEngineTests.store(lines: lines, at: arrival, chunk: 30)
        let snapshot = store.snapshot()
        #expect(snapshot.segments.contains { $0.columns["text"]?.isDictionary == true })
        #expect(snapshot.segments.contains { $0.columns["id"]?.isDictionary == false })
        let expected = try Self.reference(snapshot)
        #expect(expected.count == 120)
        let archived = try Self.exported(snapshot)
        #expect(archived == expected)
        // The lines are JSON that gives the texts back, with no control character left raw.
        for line in archived {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let i = Int((object?["id"] as? String ?? "").dropFirst().prefix { $0.isNumber }) ?? -1
            #expect(i >= 0 && object?["text"] as? String == texts[i % texts.count], "\(line)")
            #expect(!line.utf8.contains { $0 < 0x20 || $0 == 0x7F }, "\(line)")
        }
        #expect(archived.contains { $0.contains(#""text":"del\u007f""#) && $0.contains(#""id":"u6-del\u007f""#) })
        // A time range: the records the engine keeps in it, bounds included.
        let lo = Timestamp.make(year: 2026, month: 11, day: 27, hour: 9, minute: 30, second: 0)!
        let hi = Timestamp.make(year: 2026, month: 11, day: 27, hour: 10, minute: 10, second: 0)! + 10_000_000
        let ranged = try Self.reference(snapshot, timeRange: (lo, hi))
        #expect(!ranged.isEmpty && ranged.count < 120)
        #expect(try Self.exported(snapshot, timeRange: (lo, hi)) == ranged)
        // Parts bounded in size: an hour goes on in more parts, the records the same.
        let dir = try Scratch.directory("archive-bounded").path
        let bounded = try Archive.export(snapshot, to: dir, partBytes: 4096)
        #expect(bounded.files.count > Set(bounded.files.map { ($0 as NSString).deletingLastPathComponent }).count)
        var parts: [String] = []
        for file in bounded.files {
            let text = String(decoding: try run("/bin/sh", ["-c", "gzip -dc '\(file)'"]).out, as: UTF8.self)
            #expect(text.utf8.count < 4096 + 1024, "\(file)")
            parts += text.split(separator: "\n").map(String.init)
        }
        #expect(parts == expected)
    }
}
