import Foundation
import Testing
@testable import LogdashEngine

/// Anomaly-band alarms (an approximation of CloudWatch's model): mean ± k·σ of the same time
/// on earlier days, else of the periods before.
@Suite struct AnomalyBandTests {
    static let p: Int64 = 60_000_000_000
    static let t0 = Timestamp.make(year: 2026, month: 11, day: 27, hour: 14, minute: 0, second: 0)!

    @Test func theBandIsSeasonalWithHistoryAndTrailingWithout() throws {
        // Three earlier days at this time: 10, 12, 14 → mean 12, σ √(8/3).
        var values: [Int64: Double] = [:]
        for (d, v) in [10.0, 12, 14].enumerated() { values[Self.t0 - Int64(d + 1) * AnomalyBand.day] = v }
        let b = try #require(AnomalyBand.band(values: values, at: Self.t0, period: Self.p, k: 2))
        #expect(abs(b.lowerBound - (12 - 2 * (8.0 / 3).squareRoot())) < 1e-9 && abs(b.upperBound - (12 + 2 * (8.0 / 3).squareRoot())) < 1e-9)
        // Without days of history: the 60 periods before (flat at 100: the band's floor, ± 2).
        var trailing: [Int64: Double] = [:]
        for j in 1...10 { trailing[Self.t0 - Int64(j) * Self.p] = 100 }
        #expect(AnomalyBand.band(values: trailing, at: Self.t0, period: Self.p, k: 2) == 98...102)
        // Too little: no band.
        #expect(AnomalyBand.band(values: [Self.t0 - Self.p: 1], at: Self.t0, period: Self.p, k: 2) == nil)
    }

    static let yaml = """
        alarms:
          - name: traffic
            metric:
              value: count(*)
            period: 1m
            evaluation_periods: 1
            comparison: LessThanLowerOrGreaterThanUpperThreshold
            band: 3
        """

    @Test func aFileTakesABandForTheBandComparisonsAndNamesTheKeyOtherwise() throws {
        let a = try AlarmFile.parse(yaml: Self.yaml, file: "a.yaml")
        #expect(a[0].rule?.bandWidth == 3 && a[0].rule?.comparison == .lessThanLowerOrGreaterThanUpperThreshold)
        func problem(_ y: String) -> String { do { _ = try AlarmFile.parse(yaml: y, file: "a.yaml"); return "none" } catch { return "\(error)" } }
        #expect(problem(Self.yaml + "\n    threshold: 5").contains("alarms[0].threshold: a band comparison has 'band'"))
        #expect(problem(Self.yaml.replacingOccurrences(of: "band: 3", with: "band: wide")).contains("alarms[0].band: a number of standard deviations"))
        #expect(problem(Self.yaml.replacingOccurrences(of: "LessThanLowerOrGreaterThanUpperThreshold", with: "GreaterThanThreshold")).contains("alarms[0].band: only the band comparisons"))
    }

    /// Thirty quiet minutes of 10 records, then a burst of 60: ALARM at the burst, OK after.
    @Test func aBurstOutsideTheBandAlarmsAndQuietReturnsToOK() throws {
        var lines: [String] = []
        let perMinute = Array(repeating: 10, count: 30) + [60, 10, 11]
        for (minute, n) in perMinute.enumerated() {
            for s in 0..<n {
                let ts = Timestamp.iso8601(Self.t0 + Int64(minute) * Self.p + Int64(s) * 500_000_000)
                lines.append("{\"ts\":\"\(ts)\",\"level\":\"info\"}")
            }
        }
        let store = try store(lines: lines)
        let t = try AlarmReplay.run(try AlarmFile.parse(yaml: Self.yaml, file: "a.yaml"), engine: QueryEngine(snapshot: store.snapshot()))
        func end(_ minute: Int) -> Int64 { Self.t0 + Int64(minute + 1) * Self.p }
        // A point with no band yet (the first five minutes) does not breach: OK from the first
        // minute; then the burst in minute 30, and back within the band in minute 31.
        #expect(t.map(\.to) == [.ok, .alarm, .ok])
        #expect(t.map(\.at) == [end(0), end(30), end(31)])
        #expect(t[1].reason.contains("were outside the band (mean ± 3σ)") || t[1].reason.contains("was outside the band (mean ± 3σ)"))
    }
}
