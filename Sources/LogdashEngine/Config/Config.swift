import Foundation
import Yams

/// The config's `ingest` keys (the command-line options of the same names win).
public struct IngestConfig: Sendable {
    public var bufferSize: Int?
    public var bufferInterval: Int64?
    public var bufferMax: Int?
    public var authToken: String?
    public var allow: [String] = []
    public var maxConnections: Int?
    public var maxConnectionsPerAddress: Int?
    public var idleTimeout: Int64?
    public var udpBuffer: Int?
    public var requestTimeout: Int64?
    public var tlsCert: String?
    public var tlsKey: String?
    /// The store on disk (`store`, `fsync`, `retain`, `max_store_size`).
    public var store: String?
    public var fsync: FsyncMode?
    public var retain: Int64?
    public var maxStoreSize: Int?
    /// The memory records may take (`max_memory`), and whether past it the oldest spill to files
    /// (`spill`, default true) or are dropped.
    public var maxMemory: Int?
    public var spill: Bool?
}

/// The settings from a YAML config file (`--config FILE`, by default
/// `$XDG_CONFIG_HOME/logdash/config.yaml`).
///
/// ```yaml
/// max_record_bytes: 1048576
/// format: json            # force one format for every source (default: detect)
/// timezone: Europe/Berlin # the zone of times written without one (default: the machine's)
/// sources:
///   - /var/log/app/*.log
///   - { path: /var/log/remote/*.log, timezone: UTC, format: syslog }
/// formats:
///   myapp:
///     regex: '^(?<ts>\S+ \S+) \[(?<level>\w+)\] (?<message>.*)$'
///     timestamp_format: '%Y-%m-%d %H:%M:%S'
///     fields: { status: int, latency: double }
/// ingest:
///   buffer_size: 1M       # hand a batch to parsing at this size …
///   buffer_interval: 20ms # … or at this age
///   buffer_max: 64M       # the bound: beyond it sources are pushed back
///   auth_token: s3cret    # HTTP sources need 'Authorization: Bearer s3cret'
///   allow: [10.0.0.0/8]   # networks listeners accept
///   max_connections: 1024
///   max_connections_per_address: 256
///   idle_timeout: 5m
///   udp_buffer: 8M        # the kernel's receive buffer for syslog over UDP
///   request_timeout: 30s  # an HTTP request must arrive whole within this long
///   tls_cert: /etc/logdash/cert.pem   # for tcp+tls://, syslog+tls://, https://
///   tls_key: /etc/logdash/key.pem
///   max_memory: 2G        # records in memory past half of it spill to files (default: half of the memory)
///   spill: true           # false: past it the oldest records are dropped instead
/// query:
///   max_memory: 4G        # what one query may hold (default: a quarter of the memory)
/// transforms:             # the transform stage, run on every record before it is stored
///   - where: "NOT (path = '/health' AND status = 200)"
///   - mask: { kinds: [email, credit_card], with: redact }
/// ```
public struct Config: Sendable {
    public var maxRecordBytes: Int?
    public var format: String?
    public var sources: [String] = []
    /// What `sources:` entries written as mappings say of their sources (zone, format).
    public var sourceSettings: [SourceSetting] = []
    /// `timezone:`: the zone of times written without one.
    public var timezone: LocalZone?
    public var formats: [RegexFormat] = []
    public var ingest = IngestConfig()
    /// `query.max_memory`: what one query may hold.
    public var queryMaxMemory: Int?
    /// A dashboard file and an alarms file (relative paths are from the config file's directory).
    public var dashboard: String?
    public var alarms: String?
    /// Whether an alarm's change of state rings the terminal's bell in the dashboard.
    public var bell = true
    /// Lookup tables (`lookups: {users: users.csv}`): name and file, paths relative to the config's.
    public var lookups: [(name: String, path: String)] = []
    /// The transform stage's steps (`transforms:`), in order.
    public var transforms: [TransformStep] = []
    /// Delivery streams (`sinks:`): URLs, or mappings with `url:` and the buffering hints.
    public var sinks: [SinkSpec] = []
    /// The file this came from, nil for the built-in defaults.
    public var path: String?

    public init() {}

