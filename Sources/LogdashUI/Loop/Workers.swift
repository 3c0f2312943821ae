import Foundation
import Synchronization
import LogdashEngine

/// Runs queries on a thread of its own, so that one over millions of records never freezes
/// the keyboard. The newest request wins: one still waiting when another comes is dropped.
final class QueryWorker<Request: Sendable, Response: Sendable>: Sendable {
    private struct State {
        var pending: Request?
        var done: Response?
        var running = false
        var stopped = false
        /// When the oldest request not yet answered was made.
        var waitingSince: Date?
    }
    private let state = Guarded(State())
    private let work: @Sendable (Request) -> Response

    init(name: String, _ work: @escaping @Sendable (Request) -> Response) {
        self.work = work
        let t = Thread { [self] in loop() }
        t.name = name
        t.start()
    }

    func submit(_ r: Request) {
        state.change { s in
            s.pending = r
            if s.waitingSince == nil { s.waitingSince = Date() }
        }
    }

    /// Whether the view has waited more than a moment (0.3 s) for an answer: a slow query.
    var busy: Bool {
        state.withLock { s in
            guard let since = s.waitingSince, s.pending != nil || s.running else { return false }
            return Date().timeIntervalSince(since) > 0.3
        }
    }

    /// The latest finished response, once; waits up to `seconds` for one when none is there.
    func take(waiting seconds: Double = 0) -> Response? {
        let deadline = Date().addingTimeInterval(seconds)
        return state.loop { s -> Guarded<State>.Step<Response?> in
            if s.done == nil && (s.pending != nil || s.running) && Date() < deadline { return .waitUntil(deadline) }
            defer { s.done = nil }
            return .done(s.done)
        }
    }

    func stop() {
        state.change { $0.stopped = true }
    }

    private func loop() {
        while true {
            let next = state.wait { s -> Request?? in
                if s.stopped { return .some(nil) }
                guard let r = s.pending else { return nil }
                s.pending = nil
                s.running = true
                return .some(r)
            }
            guard let r = next else { return }
            let response = work(r)
            state.change { s in
                s.running = false
                s.done = response
                s.waitingSince = s.pending == nil ? nil : Date()
            }
        }
    }
}

/// The tail's queries: the page of records and the matching count.
public enum TailQueries {
    struct Request: Sendable {
        var generation: Int
        var snapshot: StoreSnapshot
        var whereClause: String?
        var filters: [String]
        var limit: Int
        var offset: Int
        /// A paused view's bottom record's time: the page then starts at the first record not
        /// newer than it, wherever records arrived meanwhile.
        var anchor: Int64?
    }

    struct Response: Sendable {
        var generation: Int
        var filters: [String]
        var result: Result<Page, QueryError>
    }

    struct Page: Sendable {
        var rows: [TailRow]
        var matching: Int
        /// The offset an anchored request found.
        var offset: Int?
    }

    static func worker() -> QueryWorker<Request, Response> {
        QueryWorker(name: "logdash-tail-queries") { r in Response(generation: r.generation, filters: r.filters, result: run(r)) }
    }

    static func run(_ r: Request) -> Result<Page, QueryError> {
        let engine = QueryEngine(snapshot: r.snapshot)
        let filter = r.whereClause.map { " WHERE " + $0 } ?? ""
        do {
            var offset = r.offset, anchored: Int?
            if let anchor = r.anchor {
                let newer = (r.whereClause.map { "(\($0)) AND " } ?? "") + "ts > TIMESTAMP '\(Timestamp.iso8601(anchor))'"
                if case .int(let n)? = try engine.execute("SELECT count(*) FROM logs WHERE \(newer)").rows.first?.first {
                    offset = Int(n)
                    anchored = offset
                }
            }
            let shown = try engine.execute(page(filter, limit: r.limit, offset: offset))
            let count = try engine.execute("SELECT count(*) FROM logs\(filter)")
            let rows = tailRows(shown)
            var matching = 0
            if case .int(let n)? = count.rows.first?.first { matching = Int(n) }
            return .success(Page(rows: rows, matching: matching, offset: anchored))
        } catch let e as QueryError {
            return .failure(e)
        } catch {
            return .failure(QueryError(.value, "\(error)", at: nil))
        }
    }

    /// The page of the tail: `limit` records from `offset` records before the newest.
    static func page(_ filter: String, limit: Int, offset: Int) -> String {
        "SELECT ts, level, host, message, raw FROM logs\(filter) ORDER BY ts DESC LIMIT \(max(1, limit)) OFFSET \(offset)"
    }

    /// A page's rows, oldest first, as the tail shows them (the raw line when there is no message).
    static func tailRows(_ shown: ResultSet) -> [TailRow] {
        shown.rows.reversed().map { r -> TailRow in
            var ts: Int64 = 0
            if case .timestamp(let t) = r[0] { ts = t }
            var level: Level?
            if case .string(let l) = r[1] { level = Level(l) }
            var host: String?
            if case .string(let h) = r[2] { host = h }
            var message = ""
            if case .string(let m) = r[3] { message = m } else if case .string(let raw) = r[4] { message = raw }
            return TailRow(ts: ts, level: level, host: host, message: message)
        }
    }

    /// The newest `limit` records (for a one-off frame).
    public static func newest(_ engine: QueryEngine, limit: Int) -> [TailRow] {
        (try? engine.execute(page("", limit: limit, offset: 0))).map(tailRows) ?? []
    }
}

