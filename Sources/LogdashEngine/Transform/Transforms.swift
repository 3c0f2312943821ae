import Foundation
import Synchronization
import Yams

/// One step of the transform stage (`transforms:` in the config, `--transform FILE`): what it
/// does, and the sources it is for.
public struct TransformStep: Sendable {
    public enum Action: Sendable {
        /// `where: EXPR`: keeps the records for which it is true.
        case keep(Expr)
        /// `sample: {rate, where, key}`: of the records `where` picks (all without it), keeps a
        /// `rate` share, chosen by a hash of `key` (of the raw line without one): the same
        /// records every time, and every record of a trace together.
        case sample(rate: Double, condition: Expr?, key: String?)
        /// `set: {name: EXPR, …}`: new or replaced fields, in order.
        case set([Assignment])
        /// `rename: {from: to, …}`.
        case rename([(from: String, to: String)])
        /// `drop: [name, …]`.
        case drop([String])
        /// `parse: {field, pattern}`: fields from a regular expression's named groups.
        case extract(field: String, regex: PCRERegex)
        /// `parse: {field, as: json | logfmt | kv}`: fields from a JSON object or key=value pairs.
        case pairs(field: String, json: Bool)
        /// `parse: {field, as: FORMAT}`: the field read as a line of a named format (built-in or
        /// defined in the config): its fields, message and host.
        case formatted(field: String, format: String)
        /// `mask: {fields, kinds, with}`: personal data and secrets replaced, in the fields named
        /// (every text field without `fields`) and always in `raw`.
        case mask(fields: [String]?, masker: Masker)
        /// `lookup: {table, key, fields, required}`: fields from a lookup table's row whose first
        /// column equals the record's `key`.
        case lookup(table: String, key: String, fields: [String]?, required: Bool)
        /// `level: {from, map}`: the level from a field's value (`"5.."` any three characters
        /// starting with 5; otherwise the value itself, in any case).
        case level(from: String, map: [(pattern: String, level: Level)])
        /// `timestamp: {from, format}`: the record's time from a field (strptime `format`, or any
        /// shape logdash reads without one).
        case timestamp(from: String, format: TimeFormat?)
    }

    public struct Assignment: Sendable {
        public var name: String
        public var expr: Expr
    }

    public let action: Action
    /// Source globs the step is for (`nginx/*`); empty: every source.
    public let sources: [String]
    /// Its place in the list, from 1.
    public let number: Int
    /// Its key (`where`, `set`, `mask` …).
    public let kind: String
    /// Where it is written: the file, its line, its place (`transforms[2]`).
    public var file = "transforms"
    public var line: Int?
    public var path = ""

    /// `step 3 (mask)`: how messages name it.
    public var label: String { "step \(number) (\(kind))" }

    /// Whether the step is for records of `source`: a glob matches its name, its absolute
    /// path, or the end of its path (`nginx/*` matches `/var/log/nginx/access.log`).
    func applies(to source: String) -> Bool {
        guard !sources.isEmpty else { return true }
        // A file named relative to the working directory is matched by its absolute path too
        // (`app/*` matches `app.log` read from inside `app/`).
        let absolute = source.hasPrefix("/") || source.contains("://") || source == "-" ? source
            : URL(fileURLWithPath: source).standardizedFileURL.path
        return sources.contains { p in
            [source, absolute].contains { SourceSetting(pattern: p).matches($0) || fnmatch("*/" + p, $0, 0) == 0 }
        }
    }
}

/// The transform stage: steps run in order on every batch of records between parsing and
/// storing, each seeing what the one before it made. What a step cannot do for a record (a
/// failed cast, a lookup miss with `required`) never drops the record: it goes on with
/// `_transform_error` saying which step failed and why, and shows in the `errors` table.
public final class TransformChain: Sendable {
    /// The steps, their lookup tables and what they did: replaced whole on a reload.
    struct Current: Sendable {
        var steps: [TransformStep]
        /// Lookup tables by name (lower-cased): key text → row, and the table's columns.
        var tables: [String: LookupIndex]
        var counts: [StepCounts]
        /// Which list this is (counts from batches of an older one are not added to it).
        var generation = 0
        /// How `parse … as: FORMAT` steps read their field: the formats known (the config's and
        /// the user's besides the built-in ones) and the time zone (`reading(with:)`).
        var parse = ParseOptions()
    }
    let current: Mutex<Current>

