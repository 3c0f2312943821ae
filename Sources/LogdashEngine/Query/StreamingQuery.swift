import Foundation
import Synchronization

/// A continuous query: SQL whose GROUP BY holds a window (`TUMBLE`, `HOP`, `SESSION`), kept up
/// to date as segments arrive, without rescanning the store.
///
/// Two-phase aggregation, as stream processors do it: each new batch of segments runs a
/// *partial* query (the same filter and keys, with every aggregate split into parts that add
/// up — `avg` into a sum and a count), and its rows fold into per-window, per-group state.
/// The watermark is the newest event time seen less the lateness; when it passes a window's
/// end the window's *final* query (the user's SELECT, HAVING, ORDER BY and LIMIT over the
/// state's rows) is emitted and, after `allowedLateness` more, the window is evicted. Open
/// windows can be read at any time as partial results.
///
/// Late records — for a window already emitted — update it and it is emitted again (marked
/// as an update) while the watermark is within `allowedLateness` of its end; later than that
/// they are dropped and counted in `droppedLate`.
public final class StreamingQuery {
    /// A window's result.
    public struct Emission: Sendable {
        public let windowStart: Int64
        public let windowEnd: Int64
        public let result: ResultSet
        /// A window emitted before, again after late records changed it.
        public let isUpdate: Bool
    }

    /// Why a streaming query cannot run.
    public struct StateLimit: Error, CustomStringConvertible {
        public let description: String
    }

    /// How a partial column folds into the state.
    enum Fold { case sum, min, max }

    public let sql: String
    /// Unique in the process (taps tell queries apart by it, holding none of them).
    let id = StreamingQuery.ids.add(1, ordering: .relaxed).newValue
    private static let ids = Atomic<Int>(0)
    public let lateness: Int64
    public let allowedLateness: Int64
    /// At most this many (window, group) entries are kept; more is an error (`StateLimit`).
    public let maxGroups: Int
    let window: GroupWindow
    let partial: Select
    let final: Select
    /// The final query's column names, and its items compiled over a state entry when it can
    /// run without the engine (see `direct`).
    private var columns: [String] = []
    private var direct: (items: [Eval], having: Eval?)?
    let folds: [Fold]
    /// Non-window keys at the front of a partial row (then window_start, window_end).
    let keyCount: Int
    /// Hopping windows built from one-slide panes (see `init`).
    let panes: Bool
    /// The percentiles read from each entry's sketch (`approx_percentile`), in call order.
    let quantiles: [Double]
    /// `count(DISTINCT x)` of one expression: each entry keeps the set of its values.
    let countsDistinct: Bool
    /// Whether windows are by arrival time (`ingest_ts`): the wall clock then moves the watermark too.
    public let processingTime: Bool
    /// The partial query without the engine, for its common shape (see `PartialKernel`).
    let kernel: PartialKernel?
    /// Where the kernel may have run on segments already, as they were made (`KernelTap`).
    public weak var kernelTap: KernelTap?

    /// The window groups' state, in columns.
    private let state: WindowState
    public private(set) var watermark: Int64 = .min
    /// The watermark, and the count of late updates, at the last `advance`.
    private var advancedTo: Int64 = .min, updatesSeen = 0
    /// How many groups the kernel's last batch made.
    private var lastBatchGroups = 0
    /// Input read out of order (a finished file parsed in parallel): the watermark stays put,
    /// so nothing closes or counts as late until `finishAll`.
    public var holdsWatermark = false
    /// A condition every record must meet besides the query's own WHERE (a dashboard's filters).
    public var logsFilter: Expr?
    private var newest: Int64 = .min
    public private(set) var recordsSeen = 0
    public private(set) var updatedLate = 0
    public private(set) var droppedLate = 0
    private static let stateName = "(window state)"

