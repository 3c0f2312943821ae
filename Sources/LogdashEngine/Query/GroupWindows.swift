/// A window in GROUP BY, as in Flink SQL's group windows: `TUMBLE(t, size)`,
/// `HOP(t, slide, size)` and `SESSION(t, gap)`. Windows are half-open, `[window_start,
/// window_end)`; tumbling and hopping ones are aligned to the epoch. A session holds records
/// of one group less than `gap` apart and ends `gap` after its last record.
struct GroupWindow {
    enum Kind: String { case tumble, hop, session }

    let kind: Kind
    /// The time each record is windowed by (`ts` for event time, `ingest_ts` for arrival time).
    let time: Expr
    /// The window's length; a session's gap.
    let size: Int64
    /// How far apart windows start (`size` for tumbling windows).
    let slide: Int64
    let position: Int

    /// The columns a windowed GROUP BY adds.
    static let startColumn = "window_start", endColumn = "window_end"

    /// The one window among GROUP BY items and its index, checked; nil when there is none.
    static func find(_ groupBy: [Expr]) throws -> (window: GroupWindow, index: Int)? {
        var found: (GroupWindow, Int)?
        for (i, g) in groupBy.enumerated() {
            guard case .call(let name, let args, _, _, let p) = g, let kind = Kind(rawValue: name.lowercased()) else { continue }
            guard found == nil else { throw QueryError(.syntax, "GROUP BY can hold only one window (TUMBLE, HOP or SESSION)", at: p) }
            let shape = kind == .hop ? "HOP(ts, slide, size)" : kind == .tumble ? "TUMBLE(ts, size)" : "SESSION(ts, gap)"
            guard args.count == (kind == .hop ? 3 : 2) else {
                throw QueryError(.arity, "\(name.uppercased()) takes \(kind == .hop ? 3 : 2) arguments: \(shape)", at: p)
            }
            func interval(_ k: Int) throws -> Int64 {
                guard case .interval(let ns, _) = args[k], ns > 0 else {
                    throw QueryError(.type, "\(shape) needs a positive INTERVAL here, e.g. INTERVAL '1' MINUTE", at: args[k].position)
                }
                // Record times keep a year from the ends of Int64 (`Timestamp.range`), so
                // windows of up to a year never overflow.
                guard ns <= 366 * 86_400 * Timestamp.nanosPerSecond else {
                    throw QueryError(.value, "a window is at most 366 days long", at: args[k].position)
                }
                return ns
            }
            switch kind {
            case .tumble:
                let size = try interval(1)
                found = (GroupWindow(kind: kind, time: args[0], size: size, slide: size, position: p), i)
            case .hop:
                let slide = try interval(1), size = try interval(2)
                guard size / slide <= 1000 else {
                    throw QueryError(.value, "HOP's size is over 1000 slides: each record would be in over 1000 windows", at: args[2].position)
                }
                found = (GroupWindow(kind: kind, time: args[0], size: size, slide: slide, position: p), i)
            case .session:
                let gap = try interval(1)
                found = (GroupWindow(kind: kind, time: args[0], size: gap, slide: gap, position: p), i)
            }
        }
        return found
    }

    /// The starts of the tumbling or hopping windows that hold time `t`, oldest first.
    func starts(_ t: Int64) -> [Int64] {
        var s = Functions.floorDiv(t, slide) * slide
        var out: [Int64] = []
        while s > t - size { out.append(s); s -= slide }
        return out.reversed()
    }

    /// Sessions of one group's times: for each time (in the given order), its session's start
    /// and end. Times less than the gap apart share a session.
    func sessions(_ times: [Int64]) -> [(Int64, Int64)] {
        let order = times.indices.sorted { times[$0] < times[$1] }
        var out = [(Int64, Int64)](repeating: (0, 0), count: times.count)
        var k = 0
        while k < order.count {
            var last = times[order[k]]
            var j = k + 1
            while j < order.count, times[order[j]] - last < size { last = times[order[j]]; j += 1 }
            for m in k..<j { out[order[m]] = (times[order[k]], last + size) }
            k = j
        }
        return out
    }

    /// `window_start` and `window_end` in an expression, for a tumbling window, as the
    /// `date_bin` bucket and bucket + size (so that the grouping takes the bucket fast path).
    func tumbleRewrite(_ e: Expr, bucket: Expr) -> Expr {
        if case .column(let n, let p) = e {
            switch n.lowercased() {
            case GroupWindow.startColumn: return bucket
            case GroupWindow.endColumn: return .binary("+", bucket, .interval(size, at: p), at: p)
            default: return e
            }
        }
        return e.mapChildren { tumbleRewrite($0, bucket: bucket) }
    }
}
