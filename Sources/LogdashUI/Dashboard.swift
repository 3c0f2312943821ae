import LogdashEngine

/// One record as the tail shows it.
public struct TailRow: Sendable, Equatable {
    public var ts: Int64
    public var level: Level?
    public var host: String?
    public var message: String

    public init(ts: Int64, level: Level?, host: String?, message: String) {
        self.ts = ts
        self.level = level
        self.host = host
        self.message = message
    }
}

/// What the status bar reports.
public struct StatusInfo: Sendable, Equatable {
    public var sources: [String] = []
    public var records = 0
    public var recordsPerSecond = 0.0
    /// With several sources, each one's lines per second (same order as `sources`).
    public var sourceRates: [Double] = []
    public var unparsed = 0
    public var clock: Int64 = 0
    /// The newest record's time (nil: no records).
    public var newest: Int64?
    /// From live ingest: bytes of followed files not read yet, messages dropped, connections
    /// open, and how full the delivery buffer is (0…1).
    public var lagBytes = 0
    public var drops = 0
    public var connections = 0
    public var bufferFill = 0.0
    /// The sinks: how long the oldest record has waited for delivery, in milliseconds, when
    /// a sink is late (waited past its `buffer_interval`; 0: none is), and whether one is past
    /// its `max_lag`.
    public var sinkLagMs: Int64 = 0
    public var sinkBehind = false
    /// Past the memory budget: how many records were spilled to files, or dropped.
    public var memory: String?
    /// A query for the tail is running (a filter over many records).
    public var busy = false

    public init() {}
}

/// A key, as the terminal backend reports it.
public enum Key: Sendable, Equatable {
    case char(Character)
    case up, down, left, right, pageUp, pageDown, home, end, enter, escape, backspace, tab, backTab, delete
    /// Ctrl-← and Ctrl-→.
    case wordLeft, wordRight
    /// A control key, by its letter: Ctrl-R is `.ctrl("r")`, Ctrl-_ `.ctrl("_")`. (Ctrl-C,
    /// Ctrl-H, Ctrl-I, Ctrl-M and Ctrl-Z come as interrupt, Backspace, Tab, Enter and suspend.)
    case ctrl(Character)
    /// The mouse (`--mouse`): the left button pressed or released at a cell, or the wheel.
    case mouse(x: Int, y: Int, MouseAction)

    public enum MouseAction: Sendable, Equatable { case press, release, wheelUp, wheelDown }
}

/// Everything the dashboard shows; changed only by `update`.
public struct AppState: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// New records appear at the bottom; scrolling up pauses.
    public var follow = true
    /// Rows between the newest record and the bottom of the view (paused mode).
    public var scroll = 0
    /// The newest records that match the filter, oldest first, as loaded for the view.
    public var rows: [TailRow] = []
    public var matching = 0
    /// The filters in force, each narrowing the ones before it: SQL WHERE expressions, or words
    /// to search the message for. Esc (or Backspace on an empty bar) pops the last one.
    public var filters: [String] = []
    /// The filter bar's text while it is open.
    public var input: String?
    /// The `:` command line's text while it is open.
    public var command: String?
    /// The search in force (`/`): matches are highlighted, `n`/`N` jump between them.
    public var search: String?
    /// The search bar's text while it is open.
    public var searchInput: String?
    /// Filters applied before, oldest first, for ↑/↓ in the bar; where ↑/↓ stands in it.
    public var history: [String] = []
    public var historyIndex: Int?
    public var status = StatusInfo()
    /// A line to show above the status bar until the next key: information, or (`fail`) a problem.
    public var notice: String? {
        didSet { noticeIsError = false }
    }
    /// The notice says something went wrong (drawn in the error style; others are information).
    public private(set) var noticeIsError = false

    /// A notice that something went wrong: a rejected filter, a failed save, an engine error.
    public mutating func fail(_ message: String) {
        notice = message
        noticeIsError = true
    }
    /// Quick filters: the lowest level shown (keys 1–5), and how far back (`t` cycles).
    public var minLevel: Level?
    public var timeRange: TimeRange = .all
    /// The selected record, counted up from the bottom line (0: the bottom one). Enter, `y` and
    /// `m` act on it; ↑/↓ move it, and scroll the view once it reaches an edge.
    public var cursor = 0

    /// The time of a paused view's bottom record: the view holds still on it as records come
    /// (newer ones from a live source, older ones from history still loading).
    public var anchor: Int64? { follow ? nil : rows.last?.ts }

    /// The selected record, if the view has rows.
    public var selected: TailRow? {
        rows.indices.contains(rows.count - 1 - cursor) ? rows[rows.count - 1 - cursor] : rows.last
    }

    /// Records marked with `m` (their time and message), oldest first; `'` jumps between them.
    public var marks: [Mark] = []
    /// Where the last search jump landed: the match's number, from the newest, of how many.
    public var searchPlace: SearchPlace?
    public struct SearchPlace: Sendable, Equatable {
        public var index: Int
        public var total: Int
        public init(index: Int, total: Int) {
            self.index = index
            self.total = total
        }
    }
    /// Multi-line records (stack traces) shown whole in the tail (`o`), by time and message.
    public var expanded: [Mark] = []

    public struct Mark: Sendable, Equatable {
        public var ts: Int64
        public var message: String
        public init(ts: Int64, message: String) {
            self.ts = ts
            self.message = message
        }
    }

    /// A time range set with `:time` (`:time 2h`, `:time 2026-11-27T14:00 2026-11-27T15:00`),
    /// in force instead of `timeRange`.
    public var customTime: CustomTime?

    public struct CustomTime: Sendable, Equatable {
        /// For the status bar: `last 2h`, `14:00:00 … 15:00:00`.
        public var label: String
        public var sql: String
        /// How long the range is (ns): the charts size their buckets to it.
        public var length: Int64?
    }

    /// How long the time range in force is (a `:time` range, a drill into a bucket, `t`): the
    /// default panes draw it at buckets of its own, finer than the whole data's; nil for all time.
    public var rangeLength: Int64? { customTime?.length ?? (customTime == nil ? timeRange.nanos : nil) }

    /// The key-binding help (`?`) covers the screen while open.
    public var showHelp = false
    /// The first line of the help shown (it scrolls when the screen is short).
    public var helpTop = 0
    /// The fields of the record at the bottom line (Enter), covering the screen while open,
    /// and the one picked (↑ ↓; `f` filters on its value, `x` leaves it out).
    public var detail: [Field]?
    public var detailPick = 0

    /// One field of a record, as the detail view shows it.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        /// Its value as a SQL literal (`'GET'`, `500`), for `f` and `x`; nil for what is no
        /// value to filter on (times, the raw line).
        public var literal: String?
        public init(_ name: String, _ value: String, literal: String? = nil) {
            self.literal = literal
            self.name = name
            self.value = value
        }
    }
    /// Long messages wrap onto following lines (`w`); otherwise they are cut, and ←/→ scroll
    /// them sideways by `hscroll` columns.
    public var wrap = false
    public var hscroll = 0
    /// Times as an age before the status clock (`r`) rather than the clock time.
    public var relativeTime = false
    public var quit = false

    /// The time ranges `t` steps through.
    public enum TimeRange: String, Sendable, CaseIterable {
        case all, last5m = "5m", last15m = "15m", last1h = "1h", last24h = "24h"

        public var next: TimeRange {
            let all = TimeRange.allCases
            return all[(all.firstIndex(of: self)! + 1) % all.count]
        }

        /// Its length in nanoseconds, nil for all time.
        public var nanos: Int64? {
            switch self {
            case .all: nil
            case .last5m: 300_000_000_000
            case .last15m: 900_000_000_000
            case .last1h: 3_600_000_000_000
            case .last24h: 86_400_000_000_000
            }
        }

        /// The SQL interval, nil for all time.
        public var interval: String? {
            switch self {
            case .all: nil
            case .last5m: "INTERVAL '5' MINUTE"
            case .last15m: "INTERVAL '15' MINUTE"
            case .last1h: "INTERVAL '1' HOUR"
            case .last24h: "INTERVAL '24' HOUR"
            }
        }
    }

    /// The WHERE clause of everything in force: the filter, the minimum level, the time range.
    public var whereClause: String? {
        var parts: [String] = []
        for f in filters { parts.append("(" + FilterText.whereClause(f) + ")") }
        if let l = minLevel {
            let names = Level.allCases.filter { $0 >= l }.map { "'\($0.name)'" }.joined(separator: ", ")
            parts.append("level IN (\(names))")
        }
        if let c = customTime {
            parts.append(c.sql)
        } else if let end = timeRangeEnd, let n = timeRange.nanos {
            parts.append("ts >= TIMESTAMP '\(Timestamp.iso8601(end - n))'")
        } else if let i = timeRange.interval {
            parts.append("ts >= now() - \(i)")
        }
        return parts.isEmpty ? nil : parts.joined(separator: " AND ")
    }

    /// Where `t`'s time range ends when the data is history (its newest record older than the
    /// range: a file from yesterday): at the newest record, not now, so that "the last 15
    /// minutes" are the data's last 15 minutes. nil for live data (the range ends now).
    public var timeRangeEnd: Int64? {
        guard customTime == nil, let n = timeRange.nanos, let newest = status.newest, status.clock > 0, newest < status.clock - n else { return nil }
        return newest
    }

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// The dashboard's panes, when there is one (nil: the tail alone).
    public var board: Board?
    /// Charts drawn with ASCII glyphs (the terminal cannot show UTF-8, or `--ascii`).
    public var ascii = false
    /// No colours tell series apart (`--no-color`, `NO_COLOR`, the monochrome theme): each
    /// series of a stacked chart gets a fill of its own.
    public var monochrome = false
    /// The zone times are shown in, and the machine's (`u` switches between it and UTC).
    public var zone = ShownZone.utc
    public var localZone = ShownZone.utc
    /// How charts are drawn: their glyphs and the zone of their time labels.
    public var glyphs: ChartGlyphs { ChartGlyphs(ascii: ascii, fills: monochrome, zone: zone) }
    /// The focused pane fills the screen (`z`); the tail pane zoomed is the tail alone.
    public var zoomed = false
    /// The dashboards there are (from a dashboard file, then the default one) and which is shown;
    /// `[` and `]` switch.
    public var boardNames: [String] = []
    public var boardIndex = 0
    /// Chart types chosen with `c`, by pane title (the program applies them to the panes' specs).
    public var chartKinds: [String: String] = [:]
    /// The alarms' states (from `--alarms`), for the alarm panel; a change of state shows as a
    /// banner over every view until a key is pressed.
    public var alarms: [AlarmReplay.Status] = []
    public var banner: String?
    /// Alarms muted until a time (the status clock's), or acknowledged until they next change:
    /// their state is still tracked and shown, their banner and bell are held back.
    public var alarmMutes: [String: Int64] = [:]
    public var alarmAcks: Set<String> = []
    /// What Enter on an alarm in the panel shows: the records behind its metric (a filter; nil
    /// for all records) over its breaching window (the evaluation periods' length, in ns).
    public var alarmDrills: [String: AlarmDrill] = [:]

    public struct AlarmDrill: Sendable, Equatable {
        public var filter: String?
        public var window: Int64
        public init(filter: String?, window: Int64) {
            self.filter = filter
            self.window = window
        }
    }

    /// What the alarm panel shows instead of a muted or acknowledged alarm's age.
    public var alarmQuiet: [String: String] {
        var out: [String: String] = [:]
        for (name, until) in alarmMutes where until > status.clock { out[name] = "muted " + AlarmPanel.age(until - status.clock) }
        for name in alarmAcks { out[name] = "acknowledged" }
        return out
    }

    /// The query pane (`q`): open or not, it keeps its text, result and history.
    public var query = QueryPane()
    public var queryOpen = false

    /// Panes of charts and the tail; one has the focus (Tab), and in a chart one bar or time
    /// bucket is picked (arrows) for Enter to drill into.
    public struct Board: Sendable, Equatable {
        public var spec: DashboardSpec
        /// Each pane's latest chart (nil until its query answers).
        public var contents: [DashboardRender.Content?]
        public var focus = 0
        public var pick = 0
        /// In a time chart: where a range picked with `v` starts, and the series (legend entry)
        /// picked with ↑/↓.
        public var anchor: Int?
        public var series: Int?

        public init(spec: DashboardSpec, focus: Int? = nil) {
            self.spec = spec
            contents = Array(repeating: nil, count: spec.panes.count)
            self.focus = focus ?? spec.panes.firstIndex { $0.sql == nil && !$0.alarms } ?? 0
        }

        public var tailPane: Int? { spec.panes.firstIndex { $0.sql == nil && !$0.alarms } }
        public var focusedChart: Chart? {
            if case .chart(let c)?? = contents[safe: focus] { return c }
            return nil
        }
    }

    /// Whether the tail has the whole screen: no board, or the tail pane zoomed.
    public var tailAlone: Bool {
        guard let b = board else { return true }
        return zoomed && b.focus == b.tailPane
    }

    /// The screen area of each pane (the rows above the status bar).
    public var paneRects: [Rect] {
        guard let b = board else { return [] }
        let rects = DashboardRender.layout(b.spec, width: width, height: max(0, height - 1))
        if zoomed { return rects.indices.map { $0 == b.focus ? Rect(x: 0, y: 0, width: width, height: max(0, height - 1)) : Rect(x: 0, y: 0, width: 0, height: 0) } }
        return rects
    }

    /// Rows of the screen the tail may use.
    public var tailHeight: Int {
        if !tailAlone, let t = board?.tailPane, let r = paneRects[safe: t] { return max(0, r.height - 2) }
        return max(0, height - 1 - (barOpen ? 1 : 0) - (notice != nil ? 1 : 0))
    }

    /// Whether one of the input bars (filter, search, command) is open.
    public var barOpen: Bool { input != nil || command != nil || searchInput != nil }
}

