import Foundation
import Testing

/// Times without a zone are read in the machine's zone, or the one the user names, as a
/// user meets it: `TZ`, `--timezone`, the config's `timezone:` and per-source settings.
@Suite struct TimeZoneCommandTests {
    let cli = CommandLineTests()
    let lines = "Nov 27 14:00:00 web-1 sshd[4242]: Accepted publickey\n2026-11-27T14:00:00Z web-1 app: zoned\n"

    func times(_ r: CommandLineTests.Result) -> [String] {
        r.out.split(separator: "\n").dropFirst().map(String.init)
    }

    @Test func theMachinesZoneFromTZIsTheDefaultAndTimezoneOverridesIt() throws {
        let log = try cli.temp("tz.log", lines)
        let q = ["query", "SELECT ts FROM logs ORDER BY raw", log, "-o", "csv"]
        let berlin = try cli.logdash(q, env: ["TZ": "Europe/Berlin"])
        #expect(berlin.status == 0 && times(berlin) == ["2026-11-27T14:00:00.000Z", "2026-11-27T13:00:00.000Z"], "\(berlin.out) \(berlin.err)")
        let utc = try cli.logdash(q + ["--timezone", "UTC"], env: ["TZ": "Europe/Berlin"])
        #expect(times(utc) == ["2026-11-27T14:00:00.000Z", "2026-11-27T14:00:00.000Z"], "\(utc.out)")
        let ny = try cli.logdash(q + ["--timezone", "America/New_York"], env: ["TZ": "UTC"])
        #expect(times(ny) == ["2026-11-27T14:00:00.000Z", "2026-11-27T19:00:00.000Z"], "\(ny.out)")
        let inspect = try cli.logdash(["inspect", log], env: ["TZ": "Asia/Tokyo"])
        #expect(inspect.out.contains("time zone    Asia/Tokyo"), "\(inspect.out)")
        let bad = try cli.logdash(q + ["--timezone", "Mars/Base"])
        #expect(bad.status != 0 && bad.err.contains("--timezone 'Mars/Base' is not a time zone"), "\(bad.err)")
    }

    @Test func theConfigGivesAZoneForAllSourcesAndForSomeByPath() throws {
        let local = try cli.temp("local.log", lines)
        let remote = try cli.temp("remote.log", lines)
        let config = try cli.temp("tz.yaml", """
            timezone: +05:30
            sources:
              - \(local)
              - { path: '\((remote as NSString).deletingLastPathComponent)/remote*.log', timezone: UTC }

            """)
        let q = try cli.logdash(["query", "SELECT ts FROM logs WHERE raw LIKE 'Nov%' ORDER BY ts", "--config", config, "-o", "csv"], env: ["TZ": "Europe/Berlin"])
        #expect(q.status == 0 && times(q) == ["2026-11-27T08:30:00.000Z", "2026-11-27T14:00:00.000Z"], "\(q.out) \(q.err)")
        let bad = try cli.temp("bad-tz.yaml", "sources:\n  - { path: x.log, timezone: Nowhere/Town }\n")
        let b = try cli.logdash(["query", "SELECT 1", "--config", bad])
        #expect(b.status != 0 && b.err.contains("sources.timezone") && b.err.contains("must be a time zone"), "\(b.err)")
    }

    /// A file's yearless times take their year from the file's modification time, not today's:
    /// "Dec 31" in a file last written on 2 January 2025 is 31 December 2024.
    @Test func aFilesYearlessTimesTakeTheYearOfItsModificationTime() throws {
        let log = try cli.temp("old.log", "Dec 31 23:59:00 web-1 cron[1]: last of the year\nJan  2 08:00:00 web-1 cron[1]: back\n")
        let t = try #require(DateComponents(calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"),
                                            year: 2025, month: 1, day: 2, hour: 9).date)
        try FileManager.default.setAttributes([.modificationDate: t], ofItemAtPath: log)
        let q = try cli.logdash(["query", "SELECT ts FROM logs ORDER BY ts", log, "-o", "csv", "--timezone", "UTC"])
        #expect(times(q) == ["2024-12-31T23:59:00.000Z", "2025-01-02T08:00:00.000Z"], "\(q.out) \(q.err)")
    }
}
