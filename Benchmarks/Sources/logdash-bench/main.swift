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
guard let mode = args.first, mode == "parse" || mode == "query" else {
    print("usage: logdash-bench parse FILE [FILE…] [--runs N] [--jobs 1,2]\n       logdash-bench query FILE [--runs N]")
    exit(2)
}
args.removeFirst()

/// Resident memory now, from /proc/self/statm.
func residentMB() -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let pages = Double(s.split(separator: " ")[1]) ?? 0
    return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1e6
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
    let file = args[0]
    let t0 = now()
    let (store, results) = try Store.load([.file(file)], options: LoadOptions())
    let load = now() - t0
    let snap = store.snapshot()
    print("logdash load: \(String(format: "%.3f", load)) s, \(snap.rowCount) rows in \(snap.segments.count) segments, resident \(String(format: "%.0f", residentMB())) MB (\(results[0].detection.format ?? "-"))")
    let engine = QueryEngine(snapshot: snap)
    for (name, sql) in queries where only == nil || only == name {
        _ = try engine.execute(sql)
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