/// Events: keys, resizes, and fresh data from the engine.
public enum AppEvent: Sendable, Equatable {
    case key(Key)
    case resize(width: Int, height: Int)
    /// A page of the tail. `offset`: where the engine put a paused view to keep its bottom
    /// record in place (nil: the view's own offset was used).
    case data(rows: [TailRow], matching: Int, status: StatusInfo, offset: Int? = nil)
    case filterRejected(String)
    /// The dashboard's panes (built from the fields the store has), or a fresh chart for one.
    case board(DashboardSpec)
    case pane(Int, DashboardRender.Content)
    /// The alarms' states, and the changes since the last event (for the banner and bell).
    case alarms([AlarmReplay.Status], changes: [AlarmTracker.Transition])
    /// The fields of the record asked for with Enter.
    case detail([AppState.Field])
    /// The query pane's query: rows scanned so far, then its result or error.
    case queryProgress(rowsScanned: Int)
    case queryFinished(ResultSet?, QueryPane.Failure?, seconds: Double)
    /// A live (streaming) query's rows after a step: closed windows, then the open ones' partial
    /// rows. nil: the live query stopped.
    case queryLive(ResultSet?, closedWindows: Int, openWindows: Int)
}

/// What `update` asks the program to do.
public enum Effect: Sendable, Equatable {
    case quit
    /// Load the view's rows again (the filter, scroll or size changed).
    case reload
    /// Switch to the next theme (`T`).
    case nextTheme
    /// Switch to a theme by name (`:theme NAME`).
    case theme(String)
    /// Scroll to the nearest record matching the search, older (up) or newer (down) than the
    /// one at the bottom of the view.
    case find(older: Bool)
    /// Fetch the fields of the record at the bottom of the view.
    case detail
    /// Copy the raw line of the record at the bottom of the view to the clipboard (OSC 52).
    case copy
    /// Scroll so that the record at this time is at the bottom of the view (`'`, a mark).
    case scrollTo(ts: Int64, message: String?)
    /// Ring the terminal's bell (an alarm changed state).
    case bell
    /// Run the query pane's SQL (or Logs Insights query) in the background; stop it.
    case runQuery(String)
    case cancelQuery
    /// Add the query as a pane of the dashboard shown (`p` on a result).
    case pin(String)
    /// Write the query pane's result to a file, as CSV or JSON (`e`, `E`).
    case export(csv: Bool)
    /// Add the alarm defined in the query pane's form to the alarms file, and watch it.
    case saveAlarm(AlarmDraft)
    /// Write the dashboard shown (pinned panes and all) to the dashboards file, or to a file (`:save`).
    case saveDashboard(String?)
    /// Read the transform steps again (`:reload`).
    case reloadTransforms
}

