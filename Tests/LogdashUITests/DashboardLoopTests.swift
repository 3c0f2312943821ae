import Foundation
import Testing
@testable import LogdashEngine
@testable import LogdashUI

/// A terminal for the dashboard's loop in tests: keys from a script (one a step), frames kept.
final class ScriptedTerminal: Terminal {
    private(set) var size: (width: Int, height: Int)
    let asciiOnly = false
    let hasColor = true
    var shouldExit = false
    /// What the next steps read, first first; then nothing (a moment's wait, as ncurses').
    var script: [TerminalInput] = []
    private(set) var frame: CellBuffer?
    private(set) var frames = 0
    private(set) var bells = 0
    private(set) var clipboard: String?

    init(width: Int, height: Int) { size = (width, height) }

    func readKey() -> TerminalInput? {
        guard !script.isEmpty else {
            usleep(5_000)
            return nil
        }
        let input = script.removeFirst()
        if case .resize(let w, let h) = input { size = (w, h) }
        return input
    }

    func type(_ text: String) { script += text.map { .key(.char($0)) } }
    func draw(_ buffer: CellBuffer) { frame = buffer; frames += 1 }
    func apply(_ theme: Theme) {}
    func bell() { bells += 1 }
    func suspend() {}
    func copyToClipboard(_ text: String) { clipboard = text }

    var screen: String { frame?.lines.joined(separator: "\n") ?? "" }
}

@Suite struct DashboardLoopTests {
    /// JSON lines, second `i` of 14:00 on 2026-11-27, every fourth an error.
    static func lines(_ seconds: Range<Int>, prefix: String = "line") -> String {
        seconds.map { i in
            "{\"ts\":\"2026-11-27T14:00:\(String(format: "%02d", i % 60))Z\",\"level\":\"\(i % 4 == 0 ? "error" : "info")\",\"msg\":\"\(prefix) \(i)\"}\n"
        }.joined()
    }

    static func store(_ text: String) throws -> Store { try parsedStore(text) }

    static func loop(_ terminal: ScriptedTerminal, _ store: Store, pipeline: Pipeline? = nil) -> DashboardLoop {
        var loop = DashboardLoop(screen: terminal, store: store, pipeline: pipeline ?? Pipeline(store: store, load: LoadOptions()),
                                 notices: Notices(), sources: ["t"], themes: Theme.builtin, theme: Theme.builtin[0])
        loop.state.zoomed = true  // the tail alone
        return loop
    }

    /// Steps until `done` holds of the last frame (10 s at most); whether it did.
    @discardableResult
    static func run(_ loop: inout DashboardLoop, _ terminal: ScriptedTerminal, until done: (String) -> Bool) -> Bool {
        run(&loop, terminal) { screen, _ in done(screen) }
    }

