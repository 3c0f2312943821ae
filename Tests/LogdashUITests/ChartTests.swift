import Foundation
import Testing
@testable import LogdashEngine
@testable import LogdashUI

/// Charts drawn into cell buffers, compared with golden files in `charts/` beside this file
/// (`LOGDASH_UPDATE_GOLDEN=1 swift test --filter ChartSnapshotTests` rewrites them; read the
/// diff before committing).
@Suite struct ChartSnapshotTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("charts")
    static let t0 = Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: 0)!
    static func minutes(_ n: Int) -> [Int64] { (0..<n).map { t0 + Int64($0) * 60_000_000_000 } }

    struct Case: Sendable {
        var name: String
        var chart: Chart
        var width: Int
        var height: Int
        var ascii = false
    }

    static func wave(_ n: Int, base: Double, amplitude: Double, period: Double) -> [Double?] {
        (0..<n).map { i -> Double? in base + amplitude * sin(Double(i) / period) }
    }

    static let cases: [Case] = {
        var c: [Case] = []
        let twoSeries: [Series] = [Series(name: "p50", values: wave(30, base: 20, amplitude: 10, period: 4)),
                                   Series(name: "p99", values: wave(30, base: 120, amplitude: 60, period: 3))]
        c.append(Case(name: "line-two-series", chart: .line(times: minutes(30), series: twoSeries, unit: .milliseconds, area: false), width: 60, height: 14))
        let gaps: [Double?] = [1, 2, 3, nil, nil, 5, .nan, 4, 3, 2, 2, 1]
        c.append(Case(name: "line-gaps-and-nan", chart: .line(times: minutes(12), series: [Series(name: "v", values: gaps)], unit: .plain, area: false),
                      width: 40, height: 10))
        let negatives: [Double?] = [-5, -3, 0, 2, 4, 1, -1, -4, -2, 3]
        c.append(Case(name: "line-negatives", chart: .line(times: minutes(10), series: [Series(name: "delta", values: negatives)], unit: .plain, area: false),
                      width: 40, height: 10))
        c.append(Case(name: "line-one-point", chart: .line(times: minutes(1), series: [Series(name: "v", values: [42])], unit: .plain, area: false),
                      width: 30, height: 8))
        let zeros: [Double?] = Array(repeating: 0, count: 8)
        c.append(Case(name: "line-all-zeros", chart: .line(times: minutes(8), series: [Series(name: "v", values: zeros)], unit: .plain, area: false),
                      width: 30, height: 8))
        let huge: [Double?] = [1, 10, 1e3, 1e6, 1e9, 5e9]
        c.append(Case(name: "area-huge-range", chart: .line(times: minutes(6), series: [Series(name: "bytes", values: huge)], unit: .bytes, area: true),
                      width: 40, height: 10))
        let rising: [Double?] = [1, 3, 2, 5, 4, 6, 5, 8, 7, 9]
        c.append(Case(name: "line-ascii", chart: .line(times: minutes(10), series: [Series(name: "v", values: rising)], unit: .plain, area: false),
                      width: 30, height: 8, ascii: true))
        let info: [Double?] = [50, 52, 48, 55, 60, 58, 62, 70, 65, 61, 59, 57]
        let errors: [Double?] = [2, 1, 3, 2, 8, 25, 30, 12, 4, 3, 2, 2]
        c.append(Case(name: "bars-stacked", chart: .bars(times: minutes(12), series: [Series(name: "info", values: info), Series(name: "error", values: errors)],
                                                       unit: .plain), width: 50, height: 12))
        let few: [Double?] = [1, 4, 2, 8, 5, 3]
        c.append(Case(name: "bars-ascii", chart: .bars(times: minutes(6), series: [Series(name: "n", values: few)], unit: .plain), width: 30, height: 8, ascii: true))
        let paths = [Bar("/api/cart", 1200), Bar("/api/search", 640), Bar("/health", 90), Bar("/", 1), Bar("/zero", 0)]
        c.append(Case(name: "hbars", chart: .hbars(paths, unit: .plain), width: 40, height: 5))
        c.append(Case(name: "hbars-one-column", chart: .hbars([Bar("a", 3), Bar("b", 1)], unit: .plain), width: 1, height: 2))
        let history: [Double?] = [900, 950, 1000, 1100, 1000, 1234]
        c.append(Case(name: "kpi", chart: .kpi(value: 1234, previous: 1000, history: history, unit: .plain), width: 20, height: 3))
        c.append(Case(name: "kpi-latency-down", chart: .kpi(value: 850, previous: 1700, history: [1700, 850], unit: .milliseconds), width: 24, height: 3, ascii: true))
        c.append(Case(name: "proportion", chart: .proportion([Bar("2xx", 900), Bar("4xx", 80), Bar("5xx", 20)]), width: 30, height: 4))
        c.append(Case(name: "proportion-empty", chart: .proportion([]), width: 30, height: 2))
        let latencies: [Double] = (0..<200).map { (i: Int) -> Double in
            let base = Double((i * 37) % 100)
            return i % 3 == 0 ? base + 150 : base
        }
        c.append(Case(name: "histogram", chart: .histogram(values: latencies, unit: .milliseconds), width: 48, height: 8))
        let cells: [[Double]] = [[9, 8, 9, 9, 7, 9, 8, 9], [1, 1, 2, 1, 3, 1, 1, 1], [0, 0, 0, 4, 9, 2, 0, 0]]
        c.append(Case(name: "heatmap", chart: .heatmap(times: minutes(8), rows: ["info", "warn", "error"], cells: cells), width: 40, height: 4))
        c.append(Case(name: "gauge", chart: .gauge(value: 63, max: 100, unit: .percent), width: 30, height: 3))
        c.append(Case(name: "gauge-over-and-ascii", chart: .gauge(value: 1500, max: 1000, unit: .milliseconds), width: 20, height: 3, ascii: true))
        let grid: [[Double?]] = [[120, 4, nil], [80, 0, 2], [5, 1, 30]]
        c.append(Case(name: "pivot", chart: .matrix(rows: ["api-1", "api-2", "web-1"], columns: ["200", "404", "500"], cells: grid, heat: false),
                      width: 30, height: 4))
        c.append(Case(name: "heatmap-categories", chart: .matrix(rows: ["api-1", "api-2", "web-1"], columns: ["200", "404", "500"], cells: grid, heat: true),
                      width: 30, height: 4))
        let table = ResultSet(columns: ["path", "n", "p99"], rows: [[.string("/api"), .int(12), .double(1.5)], [.null, .int(3), .null]])
        c.append(Case(name: "table", chart: .table(table), width: 30, height: 3))
        return c
    }()

    @Test(arguments: cases.map(\.name))
    func chartMatchesItsGoldenFile(_ name: String) throws {
        let c = Self.cases.first { $0.name == name }!
        var buf = CellBuffer(width: c.width, height: c.height)
        ChartView.render(c.chart, into: &buf, area: Rect(x: 0, y: 0, width: c.width, height: c.height), glyphs: c.ascii ? .plain : .unicode)
        let got = buf.lines.joined(separator: "\n") + "\n"
        let file = Self.directory.appendingPathComponent(name + ".txt")
        if ProcessInfo.processInfo.environment["LOGDASH_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            try got.write(to: file, atomically: true, encoding: .utf8)
        }
        let want = try String(contentsOf: file, encoding: .utf8)
        #expect(got == want, "\(name):\n\(got)")
        if c.ascii { #expect(got.unicodeScalars.allSatisfy { $0.isASCII }, "\(name) must be ASCII only") }
        // Whatever the data, nothing is drawn outside the area and no cell is a control character.
        #expect(!buf.cells.contains { $0.text.unicodeScalars.contains { $0.value < 0x20 } })
    }

    /// An empty result is no error, whatever chart was asked for (issue 23, item 10).
    @Test func anEmptyResultSaysSoPlainlyWhateverTheChart() throws {
        let empty = ResultSet(columns: ["level", "n"], rows: [])
        for kind in ["kpi", "hbars", "line", "bars", "proportion", "gauge", nil] as [String?] {
            let chart = try ChartPicker.chart(for: empty, kind: kind)
            var buf = CellBuffer(width: 40, height: 5)
            ChartView.render(chart, into: &buf, area: Rect(x: 0, y: 0, width: 40, height: 5))
            #expect(buf.lines.joined().contains("no records in this range"), "\(kind ?? "auto")")
            #expect(!buf.cells.contains { $0.style.role == .error })
        }
    }

    /// Level colours mean the level in every chart and legend, as in the tail; other series get
    /// a colour by their name, the same whatever their rank or the other series (issue 23, item 5).
    @Test func seriesColoursFollowTheirNamesLevelsTheirLevelsColours() {
        let levels = StyleRole.series(named: ["info", "error", "WARN", "debug"])
        #expect(levels == [.levelInfo, .levelError, .levelWarn, .levelDebug])
        let some = StyleRole.series(named: ["cart", "search", "payments"])
        #expect(StyleRole.series(named: ["payments", "cart", "search"]) == [some[2], some[0], some[1]])  // not by rank
        #expect(Set(some).count == 3)  // distinct within a chart
        var buf = CellBuffer(width: 30, height: 8)
        let chart = Chart.bars(times: Self.minutes(3), series: [Series(name: "error", values: [1, 1, 1]), Series(name: "info", values: [1, 1, 1])], unit: .plain)
        ChartView.render(chart, into: &buf, area: Rect(x: 0, y: 0, width: 30, height: 8))
        #expect(Set(buf.cells.filter { $0.text == "█" }.map(\.style.role)) == [.levelError, .levelInfo])
        #expect(buf[0, 0].text == "■" && buf[0, 0].style.role == .levelError)  // the legend
        var hbars = CellBuffer(width: 30, height: 2)
        ChartView.render(.hbars([Bar("error", 5), Bar("/api", 3)], unit: .plain), into: &hbars, area: Rect(x: 0, y: 0, width: 30, height: 2))
        #expect(hbars.cells.filter { $0.text == "█" }.map(\.style.role).contains(.levelError) && hbars[10, 1].style.role == .series1)
    }

    /// A bucket of error 89, warn 19, debug 15 in a short chart: every part keeps a cell (warn
    /// vanished when parts were rounded to whole cells), and the bar's height is the total's
    /// (issue 23, item 6).
    @Test func stackedBarsKeepEveryNonZeroPart() {
        let cells = ChartView.stack([89, 19, 15], eighths: 5 * 8 + 3)
        #expect(cells.count == 6 && Set(cells) == [0, 1, 2] && cells == cells.sorted())
        #expect(cells.filter { $0 == 0 }.count >= 3)
        #expect(ChartView.stack([89, 0, 15], eighths: 16) == [0, 2])
        #expect(ChartView.stack([5, 1, 1], eighths: 8) == [0])  // one cell: the biggest
        #expect(ChartView.stack([0, 0], eighths: 0).isEmpty && ChartView.stack([3], eighths: 0) == [0])
        var buf = CellBuffer(width: 20, height: 8)
        let chart = Chart.bars(times: Self.minutes(1), series: [Series(name: "error", values: [89]), Series(name: "warn", values: [19]),
                                                                 Series(name: "debug", values: [15])], unit: .plain)
        ChartView.render(chart, into: &buf, area: Rect(x: 0, y: 0, width: 20, height: 8))
        // Each part in colour, to the eighth: a cell where two meet shows the lower part's colour
        // under the upper's (its background).
        let bar = buf.cells.filter { "▁▂▃▄▅▆▇█".contains($0.text) }
        let drawn = Set(bar.map(\.style.role) + bar.compactMap(\.style.background))
        #expect(drawn == [.levelError, .levelWarn, .levelDebug])
        #expect(ChartView.stackEighths([89, 19, 15], eighths: 43) == [31, 38, 43])
        #expect(ChartView.stackEighths([1000, 1, 0], eighths: 16) == [15, 16, 16])  // a sliver, not nothing
        #expect(ChartView.stackEighths([80, 7, 7, 6], eighths: 34) == [27, 30, 32, 34])  // the big part keeps its share
    }

    /// "/api/prod" three times in a top-N is useless: labels keep their ends, lose their shared
    /// start and then their middle, and get the room they need before the bars (issue 23, item 9).
    @Test func longLabelsStayApartLosingTheirSharedStartThenTheirMiddle() {
        let paths = ["/api/products/1337/reviews", "/api/products/1337/images", "/api/products/42/reviews"]
        let short = ChartView.shortened(paths, width: 14)
        #expect(short == ["…1337/reviews", "…1337/images", "…42/reviews"])
        let long = ChartView.shortened(["/static/a/very/long/name/here/app.js", "/api/x"], width: 16)
        #expect(long[0] == "/stat…ere/app.js", "\(long)")
        #expect(long.allSatisfy { DisplayWidth.of($0) <= 16 } && long[1] == "/api/x")
        #expect(ChartView.shortened(["short", "also"], width: 10) == ["short", "also"])
        // A shared start gone and still too long: one ellipsis, the end kept.
        #expect(ChartView.shortened(["/api/v1/products/42", "/api/v1/logout"], width: 8) == ["…ucts/42", "…logout"])
        #expect(ChartView.shortened(["a\u{1B}[2Jb"], width: 20) == ["a^[[2Jb"])  // terminal-safe
        var buf = CellBuffer(width: 40, height: 3)
        ChartView.render(.hbars(paths.enumerated().map { Bar($1, Double(100 - $0)) }, unit: .plain), into: &buf, area: Rect(x: 0, y: 0, width: 40, height: 3))
        #expect(buf.lines[0].hasPrefix("…1337/reviews ███") && buf.lines[2].hasPrefix("…42/reviews   ███"), "\(buf.lines)")
        var wide = CellBuffer(width: 60, height: 3)  // room enough: the whole labels
        ChartView.render(.hbars(paths.enumerated().map { Bar($1, Double(100 - $0)) }, unit: .plain), into: &wide, area: Rect(x: 0, y: 0, width: 60, height: 3))
        #expect(wide.lines[0].hasPrefix("/api/products/1337/reviews █"), "\(wide.lines)")
    }

    /// The picked bucket of a time chart is shown in reverse video, and time labels sit under
    /// the bucket of their time even when buckets are missing (a quiet hour) (issue 23, item 8).
    @Test func thePickedBucketIsHighlightedAndLabelsSitUnderTheirBuckets() {
        let t0 = Timestamp.make(year: 2026, month: 11, day: 27, hour: 0, minute: 0, second: 0)!
        let hour: Int64 = 3_600_000_000_000
        let times = [t0, t0 + hour, t0 + 2 * hour, t0 + 6 * hour, t0 + 7 * hour, t0 + 8 * hour, t0 + 12 * hour]
        let chart = Chart.bars(times: times, series: [Series(name: "n", values: times.map { _ in 5 })], unit: .plain)
        var buf = CellBuffer(width: 40, height: 8)
        ChartView.render(chart, into: &buf, area: Rect(x: 0, y: 0, width: 40, height: 8), glyphs: .unicode, highlight: 3...3)
        let reversed = Set(buf.cells.indices.filter { buf.cells[$0].style.reverse }.map { $0 % 40 })
        #expect(!reversed.isEmpty && reversed.count <= 6)
        // The label 06:00 starts where the fourth bar (06:00) does, not where 06:00 would be on an even axis.
        let labels = buf.lines[7]
        let at = labels.range(of: "06:00").map { labels.distance(from: labels.startIndex, to: $0.lowerBound) }
        #expect(at == reversed.min(), "\(labels) \(reversed.sorted())")
    }

    /// A result chart says what it plots, the value column can be picked, and a time line
    /// breaks where the result has no rows instead of joining across them (issue 23, item 11).
    @Test func resultChartsSayWhatTheyPlotPickTheirValueAndLeaveGaps() throws {
        let t0 = Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: 0)!
        let minute: Int64 = 60_000_000_000
        let paths = ResultSet(columns: ["path", "n", "avg_ms"], rows: [[.string("/a"), .int(10), .double(5)], [.string("/b"), .int(3), .double(90)]])
        #expect(ChartPicker.caption(for: paths) == "avg_ms by path")
        #expect(ChartPicker.caption(for: paths, value: 1) == "n by path")
        #expect(try ChartPicker.chart(for: paths, value: 1) == .hbars([Bar("/a", 10), Bar("/b", 3)], unit: .plain))
        #expect(ChartPicker.numberColumns(of: paths) == [1, 2])
        let byLevel = ResultSet(columns: ["t", "level", "n"], rows: [[.timestamp(t0), .string("info"), .int(4)], [.timestamp(t0 + minute), .string("error"), .int(1)]])
        #expect(ChartPicker.caption(for: byLevel) == "n by level over t")
        #expect(try ChartPicker.chart(for: byLevel).kindName == "bars")
        // A maximum per level is no part of a whole: lines, not stacked bars that add maxima up.
        let maxima = ResultSet(columns: ["t", "level", "max_ms"], rows: byLevel.rows)
        #expect(try ChartPicker.chart(for: maxima).kindName == "line")
        #expect(!ChartPicker.additive("p95") && !ChartPicker.additive("avg_ms") && ChartPicker.additive("bytes") && ChartPicker.additive("n"))
        // Minutes 0, 1, 2, then 6: minutes 3–5 have no rows, and the line breaks there.
        let sparse = ResultSet(columns: ["t", "p95"], rows: [0, 1, 2, 6].map { [.timestamp(t0 + Int64($0) * minute), .double(Double($0))] })
        #expect(ChartPicker.caption(for: sparse) == "p95 over t")
        guard case .line(let times, let series, _, _) = try ChartPicker.chart(for: sparse) else { Issue.record("not a line"); return }
        #expect(times.count == 7 && series[0].values == [0, 1, 2, nil, nil, nil, 6])
        // Times off any whole-second step (records' own times, not buckets) are left as they are.
        let odd = ResultSet(columns: ["t", "v"], rows: [0, 7_300, 9_100, 30_550].map { [.timestamp(t0 + Int64($0) * 1_000_000), .int(1)] })
        guard case .line(let oddTimes, _, _, _) = try ChartPicker.chart(for: odd) else { Issue.record("not a line"); return }
        #expect(oddTimes.count == 4)
        // 10-second buckets, a record every 43 s: gaps of 40 and 50 s, every bucket between them empty.
        let sparse10 = ResultSet(columns: ["t", "n"], rows: [0, 40, 90, 130, 170].map { [.timestamp(t0 + Int64($0) * 1_000_000_000), .int(1)] })
        guard case .line(let tens, let tenSeries, _, _) = try ChartPicker.chart(for: sparse10) else { Issue.record("not a line"); return }
        #expect(tens.count == 18 && tenSeries[0].values.compactMap { $0 }.count == 5)
        // In the query pane: the caption over the chart, and ← → plot another value.
        var pane = QueryPane()
        pane.result = paths
        pane.chart = true
        pane.focus = .results
        var buf = CellBuffer(width: 60, height: 12)
        QueryPaneView.render(pane, into: &buf, height: 12, glyphs: .unicode)
        #expect(buf.lines.contains { $0.hasPrefix("avg_ms by path  (← → another value column)") }, "\(buf.lines)")
        pane.column = 1
        buf = CellBuffer(width: 60, height: 12)
        QueryPaneView.render(pane, into: &buf, height: 12, glyphs: .unicode)
        #expect(buf.lines.contains { $0.hasPrefix("n by path") } && buf.lines.contains { $0.hasPrefix("/a █") && $0.hasSuffix("10") })
        // ← → over a chart step through the number columns only, round and round.
        var s = AppState(width: 60, height: 12)
        s.queryOpen = true
        s.query = pane
        _ = update(&s, .key(.right))
        #expect(s.query.column == 2)
        _ = update(&s, .key(.right))
        #expect(s.query.column == 1)
        _ = update(&s, .key(.left))
        #expect(s.query.column == 2)
    }

    /// Without colours each series has its own fill, and the legend shows which.
    @Test func withoutColoursEachSeriesHasItsOwnFillAndTheLegendSaysWhich() {
        var buf = CellBuffer(width: 30, height: 10)
        let chart = Chart.bars(times: Self.minutes(2), series: [Series(name: "error", values: [4, 4]), Series(name: "info", values: [4, 4])], unit: .plain)
        ChartView.render(chart, into: &buf, area: Rect(x: 0, y: 0, width: 30, height: 10), glyphs: ChartGlyphs(ascii: false, fills: true))
        #expect(buf.lines[0].hasPrefix("█ error  ▓ info"))
        let body = buf.lines.dropFirst().joined()
        #expect(body.contains("█") && body.contains("▓"))
        var plain = CellBuffer(width: 30, height: 10)
        ChartView.render(chart, into: &plain, area: Rect(x: 0, y: 0, width: 30, height: 10), glyphs: ChartGlyphs(ascii: true, fills: true))
        #expect(plain.lines[0].hasPrefix("# error  % info") && plain.lines.dropFirst().joined().contains("%"))
    }

    @Test func aChartDrawsOnlyInsideItsArea() {
        var buf = CellBuffer(width: 50, height: 20)
        let area = Rect(x: 10, y: 5, width: 20, height: 8)
        for c in Self.cases {
            let chart = c.chart
            buf = CellBuffer(width: 50, height: 20)
            ChartView.render(chart, into: &buf, area: area, glyphs: c.ascii ? .plain : .unicode)
            for y in 0..<20 {
                for x in 0..<50 where !(area.x..<area.maxX).contains(x) || !(area.y..<area.maxY).contains(y) {
                    #expect(buf[x, y] == .blank, "\(chart.kindName) drew at \(x),\(y)")
                }
            }
        }
    }
}