/// The dashboard's logic: a pure function of the state and an event (Bubble Tea's shape).
public func update(_ s: inout AppState, _ e: AppEvent) -> [Effect] {
    switch e {
    case .resize(let w, let h):
        s.width = w
        s.height = h
        return [.reload]
    case .data(let rows, let matching, let status, let offset):
        let grew = matching - s.matching
        s.rows = rows
        s.matching = matching
        s.status = status
        s.cursor = max(0, min(s.cursor, rows.count - 1))
        if !s.follow, let offset {
            s.scroll = offset  // found by the bottom record's time: newer and older arrivals alike
            return []
        }
        // Paused: records that arrived since push the view's offset, so it stays where it was.
        if !s.follow && grew > 0 && s.matching > 0 && grew < matching {
            s.scroll += grew
            return [.reload]
        }
        return []
    case .detail(let fields):
        s.detail = fields
        s.detailPick = 0
        return []
    case .queryLive(let result, let closed, let open):
        guard let result else {
            s.query.live = nil
            return []
        }
        s.query.result = result  // the scroll, sort and picked column stay
        s.query.live = .init(closedWindows: closed, openWindows: open)
        return []
    case .queryProgress(let rows):
        s.query.running?.rowsScanned = rows
        return []
    case .queryFinished(let result, let failure, let seconds):
        let sql = s.query.running?.sql
        s.query.running = nil
        s.query.live = nil
        s.query.elapsed = seconds
        s.query.failure = failure
        if let result {
            s.query.result = result
            s.query.resultSQL = sql
            s.query.top = 0
            s.query.column = 0
            s.query.sort = nil
            s.query.focus = .results
        }
        return []
    case .board(let spec):
        // The same panes keep their charts and focus; new ones start empty.
        if s.board?.spec == spec { return [] }
        let old = s.board
        var b = AppState.Board(spec: spec)
        if let old {
            for (k, pane) in spec.panes.enumerated() {
                if let j = old.spec.panes.firstIndex(of: pane) { b.contents[k] = old.contents[j] }
            }
            // The focused pane by its spec, else by its title (its chart type changed with `c`,
            // its title counts something new), else by its place when the panes are as many.
            if let focused = old.spec.panes[safe: old.focus],
               let k = spec.panes.firstIndex(of: focused) ?? spec.panes.firstIndex(where: { $0.title == focused.title })
                ?? (spec.panes.count == old.spec.panes.count ? old.focus : nil) {
                b.focus = k
                b.pick = spec.panes[k] == focused ? old.pick : 0
            }
        }
        s.board = b
        return [.reload]
    case .alarms(let statuses, let changes):
        s.alarms = statuses
        // A muted alarm's changes are held back; an acknowledged one's next change ends the
        // acknowledgement and is news again.
        let clock = s.status.clock
        s.alarmMutes = s.alarmMutes.filter { $0.value > clock }
        let news = changes.filter { c in
            if s.alarmAcks.remove(c.alarm) != nil { return true }
            return s.alarmMutes[c.alarm] == nil
        }
        guard let last = news.last else { return [] }
        s.banner = "\(last.alarm): \(last.from.rawValue) → \(last.to.rawValue) at \(s.zone.text(last.at, fractionDigits: 0))"
            + (news.count > 1 ? " (and \(news.count - 1) more)" : "") + " — \(last.reason)"
        return [.bell]
    case .pane(let k, let content):
        guard s.board?.contents.indices.contains(k) == true else { return [] }
        s.board!.contents[k] = content
        return []
    case .filterRejected(let why):
        // The program restores the last good filters; the bar reopens for the text to be fixed.
        s.fail(why)
        if s.input == nil { s.input = "" }
        return []
    case .key(let k):
        s.notice = nil
        if s.banner != nil, case .mouse = k {} else if s.banner != nil {
            s.banner = nil  // the first key after an alarm's change only dismisses its banner
            return []
        }
        if s.queryOpen { return queryKey(&s, k) }
        let k = k == .ctrl("j") ? Key.enter : k  // a terminal whose Enter sends a line feed
        if s.input != nil { return editFilter(&s, k) }
        if s.command != nil { return editCommand(&s, k) }
        if s.searchInput != nil { return editSearch(&s, k) }
        if s.showHelp {
            // ↑ ↓ PgUp PgDn g G scroll it; any other key closes it.
            let page = max(1, HelpView.rows(height: s.height - 1))
            let last = max(0, HelpView.lines(width: s.width).count - page)
            switch k {
            case .down, .char("j"): s.helpTop = min(last, s.helpTop + 1)
            case .up, .char("k"): s.helpTop = max(0, s.helpTop - 1)
            case .pageDown, .char(" "): s.helpTop = min(last, s.helpTop + page)
            case .pageUp: s.helpTop = max(0, s.helpTop - page)
            case .home, .char("g"): s.helpTop = 0
            case .end, .char("G"): s.helpTop = last
            default:
                s.showHelp = false
                s.helpTop = 0
            }
            return []
        }
        if let fields = s.detail { return detailKey(&s, fields, k) }
        if case .mouse(let x, let y, let action) = k { return mouse(&s, x, y, action) }
        if let effects = boardKey(&s, k) { return effects }
        switch k {
        case .char("?"):
            s.showHelp = true
            return []
        case .enter:
            return s.rows.isEmpty ? [] : [.detail]
        case .char("y"):
            return s.rows.isEmpty ? [] : [.copy]
        case .char("o"):
            // The selected record's every line, in place (a stack trace), or its first again.
            guard let r = s.selected else { return [] }
            let mark = AppState.Mark(ts: r.ts, message: r.message)
            if let i = s.expanded.firstIndex(of: mark) {
                s.expanded.remove(at: i)
            } else if r.message.contains("\n") {
                s.expanded.append(mark)
            } else {
                s.notice = "the selected record has one line (o shows a stack trace's every line)"
            }
            return []
        case .char("m"):
            // Mark the selected record, or unmark it.
            guard let r = s.selected else { return [] }
            let mark = AppState.Mark(ts: r.ts, message: r.message)
            if let i = s.marks.firstIndex(of: mark) {
                s.marks.remove(at: i)
                s.notice = "mark removed (\(s.marks.count) left)"
            } else {
                s.marks.append(mark)
                s.marks.sort { $0.ts < $1.ts }
                s.notice = "marked; ' jumps between the \(s.marks.count) mark\(s.marks.count == 1 ? "" : "s")"
            }
            return []
        case .char("'"):
            // The next older mark than the selected record, round to the newest after the oldest.
            guard !s.marks.isEmpty else { s.notice = "no marks: m marks the selected record"; return [] }
            let bottom = s.selected?.ts ?? Int64.max
            let target = s.marks.last { $0.ts < bottom } ?? s.marks.last!
            return [.scrollTo(ts: target.ts, message: target.message)]
        case .char(let c) where ("1"..."5").contains(c):
            // 1 everything, 2 debug and up, 3 info and up, 4 warnings and up, 5 errors and up.
            let levels: [Level?] = [nil, .debug, .info, .warn, .error]
            s.minLevel = levels[Int(String(c))! - 1]
            s.scroll = 0
            return [.reload]
        case .char("t"):
            s.timeRange = s.customTime == nil ? s.timeRange.next : .all
            s.customTime = nil
            s.scroll = 0
            return [.reload]
        case .char("T"):
            return [.nextTheme]
        case .char(":"):
            s.command = ""
            return []
        case .char("w"):
            s.wrap.toggle()
            s.hscroll = 0
            return []
        case .char("u"):
            // Times in UTC, or in the machine's zone, everywhere on screen.
            if s.localZone.isUTC {
                s.notice = "the machine's time zone is UTC (TZ names another)"
            } else {
                s.zone = s.zone.isUTC ? s.localZone : .utc
                s.notice = s.zone.isUTC ? "times in UTC (u: in \(s.localZone.zone!.identifier))" : "times in \(s.localZone.zone!.identifier) (u: in UTC)"
            }
            return []
        case .char("r"):
            s.relativeTime.toggle()
            return []
        case .right where !s.wrap, .char("l") where !s.wrap:
            s.hscroll += 8
            return []
        case .left, .char("h"):
            s.hscroll = max(0, s.hscroll - 8)
            return []
        case .char("q"), .char(";"):
            // Back where it was left (the results, when they had the focus); the editor at first.
            s.queryOpen = true
            if s.query.result == nil { s.query.focus = .editor }
            return []
        case .char("Q"):
            s.quit = true
            return [.quit]
        case .char("f"):
            s.input = ""
            s.historyIndex = nil
            return []
        case .char("/"):
            s.searchInput = s.search ?? ""
            return []
        case .char("n") where s.search != nil:
            return [.find(older: true)]
        case .char("N") where s.search != nil:
            return [.find(older: false)]
        case .up, .char("k"):
            // The selection moves up the screen; at its top, the view scrolls.
            if s.cursor + 1 < min(s.rows.count, s.tailHeight) {
                s.cursor += 1
                s.follow = false
                return []
            }
            return scroll(&s, by: 1)
        case .down, .char("j"):
            if s.cursor > 0 {
                s.cursor -= 1
                s.follow = s.scroll == 0 && s.cursor == 0
                return []
            }
            return scroll(&s, by: -1)
        case .pageUp:
            return scroll(&s, by: max(1, s.tailHeight - 1))
        case .pageDown, .char(" "):
            return scroll(&s, by: -max(1, s.tailHeight - 1))
        case .home, .char("g"):
            return scroll(&s, by: max(0, s.matching - s.tailHeight - s.scroll))
        case .end, .char("G"):
            s.follow = true
            s.cursor = 0
            s.scroll = 0
            return [.reload]
        case .escape:
            guard !s.filters.isEmpty else { return [] }
            s.filters.removeLast()
            s.scroll = 0
            return [.reload]
        default:
            return []
        }
    }
}

