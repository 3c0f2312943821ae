import Foundation
import Testing
@testable import LogdashEngine
@testable import LogdashUI

/// The tail's queries, run as the dashboard's worker thread runs them.
@Suite struct TailQueriesTests {
    static func store(_ seconds: ClosedRange<Int>) -> Store {
        try! parsedStore(seconds.map { "{\"ts\":\"2026-11-27T14:00:\(String(format: "%02d", $0))Z\",\"level\":\"info\",\"msg\":\"s\($0)\"}" }
            .joined(separator: "\n") + "\n")
    }

    /// A paused view whose bottom record is second 30 stays on it whether records arrive newer
    /// (a live source) or older (history loading in front).
    @Test func anAnchoredPageStartsAtItsBottomRecordWhereverRecordsArrived() throws {
        let store = Self.store(20...40)
        let anchor = Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: 30)!
        func page() throws -> TailQueries.Page {
            try TailQueries.run(.init(generation: 1, snapshot: store.snapshot(), whereClause: nil, filters: [],
                                      limit: 3, offset: 0, anchor: anchor)).get()
        }
        var p = try page()
        #expect(p.offset == 10 && p.rows.map(\.message) == ["s28", "s29", "s30"])
        store.append(Self.store(41...50).snapshot().segments[0])
        store.append(Self.store(0...19).snapshot().segments[0])
        p = try page()
        #expect(p.offset == 20 && p.matching == 51 && p.rows.map(\.message) == ["s28", "s29", "s30"])
        let unanchored = try TailQueries.run(.init(generation: 2, snapshot: store.snapshot(), whereClause: "level = 'info'", filters: [],
                                                   limit: 2, offset: 0, anchor: nil)).get()
        #expect(unanchored.offset == nil && unanchored.rows.map(\.message) == ["s49", "s50"])
    }

    /// A dashboard pane with a windowed query runs live on the streaming engine: each refresh
    /// folds in only what arrived, under the dashboard's filters.
    @Test func aWindowedPaneFoldsWhatArrivedUnderTheFilters() throws {
        let store = Self.store(0...29)  // 30 info records in 14:00
        let live = PaneQueries.LivePanes(store: store)
        let spec = DashboardSpec(rows: [.init(panes: [PaneSpec(title: "per minute", sql: "SELECT window_start, count(*) n FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)")])])
        func counts(_ filter: String?) throws -> [Double?] {
            let r = PaneQueries.run(.init(snapshot: store.snapshot(), spec: spec, whereClause: filter, panes: [0]), live: live)
            guard case .chart(let chart)? = r.first?.content else { Issue.record("no chart: \(r)"); return [] }
            guard case .line(_, let series, _, _) = chart else { Issue.record("not a line: \(chart)"); return [] }
            return series[0].values
        }
        #expect(try counts(nil) == [30])
        let more = Self.store(30...59)
        for s in more.snapshot().segments { store.append(s) }
        #expect(try counts(nil) == [60])
        #expect(try counts("msg = 's3'") == [1])  // a filter: the query starts again, filtered
    }
}

