/// Integer arithmetic over values from queries and logs that reports overflow as an error, worded
/// as Trino words it ("bigint addition overflow"), instead of trapping: a hostile query or line
/// must get a message, never stop the process.
enum Checked {
    /// What an `Int64` holds, for the messages: "bigint", "timestamp", "interval".
    typealias Kind = String

    static func add(_ x: Int64, _ y: Int64, _ kind: Kind = "bigint", at p: Int?) throws -> Int64 {
        let (r, o) = x.addingReportingOverflow(y)
        if o { throw overflow(kind, "addition", at: p) }
        return r
    }

    static func subtract(_ x: Int64, _ y: Int64, _ kind: Kind = "bigint", at p: Int?) throws -> Int64 {
        let (r, o) = x.subtractingReportingOverflow(y)
        if o { throw overflow(kind, "subtraction", at: p) }
        return r
    }

    static func multiply(_ x: Int64, _ y: Int64, _ kind: Kind = "bigint", at p: Int?) throws -> Int64 {
        let (r, o) = x.multipliedReportingOverflow(by: y)
        if o { throw overflow(kind, "multiplication", at: p) }
        return r
    }

    /// Truncating division; `Int64.min / -1` is an overflow, a zero divisor an error.
    static func divide(_ x: Int64, _ y: Int64, _ kind: Kind = "bigint", at p: Int?) throws -> Int64 {
        if y == 0 { throw QueryError(.value, "division by zero", at: p) }
        let (r, o) = x.dividedReportingOverflow(by: y)
        if o { throw overflow(kind, "division", at: p) }
        return r
    }

    /// The remainder with the dividend's sign; `x % -1` is 0 for every x (as in Trino).
    static func remainder(_ x: Int64, _ y: Int64, at p: Int?) throws -> Int64 {
        if y == 0 { throw QueryError(.value, "division by zero", at: p) }
        return y == -1 ? 0 : x % y
    }

    static func negate(_ x: Int64, _ kind: Kind = "bigint", at p: Int?) throws -> Int64 {
        if x == .min { throw overflow(kind, "negation", at: p) }
        return -x
    }

    /// A double rounded to the nearest integer; NaN, infinities and values beyond `Int64` are
    /// errors naming `what` ("from_unixtime() argument", "interval").
    static func int64(_ d: Double, _ what: String, at p: Int?) throws -> Int64 {
        let r = d.rounded()
        // 2^63 is exactly representable; every double below it converts.
        guard r.isFinite, r >= -9_223_372_036_854_775_808.0, r < 9_223_372_036_854_775_808.0 else {
            throw QueryError(.value, "\(what) is out of range: \(Value.format(d))", at: p)
        }
        return Int64(r)
    }

    static func overflow(_ kind: Kind, _ operation: String, at p: Int?) -> QueryError {
        QueryError(.value, kind == "timestamp" ? "timestamp out of range (\(operation) overflows)" : "\(kind) \(operation) overflow", at: p)
    }
}
