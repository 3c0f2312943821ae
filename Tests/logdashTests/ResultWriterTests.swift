import Foundation
import Testing
@testable import logdash
@testable import LogdashEngine
import LogdashUI

@Suite struct ResultWriterTests {
    /// Times written from the kept texts read as each time formatted on its own — repeated,
    /// alternating (windows' bounds and rows' starts), and older ones long out of the slots.
    @Test func timesWrittenFromKeptTextsEqualEachFormattedAlone() {
        var times = ResultWriter.TimeTexts()
        var generator = SystemRandomNumberGenerator()
        let minute: Int64 = 60_000_000_000
        var sequence: [Int64] = []
        for w in 0..<60_000 {
            let start = Int64(w) * minute + 1_700_000_000_000_000_000
            sequence += [start, start + minute, start, start]
            if w % 7 == 0 { sequence.append(start - Int64.random(in: 0..<(100 * minute), using: &generator)) }
        }
        var got: [UInt8] = [], want: [UInt8] = []
        for t in sequence {
            times.append(t, to: &got)
            Timestamp.appendISO8601(t, to: &want)
            got.append(0x0A)
            want.append(0x0A)
        }
        #expect(got.count == want.count)
        #expect(got == want)
    }

    /// Columns of one name (`SELECT l.status, r.status` of a join) are all kept in JSON, the later
    /// ones numbered; arrays and maps are JSON arrays and objects.
    @Test func jsonKeepsEveryColumnOfOneNameAndWritesArraysAsArrays() {
        let r = ResultSet(columns: ["status", "status", "status_1", "a"],
                          rows: [[.int(200), .int(503), .string("x"), .array([.int(1), .map([.string("k")], [.null])])]])
        #expect(ResultWriter.render(r, as: .ndjson) == "{\"status\":200,\"status_1\":503,\"status_1_1\":\"x\",\"a\":[1,{\"k\":null}]}\n")
    }
}
