import Foundation
import Testing
@testable import LogdashEngine
@testable import LogdashUI

/// The query pane's editor and keys, as update-function tests; its screen as golden files in
/// `query/` beside this file (`LOGDASH_UPDATE_GOLDEN=1` rewrites them).
@Suite struct SQLEditorTests {
    static func typed(_ s: String) -> SQLEditor {
        var e = SQLEditor()
        for c in s { _ = e.apply(.char(c)) }
        return e
    }

    @Test func cursorMovesByCharacterWordAndLine() {
        var e = Self.typed("SELECT status FROM logs")
        _ = e.apply(.wordLeft)
        #expect(e.cursor == 19)
        _ = e.apply(.wordLeft); _ = e.apply(.wordLeft)
        #expect(e.cursor == 7)
        _ = e.apply(.wordRight)
        #expect(e.cursor == 13)
        _ = e.apply(.home)
        #expect(e.cursor == 0)
        _ = e.apply(.ctrl("e"))
        #expect(e.cursor == 23)
        _ = e.apply(.left)
        _ = e.apply(.char("X"))
        #expect(e.string == "SELECT status FROM logXs")
    }

    @Test func ctrlJBreaksTheLineAndUpDownKeepTheColumn() {
        var e = Self.typed("SELECT count(*)")
        _ = e.apply(.ctrl("j"))
        for c in "FROM logs" { _ = e.apply(.char(c)) }
        #expect(e.lines == ["SELECT count(*)", "FROM logs"])
        #expect(e.position == (1, 9))
        let up = e.moveLine(-1)
        #expect(up && e.position == (0, 9))
        let beyond = e.moveLine(-1)
        #expect(!beyond)  // the first line: the pane's history takes ↑
        let down = e.moveLine(1)
        #expect(down && e.position == (1, 9))
    }

    @Test func killAndYankAndUndo() {
        var e = Self.typed("SELECT a, b FROM logs")
        _ = e.apply(.ctrl("w"))
        #expect(e.string == "SELECT a, b FROM ")
        _ = e.apply(.ctrl("y"))
        _ = e.apply(.ctrl("y"))
        #expect(e.string == "SELECT a, b FROM logslogs")
        _ = e.apply(.ctrl("_"))
        _ = e.apply(.ctrl("_"))
        #expect(e.string == "SELECT a, b FROM ")
        _ = e.apply(.ctrl("u"))
        #expect(e.string == "")
        _ = e.apply(.ctrl("_"))
        #expect(e.string == "SELECT a, b FROM ")
        _ = e.apply(.home)
        _ = e.apply(.ctrl("k"))
        #expect(e.string == "" && e.killed == "SELECT a, b FROM ")
        // Typing undoes as one step.
        for c in "abc" { _ = e.apply(.char(c)) }
        _ = e.apply(.ctrl("_"))
        #expect(e.string == "")
    }

    @Test func backspaceAndDeleteAtTheEdgesChangeNothing() {
        var e = SQLEditor()
        _ = e.apply(.backspace)
        _ = e.apply(.delete)
        #expect(e.string == "" && e.cursor == 0)
        e = Self.typed("ab")
        _ = e.apply(.left)
        _ = e.apply(.delete)
        _ = e.apply(.backspace)
        #expect(e.string == "")
    }
}

@Suite struct QueryPaneTests {
    static func open() -> AppState {
        var s = AppState(width: 70, height: 16)
        _ = update(&s, .key(.char("q")))
        return s
    }

    static func type(_ s: inout AppState, _ text: String) {
        for c in text { _ = update(&s, .key(.char(c))) }
    }

    @Test func enterRunsTheQueryAndTheAnswerFocusesTheResults() {
        var s = Self.open()
        Self.type(&s, "SELECT 1")
        #expect(update(&s, .key(.enter)) == [.runQuery("SELECT 1")])
        s.query.running = .init(sql: "SELECT 1", since: Date())
        #expect(update(&s, .key(.enter)) == [])  // one at a time
        _ = update(&s, .queryProgress(rowsScanned: 1234))
        #expect(s.query.running?.rowsScanned == 1234)
        _ = update(&s, .queryFinished(ResultSet(columns: ["_col0"], rows: [[.int(1)]]), nil, seconds: 0.01))
        #expect(s.query.running == nil && s.query.focus == .results && s.query.resultSQL == "SELECT 1")
        #expect(s.query.history == ["SELECT 1"])
        // Esc: the results, then closed; q opens it again with the text and result kept.
        _ = update(&s, .key(.escape))
        #expect(!s.queryOpen)
        _ = update(&s, .key(.char("q")))
        #expect(s.queryOpen && s.query.editor.string == "SELECT 1" && s.query.result != nil)
    }

