import Foundation
import Testing
import Scratch

/// Lookup tables (issue 24): a CSV, TSV or JSON-lines file joined with the records by name.
@Suite struct LookupCommandTests {
    let cli = CommandLineTests()

    func logs() throws -> String {
        try cli.temp("app.log", [("ann", 200), ("bob", 500), ("ann", 503), ("cid", 200), ("zed", 404)].enumerated().map { k, r in
            "{\"ts\":\"2026-11-27T14:00:0\(k)Z\",\"user\":\"\(r.0)\",\"status\":\(r.1)}"
        }.joined(separator: "\n") + "\n")
    }

    @Test func aCSVLookupJoinsWithTheRecordsByItsName() throws {
        let log = try logs()
        let users = try cli.temp("users.csv", "user,team,tier\nann,payments,1\nbob,search,2\ncid,payments,3\n")
        let sql = "SELECT u.team, count(*) n, count_if(l.status >= 500) errors FROM logs l JOIN users u ON l.user = u.user GROUP BY 1 ORDER BY 1"
        let r = try cli.logdash(["query", "--lookup", "users=\(users)", sql, log, "-o", "csv"])
        #expect(r.status == 0 && r.out == "team,n,errors\npayments,3,1\nsearch,1,1\n", "\(r.err)\(r.out)")
        // An unmatched record kept by a LEFT JOIN; the tier typed as a number.
        let left = try cli.logdash(["query", "--lookup", "users=\(users)",
                                    "SELECT l.user, u.tier + 0 FROM logs l LEFT JOIN users u USING (user) WHERE l.status = 404", log, "-o", "csv"])
        #expect(left.out.hasSuffix("zed,\n"), "\(left.out)")
        let tables = try cli.logdash(["query", "--lookup", "users=\(users)", "SHOW TABLES", log, "-o", "csv"])
        #expect(tables.out.contains("users\n"))
        let described = try cli.logdash(["query", "--lookup", "users=\(users)", "DESCRIBE users", log, "-o", "csv"])
        #expect(described.out.contains("tier,bigint,3"), "\(described.out)")
    }

    @Test func aLookupIsATableNotLogsItsHeaderNamesItsColumnsAndNothingIsDerived() throws {
        let log = try logs()
        // A header is not a row; `level` and `status` stay the numbers they are (no severity made
        // of them); quoted fields keep their commas and quotes; an empty field is NULL.
        let users = try cli.temp("people.csv", "user,level,status,note\nann,1,200,\"likes, commas\"\nbob,3,503,\"says \"\"hi\"\"\"\ncid,2,200,\n")
        let r = try cli.logdash(["query", "--lookup", "people=\(users)", "SELECT * FROM people ORDER BY user", log, "-o", "csv"])
        #expect(r.status == 0 && r.out == "user,level,status,note\nann,1,200,\"likes, commas\"\nbob,3,503,\"says \"\"hi\"\"\"\ncid,2,200,\n", "\(r.err)\(r.out)")
        let described = try cli.logdash(["query", "--lookup", "people=\(users)", "DESCRIBE people", log, "-o", "csv"])
        #expect(described.out == "column,type,non_null\nuser,varchar,3\nlevel,bigint,3\nstatus,bigint,3\nnote,varchar,2\n", "\(described.out)")
        let tsv = try cli.temp("codes.tsv", "code\tmeaning\n500\tserver error\n503\tunavailable\n")
        let joined = try cli.logdash(["query", "--lookup", "codes=\(tsv)", "SELECT c.meaning, count(*) FROM logs l JOIN codes c ON l.status = c.code GROUP BY 1 ORDER BY 1", log, "-o", "csv"])
        #expect(joined.out == "meaning,count\nserver error,1\nunavailable,1\n", "\(joined.err)\(joined.out)")
    }

    @Test func lookupsComeFromTheConfigFileAndJSONLinesToo() throws {
        let log = try logs()
        let dir = try Scratch.directory("lookups")
        try "{\"code\":500,\"meaning\":\"server error\"}\n{\"code\":503,\"meaning\":\"unavailable\"}\n"
            .write(to: dir.appendingPathComponent("codes.jsonl"), atomically: true, encoding: .utf8)
        let config = dir.appendingPathComponent("config.yaml").path
        try "lookups:\n  codes: codes.jsonl\n".write(toFile: config, atomically: true, encoding: .utf8)
        let r = try cli.logdash(["query", "--config", config, "SELECT c.meaning, count(*) FROM logs l JOIN codes c ON l.status = c.code GROUP BY 1 ORDER BY 1", log, "-o", "csv"])
        #expect(r.status == 0 && r.out.hasSuffix("server error,1\nunavailable,1\n"), "\(r.err)\(r.out)")
    }

    @Test func aBadLookupSaysWhy() throws {
        let log = try logs()
        #expect(try cli.logdash(["query", "--lookup", "users", "SELECT 1", log]).err.contains("a lookup table is NAME=FILE"))
        #expect(try cli.logdash(["query", "--lookup", "logs=\(log)", "SELECT 1", log]).err.contains("'logs' is a table already"))
        #expect(try cli.logdash(["query", "--lookup", "u=/nonexistent.csv", "SELECT 1", log]).status == 1)
    }
}
