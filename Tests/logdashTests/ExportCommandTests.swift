import Foundation
import Testing
import Scratch

/// `logdash export` writes the Hive-partitioned archive; `query --archive` reads it back; DuckDB
/// reads it with Hive partitioning and agrees.
@Suite struct ExportCommandTests {
    static let cli = CommandLineTests()

    /// `gen_logs.py` data over several hours: its JSON.
    static func generated(_ lines: Int) throws -> String {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/bench/gen_logs.py").path
        let path = try Scratch.directory("export").appendingPathComponent("app.json.log").path
        #expect(try Spawned("/usr/bin/python3", [script, "--format", "json", "--lines", String(lines), "--seed", "7"], stdout: path).wait() == 0)
        return path
    }

    /// The first row of a DuckDB query, its values joined by commas, and what Python said (nil,
    /// recorded as an issue, without a Python that has duckdb: `.ci/run` installs one).
    static func duckDBRow(_ sql: String) throws -> CommandLineTests.Result? {
        guard let python = PythonWith.find(module: "duckdb", venv: "/tmp/logdash-duckdb", variable: "LOGDASH_DUCKDB_PYTHON") else {
            Issue.record("no Python with duckdb: .ci/run installs it in /tmp/logdash-duckdb (or set LOGDASH_DUCKDB_PYTHON)")
            return nil
        }
        return try cli.logdash(["-c", "\(python) -c \"import duckdb; print(*duckdb.sql(\\\"\(sql)\\\").fetchall()[0], sep=',')\""], shell: true)
    }