    /// A query longer than the screen scrolls sideways with the cursor always in view, `‹` and
    /// `›` saying text is hidden; reopened, the pane has the focus where it was left (issue 23, item 14).
    @Test func aLongQueryScrollsSidewaysWithTheCursorInViewAndTheFocusIsKept() {
        var s = Self.open()
        let sql = "SELECT path, count(*) n FROM logs WHERE status >= 500 AND path LIKE '/api/%' GROUP BY path ORDER BY n DESC LIMIT 10"
        Self.type(&s, sql)
        var buf = CellBuffer(width: 60, height: 12)
        QueryPaneView.render(s.query, into: &buf, height: 12, glyphs: .unicode)
        let line = buf.lines[0]
        #expect(line.hasPrefix("sql>‹") && line.contains("ORDER BY n DESC LIMIT 10"), "\(line)")
        let cursor = (0..<60).filter { buf[$0, 0].style.reverse }
        #expect(cursor.count == 1 && cursor[0] < 59 && cursor[0] == line.distance(from: line.startIndex, to: line.range(of: "LIMIT 10")!.upperBound))
        _ = update(&s, .key(.home))
        buf = CellBuffer(width: 60, height: 12)
        QueryPaneView.render(s.query, into: &buf, height: 12, glyphs: .unicode)
        #expect(buf.lines[0].hasPrefix("sql> SELECT path") && buf.lines[0].hasSuffix("›") && buf[5, 0].style.reverse, "\(buf.lines[0])")
        // The results had the focus when the pane was closed: they have it again.
        s.query.result = ResultSet(columns: ["n"], rows: [[.int(1)]])
        s.query.focus = .results
        _ = update(&s, .key(.char("q")))  // closes it
        #expect(!s.queryOpen)
        _ = update(&s, .key(.char("q")))
        #expect(s.queryOpen && s.query.focus == .results)
        _ = update(&s, .key(.char("x")))  // a results key, not text in the hidden editor
        #expect(s.query.editor.string == sql)
    }

    @Test func anErrorKeepsTheEditorFocusedAndMarksTheSpot() {
        var s = Self.open()
        Self.type(&s, "SELECT bogus FROM logs")
        _ = update(&s, .key(.enter))
        s.query.running = .init(sql: "SELECT bogus FROM logs", since: Date())
        _ = update(&s, .queryFinished(nil, .init(message: "unknown column 'bogus'", position: 7, sql: "SELECT bogus FROM logs"), seconds: 0))
        #expect(s.query.focus == .editor)
        let buf = DashboardView.render(s)
        #expect(buf.lines[1].hasPrefix("error: unknown column 'bogus' (line 1, column 8)"))
        #expect(buf[12, 0].style == Style(.error, bold: true, reverse: true) && buf[12, 0].text == "b")
    }

    @Test func historyUpDownAndCtrlRSearch() {
        var s = Self.open()
        s.query.history = ["SELECT 1", "SELECT status FROM logs", "SELECT 3"]
        _ = update(&s, .key(.up))
        #expect(s.query.editor.string == "SELECT 3")
        _ = update(&s, .key(.up))
        #expect(s.query.editor.string == "SELECT status FROM logs")
        _ = update(&s, .key(.down)); _ = update(&s, .key(.down))
        #expect(s.query.editor.string == "")
        _ = update(&s, .key(.ctrl("r")))
        Self.type(&s, "select")
        #expect(s.query.searchHit == 2)
        _ = update(&s, .key(.ctrl("r")))
        #expect(s.query.searchHit == 1)
        _ = update(&s, .key(.ctrl("r")))
        #expect(s.query.searchHit == 0)
        _ = update(&s, .key(.ctrl("r")))
        #expect(s.query.searchHit == 0)  // no older match: stays
        _ = update(&s, .key(.escape))
        #expect(s.query.search == nil && s.query.editor.string == "")
        _ = update(&s, .key(.ctrl("r")))
        Self.type(&s, "STATUS")
        #expect(update(&s, .key(.enter)) == [.runQuery("SELECT status FROM logs")])
    }

