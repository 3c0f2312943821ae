import Foundation
import LogdashEngine

// Parse-stage throughput: lines/s and MB/s of SourceLoader on a file, one worker and all,
// median of several runs after a warm-up. The file is read from the page cache each run.
//
//   swift run -c release --package-path Benchmarks logdash-bench parse FILE [FILE…] [--runs N]

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

var args = Array(CommandLine.arguments.dropFirst())
guard let mode = args.first, ["parse", "query", "ingest", "latency", "idle", "stream"].contains(mode) else {
    print("""
        usage: logdash-bench parse FILE [FILE…] [--runs N] [--jobs 1,2]
               logdash-bench query FILE [--runs N]
               logdash-bench ingest FILE [--runs N] [--octet]   (FILE's lines to a syslog:// listener over loopback TCP)
               logdash-bench latency [--samples N] [--interval DURATION]   (a line appended → queryable)
               logdash-bench idle [--seconds N]   (CPU used following 10 quiet files)
               logdash-bench stream FILE [--alarms YAML] [--queries 1,2] [--batch N] [--runs N]   (streaming queries' and alarms' own cost)
        """)
    exit(2)
}
args.removeFirst()

/// Resident memory now, from /proc/self/statm.
func residentMB() -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let pages = Double(s.split(separator: " ")[1]) ?? 0
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1e6
}

/// Resident memory of our own (anonymous pages: the heap), in MB — without the mapped files the
/// kernel can drop and read again (`RssAnon` of /proc/self/status).
func anonymousMB() -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = s.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb / 1000
}

@MainActor func option(_ name: String) -> String? {
    guard let r = args.firstIndex(of: name) else { return nil }
    let v = args[r + 1]
    args.removeSubrange(r...(r + 1))
    return v
}

if mode == "ingest" {
    // Sustained syslog-over-TCP ingest, parsing included: one client sends the file's lines as
    // fast as it can over loopback; the clock stops when every record is in the store.
    let runs = option("--runs").flatMap { Int($0) } ?? 3
    let octet = args.contains("--octet")
    args.removeAll { $0 == "--octet" }
    var data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: args[0])))
    let lines = data.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
    if octet {
        var framed: [UInt8] = []
        framed.reserveCapacity(data.count + lines * 5)
        for line in data.split(separator: 10, omittingEmptySubsequences: false).dropLast() {
            framed += Array("\(line.count) ".utf8)
            framed += line
        }
        data = framed
    }
    var rates: [Double] = []
    for _ in 0..<runs {
        let store = Store()
        let pipeline = Pipeline(store: store, load: LoadOptions())
        try pipeline.start([.syslogTCP(Endpoint(host: "127.0.0.1", port: 0))])
        let port = Int(pipeline.listening[0].split(separator: ":").last!)!
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let payload = data
        let t0 = now()
        let sender = Thread {
            var done = 0
            while done < payload.count {
                let n = payload.withUnsafeBytes { write(fd, $0.baseAddress! + done, min(1 << 18, payload.count - done)) }
                if n <= 0 { break }
                done += n
            }
            close(fd)
        }
        sender.start()
        while pipeline.metrics.total().lines < lines { usleep(500) }
        let elapsed = now() - t0
        pipeline.stop()
        let stored = store.snapshot().rowCount
        rates.append(Double(lines) / elapsed)
        print(String(format: "%d messages in %.3f s: %.0f messages/s, %.1f MB/s; stored %d, unparsed %d", lines, elapsed,
                     Double(lines) / elapsed, Double(payload.count) / elapsed / 1e6, stored, store.snapshot().unparsedCount))
    }
    rates.sort()
    print(String(format: "median: %.0f messages/s (%@ framing)", rates[rates.count / 2], octet ? "octet-counting" : "LF"))
    exit(0)
}

