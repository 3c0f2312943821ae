import Foundation
import Synchronization

/// How live ingest behaves.
public struct IngestSettings: Sendable {
    public var buffer = BufferOptions()
    /// Follow files as they grow (and keep listening); false reads every file to its current
    /// end and stops (`--no-follow`).
    public var follow = true
    /// How often `internal_metrics` gets a row per source, in nanoseconds.
    public var metricsInterval: Int64 = 1_000_000_000
    /// How long a record that continuation lines could still extend (a Java stack trace) waits
    /// for them once its file goes quiet, in nanoseconds.
    public var continuationWait: Int64 = 100_000_000
    public var listeners = ListenerOptions()

    public init() {}
}

/// The live pipeline: sources → delivery buffer → parse stage → store. Sources run on threads
/// of their own (files, stdin, the demo) or on an event loop (sockets); one parse thread takes
/// batches from the buffer, parses them (on every core when a batch is large) and appends the
/// sealed segments to the store.
public final class Pipeline: Sendable {
    public let store: Store
    /// The store on disk, when there is one: every batch is committed to it (with the file
    /// positions it brings its file to) before it becomes visible.
    public let durable: DurableStore?
    public let metrics = IngestMetrics()
    /// `GET /metrics`: the counters above, the sinks' lag and the alarms' states for Prometheus.
    public let exposition = MetricsExposition()
    public let settings: IngestSettings
    let load: LoadOptions
    let buffer: DeliveryBuffer
    /// Told of what happens that a person should know: listening addresses, refused
    /// connections, files waiting to appear, sources that failed.
    let report: @Sendable (String) -> Void
    /// Sources that could not be read (a file without permission, a read error): said on
    /// stderr as they happen; `ingest --no-follow` then exits 1.
    private let failures = Mutex(0)
    public var sourceFailures: Int { failures.withLock { $0 } }

    /// Reports a source that could not be read, and counts it.
    func sourceFailed(_ message: String) {
        failures.withLock { $0 += 1 }
        report(message)
    }

    private struct State {
        var nextStream = 0
        /// (`format`: the stream's lines are of this format whatever the sources' is, as OTLP's are JSON.)
        var registered: [Int: (source: String, holdsTail: Bool, records: Bool, agent: String?, format: String?)] = [:]
        var stopping = false
        /// The parse thread was started.
        var started = false
        var follower: FileFollower?
        var listeners: Listeners?
    }
    private let state = Mutex(State())
    /// Sources that can end, still running.
    private let finiteRunning = Guarded(0)
    private let parseFinished = DispatchSemaphore(value: 0)

    public init(store: Store, durable: DurableStore? = nil, load: LoadOptions, settings: IngestSettings = IngestSettings(),
                report: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = durable?.store ?? store
        self.durable = durable
        self.load = load
        self.settings = settings
        self.report = report
        buffer = DeliveryBuffer(options: settings.buffer)
    }

    /// Bound addresses of the listeners, as URLs with the ports they got (port 0 chooses one).
    public var listening: [String] { state.withLock { $0.listeners }?.bound ?? [] }

    /// Holds the parse stage back (or lets it go on), so that the buffer fills: for tests of
    /// backpressure.
    func holdParsing(_ on: Bool) { buffer.hold(on) }

    /// The sinks delivering from this pipeline's store: their rows in `internal_metrics`, their
    /// lag in `GET /metrics`.
    public func attach(_ sinks: SinkSet) {
        metrics.addSampler(sinks.metricRows)
        exposition.addSinks { sinks.sinks.map { ($0.spec.url, $0.status) } }
    }

    /// `GET /metrics`'s answer, as things are now.
    func metricsText() -> [UInt8] {
        exposition.text(metrics: metrics, bufferBytes: buffer.fill, bufferCapacity: settings.buffer.capacity, memory: store.memoryLimit)
    }

    /// Bytes waiting in the delivery buffer or being parsed.
    public var bufferFill: Int { buffer.fill }