/// The mouse: the wheel scrolls the tail; a press focuses the pane under it and picks the bar
/// or time bucket there; a drag across a time chart picks the range it spans. Enter applies.
private func mouse(_ s: inout AppState, _ x: Int, _ y: Int, _ action: Key.MouseAction) -> [Effect] {
    let rects = s.paneRects
    let hit = rects.firstIndex { x >= $0.x && x < $0.maxX && y >= $0.y && y < $0.maxY }
    if action == .wheelUp || action == .wheelDown {
        guard s.tailAlone || hit == s.board?.tailPane else { return [] }
        return scroll(&s, by: action == .wheelUp ? 3 : -3)
    }
    guard var b = s.board, !s.tailAlone, let k = hit else { return [] }
    defer { s.board = b }
    if b.focus != k {  // a press, or a release with no press read before it (a quick click)
        b.focus = k
        b.pick = 0
        b.anchor = nil
        b.series = nil
    }
    guard k != b.tailPane, case .chart(let chart)?? = b.contents[safe: k] else { return [.reload] }
    let inner = rects[k].inset(1)
    let n = ChartPicks.count(chart)
    guard n > 0, inner.width > 0 else { return [.reload] }
    let index: Int
    switch chart {
    case .hbars, .proportion:
        index = y - inner.y - (chart.kindName == "proportion" ? 1 : 0)
    default:
        // Across the width (less the axis labels' share, roughly): the bucket under the pointer.
        index = (x - inner.x) * n / inner.width
    }
    guard (0..<n).contains(index) else { return [.reload] }
    switch action {
    case .press:
        b.pick = index
        b.anchor = ChartPicks.isTimed(chart) ? index : nil
    case .release:
        if b.anchor == index { b.anchor = nil }  // a click, not a drag
        b.pick = index
    default:
        break
    }
    return [.reload]
}

/// Keys of the dashboard's panes: Tab and Shift-Tab move the focus, `z` zooms the focused
/// pane; in a chart, arrows pick a bar (or a time bucket) and Enter drills into it — its value
/// becomes a filter of every pane, its time the time range. nil: a key for the tail.
private func boardKey(_ s: inout AppState, _ k: Key) -> [Effect]? {
    guard var b = s.board else { return nil }
    defer { s.board = b }
    switch k {
    case .char("["), .char("]"):
        guard s.boardNames.count > 1 else { return [] }
        let n = s.boardNames.count
        s.boardIndex = (s.boardIndex + (k == .char("]") ? 1 : n - 1)) % n
        s.notice = "dashboard \(s.boardNames[s.boardIndex]) (\(s.boardIndex + 1) of \(n))"
        return [.reload]
    case .tab, .backTab:
        let n = b.spec.panes.count
        b.focus = (b.focus + (k == .tab ? 1 : n - 1)) % max(1, n)
        b.pick = 0
        b.anchor = nil
        b.series = nil
        return [.reload]  // the tail's height may change
    case .char("z"):
        s.zoomed.toggle()
        return [.reload]
    default:
        break
    }
    if b.spec.panes[safe: b.focus]?.alarms == true, !s.alarms.isEmpty { return alarmKey(&s, &b, k) }
    guard b.focus != b.tailPane, let chart = b.focusedChart else { return nil }
    let pane = b.spec.panes[b.focus]
    if k == .char("c") {
        // The next type this kind of result can be drawn as.
        let family: [String]
        switch chart {
        case .line, .bars, .heatmap: family = ["line", "area", "bars", "heatmap", "table"]
        case .hbars, .proportion: family = ["hbars", "proportion", "table"]
        case .kpi, .gauge: family = ["kpi", "gauge", "table"]
        case .matrix: family = ["pivot", "heatmap", "table"]
        case .histogram: family = ["histogram", "table"]
        case .table:
            // A table does not say what else its rows could be: back to the type the shape picks.
            s.chartKinds[pane.title] = nil
            s.notice = "\(pane.title): the type its result's shape picks"
            return [.reload]
        }
        let i = family.firstIndex(of: chart.kindName) ?? 0
        let next = family[(i + 1) % family.count]
        s.chartKinds[pane.title] = next
        s.notice = "\(pane.title): \(next) (c: the next type)"
        b.pick = 0
        b.anchor = nil
        b.series = nil
        return [.reload]
    }
    switch (k, chart) {
    case (.up, .hbars), (.char("k"), .hbars), (.up, .proportion), (.char("k"), .proportion), (.up, .table), (.char("k"), .table),
         (.up, .matrix), (.char("k"), .matrix):
        b.pick = max(0, b.pick - 1)
        return []
    case (.down, .hbars), (.char("j"), .hbars), (.down, .proportion), (.char("j"), .proportion), (.down, .table), (.char("j"), .table),
         (.down, .matrix), (.char("j"), .matrix):
        b.pick = min(max(0, ChartPicks.count(chart) - 1), b.pick + 1)
        return []
    case (.left, _), (.char("h"), _), (.right, _), (.char("l"), _):
        let n = ChartPicks.count(chart)
        guard n > 0 else { return [] }
        let step = (k == .left || k == .char("h")) ? -1 : 1
        b.pick = min(n - 1, max(0, (b.pick == 0 && step < 0 && b.anchor == nil ? n : b.pick) + step))
        return []
    case (.up, _), (.char("k"), _), (.down, _), (.char("j"), _):
        // A legend entry of a time chart: none, then each series in turn.
        let n = ChartPicks.seriesNames(chart).count
        guard n > 1 else { return [] }
        let up = k == .up || k == .char("k")
        let order: [Int?] = [nil] + (0..<n).map { $0 }
        let at = order.firstIndex { $0 == b.series } ?? 0
        b.series = order[(at + (up ? order.count - 1 : 1)) % order.count]
        return []
    case (.char("v"), _):
        guard ChartPicks.isTimed(chart), ChartPicks.count(chart) > 0 else { return [] }
        b.anchor = b.anchor == nil ? b.pick : nil
        s.notice = b.anchor == nil ? nil : "range from here: ←/→ to its other end, Enter to set it"
        return []
    case (.enter, _):
        guard let drill = ChartPicks.drill(chart, pick: b.pick, field: pane.field, anchor: b.anchor, series: b.series, zone: s.zone) else {
            s.notice = b.series != nil ? "this pane names no field to filter its series by" : "nothing to drill into here"
            return []
        }
        switch drill {
        case .filter(let expr):
            s.filters.append(expr)
            s.history.append(expr)
        case .time(let from, let to, let label):
            s.customTime = .init(label: label, sql: "ts >= TIMESTAMP '\(Timestamp.iso8601(from))' AND ts < TIMESTAMP '\(Timestamp.iso8601(to))'", length: to - from)
            s.timeRange = .all
        }
        s.scroll = 0
        b.pick = 0
        b.anchor = nil
        b.series = nil
        return [.reload]
    default:
        return nil
    }
}