if mode == "idle" {
    // Ten followed files and no traffic: the CPU time the process uses, per second of wall time.
    let seconds = option("--seconds").flatMap { Double($0) } ?? 30
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("logdash-idle-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let paths = (0..<10).map { dir.appendingPathComponent("f\($0).log").path }
    for p in paths { _ = FileManager.default.createFile(atPath: p, contents: Data("{\"msg\":\"hello\"}\n".utf8)) }
    let pipeline = Pipeline(store: Store(), load: LoadOptions())
    try pipeline.start(paths.map { .files($0) })
    usleep(500_000)
    func cpu() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }
    let c0 = cpu(), t0 = now()
    usleep(UInt32(seconds * 1e6))
    let used = cpu() - c0, wall = now() - t0
    pipeline.stop()
    try? FileManager.default.removeItem(at: dir)
    print(String(format: "10 followed files, no traffic, %.0f s: %.1f ms of CPU (%.4f%% of one core)", wall, used * 1000, used / wall * 100))
    exit(0)
}

if mode == "latency" {
    // A followed file: append one line, wait until the store has it; p50/p99/max over the samples.
    let samples = option("--samples").flatMap { Int($0) } ?? 1000
    var settings = IngestSettings()
    if let i = option("--interval") { settings.buffer.interval = TimeSpan.parseNanos(i)! }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("logdash-latency-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent("app.log").path
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let store = Store()
    let pipeline = Pipeline(store: store, load: LoadOptions(), settings: settings)
    try pipeline.start([.files(path)])
    usleep(200_000)
    let fd = open(path, O_WRONLY | O_APPEND)
    var lat: [Double] = []
    for i in 0..<samples {
        let line = Array("{\"ts\":\"2026-11-27T14:00:00Z\",\"level\":\"info\",\"msg\":\"sample\",\"i\":\(i)}\n".utf8)
        let t0 = now()
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        while store.snapshot().rowCount <= i { usleep(100) }
        lat.append(now() - t0)
        usleep(5000)
    }
    close(fd)
    pipeline.stop()
    try? FileManager.default.removeItem(at: dir)
    lat.sort()
    func ms(_ q: Double) -> String { String(format: "%.1f ms", lat[min(lat.count - 1, Int(Double(lat.count) * q))] * 1000) }
    print("append → queryable over \(samples) lines (buffer interval \(Double(settings.buffer.interval) / 1e6) ms): p50 \(ms(0.5)), p99 \(ms(0.99)), max \(ms(1.0))")
    exit(0)
}

if mode == "stream" {
    // The streaming engine's own cost, parsing aside: FILE is loaded first, then its segments
    // are fed in batches of N (as `logdash ingest` hands them over every 100 ms) to each of the
    // ten queries of Benchmarks/stream.sh alone, and to the alarms of --alarms; each timed in
    // CPU time (the least of the runs).
    let queries = [
        "SELECT window_start, count(*) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
        "SELECT window_start, count_if(status >= 500) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)",
        "SELECT service, window_start, avg(latency_ms) FROM logs GROUP BY service, TUMBLE(ts, INTERVAL '1' MINUTE)",
        "SELECT path, window_start, max(latency_ms) FROM logs GROUP BY path, TUMBLE(ts, INTERVAL '5' MINUTE)",
        "SELECT level, window_start, count(*) FROM logs GROUP BY level, TUMBLE(ts, INTERVAL '10' SECOND)",
        "SELECT window_start, sum(bytes) FROM logs GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE)",
        "SELECT host, window_start, count(*) FROM logs WHERE status >= 500 GROUP BY host, TUMBLE(ts, INTERVAL '1' MINUTE)",
        "SELECT window_start, min(latency_ms), max(latency_ms) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' HOUR)",
        "SELECT status, window_start, count(*) FROM logs GROUP BY status, TUMBLE(ts, INTERVAL '1' MINUTE)",
        "SELECT service, window_start, window_end, count(*) FROM logs WHERE level = 'error' GROUP BY service, SESSION(ts, INTERVAL '30' SECOND)",
    ]
    let runs = option("--runs").flatMap { Int($0) } ?? 3
    let batch = option("--batch").flatMap { Int($0) } ?? 4
    let alarmsFile = option("--alarms")
    // --queries 1,3: only those of the ten (--queries 0: none)
    let picked = option("--queries").map { $0.split(separator: ",").compactMap { Int($0) } }
    let (loaded, _) = try Store.load([.file(args[0])], options: LoadOptions())
    let snap = loaded.snapshot()
    let batches = stride(from: 0, to: snap.segments.count, by: batch).map { Array(snap.segments[$0..<min($0 + batch, snap.segments.count)]) }
    print("\(snap.rowCount) rows in \(snap.segments.count) segments, \(batches.count) batches")
    // CPU time of the process (every thread), less moved by other work on the host than wall time.
    func cpu() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
    func median(_ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let t = cpu()
            try body()
            times.append(cpu() - t)
        }
        return times.min()!  // the least disturbed run
    }
    var total = 0.0
    for (k, sql) in queries.enumerated() where picked?.contains(k + 1) ?? true {
        var rows = 0
        let t = try median {
            let q = try StreamingQuery(sql: sql)
            q.holdsWatermark = true
            rows = 0
            for b in batches {
                try q.add(b, schema: snap.schema)
                if let t = b.map(\.maxTs).max() { q.observe(newest: t) }
                rows += try q.advance().reduce(0) { $0 + $1.result.rows.count }
            }
            rows += try q.finishAll().reduce(0) { $0 + $1.result.rows.count }
        }
        total += t
        print(String(format: "query %2d: %7.1f ms CPU  (%d rows)", k + 1, t * 1000, rows))
    }
    print(String(format: "the queries: %.1f ms CPU", total * 1000))
    if let alarmsFile {
        let defs = try AlarmFile.load(path: alarmsFile)
        var transitions = 0
        let t = try median {
            let store = Store()
            let stream = AlarmStream(defs, store: store, lateness: 5_000_000_000)
            stream.holdsWatermark = true
            transitions = 0
            for b in batches {
                for s in b { store.append(s) }
                transitions += try stream.step().transitions.count
            }
            transitions += try stream.step(final: true).transitions.count
        }
        print(String(format: "%d alarms: %.1f ms CPU  (%d transitions)", defs.count, t * 1000, transitions))
    }
    exit(0)
}

