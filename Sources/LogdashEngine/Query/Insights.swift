import Foundation

/// CloudWatch Logs Insights queries, compiled to logdash SQL (and so to the same plan):
///
///     filter status >= 500 | stats count(*) as errors by bin(1m) | sort errors desc | limit 10
///
/// Commands: `fields`, `filter`, `parse` (a glob with `*` or a regex with named groups),
/// `stats … [by …]`, `sort`, `limit`, `display`, `dedup`. `@timestamp` is `ts`, `@message`
/// `message`, `@log` and `@logStream` `source`, `@ingestionTime` `ingest_ts`. Operators:
/// `=`/`==`, `!=`, `<` …, `and`, `or`, `not`, `in [a, b]`, `like "text"` (contains),
/// `like /regex/` and `=~ /regex/`. Functions as Insights names them: `bin(5m)`,
/// `pct(x, 99)`, `count_distinct` (approximate, as in Insights), `earliest`/`latest`,
/// `ispresent`, `isempty`, `strlen`, `strcontains`, `tolower`, `toupper`, `datefloor`;
/// others pass through to SQL. Consecutive commands fold into one SELECT where they can (a
/// filter, then stats, sort and limit is one query); a command that needs the previous
/// result as a table (a filter on a parsed field, a second stats) reads it as a subquery.
public enum InsightsQuery {
    static let commands: Set<String> = ["fields", "filter", "stats", "sort", "limit", "parse", "display", "dedup"]

    /// Whether `text` reads as an Insights query (it starts with one of its commands).
    public static func looksLikeInsights(_ text: String) -> Bool {
        let word = text.drop { $0.isWhitespace }.prefix { $0.isLetter }.lowercased()
        return commands.contains(word)  // none of them starts a SQL statement
    }

    /// CloudWatch's bound on a query's length, in characters.
    public static let maxLength = 10_000

    /// The SQL for an Insights query; errors point into `text`.
    public static func sql(_ text: String) throws -> String {
        guard text.count <= maxLength else {
            throw QueryError(.syntax, "an Insights query is at most \(maxLength) characters (this one has \(text.count))", at: nil)
        }
        var b = Builder()
        for (command, start) in split(text) {
            let trimmed = command.drop { $0.isWhitespace }
            let offset = start + (command.utf8.count - trimmed.utf8.count)
            let verb = trimmed.prefix { $0.isLetter }.lowercased()
            let rest = String(trimmed.dropFirst(verb.count))
            let restOffset = offset + verb.utf8.count
            guard commands.contains(verb) else {
                throw QueryError(.syntax, verb.isEmpty ? "an empty command between pipes" : "unknown command '\(verb)'; commands are fields, filter, stats, sort, limit, parse, display, dedup", at: offset)
            }
            try b.apply(verb, rest, at: restOffset)
        }
        return b.sql
    }

    /// The commands between top-level pipes (not inside quotes, regexes or brackets), each
    /// with its byte offset.
    static func split(_ text: String) -> [(String, Int)] {
        var out: [(String, Int)] = []
        var current = "", start = 0, offset = 0
        var quote: Character?
        var depth = 0
        var previous: Character = " "
        for c in text {
            if let q = quote {
                if c == q && previous != "\\" { quote = nil }
            } else if c == "\"" || c == "'" || c == "`" {
                quote = c
            } else if c == "/" && (previous == " " || previous == "(" || previous == ",") && current.hasSuffix(" like ") || c == "/" && current.hasSuffix("=~ ") {
                quote = "/"
            } else if c == "(" || c == "[" {
                depth += 1
            } else if c == ")" || c == "]" {
                depth -= 1
            } else if c == "|" && depth == 0 {
                out.append((current, start))
                current = ""
                start = offset + 1
                offset += 1
                previous = c
                continue
            }
            current.append(c)
            offset += c.utf8.count
            previous = c
        }
        out.append((current, start))
        return out
    }

    struct Builder {
        var from = "logs"
        var items = ["*"]
        var filters: [String] = []
        var groupBy: [String]?
        var orderBy: [String] = []
        var limit: Int?
        /// Output names known (after fields, stats or display), for dedup.
        var known: [String]?
        var subqueries = 0

