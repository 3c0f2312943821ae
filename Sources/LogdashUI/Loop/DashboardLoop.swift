import Foundation
import Synchronization
import LogdashEngine

/// The notices live ingest reports (a listener's address, a file waiting to appear, a
/// source that failed), for the status line.
public final class Notices: Sendable {
    private let pending = Mutex<[String]>([])

    public init() {}

    public func add(_ s: String) { pending.withLock { $0.append(s) } }

    /// The latest notice, once.
    public func take() -> String? {
        pending.withLock { p in
            defer { p = [] }
            return p.last
        }
    }
}

/// The UI loop: keys and resizes in, engine data refreshed at most ten times a second, the
/// screen redrawn when the picture changed. It runs on any `Terminal`: ncurses for users, a
/// scripted one in tests.
public struct DashboardLoop {
    let screen: any Terminal
    let store: Store
    let pipeline: Pipeline
    let notices: Notices
    public var state: AppState
    /// The sinks' delivery state, for the status bar (nil: no sinks).
    public var sinkStatus: (@Sendable () -> [SinkStatus])?
    private var lastGoodFilters: [String] = []
    private var lastRows = -1
    private var lastLoad = Date.distantPast
    private var rateBase: (Date, Int) = (Date(), 0)
    private var sourceLines: [Int] = []
    private let queries = TailQueries.worker()
    private let panes: QueryWorker<PaneQueries.Request, PaneQueries.Response>
    /// What the panes were last asked for, and when.
    private var paneAsked: (spec: DashboardSpec, whereClause: String?)?
    private var paneAskedAt = Date.distantPast
    /// Seconds between refreshes of the panes while records arrive: one, or three times what
    /// their queries took (a big store is not rescanned flat out).
    private var paneInterval = 1.0
    private var generation = 0
    /// Set when a search or a mark moved the view: the next page is fetched as a key's.
    private var jumped = false
    /// The generation of the last request a key made: older answers are stale.
    private var acceptFrom = 0
    private let themes: [Theme]
    private var themeIndex: Int

    public init(screen: any Terminal, store: Store, pipeline: Pipeline, notices: Notices, sources: [String], themes: [Theme], theme: Theme) {
        self.screen = screen
        self.store = store
        self.pipeline = pipeline
        self.notices = notices
        panes = PaneQueries.worker(store: store)
        self.themes = themes
        themeIndex = themes.firstIndex(of: theme) ?? 0
        let (w, h) = screen.size
        state = AppState(width: w, height: h)
        state.ascii = screen.asciiOnly
        state.monochrome = !screen.hasColor || !theme.coloursSeries
        state.status.sources = sources
        state.notice = "f filter · / search · q query · Enter fields · ? every key · Q quit"
    }

    /// Runs until the user quits or a signal asks the program to stop.
    public mutating func run() {
        defer { stopWorkers() }
        while step() {}
    }

    /// Stops the query threads (`run` does at its end).
    public func stopWorkers() {
        queries.stop(); panes.stop(); adHoc.stop(); alarmWorker?.stop()
    }

    /// Whether the data must be loaded again at the next step (a key changed what is shown).
    private var reload = true

    /// One turn of the loop: a key (or none, after a moment), the notices, the answers that
    /// came, the data refreshed when due, a frame. False when the dashboard should end.
    public mutating func step() -> Bool {
        guard !state.quit && !screen.shouldExit else { return false }
        reloadTransformsNow(asked: false)
        if let input = screen.readKey() {
            switch input {
            case .interrupt:
                // Ctrl-C stops the query pane's query when one runs (or a live one); else it quits.
                if live != nil && state.queryOpen && state.query.running == nil {
                    live = nil
                    _ = update(&state, .queryLive(nil, closedWindows: 0, openWindows: 0))
                    state.notice = "the live query stopped (its last rows stay)"
                    return true
                }
                guard state.query.running != nil else { return false }
                queryProgress?.cancel()
            case .suspend: screen.suspend()
            case .resize(let w, let h): reload = handle(.resize(width: w, height: h)) || reload
            case .key(let k): reload = handle(.key(k)) || reload
            }
        }
        if let notice = notices.take() {  // a listener's address, a source that failed, a file waited for
            if notice.hasSuffix(FollowNotice.appeared) {
                // The file is there: its "no such file yet" goes at once.
                let pattern = notice.dropLast(FollowNotice.appeared.count)
                if state.notice == pattern + FollowNotice.missing { state.notice = nil }
            } else {
                state.notice = notice
            }
        }
        applyResponse()
        applyQueryResponse()
        let now = Date()
        if reload || now.timeIntervalSince(lastLoad) >= 0.1 {
            load(force: reload)
            reload = false
            lastLoad = now
        }
        screen.draw(DashboardView.render(state))
        return !state.quit
    }

