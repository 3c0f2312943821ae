import Foundation
import LogdashEngine

/// Query results as an aligned table (numbers right-aligned, NULL shown as NULL), CSV, JSON or NDJSON.
/// How query results are written.
public enum ResultFormat: String, CaseIterable, Sendable { case table, csv, json, ndjson }

public enum ResultWriter {
    public static func render(_ r: ResultSet, as kind: ResultFormat) -> String {
        switch kind {
        case .table: return table(r)
        case .csv: return csv(r)
        case .json, .ndjson: return objects(r, array: kind == .json)
        }
    }

    /// The rows as JSON objects — one per line, or (`array`) a JSON array of them — through one
    /// buffer, the keys escaped once and times' texts kept for the next rows.
    public static func objects(_ r: ResultSet, array: Bool) -> String {
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

    public static func cell(_ v: Value) -> String {
        switch v {
        case .null: "NULL"
        case .string(let s): VisibleText.escape(s)
        case .array, .map: VisibleText.escape(v.description)
        default: v.description
        }
    }

    public static func table(_ r: ResultSet) -> String {
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
    public static func forStandardOutput(_ r: ResultSet, as kind: ResultFormat) -> String {
        let text = render(r, as: kind)
        guard kind != .table, isatty(1) != 0 else { return text }
        return VisibleText.escape(text, VisibleText.Options(keepTabs: true, keepNewlines: true))
    }

    public static func csv(_ r: ResultSet) -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out = r.columns.map(field).joined(separator: ",") + "\n"
        for row in r.rows {
            out += row.map { $0 == .null ? "" : field(textOf($0)) }.joined(separator: ",") + "\n"
        }
        return out
    }

    public static func textOf(_ v: Value) -> String {
        if case .timestamp(let ns) = v { return Timestamp.iso8601(ns) }
        return v.description
    }

    /// Each column's `"name":`, escaped once for many rows. A name an earlier column has is
    /// numbered (`status`, `status_1`), so that an object keeps every column (`SELECT l.status,
    /// r.status` of a join).
    public static func keys(_ columns: [String]) -> [[UInt8]] {
        var taken = Set<String>()
        return columns.map { c in
            var name = c, n = 0
            while !taken.insert(name).inserted { n += 1; name = "\(c)_\(n)" }
            var k: [UInt8] = []
            JSONText.appendString(name, to: &k)
            k.append(UInt8(ascii: ":"))
            return k
        }
    }

    /// An integer's decimal digits, appended without making a `String`.
    public static func appendDigits(_ i: Int64, to bytes: inout [UInt8]) {
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
    public struct TimeTexts {
        public init() {}
        private static let slots = 8, width = 40  // an ISO 8601 text is at most 40 bytes
        // Made at the first time written (output without times allocates nothing).
        private var times: [Int64] = []
        private var lengths: [Int] = []  // 0: an empty slot
        private var texts: [UInt8] = []
        private var newest = slots - 1

        /// Appends `t`'s text, from a slot when it is one of the last few written.
        public mutating func append(_ t: Int64, to bytes: inout [UInt8]) {
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
    public static func appendMembers(_ keys: [[UInt8]], _ row: [Value], to bytes: inout [UInt8], times: inout TimeTexts) {
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
            default: JSONText.appendValue(v, to: &bytes)
            }
        }
    }
}

/// JSON string literals.
public enum JSONText {
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        Archive.appendJSONString(s, to: &out)
    }

    /// A value as JSON: numbers and booleans as they are, arrays as arrays, maps as objects
    /// (keys as their text), anything else as its text.
    public static func appendValue(_ v: Value, to out: inout [UInt8]) {
        switch v {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .int(let i): ResultWriter.appendDigits(i, to: &out)
        case .double(let d): out += (d.isFinite ? Value.format(d) : "null").utf8
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (k, x) in items.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                appendValue(x, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .map(let keys, let values):
            out.append(UInt8(ascii: "{"))
            for (k, (key, x)) in zip(keys, values).enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                appendString(ResultWriter.textOf(key), to: &out)
                out.append(UInt8(ascii: ":"))
                appendValue(x, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        default: appendString(ResultWriter.textOf(v), to: &out)
        }
    }
}
