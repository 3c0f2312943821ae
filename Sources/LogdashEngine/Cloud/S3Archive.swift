import Foundation

/// An archive (`logdash export`'s layout) in a bucket, read back: the part objects of the hours
/// wanted, found by their key names — with a time range, only the `dt=` days it touches are
/// listed — fetched a few at a time into a read-only cache by ETag, so that a second query
/// reads nothing again and a changed object is fetched anew.
public enum S3Archive {
    public struct Fetched: Sendable {
        /// The parts as local files, laid out as in the bucket (`…/dt=…/hour=…/part-….json.gz`).
        public var paths: [String]
        public var objects = 0
        /// Objects and bytes fetched now (the rest came from the cache).
        public var fetched = 0
        public var bytes = 0
    }

    /// Where fetched parts are kept: `$XDG_CACHE_HOME/logdash/s3` (`~/.cache/logdash/s3`).
    public static func cacheDirectory(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        // (A relative XDG_CACHE_HOME is ignored, as the XDG spec says.)
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache")
        return base + "/logdash/s3"
    }

    /// The parts of `place` in `timeRange` (all without one), as local files under `cache`.
    /// `progress` hears (objects done, objects in all, bytes fetched) as they arrive.
    public static func fetch(_ place: S3Location, timeRange: (Int64, Int64)?, client: S3Client, cache: String = cacheDirectory(),
                             parallel: Int = 8, progress: @escaping @Sendable (Int, Int, Int) -> Void = { _, _, _ in }) async throws -> Fetched {
        let root = place.key("")
        // The `dt=` prefixes to list: the days the range touches (a few), else the whole archive.
        var prefixes = [root]
        if let (lo, hi) = timeRange, lo > Int64.min, hi < Int64.max, hi >= lo, (hi - lo) / 86_400_000_000_000 < 62 {
            prefixes = stride(from: lo - lo.remainderReportingOverflow(dividingBy: 86_400_000_000_000).partialValue, through: hi, by: 86_400_000_000_000)
                .map { root + "dt=" + Timestamp.iso8601($0).prefix(10) + "/" }
        }
        var objects: [S3Client.Object] = []
        for p in prefixes { objects += try await client.list(bucket: place.bucket, prefix: p) }
        // The prefix's own parts (`dt=…/hour=…/part-….json.gz` right under it), not those of
        // archives further down: the same ones whether the whole prefix or its days are listed.
        let wanted = objects.filter { o in
            let rel = String(o.key.dropFirst(root.count))
            return rel.hasSuffix(".json.gz") && rel.split(separator: "/").count == 3
                && Archive.partition(of: rel).map { Archive.hour($0, overlaps: timeRange) } ?? false
        }
        let base = cache + "/" + place.bucket
        var out = Fetched(paths: [], objects: wanted.count)
        let counter = Counter()
        try await withThrowingTaskGroup(of: (String, Int).self) { group in
            var next = 0
            func start() {
                guard next < wanted.count else { return }
                let object = wanted[next]
                next += 1
                group.addTask {
                    let path = base + "/" + object.key
                    let tag = path + ".etag"
                    // (A cached copy of another size than the object is not trusted, whatever its tag.)
                    if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == object.size,
                       (try? String(contentsOfFile: tag, encoding: .utf8)) == object.etag {
                        progress(counter.add(0), wanted.count, counter.bytes)
                        return (path, -1)
                    }
                    let bytes = try await client.get(bucket: place.bucket, key: object.key)
                    // Written whole, then renamed: a reader never sees half a part.
                    let temp = path + ".part-\(getpid())"
                    do {
                        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                        guard FileManager.default.createFile(atPath: temp, contents: Data(bytes), attributes: [.posixPermissions: 0o444]),
                              rename(temp, path) == 0 else { throw SourceError.unreadable(path, String(cString: strerror(errno))) }
                        try object.etag.write(toFile: tag, atomically: true, encoding: .utf8)
                    } catch {
                        throw SourceError.unreadable(cache, "the cache of fetched parts cannot be written (XDG_CACHE_HOME chooses where it is)")
                    }
                    progress(counter.add(bytes.count), wanted.count, counter.bytes)
                    return (path, bytes.count)
                }
            }
            for _ in 0..<min(parallel, wanted.count) { start() }
            while let (path, n) = try await group.next() {
                out.paths.append(path)
                if n >= 0 { out.fetched += 1; out.bytes += n }
                start()
            }
        }
        out.paths = Archive.inOrder(out.paths)
        return out
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var done = 0
        private var total = 0
        func add(_ n: Int) -> Int { lock.withLock { done += 1; total += n; return done } }
        var bytes: Int { lock.withLock { total } }
    }
}
