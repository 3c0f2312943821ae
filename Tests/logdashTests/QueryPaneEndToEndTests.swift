import Foundation
import Testing
import Scratch

/// The query pane in a real terminal: a query typed, its table, its chart, pinned as a pane;
/// an error marked; history from the last run found with Ctrl-R.
@Suite(.serialized) struct QueryPaneEndToEndTests {
    @Test func aQueryTypedShowsItsTableThenItsChartAndPinsAsAPane() throws {
        let state = try Scratch.directory("state").path
        let t = try Tmux()
        let run = "XDG_STATE_HOME='\(state)' '\(CommandLineTests.binary)' 'demo://?lines=2000'"
        try t.type(run + "; echo FIRST=$?")
        try t.press("Enter")
        _ = try t.wait("the dashboard") { $0.contains("2000 rec") && $0.contains("newest records") }
        try t.press("q")
        try t.type("SELECT level, count(*) n FROM logs GROUP BY level ORDER BY n DESC")
        try t.press("Enter")
        let table = try t.wait("the result table") { $0.contains("4 rows in") && $0.contains("level    n") }
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("info ") && $0.hasSuffix(" 1577") || $0.hasPrefix("info  1577") })
        try t.press("c")
        _ = try t.wait("the chart") { s in s.split(separator: "\n").contains { $0.hasPrefix("info  █") } }
        try t.press("p")
        _ = try t.wait("the pinned pane") { $0.contains("pinned 1: SELECT level, count(*) n") && $0.contains("newest records") }
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
        _ = try t.wait("the dashboard again") { $0.contains("2000 rec") && !$0.contains("FIRST=0") }
        try t.press("q")
        try t.press("C-r")
        try t.type("GROUP")
        _ = try t.wait("the history search") { $0.contains("(history search) 'GROUP': SELECT level, count(*) n") }
        try t.press("Enter")
        _ = try t.wait("its result") { $0.contains("4 rows in") }
        try t.press("Escape")
        try t.press("Q")
    }
}
