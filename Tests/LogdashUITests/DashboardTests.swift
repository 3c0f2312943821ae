import Testing
@testable import LogdashEngine
@testable import LogdashUI

@Suite struct CellBufferTests {
    @Test func wideCharactersTakeTwoCellsAndClipAtTheEdge() {
        var b = CellBuffer(width: 8, height: 1)
        let end = b.put("a搜索b", x: 0, y: 0, style: Style(.text))
        #expect(end == 6)
        #expect(b.lines == ["a搜索b  "])
        var c = CellBuffer(width: 4, height: 1)
        c.put("ab搜索", x: 0, y: 0, style: Style(.text))
        #expect(c.lines == ["ab搜"])  // the second wide character does not fit
    }

    @Test func textFromLogsIsMadeVisibleNotSent() {
        var b = CellBuffer(width: 30, height: 1)
        b.put("\u{1B}]0;pwned\u{07} hi\u{1B}[2J", x: 0, y: 0, style: Style(.text))
        #expect(b.lines[0].hasPrefix("^[]0;pwned^G hi^[[2J"))
        #expect(!b.cells.contains { $0.text.unicodeScalars.contains { $0.value < 0x20 } })
    }

    @Test func combiningMarksTakeNoColumn() {
        #expect(DisplayWidth.of("e\u{301}") == 1)
        #expect(DisplayWidth.of("🚀") == 2)
        #expect(DisplayWidth.of("café") == 4)
    }
}