    public var steps: [TransformStep] { current.withLock { $0.steps } }

    /// A lookup table ready for the `lookup` step: its rows numbered by their key's text (the
    /// first row of a key wins), and each column as a column of those rows plus one NULL row
    /// last, which a record that finds none gets.
    struct LookupIndex: Sendable {
        var columns: [String]
        /// Key bytes → row number, when every key is ASCII (as most are): a plain string column
        /// is then looked up without a `String` per record. nil otherwise.
        let bytes: ByteKeyTable?
        /// Key text → row number, when some key is not ASCII (`bytes` is then nil).
        let numbers: [String: Int32]
        /// Per column of the table, its values by row number, and NULL at `count`.
        let stored: [SegmentColumn]
        /// How many keys (a record that finds none gets this number).
        let count: Int32

        init(columns: [String], rows: [[Value]]) {
            self.columns = columns
            // First as bytes; at the first key that is not ASCII, all again as text.
            var table = ByteKeyTable(capacity: rows.count)
            table.arena.reserveCapacity(rows.count * 8)
            var kept: [Int] = [], ascii = true
            kept.reserveCapacity(rows.count)
            for (k, r) in rows.enumerated() {
                guard let first = r.first, first != .null else { continue }
                var key = textOf(first)
                let fresh: Bool? = key.withUTF8 { b in
                    let p = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
                    guard ByteKeyTable.isASCII(p, b.count) else { return nil }
                    let number = Int32(kept.count)
                    return table.group(p, b.count) { _, _ in number } == number
                }
                guard let fresh else { ascii = false; break }
                if fresh { kept.append(k) }
            }
            var numbers: [String: Int32] = [:]
            if !ascii {
                kept = []
                numbers.reserveCapacity(rows.count)
                for (k, r) in rows.enumerated() {
                    guard let first = r.first, first != .null else { continue }
                    let key = textOf(first)
                    if numbers[key] == nil { numbers[key] = Int32(kept.count); kept.append(k) }
                }
            }
            self.numbers = numbers
            bytes = ascii ? table : nil
            count = Int32(kept.count)
            stored = columns.indices.map { c in
                var column = Column(name: "")
                for k in kept { column.append(value: rows[k][c]) }
                column.pad(to: kept.count + 1)
                return SegmentColumn(column, rows: kept.count + 1)
            }
        }

        /// The row number a key's text finds, or `count`. Text compares as SQL's `=` does: a
        /// key that is not ASCII finds an ASCII one by its composed form (the Kelvin sign, K).
        func number(_ key: String) -> Int32 {
            guard let bytes else { return numbers[key] ?? count }
            var s = key
            if !s.utf8.allSatisfy({ $0 < 0x80 }) { s = s.precomposedStringWithCanonicalMapping }
            return s.withUTF8 { b in
                let p = b.baseAddress ?? UnsafePointer(bitPattern: 1)!
                guard ByteKeyTable.isASCII(p, b.count) else { return count }
                let n = bytes.withReader { $0.find(p, b.count, hash: ByteKeyTable.hash(p, b.count)) }
                return n < 0 ? count : n
            }
        }
    }

    /// What a step did, counted over every batch.
    public struct StepCounts: Sendable, Equatable {
        public var recordsIn = 0
        public var recordsOut = 0
        public var failed = 0
        public var masked: [String: Int] = [:]

        /// Adds what `now` counted since `before`.
        mutating func add(_ now: StepCounts, minus before: StepCounts) {
            recordsIn += now.recordsIn - before.recordsIn
            recordsOut += now.recordsOut - before.recordsOut
            failed += now.failed - before.failed
            for (kind, n) in now.masked where n - (before.masked[kind] ?? 0) > 0 { masked[kind, default: 0] += n - (before.masked[kind] ?? 0) }
        }
    }