/// Keys of the focused alarm panel: ↑/↓ pick an alarm; Enter shows the records behind its
/// metric in its breaching window (its filter, and the window as the time range); `m` mutes it
/// for 15 minutes, an hour, eight hours, then not; `A` acknowledges it until its next change;
/// `H` opens its history (`alarm_history`) in the query pane. nil: a key for the tail.
private func alarmKey(_ s: inout AppState, _ b: inout AppState.Board, _ k: Key) -> [Effect]? {
    let sorted = AlarmPanel.sorted(s.alarms)
    b.pick = min(b.pick, sorted.count - 1)
    let a = sorted[b.pick]
    switch k {
    case .up, .char("k"):
        b.pick = max(0, b.pick - 1)
    case .down, .char("j"):
        b.pick = min(sorted.count - 1, b.pick + 1)
    case .char("m"):
        let steps: [Int64] = [15 * 60, 3600, 8 * 3600].map { $0 * 1_000_000_000 }
        let left = (s.alarmMutes[a.name] ?? 0) - s.status.clock
        if let next = steps.first(where: { $0 > left + 60_000_000_000 }) {
            s.alarmMutes[a.name] = s.status.clock + next
            s.notice = "\(a.name): muted for \(AlarmPanel.age(next)) (its state is still tracked; m again: longer)"
        } else {
            s.alarmMutes[a.name] = nil
            s.notice = "\(a.name): no longer muted"
        }
    case .char("A"):
        if s.alarmAcks.remove(a.name) == nil {
            s.alarmAcks.insert(a.name)
            s.notice = "\(a.name): acknowledged until its next change"
        } else {
            s.notice = "\(a.name): acknowledgement removed"
        }
    case .char("H"):
        s.queryOpen = true
        s.query.focus = .editor
        s.query.editor.set("SELECT ts, old_state, new_state, reason FROM alarm_history WHERE alarm = '\(a.name.replacingOccurrences(of: "'", with: "''"))' ORDER BY ts DESC")
        return queryKey(&s, .enter)
    case .enter:
        if let problem = a.problem {  // it never ran: no records behind it to show
            s.fail("\(a.name) cannot run: \(problem)")
            return []
        }
        let drill = s.alarmDrills[a.name] ?? AppState.AlarmDrill(filter: nil, window: 0)
        guard let end = a.asOf else {
            s.notice = "\(a.name): no period evaluated yet"
            return []
        }
        // In ALARM: from the breaching window before it went off to now; else the latest window.
        let start = (a.state == .alarm ? (a.since ?? end) : end) - drill.window
        if let f = drill.filter {
            s.filters.append(f)
            s.history.append(f)
        }
        func short(_ ns: Int64) -> String { s.zone.text(ns, fractionDigits: 0) }
        s.customTime = .init(label: "\(a.name): \(short(start)) … \(short(end))",
                             sql: "ts >= TIMESTAMP '\(Timestamp.iso8601(start))' AND ts < TIMESTAMP '\(Timestamp.iso8601(end))'", length: end - start)
        s.timeRange = .all
        s.scroll = 0
        s.notice = "the records behind \(a.name)" + (drill.filter.map { " (\($0))" } ?? "") + "; t or :time all: every time again"
        return [.reload]
    default:
        return nil
    }
    return []
}

/// The search bar: Enter searches (from the bottom of the view upwards), Esc closes it, and an
/// empty search clears the highlights.
private func editSearch(_ s: inout AppState, _ k: Key) -> [Effect] {
    if editLine(&s.searchInput, k) { return [] }
    switch k {
    case .enter:
        let text = s.searchInput!
        s.searchInput = nil
        s.search = text.isEmpty ? nil : text
        s.searchPlace = nil
        return s.search == nil ? [] : [.find(older: true)]
    default:
        return []
    }
}

/// The `:` command line: `:theme NAME`, `:filter EXPRESSION`, `:quit` (`:q`).
private func editCommand(_ s: inout AppState, _ k: Key) -> [Effect] {
    if k == .backspace && s.command!.isEmpty { s.command = nil; return [] }  // as in vi: leaves the line
    if editLine(&s.command, k) { return [] }
    switch k {
    case .enter:
        let text = s.command!.trimmingCharacters(in: .whitespaces)
        s.command = nil
        let verb = text.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
        let rest = text.dropFirst(verb.count).trimmingCharacters(in: .whitespaces)
        switch verb {
        case "q", "quit":
            s.quit = true
            return [.quit]
        case "save":
            return [.saveDashboard(rest.isEmpty ? nil : rest)]
        case "reload":
            return [.reloadTransforms]
        case "sql":
            s.queryOpen = true
            s.query.focus = .editor
            if !rest.isEmpty { s.query.editor.set(rest) }
            return []
        case "theme" where !rest.isEmpty:
            return [.theme(rest)]
        case "filter" where !rest.isEmpty:
            s.input = rest
            return editFilter(&s, .enter)
        case "time" where !rest.isEmpty:
            guard let range = customTime(rest, zone: s.zone) else {
                s.fail("':time \(rest)': give an age (30m, 2h, 7d), two times (2026-11-27T14:00 2026-11-27T15:00), or all")
                return []
            }
            s.customTime = range
            s.timeRange = .all
            s.scroll = 0
            return [.reload]
        case "":
            return []
        default:
            s.fail("unknown command ':\(text)'; commands are :filter EXPRESSION, :time RANGE, :theme NAME, :sql [QUERY], :save [FILE], :reload, :quit")
            return []
        }
    default:
        return []
    }
}

/// The detail view's keys: ↑ ↓ pick a field, `f` filters every pane on its value, `x` leaves
/// records with that value out; any other key closes it.
private func detailKey(_ s: inout AppState, _ fields: [AppState.Field], _ k: Key) -> [Effect] {
    switch k {
    case .up, .char("k"):
        s.detailPick = max(0, s.detailPick - 1)
    case .down, .char("j"):
        s.detailPick = min(max(0, fields.count - 1), s.detailPick + 1)
    case .char("f"), .char("x"):
        guard let field = fields[safe: s.detailPick] else { return [] }
        guard let literal = field.literal else {
            s.notice = "f and x filter on a field's value (not on times or the raw line)"
            return []
        }
        let name = field.name.allSatisfy { ($0.isLetter && !$0.isUppercase) || $0.isNumber || $0 == "_" } ? field.name : "\"\(field.name)\""
        let filter = k == .char("f") ? "\(name) = \(literal)" : "(\(name) <> \(literal) OR \(name) IS NULL)"
        s.filters.append(filter)
        s.history.append(filter)
        s.detail = nil
        s.scroll = 0
        s.notice = (k == .char("f") ? "only records with " : "leaving out records with ") + "\(name) = \(literal); Esc drops it"
        return [.reload]
    default:
        s.detail = nil
    }
    return []
}

/// `:time`'s range: `all` (none), an age (`90s`, `30m`, `2h`, `7d`), or two times (ISO 8601,
/// `2026-11-27 14:00`) separated by a space or `..`, read in the zone times are shown in
/// unless they give their own. nil for anything else.
func customTime(_ text: String, zone: ShownZone = .utc) -> AppState.CustomTime?? {
    let t = text.trimmingCharacters(in: .whitespaces)
    if t == "all" { return .some(nil) }
    if let unit = t.last, let n = Int(t.dropLast()), n > 0 {
        let word: (String, Int64)? = switch unit {
        case "s": ("SECOND", 1)
        case "m": ("MINUTE", 60)
        case "h": ("HOUR", 3600)
        case "d": ("DAY", 86400)
        default: nil
        }
        if let (word, seconds) = word {
            return .some(.init(label: "last \(t)", sql: "ts >= now() - INTERVAL '\(n)' \(word)", length: Int64(n) * seconds * 1_000_000_000))
        }
    }
    func time(_ p: String) -> Int64? {
        var x = p.trimmingCharacters(in: .whitespaces)
        // Minutes are precision enough to type: 2026-11-27 14:00, or a whole day: 2026-11-27.
        if x.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil { x += " 00:00:00" }
        if x.range(of: #"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}$"#, options: .regularExpression) != nil { x += ":00" }
        guard let p = ByteLine.with(x, { Timestamp.parsed(text: $0, reference: 0) }) else { return nil }
        return p.zoned ? p.nanos : zone.instant(fromWall: p.nanos)
    }
    var found: (Int64, Int64)?
    if t.contains("..") {
        let parts = t.components(separatedBy: "..")
        if parts.count == 2, let a = time(parts[0]), let b = time(parts[1]) { found = (a, b) }
    } else {
        // Two times, each perhaps with a space between date and clock: the split where both parse.
        let words = t.split(separator: " ").map(String.init)
        for k in 1..<max(1, words.count) {
            if let a = time(words[..<k].joined(separator: " ")), let b = time(words[k...].joined(separator: " ")) { found = (a, b); break }
        }
    }
    guard let (from, to) = found, from <= to else { return nil }
    func literal(_ ns: Int64) -> String { "TIMESTAMP '\(Timestamp.iso8601(ns))'" }
    func short(_ ns: Int64) -> String { zone.text(ns, fractionDigits: 0) }
    return .some(.init(label: "\(short(from)) … \(short(to))", sql: "ts BETWEEN \(literal(from)) AND \(literal(to))", length: to - from))
}

private func scroll(_ s: inout AppState, by n: Int) -> [Effect] {
    let maxScroll = max(0, s.matching - s.tailHeight)
    s.scroll = min(maxScroll, max(0, s.scroll + n))
    s.follow = s.scroll == 0 && s.cursor == 0
    return [.reload]
}

/// Line editing shared by the filter, search and command bars: a character is typed, Backspace
/// deletes the last one, Esc closes the bar. False for any other key (the bar's own business).
private func editLine(_ text: inout String?, _ k: Key) -> Bool {
    switch k {
    case .char(let c): text!.append(c)
    case .backspace where !text!.isEmpty: text!.removeLast()
    case .escape: text = nil
    default: return false
    }
    return true
}

private func editFilter(_ s: inout AppState, _ k: Key) -> [Effect] {
    if editLine(&s.input, k) { return [] }
    switch k {
    case .enter:
        let text = s.input!.trimmingCharacters(in: .whitespaces)
        s.input = nil
        s.historyIndex = nil
        guard !text.isEmpty else { return [] }
        s.filters.append(text)
        s.history.removeAll { $0 == text }
        s.history.append(text)
        s.scroll = 0
        s.follow = true
        s.cursor = 0
        return [.reload]
    case .backspace:
        // Backspace on an empty bar pops the last filter.
        guard !s.filters.isEmpty else { return [] }
        s.filters.removeLast()
        s.scroll = 0
        return [.reload]
    case .up:
        guard !s.history.isEmpty else { return [] }
        let i = max(0, (s.historyIndex ?? s.history.count) - 1)
        s.historyIndex = i
        s.input = s.history[i]
        return []
    case .down:
        guard let i = s.historyIndex else { return [] }
        if i + 1 < s.history.count {
            s.historyIndex = i + 1
            s.input = s.history[i + 1]
        } else {
            s.historyIndex = nil
            s.input = ""
        }
        return []
    default:
        return []
    }
}

/// Draws the dashboard: the tail, the filter bar or a notice, the status bar.
public enum DashboardView {
    public static func render(_ s: AppState) -> CellBuffer {
        var buf = CellBuffer(width: s.width, height: s.height)
        guard s.width > 0, s.height > 0 else { return buf }
        var options = TailView.Options(wrap: s.wrap, hscroll: s.hscroll, relativeTo: s.relativeTime ? s.status.clock : nil,
                                       highlight: s.search, marks: s.marks, selected: s.follow ? nil : s.cursor)
        options.zone = s.zone
        options.expanded = s.expanded
        if let b = s.board, !s.tailAlone {
            DashboardRender.draw(b.spec, contents: b.contents, rects: s.paneRects, into: &buf, glyphs: s.glyphs,
                                 focus: b.focus, pick: b.pick, anchor: b.anchor, series: b.series,
                                 alarms: s.alarms, alarmQuiet: s.alarmQuiet) { buf, inner in
                var tail = CellBuffer(width: inner.width, height: inner.height)
                TailView.render(s.rows, into: &tail, top: 0, height: inner.height, options: options)
                DashboardRender.blit(tail, into: &buf, at: inner)
            }
        } else {
            TailView.render(s.rows, into: &buf, top: 0, height: s.tailHeight, options: options)
        }
        // Above the status bar: the filter bar, and above it a notice (why a filter was rejected).
        if let (label, text) = s.input.map({ ("filter: ", $0) }) ?? s.command.map({ (":", $0) }) ?? s.searchInput.map({ ("/", $0) }) {
            let y = s.height - 2
            let x = buf.put(label, x: 0, y: y, style: Style(.accent, bold: true), safe: true)
            let end = buf.put(text, x: x, y: y, style: Style(.text))
            if end < s.width { buf[end, y] = Cell(text: " ", style: Style(.text, reverse: true)) }  // the cursor
        }
        if let notice = s.notice {
            buf.put(notice, x: 0, y: s.height - (s.barOpen ? 3 : 2), style: s.noticeIsError ? Style(.error, bold: true) : Style(.accent))
        }
        if let banner = s.banner {
            // Over every view, on top: an alarm changed state (any key dismisses it).
            let role: StyleRole = banner.contains("→ ALARM") ? .alarmAlarm : banner.contains("→ OK") ? .alarmOK : .alarmInsufficient
            buf.fill(y: 0, style: Style(role, reverse: true))
            buf.put(" " + banner, x: 0, y: 0, style: Style(role, bold: true, reverse: true))
        }
        if s.queryOpen {
            QueryPaneView.render(s.query, into: &buf, height: s.height - 1, glyphs: s.glyphs)
            if let notice = s.notice { buf.put(notice, x: 0, y: s.height - 2, style: s.noticeIsError ? Style(.error, bold: true) : Style(.accent)) }
        }
        StatusBar.render(s, into: &buf, y: s.height - 1)
        if s.showHelp { HelpView.render(into: &buf, height: s.height - 1, top: s.helpTop) }
        if let fields = s.detail { DetailView.render(fields, into: &buf, height: s.height - 1, pick: s.detailPick) }
        return buf
    }
}

/// A record's every field, over the tail (Enter; any key closes it): names on the left,
/// values on the right, multi-line values (pretty-printed JSON) on the lines that follow.
public enum DetailView {
    /// `pick`: the field picked (its name reversed); the view scrolls to keep it on screen.
    public static func render(_ fields: [AppState.Field], into buf: inout CellBuffer, height: Int, pick: Int? = nil) {
        for y in 0..<min(height, buf.height) { buf.fill(y: y, style: Style(.text)) }
        let nameWidth = min(24, (fields.map { DisplayWidth.of($0.name) }.max() ?? 0) + 2)
        // The picked field's first line on screen: fields above it scroll off when needed.
        let heights = fields.map { $0.value.split(separator: "\n", omittingEmptySubsequences: false).count }
        var skip = 0
        if let pick, pick < fields.count {
            let through = heights[...pick].reduce(0, +)
            skip = max(0, through - (height - 1))
        }
        var y = -skip
        for (k, field) in fields.enumerated() where y < height {
            if y >= 0 { buf.put(field.name, x: 1, y: y, style: Style(.accent, bold: true, reverse: k == pick), maxX: nameWidth) }
            for line in field.value.split(separator: "\n", omittingEmptySubsequences: false) where y < height {
                if y >= 0 { buf.put(String(line), x: nameWidth + 1, y: y, style: Style(.text)) }
                y += 1
            }
        }
    }
}

/// Every key binding, over the tail (`?`; any key closes it).
public enum HelpView {
    public static let bindings: [(String, String)] = [
        ("Q  :q  Ctrl-C", "quit"),
        ("q  ;  :sql", "the query pane: SQL or a Logs Insights query over everything"),
        ("  Enter  Ctrl-J", "  run the query / a new line in it"),
        ("  Tab  ↑ ↓  Ctrl-R", "  complete a word / queries run before / search them"),
        ("  Ctrl-A E K U W Y _", "  line start, end, kill to end, to start, word; yank; undo"),
        ("  Esc", "  to the results; again: close the pane"),
        ("  (results) ← → s", "  pick a column / sort by it (again: descending, off)"),
        ("  (results) c p e E", "  chart or table / pin as a pane / export CSV, JSON"),
        ("  (results) a", "  define an alarm on the query's value (a form; Enter saves it to the alarms file)"),
        ("Tab  Shift-Tab", "focus the next / previous pane"),
        ("z", "zoom the focused pane to the full screen, and back"),
        ("[  ]", "the previous / next dashboard (with a dashboard file)"),
        ("c  (chart)", "draw the focused chart as the next type that fits"),
        ("↑ ↓ ← →  (chart)", "pick a bar; in a time chart ← → a bucket, ↑ ↓ a series"),
        ("v  (time chart)", "start a range at the picked bucket"),
        ("Enter  (chart)", "drill in: a bar or series as a filter, a bucket or range as the time"),
        ("↑ ↓ Enter  (alarms)", "pick an alarm / its records in its breaching window"),
        ("m  A  H  (alarms)", "mute 15m, 1h, 8h, off / acknowledge / its history"),
        ("f", "filter: a SQL WHERE expression, or words"),
        ("/  n  N", "search (highlighted); next older / newer match"),
        ("Enter  Esc", "apply / close the filter bar"),
        ("Esc  Backspace", "drop the last filter (Backspace: on an empty bar)"),
        ("↑ ↓ (in the bar)", "filters used before"),
        ("1 2 3 4 5", "levels shown: all, debug+, info+, warn+, error+"),
        ("t", "time range: all, 5m, 15m, 1h, 24h"),
        ("w", "wrap long messages on and off"),
        ("← →  h l", "scroll sideways (not wrapping)"),
        ("r", "relative or clock times"),
        ("o", "the selected record's every line (a stack trace), in place; again: its first"),
        ("u", "times in the local zone or in UTC (the status bar says which)"),
        ("T", "next theme"),
        (":", "command: :filter EXPR, :time 2h | FROM TO | all, :theme NAME, :sql, :save [FILE], :quit"),
        ("↑ ↓  k j", "move the selection; scroll at the edge (pauses)"),
        ("PgUp PgDn  Space", "scroll a page"),
        ("g Home  G End", "oldest / newest, following"),
        ("Ctrl-Z", "suspend"),
        ("Enter", "every field of the selected record"),
        ("y", "copy the selected record's raw text (OSC 52)"),
        ("m / '", "mark the selected record / jump to the next older mark"),
        ("?", "this help"),
    ]

    /// Where descriptions start.
    static let keysWidth = 22

    /// The help as lines of (keys, text): a description too long for the width goes on under
    /// itself, so that nothing is cut.
    static func lines(width: Int) -> [(keys: String, text: String)] {
        let room = max(12, width - keysWidth - 2)
        var out: [(String, String)] = []
        for (keys, what) in bindings {
            for (k, line) in VisibleText.wrapped(what, width: room).enumerated() { out.append((k == 0 ? keys : "", line)) }
        }
        return out
    }

    /// How many lines of bindings fit under the title, above the footer.
    static func rows(height: Int) -> Int { max(1, height - 3) }

    public static func render(into buf: inout CellBuffer, height: Int, top: Int = 0) {
        for y in 0..<min(height, buf.height) { buf.fill(y: y, style: Style(.text)) }
        buf.put("logdash — keys", x: 1, y: 0, style: Style(.accent, bold: true), safe: true)
        let all = lines(width: buf.width)
        let rows = rows(height: height)
        let first = max(0, min(top, all.count - rows))
        for (k, line) in all.dropFirst(first).prefix(rows).enumerated() {
            let y = k + 2
            guard y < height else { break }
            buf.put(line.keys, x: 2, y: y, style: Style(.accent), maxX: keysWidth, safe: true)
            buf.put(line.text, x: keysWidth + 2, y: y, style: Style(.text), maxX: buf.width, safe: true)
        }
        if height >= 3 {
            let shown = "\(first + 1)–\(min(all.count, first + rows)) of \(all.count)"
            let hint = all.count > rows ? "↑ ↓ PgUp PgDn scroll · any other key closes · " + shown : "any key closes"
            buf.put(hint, x: 2, y: height - 1, style: Style(.dim), maxX: buf.width, safe: true)
        }
    }
}

/// Colours the parts of a message people look for: `key=` names, numbers, quoted strings, IP
/// addresses, and HTTP status codes by class (the value of a `status`/`code` key, or a
/// three-digit number after an HTTP version: 2xx as info, 3xx notice, 4xx warn, 5xx error).
public enum MessageHighlighter {
    public static func roles(_ chars: [Character]) -> [StyleRole] {
        var out = [StyleRole](repeating: .text, count: chars.count)
        var i = 0
        var statusNext = false  // the next number is a status code
        func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "." || c == "-" }
        while i < chars.count {
            let c = chars[i]
            if c == "\"" {
                // A quoted string, to its closing quote (or the end).
                var j = i + 1
                while j < chars.count && chars[j] != "\"" { j += chars[j] == "\\" ? 2 : 1 }
                j = min(j + 1, chars.count)
                for k in i..<j { out[k] = .fieldString }
                // A quoted request line ("GET / HTTP/1.1") is followed by its status.
                statusNext = String(chars[i..<j]).contains("HTTP/")
                i = j
                continue
            }
            guard isWord(c), i == 0 || !isWord(chars[i - 1]) else { i += 1; continue }
            var j = i
            while j < chars.count && isWord(chars[j]) { j += 1 }
            let word = String(chars[i..<j])
            if j < chars.count && (chars[j] == "=" || (chars[j] == ":" && j + 1 < chars.count && chars[j + 1] == " ")) && c.isLetter {
                for k in i..<j { out[k] = .fieldKey }
                let lower = word.lowercased()
                statusNext = lower == "status" || lower == "code" || lower.hasSuffix("_status") || lower.hasSuffix("status_code")
                i = j + 1
                continue
            }
            if word == "HTTP" && j < chars.count && chars[j] == "/" {
                // HTTP/1.1: the version is not a number to colour; a status code follows.
                j += 1
                while j < chars.count && isWord(chars[j]) { j += 1 }
                statusNext = true
                i = j
                continue
            }
            if let role = numberRole(word, status: statusNext) {
                for k in i..<j { out[k] = role }
            }
            statusNext = false
            i = j
        }
        return out
    }

    static let units: Set<String> = ["ns", "us", "µs", "ms", "s", "m", "h", "d", "b", "k", "kb", "mb", "gb", "kib", "mib", "gib"]

    /// The role of a word that is a number or an IPv4 address; nil for other words.
    static func numberRole(_ w: String, status: Bool) -> StyleRole? {
        let parts = w.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) {
            return .fieldIP
        }
        var body = Substring(w)
        if body.hasPrefix("-") { body = body.dropFirst() }
        // 12, 3.5, 250ms, 1.2s, 512KB: digits, at most one point, then a short unit.
        let digits = body.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !digits.isEmpty, digits.first!.isNumber, digits.filter({ $0 == "." }).count <= 1 else { return nil }
        let unit = body.dropFirst(digits.count)
        guard unit.isEmpty || units.contains(unit.lowercased()) else { return nil }
        if status, unit.isEmpty, digits.count == 3, let code = Int(digits), (100...599).contains(code) {
            switch code / 100 {
            case 5: return .levelError
            case 4: return .levelWarn
            case 3: return .levelNotice
            default: return .levelInfo
            }
        }
        return .fieldNumber
    }
}

