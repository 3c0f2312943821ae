import Foundation

/// Aggregate functions: their names and the running state of one aggregate in one group.
enum Aggregates {
    static let names = ["count", "count_if", "sum", "avg", "min", "max", "stddev", "stddev_samp", "stddev_pop", "variance",
                        "var_samp", "approx_percentile", "approx_distinct", "min_by", "max_by", "arbitrary", "any_value",
                        "bool_and", "bool_or", "every", "array_agg", "histogram", "map_agg", "approx_most_frequent"]

    /// `array_agg(x ORDER BY …)` as the parser writes it: (x, condition, key, descends, …).
    static let orderedArrayAgg = "\u{1}array_agg_by"

    static func isAggregate(_ name: String) -> Bool { names.contains(name) || name == orderedArrayAgg }

    static func arity(_ name: String) -> ClosedRange<Int> {
        switch name {
        case "approx_percentile", "map_agg": 2...2
        case "array_agg": 1...2  // (the second: FILTER's condition, put there by the parser)
        case orderedArrayAgg: 4...64
        case "min_by", "max_by": 2...3
        case "approx_most_frequent": 3...3
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
    /// approx_percentile(x, ARRAY[…]): every percentage asked for.
    var percentiles: [Double]?
    /// array_agg's values; map_agg's keys and values; min_by/max_by's best n (value, key) pairs.
    var items: [Value] = []
    var keys: [Value] = []
    var counts: [Value: Int64] = [:]
    /// min_by/max_by's n, when it has one.
    var limit: Int?
    /// What the state keeps beyond its fixed fields (values, counts), for the memory budget.
    var bytes = 0

    init(name: String, distinct: Bool) {
        self.name = name
        self.distinct = distinct
    }

    /// Adds a row's argument values (empty for count(*)).
    func add(_ args: [Value], at p: Int) throws {
        if name == "count" && args.isEmpty { count += 1; return }
        if name == "approx_most_frequent" { return try addFrequent(args, at: p) }
        let v = args[0]
        if name == Aggregates.orderedArrayAgg {
            guard args[1] == .bool(true) else { return }
            if distinct { guard seen.insert(Functions.hashable(v)).inserted else { return } }
            items.append(v)
            keys.append(.array(Array(args[2...])))  // the keys, each followed by its direction
            bytes += MemoryMeter.footprint([v] + args[2...]) - 32
            return
        }
        if name == "array_agg" {
            // NULLs too, as in Trino; under FILTER (WHERE c) only the rows where c holds.
            if args.count == 2 && args[1] != .bool(true) { return }
            if distinct { guard seen.insert(Functions.hashable(v)).inserted else { return } }
            items.append(v)
            bytes += MemoryMeter.footprint([v]) - 32
            return
        }
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
        case "min_by" where args.count == 3, "max_by" where args.count == 3:
            try addBest(v, args[1], args[2], at: p)
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
            if percentile == nil, case .array(let qs) = args[1] {
                percentiles = try qs.map { q in
                    guard let q = Arithmetic.number(q), q >= 0, q <= 1 else { throw QueryError(.value, "approx_percentile() needs percentages from 0 to 1", at: p) }
                    return q
                }
                percentile = percentiles?.first ?? 0
            }
            if percentile == nil {
                guard let q = Arithmetic.number(args[1]), q >= 0, q <= 1 else {
                    throw QueryError(.value, "approx_percentile() needs a percentage from 0 to 1", at: p)
                }
                percentile = q
            }
            values.append(x)
        case "bool_and", "bool_or", "every":
            guard case .bool(let b) = v else { throw QueryError(.type, "\(name)() needs booleans, not \(typeName(v))", at: p) }
            flag = name == "bool_or" ? (flag ?? false) || b : (flag ?? true) && b
        case "histogram":
            if counts.updateValue((counts[v] ?? 0) + 1, forKey: v) == nil { bytes += MemoryMeter.footprint([v]) }
        case "map_agg":
            // (A key seen again keeps its first value.)
            if counts[v] == nil { counts[v] = 1; keys.append(v); items.append(args[1]); bytes += MemoryMeter.footprint([v, args[1]]) }
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
        case "min_by" where limit != nil, "max_by" where limit != nil:
            // The best n values, best first.
            return keys.isEmpty ? .null : .array(items)
        case "min", "max", "min_by", "max_by", "arbitrary", "any_value": return extreme
        case "stddev", "stddev_samp": return count > 1 ? .double((m2 / Double(count - 1)).squareRoot()) : .null
        case "stddev_pop": return count > 0 ? .double((m2 / Double(count)).squareRoot()) : .null
        case "variance", "var_samp": return count > 1 ? .double(m2 / Double(count - 1)) : .null
        case "approx_percentile":
            // Exact: the nearest-rank value of the sorted inputs (a documented superset of "approximate").
            guard !values.isEmpty, let q = percentile else { return .null }
            if let qs = percentiles { return .array(qs.map { .double(Percentile.nearestRank(values, $0)) }) }
            return .double(Percentile.nearestRank(values, q))
        case "bool_and", "bool_or", "every": return flag.map(Value.bool) ?? .null
        case "array_agg": return items.isEmpty ? .null : .array(items)
        case Aggregates.orderedArrayAgg:
            if items.isEmpty { return .null }
            // A stable sort by the keys (NULLs last, as ORDER BY's default).
            let order = items.indices.sorted { a, b in
                guard case .array(let x) = keys[a], case .array(let y) = keys[b] else { return a < b }
                for k in stride(from: 0, to: x.count, by: 2) {
                    let descending = x[k + 1] == .bool(true)
                    if x[k] == .null || y[k] == .null {
                        if x[k] == .null && y[k] == .null { continue }
                        return y[k] == .null
                    }
                    let c = Compare.forSort(x[k], y[k])
                    if c != 0 { return descending ? c > 0 : c < 0 }
                }
                return a < b
            }
            return .array(order.map { items[$0] })
        case "histogram":
            if counts.isEmpty { return .null }
            let sorted = counts.keys.sorted { Compare.forSort($0, $1) < 0 }
            return .map(sorted, sorted.map { .int(counts[$0]!) })
        case "map_agg": return keys.isEmpty ? .null : Value.sortedMap(keys, items)
        case "approx_most_frequent":
            if counts.isEmpty { return .null }
            // The most frequent first (ties by value), as many as asked for.
            let top = counts.sorted { $0.value != $1.value ? $0.value > $1.value : Compare.forSort($0.key, $1.key) < 0 }.prefix(max(0, Int(intSum)))
            return Value.sortedMap(top.map(\.key), top.map { .int($0.value) })

        default: return .null
        }
    }
}

extension AggregateState {
    /// approx_most_frequent(buckets, value, capacity): counts each value (exactly; `capacity`
    /// only bounds the sketch in Trino) and keeps the `buckets` most frequent.
    private func addFrequent(_ args: [Value], at p: Int) throws {
        guard case .int(let buckets) = args[0], buckets > 0 else {
            throw QueryError(.value, "approx_most_frequent() needs a positive number of buckets first", at: p)
        }
        intSum = buckets
        if args[1] == .null { return }
        if counts.updateValue((counts[args[1]] ?? 0) + 1, forKey: args[1]) == nil { bytes += MemoryMeter.footprint([args[1]]) }
    }

