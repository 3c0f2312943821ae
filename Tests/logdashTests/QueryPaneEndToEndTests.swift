import Foundation
import Testing
import Scratch

/// The query pane in a real terminal: a query typed, its table, its chart, pinned as a pane;
/// an error marked; history from the last run found with Ctrl-R.
@Suite(.serialized) struct QueryPaneEndToEndTests {
    @Test func aQueryTypedShowsItsTableThenItsChartAndPinsAsAPane() throws {
        let state = try Scratch.directory("state").path, config = try Scratch.directory("config").path
        let t = try Tmux()
        let run = "XDG_STATE_HOME='\(state)' XDG_CONFIG_HOME='\(config)' '\(CommandLineTests.binary)' 'demo://?lines=2000'"
        let table = try Self.demoQuery(t, run: run, records: 2000, sql: "SELECT level, count(*) n FROM logs GROUP BY level ORDER BY n DESC") {
            $0.contains("4 rows in") && $0.contains("level    n")
        }
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("info ") && $0.hasSuffix(" 1577") || $0.hasPrefix("info  1577") })
        try t.press("c")
        _ = try t.wait("the chart") { s in s.split(separator: "\n").contains { $0.hasPrefix("info  █") } }
        try t.press("p")
        _ = try t.wait("the pinned pane") { $0.contains("pinned 1: SELECT level, count(*) n") && $0.contains("newest records") }
        // :save keeps the dashboard with its pinned pane for the next run.
        try t.type(":save")
        try t.press("Enter")
        _ = try t.wait("saved") { $0.contains("dashboard 'saved' saved to \(config)/logdash/dashboards.yaml") }
        // An error: the message and its line and column; the spot marked in the editor.
        try t.press("q")
        try t.press("i")
        try t.press("C-u")
        try t.type("SELECT nosuch FROM logs")
        try t.press("Enter")
        _ = try t.wait("the error") { $0.contains("error: unknown column 'nosuch'") && $0.contains("(line 1, column 8)") }
        try t.press("Escape")  // to the results (the last good ones)
        try t.press("Q")
        _ = try t.wait("the shell") { $0.contains("FIRST=0") }
        let history = try String(contentsOfFile: state + "/logdash/sql_history", encoding: .utf8)
        #expect(history == "\"SELECT level, count(*) n FROM logs GROUP BY level ORDER BY n DESC\"\n\"SELECT nosuch FROM logs\"\n")
        // The next run: Ctrl-R finds the query of the last one.
        try t.type("clear; " + run)
        try t.press("Enter")
        _ = try t.wait("the saved dashboard again") { $0.contains("2000 rec") && !$0.contains("FIRST=0") && $0.contains("pinned 1: SELECT level, count(*) n") }
        try t.press("q")
        try t.press("C-r")
        try t.type("GROUP")
        _ = try t.wait("the history search") { $0.contains("(history search) 'GROUP': SELECT level, count(*) n") }
        try t.press("Enter")
        _ = try t.wait("its result") { $0.contains("4 rows in") }
        try t.press("Escape")
        try t.press("Q")
    }

    /// `a` on a result defines an alarm on its value: saved to the alarms file, watched at once
    /// (the alarm panel appears), and loaded again by the next run.
    @Test func anAlarmDefinedFromAResultIsSavedAndWatched() throws {
        let config = try Scratch.directory("config").path
        let t = try Tmux(width: 110, height: 30)
        let run = "XDG_CONFIG_HOME='\(config)' '\(CommandLineTests.binary)' 'demo://?lines=3000'"
        _ = try Self.demoQuery(t, run: run, records: 3000, sql: "SELECT date_trunc('minute', ts) m, count_if(status >= 500) errors FROM logs GROUP BY 1") {
            $0.contains("rows in")
        }
        try t.press("a")
        _ = try t.wait("the form") { $0.contains("A new alarm on this query's value") && $0.contains("treat_missing_data") }
        try t.press("BSpace", "BSpace", "BSpace")
        try t.type("2")
        try t.press("Enter")
        _ = try t.wait("saved") { $0.contains("alarm alarm-1 saved to \(config)/logdash/alarms.yaml") }
        let yaml = try String(contentsOfFile: config + "/logdash/alarms.yaml", encoding: .utf8)
        #expect(yaml.contains("value: 'count_if((status >= 500))'") && yaml.contains("threshold: 2\n") && yaml.contains("period: 1m"))
        try t.press("Escape")
        _ = try t.wait("the alarm panel") { $0.contains("┌ alarms") && $0.contains("alarm-1") }
        try t.press("Q")
        _ = try t.wait("the shell") { $0.contains("FIRST=0") }
        try t.type("clear; " + run)
        try t.press("Enter")
        _ = try t.wait("the alarm loaded again") { $0.contains("┌ alarms") && $0.contains("alarm-1") && !$0.contains("FIRST=0") }
        try t.press("Q")
    }

    /// Runs `run` (the demo, with `records` records) in the pane's shell, then types `sql` into
    /// the query pane; the screen once `result` holds. The shell echoes FIRST=status at exit.
    static func demoQuery(_ t: Tmux, run: String, records: Int, sql: String, result: (String) -> Bool) throws -> String {
        try t.type(run + "; echo FIRST=$?")
        try t.press("Enter")
        _ = try t.wait("the dashboard") { $0.contains("\(records) rec") && $0.contains("newest records") }
        try t.press("q")
        try t.type(sql)
        try t.press("Enter")
        return try t.wait("the result", result)
    }

    /// The rest of the screen line that starts with `key`, trimmed.
    static func row(_ screen: String, _ key: String) -> String? {
        screen.split(separator: "\n").first { $0.hasPrefix(key) }.map { $0.dropFirst(key.count).trimmingCharacters(in: .whitespaces) }
    }

    /// A windowed query runs live: lines appended to the followed file close its window.
    @Test func aWindowedQueryRunsLiveAsTheFollowedFileGrows() throws {
        let dir = try Scratch.directory("live")
        let log = dir.appendingPathComponent("app.log")
        func line(_ m: Int, _ s: Int) -> String { "{\"ts\":\"2026-11-27T14:\(String(format: "%02d", m)):\(String(format: "%02d", s))Z\",\"level\":\"info\",\"msg\":\"m\"}\n" }
        try (0..<30).map { line(0, $0) }.joined().write(to: log, atomically: true, encoding: .utf8)
        let t = try Tmux(width: 110, height: 24)
        try t.launch([log.path], until: "the records") { $0.contains("30 rec") }
        try t.press("q")
        try t.type("SELECT window_start, count(*) n FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)")
        try t.press("Enter")
        _ = try t.wait("the open window") { $0.contains("live · 1 rows · 0 windows closed, 1 open") && Self.row($0, "2026-11-27 14:00:00.000") == "30" }
        let h = try FileHandle(forWritingTo: log)
        try h.seekToEnd()
        try h.write(contentsOf: Data(((30..<60).map { line(0, $0) } + [line(1, 10)]).joined().utf8))
        try h.close()
        let s = try t.wait("the window closed") { $0.contains("live · 2 rows · 1 window closed, 1 open") }
        #expect(Self.row(s, "2026-11-27 14:00:00.000") == "60" && Self.row(s, "2026-11-27 14:01:00.000") == "1")
        try t.press("Escape")
        try t.press("Q")
    }

    /// On the live demo stream, an alarm whose threshold the demo's traffic crosses fires: the
    /// banner shows over the screen and the panel has it in ALARM.
    @Test func anAlarmFiresOnTheDemoStreamAndTheBannerAppears() throws {
        let dir = try Scratch.directory("demo-alarm")
        let yaml = dir.appendingPathComponent("a.yaml").path
        try """
            alarms:
              - name: traffic
                metric:
                  value: count(*)
                period: 2s
                evaluation_periods: 1
                comparison: GreaterThanOrEqualToThreshold
                threshold: 1
            """.write(toFile: yaml, atomically: true, encoding: .utf8)
        let t = try Tmux(width: 120, height: 30)
        try t.launch(["--alarms", yaml, "--lateness", "1s", "demo://?rate=40"], panes: true, until: "the alarm panel") { $0.contains("┌ alarms") && $0.contains("traffic") }
        let fired = try t.wait("the banner") { $0.split(separator: "\n").first?.contains("traffic: INSUFFICIENT_DATA → ALARM at") == true }
        #expect(fired.contains("ALARM"))
        try t.press("j")
        _ = try t.wait("the panel in ALARM") { s in s.split(separator: "\n").contains { $0.contains("traffic") && $0.contains("ALARM") } }
        try t.press("Q")
    }
}