@Suite struct TickTests {
    @Test func numericTicksAreOneTwoFiveSteps() {
        #expect(Ticks.nice(0, 97, count: 6).ticks == [0, 20, 40, 60, 80, 100])
        #expect(Ticks.nice(0, 1, count: 3).ticks == [0, 0.5, 1])
        #expect(Ticks.nice(-7, 12, count: 5).ticks == [-10, 0, 10, 20])
        #expect(Ticks.nice(3, 3, count: 5).ticks.first == 0)  // one value: from zero
        #expect(Ticks.nice(0, 0, count: 5).ticks == [0, 1])
        #expect(Ticks.nice(0, 4.2e9, count: 5).step == 2e9)
        for (lo, hi) in [(0.0, 1e-3), (1.0, 1e12), (-5.0, -1.0), (0.1, 0.7)] {
            let s = Ticks.nice(lo, hi, count: 6)
            #expect(s.low <= lo && s.high >= hi && s.ticks.count <= 6, "\(lo) \(hi)")
            let m = s.step / pow(10, log10(s.step).rounded(.down))
            #expect([1, 2, 5].contains { abs($0 - m) < 1e-9 }, "step \(s.step)")
        }
    }

    @Test func timeTicksFallOnWholeUnitsAndLabelsFitTheSpan() {
        let t0 = Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 3, second: 17)!
        let ticks = Ticks.time(t0, t0 + 3_600_000_000_000, count: 7)
        #expect(ticks.count <= 7 && ticks.allSatisfy { $0 % 600_000_000_000 == 0 })
        #expect(Ticks.timeLabel(t0, span: 60_000_000_000) == "14:03:17")
        #expect(Ticks.timeLabel(t0, span: 3_600_000_000_000) == "14:03")
        #expect(Ticks.timeLabel(t0, span: 7 * 86_400_000_000_000) == "11-27")
        #expect(Ticks.timeLabelOfStep(900_000_000_000) == "15m")
    }

    @Test func labelsCarryUnits() {
        #expect(Ticks.label(950) == "950")
        #expect(Ticks.label(12_500) == "12.5k")
        #expect(Ticks.label(3_400_000) == "3.4M")
        #expect(Ticks.label(0.25) == "0.25")
        #expect(Ticks.label(850, unit: .milliseconds) == "850ms")
        #expect(Ticks.label(1500, unit: .milliseconds) == "1.5s")
        #expect(Ticks.label(1536, unit: .bytes) == "1.5KB")
        #expect(Ticks.label(5e9, unit: .bytes) == "4.7GB")
        #expect(Ticks.label(-2000) == "-2000")
        #expect(Ticks.label(.nan) == "NaN")
        #expect(Ticks.Unit.guess("latency_ms") == .milliseconds)
        #expect(Ticks.Unit.guess("bytes") == .bytes)
        #expect(Ticks.Unit.guess("error_pct") == .percent)
    }
}

