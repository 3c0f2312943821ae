import ArgumentParser
import Foundation
import Synchronization
import LogdashEngine
import LogdashTerminal
import LogdashUI

/// `logdash [SOURCE…]`: the terminal dashboard.
struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Open the terminal dashboard: a live tail with a filter bar (the default command).",
        discussion: """
            Keys: q the query pane (SQL) · Q quit · f filter (a SQL WHERE expression, or words; Esc drops the last) · / search, \
            n/N next match · Enter the record's fields · 1–5 minimum level · t time range · w wrap · \
            r relative times · T theme · : commands · ↑/↓ j/k scroll · PgUp/PgDn · g/G oldest/newest · \
            ? help.
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var live: LiveOptions

    @Flag(help: "Draw with ASCII only (also chosen when the locale is not UTF-8).")
    var ascii = false

    @Flag(help: "Start with the tail alone, full screen (z shows the dashboard's panes).")
    var tail = false

    @Flag(help: "Show times in UTC (default: in the machine's zone, TZ or /etc/localtime; u switches).")
    var utc = false

    @Flag(help: "Use the mouse: the wheel scrolls, a click focuses a pane and picks a bar, a drag picks a time range (the terminal's own selection then needs Shift).")
    var mouse = false

    @Option(help: ArgumentHelp("Show an archive's records too — a directory 'logdash export' or a sink wrote, or s3://bucket/prefix "
                               + "(repeatable; a fleet's archive reads as one history, each record with its host and source).", valueName: "dir|s3://bucket/prefix"))
    var archive: [String] = []

    @Option(help: ArgumentHelp("Dashboards from a YAML file (also 'dashboard:' in the config file); [ and ] switch.", valueName: "file"))
    var dashboard: String?

    @Option(help: ArgumentHelp("Alarms from a YAML file (also 'alarms:' in the config file): an alarm panel, and a banner and the bell when one changes state.",
                               valueName: "file"))
    var alarms: String?

    @Flag(name: .customLong("no-bell"), help: "An alarm's change of state shows its banner without ringing the bell (also 'bell: false' in the config file).")
    var noBell = false

    @Option(help: ArgumentHelp("With --alarms: how long after a period ends its records may still arrive.", valueName: "duration"))
    var lateness = "5s"

    @Flag(name: .customLong("no-color"), help: "Draw without colour (also when NO_COLOR is set).")
    var noColor = false

    @Option(help: ArgumentHelp("A theme by name (dark, light, solarized-dark, nord, high-contrast, monochrome, or yours) or a theme file.",
                               valueName: "name|file"))
    var theme: String?

    @Argument(help: "Files, globs, '-' (stdin) or demo:// (default: the live demo on a terminal).")
    var sources: [String] = []

    func run() throws {
        // The terminal's character set, while this is the only thread (the pipeline's come later).
        TerminalLocale.configure()
        var (config, options) = try input.resolve()
        // A transform stage is always there, so that `:reload` (or a change of the steps' file) can fill it.
        if options.transforms == nil {
            options.transforms = try TransformChain(steps: [])
            try options.transforms?.reading(with: options.parse)  // (steps a reload brings may read a field as a format)
        }
        let (chosen, themes, themeProblems) = try Theme.chosen(theme)
        // Alarms: --alarms, the config's alarms:, or the file alarms defined in the dashboard go to.
        let environment = ProcessInfo.processInfo.environment
        let configHome = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.config")
        let alarmsFile = alarms ?? config.alarms ?? configHome + "/logdash/alarms.yaml"
        let alarmDefs = try (alarms ?? config.alarms ?? (FileManager.default.fileExists(atPath: alarmsFile) ? alarmsFile : nil))
            .map { try AlarmFile.load(path: $0) } ?? []
        // Dashboards likewise: --dashboard, the config's dashboard:, or where :save writes them.
        let dashboardsFile = dashboard ?? config.dashboard ?? configHome + "/logdash/dashboards.yaml"
        let boards = try (dashboard ?? config.dashboard ?? (FileManager.default.fileExists(atPath: dashboardsFile) ? dashboardsFile : nil))
            .map { try DashboardFile.load(path: $0) } ?? []  // a bad file stops us here
        guard let latenessNanos = TimeSpan.parseNanos(lateness) else { throw ValidationError("--lateness '\(lateness)' is not a duration (e.g. 5s)") }
        guard isatty(1) != 0 else { throw TerminalError.noTerminal }
        // A store named and no sources: what is stored, without the demo stream.
        let specs = sources.isEmpty && (live.store != nil || !archive.isEmpty) && config.sources.isEmpty ? [] : try input.liveSources(sources, config: config)
        // An archive's records (fetched from a bucket first), as they were exported: not
        // transformed again.
        var plain = options
        plain.transforms = nil
        let parts = try QueryCommand.archiveParts(archive, timeRange: nil)
        if !archive.isEmpty && parts.isEmpty {
            throw SourceError.noMatch(archive.joined(separator: ", ") + ": no dt=…/hour=…/*.json.gz (or .json.zst) files")
        }
        let archived = try QueryCommand.archived(parts, options: plain)
        if specs.contains(.stdin) && isatty(0) != 0 {
            // '-' with nothing piped in: the keys and the logs cannot share the terminal.
            throw ValidationError("'-' reads logs from standard input, which is this terminal: pipe them in ('cmd | logdash') or name a file")
        }
        let notices = Notices()
        // With --store: what is stored comes back, and what arrives is kept. A store another
        // logdash writes (an ingest daemon) is shown read-only, beside this run's own records.
        var durable: DurableStore?
        var store = Store()
        do {
            durable = try live.durable(config: config, report: notices.add)
            if let durable { store = durable.store }
        } catch StoreError.inUse(let dir) {
            store = try StoredHistory.open(dir)
            notices.add("store \(dir) is written by another logdash: shown as it is now; what arrives here is kept in memory only")
        }
        try live.limitMemory(store, config: config, durable: durable != nil, report: notices.add)
        for seg in archived { store.append(seg) }
        store.setLookups(try input.lookupTables(config: config))
        let sinks = try live.sinks(config: config, durable: durable, agent: false, report: notices.add)
        let pipeline = Pipeline(store: store, durable: durable, load: options, settings: try live.settings(config: config), report: notices.add)
        if let sinks { pipeline.attach(sinks) }
        try pipeline.start(specs)
        defer {
            pipeline.stop()
            // (After the screen is closed: what is said reaches the terminal.)
            sinks?.stop(grace: .seconds(10)) { FileHandle.standardError.write(Data("logdash: \($0)\n".utf8)) }
            try? durable?.close()
        }
        let screen = try Screen(forceASCII: ascii, noColor: noColor, theme: chosen)
        defer { screen.close() }
        if mouse { screen.enableMouse() }
        // Listeners by the address they got (port 0 chooses one), in the order they were named.
        var bound = pipeline.listening.makeIterator()
        let names = specs.map { $0.endpoint != nil ? (bound.next() ?? $0.url) : $0.url }
        var app = DashboardLoop(screen: screen, store: store, pipeline: pipeline, notices: notices, sources: names,
                                themes: themes.contains(chosen) ? themes : [chosen] + themes, theme: chosen)
        if let problem = themeProblems.first { app.state.notice = problem }
        if let sinks { app.sinkStatus = { sinks.sinks.map(\.status) } }
        app.state.zoomed = tail
        app.state.localZone = ShownZone(LocalZone.system())
        app.state.zone = utc ? .utc : app.state.localZone
        app.fileBoards = boards
        app.dashboardsFile = dashboardsFile
        app.alarmDefinitions = alarmDefs
        app.alarmsFile = alarmsFile
        if let chain = options.transforms {
            let reload = TransformReload(input: input)
            app.reloadTransforms = { asked in reload.reload(chain, asked: asked) }
        }
        app.bell = config.bell && !noBell
        for d in alarmDefs {  // Enter on an alarm: its records over its evaluation periods
            app.state.alarmDrills[d.name] = .init(filter: d.recordsFilter, window: d.period * Int64(d.rule?.evaluationPeriods ?? 1))
        }
        app.lateness = latenessNanos
        let env = ProcessInfo.processInfo.environment
        let stateHome = env["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.local/state")
        app.useHistory(file: stateHome + "/logdash/history")
        app.useSQLHistory(file: stateHome + "/logdash/sql_history")
        app.run()
    }
}

extension Theme {
    /// The theme `--theme` names (or the default), with every theme there is (built in and the
    /// user's, in `$XDG_CONFIG_HOME/logdash/themes/`) and the problems of broken ones.
    static func chosen(_ name: String?) throws -> (Theme, [Theme], [String]) {
        let env = ProcessInfo.processInfo.environment
        let configHome = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.config")
        let (themes, problems) = Theme.available(configHome: configHome)
        return (try name.map { try Theme.resolve($0, among: themes) } ?? themes[0], themes, problems)
    }
}