@Suite struct DashboardViewTests {
    static let t0 = Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 3, second: 7, nanos: 250_000_000)!

    func state(_ w: Int, _ h: Int) -> AppState {
        var s = AppState(width: w, height: h)
        s.rows = [
            TailRow(ts: Self.t0, level: .info, host: "web-1", message: "GET /api/cart"),
            TailRow(ts: Self.t0 + 1_000_000_000, level: .error, host: "web-2", message: "upstream timeout\n\tat x"),
        ]
        s.matching = 2
        s.status.sources = ["app.log"]
        s.status.records = 2
        s.status.recordsPerSecond = 12
        s.status.clock = Self.t0
        return s
    }

    /// Times are shown in the zone the status bar names — the tail, the charts' labels, the
    /// status bar's clock — and `u` switches between the machine's zone and UTC (issue 23, item 12).
    @Test func timesAreShownInTheLocalZoneTheStatusBarNamesAndUSwitches() throws {
        var s = state(70, 4)
        let berlin = try #require(LocalZone("Europe/Berlin"))
        s.localZone = ShownZone(berlin)
        s.zone = s.localZone
        var lines = DashboardView.render(s).lines
        #expect(lines[1].hasPrefix("15:03:07.250 INFO") && lines[3].hasSuffix("15:03:07 UTC+1 "), "\(lines)")
        #expect(update(&s, .key(.char("u"))) == [] && s.zone.isUTC && s.notice?.contains("UTC") == true)
        s.notice = nil
        lines = DashboardView.render(s).lines
        #expect(lines[1].hasPrefix("14:03:07.250 INFO") && lines[3].hasSuffix("14:03:07 UTC "), "\(lines)")
        _ = update(&s, .key(.char("u")))
        #expect(s.zone == s.localZone)
        // Summer: CEST, +2.
        let july = Timestamp.make(year: 2026, month: 7, day: 1, hour: 12, minute: 0, second: 0)!
        #expect(s.zone.text(july, fractionDigits: 0) == "2026-07-01 14:00:00" && ["CEST", "UTC+2"].contains(s.zone.abbreviation(at: july)))
        #expect(s.zone.iso(july) == "2026-07-01T14:00:00.000+02:00")
        #expect(Ticks.timeLabel(july, span: 3_600_000_000_000, zone: s.zone) == "14:00")
        // A time typed in `:time` is read in the zone shown.
        let typed = try #require(customTime("2026-07-01 14:00..2026-07-01 15:00", zone: s.zone) ?? nil)
        #expect(typed.sql == "ts BETWEEN TIMESTAMP '2026-07-01T12:00:00.000Z' AND TIMESTAMP '2026-07-01T13:00:00.000Z'")
    }

    /// Information is not drawn as an error: a hint or "marked" in the accent colour, a rejected
    /// filter or a failed save in the error style (found in a user trial: every notice was red).
    @Test func onlyProblemsAreDrawnInTheErrorStyle() {
        var s = state(70, 6)
        s.notice = "marked; ' jumps between the 1 mark"
        #expect(DashboardView.render(s)[0, 4].style.role == .accent)
        _ = update(&s, .filterRejected("unknown column 'statuz'"))
        #expect(s.noticeIsError && DashboardView.render(s).cells.contains { $0.style.role == .error })
        s.notice = "theme: light"
        #expect(!s.noticeIsError)
    }

    /// Records of several days on screen show their dates (alternatives.log: 14:42 of one day
    /// then 07:29 of the next read as disorder); one day's show the clock to the millisecond.
    @Test func recordsOfSeveralDaysShowTheirDates() {
        var s = state(70, 4)
        s.rows[0].ts = Self.t0 - 86_400_000_000_000
        let lines = DashboardView.render(s).lines
        #expect(lines[1].hasPrefix("11-26 14:03:07 INFO") && lines[2].hasPrefix("11-27 14:03:08 ERROR"), "\(lines)")
        #expect(DashboardView.render(state(70, 4)).lines[1].hasPrefix("14:03:07.250 INFO"))
    }

    @Test func tailNewestAtTheBottomWithStatusBar() {
        let buf = DashboardView.render(state(70, 4))
        #expect(buf.lines == [
            String(repeating: " ", count: 70),
            "14:03:07.250 INFO  web-1 GET /api/cart".padding(toLength: 70, withPad: " ", startingAt: 0),
            "14:03:08.250 ERROR web-2 upstream timeout".padding(toLength: 70, withPad: " ", startingAt: 0),
            (" FOLLOW │ app.log │ 2 rec │ 12/s".padding(toLength: 57, withPad: " ", startingAt: 0) + "14:03:07 UTC "),
        ])
        #expect(buf[13, 2].style.role == .levelError)
        #expect(buf[0, 3].style.reverse)
    }

    @Test func severalSourcesShowEachOnesRate() {
        var s = state(100, 3)
        s.status.sources = ["app.log", "syslog://127.0.0.1:5514"]
        s.status.sourceRates = [3, 45_600]
        s.status.recordsPerSecond = 45_603
        let bar = DashboardView.render(s).lines[2]
        #expect(bar.hasPrefix(" FOLLOW │ app.log 3/s · syslog://127.0.0.1:5514 45.6k/s │ 2 rec │ 45.6k/s"))
    }

    @Test func narrowTerminalsDropTheHostAndStillFit() {
        let buf = DashboardView.render(state(40, 3))
        #expect(buf.lines[1] == "14:03:08.250 ERROR upstream timeout".padding(toLength: 40, withPad: " ", startingAt: 0))
        #expect(buf.lines.allSatisfy { DisplayWidth.of($0) == 40 })
    }

    @Test func wrappingPutsLongMessagesOnFollowingLinesAndCutsTheOldestAtTheTop() {
        var s = AppState(width: 40, height: 5)
        s.rows = [
            TailRow(ts: Self.t0, level: .info, host: nil, message: "first record"),
            TailRow(ts: Self.t0, level: .warn, host: nil, message: "abcdefghijklmnopqrstuvwxyz0123456789"),
        ]
        _ = update(&s, .key(.char("w")))
        let lines = DashboardView.render(s).lines  // four tail lines, bottom-aligned
        #expect(lines[0] == String(repeating: " ", count: 40))
        #expect(lines[1] == "14:03:07.250 INFO  first record".padding(toLength: 40, withPad: " ", startingAt: 0))
        #expect(lines[2] == "14:03:07.250 WARN  abcdefghijklmnopqrstu")
        #expect(lines[3] == "                   vwxyz0123456789".padding(toLength: 40, withPad: " ", startingAt: 0))
        var small = s
        small.height = 3
        let cut = DashboardView.render(small).lines
        #expect(cut[0].hasPrefix("14:03:07.250 WARN  abcdef"))  // the newest record keeps its lines
        #expect(cut[1].hasPrefix("                   vwxyz"))
    }

    @Test func sidewaysScrollAndRelativeTimes() {
        var s = AppState(width: 40, height: 2)
        s.status.clock = Self.t0 + 125_500_000_000
        s.rows = [TailRow(ts: Self.t0, level: .error, host: nil, message: "0123456789abcdefghij")]
        _ = update(&s, .key(.right))
        _ = update(&s, .key(.char("r")))
        #expect(DashboardView.render(s).lines[0] == "-2m05s       ERROR 89abcdefghij".padding(toLength: 40, withPad: " ", startingAt: 0))
        _ = update(&s, .key(.left))
        _ = update(&s, .key(.left))
        #expect(s.hscroll == 0)
        #expect(TailView.time(Self.t0, Self.t0 + 3_000_000_000).hasPrefix("-3.0s"))
        #expect(TailView.time(Self.t0, Self.t0 + 7_500 * 1_000_000_000).hasPrefix("-2h05m"))
        #expect(TailView.time(Self.t0, Self.t0 + 200_000 * 1_000_000_000).hasPrefix("-2d07h"))
    }

    @Test func filterBarShowsTheTextAndACursor() {
        var s = state(50, 4)
        _ = update(&s, .key(.char("f")))
        for c in "status >= 500" { _ = update(&s, .key(.char(c))) }
        let buf = DashboardView.render(s)
        #expect(buf.lines[2].hasPrefix("filter: status >= 500 "))
        #expect(buf[21, 2].style.reverse)
        #expect(s.tailHeight == 2)
    }
}