    /// min_by(x, key, n) / max_by(x, key, n): the n values of x whose keys are the smallest (the
    /// largest), best first. `keys` and `items` hold them in order.
    fileprivate func addBest(_ v: Value, _ key: Value, _ n: Value, at p: Int) throws {
        guard case .int(let limit) = n, limit > 0, limit <= 10_000 else {
            throw QueryError(.value, "\(name)()'s count must be from 1 to 10000", at: p)
        }
        self.limit = Int(limit)
        if key == .null { return }
        let max = name == "max_by"
        // The first position whose key this one beats (ties keep the earlier first).
        var at = keys.count
        for (k, other) in keys.enumerated() {
            let c = Compare.forSort(key, other)
            if max ? c > 0 : c < 0 { at = k; break }
        }
        guard at < Int(limit) else { return }
        keys.insert(key, at: at)
        items.insert(v, at: at)
        if keys.count > Int(limit) { keys.removeLast(); items.removeLast() }
    }
}

extension Value {
    /// A map of `keys` (each once) to `values`, its keys in order.
    static func sortedMap(_ keys: [Value], _ values: [Value]) -> Value {
        let order = keys.indices.sorted { Compare.forSort(keys[$0], keys[$1]) < 0 }
        return .map(order.map { keys[$0] }, order.map { values[$0] })
    }
}
