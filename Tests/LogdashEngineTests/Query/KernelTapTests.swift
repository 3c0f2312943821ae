import Foundation
import Testing
@testable import LogdashEngine
import Scratch

@Suite struct KernelTapTests {
    /// Streaming queries whose kernels ran on the segments as they were made (`KernelTap`,
    /// beside the parsing of a real file) close the same windows with the same rows as the
    /// same queries running their kernels themselves. The file's first lines have fewer
    /// fields, and its last ones a status in words: the table gains columns, and its status
    /// becomes text, after most segments were tapped — their groups (keyed by status as a
    /// number) are made again; the last segments' are taken.
    @Test func kernelsRunAsSegmentsAreMadeCloseTheSameWindows() throws {
        var lines = (0..<600).map { i in
            #"{"ts":"2026-11-27T00:00:\#(String(format: "%02d", i % 60)).000Z","level":"info","service":"api","status":200,"latency_ms":\#(i % 7),"bytes":\#(i)}"#
        }
        lines += String(decoding: try genLogs(["--format", "json", "--lines", "5000", "--seed", "12", "--span", "1800"]), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        lines += (0..<40).map { i in
            #"{"ts":"2026-11-27T00:29:\#(String(format: "%02d", i)).500Z","level":"warn","service":"api","status":"OK","latency_ms":2.5,"bytes":\#(i)}"#
        }
        let file = try Scratch.directory("kerneltap").appendingPathComponent("a.log")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)

        let store = Store()
        let tapped = try PartialKernelTests.queries.map { try StreamingQuery(sql: $0) }
        let own = try PartialKernelTests.queries.map { try StreamingQuery(sql: $0) }
        let tap = KernelTap(tapped, store: store)
        for q in tapped { q.kernelTap = tap }
        let feed = store.subscribe(fromStart: true)
        var load = LoadOptions()
        load.kernelTap = tap
        try replay(file, into: store, taps: load)  // many segments
        let segments = feed.take(), schema = store.snapshot().schema
        #expect(segments.count > 10)

        // A window's rows, sorted (sessions are made in another order per segment than per
        // batch), floats to nine digits (sums add up in another order).
        func rows(_ emissions: [StreamingQuery.Emission]) -> [String] {
            emissions.map { e in
                "\(e.windowStart) \(e.windowEnd) " + e.result.rows.map { row in
                    row.map { v in
                        switch v {
                        case .double(let d): String(format: "%.9g", d)
                        case .string(let s): "'\(s)'"
                        default: v.description
                        }
                    }.joined(separator: ",")
                }.sorted().joined(separator: "; ")
            }
        }
        for (k, (a, b)) in zip(tapped, own).enumerated() {
            for q in [a, b] {
                q.holdsWatermark = true
                for from in stride(from: 0, to: segments.count, by: 3) {
                    try q.add(Array(segments[from..<min(segments.count, from + 3)]), schema: schema)
                }
            }
            let (x, y) = (rows(try a.finishAll()), rows(try b.finishAll()))
            #expect(!x.isEmpty)
            #expect(x == y, "\(PartialKernelTests.queries[k])")
        }
        // Taken for the last segments, made again for the others.
        #expect(tap.taken > 0)
        #expect(tap.taken < segments.count * tapped.count)
    }
}
