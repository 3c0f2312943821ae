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
guard args.first == "parse" else {
    print("usage: logdash-bench parse FILE [FILE…] [--runs N] [--jobs 1,2]")
    exit(2)
}
args.removeFirst()
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
