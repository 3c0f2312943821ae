import Foundation
import Synchronization
/// A problem with a query, with the byte offset it points at so that the message can show the
/// line, the column and a caret under the spot.
public struct QueryError: Error, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        case syntax, unknownColumn, unknownTable, unknownFunction, type, arity, value
        /// Past the query's memory limit (`QueryMemory`).
        case memory
        /// Stopped by `QueryProgress.cancel()`.
        case cancelled
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
        // A long line is shown around the spot (a generated 77 KB query is not echoed whole).
        let chars = Array(text), width = 60
        if chars.count > 2 * width + 20 {
            let from = max(0, column - 1 - width), to = min(chars.count, column - 1 + width)
            let shown = (from > 0 ? "…" : "") + String(chars[from..<to]) + (to < chars.count ? "…" : "")
            let caret = column - 1 - from + (from > 0 ? 1 : 0)
            return "\(message) at line \(line), column \(column)\n  \(shown)\n  \(String(repeating: " ", count: caret))^"
        }
        return "\(message) at line \(line), column \(column)\n  \(text)\n  \(String(repeating: " ", count: column - 1))^"
    }
}

/// A running query's progress, read from another thread (the dashboard's query pane), and
/// the way to stop it: the scan checks it before each segment.
public final class QueryProgress: Sendable {
    private struct State { var rows = 0, segments = 0, stop = false }
    private let state = Mutex(State())

    public init() {}

    /// Rows of the segments scanned so far, and how many segments.
    public var scanned: (rows: Int, segments: Int) { state.withLock { ($0.rows, $0.segments) } }

    public func cancel() { state.withLock { $0.stop = true } }

    public var isCancelled: Bool { state.withLock { $0.stop } }

    /// Throws once the query was cancelled (counting nothing: a second pass over segments
    /// another thread counts).
    func check() throws {
        if isCancelled { throw QueryError(.cancelled, "the query was cancelled", at: nil) }
    }

    /// Counts a segment about to be scanned; throws once the query was cancelled.
    func visit(rows n: Int) throws {
        let stopped = state.withLock { s in
            if !s.stop { s.rows += n; s.segments += 1 }
            return s.stop
        }
        if stopped { throw QueryError(.cancelled, "the query was cancelled", at: nil) }
    }
}