    /// Starts every source; throws when a listener cannot bind (nothing keeps running then).
    public func start(_ sources: [LiveSource]) throws {
        if !settings.follow, let l = sources.first(where: { $0.endpoint != nil }) {
            throw SourceError.unsupported(l.url, "a listener has no end to read to; --no-follow is for files, stdin and demo://")
        }
        if !settings.follow, let k = sources.first(where: { if case .kinesis = $0 { true } else { false } }) {
            throw SourceError.unsupported(k.url, "a stream has no end to read to; --no-follow is for files, stdin and demo://")
        }
        // The Kinesis client is made now: missing credentials or a bad endpoint stop the start.
        let kinesis = try sources.compactMap { s -> KinesisSource? in if case .kinesis(let k) = s { k } else { nil } }.map { k in
            KinesisReader(pipeline: self, source: k, client: try KinesisClient())
        }
        for reader in kinesis { try reader.probe() }
        let sockets = sources.filter { $0.endpoint != nil }
        if settings.listeners.tlsCertificate != nil, !sockets.contains(where: { $0.endpoint?.tls == true }) {
            report("warning: --tls-cert and --tls-key are not used: no source listens with TLS (tcp+tls://, syslog+tls://, https://)")
        }
        if !sockets.isEmpty {
            let l = Listeners(pipeline: self)
            try l.start(sockets)
            state.withLock { $0.listeners = l }
        }
        let t = Thread { [self] in parseLoop(); parseFinished.signal() }
        t.name = "logdash-parse"
        state.withLock { $0.started = true }
        t.start()
        let named = sources.compactMap { if case .files(let p) = $0 { p } else { nil } }
        // Pipes and devices (`<(cmd)`, a FIFO) are read once to their end, as stdin is; files are followed.
        let streams = named.filter(SourceSpec.isStream), patterns = named.filter { !SourceSpec.isStream($0) }
        for path in streams {
            runFinite(name: "logdash-pipe") {
                do { self.readInput(try FileInput(path: path), source: path) } catch { self.sourceFailed("\(error)") }
            }
        }
        if !patterns.isEmpty {
            let f = FileFollower(pipeline: self, patterns: patterns)
            state.withLock { $0.follower = f }
            runFinite(name: "logdash-files") { f.run() }
        }
        for reader in kinesis {
            let t = Thread { reader.run() }
            t.name = "logdash-kinesis"
            t.start()
        }
        for s in sources {
            switch s {
            case .stdin: runFinite(name: "logdash-stdin") { self.readInput(FileInput(fd: 0, name: "stdin"), source: "stdin") }
            case .demo(let o):
                let now = load.now
                runFinite(name: "logdash-demo") { self.readInput(DemoInput(options: o, now: now), source: o.url) }
            default: break
            }
        }
    }

    /// Runs a source that can end (files without follow, stdin, a finite demo) on its own thread.
    private func runFinite(name: String, _ body: @escaping @Sendable () -> Void) {
        finiteRunning.withLock { $0 += 1 }
        let t = Thread { [self] in
            body()
            finiteRunning.change { $0 -= 1 }
        }
        t.name = name
        t.start()
    }

    /// Waits until every source that can end has ended (with `follow`, followed files never
    /// do), then stops.
    public func runToEnd() {
        finiteRunning.wait { $0 > 0 ? nil : () }
        stop()
    }