    /// Filters typed in earlier runs, for ↑ in the filter bar; kept in `file` (one a line, the
    /// newest last, at most 500).
    private var historyFile: String?
    private var savedHistory: [String] = []

    public mutating func useHistory(file: String) {
        historyFile = file
        if let text = try? String(contentsOfFile: file, encoding: .utf8) {
            state.history = text.split(separator: "\n").map(String.init).suffix(500)
            savedHistory = state.history
        }
    }

    /// Writes the history when it changed (a filter applied); a failure to write is only shown.
    private mutating func saveHistory() {
        guard let file = historyFile, state.history != savedHistory else { return }
        savedHistory = state.history
        do {
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let lines = state.history.suffix(500).filter { !$0.contains("\n") }
            try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        } catch {
            state.fail("filter history not saved: \(file): \(error.localizedDescription)")
        }
    }

    // MARK: the query pane

    private let adHoc = AdHocQueries.worker()
    private var queryProgress: QueryProgress?
    /// Queries pinned as panes (`p`), added to every dashboard as a row at the bottom.
    private var pinned: [String] = []
    private var sqlHistoryFile: String?

    /// The query pane's history, kept in `file` as one JSON string per line (queries span lines).
    public mutating func useSQLHistory(file: String) {
        sqlHistoryFile = file
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return }
        state.query.history = text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8), options: .fragmentsAllowed)) as? String
        }.suffix(500)
    }

    /// The query pane's streaming query (a window in its GROUP BY), stepped about once a second.
    private var live: LiveQuery?
    private var liveSteppedAt = Date.distantPast

    private mutating func runQuery(_ sql: String) {
        let progress = QueryProgress()
        queryProgress = progress
        state.query.running = .init(sql: sql, since: Date())
        // A query with TUMBLE/HOP/SESSION runs live; one the streaming engine cannot fold (or
        // no window at all) runs once.
        live = InsightsQuery.looksLikeInsights(sql) ? nil : try? LiveQuery(sql: sql, store: store)
        liveSteppedAt = Date()
        adHoc.submit(.init(sql: sql, snapshot: store.snapshot(), progress: progress, live: live, hold: pipeline.metrics.total().lagBytes > 0))
        if let file = sqlHistoryFile {
            do {
                try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                let lines = state.query.history.suffix(500).compactMap { q in
                    (try? JSONSerialization.data(withJSONObject: q, options: .fragmentsAllowed)).map { String(decoding: $0, as: UTF8.self) }
                }
                try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            } catch {
                state.fail("query history not saved: \(file): \(error.localizedDescription)")
            }
        }
    }

    /// The query pane's progress while its query runs, then the answer.
    private mutating func applyQueryResponse() {
        if state.query.running == nil {
            // A live query steps while its result is on screen.
            guard let live, state.queryOpen, Date().timeIntervalSince(liveSteppedAt) >= 1 else {
                if let r = adHoc.take(waiting: 0), let l = r.live, l === live, case .success(let rows) = r.result {
                    _ = update(&state, .queryLive(rows, closedWindows: l.closedWindows, openWindows: l.openWindows))
                }
                return
            }
            liveSteppedAt = Date()
            adHoc.submit(.init(sql: "", snapshot: store.snapshot(), progress: QueryProgress(), live: live, hold: pipeline.metrics.total().lagBytes > 0))
            return
        }
        if let r = adHoc.take(waiting: 0) {
            guard r.live === live else { return }  // a step of a live query since replaced
            switch r.result {
            case .success(let rows):
                _ = update(&state, .queryFinished(rows, nil, seconds: r.seconds))
                if let l = r.live { _ = update(&state, .queryLive(rows, closedWindows: l.closedWindows, openWindows: l.openWindows)) }
            case .failure(let e):
                live = nil
                _ = update(&state, .queryFinished(nil, .init(message: e.message, position: e.position, sql: r.sql), seconds: r.seconds))
            }
            queryProgress = nil
        } else if let p = queryProgress {
            _ = update(&state, .queryProgress(rowsScanned: p.scanned.rows))
        }
    }

    /// Whether alarms ring the bell (`--no-bell`, `bell: false`); the banner shows either way.
    public var bell = true

    /// Reads the transform steps again when asked (`:reload`) or when their file changed (it
    /// looks at most once a second); what happened, or nil when nothing did, and whether it failed.
    public var reloadTransforms: ((_ asked: Bool) -> (message: String, failed: Bool)?)?

    private mutating func reloadTransformsNow(asked: Bool) {
        guard let r = reloadTransforms else {
            if asked { state.notice = "no transform steps to reload" }
            return
        }
        guard let (message, failed) = r(asked) else { return }
        if failed { state.fail(message) } else { state.notice = message }
    }

    /// Where alarms defined in the dashboard are saved: `--alarms FILE` (or the config's
    /// `alarms:`), else `$XDG_CONFIG_HOME/logdash/alarms.yaml`.
    public var alarmsFile = ""

    /// Appends the form's alarm to the alarms file and starts watching it; a problem stays in
    /// the form (a bad value names its key).
    private mutating func saveAlarm(_ draft: AlarmDraft) {
        do {
            let definition = try draft.validated()
            guard !alarmDefinitions.contains(where: { $0.name == definition.name }) else {
                throw AlarmDraft.Unfit(description: "an alarm named '\(definition.name)' exists already: choose another name")
            }
            try draft.append(toFile: alarmsFile)
            alarmDefinitions.append(definition)
            state.alarmDrills[definition.name] = .init(filter: definition.recordsFilter, window: definition.period * Int64(definition.rule?.evaluationPeriods ?? 1))
            restartAlarms()
            state.query.alarmForm = nil
            state.notice = "alarm \(definition.name) saved to \(alarmsFile); the alarm panel shows it"
        } catch {
            state.query.alarmForm?.problem = "\(error)"
        }
    }

    /// Where `:save` writes dashboards: `--dashboard FILE` (or the config's `dashboard:`), else
    /// `$XDG_CONFIG_HOME/logdash/dashboards.yaml`.
    public var dashboardsFile = ""

    /// `:save [FILE]`: the dashboard shown — with its pinned panes and the chart types chosen
    /// with `c` — into the dashboards file (replacing the one of its name; the default one is
    /// saved as `saved`), which then shows it.
    private mutating func saveDashboard(to path: String?) {
        guard var spec = state.board?.spec else {
            state.notice = "no dashboard to save (the tail alone)"
            return
        }
        let target = path ?? dashboardsFile
        if state.boardIndex >= fileBoards.count { spec.name = "saved" }
        var boards = path == nil ? fileBoards : ((try? DashboardFile.load(path: target)) ?? [])
        if let i = boards.firstIndex(where: { $0.name == spec.name }) { boards[i] = spec } else { boards.append(spec) }
        do {
            try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try DashboardFile.yaml(boards).write(toFile: target, atomically: true, encoding: .utf8)
            _ = try DashboardFile.load(path: target)  // reads back, or the error says why
        } catch {
            state.fail("dashboard not saved: \(target): \(error)")
            return
        }
        if path == nil || target == dashboardsFile {
            fileBoards = boards
            pinned = []
            state.boardIndex = boards.firstIndex { $0.name == spec.name } ?? 0
        }
        state.notice = "dashboard '\(spec.name)' saved to \(target)"
    }

    /// `e`/`E`: the result as CSV or JSON, in a new file in the working directory.
    private mutating func export(csv: Bool) {
        guard let r = state.query.result else { return }
        let stamp = Timestamp.iso8601(LoadOptions.wallClock(), fractionDigits: 0).filter { $0.isNumber }
        let path = FileManager.default.currentDirectoryPath + "/logdash-result-\(stamp).\(csv ? "csv" : "json")"
        let sorted = ResultSet(columns: r.columns, rows: state.query.shownRows)
        do {
            try ResultWriter.render(sorted, as: csv ? .csv : .json).write(toFile: path, atomically: true, encoding: .utf8)
            state.notice = "\(sorted.rows.count) rows written to \(path)"
        } catch {
            state.fail("export failed: \(path): \(error.localizedDescription)")
        }
    }

    /// Applies an event; true when the data must be loaded again.
    private mutating func handle(_ e: AppEvent) -> Bool {
        let effects = update(&state, e)
        saveHistory()
        for effect in effects {
            switch effect {
            case .nextTheme:
                themeIndex = (themeIndex + 1) % themes.count
                screen.apply(themes[themeIndex])
                state.monochrome = !screen.hasColor || !themes[themeIndex].coloursSeries
                state.notice = "theme: \(themes[themeIndex].name)"
            case .theme(let name):
                do {
                    let t = try Theme.resolve(name, among: themes)
                    screen.apply(t)
                    state.monochrome = !screen.hasColor || !t.coloursSeries
                    themeIndex = themes.firstIndex(of: t) ?? themeIndex
                    state.notice = "theme: \(t.name)"
                } catch {
                    state.fail("\(error)")
                }
            case .find(let older):
                find(older: older)
            case .detail:
                showDetail()
            case .copy:
                copyBottomLine()
            case .scrollTo(let ts, let message):
                scroll(to: ts, message: message)
            case .bell:
                if bell { screen.bell() }
            case .runQuery(let sql):
                runQuery(sql)
            case .cancelQuery:
                queryProgress?.cancel()
            case .pin(let sql):
                pinned.append(sql)
                state.queryOpen = false
                state.zoomed = false
                state.notice = "pinned as a pane of this dashboard (\(pinned.count) pinned)"
            case .export(let csv):
                export(csv: csv)
            case .saveAlarm(let draft):
                saveAlarm(draft)
            case .saveDashboard(let path):
                saveDashboard(to: path)
            case .reloadTransforms:
                reloadTransformsNow(asked: true)
            case .quit, .reload:
                break
            }
        }
        defer { jumped = false }
        return effects.contains(.reload) || jumped
    }

    /// Fetches every column of the record at the bottom of the view (the same order and offset
    /// as the view), the raw line pretty-printed when it is JSON.
    private mutating func showDetail() {
        do {
            guard let r = try selectedRecord("*"), let row = r.rows.first else { return }
            var fields: [AppState.Field] = []
            for (name, v) in zip(r.columns, row) where v != .null {
                switch v {
                case .string(let raw) where name == "raw":
                    fields.append(.init(name, Self.prettyJSON(raw) ?? raw))
                case .timestamp(let t):
                    fields.append(.init(name, state.zone.iso(t)))  // in the zone shown, with its offset
                case .string(let text):
                    fields.append(.init(name, text, literal: "'" + text.replacingOccurrences(of: "'", with: "''") + "'"))
                default:
                    fields.append(.init(name, v.description, literal: v.description))
                }
            }
            _ = update(&state, .detail(fields))
        } catch {
            state.fail("\(error)")
        }
    }

    /// Copies the raw line of the record at the bottom of the view.
    private mutating func copyBottomLine() {
        do {
            guard case .string(let raw)? = try selectedRecord("raw")?.rows.first?.first else { return }
            screen.copyToClipboard(raw)
            state.notice = "copied \(raw.utf8.count) bytes"
        } catch {
            state.fail("\(error)")
        }
    }

    /// Columns of the selected record, found by its time (a lookup the zone maps make quick,
    /// where an OFFSET deep into millions of records is not): among records of the same time,
    /// the one as many places from the newest as it is on screen.
    private func selectedRecord(_ columns: String) throws -> ResultSet? {
        guard let sel = state.selected else { return nil }
        let at = state.rows.indices.contains(state.rows.count - 1 - state.cursor) ? state.rows.count - 1 - state.cursor : state.rows.count - 1
        let ties = state.rows[(at + 1)...].filter { $0.ts == sel.ts }.count
        let filters = state.whereClause.map { "(\($0)) AND " } ?? ""
        return try QueryEngine(snapshot: store.snapshot()).execute(
            "SELECT \(columns) FROM logs WHERE \(filters)ts = TIMESTAMP '\(Timestamp.iso8601(sel.ts))' ORDER BY ts DESC LIMIT 1 OFFSET \(ties)")
    }

    public static func prettyJSON(_ text: String) -> String? {
        guard text.hasPrefix("{"), let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
              let data = try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Scrolls to the nearest record matching the search, older or newer than the selected
    /// one, in the view's order (records of one time as the log wrote them).
    private mutating func find(older: Bool) {
        guard let term = state.search else { return }
        let engine = QueryEngine(snapshot: store.snapshot())
        let filters = state.whereClause.map { "(\($0)) AND " } ?? ""
        let like = FilterText.contains(term)
        do {
            // First among the records of the selected one's time, past it; else the nearest time.
            var found: (offset: Int, ts: Int64, before: Int)?
            if let sel = state.selected, let f = try locate(engine, at: sel.ts, where: like, from: state.scroll + state.cursor, older: older) {
                found = (f.offset, sel.ts, f.before)
            } else {
                let bound = state.selected.map { " AND ts \(older ? "<" : ">") \(Self.literal($0.ts))" } ?? ""
                let hit = try engine.execute("SELECT ts FROM logs WHERE \(filters)\(like)\(bound) ORDER BY ts \(older ? "DESC" : "ASC") LIMIT 1")
                if case .timestamp(let t)? = hit.rows.first?.first, let f = try locate(engine, at: t, where: like, from: nil, older: older) {
                    found = (f.offset, t, f.before)
                }
            }
            guard let found else {
                state.notice = "no \(older ? "older" : "newer") record matches '\(term)'"
                return
            }
            // Which match it is, counted from the newest, of how many.
            if case .int(let newer)? = try engine.execute("SELECT count(*) FROM logs WHERE \(filters)\(like) AND ts > \(Self.literal(found.ts))").rows.first?.first,
               case .int(let total)? = try engine.execute("SELECT count(*) FROM logs WHERE \(filters)\(like)").rows.first?.first {
                state.searchPlace = .init(index: Int(newer) + found.before + 1, total: Int(total))
            }
            try jump(engine, to: found.offset, context: true)
        } catch {
            state.fail("\(error)")
        }
    }

    /// A time exact to the nanosecond, as SQL.
    private static func literal(_ ns: Int64) -> String { "TIMESTAMP '\(Timestamp.iso8601(ns))'" }

    /// Among the view's records of time `ts`, the place (counted from the newest record of the
    /// view) of the nearest one where `condition` holds: older or newer than place `from`, or
    /// with no `from` the newest such (the oldest, going newer); and how many of that time
    /// newer than it meet the condition too.
    private func locate(_ engine: QueryEngine, at ts: Int64, where condition: String, from: Int?, older: Bool) throws -> (offset: Int, before: Int)? {
        let filters = state.whereClause.map { "(\($0)) AND " } ?? ""
        guard case .int(let newer)? = try engine.execute("SELECT count(*) FROM logs WHERE \(filters)ts > \(Self.literal(ts))").rows.first?.first else {
            return nil
        }
        // The records of that time, newest first as the tail lists them: whether each matches.
        let group = try engine.execute("SELECT coalesce(\(condition), false) FROM logs WHERE \(filters)ts = \(Self.literal(ts)) ORDER BY ts DESC")
        let hits = group.rows.map { $0.first == .bool(true) }
        let k = from.map { $0 - Int(newer) }
        let found = older ? hits.indices.first { $0 > (k ?? -1) && hits[$0] } : hits.indices.last { $0 < (k ?? hits.count) && hits[$0] }
        return found.map { (Int(newer) + $0, hits[..<$0].filter { $0 }.count) }
    }

    /// Selects the record `offset` places from the newest of the view: at the bottom, or with
    /// `context` in the middle of the tail, its newer neighbours under it. The tail pauses
    /// there (or follows, for the newest).
    private mutating func jump(_ engine: QueryEngine, to offset: Int, context: Bool = false) throws {
        let filter = state.whereClause.map { " WHERE " + $0 } ?? ""
        guard case .int(let all)? = try engine.execute("SELECT count(*) FROM logs\(filter)").rows.first?.first else { return }
        state.matching = Int(all)
        let below = context ? min(offset, max(0, (state.tailHeight - 1) / 2)) : 0
        state.scroll = offset - below
        state.cursor = below
        state.follow = offset == 0
        jumped = true  // fetched at the new offset, not held at the old bottom record
    }

    /// Puts the record at time `ts` (the newest of that time, or the newest whose message is
    /// `message`: a mark) at the bottom of the view.
    private mutating func scroll(to ts: Int64, message: String?) {
        let engine = QueryEngine(snapshot: store.snapshot())
        let condition = message.map { "message = '" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "true"
        do {
            // (Counts: a time comparison runs over whole columns, a CASE row by row.)
            guard let found = try locate(engine, at: ts, where: condition, from: nil, older: true)
                    ?? locate(engine, at: ts, where: "true", from: nil, older: true) else { return }
            try jump(engine, to: found.offset, context: true)
        } catch {
            state.fail("\(error)")
        }
    }

    private mutating func load(force: Bool) {
        let snap = store.snapshot()
        var status = state.status
        status.records = snap.rowCount
        status.unparsed = snap.unparsedCount
        let ingest = pipeline.metrics.total()
        status.lagBytes = ingest.lagBytes
        status.drops = ingest.drops
        status.connections = ingest.connections
        status.bufferFill = Double(pipeline.bufferFill) / Double(pipeline.settings.buffer.capacity)
        let sinks = sinkStatus?() ?? []
        // The worst: a sink past its max_lag, else one late.
        let behind = sinks.filter(\.behind)
        status.sinkBehind = !behind.isEmpty
        status.sinkLagMs = (behind.isEmpty ? sinks.filter(\.overdue) : behind).map(\.lagMs).max() ?? 0
        status.memory = store.memoryStatus
        status.clock = LoadOptions.wallClock()
        status.newest = snap.segments.lazy.filter { $0.rowCount > 0 }.map(\.maxTs).max()
        let elapsed = Date().timeIntervalSince(rateBase.0)
        if elapsed >= 1 {
            status.recordsPerSecond = Double(snap.rowCount - rateBase.1) / elapsed
            // Per source: the lines each stored since the last look (a glob sums its files).
            let counts = pipeline.metrics.snapshot()
            let lines = status.sources.map { name in
                counts.reduce(0) { sum, m in
                    sum + (m.source == name || fnmatch(name, m.source, 0) == 0 ? m.counters.lines : 0)
                }
            }
            if sourceLines.count == lines.count {
                status.sourceRates = zip(lines, sourceLines).map { Double($0 - $1) / elapsed }
            }
            sourceLines = lines
            rateBase = (Date(), snap.rowCount)
        }
        state.status = status
        if state.queryOpen && state.query.columns.count != snap.schema.count { state.query.columns = snap.schema.map(\.name) }
        refreshBoard(snap)
        refreshAlarms(snap)
        guard force || snap.rowCount != lastRows else { return }
        lastRows = snap.rowCount
        generation += 1
        // What a key asked for (a scroll, a filter) is fetched as asked, and answers to older
        // requests are dropped; new data alone keeps a paused view on its bottom record.
        if force { acceptFrom = generation }
        queries.submit(.init(generation: generation, snapshot: snap, whereClause: state.whereClause, filters: state.filters,
                             limit: state.tailHeight, offset: state.scroll, anchor: force ? nil : state.anchor))
        // A quick answer is drawn at once; a slow one when it comes, the keys live meanwhile.
        applyResponse(waiting: force ? 0.05 : 0)
    }

    /// Alarms (`--alarms`), evaluated on a thread of their own once a second while records arrive.
    public var alarmDefinitions: [AlarmDefinition] = []
    public var lateness: Int64 = 5_000_000_000
    private var alarmWorker: QueryWorker<AlarmQueries.Request, AlarmQueries.Response>?
    private var alarmQueries: QueryWorker<AlarmQueries.Request, AlarmQueries.Response> {
        mutating get {
            if let w = alarmWorker { return w }
            let w = AlarmQueries.worker(alarmDefinitions, store: store, lateness: lateness)
            alarmWorker = w
            return w
        }
    }

    /// The alarms changed (one was defined here): evaluated afresh by a new worker.
    private mutating func restartAlarms() {
        alarmWorker?.stop()
        alarmWorker = nil
        alarmsRows = -1
        alarmsAskedAt = .distantPast
    }
    private var seenTransitions: Set<String> = []
    private var alarmsAskedAt = Date.distantPast
    private var alarmsRows = -1
    private var alarmsHeld = true

    private mutating func refreshAlarms(_ snap: StoreSnapshot) {
        guard !alarmDefinitions.isEmpty else { return }
        if let r = alarmQueries.take() {
            var changes: [AlarmTracker.Transition] = []
            for t in r.transitions where seenTransitions.insert("\(t.alarm)|\(t.at)|\(t.to.rawValue)").inserted {
                changes.append(t)
                store.appendAlarmHistory(t)  // for the query pane (H on an alarm)
            }
            // The history replayed at start-up is not news: only changes after the first look ring.
            let news = r.first ? [] : changes
            // A grouped alarm's groups (`name[value]`): Enter shows that group's records.
            for status in r.statuses where state.alarmDrills[status.name] == nil {
                guard let d = alarmDefinitions.first(where: { $0.owns(status.name) }), let group = d.groupBy,
                      status.name.count > d.name.count + 2 else { continue }
                let value = String(status.name.dropFirst(d.name.count + 1).dropLast())
                let groupFilter = "CAST(\(group) AS varchar) = '\(value.replacingOccurrences(of: "'", with: "''"))'"
                state.alarmDrills[status.name] = .init(filter: d.recordsFilter.map { "(\($0)) AND \(groupFilter)" } ?? groupFilter,
                                                       window: d.period * Int64(d.rule?.evaluationPeriods ?? 1))
            }
            pipeline.exposition.setAlarms(r.statuses)  // (for GET /metrics)
            if update(&state, .alarms(r.statuses, changes: news)).contains(.bell), bell { screen.bell() }
        }
        // Once a second while records arrive (or the files' history has just come in): the
        // streaming engine folds what is new and closes the periods the watermark passed.
        let hold = pipeline.metrics.total().lagBytes > 0
        guard snap.rowCount != alarmsRows || hold != alarmsHeld, Date().timeIntervalSince(alarmsAskedAt) >= 1 else { return }
        alarmsAskedAt = Date()
        alarmQueries.submit(.init(hold: hold))
        alarmsRows = snap.rowCount
        alarmsHeld = hold
    }

    /// Dashboards from a file (`--dashboard`, or the config's `dashboard:`), shown before the
    /// default one.
    public var fileBoards: [DashboardSpec] = [] {
        didSet { state.boardNames = fileBoards.map(\.name) + ["default"] }
    }
    /// When each pane of the shown dashboard last asked for its chart, and how many records
    /// there were.
    private var paneRunAt: [Date] = []
    private var paneRows: [Int] = []

    /// The dashboard shown: a file's, or the default one built from the fields the store has
    /// (again when they or the time span call for other panes). Its panes' charts are asked
    /// for at once when the filters or the panes change, else while records arrive at most
    /// once per `paneInterval` (or a pane's own `refresh`).
    private mutating func refreshBoard(_ snap: StoreSnapshot) {
        if let r = panes.take() {
            paneInterval = max(1, 3 * r.seconds)
            if r.spec == state.board?.spec && r.whereClause == state.whereClause {
                for (k, content) in r.contents { _ = update(&state, .pane(k, content)) }
            }
        }
        guard snap.rowCount > 0 || state.boardIndex < fileBoards.count else { return }
        var spec: DashboardSpec
        if state.boardIndex < fileBoards.count {
            spec = fileBoards[state.boardIndex]
        } else {
            let axis = timeAxis(snap)
            let lo = snap.segments.map(\.minTs).min(), hi = snap.segments.map(\.maxTs).max()
            // A time range in force (a drilled bucket, `:time`, `t`): buckets as fine as it needs.
            var span = lo.flatMap { a in hi.map { axis.span(first: a, last: $0) } }
            if let length = state.rangeLength, let (a, b) = span, length < b - a { span = (b - length, b) }
            spec = DefaultDashboard.spec(columns: snap.schema.map { ($0.name, $0.type) }, span: span,
                                         width: state.width, height: state.height - 1, alarms: !alarmDefinitions.isEmpty, axis: axis)
        }
        if !pinned.isEmpty {  // queries pinned from the query pane, a row at the bottom
            spec.rows.append(.init(panes: pinned.enumerated().map { k, sql in
                PaneSpec(title: "pinned \(k + 1): " + sql.replacingOccurrences(of: "\n", with: " "), sql: sql)
            }))
        }
        for r in spec.rows.indices {  // chart types chosen with `c`
            for p in spec.rows[r].panes.indices { spec.rows[r].panes[p].kind = state.chartKinds[spec.rows[r].panes[p].title] ?? spec.rows[r].panes[p].kind }
        }
        if state.board?.spec != spec, update(&state, .board(spec)).contains(.reload) { lastRows = -1 }
        let now = Date()
        let changed = paneAsked.map { $0.spec != spec || $0.whereClause != state.whereClause } ?? true
        if changed {
            paneRunAt = Array(repeating: .distantPast, count: spec.panes.count)
            paneRows = Array(repeating: -1, count: spec.panes.count)
        }
        let due = spec.panes.indices.filter { k in
            spec.panes[k].sql != nil
                && (changed || (paneRows[k] != snap.rowCount && now.timeIntervalSince(paneRunAt[k]) >= max(paneInterval, spec.panes[k].refresh ?? 0)))
        }
        guard !due.isEmpty, changed || now.timeIntervalSince(paneAskedAt) >= 0.25 else { return }
        paneAsked = (spec, state.whereClause)
        paneAskedAt = now
        for k in due { paneRunAt[k] = now; paneRows[k] = snap.rowCount }
        panes.submit(.init(snapshot: snap, spec: spec, whereClause: state.whereClause, panes: due, hold: pipeline.metrics.total().lagBytes > 0))
    }

    /// The default panes' time axis (see `DefaultDashboard.TimeAxis`), worked out again at most
    /// once a second while records arrive, from up to 256 times sampled from each segment
    /// (kept while the segment is).
    private var axis = DefaultDashboard.TimeAxis()
    private var axisAsked: (rows: Int, width: Int, at: Date) = (-1, 0, .distantPast)
    private var timeSamples: [ObjectIdentifier: [Int64]] = [:]

    private mutating func timeAxis(_ snap: StoreSnapshot) -> DefaultDashboard.TimeAxis {
        guard snap.rowCount != axisAsked.rows || state.width != axisAsked.width, Date().timeIntervalSince(axisAsked.at) >= 1 else { return axis }
        axisAsked = (snap.rowCount, state.width, Date())
        var kept: [ObjectIdentifier: [Int64]] = [:]
        var samples: [(ts: [Int64], weight: Double)] = []
        for seg in snap.segments where seg.rowCount > 0 {
            let id = ObjectIdentifier(seg)
            let sample = timeSamples[id] ?? {
                // Times of their own only: a line without one took its arrival time.
                let ts = seg.columns["ts"]?.ints ?? []
                let rows = seg.flaggedCount == 0 ? Array(ts.indices) : seg.flags.indices.filter { !seg.flags[$0].contains(.arrivalTime) }
                return Array(stride(from: 0, to: rows.count, by: max(1, rows.count / 256)).map { ts[rows[$0]] })
            }()
            kept[id] = sample
            samples.append((sample, Double(seg.rowCount) / Double(max(1, sample.count))))
        }
        timeSamples = kept
        guard let first = snap.segments.map(\.minTs).min(), let last = snap.segments.map(\.maxTs).max() else { return axis }
        var a = DefaultDashboard.TimeAxis.of(samples, first: first, last: last)
        // How many records the time panes leave out, exactly (their bounds are on bucket edges).
        let bucket = DefaultDashboard.bucket(span: a.span(first: first, last: last), width: state.width)
        if let within = a.condition(bucket: bucket),
           case .int(let n)? = try? QueryEngine(snapshot: snap).execute("SELECT count(*) FROM logs WHERE NOT (\(within))").rows.first?.first {
            a.outside = Int(n)
        }
        axis = a
        return a
    }

    /// Shows the latest finished tail query, if any: its rows, or a rejected filter's error.
    private mutating func applyResponse(waiting seconds: Double = 0) {
        state.status.busy = queries.busy
        guard let r = queries.take(waiting: seconds) else { return }
        state.status.busy = queries.busy
        switch r.result {
        case .success(let page):
            guard r.filters == state.filters, r.generation >= acceptFrom else { return }  // a newer answer comes
            lastGoodFilters = state.filters
            // Paused, the view's offset grows with what arrived: load again to stay in place.
            if update(&state, .data(rows: page.rows, matching: page.matching, status: state.status, offset: page.offset)).contains(.reload) {
                lastRows = -1
            }
        case .failure(let e):
            guard r.filters == state.filters else { return }
            // A bad filter changes nothing: back to the last good one, the error on screen.
            let rejected = state.filters.count > lastGoodFilters.count ? state.filters.last : nil
            state.filters = lastGoodFilters
            lastRows = -1
            state.input = rejected ?? ""
            _ = update(&state, .filterRejected(e.message))
        }
    }
}

