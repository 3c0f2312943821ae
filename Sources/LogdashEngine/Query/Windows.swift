/// Window functions over rows already filtered (or grouped): each window partitions the rows,
/// orders each partition, and gives every row a value — `row_number`, `rank`, `dense_rank`,
/// `lag`, `lead`, `first_value`, `last_value`, or an aggregate over the frame.
///
/// Frames: with ORDER BY and no ROWS clause, from the partition's start through the current
/// row and its peers (rows tied with it), as in Trino; without ORDER BY, the whole partition;
/// `ROWS BETWEEN n PRECEDING AND CURRENT ROW`, the n rows before and the current one.
enum Windows {
    static let rankingNames: Set<String> = ["row_number", "rank", "dense_rank", "lag", "lead", "first_value", "last_value"]

    /// The value of `window` for every row of `rows` (whose columns are `names`).
    static func compute(_ window: Expr, rows: [[Value]], names: [String], compiler c: ExprCompiler) throws -> [Value] {
        guard case .window(let call, let partition, let order, let frame, let p) = window,
              case .call(let name, let args, let distinct, let star, let callAt) = call else { return [] }
        let partEvals = try partition.map(c.compile)
        let orderEvals = try order.map { try c.compile($0.expr) }
        let argEvals = try args.map(c.compile)
        let cursor = RowCursor()
        // Partition, then order each partition (stably).
        var partitions: [[Value]: [Int]] = [:]
        var partitionOrder: [[Value]] = []
        var orderKeys: [[Value]] = []
        var argValues: [[Value]] = []
        for (i, row) in rows.enumerated() {
            cursor.values = row
            let key = try partEvals.map { try $0(cursor) }
            if partitions[key] == nil { partitionOrder.append(key) }
            partitions[key, default: []].append(i)
            orderKeys.append(try orderEvals.map { try $0(cursor) })
            argValues.append(try argEvals.map { try $0(cursor) })
        }
        var out = [Value](repeating: .null, count: rows.count)
        for key in partitionOrder {
            var members = partitions[key]!
            if !order.isEmpty {
                members = members.enumerated().sorted { a, b in
                    let o = sortOrder(orderKeys[a.element], orderKeys[b.element], order)
                    return o != 0 ? o < 0 : a.offset < b.offset
                }.map(\.element)
            }
            let tied: (Int, Int) -> Bool = { order.isEmpty ? true : sortOrder(orderKeys[$0], orderKeys[$1], order) == 0 }
            // The last position tied with each row, found once (walking the peers of every row
            // was quadratic in a run of ties).
            var peerEnd = Array(members.indices)
            if !order.isEmpty {
                for pos in stride(from: members.count - 2, through: 0, by: -1) where tied(members[pos + 1], members[pos]) { peerEnd[pos] = peerEnd[pos + 1] }
            }
            switch name {
            case "row_number":
                for (pos, i) in members.enumerated() { out[i] = .int(Int64(pos + 1)) }
            case "rank", "dense_rank":
                var rank = 0, dense = 0
                for (pos, i) in members.enumerated() {
                    if pos == 0 || !tied(members[pos - 1], i) { rank = pos + 1; dense += 1 }
                    out[i] = .int(Int64(name == "rank" ? rank : dense))
                }
            case "lag", "lead":
                guard (1...3).contains(args.count) else { throw QueryError(.arity, "\(name)() takes 1 to 3 arguments", at: callAt) }
                for (pos, i) in members.enumerated() {
                    var offset = 1
                    if args.count >= 2 {
                        guard case .int(let o) = argValues[i][1], o >= 0 else { throw QueryError(.value, "\(name)() offset must be a whole number, 0 or more", at: callAt) }
                        offset = Int(o)
                    }
                    let target = name == "lag" ? pos - offset : pos + offset
                    if target >= 0 && target < members.count { out[i] = argValues[members[target]][0] }
                    else { out[i] = args.count == 3 ? argValues[i][2] : .null }
                }
            case "first_value", "last_value":
                guard args.count == 1 else { throw QueryError(.arity, "\(name)() takes 1 argument", at: callAt) }
                for (pos, i) in members.enumerated() {
                    let (lo, hi) = bounds(pos, members.count, frame: frame, ordered: !order.isEmpty, peerEnd: peerEnd)
                    out[i] = argValues[members[name == "first_value" ? lo : hi]][0]
                }
            default:
                guard Aggregates.isAggregate(name) else {
                    throw QueryError(.unknownFunction, "\(name)() is not a window function; use row_number, rank, dense_rank, lag, lead, first_value, last_value or an aggregate", at: callAt)
                }
                guard Aggregates.arity(name).contains(args.count), !star || name == "count" else {
                    throw QueryError(.arity, "\(name)() takes \(Aggregates.arity(name).upperBound) argument(s), not \(args.count)", at: callAt)
                }
                // `ROWS n PRECEDING` of count, sum, avg, min, max: slide the frame along, one row in
                // and one out, instead of folding n rows for every row.
                let counted = star || args.isEmpty  // count() counts rows, as count(*)
                if let n = frame, !distinct, var sliding = SlidingFrame(name, star: counted, values: members.map { counted ? .null : argValues[$0][0] }) {
                    for (pos, i) in members.enumerated() {
                        // The row leaving first: the running sum never holds more than the frame.
                        if pos - n - 1 >= 0 { try sliding.remove(pos - n - 1, at: callAt) }
                        try sliding.add(pos, at: callAt)
                        out[i] = sliding.result
                    }
                    continue
                }
                // Running frames grow by one row (or a run of peers) at a time: reuse the state.
                var state = AggregateState(name: name, distinct: distinct)
                var added = 0
                for (pos, i) in members.enumerated() {
                    let (lo, hi) = bounds(pos, members.count, frame: frame, ordered: !order.isEmpty, peerEnd: peerEnd)
                    if lo != 0 || frame != nil {
                        state = AggregateState(name: name, distinct: distinct)
                        for k in lo...hi { try state.add(star ? [] : argValues[members[k]], at: callAt) }
                    } else {
                        while added <= hi { try state.add(star ? [] : argValues[members[added]], at: callAt); added += 1 }
                    }
                    if state.overflowed { throw QueryError(.value, "bigint addition overflow in \(name)()", at: callAt) }
                    out[i] = state.result
                }
            }
        }
        _ = p
        return out
    }

