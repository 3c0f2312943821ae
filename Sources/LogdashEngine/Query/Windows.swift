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
                    let (lo, hi) = bounds(pos, members, frame: frame, ordered: !order.isEmpty, tied: tied)
                    out[i] = argValues[members[name == "first_value" ? lo : hi]][0]
                }
            default:
                guard Aggregates.isAggregate(name) else {
                    throw QueryError(.unknownFunction, "\(name)() is not a window function; use row_number, rank, dense_rank, lag, lead, first_value, last_value or an aggregate", at: callAt)
                }
                guard Aggregates.arity(name).contains(args.count), !star || name == "count" else {
                    throw QueryError(.arity, "\(name)() takes \(Aggregates.arity(name).upperBound) argument(s), not \(args.count)", at: callAt)
                }
                // Running frames grow by one row (or a run of peers) at a time: reuse the state.
                var state = AggregateState(name: name, distinct: distinct)
                var added = 0
                for (pos, i) in members.enumerated() {
                    let (lo, hi) = bounds(pos, members, frame: frame, ordered: !order.isEmpty, tied: tied)
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

    /// The frame of the row at `pos` in its ordered partition, as positions [lo, hi].
    private static func bounds(_ pos: Int, _ members: [Int], frame: Int?, ordered: Bool, tied: (Int, Int) -> Bool) -> (Int, Int) {
        if let n = frame { return (max(0, pos - n), pos) }
        if !ordered { return (0, members.count - 1) }
        var hi = pos
        while hi + 1 < members.count, tied(members[hi + 1], members[pos]) { hi += 1 }
        return (0, hi)
    }
}