    /// Stops reading, hands on and stores everything already accepted, then returns.
    public func stop() {
        let (already, started, listeners, follower) = state.withLock { s in
            defer { s.stopping = true }
            return (s.stopping, s.started, s.listeners, s.follower)
        }
        guard started else { listeners?.stop(); return }
        if already { parseFinished.wait(); parseFinished.signal(); return }
        listeners?.stop()
        follower?.stop()
        follower?.waitStopped()
        buffer.close()
        parseFinished.wait()
        parseFinished.signal()
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    // MARK: streams

    /// A new stream of bytes for `source`. `holdsTail`: the stream may end with a partial line
    /// or a record continuation lines may still extend (files, stdin), which waits for more.
    /// Otherwise every chunk is whole records (socket framing ends them).
    /// `records`: its lines are records another logdash delivered (an HTTP sink's JSON lines,
    /// as the archive writes them), read as JSON with each record's own source kept; `agent`:
    /// the host that sent them, the host of the records that name none.
    func openStream(source: String, holdsTail: Bool, records: Bool = false, agent: String? = nil, format: String? = nil) -> Int {
        state.withLock { s in
            s.nextStream += 1
            s.registered[s.nextStream] = (source, holdsTail, records, agent, format)
            return s.nextStream
        }
    }

    /// Reads a byte input to its end into the buffer, waiting for room when it is full.
    private func readInput(_ input: any ByteInput, source: String) {
        let stream = openStream(source: source, holdsTail: true)
        pump(input, stream: stream, source: source)
        buffer.end(stream: stream)
    }

    /// Copies an input to its end into a stream, waiting for room; stops early when the
    /// pipeline stops. A read error is reported. With a checkpoint (a compressed file), its
    /// offset counts the bytes read: the first `checkpoint.offset` are skipped (read before).
    func pump(_ input: any ByteInput, stream: Int, source: String, checkpoint: FileCheckpoint? = nil) {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var position: Int64 = 0
        let skip = checkpoint?.offset ?? 0
        do {
            while !isStopping {
                let n = try chunk.withUnsafeMutableBytes { try input.read(into: $0) }
                if n == 0 { break }
                let from = Int(max(0, min(Int64(n), skip - position)))
                position += Int64(n)
                guard from < n else { continue }
                metrics.update(source) { $0.bytes += n - from }
                var cp = checkpoint
                cp?.offset = position
                if !buffer.put(stream: stream, bytes: Array(chunk[from..<n]), checkpoint: cp) { break }
            }
        } catch {
            sourceFailed("\(error)")
        }
    }

    // MARK: the parse stage

    /// What the parse thread keeps per stream.
    private final class StreamParse {
        let source: String
        let holdsTail: Bool
        var round: SourceLoader.RoundState<Segment>
        var pending: [UInt8] = []
        var lastData: Int64 = 0
        var seen = SourceStats()
        var ended = false
        /// Where the stream's file stands after the last bytes it gave (nil: not a file).
        var checkpoint: FileCheckpoint?

        init(source: String, holdsTail: Bool, round: SourceLoader.RoundState<Segment>) {
            self.source = source
            self.holdsTail = holdsTail
            self.round = round
        }
    }

    private func parseLoop() {
        var streams: [Int: StreamParse] = [:]
        let clock = LoadOptions.monotonicClock
        var nextSample = clock() + settings.metricsInterval
        while true {
            // Wake for the next metrics row, or when a quiet stream's last record should be closed.
            var deadline = nextSample
            for s in streams.values where s.holdsTail && !s.pending.isEmpty && s.pending.last == ASCII.lf {
                deadline = min(deadline, s.lastData + settings.continuationWait)
            }
            guard let chunks = buffer.take(deadline: deadline) else { break }
            var taken = 0
            var touched: [Int] = []
            var waiting: [@Sendable (StoreError?) -> Void] = []
            let now = clock()
            for c in chunks {
                taken += c.bytes.count
                let s = streams[c.stream] ?? makeStream(c.stream)
                streams[c.stream] = s
                if s.pending.isEmpty { s.pending = c.bytes } else { s.pending.append(contentsOf: c.bytes) }
                s.lastData = now
                if c.end { s.ended = true }
                if let cp = c.checkpoint { s.checkpoint = cp }
                if let d = c.done { waiting.append(d) }
                if touched.last != c.stream { touched.append(c.stream) }
            }
            var failed: StoreError?
            for id in Set(touched) {
                let s = streams[id]!
                if failed == nil { failed = parse(s, final: s.ended || !s.holdsTail, closeOpen: false) }
                if s.ended { streams[id] = nil; forget(id) }
            }
            buffer.release(taken)
            for s in streams.values where failed == nil && s.holdsTail && !s.pending.isEmpty && s.pending.last == ASCII.lf
                && now - s.lastData >= settings.continuationWait {
                failed = parse(s, final: false, closeOpen: true)
            }
            for d in waiting { d(failed) }
            if let failed {
                storeFailed(failed)
                break
            }
            if now >= nextSample {
                store.appendMetrics(metrics.sample(at: load.now(), bufferBytes: buffer.fill, bufferCapacity: settings.buffer.capacity, transforms: load.transforms, memory: store.memoryLimit))
                nextSample = now + settings.metricsInterval
            }
        }
        // Closed: whatever is left of each stream is complete now.
        if durable?.writeFailure == nil {
            for s in streams.values where !s.pending.isEmpty {
                if let e = parse(s, final: true, closeOpen: true) { storeFailed(e); break }
            }
        }
        store.appendMetrics(metrics.sample(at: load.now(), bufferBytes: 0, bufferCapacity: settings.buffer.capacity, transforms: load.transforms, memory: store.memoryLimit))
        Store.returnFreedMemory()
    }

    private func makeStream(_ id: Int) -> StreamParse {
        let r = state.withLock { $0.registered[id] } ?? (source: "stream \(id)", holdsTail: true, records: false, agent: nil, format: nil)
        var options = load
        if r.records { options.parse.format = "json" }
        if let format = r.format { options.parse.format = format }
        // RoundState only throws for a bad forced format, which the command line has checked.
        let round = try! SourceLoader.RoundState<Segment>(name: r.source, options: options, workers: load.workers,
                                                          prepare: { [load, records = r.records, agent = r.agent] in
                                                              Segment.made(from: $0, taps: load, restoring: records, agent: agent)
                                                          })
        return StreamParse(source: r.source, holdsTail: r.holdsTail, round: round)
    }

    private func forget(_ id: Int) {
        state.withLock { $0.registered[id] = nil }
    }

    static func stopsFor(_ e: Error) -> String { "\(e); ingest stops, so that nothing is accepted that is not stored" }

    /// The store on disk cannot take more: nothing more is accepted (files are read again from
    /// their checkpoints next time); sources stop and ingest ends with the error.
    private func storeFailed(_ e: StoreError) {
        report(Pipeline.stopsFor(e))
        let (listeners, follower) = state.withLock { s in
            s.stopping = true
            return (s.listeners, s.follower)
        }
        listeners?.stop()
        follower?.stop()
        buffer.close()
        // Drain what waits, answering those who wait for it.
        while let chunks = buffer.take(deadline: nil) {
            for c in chunks { c.done?(e) }
            buffer.release(chunks.reduce(0) { $0 + $1.bytes.count })
        }
    }

    /// Parses what a stream has pending; what it cannot use yet (a partial line, a record that
    /// may go on) stays pending. With a store on disk the records and the file position they
    /// bring the stream to are committed first; a failure to commit is returned.
    private func parse(_ s: StreamParse, final: Bool, closeOpen: Bool) -> StoreError? {
        guard !s.pending.isEmpty else { return nil }
        let store = self.store
        var sealed: [Segment] = []
        let used: Int = s.pending.withUnsafeBufferPointer { buf in
            // The round state throws only from its batch callback, which does not throw.
            (try? s.round.parse(buf, final: final, canGrow: !closeOpen, onBatch: { if $0.rowCount > 0 { sealed.append($0) } })) ?? buf.count
        }
        var log: Int?
        if let durable {
            var cps: [FileCheckpoint] = []
            if var cp = s.checkpoint {
                if cp.sequence == nil {
                    cp.offset -= Int64(s.pending.count - used)  // what is still pending is read again after a restart
                    cps.append(cp)
                } else if used == s.pending.count {
                    cps.append(cp)  // a stream's position: only once every record before it is stored
                }
            }
            do {
                log = try durable.commit(sealed, checkpoints: cps)
            } catch let e as StoreError {
                return e
            } catch {
                return StoreError.io(durable.directory, "\(error)")
            }
        }
        for seg in sealed { store.appendLive(seg, log: log) }
        if used >= s.pending.count { s.pending = [] } else if used > 0 { s.pending.removeFirst(used) }
        let stats = s.round.result.stats
        let before = s.seen
        s.seen = stats
        metrics.update(s.source) {
            $0.lines += stats.records - before.records
            $0.parseFailures += stats.unparsed - before.unparsed
            $0.truncated += stats.truncated - before.truncated
        }
        return nil
    }
}