    static let topKeys = ["max_record_bytes", "format", "timezone", "sources", "formats", "ingest", "query", "dashboard", "alarms", "bell", "lookups", "transforms", "sinks"]
    static let queryKeys = ["max_memory"]
    static let ingestKeys = ["buffer_size", "buffer_interval", "buffer_max", "auth_token", "allow", "max_connections", "max_connections_per_address", "idle_timeout", "request_timeout", "udp_buffer", "tls_cert", "tls_key",
                             "store", "fsync", "retain", "max_store_size", "max_memory", "spill"]
    static let formatKeys = FormatDefinition.keys.filter { $0 != "name" }

    /// `$XDG_CONFIG_HOME/logdash/config.yaml`, or `~/.config/logdash/config.yaml`.
    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.config")
        return base + "/logdash/config.yaml"
    }

    /// Loads `path`; with `required` false a missing file gives the defaults.
    public static func load(path: String, required: Bool) throws -> Config {
        guard FileManager.default.fileExists(atPath: path) else {
            if required { throw ConfigError(file: path, key: nil, line: nil, problem: "file not found") }
            return Config()
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, key: nil, line: nil, problem: "cannot be read")
        }
        return try parse(yaml: String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(yaml: String, file: String = "<config>") throws -> Config {
        let (config, problems) = try check(yaml: yaml, file: file)
        if let first = problems.first { throw first }
        return config
    }

    /// The config a file gives and every problem in it, each naming its key and line (a key
    /// with a problem is left unset). Throws only when the file is not YAML.
    public static func check(yaml: String, file: String = "<config>") throws -> (Config, [ConfigError]) {
        var config = Config()
        config.path = file
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let e as YamlError {
            throw ConfigError(file: file, key: nil, line: nil, problem: "not valid YAML: \(e)")
        }
        guard let root else { return (config, []) }
        func fail(_ key: String, _ node: Node?, _ problem: String) -> ConfigError {
            ConfigError(file: file, key: key, line: node?.mark.map { $0.line }, problem: problem)
        }
        guard let top = root.mapping else { throw fail("(top level)", root, "must be a mapping of keys to values") }
        var problems: [ConfigError] = []
        for (k, v) in top {
            do {
                guard let key = k.string else { throw fail("(top level)", k, "keys must be strings") }
                switch key {
                case "max_record_bytes":
                    guard let n = v.int ?? v.scalar.flatMap({ ByteSize.parse($0.string) }), n >= 64, n <= 1 << 30 else {
                        throw fail(key, v, "must be a size from 64 bytes to 1G (e.g. 4096, 64k, 1M)")
                    }
                    config.maxRecordBytes = n
                case "format":
                    guard let s = v.string, !s.isEmpty else { throw fail(key, v, "must be a format name") }
                    config.format = s
                case "timezone":
                    config.timezone = try zone(v, key, fail)
                case "sources":
                    if let s = v.scalar?.string {
                        config.sources = [s]
                    } else if let seq = v.sequence {
                        for item in seq {
                            if let s = item.string { config.sources.append(s); continue }
                            guard let m = item.mapping else {
                                throw fail("sources", item, "each source is a string, or a mapping with path and timezone or format")
                            }
                            guard let path = m["path"]?.string, !path.isEmpty else { throw fail("sources.path", item, "is required: the source (a file, glob or URL)") }
                            var setting = SourceSetting(pattern: path)
                            for (sk, sv) in m {
                                switch sk.string ?? "" {
                                case "path": break
                                case "timezone": setting.timezone = try zone(sv, "sources.timezone", fail)
                                case "format":
                                    guard let f = sv.string, !f.isEmpty else { throw fail("sources.format", sv, "must be a format name") }
                                    setting.format = f
                                default:
                                    throw fail("sources.\(sk.string ?? "?")", sk, "unknown key; known keys: path, timezone, format")
                                }
                            }
                            config.sources.append(path)
                            config.sourceSettings.append(setting)
                        }
                    } else {
                        throw fail(key, v, "must be a list of sources")
                    }
                case "formats":
                    guard let m = v.mapping else { throw fail(key, v, "must map format names to their definitions") }
                    for (nk, nv) in m {
                        guard let name = nk.string, !name.isEmpty,
                              name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                            throw fail("formats", nk, "format names use letters, digits, '_' and '-'")
                        }
                        if FormatRegistry.builtinNames.contains(name.lowercased()) {
                            throw fail("formats.\(name)", nk, "'\(name)' is a built-in format; choose another name")
                        }
                        config.formats.append(try parseFormat(name, nv, fail))
                    }
                case "ingest":
                    config.ingest = try parseIngest(v, fail)
                case "query":
                    guard let m = v.mapping else { throw fail(key, v, "must be a mapping (max_memory)") }
                    for (qk, qv) in m {
                        guard let name = qk.string, name == "max_memory" else {
                            throw fail("query.\(qk.string ?? "?")", qk, "unknown key; known keys: \(queryKeys.joined(separator: ", "))")
                        }
                        guard let text = qv.scalar?.string, let n = ByteSize.parse(text), n >= 1 << 20 else {
                            throw fail("query.max_memory", qv, "must be a size of at least 1M, such as 512M or 4G")
                        }
                        config.queryMaxMemory = n
                    }
                case "bell":
                    guard let b = v.bool else { throw fail(key, v, "true or false (whether an alarm's change rings the terminal's bell)") }
                    config.bell = b
                case "lookups":
                    guard let m = v.mapping else { throw fail(key, v, "must map table names to files: {users: users.csv, geo: geo.jsonl}") }
                    let dir = (file as NSString).deletingLastPathComponent
                    for (nk, nv) in m {
                        guard let name = nk.string, let path = nv.string, !path.isEmpty else { throw fail("lookups", nk, "each entry is NAME: FILE") }
                        config.lookups.append((name, path.hasPrefix("/") || dir.isEmpty ? path : dir + "/" + path))
                    }
                case "transforms":
                    config.transforms = try TransformChain.parse(v, at: "transforms", file: file)
                case "sinks":
                    config.sinks = try parseSinks(v, fail)
                case "dashboard", "alarms":
                    guard let path = v.string, !path.isEmpty else { throw fail(key, v, "must be the path of \(key == "alarms" ? "an alarms" : "a dashboard") file") }
                    let dir = (file as NSString).deletingLastPathComponent
                    let resolved = path.hasPrefix("/") || dir.isEmpty ? path : dir + "/" + path
                    if key == "alarms" { config.alarms = resolved } else { config.dashboard = resolved }
                default:
                    throw fail(key, k, "unknown key; known keys: \(topKeys.joined(separator: ", "))")
                }
            } catch let e as ConfigError {
                problems.append(e)
            }
        }
        return (config, problems)
    }

    /// A time zone value: a tz name, an abbreviation, an offset or `local`.
    static func zone(_ v: Node, _ key: String, _ fail: (String, Node?, String) -> ConfigError) throws -> LocalZone {
        guard let s = v.string, let z = LocalZone(s) else {
            throw fail(key, v, "must be a time zone: a tz name (Europe/Berlin), UTC, an offset (+05:30) or local")
        }
        return z
    }

    /// `sinks: [s3://logs/app, {url: file:///archive, buffer_size: 1M, buffer_interval: 10s}]`.
    private static func parseSinks(_ node: Node, _ fail: (String, Node?, String) -> ConfigError) throws -> [SinkSpec] {
        let items = node.sequence.map(Array.init) ?? (node.scalar != nil || node.mapping != nil ? [node] : [])
        guard !items.isEmpty else { throw fail("sinks", node, "must be a list of sinks: s3://bucket/prefix, file:///dir, or {url: …, buffer_size: 5M, buffer_interval: 60s}") }
        return try items.enumerated().map { i, item in
            let at = "sinks[\(i)]"
            if let url = item.string {
                do { return try SinkSpec.parse(url) } catch let p as SinkSpec.Problem { throw fail(at, item, p.message) }
            }
            guard let m = item.mapping else { throw fail(at, item, "must be a URL or a mapping with url:") }
            guard let urlNode = m.first(where: { $0.key.string == "url" })?.value, let url = urlNode.string else {
                throw fail(at + ".url", item, "a sink needs url: (s3://bucket/prefix or file:///dir)")
            }
            var spec: SinkSpec
            do { spec = try SinkSpec.parse(url) } catch let p as SinkSpec.Problem { throw fail(at + ".url", urlNode, p.message) }
            for (k, v) in m {
                guard let key = k.string else { throw fail(at, k, "keys must be strings") }
                guard key != "url" else { continue }
                guard SinkSpec.keys.contains(key) else { throw fail(at + "." + key, k, "unknown key; known keys: \(SinkSpec.keys.joined(separator: ", "))") }
                do { try spec.set(key, v.scalar?.string ?? "", in: url) } catch let p as SinkSpec.Problem { throw fail(at + "." + key, v, p.message) }
            }
            do { try spec.check() } catch let p as SinkSpec.Problem { throw fail(at + "." + p.key, item, p.message) }
            return spec
        }
    }

    private static func parseIngest(_ node: Node, _ fail: (String, Node?, String) -> ConfigError) throws -> IngestConfig {
        guard let m = node.mapping else { throw fail("ingest", node, "must be a mapping (buffer_size, buffer_interval, …)") }
        var c = IngestConfig()
        for (k, v) in m {
            guard let key = k.string else { throw fail("ingest", k, "keys must be strings") }
            let at = "ingest.\(key)"
            switch key {
            case "buffer_size", "buffer_max", "udp_buffer":
                guard let text = v.scalar?.string, let n = ByteSize.parse(text), n > 0 else { throw fail(at, v, "must be a size such as 512k, 4M or 1G") }
                switch key {
                case "buffer_size": c.bufferSize = n
                case "buffer_max": c.bufferMax = n
                default: c.udpBuffer = n
                }
            case "buffer_interval", "idle_timeout", "request_timeout":
                guard let text = v.scalar?.string, let ns = TimeSpan.parseNanos(text) else { throw fail(at, v, "must be a duration such as 20ms, 1s or 5m") }
                switch key {
                case "buffer_interval": c.bufferInterval = ns
                case "idle_timeout": c.idleTimeout = ns
                default: c.requestTimeout = ns
                }
            case "auth_token":
                guard let s = v.string, !s.isEmpty else { throw fail(at, v, "must be a non-empty string") }
                c.authToken = s
            case "tls_cert", "tls_key":
                guard let s = v.string, !s.isEmpty else { throw fail(at, v, "must be the path of a PEM file") }
                if key == "tls_cert" { c.tlsCert = s } else { c.tlsKey = s }
            case "allow":
                let items = v.sequence.map(Array.init) ?? (v.scalar != nil ? [v] : [])
                guard !items.isEmpty else { throw fail(at, v, "must be a list of networks such as 10.0.0.0/8") }
                c.allow = try items.map { item in
                    guard let s = item.string, (try? CIDR(s)) != nil else { throw fail(at, item, "'\(item.string ?? "")' is not an address or network such as 10.0.0.0/8") }
                    return s
                }
            case "max_connections", "max_connections_per_address":
                guard let n = v.int, n > 0 else { throw fail(at, v, "must be a whole number of at least 1") }
                if key == "max_connections" { c.maxConnections = n } else { c.maxConnectionsPerAddress = n }
            case "store":
                guard let s = v.string, !s.isEmpty else { throw fail(at, v, "must be the path of the store's directory") }
                c.store = s
            case "fsync":
                guard let s = v.string, let mode = FsyncMode(rawValue: s) else { throw fail(at, v, "must be always, interval or never") }
                c.fsync = mode
            case "retain":
                guard let text = v.scalar?.string, let ns = TimeSpan.parseNanos(text), ns > 0 else { throw fail(at, v, "must be a duration such as 7d or 12h") }
                c.retain = ns
            case "max_store_size":
                guard let text = v.scalar?.string, let n = ByteSize.parse(text), n > 0 else { throw fail(at, v, "must be a size such as 500M or 10G") }
                c.maxStoreSize = n
            case "max_memory":
                guard let text = v.scalar?.string, let n = ByteSize.parse(text), n >= 1 << 20 else { throw fail(at, v, "must be a size of at least 1M, such as 512M or 4G") }
                c.maxMemory = n
            case "spill":
                guard let b = v.bool else { throw fail(at, v, "must be true or false") }
                c.spill = b
            default:
                throw fail(at, k, "unknown key; known keys: \(ingestKeys.joined(separator: ", "))")
            }
        }
        return c
    }

    private static func parseFormat(_ name: String, _ node: Node,
                                     _ fail: (String, Node?, String) -> ConfigError) throws -> RegexFormat {
        try FormatDefinition.parse(name: name, node: node, at: "formats.\(name)", fail: fail).format
    }
}

/// A problem in a config file, naming the key (and line) to fix.
public struct ConfigError: Error, CustomStringConvertible {
    public let file: String
    public let key: String?
    public let line: Int?
    public let problem: String

    public init(file: String, key: String?, line: Int?, problem: String) {
        self.file = file
        self.key = key
        self.line = line
        self.problem = problem
    }

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let key { s += ": \(key)" }
        return s + ": " + problem
    }
}