/// The live tail: newest record at the bottom, level in its colour; one line a record, or
/// several when wrapping.
public enum TailView {
    public struct Options: Sendable {
        public var wrap = false
        public var hscroll = 0
        /// Show times as ages before this instant (ns) instead of clock times.
        public var relativeTo: Int64?
        /// Text to highlight in messages (the search), in any case.
        public var highlight: String?
        /// Marked records: their time is shown in the selection colour, reversed.
        public var marks: [AppState.Mark]
        /// The selected record, counted up from the newest shown; its level shows reversed.
        public var selected: Int?
        /// The zone the times are shown in.
        public var zone = ShownZone.utc
        /// Records shown with every line of their message (`o`), by time and message.
        public var expanded: [AppState.Mark] = []
        public init(wrap: Bool = false, hscroll: Int = 0, relativeTo: Int64? = nil, highlight: String? = nil, marks: [AppState.Mark] = [],
                    selected: Int? = nil) {
            self.selected = selected
            self.wrap = wrap
            self.hscroll = hscroll
            self.relativeTo = relativeTo
            self.highlight = highlight
            self.marks = marks
        }
    }

    public static func render(_ rows: [TailRow], into buf: inout CellBuffer, top: Int, height: Int, options: Options = Options()) {
        guard height > 0 else { return }
        // Records of more than one day on screen (a week-old file's history): each time with its
        // date, else 14:42 of one day would follow 07:29 of the next unremarked.
        let dayOf = { (ns: Int64) -> Int64 in let w = options.zone.wall(ns); return w / 86_400_000_000_000 - (w % 86_400_000_000_000 < 0 ? 1 : 0) }
        let shown = rows.suffix(height)
        let dated = options.relativeTo == nil && shown.count > 1 && dayOf(shown.first!.ts) != dayOf(shown.last!.ts)
        // Lay out from the newest record upwards until the area is full.
        var blocks: [[(prefix: Bool, text: String)]] = []
        var used = 0
        for r in rows.reversed() where used < height {
            // The first line of the message, or (expanded with `o`) every line of it.
            let whole = !options.expanded.isEmpty && options.expanded.contains { $0.ts == r.ts && $0.message == r.message }
            let messageLines = r.message.split(separator: "\n", maxSplits: whole ? Int.max : 1, omittingEmptySubsequences: false)
                .prefix(whole ? Int.max : 1).enumerated().map { k, l in k == 0 ? String(l) : l.replacingOccurrences(of: "\t", with: "    ") }
            var lines = messageLines.enumerated().map { (prefix: $0.offset == 0, text: $0.element) }
            if options.wrap {
                let indent = prefixWidth(r, buf.width, dated: dated)
                let room = max(1, buf.width - indent)
                lines = []
                for (k, line) in (messageLines.isEmpty ? [""] : messageLines).enumerated() {
                    var parts: [String] = [], current = "", width = 0
                    for ch in VisibleText.escape(line) {
                        let w = DisplayWidth.of(ch)
                        if width + w > room { parts.append(current); current = ""; width = 0 }
                        current.append(ch); width += w
                    }
                    parts.append(current)
                    lines += parts.enumerated().map { (prefix: k == 0 && $0.offset == 0, text: $0.element) }
                }
            }
            blocks.append(lines)
            used += lines.count
        }
        var y = top + height - min(used, height)
        var skip = max(0, used - height)  // lines of the oldest block above the area
        for (index, (r, lines)) in zip(rows.indices.suffix(blocks.count), zip(rows.suffix(blocks.count), blocks.reversed())) {
            for line in lines {
                if skip > 0 { skip -= 1; continue }
                var x = 0
                if line.prefix {
                    let marked = options.marks.contains { $0.ts == r.ts && $0.message == r.message }
                    x = buf.put(dated ? datedClock(r.ts, zone: options.zone) : time(r.ts, options.relativeTo, zone: options.zone), x: 0, y: y, style: marked ? Style(.selection, reverse: true) : Style(.dim), safe: true) + 1
                    let level = (r.level?.name.uppercased() ?? "-").padding(toLength: 5, withPad: " ", startingAt: 0)
                    let isSelected = options.selected == rows.count - 1 - index
                    x = buf.put(level, x: x, y: y, style: Style(StyleRole.level(r.level), bold: r.level.map { $0 >= .error } ?? false,
                                                                reverse: isSelected), safe: true) + 1
                    if let host = r.host, buf.width >= 60 { x = buf.put(host, x: x, y: y, style: Style(.accent)) + 1 }
                } else {
                    x = prefixWidth(r, buf.width, dated: dated)
                }
                let visible = options.wrap ? line.text : String(VisibleText.escape(line.text).dropFirst(options.hscroll))
                putHighlighted(visible, x: x, y: y, term: options.highlight, into: &buf)
                y += 1
            }
        }
    }

