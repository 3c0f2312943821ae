import Foundation

/// Cuts a connection's byte stream into records, each ending in a line feed: lines, or syslog
/// messages (RFC 6587: octet counting or LF framing, told apart by the first byte). No I/O:
/// the TCP listener feeds it what arrives, in whatever pieces the network gives.
public struct StreamFramer {
    public enum Kind: Sendable { case lines, syslog }

    /// What the listener says on stderr or counts (the long-record events once per connection).
    public enum Event: Equatable, Sendable {
        /// A line past the maximum record size: cut, the rest of it dropped.
        case longLine
        /// A counted message of this length, far past the maximum: its head kept, the rest dropped.
        case longCountedMessage(length: Int)
        /// Not `LENGTH SP MESSAGE` where a counted message should start: the rest is read as lines.
        case framingError
        /// The connection ended inside a counted message; its bytes so far were dropped.
        case endedMidMessage(bytes: Int)
    }

    private enum Framing { case undecided, lines, octets }
    private var framing: Framing
    private let maxRecord: Int
    /// Bytes of an unfinished frame (a line without its line feed, a counted message not all here).
    private var carry: [UInt8] = []
    /// The rest of an over-long line is being dropped.
    private var skipping = false
    /// Bytes of an over-long counted message still to come and be dropped (its head was kept).
    private var octetsToSkip = 0
    private var reportedLong = false

    public init(kind: Kind, maxRecord: Int) {
        framing = kind == .syslog ? .undecided : .lines
        self.maxRecord = maxRecord
    }

    /// Frames the next piece of the stream: whole records go to `out`, what is worth saying to
    /// `events`.
    public mutating func frame(_ data: UnsafeRawBufferPointer, into out: inout [UInt8], events: inout [Event]) {
        guard data.count > 0 else { return }
        if framing == .undecided {
            framing = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(data[0]) ? .octets : .lines
        }
        if framing == .octets { frameOctets(data, &out, &events) } else { frameLines(data, &out, &events) }
    }

    /// The stream ended: a last line without its line feed is a whole record (its sender is
    /// gone); a counted message cut short is dropped, and said.
    public mutating func finish(into out: inout [UInt8], events: inout [Event]) {
        guard !carry.isEmpty else { return }
        if framing == .octets {
            events.append(.endedMidMessage(bytes: carry.count))
        } else {
            out += carry
            out.append(ASCII.lf)
        }
        carry = []
    }

    private mutating func frameLines(_ data: UnsafeRawBufferPointer, _ out: inout [UInt8], _ events: inout [Event]) {
        var p = 0
        let n = data.count
        func firstLF(from i: Int) -> Int? {
            guard i < n, let hit = memchr(data.baseAddress! + i, Int32(ASCII.lf), n - i) else { return nil }
            return hit - UnsafeMutableRawPointer(mutating: data.baseAddress!)
        }
        if skipping {
            guard let nl = firstLF(from: 0) else { return }
            p = nl + 1
            skipping = false
        }
        if !carry.isEmpty {
            guard let nl = firstLF(from: p) else {
                carry += data[p...]
                limitCarry(&out, &events)
                return
            }
            out += carry
            out += data[p...nl]
            carry = []
            p = nl + 1
        }
        var last = n - 1
        while last >= p && data[last] != ASCII.lf { last -= 1 }
        if last >= p {
            out += data[p...last]
            p = last + 1
        }
        if p < n {
            carry += data[p...]
            limitCarry(&out, &events)
        }
    }

    /// A line longer than the maximum record: what fits goes on (the parse stage cuts it and
    /// flags it truncated), the rest of the line is dropped as it comes.
    private mutating func limitCarry(_ out: inout [UInt8], _ events: inout [Event]) {
        guard carry.count > maxRecord else { return }
        if !reportedLong {
            reportedLong = true
            events.append(.longLine)
        }
        out += carry[0...maxRecord]
        out.append(ASCII.lf)
        carry = []
        skipping = true
    }

    private mutating func frameOctets(_ data: UnsafeRawBufferPointer, _ out: inout [UInt8], _ events: inout [Event]) {
        let skipped = min(octetsToSkip, data.count)
        octetsToSkip -= skipped
        var all = carry
        all += UnsafeRawBufferPointer(rebasing: data[skipped...])
        carry = []
        var p = 0
        let n = all.count
        while p < n {
            var q = p, length = 0
            while q < n, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(all[q]), q - p < 10 {
                length = length * 10 + Int(all[q] - UInt8(ascii: "0"))
                q += 1
            }
            if q == n { break }  // the length is not all here yet
            guard q > p, all[q] == ASCII.space else {
                events.append(.framingError)
                framing = .lines
                all[p...].withUnsafeBytes { frameLines($0, &out, &events) }
                return
            }
            let start = q + 1, end = start + length
            if length > maxRecord * 4 + 1024 {
                // Far over the maximum: its head is kept (the parse stage cuts it and flags it
                // truncated), the rest dropped as it comes, not held.
                guard start + maxRecord + 1 <= n else { break }
                if !reportedLong {
                    reportedLong = true
                    events.append(.longCountedMessage(length: length))
                }
                out += all[start..<(start + maxRecord + 1)]
                out.append(ASCII.lf)
                let have = min(n, end) - start
                octetsToSkip = length - have
                p = min(n, end)
                continue
            }
            if end > n { break }  // the message is not all here yet
            var e = end
            while e > start && (all[e - 1] == ASCII.lf || all[e - 1] == 0) { e -= 1 }
            out += all[start..<e]
            out.append(ASCII.lf)
            p = end
        }
        if p < n { carry = Array(all[p...]) }
    }
}