    /// Steps until `done` holds of the last frame and the state.
    @discardableResult
    static func run(_ loop: inout DashboardLoop, _ terminal: ScriptedTerminal, until done: (String, AppState) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            guard loop.step() else { break }
            if terminal.script.isEmpty && done(terminal.screen, loop.state) { return true }
        }
        return done(terminal.screen, loop.state)
    }

    @Test func aFilterTypedNarrowsTheTailOnceTheWorkerAnswers() throws {
        let term = ScriptedTerminal(width: 80, height: 20)
        var loop = Self.loop(term, try Self.store(Self.lines(0..<40)))
        defer { loop.stopWorkers() }
        #expect(Self.run(&loop, term) { $0.contains("line 39") && $0.contains("40 rec") })
        term.script = [.key(.char("f"))]
        term.type("level = 'error'")
        term.script.append(.key(.enter))
        let narrowed = Self.run(&loop, term) { s in s.contains("10 match") && s.contains("line 36") && !s.contains("line 39") }
        #expect(narrowed, "\(term.screen)")
        #expect(loop.state.filters == ["level = 'error'"])
    }

    /// Filters typed and dropped faster than the worker answers: what is drawn in the end is
    /// the answer to the last request, never an older one that came late.
    @Test func anAnswerToAnOlderFilterIsNeverDrawnOverTheNewest() throws {
        let term = ScriptedTerminal(width: 80, height: 20)
        var loop = Self.loop(term, try Self.store(Self.lines(0..<40)))
        defer { loop.stopWorkers() }
        for _ in 0..<5 {  // one key a step, no waiting between them
            term.script += [.key(.char("f"))]
            term.type("level = 'error'")
            term.script += [.key(.enter), .key(.escape)]
        }
        term.script += [.key(.char("f"))]
        term.type("msg = 'line 7'")
        term.script += [.key(.enter)]
        #expect(Self.run(&loop, term) { $0.contains("1 match") && $0.contains("line 7") })
        // And it stays so: no late answer replaces it.
        for _ in 0..<30 { _ = loop.step() }
        #expect(term.screen.contains("line 7") && !term.screen.contains("line 39") && loop.state.matching == 1)
    }

    @Test func aResizeDrawsTheNextFrameAtTheNewSizeWithTheNewestRecordsAtTheBottom() throws {
        let term = ScriptedTerminal(width: 80, height: 20)
        var loop = Self.loop(term, try Self.store(Self.lines(0..<40)))
        defer { loop.stopWorkers() }
        #expect(Self.run(&loop, term) { $0.contains("line 39") })
        term.script = [.resize(width: 50, height: 10)]
        #expect(Self.run(&loop, term) { _ in term.frame?.width == 50 && term.frame?.height == 10 })
        let rows = term.screen.split(separator: "\n")
        #expect(rows.count == 10 && rows.contains { $0.contains("line 39") } && !rows.contains { $0.contains("line 30") })
    }

    @Test func ctrlCQuitsWhenNoQueryRuns() throws {
        let term = ScriptedTerminal(width: 80, height: 20)
        var loop = Self.loop(term, try Self.store(Self.lines(0..<3)))
        defer { loop.stopWorkers() }
        term.script = [.interrupt]
        #expect(loop.step() == false)
    }

    /// Records of one second (dpkg.log writes a dozen a second) show in the file's order; search
    /// n/N and a mark's jump step through them one by one in that order, not by time alone
    /// (issue 23, item 2).
    @Test func recordsOfOneTimeShowSearchAndJumpInTheLogsOrder() throws {
        let text = (0..<10).map { i in "{\"ts\":\"2026-11-27T14:00:00Z\",\"msg\":\"a\(i)\(i % 2 == 0 ? " hit" : "")\"}\n" }.joined()
            + "{\"ts\":\"2026-11-27T13:59:59Z\",\"msg\":\"before hit\"}\n"
        let term = ScriptedTerminal(width: 60, height: 20)
        var loop = Self.loop(term, try Self.store(text))
        defer { loop.stopWorkers() }
        #expect(Self.run(&loop, term) { $0.contains("a9") })
        let order = term.screen.split(separator: "\n").compactMap { line in (0..<10).first { line.contains(" a\($0)") } }
        #expect(order == Array(0..<10))
        func press(_ keys: [TerminalInput], expect message: String) {
            term.script = keys
            let got = Self.run(&loop, term) { _, state in state.selected?.message == message }
            #expect(got, "at \(loop.state.selected?.message ?? "nothing"), not \(message)")
        }
        press([.key(.char("/"))] + "hit".map { .key(.char($0)) } + [.key(.enter)], expect: "a8 hit")
        press([.key(.char("n"))], expect: "a6 hit")
        press([.key(.char("n"))], expect: "a4 hit")
        press([.key(.char("N"))], expect: "a6 hit")
        press([.key(.char("n")), .key(.char("n")), .key(.char("n"))], expect: "a0 hit")
        press([.key(.char("n"))], expect: "before hit")  // past the second, into the one before
        // A mark on a record amid its second: ' comes back to it, not to the second's newest.
        press([.key(.char("N")), .key(.char("N"))], expect: "a2 hit")
        term.script = [.key(.char("m")), .key(.char("G"))]
        #expect(Self.run(&loop, term) { _, state in state.selected?.message == "a9" })
        press([.key(.char("'"))], expect: "a2 hit")
    }

    /// Enter on a bucket of "records by level": every pane keeps to that bucket's time, and the
    /// charts draw it at buckets of its own (seconds, not the day's quarter hours) (issue 23, item 8).
    @Test func drillingIntoABucketRedrawsItAtFinerBuckets() throws {
        let day = (0..<2000).map { i in
            "{\"ts\":\"\(Timestamp.iso8601(Timestamp.make(year: 2026, month: 11, day: 27, hour: 0, minute: 0, second: 0)! + Int64(i) * 43_200_000_000))\",\"level\":\"info\",\"msg\":\"m\(i)\"}\n"
        }.joined()
        let term = ScriptedTerminal(width: 120, height: 40)
        var loop = Self.loop(term, try Self.store(day))
        loop.state.zoomed = false
        defer { loop.stopWorkers() }
        func volume(_ state: AppState) -> String? { state.board?.spec.panes.first { $0.title.hasPrefix("records by level") }?.sql }
        #expect(Self.run(&loop, term) { _, s in volume(s)?.contains("INTERVAL '900' SECOND") == true })
        let k = try #require(loop.state.board?.spec.panes.firstIndex { $0.title.hasPrefix("records by level") })
        #expect(Self.run(&loop, term) { _, s in if case .chart? = s.board?.contents[safe: k] ?? nil { true } else { false } })
        term.script = Array(repeating: .key(.tab), count: k + 1) + [.key(.left), .key(.enter)]
        let drilled = Self.run(&loop, term) { _, s in s.customTime != nil && volume(s)?.contains("INTERVAL '900' SECOND") == false }
        #expect(drilled, "\(volume(loop.state) ?? "no pane")")
        #expect(loop.state.rangeLength == 900_000_000_000 && volume(loop.state)!.contains("INTERVAL '10' SECOND"))
    }

    /// `o` shows a stack trace's every line in place (Enter stays the detail view); from the
    /// detail view, `f` on a field filters on its value and `x` leaves it out (issue 23, item 15).
    @Test func oExpandsAStackTraceInPlaceAndTheDetailViewFiltersOnAField() throws {
        let text = Self.lines(0..<6) + "{\"ts\":\"2026-11-27T14:00:10Z\",\"level\":\"error\",\"msg\":\"boom\\n\\tat a.B.run(B.java:1)\\n\\tat a.C.main(C.java:2)\"}\n"
        let term = ScriptedTerminal(width: 80, height: 20)
        var loop = Self.loop(term, try Self.store(text))
        defer { loop.stopWorkers() }
        #expect(Self.run(&loop, term) { $0.contains("boom") })
        #expect(!term.screen.contains("B.java"))
        term.script = [.key(.char("o"))]
        #expect(Self.run(&loop, term) { $0.contains("    at a.B.run(B.java:1)") && $0.contains("    at a.C.main(C.java:2)") }, "\(term.screen)")
        let rows = term.screen.split(separator: "\n")
        #expect(rows.firstIndex { $0.contains("boom") }! < rows.firstIndex { $0.contains("C.java") }!)
        term.script = [.key(.char("o"))]
        #expect(Self.run(&loop, term) { !$0.contains("B.java") && $0.contains("boom") })
        // The detail view: ↓ to `level`, f: only records of that level.
        term.script = [.key(.enter)]
        #expect(Self.run(&loop, term) { _, s in s.detail != nil })
        let level = try #require(loop.state.detail?.firstIndex { $0.name == "level" })
        term.script = Array(repeating: .key(.down), count: level) + [.key(.char("f"))]
        #expect(Self.run(&loop, term) { screen, s in s.filters == ["level = 'error'"] && s.detail == nil && screen.contains("3 match") }, "\(loop.state.filters)")
        // x: every record but those.
        term.script = [.key(.escape), .key(.enter)]
        #expect(Self.run(&loop, term) { _, s in s.filters.isEmpty && s.detail != nil })
        term.script = Array(repeating: .key(.down), count: level) + [.key(.char("x"))]
        #expect(Self.run(&loop, term) { screen, s in s.filters == ["(level <> 'error' OR level IS NULL)"] && screen.contains("4 match") && !screen.contains("boom") },
                "\(term.screen)")
    }

    /// `c` on the focused chart draws it as the next type and the focus stays on it, again and
    /// again (issue 23, item 15).
    @Test func cCyclesTheFocusedChartsTypeAndKeepsTheFocus() throws {
        let term = ScriptedTerminal(width: 120, height: 40)
        var loop = Self.loop(term, try Self.store(Self.lines(0..<60)))
        loop.state.zoomed = false
        defer { loop.stopWorkers() }
        #expect(Self.run(&loop, term) { _, s in s.board?.spec.panes.contains { $0.title.hasPrefix("records by level") } == true })
        let k = try #require(loop.state.board?.spec.panes.firstIndex { $0.title.hasPrefix("records by level") })
        #expect(Self.run(&loop, term) { _, s in if case .chart? = s.board?.contents[safe: k] ?? nil { true } else { false } })
        term.script = Array(repeating: .key(.tab), count: k + 1)
        #expect(Self.run(&loop, term) { _, s in s.board?.focus == k })
        for kind in ["heatmap", "table", "bars"] {
            term.script = [.key(.char("c"))]
            let drawn = Self.run(&loop, term) { _, s in
                guard s.board?.focus == k, case .chart(let c)? = s.board?.contents[safe: k] ?? nil else { return false }
                return c.kindName == kind
            }
            #expect(drawn, "not a focused \(kind): focus \(loop.state.board?.focus ?? -1)")
        }
    }

    /// Records whose format gives no message (dpkg's log) show their raw line in the tail; a
    /// search and a word filter find what is shown (found in a user trial: 'no older record
    /// matches' with the word on screen).
    @Test func searchAndWordFiltersFindRecordsShownByTheirRawLine() throws {
        let text = ["startup archives unpack", "install man-db:amd64", "status half-installed man-db:amd64", "status installed man-db:amd64", "trigproc libc-bin:amd64"]
            .enumerated().map { "{\"ts\":\"2026-12-06T15:46:4\($0.offset)Z\",\"action\":\"\($0.element)\"}\n" }.joined()
        let store = try Self.store(text)
        #expect(try QueryEngine(snapshot: store.snapshot()).execute("SELECT count(message) FROM logs").rows == [[.int(0)]])
        let term = ScriptedTerminal(width: 80, height: 20)
        var loop = Self.loop(term, store)
        defer { loop.stopWorkers() }
        #expect(Self.run(&loop, term) { $0.contains("trigproc") })
        term.script = [.key(.char("/"))] + "man-db".map { .key(.char($0)) } + [.key(.enter)]
        #expect(Self.run(&loop, term) { screen, s in s.searchPlace == .init(index: 1, total: 3) && screen.contains("/man-db 1 of 3") }, "\(term.screen)")
        term.script = [.key(.char("f"))] + "installed".map { .key(.char($0)) } + [.key(.enter)]
        #expect(Self.run(&loop, term) { screen, _ in screen.contains("2 match") }, "\(term.screen)")
    }

    /// A FIFO (what `logdash <(cmd)` and a named pipe give): records written into it while the
    /// dashboard runs show in the tail (issue 23, item 1).
    @Test func recordsWrittenIntoAPipeShowInTheTail() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("logdash-loop-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let store = Store()
        let pipeline = Pipeline(store: store, load: LoadOptions())
        try pipeline.start([.files(fifo)])
        defer { pipeline.stop() }
        let writer = Thread {
            guard let h = FileHandle(forWritingAtPath: fifo) else { return }
            h.write(Data(Self.lines(0..<5, prefix: "first").utf8))
            usleep(300_000)
            h.write(Data(Self.lines(5..<10, prefix: "then").utf8))
            try? h.close()
        }
        writer.start()
        let term = ScriptedTerminal(width: 80, height: 20)
        var loop = Self.loop(term, store, pipeline: pipeline)
        defer { loop.stopWorkers() }
        #expect(Self.run(&loop, term) { $0.contains("first 4") && $0.contains("then 9") && $0.contains("10 rec") }, "\(term.screen)")
    }
}