    public init(steps: [TransformStep], lookups: [String: ResultSet] = [:]) throws {
        var tables: [String: LookupIndex] = [:]
        for s in steps {
            guard case .lookup(let name, _, let fields, _) = s.action else { continue }
            guard let t = lookups[name.lowercased()] else {
                throw ConfigError(file: s.file, key: "\(s.path).lookup.table", line: s.line,
                                  problem: "no lookup table '\(name)'; give it with --lookup \(name)=FILE or under 'lookups:' in the config"
                                    + (lookups.isEmpty ? "" : " (tables: \(lookups.keys.sorted().joined(separator: ", ")))"))
            }
            for f in fields ?? [] where !t.columns.dropFirst().contains(where: { $0.lowercased() == f.lowercased() }) {
                throw ConfigError(file: s.file, key: "\(s.path).lookup.fields", line: s.line,
                                  problem: "lookup table '\(name)' has no column '\(f)'; its columns: \(t.columns.joined(separator: ", "))")
            }
            tables[name.lowercased()] = LookupIndex(columns: t.columns, rows: t.rows)
        }
        current = Mutex(Current(steps: steps, tables: tables, counts: [StepCounts](repeating: StepCounts(), count: steps.count)))
    }

    private init(_ c: Current) { current = Mutex(c) }

    /// The same steps with counts from zero (to count one source's records apart).
    public func fresh() -> TransformChain {
        let c = current.withLock { $0 }
        return TransformChain(Current(steps: c.steps, tables: c.tables, counts: [StepCounts](repeating: StepCounts(), count: c.steps.count), parse: c.parse))
    }

    /// Takes `other`'s steps (and tables) from the next batch on, with counts from zero: a
    /// reload. Batches under way finish with the steps they started with.
    public func replace(with other: TransformChain) {
        let next = other.current.withLock { $0 }
        current.withLock { c in
            c = Current(steps: next.steps, tables: next.tables, counts: [StepCounts](repeating: StepCounts(), count: next.steps.count),
                        generation: c.generation + 1, parse: c.parse)
        }
    }

    /// The steps that read a field as a format (`parse … as: FORMAT`) naming a format `registry`
    /// does not know, as problems naming the step.
    public static func unknownFormats(_ steps: [TransformStep], registry: FormatRegistry) -> [ConfigError] {
        steps.compactMap { s in
            guard case .formatted(_, let name) = s.action, registry.named(name) == nil else { return nil }
            if HeaderFormat.Kind(rawValue: name) != nil {
                return ConfigError(file: s.file, key: "\(s.path).parse.as", line: s.line,
                                   problem: "'\(name)' is read by its file's header line, which a field does not have; use a pattern, or json, logfmt or kv")
            }
            return ConfigError(file: s.file, key: "\(s.path).parse.as", line: s.line,
                               problem: "no format '\(name)' (besides json, logfmt and kv: those 'logdash formats' lists, the config's 'formats:' and definition files)")
        }
    }

    /// What `reading(with:)` was given.
    public var readingOptions: ParseOptions { current.withLock { $0.parse } }

    /// The formats (and time zone) `parse … as: FORMAT` steps read with; throws the first step
    /// that names a format they do not have.
    public func reading(with parse: ParseOptions) throws {
        if let problem = TransformChain.unknownFormats(steps, registry: parse.registry).first { throw problem }
        current.withLock { $0.parse = parse }
    }

    /// What each step has done so far.
    public var counts: [StepCounts] { current.withLock { $0.counts } }

    /// Each step's label (after the list's generation: `2:step 1 (where)`) and counts, read
    /// together (a reload between two reads cannot mix lists).
    public var labelledCounts: [(label: String, counts: StepCounts)] { current.withLock { c in zip(c.steps, c.counts).map { ("\(c.generation):" + $0.label, $1) } } }

    // MARK: reading the list

    static let stepKinds = ["where", "sample", "set", "rename", "drop", "parse", "mask", "lookup", "level", "timestamp"]

