import Foundation
import Synchronization
import Testing
@testable import LogdashEngine

/// Input built to exhaust the stack or overflow arithmetic gets an error or is stored as text;
/// it never stops the process (each of these crashed it before).
@Suite struct HostileInputTests {
    static func nested(_ open: String, _ inner: String, _ close: String, _ n: Int) -> String {
        String(repeating: open, count: n) + inner + String(repeating: close, count: n)
    }

    @Test func aJSONLineNested30000DeepIsStoredWithItsDeepPartAsText() throws {
        let deep = Self.nested(#"{"a":"#, "1", "}", 30_000)
        let (recs, stats, _) = try parse("{\"msg\":\"before\"}\n" + deep + "\n{\"msg\":\"after\"}\n", format: "json")
        #expect(recs.count == 3)
        #expect(stats.unparsed == 0)
        #expect(recs[0]["message"] == .string("before") && recs[2]["message"] == .string("after"))
        // Flattened to the depth bound; the object below it is kept as its JSON text.
        let key = Array(repeating: "a", count: JSONFormat.maxDepth).joined(separator: ".")
        guard case .string(let text)? = recs[1][key] else {
            Issue.record("no text at the depth bound: \(recs[1].values.keys.prefix(3))")
            return
        }
        #expect(text.hasPrefix(#"{"a":{"a":"#) && text.hasSuffix("1" + String(repeating: "}", count: 30_000 - JSONFormat.maxDepth)))
    }

    static let tooDeep: [(String, String)] = [
        ("10k parentheses", "SELECT " + nested("(", "1", ")", 10_000) + " FROM logs"),
        ("a 50k-term sum", "SELECT " + Array(repeating: "1", count: 50_000).joined(separator: "+") + " FROM logs"),
        ("10k nested calls", "SELECT " + nested("abs(", "1", ")", 10_000) + " FROM logs"),
        ("10k NOTs", "SELECT 1 FROM logs WHERE " + String(repeating: "NOT ", count: 10_000) + "true"),
        ("10k unary minuses", "SELECT " + String(repeating: "- ", count: 10_000) + "1 FROM logs"),
        ("3k nested subqueries", "SELECT * FROM " + nested("(SELECT * FROM ", "logs", ")", 3_000)),
        ("a 20k-term OR", "SELECT 1 FROM logs WHERE " + Array(repeating: "status = 1", count: 20_000).joined(separator: " OR ")),
    ]

    @Test(arguments: tooDeep)
    func aQueryNestedPastTheBoundIsRefusedWithItsPosition(_ name: String, _ sql: String) throws {
        let engine = QueryEngine(snapshot: try store(lines: [#"{"status":1}"#]).snapshot())
        do {
            _ = try engine.execute(sql)
            Issue.record("\(name) ran")
        } catch let e as QueryError {
            #expect(e.kind == .syntax && e.message.contains("nests more than \(SQLParser.maxDepth) levels"))
            #expect(e.position != nil)
        }
    }

    /// A quarter of the 8 MiB that every thread here gets (main, Foundation, Dispatch, NIO).
    static let smallStack = 2 << 20

    /// The deepest queries taken run to their answer, even in a debug build, on a thread with a
    /// quarter of the usual stack (the dashboard's and alarms' queries run off the main thread).
    @Test func theDeepestQueriesTakenRunOnASmallStack() throws {
        let s = try store(lines: [#"{"status":1,"path":"/a"}"#, #"{"status":2,"path":"/b"}"#])
        let depth = SQLParser.maxDepth - 4
        let queries = [
            "SELECT " + Self.nested("abs(", "status", ")", depth) + " FROM logs ORDER BY 1",
            "SELECT " + Array(repeating: "status", count: depth).joined(separator: " + ") + " FROM logs ORDER BY 1",
            "SELECT count(*) FROM logs WHERE " + Self.nested("(", "status = 1", ")", depth),
            "SELECT path, sum(" + Self.nested("(", "status", ")", depth - 2) + ") FROM logs GROUP BY path ORDER BY path",
        ]
        let results = ThreadResults()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let engine = QueryEngine(snapshot: s.snapshot())
            for q in queries { results.add(Result { try engine.execute(q).rows }) }
            done.signal()
        }
        thread.stackSize = Self.smallStack
        thread.start()
        done.wait()
        let rows = try results.all.map { try $0.get() }
        #expect(rows[0] == [[.int(1)], [.int(2)]])
        #expect(rows[1] == [[.int(Int64(depth))], [.int(Int64(2 * depth))]])
        #expect(rows[2] == [[.int(1)]])
        #expect(rows[3] == [[.string("/a"), .int(1)], [.string("/b"), .int(2)]])
    }

    @Test func anInsightsQueryNestedPastTheBoundIsRefused() {
        for text in ["filter " + Self.nested("(", "status = 1", ")", 10_000) + " | stats count(*)",
                     "filter " + Self.nested("(", "status = 1", ")", 1_000) + " | stats count(*)",
                     "fields " + Self.nested("abs(", "status", ")", 10_000),
                     "fields " + Self.nested("abs(", "status", ")", 1_000),
                     "stats count(*) by " + Self.nested("bin(", "5m", ")", 1_000)] {
            #expect(throws: QueryError.self) { _ = try SQLParser.parse(try InsightsQuery.sql(text)) }
        }
        // A period too long for nanoseconds is an error, not an overflow.
        #expect(throws: QueryError.self) { _ = try SQLParser.parse(try InsightsQuery.sql("stats count(*) by bin(99999999999999999w)")) }
    }

    @Test func filterPatternsAndCompositeRulesPastTheirBoundsAreRefused() {
        #expect(throws: MetricFilter.ParseError.self) { _ = try MetricFilter.parse("{ " + Self.nested("(", "$.a = 1", ")", 20_000) + " }") }
        #expect(throws: MetricFilter.ParseError.self) {
            _ = try MetricFilter.parse("{ " + Array(repeating: "$.a = 1", count: 50_000).joined(separator: " && ") + " }")
        }
        #expect(throws: CompositeRule.ParseError.self) { _ = try CompositeRule.parse(Self.nested("(", "ALARM(a)", ")", 20_000)) }
        #expect(throws: CompositeRule.ParseError.self) { _ = try CompositeRule.parse(Self.nested("(", "ALARM(a)", ")", 300)) }
        #expect(throws: CompositeRule.ParseError.self) { _ = try CompositeRule.parse(String(repeating: "NOT ", count: 2_000) + "TRUE") }
        #expect(throws: Never.self) { _ = try CompositeRule.parse(Self.nested("(", "ALARM(a)", ")", 200)) }
    }

    /// Times past what nanoseconds since 1970 hold, in a record's time field, leave the record
    /// its arrival time (as an unreadable time does); they once trapped the parser.
    @Test func timesOutOfRangeInALineAreNoTimes() throws {
        let lines = [#"{"ts":"9999-01-01T00:00:00Z","msg":"a"}"#, #"{"ts":"0001-01-01T00:00:00Z","msg":"b"}"#,
                     #"{"ts":1e30,"msg":"c"}"#, #"{"ts":-9223372036854775808,"msg":"d"}"#, #"{"ts":99999999999,"msg":"e"}"#,
                     #"{"ts":"2262-04-12T00:00:00Z","msg":"f"}"#, #"{"ts":"2026-11-27T14:00:00Z","msg":"g"}"#]
        let (recs, stats, _) = try parse(lines.joined(separator: "\n") + "\n", format: "json")
        #expect(recs.count == lines.count && stats.unparsed == 0)
        #expect(recs.dropLast().allSatisfy { $0["ts"] == .timestamp(arrival) })
        #expect(recs.last?["ts"] == ts("2026-11-27T14:00:00Z"))
        #expect(Timestamp.fromEpoch(99_999_999_999 as Int64) == nil && Timestamp.fromEpoch(1e30) == nil)
    }
}

/// Results handed back from another thread.
final class ThreadResults: Sendable {
    private let results = Mutex<[Result<[[Value]], Error>]>([])
    func add(_ r: Result<[[Value]], Error>) { results.withLock { $0.append(r) } }
    var all: [Result<[[Value]], Error>] { results.withLock { $0 } }
}
