import ArgumentParser
import Foundation
import LogdashEngine
import LogdashUI
import Yams

/// `logdash check`: validates config, alarm and dashboard files without running anything.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check config, alarm, dashboard and format files; a problem exits 1 naming the file, line and key.",
        discussion: """
            A file with a top-level 'alarms' list is checked as alarms, one with 'dashboards' or \
            'rows' as dashboards, one with 'name' and 'regex', 'patterns' or 'json' as a format definition \
            (its samples must give what their 'expect' says), anything else as a config file (and \
            the dashboard and alarms files it names, too). Every problem is said, not the first \
            only. With --against, the alarms' and dashboards' SQL is also checked against the \
            columns of those sources' records (an unknown column is named, with the nearest).
            """
    )

    @Argument(help: "The files to check.")
    var files: [String]

    @Option(name: .customLong("against"), parsing: .upToNextOption,
            help: ArgumentHelp("Also check every SQL expression of the alarms and dashboards against the columns of these sources' records (files, globs, '-').",
                               valueName: "source"))
    var against: [String] = []

    @OptionGroup var input: InputOptions

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one file to check") }
    }

    func run() throws {
        // The data the expressions are checked against: its columns, no record kept.
        var data: StoreSnapshot?
        if !against.isEmpty {
            var (config, options) = try input.resolve()
            options.transforms = nil  // the records as parsed: the transform steps are what is checked
            data = try Store.load(try input.sources(against, config: config, liveDemo: false), options: options).0.snapshot().shapeOnly
        }
        var problems = 0
        for file in files { problems += try check(file, against: data) }
        if problems > 0 {
            say("\(problems) problem\(problems == 1 ? "" : "s") found", error: true)
            throw ExitCode(1)
        }
    }

    /// The formats a `parse … as: FORMAT` step can name: the config's (this one, else the
    /// default or --config one), the user's definition files, the built-in ones.
    private func knownFormats(_ config: Config? = nil) throws -> FormatRegistry {
        try InputOptions.formats(config ?? Config.load(path: input.config ?? Config.defaultPath, required: false))
    }

    /// With lookup tables at hand (`--lookup`, the config's `lookups:`), the `lookup` steps'
    /// tables and fields checked against them: a problem naming the step, or none.
    private func lookupProblems(_ steps: [TransformStep], _ config: Config? = nil) throws -> [String] {
        let config = try config ?? Config.load(path: input.config ?? Config.defaultPath, required: false)
        guard !input.lookups.isEmpty || !config.lookups.isEmpty,
              steps.contains(where: { if case .lookup = $0.action { true } else { false } }) else { return [] }
        do {
            _ = try TransformChain(steps: steps, lookups: try input.lookupTables(config: config))
            return []
        } catch let e as ConfigError {
            return [e.description]
        }
    }

    /// Checks one file, saying every problem in it; how many there were.
    private func check(_ file: String, against data: StoreSnapshot?) throws -> Int {
        guard let bytes = FileManager.default.contents(atPath: file) else { throw SourceError.unreadable(file, "no such file or not readable") }
        let text = String(decoding: bytes, as: UTF8.self)
        let top = (try? Yams.compose(yaml: text))?.mapping
        var problems: [String] = []
        var ok: String
        if top == nil, (try? Yams.compose(yaml: text))?.sequence != nil {
            // A transform file (`--transform FILE`: a list of steps).
            let steps: [TransformStep]
            do { steps = try TransformChain.load(path: file) } catch let e as ConfigError {
                say("logdash: \(e)", error: true)
                return 1
            }
            if let data { problems = TransformChain.problems(steps, columns: data.schema.map(\.name)).map { "\(file): \($0)" } }
            problems += TransformChain.unknownFormats(steps, registry: try knownFormats()).map(\.description)
            problems += try lookupProblems(steps)
            ok = "\(steps.count) transform step\(steps.count == 1 ? "" : "s")"
        } else if top?["alarms"]?.sequence != nil {
            let (alarms, found) = try AlarmFile.check(yaml: text, file: file)
            problems = found.map(\.description)
            if let data {
                for a in alarms { if let p = a.problem(against: data) { problems.append("\(file): alarm \(a.name): \(p)") } }
            }
            let composites = alarms.filter { $0.composite != nil }.count
            ok = "\(alarms.count - composites) alarm\(alarms.count - composites == 1 ? "" : "s"), \(composites) composite"
        } else if top?["dashboards"] != nil || top?["rows"] != nil {
            let (boards, found) = try DashboardFile.check(yaml: text, file: file)
            problems = found.map(\.description)
            if let data {
                for b in boards {
                    for pane in b.panes {
                        guard let sql = pane.sql else { continue }
                        do {
                            _ = try QueryEngine(snapshot: data).run(sql)
                        } catch let e as QueryError {
                            problems.append("\(file): dashboard \(b.name), pane '\(pane.title)': \(e.message)")
                        }
                    }
                }
            }
            ok = "dashboards \(boards.map(\.name).joined(separator: ", "))"
        } else if top?["name"] != nil && (top?["regex"] != nil || top?["patterns"] != nil || top?["json"] != nil) {
            let d = try FormatDefinition.parse(yaml: text, file: file)
            problems = d.check().map { "\(file): samples: \($0)" }
            ok = "format \(d.name), \(d.samples.count) sample\(d.samples.count == 1 ? "" : "s")"
        } else {
            let (config, found) = try Config.check(yaml: text, file: file)
            problems = found.map(\.description)
            if let data, !config.transforms.isEmpty {
                problems += TransformChain.problems(config.transforms, columns: data.schema.map(\.name)).map { "\(file): transforms: \($0)" }
            }
            problems += TransformChain.unknownFormats(config.transforms, registry: try knownFormats(config)).map(\.description)
            problems += try lookupProblems(config.transforms, config)
            ok = "config"
            for p in problems { say("logdash: " + p, error: true) }
            if problems.isEmpty { say("\(file): ok: config") }
            var more = 0
            if let d = config.dashboard { more += try check(d, against: data) }
            if let a = config.alarms { more += try check(a, against: data) }
            return problems.count + more
        }
        for p in problems { say("logdash: " + p, error: true) }
        if problems.isEmpty { say("\(file): ok: \(ok)") }
        return problems.count
    }

    private func say(_ line: String, error: Bool = false) {
        (error ? FileHandle.standardError : FileHandle.standardOutput).write(Data((line + "\n").utf8))
    }
}