@Suite struct UpdateTests {
    @Test func shiftQQuitsAndQOpensTheQueryPane() {
        var s = AppState(width: 80, height: 24)
        #expect(update(&s, .key(.char("q"))) == [] && s.queryOpen && !s.quit)
        _ = update(&s, .key(.escape))
        #expect(!s.queryOpen)
        #expect(update(&s, .key(.char("Q"))) == [.quit])
        #expect(s.quit)
    }

    @Test func scrollingUpPausesAndEndFollowsAgain() {
        var s = AppState(width: 80, height: 11)
        s.matching = 100
        #expect(update(&s, .key(.up)) == [.reload])
        #expect(!s.follow && s.scroll == 1)
        _ = update(&s, .key(.pageUp))
        #expect(s.scroll == 10)
        _ = update(&s, .key(.char("g")))
        #expect(s.scroll == 90)  // the oldest record at the top
        _ = update(&s, .key(.up))
        #expect(s.scroll == 90)
        _ = update(&s, .key(.char("G")))
        #expect(s.follow && s.scroll == 0)
        _ = update(&s, .key(.down))
        #expect(s.follow && s.scroll == 0)
    }

    func typeFilter(_ s: inout AppState, _ text: String) {
        _ = update(&s, .key(.char("f")))
        for c in text { _ = update(&s, .key(.char(c))) }
        _ = update(&s, .key(.enter))
    }

    @Test func eachFilterNarrowsAndEscapePopsOne() {
        var s = AppState(width: 80, height: 24)
        _ = update(&s, .key(.char("f")))
        for c in "level = 'error'" { _ = update(&s, .key(.char(c))) }
        _ = update(&s, .key(.backspace))
        _ = update(&s, .key(.char("'")))
        #expect(update(&s, .key(.enter)) == [.reload])
        typeFilter(&s, "timeout")
        #expect(s.filters == ["level = 'error'", "timeout"])
        #expect(s.whereClause == "(level = 'error') AND ((message ILIKE '%timeout%' OR (message IS NULL AND raw ILIKE '%timeout%')))")
        var wide = s
        wide.width = 100
        #expect(DashboardView.render(wide).lines[23].contains("filter: level = 'error' › timeout"))
        #expect(update(&s, .key(.escape)) == [.reload])
        #expect(s.filters == ["level = 'error'"])
        _ = update(&s, .key(.char("f")))
        #expect(update(&s, .key(.backspace)) == [.reload])  // Backspace on an empty bar pops one
        #expect(s.filters.isEmpty)
        #expect(update(&s, .key(.escape)) == [])  // closes the bar
        #expect(update(&s, .key(.escape)) == [])  // nothing left to pop
    }

