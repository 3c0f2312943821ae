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
            return ArchiveCompression.of(rel) != nil && rel.split(separator: "/").count == 3
                && Archive.partition(of: rel).map { Archive.hour($0, overlaps: timeRange) } ?? false
        }
        var out = try await download(wanted, bucket: place.bucket, client: client, cache: cache, parallel: parallel, progress: progress)
        out.paths = Archive.inOrder(out.paths)
        return out
    }

    /// Where `download` keeps an object of `bucket` (its ETag beside, in `cache/.etags/`: no
    /// object's name can be taken for a tag's).
    static func cached(_ key: String, bucket: String, cache: String) -> String { cache + "/" + bucket + "/" + relative(key) }
    static func tag(_ key: String, bucket: String, cache: String) -> String { cache + "/.etags/" + bucket + "/" + relative(key) }

    /// A key as a path that stays under the cache whatever the bucket holds: a part of it that
    /// is empty, `.` or `..` is written `%`, `%2E`, `%2E%2E` (and `%` itself `%25`).
    static func relative(_ key: String) -> String {
        key.split(separator: "/", omittingEmptySubsequences: false).map { part -> String in
            let p = part.replacingOccurrences(of: "%", with: "%25")
            return p.isEmpty ? "%" : p == "." ? "%2E" : p == ".." ? "%2E%2E" : p
        }.joined(separator: "/")
    }

    /// Fetches objects into the cache (`cache/bucket/key`), `parallel` at a time; a copy whose
    /// size and ETag match the object's is not fetched again. Paths in the order they finished.
    static func download(_ wanted: [S3Client.Object], bucket: String, client: S3Client, cache: String, parallel: Int,
                         progress: @escaping @Sendable (Int, Int, Int) -> Void) async throws -> Fetched {
        var out = Fetched(paths: [], objects: wanted.count)
        let counter = Counter()
        try await withThrowingTaskGroup(of: (String, Int).self) { group in
            var next = 0
            func start() {
                guard next < wanted.count else { return }
                let object = wanted[next]
                next += 1
                group.addTask {
                    let path = cached(object.key, bucket: bucket, cache: cache)
                    let tagPath = tag(object.key, bucket: bucket, cache: cache)
                    // (A cached copy of another size than the object is not trusted, whatever its tag.)
                    if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == object.size,
                       (try? String(contentsOfFile: tagPath, encoding: .utf8)) == object.etag {
                        progress(counter.add(0), wanted.count, counter.bytes)
                        return (path, -1)
                    }
                    let bytes = try await client.get(bucket: bucket, key: object.key)
                    // Written whole, then renamed: a reader never sees half a part.
                    let temp = path + ".part-\(getpid())"
                    do {
                        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                        try FileManager.default.createDirectory(atPath: (tagPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                        guard FileManager.default.createFile(atPath: temp, contents: Data(bytes), attributes: [.posixPermissions: 0o444]),
                              rename(temp, path) == 0 else { throw SourceError.unreadable(path, String(cString: strerror(errno))) }
                        try object.etag.write(toFile: tagPath, atomically: true, encoding: .utf8)
                    } catch {
                        throw SourceError.unreadable(cache, "the cache of fetched objects cannot be written for s3://\(bucket)/\(object.key) "
                                                     + "(XDG_CACHE_HOME chooses where it is): \(error)")
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

/// Any S3 prefix as a plain source (AWS's own ALB, ELB, CloudFront, S3 access and CloudTrail logs
/// in their buckets; any format the parser knows, gzip or not): the objects under it — with a
/// time range, only those whose key names a time near it — fetched into the cache as an
/// archive's parts are, each read as a file named by its `s3://` URL.
public enum S3Sources {
    public struct Found: Sendable {
        /// The objects to read, in key order (AWS's keys sort by time within a prefix).
        public var specs: [SourceSpec]
        /// Objects left out by the time in their key names.
        public var skipped: Int
        /// Folders left out by the time in their names, never listed.
        public var unlisted = 0
        public var fetched: S3Archive.Fetched
    }

    public static func fetch(_ place: S3Location, timeRange: (Int64, Int64)?, client: S3Client, cache: String = S3Archive.cacheDirectory(),
                             parallel: Int = 8) async throws -> Found {
        // The prefix as written (`…/elasticloadbalancing/us-east-1` or one object's key), as a
        // directory's: `app` holds `app/x.log`, not `application/x.log`.
        var listed: [S3Client.Object], unlisted = 0
        if let timeRange, let walked = try await walk(place, timeRange: timeRange, client: client) {
            (listed, unlisted) = walked
        } else {
            listed = try await client.list(bucket: place.bucket, prefix: place.prefix)
        }
        let under = listed.filter { o in
            !o.key.hasSuffix("/") && (place.prefix.isEmpty || o.key == place.prefix || o.key.hasPrefix(place.prefix + "/"))
        }
        let wanted = under.filter { o in
            guard let (lo, hi) = timeRange, let (start, end, late) = keyTime(o.key) else { return true }
            // (AWS names a file by when it was delivered: it may hold records from before its
            // key's time — `late` — never after it.)
            return start - late <= hi && end > lo
        }.sorted { $0.key < $1.key }
        let fetched = try await S3Archive.download(wanted, bucket: place.bucket, client: client, cache: cache, parallel: parallel) { _, _, _ in }
        let specs = wanted.map { SourceSpec.object(path: S3Archive.cached($0.key, bucket: place.bucket, cache: cache), name: "s3://\(place.bucket)/\($0.key)") }
        return Found(specs: specs, skipped: under.count - wanted.count, unlisted: unlisted, fetched: fetched)
    }

    /// The objects under `place` listed a folder at a time (S3's delimiter), leaving out the
    /// folders whose names give a time outside `timeRange` (`2026/11/26/`, `dt=2026-11-26/`, a
    /// month's `2026/10/`) without listing them: years of AWS's logs under a prefix cost a few
    /// requests instead of one per thousand objects. Nil when the tree has too many folders that
    /// name no time for that to pay (one listing of everything is then cheaper).
    static func walk(_ place: S3Location, timeRange: (Int64, Int64), client: S3Client, maxRequests: Int = 200) async throws
        -> (objects: [S3Client.Object], unlisted: Int)? {
        var objects: [S3Client.Object] = [], unlisted = 0, requests = 0
        var pending = [place.prefix], whole: [String] = []
        while let prefix = pending.popLast() {
            requests += 1
            if requests > maxRequests { return nil }
            let page = try await client.list(bucket: place.bucket, prefix: prefix, delimiter: "/")
            objects += page.objects
            for folder in page.folders {
                // (`…/us-east-1` names the folder `us-east-1/`, not `us-east-1x/`.)
                if prefix == place.prefix, !prefix.isEmpty, !prefix.hasSuffix("/"), folder != prefix + "/" { continue }
                if let (start, end, late) = folderTime(folder) {
                    if start - late > timeRange.1 || end <= timeRange.0 {
                        unlisted += 1
                    } else if start - late >= timeRange.0 && end <= timeRange.1 {
                        whole.append(folder)  // wholly in the range: everything under it, in one listing
                    } else {
                        pending.append(folder)
                    }
                } else {
                    pending.append(folder)
                }
            }
        }
        for folder in whole { objects += try await client.list(bucket: place.bucket, prefix: folder) }
        return (objects, unlisted)
    }

    /// The span of time a folder's name gives (ending in `/`), as `keyTime` for its objects:
    /// `dt=2026-11-27/` (with `hour=14/`: that hour), a day's `2026/11/27/`, a month's `2026/11/`;
    /// nil for any other.
    static func folderTime(_ folder: String) -> (start: Int64, end: Int64, late: Int64)? {
        let hour: Int64 = 3_600_000_000_000
        func at(_ y: Substring, _ m: Substring, _ d: Substring, _ h: Substring? = nil) -> Int64? {
            guard let y = Int(y), let m = Int(m), let d = Int(d), (1...12).contains(m), (1...31).contains(d) else { return nil }
            return Timestamp.make(year: y, month: m, day: d, hour: h.flatMap { Int($0) } ?? 0, minute: 0, second: 0)
        }
        if let m = folder.firstMatch(of: /(?:^|\/)dt=(\d{4})-(\d{2})-(\d{2})\/(?:hour=(\d{2})\/)?$/), let t = at(m.1, m.2, m.3, m.4) {
            return (t, t + (m.4 == nil ? 24 * hour : hour), hour)
        }
        if let m = folder.firstMatch(of: /(?:^|\/)(\d{4})\/(\d{2})\/(\d{2})\/$/), let t = at(m.1, m.2, m.3) {
            return (t, t + 24 * hour, hour)
        }
        if let m = folder.firstMatch(of: /(?:^|\/)(\d{4})\/(\d{2})\/$/), let t = at(m.1, m.2, "01"), let y = Int(m.1), let mo = Int(m.2),
           let next = Timestamp.make(year: mo == 12 ? y + 1 : y, month: mo == 12 ? 1 : mo + 1, day: 1, hour: 0, minute: 0, second: 0) {
            return (t, next, hour)
        }
        return nil
    }

    /// The span of time an object's key names, [start, end) in nanoseconds, and how much
    /// earlier its records may be: a day of AWS's `…/2026/11/27/…` (ALB, ELB, CloudTrail, VPC
    /// flow logs: delivered within minutes, an hour allowed) or an archive's `dt=2026-11-27`
    /// (with `/hour=14`: that hour), an hour of CloudFront's `….2026-11-27-14.…` and of S3
    /// server access logs' `2026-11-27-14-05-01-…` (delivered on a best-effort basis, hours
    /// late at times: a day allowed); nil when it names none.
    public static func keyTime(_ key: String) -> (start: Int64, end: Int64, late: Int64)? {
        let day: Int64 = 86_400_000_000_000, hour: Int64 = 3_600_000_000_000
        func at(_ y: Substring, _ m: Substring, _ d: Substring, _ h: Substring? = nil) -> Int64? {
            guard let y = Int(y), let m = Int(m), let d = Int(d) else { return nil }
            return Timestamp.make(year: y, month: m, day: d, hour: h.flatMap { Int($0) } ?? 0, minute: 0, second: 0)
        }
        if let m = key.firstMatch(of: /dt=(\d{4})-(\d{2})-(\d{2})(?:\/hour=(\d{2}))?/), let t = at(m.1, m.2, m.3, m.4) {
            return (t, t + (m.4 == nil ? day : hour), hour)
        }
        if let m = key.firstMatch(of: /(?:^|\/)(\d{4})\/(\d{2})\/(\d{2})(?:\/|$)/), let t = at(m.1, m.2, m.3) {
            return (t, t + day, hour)
        }
        if let m = key.firstMatch(of: /(?:^|[\/.])(\d{4})-(\d{2})-(\d{2})-(\d{2})(?:[-.])/), let t = at(m.1, m.2, m.3, m.4) {
            return (t, t + hour, day)
        }
        return nil
    }
}
