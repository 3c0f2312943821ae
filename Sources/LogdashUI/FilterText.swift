/// The filter bar's text as a SQL WHERE expression. Text with an operator, a quote, a
/// parenthesis or a SQL keyword is an expression already (`status >= 500 and path like
/// '/api/%'`); anything else is words, each of which the message must contain, in any case
/// (`timeout payments`) — the raw line for a record without a message, as the tail shows it.
public enum FilterText {
    static let keywords: Set<String> = ["and", "or", "not", "like", "ilike", "in", "is", "between", "null", "true", "false"]

    public static func whereClause(_ text: String) -> String {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.contains(where: { "=<>!()'\"".contains($0) }) { return t }
        let words = t.split(separator: " ").map(String.init)
        if words.contains(where: { keywords.contains($0.lowercased()) }) { return t }
        return words.map(contains).joined(separator: " AND ")
    }

    /// The condition that what the tail shows of a record (its message, else its raw line)
    /// contains `word`, in any case.
    public static func contains(_ word: String) -> String {
        let pattern = "'%" + word.replacingOccurrences(of: "'", with: "''") + "%'"
        return "(message ILIKE \(pattern) OR (message IS NULL AND raw ILIKE \(pattern)))"
    }
}

import Foundation