    /// `approximatePercentiles`: `approx_percentile` folds through a log-bucket sketch (within
    /// 1 % of the exact value); false refuses it (alarms recompute such metrics exactly).
    public init(sql: String, lateness: Int64 = 5_000_000_000, allowedLateness: Int64 = 60_000_000_000, maxGroups: Int = 1_000_000,
                approximatePercentiles: Bool = true) throws {
        self.sql = sql
        self.lateness = lateness
        self.allowedLateness = allowedLateness
        self.maxGroups = maxGroups
        guard case .query(.select(let s)) = try SQLParser.parse(sql) else {
            throw QueryError(.syntax, "a streaming query is one SELECT … GROUP BY … TUMBLE/HOP/SESSION(…)", at: 0)
        }
        guard case .table(let t, _)? = s.from, t.lowercased() == "logs" else {
            throw QueryError(.syntax, "a streaming query reads FROM logs", at: 0)
        }
        // A subquery answered batch by batch would answer about each batch only: such a query
        // runs over the whole store instead.
        if s.hasSubquery { throw QueryError(.syntax, "a streaming query cannot hold a subquery", at: 0) }
        guard let (w, wi) = try GroupWindow.find(s.groupBy) else {
            throw QueryError(.syntax, "a streaming query needs a window in GROUP BY: TUMBLE(ts, size), HOP(ts, slide, size) or SESSION(ts, gap)", at: 0)
        }
        window = w
        if case .column(let n, _) = w.time, n.lowercased() == "ingest_ts" { processingTime = true } else { processingTime = false }
        let others = s.groupBy.enumerated().filter { $0.offset != wi }.map(\.element)
        keyCount = others.count
        // The aggregates, each split into parts that add up across batches.
        var calls: [Expr] = []
        func collect(_ e: Expr) {
            walkThroughWindows(e) { x in
                if case .call(let n, _, _, _, _) = x, Aggregates.isAggregate(n), !calls.contains(where: { $0.canonical == x.canonical }) { calls.append(x) }
            }
        }
        s.items.forEach { collect($0.expr) }
        s.having.map(collect)
        s.orderBy.forEach { collect($0.expr) }
        var partItems: [SelectItem] = others.enumerated().map { SelectItem(expr: $0.element, alias: "\u{1}k\($0.offset)", isStar: false) }
        partItems += [GroupWindow.startColumn, GroupWindow.endColumn].map { SelectItem(expr: .column($0, at: 0), alias: $0, isStar: false) }
        var folds: [Fold] = []
        var finals: [String: Expr] = [:]
        var sketchOf: Expr?
        var quantiles: [Double] = []
        var distinctOf: Expr?
        func part(_ e: Expr, _ fold: Fold) -> Expr {
            let name = "\u{1}p\(folds.count)"
            partItems.append(SelectItem(expr: e, alias: name, isStar: false))
            folds.append(fold)
            let col = Expr.column(name, at: e.position)
            switch fold {
            case .sum: return .call("sum", [col], distinct: false, star: false, at: e.position)
            case .min: return .call("min", [col], distinct: false, star: false, at: e.position)
            case .max: return .call("max", [col], distinct: false, star: false, at: e.position)
            }
        }
        for c in calls {
            guard case .call(let n, let args, let distinct, _, let p) = c else { continue }
            let name = n.lowercased()
            if name == "approx_percentile", approximatePercentiles, !distinct, args.count == 2,
               case .literal(let pv, _) = args[1], let q = Arithmetic.number(pv), q >= 0, q <= 1,
               sketchOf == nil || sketchOf!.canonical == args[0].canonical {
                // Percentiles of one column share a sketch: a histogram of log-spaced buckets.
                sketchOf = args[0]
                finals[c.canonical] = .call("max", [.column("\u{1}q\(quantiles.count)", at: p)], distinct: false, star: false, at: p)
                quantiles.append(q)
                continue
            }
            if name == "count", distinct, args.count == 1, distinctOf == nil || distinctOf!.canonical == args[0].canonical {
                // The partial query groups by the value too; each entry keeps the set of values.
                distinctOf = args[0]
                finals[c.canonical] = .call("max", [.column("\u{1}d", at: p)], distinct: false, star: false, at: p)
                continue
            }
            let spread = ["stddev", "stddev_samp", "stddev_pop", "variance", "var_samp"]
            if distinct || !(["count", "count_if", "sum", "avg", "min", "max"] + spread).contains(name) {
                throw QueryError(.syntax, "\(name)(\(distinct ? "DISTINCT …" : "…")) cannot run in a streaming query yet (count, count_if, sum, avg, min, max, stddev, variance and approx_percentile of one column can)", at: p)
            }
            func call(_ f: String, _ a: [Expr]) -> Expr { .call(f, a, distinct: false, star: false, at: p) }
            switch name {
            case "count", "count_if", "sum": finals[c.canonical] = part(c, .sum)
            case "min": finals[c.canonical] = part(c, .min)
            case "max": finals[c.canonical] = part(c, .max)
            case _ where spread.contains(name) && args.count == 1:
                // Sums of x and x² and a count add up across batches: m2 = Σx² − (Σx)²/n
                // (its absolute value: rounding can leave a tiny negative where the spread is 0).
                let x = Expr.cast(args[0], .double, isTry: false, at: p)
                let s1 = part(call("sum", [x]), .sum), s2 = part(call("sum", [.binary("*", x, x, at: p)]), .sum)
                let n = part(call("count", args), .sum)
                let m2 = call("abs", [.binary("-", s2, .binary("/", .binary("*", s1, s1, at: p), call("nullif", [n, .literal(.int(0), at: p)]), at: p), at: p)])
                let pop = name == "stddev_pop"
                let over = pop ? call("nullif", [n, .literal(.int(0), at: p)])
                    : call("nullif", [.binary("-", n, .literal(.int(1), at: p), at: p), .literal(.int(0), at: p)])
                let variance = Expr.binary("/", m2, over, at: p)
                finals[c.canonical] = name.hasPrefix("stddev") ? call("sqrt", [variance]) : variance
            default:  // avg: a sum over a count
                let sum = part(.call("sum", args, distinct: false, star: false, at: p), .sum)
                let count = part(.call("count", args, distinct: false, star: false, at: p), .sum)
                finals[c.canonical] = .binary("/", .cast(sum, .double, isTry: false, at: p),
                                              .call("nullif", [count, .literal(.int(0), at: p)], distinct: false, star: false, at: p), at: p)
            }
        }
        // Every batch also counts its records and finds its newest time (for the watermark).
        partItems.append(SelectItem(expr: .call("count", [], distinct: false, star: true, at: 0), alias: "\u{1}n", isStar: false))
        partItems.append(SelectItem(expr: .call("max", [w.time], distinct: false, star: false, at: 0), alias: "\u{1}t", isStar: false))
        var p = s
        if let x = sketchOf {
            // The sketch: the partial query groups by the value's bucket too, and counts it.
            let bucket = try Sketch.bucketExpr(x)
            partItems.append(SelectItem(expr: bucket, alias: "\u{1}b", isStar: false))
            partItems.append(SelectItem(expr: .call("count", [x], distinct: false, star: false, at: 0), alias: "\u{1}c", isStar: false))
            p.groupBy.append(bucket)
        }
        if let x = distinctOf {
            partItems.append(SelectItem(expr: x, alias: "\u{1}x", isStar: false))
            p.groupBy.append(x)
        }
        // Hopping windows whose size is a whole number of slides fold panes: the partial query
        // groups by tumbling windows of one slide (the fast path), and each pane adds to the
        // size/slide windows holding it.
        panes = w.kind == .hop && w.size % w.slide == 0
        if panes {
            p.groupBy[wi] = .call("tumble", [w.time, .interval(w.slide, at: w.position)], distinct: false, star: false, at: w.position)
        }
        p.items = partItems
        p.having = nil
        p.orderBy = []
        p.limit = nil
        p.offset = 0
        p.distinct = false
        partial = p
        kernel = sketchOf == nil && distinctOf == nil
            ? PartialKernel(window: w, panes: panes, keys: others, parts: partItems[(others.count + 2)..<(others.count + 2 + folds.count)].map(\.expr), filter: s.filter)
            : nil
        self.folds = folds
        self.quantiles = quantiles
        countsDistinct = distinctOf != nil
        state = WindowState(keyCount: others.count, folds: folds, sessions: w.kind == .session, sketches: sketchOf != nil, distinct: distinctOf != nil)
        // The final query: the user's, over the state, with keys and aggregates read from it.
        func rewrite(_ e: Expr) -> Expr {
            if let k = others.firstIndex(where: { $0.canonical == e.canonical }) { return .column("\u{1}k\(k)", at: e.position) }
            if let f = finals[e.canonical] { return f }
            return e.mapChildren(rewrite)
        }
        var f = s
        f.from = .table(StreamingQuery.stateName, at: 0)
        f.filter = nil
        f.items = s.items.map { it in
            SelectItem(expr: rewrite(it.expr), alias: it.alias ?? (it.isStar ? nil : it.expr.defaultName), isStar: it.isStar)
        }
        f.groupBy = others.indices.map { .column("\u{1}k\($0)", at: 0) }
            + [.column(GroupWindow.startColumn, at: 0), .column(GroupWindow.endColumn, at: 0)]
        f.having = s.having.map(rewrite)
        f.orderBy = s.orderBy.map { OrderItem(expr: rewrite($0.expr), ascending: $0.ascending, nullsFirst: $0.nullsFirst) }
        final = f
        // Check the final query's shape now, over no rows.
        columns = try finish([]).columns
        direct = try Self.direct(f, keyCount: keyCount, partCount: folds.count, derived: derivedNames)
    }