    /// The steps of a `transforms:` list (each a mapping with one step key and, optionally,
    /// `sources:`); a problem names the step, its key and line.
    public static func parse(_ node: Node, at prefix: String, file: String) throws -> [TransformStep] {
        func fail(_ key: String, _ n: Node?, _ problem: String) -> ConfigError {
            ConfigError(file: file, key: key, line: n?.mark.map { $0.line }, problem: problem)
        }
        guard let seq = node.sequence else { throw fail(prefix, node, "must be a list of steps (- where: …, - set: {…}, - mask: {…})") }
        var steps: [TransformStep] = []
        for (k, item) in seq.enumerated() {
            let number = k + 1
            let at = "\(prefix)[\(k)]"
            guard let m = item.mapping else { throw fail(at, item, "each step is a mapping with one of: \(stepKinds.joined(separator: ", "))") }
            var sources: [String] = []
            var found: (String, Node)?
            for (key, value) in m {
                guard let name = key.string else { throw fail(at, key, "keys must be strings") }
                if name == "sources" {
                    let items = value.sequence.map(Array.init) ?? [value]
                    sources = try items.map { n in
                        guard let s = n.string, !s.isEmpty else { throw fail("\(at).sources", n, "must be a list of source globs (nginx/*, /var/log/app.log)") }
                        return s
                    }
                    continue
                }
                guard stepKinds.contains(name) else {
                    throw fail("\(at).\(name)", key, name == "source" ? "unknown key; did you mean 'sources'?" : "unknown step; steps are \(stepKinds.joined(separator: ", "))")
                }
                guard found == nil else { throw fail("\(at).\(name)", key, "one step per list item: '\(found!.0)' is here already") }
                found = (name, value)
            }
            guard let (kind, value) = found else { throw fail(at, item, "names no step; steps are \(stepKinds.joined(separator: ", "))") }
            let action = try step(kind, value, at: "\(at).\(kind)", file: file, fail: fail)
            var step = TransformStep(action: action, sources: sources, number: number, kind: kind)
            step.file = file
            step.line = item.mark.map { $0.line }
            step.path = at
            steps.append(step)
        }
        return steps
    }

