import Foundation

/// How the delivery buffer batches and bounds what the sources hand it (Firehose's buffering
/// hints, plus the bound that makes sources wait).
public struct BufferOptions: Sendable, Equatable {
    /// Hand a batch to parsing once this many bytes wait (`--buffer-size`).
    public var sizeHint: Int
    /// … or once the oldest waiting bytes are this old, in nanoseconds (`--buffer-interval`).
    public var interval: Int64
    /// At most this many bytes wait or are being parsed; beyond it sources are pushed back
    /// (`--buffer-max`).
    public var capacity: Int

    public static let defaultSizeHint = 1 << 20
    public static let defaultInterval: Int64 = 20_000_000
    public static let defaultCapacity = 64 << 20

    public init(sizeHint: Int = BufferOptions.defaultSizeHint, interval: Int64 = BufferOptions.defaultInterval,
                capacity: Int = BufferOptions.defaultCapacity) {
        self.sizeHint = max(1, sizeHint)
        self.interval = max(0, interval)
        self.capacity = max(capacity, self.sizeHint)
    }
}

/// Bytes from one stream of one source (a followed file, a connection, stdin), as they arrived.
struct Chunk {
    let stream: Int
    var bytes: [UInt8]
    let arrival: Int64
    /// The stream has ended after these bytes (a file finished, a connection closed).
    var end = false
    /// For a file: where it stands once these bytes are read (committed with their records).
    var checkpoint: FileCheckpoint? = nil
    /// Told once the records of these bytes are stored — durably, with a store on disk — or
    /// could not be (an HTTP request waits for it to answer).
    var done: (@Sendable (StoreError?) -> Void)? = nil
}

/// The delivery buffer: bounded by bytes, flushed to the parse stage on size or age. A producer
/// that finds it full is told so (`offer` returns false, `put` waits), so every source applies
/// its own backpressure: files stop being read, sockets stop being read, HTTP answers 503, UDP
/// datagrams are dropped and counted. Bytes count against the bound until they are parsed.
final class DeliveryBuffer: @unchecked Sendable {  // state guarded by `cond`
    let options: BufferOptions
    private let cond = NSCondition()
    private var waiting: [Chunk] = []
    private var waitingBytes = 0
    /// Bytes taken by the parse stage and not yet released.
    private var inFlight = 0
    private var flushRequested = false
    private var closed = false
    /// The parse stage is held back (a stalled consumer, as when the disk is slow): tests use
    /// it to fill the buffer on purpose.
    private var held = false
    private var spaceWaiters: [(bytes: Int, wake: @Sendable () -> Void)] = []
    /// Bytes of HTTP bodies still arriving: held in memory, so they count against the bound
    /// before they are offered.
    private var reserved = 0
    private(set) var highWater = 0
    private let clock: @Sendable () -> Int64

    init(options: BufferOptions, clock: @escaping @Sendable () -> Int64 = LoadOptions.monotonicClock) {
        self.options = options
        self.clock = clock
    }

    /// Bytes waiting, being parsed, or held for bodies still arriving.
    var fill: Int {
        cond.lock(); defer { cond.unlock() }
        return waitingBytes + inFlight + reserved
    }

    private func hasRoom(for n: Int) -> Bool {
        let used = waitingBytes + inFlight + reserved
        // A chunk larger than the whole bound still goes in when nothing else is there.
        return used + n <= options.capacity || used == 0
    }

    private func append(_ c: Chunk) {
        waiting.append(c)
        waitingBytes += c.bytes.count
        highWater = max(highWater, waitingBytes + inFlight)
        if waitingBytes >= options.sizeHint || waiting.count == 1 { cond.broadcast() }
    }

    /// Takes the bytes if there is room; false when the buffer is full (or closed).
    func offer(stream: Int, bytes: [UInt8], done: (@Sendable (StoreError?) -> Void)? = nil) -> Bool {
        guard !bytes.isEmpty else { return true }
        cond.lock(); defer { cond.unlock() }
        guard !closed, hasRoom(for: bytes.count) else { return false }
        append(Chunk(stream: stream, bytes: bytes, arrival: clock(), done: done))
        return true
    }

