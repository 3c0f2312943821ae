/// Delimited lines whose columns a header in the file names: W3C extended logs (IIS,
/// CloudFront, …: `#Fields: date time c-ip cs-method …`), Zeek/Bro TSV logs (`#fields ts uid
/// id.orig_h …`), and CSV or TSV files whose first line names the columns.
///
/// The header is found by detection in a source's first lines (`HeaderFormat.find`); the format
/// is made per source from it. Column names become field names, lower-cased with runs of other
/// characters as `_` (`cs(User-Agent)` → `cs_user_agent`, `sc-status` → `sc_status`; Zeek's dotted
/// names are kept); a time column (`ts`, `time`, `timestamp`, or W3C's `date` and `time`
/// together) fills `ts`. `-` (W3C, Zeek) and Zeek's `(empty)` are no value. Header and comment
/// lines (`#…`, the CSV header itself) are records of their own with a `directive` field, so
/// that every line is accounted for.
public struct HeaderFormat: LogFormat {
    public enum Kind: String, Sendable, CaseIterable {
        case w3c, zeek, csv, tsv
    }

    /// What detection found: the kind, the column names as written, the separator.
    public struct Header: Sendable, Equatable {
        public var kind: Kind
        public var columns: [String]
        public var separator: UInt8
    }

    public let header: Header
    public var name: String { header.kind.rawValue }
    public let joinsContinuationLines = false
    private let keys: KeyTable
    /// The CSV/TSV header line as its names joined (to know it again).
    private let headerLine: [UInt8]
    /// W3C's separate date and time columns, read together as the record's time.
    private let dateColumn: Int, timeColumn: Int
    /// An HTTP status column (`sc-status`, `status`), whose value gives the level.
    private let statusColumn: Int
    private static let directiveKey = KeyTable(["directive", "header"])

    public init(_ header: Header) {
        self.header = header
        let names = header.columns.map(HeaderFormat.fieldName)
        keys = KeyTable(names)
        headerLine = Array(header.columns.joined(separator: String(UnicodeScalar(header.separator))).utf8)
        let date = names.firstIndex(of: "date"), time = names.firstIndex(of: "time")
        (dateColumn, timeColumn) = header.kind == .w3c && date != nil && time != nil ? (date!, time!) : (-1, -1)
        statusColumn = names.firstIndex(of: "sc_status") ?? names.firstIndex(of: "status") ?? -1
    }