    /// The final query without the engine, for the common shape: no ORDER BY, LIMIT, OFFSET,
    /// DISTINCT, `*` or window function. Each state entry is its own group there, so an
    /// aggregate of a part over it is the part itself: the items (and HAVING) are evaluated
    /// straight over the entry's row, in entry order — as the engine would.
    private static func direct(_ f: Select, keyCount: Int, partCount: Int, derived: [String]) throws -> (items: [Eval], having: Eval?)? {
        guard f.orderBy.isEmpty, f.limit == nil, f.offset == 0, !f.distinct, !f.items.contains(where: \.isStar) else { return nil }
        var windowed = false
        for e in f.items.map(\.expr) + (f.having.map { [$0] } ?? []) {
            walkThroughWindows(e) { if case .window = $0 { windowed = true } }
        }
        if windowed { return nil }
        func unwrap(_ e: Expr) -> Expr {
            if case .call(let n, let args, false, false, _) = e, ["sum", "min", "max"].contains(n.lowercased()), args.count == 1,
               case .column(let c, _) = args[0], c.hasPrefix("\u{1}p") || c.hasPrefix("\u{1}q") || c == "\u{1}d" {
                return args[0]
            }
            return e.mapChildren(unwrap)
        }
        let names = (0..<keyCount).map { "\u{1}k\($0)" } + [GroupWindow.startColumn, GroupWindow.endColumn] + (0..<partCount).map { "\u{1}p\($0)" }
            + derived
        let compiler = ExprCompiler(names: names, now: LoadOptions.wallClock())
        return (try f.items.map { try compiler.compile(unwrap($0.expr)) }, try f.having.map { try compiler.compile(unwrap($0)) })
    }

