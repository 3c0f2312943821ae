/// The words of logdash's SQL, for completion and highlighting in the query pane.
public enum SQLVocabulary {
    /// Tables every query can read.
    public static var tables: [String] { QueryEngine.tables }

    /// Scalar, aggregate, window and group-window functions, sorted.
    public static let functions: [String] = Array(Set(Functions.names + Aggregates.names + Windows.rankingNames
        + ["tumble", "hop", "session"])).sorted()

    /// Keywords (the parser's reserved words and a few more that read as words), sorted.
    public static let keywords: [String] = Array(SQLParser.reserved.union([
        "asc", "desc", "nulls", "first", "last", "over", "partition", "rows", "preceding", "following", "current", "row",
        "unbounded", "interval", "timestamp", "explain", "show", "tables", "describe", "distinct", "with", "union", "all",
    ])).sorted()

    /// The order results sort in (NULLs first, numbers by value across int and double).
    public static func compare(_ a: Value, _ b: Value) -> Int { Compare.forSort(a, b) }
}