        var sql: String {
            var s = "SELECT " + items.joined(separator: ", ") + " FROM " + from
            if !filters.isEmpty { s += " WHERE " + filters.map { "(\($0))" }.joined(separator: " AND ") }
            if let g = groupBy, !g.isEmpty { s += " GROUP BY " + g.joined(separator: ", ") }
            if !orderBy.isEmpty { s += " ORDER BY " + orderBy.joined(separator: ", ") }
            if let limit { s += " LIMIT \(limit)" }
            return s
        }

        /// The query so far becomes the table the next command reads.
        mutating func wrap() {
            subqueries += 1
            let inner = sql
            self = Builder(from: "(\(inner)) q\(subqueries)", known: known, subqueries: subqueries)
        }

        /// Whether a filter can join this query's WHERE: no groups or limit yet, and no names
        /// made by `fields … as` or `parse` it might read (plain `fields` still can be filtered
        /// by any field, as in Insights).
        var plain: Bool { groupBy == nil && limit == nil && !items.contains { $0.contains(" AS ") } }

        mutating func apply(_ verb: String, _ rest: String, at offset: Int) throws {
            let body = rest.trimmingCharacters(in: .whitespaces)
            if body.isEmpty { throw QueryError(.syntax, "\(verb) needs its arguments", at: offset) }
            switch verb {
            case "filter":
                if !plain { wrap() }
                filters.append(try Expression.translate(rest, at: offset))
            case "fields", "display":
                if groupBy != nil || limit != nil || (verb == "display" && items != ["*"]) { wrap() }
                let list = try Expression.list(rest, at: offset)
                items = list.map { $0.sql + ($0.alias.map { " AS \(quote($0))" } ?? "") }
                known = list.map { $0.alias ?? $0.name }
            case "parse":
                if groupBy != nil || limit != nil { wrap() }
                let extracts = try Parse.columns(rest, at: offset)
                if items == ["*"] { items = ["*"] }
                items += extracts.map { "\($0.sql) AS \(quote($0.name))" }
                known = known.map { $0 + extracts.map(\.name) }
            case "stats":
                if groupBy != nil || limit != nil || items.contains(where: { $0.contains(" AS ") }) { wrap() }
                var text = rest
                var byText: String?
                if let r = Expression.topLevelBy(rest) {
                    text = String(rest[..<r.lowerBound])
                    byText = String(rest[r.upperBound...])
                }
                let aggs = try Expression.list(text, at: offset)
                let keys = try byText.map { try Expression.list($0, at: offset + text.utf8.count + 4) } ?? []
                items = keys.map { "\($0.sql) AS \(quote($0.alias ?? $0.name))" } + aggs.map { "\($0.sql) AS \(quote($0.alias ?? $0.name))" }
                groupBy = keys.map(\.sql)
                known = keys.map { $0.alias ?? $0.name } + aggs.map { $0.alias ?? $0.name }
                if keys.contains(where: { $0.name.lowercased().hasPrefix("bin(") }) && orderBy.isEmpty {
                    orderBy = [quote(keys.first { $0.name.lowercased().hasPrefix("bin(") }!.alias ?? keys.first { $0.name.lowercased().hasPrefix("bin(") }!.name)]
                }
            case "sort":
                if limit != nil { wrap() }
                orderBy = try Expression.list(rest, at: offset, sorting: true).map { $0.sql }
            case "limit":
                guard let n = Int(body), n >= 0 else { throw QueryError(.syntax, "limit takes a number of rows, not '\(body)'", at: offset + 1) }
                limit = min(limit ?? n, n)
            case "dedup":
                guard let columns = known else {
                    throw QueryError(.syntax, "dedup needs the fields it shows: put fields (or stats) before it", at: offset)
                }
                let keys = try Expression.list(rest, at: offset).map(\.sql)
                let order = orderBy.isEmpty ? "" : " ORDER BY " + orderBy.joined(separator: ", ")  // none: the first in table order
                let shown = columns.map(quote)
                let inner = sql
                subqueries += 1
                let n = subqueries
                self = Builder(from: "(SELECT \(shown.joined(separator: ", ")), row_number() OVER (PARTITION BY \(keys.joined(separator: ", "))\(order)) AS \"__dedup\" FROM (\(inner)) q\(n)) d\(n)",
                               known: known, subqueries: n)
                items = shown
                filters = ["\"__dedup\" = 1"]
            default:
                break
            }
        }
    }

