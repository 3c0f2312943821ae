import Testing
@testable import LogdashEngine
@testable import LogdashUI

@Suite struct DashboardFileTests {
    static let good = """
        dashboards:
          - name: web
            rows:
              - height: 5
                panes:
                  - title: requests/min
                    sql: SELECT date_trunc('minute', ts) t, count(*) n FROM logs GROUP BY 1 ORDER BY 1
                    chart: kpi
                  - title: top paths
                    sql: SELECT "http.path", count(*) FROM logs GROUP BY 1 ORDER BY 2 DESC LIMIT 5
                    field: http.path
                    width: 2
                    refresh: 10s
              - weight: 3
                panes:
                  - tail: true
          - name: errors
            rows:
              - panes:
                  - sql: SELECT service, count(*) FROM logs WHERE level = 'error' GROUP BY 1
        """

    /// `:save` writes dashboards as YAML that loads back as the same dashboards.
    @Test func dashboardsWrittenAsYAMLLoadBackTheSame() throws {
        var specs = try DashboardFile.parse(yaml: Self.good, file: "d.yaml")
        var pinned = PaneSpec(title: "pinned 1: SELECT 'it''s', x FROM logs", sql: "SELECT 'it''s' q,\n  count(*) FROM logs WHERE \"http.status\" >= 500")
        pinned.kind = "table"
        pinned.refresh = 0.25
        pinned.field = "\"http.status\""
        specs[0].rows.append(.init(height: 7, panes: [pinned, PaneSpec(title: "tail", sql: nil, weight: 2)]))
        var alarms = PaneSpec(title: "alarms", sql: nil)
        alarms.alarms = true
        specs[0].rows.append(.init(weight: 3, panes: [alarms]))
        let def = DefaultDashboard.spec(columns: [("ts", .timestamp), ("level", .string), ("status", .int), ("latency_ms", .double)],
                                        span: (0, 3_600_000_000_000), width: 120, height: 40)
        var saved = def
        saved.name = "saved"
        specs.append(saved)
        let text = try DashboardFile.yaml(specs)
        #expect(try DashboardFile.parse(yaml: text, file: "saved.yaml") == specs)
    }

    @Test func aFileGivesNamedDashboardsOfRowsAndPanes() throws {
        let boards = try DashboardFile.parse(yaml: Self.good, file: "d.yaml")
        #expect(boards.map(\.name) == ["web", "errors"])
        let web = boards[0]
        #expect(web.rows.map(\.height) == [5, nil] && web.rows[1].weight == 3)
        #expect(web.panes.map(\.title) == ["requests/min", "top paths", "newest records"])
        #expect(web.panes[0].kind == "kpi" && web.panes[1].kind == nil && web.panes[2].sql == nil)
        #expect(web.panes[1].weight == 2 && web.panes[1].refresh == 10 && web.panes[1].field == "\"http.path\"")
        #expect(boards[1].panes[0].title.hasPrefix("SELECT service"))  // no title: the SQL's start
        // One dashboard's keys at the top level.
        let one = try DashboardFile.parse(yaml: "name: solo\nrows:\n  - panes:\n      - tail: true\n      - alarms: true\n", file: "d.yaml")
        #expect(one.map(\.name) == ["solo"])
        #expect(one[0].panes.map(\.alarms) == [false, true] && one[0].panes[1].title == "alarms" && one[0].panes[1].sql == nil)
    }

    @Test(arguments: [
        ("name: x\nrows:\n  - panes:\n      - tail: true\n    heigth: 3\n", "d.yaml:5: (top level).rows[0].heigth: unknown key; known keys: height, weight, panes"),
        ("name: x\nrows:\n  - panes:\n      - sql: SELECT 1\n        chart: pie\n", "d.yaml:5: (top level).rows[0].panes[0].chart: one of line, area"),
        ("name: x\nrows:\n  - panes:\n      - sql: SELEC 1\n", "d.yaml:4: (top level).rows[0].panes[0].sql: syntax error"),
        ("name: x\nrows:\n  - panes:\n      - title: t\n", "(top level).rows[0].panes[0].sql: each pane has 'sql'"),
        ("name: x\nrows:\n  - panes:\n      - tail: true\n        sql: SELECT 1\n", "panes[0].sql: the tail pane has no 'sql'"),
        ("name: x\nrows:\n  - height: 2\n    weight: 1\n    panes:\n      - tail: true\n", "rows[0].weight: a row has a height or a weight, not both"),
        ("name: x\nrows:\n  - panes:\n      - sql: SELECT 1\n        refresh: 5ms\n", "refresh: a time of at least 100ms"),
        ("dashboards:\n  - name: a\n    rows: [{panes: [{tail: true}]}]\n  - name: a\n    rows: [{panes: [{tail: true}]}]\n", "dashboards[1].name: 'a' names two dashboards"),
        ("rows:\n  - panes:\n      - tail: true\n", "(top level).name: every dashboard needs a name"),
        ("- just a list\n", "(top level): a mapping with 'dashboards'"),
        ("name: x\nrows: [", "d.yaml: not valid YAML"),
    ])
    func aBadFileNamesTheKeyAndTheProblem(_ yaml: String, _ message: String) {
        do {
            _ = try DashboardFile.parse(yaml: yaml, file: "d.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func bracketsSwitchDashboardsAndTheStatusBarNamesIt() {
        var s = AppState(width: 80, height: 12)
        s.boardNames = ["web", "errors", "default"]
        _ = update(&s, .board(DashboardSpec(rows: [.init(panes: [PaneSpec(title: "t", sql: nil)])], name: "web")))
        _ = update(&s, .key(.char("z")))  // the tail alone: no name
        #expect(!DashboardView.render(s).lines[11].contains("[web]"))
        _ = update(&s, .key(.char("z")))
        #expect(DashboardView.render(s).lines[11].contains("[web]"))
        #expect(update(&s, .key(.char("]"))) == [.reload] && s.boardIndex == 1 && s.notice == "dashboard errors (2 of 3)")
        _ = update(&s, .key(.char("[")))
        _ = update(&s, .key(.char("[")))
        #expect(s.boardIndex == 2)
    }
}
