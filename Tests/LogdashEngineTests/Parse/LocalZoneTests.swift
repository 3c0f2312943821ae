import Testing
@testable import LogdashEngine

/// Times written without a zone are wall-clock times in a zone from the tz database.
@Suite struct LocalZoneTests {
    func utc(_ zone: LocalZone, _ local: String) -> String {
        let ns = ByteLine.with(local) { Timestamp.parse(text: $0, reference: 0) }!
        return Timestamp.iso8601(zone.utc(fromLocal: ns))
    }

    @Test func berlinsWallClockBecomesUTCAcrossBothDaylightSavingChanges() throws {
        let berlin = try #require(LocalZone("Europe/Berlin"))
        #expect(utc(berlin, "2026-01-15 12:00:00") == "2026-01-15T11:00:00.000Z")
        #expect(utc(berlin, "2026-07-15 12:00:00") == "2026-07-15T10:00:00.000Z")
        // Clocks go forward at 02:00 on 29 March 2026: 02:30 does not exist; read at the offset before.
        #expect(utc(berlin, "2026-03-29 01:59:59") == "2026-03-29T00:59:59.000Z")
        #expect(utc(berlin, "2026-03-29 02:30:00") == "2026-03-29T01:30:00.000Z")
        #expect(utc(berlin, "2026-03-29 03:00:00") == "2026-03-29T01:00:00.000Z")
        // Clocks go back at 03:00 on 25 October 2026: 02:30 happens twice; the first (summer) reading.
        #expect(utc(berlin, "2026-10-25 02:30:00") == "2026-10-25T00:30:00.000Z")
        #expect(utc(berlin, "2026-10-25 03:30:00") == "2026-10-25T02:30:00.000Z")
        #expect(!berlin.isUTC)
    }

    @Test func namesAbbreviationsAndFixedOffsetsAreZones() throws {
        #expect(try #require(LocalZone("UTC")).isUTC)
        #expect(utc(try #require(LocalZone("+05:30")), "2026-11-27 14:00:00") == "2026-11-27T08:30:00.000Z")
        #expect(utc(try #require(LocalZone("-0800")), "2026-11-27 14:00:00") == "2026-11-27T22:00:00.000Z")
        #expect(utc(try #require(LocalZone("UTC+2")), "2026-11-27 14:00:00") == "2026-11-27T12:00:00.000Z")
        #expect(utc(try #require(LocalZone("America/New_York")), "2026-07-04 12:00:00") == "2026-07-04T16:00:00.000Z")
        #expect(utc(try #require(LocalZone("Asia/Kolkata")), "1999-12-31 23:00:00") == "1999-12-31T17:30:00.000Z")
        #expect(LocalZone("Mars/Olympus_Mons") == nil)
        #expect(LocalZone("+25:00") == nil)
    }

    /// Only times without a zone move: `Z`, offsets, `UTC` and epoch numbers say theirs.
    @Test func onlyTimesWithoutAZoneAreReadInTheSourcesZone() throws {
        let text = """
            2026-11-27 14:00:00 INFO local
            2026-11-27T14:00:00Z INFO zulu
            2026-11-27T14:00:00+01:00 INFO offset
            2026-11-27 14:00:00 UTC INFO named
            Nov 27 14:00:00 web-1 sshd[1]: syslog

            """
        let got = try parse(text, timezone: LocalZone("Europe/Berlin")).records.map { $0["ts"]?.description ?? "-" }
        #expect(got == ["2026-11-27T13:00:00.000Z", "2026-11-27T14:00:00.000Z", "2026-11-27T13:00:00.000Z",
                        "2026-11-27T14:00:00.000Z", "2026-11-27T13:00:00.000Z"])
    }

    /// A format may say its own zone (`timezone:` in a definition), over the source's.
    @Test func aDefinitionsOwnZoneWinsOverTheSources() throws {
        let def = try FormatDefinition.parse(yaml: """
            name: tokyo
            regex: '^T (?<ts>\\S+ \\S+) (?<message>.*)$'
            timezone: Asia/Tokyo
            samples: ['T 2026-11-27 14:00:00 hello']
            """, file: "tokyo.yaml")
        let rows = try parse("T 2026-11-27 14:00:00 hello\n", registry: FormatRegistry(userFormats: [def.format]), timezone: LocalZone("Europe/Berlin")).records
        #expect(rows.map { $0["ts"]?.description ?? "-" } == ["2026-11-27T05:00:00.000Z"])
    }
}