    /// The steps of a transform file (`--transform FILE`): a list, or a mapping with `transforms:`.
    public static func load(path: String) throws -> [TransformStep] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, key: nil, line: nil, problem: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "file not found")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: String(decoding: data, as: UTF8.self)) } catch {
            throw ConfigError(file: path, key: nil, line: nil, problem: "not valid YAML: \(error)")
        }
        guard let root else { throw ConfigError(file: path, key: nil, line: nil, problem: "has no steps (an empty file would turn the config's transforms off)") }
        if let m = root.mapping {
            guard let list = m["transforms"], m.count == 1 else {
                throw ConfigError(file: path, key: "(top level)", line: root.mark?.line, problem: "a transform file is a list of steps, or a mapping with only 'transforms:'")
            }
            return try parse(list, at: "transforms", file: path)
        }
        return try parse(root, at: "transforms", file: path)
    }

    private static let settableCore: Set<String> = ["message", "host"]

    private static func step(_ kind: String, _ v: Node, at: String, file: String,
                             fail: (String, Node?, String) -> ConfigError) throws -> TransformStep.Action {
        /// A field name; core columns other than message and host are refused (`what` says why).
        func field(_ n: Node?, _ key: String, core: Bool = false) throws -> String {
            guard let s = n?.string?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { throw fail(key, n ?? v, "must be a field name") }
            if !core, CoreColumn.names.contains(s.lowercased()), !settableCore.contains(s.lowercased()) {
                throw fail(key, n, "'\(s)' is a core column; \(s.lowercased() == "level" ? "the level step sets it" : s.lowercased() == "ts" ? "the timestamp step sets it" : "it cannot be changed")")
            }
            return s
        }
        func mapping(_ n: Node, _ what: String) throws -> Node.Mapping {
            guard let m = n.mapping else { throw fail(at, n, "must be a mapping: \(what)") }
            return m
        }
        func only(_ m: Node.Mapping, _ keys: [String]) throws {
            for (k, _) in m where !keys.contains(k.string ?? "") {
                throw fail("\(at).\(k.string ?? "?")", k, "unknown key; known keys: \(keys.joined(separator: ", "))")
            }
        }
        switch kind {
        case "where":
            let e = try expression(v, at: at, file: file, fail: fail)
            switch e {
            case .column, .literal(.int, _), .literal(.double, _), .literal(.string, _), .interval:
                throw fail(at, v, "'\(v.string ?? "")' is a value, not a condition: write a comparison such as \"status >= 500\"")
            case .binary(let op, _, _, _) where ["+", "-", "*", "/", "%", "||"].contains(op):
                throw fail(at, v, "'\(v.string ?? "")' is a value, not a condition: write a comparison such as \"status >= 500\"")
            default: return .keep(e)
            }
        case "sample":
            let m = try mapping(v, "{rate: 0.1, where: \"level = 'debug'\", key: trace_id}")
            try only(m, ["rate", "where", "key"])
            guard let rate = m["rate"]?.float, rate >= 0, rate <= 1 else { throw fail("\(at).rate", m["rate"] ?? v, "must be a share from 0 to 1 (0.1 keeps one record in ten)") }
            return .sample(rate: rate, condition: try m["where"].map { try expression($0, at: "\(at).where", file: file, fail: fail) },
                           key: try m["key"].map { try field($0, "\(at).key", core: true) })
        case "set":
            let m = try mapping(v, "{name: SQL expression, …}")
            return .set(try m.map { k, e in
                let name = try field(k, "\(at)")
                return TransformStep.Assignment(name: name, expr: try expression(e, at: "\(at).\(name)", file: file, fail: fail))
            })
        case "rename":
            let m = try mapping(v, "{from: to, …}")
            return .rename(try m.map { k, t in
                let from = try field(k, at)
                return (from, try field(t, "\(at).\(from)"))
            })
        case "drop":
            let items = v.sequence.map(Array.init) ?? [v]
            return .drop(try items.map { try field($0, at) })
        case "parse":
            let m = try mapping(v, "{field: message, pattern: '…(?<name>…)…'} or {field: message, as: json | logfmt | kv}")
            try only(m, ["field", "pattern", "as"])
            let source = try field(m["field"] ?? Node("message"), "\(at).field", core: true)
            if let p = m["pattern"] {
                guard m["as"] == nil else { throw fail("\(at).as", m["as"], "give a pattern or 'as', not both") }
                guard let text = p.string else { throw fail("\(at).pattern", p, "must be a regular expression with named groups") }
                let regex: PCRERegex
                do { regex = try PCRERegex(text) } catch { throw fail("\(at).pattern", p, "not a regular expression: \(error)") }
                guard !regex.names.isEmpty else { throw fail("\(at).pattern", p, "has no named group: write (?<name>…) for each field to take") }
                return .extract(field: source, regex: regex)
            }
            guard let how = m["as"]?.string?.lowercased(), !how.isEmpty else { throw fail(at, v, "needs a pattern or 'as: json | logfmt | kv | FORMAT'") }
            if ["json", "logfmt", "kv"].contains(how) { return .pairs(field: source, json: how == "json") }
            return .formatted(field: source, format: how)  // (its name is checked against the formats when the steps are put to use)
        case "mask":
            let m = try mapping(v, "{fields: [message, user], kinds: [email, ipv4 …], with: redact | hash | partial}")
            try only(m, ["fields", "kinds", "with", "key", "key_file"])
            let fields = try m["fields"].map { n in try (n.sequence.map(Array.init) ?? [n]).map { try field($0, "\(at).fields", core: true) } }
            var kinds = Set(MaskKind.allCases)
            if let k = m["kinds"] {
                guard k.sequence?.isEmpty != true else { throw fail("\(at).kinds", k, "names no kind; kinds are \(MaskKind.allCases.map(\.rawValue).joined(separator: ", ")) (without kinds: every one)") }
                kinds = Set(try (k.sequence.map(Array.init) ?? [k]).map { n in
                    guard let s = n.string, let kind = MaskKind(rawValue: s.lowercased()) else {
                        throw fail("\(at).kinds", n, "'\(n.string ?? "")' is not a kind; kinds are \(MaskKind.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return kind
                })
            }
            var mode = MaskMode.redact
            if let w = m["with"] {
                guard let s = w.string, let md = MaskMode(rawValue: s.lowercased()) else { throw fail("\(at).with", w, "must be redact, hash or partial") }
                mode = md
            }
            var key: [UInt8]?
            if let k = m["key"] {
                guard let s = k.string, s.utf8.count >= 16 else { throw fail("\(at).key", k, "must be a secret of at least 16 characters") }
                key = Array(s.utf8)
            }
            if let kf = m["key_file"] {
                // (A relative path is from the file the steps are in.)
                let dir = (file as NSString).deletingLastPathComponent
                let path = kf.string.map { $0.hasPrefix("/") || dir.isEmpty ? $0 : dir + "/" + $0 }
                guard let path, let data = FileManager.default.contents(atPath: path), data.count >= 16 else {
                    throw fail("\(at).key_file", kf, "must be a readable file holding a secret of at least 16 bytes")
                }
                key = Array(data)
            }
            if mode == .hash, key == nil {
                throw fail("\(at).key", v, "'with: hash' needs a secret: key: … or key_file: FILE (so that equal values hash alike, and no one can hash guesses)")
            }
            return .mask(fields: fields, masker: Masker(kinds: kinds, mode: mode, key: key))
        case "lookup":
            let m = try mapping(v, "{table: users, key: user, fields: [team, tier]}")
            try only(m, ["table", "key", "fields", "required"])
            guard let table = m["table"]?.string, !table.isEmpty else { throw fail("\(at).table", m["table"] ?? v, "must name a lookup table (lookups: in the config, or --lookup NAME=FILE)") }
            let fields = try m["fields"].map { n in try (n.sequence.map(Array.init) ?? [n]).map { try field($0, "\(at).fields") } }
            var required = false
            if let r = m["required"] {
                guard let b = r.bool else { throw fail("\(at).required", r, "true or false") }
                required = b
            }
            return .lookup(table: table, key: try field(m["key"], "\(at).key", core: true), fields: fields, required: required)
        case "level":
            let m = try mapping(v, "{from: status, map: {\"5..\": error, \"4..\": warn}}")
            try only(m, ["from", "map"])
            guard let map = m["map"]?.mapping, !map.isEmpty else { throw fail("\(at).map", m["map"] ?? v, "must map values to levels: {\"5..\": error, \"4..\": warn}") }
            return .level(from: try field(m["from"], "\(at).from", core: true), map: try map.map { p, l in
                guard let pattern = p.string, let name = l.string, let level = Level(name) else {
                    throw fail("\(at).map", l, "'\(l.string ?? "")' is not a level; levels are \(Level.allCases.map(\.name).joined(separator: ", "))")
                }
                return (pattern, level)
            })
        case "timestamp":
            let m = try mapping(v, "{from: event_time, format: '%d/%m/%Y %H:%M:%S'}")
            try only(m, ["from", "format"])
            var format: TimeFormat?
            if let f = m["format"] {
                guard let s = f.string else { throw fail("\(at).format", f, "must be a strptime pattern such as '%d/%m/%Y %H:%M:%S'") }
                do { format = try TimeFormat(s) } catch { throw fail("\(at).format", f, "\(error)") }
            }
            return .timestamp(from: try field(m["from"], "\(at).from", core: true), format: format)
        default:
            throw fail(at, v, "unknown step")
        }
    }

    /// A SQL expression over one record's fields: checked now (syntax, functions, no
    /// aggregates, windows or subqueries), so that a typo is a config error, not a failure per record.
    static func expression(_ n: Node, at: String, file: String, fail: (String, Node?, String) -> ConfigError) throws -> Expr {
        guard let text = n.string ?? n.scalar?.string, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw fail(at, n, "must be a SQL expression (in quotes when it holds ':' or '#')")
        }
        do { return try expression(text) } catch let e as QueryError { throw fail(at, n, "'\(text)': \(e.message)") }
    }

    /// A SQL expression over one record's fields, checked (as a step's are); errors as QueryError.
    public static func expression(_ text: String) throws -> Expr {
        let expr: Expr
        do {
            guard case .query(.select(let s)) = try SQLParser.parse("SELECT \(text)"), s.from == nil, s.items.count == 1, !s.items[0].isStar,
                  s.items[0].alias == nil, s.filter == nil, s.groupBy.isEmpty, s.orderBy.isEmpty, s.limit == nil else {
                throw QueryError(.syntax, "must be one SQL expression, such as \"status >= 500\" or \"split_part(host, '-', 1)\"", at: nil)
            }
            expr = s.items[0].expr
        }
        var problem: String?
        var columns: [String] = []
        walkAll(expr) { e in
            switch e {
            case .window: problem = "a window function works over many records; a step sees one"
            case .subquery: problem = "a subquery reads tables; a step sees one record (the lookup step joins a table)"
            case .column(let c, _): if !columns.contains(c.lowercased()) { columns.append(c.lowercased()) }
            case .call(let name, _, _, _, _) where Aggregates.isAggregate(name): problem = "\(name)() works over many records; a step sees one"
            default: break
            }
        }
        if let problem { throw QueryError(.syntax, problem, at: nil) }
        _ = try ExprCompiler(names: columns, now: 0).compile(expr)
        return expr
    }
}

