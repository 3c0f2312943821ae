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
final class DeliveryBuffer: Sendable {
    let options: BufferOptions
    private let clock: @Sendable () -> Int64

    private struct State {
        let capacity: Int
        let sizeHint: Int
        var waiting: [Chunk] = []
        var waitingBytes = 0
        /// Bytes taken by the parse stage and not yet released.
        var inFlight = 0
        var flushRequested = false
        var closed = false
        /// The parse stage is held back (a stalled consumer, as when the disk is slow): tests
        /// use it to fill the buffer on purpose.
        var held = false
        var spaceWaiters: [(bytes: Int, wake: @Sendable () -> Void)] = []
        /// Bytes of HTTP bodies still arriving: held in memory, so they count against the bound
        /// before they are offered.
        var reserved = 0
        var highWater = 0

        func hasRoom(for n: Int) -> Bool {
            let used = waitingBytes + inFlight + reserved
            // A chunk larger than the whole bound still goes in when nothing else is there.
            return used + n <= capacity || used == 0
        }

        /// Adds a chunk; true when the parse stage should look (a batch is due by size, or the
        /// buffer was empty): the rest of the time it sleeps until the interval's end.
        mutating func append(_ c: Chunk) -> Bool {
            waiting.append(c)
            waitingBytes += c.bytes.count
            highWater = max(highWater, waitingBytes + inFlight)
            return waitingBytes >= sizeHint || waiting.count == 1
        }

        /// The waiters there is room for now (all of them once closed), taken off the list.
        mutating func takeWaiters(all: Bool) -> [@Sendable () -> Void] {
            var ready: [@Sendable () -> Void] = [], left: [(bytes: Int, wake: @Sendable () -> Void)] = []
            for w in spaceWaiters {
                if all || closed || hasRoom(for: w.bytes) { ready.append(w.wake) } else { left.append(w) }
            }
            spaceWaiters = left
            return ready
        }
    }
    private let state: Guarded<State>

    init(options: BufferOptions, clock: @escaping @Sendable () -> Int64 = LoadOptions.monotonicClock) {
        self.options = options
        self.clock = clock
        state = Guarded(State(capacity: options.capacity, sizeHint: options.sizeHint))
    }

    /// Bytes waiting, being parsed, or held for bodies still arriving.
    var fill: Int {
        state.withLock { $0.waitingBytes + $0.inFlight + $0.reserved }
    }

    /// The most bytes waiting and being parsed at once so far.
    var highWater: Int { state.withLock { $0.highWater } }

    /// Takes the bytes if there is room; false when the buffer is full (or closed).
    func offer(stream: Int, bytes: [UInt8], done: (@Sendable (StoreError?) -> Void)? = nil) -> Bool {
        guard !bytes.isEmpty else { return true }
        let arrival = clock()
        return state.update { s, wake in
            guard !s.closed, s.hasRoom(for: bytes.count) else { return false }
            wake = s.append(Chunk(stream: stream, bytes: bytes, arrival: arrival, done: done))
            return true
        }
    }

    /// Waits for room, then takes the bytes; false when the buffer closed first.
    @discardableResult
    func put(stream: Int, bytes: [UInt8], checkpoint: FileCheckpoint? = nil) -> Bool {
        guard !bytes.isEmpty else { return true }
        let (taken, wake) = state.wait { s -> (Bool, Bool)? in
            if s.closed { return (false, false) }
            guard s.hasRoom(for: bytes.count) else { return nil }
            return (true, s.append(Chunk(stream: stream, bytes: bytes, arrival: clock(), checkpoint: checkpoint)))
        }
        if wake { state.change { _ in } }  // the parse stage may be waiting for bytes
        return taken
    }

    /// Holds room for `n` bytes of a body still arriving; false when the buffer is full.
    func reserve(_ n: Int) -> Bool {
        state.withLock { s in
            guard !s.closed, s.hasRoom(for: n) else { return false }
            s.reserved += n
            s.highWater = max(s.highWater, s.waitingBytes + s.inFlight + s.reserved)
            return true
        }
    }

    /// Gives back room `reserve` held (the body was offered, refused, or its client left).
    func unreserve(_ n: Int) {
        guard n > 0 else { return }
        let ready = state.change { s in
            s.reserved -= n
            return s.takeWaiters(all: false)
        }
        for f in ready { f() }
    }

    /// Marks the end of a stream, after the bytes it already gave (needs no room).
    func end(stream: Int) {
        let arrival = clock()
        state.update { s, wake in
            guard !s.closed else { return }
            wake = s.append(Chunk(stream: stream, bytes: [], arrival: arrival, end: true))
        }
    }

    /// Calls `f` once there is room for `bytes` (at once if there is now). Network sources use
    /// it to start reading a paused connection.
    func whenRoom(for bytes: Int, _ f: @escaping @Sendable () -> Void) {
        let now = state.withLock { s in
            if s.closed || s.hasRoom(for: bytes) { return true }
            s.spaceWaiters.append((bytes, f))
            return false
        }
        if now { f() }
    }

    func hold(_ on: Bool) {
        state.change { $0.held = on }
    }

    /// Asks for what waits to be handed on now, without waiting for the hints.
    func flush() {
        state.change { $0.flushRequested = true }
    }

    /// No more bytes will come: the parse stage drains what waits and then stops.
    func close() {
        let ready = state.change { s in
            s.closed = true
            return s.takeWaiters(all: true)
        }
        for f in ready { f() }
    }

    /// Waits until a batch is due (size hint reached, the oldest bytes older than the interval,
    /// a flush asked for) or `deadline` (monotonic ns) passes; gives what waits, possibly
    /// nothing. nil once closed and drained. The caller releases the bytes once parsed.
    func take(deadline: Int64?) -> [Chunk]? {
        let clock = self.clock, options = self.options
        func date(_ t: Int64) -> Date { Date(timeIntervalSinceNow: Double(t - clock()) / 1e9) }
        return state.loop { s -> Guarded<State>.Step<[Chunk]?> in
            if s.held && !s.closed { return .wait }
            if !s.waiting.isEmpty {
                let age = clock() - s.waiting[0].arrival
                if s.closed || s.flushRequested || s.waitingBytes >= options.sizeHint || age >= options.interval {
                    s.flushRequested = false
                    let out = s.waiting
                    s.waiting = []
                    s.inFlight += s.waitingBytes
                    s.waitingBytes = 0
                    return .done(out)
                }
                if let deadline, clock() >= deadline { return .done([]) }  // not due yet: the caller has other work
                return .waitUntil(date(min(s.waiting[0].arrival + options.interval, deadline ?? Int64.max)))
            }
            if s.closed { return .done(nil) }
            s.flushRequested = false
            guard let deadline else { return .wait }
            if clock() >= deadline { return .done([]) }
            return .waitUntil(date(deadline))
        }
    }

    /// The parse stage is done with `n` bytes it took: their room is free again.
    func release(_ n: Int) {
        let ready = state.change { s in
            s.inFlight -= n
            return s.takeWaiters(all: false)
        }
        for f in ready { f() }
    }
}