    @Test func tabCompletesTablesColumnsFunctionsAndKeywords() {
        var s = Self.open()
        s.query.columns = ["ts", "status", "service", "latency_ms"]
        Self.type(&s, "SELECT approx_p")
        _ = update(&s, .key(.tab))
        #expect(s.query.editor.string == "SELECT approx_percentile(")
        Self.type(&s, "lat")
        _ = update(&s, .key(.tab))
        #expect(s.query.editor.string == "SELECT approx_percentile(latency_ms")
        Self.type(&s, ", 0.99) FROM erro")
        _ = update(&s, .key(.tab))
        #expect(s.query.editor.string.hasSuffix("FROM errors"))
        Self.type(&s, " GROUP BY s")
        _ = update(&s, .key(.tab))
        // Several: the shared prefix (none beyond 's'), and the list under the editor.
        #expect(s.query.candidates.contains("status") && s.query.candidates.contains("service") && s.query.candidates.contains("sum"))
        Self.type(&s, "er")
        _ = update(&s, .key(.tab))
        #expect(s.query.editor.string.hasSuffix("GROUP BY service"))
    }

    @Test func resultKeysSortChartPinAndExport() {
        var s = Self.open()
        s.query.result = ResultSet(columns: ["service", "n"], rows: [[.string("b"), .int(2)], [.string("a"), .int(3)], [.null, .int(1)]])
        s.query.resultSQL = "SELECT service, count(*) n FROM logs GROUP BY 1"
        s.query.focus = .results
        _ = update(&s, .key(.right))
        _ = update(&s, .key(.char("s")))
        #expect(s.query.shownRows.map { $0[1] } == [.int(1), .int(2), .int(3)])
        _ = update(&s, .key(.char("s")))
        #expect(s.query.shownRows.map { $0[1] } == [.int(3), .int(2), .int(1)])
        _ = update(&s, .key(.char("s")))
        #expect(s.query.sort == nil)
        _ = update(&s, .key(.char("c")))
        #expect(s.query.chart)
        #expect(update(&s, .key(.char("p"))) == [.pin("SELECT service, count(*) n FROM logs GROUP BY 1")])
        #expect(update(&s, .key(.char("e"))) == [.export(csv: true)])
        #expect(update(&s, .key(.char("E"))) == [.export(csv: false)])
        _ = update(&s, .key(.char("i")))
        #expect(s.query.focus == .editor)
    }

    @Test func aOnAResultOpensTheAlarmFormAndEnterSavesWhatWasTyped() {
        var s = Self.open()
        s.query.result = ResultSet(columns: ["m", "errors"], rows: [[.timestamp(0), .int(3)], [.timestamp(60_000_000_000), .int(11)]])
        s.query.resultSQL = "SELECT date_trunc('minute', ts) m, count_if(status >= 500) errors FROM logs GROUP BY 1"
        s.query.focus = .results
        _ = update(&s, .key(.char("a")))
        #expect(s.query.alarmForm?.draft.threshold == "11")  // the value column's largest
        #expect(s.query.alarmForm?.field == .threshold)
        _ = update(&s, .key(.backspace)); _ = update(&s, .key(.backspace))
        for c in "5" { _ = update(&s, .key(.char(c))) }
        _ = update(&s, .key(.down))
        _ = update(&s, .key(.right))  // ≥ → >
        _ = update(&s, .key(.down))
        _ = update(&s, .key(.backspace)); _ = update(&s, .key(.backspace))
        for c in "5m" { _ = update(&s, .key(.char(c))) }
        #expect(DashboardView.render(s).lines.contains { $0.contains("period") && $0.contains("5m") })
        guard case .saveAlarm(let d)? = update(&s, .key(.enter)).first else { Issue.record("no save"); return }
        #expect(d.threshold == "5" && d.comparison == .greaterThanThreshold && d.period == "5m" && d.name == "alarm-1")
        _ = update(&s, .key(.escape))
        #expect(s.query.alarmForm == nil && s.queryOpen)
        // A query with two values cannot be one alarm: a notice says why.
        s.query.resultSQL = "SELECT count(*), max(latency_ms) FROM logs"
        _ = update(&s, .key(.char("a")))
        #expect(s.query.alarmForm == nil && s.notice?.contains("exactly one aggregate column") == true)
    }

