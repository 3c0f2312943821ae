import Foundation
/// The rows a query gives back.
public struct ResultSet: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[Value]]

    public init(columns: [String], rows: [[Value]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// Runs SQL over a snapshot of the store. Tables: `logs` (every record) and `errors` (records
/// that no format fitted or that were cut: `ts`, `ingest_ts`, `source`, `reason`, `raw`).
public struct QueryEngine: Sendable {
    public let snapshot: StoreSnapshot
    /// What `now()` returns: fixed when the query starts.
    public let now: Int64
    /// `--since`/`--until`: records of `logs` outside [lower, upper] are invisible.
    public let timeRange: (Int64, Int64)?
    /// From how many rows an aggregation scans on two threads (the store's halves merged after).
    var parallelRows = 200_000
    /// Whether a join of `logs` with a table that has each key once looks the key up as `logs`
    /// is scanned (`probeJoin`) rather than joining rows (tests compare the two).
    var lookupJoins = true
    /// Whether hopping windows fold panes (`hopByPanes`) rather than copy each record into each
    /// of its windows (tests compare the two).
    var hopPanes = true
    /// A condition every record of `logs` must meet, in every query (the dashboard's filters,
    /// applied to each pane's SQL): ANDed to the WHERE of each SELECT that reads `logs`.
    public var logsFilter: Expr?
    /// Counts the rows scanned and stops the query when cancelled (nil: neither).
    public var progress: QueryProgress?
    /// An integer `sum` past Int64 goes on as a float instead of failing the query: a streaming
    /// query's partial sums (as its kernel's do), where one window must not stop the stream.
    var integerSumsSpill = false
    /// What one query may hold in memory (nil: `QueryMemory.defaultLimit`); each query gets
    /// its own budget of it.
    public var memoryLimit: Int?
    /// The budget of the query running.
    private(set) var memory: QueryMemory?

    /// This engine with a fresh memory budget, for one query.
    private func budgeted() -> QueryEngine {
        var e = self
        e.memory = QueryMemory(limit: memoryLimit ?? QueryMemory.defaultLimit)
        return e
    }

    /// A WHERE expression's text as a syntax tree, for `logsFilter`; errors point into `text`.
    public static func filter(_ text: String) throws -> Expr {
        let prefix = "SELECT 1 FROM logs WHERE "
        do {
            guard case .query(.select(let s)) = try SQLParser.parse(prefix + text), let f = s.filter else {
                throw QueryError(.syntax, "not a WHERE expression", at: 0)
            }
            return f
        } catch let e as QueryError {
            throw QueryError(e.kind, e.message, at: e.position.map { max(0, $0 - prefix.count) })
        }
    }

    public init(snapshot: StoreSnapshot, now: Int64 = LoadOptions.wallClock(), timeRange: (Int64, Int64)? = nil) {
        self.snapshot = snapshot
        self.now = now
        self.timeRange = timeRange
    }

    /// The columns a statement can read, lower-cased — nil when it may read any (`SELECT *`,
    /// `DESCRIBE`). A one-shot query hands this to the parse stage, which then skips every other
    /// field's values. Names of aliases and CTE columns may be in it too; they do no harm.
    public static func columnsRead(_ sql: String) throws -> Set<String>? {
        var names: Set<String> = []
        var complete = true
        // A qualified name reads its column (`l.status`: status); a subquery its own columns.
        func expr(_ e: Expr) {
            walkAll(e) { x in
                if case .column(let n, _) = x { names.insert(String(n.split(separator: "\u{0}").last ?? "").lowercased()) }
                if case .subquery(let q, _, _) = x, !query(q) { complete = false }
            }
        }
        func from(_ t: TableRef?) -> Bool {
            switch t {
            case .subquery(let inner, _)?: return query(inner)
            case .aliased(let inner, _)?: return from(inner)
            case .join(_, let l, let r, let on, let using, _)?:
                on.map(expr)
                names.formUnion(using.map { $0.lowercased() })
                return from(l) && from(r)
            case .unnest(let arrays, _, _, _, _)?:
                arrays.forEach(expr)
                return true
            default: return true
            }
        }
        func query(_ q: Query) -> Bool {
            switch q {
            case .select(let s):
                if s.items.contains(where: \.isStar) { return false }
                s.items.forEach { expr($0.expr) }
                [s.filter, s.having].compactMap { $0 }.forEach(expr)
                s.groupBy.forEach(expr)
                s.orderBy.forEach { expr($0.expr) }
                return from(s.from) && complete
            case .setOperation(_, _, let a, let b, let orderBy, _, _, _):
                orderBy.forEach { expr($0.expr) }
                return query(a) && query(b)
            case .with(let defs, let body):
                return defs.allSatisfy { query($0.1) } && query(body)
            case .unionAll(let parts, let orderBy, _, _):
                orderBy.forEach { expr($0.expr) }
                return parts.allSatisfy(query)
            }
        }
        switch try SQLParser.parse(sql) {
        case .showTables: return []
        case .describe: return nil
        case .explain(let q, _), .query(let q): return query(q) ? names : nil
        }
    }

    /// The tables a query can name.
    public static let tables = ["logs", "errors", "internal_metrics", "alarm_history"]

    /// SQL, or a CloudWatch Logs Insights query (`filter … | stats … by bin(5m)`), which runs
    /// as the SQL it compiles to; an error there names that SQL.
    public func run(_ text: String) throws -> ResultSet {
        guard InsightsQuery.looksLikeInsights(text) else { return try execute(text) }
        let sql = try InsightsQuery.sql(text)
        do {
            return try execute(sql)
        } catch let e as QueryError where e.kind != .cancelled {
            throw QueryError(e.kind, e.message + " (in the SQL the query became: \(sql))", at: nil)
        }
    }

    public func execute(_ sql: String) throws -> ResultSet {
        try budgeted().executeBudgeted(sql)
    }

    private func executeBudgeted(_ sql: String) throws -> ResultSet {
        switch try SQLParser.parse(sql) {
        case .showTables:
            return ResultSet(columns: ["table"], rows: (QueryEngine.tables + snapshot.lookups.keys).sorted().map { [.string($0)] })
        case .describe(let table, let p):
            if let lookup = snapshot.lookups[table.lowercased()] {
                return ResultSet(columns: ["column", "type", "non_null"], rows: lookup.columns.enumerated().map { k, c in
                    let values = lookup.rows.map { $0[k] }.filter { $0 != .null }
                    return [.string(c), .string(values.first.map(typeName) ?? "null"), .int(Int64(values.count))]
                })
            }
            guard QueryEngine.tables.contains(table.lowercased()) else {
                throw QueryError(.unknownTable, "unknown table '\(table)'; tables are \((QueryEngine.tables + snapshot.lookups.keys.sorted()).joined(separator: ", "))", at: p)
            }
            if table.lowercased() == "internal_metrics" {
                let m = snapshot.internalMetrics
                return ResultSet(columns: ["column", "type", "non_null"], rows: m.columns.enumerated().map { k, c in
                    [.string(c), .string(IngestMetrics.types[k].description), .int(Int64(m.rows.filter { $0[k] != .null }.count))]
                })
            }
            if table.lowercased() == "alarm_history" {
                let h = snapshot.alarmHistory
                return ResultSet(columns: ["column", "type", "non_null"], rows: h.columns.enumerated().map { k, c in
                    [.string(c), .string(k == 0 ? "timestamp" : "varchar"), .int(Int64(h.rows.count))]
                })
            }
            if table.lowercased() == "errors" {
                let e = try errorsRelation()
                return ResultSet(columns: ["column", "type", "non_null"], rows: e.columns.enumerated().map { k, c in
                    [.string(c), .string(k < 2 ? "timestamp" : "varchar"), .int(Int64(e.rows.filter { $0[k] != .null }.count))]
                })
            }
            return ResultSet(columns: ["column", "type", "non_null"],
                             rows: snapshot.schema.map { [.string($0.name), .string($0.type.description), .int(Int64($0.nonNull))] })
        case .explain(let q, analyze: false):
            return ResultSet(columns: ["plan"], rows: try describe(q).map { [.string($0)] })
        case .explain(let q, analyze: true):
            // Run it: each step with what it did and its time, then the whole.
            let start = ContinuousClock.now
            var plan = PlanLog()
            let result = try run(q, ctes: [:], explain: &plan)
            let total = ContinuousClock.now - start
            func ms(_ d: Duration) -> String { String(format: "%.1f ms", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000) }
            return ResultSet(columns: ["plan"], rows: zip(plan.lines, plan.times).map { [.string("\($0) (\(ms($1)))")] }
                             + [[.string("\(result.rows.count) row\(result.rows.count == 1 ? "" : "s") in \(ms(total))")]])
        case .query(let q):
            var plan = PlanLog()
            return try run(q, ctes: [:], explain: &plan)
        }
    }

    // MARK: relations

    /// What a FROM names: the store's `logs`, or rows already computed.
    enum Relation {
        case logs
        case rows(ResultSet)

        func names(_ engine: QueryEngine) -> [String] {
            switch self {
            case .logs: QueryEngine.columnKeys(engine.snapshot.schema.map(\.name))
            case .rows(let r): QueryEngine.columnKeys(r.columns)
            }
        }

        /// The columns' names as they are spelt.
        func spelt(_ engine: QueryEngine) -> [String] {
            switch self {
            case .logs: engine.snapshot.schema.map(\.name)
            case .rows(let r): r.columns
            }
        }

        /// The names columns show under: a joined table's without their table (`status`, not `l.status`).
        func displayNames(_ engine: QueryEngine) -> [String] {
            switch self {
            case .logs: engine.snapshot.schema.map(\.name)
            case .rows(let r): r.columns.map { c in
                guard let cut = c.lastIndex(of: "\u{0}") else { return c }
                return (c.hasPrefix("\u{1}") ? "\u{1}" : "") + String(c[c.index(after: cut)...])
            }
            }
        }
    }

    func errorsRelation() throws -> ResultSet {
        var rows: [[Value]] = []
        var meter = MemoryMeter(memory)
        for seg in snapshot.segments where seg.flaggedCount > 0 {
            guard let ts = seg.columns["ts"], let ingest = seg.columns["ingest_ts"], let raw = seg.columns["raw"] else { continue }
            let transformError = seg.columns["_transform_error"]
            for r in 0..<seg.rowCount {
                let f = seg.flags[r]
                guard !f.isDisjoint(with: .shownAsErrors) else { continue }
                let reason = [f.contains(.unparsed) ? "no format fitted the line" : nil,
                              f.contains(.truncated) ? "longer than the maximum record size; cut" : nil,
                              f.contains(.transformFailed) ? transformError.map { textOf($0.value(at: r)) } ?? "a transform step failed" : nil].compactMap { $0 }.joined(separator: "; ")
                rows.append([ts.value(at: r), ingest.value(at: r), .string(seg.source), .string(reason), raw.value(at: r)])
                try meter.keep(rows[rows.count - 1])
            }
        }
        try meter.flush()
        return ResultSet(columns: ["ts", "ingest_ts", "source", "reason", "raw"], rows: rows + snapshot.storeErrors)
    }

    func resolve(_ from: TableRef?, ctes: [String: ResultSet], explain: inout PlanLog) throws -> Relation {
        switch from {
        case .aliased(let inner, _)?:
            return try resolve(inner, ctes: ctes, explain: &explain)
        case .join(_, _, _, _, _, let p)?:
            throw QueryError(.syntax, "a join is read by the planner, not as one table", at: p)  // (`bind` reads joins)
        case nil:
            return .rows(ResultSet(columns: [], rows: [[]]))  // SELECT 1: one row, no columns
        case .table(let name, let p)?:
            let n = name.lowercased()
            if let cte = ctes[n] { explain.append("scan \(name) (common table expression, \(cte.rows.count) rows)"); return .rows(cte) }
            if n == "logs" { return .logs }
            if n == "errors" {
                let e = try errorsRelation()
                explain.append("scan errors (\(e.rows.count) rows)")
                return .rows(e)
            }
            if n == "internal_metrics" {
                explain.append("scan internal_metrics (\(snapshot.internalMetrics.rows.count) rows)")
                return .rows(snapshot.internalMetrics)
            }
            if n == "alarm_history" {
                explain.append("scan alarm_history (\(snapshot.alarmHistory.rows.count) rows)")
                return .rows(snapshot.alarmHistory)
            }
            if let lookup = snapshot.lookups[n] {
                explain.append("scan \(name) (lookup table, \(lookup.rows.count) rows)")
                return .rows(lookup)
            }
            throw QueryError(.unknownTable, "unknown table '\(name)'" + ExprCompiler.suggestion(for: n, among: QueryEngine.tables + Array(ctes.keys) + Array(snapshot.lookups.keys)), at: p)
        case .subquery(let q, _)?:
            return .rows(try run(q, ctes: ctes, explain: &explain))
        case .unnest(let arrays, let ordinality, _, let columns, let p)?:
            // Alone in a FROM (or first in it): its arrays are constants.
            let compiler = ExprCompiler(names: [], now: now)
            let cursor = RowCursor()
            cursor.values = []
            let values = try arrays.map { try compiler.compile($0)(cursor) }
            let names = try Self.unnestNames(arrays.count, values, ordinality: ordinality, columns: columns, at: p)
            let rows = try Self.unnested(values, ordinality: ordinality, at: p)
            explain.append("unnest: \(rows.count) rows")
            return .rows(ResultSet(columns: names, rows: rows))
        }
    }

    /// Calls `body` with each segment of `logs` and its rows that pass `filter` and the time range
    /// (segments outside `timeBounds` skipped; the filter evaluated a segment at a time). The
    /// cursor is positioned on the segment; `body` moves its row.
    /// What a scan visited, for EXPLAIN.
    struct ScanCounts {
        var scanned = 0, skipped = 0, pruned = 0, bounded = false

        static func + (a: ScanCounts, b: ScanCounts) -> ScanCounts {
            ScanCounts(scanned: a.scanned + b.scanned, skipped: a.skipped + b.skipped, pruned: a.pruned + b.pruned, bounded: a.bounded || b.bounded)
        }

        func line(of total: Int, threads: Int = 1) -> String {
            "scan logs: \(scanned) of \(total) segments" + (bounded ? ", \(skipped) skipped by their time range" : "")
                + (pruned > 0 ? ", \(pruned) that could not reach the top rows" : "") + (threads > 1 ? ", on \(threads) threads" : "")
        }
    }

    private func scanSegments(names: [String], filter: Expr?, compiler: ExprCompiler, timeBounds: (Int64, Int64)?,
                              explain: inout PlanLog, order: [Int]? = nil, skip: ((Segment) -> Bool)? = nil,
                              _ body: (Segment, [Int32], RowCursor) throws -> Void) throws {
        let counts = try scanSegments(names: names, filter: filter, compiler: compiler, timeBounds: timeBounds, order: order, skip: skip, body)
        explain.append(counts.line(of: snapshot.segments.count))
    }

    private func scanSegments(names: [String], filter: Expr?, compiler: ExprCompiler, timeBounds: (Int64, Int64)?,
                              order: [Int]?, skip: ((Segment) -> Bool)? = nil, countsProgress: Bool = true,
                              _ body: (Segment, [Int32], RowCursor) throws -> Void) throws -> ScanCounts {
        let cursor = RowCursor()
        let actual = snapshot.schema.map(\.name)
        let types = snapshot.schema.map(\.type)
        let segmentFilter = SegmentFilter(names: names, actualNames: actual, types: types, compiler: compiler)
        var skipped = 0, scanned = 0, pruned = 0
        var bounds = timeBounds
        if let (a, b) = timeRange { bounds = (max(a, bounds?.0 ?? a), min(b, bounds?.1 ?? b)) }
        for index in order ?? Array(snapshot.segments.indices) {
            let seg = snapshot.segments[index]
            if let (lo, hi) = bounds, seg.maxTs < lo || seg.minTs > hi { skipped += 1; continue }
            if let skip, skip(seg) { pruned += 1; continue }
            if countsProgress { try progress?.visit(rows: seg.rowCount) } else { try progress?.check() }
            scanned += 1
            cursor.use(seg, names: actual, types: types)
            var rows = try filter.map { try segmentFilter.rows($0, in: seg) } ?? (0..<Int32(seg.rowCount)).map { $0 }
            if let (a, b) = timeRange, seg.minTs < a || seg.maxTs > b {
                let ts = seg.columns["ts"]!.ints
                rows = rows.filter { ts[Int($0)] >= a && ts[Int($0)] <= b }
            }
            try body(seg, rows, cursor)
        }
        return ScanCounts(scanned: scanned, skipped: skipped, pruned: pruned, bounded: bounds != nil)
    }

    /// Aggregates on two threads: first each thread filters half the segments; then each folds
    /// a contiguous run of segments holding about half the passing rows into its own groups
    /// (the earlier run into `agg`), and the later groups are merged into the earlier, so they
    /// come out in the order one scan would give. nil when the query or the data is not worth
    /// it, or the halves' accumulators turned out different (the caller then scans on one thread).
    private func parallelAggregate(_ agg: GroupedAggregation, make: (ExprCompiler) throws -> GroupedAggregation, names: [String],
                                   filter: Expr?, compiler: ExprCompiler, timeBounds: (Int64, Int64)?) throws -> ScanCounts? {
        let segments = snapshot.segments
        let total = segments.reduce(0) { $0 + $1.rowCount }
        // Distinct counts alone: each thread folds every segment, counting the values of its
        // half of the hashes (no merge of two big sets; their counts add up).
        let partitioned = !agg.mergeable && agg.partitionable
        guard agg.mergeable || partitioned, total >= parallelRows, segments.count >= 4 else { return nil }
        var second = compiler.with(names: compiler.names)  // its own regex cache
        second.hints = compiler.hints
        // Each thread touches only its own aggregation, compiler and slots.
        let parts = UncheckedBox([(agg, compiler), (try make(second), second)])
        if partitioned { for k in 0..<2 { parts.value[k].0.partition = (k, 2) } }
        let passing = UncheckedBox(UnsafeMutableBufferPointer<[Int32]?>.allocate(capacity: segments.count))
        passing.value.initialize(repeating: nil)
        defer { passing.value.deinitialize(); passing.value.deallocate() }
        let index = Dictionary(uniqueKeysWithValues: segments.enumerated().map { (ObjectIdentifier($0.element), $0.offset) })
        var split = 0, acc = 0
        while split < segments.count && acc * 2 < total { acc += segments[split].rowCount; split += 1 }
        let halves = [Array(0..<split), Array(split..<segments.count)]
        let scans = ParallelResults<ScanCounts>(2)
        let counts: [ScanCounts]
        let everyRow = filter == nil && timeBounds == nil && timeRange == nil
        if everyRow {
            // Every row passes: the halves by rows are the halves by passing rows.
            DispatchQueue.concurrentPerform(iterations: 2) { k in
                scans.set(k) {
                    var meter = MemoryMeter(memory)
                    // (Split by value, each thread reads every segment; the first counts them.)
                    let counts = try scanSegments(names: names, filter: nil, compiler: parts.value[k].1, timeBounds: nil,
                                                  order: partitioned ? nil : halves[k], countsProgress: !partitioned || k == 0) { seg, rows, c in
                        try parts.value[k].0.add(seg, rows: rows, cursor: c)
                        try meter.keep(groupsOf: parts.value[k].0)
                    }
                    try meter.flush()
                    return counts
                }
            }
            counts = try scans.values()
        } else {
            DispatchQueue.concurrentPerform(iterations: 2) { k in
                scans.set(k) {
                    try scanSegments(names: names, filter: filter, compiler: parts.value[k].1, timeBounds: timeBounds, order: halves[k]) { seg, rows, _ in
                        passing.value[index[ObjectIdentifier(seg)]!] = rows
                    }
                }
            }
            counts = try scans.values()
            let selected = passing.value.reduce(0) { $0 + ($1?.count ?? 0) }
            var cut = 0, before = 0
            while cut < segments.count && before * 2 < selected { before += passing.value[cut]?.count ?? 0; cut += 1 }
            let runs = partitioned ? [0..<segments.count, 0..<segments.count] : [0..<cut, cut..<segments.count]
            let actual = snapshot.schema.map(\.name), types = snapshot.schema.map(\.type)
            let folds = ParallelResults<Void>(2)
            DispatchQueue.concurrentPerform(iterations: 2) { k in
                folds.set(k) {
                    let cursor = RowCursor()
                    var meter = MemoryMeter(memory)
                    for i in runs[k] {
                        guard let rows = passing.value[i] else { continue }
                        try progress?.check()
                        cursor.use(segments[i], names: actual, types: types)
                        try parts.value[k].0.add(segments[i], rows: rows, cursor: cursor)
                        try meter.keep(groupsOf: parts.value[k].0)
                    }
                    try meter.flush()
                }
            }
            _ = try folds.values()
        }
        let later = parts.value[1].0
        if partitioned {
            agg.partition = nil
            agg.mergeDisjoint(later)
            return everyRow ? counts[0] : counts[0] + counts[1]
        }
        guard agg.readyToMerge(later) else { return nil }
        agg.merge(later)
        return counts[0] + counts[1]
    }

    /// Calls `body` for every row of a relation that passes `filter` (segments outside
    /// `timeBounds` skipped; the filter evaluated a segment at a time).
    private func scan(_ rel: Relation, names: [String], filter: Expr?, compiler: ExprCompiler, timeBounds: (Int64, Int64)?,
                      explain: inout PlanLog, _ body: (RowCursor) throws -> Void) throws {
        let cursor = RowCursor()
        switch rel {
        case .rows(let r):
            let f = try filter.map(compiler.compile)
            for row in r.rows {
                cursor.values = row
                if let f, try f(cursor) != .bool(true) { continue }
                try body(cursor)
            }
        case .logs:
            try scanSegments(names: names, filter: filter, compiler: compiler, timeBounds: timeBounds, explain: &explain) { _, rows, c in
                for r in rows {
                    c.row = Int(r)
                    try body(c)
                }
            }
        }
    }

    // MARK: queries

    func run(_ q: Query, ctes: [String: ResultSet], explain: inout PlanLog) throws -> ResultSet {
        switch q {
        case .select(let s):
            return try select(s, ctes: ctes, explain: &explain)
        case .with(let defs, let body):
            var scope = ctes
            for (name, def) in defs {
                scope[name.lowercased()] = try run(def, ctes: scope, explain: &explain)
            }
            return try run(body, ctes: scope, explain: &explain)
        case .setOperation(let op, let all, let a, let b, let orderBy, let limit, let offset, let p):
            var result = try combine(op, all: all, try run(a, ctes: ctes, explain: &explain), try run(b, ctes: ctes, explain: &explain), at: p)
            explain.append("\(op.rawValue)\(all ? " all" : "") of two parts → \(result.rows.count) rows")
            return try ordered(&result, orderBy, limit: limit, offset: offset)
        case .unionAll(let parts, let orderBy, let limit, let offset):
            var out: ResultSet?
            for part in parts {
                let r = try run(part, ctes: ctes, explain: &explain)
                if let o = out {
                    guard o.columns.count == r.columns.count else {
                        throw QueryError(.type, "UNION ALL parts have \(o.columns.count) and \(r.columns.count) columns", at: nil)
                    }
                    out!.rows += r.rows
                } else {
                    out = r
                }
            }
            var result = out!
            Self.unifyNumbers(&result.rows)
            explain.append("union all of \(parts.count) parts")
            return try ordered(&result, orderBy, limit: limit, offset: offset)
        }
    }

    /// A column of rows from several parts (UNION, VALUES) holding integers and doubles: all
    /// doubles, as Trino types the column (`VALUES 1, 2.5` is a double column).
    static func unifyNumbers(_ rows: inout [[Value]]) {
        guard let width = rows.first?.count else { return }
        for c in 0..<width {
            var ints = false, doubles = false
            for row in rows where c < row.count {
                if case .int = row[c] { ints = true } else if case .double = row[c] { doubles = true }
                if ints && doubles { break }
            }
            guard ints && doubles else { continue }
            for r in rows.indices where c < rows[r].count {
                if case .int(let i) = rows[r][c] { rows[r][c] = .double(Double(i)) }
            }
        }
    }

    /// A set operation's result under its ORDER BY (over its own columns), LIMIT and OFFSET.
    func ordered(_ result: inout ResultSet, _ orderBy: [OrderItem], limit: Int?, offset: Int) throws -> ResultSet {
        do {
            let compiler = ExprCompiler(names: result.columns.map { $0.lowercased() }, now: now)
            let keys = try orderKeys(orderBy, items: result.columns.map { ($0, nil as Expr?) }, compiler: compiler)
            if !orderBy.isEmpty {
                let cursor = RowCursor()
                let keyed = try result.rows.map { row -> ([Value], [Value]) in
                    cursor.values = row
                    return (row, try keys.map { k in try k.eval(cursor) })
                }
                result.rows = sortRows(keyed, orderBy).map(\.0)
            }
            result.rows = Array(result.rows.dropFirst(offset).prefix(limit ?? Int.max))
            return result
        }
    }

    /// An ORDER BY key: how to compute it from an output row or an input row.
    private struct SortKey {
        let eval: Eval
    }

    private func orderKeys(_ orderBy: [OrderItem], items: [(String, Expr?)], compiler: ExprCompiler) throws -> [SortKey] {
        try orderBy.map { o in
            // An ordinal, an output alias, or an expression equal to an output column: read the output row.
            if case .literal(.int(let n), let p) = o.expr {
                guard n >= 1, n <= items.count else { throw QueryError(.value, "ORDER BY \(n) is not a result column (there are \(items.count))", at: p) }
                let k = Int(n) - 1
                return SortKey(eval: { $0.values![k] })
            }
            if case .column(let name, _) = o.expr, let k = items.firstIndex(where: { $0.0 == name }) {
                return SortKey(eval: { $0.values![k] })
            }
            if let k = items.firstIndex(where: { $0.1?.canonical == o.expr.canonical }) {
                return SortKey(eval: { $0.values![k] })
            }
            if case .column(let name, _) = o.expr, let k = items.firstIndex(where: { $0.0.lowercased() == name.lowercased() && !($0.1.map(Self.isCaseTwin) ?? false) }) {
                return SortKey(eval: { $0.values![k] })
            }
            return SortKey(eval: try compiler.compile(o.expr))
        }
    }

    /// Sorts rows by their keys (stable: ties keep input order, or with `tiesReversed` the
    /// reverse of it). With `keep`, only the first `keep` rows are wanted: a bounded insertion
    /// keeps them without sorting everything.
    private func sortRows<T>(_ rows: [(T, [Value])], _ orderBy: [OrderItem], keep: Int? = nil, tiesReversed: Bool = false) -> [(T, [Value])] {
        func before(_ a: [Value], _ b: [Value]) -> Bool { sortsBefore(a, b, orderBy) }
        if let keep, keep < rows.count / 4 {
            var top = TopN<T>(keep: keep, tiesReversed: tiesReversed) { sortOrder($0, $1, orderBy) }
            for row in rows { top.offer(row.1, row.0) }
            return top.items.map { ($0.1, $0.0) }
        }
        let indexed = rows.enumerated().map { ($0.offset, $0.element) }
        return indexed.sorted { a, b in
            if before(a.1.1, b.1.1) { return true }
            if before(b.1.1, a.1.1) { return false }
            return tiesReversed ? a.0 > b.0 : a.0 < b.0
        }.map(\.1)
    }

    /// Runs one SELECT (the streaming engine's partial and final queries).
    func select(_ s: Select, ctes: [String: ResultSet] = [:]) throws -> ResultSet {
        if memory == nil { return try budgeted().select(s, ctes: ctes) }
        var explain = PlanLog()
        return try select(s, ctes: ctes, explain: &explain)
    }

    func select(_ s0: Select, ctes: [String: ResultSet], explain: inout PlanLog) throws -> ResultSet {
        if let sets = try groupingSets(s0.groupBy) { return try groupedBySets(s0, sets, ctes: ctes, explain: &explain) }
        let (rel, bound) = try bind(s0, ctes: ctes, explain: &explain)
        var s = bound
        if case .logs = rel, let written = logsFilter {
            let extra = try caseBound(Select(filter: written), rel).filter ?? written
            s.filter = s.filter.map { .binary("and", $0, extra, at: $0.position) } ?? extra
        }
        let names = rel.names(self)
        let display = rel.displayNames(self)
        var input = ExprCompiler(names: names, now: now)
        input.joins = s.joinIndexes
        if case .logs = rel { input.hints = snapshot.skippedNames.map { $0.lowercased() } }
        if let (window, index) = try GroupWindow.find(s.groupBy) {
            return try windowed(s0, s, window: window, index: index, rel: rel, names: names, input: input, ctes: ctes, explain: &explain)
        }
        // Expand `*`.
        var items: [(name: String, expr: Expr)] = []
        for it in s.items {
            if it.isStar {
                for (k, n) in display.enumerated() where !n.hasPrefix("\u{1}") { items.append((n, .column(names[k], at: 0))) }
            } else {
                items.append((it.alias ?? it.expr.defaultName, it.expr))
            }
        }
        let timeBounds = s.filter.flatMap { TimeBounds.of($0, now: now) }
        if let (lo, hi) = timeBounds {
            explain.append("time range \(lo == Int64.min ? "-∞" : Timestamp.iso8601(lo)) … \(hi == Int64.max ? "+∞" : Timestamp.iso8601(hi)) from WHERE")
        }
        if let f = s.filter { _ = try input.compile(f) }  // report errors in the filter before scanning
        let aggregated = !s.groupBy.isEmpty || items.contains { containsAggregate($0.expr) }
            || (s.having.map(containsAggregate) ?? false) || s.orderBy.contains { containsAggregate($0.expr) }

        var out: [([Value], [Value])] = []  // (output row, sort keys)
        var meter = MemoryMeter(memory)
        // Window functions, each computed once, become columns "\u{2}w0", "\u{2}w1" … of the rows
        // they run over; the SELECT list and ORDER BY then read those columns.
        var windows: [Expr] = []
        for e in items.map(\.expr) + s.orderBy.map(\.expr) {
            walkWindows(e) { w in if !windows.contains(where: { $0.canonical == w.canonical }) { windows.append(w) } }
        }
        let windowNames = windows.indices.map { "\u{2}w\($0)" }
        func replaceWindows(_ e: Expr) -> Expr {
            if case .window = e, let j = windows.firstIndex(where: { $0.canonical == e.canonical }) { return .column(windowNames[j], at: e.position) }
            return e.mapChildren(replaceWindows)
        }
        if !aggregated, let h = s.having { throw QueryError(.syntax, "HAVING needs GROUP BY or an aggregate", at: h.position) }
        if !aggregated && !windows.isEmpty {
            // Materialise the passing rows, add the window columns, then project.
            var stage: [[Value]] = []
            try scan(rel, names: names, filter: s.filter, compiler: input, timeBounds: timeBounds, explain: &explain) { row in
                let values = names.indices.map { row.column($0) }
                try meter.keep(values)
                stage.append(values)
            }
            var extra = [[Value]](repeating: [], count: stage.count)
            for w in windows {
                let vals = try Windows.compute(w, rows: stage, names: names, compiler: input)
                for i in stage.indices { extra[i].append(vals[i]) }
                try meter.keep(bytes: stage.count * MemoryLayout<Value>.stride)
            }
            explain.append("window: \(windows.count) function\(windows.count == 1 ? "" : "s") over \(stage.count) rows")
            let wide = input.with(names: names + windowNames)
            let evals = try items.map { try wide.compile(replaceWindows($0.expr)) }
            let keys = try s.orderBy.map { o -> Eval in
                if let i = outputIndex(o.expr, items) { return evals[i] }
                return try wide.compile(replaceWindows(o.expr))
            }
            let cursor = RowCursor()
            for (i, row) in stage.enumerated() {
                cursor.values = row + extra[i]
                out.append((try evals.map { try $0(cursor) }, try keys.map { try $0(cursor) }))
                try meter.keep(out[out.count - 1].0)
            }
        } else if !aggregated {
            let evals = try items.map { try input.compile($0.expr) }
            let keys = try orderKeys(s.orderBy, items: items.map { ($0.name, $0.expr) }, compiler: input)
            let keyFromOutput = s.orderBy.map { o -> Int? in outputIndex(o.expr, items) }
            if case .logs = rel, let limit = s.limit, !s.orderBy.isEmpty, !s.distinct {
                // Top-N: compute only the sort keys per row, keep the best rows by reference,
                // then build the output columns for those rows alone.
                let keyEvals = keys.enumerated().map { k, key in keyFromOutput[k].map { evals[$0] } ?? key.eval }
                let want = s.kept!
                var top = TopN<(Segment, Int32)>(keep: want, tiesReversed: s.tiesReversed) { sortOrder($0, $1, s.orderBy) }
                var buffer = [Value](repeating: .null, count: keyEvals.count)
                // ORDER BY one time or integer column (`ORDER BY ts DESC`): compare raw Int64s.
                var sortColumn: String?
                if s.orderBy.count == 1, case .column(let n, _) = s.orderBy[0].expr,
                   keyFromOutput[0].map({ i -> Bool in if case .column(let m, _) = items[i].expr { m.lowercased() == n.lowercased() } else { false } }) ?? true,
                   let sc = snapshot.column(n), sc.type == .timestamp || sc.type == .int { sortColumn = sc.name }
                var typedTop = TypedTopN(keep: want, ascending: s.orderBy.first?.ascending ?? true,
                                         nullsFirst: s.orderBy.first?.nullsFirst ?? false, tiesReversed: s.tiesReversed)
                // ORDER BY ts: visit segments from the end the order starts at, and skip those whose
                // time range cannot beat the rows already kept (ts is never NULL).
                var visit: [Int]?, prune: ((Segment) -> Bool)?
                let indexOf = Dictionary(uniqueKeysWithValues: snapshot.segments.enumerated().map { (ObjectIdentifier($0.element), $0.offset) })
                if sortColumn == "ts" {
                    let ascending = s.orderBy[0].ascending
                    visit = snapshot.segments.indices.sorted { a, b in
                        let x = snapshot.segments[a], y = snapshot.segments[b]
                        return ascending ? x.minTs < y.minTs : x.maxTs > y.maxTs
                    }
                    prune = { seg in !typedTop.couldTake(ascending ? seg.minTs : seg.maxTs) }
                }
                try scanSegments(names: names, filter: s.filter, compiler: input, timeBounds: timeBounds, explain: &explain,
                                 order: visit, skip: prune) { seg, rows, c in
                    if let sortColumn {
                        let col = seg.columns[sortColumn]
                        let ints = col?.ints ?? [], validity = col?.validity, type = col?.type ?? .null
                        let base = indexOf[ObjectIdentifier(seg)]! << 32
                        for r in rows {
                            let valid = type != .null && SegmentColumn.valid(validity, Int(r))
                            typedTop.offer(valid ? ints[Int(r)] : nil, seq: base | Int(r), seg, r)
                        }
                        return
                    }
                    for r in rows {
                        c.row = Int(r)
                        for (k, f) in keyEvals.enumerated() { buffer[k] = try f(c) }
                        top.offer(buffer, (seg, r))
                    }
                }
                let best: [((Segment, Int32), [Value])] = sortColumn != nil
                    ? typedTop.items.dropFirst(s.offset).prefix(limit).map { (($0.seg, $0.row), []) }
                    : top.items.dropFirst(s.offset).prefix(limit).map { ($0.1, $0.0) }
                explain.append("top \(limit) by \(s.orderBy.count) key\(s.orderBy.count == 1 ? "" : "s")" + (s.offset > 0 ? " after \(s.offset)" : ""))
                let cursor = RowCursor()
                let actual = snapshot.schema.map(\.name), types = snapshot.schema.map(\.type)
                var rows: [[Value]] = []
                for ((seg, r), _) in best {
                    cursor.use(seg, names: actual, types: types)
                    cursor.row = Int(r)
                    rows.append(try evals.map { try $0(cursor) })
                    try meter.keep(rows[rows.count - 1])
                }
                try meter.flush()
                return ResultSet(columns: items.map(\.name), rows: rows)
            }
            try scan(rel, names: names, filter: s.filter, compiler: input, timeBounds: timeBounds, explain: &explain) { row in
                let values = try evals.map { try $0(row) }
                var sortValues: [Value] = []
                for (k, key) in keys.enumerated() {
                    if let i = keyFromOutput[k] { sortValues.append(values[i]) } else { sortValues.append(try key.eval(row)) }
                }
                try meter.keep(values)
                if !sortValues.isEmpty { try meter.keep(sortValues) }
                out.append((values, sortValues))
            }
        } else {
            // GROUP BY items may be ordinals or select aliases.
            let groupExprs: [Expr] = try s.groupBy.map { g in
                if case .literal(.int(let n), let p) = g {
                    guard n >= 1, n <= items.count else { throw QueryError(.value, "GROUP BY \(n) is not a select item (there are \(items.count))", at: p) }
                    return items[Int(n) - 1].expr
                }
                if case .column(let n, _) = g, !names.contains(n.lowercased()), let it = items.first(where: { $0.name.lowercased() == n.lowercased() }) {
                    return it.expr
                }
                return g
            }
            for g in groupExprs where containsAggregate(g) {
                throw QueryError(.syntax, "GROUP BY cannot hold an aggregate", at: g.position)
            }
            // Aggregate calls anywhere after the scan, each computed once.
            var aggCalls: [(canonical: String, name: String, args: [Expr], distinct: Bool, star: Bool, at: Int)] = []
            func collect(_ e: Expr) throws {
                walkThroughWindows(e) { x in
                    if case .call(let n, let a, let d, let st, let p) = x, Aggregates.isAggregate(n), !aggCalls.contains(where: { $0.canonical == x.canonical }) {
                        aggCalls.append((x.canonical, n, a, d, st, p))
                    }
                }
            }
            for it in items { try collect(it.expr) }
            if let h = s.having { try collect(h) }
            for o in s.orderBy { try collect(o.expr) }
            for c in aggCalls {
                if !Aggregates.arity(c.name).contains(c.args.count) || (c.star && c.name != "count") {
                    throw QueryError(.arity, "\(c.name)() takes \(Aggregates.arity(c.name).upperBound) argument\(Aggregates.arity(c.name).upperBound == 1 ? "" : "s"), not \(c.args.count)", at: c.at)
                }
                for a in c.args where containsAggregate(a) { throw QueryError(.syntax, "aggregates cannot be nested", at: a.position) }
            }
            var agg = try GroupedAggregation(
                keys: groupExprs, calls: aggCalls.map { .init(name: $0.name, args: $0.args, distinct: $0.distinct, star: $0.star, at: $0.at) },
                names: names, actualNames: snapshot.schema.map(\.name), types: snapshot.schema.map(\.type), compiler: input)
            switch rel {
            case .logs:
                let makeAggregation = { (compiler: ExprCompiler) in
                    try GroupedAggregation(
                        keys: groupExprs, calls: aggCalls.map { .init(name: $0.name, args: $0.args, distinct: $0.distinct, star: $0.star, at: $0.at) },
                        names: names, actualNames: snapshot.schema.map(\.name), types: snapshot.schema.map(\.type), compiler: compiler)
                }
                if let counts = try parallelAggregate(agg, make: makeAggregation, names: names, filter: s.filter, compiler: input, timeBounds: timeBounds) {
                    explain.append(counts.line(of: snapshot.segments.count, threads: 2))
                } else {
                    agg = try makeAggregation(input)
                    try scanSegments(names: names, filter: s.filter, compiler: input, timeBounds: timeBounds, explain: &explain) { seg, rows, c in
                        try agg.add(seg, rows: rows, cursor: c)
                        try meter.keep(groupsOf: agg)
                    }
                }
            case .rows(let r):
                let f = try s.filter.map(input.compile)
                let c = RowCursor()
                let passing = try r.rows.filter { row in
                    c.values = row
                    return try f.map { try $0(c) == .bool(true) } ?? true
                }
                try agg.add(rows: passing, cursor: RowCursor())
                try meter.keep(groupsOf: agg)
            }
            agg.ensureOneGroup()
            explain.append("aggregate: \(agg.groupCount) groups, \(aggCalls.count) aggregates")
            // Expressions over a group: group keys and aggregates become columns of the group row.
            let groupNames = groupExprs.indices.map { "\u{1}g\($0)" } + aggCalls.indices.map { "\u{1}a\($0)" }
            let post = input.with(names: groupNames)
            func rewrite(_ e: Expr) -> Expr {
                if let j = groupExprs.firstIndex(where: { $0.canonical == e.canonical }) { return .column("\u{1}g\(j)", at: e.position) }
                if let j = aggCalls.firstIndex(where: { $0.canonical == e.canonical }) { return .column("\u{1}a\(j)", at: e.position) }
                return e.mapChildren(rewrite)
            }
            func compilePost(_ e: Expr) throws -> Eval {
                do {
                    return try post.compile(rewrite(e))
                } catch let err as QueryError where err.kind == .unknownColumn {
                    if case .column(let n, let p)? = firstColumn(rewrite(e)), names.contains(n.lowercased()) {
                        throw QueryError(.syntax, "column '\(n)' must appear in GROUP BY or be inside an aggregate", at: p)
                    }
                    throw err
                }
            }
            // Windows run over the groups that pass HAVING; their parts read the group row.
            let wide = input.with(names: groupNames + windowNames)
            func compileWide(_ e: Expr) throws -> Eval {
                do {
                    return try wide.compile(replaceWindows(rewrite(e)))
                } catch let err as QueryError where err.kind == .unknownColumn {
                    if case .column(let n, let p)? = firstColumn(rewrite(e)), names.contains(n.lowercased()) {
                        throw QueryError(.syntax, "column '\(n)' must appear in GROUP BY or be inside an aggregate", at: p)
                    }
                    throw err
                }
            }
            let evals = try items.map { try windows.isEmpty ? compilePost($0.expr) : compileWide($0.expr) }
            let having = try s.having.map(compilePost)
            let keys = try s.orderBy.map { o -> Eval in
                if let i = outputIndex(o.expr, items) { return { $0.values![i] } }
                return try windows.isEmpty ? compilePost(o.expr) : compileWide(o.expr)
            }
            if !integerSumsSpill { try agg.checkOverflow() }
            let fromOutput = s.orderBy.map { outputIndex($0.expr, items) != nil }
            let cursor = RowCursor()
            // Top-N by aggregates alone (`ORDER BY count(*) DESC LIMIT 10`): each group's sort
            // values straight from the aggregate arrays; keys and rows made for the kept groups only.
            let sortCalls = s.orderBy.compactMap { o -> Int? in
                let e = rewrite(outputIndex(o.expr, items).map { items[$0].expr } ?? o.expr)
                guard case .column(let n, _) = e, n.hasPrefix("\u{1}a") else { return nil }
                return Int(n.dropFirst(2))
            }
            if let limit = s.limit, !s.distinct, s.having == nil, windows.isEmpty, !s.orderBy.isEmpty,
               sortCalls.count == s.orderBy.count, agg.groupCount / 4 > s.kept! {
                var top = TopN<Int>(keep: s.kept!) { sortOrder($0, $1, s.orderBy) }
                var buffer = [Value](repeating: .null, count: sortCalls.count)
                for g in 0..<agg.groupCount {
                    for (k, call) in sortCalls.enumerated() { buffer[k] = agg.result(g, call: call) }
                    top.offer(buffer, g)
                }
                for (sortValues, g) in top.items {
                    cursor.values = agg.key(g) + agg.results(g)
                    out.append((try evals.map { try $0(cursor) }, sortValues))
                }
                explain.append("top \(limit) groups by \(s.orderBy.count) aggregate\(s.orderBy.count == 1 ? "" : "s")")
            } else if let limit = s.limit, !s.distinct, !s.orderBy.isEmpty, windows.isEmpty, agg.groupCount / 4 > s.kept! {
                // Top-N over groups by any keys: each group's row made in one reused buffer and
                // dropped after its sort keys are taken; output rows made for the kept ones only.
                let itemForKey = s.orderBy.map { outputIndex($0.expr, items) }
                var top = TopN<Int>(keep: s.kept!) { sortOrder($0, $1, s.orderBy) }
                var buffer = [Value](repeating: .null, count: keys.count)
                var row: [Value] = []
                for g in 0..<agg.groupCount {
                    cursor.values = nil  // the buffer stays uniquely referenced
                    agg.fill(g, into: &row)
                    cursor.values = row
                    if let having, try having(cursor) != .bool(true) { continue }
                    for k in keys.indices {
                        buffer[k] = try itemForKey[k].map { try evals[$0](cursor) } ?? keys[k](cursor)
                    }
                    top.offer(buffer, g)
                }
                for (sortValues, g) in top.items {
                    cursor.values = nil
                    agg.fill(g, into: &row)
                    cursor.values = row
                    out.append((try evals.map { try $0(cursor) }, sortValues))
                }
                explain.append("top \(limit) groups by \(s.orderBy.count) key\(s.orderBy.count == 1 ? "" : "s")")
            } else {
                // Each group that passes HAVING: its output row and sort keys. Windows read every
                // group row at once, so only then are the group rows kept.
                var groupRows: [[Value]] = []
                var row: [Value] = []
                func output(_ groupRow: [Value]) throws {
                    cursor.values = groupRow
                    let values = try evals.map { try $0(cursor) }
                    var sortValues: [Value] = []
                    for (k, f) in keys.enumerated() {
                        if fromOutput[k] {
                            let c = RowCursor(); c.values = values
                            sortValues.append(try f(c))
                        } else {
                            sortValues.append(try f(cursor))
                        }
                    }
                    try meter.keep(values)
                    out.append((values, sortValues))
                }
                for g in 0..<agg.groupCount {
                    cursor.values = nil
                    agg.fill(g, into: &row)
                    cursor.values = row
                    if let having, try having(cursor) != .bool(true) { continue }
                    if windows.isEmpty {
                        try output(row)
                    } else {
                        try meter.keep(row)
                        groupRows.append(row)
                    }
                }
                var windowValues = [[Value]](repeating: [], count: groupRows.count)
                for w in windows {
                    guard case .window(let call, let part, let order, let frame, let p) = w else { continue }
                    let rewritten = Expr.window(rewrite(call), partition: part.map(rewrite),
                                                order: order.map { OrderItem(expr: rewrite($0.expr), ascending: $0.ascending, nullsFirst: $0.nullsFirst) },
                                                frame: frame, at: p)
                    let vals = try Windows.compute(rewritten, rows: groupRows, names: groupNames, compiler: post)
                    for i in groupRows.indices { windowValues[i].append(vals[i]) }
                    try meter.keep(bytes: groupRows.count * MemoryLayout<Value>.stride)
                }
                for (gi, groupRow) in groupRows.enumerated() {
                    try output(groupRow + windowValues[gi])
                }
            }
        }
        try meter.flush()
        if s.distinct {
            var seen: Set<[Value]> = []
            out = out.filter { seen.insert($0.0).inserted }
        }
        if !s.orderBy.isEmpty {
            // Records (not groups) tied on every key come in the table's order, or against it
            // when the last key descends: ORDER BY ts DESC is ORDER BY ts reversed.
            out = sortRows(out, s.orderBy, keep: s.kept, tiesReversed: !aggregated && s.tiesReversed)
            explain.append("sort by \(s.orderBy.count) key\(s.orderBy.count == 1 ? "" : "s")")
        }
        if s.offset > 0 || s.limit != nil { explain.append("limit \(s.limit.map(String.init) ?? "all") offset \(s.offset)") }
        let rows = out.dropFirst(s.offset).prefix(s.limit ?? Int.max).map(\.0)
        return ResultSet(columns: items.map(\.name), rows: Array(rows))
    }

    /// A SELECT whose GROUP BY holds a window. A tumbling window groups by its `date_bin`
    /// bucket (the fast path of time buckets); hopping and session windows first give each
    /// passing row its windows — a row per window it falls in, with `window_start` and
    /// `window_end` — then group those rows by the other keys and the window.
    private func windowed(_ original: Select, _ s: Select, window w: GroupWindow, index: Int, rel: Relation, names: [String],
                          input: ExprCompiler, ctes: [String: ResultSet], explain: inout PlanLog) throws -> ResultSet {
        func named(_ item: SelectItem, _ f: (Expr) -> Expr) -> SelectItem {
            var it = item
            if it.alias == nil, !it.isStar { it.alias = it.expr.defaultName }
            it.expr = f(it.expr)
            return it
        }
        if w.kind == .tumble {
            let bucket = Expr.call("date_bin", [.interval(w.size, at: w.position), w.time], distinct: false, star: false, at: w.position)
            var t = original
            t.groupBy[index] = bucket
            let f = { (e: Expr) in w.tumbleRewrite(e, bucket: bucket) }
            t.items = t.items.map { named($0, f) }
            t.having = t.having.map(f)
            t.orderBy = t.orderBy.map { OrderItem(expr: f($0.expr), ascending: $0.ascending, nullsFirst: $0.nullsFirst) }
            explain.append("window: tumbling, grouped by its date_bin bucket")
            return try select(t, ctes: ctes, explain: &explain)
        }
        if w.kind == .hop, hopPanes, let r = try hopByPanes(original, w, index: index, ctes: ctes, explain: &explain) { return r }
        // The input columns the query reads, and the window's time and other keys per row.
        var used: Set<String> = []
        let exprs = s.items.map(\.expr) + s.groupBy + (s.having.map { [$0] } ?? []) + s.orderBy.map(\.expr)
        for e in exprs { walkThroughWindows(e) { if case .column(let n, _) = $0 { used.insert(n.lowercased()) } } }
        let kept = names.indices.filter { used.contains(names[$0]) }
        let timeEval = try input.compile(w.time)
        let otherKeys = try s.groupBy.enumerated().filter { $0.offset != index }.map { try input.compile($0.element) }
        var base: [[Value]] = [], times: [Int64] = [], keys: [[Value]] = []
        var meter = MemoryMeter(memory)
        let timeBounds = s.filter.flatMap { TimeBounds.of($0, now: now) }
        try scan(rel, names: names, filter: s.filter, compiler: input, timeBounds: timeBounds, explain: &explain) { row in
            let t: Int64
            switch try timeEval(row) {
            case .timestamp(let v):
                // (Times within the record range keep window arithmetic clear of Int64's ends.)
                guard Timestamp.range.contains(v) else {
                    throw QueryError(.value, "\(w.kind.rawValue.uppercased())'s time \(Timestamp.iso8601(v)) is outside the years \(Timestamp.years.lowerBound)–\(Timestamp.years.upperBound)", at: w.time.position)
                }
                t = v
            case .null: return  // no time, no window
            case let v: throw QueryError(.type, "\(w.kind.rawValue.uppercased()) needs a timestamp, not \(typeName(v))", at: w.time.position)
            }
            let values = kept.map { row.column($0) }
            try meter.keep(values)
            base.append(values)
            times.append(t)
            if w.kind == .session { keys.append(try otherKeys.map { try $0(row) }) }
        }
        var rows: [[Value]] = []
        switch w.kind {
        case .hop, .tumble:  // (tumbling windows took the date_bin path above)
            for (i, t) in times.enumerated() {
                for start in w.starts(t) {
                    rows.append(base[i] + [.timestamp(start), .timestamp(start + w.size)])
                    try meter.keep(rows[rows.count - 1])
                }
            }
        case .session:
            var byKey: [[Value]: [Int]] = [:], order: [[Value]] = []
            for (i, k) in keys.enumerated() {
                if byKey[k] == nil { order.append(k) }
                byKey[k, default: []].append(i)
            }
            for k in order {
                let members = byKey[k]!
                for (i, (start, end)) in zip(members, w.sessions(members.map { times[$0] })) {
                    rows.append(base[i] + [.timestamp(start), .timestamp(end)])
                    try meter.keep(rows[rows.count - 1])
                }
            }
        }
        try meter.flush()
        explain.append("window: \(w.kind == .hop ? "hopping" : "session") over \(times.count) rows, \(rows.count) row-windows")
        let relation = "(windows)"
        var t = s
        t.from = .table(relation, at: 0)
        t.filter = nil
        t.groupBy.replaceSubrange(index...index, with: [.column(GroupWindow.startColumn, at: w.position), .column(GroupWindow.endColumn, at: w.position)])
        var scope = ctes
        scope[relation] = ResultSet(columns: kept.map { names[$0] } + [GroupWindow.startColumn, GroupWindow.endColumn], rows: rows)
        return try select(t, ctes: scope, explain: &explain)
    }

    /// Hopping windows by panes: the records grouped once by their pane (`date_bin(slide, t)`)
    /// and other keys, with partial aggregates (counts, sums, minima, maxima); each pane then
    /// joins the size/slide windows that hold it, which combine their panes' partials — not
    /// every record copied into every window it is in. nil when an aggregate does not combine
    /// (a percentile, a DISTINCT), the size is not a whole number of slides, or the SELECT reads
    /// something else per row; the records are then expanded into their windows.
    private func hopByPanes(_ original: Select, _ w: GroupWindow, index: Int, ctes: [String: ResultSet], explain: inout PlanLog) throws -> ResultSet? {
        guard w.size % w.slide == 0 else { return nil }
        let p = w.position
        func col(_ n: String) -> Expr { .column(n, at: p) }
        func call(_ n: String, _ args: [Expr], star: Bool = false) -> Expr { .call(n, args, distinct: false, star: star, at: p) }
        let keys = original.groupBy.enumerated().filter { $0.offset != index }.map(\.element)
        var partials: [Expr] = []
        func partial(_ e: Expr) -> Expr {
            if let k = partials.firstIndex(where: { $0.canonical == e.canonical }) { return col("\u{2}p\(k)") }
            partials.append(e)
            return col("\u{2}p\(partials.count - 1)")
        }
        let aliases = Set(original.items.compactMap { $0.alias?.lowercased() })
        var combinable = true
        func final(_ e: Expr) -> Expr {
            e.mappingAll { x in
                guard combinable else { return x }
                if let k = keys.firstIndex(where: { $0.canonical == x.canonical }) { return col("\u{2}g\(k)") }
                switch x {
                case .call(let name, let args, let distinct, let star, _) where Aggregates.isAggregate(name.lowercased()):
                    guard !distinct else { combinable = false; return x }
                    switch name.lowercased() {
                    case "count", "count_if": return call("sum", [partial(x)])
                    case "sum", "min", "max": return call(name, [partial(x)])
                    case "avg" where args.count == 1 && !star:
                        let s = call("sum", [partial(call("sum", args))]), n = call("sum", [partial(call("count", args))])
                        return .caseWhen(nil, [(.binary("=", n, .literal(.int(0), at: p), at: p), .literal(.null, at: p))],
                                         .binary("/", .cast(s, .double, isTry: false, at: p), n, at: p), at: p)
                    default: combinable = false; return x
                    }
                case .column(let n, _):
                    let lower = n.lowercased()
                    if lower == GroupWindow.startColumn || lower == GroupWindow.endColumn || aliases.contains(lower) { return x }
                    combinable = false
                    return x
                case .window, .subquery: combinable = false; return x
                default: return nil
                }
            }
        }
        var outer = original
        outer.items = original.items.map { it in
            var it = it
            if it.isStar { combinable = false; return it }
            if it.alias == nil { it.alias = it.expr.defaultName }
            it.expr = final(it.expr)
            return it
        }
        outer.having = original.having.map(final)
        outer.orderBy = original.orderBy.map { o in
            if case .literal(.int, _) = o.expr { return o }  // an ordinal
            var o = o
            o.expr = final(o.expr)
            return o
        }
        guard combinable else { return nil }
        // The panes: each pane's keys and partials.
        let pane = call("date_bin", [.interval(w.slide, at: p), w.time])
        var inner = Select()
        inner.from = original.from
        inner.filter = original.filter
        inner.items = keys.enumerated().map { SelectItem(expr: $0.element, alias: "\u{2}g\($0.offset)", isStar: false) }
            + [SelectItem(expr: pane, alias: "\u{2}pane", isStar: false)]
            + partials.enumerated().map { SelectItem(expr: $0.element, alias: "\u{2}p\($0.offset)", isStar: false) }
        inner.groupBy = keys + [pane]
        let panes: ResultSet
        do {
            panes = try select(inner, ctes: ctes, explain: &explain)
        } catch let e as QueryError where e.position == p {
            return nil  // a time whose pane cannot be made: the record-by-record path says why
        }
        // Each pane in the windows that hold it: those starting at it and at the slides before it.
        var rows: [[Value]] = []
        var meter = MemoryMeter(memory)
        let perPane = Int(w.size / w.slide), paneColumn = keys.count
        for row in panes.rows {
            guard case .timestamp(let start) = row[paneColumn] else { continue }  // no time, no window
            for j in 0..<perPane {
                let ws = start - Int64(j) * w.slide
                var r = Array(row[..<paneColumn])
                r.append(.timestamp(ws))
                r.append(.timestamp(ws + w.size))
                r += row[(paneColumn + 1)...]
                try meter.keep(r)
                rows.append(r)
            }
        }
        try meter.flush()
        explain.append("window: hopping, by \(panes.rows.count) panes of the slide, each in \(perPane) windows")
        let relation = "(panes)"
        var scope = ctes
        scope[relation] = ResultSet(columns: keys.indices.map { "\u{2}g\($0)" } + [GroupWindow.startColumn, GroupWindow.endColumn]
                                    + partials.indices.map { "\u{2}p\($0)" }, rows: rows)
        outer.from = .table(relation, at: 0)
        outer.filter = nil
        outer.groupBy = keys.indices.map { col("\u{2}g\($0)") } + [col(GroupWindow.startColumn), col(GroupWindow.endColumn)]
        return try select(outer, ctes: scope, explain: &explain)
    }

    /// The output column an ORDER BY item names: an ordinal, an alias, or an equal expression.
    private func outputIndex(_ e: Expr, _ items: [(name: String, expr: Expr)]) -> Int? {
        if case .literal(.int(let n), _) = e, n >= 1, n <= items.count { return Int(n) - 1 }
        // An alias spelt as written, an equal expression, then an alias in another case (two
        // columns that differ only in case are each their own expression).
        if case .column(let name, _) = e, let k = items.firstIndex(where: { $0.name == name }) { return k }
        if let k = items.firstIndex(where: { $0.expr.canonical == e.canonical }) { return k }
        if case .column(let name, _) = e { return items.firstIndex { $0.name.lowercased() == name.lowercased() && !Self.isCaseTwin($0.expr) } }
        return nil
    }

    /// A column that another differs from only in case (`QueryEngine.columnKeys`): its output
    /// name is never matched in another case, so that `ORDER BY team` is not `"Team"`.
    static func isCaseTwin(_ e: Expr) -> Bool {
        if case .column(let n, _) = e { return n.contains("\u{3}") }
        return false
    }

    private func containsAggregate(_ e: Expr) -> Bool {
        var found = false
        walkThroughWindows(e) { x in if case .call(let n, _, _, _, _) = x, Aggregates.isAggregate(n) { found = true } }
        return found
    }

    private func firstColumn(_ e: Expr) -> Expr? {
        var found: Expr?
        walk(e) { x in if found == nil, case .column(let n, _) = x, !n.hasPrefix("\u{1}") { found = x } }
        return found
    }
}

/// Visits the window nodes of an expression (not looking inside them).
func walkWindows(_ e: Expr, _ visit: (Expr) -> Void) {
    if case .window = e { visit(e); return }
    _ = e.mapChildren { child in walkWindows(child, visit); return child }
}

/// Visits every node like `walk`, and also the insides of windows — their function's
/// arguments, PARTITION BY and ORDER BY — though not the window function itself, which is no
/// aggregate of the query even when it is named `sum`.
func walkThroughWindows(_ e: Expr, _ visit: (Expr) -> Void) {
    if case .window(let call, let partition, let order, _, _) = e {
        if case .call(_, let args, _, _, _) = call { args.forEach { walkThroughWindows($0, visit) } }
        partition.forEach { walkThroughWindows($0, visit) }
        order.forEach { walkThroughWindows($0.expr, visit) }
        return
    }
    visit(e)
    _ = e.mapChildren { child in walkThroughWindows(child, visit); return child }
}

/// Visits every node of an expression, parents first.
func walk(_ e: Expr, _ visit: (Expr) -> Void) {
    visit(e)
    switch e {
    case .literal, .column, .interval: break
    case .unary(_, let x, _), .isNull(let x, _, _), .cast(let x, _, _, _): walk(x, visit)
    case .binary(_, let l, let r, _), .like(let l, let r, _, _, _): walk(l, visit); walk(r, visit)
    case .call(_, let args, _, _, _): args.forEach { walk($0, visit) }
    case .caseWhen(let o, let w, let el, _):
        if let o { walk(o, visit) }
        for (c, v) in w { walk(c, visit); walk(v, visit) }
        if let el { walk(el, visit) }
    case .inList(let x, let l, _, _): walk(x, visit); l.forEach { walk($0, visit) }
    case .window: break  // its insides belong to the window stage, not to the row around it
    case .subquery(_, let use, _): if case .within(let x, _) = use { walk(x, visit) }  // the query inside is its own
    case .between(let x, let lo, let hi, _, _): walk(x, visit); walk(lo, visit); walk(hi, visit)
    }
}

extension Expr {
    /// The same node with each child replaced by `f(child)`.
    func mapChildren(_ f: (Expr) -> Expr) -> Expr {
        switch self {
        case .literal, .column, .interval: return self
        case .subquery(let q, .within(let x, let n), let p): return .subquery(q, .within(f(x), negated: n), at: p)
        case .subquery: return self
        case .unary(let op, let x, let p): return .unary(op, f(x), at: p)
        case .binary(let op, let l, let r, let p): return .binary(op, f(l), f(r), at: p)
        case .call(let n, let a, let d, let s, let p): return .call(n, a.map(f), distinct: d, star: s, at: p)
        case .caseWhen(let o, let w, let el, let p): return .caseWhen(o.map(f), w.map { (f($0.0), f($0.1)) }, el.map(f), at: p)
        case .cast(let x, let t, let tr, let p): return .cast(f(x), t, isTry: tr, at: p)
        case .inList(let x, let l, let n, let p): return .inList(f(x), l.map(f), negated: n, at: p)
        case .between(let x, let lo, let hi, let n, let p): return .between(f(x), f(lo), f(hi), negated: n, at: p)
        case .like(let x, let pat, let n, let ci, let p): return .like(f(x), f(pat), negated: n, caseInsensitive: ci, at: p)
        case .isNull(let x, let n, let p): return .isNull(f(x), negated: n, at: p)
        case .window: return self
        }
    }
}

/// The time range a WHERE clause allows for `ts`, read from its top-level AND terms
/// (`ts >= …`, `ts < …`, `ts BETWEEN … AND …`), so that segments outside it are skipped.
enum TimeBounds {
    static func of(_ e: Expr, now: Int64) -> (Int64, Int64)? {
        var lo = Int64.min, hi = Int64.max, found = false
        func constant(_ x: Expr) -> Int64? {
            let c = ExprCompiler(names: [], now: now)
            guard let f = try? c.compile(x), let v = try? f(RowCursor()) else { return nil }
            switch v.asInstant {
            case .timestamp(let t): return t
            case .string(let s): return Compare.parseTime(s)
            default: return nil
            }
        }
        func isTs(_ x: Expr) -> Bool { if case .column(let n, _) = x { return n.lowercased() == "ts" }; return false }
        func visit(_ x: Expr) {
            switch x {
            case .binary("and", let l, let r, _): visit(l); visit(r)
            case .binary(let op, let l, let r, _) where isTs(l) || isTs(r):
                let other = isTs(l) ? r : l
                guard let t = constant(other) else { return }
                let flipped = !isTs(l)
                switch (op, flipped) {
                case (">", false), (">=", false), ("<", true), ("<=", true): lo = max(lo, t); found = true
                case ("<", false), ("<=", false), (">", true), (">=", true): hi = min(hi, t); found = true
                case ("=", _): lo = max(lo, t); hi = min(hi, t); found = true
                default: break
                }
            case .between(let v, let a, let b, false, _) where isTs(v):
                if let t = constant(a) { lo = max(lo, t); found = true }
                if let t = constant(b) { hi = min(hi, t); found = true }
            default: break
            }
        }
        visit(e)
        return found ? (lo, hi) : nil
    }
}

/// Whether sort keys `a` come strictly before `b` under ORDER BY (NULLs last ascending and
/// first descending unless told otherwise).
func sortsBefore(_ a: [Value], _ b: [Value], _ orderBy: [OrderItem]) -> Bool {
    sortOrder(a, b, orderBy) < 0
}

/// -1 when keys `a` sort before `b`, 1 when after, 0 when tied.
func sortOrder(_ a: [Value], _ b: [Value], _ orderBy: [OrderItem]) -> Int {
    for k in 0..<orderBy.count {
        let o = orderBy[k]
        let x = a[k], y = b[k]
        if x == .null || y == .null {
            if x == .null && y == .null { continue }
            let nullsFirst = o.nullsFirst ?? false  // Trino: NULLS LAST whatever the direction
            return (x == .null) == nullsFirst ? -1 : 1
        }
        let c = Compare.forSort(x, y)
        if c != 0 { return o.ascending ? c : -c }
    }
    return 0
}

extension Select {
    /// Whether rows tied on every ORDER BY key come against the table's order: when the last
    /// key descends, so that `ORDER BY ts DESC` lists a log's records exactly as `ORDER BY ts`
    /// does, reversed — lines of one second newest first, as they were written.
    var tiesReversed: Bool { orderBy.last.map { !$0.ascending } ?? false }

    /// The rows LIMIT and OFFSET keep from the front of the order (`LIMIT 5 OFFSET 10`: 15),
    /// at most Int.max; nil without a LIMIT.
    var kept: Int? {
        limit.map { l in
            let (sum, overflow) = l.addingReportingOverflow(offset)
            return overflow ? Int.max : sum
        }
    }
}

/// `TopN` for one Int64 key (a time or integer column), NULL as nil: no boxing per row.
struct TypedTopN {
    let keep: Int
    let ascending: Bool
    let nullsFirst: Bool
    /// Ties come against the table's order (the later row first).
    let tiesReversed: Bool
    private var heap: [(key: Int64?, seq: Int, seg: Segment, row: Int32)] = []

    init(keep: Int, ascending: Bool, nullsFirst: Bool, tiesReversed: Bool = false) {
        self.keep = keep
        self.ascending = ascending
        self.nullsFirst = nullsFirst
        self.tiesReversed = tiesReversed
    }

    /// Whether table position `a` comes before `b` among ties.
    @inline(__always) private func seqBefore(_ a: Int, _ b: Int) -> Bool { tiesReversed ? a > b : a < b }

    @inline(__always) private func before(_ a: Int64?, _ b: Int64?) -> Bool {
        switch (a, b) {
        case (nil, nil): return false
        case (nil, _): return nullsFirst
        case (_, nil): return !nullsFirst
        case (let x?, let y?): return ascending ? x < y : x > y
        }
    }

    @inline(__always) private func worse(_ i: Int, _ j: Int) -> Bool {
        if before(heap[j].key, heap[i].key) { return true }
        if before(heap[i].key, heap[j].key) { return false }
        return seqBefore(heap[j].seq, heap[i].seq)
    }

    /// Whether a row with this key could still enter: the heap has room, or the key sorts no
    /// later than the worst kept one (a tie may win on table position).
    func couldTake(_ key: Int64) -> Bool {
        heap.count < keep || (keep > 0 && !before(heap[0].key, key))
    }

    /// Offers a row; `seq`, its position in the table, breaks ties as the full sort would.
    mutating func offer(_ key: Int64?, seq: Int, _ seg: Segment, _ row: Int32) {
        guard keep > 0 else { return }
        if heap.count == keep {
            let beats = before(key, heap[0].key) || (!before(heap[0].key, key) && seqBefore(seq, heap[0].seq))
            guard beats else { return }
            heap[0] = (key, seq, seg, row)
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var w = i
                if l < heap.count, worse(l, w) { w = l }
                if r < heap.count, worse(r, w) { w = r }
                if w == i { break }
                heap.swapAt(i, w)
                i = w
            }
        } else {
            heap.append((key, seq, seg, row))
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard worse(i, parent) else { break }
                heap.swapAt(i, parent)
                i = parent
            }
        }
    }

    /// The kept rows, best first.
    var items: [(seg: Segment, row: Int32)] {
        heap.sorted { a, b in
            if before(a.key, b.key) { return true }
            if before(b.key, a.key) { return false }
            return seqBefore(a.seq, b.seq)
        }.map { ($0.seg, $0.row) }
    }
}