if mode == "query" {
    // The issue's Q1–Q7 over a JSON file of gen_logs.py, in the same shape as duckdb_side.py.
    let queries = [
        ("Q1", "SELECT status, count(*) FROM logs GROUP BY status ORDER BY 2 DESC"),
        ("Q2", "SELECT date_trunc('minute', ts) m, count(*) FROM logs WHERE level = 'error' GROUP BY m ORDER BY m"),
        ("Q3", "SELECT path, approx_percentile(latency_ms, 0.99) p99, avg(latency_ms), count(*) FROM logs GROUP BY path ORDER BY p99 DESC"),
        ("Q4", "SELECT user, count(*) c FROM logs WHERE status >= 500 GROUP BY user ORDER BY c DESC LIMIT 10"),
        ("Q5", "SELECT count(*) FROM logs WHERE message LIKE '%timeout%'"),
        ("Q6", "SELECT * FROM logs WHERE level = 'error' AND service = 'payments' ORDER BY ts DESC LIMIT 100"),
        ("Q7", "SELECT count(*), avg(latency_ms) FROM logs WHERE ts BETWEEN TIMESTAMP '2026-11-27 14:00:00' AND TIMESTAMP '2026-11-27 15:00:00'"),
    ]
    var runs = 5
    if let r = args.firstIndex(of: "--runs") { runs = Int(args[r + 1])!; args.removeSubrange(r...(r + 1)) }
    var only: String?
    if let r = args.firstIndex(of: "--only") { only = args[r + 1]; args.removeSubrange(r...(r + 1)) }
    // --sql "…" (repeatable) measures other statements the same way, as X1, X2 …
    var extra: [String] = []
    while let r = args.firstIndex(of: "--sql") { extra.append(args[r + 1]); args.removeSubrange(r...(r + 1)) }
    let statements = queries + extra.enumerated().map { ("X\($0.offset + 1)", $0.element) }
    // A store on disk (--store DIR): reopened (mapped, columns read on first use), then queried;
    // otherwise files loaded into memory.
    var storeDir: String?
    if let r = args.firstIndex(of: "--store") { storeDir = args[r + 1]; args.removeSubrange(r...(r + 1)) }
    // --lookup NAME=FILE (repeatable): lookup tables, as `logdash query --lookup` reads them.
    var lookups: [String: ResultSet] = [:]
    while let r = args.firstIndex(of: "--lookup") {
        let (name, table) = try LookupTable.load(args[r + 1])
        lookups[name] = table
        args.removeSubrange(r...(r + 1))
    }
    let file = args.first ?? storeDir!
    let t0 = now()
    let snap: StoreSnapshot
    if let storeDir {
        var o = StoreOptions()
        o.readOnly = true
        let d = try DurableStore(directory: storeDir, options: o)
        d.store.setLookups(lookups)
        snap = d.store.snapshot()
        print("logdash reopen: \(String(format: "%.3f", now() - t0)) s, \(snap.rowCount) rows in \(snap.segments.count) segments, resident \(String(format: "%.0f", residentMB())) MB (\(String(format: "%.0f", anonymousMB())) MB of it not mapped files)")
    } else {
        let (store, results) = try Store.load(args.map { .file($0) }, options: LoadOptions())
        store.setLookups(lookups)
        snap = store.snapshot()
        print("logdash load: \(String(format: "%.3f", now() - t0)) s, \(snap.rowCount) rows in \(snap.segments.count) segments, resident \(String(format: "%.0f", residentMB())) MB (\(String(format: "%.0f", anonymousMB())) MB not mapped; \(results[0].detection.format ?? "-"))")
    }
    let engine = QueryEngine(snapshot: snap)
    for (name, sql) in statements where only == nil || only == name || (only == "X" && name.hasPrefix("X")) {
        let cold = now()
        _ = try engine.execute(sql)
        if storeDir != nil { print("\(name) first run (columns read from the files): \(String(format: "%.1f", (now() - cold) * 1000)) ms, resident \(String(format: "%.0f", residentMB())) MB (\(String(format: "%.0f", anonymousMB())) MB not mapped)") }
        var times: [Double] = []
        var rows = 0
        for _ in 0..<runs {
            let t = now()
            rows = try engine.execute(sql).rows.count
            times.append(now() - t)
        }
        times.sort()
        print("\(name): \(String(format: "%.1f", times[times.count / 2] * 1000)) ms (\(rows) rows)")
    }
    if only != nil || storeDir != nil { exit(0) }  // one statement probed, or a store: the whole-file run is not wanted
    let t1 = now()
    var projected = LoadOptions()
    projected.parse.projection = try QueryEngine.columnsRead(queries[0].1)
    let (s2, _) = try Store.load([.file(file)], options: projected)
    _ = try QueryEngine(snapshot: s2.snapshot()).execute(queries[0].1)
    print("Q1 straight from the file (load + query): \(String(format: "%.3f", now() - t1)) s")
    exit(0)
}
var runs = 5
var jobsList = [1, ProcessInfo.processInfo.activeProcessorCount]
var files: [String] = []
var i = 0
while i < args.count {
    switch args[i] {
    case "--runs": runs = Int(args[i + 1])!; i += 2
    case "--jobs": jobsList = args[i + 1].split(separator: ",").map { Int($0)! }; i += 2
    default: files.append(args[i]); i += 1
    }
}

print("| file | format | jobs | lines | MB | median s | lines/s | MB/s | lines/s per core |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for file in files {
    for jobs in jobsList {
        var times: [Double] = []
        var result: LoadResult?
        var rows = 0
        for r in 0...runs {
            let options = LoadOptions(workers: jobs)
            var n = 0
            let t0 = now()
            let res = try SourceLoader.run(.file(file), options: options) { n += $0.count }
            let dt = now() - t0
            if r > 0 { times.append(dt) }  // run 0 warms the cache
            result = res
            rows = n
        }
        times.sort()
        let med = times[times.count / 2]
        let s = result!.stats
        let mb = Double(s.bytes) / 1e6
        let name = (file as NSString).lastPathComponent
        print("| \(name) | \(result!.detection.format ?? "-") | \(jobs) | \(s.lines) | \(String(format: "%.0f", mb)) | "
              + String(format: "%.3f | %.0f | %.0f | %.0f |", med, Double(s.lines) / med, mb / med, Double(s.lines) / med / Double(jobs)))
        precondition(rows == s.records, "records handed on \(rows) != counted \(s.records)")
    }
}
