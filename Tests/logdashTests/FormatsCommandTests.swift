import Foundation
import Testing
import Scratch

/// `logdash formats` and format definitions from the command line, as a user meets them.
@Suite struct FormatsCommandTests {
    let cli = CommandLineTests()

    @Test func formatsListsEveryFormatAndShowsADefinition() throws {
        let list = try cli.logdash(["formats"])
        #expect(list.status == 0)
        #expect(list.out.contains("78 formats"), "\(list.out.suffix(200))")
        for name in ["spark", "logcat", "dpkg", "json", "syslog3164", "aws-alb"] { #expect(list.out.contains("\n" + name + " ") || list.out.hasPrefix(name + " "), "\(name)") }
        let one = try cli.logdash(["formats", "spark"])
        #expect(one.status == 0 && one.out.contains("name: spark") && one.out.contains("timestamp_format: '%y/%m/%d %H:%M:%S'"))
        let none = try cli.logdash(["formats", "nope"])
        #expect(none.status != 0 && none.err.contains("no format 'nope'"))
    }

    /// A definition file of the user's is taken by detection, `--format` and `check`, and a
    /// sample that does not give what it says is named by `check`.
    @Test func aUsersDefinitionFileIsUsedAndChecked() throws {
        let home = try Scratch.directory("formats-home")
        let dir = home.appendingPathComponent("logdash/formats")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let def = """
            name: batch
            title: Nightly batch jobs
            regex: '^JOB (?<ts>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d) (?<level>[SF]) (?<job>\\S+): (?<message>.*)$'
            level_map: { S: info, F: error }
            samples:
              - line: 'JOB 2026-11-27 14:00:00 F export: disk full'
                expect: { level: error, job: export }

            """
        try def.write(to: dir.appendingPathComponent("batch.yaml"), atomically: true, encoding: .utf8)
        let log = try cli.temp("jobs.log", "JOB 2026-11-27 14:00:00 F export: disk full\nJOB 2026-11-27 14:05:00 S import: 42 rows\n")
        let env = ["XDG_CONFIG_HOME": home.path]
        let q = try cli.logdash(["query", "SELECT job, level, ts FROM logs ORDER BY ts", log, "-o", "csv"], env: env)
        #expect(q.status == 0 && q.out == "job,level,ts\nexport,error,2026-11-27T14:00:00.000Z\nimport,info,2026-11-27T14:05:00.000Z\n", "\(q.out) \(q.err)")
        let listed = try cli.logdash(["formats"], env: env)
        #expect(listed.out.contains("Nightly batch jobs (yours)"))
        let ok = try cli.logdash(["check", dir.appendingPathComponent("batch.yaml").path])
        #expect(ok.status == 0 && ok.out.contains("ok: format batch, 1 sample"), "\(ok.out) \(ok.err)")
        let wrong = try cli.temp("batch.yaml", def.replacingOccurrences(of: "job: export }", with: "job: import }"))
        let bad = try cli.logdash(["check", wrong])
        #expect(bad.status == 1 && bad.err.contains("samples: batch: job is 'export', not 'import'"), "\(bad.err)")
    }

    /// This machine's Debian logs are recognised with their times (they were logfmt at 1.9 %
    /// or nothing at all).
    @Test func debiansOwnLogsAreRecognised() throws {
        for (path, format) in [("/var/log/dpkg.log", "dpkg"), ("/var/log/alternatives.log", "alternatives"), ("/var/log/apt/history.log", "apt-history")]
        where FileManager.default.isReadableFile(atPath: path) {
            let r = try cli.logdash(["inspect", path])
            #expect(r.out.contains("format       \(format) (confidence 100.0%"), "\(path): \(r.out.prefix(300))")
            #expect(!r.out.contains("records without a time of their own"), "\(path)")
            if format == "dpkg" { #expect(r.out.contains("  runners-up   generic"), "inspect shows the formats that came next: \(r.out.prefix(300))") }
        }
    }
}

/// `inspect` says, for lines no format parsed, which format came nearest and where the line
/// stopped fitting it.
@Suite struct InspectNearestTests {
    let cli = CommandLineTests()

    @Test func inspectNamesTheNearestFormatAndWhereTheLineStopsFittingIt() throws {
        let log = try cli.temp("near.log", """
            081109 203615 148 INFO dfs.DataNode$PacketResponder: ok
            081109 203616 148 INFO dfs.DataNode$PacketResponder: ok
            081109 203617 148 INFO dfs.DataNode$PacketResponder: ok
            081109 203618 148 INFO dfs.DataNode$PacketResponder: ok
            081109 20361X 148 INFO dfs.DataNode$PacketResponder: bad minute
            {"half":

            """)
        let r = try cli.logdash(["inspect", log])
        #expect(r.status == 0)
        #expect(r.out.contains("format       hdfs"), "\(r.out)")
        #expect(r.out.contains("nearest hdfs: its first 12 bytes fit (\"…081109 20361\"), not from \"X 148 INFO"), "\(r.out)")
        #expect(r.out.contains("nearest json: not a whole JSON object"), "\(r.out)")
    }
}

/// Files that keep their records in one JSON document: CloudTrail's (pretty-printed, gzipped
/// too), `aws logs get-log-events`' output, a JSON array.
@Suite struct JSONDocumentTests {
    let cli = CommandLineTests()

    @Test func aCloudTrailFileAndALogEventsDocumentAreReadRecordByRecord() throws {
        let trail = try cli.temp("trail.json", """
            {
              "Records": [
                {"eventVersion": "1.08", "userIdentity": {"userName": "ann"}, "eventTime": "2026-11-27T14:00:00Z",
                 "eventName": "GetObject", "sourceIPAddress": "203.0.113.9", "errorCode": "AccessDenied"},
                {"eventVersion": "1.08", "eventTime": "2026-11-27T14:00:01Z", "eventName": "RunInstances", "sourceIPAddress": "10.0.0.1"}
              ]
            }

            """)
        let q = ["query", "SELECT ts, level, message, host, \"userIdentity.userName\" AS who FROM logs ORDER BY ts", "-o", "csv"]
        let want = "ts,level,message,host,who\n2026-11-27T14:00:00.000Z,error,GetObject,203.0.113.9,ann\n2026-11-27T14:00:01.000Z,,RunInstances,10.0.0.1,\n"
        let r = try cli.logdash(q + [trail])
        #expect(r.status == 0 && r.out == want, "\(r.out) \(r.err)")
        let gz = try cli.logdash(["-c", "gzip -c '\(trail)' > '\(trail).gz'"], shell: true)
        #expect(gz.status == 0)
        let z = try cli.logdash(q + [trail + ".gz"])
        #expect(z.out == want, "\(z.out) \(z.err)")
        let events = try cli.temp("events.json", #"{"events":[{"timestamp":1795788000000,"message":"db down"},{"timestamp":1795788005000,"message":"ok"}],"nextForwardToken":"f/1"}"#)
        let e = try cli.logdash(["query", "SELECT ts, message FROM logs ORDER BY ts", events, "-o", "csv"])
        #expect(e.out == "ts,message\n2026-11-27T14:00:00.000Z,db down\n2026-11-27T14:00:05.000Z,ok\n", "\(e.out) \(e.err)")
        // JSON lines stay JSON lines; a JSON array of objects is records too.
        let array = try cli.temp("array.json", #"[{"ts":"2026-11-27T14:00:00Z","msg":"a"}, {"ts":"2026-11-27T14:00:01Z","msg":"b"}]"#)
        #expect(try cli.logdash(["query", "SELECT count(*) FROM logs", array, "-o", "csv"]).out == "count\n2\n")
        // JSON lines whose first object has a records array are lines still (every line is read),
        // and so is a log whose lines start with '['.
        let lines = try cli.temp("nd.json", #"{"records":[{"a":1}],"x":1}"# + "\n" + #"{"records":[{"a":2}]}"# + "\n")
        #expect(try cli.logdash(["query", "SELECT count(*) FROM logs", lines, "-o", "csv"]).out == "count\n2\n")
        let bracketed = try cli.temp("b.log", "[2026-11-27 14:00:00] INFO a\n[2026-11-27 14:00:01] WARN b\n")
        #expect(try cli.logdash(["query", "SELECT level FROM logs ORDER BY ts", bracketed, "-o", "csv"]).out == "level\ninfo\nwarn\n")
    }
}