    @Test func upAndDownInTheBarWalkTheHistory() {
        var s = AppState(width: 80, height: 24)
        typeFilter(&s, "a = 1")
        typeFilter(&s, "b = 2")
        typeFilter(&s, "a = 1")  // used again: moves to the end, once
        #expect(s.history == ["b = 2", "a = 1"])
        _ = update(&s, .key(.char("f")))
        _ = update(&s, .key(.up))
        #expect(s.input == "a = 1")
        _ = update(&s, .key(.up))
        #expect(s.input == "b = 2")
        _ = update(&s, .key(.up))
        #expect(s.input == "b = 2")
        _ = update(&s, .key(.down))
        #expect(s.input == "a = 1")
        _ = update(&s, .key(.down))
        #expect(s.input == "")
    }

    @Test func aRejectedFilterShowsItsErrorAboveTheReopenedBar() {
        var s = AppState(width: 60, height: 5)
        s.input = "staus > 1"
        _ = update(&s, .filterRejected("unknown column 'staus'"))
        let buf = DashboardView.render(s)
        #expect(buf.lines[2].hasPrefix("unknown column 'staus'"))
        #expect(buf.lines[3].hasPrefix("filter: staus > 1"))
        #expect(s.tailHeight == 2)
    }

    @Test func aRejectedFilterReopensTheBarWithTheError() {
        var s = AppState(width: 80, height: 24)
        s.input = "staus > 1"  // as the program reopens it, with the rejected text
        _ = update(&s, .filterRejected("unknown column 'staus'; did you mean 'status'?"))
        #expect(s.notice?.contains("did you mean") == true)
        #expect(s.input == "staus > 1")
        _ = update(&s, .key(.char(" ")))
        #expect(s.notice == nil)
    }

    @Test func levelKeysAndTimeRangeComposeWithTheFilter() {
        var s = AppState(width: 80, height: 24)
        #expect(s.whereClause == nil)
        #expect(update(&s, .key(.char("4"))) == [.reload])
        #expect(s.whereClause == "level IN ('warn', 'error', 'critical', 'fatal')")
        _ = update(&s, .key(.char("t")))
        _ = update(&s, .key(.char("t")))
        #expect(s.timeRange == .last15m)
        s.filters = ["timeout"]
        #expect(s.whereClause == "((message ILIKE '%timeout%' OR (message IS NULL AND raw ILIKE '%timeout%'))) AND level IN ('warn', 'error', 'critical', 'fatal') AND ts >= now() - INTERVAL '15' MINUTE")
        _ = update(&s, .key(.char("1")))
        for _ in 0..<3 { _ = update(&s, .key(.char("t"))) }
        #expect(s.timeRange == .all)
        #expect(s.whereClause == "((message ILIKE '%timeout%' OR (message IS NULL AND raw ILIKE '%timeout%')))")
    }

    /// `t` on a file from yesterday: the range is the data's last 15 minutes, not the clock's
    /// (which hold nothing), and the status bar says so (issue 23, item 4).
    @Test func aTimeRangeOnHistoricalDataEndsAtItsNewestRecordAndSaysSo() {
        var s = AppState(width: 100, height: 24)
        let newest = Timestamp.make(year: 2026, month: 11, day: 27, hour: 23, minute: 59, second: 16)!
        s.status.newest = newest
        s.status.clock = newest + 86_400_000_000_000
        _ = update(&s, .key(.char("t")))
        _ = update(&s, .key(.char("t")))
        #expect(s.timeRangeEnd == newest)
        #expect(s.whereClause == "ts >= TIMESTAMP '2026-11-27T23:44:16.000Z'")
        #expect(DashboardView.render(s).lines.last!.contains("last 15m of the data, to 11-27 23:59"))
        // Live data (its newest record within the range): the range ends now.
        s.status.newest = s.status.clock - 60_000_000_000
        #expect(s.timeRangeEnd == nil && s.whereClause == "ts >= now() - INTERVAL '15' MINUTE")
        #expect(DashboardView.render(s).lines.last!.contains("last 15m │"))
    }

