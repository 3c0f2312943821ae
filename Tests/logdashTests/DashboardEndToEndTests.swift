import Foundation
import Testing
import Scratch

/// A private tmux server for one test: a shell in a pane, keys in, the screen out.
final class Tmux {
    let socket = "logdash-test-\(UUID().uuidString.prefix(8))"

    /// Runs tmux and returns its output (see `Spawned` for why not `Process`).
    @discardableResult
    func tmux(_ args: [String]) throws -> String {
        let outPath = try Scratch.directory("tmux").appendingPathComponent("tmux").path
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        do {
            try Spawned("tmux", ["-L", socket] + args, stdout: outPath).wait()
        } catch {
            throw TmuxError("cannot run tmux: \(error)")
        }
        return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    }

    struct TmuxError: Error { let message: String; init(_ m: String) { message = m } }

    init(width: Int = 100, height: Int = 24) throws {
        try tmux(["-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", String(width), "-y", String(height),
                  "-e", "LANG=C.UTF-8", "-e", "XDG_CONFIG_HOME=/nonexistent", "sh"])
    }

    deinit {
        _ = try? tmux(["kill-server"])
        // tmux leaves its socket file behind.
        let dir = (ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp") + "/tmux-\(getuid())"
        try? FileManager.default.removeItem(atPath: dir + "/" + socket)
    }

    func type(_ text: String) throws { try tmux(["send-keys", "-t", "main", "-l", text]) }
    func press(_ keys: String...) throws { try tmux(["send-keys", "-t", "main"] + keys) }
    func screen() throws -> String { try tmux(["capture-pane", "-p", "-t", "main"]) }

    /// Runs logdash in the pane's shell with these arguments, then waits for `ready`.
    @discardableResult
    /// Starts logdash in the pane: with the tail alone (`--tail`) unless `panes` is set.
    func launch(_ args: [String], panes: Bool = false, then shell: String = "", until what: String, _ ready: (String) -> Bool) throws -> String {
        try type(([CommandLineTests.binary] + (panes ? [] : ["--tail"]) + args).map { "'\($0)'" }.joined(separator: " ") + shell)
        try press("Enter")
        return try wait(what, ready)
    }

    /// Polls the screen until `ok` holds (30 s at most: a loaded CI machine); the last screen either way.
    func wait(_ what: String, _ ok: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(30)
        var s = try screen()
        while !ok(s) && Date() < deadline {
            usleep(100_000)
            s = try screen()
        }
        #expect(ok(s), "waited for \(what); the screen was:\n\(s)")
        return s
    }
}

@Suite(.serialized) struct DashboardEndToEndTests {
    /// `logdash --archive DIR` shows an archive's records (a fleet's history), with no demo.
    @Test func anArchiveIsShownAsTheDashboardsHistory() throws {
        let log = try ExportCommandTests.generated(500)
        let archive = try Scratch.directory("dash-archive").appendingPathComponent("archive").path
        #expect(try CommandLineTests().logdash(["export", log, "--to", archive]).status == 0)
        let t = try Tmux(width: 120, height: 30)
        let s = try t.launch(["--archive", archive, "--utc"], panes: true, until: "the archive's records") { $0.contains("500 rec") }
        #expect(!s.contains("demo://"), "\(s)")
        try t.press("q")
    }