    /// Whether batches fold through `PartialKernel` (when their segments are as it expects).
    var usesKernel: Bool { kernel != nil }

    /// Open and emitted-but-kept windows' groups.
    public var stateSize: Int { state.liveCount }

    /// Folds newly stored segments into the state. `schema` is the store's (a superset of theirs).
    public func add(_ segments: [Segment], schema: [SchemaColumn], now: Int64 = LoadOptions.wallClock()) throws {
        guard !segments.isEmpty else { return }
        let n = folds.count
        var ids = [Int32](repeating: 0, count: keyCount), parts = [Value](repeating: .null, count: n)
        if let kernel, let batches = kernelGroups(kernel, segments, schema: schema, now: now) {
            for batch in batches {
                // The kernel's groups, typed: their key ids mapped to the state's once per value.
                var maps = batch.keys.values.map { [Int32](repeating: -1, count: $0.count) }
                recordsSeen += Int(batch.records.reduce(0, +))
                newest = max(newest, batch.newest.max() ?? .min)
                for g in 0..<batch.count {
                    for k in 0..<keyCount {
                        let b = Int(batch.groupKeys[g * keyCount + k])
                        if maps[k][b] < 0 { maps[k][b] = state.id(key: k, batch.keys.values[k][b]) }
                        ids[k] = maps[k][b]
                    }
                    for k in 0..<n { parts[k] = batch.part(k, g) }
                    fold(ids: ids, pane: batch.starts[g], paneEnd: batch.ends[g], parts: parts, count: Int(batch.records[g]))
                }
            }
        } else {
            for row in try partialRows(segments, schema: schema, now: now, kernel: false) {
                for k in 0..<keyCount { ids[k] = state.id(key: k, row[k]) }
                guard case .timestamp(let paneStart) = row[keyCount], case .timestamp(let paneEnd) = row[keyCount + 1] else { continue }
                for k in 0..<n { parts[k] = row[keyCount + 2 + k] }
                let count: Int
                if case .int(let c) = row[keyCount + 2 + n] { count = Int(c) } else { count = 0 }
                recordsSeen += count
                if case .timestamp(let t) = row[keyCount + 3 + n] { newest = max(newest, t) }
                var sketch: [Int64: Int64] = [:]
                if !quantiles.isEmpty, case .int(let b) = row[keyCount + 4 + n], case .int(let c) = row[keyCount + 5 + n], c > 0 { sketch[b] = c }
                var values: Set<Value> = []
                if countsDistinct, case let v = row[keyCount + 4 + n + (quantiles.isEmpty ? 0 : 2)], v != .null { values.insert(v) }
                fold(ids: ids, pane: paneStart, paneEnd: paneEnd, parts: parts, count: count, sketch: sketch, values: values)
            }
        }
        // Sessions merged away leave dead groups behind: dropped once they outnumber the live ones.
        if state.count > 2 * state.liveCount + 4096 { state.compact { _ in true } }
        if state.liveCount > maxGroups {
            throw StateLimit(description: "the streaming query holds \(state.liveCount) window groups, over its limit of \(maxGroups): narrow its GROUP BY, shorten its windows or lower the lateness")
        }
        if countsDistinct {
            // The sets of count(DISTINCT …) count against the same limit.
            let held = (0..<state.count).reduce(0) { $0 + (state.alive[$1] ? state.distinct[$1].count : 0) }
            if held > maxGroups {
                throw StateLimit(description: "the streaming query holds \(held) distinct values for count(DISTINCT …), over its limit of \(maxGroups): count fewer distinct values, shorten its windows, or use approx_distinct in a batch query")
            }
        }
        if newest != .min && !holdsWatermark { watermark = max(watermark, newest - lateness) }
    }

