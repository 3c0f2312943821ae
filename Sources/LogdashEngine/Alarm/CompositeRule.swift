import Foundation

/// A composite alarm's rule, CloudWatch's syntax: `ALARM(name)`, `OK(name)`,
/// `INSUFFICIENT_DATA(name)`, `TRUE`, `FALSE`, joined with AND, OR, NOT and parentheses
/// (NOT binds tightest, then AND, then OR). The composite is in ALARM while its rule holds.
public indirect enum CompositeRule: Sendable, Equatable {
    case state(AlarmState, String)
    case constant(Bool)
    case not(CompositeRule)
    case and(CompositeRule, CompositeRule)
    case or(CompositeRule, CompositeRule)

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let message: String
        /// Offset into the rule's text.
        public let position: Int
        public var description: String { "\(message) at offset \(position)" }
    }

    /// CloudWatch's bound on a rule's length.
    public static let maxLength = 10_240
    /// How deep a rule may nest (parentheses, NOTs, and each operand of an AND or OR chain), as
    /// for SQL: deeper rules are refused rather than recursed into.
    public static let maxDepth = SQLParser.maxDepth

    public static func parse(_ text: String) throws -> CompositeRule {
        guard text.count <= maxLength else {
            throw ParseError(message: "a rule is at most \(maxLength) characters (this one has \(text.count))", position: maxLength)
        }
        var p = Parser(chars: Array(text))
        let rule = try p.or()
        p.skipSpace()
        guard p.i == p.chars.count else { throw p.error("expected AND, OR or the end of the rule") }
        return rule
    }

    /// The alarms the rule names.
    public var references: Set<String> {
        switch self {
        case .state(_, let n): [n]
        case .constant: []
        case .not(let r): r.references
        case .and(let a, let b), .or(let a, let b): a.references.union(b.references)
        }
    }

    /// Whether the rule holds for these states (an alarm not in `states` is INSUFFICIENT_DATA).
    public func holds(_ states: [String: AlarmState]) -> Bool {
        switch self {
        case .state(let s, let n): (states[n] ?? .insufficientData) == s
        case .constant(let b): b
        case .not(let r): !r.holds(states)
        case .and(let a, let b): a.holds(states) && b.holds(states)
        case .or(let a, let b): a.holds(states) || b.holds(states)
        }
    }

    /// Rejects rules that name unknown alarms or that reach themselves through other
    /// composites; the error names the cycle.
    public static func check(_ composites: [String: CompositeRule], known: Set<String>) throws {
        for (name, rule) in composites.sorted(by: { $0.key < $1.key }) {
            for r in rule.references.sorted() where !known.contains(r) && composites[r] == nil {
                throw ParseError(message: "composite alarm '\(name)' names '\(r)', which is no alarm", position: 0)
            }
        }
        // Depth-first search; a name met again on the current path closes a cycle.
        var done: Set<String> = []
        func visit(_ name: String, _ path: [String]) throws {
            if let i = path.firstIndex(of: name) {
                throw ParseError(message: "composite alarms form a cycle: " + (path[i...] + [name]).joined(separator: " → "), position: 0)
            }
            guard !done.contains(name), let rule = composites[name] else { return }
            for r in rule.references.sorted() { try visit(r, path + [name]) }
            done.insert(name)
        }
        for name in composites.keys.sorted() { try visit(name, []) }
    }

    private struct Parser {
        let chars: [Character]
        var i = 0
        var depth = 0

        func error(_ m: String) -> ParseError { ParseError(message: m, position: i) }

        mutating func enter() throws {
            depth += 1
            guard depth <= CompositeRule.maxDepth else { throw error("the rule nests more than \(CompositeRule.maxDepth) levels deep") }
        }

        mutating func skipSpace() { while i < chars.count && chars[i].isWhitespace { i += 1 } }

        mutating func word() -> String {
            skipSpace()
            let start = i
            while i < chars.count && (chars[i].isLetter || chars[i].isNumber || chars[i] == "_") { i += 1 }
            return String(chars[start..<i])
        }

        mutating func keyword(_ k: String) -> Bool {
            let save = i
            if word().uppercased() == k { return true }
            i = save
            return false
        }

        mutating func or() throws -> CompositeRule {
            let base = depth
            defer { depth = base }
            var left = try and()
            while keyword("OR") { try enter(); left = .or(left, try and()) }
            return left
        }

        mutating func and() throws -> CompositeRule {
            let base = depth
            defer { depth = base }
            var left = try unary()
            while keyword("AND") { try enter(); left = .and(left, try unary()) }
            return left
        }

        mutating func unary() throws -> CompositeRule {
            let base = depth
            defer { depth = base }
            if keyword("NOT") { try enter(); return .not(try unary()) }
            skipSpace()
            if i < chars.count && chars[i] == "(" {
                try enter()
                i += 1
                let inner = try or()
                skipSpace()
                guard i < chars.count && chars[i] == ")" else { throw error("expected ')'") }
                i += 1
                return inner
            }
            let at = i
            let w = word().uppercased()
            switch w {
            case "TRUE": return .constant(true)
            case "FALSE": return .constant(false)
            case "ALARM", "OK", "INSUFFICIENT_DATA":
                skipSpace()
                guard i < chars.count && chars[i] == "(" else { throw error("expected '(' and an alarm name after \(w)") }
                i += 1
                skipSpace()
                // A name, perhaps quoted: up to the closing parenthesis.
                var name = ""
                let quote: Character? = i < chars.count && (chars[i] == "\"" || chars[i] == "'") ? chars[i] : nil
                if quote != nil { i += 1 }
                while i < chars.count && chars[i] != (quote ?? ")") { name.append(chars[i]); i += 1 }
                if quote != nil { i += 1; skipSpace() }
                name = name.trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty else { throw error("an alarm name goes between the parentheses") }
                guard i < chars.count && chars[i] == ")" else { throw error("expected ')' after the alarm name") }
                i += 1
                return .state(AlarmState(rawValue: w)!, name)
            default:
                i = at
                throw error("expected ALARM(name), OK(name), INSUFFICIENT_DATA(name), TRUE, FALSE, NOT or '('")
            }
        }
    }
}
