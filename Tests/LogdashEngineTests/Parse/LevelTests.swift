import Testing
@testable import LogdashEngine

@Suite struct LevelTests {
    @Test func spellingsNormaliseToEightLevels() {
        let cases: [(String, Level)] = [
            ("TRACE", .trace), ("finest", .trace), ("debug", .debug), ("DBG", .debug), ("Fine", .debug),
            ("INFO", .info), ("information", .info), ("I", .info), ("notice", .notice),
            ("WARN", .warn), ("Warning", .warn), ("W", .warn), ("wrn", .warn),
            ("ERROR", .error), ("ERR", .error), ("E", .error), ("SEVERE", .error),
            ("crit", .critical), ("CRITICAL", .critical), ("alert", .critical),
            ("FATAL", .fatal), ("panic", .fatal), ("emerg", .fatal), ("EMERGENCY", .fatal),
        ]
        for (s, l) in cases { #expect(Level(s) == l, "\(s)") }
        for s in ["", "hello", "warn1", "errors", "x"] { #expect(Level(s) == nil, "\(s)") }
    }

    @Test func syslogSeveritiesMapOntoLevels() {
        #expect((0...7).map { Level(syslogSeverity: $0)! } == [.fatal, .critical, .critical, .error, .warn, .notice, .info, .debug])
        #expect(Level(syslogSeverity: 8) == nil)
    }
}