    /// The kernel's groups over `segments`, in their order: those the tap made as segments
    /// were made, and the kernel's over the rest (each run of them at once); nil when the
    /// engine must run the query.
    private func kernelGroups(_ kernel: PartialKernel, _ segments: [Segment], schema: [SchemaColumn], now: Int64) -> [PartialKernel.Groups]? {
        var batches: [PartialKernel.Groups] = [], rest: [Segment] = []
        func runRest() -> Bool {
            guard !rest.isEmpty else { return true }
            guard let batch = kernel.run(rest, schema: schema, logsFilter: logsFilter, now: now, expected: lastBatchGroups) else { return false }
            lastBatchGroups = batch.count
            batches.append(batch)
            rest = []
            return true
        }
        for s in segments {
            if let made = kernelTap?.take(s, for: self, schema: schema) {
                guard runRest() else { return nil }
                batches.append(made)
            } else {
                rest.append(s)
            }
        }
        return runRest() ? batches : nil
    }

    /// The newest event time of the input as a whole (the store's), which moves the watermark
    /// even when the query's WHERE keeps none of the newest records.
    public func observe(newest t: Int64) {
        guard !processingTime else { return }  // arrival-time windows close by the clock
        newest = max(newest, t)
        if !holdsWatermark && newest != .min { watermark = max(watermark, newest - lateness) }
    }

    /// Folds each query's new segments in and advances it (or, at `end`, closes every window),
    /// the queries spread over the cores (without `spread`, one after the other on the calling
    /// thread). Each query's emissions, or its error, in order.
    /// `newest`: the input's newest event time, when the segments are not all of it (after
    /// folding them in, it moves every query's watermark too).
    public static func step(_ work: [(query: StreamingQuery, segments: [Segment])], schema: [SchemaColumn],
                            end: Bool, newest: Int64? = nil, now: Int64 = LoadOptions.wallClock(), spread: Bool = true) -> [Result<[Emission], Error>] {
        let results = ParallelResults<[Emission]>(work.count)
        let box = UncheckedBox(work)
        Spread.perform(work.count, spread: spread) { k in
            results.set(k) {
                let (q, segments) = box.value[k]
                try q.add(segments, schema: schema, now: now)
                if let t = segments.filter({ $0.rowCount > 0 }).map(\.maxTs).max() { q.observe(newest: t) }
                if let newest { q.observe(newest: newest) }
                return end ? try q.finishAll() : try q.advance(now: now)
            }
        }
        return results.results()
    }

    /// Folds one partial row — a pane's parts for one group (keys as the state's ids) — into
    /// the state: into its window, or each hopping window holding the pane.
    private func fold(ids: [Int32], pane: Int64, paneEnd: Int64, parts: [Value], count: Int,
                      sketch: [Int64: Int64] = [:], values: Set<Value> = []) {
        guard panes else {
            fold(ids: ids, start: pane, end: paneEnd, parts: parts, count: count, sketch: sketch, values: values)
            return
        }
        for j in 0..<(window.size / window.slide) {
            let start = pane - j * window.slide
            fold(ids: ids, start: start, end: start + window.size, parts: parts, count: count, sketch: sketch, values: values)
        }
    }

