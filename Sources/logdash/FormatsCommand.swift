import ArgumentParser
import Foundation
import LogdashEngine
import LogdashUI

/// `logdash formats`: the formats logdash recognises, and what one of them is.
struct FormatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "formats",
        abstract: "List the log formats logdash recognises, or show one's definition.",
        discussion: """
            Built-in formats come from the definitions in formats/ (embedded) and from logdash's \
            own parsers; yours from $XDG_CONFIG_HOME/logdash/formats/*.yaml and the config file's \
            formats:. Any of them can be forced with --format NAME. Examples:
              logdash formats
              logdash formats spark
            """
    )

    @Option(help: ArgumentHelp("Config file.", discussion: "Default: $XDG_CONFIG_HOME/logdash/config.yaml.", valueName: "file"))
    var config: String?

    @Argument(help: "A format's name: show its definition.")
    var name: String?

    func run() throws {
        let cfg = try Config.load(path: config ?? Config.defaultPath, required: config != nil)
        let files = try FormatDefinition.load(directory: FormatDefinition.userDirectory)
        let user: [(name: String, title: String, sample: String, text: String?)] =
            cfg.formats.map { ($0.name, "from \(cfg.path ?? "the config file")", "", nil) }
            + files.map { ($0.name, $0.title + " (yours)", $0.samples.first?.line ?? "", $0.text) }
        let builtin = FormatDefinition.builtin.map { ($0.name, $0.title, $0.samples.first?.line ?? "", Optional($0.text)) }
        let parsers = (FormatRegistry.parsers + HeaderFormat.parsers).map { ($0.name, $0.title + " (a parser of logdash's own)", $0.sample, String?.none) }
        let all = user + parsers + builtin
        guard let name else {
            let width = min(24, (all.map(\.0.count).max() ?? 0) + 2)
            for f in all.sorted(by: { $0.0 < $1.0 }) {
                print(VisibleText.escape(f.0).padding(toLength: width, withPad: " ", startingAt: 0) + VisibleText.escape(f.1))
                if !f.2.isEmpty { print(String(repeating: " ", count: width) + "e.g. " + VisibleText.escape(String(f.2.prefix(100)))) }
            }
            print("\n\(all.count) formats; 'logdash formats NAME' shows one, '--format NAME' forces it")
            return
        }
        guard let f = all.first(where: { $0.0.lowercased() == name.lowercased() }) else {
            throw ValidationError("no format '\(name)'; 'logdash formats' lists them")
        }
        if let text = f.3 {
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        } else {
            print("\(f.0): \(f.1)")
            if !f.2.isEmpty { print("e.g. \(VisibleText.escape(f.2))") }
        }
    }
}