    /// A sink that cannot deliver shows on the status bar: late past its buffer interval, BEHIND
    /// past its max_lag (issue 26); the records are kept in the spool meanwhile.
    @Test func aSinkThatCannotDeliverShowsItsLagOnTheStatusBar() throws {
        let dir = try Scratch.directory("dash-sink")
        let log = try ExportCommandTests.generated(200)
        // The sink's directory cannot be made: a file stands where it should be.
        let blocked = dir.appendingPathComponent("blocked").path
        _ = FileManager.default.createFile(atPath: blocked, contents: Data("not a directory".utf8))
        let store = dir.appendingPathComponent("store").path
        let t = try Tmux(width: 140, height: 30)
        let late = try t.launch([log, "--store", store, "--sink", "file://\(blocked)/archive?buffer_interval=1s&max_lag=12s", "--utc"],
                                until: "the sink's lag") { $0.contains("200 rec") && $0.contains("sink lag ") }
        #expect(!late.contains("BEHIND"), "\(late)")
        let behind = try t.wait("the sink behind") { $0.contains("sink BEHIND ") }
        #expect(behind.contains("200 rec"), "\(behind)")
        // Quitting is not held up by a sink that cannot deliver: its records stay in the spool.
        try t.press("Q")
        let after = try t.wait("the shell back") { $0.contains("1 part not delivered yet; kept in the store's spool") }
        #expect(!after.contains("FOLLOW"), "\(after)")
    }

