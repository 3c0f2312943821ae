import Foundation
import Testing
@testable import LogdashEngine

/// Predicates on a plain (mostly unique, not dictionary-encoded) string column run on the
/// stored bytes. Wrapping the same predicate as `(P) = true` sends it down the general
/// row-by-row path instead; the two must agree on every row, NULLs included.
@Suite struct PlainStringFilterTests {
    /// Row `i`'s id, or nil for NULL.
    static let ids: [String?] = {
        var rng = SplitMix64(seed: 7)
        let words = ["Timeout", "timeout", "TIMEOUT", "Straße", "café", "cafe\u{301}", "naïve", "a_b", "50%", "", "x", "ÉCOLE", "école"]
        return (0..<3000).map { i in
            guard i % 11 != 0 else { return nil }
            let w = words[rng.int(0, words.count - 1)]
            return "\(i % 3 == 0 ? w : "")-\(String(rng.next() % 1_000_000, radix: 36))\(i % 5 == 0 ? w : "")"
        }
    }()

    static let engine: QueryEngine = {
        let lines = ids.enumerated().map { i, id in
            "{\"ts\":\"2026-11-27T14:00:00Z\",\"n\":\(i)" + (id.map { ",\"id\":\"\($0)\"" } ?? "") + "}"
        }
        let store = Store()
        let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        let options = ParseOptions()
        let d = try! bytes.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: arrival) }
        var batch = RecordBatch(source: "plain")
        _ = bytes.withUnsafeBufferPointer { SourceParser(options: options, detection: d).parse($0, arrival: arrival, final: true, into: &batch) }
        store.append(batch)
        return QueryEngine(snapshot: store.snapshot(), now: arrival)
    }()

    @Test func theColumnIsStoredPlain() throws {
        let seg = try #require(Self.engine.snapshot.segments.first)
        let col = try #require(seg.columns["id"])
        #expect(!col.isDictionary && !col.offsets.isEmpty)
    }

    @Test(arguments: [
        "id = '-0'", "id <> '-0'", "id = 'timeout-1a'", "id = '\(ids[3]!)'", "id = '\(ids[6]!)' OR id = '\(ids[5]!)'", "id <> '\(ids[30]!)'",
        "id IN ('a', '\(ids[15]!)', '\(ids[45]!)', 'cafe\u{301}-')", "id NOT IN ('a', '')",
        "id LIKE '%timeout%'", "id LIKE 'Timeout-%'", "id LIKE '%a\\_b%'", "id LIKE '%a_b%'", "id LIKE '%50%%'",
        "id LIKE '%caf_'", "id LIKE '%caf__'", "id LIKE '_-%'", "id LIKE '%'", "id LIKE ''", "id LIKE '-%x'",
        "id LIKE '%é%'", "id LIKE '%_é%'", "id LIKE '%stra_e%'", "id NOT LIKE '%e%'",
        "id ILIKE '%timeout%'", "id ILIKE '%STRASSE%'", "id ILIKE '%straße%'", "id ILIKE '%école%'", "id ILIKE '%CAFÉ%'",
        "id NOT ILIKE '%o%'", "id ILIKE 'x-%'", "id IS NULL", "id IS NOT NULL", "n IS NULL", "ts IS NOT NULL",
    ])
    func bytePathAgreesWithTheGeneralPath(_ predicate: String) throws {
        func ns(_ sql: String) throws -> [Int64] {
            try Self.engine.execute(sql).rows.map { if case .int(let n) = $0[0] { n } else { -1 } }
        }
        let fast = try ns("SELECT n FROM logs WHERE \(predicate) ORDER BY n")
        let slow = try ns("SELECT n FROM logs WHERE (\(predicate)) = true ORDER BY n")
        #expect(fast == slow, "\(predicate)")
        let fastNot = try ns("SELECT n FROM logs WHERE NOT (\(predicate)) ORDER BY n")
        let slowNot = try ns("SELECT n FROM logs WHERE (\(predicate)) = false ORDER BY n")
        #expect(fastNot == slowNot, "NOT \(predicate)")
        #expect(fast.count + fastNot.count <= 3000)
    }

    @Test func likeMatchesOneCodePointPerUnderscoreAndIlikeFoldsNonASCII() throws {
        #expect(LikePattern("caf_", caseInsensitive: false).matches("café"))
        #expect(!LikePattern("caf_", caseInsensitive: false).matches("cafe\u{301}"))  // two code points
        #expect(LikePattern("caf__", caseInsensitive: false).matches("cafe\u{301}"))
        #expect(LikePattern("%ÉCOLE%", caseInsensitive: true).matches("une école"))
        #expect(LikePattern("a%b%c", caseInsensitive: false).matches("aXbYbc"))
        #expect(!LikePattern("a%b%c", caseInsensitive: false).matches("aXcYb"))
        #expect(LikePattern("%", caseInsensitive: false).matches(""))
        #expect(!LikePattern("_", caseInsensitive: false).matches(""))
        #expect(LikePattern("%aa", caseInsensitive: false).matches("aaa"))
    }
}
