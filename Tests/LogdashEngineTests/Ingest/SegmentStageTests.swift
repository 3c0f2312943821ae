import Foundation
import Testing
import Scratch

@testable import LogdashEngine

/// The stages a segment goes through as it is made: the transform stage, then the taps.
@Suite struct SegmentStageTests {
    @Test func stagesKeepTheirOrderHoweverTheyAreSetAndTheTapsSeeWhatTheTransformsKept() throws {
        let filters = [PreparedFilter(try MetricFilter.parse("timeout"), selector: nil)]
        let tap = LineTap(filters: filters, periods: [10_000_000_000])
        let kernel = KernelTap([], store: Store())
        let chain = try TransformChain(steps: try TransformTests.steps(#"- where: "status < 500""#))
        var load = LoadOptions()
        load.kernelTap = kernel
        load.lineTap = tap
        load.transforms = chain
        #expect(load.stages.map { ObjectIdentifier($0) } == [ObjectIdentifier(chain), ObjectIdentifier(tap), ObjectIdentifier(kernel)])
        load.lineTap = nil
        #expect(load.stages.count == 2 && load.lineTap == nil && load.transforms === chain && load.kernelTap === kernel)
        load.kernelTap = nil
        load.lineTap = tap
        #expect(load.stages.map { ObjectIdentifier($0) } == [ObjectIdentifier(chain), ObjectIdentifier(tap)])

        // The line tap measures the records stored: not the one the transform stage dropped.
        let file = try Scratch.directory("stages").appendingPathComponent("a.log")
        try Data("""
            {"ts":"2026-11-27T00:00:00Z","status":200,"msg":"timeout a"}
            {"ts":"2026-11-27T00:00:01Z","status":503,"msg":"timeout b"}
            {"ts":"2026-11-27T00:00:02Z","status":200,"msg":"ok"}

            """.utf8).write(to: file)
        let store = Store()
        try replay(file, into: store, taps: load)
        let segments = store.snapshot().segments
        #expect(segments.reduce(0) { $0 + $1.rowCount } == 2)
        let tapped = AlarmStream.sums(of: filters, periods: [10_000_000_000], over: segments, tap: tap)
        let direct = AlarmStream.sums(of: filters, periods: [10_000_000_000], over: segments)
        #expect(tapped == direct && direct[0].values.reduce(0, +) == 1 && tap.taken == segments.count)
    }
}