    /// Past `--max-memory` the dashboard keeps its oldest records in spill files, says so on the
    /// status bar, and a query still counts every record; with `--no-spill` the oldest are
    /// dropped, counted on the status bar (issue 28).
    @Test func pastItsMemoryBudgetTheDashboardSpillsOrDropsTheOldestRecordsAndSaysSo() throws {
        let log = try ExportCommandTests.generated(40000)
        let cache = try Scratch.directory("dash-spill").path
        let expected = try CommandLineTests().logdash(["query", "SELECT count(DISTINCT trace_id) FROM logs", log, "--output", "csv"]).out
        let distinct = expected.split(separator: "\n").last.map(String.init) ?? "?"
        let t = try Tmux(width: 140, height: 30)
        try t.type("export XDG_CACHE_HOME=\(cache)\n")
        try t.launch([log, "--max-memory", "4M", "--utc"], then: "; echo EXIT=$?", until: "the records spilled") { $0.contains("40000 rec") && $0.contains("to disk") }
        try t.press("q")
        try t.type("SELECT count(*) AS n, count(DISTINCT trace_id) AS d FROM logs")
        try t.press("Enter")
        let answer = try t.wait("the count over every record") { $0.contains("1 row in") }
        #expect(answer.contains("40000") && answer.contains(distinct), "\(answer)")
        try t.press("Escape")
        try t.press("Q")
        _ = try t.wait("the shell") { $0.contains("EXIT=0") }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: cache + "/logdash"))?.isEmpty ?? true, "spill files are gone")
        try t.type("clear\n")
        let dropped = try t.launch([log, "--max-memory", "4M", "--no-spill", "--utc"], until: "the oldest dropped") { $0.contains("oldest") && $0.contains("dropped") }
        let count = dropped.split(separator: "\n").compactMap { line -> Int? in
            guard let r = line.range(of: " rec") else { return nil }
            return Int(line[..<r.lowerBound].split(separator: " ").last ?? "")
        }.first
        #expect((count ?? 40000) < 40000, "\(dropped)")
        try t.press("Q")
    }

    @Test func liveTailFiltersAndQuitsRestoringTheTerminal() throws {
        let t = try Tmux()
        let first = try t.launch(["demo://?rate=200"], then: "; echo EXIT=$?", until: "records and the status bar") {
            $0.contains("FOLLOW") && $0.contains(" INFO ") && $0.contains("/s")
        }
        #expect(first.contains("demo://?rate=200"))
        try t.press("f")
        try t.type("level = 'error'")
        try t.press("Enter")
        let filtered = try t.wait("the error filter") { s in
            s.contains("filter: level = 'error'") && s.contains(" ERROR ")
                && !s.split(separator: "\n").contains { $0.contains(" INFO ") || $0.contains(" WARN ") }
        }
        #expect(filtered.contains(" match"))  // the matching count
        try t.press("T")
        _ = try t.wait("the next theme") { $0.contains("theme: light") }
        try t.press("Q")
        let after = try t.wait("the shell back") { $0.contains("EXIT=0") }
        #expect(!after.contains("FOLLOW"))  // the dashboard's screen is gone: the terminal is restored
    }

    /// `cmd | logdash`: the records come from the pipe, still arriving, while keys come from the
    /// terminal — a filter typed narrows them, Q quits (issue 23, item 1).
    @Test func logsPipedIntoTheDashboardShowWhileKeysComeFromTheTerminal() throws {
        let lines = (0..<40).map { i in "{\"ts\":\"2026-11-27T14:00:\(String(format: "%02d", i))Z\",\"level\":\"\(i % 4 == 0 ? "error" : "info")\",\"msg\":\"piped \(i)\"}" }
        let file = try CommandLineTests().temp("piped.log", lines.joined(separator: "\n") + "\n")
        let t = try Tmux()
        // The pipe stays open and keeps bringing lines, as `tail -f` or `kubectl logs -f` do (and,
        // as theirs, its writer ends at its next line once logdash is gone).
        let more = "{\"ts\":\"2026-11-27T14:01:00Z\",\"level\":\"info\",\"msg\":\"still there\"}"
        try t.type("(cat '\(file)'; while sleep 0.2; do echo '\(more)'; done) | '\(CommandLineTests.binary)' --tail; echo EXIT=$?")
        try t.press("Enter")
        let first = try t.wait("the piped records") { $0.contains("piped 39") && $0.contains("still there") && $0.contains("stdin") }
        #expect(!first.contains("reads keys"))
        try t.press("f")
        try t.type("level = 'error'")
        try t.press("Enter")
        _ = try t.wait("the filter over the piped records") { s in
            s.contains("10 match") && s.contains("piped 36") && !s.contains("piped 37")
        }
        try t.press("Q")
        _ = try t.wait("the shell back") { $0.contains("EXIT=0") }
    }

    /// `cat file | logdash` with no terminal to read keys from (no controlling terminal): a
    /// clear message that names what to use instead, and no screen taken over.
    @Test func pipedLogsWithoutAKeyboardSayWhatToUseInstead() throws {
        let t = try Tmux()
        try t.type("echo hello | setsid -w '\(CommandLineTests.binary)' --tail; echo EXIT=$?")
        try t.press("Enter")
        let s = try t.wait("the message") { $0.contains("EXIT=0") || $0.contains("EXIT=1") }
        let flat = s.replacingOccurrences(of: "\n", with: "")  // the message wraps
        #expect(flat.contains("no terminal (/dev/tty) to read keys from") && flat.contains("logdash ingest -") && s.contains("EXIT=1"))
    }

    /// With TZ set, times are shown in that zone, the status bar says which, `u` shows UTC,
    /// and `--utc` starts so (issue 23, item 12).
    @Test func timesShowInTheLocalZoneAndUSwitchesToUTC() throws {
        let file = try CommandLineTests().temp("zoned.log", "{\"ts\":\"2026-11-27T14:00:00Z\",\"level\":\"info\",\"msg\":\"at two UTC\"}\n")
        let t = try Tmux()
        try t.type("TZ=Europe/Berlin '\(CommandLineTests.binary)' --tail '\(file)'")
        try t.press("Enter")
        _ = try t.wait("Berlin's time") { $0.contains("15:00:00.000 INFO") && $0.contains("UTC+1") }
        try t.press("u")
        _ = try t.wait("UTC") { $0.contains("14:00:00.000 INFO") && $0.contains("times in UTC") }
        try t.press("Q")
        try t.type("TZ=Europe/Berlin '\(CommandLineTests.binary)' --tail --utc '\(file)'")
        try t.press("Enter")
        _ = try t.wait("--utc") { $0.contains("14:00:00.000 INFO") && !$0.contains("UTC+1") }
        try t.press("Q")
    }

    /// A followed file: a line appended shows at the bottom of the tail.
    @Test func aLineAppendedToAFollowedFileAppearsInTheTail() throws {
        let file = try CommandLineTests().temp("app.log", "{\"ts\":\"2026-11-27T14:00:00Z\",\"level\":\"info\",\"msg\":\"first line\"}\n")
        let t = try Tmux()
        try t.launch([file], until: "the first line") { $0.contains("first line") && $0.contains("FOLLOW") }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try h.seekToEnd()
        try h.write(contentsOf: Data("{\"ts\":\"2026-11-27T14:00:05Z\",\"level\":\"error\",\"msg\":\"appended while watching\"}\n".utf8))
        try h.close()
        let s = try t.wait("the appended line") { $0.contains("appended while watching") && $0.contains("2 rec") }
        let lines = s.split(separator: "\n")
        #expect(lines.firstIndex { $0.contains("first line") }! < lines.firstIndex { $0.contains("appended while watching") }!)
        try t.press("Q")
    }

    /// The dashboard masks what arrives with the transform steps; a change of their file (and
    /// `:reload`) takes new steps for the lines that follow, saying so (issue 25).
    @Test func theTailShowsMaskedLinesAndReloadsChangedSteps() throws {
        let cli = CommandLineTests()
        let file = try cli.temp("pii.log", "{\"ts\":\"2026-11-27T14:00:00Z\",\"level\":\"info\",\"msg\":\"login ann@example.com\"}\n")
        let steps = try cli.temp("tail-steps.yaml", "- mask: { kinds: [email] }\n")
        let t = try Tmux(width: 120)
        try t.launch(["--transform", steps, file], until: "the masked line") { $0.contains("login <email>") && $0.contains("FOLLOW") }
        #expect(!(try t.screen()).contains("ann@example.com"))
        try "- mask: { kinds: [email], with: partial }\n".write(toFile: steps, atomically: true, encoding: .utf8)
        _ = try t.wait("the reload notice") { $0.contains("transform steps reloaded") }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try h.seekToEnd()
        try h.write(contentsOf: Data("{\"ts\":\"2026-11-27T14:00:05Z\",\"level\":\"info\",\"msg\":\"login bob@example.com\"}\n".utf8))
        try h.close()
        let s = try t.wait("the line masked by the new steps") { $0.contains("login b***@example.com") }
        #expect(s.contains("login <email>"))  // the line before keeps the steps it came with
        try "- wher: x\n".write(toFile: steps, atomically: true, encoding: .utf8)
        try t.type(":reload")
        try t.press("Enter")
        _ = try t.wait("the problem, said") { $0.contains("unknown step") }
        try t.press("Q")
    }

    /// A file that is not there yet is said to be awaited; once it is written the notice goes at
    /// once (it stayed until a key was pressed) and its lines show (issue 23, item 13).
    @Test func aFilesNoSuchFileYetNoticeGoesOnceTheFileIsThere() throws {
        let dir = try Scratch.directory("later")
        let file = dir.appendingPathComponent("later.log").path
        let t = try Tmux()
        try t.launch([file], until: "the waiting notice") { $0.contains("no such file yet") }
        try Data("{\"ts\":\"2026-11-27T14:00:00Z\",\"level\":\"info\",\"msg\":\"it came\"}\n".utf8).write(to: URL(fileURLWithPath: file))
        let s = try t.wait("the file's line, the notice gone") { $0.contains("it came") && !$0.contains("no such file yet") }
        #expect(!s.contains("there now"))
        try t.press("Q")
    }

    /// A TCP listener in the dashboard: its address in the notice line, what is sent in the tail.
    @Test func aListenerShowsItsAddressAndWhatItReceives() throws {
        let t = try Tmux()
        let s = try t.launch(["tcp://:0"], until: "the listening address") { $0.contains("listening on tcp://127.0.0.1:") }
        guard let r = s.range(of: "listening on tcp://127.0.0.1:"), let port = Int(s[r.upperBound...].prefix { $0.isNumber }) else { return }
        try Spawned("/bin/bash", ["-c", "echo 'level=warn msg=\"sent over tcp\"' > /dev/tcp/127.0.0.1/\(port)"]).wait()
        _ = try t.wait("the line sent") { $0.contains("sent over tcp") && $0.contains(" WARN ") }
        try t.press("Q")
    }

    /// Filters applied in one run come back with ↑ in the next ($XDG_STATE_HOME/logdash/history).
    @Test func filterHistoryIsKeptAcrossRuns() throws {
        let state = try Scratch.directory("state").path
        let t = try Tmux()
        let run = "XDG_STATE_HOME='\(state)' '\(CommandLineTests.binary)' --tail 'demo://?lines=500'"
        try t.type(run + "; echo FIRST=$?")
        try t.press("Enter")
        _ = try t.wait("the demo") { $0.contains("500 rec") }
        try t.press("f")
        try t.type("status >= 400")
        try t.press("Enter")
        _ = try t.wait("the filter") { $0.contains("filter: status >= 400") }
        try t.press("Q")
        _ = try t.wait("the shell") { $0.contains("FIRST=0") }
        #expect(try String(contentsOfFile: state + "/logdash/history", encoding: .utf8) == "status >= 400\n")
        try t.type("clear; " + run)
        try t.press("Enter")
        _ = try t.wait("the demo again") { $0.contains("500 rec") && !$0.contains("FIRST=0") }
        try t.press("f")
        try t.press("Up")
        _ = try t.wait("the filter from the last run in the bar") { $0.split(separator: "\n").contains { $0.hasPrefix("filter: status >= 400") } }
        try t.press("Escape")
        try t.press("Q")
    }

    @Test func aMarkBringsTheViewBackToItsRecord() throws {
        let t = try Tmux()
        try t.launch(["demo://?lines=3000"], until: "the loaded demo") { $0.contains("3000 rec") && $0.contains(" INFO ") }
        usleep(500_000)  // the view's own count catches up with the store (a paused view holds still as records arrive)
        for _ in 0..<5 { try t.press("k") }
        _ = try t.wait("five lines up") { $0.contains("PAUSED +5") }
        try t.press("m")
        _ = try t.wait("the mark") { $0.contains("marked;") }
        try t.press("G")
        _ = try t.wait("the newest") { $0.contains("FOLLOW") }
        try t.press("'")
        _ = try t.wait("back at the mark") { $0.contains("PAUSED +5") }
        try t.press("Q")
    }

    @Test func asciiModeDrawsTheInterfaceWithASCIIOnly() throws {
        let t = try Tmux()
        let s = try t.launch(["--ascii", "demo://?lines=300"], until: "the ASCII status bar") { $0.contains("FOLLOW | demo://?lines=300 | 300 rec") }
        #expect(!s.contains("│"))
        try t.press("Q")
    }

    /// The terminal shrinks to 40×12 and grows again: the picture follows, still legible.
    @Test func aResizedTerminalIsRedrawnToItsNewSize() throws {
        let t = try Tmux(width: 100, height: 24)
        try t.launch(["demo://?lines=500"], until: "the tail") { $0.contains("500 rec") && $0.contains(" INFO ") }
        try t.tmux(["resize-window", "-t", "main", "-x", "40", "-y", "12"])
        let small = try t.wait("the small picture") { s in
            let lines = s.split(separator: "\n", omittingEmptySubsequences: false)
            return lines.contains { $0.contains("FOLLOW") } && lines.allSatisfy { $0.count <= 40 }
        }
        #expect(small.contains("500"))
        try t.tmux(["resize-window", "-t", "main", "-x", "120", "-y", "30"])
        _ = try t.wait("the large picture") { s in
            s.split(separator: "\n").contains { $0.contains("FOLLOW") && $0.count > 100 }
        }
        try t.press("Q")
    }

    /// ↑ moves the selection up the screen; Enter shows the selected record, not the bottom one.
    @Test func enterShowsTheSelectedRecord() throws {
        let t = try Tmux(width: 100, height: 24)
        try t.launch(["demo://?lines=3000"], until: "the loaded demo") { $0.contains("3000 rec") && $0.contains(" INFO ") }
        usleep(500_000)  // the view's own count catches up with the store
        for _ in 0..<3 { try t.press("k") }
        let s = try t.wait("the selection three up") { $0.contains("PAUSED +3") }
        let lines = s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let bar = lines.firstIndex(where: { $0.contains("PAUSED +3") }), bar >= 4 else { Issue.record("no status bar"); return }
        // The selected line's message: what follows the time and level columns (and a host, if any).
        let selected = String(lines[bar - 4].dropFirst(19)).trimmingCharacters(in: .whitespaces)
        try t.press("Enter")
        let detail = try t.wait("the detail view") { $0.contains(" raw ") && $0.contains(" source ") }
        let messageLine = detail.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("message") } ?? ""
        #expect(selected.hasSuffix(messageLine.split(separator: " ", maxSplits: 1).last.map { String($0).trimmingCharacters(in: .whitespaces) } ?? "?"),
                "selected '\(selected)', detail '\(messageLine)'")
        try t.press("Q")
        try t.press("Q")
    }

    @Test func aBadFilterShowsTheEnginesErrorAndChangesNothing() throws {
        let t = try Tmux()
        try t.launch(["demo://?rate=100"], until: "the tail") { $0.contains("FOLLOW") }
        try t.press("f")
        try t.type("staus >= 500")
        try t.press("Enter")
        let s = try t.wait("the error") { $0.contains("unknown column 'staus'; did you mean 'status'?") }
        #expect(s.contains("filter: staus >= 500"))  // the bar reopens with the text to fix
        let statusBar = s.split(separator: "\n").last { $0.contains("FOLLOW") } ?? ""
        #expect(!statusBar.contains("staus") && !statusBar.contains("match"))  // no filter in force
        try t.press("C-c")
        _ = try t.wait("exit on Ctrl-C") { !$0.contains("FOLLOW") }
    }

    @Test func searchScrollsToTheNearestMatchAndPauses() throws {
        let t = try Tmux()
        try t.launch(["demo://?lines=3000"], until: "the loaded demo") { $0.contains("3000 rec") }
        try t.press("/")
        try t.type("timeout")
        try t.press("Enter")
        // The match amid its neighbours (half the tail under it), and which match it is.
        let found = try t.wait("the first match, paused, counted") { s in
            s.contains("PAUSED") && s.range(of: #"/timeout 1 of \d+"#, options: .regularExpression) != nil
        }
        let lines = found.split(separator: "\n").map(String.init)
        let middle = lines.firstIndex { $0.contains("timeout") }
        #expect(middle != nil && middle! < lines.count - 4, "the match is not pinned to the bottom: \(found)")
        try t.press("Enter")  // the record's fields
        _ = try t.wait("the detail view") { $0.contains(" message ") && $0.contains(" raw ") && $0.contains(" source ") && $0.contains("timeout") }
        try t.press("Escape")
        try t.press("n")
        _ = try t.wait("the next older match") { $0.range(of: #"/timeout 2 of \d+"#, options: .regularExpression) != nil }
        try t.press("N")
        _ = try t.wait("back to the first") { $0.range(of: #"/timeout 1 of \d+"#, options: .regularExpression) != nil }
        try t.press("Q")
    }

    /// The default screen: the dashboard's panes. Tab to the top statuses, pick the second bar,
    /// Enter: every pane and the tail are filtered to that status (as many records as its bar
    /// said); Esc goes back; `z` zooms the focused pane to the full screen.
    @Test func drillingIntoABarFiltersEveryPaneAndTheTail() throws {
        let file = try RenderCommandTests().generated("json", lines: 3000)
        let t = try Tmux(width: 160, height: 40)  // room in the status bar for the long file name, filter and count
        try t.launch([file], panes: true, until: "the panes") {
            $0.contains("top status") && $0.contains("records by level") && $0.contains("newest records") && $0.contains("3000 rec")
        }
        var screen = ""
        for _ in 0..<12 {
            try t.press("Tab")
            usleep(300_000)  // drawn within a frame or three
            screen = try t.screen()
            if screen.contains("top status ›") { break }
        }
        #expect(screen.contains("top status › 200"), "\(screen)")
        try t.press("j")
        let picked = try t.wait("the second bar picked") { $0.contains("top status ›") && !$0.contains("top status › 200") }
        let status = try #require(picked.components(separatedBy: "top status › ").last?.prefix(3)).description
        // The bar's count: the number after the bars on the picked row.
        let row = try #require(picked.split(separator: "\n").first { $0.contains("│\(status) ") })
        let count = try #require(row.split(separator: "│")[0].split(separator: " ").last).description  // "404 ███▏ 160"
        try t.press("Enter")
        _ = try t.wait("the filter in force, in the tail's count and in the pane") {
            $0.contains("filter: status = \(status)") && $0.contains("\(count) match") && $0.contains("top status › \(status) ")
                && $0.split(separator: "\n").filter { $0.hasPrefix("│") && $0.contains(" █") }.count >= 1
        }
        try t.press("Escape")
        _ = try t.wait("the filter dropped") { !$0.contains("filter: status") }
        try t.press("z")
        _ = try t.wait("the pane alone") { $0.contains("top status") && !$0.contains("records by level") && !$0.contains("newest records") }
        try t.press("Q")
    }

    /// A dashboard file's dashboards come first; `]` shows the next, then the default one.
    @Test func bracketsSwitchBetweenAFilesDashboardsAndTheDefault() throws {
        let dir = try Scratch.directory("e2e")
        let yaml = dir.appendingPathComponent("d.yaml").path
        try """
            dashboards:
              - name: web
                rows:
                  - panes:
                      - title: requests by method
                        sql: SELECT method, count(*) FROM logs WHERE method IS NOT NULL GROUP BY 1 ORDER BY 2 DESC
                        field: method
                  - panes:
                      - tail: true
              - name: levels
                rows:
                  - panes:
                      - title: by level
                        sql: SELECT level, count(*) FROM logs GROUP BY 1 ORDER BY 2 DESC
            """.write(toFile: yaml, atomically: true, encoding: .utf8)
        let t = try Tmux(width: 120, height: 30)
        try t.launch(["--dashboard", yaml, "demo://?lines=2000"], panes: true, until: "the file's first dashboard") {
            $0.contains("[web]") && $0.contains("requests by method") && $0.contains("GET ") && $0.contains("2000 rec")
        }
        try t.press("]")
        _ = try t.wait("the second") { $0.contains("[levels]") && $0.contains("┌ by level") && $0.contains("info ") }
        try t.press("]")
        _ = try t.wait("the default") { $0.contains("[default]") && $0.contains("records by level") }
        try t.press("Q")
    }

    /// With --alarms the default dashboard has an alarm panel; when a followed file's new
    /// records break a threshold, the panel turns and a banner says so over the screen.
    @Test func anAlarmFiringShowsInThePanelAndAsABanner() throws {
        let dir = try Scratch.directory("e2e")
        let log = dir.appendingPathComponent("app.log"), yaml = dir.appendingPathComponent("a.yaml").path
        func line(_ minute: Int, _ second: Int, _ status: Int) -> String {
            "{\"ts\":\"2026-11-27T14:\(String(format: "%02d", minute)):\(String(format: "%02d", second))Z\",\"level\":\"\(status >= 500 ? "error" : "info")\",\"status\":\(status),\"msg\":\"m\"}\n"
        }
        try (0..<1200).map { line($0 / 60, $0 % 60, 200) }.joined().write(to: log, atomically: true, encoding: .utf8)
        try CommandLineTests.fiveXXAlarm.write(toFile: yaml, atomically: true, encoding: .utf8)
        let t = try Tmux(width: 120, height: 30)
        try t.launch(["--alarms", yaml, log.path], panes: true, until: "the alarm panel, OK") { $0.contains("┌ alarms") && $0.contains("● 5xx") && $0.contains(" OK ") }
        let h = try FileHandle(forWritingTo: log)
        try h.seekToEnd()
        try h.write(contentsOf: Data(((0..<10).map { line(21, $0, 500) }.joined() + line(23, 0, 200)).utf8))
        try h.close()
        let fired = try t.wait("the banner and the panel") { $0.contains("5xx: OK → ALARM at 2026-11-27 14:22:00") && $0.contains("ALARM  10 ≥ 5") }
        #expect(fired.split(separator: "\n").first?.hasPrefix(" 5xx: OK → ALARM") == true)
        try t.press("j")  // any key dismisses the banner
        _ = try t.wait("the banner gone") { !$0.contains("5xx: OK → ALARM") && $0.contains("ALARM  10 ≥ 5") }
        // The alarm panel (after the tail): its history in the query pane, then its records.
        try t.press("Tab")
        try t.press("H")
        let history = try t.wait("its history") { $0.contains("alarm_history WHERE alarm = '5xx'") && $0.contains("rows in") }
        #expect(history.split(separator: "\n").contains { $0.contains("2026-11-27 14:22:00.000 OK") && $0.contains("ALARM     Threshold Crossed") })
        try t.press("Escape")
        _ = try t.wait("the dashboard") { $0.contains("┌ alarms") }
        try t.press("Enter")
        _ = try t.wait("its breaching window as the time range") { $0.contains("the records behind 5xx") && $0.contains("5xx: 2026-11-27 14:21:00 …") }
        try t.press("Q")
    }

    /// The detail is looked up by the record's time: among records of the same time, the one selected.
    @Test func enterAmongRecordsOfTheSameTimeShowsTheSelectedOne() throws {
        let dir = try Scratch.directory("e2e")
        let f = dir.appendingPathComponent("ties.log")
        try (1...5).map { #"{"ts":"2026-11-27T14:00:00Z","level":"info","msg":"tie \#($0)"}"# + "\n" }.joined()
            .write(to: f, atomically: true, encoding: .utf8)
        let t = try Tmux()
        try t.launch([f.path], until: "the records") { $0.contains("tie 5") && $0.contains("5 rec") }
        try t.press("Up")
        try t.press("Up")
        _ = try t.wait("the selection moved") { $0.contains("PAUSED +2") }
        try t.press("Enter")
        let detail = try t.wait("the detail") { $0.contains(" message ") }
        #expect(detail.contains("message    tie 3"))
        try t.press("Q")
    }

    @Test func yCopiesTheBottomRawLineThroughOSC52() throws {
        let dir = try Scratch.directory("e2e")
        let f = dir.appendingPathComponent("app.log")
        let last = #"{"ts":"2026-11-27T14:00:02Z","level":"error","msg":"copy me","n":2}"#
        try (#"{"ts":"2026-11-27T14:00:01Z","level":"info","msg":"not me"}"# + "\n" + last + "\n").write(to: f, atomically: true, encoding: .utf8)
        let t = try Tmux()
        try t.tmux(["set-option", "-g", "set-clipboard", "on"])
        try t.launch([f.path], until: "the records") { $0.contains("copy me") }
        try t.press("y")
        _ = try t.wait("the notice") { $0.contains("copied \(last.utf8.count) bytes") }
        #expect(try t.tmux(["show-buffer"]) == last)
        try t.press("Q")
    }

    @Test func escapeSequencesInLogLinesAreShownNotObeyed() throws {
        let dir = try Scratch.directory("e2e")
        let f = dir.appendingPathComponent("hostile.log")
        try "2026-11-27T14:00:00Z ERROR \u{1B}[31mRED\u{1B}[0m \u{1B}]2;pwned\u{07} title \u{1B}[2J done\n".write(to: f, atomically: true, encoding: .utf8)
        let t = try Tmux()
        try t.tmux(["select-pane", "-t", "main", "-T", "logdash-test"])
        let s = try t.launch([f.path], until: "the hostile line, made visible") { $0.contains("^[[31mRED^[[0m ^[]2;pwned^G title ^[[2J done") }
        #expect(s.contains(" ERROR "))
        #expect(try t.tmux(["display-message", "-p", "-t", "main", "#{pane_title}"]).trimmingCharacters(in: .whitespacesAndNewlines) == "logdash-test")
        try t.press("Q")
    }
}
