import Foundation

/// A source named on the command line: a file (plain or `.gz`), `-` for standard input, or
/// `demo://` for the built-in generator. Globs expand to the files they match.
public enum SourceSpec: Sendable, Equatable {
    case file(String)
    case stdin
    case demo(DemoOptions)
    /// A copy of a remote object (an S3 object fetched into the cache): read as the file at
    /// `path`, its records named as the object (`s3://bucket/key`).
    case object(path: String, name: String)

    /// The name records carry in their `source` column.
    public var name: String {
        switch self {
        case .file(let p): p
        case .stdin: "stdin"
        case .demo(let o): o.url
        case .object(_, let name): name
        }
    }

    /// The file the records are read from, if they are in one.
    public var localPath: String? {
        switch self {
        case .file(let p), .object(let p, _): p
        case .stdin, .demo: nil
        }
    }

    /// Expands one command-line argument into sources.
    public static func parse(_ arg: String) throws -> [SourceSpec] {
        if arg == "-" { return [.stdin] }
        if arg.hasPrefix("demo://") || arg == "demo:" { return [.demo(try DemoOptions(url: arg))] }
        if let scheme = arg.range(of: "://"), !arg[..<scheme.lowerBound].contains("/") {
            let name = arg[..<scheme.lowerBound].lowercased()
            if ["tcp", "tcp+tls", "syslog", "syslog+tcp", "syslog+tls", "syslog+udp", "udp", "http", "https", "kinesis"].contains(name) {
                throw SourceError.unsupported(arg, "a live source has no end to read to: follow it with 'logdash ingest' or the dashboard ('logdash \(arg)')")
            }
            throw SourceError.unsupported(arg, "unknown scheme '\(arg[..<scheme.lowerBound])'; sources are files, globs, '-', demo:// or s3://")
        }
        if arg.contains(where: { "*?[".contains($0) }) {
            let matches = glob(arg)
            if matches.isEmpty { throw SourceError.noMatch(arg) }
            return matches.map { .file($0) }
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: arg, isDirectory: &isDir) else { throw SourceError.notFound(arg) }
        if isDir.boolValue { throw SourceError.isDirectory(arg) }
        return [.file(arg)]
    }

    /// Whether a path names a pipe (`mkfifo`, `<(cmd)`'s /dev/fd/N) or a character device: read
    /// once, start to end, as standard input is — never mapped, sniffed or followed, since
    /// opening it twice would wait for a second writer (or lose what the first wrote).
    public static func isStream(_ path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        let kind = st.st_mode & S_IFMT
        return kind == S_IFIFO || kind == S_IFCHR || kind == S_IFSOCK
    }

    private static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        var out: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i] {
                let s = String(cString: p)
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: s, isDirectory: &isDir), !isDir.boolValue { out.append(s) }
            }
        }
        return out
    }
}

/// A source that cannot be opened, with what to do about it.
public enum SourceError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case noMatch(String)
    case isDirectory(String)
    case unreadable(String, String)
    case unsupported(String, String)
    case badDemo(String, String)
    case corrupt(String, String)

    public var description: String {
        switch self {
        case .notFound(let p): "\(p): no such file"
        case .noMatch(let p): "\(p): no files match this pattern"
        case .isDirectory(let p): "\(p): is a directory; name the files in it, e.g. '\(p.hasSuffix("/") ? String(p.dropLast()) : p)/*.log'"
        case .unreadable(let p, let why): "\(p): cannot be read: \(why)"
        case .unsupported(let p, let why): "\(p): \(why)"
        case .badDemo(let p, let why): "\(p): \(why)"
        case .corrupt(let p, let why): "\(p): \(why)"
        }
    }
}