@Suite struct ChartPickerTests {
    static let t = Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: 0)!

    @Test func theShapeOfAResultPicksTheChart() throws {
        let one = ResultSet(columns: ["count"], rows: [[.int(5)]])
        #expect(try ChartPicker.chart(for: one).kindName == "kpi")
        let series = ResultSet(columns: ["m", "n", "p99"], rows: [[.timestamp(Self.t + 60), .int(2), .double(3)], [.timestamp(Self.t), .int(1), .null]])
        guard case .line(let times, let s, _, false) = try ChartPicker.chart(for: series) else { Issue.record("not a line"); return }
        #expect(times == [Self.t, Self.t + 60])  // sorted by time
        #expect(s.map(\.name) == ["n", "p99"] && s[1].values == [nil, 3])
        let stacked = ResultSet(columns: ["m", "level", "n"], rows: [
            [.timestamp(Self.t), .string("info"), .int(5)], [.timestamp(Self.t), .string("error"), .int(1)], [.timestamp(Self.t + 60), .string("info"), .int(7)],
        ])
        guard case .bars(let bt, let bs, _) = try ChartPicker.chart(for: stacked) else { Issue.record("not bars"); return }
        #expect(bt == [Self.t, Self.t + 60] && bs.map(\.name) == ["info", "error"] && bs[1].values == [1, nil])
        let top = ResultSet(columns: ["path", "n"], rows: [[.string("/a"), .int(9)], [.null, .int(2)]])
        #expect(try ChartPicker.chart(for: top) == .hbars([Bar("/a", 9), Bar("NULL", 2)], unit: .plain))
        let statuses = ResultSet(columns: ["status", "n"], rows: [[.int(200), .int(9)], [.int(500), .int(2)]])
        #expect(try ChartPicker.chart(for: statuses).kindName == "hbars")
        #expect(try ChartPicker.chart(for: ResultSet(columns: ["latency_ms"], rows: [[.double(1)], [.double(2)]])).kindName == "histogram")
        #expect(try ChartPicker.chart(for: ResultSet(columns: ["a", "b", "c"], rows: [[.string("x"), .string("y"), .string("z")]])).kindName == "table")
        #expect(try ChartPicker.chart(for: ResultSet(columns: ["n"], rows: [])).kindName == "table")
    }

    @Test func twoCategoriesMakeAPivotTableOrAHeatMapAndOneNumberAGauge() throws {
        let r = ResultSet(columns: ["host", "status", "n"], rows: [
            [.string("a"), .int(200), .int(5)], [.string("b"), .int(500), .int(2)], [.string("a"), .int(500), .int(1)],
        ])
        #expect(try ChartPicker.chart(for: r) == .matrix(rows: ["a", "b"], columns: ["200", "500"], cells: [[5, 1], [nil, 2]], heat: false))
        #expect(try ChartPicker.chart(for: r, kind: "heatmap").kindName == "heatmap")
        #expect(try ChartPicker.chart(for: ResultSet(columns: ["error_pct"], rows: [[.double(12.5)]]), kind: "gauge")
                == .gauge(value: 12.5, max: 100, unit: .percent))
        #expect(try ChartPicker.chart(for: ResultSet(columns: ["n"], rows: [[.int(730)]]), kind: "gauge") == .gauge(value: 730, max: 1000, unit: .plain))
        let target = ResultSet(columns: ["latency_ms", "slo"], rows: [[.double(180), .int(250)]])
        #expect(try ChartPicker.chart(for: target, kind: "gauge") == .gauge(value: 180, max: 250, unit: .milliseconds))
    }

    @Test func manyCategoriesBecomeTheTopSevenAndOther() throws {
        let rows: [[Value]] = (0..<12).map { [.timestamp(Self.t), .string("c\($0)"), .int(Int64(100 - $0))] }
        guard case .bars(_, let s, _) = try ChartPicker.chart(for: ResultSet(columns: ["t", "c", "n"], rows: rows)) else { Issue.record("not bars"); return }
        #expect(s.map(\.name) == ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "other"])
        #expect(s.last?.values == [Double((7..<12).map { 100 - $0 }.reduce(0, +))])
    }

    @Test func theUserCanSwitchTypeWhenTheDataFits() throws {
        let top = ResultSet(columns: ["path", "n"], rows: [[.string("/a"), .int(9)]])
        #expect(try ChartPicker.chart(for: top, kind: "proportion").kindName == "proportion")
        #expect(try ChartPicker.chart(for: top, kind: "table").kindName == "table")
        #expect(throws: ChartPicker.Mismatch.self) { _ = try ChartPicker.chart(for: top, kind: "line") }
        let series = ResultSet(columns: ["m", "n"], rows: [[.timestamp(Self.t), .int(2)], [.timestamp(Self.t + 60), .int(3)]])
        #expect(try ChartPicker.chart(for: series, kind: "kpi") == .kpi(value: 3, previous: 2, history: [2, 3], unit: .plain))
        #expect(try ChartPicker.chart(for: series, kind: "area").kindName == "area")
        #expect(try ChartPicker.chart(for: series, kind: "bars").kindName == "bars")
    }
}

