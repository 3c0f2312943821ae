import Foundation
import Testing
@testable import LogdashUI
import Scratch

@Suite struct ThemeTests {
    static let themesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("themes")

    @Test func sixBuiltInThemesEachColourEveryRole() {
        #expect(Theme.builtin.map(\.name) == ["dark", "light", "solarized-dark", "nord", "high-contrast", "monochrome"])
        for t in Theme.builtin {
            for role in Theme.roles { #expect(t.colors[role] != nil, "\(t.name) \(role)") }
        }
        #expect(Theme.builtin.last!.colors.values.allSatisfy { $0 == .terminalDefault })
    }

    @Test func theEmbeddedThemesAreTheFilesInThemesFolder() throws {
        for (name, yaml) in Theme.builtinSources {
            let file = try String(contentsOf: Self.themesDir.appendingPathComponent("\(name).yaml"), encoding: .utf8)
            #expect(file == yaml, "themes/\(name).yaml differs from the copy in BuiltinThemes.swift")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.themesDir.path).filter { $0.hasSuffix(".yaml") }
        #expect(Set(files) == Set(Theme.builtinSources.map { "\($0.name).yaml" }))
    }

    @Test func errorsNameTheFileAndTheKey() {
        func problem(_ yaml: String) -> String {
            do { _ = try Theme.parse(yaml: yaml, file: "t.yaml"); return "no error" } catch { return "\(error)" }
        }
        #expect(problem("name: x\ncolors:\n  levl.error: red").hasPrefix("t.yaml: colors.levl.error: unknown role; roles are text, dim"))
        #expect(problem("name: x\ncolors:\n  accent: purple") == "t.yaml: colors.accent: 'purple' is not a colour (default, red, bright-red, 0–255 or #rrggbb)")
        #expect(problem("colors:\n  accent: red") == "t.yaml: name: is required")
        #expect(problem("name: x\ncolour: {}") == "t.yaml: colour: unknown key; keys are name, colors")
        #expect(throws: Theme.LoadError.self) { try Theme.resolve("neon", among: Theme.builtin) }
    }

    @Test func rolesLeftOutTakeTheDefaultThemesColours() throws {
        let t = try Theme.parse(yaml: "name: mine\ncolors:\n  level.error: 208", file: "mine.yaml")
        #expect(t.color(.levelError) == .index(208))
        #expect(t.color(.levelInfo) == Theme.builtin[0].color(.levelInfo))
    }

    @Test func colourNamesIndicesAndHexMapOntoTheXterm256Palette() {
        #expect(ThemeColor.parse("default") == .terminalDefault)
        #expect(ThemeColor.parse("cyan") == .index(6))
        #expect(ThemeColor.parse("bright-black") == .index(8))
        #expect(ThemeColor.parse("244") == .index(244))
        #expect(ThemeColor.parse("#ff0000") == .index(196))
        #expect(ThemeColor.parse("#808080") == .index(244))
        #expect(ThemeColor.parse("#000000") == .index(16))
        #expect(ThemeColor.parse("256") == nil)
        #expect(ThemeColor.parse("#12345") == nil)
    }

    @Test func usersThemesLoadAndReplaceBuiltInOnesAndBrokenOnesAreReported() throws {
        let home = try Scratch.directory("themes")
        let dir = home.appendingPathComponent("logdash/themes")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "name: dark\ncolors:\n  accent: magenta\n".write(to: dir.appendingPathComponent("dark.yaml"), atomically: true, encoding: .utf8)
        try "name: mine\ncolors:\n  text: 15\n".write(to: dir.appendingPathComponent("mine.yaml"), atomically: true, encoding: .utf8)
        try "name: bad\ncolors:\n  nope: red\n".write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let (themes, problems) = Theme.available(configHome: home.path)
        #expect(themes.first { $0.name == "dark" }?.color(.accent) == .index(5))
        #expect(themes.contains { $0.name == "mine" })
        #expect(problems.count == 1 && problems[0].contains("bad.yaml: colors.nope: unknown role"))
        #expect(try Theme.resolve(dir.appendingPathComponent("mine.yaml").path, among: []).name == "mine")
    }

    @Test func capitalTAsksForTheNextTheme() {
        var s = AppState(width: 80, height: 24)
        #expect(update(&s, .key(.char("T"))) == [.nextTheme])
    }
}
