import Testing
@testable import LogdashEngine
@testable import LogdashUI

/// The dashboard's panes in the app: focus, zoom, drill-down, and fresh charts arriving.
@Suite struct BoardTests {
    static let t0 = Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: 0)!

    static func spec() -> DashboardSpec {
        DashboardSpec(rows: [
            .init(weight: 1, panes: [
                PaneSpec(title: "top status", sql: "SELECT status, count(*) FROM logs GROUP BY 1", kind: "hbars", field: "status"),
                PaneSpec(title: "top path", sql: "SELECT path, count(*) FROM logs GROUP BY 1", kind: "hbars", field: "path"),
            ]),
            .init(weight: 1, panes: [PaneSpec(title: "volume", sql: "SELECT 1")]),
            .init(weight: 1, panes: [PaneSpec(title: "newest records", sql: nil)]),
        ])
    }

    static func state() -> AppState {
        var s = AppState(width: 60, height: 25)
        s.rows = (0..<4).map { TailRow(ts: t0 + Int64($0) * 1_000_000_000, level: .info, host: nil, message: "record \($0)") }
        #expect(update(&s, .board(spec())) == [.reload])
        _ = update(&s, .pane(0, .chart(.hbars([Bar("200", 90), Bar("500", 7)], unit: .plain))))
        _ = update(&s, .pane(1, .chart(.hbars([Bar("/api/o'brien", 5)], unit: .plain))))
        let times = (0..<3).map { t0 + Int64($0) * 60_000_000_000 }
        _ = update(&s, .pane(2, .chart(.bars(times: times, series: [Series(name: "n", values: [1, 2, 3])], unit: .plain))))
        return s
    }

    @Test func theTailPaneHasTheFocusFirstAndItsHeightIsThePanes() {
        let s = Self.state()
        #expect(s.board?.focus == 3 && !s.tailAlone)
        #expect(s.tailHeight == s.paneRects[3].height - 2)
        let screen = DashboardView.render(s).lines
        #expect(screen.contains { $0.contains("┌ top status") } && screen.contains { $0.contains("record 3") })
        #expect(screen[24].hasPrefix(" FOLLOW"))
    }

    @Test func tabMovesTheFocusAndEnterOnABarFiltersEveryPane() {
        var s = Self.state()
        #expect(update(&s, .key(.tab)) == [.reload])
        #expect(s.board?.focus == 0)
        #expect(update(&s, .key(.down)) == [])
        let buf = DashboardView.render(s)
        #expect(buf.lines[0].contains("top status › 500"))
        #expect(buf[1, 2].style.reverse && buf[0, 0].style.role == .borderFocused)  // the picked bar's row; the focused frame
        #expect(update(&s, .key(.enter)) == [.reload])
        #expect(s.filters == ["status = 500"])
        #expect(s.whereClause == "(status = 500)")
        // A text value is quoted; Esc goes back up the stack.
        _ = update(&s, .key(.tab))
        _ = update(&s, .key(.enter))
        #expect(s.filters == ["status = 500", "path = '/api/o''brien'"])
        #expect(update(&s, .key(.escape)) == [.reload])
        #expect(s.filters == ["status = 500"])
        #expect(update(&s, .key(.backTab)) == [.reload] && s.board?.focus == 0)
    }

    @Test func enterOnATimeBucketSetsTheTimeRange() {
        var s = Self.state()
        _ = update(&s, .key(.tab)); _ = update(&s, .key(.tab)); _ = update(&s, .key(.tab))  // the volume pane
        #expect(s.board?.focus == 2)
        _ = update(&s, .key(.left))  // from the first bucket, round to the newest
        #expect(s.board?.pick == 2)
        _ = update(&s, .key(.left))
        #expect(update(&s, .key(.enter)) == [.reload])
        #expect(s.customTime?.sql == "ts >= TIMESTAMP '2026-11-27T14:01:00.000Z' AND ts < TIMESTAMP '2026-11-27T14:02:00.000Z'")
        #expect(s.whereClause?.contains("14:01:00") == true)
    }

    @Test func vPicksARangeOfBucketsAndUpDownPicksASeriesToFilterBy() {
        var s = Self.state()
        let times = (0..<4).map { Self.t0 + Int64($0) * 60_000_000_000 }
        var spec = Self.spec()
        spec.rows[1].panes[0].field = "level"
        _ = update(&s, .board(spec))
        _ = update(&s, .pane(2, .chart(.bars(times: times, series: [Series(name: "info", values: [1, 2, 3, 4]),
                                                                    Series(name: "error", values: [0, 1, 0, 2])], unit: .plain))))
        s.board!.focus = 2
        _ = update(&s, .key(.right))
        _ = update(&s, .key(.char("v")))
        _ = update(&s, .key(.right)); _ = update(&s, .key(.right))
        #expect(DashboardView.render(s).lines.contains { $0.contains("volume › 14:01 … 14:03") })
        _ = update(&s, .key(.enter))
        #expect(s.customTime?.sql == "ts >= TIMESTAMP '2026-11-27T14:01:00.000Z' AND ts < TIMESTAMP '2026-11-27T14:04:00.000Z'")
        // ↓ picks the first series, again the second; Enter filters by it.
        _ = update(&s, .pane(2, .chart(.bars(times: times, series: [Series(name: "info", values: [1, 2, 3, 4]),
                                                                    Series(name: "error", values: [0, 1, 0, 2])], unit: .plain))))
        _ = update(&s, .key(.down)); _ = update(&s, .key(.down))
        #expect(DashboardView.render(s).lines.contains { $0.contains("volume › error") })
        _ = update(&s, .key(.enter))
        #expect(s.filters == ["level = 'error'"])
    }

    @Test func zZoomsTheFocusedPaneAndTheTailZoomedIsTheTailAlone() {
        var s = Self.state()
        #expect(update(&s, .key(.char("z"))) == [.reload])
        #expect(s.tailAlone)
        #expect(s.tailHeight == 24)
        let alone = DashboardView.render(s).lines
        #expect(alone[23].contains("record 3") && !alone.contains { $0.contains("┌") })
        _ = update(&s, .key(.tab))  // the zoom follows the focus
        #expect(!s.tailAlone && s.paneRects[0] == Rect(x: 0, y: 0, width: 60, height: 24))
        #expect(DashboardView.render(s).lines[0].hasPrefix("┌ top status"))
        _ = update(&s, .key(.char("z")))
        #expect(s.paneRects[0].width == 30)
    }

    @Test func cDrawsTheFocusedChartAsTheNextTypeThatFits() {
        var s = Self.state()
        _ = update(&s, .key(.tab))  // top status: horizontal bars
        #expect(update(&s, .key(.char("c"))) == [.reload])
        #expect(s.chartKinds["top status"] == "proportion" && s.notice == "top status: proportion (c: the next type)")
        _ = update(&s, .pane(0, .chart(.proportion([Bar("200", 90), Bar("500", 7)]))))
        _ = update(&s, .key(.char("c")))
        #expect(s.chartKinds["top status"] == "table")
        _ = update(&s, .pane(0, .chart(.table(ResultSet(columns: ["status", "n"], rows: [[.int(200), .int(90)]])))))
        _ = update(&s, .key(.char("c")))
        #expect(s.chartKinds["top status"] == nil)
        _ = update(&s, .key(.tab)); _ = update(&s, .key(.tab))  // the volume bars
        _ = update(&s, .key(.char("c")))
        #expect(s.chartKinds["volume"] == "heatmap")
    }

    @Test func theMouseFocusesPicksDragsARangeAndScrollsTheTail() {
        var s = Self.state()
        s.matching = 100
        let rects = s.paneRects
        // A press on the second bar of "top status".
        let status = rects[0].inset(1)
        #expect(update(&s, .key(.mouse(x: status.x + 2, y: status.y + 1, .press))) == [.reload])
        #expect(s.board?.focus == 0 && s.board?.pick == 1)
        _ = update(&s, .key(.mouse(x: status.x + 2, y: status.y + 1, .release)))
        #expect(s.board?.anchor == nil)
        _ = update(&s, .key(.enter))
        #expect(s.filters == ["status = 500"])
        // A drag across the volume pane's three buckets.
        let volume = rects[2].inset(1)
        _ = update(&s, .key(.mouse(x: volume.x, y: volume.y + 2, .press)))
        _ = update(&s, .key(.mouse(x: volume.maxX - 1, y: volume.y + 2, .release)))
        #expect(s.board?.focus == 2 && s.board?.anchor == 0 && s.board?.pick == 2)
        // The wheel over the tail scrolls it (and pauses); elsewhere it does nothing.
        let tail = rects[3].inset(1)
        #expect(update(&s, .key(.mouse(x: tail.x + 5, y: tail.y + 1, .wheelUp))) == [.reload])
        #expect(s.scroll == 3 && !s.follow)
        #expect(update(&s, .key(.mouse(x: status.x, y: status.y, .wheelUp))) == [])
        // A quick click can arrive as a release alone: it focuses and picks all the same.
        _ = update(&s, .key(.mouse(x: status.x + 1, y: status.y, .release)))
        #expect(s.board?.focus == 0 && s.board?.pick == 0)
    }

    @Test func enterOnATableRowFiltersByItsFirstColumn() {
        var s = Self.state()
        let table = ResultSet(columns: ["path", "worst"], rows: [[.string("/a"), .double(9)], [.string("/b'c"), .double(5)], [.null, .null]])
        _ = update(&s, .pane(1, .chart(.table(table))))
        _ = update(&s, .key(.tab)); _ = update(&s, .key(.tab))  // top path, now a table
        _ = update(&s, .key(.down))
        let screen = DashboardView.render(s)
        #expect(screen.lines[0].contains("top path › /b'c"))
        let r = s.paneRects[1].inset(1)
        #expect(screen[r.x, r.y + 2].style.reverse && !screen[r.x, r.y + 1].style.reverse)
        _ = update(&s, .key(.enter))
        #expect(s.filters == ["path = '/b''c'"])  // the pane's field; without one, the column's name
        _ = update(&s, .key(.down)); _ = update(&s, .key(.down))
        _ = update(&s, .key(.enter))
        #expect(s.filters.last == "path IS NULL")
    }

    @Test func aNewSpecKeepsTheChartsOfPanesItStillHas() {
        var s = Self.state()
        var spec = Self.spec()
        spec.rows[1].panes[0].title = "volume by level"
        _ = update(&s, .board(spec))
        #expect(s.board?.contents[0] != nil && s.board?.contents[2] == nil && s.board?.focus == 3)
        #expect(DashboardView.render(s).lines.contains { $0.contains("loading…") })
    }

    @Test func theChartsKeysLeaveTheTailsKeysAlone() {
        var s = Self.state()  // the tail focused: ↑ moves the record selection
        _ = update(&s, .key(.up))
        #expect(s.cursor == 1 && !s.follow && s.board?.pick == 0)
    }
}

