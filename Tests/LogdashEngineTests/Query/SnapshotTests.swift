import Foundation
import Testing
@testable import LogdashEngine

@Suite struct SnapshotTests {
    /// One thread appends 200 batches of 50 records while this one queries: every query sees
    /// whole batches only, never fewer rows than the one before, and its snapshot's own count.
    @Test func queriesSeeConsistentSnapshotsWhileIngestAppends() throws {
        let store = Store()
        let batches = 200, perBatch = 50
        let text = (0..<perBatch).map { "{\"n\":\($0),\"level\":\"info\"}" }.joined(separator: "\n") + "\n"
        let bytes = Array(text.utf8)
        let options = ParseOptions()
        let detection = try bytes.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: arrival) }
        let writer = Thread {
            for _ in 0..<batches {
                var batch = RecordBatch(source: "live")
                _ = bytes.withUnsafeBufferPointer { SourceParser(options: options, detection: detection).parse($0, arrival: arrival, final: true, into: &batch) }
                store.append(batch)
            }
        }
        writer.start()
        var last = 0, queries = 0
        while last < batches * perBatch {
            let snap = store.snapshot()
            if snap.rowCount == 0 { usleep(100); continue }  // no column `n` before the first batch
            let r = try QueryEngine(snapshot: snap, now: arrival).execute("SELECT count(*), sum(n) FROM logs")
            guard case .int(let count) = r.rows[0][0] else { Issue.record("no count"); return }
            #expect(Int(count) == snap.rowCount)
            #expect(count % Int64(perBatch) == 0, "a query saw part of a batch")
            #expect(Int(count) >= last)
            if count > 0 { #expect(r.rows[0][1] == .int(count / Int64(perBatch) * Int64(perBatch * (perBatch - 1) / 2))) }
            last = Int(count)
            queries += 1
        }
        #expect(queries > 1)
    }
}