    /// A long filter gives way in the status bar: the match count, the state and the clock are
    /// never cut (issue 23, item 13).
    @Test func aLongFilterIsShortenedNotTheMatchCountOrTheClock() {
        var s = AppState(width: 80, height: 24)
        s.status.sources = ["/var/log/nginx/access.log"]
        s.status.records = 123_456
        s.filters = ["status >= 500 and path like '/api/v2/checkout/%' and user_agent not like '%bot%' and latency_ms > 250"]
        s.matching = 98_765
        s.status.busy = true
        for width in [120, 80, 60] {
            s.width = width
            var b = CellBuffer(width: width, height: 1)
            StatusBar.render(s, into: &b, y: 0)
            let bar = b.lines[0]
            #expect(bar.contains("98765 match") && bar.contains("querying…") && bar.contains("FOLLOW") && bar.contains("123456 rec"), "\(bar)")
            #expect(bar.hasSuffix(String(TailView.clock(s.status.clock).prefix(8)) + " UTC "), "\(bar)")
            if width == 120 { #expect(bar.contains("filter: status >= 500") && bar.contains("…"), "\(bar)") }
        }
    }

    @Test func timeCommandSetsACustomRangeAndTClearsIt() {
        var s = AppState(width: 100, height: 24)
        func command(_ text: String) -> [Effect] {
            _ = update(&s, .key(.char(":")))
            for c in text { _ = update(&s, .key(.char(c))) }
            return update(&s, .key(.enter))
        }
        #expect(command("time 2h") == [.reload])
        #expect(s.whereClause == "ts >= now() - INTERVAL '2' HOUR")
        #expect(command("time 2026-11-27T14:00:00Z 2026-11-27 15:30") == [.reload])
        #expect(s.whereClause == "ts BETWEEN TIMESTAMP '2026-11-27T14:00:00.000Z' AND TIMESTAMP '2026-11-27T15:30:00.000Z'")
        var b = CellBuffer(width: 100, height: 1)
        StatusBar.render(s, into: &b, y: 0)
        #expect(b.lines[0].contains("2026-11-27 14:00:00 … 2026-11-27 15:30:00"))
        #expect(command("time yesterday") == [])
        #expect(s.notice?.contains("give an age (30m, 2h, 7d)") == true)
        #expect(s.customTime != nil)  // unchanged
        #expect(command("time 2026-11-27T15:00 .. 2026-11-27T14:00") == [])  // backwards
        _ = update(&s, .key(.char("t")))
        #expect(s.customTime == nil && s.timeRange == .all && s.whereClause == nil)
        #expect(command("time 15m") == [.reload])
        #expect(command("time all") == [.reload])
        #expect(s.whereClause == nil)
    }

    /// At 80×24 the help scrolls (↓ PgDn), and every binding is shown whole, its description
    /// wrapped rather than cut (issue 23, item 16); any other key closes it.
    @Test func questionMarkShowsEveryBindingWholeScrollingAndAnyOtherKeyClosesIt() {
        var s = AppState(width: 80, height: 24)
        _ = update(&s, .key(.char("?")))
        var seen: [String] = []
        for _ in 0..<20 {
            let lines = DashboardView.render(s).lines
            #expect(lines[0].hasPrefix(" logdash — keys"))
            seen += lines
            _ = update(&s, .key(.pageDown))
            #expect(s.showHelp)
        }
        let text = seen.joined(separator: "\n")
        for (keys, what) in HelpView.bindings {
            #expect(seen.contains { $0.contains(keys) }, "\(keys)")
            // Every word of the description is on screen at some scroll (the wrapped lines joined).
            for word in what.split(separator: " ") { #expect(text.contains(word), "\(keys): \(word)") }
        }
        #expect(HelpView.bindings.contains { $0.0.contains("a") && $0.1.contains("alarm on the query") })
        #expect(seen.contains { $0.contains("any other key closes") })
        #expect(update(&s, .key(.char("q"))) == [])  // the key only closes the help, it does not quit
        #expect(!s.showHelp && !s.quit && s.helpTop == 0)
    }

    @Test func colonCommandsFilterSwitchThemesAndQuit() {
        var s = AppState(width: 60, height: 6)
        func run(_ text: String) -> [Effect] {
            _ = update(&s, .key(.char(":")))
            for c in text { _ = update(&s, .key(.char(c))) }
            return update(&s, .key(.enter))
        }
        _ = update(&s, .key(.char(":")))
        _ = update(&s, .key(.char("t")))
        #expect(DashboardView.render(s).lines[4].hasPrefix(":t "))
        _ = update(&s, .key(.escape))
        #expect(run("filter status >= 500") == [.reload])
        #expect(s.filters == ["status >= 500"])
        #expect(run("theme nord") == [.theme("nord")])
        #expect(run("frobnicate") == [])
        #expect(s.notice?.hasPrefix("unknown command ':frobnicate'") == true)
        #expect(run("q") == [.quit])
        #expect(s.quit)
    }

    @Test func slashSearchesAndNMovesBetweenMatches() {
        var s = AppState(width: 60, height: 6)
        s.rows = [TailRow(ts: 0, level: .error, host: nil, message: "upstream Timeout after timeout")]
        #expect(update(&s, .key(.char("n"))) == [])  // no search yet
        _ = update(&s, .key(.char("/")))
        for c in "timeout" { _ = update(&s, .key(.char(c))) }
        #expect(DashboardView.render(s).lines[4].hasPrefix("/timeout "))
        #expect(update(&s, .key(.enter)) == [.find(older: true)])
        #expect(s.search == "timeout" && s.searchInput == nil)
        #expect(update(&s, .key(.char("n"))) == [.find(older: true)])
        #expect(update(&s, .key(.char("N"))) == [.find(older: false)])
        let buf = DashboardView.render(s)
        let row = buf.lines.firstIndex { $0.contains("upstream") }!
        let start = buf.lines[row].range(of: "Timeout")!.lowerBound.utf16Offset(in: buf.lines[row])
        #expect(buf[start, row].style.reverse && buf[start + 6, row].style.reverse)
        #expect(!buf[start - 2, row].style.reverse)
        #expect(buf.lines[row].contains("ERROR upstream Timeout after timeout"))
        _ = update(&s, .key(.char("/")))
        for _ in 0..<7 { _ = update(&s, .key(.backspace)) }
        #expect(update(&s, .key(.enter)) == [])  // an empty search clears it
        #expect(s.search == nil)
    }

    @Test func enterAsksForTheRecordsFieldsAndAnyKeyClosesThem() {
        var s = AppState(width: 50, height: 8)
        #expect(update(&s, .key(.enter)) == [])  // nothing to show yet
        s.rows = [TailRow(ts: 0, level: .info, host: nil, message: "m")]
        #expect(update(&s, .key(.enter)) == [.detail])
        #expect(update(&s, .key(.char("y"))) == [.copy])
        _ = update(&s, .detail([.init("level", "info"), .init("raw", "{\n  \"a\" : 1\n}"), .init("status", "200")]))
        let lines = DashboardView.render(s).lines
        #expect(lines[0].hasPrefix(" level   info"))
        #expect(lines[1].hasPrefix(" raw     {"))
        #expect(lines[2].hasPrefix("           \"a\" : 1"))
        #expect(lines[4].hasPrefix(" status  200"))
        #expect(update(&s, .key(.char("q"))) == [])  // closes the detail; does not quit
        #expect(s.detail == nil && !s.quit)
    }

    @Test func filterTextIsAnExpressionOrWords() {
        #expect(FilterText.whereClause("status >= 500") == "status >= 500")
        #expect(FilterText.whereClause("level in ('error', 'warn')") == "level in ('error', 'warn')")
        #expect(FilterText.whereClause("upstream timeout") == "(message ILIKE '%upstream%' OR (message IS NULL AND raw ILIKE '%upstream%')) AND " + FilterText.contains("timeout"))
        #expect(FilterText.whereClause("o'brien") == "o'brien")  // a quote: treated as SQL, the engine says what is wrong
    }
}

@Suite struct MessageHighlighterTests {
    /// The role of each character of `text`, as runs: `[("status", .fieldKey), …]` without plain text.
    func runs(_ text: String) -> [(String, StyleRole)] {
        let chars = Array(text)
        let roles = MessageHighlighter.roles(chars)
        var out: [(String, StyleRole)] = []
        var i = 0
        while i < chars.count {
            var j = i + 1
            while j < chars.count && roles[j] == roles[i] { j += 1 }
            if roles[i] != .text { out.append((String(chars[i..<j]), roles[i])) }
            i = j
        }
        return out
    }

    @Test func keysNumbersStringsAndAddressesAreColoured() {
        let r = runs(#"status=503 latency_ms=12.5 ip=10.0.0.1 user="bob smith" took 250ms in v2"#)
        #expect(r.map(\.0) == ["status", "503", "latency_ms", "12.5", "ip", "10.0.0.1", "user", "\"bob smith\"", "250ms"])
        #expect(r.map(\.1) == [.fieldKey, .levelError, .fieldKey, .fieldNumber, .fieldKey, .fieldIP, .fieldKey, .fieldString, .fieldNumber])
    }

    @Test func statusCodesTakeTheColourOfTheirClass() {
        #expect(runs(#""GET /a HTTP/1.1" 404 12"#).map(\.1) == [.fieldString, .levelWarn, .fieldNumber])
        #expect(runs("upstream answered HTTP/2 302").map(\.1) == [.levelNotice])
        #expect(runs("code: 201 after 3 tries").map(\.1) == [.fieldKey, .levelInfo, .fieldNumber])
        #expect(runs("request_id=503abc count=503").map(\.1) == [.fieldKey, .fieldKey, .fieldNumber])  // 503abc is no number
    }

    @Test func aSearchMatchIsShownOverTheColours() {
        var b = CellBuffer(width: 30, height: 1)
        TailView.putHighlighted("status=503 slow", x: 0, y: 0, term: "503 SL", into: &b)
        #expect(b.lines == ["status=503 slow               "])
        #expect(b[0, 0].style == Style(.fieldKey))
        #expect(b[7, 0].style == Style(.selection, reverse: true))
        #expect(b[12, 0].style == Style(.selection, reverse: true))
        #expect(b[13, 0].style == Style(.text))
    }
}

@Suite struct MarkTests {
    func state(_ times: [Int64]) -> AppState {
        var s = AppState(width: 80, height: 10)
        s.rows = times.map { TailRow(ts: $0, level: .info, host: nil, message: "at \($0)") }
        return s
    }

    @Test func mMarksTheBottomRecordAndQuoteJumpsToTheNextOlderMarkRoundTheEnd() {
        var s = state([10, 20, 30])
        #expect(update(&s, .key(.char("'"))) == [])
        #expect(s.notice?.contains("no marks") == true)
        #expect(update(&s, .key(.char("m"))) == [])
        #expect(s.marks == [AppState.Mark(ts: 30, message: "at 30")])
        s.rows = [TailRow(ts: 5, level: nil, host: nil, message: "at 5"), TailRow(ts: 20, level: nil, host: nil, message: "at 20")]
        _ = update(&s, .key(.char("m")))
        #expect(s.marks.map(\.ts) == [20, 30])
        // Bottom at 20: the next older mark is none, so round to the newest.
        #expect(update(&s, .key(.char("'"))) == [.scrollTo(ts: 30, message: "at 30")])
        s.rows = [TailRow(ts: 30, level: nil, host: nil, message: "at 30")]
        #expect(update(&s, .key(.char("'"))) == [.scrollTo(ts: 20, message: "at 20")])
        _ = update(&s, .key(.char("m")))  // unmark 30
        #expect(s.marks.map(\.ts) == [20])
    }

    @Test func markedRecordsShowTheirTimeInTheSelectionStyle() {
        var b = CellBuffer(width: 60, height: 2)
        let rows = [TailRow(ts: 1_000_000_000, level: .info, host: nil, message: "plain"),
                    TailRow(ts: 2_000_000_000, level: .info, host: nil, message: "marked")]
        TailView.render(rows, into: &b, top: 0, height: 2, options: .init(marks: [AppState.Mark(ts: 2_000_000_000, message: "marked")]))
        #expect(b[0, 0].style == Style(.dim))
        #expect(b[0, 1].style == Style(.selection, reverse: true))
    }
}

@Suite struct CursorTests {
    func state() -> AppState {
        var s = AppState(width: 60, height: 5)  // four rows of tail
        s.rows = (0..<4).map { TailRow(ts: Int64($0) * 1_000_000_000, level: .info, host: nil, message: "record \($0)") }
        s.matching = 100
        return s
    }

    @Test func upMovesTheSelectionThenScrollsAtTheTop() {
        var s = state()
        #expect(s.selected?.message == "record 3")
        #expect(update(&s, .key(.up)) == [])
        #expect(s.cursor == 1 && s.scroll == 0 && !s.follow)
        #expect(s.selected?.message == "record 2")
        _ = update(&s, .key(.char("k")))
        _ = update(&s, .key(.char("k")))
        #expect(s.cursor == 3)
        #expect(update(&s, .key(.up)) == [.reload])  // at the top: the view scrolls
        #expect(s.cursor == 3 && s.scroll == 1)
        #expect(DashboardView.render(s).lines[4].hasPrefix(" PAUSED +4"))
        _ = update(&s, .key(.down))
        #expect(s.cursor == 2 && s.scroll == 1)
        _ = update(&s, .key(.char("G")))
        #expect(s.cursor == 0 && s.scroll == 0 && s.follow)
    }

    @Test func markAndTheSelectedRowsLookActOnTheSelection() {
        var s = state()
        _ = update(&s, .key(.up))
        _ = update(&s, .key(.char("m")))
        #expect(s.marks == [AppState.Mark(ts: 2_000_000_000, message: "record 2")])
        s.notice = nil  // the tail's four lines again
        let buf = DashboardView.render(s)
        #expect(buf[13, 2].style.reverse)   // record 2's level: selected
        #expect(!buf[13, 3].style.reverse)
    }

    @Test func aPausedViewStaysPutAsRecordsArrive() {
        var s = state()
        _ = update(&s, .key(.up))
        let rows = s.rows
        #expect(update(&s, .data(rows: rows, matching: 103, status: s.status)) == [.reload])
        #expect(s.scroll == 3)  // three newer records: the same ones stay in view
        var following = state()
        #expect(update(&following, .data(rows: rows, matching: 103, status: following.status)) == [])
        #expect(following.scroll == 0)
    }

    /// Older records (a big file's history loading) as well as newer ones: the engine finds
    /// where the paused view's bottom record now is, and the view takes that offset.
    @Test func aPausedViewTakesTheOffsetFoundForItsBottomRecord() {
        var s = state()
        _ = update(&s, .key(.up))
        #expect(s.anchor == s.rows.last?.ts)
        let rows = s.rows
        #expect(update(&s, .data(rows: rows, matching: 5000, status: s.status, offset: 7)) == [])
        #expect(s.scroll == 7)
        var following = state()
        #expect(following.anchor == nil)
        _ = update(&following, .data(rows: rows, matching: 5000, status: following.status, offset: 7))
        #expect(following.scroll == 0)
    }
}
