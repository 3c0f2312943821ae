import Foundation

/// A lookup table: the rows of a small file (CSV or TSV with a header, JSON lines, any format
/// logs come in) to join records with — `--lookup users=users.csv`, then
/// `SELECT u.team, count(*) FROM logs l JOIN users u ON l.user = u.user GROUP BY 1`.
public enum LookupTable {
    /// The columns a record gets from its source and arrival, not from the file's fields.
    static let bookkeeping: Set<String> = ["ts", "ingest_ts", "source", "raw"]

    /// `NAME=FILE` read: the name and the table (the file's fields, in the order first seen;
    /// their types inferred as for logs).
    public static func load(_ spec: String, options: LoadOptions) throws -> (String, ResultSet) {
        guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else {
            throw SourceError.unsupported(spec, "a lookup table is NAME=FILE (users=users.csv)")
        }
        let name = String(spec[..<eq]), path = String(spec[spec.index(after: eq)...])
        return (name, try load(name: name, path: path, options: options))
    }

    public static func load(name: String, path: String, options: LoadOptions) throws -> ResultSet {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !(name.first?.isNumber ?? true) else {
            throw SourceError.unsupported(name, "a lookup table's name is letters, digits and _ (users, geo_ip)")
        }
        guard !QueryEngine.tables.contains(name.lowercased()) else {
            throw SourceError.unsupported(name, "'\(name)' is a table already; name the lookup table otherwise")
        }
        var options = options
        options.parse.projection = nil
        let (store, _) = try Store.load(try SourceSpec.parse(path), options: options)
        let snapshot = store.snapshot()
        let columns = snapshot.schema.filter { $0.nonNull > 0 && !bookkeeping.contains($0.name.lowercased()) }.map(\.name)
        guard !columns.isEmpty else { throw SourceError.unreadable(path, "no fields to look up (a CSV or TSV file needs a header line)") }
        let quoted = columns.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ", ")
        return try QueryEngine(snapshot: snapshot).execute("SELECT \(quoted) FROM logs")
    }
}