    /// Writes already-escaped text with its parts coloured (see `MessageHighlighter`), the
    /// matches of `term` (in any case) in the selection style over them.
    static func putHighlighted(_ text: String, x: Int, y: Int, term: String?, into buf: inout CellBuffer) {
        let chars = Array(text)
        var styles = MessageHighlighter.roles(chars).map { Style($0) }
        if let term, !term.isEmpty {
            var from = text.startIndex
            while let r = text.range(of: term, options: .caseInsensitive, range: from..<text.endIndex) {
                let a = text.distance(from: text.startIndex, to: r.lowerBound), b = text.distance(from: text.startIndex, to: r.upperBound)
                for i in a..<b { styles[i] = Style(.selection, reverse: true) }
                from = r.upperBound
            }
        }
        // Runs of one style at a time.
        var col = x, start = 0
        while start < chars.count {
            var end = start + 1
            while end < chars.count && styles[end] == styles[start] { end += 1 }
            col = buf.put(String(chars[start..<end]), x: col, y: y, style: styles[start], safe: true)
            start = end
        }
    }

    /// The width of a record's time, level and host columns.
    private static func prefixWidth(_ r: TailRow, _ width: Int, dated: Bool = false) -> Int {
        (dated ? 15 : 13) + 6 + (r.host != nil && width >= 60 ? DisplayWidth.of(VisibleText.escape(r.host!)) + 1 : 0)
    }