/// The first `keep` items by their keys: a binary heap with the worst kept item on top, so an
/// offer costs O(log keep) and one that cannot beat the top is rejected before anything is
/// copied. Ties keep arrival order (or its reverse: `tiesReversed`).
struct TopN<T> {
    let keep: Int
    /// Three-way order of two keys.
    let order: ([Value], [Value]) -> Int
    let tiesReversed: Bool
    private var heap: [(key: [Value], seq: Int, item: T)] = []
    private var seq = 0

    init(keep: Int, tiesReversed: Bool = false, order: @escaping ([Value], [Value]) -> Int) {
        self.keep = keep
        self.order = order
        self.tiesReversed = tiesReversed
        heap.reserveCapacity(min(keep, 1 << 16) + 1)
    }

    /// Whether `a` ranks after `b` (is worse).
    private func worse(_ a: (key: [Value], seq: Int, item: T), _ b: (key: [Value], seq: Int, item: T)) -> Bool {
        let c = order(a.key, b.key)
        return c != 0 ? c > 0 : (tiesReversed ? a.seq < b.seq : a.seq > b.seq)
    }

    mutating func offer(_ key: [Value], _ item: T) {
        guard keep > 0 else { return }
        seq += 1
        if heap.count == keep {
            // Only a key strictly before the worst kept one can enter (ties keep the earlier, or
            // reversed the later).
            let c = order(key, heap[0].key)
            guard c < 0 || (c == 0 && tiesReversed) else { return }
            heap[0] = (key, seq, item)
            siftDown(0)
        } else {
            heap.append((key, seq, item))
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard worse(heap[i], heap[parent]) else { break }
                heap.swapAt(i, parent)
                i = parent
            }
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var w = i
            if l < heap.count, worse(heap[l], heap[w]) { w = l }
            if r < heap.count, worse(heap[r], heap[w]) { w = r }
            if w == i { return }
            heap.swapAt(i, w)
            i = w
        }
    }

    /// The kept items, best first.
    var items: [([Value], T)] {
        heap.sorted { worse($1, $0) }.map { ($0.key, $0.item) }
    }
}

