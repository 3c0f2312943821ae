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
        let text = String(decoding: bytes, as: UTF8.self)
        let first = text.first { !$0.isWhitespace }
        let (names, rows) = first == "{" ? try jsonLines(text, path) : try delimited(text, path)
        guard !names.isEmpty else { throw SourceError.unreadable(path, "no fields to look up (a CSV or TSV file needs a header line)") }
        return ResultSet(columns: names, rows: rows)
    }

    /// The file's bytes (gzip-compressed or not).
    static func read(_ path: String) throws -> [UInt8] {
        let input: ByteInput = GzipInput.isGzip(path: path) ? try GzipInput(path: path) : try FileInput(path: path)
        var out: [UInt8] = []
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
    /// field is NULL.
    static func delimited(_ text: String, _ path: String) throws -> ([String], [[Value]]) {
        let headerLine = text.prefix { $0 != "\n" }
        let separator: UInt8 = headerLine.contains("\t") ? 9 : UInt8(ascii: ",")
        var records: [[String?]] = []
        var field: [UInt8] = [], record: [String?] = [], quoted = false, wasQuoted = false
        let bytes = Array(text.utf8)
        var i = 0
        func endField() {
            let s = String(decoding: field, as: UTF8.self)
            record.append(s.isEmpty && !wasQuoted ? nil : s)
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRecord() {
            endField()
            if !(record.count == 1 && record[0] == nil) { records.append(record) }  // (a blank line)
            record = []
        }
        while i < bytes.count {
            let c = bytes[i]
            if quoted {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") { field.append(c); i += 2; continue }
                    quoted = false
                } else {
                    field.append(c)
                }
            } else if c == UInt8(ascii: "\"") && field.isEmpty && separator != 9 {
                quoted = true
                wasQuoted = true
            } else if c == separator {
                endField()
            } else if c == 10 {
                endRecord()
            } else if c != 13 || (i + 1 < bytes.count && bytes[i + 1] != 10) {
                field.append(c)
            }
            i += 1
        }
        if quoted { throw SourceError.unreadable(path, "a quoted field is not closed") }
        if !field.isEmpty || !record.isEmpty { endRecord() }
        guard let header = records.first else { return ([], []) }
        let names = header.enumerated().map { k, n in (n ?? "").isEmpty ? "_col\(k)" : n! }
        let data = records.dropFirst()
        for (k, r) in data.enumerated() where r.count != names.count {
            throw SourceError.unreadable(path, "line \(k + 2) has \(r.count) fields but the header names \(names.count)")
        }
        // Each column's type, from all its values.
        let columns = names.indices.map { c -> (String) -> Value in
            let values = data.compactMap { $0[c] }
            if !values.isEmpty, values.allSatisfy({ Int64($0) != nil }) { return { .int(Int64($0)!) } }
            if !values.isEmpty, values.allSatisfy({ Double($0) != nil }) { return { .double(Double($0)!) } }
            if !values.isEmpty, values.allSatisfy({ ["true", "false"].contains($0.lowercased()) }) { return { .bool($0.lowercased() == "true") } }
            return { .string($0) }
        }
        return (names, data.map { r in r.enumerated().map { c, v in v.map(columns[c]) ?? .null } })
    }
}