    /// `11-27 14:03:07` (with the date, to the second), in `zone`.
    static func datedClock(_ ns: Int64, zone: ShownZone) -> String {
        let iso = Timestamp.iso8601(zone.wall(ns), fractionDigits: 0)
        return String(iso.dropFirst(5).prefix(14)).replacingOccurrences(of: "T", with: " ")
    }

    /// The clock time, or with `relativeTo` the age: `-12.5s`, `-3m07s`, `-2h05m`, `-3d04h`.
    static func time(_ ns: Int64, _ relativeTo: Int64?, zone: ShownZone = .utc) -> String {
        guard let now = relativeTo else { return clock(ns, zone: zone) }
        let age = max(0, now - ns) / 1_000_000  // ms
        let text: String
        switch age {
        case ..<60_000: text = String(format: "-%.1fs", Double(age) / 1000)
        case ..<3_600_000: text = String(format: "-%dm%02ds", age / 60_000, age / 1000 % 60)
        case ..<86_400_000: text = String(format: "-%dh%02dm", age / 3_600_000, age / 60_000 % 60)
        default: text = String(format: "-%dd%02dh", age / 86_400_000, age / 3_600_000 % 24)
        }
        return text.padding(toLength: 12, withPad: " ", startingAt: 0)
    }

    /// `14:03:07.250`, in `zone`.
    static func clock(_ ns: Int64, zone: ShownZone = .utc) -> String {
        let iso = Timestamp.iso8601(zone.wall(ns), fractionDigits: 3)
        return String(iso.dropFirst(11).prefix(12))
    }
}

/// The bottom line: sources, records and their rate, failures, the filter, the clock.
public enum StatusBar {
    /// `12/s`, `4.5k/s`, `1.2M/s`.
    static func rate(_ r: Double) -> String {
        switch r {
        case ..<10_000: String(format: "%.0f/s", r)
        case ..<1_000_000: String(format: "%.1fk/s", r / 1000)
        default: String(format: "%.1fM/s", r / 1_000_000)
        }
    }

    public static func render(_ s: AppState, into buf: inout CellBuffer, y: Int) {
        let style = Style(.statusBar, reverse: true)
        buf.fill(y: y, style: style)
        let mode = s.follow ? "FOLLOW" : "PAUSED +\(s.scroll + s.cursor)"
        let st = s.status
        var parts = [mode]
        // (The filter's text, then the sources', give way when the bar is full: the counts,
        // the state and the clock are never cut.)
        var filterPart = -1, sourcesPart = 1
        if st.sources.count > 1 && st.sourceRates.count == st.sources.count {
            // Each source with its own rate, then the total.
            parts.append(zip(st.sources, st.sourceRates).map { "\($0) \(StatusBar.rate($1))" }.joined(separator: " · "))
            parts += ["\(st.records) rec", StatusBar.rate(st.recordsPerSecond)]
        } else {
            parts += [st.sources.joined(separator: ","), "\(st.records) rec", StatusBar.rate(st.recordsPerSecond)]
        }
        if s.status.unparsed > 0 { parts.append("\(s.status.unparsed) unparsed") }
        if s.status.lagBytes > 0 { parts.append("lag " + ByteSize.format(s.status.lagBytes)) }
        if s.status.drops > 0 { parts.append("\(s.status.drops) dropped") }
        if s.status.connections > 0 { parts.append("\(s.status.connections) conn") }
        if s.status.bufferFill >= 0.5 { parts.append(String(format: "buffer %.0f%%", s.status.bufferFill * 100)) }
        if s.status.sinkLagMs > 0 { parts.append((s.status.sinkBehind ? "sink BEHIND " : "sink lag ") + TimeSpan.age(milliseconds: s.status.sinkLagMs)) }
        if let m = s.status.memory { parts.append(m) }
        if let l = s.minLevel { parts.append("\(l.name)+") }
        if let c = s.customTime {
            parts.append(c.label)
        } else if let end = s.timeRangeEnd {
            // (The data's end, to the minute: `11-27 23:59`.)
            let to = Timestamp.iso8601(end, fractionDigits: 0).dropFirst(5).prefix(11).replacingOccurrences(of: "T", with: " ")
            parts.append("last \(s.timeRange.rawValue) of the data, to \(to)")
        } else if s.timeRange != .all {
            parts.append("last \(s.timeRange.rawValue)")
        }
        if s.boardNames.count > 1 && !s.tailAlone, let name = s.boardNames[safe: s.boardIndex] { parts.insert("[\(name)]", at: 1); sourcesPart = 2 }
        if !s.filters.isEmpty { filterPart = parts.count; parts.append("filter: " + s.filters.joined(separator: " › ")) }
        if s.whereClause != nil { parts.append("\(s.matching) match") }
        if let search = s.search, let place = s.searchPlace {
            parts.append("/\(search.count > 16 ? search.prefix(15) + "…" : search) \(place.index) of \(place.total)")
        }
        if s.status.busy { parts.append("querying…") }
        // The clock, with the zone every time on screen is shown in.
        let right = TailView.clock(s.status.clock, zone: s.zone).prefix(8) + " " + s.zone.abbreviation(at: s.status.clock) + " "
        let rightX = max(0, s.width - right.count)
        // Too wide: shorten the filter text, then the sources (keeping their starts); still too
        // wide, leave out the (shortened) filter, the rate, the sources — never the state, counts or clock.
        func over() -> Int { DisplayWidth.of(" " + parts.joined(separator: " │ ")) - (rightX - 1) }
        for k in [filterPart, sourcesPart] where k >= 0 && k < parts.count && over() > 0 {
            let keep = max(8, parts[k].count - over() - 1)
            if keep < parts[k].count { parts[k] = String(parts[k].prefix(keep)) + "…" }
        }
        let rateText = StatusBar.rate(st.recordsPerSecond)
        for k in [filterPart, parts.firstIndex(of: rateText) ?? -1, sourcesPart].filter({ $0 >= 0 && $0 < parts.count }).sorted(by: >) where over() > 0 {
            parts.remove(at: k)
        }
        let left = " " + parts.joined(separator: " │ ")
        buf.put(left, x: 0, y: y, style: style, maxX: rightX - 1)
        buf.put(String(right), x: rightX, y: y, style: style, safe: true)
    }
}

import Foundation