    @Test func aLiveQuerysStepsReplaceTheRowsAndKeepTheSortAndScroll() {
        var s = Self.open()
        Self.type(&s, "SELECT window_start, count(*) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)")
        _ = update(&s, .key(.enter))
        s.query.running = .init(sql: s.query.editor.string, since: Date())
        let first = ResultSet(columns: ["window_start", "_col1"], rows: [[.timestamp(0), .int(3)]])
        _ = update(&s, .queryFinished(first, nil, seconds: 0.01))
        _ = update(&s, .queryLive(first, closedWindows: 0, openWindows: 1))
        _ = update(&s, .key(.right)); _ = update(&s, .key(.char("s"))); _ = update(&s, .key(.char("s")))
        let next = ResultSet(columns: ["window_start", "_col1"], rows: [[.timestamp(0), .int(3)], [.timestamp(60_000_000_000), .int(9)]])
        _ = update(&s, .queryLive(next, closedWindows: 1, openWindows: 1))
        #expect(s.query.sort?.column == 1 && s.query.sort?.descending == true && s.query.column == 1)
        #expect(s.query.shownRows.map { $0[1] } == [.int(9), .int(3)])
        #expect(DashboardView.render(s).lines[1].hasPrefix("live · 2 rows · 1 window closed, 1 open (partial, last)"))
        _ = update(&s, .queryLive(nil, closedWindows: 0, openWindows: 0))  // stopped: the rows stay
        #expect(s.query.live == nil && s.query.result == next)
    }

    @Test func ctrlJOutsideTheEditorIsEnter() {
        var s = AppState(width: 40, height: 10)
        _ = update(&s, .key(.char("f")))
        for c in "x" { _ = update(&s, .key(.char(c))) }
        #expect(update(&s, .key(.ctrl("j"))) == [.reload] && s.filters == ["x"])
    }
}

@Suite struct QueryPaneSnapshotTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("query")

    static func check(_ name: String, _ s: AppState) throws {
        let text = DashboardView.render(s).lines.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }.joined(separator: "\n") + "\n"
        let url = directory.appendingPathComponent(name + ".txt")
        if ProcessInfo.processInfo.environment["LOGDASH_UPDATE_GOLDEN"] == "1" { try text.write(to: url, atomically: true, encoding: .utf8) }
        #expect(text == (try String(contentsOf: url, encoding: .utf8)), "\(name): differs from \(url.path)")
    }

    static func withResult() -> AppState {
        var s = AppState(width: 64, height: 12)
        _ = update(&s, .key(.char("q")))
        for c in "SELECT service, count(*) n, avg(latency_ms) FROM logs" { _ = update(&s, .key(.char(c))) }
        _ = update(&s, .key(.ctrl("j")))
        for c in "GROUP BY 1 ORDER BY n DESC" { _ = update(&s, .key(.char(c))) }
        _ = update(&s, .key(.enter))
        s.query.running = .init(sql: s.query.editor.string, since: Date())
        _ = update(&s, .queryFinished(ResultSet(columns: ["service", "n", "_col2"], rows: [
            [.string("payments"), .int(41230), .double(182.25)],
            [.string("checkout\u{1b}[31m"), .int(9), .null],
            [.null, .int(1200), .double(3.5)],
        ]), nil, seconds: 0.012))
        return s
    }

    @Test func aResultTableAlignsNumbersShowsNullAndEscapesText() throws {
        try Self.check("result-table", Self.withResult())
    }

    @Test func aResultSortedByAColumnMarksIt() throws {
        var s = Self.withResult()
        _ = update(&s, .key(.right))
        _ = update(&s, .key(.char("s")))
        _ = update(&s, .key(.char("s")))
        try Self.check("result-sorted", s)
    }

    @Test func aRunningQueryShowsItsProgress() throws {
        var s = AppState(width: 64, height: 8)
        _ = update(&s, .key(.char("q")))
        for c in "SELECT count(*) FROM logs" { _ = update(&s, .key(.char(c))) }
        _ = update(&s, .key(.enter))
        s.query.running = .init(sql: "SELECT count(*) FROM logs", since: Date(timeIntervalSinceNow: -1.23))
        _ = update(&s, .queryProgress(rowsScanned: 3_400_000))
        var buf = CellBuffer(width: 64, height: 7)
        QueryPaneView.render(s.query, into: &buf, height: 7, glyphs: .plain, now: s.query.running!.since.addingTimeInterval(1.3))
        #expect(buf.lines[1].hasPrefix("| running 1.3 s · 3,400,000 rows scanned · Ctrl-C cancels"))
    }
}