    static func quote(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// Insights expressions to SQL, token by token.
    enum Expression {
        struct Item { var sql: String; var name: String; var alias: String? }

        /// Where a top-level ` by ` splits stats from its keys.
        static func topLevelBy(_ s: String) -> Range<String.Index>? {
            var depth = 0
            var quote: Character?
            var i = s.startIndex
            while i < s.endIndex {
                let c = s[i]
                if let q = quote { if c == q { quote = nil } } else if c == "\"" || c == "'" { quote = c }
                else if c == "(" { depth += 1 } else if c == ")" { depth -= 1 }
                else if depth == 0, c == " ", s[i...].lowercased().hasPrefix(" by ") {
                    return i..<s.index(i, offsetBy: 4)
                }
                i = s.index(after: i)
            }
            return nil
        }

        /// A comma-separated list of `expression [as name]` (with `sorting`: `expression [asc|desc]`).
        static func list(_ text: String, at offset: Int, sorting: Bool = false) throws -> [Item] {
            var parts: [(String, Int)] = []
            var depth = 0, start = 0, pos = 0
            var quote: Character?
            var current = ""
            for c in text {
                if let q = quote { if c == q { quote = nil } } else if c == "\"" || c == "'" || c == "/" && current.lowercased().hasSuffix("like ") { quote = c }
                else if c == "(" || c == "[" { depth += 1 } else if c == ")" || c == "]" { depth -= 1 }
                else if c == "," && depth == 0 {
                    parts.append((current, start)); current = ""; pos += 1; start = pos; continue
                }
                current.append(c)
                pos += c.utf8.count
            }
            parts.append((current, start))
            return try parts.map { part, at in
                var p = part.trimmingCharacters(in: .whitespaces)
                guard !p.isEmpty else { throw QueryError(.syntax, "an empty item in a list", at: offset + at) }
                if sorting {
                    var direction = ""
                    for d in [" desc", " asc"] where p.lowercased().hasSuffix(d) {
                        direction = d.uppercased()
                        p = String(p.dropLast(d.count)).trimmingCharacters(in: .whitespaces)
                    }
                    return Item(sql: try translate(p, at: offset + at) + direction, name: p, alias: nil)
                }
                var alias: String?
                if let r = p.range(of: #"\s+as\s+(\S+)$"#, options: [.regularExpression, .caseInsensitive]) {
                    alias = String(p[r]).split(separator: " ").last.map(String.init)?.trimmingCharacters(in: CharacterSet(charactersIn: "`\""))
                    p = String(p[..<r.lowerBound])
                }
                let name = p.hasPrefix("@") ? String(p.dropFirst()) : p
                return Item(sql: try translate(p, at: offset + at), name: name == "timestamp" ? "ts" : name, alias: alias)
            }
        }

        enum Tok: Equatable { case word(String), string(String), regex(String), number(String), symbol(String) }

        static func tokens(_ text: String, at offset: Int) throws -> [Tok] {
            let chars = Array(text)
            var out: [Tok] = []
            var i = 0
            while i < chars.count {
                let c = chars[i]
                if c.isWhitespace { i += 1; continue }
                if c == "\"" || c == "'" {
                    var j = i + 1, s = ""
                    while j < chars.count && chars[j] != c {
                        if chars[j] == "\\" && j + 1 < chars.count { j += 1 }
                        s.append(chars[j]); j += 1
                    }
                    guard j < chars.count else { throw QueryError(.syntax, "a string without its closing \(c)", at: offset + String(chars[..<i]).utf8.count) }
                    out.append(.string(s)); i = j + 1; continue
                }
                if c == "`" {
                    var j = i + 1, s = ""
                    while j < chars.count && chars[j] != "`" { s.append(chars[j]); j += 1 }
                    out.append(.word(s)); i = j + 1; continue
                }
                if c == "/", case .word(let w)? = out.last, w.lowercased() == "like" || w == "=~" {
                    var j = i + 1, s = ""
                    while j < chars.count && chars[j] != "/" {
                        if chars[j] == "\\" && j + 1 < chars.count && chars[j + 1] == "/" { j += 1 }
                        s.append(chars[j]); j += 1
                    }
                    guard j < chars.count else { throw QueryError(.syntax, "a regex without its closing /", at: offset + String(chars[..<i]).utf8.count) }
                    j += 1
                    if j < chars.count && chars[j] == "i" { s = "(?i)" + s; j += 1 }  // /x/i
                    out.append(.regex(s)); i = j; continue
                }
                if c.isNumber {
                    var j = i, s = ""
                    while j < chars.count && (chars[j].isNumber || chars[j] == "." || chars[j].isLetter) { s.append(chars[j]); j += 1 }
                    out.append(.number(s)); i = j; continue
                }
                if c.isLetter || c == "_" || c == "@" || c == "$" {
                    var j = i, s = ""
                    while j < chars.count && (chars[j].isLetter || chars[j].isNumber || "_@.$-".contains(chars[j])) {
                        if chars[j] == "-" && !(j + 1 < chars.count && (chars[j + 1].isLetter)) { break }
                        s.append(chars[j]); j += 1
                    }
                    out.append(.word(s)); i = j; continue
                }
                for op in ["==", "!=", "<=", ">=", "=~", "&&", "||"] where text.utf8.count > 0 && String(chars[i..<min(chars.count, i + 2)]) == op {
                    out.append(op == "=~" ? .word("=~") : .symbol(op)); i += 2
                }
                if i < chars.count && chars[i] == c && !c.isWhitespace {
                    out.append(.symbol(String(c))); i += 1
                }
            }
            return out
        }

        /// How many calls deep an expression may nest (each level is translated on its own).
        static let maxCallDepth = 64

        /// One expression; `nesting`: how many calls it is inside.
        static func translate(_ text: String, at offset: Int, nesting: Int = 0) throws -> String {
            guard nesting < maxCallDepth else {
                throw QueryError(.syntax, "the query nests more than \(maxCallDepth) calls deep; split it up", at: offset)
            }
            let toks = try tokens(text, at: offset)
            var out: [String] = []
            var operandStart: [Int] = []  // where each operand began in `out`, for `like`
            var i = 0
            func field(_ w: String) -> String {
                switch w.lowercased() {
                case "@timestamp": return "ts"
                case "@message": return "message"
                case "@log", "@logstream": return "source"
                case "@ingestiontime": return "ingest_ts"
                default:
                    let name = w.hasPrefix("@") ? String(w.dropFirst()) : w
                    return name.contains(".") || name.contains("-") || name.contains("$") ? quote(name) : name
                }
            }
            func lit(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
            while i < toks.count {
                let t = toks[i]
                switch t {
                case .string(let s):
                    operandStart.append(out.count); out.append(lit(s))
                case .number(let n):
                    if let d = Duration.interval(n) { out.append(d) } else { operandStart.append(out.count); out.append(n) }
                case .regex(let r):
                    out.append(lit(r))
                case .symbol("=="): out.append("=")
                case .symbol("!="): out.append("<>")
                case .symbol("&&"): out.append("AND")
                case .symbol("||"): out.append("OR")
                case .symbol("["): out.append("(")
                case .symbol("]"): out.append(")")
                case .symbol(let s): out.append(s)
                case .word(let w):
                    let lw = w.lowercased()
                    let negated = lw == "not" && i + 1 < toks.count && toks[i + 1] == .word("like")
                    if lw == "like" || lw == "=~" || negated {
                        // The operand before: from its start in `out`.
                        let from = operandStart.last ?? max(0, out.count - 1)
                        let lhs = out[from...].joined(separator: " ")
                        out.removeSubrange(from...)
                        if negated { i += 1 }
                        guard i + 1 < toks.count else { throw QueryError(.syntax, "like needs a string or a /regex/", at: offset) }
                        i += 1
                        switch toks[i] {
                        case .regex(let r):
                            out.append((negated ? "NOT " : "") + "regexp_like(\(lhs), \(lit(r)))")
                        case .string(let s) where !s.contains("%") && !s.contains("_"):
                            out.append("\(lhs) \(negated ? "NOT " : "")LIKE \(lit("%" + s + "%"))")  // a contains-search (the fast path)
                        case .string(let s):
                            out.append("\(negated ? "NOT " : "")(strpos(\(lhs), \(lit(s))) > 0)")  // % and _ taken literally
                        default:
                            throw QueryError(.syntax, "like needs a string or a /regex/", at: offset)
                        }
                        i += 1
                        continue
                    }
                    if i + 1 < toks.count && toks[i + 1] == .symbol("(") {
                        // A function call: its Insights name, and arguments to the matching ')'.
                        var depth = 0, j = i + 1
                        repeat {
                            if toks[j] == .symbol("(") { depth += 1 } else if toks[j] == .symbol(")") { depth -= 1 }
                            j += 1
                        } while j < toks.count && depth > 0
                        let argsText = render(Array(toks[(i + 2)..<max(i + 2, j - 1)]))
                        let args = try splitArgs(Array(toks[(i + 2)..<max(i + 2, j - 1)])).map { try translate(render($0), at: offset, nesting: nesting + 1) }
                        operandStart.append(out.count)
                        out.append(try call(lw, args, raw: argsText, at: offset))
                        i = j
                        continue
                    }
                    if ["and", "or", "not", "in", "is", "null", "true", "false", "between"].contains(lw) {
                        out.append(lw.uppercased())
                    } else {
                        operandStart.append(out.count)
                        out.append(field(w))
                    }
                }
                i += 1
            }
            return out.joined(separator: " ").replacingOccurrences(of: "( ", with: "(").replacingOccurrences(of: " )", with: ")")
                .replacingOccurrences(of: " ,", with: ",")
        }

        static func render(_ toks: [Tok]) -> String {
            toks.map { t -> String in
                switch t {
                case .word(let w): return w.contains(" ") ? "`\(w)`" : w
                case .string(let s): return "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\""
                case .regex(let r): return "/\(r)/"
                case .number(let n): return n
                case .symbol(let s): return s
                }
            }.joined(separator: " ")
        }

        static func splitArgs(_ toks: [Tok]) -> [[Tok]] {
            guard !toks.isEmpty else { return [] }
            var out: [[Tok]] = [[]]
            var depth = 0
            for t in toks {
                if t == .symbol("(") || t == .symbol("[") { depth += 1 }
                if t == .symbol(")") || t == .symbol("]") { depth -= 1 }
                if t == .symbol(","), depth == 0 { out.append([]); continue }
                out[out.count - 1].append(t)
            }
            return out
        }

        static func call(_ name: String, _ args: [String], raw: String, at offset: Int) throws -> String {
            func need(_ n: Int) throws {
                guard args.count == n else { throw QueryError(.arity, "\(name)() takes \(n) argument\(n == 1 ? "" : "s"), not \(args.count)", at: offset) }
            }
            switch name {
            case "bin":
                try need(1)
                guard args[0].hasPrefix("INTERVAL") else { throw QueryError(.syntax, "bin() takes a period such as 5m, not '\(raw)'", at: offset) }
                return "date_bin(\(args[0]), ts)"
            case "datefloor", "datefloor_":
                try need(2)
                return "date_bin(\(args[1]), \(args[0]))"
            case "pct", "percentile":
                try need(2)
                return "approx_percentile(\(args[0]), (\(args[1])) / 100.0)"
            case "count_distinct": try need(1); return "approx_distinct(\(args[0]))"
            case "earliest": try need(1); return "min_by(\(args[0]), ts)"
            case "latest": try need(1); return "max_by(\(args[0]), ts)"
            case "ispresent": try need(1); return "(\(args[0]) IS NOT NULL)"
            case "isempty": try need(1); return "(\(args[0]) IS NULL OR CAST(\(args[0]) AS varchar) = '')"
            case "isblank": try need(1); return "(\(args[0]) IS NULL OR trim(CAST(\(args[0]) AS varchar)) = '')"
            case "strlen": try need(1); return "length(\(args[0]))"
            case "tolower": try need(1); return "lower(\(args[0]))"
            case "toupper": try need(1); return "upper(\(args[0]))"
            case "strcontains": try need(2); return "(strpos(\(args[0]), \(args[1])) > 0)"
            case "count" where args.isEmpty || args == ["*"]: return "count(*)"
            default:
                return "\(name)(\(args.joined(separator: ", ")))"
            }
        }
    }

    /// Periods written as Insights writes them: `30s`, `5m`, `1h`, `1d`, `250ms`.
    enum Duration {
        static func interval(_ s: String) -> String? {
            let units: [(String, String, Int64)] = [("ms", "SECOND", 0), ("s", "SECOND", 1), ("sec", "SECOND", 1), ("m", "MINUTE", 1),
                                                    ("min", "MINUTE", 1), ("h", "HOUR", 1), ("hr", "HOUR", 1), ("d", "DAY", 1), ("w", "DAY", 7)]
            for (suffix, unit, factor) in units where s.lowercased().hasSuffix(suffix) {
                guard let n = Int64(s.dropLast(suffix.count)), n > 0 else { continue }
                if suffix == "ms" { return n % 1000 == 0 ? "INTERVAL '\(n / 1000)' SECOND" : nil }
                guard case (let amount, false) = n.multipliedReportingOverflow(by: factor) else { return nil }
                return "INTERVAL '\(amount)' \(unit)"
            }
            return nil
        }
    }

    /// `parse @message "user=* status=*" as user, status` (a glob: each `*` is a field) or
    /// `parse @message /user=(?<user>\S+)/` (a regex: each named group is a field).
    enum Parse {
        static func columns(_ text: String, at offset: Int) throws -> [(name: String, sql: String)] {
            let t = text.trimmingCharacters(in: .whitespaces)
            // The source field, then the pattern.
            let fieldEnd = t.firstIndex { $0 == " " || $0 == "\"" || $0 == "'" || $0 == "/" } ?? t.endIndex
            var source = String(t[..<fieldEnd])
            var rest = t[fieldEnd...].trimmingCharacters(in: .whitespaces)
            if source.isEmpty || source.hasPrefix("\"") { source = "@message"; rest = t }
            let sourceSQL = try Expression.translate(source, at: offset)
            if rest.hasPrefix("/") {
                guard let close = rest.dropFirst().lastIndex(of: "/") else { throw QueryError(.syntax, "a regex without its closing /", at: offset) }
                let regex = String(rest[rest.index(after: rest.startIndex)..<close])
                var names: [String] = []
                let plain = regex.replacingOccurrences(of: #"\(\?<([A-Za-z_][A-Za-z0-9_]*)>"#, with: "(", options: .regularExpression)
                var search = regex[...]
                while let r = search.range(of: #"\(\?<([A-Za-z_][A-Za-z0-9_]*)>"#, options: .regularExpression) {
                    names.append(String(search[r].dropFirst(3).dropLast()))
                    search = search[r.upperBound...]
                }
                guard !names.isEmpty else { throw QueryError(.syntax, "parse with a regex names its fields with (?<name>…) groups", at: offset) }
                // Groups counted in order (named ones are the only capturing groups expected).
                return names.enumerated().map { k, n in (n, "regexp_extract(\(sourceSQL), '\(plain.replacingOccurrences(of: "'", with: "''"))', \(k + 1))") }
            }
            guard let q = rest.first, q == "\"" || q == "'", let close = rest.dropFirst().firstIndex(of: q) else {
                throw QueryError(.syntax, "parse takes a \"glob with *\" and 'as' names, or a /regex/ with (?<name>…) groups", at: offset)
            }
            let glob = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...].trimmingCharacters(in: .whitespaces)
            guard after.lowercased().hasPrefix("as ") else { throw QueryError(.syntax, "parse with a glob names its fields: … as a, b", at: offset) }
            let names = after.dropFirst(3).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let stars = glob.filter { $0 == "*" }.count
            guard stars == names.count else {
                throw QueryError(.syntax, "the glob has \(stars) * but \(names.count) name\(names.count == 1 ? "" : "s") follow 'as'", at: offset)
            }
            var regex = ""
            let pieces = glob.split(separator: "*", omittingEmptySubsequences: false)
            for (k, piece) in pieces.enumerated() {
                regex += NSRegularExpressionEscape.escape(String(piece))
                if k < pieces.count - 1 { regex += k == pieces.count - 2 && pieces.last!.isEmpty ? "(.*)" : "(.*?)" }
            }
            return names.enumerated().map { k, n in (n, "regexp_extract(\(sourceSQL), '\(regex.replacingOccurrences(of: "'", with: "''"))', \(k + 1))") }
        }
    }
}

/// Regex metacharacters escaped, so that a glob's literal text matches itself.
enum NSRegularExpressionEscape {
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            if "\\^$.|?*+()[]{}".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
