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
            the dashboard and alarms files it names, too).
            """
    )

    @Argument(help: "The files to check.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one file to check") }
    }

    func run() throws {
        for file in files { try check(file) }
    }

    private func check(_ file: String) throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw SourceError.unreadable(file, "no such file or not readable") }
        let text = String(decoding: data, as: UTF8.self)
        let top = (try? Yams.compose(yaml: text))?.mapping
        if top?["alarms"]?.sequence != nil {
            let alarms = try AlarmFile.parse(yaml: text, file: file)
            let composites = alarms.filter { $0.composite != nil }.count
            say("\(file): ok: \(alarms.count - composites) alarm\(alarms.count - composites == 1 ? "" : "s"), \(composites) composite")
        } else if top?["dashboards"] != nil || top?["rows"] != nil {
            let boards = try DashboardFile.parse(yaml: text, file: file)
            say("\(file): ok: dashboards \(boards.map(\.name).joined(separator: ", "))")
        } else if top?["name"] != nil && (top?["regex"] != nil || top?["patterns"] != nil || top?["json"] != nil) {
            let d = try FormatDefinition.parse(yaml: text, file: file)
            let problems = d.check()
            guard problems.isEmpty else { throw ConfigError(file: file, key: "samples", line: nil, problem: problems.joined(separator: "; ")) }
            say("\(file): ok: format \(d.name), \(d.samples.count) sample\(d.samples.count == 1 ? "" : "s")")
        } else {
            let config = try Config.parse(yaml: text, file: file)
            say("\(file): ok: config")
            if let d = config.dashboard { try check(d) }
            if let a = config.alarms { try check(a) }
        }
    }

    private func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
}
