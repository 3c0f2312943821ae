import Foundation
import Testing
import Scratch

/// `logdash render`: one frame as text, from real generated logs.
@Suite struct RenderCommandTests {
    let cli = CommandLineTests()

    func generated(_ format: String, lines: Int) throws -> String {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/bench/gen_logs.py").path
        let path = try Scratch.directory("render").appendingPathComponent("\(format).log").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "python3 '\(script)' --format \(format) --lines \(lines) --seed 42 > '\(path)'"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return path
    }

    @Test func theDefaultDashboardShowsThePanesTheFieldsAllow() throws {
        let file = try generated("json", lines: 3000)
        let r = try cli.logdash(["render", "--size", "120x40", file])
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 40)
        #expect(lines.allSatisfy { $0.count <= 120 })
        for title in ["records/", "errors/", "p95 latency_ms", "hosts", "records by level", "top status", "top path", "latency_ms p50", "newest records"] {
            #expect(r.out.contains(title), "\(title)")
        }
        #expect(r.out.contains("█") && r.out.unicodeScalars.contains { (0x2800...0x28FF).contains($0.value) })  // bars and braille
        #expect(!r.out.contains("\u{1B}"))
        // The same frame in ASCII, and in colour.
        let ascii = try cli.logdash(["render", "--size", "80x24", "--ascii", file])
        #expect(ascii.status == 0 && ascii.out.unicodeScalars.allSatisfy { $0.isASCII })
        let ansi = try cli.logdash(["render", "--size", "80x24", "--ansi", "--theme", "nord", file])
        #expect(ansi.status == 0 && ansi.out.contains("\u{1B}[0;38;5;"))
    }

    @Test func aQueryIsDrawnAsTheChartItsShapeSuggests() throws {
        let file = try generated("combined", lines: 2000)
        let top = try cli.logdash(["render", "--size", "60x8", "--query", "SELECT status, count(*) n FROM logs GROUP BY 1 ORDER BY 2 DESC LIMIT 5", file])
        #expect(top.status == 0, "\(top.err)")
        #expect(top.out.split(separator: "\n").first?.hasPrefix("200 ████") == true, "\(top.out)")
        let share = try cli.logdash(["render", "--size", "40x6", "--chart", "proportion", "--query",
                                     "SELECT method, count(*) FROM logs GROUP BY 1 ORDER BY 2 DESC", file])
        #expect(share.status == 0 && share.out.contains("% GET"), "\(share.out)")
        let wrong = try cli.logdash(["render", "--chart", "line", "--query", "SELECT method, count(*) FROM logs GROUP BY 1", file])
        #expect(wrong.status == 1 && wrong.err.contains("a line chart needs a time column"), "\(wrong.err)")
        let bad = try cli.logdash(["render", "--query", "SELECT statuss FROM logs", file])
        #expect(bad.status == 1 && bad.err.contains("did you mean 'status'") && bad.err.contains("^"), "\(bad.err)")
        let size = try cli.logdash(["render", "--size", "huge", file])
        #expect(size.status != 0 && size.err.contains("--size 'huge'"))
        let type = try cli.logdash(["render", "--chart", "pie", "--query", "SELECT 1", file])
        #expect(type.status != 0 && type.err.contains("not a chart type"))
    }

    @Test func aDashboardFileIsDrawnByNameAndABadOneIsRefusedWithItsKey() throws {
        let file = try generated("logfmt", lines: 1500)
        let dir = try Scratch.directory("dash")
        let yaml = dir.appendingPathComponent("d.yaml").path
        try """
            dashboards:
              - name: one
                rows:
                  - panes:
                      - title: by level
                        sql: SELECT level, count(*) FROM logs GROUP BY 1 ORDER BY 2 DESC
              - name: two
                rows:
                  - panes:
                      - title: users
                        sql: SELECT user, count(*) FROM logs GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3
                        chart: table
            """.write(toFile: yaml, atomically: true, encoding: .utf8)
        let first = try cli.logdash(["render", "--size", "60x8", "--dashboard", yaml, file])
        #expect(first.status == 0 && first.out.contains("┌ by level") && first.out.contains("info "), "\(first.out)\(first.err)")
        let second = try cli.logdash(["render", "--size", "60x8", "--dashboard", yaml, "--name", "two", file])
        #expect(second.status == 0 && second.out.contains("┌ users") && second.out.contains("user "), "\(second.out)")
        let missing = try cli.logdash(["render", "--dashboard", yaml, "--name", "three", file])
        #expect(missing.status == 2 && missing.err.contains("no dashboard 'three' in the file; it has one, two"))
        try "name: x\nrows:\n  - panes:\n      - sql: SELECT 1\n        chart: pie\n".write(toFile: yaml, atomically: true, encoding: .utf8)
        let bad = try cli.logdash(["render", "--dashboard", yaml, file])
        #expect(bad.status == 1 && bad.err.contains("d.yaml:5: (top level).rows[0].panes[0].chart: one of line"), "\(bad.err)")
        // From the config file, a path relative to it.
        try "name: cfg\nrows:\n  - panes:\n      - title: total\n        sql: SELECT count(*) FROM logs\n".write(toFile: yaml, atomically: true, encoding: .utf8)
        let config = dir.appendingPathComponent("config.yaml").path
        try "dashboard: d.yaml\n".write(toFile: config, atomically: true, encoding: .utf8)
        let viaConfig = try cli.logdash(["render", "--size", "30x5", "--config", config, file])
        #expect(viaConfig.status == 0 && viaConfig.out.contains("┌ total") && viaConfig.out.contains("1500"), "\(viaConfig.out)\(viaConfig.err)")
    }
}
