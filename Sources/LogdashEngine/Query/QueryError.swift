import Foundation
/// A problem with a query, with the byte offset it points at so that the message can show the
/// line, the column and a caret under the spot.
public struct QueryError: Error, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        case syntax, unknownColumn, unknownTable, unknownFunction, type, arity, value
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
        return "\(message) at line \(line), column \(column)\n  \(text)\n  \(String(repeating: " ", count: column - 1))^"
    }
}

/// A running query's progress, read from another thread (the dashboard's query pane), and
/// the way to stop it: the scan checks it before each segment.
public final class QueryProgress: @unchecked Sendable {  // guarded by `lock`
    private let lock = NSLock()
    private var rows = 0
    private var segments = 0
    private var stop = false

    public init() {}

    /// Rows of the segments scanned so far, and how many segments.
    public var scanned: (rows: Int, segments: Int) {
        lock.lock(); defer { lock.unlock() }
        return (rows, segments)
    }

    public func cancel() { lock.lock(); stop = true; lock.unlock() }

    public var isCancelled: Bool {
        lock.lock(); defer { lock.unlock() }
        return stop
    }

    /// Counts a segment about to be scanned; throws once the query was cancelled.
    func visit(rows n: Int) throws {
        lock.lock()
        let stopped = stop
        if !stopped { rows += n; segments += 1 }
        lock.unlock()
        if stopped { throw QueryError(.cancelled, "the query was cancelled", at: nil) }
    }
}
