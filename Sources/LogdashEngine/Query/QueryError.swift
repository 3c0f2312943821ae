/// A problem with a query, with the byte offset it points at so that the message can show the
/// line, the column and a caret under the spot.
public struct QueryError: Error, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        case syntax, unknownColumn, unknownTable, unknownFunction, type, arity, value
    }

    public let kind: Kind
    public let message: String
    /// Byte offset into the query text; nil when the problem has no one spot.
    public let position: Int?

    public init(_ kind: Kind, _ message: String, at position: Int?) {
        self.kind = kind
        self.message = message
        self.position = position
    }

    public var description: String { message }

    /// `message at line L, column C`, then the line and a caret under the spot.
    public func rendered(in query: String) -> String {
        guard let position else { return message }
        let bytes = Array(query.utf8)
        let p = min(max(0, position), bytes.count)
        var lineStart = 0, line = 1
        for i in 0..<p where bytes[i] == 0x0A { line += 1; lineStart = i + 1 }
        var lineEnd = p
        while lineEnd < bytes.count, bytes[lineEnd] != 0x0A { lineEnd += 1 }
        let text = String(decoding: bytes[lineStart..<lineEnd], as: UTF8.self)
        let column = String(decoding: bytes[lineStart..<p], as: UTF8.self).count + 1
        return "\(message) at line \(line), column \(column)\n  \(text)\n  \(String(repeating: " ", count: column - 1))^"
    }
}
