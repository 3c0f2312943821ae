import Testing
@testable import LogdashEngine

@Suite struct TimestampTests {
    func t(_ s: String, reference: Int64 = arrival) -> String? {
        ByteLine.with(s) { Timestamp.parse(text: $0, reference: reference) }.map { Timestamp.iso8601($0) }
    }

    @Test func iso8601WithZoneFractionOrNeither() {
        #expect(t("2026-11-27T14:00:00Z") == "2026-11-27T14:00:00.000Z")
        #expect(t("2026-11-27T14:00:00.123Z") == "2026-11-27T14:00:00.123Z")
        #expect(t("2026-11-27T14:00:00.123456789Z") == "2026-11-27T14:00:00.123456789Z")
        #expect(t("2026-11-27T15:00:00+01:00") == "2026-11-27T14:00:00.000Z")
        #expect(t("2026-11-27T09:30:00-0430") == "2026-11-27T14:00:00.000Z")
        #expect(t("2026-11-27 14:00:00") == "2026-11-27T14:00:00.000Z")
        #expect(t("2026/11/27 14:00:00") == "2026-11-27T14:00:00.000Z")
        #expect(t("2026-11-27 14:00:00,123") == "2026-11-27T14:00:00.123Z")
    }

    @Test func timesToTheMinuteAsPeopleTypeThem() {
        #expect(t("2026-11-27 14:00") == "2026-11-27T14:00:00.000Z")
        #expect(t("2026-11-27T14:00Z") == "2026-11-27T14:00:00.000Z")
        #expect(t("2026-11-27T15:00+01:00") == "2026-11-27T14:00:00.000Z")
        #expect(t("2026-11-27 14:0") == nil && t("2026-11-27 25:00") == nil)
    }

    @Test func apacheClfTimeWithOffset() {
        #expect(t("27/Nov/2026:14:00:00 +0000") == "2026-11-27T14:00:00.000Z")
        #expect(t("27/Nov/2026:16:00:00 +0200") == "2026-11-27T14:00:00.000Z")
    }

    @Test func bsdSyslogTimeTakesTheYearFromArrival() {
        #expect(t("Nov 27 14:00:00") == "2026-11-27T14:00:00.000Z")
        #expect(t("Nov  7 14:00:00") == "2026-11-07T14:00:00.000Z")
    }

    @Test func yearInferenceCrossesNewYearBothWays() {
        let jan2 = Timestamp.make(year: 2027, month: 1, day: 2, hour: 0, minute: 0, second: 0)!
        #expect(t("Dec 31 23:59:59", reference: jan2) == "2026-12-31T23:59:59.000Z")
        let dec31 = Timestamp.make(year: 2026, month: 12, day: 31, hour: 23, minute: 59, second: 0)!
        #expect(t("Jan  1 00:00:05", reference: dec31) == "2027-01-01T00:00:05.000Z")
        #expect(t("Mar 10 08:00:00", reference: jan2) == "2026-03-10T08:00:00.000Z")
    }

    @Test func asctimeHdfsSparkAndLogcatShapes() {
        #expect(t("Sun Dec 04 04:47:44 2005") == "2005-12-04T04:47:44.000Z")
        #expect(t("081109 203615") == "2008-11-09T20:36:15.000Z")
        #expect(t("17/06/09 20:10:40") == "2017-06-09T20:10:40.000Z")
        #expect(t("03-17 16:13:38.811") == "2026-03-17T16:13:38.811Z")
    }

    @Test func epochNumbersByMagnitude() {
        #expect(t("1795788000") == "2026-11-27T14:00:00.000Z")
        #expect(t("1795788000123") == "2026-11-27T14:00:00.123Z")
        #expect(t("1795788000123456") == "2026-11-27T14:00:00.123456Z")
        #expect(t("1795788000123456789") == "2026-11-27T14:00:00.123456789Z")
        #expect(t("1795788000.5") == "2026-11-27T14:00:00.500Z")
    }

    @Test func impossibleDatesAndJunkAreRejected() {
        for s in ["2026-13-01T00:00:00Z", "2026-11-32 00:00:00", "2026-11-27T25:00:00Z", "Foo 27 14:00:00", "27/Xyz/2026:14:00:00 +0000",
                  "hello", "", "2026-11-27", "99:99:99"] {
            #expect(t(s) == nil, "\(s)")
        }
    }

    @Test func civilDateRoundTripsOverFourCenturies() {
        for days in stride(from: -146_097, through: 146_097, by: 37) {
            let (y, m, d) = Timestamp.civilFromDays(days)
            #expect(Timestamp.daysFromCivil(y, m, d) == days)
        }
    }

    @Test func strptimeStylePatterns() throws {
        func p(_ pattern: String, _ s: String) throws -> String? {
            let f = try TimeFormat(pattern)
            return ByteLine.with(s) { f.parse($0, reference: arrival) }.map { Timestamp.iso8601($0) }
        }
        #expect(try p("%Y-%m-%d %H:%M:%S", "2026-11-27 14:00:00") == "2026-11-27T14:00:00.000Z")
        #expect(try p("%d.%m.%Y %H:%M:%S.%f %z", "27.11.2026 15:00:00.25 +01:00") == "2026-11-27T14:00:00.250Z")
        #expect(try p("%b %e %T", "Nov  7 14:00:00") == "2026-11-07T14:00:00.000Z")
        #expect(try p("%m/%d/%y %I:%M:%S %p", "11/27/26 02:00:00 PM") == "2026-11-27T14:00:00.000Z")
        #expect(try p("%s", "1795788000") == "2026-11-27T14:00:00.000Z")
        // Epoch seconds with a fraction after them (it was dropped), and too many to be a time
        // (it trapped: found by the config fuzz target).
        #expect(try p("%s.%f", "1795788000.123456") == "2026-11-27T14:00:00.123456Z")
        #expect(try p("%s", "999999999999") == nil)
        #expect(try p("%s.%f", "99999999999.5") == nil)
        #expect(try p("%Y-%m-%d", "2026-11-27x") == nil)
        #expect(throws: TimeFormat.PatternError.self) { try TimeFormat("%Q") }
    }
}
