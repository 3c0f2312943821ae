import LogdashEngine
import LogdashUI

/// Writes records as NDJSON, logfmt or terminal-safe text.
struct RecordWriter {
    enum Kind { case ndjson, logfmt, text }

    let kind: Kind
    let includeRaw: Bool

    /// One record, as the writer reads it: from a parsed batch, or from a segment (after the
    /// transform stage).
    struct Record {
        var ts: Int64
        var ingestTs: Int64
        var source: String
        /// host, level, message and raw, when the record has them.
        var core: [String: Value]
        /// The fields that are not NULL, in order.
        var fields: [(String, Value)]
        var flags: RecordFlags

        /// `raw`: read the raw line (it may be in the file: a read per record).
        init(_ batch: RecordBatch, row: Int, raw: Bool) {
            ts = batch.ts[row]
            ingestTs = batch.ingestTs[row]
            source = batch.source
            core = [:]
            for name in ["host", "level", "message"] {
                if let v = batch.value(name, at: row), v != .null { core[name] = v }
            }
            if raw || core["message"] == nil, let v = batch.value("raw", at: row), v != .null { core["raw"] = v }
            fields = batch.fields.compactMap { f in let v = f.value(at: row); return v == .null ? nil : (f.name, v) }
            flags = batch.flags[row]
        }

        init(_ seg: Segment, row: Int) {
            let cols = seg.columns
            func time(_ name: String) -> Int64 { if case .timestamp(let t)? = cols[name]?.value(at: row) { t } else { 0 } }
            ts = time("ts")
            ingestTs = time("ingest_ts")
            source = seg.source
            core = [:]
            for name in ["host", "level", "message", "raw"] {
                if let v = cols[name]?.value(at: row), v != .null { core[name] = v }
            }
            fields = seg.schema.compactMap { c in
                guard !CoreColumn.names.contains(c.name), let v = cols[c.name]?.value(at: row), v != .null else { return nil }
                return (c.name, v)
            }
            flags = seg.flags[row]
        }
    }

    func write(_ batch: RecordBatch, row: Int, to out: inout [UInt8]) {
        write(Record(batch, row: row, raw: includeRaw), to: &out)
    }

    func write(_ r: Record, to out: inout [UInt8]) {
        switch kind {
        case .ndjson: ndjson(r, &out)
        case .logfmt: logfmt(r, &out)
        case .text: text(r, &out)
        }
        out.append(0x0A)
    }

    /// The non-NULL columns of a record in output order: core columns, then fields.
    func columns(_ r: Record) -> [(String, Value)] {
        var cols: [(String, Value)] = [("ts", .timestamp(r.ts)), ("ingest_ts", .timestamp(r.ingestTs)), ("source", .string(r.source))]
        for name in ["host", "level", "message"] {
            if let v = r.core[name] { cols.append((name, v)) }
        }
        if includeRaw, let v = r.core["raw"] { cols.append(("raw", v)) }
        cols += r.fields
        if r.flags.contains(.truncated) { cols.append(("_truncated", .bool(true))) }
        if r.flags.contains(.unparsed) { cols.append(("_unparsed", .bool(true))) }
        return cols
    }

    private func ndjson(_ r: Record, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (i, (k, v)) in columns(r).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendString(k, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONText.appendValue(v, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    private func logfmt(_ r: Record, _ out: inout [UInt8]) {
        for (i, (k, v)) in columns(r).enumerated() {
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
    private func text(_ r: Record, _ out: inout [UInt8]) {
        var line = Timestamp.iso8601(r.ts, fractionDigits: 3)
        let level = r.core["level"].map { $0.description.uppercased() } ?? "-"
        line += " " + level + String(repeating: " ", count: max(0, 5 - level.count))
        if case .string(let h)? = r.core["host"] { line += " " + VisibleText.escape(h) }
        let msg: String
        if case .string(let m)? = r.core["message"] { msg = m }
        else if case .string(let raw)? = r.core["raw"] { msg = raw }
        else { msg = "" }
        let lines = msg.split(separator: "\n", omittingEmptySubsequences: false)
        line += " " + VisibleText.escape(String(lines.first ?? ""))
        for more in lines.dropFirst() { line += "\n    " + VisibleText.escape(String(more)) }
        out.append(contentsOf: line.utf8)
    }
}