    private func fold(ids: [Int32], start: Int64, end: Int64, parts: [Value], count: Int, sketch: [Int64: Int64], values: Set<Value>) {
        // A window the watermark passed long ago: too late even for an update.
        if end <= evictionHorizon || (end <= watermark && !hasEntry(start, end, ids)) {
            droppedLate += count
            return
        }
        guard window.kind == .session else {
            if let g = state.find(start: start, ids: ids) {
                if state.emitted[g] { updatedLate += count }
                state.merge(g, parts: parts, sketch: sketch, distinct: values)
            } else {
                state.make(start: start, end: end, ids: ids, parts: parts, sketch: sketch, distinct: values)
            }
            return
        }
        // Merge with this group's sessions the new one overlaps (or touches within the gap).
        // A group's sessions never overlap and are kept in order of start (so of end too):
        // from the newest back, the first that ends before this one starts is the last to look at.
        var list = state.sessions(of: ids)
        var start = start, end = end, parts = parts, sketch = sketch, values = values
        var late = false
        var k = list.count - 1
        while k >= 0 {
            let g = Int(list[k])
            if state.ends[g] <= start { break }
            if state.starts[g] < end {
                list.remove(at: k)
                start = min(start, state.starts[g]); end = max(end, state.ends[g])
                for p in parts.indices { parts[p] = WindowState.merge(state.part(g, p), parts[p], folds[p]) }
                if state.keepsSketches { sketch.merge(state.sketches[g], uniquingKeysWith: +) }
                if state.keepsDistinct { values.formUnion(state.distinct[g]) }
                late = late || state.emitted[g]
                state.kill(g)
            }
            k -= 1
        }
        if late { updatedLate += count }
        var at = list.count
        while at > 0 && state.starts[Int(list[at - 1])] > start { at -= 1 }
        list.insert(state.make(start: start, end: end, ids: ids, parts: parts, emitted: late, sketch: sketch, distinct: values), at: at)
        state.setSessions(of: ids, list)
    }

    /// The partial query's rows over `segments`: by the kernel when it can (and `kernel`),
    /// otherwise by the engine.
    func partialRows(_ segments: [Segment], schema: [SchemaColumn], now: Int64, kernel useKernel: Bool = true) throws -> [[Value]] {
        if useKernel, let kernel, let groups = kernel.run(segments, schema: schema, logsFilter: logsFilter, now: now) { return groups.rows() }
        let snap = StoreSnapshot(segments: segments, rowCount: segments.reduce(0) { $0 + $1.rowCount }, schema: schema)
        var engine = QueryEngine(snapshot: snap, now: now)
        engine.logsFilter = logsFilter
        engine.integerSumsSpill = true
        return try engine.select(partial).rows
    }

    /// The kernel's rows, nil when it has none or leaves these segments to the engine.
    func kernelRows(_ segments: [Segment], schema: [SchemaColumn], now: Int64) -> [[Value]]? {
        kernel?.run(segments, schema: schema, logsFilter: logsFilter, now: now)?.rows()
    }

    /// Windows ending at or before this are evicted: the watermark less the allowed lateness.
    private var evictionHorizon: Int64 {
        watermark > Int64.min + allowedLateness ? watermark - allowedLateness : .min
    }

    private func hasEntry(_ start: Int64, _ end: Int64, _ ids: [Int32]) -> Bool {
        if window.kind == .session { return state.sessions(of: ids).contains { state.starts[Int($0)] < end && start < state.ends[Int($0)] } }
        return state.find(start: start, ids: ids) != nil
    }

    /// Moves the watermark (for arrival-time windows, the wall clock moves it too) and returns
    /// the windows it closed, and windows late records changed, oldest first. Evicts windows
    /// the watermark passed by more than the allowed lateness.
    public func advance(now: Int64 = LoadOptions.wallClock()) throws -> [Emission] {
        if processingTime { watermark = max(watermark, now - lateness) }
        // Nothing can be due, or evicted, while the watermark stays where it was and no late
        // record changed an emitted window (a new window behind the watermark is dropped).
        if watermark == advancedTo && updatedLate == updatesSeen { return [] }
        advancedTo = watermark
        updatesSeen = updatedLate
        let sessions = window.kind == .session
        // The groups due, as (window, group): a window's groups together, in the order made.
        var due: [(window: Int64, group: Int32)] = []
        var kept = false
        for g in 0..<state.count where state.alive[g] {
            if state.changed[g] {
                if state.ends[g] <= watermark { due.append((sessions ? 0 : state.starts[g], Int32(g))) }  // sessions: one emission
            } else if state.emitted[g] {
                kept = true
            }
        }
        // A window updated by late records is emitted whole (its unchanged groups too), so
        // that the update replaces it; a session is a window of its own.
        if !sessions && !due.isEmpty && kept {
            let windows = Set(due.map(\.window))
            for g in 0..<state.count where state.alive[g] && state.emitted[g] && !state.changed[g] && windows.contains(state.starts[g]) {
                due.append((state.starts[g], Int32(g)))
            }
        }
        if !due.indices.dropFirst().allSatisfy({ due[$0 - 1].window < due[$0].window || (due[$0 - 1].window == due[$0].window && due[$0 - 1].group < due[$0].group) }) {
            due.sort { $0.window != $1.window ? $0.window < $1.window : $0.group < $1.group }
        }
        var out: [Emission] = []
        var from = 0
        var group: [Int] = []  // a window's groups, refilled in place
        let cursor = RowCursor()
        while from < due.count {
            var to = from + 1
            while to < due.count && due[to].window == due[from].window { to += 1 }
            group.removeAll(keepingCapacity: true)
            for d in due[from..<to] { group.append(Int(d.group)) }
            from = to
            let result = try finish(group, cursor: cursor)
            let update = group.contains { state.emitted[$0] }
            var start = Int64.max, end = Int64.min
            for g in group {
                state.emitted[g] = true
                state.changed[g] = false
                start = min(start, state.starts[g])
                end = max(end, state.ends[g])
            }
            out.append(Emission(windowStart: start, windowEnd: end, result: result, isUpdate: update))
        }
        // Evict windows past the allowed lateness (all of them at once when the input has ended).
        let horizon = evictionHorizon
        guard horizon > .min else { return out }
        let live = (0..<state.count).filter { state.alive[$0] }
        if horizon == .max || !live.contains(where: { state.ends[$0] > horizon }) {
            state.removeAll()
        } else if live.contains(where: { state.ends[$0] <= horizon }) {
            state.compact { state.ends[$0] > horizon }
        }
        return out
    }

