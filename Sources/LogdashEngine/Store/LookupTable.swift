import Foundation

/// A lookup table: the rows of a small file (CSV or TSV with a header, or JSON lines; gzip or
/// not) to join records with — `--lookup users=users.csv`, then
/// `SELECT u.team, count(*) FROM logs l JOIN users u ON l.user = u.user GROUP BY 1`. A table,
/// not logs: its columns are exactly the file's, none derived (no level from a status).
public enum LookupTable {
    /// `NAME=FILE` read: the name and the table.
    public static func load(_ spec: String) throws -> (String, ResultSet) {
        guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else {
            throw SourceError.unsupported(spec, "a lookup table is NAME=FILE (users=users.csv)")
        }
        let name = String(spec[..<eq]), path = String(spec[spec.index(after: eq)...])
        return (name, try load(name: name, path: path))
    }

    public static func load(name: String, path: String) throws -> ResultSet {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !(name.first?.isNumber ?? true) else {
            throw SourceError.unsupported(name, "a lookup table's name is letters, digits and _ (users, geo_ip)")
        }
        guard !QueryEngine.tables.contains(name.lowercased()) else {
            throw SourceError.unsupported(name, "'\(name)' is a table already; name the lookup table otherwise")
        }
        let bytes = try read(path)
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        let (names, rows) = first == UInt8(ascii: "{") ? try jsonLines(String(decoding: bytes, as: UTF8.self), path) : try delimited(bytes, path)
        guard !names.isEmpty else { throw SourceError.unreadable(path, "no fields to look up (a CSV or TSV file needs a header line)") }
        return ResultSet(columns: names, rows: rows)
    }

    /// The file's bytes (gzip-compressed or not).
    static func read(_ path: String) throws -> [UInt8] {
        let input: ByteInput = GzipInput.isGzip(path: path) ? try GzipInput(path: path) : try FileInput(path: path)
        var out: [UInt8] = []
        var st = stat()
        if stat(path, &st) == 0, st.st_size > 0 { out.reserveCapacity(Int(st.st_size) + 1) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
            if n <= 0 { break }
            out += buffer[..<n]
        }
        return out
    }

