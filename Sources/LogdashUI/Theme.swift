import Foundation
import Yams

/// A colour a theme gives a role: the terminal's own, or an xterm-256 index (names and
/// `#rrggbb` map onto it).
public enum ThemeColor: Sendable, Hashable {
    case terminalDefault
    case index(Int)

    static let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    /// `default`, `red`, `bright-red`, `208`, `#d08770`.
    static func parse(_ s: String) -> ThemeColor? {
        let t = s.lowercased()
        if t == "default" { return .terminalDefault }
        if let i = names.firstIndex(of: t) { return .index(i) }
        if t.hasPrefix("bright-"), let i = names.firstIndex(of: String(t.dropFirst(7))) { return .index(i + 8) }
        if let n = Int(t), (0...255).contains(n) { return .index(n) }
        if t.hasPrefix("#"), t.count == 7, let v = Int(t.dropFirst(), radix: 16) {
            return .index(nearest256(r: v >> 16 & 255, g: v >> 8 & 255, b: v & 255))
        }
        return nil
    }

    /// The closest colour of the xterm 6×6×6 cube or grey ramp.
    static func nearest256(r: Int, g: Int, b: Int) -> Int {
        let levels = [0, 95, 135, 175, 215, 255]
        func step(_ v: Int) -> Int { levels.indices.min { abs(levels[$0] - v) < abs(levels[$1] - v) }! }
        let (ri, gi, bi) = (step(r), step(g), step(b))
        let cube = 16 + 36 * ri + 6 * gi + bi
        let cubeDist = (levels[ri] - r) * (levels[ri] - r) + (levels[gi] - g) * (levels[gi] - g) + (levels[bi] - b) * (levels[bi] - b)
        let grey = min(23, max(0, ((r + g + b) / 3 - 8) / 10))
        let gv = 8 + grey * 10
        let greyDist = (gv - r) * (gv - r) + (gv - g) * (gv - g) + (gv - b) * (gv - b)
        return greyDist < cubeDist ? 232 + grey : cube
    }
}

/// Colours by role, from YAML (`themes/*.yaml`, `$XDG_CONFIG_HOME/logdash/themes/`).
public struct Theme: Sendable, Equatable {
    public let name: String
    public let colors: [String: ThemeColor]

    /// Roles a theme may colour: the ones the dashboard draws today and those its coming panes
    /// (charts, alarms) will. A role not listed here is an error, so a typo cannot pass.
    public static let roles: [String] = StyleRole.allCases.map(\.rawValue)

    public func color(_ role: StyleRole) -> ThemeColor { colors[role.rawValue] ?? .terminalDefault }

    /// Whether its chart series have colours to tell them apart (the monochrome theme's do not).
    public var coloursSeries: Bool { Set((0..<8).map { color(.series($0)) }).count > 1 }

    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses a theme; roles left out take the default theme's colours.
    public static func parse(yaml: String, file: String) throws -> Theme {
        func fail(_ what: String) -> LoadError { LoadError(description: "\(file): \(what)") }
        let node: Node?
        do { node = try Yams.compose(yaml: yaml) } catch { throw fail("not valid YAML: \(error)") }
        guard let top = node?.mapping else { throw fail("a theme is a mapping with 'name' and 'colors'") }
        var name: String?
        var colors = Theme.fallbackColors
        for (k, v) in top {
            switch k.string {
            case "name"?:
                guard let n = v.string, !n.isEmpty else { throw fail("name: must be text") }
                name = n
            case "colors"?:
                guard let m = v.mapping else { throw fail("colors: must map roles to colours") }
                for (rk, rv) in m {
                    guard let role = rk.string, roles.contains(role) else {
                        throw fail("colors.\(rk.string ?? "?"): unknown role; roles are \(roles.joined(separator: ", "))")
                    }
                    guard let text = rv.string, let c = ThemeColor.parse(text) else {
                        throw fail("colors.\(role): '\(rv.string ?? "?")' is not a colour (default, red, bright-red, 0–255 or #rrggbb)")
                    }
                    colors[role] = c
                }
            default:
                throw fail("\(k.string ?? "?"): unknown key; keys are name, colors")
            }
        }
        guard let name else { throw fail("name: is required") }
        return Theme(name: name, colors: colors)
    }

    /// The colours of roles a theme leaves out: the built-in dark theme's.
    static let fallbackColors: [String: ThemeColor] = {
        let dark = builtinSources.first { $0.name == "dark" }!.yaml
        // The built-in dark theme names every role; parse it without a fallback.
        let node = try! Yams.compose(yaml: dark)!.mapping!
        var out: [String: ThemeColor] = [:]
        for (k, v) in node["colors"]!.mapping! { out[k.string!] = ThemeColor.parse(v.string!)! }
        return out
    }()

    public static let builtin: [Theme] = builtinSources.map { try! parse(yaml: $0.yaml, file: "themes/\($0.name).yaml") }

    /// The themes to choose from: the built-in ones, then the user's (`$XDG_CONFIG_HOME/logdash/themes/*.yaml`),
    /// a user theme replacing a built-in one of the same name. Unreadable user themes are reported.
    public static func available(configHome: String) -> (themes: [Theme], problems: [String]) {
        var themes = builtin
        var problems: [String] = []
        let dir = configHome + "/logdash/themes"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        for f in files {
            do {
                let t = try load(path: dir + "/" + f)
                themes.removeAll { $0.name == t.name }
                themes.append(t)
            } catch {
                problems.append("\(error)")
            }
        }
        return (themes, problems)
    }

    public static func load(path: String) throws -> Theme {
        guard let data = FileManager.default.contents(atPath: path) else { throw LoadError(description: "\(path): cannot be read") }
        return try parse(yaml: String(decoding: data, as: UTF8.self), file: path)
    }

    /// A theme by name among `themes`, or a path to a theme file.
    public static func resolve(_ nameOrPath: String, among themes: [Theme]) throws -> Theme {
        if let t = themes.first(where: { $0.name == nameOrPath }) { return t }
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") { return try load(path: nameOrPath) }
        throw LoadError(description: "unknown theme '\(nameOrPath)'; themes are \(themes.map(\.name).joined(separator: ", ")), or give a path to a .yaml file")
    }
}