    /// The input has ended: every window closes and is emitted.
    public func finishAll() throws -> [Emission] {
        watermark = .max
        return try advance()
    }

    /// The live groups of windows not yet closed (not passed by the watermark), in the order made.
    private var openGroups: [Int] {
        (0..<state.count).filter { state.alive[$0] && state.ends[$0] > watermark }
    }

    /// How many windows are still open (not passed by the watermark).
    public var openWindowCount: Int {
        Set(openGroups.map { window.kind == .session ? state.ends[$0] : state.starts[$0] }).count
    }

    /// The windows not yet closed, as the query's result so far (for live charts).
    public func openWindows() throws -> ResultSet {
        try finish(openGroups)
    }

    private var derivedNames: [String] {
        quantiles.indices.map { "\u{1}q\($0)" } + (countsDistinct ? ["\u{1}d"] : [])
    }

    /// Group `g` as a row of the state's table: keys, window start and end, parts, then the
    /// percentiles read from its sketch and the count of its distinct values.
    private func stateRow(_ g: Int, into row: inout [Value]) {
        row.removeAll(keepingCapacity: true)
        for k in 0..<keyCount { row.append(state.key(g, k)) }
        row.append(.timestamp(state.starts[g]))
        row.append(.timestamp(state.ends[g]))
        for k in folds.indices { row.append(state.part(g, k)) }
        for q in quantiles { row.append(Sketch.quantile(state.sketches[g], q).map(Value.double) ?? .null) }
        if countsDistinct { row.append(.int(Int64(state.distinct[g].count))) }
    }

    /// The user's SELECT over state groups (`cursor`: one to reuse, as for many windows in a row).
    private func finish(_ groups: [Int], cursor reused: RowCursor? = nil) throws -> ResultSet {
        if let direct {
            let cursor = reused ?? RowCursor()
            if cursor.values == nil { cursor.values = [] }
            var rows: [[Value]] = []
            rows.reserveCapacity(groups.count)
            for g in groups {
                stateRow(g, into: &cursor.values!)  // one row buffer, refilled in place
                if let having = direct.having, try having(cursor) != .bool(true) { continue }
                rows.append(try direct.items.map { try $0(cursor) })
            }
            return ResultSet(columns: columns, rows: rows)
        }
        let columns = (0..<keyCount).map { "\u{1}k\($0)" } + [GroupWindow.startColumn, GroupWindow.endColumn] + folds.indices.map { "\u{1}p\($0)" }
            + derivedNames
        let rows = groups.map { g in
            var row: [Value] = []
            stateRow(g, into: &row)
            return row
        }
        let engine = QueryEngine(snapshot: StoreSnapshot(segments: [], rowCount: 0, schema: []))
        return try engine.select(final, ctes: [StreamingQuery.stateName: ResultSet(columns: columns, rows: rows)])
    }
}

/// A streaming query shown live (the dashboard's query pane): it starts from the stored
/// history, then each `step` folds in the segments stored since and gives the windows closed
/// so far (their final rows, oldest first, a late update replacing its window's rows) followed
/// by the open windows' partial rows. Steps may run on any one thread at a time.
public final class LiveQuery: Sendable {
    private let feed: SegmentFeed
    private let store: Store
    /// At most this many closed windows are kept for the view (the oldest go first).
    public let keep: Int
    private struct State {
        let query: StreamingQuery
        var closed: [(start: Int64, end: Int64, rows: [[Value]])] = []
        var columns: [String] = []
        /// How many windows have closed, and how many are open, after the last step.
        var closedWindows = 0
        var openWindows = 0
        var newestSeen: Int64 = .min
    }
    private let state: Mutex<State>