    @Test func anExportReadsBackAsTheSameRecordsAndDuckDBAgrees() throws {
        let log = try Self.generated(3000)
        let out = try Scratch.directory("archive").appendingPathComponent("out").path
        let r = try Self.cli.logdash(["export", log, "--to", out])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err.contains("3000 records in"))
        let parts = try FileManager.default.subpathsOfDirectory(atPath: out).filter { $0.hasSuffix(".json.gz") }.sorted()
        #expect(parts.count > 1 && parts.allSatisfy { $0.range(of: #"^dt=\d{4}-\d{2}-\d{2}/hour=\d{2}/part-00000\.json\.gz$"#, options: .regularExpression) != nil })
        let ddl = try String(contentsOfFile: out + "/athena.sql", encoding: .utf8)
        #expect(ddl.contains("CREATE EXTERNAL TABLE IF NOT EXISTS logs (") && ddl.contains("'projection.dt.type' = 'date'") && ddl.contains("`status` bigint"))
        // Read back: the same counts and sums as the source.
        let sql = "SELECT count(*), sum(bytes), count(DISTINCT user), min(ts), max(ts) FROM logs"
        let original = try Self.cli.logdash(["query", sql, log, "-o", "csv"])
        let back = try Self.cli.logdash(["query", "--archive", out, sql, "-o", "csv"])
        #expect(back.status == 0 && back.out == original.out, "\(back.err)")
        // The records keep the source and arrival time they were exported with (issue 23, item
        // 17): `source = '…'` counts them, as DuckDB does (below), and nothing is named `_source`.
        let bySource = "SELECT source, count(*), min(ingest_ts) = max(ingest_ts) FROM logs GROUP BY 1"
        let kept = try Self.cli.logdash(["query", "--archive", out, bySource, "-o", "csv"])
        #expect(kept.out == "source,count,_col\n\(log),3000,true\n", "\(kept.out)")
        let named = try Self.cli.logdash(["query", "--archive", out, "SELECT count(*) FROM logs WHERE source = '\(log)'", "-o", "csv"])
        #expect(named.out == "count\n3000\n")
        #expect(try Self.cli.logdash(["query", "--archive", out, "SELECT _source FROM logs LIMIT 1"]).err.contains("unknown column '_source'"))
        // --since/--until skip the hours outside the range.
        let firstHour = String(parts[0].prefix(21))  // dt=YYYY-MM-DD/hour=HH
        let day = firstHour.dropFirst(3).prefix(10), hour = firstHour.suffix(2)
        let range = ["--since", "\(day)T\(hour):00:00Z", "--until", "\(day)T\(hour):59:59.999Z"]
        let oneHour = try Self.cli.logdash(["query", "--archive", out, "SELECT count(*) FROM logs", "-o", "csv"] + range)
        let oneHourOriginal = try Self.cli.logdash(["query", "SELECT count(*) FROM logs", log, "-o", "csv"] + range)
        #expect(oneHour.out == oneHourOriginal.out && oneHour.out != back.out)
        // A second export adds parts beside the first.
        #expect(try Self.cli.logdash(["export", log, "--to", out] + range).status == 0)
        #expect(FileManager.default.fileExists(atPath: out + "/" + firstHour + "/part-00001.json.gz"))
        // DuckDB, with Hive partitioning: the same count and sum, and the partitions as columns.
        guard let python = PythonWith.find(module: "duckdb", venv: "/tmp/logdash-duckdb", variable: "LOGDASH_DUCKDB_PYTHON") else {
            Issue.record("no Python with duckdb: .ci/run installs it in /tmp/logdash-duckdb (or set LOGDASH_DUCKDB_PYTHON)")
            return
        }
        let result = try Scratch.directory("duckdb").appendingPathComponent("r.txt").path
        let script = """
            import duckdb
            r = duckdb.sql("SELECT count(*), sum(bytes), count(DISTINCT CAST(dt AS VARCHAR) || ' ' || CAST(hour AS VARCHAR)), count_if(source = '\(log)') FROM read_json('\(out)/*/*/part-00000.json.gz', hive_partitioning = true)").fetchall()[0]
            print(f"{r[0]},{r[1]},{r[2]},{r[3]}")
            """
        #expect(try Spawned(python, ["-c", script], stdout: result).wait() == 0)
        let duck = try String(contentsOfFile: result, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",")
        let ours = try Self.cli.logdash(["query", "SELECT count(*), sum(bytes) FROM logs", log, "-o", "csv"]).out.split(separator: "\n")[1].split(separator: ",")
        #expect(duck.count == 4 && Array(duck.prefix(2)) == ours && Int(duck[2]) == parts.count && duck[3] == duck[0])
    }

    /// Fields named as the partitions (`dt`, `Hour`) are written with an `_` more, so that
    /// DuckDB's and Athena's hive reading keep the partition's value and the field's apart, and
    /// read back under their own names, as is the empty name (written `_`, which DuckDB can
    /// read); names Athena cannot declare (differing only in case from another) are left out
    /// of athena.sql, said there, and kept in the objects.
    @Test func fieldsNamedAsPartitionsOrThatAthenaCannotDeclareStayReadable() throws {
        let log = try Self.cli.temp("partitions.log", """
            {"ts":"2026-12-07T10:00:03Z","message":"parts","dt":"2020-01-01","Hour":99,"_dt":"u","":"empty","team":"a","Team":"b"}

            """)
        let out = try Scratch.directory("archive-partitions").appendingPathComponent("out").path
        #expect(try Self.cli.logdash(["export", log, "--to", out]).status == 0)
        let sql = "SELECT message, dt, \"Hour\", _dt, team, \"Team\", \"\" AS empty FROM logs"
        let original = try Self.cli.logdash(["query", sql, log, "-o", "csv"])
        #expect(original.out == "message,dt,Hour,_dt,team,Team,empty\nparts,2020-01-01,99,u,a,b,empty\n", "\(original.out)\(original.err)")
        let back = try Self.cli.logdash(["query", "--archive", out, sql, "-o", "csv"])
        #expect(back.out == original.out, "\(back.out)\(back.err)")
        let ddl = try String(contentsOfFile: out + "/athena.sql", encoding: .utf8)
        // (Of `team` and `Team`, the first in the schema's order is declared.)
        #expect(ddl.contains("`_dt` string") && ddl.contains("`__dt` string") && ddl.contains("`_Hour` bigint") && ddl.contains("`_` string")
                && ddl.contains("`Team` string") && !ddl.contains("`team` string") && !ddl.contains("`dt` string")
                && ddl.contains("-- Left out of the table (their values stay in the objects): `team` (another column's name to Athena, which ignores case)"), "\(ddl)")
        guard let duck = try Self.duckDBRow("SELECT CAST(dt AS VARCHAR), _dt FROM read_json('\(out)/*/*/*.json.gz', hive_partitioning = true)") else { return }
        #expect(duck.out == "2026-12-07,2020-01-01\n", "\(duck.out)\(duck.err)")
    }

    /// A gzip part of more than a MiB of JSON is several gzip members (libdeflate compresses a
    /// MiB at a time): gzip, DuckDB and logdash read it as one stream, every record once.
    @Test func aGzipPartOfSeveralMembersReadsBackWholeInGzipDuckDBAndLogdash() throws {
        let lines = (0..<8000).map { i in
            "{\"ts\":\"2026-12-07T10:\(String(format: "%02d:%02d", i / 150, i % 60))Z\",\"msg\":\"request \(i) \(String(repeating: "x", count: 200))\",\"bytes\":\(i)}\n"
        }.joined()
        let log = try Self.cli.temp("big-hour.log", lines)
        let out = try Scratch.directory("archive-members").appendingPathComponent("out").path
        #expect(try Self.cli.logdash(["export", log, "--to", out]).status == 0)
        let part = out + "/dt=2026-12-07/hour=10/part-00000.json.gz"
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: part)))
        // Members start with gzip's magic and deflate's method: more than one here.
        let members = (0..<(bytes.count - 3)).filter { bytes[$0] == 0x1f && bytes[$0 + 1] == 0x8b && bytes[$0 + 2] == 8 && bytes[$0 + 3] == 0 }.count
        #expect(members >= 2, "\(members)")
        #expect(try Self.cli.logdash(["-c", "gzip -t '\(part)' && gzip -dc '\(part)' | wc -l"], shell: true).out.trimmingCharacters(in: .whitespaces) == "8000\n")
        let back = try Self.cli.logdash(["query", "--archive", out, "SELECT count(*), sum(bytes) FROM logs", "-o", "csv"])
        #expect(back.out == "count,sum\n8000,31996000\n", "\(back.out)\(back.err)")
        guard let duck = try Self.duckDBRow("SELECT count(*), sum(bytes) FROM read_json('\(part)')") else { return }
        #expect(duck.out == "8000,31996000\n", "\(duck.out)\(duck.err)")
    }

    /// A record's own fields named like the columns an archive restores (`source`, `ingest_ts`,
    /// `raw`, kept as `_source` …, and `_source` itself) come back under their own names, and
    /// the core columns keep the record's source and arrival: before, `_source` was taken for
    /// the source and the record's `raw` field for its line.
    @Test func fieldsNamedLikeRestoredCoreColumnsReadBackUnderTheirOwnNames() throws {
        let log = try Self.cli.temp("named.log", """
            {"ts":"2026-12-07T10:00:00Z","message":"hi","source":"app-a","ingest_ts":"x1","raw":"rr","sourcey":"s"}
            {"ts":"2026-12-07T10:00:01Z","message":"plain","_source":"u1","__raw":"u2"}
            {"ts":"2026-12-07T10:00:02Z","message":"both","source":"s-core","_source":"s-own"}

            """)
        let out = try Scratch.directory("archive-names").appendingPathComponent("out").path
        #expect(try Self.cli.logdash(["export", log, "--to", out]).status == 0)
        let sql = "SELECT message, source, _source, _ingest_ts, _raw, __raw, sourcey FROM logs ORDER BY ts"
        let original = try Self.cli.logdash(["query", sql, log, "-o", "csv"])
        // (A record with both keys keeps the one as written: `_source`.)
        #expect(original.out == "message,source,_source,_ingest_ts,_raw,__raw,sourcey\nhi,\(log),app-a,x1,rr,,s\nplain,\(log),u1,,,u2,\nboth,\(log),s-own,,,,\n",
                "\(original.out)\(original.err)")
        let back = try Self.cli.logdash(["query", "--archive", out, sql, "-o", "csv"])
        #expect(back.out == original.out, "\(back.out)\(back.err)")
        // The first record's line is not its `raw` field's value, nor its arrival its `ingest_ts`'s.
        let core = try Self.cli.logdash(["query", "--archive", out, "SELECT count(*) FROM logs WHERE raw = 'rr' OR ingest_ts IS NULL", "-o", "csv"])
        #expect(core.out == "count\n0\n", "\(core.out)\(core.err)")
        let ddl = try String(contentsOfFile: out + "/athena.sql", encoding: .utf8)
        #expect(ddl.contains("`source` string") && ddl.contains("`__source` string") && ddl.contains("`___raw` string"), "\(ddl)")
    }

    /// `--compression zstd` writes `.json.zst` parts, numbered after the gzip parts already in a
    /// partition; the archive reads back whole, both kinds together.
    @Test func aZstdExportAddsJsonZstPartsThatReadBackBesideGzipOnes() throws {
        let log = try Self.generated(2000)
        let out = try Scratch.directory("export-zstd").appendingPathComponent("archive").path
        #expect(try Self.cli.logdash(["export", log, "--to", out]).status == 0)
        let z = try Self.cli.logdash(["export", log, "--to", out, "--compression", "zstd"])
        #expect(z.status == 0 && z.err.contains("2000 records in "), "\(z.err)")
        let files = try FileManager.default.subpathsOfDirectory(atPath: out).filter { $0.contains("/part-") }
        let gz = files.filter { $0.hasSuffix("/part-00000.json.gz") }, zst = files.filter { $0.hasSuffix("/part-00001.json.zst") }
        #expect(!gz.isEmpty && gz.count == zst.count && files.count == gz.count * 2, "\(files)")
        let back = try Self.cli.logdash(["query", "--archive", out, "SELECT count(*), count(DISTINCT trace_id) FROM logs", "-o", "csv"])
        #expect(back.out == "count,count\n4000,2000\n", "\(back.out) \(back.err)")
    }

    /// `--compression-level`: the lowest and highest levels of each compression read back the
    /// same records, the highest in fewer bytes.
    @Test func aCompressionLevelTradesSpeedForSizeWithTheSameRecords() throws {
        let log = try Self.generated(2000)
        let root = try Scratch.directory("export-levels")
        for (compression, low, high) in [("gzip", 1, 9), ("zstd", 1, 19)] {
            var sizes: [Int] = []
            for level in [low, high] {
                let out = root.appendingPathComponent("\(compression)-\(level)").path
                let r = try Self.cli.logdash(["export", log, "--to", out, "--compression", compression, "--compression-level", String(level)])
                #expect(r.status == 0, "\(r.err)")
                let back = try Self.cli.logdash(["query", "--archive", out, "SELECT count(*), count(DISTINCT trace_id), sum(bytes) FROM logs", "-o", "csv"])
                #expect(back.out.hasPrefix("count,count,sum\n2000,2000,"), "\(back.out) \(back.err)")
                sizes.append(try FileManager.default.subpathsOfDirectory(atPath: out).filter { $0.contains("/part-") }
                    .reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: out + "/" + $1)[.size] as? Int) ?? 0) })
            }
            #expect(sizes[1] < sizes[0], "\(compression): \(sizes)")
        }
    }

    @Test func exportNamesWhatIsWrong() throws {
        let r = try Self.cli.logdash(["export", "--to", "/tmp/x"])
        #expect(r.status != 0 && r.err.contains("name the sources to export"))
        let bad = try Self.cli.logdash(["export", "x.log", "--to", "/tmp/x", "--compression", "lz4"])
        #expect(bad.status != 0 && bad.err.contains("--compression 'lz4' is not gzip or zstd"), "\(bad.err)")
        let level = try Self.cli.logdash(["export", "x.log", "--to", "/tmp/x", "--compression-level", "12"])
        #expect(level.status != 0 && level.err.contains("--compression-level: gzip's levels are 1 to 9, not 12"), "\(level.err)")
        let missing = try Self.cli.logdash(["query", "--archive", "/nonexistent/archive", "SELECT count(*) FROM logs"])
        #expect(missing.status == 1 && missing.err.contains("/nonexistent/archive: cannot be read: no such archive directory"))
    }
}