extension TransformChain {
    /// The first field `e` reads that is not among `columns` (with a suggestion); nil when none.
    public static func unknownColumn(in e: Expr, columns: [String]) -> String? {
        problems([TransformStep(action: .keep(e), sources: [], number: 1, kind: "where")], columns: columns).first?
            .replacingOccurrences(of: "step 1 (where): ", with: "")
    }

    /// The steps checked against the columns records have (`logdash check --against`): each
    /// field a step reads must exist by then — in the data, or made by an earlier step. Each
    /// problem names the step and key. After a `parse … as:` step, whose fields depend on the
    /// data, fields are no longer checked.
    public static func problems(_ steps: [TransformStep], columns: [String]) -> [String] {
        var known = Set((CoreColumn.names + columns + ["_transform_error"]).map { $0.lowercased() })
        var open = false
        var out: [String] = []
        func need(_ name: String, _ key: String?, _ step: TransformStep) {
            guard !open, !known.contains(name.lowercased()) else { return }
            out.append("\(step.label)\(key.map { "." + $0 } ?? ""): unknown column '\(name)'" + ExprCompiler.suggestion(for: name.lowercased(), among: known.sorted()))
        }
        func reads(_ e: Expr, _ key: String?, _ step: TransformStep) {
            var seen: [String] = []
            walkAll(e) { if case .column(let c, _) = $0, !seen.contains(c) { seen.append(c) } }
            for c in seen { need(c, key, step) }
        }
        for step in steps {
            switch step.action {
            case .keep(let e): reads(e, nil, step)
            case .sample(_, let c, let k):
                if let c { reads(c, "where", step) }
                if let k { need(k, "key", step) }
            case .set(let assignments):
                for a in assignments {
                    reads(a.expr, a.name, step)
                    known.insert(a.name.lowercased())
                }
            case .rename(let pairs):
                for (from, to) in pairs {
                    need(from, from, step)
                    known.remove(from.lowercased())
                    known.insert(to.lowercased())
                }
            case .drop(let names):
                for n in names { need(n, "drop", step); known.remove(n.lowercased()) }
            case .extract(let field, let regex):
                need(field, "field", step)
                for g in regex.names { known.insert(fieldName(g.name).lowercased()) }
            case .pairs(let field, _), .formatted(let field, _):
                need(field, "field", step)
                open = true
            case .mask(let fields, _):
                for f in fields ?? [] { need(f, "fields", step) }
            case .lookup(let table, let key, let fields, _):
                need(key, "key", step)
                for f in fields ?? [] { known.insert(fieldName(f).lowercased()) }
                if fields == nil { open = open || table.isEmpty }
            case .level(let from, _): need(from, "from", step)
            case .timestamp(let from, _): need(from, "from", step)
            }
        }
        return out
    }
}
