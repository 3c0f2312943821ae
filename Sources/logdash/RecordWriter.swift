import LogdashEngine
import LogdashUI

/// Writes records as NDJSON, logfmt or terminal-safe text.
struct RecordWriter {
    enum Kind { case ndjson, logfmt, text }

    let kind: Kind
    let includeRaw: Bool

    func write(_ batch: RecordBatch, row: Int, to out: inout [UInt8]) {
        switch kind {
        case .ndjson: ndjson(batch, row, &out)
        case .logfmt: logfmt(batch, row, &out)
        case .text: text(batch, row, &out)
        }
        out.append(0x0A)
    }

    /// The non-NULL columns of a record in output order: core columns, then fields.
    func columns(_ batch: RecordBatch, _ row: Int) -> [(String, Value)] {
        var cols: [(String, Value)] = [
            ("ts", .timestamp(batch.ts[row])), ("ingest_ts", .timestamp(batch.ingestTs[row])), ("source", .string(batch.source)),
        ]
        for name in ["host", "level", "message"] {
            if let v = batch.value(name, at: row), v != .null { cols.append((name, v)) }
        }
        if includeRaw, let v = batch.value("raw", at: row) { cols.append(("raw", v)) }
        for f in batch.fields {
            let v = f.value(at: row)
            if v != .null { cols.append((f.name, v)) }
        }
        let flags = batch.flags[row]
        if flags.contains(.truncated) { cols.append(("_truncated", .bool(true))) }
        if flags.contains(.unparsed) { cols.append(("_unparsed", .bool(true))) }
        return cols
    }

    private func ndjson(_ batch: RecordBatch, _ row: Int, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (i, (k, v)) in columns(batch, row).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendString(k, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONText.appendValue(v, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private func logfmt(_ batch: RecordBatch, _ row: Int, _ out: inout [UInt8]) {
        for (i, (k, v)) in columns(batch, row).enumerated() {
            if i > 0 { out.append(UInt8(ascii: " ")) }
            out.append(contentsOf: k.utf8)
            out.append(UInt8(ascii: "="))
            let s = v.description
            let needsQuotes = s.isEmpty || s.utf8.contains { $0 <= 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") || $0 == 0x7F }
            if needsQuotes {
                JSONText.appendString(s, to: &out)
            } else {
                out.append(contentsOf: s.utf8)
            }
        }
    }

    /// `2026-11-27T14:00:00.123Z ERROR web-1 message`, escaped for the terminal; continuation
    /// lines of a multi-line record follow on their own lines, indented.
    private func text(_ batch: RecordBatch, _ row: Int, _ out: inout [UInt8]) {
        var line = Timestamp.iso8601(batch.ts[row], fractionDigits: 3)
        let level = batch.levels[row] == 0 ? "-" : Level(rawValue: batch.levels[row])!.name.uppercased()
        line += " " + level + String(repeating: " ", count: max(0, 5 - level.count))
        if case .string(let h)? = batch.value("host", at: row) { line += " " + VisibleText.escape(h) }
        let msg: String
        if case .string(let m)? = batch.value("message", at: row) { msg = m }
        else if case .string(let r)? = batch.value("raw", at: row) { msg = r }
        else { msg = "" }
        let lines = msg.split(separator: "\n", omittingEmptySubsequences: false)
        line += " " + VisibleText.escape(String(lines.first ?? ""))
        for more in lines.dropFirst() { line += "\n    " + VisibleText.escape(String(more)) }
        out.append(contentsOf: line.utf8)
    }
}
