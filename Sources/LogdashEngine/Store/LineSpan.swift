import Foundation

/// A segment's lines of text in one buffer (see `SegmentColumn.withLines`), so that a search
/// runs through them all at once rather than line by line: one `memmem` call finds the next
/// line holding a term, however many lines lack it.
public struct LineSpan {
    public let buffer: UnsafeBufferPointer<UInt8>
    /// Per line, in row order: its row, and where it starts and ends in `buffer`.
    public let rows: [Int32]
    let starts: [Int]
    let ends: [Int]
    /// Whether the lines lie in the buffer in order, none overlapping another (the search
    /// through the whole buffer needs it; otherwise lines are searched one by one).
    let ordered: Bool

    public var count: Int { rows.count }

    @inline(__always) public func line(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: buffer[starts[i]..<ends[i]])
    }

    struct Builder {
        var rows: [Int32] = [], starts: [Int] = [], ends: [Int] = []
        var ordered = true

        mutating func add(row: Int, start: Int, end: Int) {
            if let last = ends.last, start < last { ordered = false }
            rows.append(Int32(row))
            starts.append(start)
            ends.append(end)
        }

        func span(over buffer: UnsafeBufferPointer<UInt8>) -> LineSpan {
            LineSpan(buffer: buffer, rows: rows, starts: starts, ends: ends, ordered: ordered)
        }
    }

    /// Which lines hold `needle`'s bytes (case-sensitive), by line index.
    public func containing(_ needle: [UInt8]) -> [Bool] {
        var out = [Bool](repeating: needle.isEmpty, count: count)
        guard !needle.isEmpty, count > 0 else { return out }
        guard ordered, let memmem = MetricFilter.memmem, let base = buffer.baseAddress else {
            for i in 0..<count { out[i] = MetricFilter.has(line(i), needle) }
            return out
        }
        needle.withUnsafeBufferPointer { n in
            let m = n.count
            var from = starts[0], i = 0
            let limit = ends[count - 1]
            while from < limit, i < count, let hit = memmem(base + from, limit - from, n.baseAddress!, m) {
                let h = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                while i < count && ends[i] < h + m { i += 1 }  // lines ending before the match does cannot hold it
                guard i < count else { break }
                if starts[i] <= h {
                    out[i] = true  // inside line i: on to the next line
                    from = ends[i]
                    i += 1
                } else {
                    from = max(h + 1, starts[i])  // across a line's start, or in a gap between lines
                }
            }
        }
        return out
    }
}