@Suite struct DefaultDashboardTests {
    @Test func theDefaultDashboardUsesTheFieldsThereAre() {
        let web = DefaultDashboard.spec(columns: [("ts", .timestamp), ("level", .string), ("host", .string), ("status", .int), ("path", .string),
                                                  ("latency_ms", .double)],
                                        span: (0, 86_400_000_000_000), width: 120, height: 40)
        let titles = web.panes.map(\.title)
        #expect(titles == ["records/15m", "errors/15m", "p95 latency_ms/15m", "hosts", "records by level", "top status", "top path",
                           "latency_ms p50 · p95 · p99", "newest records"])
        let plain = DefaultDashboard.spec(columns: [("ts", .timestamp), ("level", .string), ("message", .string)], span: nil, width: 80, height: 24)
        #expect(plain.panes.map(\.title) == ["records/1m", "errors/1m", "records by level", "error rate %", "newest records"])
        let small = DefaultDashboard.spec(columns: [("ts", .timestamp), ("level", .string)], span: nil, width: 40, height: 12)
        #expect(small.panes.map(\.title) == ["records by level", "newest records"])
    }

    /// A dozen 1970 times in a day of records: the axis is the day's (buckets of minutes, not
    /// a week), the time panes keep to it and say how many lie outside (issue 23, item 7).
    @Test func aFewFarOffTimesDoNotWidenTheTimeAxis() {
        let day = Timestamp.make(year: 2026, month: 11, day: 27, hour: 0, minute: 0, second: 0)!
        let times = (0..<3000).map { day + Int64($0) * 28_800_000_000 } + (0..<12).map { Int64($0) * 1_000_000_000 }
        let axis = DefaultDashboard.TimeAxis.of([(times, 1)], first: 0, last: times[2999])
        #expect(axis.low != nil && axis.low! > day - 86_400_000_000_000 && axis.high == nil)
        let span = axis.span(first: 0, last: times[2999])
        let bucket = DefaultDashboard.bucket(span: span, width: 120)
        #expect(bucket == 900_000_000_000)  // 15 minutes, as for the day alone
        #expect(axis.condition(bucket: bucket) == "ts >= TIMESTAMP '\(Timestamp.iso8601(axis.low! / bucket * bucket))'")
        var counted = axis
        counted.outside = 12
        let spec = DefaultDashboard.spec(columns: [("ts", .timestamp), ("level", .string)], span: span, width: 120, height: 40, axis: counted)
        let volume = spec.panes.first { $0.title.hasPrefix("records by level") }!
        #expect(volume.title == "records by level · 12 outside the axis" && volume.sql!.contains("WHERE ts >= TIMESTAMP"))
        #expect(spec.panes[0].sql!.contains("now()) AND ts >= TIMESTAMP"))
        // An ordinary log (a day, a few quiet hours at its ends): no bound at all.
        let plain = DefaultDashboard.TimeAxis.of([(Array(times.prefix(3000)), 1)], first: times[0], last: times[2999])
        #expect(plain == DefaultDashboard.TimeAxis())
        // One far in the future (a year typed wrong) bounds the other side.
        let future = DefaultDashboard.TimeAxis.of([(Array(times.prefix(3000)) + [day * 2], 1)], first: times[0], last: day * 2)
        #expect(future.low == nil && future.high != nil)
    }

    @Test func panesTileTheScreenExactly() {
        let spec = DefaultDashboard.spec(columns: [("ts", .timestamp), ("status", .int), ("path", .string), ("host", .string)],
                                         span: nil, width: 101, height: 37)
        let rects = DashboardRender.layout(spec, width: 101, height: 37)
        #expect(rects.reduce(0) { $0 + $1.width * $1.height } == 101 * 37)
        #expect(rects.allSatisfy { $0.x >= 0 && $0.maxX <= 101 && $0.y >= 0 && $0.maxY <= 37 })
    }
}