    /// A `ROWS n PRECEDING` frame of `count`, `sum`, `avg`, `min` or `max` over a partition's
    /// values, slid along: each row enters once and leaves once. Integer sums stay exact (and
    /// overflow is an error, as a fold's); float sums are compensated (Neumaier), so they agree
    /// with a fold to the last bits. nil for other aggregates, or sums over other types.
    struct SlidingFrame {
        let name: String
        let star: Bool
        let values: [Value]
        var count: Int64 = 0
        var intSum: Int64 = 0
        var floatCount = 0
        var doubleSum = 0.0, compensation = 0.0
        /// Positions of the frame's candidates for min/max, their values monotonic.
        var deque: [Int] = []
        var head = 0

        init?(_ name: String, star: Bool, values: [Value]) {
            switch name {
            case "count": break
            case "sum", "avg":
                guard values.allSatisfy({ if case .int = $0 { true } else if case .double = $0 { true } else { $0 == .null } }) else { return nil }
            case "min", "max": break
            default: return nil
            }
            self.name = name
            self.star = star
            self.values = values
        }

        private mutating func addFloat(_ x: Double) {
            let t = doubleSum + x
            compensation += abs(doubleSum) >= abs(x) ? (doubleSum - t) + x : (x - t) + doubleSum
            doubleSum = t
        }

        mutating func add(_ pos: Int, at p: Int) throws {
            let v = values[pos]
            if !star && v == .null { return }
            count += 1
            switch (name, v) {
            case (_, .int(let i)) where name == "sum" || name == "avg": intSum = try Checked.add(intSum, i, at: p)
            case (_, .double(let d)) where name == "sum" || name == "avg": floatCount += 1; addFloat(d)
            case ("min", _), ("max", _):
                let sign = name == "max" ? 1 : -1
                // Strictly: of equal values the first stays, as a fold keeps it.
                while deque.count > head, Compare.forSort(values[deque[deque.count - 1]], v) * sign < 0 { deque.removeLast() }
                deque.append(pos)
            default: break
            }
        }

        mutating func remove(_ pos: Int, at p: Int) throws {
            let v = values[pos]
            if !star && v == .null { return }
            count -= 1
            switch (name, v) {
            case (_, .int(let i)) where name == "sum" || name == "avg": intSum = try Checked.subtract(intSum, i, at: p)
            case (_, .double(let d)) where name == "sum" || name == "avg":
                floatCount -= 1
                if floatCount == 0 { doubleSum = 0; compensation = 0 } else { addFloat(-d) }
            case ("min", _), ("max", _):
                if deque.count > head, deque[head] == pos { head += 1 }
                if head > 1024 && head * 2 > deque.count { deque.removeFirst(head); head = 0 }
            default: break
            }
        }

        var result: Value {
            switch name {
            case "count": return .int(count)
            case "min", "max": return deque.count > head ? values[deque[head]] : .null
            default:
                if count == 0 { return .null }
                let total = floatCount > 0 ? (doubleSum + compensation) + Double(intSum) : Double(intSum)
                if name == "avg" { return .double(total / Double(count)) }
                return floatCount > 0 ? .double(total) : .int(intSum)
            }
        }
    }

    /// The frame of the row at `pos` in its ordered partition, as positions [lo, hi].
    private static func bounds(_ pos: Int, _ count: Int, frame: Int?, ordered: Bool, peerEnd: [Int]) -> (Int, Int) {
        if let n = frame { return (max(0, pos - n), pos) }
        if !ordered { return (0, count - 1) }
        return (0, peerEnd[pos])
    }
}
