import Foundation

/// Aggregate functions: their names and the running state of one aggregate in one group.
enum Aggregates {
    static let names = ["count", "count_if", "sum", "avg", "min", "max", "stddev", "stddev_samp", "stddev_pop", "variance",
                        "var_samp", "approx_percentile", "approx_distinct", "min_by", "max_by", "arbitrary", "any_value",
                        "bool_and", "bool_or"]

    static func isAggregate(_ name: String) -> Bool { names.contains(name) }

    static func arity(_ name: String) -> ClosedRange<Int> {
        switch name {
        case "approx_percentile", "min_by", "max_by": 2...2
        case "count": 0...1
        default: 1...1
        }
    }
}

/// One aggregate of one group. NULL inputs are skipped; an empty group gives NULL (count: 0).
final class AggregateState {
    let name: String
    let distinct: Bool
    var count: Int64 = 0
    var intSum: Int64 = 0
    var doubleSum: Double = 0
    var sawDouble = false
    /// The integer sum passed Int64 and goes on as a float; the query says so at its end.
    var overflowed = false
    var mean: Double = 0
    var m2: Double = 0
    var extreme: Value = .null
    var extremeKey: Value = .null
    var values: [Double] = []
    var seen: Set<Value> = []
    var flag: Bool?
    var percentile: Double?

    init(name: String, distinct: Bool) {
        self.name = name
        self.distinct = distinct
    }

    /// Adds a row's argument values (empty for count(*)).
    func add(_ args: [Value], at p: Int) throws {
        if name == "count" && args.isEmpty { count += 1; return }
        let v = args[0]
        if v == .null && name != "min_by" && name != "max_by" { return }
        if distinct || name == "approx_distinct" {
            guard seen.insert(v).inserted else { return }
        }
        switch name {
        case "count", "approx_distinct":
            count += 1
        case "count_if":
            if v == .bool(true) { count += 1 }
        case "sum", "avg":
            count += 1
            switch v {
            case .int(let i):
                let (s, o) = intSum.addingReportingOverflow(i)
                if o { sawDouble = true; overflowed = true; doubleSum += Double(intSum) + Double(i); intSum = 0 } else { intSum = s }
            case .double(let d): sawDouble = true; doubleSum += d
            case .interval(let i): intSum = try Checked.add(intSum, i, "interval", at: p); extreme = .interval(0)
            case .string(let s) where Double(s) != nil:
                if let i = Int64(s) { intSum = try Checked.add(intSum, i, at: p) } else { sawDouble = true; doubleSum += Double(s)! }
            default: throw QueryError(.type, "\(name)() needs numbers, not \(typeName(v))", at: p)
            }
        case "min", "max":
            if extreme == .null { extreme = v; return }
            let c = Compare.forSort(v, extreme)
            if (name == "min" && c < 0) || (name == "max" && c > 0) { extreme = v }
        case "min_by", "max_by":
            let key = args[1]
            if key == .null { return }
            if extremeKey == .null { extremeKey = key; extreme = v; return }
            let c = Compare.forSort(key, extremeKey)
            if (name == "min_by" && c < 0) || (name == "max_by" && c > 0) { extremeKey = key; extreme = v }
        case "arbitrary", "any_value":
            if extreme == .null { extreme = v }
        case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp":
            guard let x = Arithmetic.number(v) else { throw QueryError(.type, "\(name)() needs numbers, not \(typeName(v))", at: p) }
            count += 1
            let d = x - mean
            mean += d / Double(count)
            m2 += d * (x - mean)
        case "approx_percentile":
            guard let x = Arithmetic.number(v) else { throw QueryError(.type, "approx_percentile() needs numbers, not \(typeName(v))", at: p) }
            if percentile == nil {
                guard let q = Arithmetic.number(args[1]), q >= 0, q <= 1 else {
                    throw QueryError(.value, "approx_percentile() needs a percentage from 0 to 1", at: p)
                }
                percentile = q
            }
            values.append(x)
        case "bool_and", "bool_or":
            guard case .bool(let b) = v else { throw QueryError(.type, "\(name)() needs booleans, not \(typeName(v))", at: p) }
            flag = name == "bool_and" ? (flag ?? true) && b : (flag ?? false) || b
        default:
            throw QueryError(.unknownFunction, "unknown aggregate \(name)", at: p)
        }
    }

    var result: Value {
        switch name {
        case "count", "count_if", "approx_distinct": return .int(count)
        case "sum":
            if count == 0 { return .null }
            if case .interval = extreme { return .interval(intSum) }
            return sawDouble ? .double(doubleSum + Double(intSum)) : .int(intSum)
        case "avg":
            if count == 0 { return .null }
            if case .interval = extreme { return .interval(intSum / count) }
            return .double((doubleSum + Double(intSum)) / Double(count))
        case "min", "max", "min_by", "max_by", "arbitrary", "any_value": return extreme
        case "stddev", "stddev_samp": return count > 1 ? .double((m2 / Double(count - 1)).squareRoot()) : .null
        case "stddev_pop": return count > 0 ? .double((m2 / Double(count)).squareRoot()) : .null
        case "variance", "var_samp": return count > 1 ? .double(m2 / Double(count - 1)) : .null
        case "approx_percentile":
            // Exact: the nearest-rank value of the sorted inputs (a documented superset of "approximate").
            guard !values.isEmpty, let q = percentile else { return .null }
            return .double(Percentile.nearestRank(values, q))
        case "bool_and", "bool_or": return flag.map(Value.bool) ?? .null
        default: return .null
        }
    }
}