    /// A column name as a field name: lower-case, other characters as one `_` (dots kept).
    static func fieldName(_ s: String) -> String {
        var out = ""
        var pendingUnderscore = false
        for c in s.lowercased().unicodeScalars {
            if (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "." || c == "_" {
                if pendingUnderscore && !out.isEmpty { out.append("_") }
                pendingUnderscore = false
                out.unicodeScalars.append(c)
            } else {
                pendingUnderscore = true
            }
        }
        return out.isEmpty ? "column" : out
    }

    /// The titles of these formats, for `logdash formats`.
    public static let parsers: [(name: String, title: String, sample: String)] = [
        ("w3c", "W3C extended log with a #Fields: header (IIS, CloudFront, …)", "#Fields: date time c-ip cs-method cs-uri-stem sc-status"),
        ("zeek", "Zeek / Bro TSV log (#fields header)", "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto"),
        ("csv", "CSV with a header line", "time,level,user,message"),
        ("tsv", "TSV with a header line", "time\tlevel\tuser\tmessage"),
    ]

    public func parse(_ line: ByteLine, into batch: inout RecordBatch, scratch: ParseScratch) -> Bool {
        let n = line.count
        guard n > 0 else { return false }
        if line[0] == 0x23 || (header.kind == .csv || header.kind == .tsv) && isHeaderLine(line) {
            // A directive, a comment, the header itself: a record of its own.
            var e = 1
            while e < n, !ASCII.isSpace(line[e]), line[e] != ASCII.colon, line[e] != header.separator { e += 1 }
            batch.put(string: line[0] == 0x23 ? line.slice(1, e) : HeaderFormat.directiveKey[1], field: batch.field(HeaderFormat.directiveKey[0], slot: 63))
            batch.setMessage(line)
            return true
        }
        var column = 0, i = 0
        var dateValue: ByteLine?, timeValue: ByteLine?
        let sep = header.separator
        let quoted = header.kind == .csv || header.kind == .tsv
        while i <= n, column < header.columns.count {
            var value: ByteLine
            if quoted, i < n, line[i] == ASCII.quote {
                // "a ""quoted"" value": the quotes doubled inside are kept doubled (rare in logs).
                var j = i + 1
                while j < n {
                    if line[j] == ASCII.quote { if j + 1 < n, line[j + 1] == ASCII.quote { j += 2; continue }; break }
                    j += 1
                }
                guard j < n else { return false }
                value = line.slice(i + 1, j)
                if memchrIndex(value, ASCII.quote, from: 0) != nil { value = HeaderFormat.undoubled(value, scratch) }
                i = j + 1
                guard i == n || line[i] == sep else { return false }
            } else {
                var j = i
                if sep == ASCII.space {
                    while j < n, line[j] != sep { j += 1 }
                } else if let k = memchrIndex(line, sep, from: i) {
                    j = k
                } else {
                    j = n
                }
                value = line.slice(i, j)
                i = j
            }
            i += 1  // past the separator
            defer { column += 1 }
            if value.count == 0 || (!quoted && value.count == 1 && value[0] == ASCII.minus) || (header.kind == .zeek && value.equals("(empty)")) { continue }
            if column == dateColumn { dateValue = value; continue }
            if column == timeColumn { timeValue = value; continue }
            let c = batch.field(keys[column], slot: column)
            batch.put(inferred: value, field: c)
            if column == statusColumn, value.count == 3, let status = ByteNumber.int(value, 0, 3) {
                // As for access logs: the level from the HTTP status.
                batch.setLevel(status >= 500 ? .error : status >= 400 ? .warn : .info)
            }
        }
        // Too many values for the header, or (W3C, Zeek: every column is written) too few: not a
        // line of this header (one written after a new #Fields, say).
        guard i >= n, column == header.columns.count || quoted else { return false }
        if let d = dateValue, let t = timeValue {
            // W3C times are UTC.
            scratch.reserveText(d.count + 1 + t.count, keep: 0)
            (scratch.text).update(from: d.base, count: d.count)
            scratch.text[d.count] = ASCII.space
            (scratch.text + d.count + 1).update(from: t.base, count: t.count)
            let both = ByteLine(base: scratch.text, count: d.count + 1 + t.count)
            guard let ns = Timestamp.parse(text: both, reference: batch.reference) else { return false }
            batch.setTime(ns)
        }
        return true
    }

    /// A quoted CSV value with its doubled quotes made single (`""card declined""` → `"card declined"`).
    static func undoubled(_ v: ByteLine, _ scratch: ParseScratch) -> ByteLine {
        scratch.reserveText(v.count, keep: 0)
        var o = 0, j = 0
        while j < v.count {
            scratch.text[o] = v[j]
            o += 1
            j += v[j] == ASCII.quote && j + 1 < v.count && v[j + 1] == ASCII.quote ? 2 : 1
        }
        return ByteLine(base: scratch.text, count: o)
    }

    /// Whether a line is the CSV/TSV header itself (a repeat of it, as concatenated files have).
    private func isHeaderLine(_ line: ByteLine) -> Bool {
        guard line.count >= headerLine.count, line.count <= headerLine.count + 2 * header.columns.count + 2 else { return false }
        // (Cells may have been quoted: compare with the quotes left out.)
        var k = 0
        for i in 0..<line.count where line[i] != ASCII.quote {
            guard k < headerLine.count, headerLine[k] == line[i] else { return false }
            k += 1
        }
        return k == headerLine.count
    }

    /// The header of a source, from its first lines: W3C's `#Fields:`, Zeek's `#fields`, or a
    /// first line of names that the lines after it match in count (comma or tab separated).
    public static func find(in lines: [ByteLine]) -> Header? {
        for line in lines.prefix(16) where line.count > 8 && line[0] == 0x23 {
            let text = String(decoding: line.buffer, as: UTF8.self)
            if text.hasPrefix("#Fields:") {
                let cols = text.dropFirst(8).split(separator: " ").map(String.init)
                if cols.count >= 2 { return Header(kind: .w3c, columns: cols, separator: ASCII.space) }
            }
            if text.hasPrefix("#fields\t") {
                let cols = text.dropFirst(8).split(separator: "\t").map(String.init)
                if cols.count >= 2 { return Header(kind: .zeek, columns: cols, separator: ASCII.tab) }
            }
        }
        guard lines.count >= 2, let first = lines.first, first.count < 4096 else { return nil }
        let text = String(decoding: first.buffer, as: UTF8.self)
        for (sep, kind) in [(ASCII.tab, Kind.tsv), (ASCII.comma, Kind.csv)] where text.utf8.contains(sep) {
            let cols = text.split(separator: Character(UnicodeScalar(sep)), omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
            // Names: letters first, no more than a few words, not numbers or times.
            guard cols.count >= 2, cols.allSatisfy({ c in
                !c.isEmpty && c.count <= 64 && (c.first!.isLetter || c.first == "_" || c.first == "@")
                    && c.allSatisfy { $0.isLetter || $0.isNumber || " _-.@()/".contains($0) }
            }), Set(cols).count == cols.count else { continue }
            // The lines after it have as many cells (CSV's quoted commas counted as one).
            let rest = lines.dropFirst().prefix(32)
            let matching = rest.filter { cells($0, sep) == cols.count }.count
            if matching * 10 >= rest.count * 6 { return Header(kind: kind, columns: cols, separator: sep) }
        }
        return nil
    }

    /// How many cells a line has (separators outside double quotes, plus one).
    static func cells(_ line: ByteLine, _ sep: UInt8) -> Int {
        var n = 1, quoted = false
        for i in 0..<line.count {
            let b = line[i]
            if b == ASCII.quote { quoted.toggle() } else if b == sep && !quoted { n += 1 }
        }
        return n
    }
}

import Foundation