@Suite struct LogsFilterTests {
    @Test func theEngineFilterNarrowsEveryReadOfLogs() throws {
        let store = try parsedStore((0..<10).map { "{\"ts\":\"2026-11-27T14:00:0\($0)Z\",\"status\":\($0 < 3 ? 500 : 200)}" }.joined(separator: "\n") + "\n")
        var engine = QueryEngine(snapshot: store.snapshot())
        engine.logsFilter = try QueryEngine.filter("status >= 500")
        #expect(try engine.execute("SELECT count(*) FROM logs").rows == [[.int(3)]])
        #expect(try engine.execute("SELECT count(*) FROM logs WHERE status = 200").rows == [[.int(0)]])
        #expect(try engine.execute("WITH x AS (SELECT * FROM logs) SELECT count(*) FROM x").rows == [[.int(3)]])
        #expect(try engine.execute("SELECT count(*) FROM (SELECT status FROM logs) t").rows == [[.int(3)]])
        #expect(throws: QueryError.self) { _ = try QueryEngine.filter("status >>= 1") }
        do { _ = try QueryEngine.filter("staus = 1 and") } catch let e as QueryError { #expect(e.position == 13) }  // the end of the text
    }
}

@Suite struct AlarmPanelTests {
    static let t0 = Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: 0)!

