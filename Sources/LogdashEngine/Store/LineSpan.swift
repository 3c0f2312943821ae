import Foundation

/// A segment's lines of text in one buffer (see `SegmentColumn.withLines`), so that a search
/// runs through them all at once rather than line by line: one search finds the next line
/// holding a term, however many lines lack it.
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

        var isEmpty: Bool { rows.isEmpty }

        mutating func removeAll() {
            rows.removeAll(keepingCapacity: true)
            starts.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            ordered = true
        }

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
        guard ordered, let base = buffer.baseAddress else {
            for i in 0..<count { out[i] = MetricFilter.has(line(i), needle) }
            return out
        }
        let finder = Finder(needle, sample: UnsafeBufferPointer(rebasing: buffer[starts[0]..<min(ends[count - 1], starts[0] + 16384)]))
        var from = starts[0], i = 0
        let limit = ends[count - 1]
        while from < limit, i < count, let h = finder.find(base, from: from, to: limit) {
            while i < count && ends[i] < h + needle.count { i += 1 }  // lines ending before the match does cannot hold it
            guard i < count else { break }
            if starts[i] <= h {
                out[i] = true  // inside line i: on to the next line
                from = ends[i]
                i += 1
            } else {
                from = max(h + 1, starts[i])  // across a line's start, or in a gap between lines
            }
        }
        return out
    }

    /// A substring search for one needle: `memchr` for a single byte; otherwise the needle's
    /// two rarest bytes (by their counts in a sample of the text) compared at sixteen
    /// positions at once, and `memcmp` where both match — in log text this passes over most
    /// bytes faster than `memmem`, whose first byte (often a quote or a common letter) stops it often.
    struct Finder {
        let needle: [UInt8]
        /// The positions in the needle of its two rarest bytes (equal when it has one byte).
        let p1: Int, p2: Int

        init(_ needle: [UInt8], sample: UnsafeBufferPointer<UInt8>) {
            self.needle = needle
            var counts = [Int](repeating: 0, count: 256)
            for b in sample { counts[Int(b)] += 1 }
            let order = needle.indices.sorted { counts[Int(needle[$0])] < counts[Int(needle[$1])] }
            let a = order[0]
            let b = order.dropFirst().first { needle[$0] != needle[a] } ?? order[min(1, order.count - 1)]
            p1 = min(a, b)
            p2 = max(a, b)
        }

        /// The pairs of bytes sixteen positions at a time, four blocks a round: the first position
        /// from `i` on where the whole needle matches, or nil with `i` where the blocks end.
        @inline(never)
        private static func scan(_ base: UnsafePointer<UInt8>, from i: inout Int, to: Int, needle: UnsafePointer<UInt8>, count m: Int,
                                 p1: Int, p2: Int) -> Int? {
            let a = UnsafeRawPointer(base + p1), b = UnsafeRawPointer(base + p2)
            let first = SIMD16<UInt8>(repeating: needle[p1]), second = SIMD16<UInt8>(repeating: needle[p2])
            var at = i
            defer { i = at }
            // The positions of a block where both bytes match.
            @inline(__always) func hits(_ at: Int) -> SIMDMask<SIMD16<Int8>> {
                (a.loadUnaligned(fromByteOffset: at, as: SIMD16<UInt8>.self) .== first) .& (b.loadUnaligned(fromByteOffset: at, as: SIMD16<UInt8>.self) .== second)
            }
            // Whether a mask has a lane set (its two halves as integers: `any` is not always one instruction).
            @inline(__always) func some(_ h: SIMDMask<SIMD16<Int8>>) -> Bool {
                let w = unsafeBitCast(h, to: SIMD2<UInt64>.self)
                return w[0] | w[1] != 0
            }
            // A block's candidates, checked whole (rare: the two bytes are the needle's rarest).
            func check(_ hits: SIMDMask<SIMD16<Int8>>, _ block: Int) -> Int? {
                for k in 0..<16 where hits[k] && memcmp(base + block + k, needle, m) == 0 { return block + k }
                return nil
            }
            while at &+ m &+ 63 <= to {
                let h0 = hits(at), h1 = hits(at &+ 16), h2 = hits(at &+ 32), h3 = hits(at &+ 48)
                if some(h0 .| h1 .| h2 .| h3) {
                    if some(h0), let hit = check(h0, at) { return hit }
                    if some(h1), let hit = check(h1, at &+ 16) { return hit }
                    if some(h2), let hit = check(h2, at &+ 32) { return hit }
                    if some(h3), let hit = check(h3, at &+ 48) { return hit }
                }
                at &+= 64
            }
            while at &+ m &+ 15 <= to {
                let h = hits(at)
                if some(h), let hit = check(h, at) { return hit }
                at &+= 16
            }
            return nil
        }

        /// The first position in `from..<to` where the needle starts and ends before `to`.
        func find(_ base: UnsafePointer<UInt8>, from: Int, to: Int) -> Int? {
            let m = needle.count
            guard to - from >= m else { return nil }
            return needle.withUnsafeBufferPointer { n -> Int? in
                let nb = n.baseAddress!
                if m == 1 {
                    return memchr(base + from, Int32(n[0]), to - from).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) }
                }
                var i = from
                if let hit = Self.scan(base, from: &i, to: to, needle: nb, count: m, p1: p1, p2: p2) { return hit }
                while i + m <= to {
                    if memcmp(base + i, nb, m) == 0 { return i }
                    i += 1
                }
                return nil
            }
        }
    }
}
