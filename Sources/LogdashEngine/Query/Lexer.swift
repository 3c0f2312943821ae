/// A token of SQL text with the byte offset where it starts.
struct Token: Equatable {
    enum Kind: Equatable {
        case identifier(String)        // unquoted, lower-cased
        case quotedIdentifier(String)  // "http.status", as written
        case string(String)
        case integer(Int64)
        case decimal(Double)
        case symbol(String)            // operators and punctuation
        case end
    }

    let kind: Kind
    let offset: Int

    /// The unquoted identifier or keyword, lower-cased; nil for anything else.
    var word: String? {
        if case .identifier(let s) = kind { return s }
        return nil
    }
}

/// Splits SQL text into tokens; `--` and `/* */` comments are skipped.
enum Lexer {
    static func tokens(_ sql: String) throws -> [Token] {
        let b = Array(sql.utf8)
        var out: [Token] = []
        var i = 0
        func isIdentStart(_ c: UInt8) -> Bool { ASCII.isAlpha(c) || c == 0x5F || c >= 0x80 }
        func isIdent(_ c: UInt8) -> Bool { isIdentStart(c) || ASCII.isDigit(c) || c == 0x24 }
        while i < b.count {
            let c = b[i]
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1; continue }
            if c == 0x2D, i + 1 < b.count, b[i + 1] == 0x2D {  // -- comment
                while i < b.count, b[i] != 0x0A { i += 1 }
                continue
            }
            if c == 0x2F, i + 1 < b.count, b[i + 1] == 0x2A {  // /* comment */
                let start = i
                i += 2
                while i + 1 < b.count, !(b[i] == 0x2A && b[i + 1] == 0x2F) { i += 1 }
                guard i + 1 < b.count else { throw QueryError(.syntax, "unterminated comment", at: start) }
                i += 2
                continue
            }
            let start = i
            if isIdentStart(c) {
                while i < b.count, isIdent(b[i]) { i += 1 }
                out.append(Token(kind: .identifier(String(decoding: b[start..<i], as: UTF8.self).lowercased()), offset: start))
                continue
            }
            if ASCII.isDigit(c) || (c == 0x2E && i + 1 < b.count && ASCII.isDigit(b[i + 1])) {
                var isDecimal = false
                while i < b.count, ASCII.isDigit(b[i]) { i += 1 }
                if i < b.count, b[i] == 0x2E { isDecimal = true; i += 1; while i < b.count, ASCII.isDigit(b[i]) { i += 1 } }
                if i < b.count, b[i] | 0x20 == 0x65 {
                    var j = i + 1
                    if j < b.count, b[j] == 0x2B || b[j] == 0x2D { j += 1 }
                    if j < b.count, ASCII.isDigit(b[j]) {
                        isDecimal = true
                        i = j
                        while i < b.count, ASCII.isDigit(b[i]) { i += 1 }
                    }
                }
                let text = String(decoding: b[start..<i], as: UTF8.self)
                if !isDecimal, let v = Int64(text) {
                    out.append(Token(kind: .integer(v), offset: start))
                } else if let d = Double(text) {
                    out.append(Token(kind: .decimal(d), offset: start))
                } else {
                    throw QueryError(.syntax, "malformed number '\(text)'", at: start)
                }
                continue
            }
            if c == 0x27 || c == 0x22 {  // 'string' or "identifier", doubled quote escapes
                var bytes: [UInt8] = []
                i += 1
                while true {
                    guard i < b.count else {
                        throw QueryError(.syntax, c == 0x27 ? "unterminated string literal" : "unterminated quoted identifier", at: start)
                    }
                    if b[i] == c {
                        if i + 1 < b.count, b[i + 1] == c { bytes.append(c); i += 2; continue }
                        i += 1
                        break
                    }
                    bytes.append(b[i])
                    i += 1
                }
                let s = String(decoding: bytes, as: UTF8.self)
                out.append(Token(kind: c == 0x27 ? .string(s) : .quotedIdentifier(s), offset: start))
                continue
            }
            // Operators, longest first.
            let two = i + 1 < b.count ? String(decoding: b[i...i + 1], as: UTF8.self) : ""
            if ["<=", ">=", "<>", "!=", "||", "->"].contains(two) {
                out.append(Token(kind: .symbol(two), offset: start))
                i += 2
                continue
            }
            let one = String(UnicodeScalar(c))
            if "=<>+-*/%(),.;[]".contains(one) {
                out.append(Token(kind: .symbol(one), offset: start))
                i += 1
                continue
            }
            throw QueryError(.syntax, "unexpected character '\(String(decoding: [c], as: UTF8.self))'", at: start)
        }
        out.append(Token(kind: .end, offset: b.count))
        return out
    }
}