/// The dashboard panes' queries, in one request, under the filters in force.
enum PaneQueries {
    struct Request: Sendable {
        var snapshot: StoreSnapshot
        var spec: DashboardSpec
        var whereClause: String?
        /// The panes to run (the others keep their charts).
        var panes: [Int]
        /// Files' history still loading: windowed panes close no window yet.
        var hold = false
    }

    struct Response: Sendable {
        var spec: DashboardSpec
        var whereClause: String?
        var contents: [(pane: Int, content: DashboardRender.Content)]
        /// How long the panes' queries took.
        var seconds: Double
    }

    /// `store`: windowed panes (TUMBLE/HOP/SESSION) run live on the streaming engine from it.
    static func worker(store: Store? = nil) -> QueryWorker<Request, Response> {
        let live = LivePanes(store: store)
        return QueryWorker(name: "logdash-pane-queries") { r in
            let start = Date()
            let contents = run(r, live: live)
            return Response(spec: r.spec, whereClause: r.whereClause, contents: contents, seconds: Date().timeIntervalSince(start))
        }
    }

    /// The panes' streaming queries, by SQL and filter, kept between refreshes (only the pane
    /// worker's thread uses them); a query without a window is remembered as not live.
    final class LivePanes: Sendable {
        let store: Store?
        private let queries = Mutex<[String: LiveQuery?]>([:])

        init(store: Store?) { self.store = store }

        func query(_ sql: String, filter: String?) -> LiveQuery? {
            guard let store else { return nil }
            let key = sql + "\u{0}" + (filter ?? "")
            if let known = queries.withLock({ $0[key] }) { return known }
            let q = try? LiveQuery(sql: sql, store: store, filter: filter)
            queries.withLock { $0[key] = .some(q) }
            return q
        }

        /// Forgets the queries no pane asked for this time (their feeds end).
        func keep(_ keys: Set<String>) {
            queries.withLock { $0 = $0.filter { keys.contains($0.key) } }
        }
    }

    static func run(_ r: Request, live: LivePanes? = nil) -> [(pane: Int, content: DashboardRender.Content)] {
        var engine = QueryEngine(snapshot: r.snapshot)
        do {
            engine.logsFilter = try r.whereClause.map(QueryEngine.filter)
        } catch {
            // The tail shows the error and restores the last good filter.
            return r.panes.map { ($0, .failure("the filter: \(error)")) }
        }
        live?.keep(Set(r.spec.panes.compactMap { $0.sql.map { $0 + "\u{0}" + (r.whereClause ?? "") } }))
        return r.panes.compactMap { k in
            guard let sql = r.spec.panes[k].sql else { return nil }  // the tail pane: drawn from the tail's own rows
            do {
                // A windowed query folds in what arrived since its last refresh; others run afresh.
                let result = try live?.query(sql, filter: r.whereClause)?.step(hold: r.hold) ?? engine.execute(sql)
                return (k, .chart(try ChartPicker.chart(for: result, kind: r.spec.panes[k].kind)))
            } catch let e as QueryError {
                return (k, .failure(e.message))
            } catch {
                return (k, .failure("\(error)"))
            }
        }
    }
}

/// The alarms, evaluated over a snapshot (`AlarmReplay`), off the UI thread.
enum AlarmQueries {
    struct Request: Sendable {
        /// Files' history still loading (out of order): fold, but evaluate nothing yet.
        var hold: Bool
    }

    struct Response: Sendable {
        var transitions: [AlarmTracker.Transition]
        var statuses: [AlarmReplay.Status]
        /// The first evaluation: its transitions are the history, not news.
        var first: Bool
    }

    /// The alarms on the streaming engine, stepped on the worker's thread.
    static func worker(_ alarms: [AlarmDefinition], store: Store, lateness: Int64) -> QueryWorker<Request, Response> {
        let stream = AlarmStream(alarms, store: store, lateness: lateness)
        let evaluated = SharedFlag()
        return QueryWorker(name: "logdash-alarms") { r in
            stream.holdsWatermark = r.hold
            let result = try? stream.step()
            let first = !r.hold && !evaluated.value
            if !r.hold { evaluated.value = true }
            return Response(transitions: result?.transitions ?? [], statuses: result?.statuses ?? [], first: first)
        }
    }
}

/// A flag the alarms worker's closure keeps between requests.
final class SharedFlag: Sendable {
    private let flag = Mutex(false)
    var value: Bool {
        get { flag.withLock { $0 } }
        set { flag.withLock { $0 = newValue } }
    }
}

/// The query pane's queries: SQL (or a Logs Insights query), with progress and cancel.
enum AdHocQueries {
    struct Request: Sendable {
        var sql: String
        var snapshot: StoreSnapshot
        var progress: QueryProgress
        /// A streaming query shown live: a step folds in what was stored since the last.
        var live: LiveQuery?
        /// Files' history still loading: the live query closes no window yet.
        var hold = false
    }

    struct Response: Sendable {
        var sql: String
        var result: Result<ResultSet, QueryError>
        var seconds: Double
        var live: LiveQuery?
    }

    static func worker() -> QueryWorker<Request, Response> {
        QueryWorker(name: "logdash-adhoc") { r in
            let start = Date()
            var engine = QueryEngine(snapshot: r.snapshot)
            engine.progress = r.progress
            let result: Result<ResultSet, QueryError>
            do {
                result = .success(try r.live.map { try $0.step(progress: r.progress, hold: r.hold) } ?? engine.run(r.sql))
            } catch let e as QueryError {
                result = .failure(e)
            } catch {
                result = .failure(QueryError(.value, "\(error)", at: nil))
            }
            return Response(sql: r.sql, result: result, seconds: Date().timeIntervalSince(start), live: r.live)
        }
    }
}