    /// How many windows have closed, and how many are open, after the last step.
    public var closedWindows: Int { state.withLock { $0.closedWindows } }
    public var openWindows: Int { state.withLock { $0.openWindows } }

    /// `filter`: a WHERE expression every record must also meet (the dashboard's filters).
    public init(sql: String, store: Store, filter: String? = nil, keep: Int = 10_000) throws {
        let query = try StreamingQuery(sql: sql)
        query.logsFilter = try filter.map(QueryEngine.filter)
        state = Mutex(State(query: query))
        self.store = store
        self.keep = keep
        feed = store.subscribe(fromStart: true)
    }

    deinit { store.unsubscribe(feed) }

    /// Folds in what was stored since the last step; the rows as they stand. `hold`: files'
    /// history is still loading (out of order), so no window closes yet.
    public func step(progress: QueryProgress? = nil, hold: Bool = false) throws -> ResultSet {
        let segments = feed.take()
        if let progress { for s in segments { try progress.visit(rows: s.rowCount) } }
        let schema = store.snapshot().schema
        let keep = self.keep
        return try state.withLock { s throws -> ResultSet in
            let query = s.query
            query.holdsWatermark = hold
            try query.add(segments, schema: schema)
            if let t = segments.filter({ $0.rowCount > 0 }).map(\.maxTs).max() { s.newestSeen = max(s.newestSeen, t) }
            if s.newestSeen != .min { query.observe(newest: s.newestSeen) }  // every record moves the watermark
            for e in try query.advance() {
                s.columns = e.result.columns
                if e.isUpdate, query.window.kind != .session, let i = s.closed.lastIndex(where: { $0.start == e.windowStart && $0.end == e.windowEnd }) {
                    s.closed[i].rows = e.result.rows
                } else {
                    s.closed.append((e.windowStart, e.windowEnd, e.result.rows))
                    s.closedWindows += 1
                }
            }
            if s.closed.count > keep { s.closed.removeFirst(s.closed.count - keep) }
            let open = try query.openWindows()
            s.openWindows = query.openWindowCount
            return ResultSet(columns: open.columns.isEmpty ? s.columns : open.columns, rows: s.closed.flatMap(\.rows) + open.rows)
        }
    }
}

/// A log-bucket sketch of a column's values (as DDSketch does it): bucket k holds the values in
/// (γ^(k-1), γ^k] with γ = 1.02, so a percentile read from the counts is within 1 % of the
/// value at that rank. Negative values mirror the positive ones; zero has a bucket of its own.
enum Sketch {
    static let gamma = 1.02
    static let negative: Int64 = -10_000_000
    static let zero: Int64 = -20_000_000

    /// The bucket of `x`, as SQL the partial query groups by (NULL for a NULL value).
    static func bucketExpr(_ x: Expr) throws -> Expr {
        let v = x.sql, l = "ln(\(gamma))"
        let text = "SELECT CASE WHEN \(v) > 0 THEN CAST(ceil(ln(\(v)) / \(l)) AS bigint) WHEN \(v) < 0 THEN \(negative) - CAST(ceil(ln(-(\(v))) / \(l)) AS bigint) WHEN \(v) = 0 THEN \(zero) END FROM logs"
        guard case .query(.select(let s)) = try SQLParser.parse(text), let item = s.items.first else {
            throw QueryError(.syntax, "approx_percentile of this expression cannot stream", at: x.position)
        }
        return item.expr
    }

    /// A bucket's representative value (the middle of its range, in relative terms).
    static func value(_ k: Int64) -> Double {
        if k == zero { return 0 }
        if k <= negative / 2 { return -2 * pow(gamma, Double(negative - k)) / (gamma + 1) }
        return 2 * pow(gamma, Double(k)) / (gamma + 1)
    }

    /// The value at rank ⌈q·n⌉ (nearest rank, as the batch `approx_percentile`); nil for no values.
    static func quantile(_ counts: [Int64: Int64], _ q: Double) -> Double? {
        let n = counts.values.reduce(0, +)
        guard n > 0 else { return nil }
        let rank = max(1, min(n, Int64((q * Double(n)).rounded(.up))))
        var seen: Int64 = 0
        for (k, c) in counts.sorted(by: { value($0.key) < value($1.key) }) {
            seen += c
            if seen >= rank { return value(k) }
        }
        return nil
    }
}