/// One result or error per parallel task, written from its own thread and read after all finish.
final class ParallelResults<T>: @unchecked Sendable {
    private var slots: [Result<T, Error>?]
    private let lock = NSLock()

    init(_ count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ k: Int, _ work: () throws -> T) {
        let r = Result { try work() }
        lock.lock(); slots[k] = r; lock.unlock()
    }

    /// Every task's outcome.
    func results() -> [Result<T, Error>] {
        lock.lock(); defer { lock.unlock() }
        return slots.map { $0! }
    }

    /// Every task's value, or the first task's error.
    func values() throws -> [T] {
        try slots.map { try $0!.get() }
    }
}

/// Iterations spread over the cores (`concurrentPerform`), or without `spread` one after
/// the other on the calling thread.
public enum Spread {
    public static func perform(_ iterations: Int, spread: Bool, _ body: @Sendable (Int) -> Void) {
        guard spread else { return (0..<iterations).forEach(body) }
        DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
    }
}

/// Two tasks side by side: `second` on a thread of its own, `first` on the calling one. Not
/// `concurrentPerform`: a task that spreads over the cores itself would run serially inside it.
/// Without `spread`, one after the other on the calling thread.
public enum SideBySide {
    public static func run<A, B>(spread: Bool = true, _ first: () throws -> A, _ second: @escaping () throws -> B) -> (Result<A, Error>, Result<B, Error>) {
        guard spread else { return (Result { try first() }, Result { try second() }) }
        let task = UncheckedBox(second)
        let out = ParallelResults<B>(1)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            out.set(0) { try task.value() }
            done.signal()
        }
        let a = Result { try first() }
        done.wait()
        return (a, out.results()[0])
    }
}