    static func statuses() -> [AlarmReplay.Status] {
        [
            .init(name: "latency", state: .ok, value: 120, recent: [100, 130, 120], comparison: .greaterThanThreshold, threshold: 500,
                  since: t0, reason: "Threshold Crossed: 0 out of the last 3 datapoints", composite: false, asOf: t0 + 3_900_000_000_000),
            .init(name: "5xx-rate", state: .alarm, value: 46, recent: [3, nil, 33, 46], comparison: .greaterThanOrEqualToThreshold, threshold: 10,
                  since: t0 + 3_600_000_000_000, reason: "Threshold Crossed: 2 out of the last 3 datapoints", composite: false,
                  asOf: t0 + 3_900_000_000_000),
            .init(name: "api-down", state: .insufficientData, value: nil, recent: [], comparison: nil, threshold: nil, since: nil,
                  reason: "no complete period yet", composite: true, asOf: nil),
        ]
    }

    @Test func alarmsShowMostUrgentFirstWithValueSparklineAgeAndReason() {
        var buf = CellBuffer(width: 60, height: 6)
        AlarmPanel.render(Self.statuses(), into: &buf, area: Rect(x: 0, y: 0, width: 60, height: 6), glyphs: .unicode)
        let lines = buf.lines.map { String($0.reversed().drop { $0 == " " }.reversed()) }
        #expect(lines == [
            "● 5xx-rate ALARM  46 ≥ 10 ▁ ▆█ for 5m",
            "  Threshold Crossed: 2 out of the last 3 datapoints",
            "● api-down INSUFFICIENT",
            "  no complete period yet",
            "● latency  OK  120 ≤ 500 ▂▃▃ for 1h05m",  // scaled with the threshold; the relation that holds
            "  Threshold Crossed: 0 out of the last 3 datapoints",
        ])
        #expect(buf[0, 0].style.role == .alarmAlarm && buf[11, 0].style.reverse && buf[0, 4].style.role == .alarmOK)
        // One line each when the pane is short.
        var small = CellBuffer(width: 40, height: 3)
        AlarmPanel.render(Self.statuses(), into: &small, area: Rect(x: 0, y: 0, width: 40, height: 3), glyphs: .plain)
        #expect(small.lines[2].hasPrefix("* latency  OK") && small.lines.joined().unicodeScalars.allSatisfy { $0.isASCII })
    }

    /// An alarm that cannot run (a mistyped column) is shown first, in the error colour, with
    /// its problem; the others are shown as ever (issue 23, item 3).
    @Test func anAlarmThatCannotRunShowsErrorAndItsProblemAmongTheOthers() {
        var broken = AlarmReplay.Status(name: "typo", state: .insufficientData, value: nil, recent: [], comparison: .greaterThanThreshold,
                                        threshold: 500, since: nil, reason: "", composite: false, asOf: nil)
        broken.problem = "unknown column 'latncy_ms'; did you mean 'latency_ms'?"
        var buf = CellBuffer(width: 64, height: 8)
        AlarmPanel.render(Self.statuses() + [broken], into: &buf, area: Rect(x: 0, y: 0, width: 64, height: 8), glyphs: .unicode)
        let lines = buf.lines.map { String($0.reversed().drop { $0 == " " }.reversed()) }
        #expect(lines[0] == "✖ typo     ERROR")
        #expect(lines[1] == "  unknown column 'latncy_ms'; did you mean 'latency_ms'?")
        #expect(lines[2].hasPrefix("● 5xx-rate ALARM  46 ≥ 10") && lines[6].hasPrefix("● latency  OK  120 ≤ 500"))
        #expect(buf[0, 0].style.role == .error && buf[11, 0].style.role == .error && buf[2, 1].style.role == .error)
        // A narrow panel: the problem wraps, whole, when there are lines to spare.
        var narrow = CellBuffer(width: 40, height: 9)
        AlarmPanel.render(Self.statuses() + [broken], into: &narrow, area: Rect(x: 0, y: 0, width: 40, height: 9), glyphs: .unicode)
        let wrapped = narrow.lines.map { String($0.reversed().drop { $0 == " " }.reversed()) }
        #expect(wrapped[1] == "  unknown column 'latncy_ms'; did you" && wrapped[2] == "  mean 'latency_ms'?", "\(wrapped)")
        var small = CellBuffer(width: 70, height: 2)
        AlarmPanel.render(Self.statuses() + [broken], into: &small, area: Rect(x: 0, y: 0, width: 70, height: 2), glyphs: .plain)
        #expect(small.lines[0].hasPrefix("! typo     ERROR  unknown column 'latncy_ms'"))
    }

    @Test func aChangeOfStateShowsABannerRingsTheBellAndAKeyDismissesIt() {
        var s = AppState(width: 80, height: 10)
        let change = AlarmTracker.Transition(alarm: "5xx-rate", at: Self.t0 + 3_600_000_000_000, from: .ok, to: .alarm,
                                             reason: "Threshold Crossed: 2 out of the last 3 datapoints", value: 46)
        #expect(update(&s, .alarms(Self.statuses(), changes: [])) == [])
        #expect(s.banner == nil && s.alarms.count == 3)
        #expect(update(&s, .alarms(Self.statuses(), changes: [change])) == [.bell])
        let top = DashboardView.render(s).lines[0]
        #expect(top.hasPrefix(" 5xx-rate: OK → ALARM at 2026-11-27 15:00:00 — Threshold Crossed"))
        #expect(DashboardView.render(s)[0, 0].style.role == .alarmAlarm)
        #expect(update(&s, .key(.char("q"))) == [] && s.banner == nil && !s.quit)  // the key only dismisses it
    }

    static func boardWithAlarms() -> AppState {
        var s = AppState(width: 80, height: 20)
        var alarmsPane = PaneSpec(title: "alarms", sql: nil)
        alarmsPane.alarms = true
        s.board = .init(spec: DashboardSpec(rows: [.init(panes: [alarmsPane]), .init(panes: [PaneSpec(title: "newest records", sql: nil)])]))
        s.board!.focus = 0
        s.status.clock = t0 + 4_000_000_000_000
        _ = update(&s, .alarms(statuses(), changes: []))
        s.alarmDrills["5xx-rate"] = .init(filter: "status >= 500", window: 3 * 300_000_000_000)
        return s
    }

    @Test func theSparklineIsScaledWithTheThresholdAndBreachingPeriodsTakeTheAlarmColour() {
        var buf = CellBuffer(width: 60, height: 6)
        AlarmPanel.render(Self.statuses(), into: &buf, area: Rect(x: 0, y: 0, width: 60, height: 6), glyphs: .unicode)
        // 5xx-rate (≥ 10): 3 is below, 33 and 46 breach; latency's 100–130 sit low under its 500.
        let row = buf.lines[0], x = Array(row).firstIndex(of: "▁")!
        #expect(buf[x, 0].style.role == .alarmOK && buf[x + 2, 0].style.role == .alarmAlarm && buf[x + 3, 0].style.role == .alarmAlarm)
        #expect(buf.lines[4].contains("120 ≤ 500 ▂▃▃"))
    }

    @Test func arrowsPickAnAlarmAndEnterShowsTheRecordsBehindItInItsBreachingWindow() {
        var s = Self.boardWithAlarms()
        #expect(DashboardView.render(s).lines.contains { $0.contains("5xx-rate") })
        _ = update(&s, .key(.down))
        _ = update(&s, .key(.up))
        #expect(s.board!.pick == 0)  // 5xx-rate, the most urgent
        #expect(update(&s, .key(.enter)) == [.reload])
        #expect(s.filters == ["status >= 500"])
        // From its window before it went off (15:00 less 15 minutes) to the last period's end.
        #expect(s.customTime?.sql == "ts >= TIMESTAMP '2026-11-27T14:45:00.000Z' AND ts < TIMESTAMP '2026-11-27T15:05:00.000Z'")
        #expect(s.customTime?.label == "5xx-rate: 2026-11-27 14:45:00 … 2026-11-27 15:05:00")
    }

    @Test func aMutedAlarmIsStillShownButItsChangesRingNoBell() {
        var s = Self.boardWithAlarms()
        _ = update(&s, .key(.char("m")))
        #expect(s.alarmMutes["5xx-rate"] == s.status.clock + 900_000_000_000)
        _ = update(&s, .key(.char("m")))
        #expect(s.alarmMutes["5xx-rate"] == s.status.clock + 3_600_000_000_000)
        #expect(DashboardView.render(s).lines.contains { $0.contains("5xx-rate") && $0.contains("muted 1h00m") })
        let change = AlarmTracker.Transition(alarm: "5xx-rate", at: Self.t0, from: .alarm, to: .ok, reason: "r", value: 1)
        #expect(update(&s, .alarms(Self.statuses(), changes: [change])) == [] && s.banner == nil)
        // Past the mute, a change rings again.
        s.status.clock += 3_700_000_000_000
        #expect(update(&s, .alarms(Self.statuses(), changes: [change])) == [.bell])
        #expect(s.alarmMutes.isEmpty)
        _ = update(&s, .key(.char("x")))  // dismisses the banner
        _ = update(&s, .key(.char("m"))); _ = update(&s, .key(.char("m"))); _ = update(&s, .key(.char("m"))); _ = update(&s, .key(.char("m")))
        #expect(s.alarmMutes.isEmpty)  // 15m, 1h, 8h, then not muted
    }

    @Test func anAcknowledgedAlarmIsQuietUntilItsNextChange() {
        var s = Self.boardWithAlarms()
        _ = update(&s, .key(.char("A")))
        #expect(s.alarmAcks == ["5xx-rate"])
        #expect(DashboardView.render(s).lines.contains { $0.contains("5xx-rate") && $0.contains("acknowledged") })
        let change = AlarmTracker.Transition(alarm: "5xx-rate", at: Self.t0, from: .alarm, to: .ok, reason: "r", value: 1)
        #expect(update(&s, .alarms(Self.statuses(), changes: [change])) == [.bell])  // its next change is news again
        #expect(s.alarmAcks.isEmpty)
    }

    @Test func shiftHOpensTheAlarmsHistoryInTheQueryPane() {
        var s = Self.boardWithAlarms()
        #expect(update(&s, .key(.char("H"))) == [.runQuery("SELECT ts, old_state, new_state, reason FROM alarm_history WHERE alarm = '5xx-rate' ORDER BY ts DESC")])
        #expect(s.queryOpen)
    }
}
