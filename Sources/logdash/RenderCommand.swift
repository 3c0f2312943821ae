import ArgumentParser
import Foundation
import LogdashEngine
import LogdashUI

/// `logdash render`: one frame of the dashboard (or of one query's chart) as text, for docs,
/// tests and reports.
struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print one frame of the dashboard, or one query's chart, as text.",
        discussion: """
            Without --query, the default dashboard built from the fields the sources have: records \
            and errors per time bucket, records by level, the top values of fields like status and \
            path, latency percentiles when a latency field exists, the newest records (or a \
            dashboard of a file: --dashboard FILE [--name NAME]).

            With --query, that query's result as the chart its shape suggests, or --chart TYPE: \
            \(ChartPicker.kinds.joined(separator: ", ")).

            Examples:
              logdash render --size 120x40 access.log
              logdash render --ansi --theme nord app.log | less -R
              logdash render --query "SELECT status, count(*) FROM logs GROUP BY 1" access.log
            """
    )

    @OptionGroup var input: InputOptions

    @Option(help: ArgumentHelp("Width x height in cells.", valueName: "WxH"))
    var size = "120x40"

    @Flag(help: "Colour the text with the theme (ANSI escape codes).")
    var ansi = false

    @Flag(help: "ASCII only: no braille dots, blocks or box lines.")
    var ascii = false

    @Option(help: ArgumentHelp("A theme by name or file (with --ansi).", valueName: "name|file"))
    var theme: String?

    @Option(help: ArgumentHelp("Render this query's chart instead of the dashboard.", valueName: "sql"))
    var query: String?

    @Option(help: ArgumentHelp("A dashboard file (default: the config's 'dashboard:', else the default dashboard).", valueName: "file"))
    var dashboard: String?

    @Option(help: ArgumentHelp("Which dashboard of the file (default: its first).", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("The chart type for --query: \(ChartPicker.kinds.joined(separator: ", ")).", valueName: "type"))
    var chart: String?

    @Argument(help: "Files, globs, '-' (stdin) or demo://.")
    var sources: [String] = []

    var dimensions: (Int, Int)? {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, (10...1000).contains(parts[0]), (4...1000).contains(parts[1]) else { return nil }
        return (parts[0], parts[1])
    }

    func validate() throws {
        if dimensions == nil { throw ValidationError("--size '\(size)' is not WIDTHxHEIGHT with a width of 10 to 1000 and a height of 4 to 1000 (say 120x40)") }
        if let chart, !ChartPicker.kinds.contains(chart) {
            throw ValidationError("--chart '\(chart)' is not a chart type; the types are \(ChartPicker.kinds.joined(separator: ", "))")
        }
        if chart != nil && query == nil { throw ValidationError("--chart needs --query") }
        if query != nil && (dashboard != nil || name != nil) { throw ValidationError("--query draws one chart; --dashboard and --name choose a dashboard instead") }
    }

    func run() throws {
        let (width, height) = dimensions!
        let (config, options) = try input.resolve()
        let (theme, _, _) = try Theme.chosen(self.theme)
        if let query { checked(query) { _ = try QueryEngine.columnsRead(query) } }
        let boards = try (dashboard ?? (query == nil ? config.dashboard : nil)).map { try DashboardFile.load(path: $0) } ?? []
        if let name, !boards.contains(where: { $0.name == name }) {
            throw ValidationError(boards.isEmpty ? "--name needs a dashboard file (--dashboard FILE)"
                                  : "no dashboard '\(name)' in the file; it has \(boards.map(\.name).joined(separator: ", "))")
        }
        let (store, _) = try Store.load(try input.sources(sources, config: config, liveDemo: false), options: options)
        let snapshot = store.snapshot()
        let engine = QueryEngine(snapshot: snapshot)
        let glyphs: ChartGlyphs = ascii ? .plain : .unicode
        let buf: CellBuffer
        if let query {
            var result = ResultSet(columns: [], rows: [])
            checked(query) { result = try engine.execute(query) }
            var b = CellBuffer(width: width, height: height)
            ChartView.render(try ChartPicker.chart(for: result, kind: chart), into: &b, area: Rect(x: 0, y: 0, width: width, height: height), glyphs: glyphs)
            buf = b
        } else {
            let span = try engine.execute("SELECT min(ts), max(ts) FROM logs").rows.first.flatMap { row -> (Int64, Int64)? in
                guard case .timestamp(let a) = row[0], case .timestamp(let b) = row[1] else { return nil }
                return (a, b)
            }
            let spec = boards.first { $0.name == (name ?? boards[0].name) }
                ?? DefaultDashboard.spec(columns: snapshot.schema.map { ($0.name, $0.type) }, span: span, width: width, height: height)
            let rects = DashboardRender.layout(spec, width: width, height: height)
            let contents = zip(spec.panes, rects).map { pane, rect -> DashboardRender.Content in
                guard let sql = pane.sql else {
                    return .tail(TailQueries.newest(engine, limit: max(1, rect.height - 2)))
                }
                do {
                    return .chart(try ChartPicker.chart(for: try engine.execute(sql), kind: pane.kind))
                } catch {
                    return .failure("\(error)")
                }
            }
            buf = DashboardRender.render(spec, contents: contents, width: width, height: height, glyphs: glyphs)
        }
        let shown = ascii ? buf.asciiOnly : buf  // titles and log text too, not only the charts
        let text = ansi ? AnsiText.colored(shown, theme: theme) : AnsiText.plain(shown)
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Runs `work`; a bad query exits 1 with the message and a caret under the spot.
    private func checked(_ sql: String, _ work: () throws -> Void) {
        do {
            try work()
        } catch let e as QueryError {
            FileHandle.standardError.write(Data(("logdash: " + e.rendered(in: sql) + "\n").utf8))
            Foundation.exit(1)
        } catch {
            FileHandle.standardError.write(Data("logdash: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }
}