    /// Waits for room, then takes the bytes; false when the buffer closed first.
    @discardableResult
    func put(stream: Int, bytes: [UInt8], checkpoint: FileCheckpoint? = nil) -> Bool {
        guard !bytes.isEmpty else { return true }
        cond.lock(); defer { cond.unlock() }
        while !closed && !hasRoom(for: bytes.count) { cond.wait() }
        guard !closed else { return false }
        append(Chunk(stream: stream, bytes: bytes, arrival: clock(), checkpoint: checkpoint))
        return true
    }

    /// Holds room for `n` bytes of a body still arriving; false when the buffer is full.
    func reserve(_ n: Int) -> Bool {
        cond.lock(); defer { cond.unlock() }
        guard !closed, hasRoom(for: n) else { return false }
        reserved += n
        highWater = max(highWater, waitingBytes + inFlight + reserved)
        return true
    }

    /// Gives back room `reserve` held (the body was offered, refused, or its client left).
    func unreserve(_ n: Int) {
        guard n > 0 else { return }
        cond.lock()
        reserved -= n
        cond.broadcast()
        cond.unlock()
        for f in takeWaiters(all: false) { f() }
    }

    /// Marks the end of a stream, after the bytes it already gave (needs no room).
    func end(stream: Int) {
        cond.lock(); defer { cond.unlock() }
        guard !closed else { return }
        append(Chunk(stream: stream, bytes: [], arrival: clock(), end: true))
    }

    /// Calls `f` once there is room for `bytes` (at once if there is now). Network sources use
    /// it to start reading a paused connection.
    func whenRoom(for bytes: Int, _ f: @escaping @Sendable () -> Void) {
        cond.lock()
        if closed || hasRoom(for: bytes) {
            cond.unlock()
            f()
            return
        }
        spaceWaiters.append((bytes, f))
        cond.unlock()
    }

    func hold(_ on: Bool) {
        cond.lock(); held = on; cond.broadcast(); cond.unlock()
    }

    /// Asks for what waits to be handed on now, without waiting for the hints.
    func flush() {
        cond.lock(); flushRequested = true; cond.broadcast(); cond.unlock()
    }

    /// No more bytes will come: the parse stage drains what waits and then stops.
    func close() {
        cond.lock(); closed = true; cond.broadcast(); cond.unlock()
        for f in takeWaiters(all: true) { f() }
    }

    /// Waits until a batch is due (size hint reached, the oldest bytes older than the interval,
    /// a flush asked for) or `deadline` (monotonic ns) passes; gives what waits, possibly
    /// nothing. nil once closed and drained. The caller releases the bytes once parsed.
    func take(deadline: Int64?) -> [Chunk]? {
        cond.lock(); defer { cond.unlock() }
        while true {
            if held && !closed {
                cond.wait()
                continue
            }
            if !waiting.isEmpty {
                let age = clock() - waiting[0].arrival
                if closed || flushRequested || waitingBytes >= options.sizeHint || age >= options.interval { break }
                let due = waiting[0].arrival + options.interval
                if let deadline, clock() >= deadline { return [] }  // not due yet: the caller has other work
                let wake = min(due, deadline ?? Int64.max)
                _ = cond.wait(until: Date(timeIntervalSinceNow: Double(wake - clock()) / 1e9))
                continue
            }
            if closed { return nil }
            flushRequested = false
            if let deadline {
                let now = clock()
                if now >= deadline { return [] }
                _ = cond.wait(until: Date(timeIntervalSinceNow: Double(deadline - now) / 1e9))
                if clock() >= deadline && waiting.isEmpty { return [] }
            } else {
                cond.wait()
            }
        }
        flushRequested = false
        let out = waiting
        waiting = []
        inFlight += waitingBytes
        waitingBytes = 0
        return out
    }

    /// The parse stage is done with `n` bytes it took: their room is free again.
    func release(_ n: Int) {
        cond.lock()
        inFlight -= n
        cond.broadcast()
        cond.unlock()
        for f in takeWaiters(all: false) { f() }
    }

    /// The waiters there is room for now (all of them once closed), taken off the list.
    private func takeWaiters(all: Bool) -> [@Sendable () -> Void] {
        cond.lock(); defer { cond.unlock() }
        var ready: [@Sendable () -> Void] = []
        spaceWaiters.removeAll { w in
            guard all || closed || hasRoom(for: w.bytes) else { return false }
            ready.append(w.wake)
            return true
        }
        return ready
    }
}