    /// JSON lines: a column per key (a line's new keys in name order, after those of the lines
    /// before it); numbers, booleans and strings as
    /// they are, objects and arrays as their JSON text.
    static func jsonLines(_ text: String, _ path: String) throws -> ([String], [[Value]]) {
        var names: [String] = [], index: [String: Int] = [:]
        var objects: [[String: Any]] = []
        for (k, line) in text.split(whereSeparator: \.isNewline).enumerated() where !line.allSatisfy(\.isWhitespace) {
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                throw SourceError.unreadable(path, "line \(k + 1) is not a JSON object")
            }
            for key in o.keys.sorted() where index[key] == nil { index[key] = names.count; names.append(key) }
            objects.append(o)
        }
        let rows = objects.map { o in names.map { n in o[n].map(Functions.jsonScalar) ?? .null } }
        return (names, rows)
    }

    /// CSV (RFC 4180: quoted fields, "" for a quote, newlines inside quotes) or TSV, with a
    /// header: its first line names the columns. A column whose every value reads as an
    /// integer is bigint, as a number double, as true/false boolean, else varchar; an empty
    /// field is NULL. Read as bytes: each field is a range of the file until the columns'
    /// types are known, then made a value once.
    static func delimited(_ bytes: [UInt8], _ path: String) throws -> ([String], [[Value]]) {
        guard bytes.count < Int(Int32.max) else { throw SourceError.unreadable(path, "a lookup table is at most 2 GiB") }
        return try bytes.withUnsafeBufferPointer { b in try Delimited(b).table(path) }
    }

    /// The fields of a CSV or TSV file as ranges of its bytes, record after record.
    struct Delimited {
        /// A field: its bytes (`start..<end`), and whether it was quoted (empty, it is then
        /// text, not NULL) with `""` inside (to be unescaped).
        struct Field {
            var start: Int32, end: Int32
            var quoted: Bool, escaped: Bool
        }
        let bytes: UnsafeBufferPointer<UInt8>
        var fields: [Field] = []
        /// Where each record's fields start in `fields` (and the end, last).
        var records: [Int] = [0]
        var unclosed = false

        init(_ b: UnsafeBufferPointer<UInt8>) {
            bytes = b
            let n = b.count
            let headerEnd = b.firstIndex(of: 10) ?? n
            let separator: UInt8 = b[..<headerEnd].contains(9) ? 9 : UInt8(ascii: ",")
            fields.reserveCapacity(n / 8)
            var i = 0
            while i < n {
                // One record, field after field.
                let recordStart = fields.count
                while true {
                    var f = Field(start: Int32(i), end: Int32(i), quoted: false, escaped: false)
                    if i < n, b[i] == UInt8(ascii: "\""), separator != 9 {
                        f.quoted = true
                        i += 1
                        f.start = Int32(i)
                        while true {
                            guard i < n else { unclosed = true; f.end = Int32(n); break }
                            if b[i] == UInt8(ascii: "\"") {
                                if i + 1 < n, b[i + 1] == UInt8(ascii: "\"") { f.escaped = true; i += 2; continue }
                                f.end = Int32(i)
                                i += 1
                                break
                            }
                            i += 1
                        }
                        // (Bytes after the closing quote, before the separator, are the field's too.)
                        if i < n, b[i] != separator, b[i] != 10, !(b[i] == 13 && i + 1 < n && b[i + 1] == 10) {
                            f.escaped = true
                            while i < n, b[i] != separator, b[i] != 10 { i += 1 }
                            f.end = Int32(i)
                            if b[Int(f.end) - 1] == 13, i == n || b[i] == 10 { f.end -= 1 }  // CRLF (or a CR that ends the file)
                        } else if i < n, b[i] == 13, i + 1 == n || b[i + 1] == 10 {
                            i += 1  // CRLF (or a CR that ends the file)
                        }
                    } else {
                        while i < n, b[i] != separator, b[i] != 10 { i += 1 }
                        f.end = Int32(i)
                        if f.end > f.start, b[Int(f.end) - 1] == 13, i == n || b[i] == 10 { f.end -= 1 }  // CRLF
                    }
                    fields.append(f)
                    if i < n, b[i] == separator { i += 1; continue }
                    break
                }
                i += 1  // the newline
                // A blank line is no record.
                if fields.count == recordStart + 1, fields[recordStart].start == fields[recordStart].end, !fields[recordStart].quoted {
                    fields.removeLast()
                } else {
                    records.append(fields.count)
                }
            }
        }

        /// A field's text (`""` unescaped, and whatever followed a closing quote kept as it is).
        func text(_ f: Field) -> String {
            let raw = UnsafeBufferPointer(rebasing: bytes[Int(f.start)..<Int(f.end)])
            guard f.escaped else { return String(decoding: raw, as: UTF8.self) }
            var out: [UInt8] = [], i = 0, inQuotes = f.quoted
            while i < raw.count {
                if inQuotes, raw[i] == UInt8(ascii: "\"") {
                    if i + 1 < raw.count, raw[i + 1] == UInt8(ascii: "\"") { out.append(raw[i]); i += 2; continue }
                    inQuotes = false  // the closing quote
                    i += 1
                    continue
                }
                out.append(raw[i]); i += 1
            }
            return String(decoding: out, as: UTF8.self)
        }

        func isNull(_ f: Field) -> Bool { f.start == f.end && !f.quoted }

        /// The field as a whole number, as `Int64(text)` reads one (sign, digits, no overflow).
        func integer(_ f: Field) -> Int64? {
            guard !f.escaped else { return Int64(text(f)) }
            var i = Int(f.start)
            let end = Int(f.end)
            var negative = false
            if i < end, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { negative = bytes[i] == UInt8(ascii: "-"); i += 1 }
            guard i < end else { return nil }
            var v: Int64 = 0
            while i < end {
                let d = bytes[i] &- 0x30
                guard d < 10 else { return nil }
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
                guard !o1, !o2 else { return nil }
                v = s
                i += 1
            }
            return v
        }

        func table(_ path: String) throws -> ([String], [[Value]]) {
            if unclosed { throw SourceError.unreadable(path, "a quoted field is not closed") }
            guard records.count > 1 else { return ([], []) }
            var names: [String] = []
            for k in records[0]..<records[1] {
                let f = fields[k]
                let name = isNull(f) || f.start == f.end ? "_col\(k)" : text(f)
                // A name the header gives twice: the second is NAME_2 (`_3`, …), each column its own.
                var unique = name, n = 1
                while names.contains(where: { $0.lowercased() == unique.lowercased() }) { n += 1; unique = "\(name)_\(n)" }
                names.append(unique)
            }
            let width = names.count
            for r in 1..<(records.count - 1) where records[r + 1] - records[r] != width {
                throw SourceError.unreadable(path, "line \(r + 1) has \(records[r + 1] - records[r]) fields but the header names \(width)")
            }
            let rows = records.count - 2
            // Each column's type, from all its values.
            enum Kind { case int, double, bool, text }
            let kinds = (0..<width).map { c -> Kind in
                var present = false, ints = true, doubles = true, bools = true
                for r in 1..<(records.count - 1) {
                    let f = fields[records[r] + c]
                    if isNull(f) { continue }
                    present = true
                    if ints, integer(f) == nil { ints = false }
                    if !ints, doubles, Double(text(f)) == nil { doubles = false }
                    if bools { let t = text(f).lowercased(); bools = t == "true" || t == "false" }
                    if !ints, !doubles, !bools { return .text }
                }
                return !present ? .text : ints ? .int : doubles ? .double : bools ? .bool : .text
            }
            var out: [[Value]] = []
            out.reserveCapacity(rows)
            for r in 1..<(records.count - 1) {
                var row: [Value] = []
                row.reserveCapacity(width)
                for c in 0..<width {
                    let f = fields[records[r] + c]
                    if isNull(f) { row.append(.null); continue }
                    switch kinds[c] {
                    case .int: row.append(.int(integer(f)!))
                    case .double: row.append(.double(Double(text(f))!))
                    case .bool: row.append(.bool(text(f).lowercased() == "true"))
                    case .text: row.append(.string(text(f)))
                    }
                }
                out.append(row)
            }
            return (names, out)
        }
    }
}
