import ArgumentParser
import Foundation
import Synchronization
import LogdashEngine
import LogdashUI

/// Options of live ingest, shared by `logdash ingest` and the dashboard.
struct LiveOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Hand a batch to parsing once this much waits (Firehose's size hint): 512k, 1M …", valueName: "bytes"))
    var bufferSize: String?

    @Option(help: ArgumentHelp("… or once the oldest waiting line is this old (the interval hint): 20ms, 1s …", valueName: "duration"))
    var bufferInterval: String?

    @Option(help: ArgumentHelp("At most this much waits or is being parsed; beyond it sources are pushed back.", valueName: "bytes"))
    var bufferMax: String?

    @Option(help: ArgumentHelp("HTTP sources require 'Authorization: Bearer TOKEN'.", valueName: "token"))
    var authToken: String?

    @Option(help: ArgumentHelp("Accept connections and datagrams only from this network (repeatable): 10.0.0.0/8, 192.168.1.7, ::1.",
                               valueName: "cidr"))
    var allow: [String] = []

    @Option(help: ArgumentHelp("Open connections per listener.", valueName: "n"))
    var maxConnections: Int?

    @Option(help: ArgumentHelp("Close a connection that sends nothing for this long (0: never): 30s, 5m …", valueName: "duration"))
    var idleTimeout: String?

    @Option(help: ArgumentHelp("Open connections per listener from one address (default 256).", valueName: "n"))
    var maxConnectionsPerAddress: Int?

    @Option(help: ArgumentHelp("An HTTP request must arrive whole within this long of the connection opening or the last answer (default 30s; 0: no limit).",
                               valueName: "duration"))
    var requestTimeout: String?

    @Option(help: ArgumentHelp("The receive buffer asked of the kernel for syslog over UDP (default 8M; net.core.rmem_max caps it).",
                               valueName: "bytes"))
    var udpBuffer: String?

    @Option(help: ArgumentHelp("The certificate (chain) TLS listeners present — tcp+tls://, syslog+tls://, https:// (PEM).", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The private key of --tls-cert (PEM).", valueName: "file"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("Keep everything accepted in this directory: it survives a crash and a restart (README: 'The store on disk').",
                               valueName: "dir"))
    var store: String?

    @Option(help: ArgumentHelp("Deliver what is stored to s3://bucket/prefix or file:///dir in the archive's layout, or to another logdash's "
                               + "https://host:port/ingest, buffered as Firehose does (repeatable; hints as the URL's query: "
                               + "?buffer_size=5M&buffer_interval=60s). Needs a store.", valueName: "url"))
    var sink: [String] = []

    @Option(help: ArgumentHelp("An https:// sink trusts the certificate authority in this PEM file (a central logdash's private CA) "
                               + "instead of the system's; a sink's own tls_ca key wins.", valueName: "file"))
    var tlsCa: String?

    @Option(help: ArgumentHelp("With a store: when the write-ahead log is forced to disk: always (each delivery flush), interval (each second) or never.",
                               valueName: "mode"))
    var fsync: String?

    @Option(help: ArgumentHelp("With a store: delete segment files whose newest record is older than this (7d, 12h).", valueName: "duration"))
    var retain: String?

    @Option(help: ArgumentHelp("With a store: delete the oldest segment files while the store is larger than this (10G, 500M).", valueName: "bytes"))
    var maxStoreSize: String?

    @Option(help: ArgumentHelp("The memory budget (default: half of the machine's): records in memory past half of it spill to files, "
                               + "read back when a query needs them; columns read back keep to a quarter of it.", valueName: "bytes"))
    var maxMemory: String?

    @Flag(name: .customLong("no-spill"), help: "Past --max-memory drop the oldest records (counted and said) instead of spilling them to files.")
    var noSpill = false

    /// The memory budget these options (over the config's `ingest.max_memory` and `spill`)
    /// give, applied to the process; `store` keeps its records in memory within it unless a
    /// store on disk holds them (`durable`), whose sealing already gives memory back.
    func limitMemory(_ store: Store, config: Config, durable: Bool, report: @escaping @Sendable (String) -> Void) throws {
        var budget = MemoryBudget.defaultBudget
        if let text = maxMemory {
            guard let n = ByteSize.parse(text), n >= 1 << 20 else { throw ValidationError("--max-memory '\(text)' must be a size of at least 1M (e.g. 512M, 4G)") }
            budget = n
        } else if let n = config.ingest.maxMemory {
            budget = n
        }
        MemoryBudget.apply(budget)
        guard !durable else { return }
        store.limitMemory(RecordMemoryLimit(budget: budget, spill: !noSpill && config.ingest.spill != false, report: report))
    }

    /// Opens the sinks these options and the config's `sinks:` name, in `durable`'s directory,
    /// and starts delivering (nil: no sink).
    /// `agent`: the config's sinks count too (ingest's; a dashboard delivers only what its
    /// command line names, so that opening one beside an agent never delivers twice).
    func sinks(config: Config, durable: DurableStore?, agent: Bool, report: @escaping @Sendable (String) -> Void) throws -> SinkSet? {
        let named = try sink.map { url in
            do { return try SinkSpec.parse(url) } catch let p as SinkSpec.Problem { throw ValidationError("--sink: \(p.message)") }
        }
        let configured = agent ? config.sinks : []
        guard !named.isEmpty || !configured.isEmpty else {
            if tlsCa != nil { report("warning: --tls-ca is not used: no sink is https://") }
            return nil
        }
        var all = named + configured
        if let tlsCa {
            // The CA of every https:// sink that names none of its own.
            var used = false
            for k in all.indices {
                guard case .http(let url) = all[k].destination, url.scheme == "https", all[k].tlsCA == nil else { continue }
                all[k].tlsCA = tlsCa
                used = true
                do { try all[k].check() } catch let p as SinkSpec.Problem { throw ValidationError("--tls-ca: \(p.message)") }
            }
            if !used { report("warning: --tls-ca is not used: no https:// sink without its own tls_ca") }
        }
        guard let durable else {
            if named.isEmpty {
                // The config's sinks are an agent's; a run without a store (a dashboard, a replay) leaves them be.
                report("the config's sinks are not delivered to: they need a store (--store DIR)")
                return nil
            }
            throw ValidationError("a sink keeps what waits for delivery in a store this logdash writes: name one with --store DIR "
                                  + "(ingest keeps one unless --no-store or --no-follow; a store another logdash writes cannot be used)")
        }
        let set = try SinkSet(all, store: durable, report: report)
        for s in set.sinks {
            let waiting = s.status.waitingRecords
            report("delivering to \(s.spec.url) (parts of \(ByteSize.format(s.spec.bufferSize)) or \(TimeSpan.format(s.spec.bufferInterval)))"
                   + (waiting > 0 ? "; \(waiting) records from an earlier run wait in its spool" : ""))
        }
        return set
    }

    /// The store on disk these options (over the config's `ingest.store` …) name, opened and
    /// recovered; `fallback` is the directory used when none is named (nil: no store).
    func durable(config: Config, fallback: String? = nil, report: @escaping @Sendable (String) -> Void) throws -> DurableStore? {
        let c = config.ingest
        var o = StoreOptions()
        if let f = fsync {
            guard let m = FsyncMode(rawValue: f) else { throw ValidationError("--fsync '\(f)' is not always, interval or never") }
            o.fsync = m
        } else if let m = c.fsync {
            o.fsync = m
        }
        if let r = retain {
            guard let ns = TimeSpan.parseNanos(r), ns > 0 else { throw ValidationError("--retain '\(r)' is not a duration (e.g. 7d, 12h)") }
            o.retain = ns
        } else {
            o.retain = c.retain
        }
        if let m = maxStoreSize {
            guard let n = ByteSize.parse(m), n > 0 else { throw ValidationError("--max-store-size '\(m)' is not a size (e.g. 500M, 10G)") }
            o.maxBytes = Int64(n)
        } else {
            o.maxBytes = c.maxStoreSize.map(Int64.init)
        }
        guard let dir = store ?? c.store ?? fallback else {
            if fsync != nil || retain != nil || maxStoreSize != nil { throw ValidationError("--fsync, --retain and --max-store-size need --store DIR") }
            return nil
        }
        let d = try DurableStore(directory: dir, options: o, report: report)
        let r = d.recovered
        if r.files + r.logRecords > 0 {
            report("store \(dir): \(r.fileRecords + r.replayedRecords) records (\(r.files) segment file\(r.files == 1 ? "" : "s"), \(r.replayedRecords) replayed from the log)")
        } else if store == nil && c.store == nil {
            report("keeping what is accepted in \(dir) (--no-store: in memory only)")  // the default store, said once
        }
        return d
    }

    /// The default store of `logdash ingest`: `$XDG_DATA_HOME/logdash/store`.
    static var defaultStore: String {
        let env = ProcessInfo.processInfo.environment
        let dataHome = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.local/share")
        return dataHome + "/logdash/store"
    }

    /// The settings these options give, over the config file's `ingest` keys.
    func settings(config: Config) throws -> IngestSettings {
        var s = IngestSettings()
        let c = config.ingest
        func size(_ text: String?, _ fallback: Int?, _ name: String) throws -> Int? {
            guard let text else { return fallback }
            guard let v = ByteSize.parse(text), v > 0 else { throw ValidationError("\(name) '\(text)' is not a size (e.g. 512k, 4M, 1G)") }
            return v
        }
        func duration(_ text: String?, _ fallback: Int64?, _ name: String) throws -> Int64? {
            guard let text else { return fallback }
            guard let v = TimeSpan.parseNanos(text) else { throw ValidationError("\(name) '\(text)' is not a duration (e.g. 20ms, 1s, 5m)") }
            return v
        }
        s.buffer = BufferOptions(sizeHint: try size(bufferSize, c.bufferSize, "--buffer-size") ?? BufferOptions.defaultSizeHint,
                                 interval: try duration(bufferInterval, c.bufferInterval, "--buffer-interval") ?? BufferOptions.defaultInterval,
                                 capacity: try size(bufferMax, c.bufferMax, "--buffer-max") ?? BufferOptions.defaultCapacity)
        s.listeners.authToken = authToken ?? c.authToken
        s.listeners.tlsCertificate = tlsCert ?? c.tlsCert
        s.listeners.tlsKey = tlsKey ?? c.tlsKey
        if (s.listeners.tlsCertificate == nil) != (s.listeners.tlsKey == nil) {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        s.listeners.allow = try (allow.isEmpty ? c.allow : allow).map { try CIDR($0) }
        if let m = maxConnections ?? c.maxConnections {
            guard m > 0 else { throw ValidationError("--max-connections must be at least 1") }
            s.listeners.maxConnections = m
        }
        if let n = try size(udpBuffer, c.udpBuffer, "--udp-buffer") { s.listeners.udpReceiveBuffer = n }
        if let m = maxConnectionsPerAddress ?? c.maxConnectionsPerAddress {
            guard m > 0 else { throw ValidationError("--max-connections-per-address must be at least 1") }
            s.listeners.maxConnectionsPerAddress = m
        }
        if let t = try duration(requestTimeout, c.requestTimeout, "--request-timeout") {
            s.listeners.requestTimeout = Int((t + 999_999_999) / 1_000_000_000)
        }
        if let t = try duration(idleTimeout, c.idleTimeout, "--idle-timeout") { s.listeners.idleTimeout = Int((t + 999_999_999) / 1_000_000_000) }
        return s
    }
}

/// `logdash ingest`: the pipeline without a terminal.
struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Run the ingest pipeline headless: follow files, listen on sockets, print stats.",
        discussion: """
            Sources: files and globs (followed like tail -F), '-', demo://, tcp://HOST:PORT (lines or NDJSON), \
            syslog://HOST:PORT (TCP, octet counting or LF), syslog+udp://HOST:PORT, http://HOST:PORT (POST /ingest, OTLP logs at POST /v1/logs, Prometheus metrics at GET /metrics), kinesis://STREAM[?from=trim_horizon|TIME]. \
            Listeners bind to 127.0.0.1 unless a host is given (tcp://0.0.0.0:5170 binds every interface). \
            SIGINT and SIGTERM stop reading and store what was accepted; --query then runs over it. \
            SIGHUP (or a change of the file) reloads the transform steps for the records that follow. \
            While following, everything accepted is kept on disk in $XDG_DATA_HOME/logdash/store (or --store DIR; --no-store keeps it in memory only): a restart goes on where the last run stopped.

            Examples:
              logdash ingest syslog://:5514 syslog+udp://:5514 --stats-interval 5s
              logdash ingest --no-follow app.log --query "SELECT level, count(*) FROM logs GROUP BY 1"
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var live: LiveOptions

    @Flag(help: "Read files, stdin and demo:// to their current end, then stop (no following).")
    var noFollow = false

    @Flag(help: "Keep what is accepted in memory only (no store on disk, no resuming where the last run stopped).")
    var noStore = false

    @Option(help: ArgumentHelp("Print a stats line this often on stderr (0: never).", valueName: "duration"))
    var statsInterval = "10s"

    @Option(help: ArgumentHelp("Run this SQL when ingest stops and print the result (repeatable).", valueName: "sql"))
    var query: [String] = []

    @Option(name: .shortAndLong, help: "How --query results print: table, csv, json or ndjson.")
    var output: QueryCommand.Output = .table

    @Option(help: ArgumentHelp("Evaluate these alarms (YAML; also 'alarms:' in the config file) and print each state change as a JSON line.",
                               valueName: "file"))
    var alarms: String?

    @Option(help: ArgumentHelp("With --alarms while following: how long after a period ends its records may still arrive.", valueName: "duration"))
    var lateness = "5s"

    @Option(help: ArgumentHelp("Run this streaming query (GROUP BY TUMBLE/HOP/SESSION) as records arrive and print each window it closes as JSON lines (repeatable).",
                               valueName: "sql"))
    var stream: [String] = []

    @Option(help: ArgumentHelp("With --stream: how long after a window was emitted late records still update it (later ones are dropped and counted).",
                               valueName: "duration"))
    var allowedLateness = "1m"

    @Argument(help: "Sources: files, globs, '-', demo://, tcp://, syslog://, syslog+udp://, http://, kinesis://.")
    var sources: [String] = []

    func run() throws {
        let (config, load) = try input.resolve()
        var settings = try live.settings(config: config)
        settings.follow = !noFollow
        guard let stats = TimeSpan.parseNanos(statsInterval) else {
            throw ValidationError("--stats-interval '\(statsInterval)' is not a duration (e.g. 10s, 1m, 0)")
        }
        var names = sources.isEmpty ? config.sources : sources
        if names.isEmpty && isatty(0) == 0 { names = ["-"] }  // logs piped in
        guard !names.isEmpty else { throw ValidationError("name at least one source (a file, tcp://…, syslog://…, http://…, - or demo://)") }
        let specs = try names.map { try LiveSource.parse($0) }
        // A typo in the SQL is found now, not after hours of ingest (columns can only be checked then).
        for q in query {
            do { _ = try QueryEngine.columnsRead(q) } catch let e as QueryError { throw ValidationError(e.rendered(in: q)) }
        }
        let alarmDefs = try (alarms ?? config.alarms).map { try AlarmFile.load(path: $0) } ?? []
        guard let latenessNanos = TimeSpan.parseNanos(lateness) else { throw ValidationError("--lateness '\(lateness)' is not a duration (e.g. 5s)") }
        guard let allowedNanos = TimeSpan.parseNanos(allowedLateness) else {
            throw ValidationError("--allowed-lateness '\(allowedLateness)' is not a duration (e.g. 1m)")
        }
        let stop = SignalWatch()
        let say: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data("logdash: \(line)\n".utf8)) }
        // Following, ingest keeps what it accepts on disk unless told not to; a replay (--no-follow) only with --store.
        if noStore && live.store != nil { throw ValidationError("--store and --no-store contradict each other") }
        let durable = noStore ? nil : try live.durable(config: config, fallback: noFollow ? nil : LiveOptions.defaultStore, report: say)
        let store = durable?.store ?? Store()
        try live.limitMemory(store, config: config, durable: durable != nil, report: say)
        let sinks = try live.sinks(config: config, durable: durable, agent: true, report: say)
        let reporter = AlarmReporter(alarms: alarmDefs, store: store, lateness: latenessNanos)
        let streams = try StreamReporter(stream, store: store, lateness: latenessNanos, allowedLateness: allowedNanos)
        var tapped = load
        tapped.lineTap = reporter.stream?.lineTap  // patterns measured as lines are parsed
        // While following, the transform steps can be reloaded (SIGHUP, or their file changed):
        // a stage is always there to take them.
        if !noFollow, tapped.transforms == nil {
            tapped.transforms = try TransformChain(steps: [])
            try tapped.transforms?.reading(with: tapped.parse)  // (steps a reload brings may read a field as a format)
        }
        let reload = TransformReload(input: input)
        // The queries' kernels run on segments as they are made (each query takes its own).
        let folded = streams.streamingQueries + (reporter.stream?.streamingQueries ?? [])
        let kernelTap = KernelTap(folded, store: store)
        if !kernelTap.isEmpty {
            tapped.kernelTap = kernelTap
            for q in folded { q.kernelTap = kernelTap }
        }
        store.setLookups(try input.lookupTables(config: config))
        let pipeline = Pipeline(store: store, durable: durable, load: tapped, settings: settings, report: say)
        if let sinks { pipeline.attach(sinks) }
        reporter.onStatuses = { [exposition = pipeline.exposition] in exposition.setAlarms($0) }
        try pipeline.start(specs)
        let meter = StatsLine(pipeline: pipeline)
        if noFollow {
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread { pipeline.runToEnd(); done.signal() }
            streams.holdWatermarks()
            reporter.stream?.holdsWatermark = true
            // Steps come often, so that little is left to fold in when the input ends. Until
            // then they only fold in what is stored (windows close at the end): on a thread of
            // the least priority, one query after another, so that they take a core only when
            // the parsing leaves one idle. (This thread keeps watching for a stop and printing
            // stats meanwhile.)
            let loaded = DispatchSemaphore(value: 0)
            let work = UncheckedSendable((streams, reporter))
            let folding = Idle.start {
                while loaded.wait(timeout: .now() + .milliseconds(25)) == .timedOut {
                    try Self.step(work.value.0, work.value.1, end: false, spread: false, into: store)
                }
            }
            while done.wait(timeout: .now() + .milliseconds(25)) == .timedOut {
                if stop.fired { pipeline.stop(); break }
                if folding.hasEnded { break }  // only on an error (a query's state over its cap): reported at once
                meter.tick(every: stats)
            }
            loaded.signal()
            try folding.wait()
        } else {
            var lastAlarmCheck = Date()
            while !stop.fired && durable?.writeFailure == nil {
                Thread.sleep(forTimeInterval: 0.1)
                meter.tick(every: stats)
                if let chain = tapped.transforms, let message = reload.check(chain, hangUp: stop.takeHangUp()) { say(String(message.dropFirst("logdash: ".count))) }
                // Windows move on once the files' history is in (it is parsed out of order, in parallel).
                if pipeline.metrics.total().lagBytes == 0 { try streams.report() }
                if !alarmDefs.isEmpty && Date().timeIntervalSince(lastAlarmCheck) >= 1 {
                    // Periods close when the newest event time, less the lateness, passes their
                    // end — once the files' history is in (it is parsed out of order).
                    lastAlarmCheck = Date()
                    reporter.stream?.holdsWatermark = pipeline.metrics.total().lagBytes > 0
                    try reporter.report(final: false, into: store)
                }
            }
            pipeline.stop()
        }
        meter.finish()
        if let sinks {
            sinks.stop(report: say)
            store.appendMetrics(sinks.metricRows(at: load.now()))  // what the last deliveries did
        }
        if let durable {
            // What the log holds is sealed into segment files: the next start reads them mapped.
            do { try durable.close() } catch { say("\(error)"); throw ExitCode(1) }
        }
        // A finished input (read whole, then folded in at once) closes every window; a stopped
        // live one emits what the watermark passed.
        if !noFollow { reporter.stream?.holdsWatermark = false }
        try Self.step(streams, reporter, end: noFollow, into: store)
        withExtendedLifetime(kernelTap) {}  // the queries hold it weakly: it serves the last step too
        streams.summary()
        if !alarmDefs.isEmpty {
            reporter.actions.drain(seconds: 15)  // the actions under way finish (or give up) first
        }
        let snapshot = store.snapshot()
        for q in query {
            do {
                let result = try QueryEngine(snapshot: snapshot).execute(q)
                FileHandle.standardOutput.write(Data(ResultWriter.forStandardOutput(result, as: output).utf8))
            } catch let e as QueryError {
                FileHandle.standardError.write(Data(("logdash: " + e.rendered(in: q) + "\n").utf8))
                throw ExitCode(1)
            }
        }
        // Read to its end, a source that could not be read is a failure of the run (it was said when met).
        if noFollow && pipeline.sourceFailures > 0 { throw ExitCode(1) }
    }
}

extension IngestCommand {
    /// The streaming queries and the alarms fold in what was stored, side by side (each spreads
    /// over the cores too; without `spread`, all on the calling thread); then the queries'
    /// windows are printed, then the alarms' transitions.
    static func step(_ streams: StreamReporter, _ reporter: AlarmReporter, end: Bool, spread: Bool = true, into store: Store) throws {
        let both = UncheckedSendable((streams, reporter))
        let (windows, transitions) = SideBySide.run(spread: spread, { try streams.windows(end: end, spread: spread) },
                                                    { try both.value.1.transitions(final: end, spread: spread) })
        StreamReporter.write(try windows.get())
        reporter.emit(try transitions.get(), into: store)
    }

    /// Values handed to tasks that use them one at a time.
    struct UncheckedSendable<T>: @unchecked Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }
}

/// Prints alarm transitions as JSON lines as the streaming engine finds them (each period is
/// evaluated once, when the watermark passes its end), records them in `alarm_history` and
/// runs their actions.
final class AlarmReporter {
    let alarms: [AlarmDefinition]
    let stream: AlarmStream?
    let actions = AlarmActionRunner { line in FileHandle.standardError.write(Data("logdash: \(line)\n".utf8)) }
    /// Told where every alarm stands after each step (for `GET /metrics`).
    var onStatuses: (([AlarmReplay.Status]) -> Void)?

    init(alarms: [AlarmDefinition], store: Store, lateness: Int64) {
        self.alarms = alarms
        stream = alarms.isEmpty ? nil : AlarmStream(alarms, store: store, lateness: lateness)
    }

    /// Folds in what was stored and reports the transitions of the periods that closed
    /// (`final`: the input has ended, every period closes).
    func report(final: Bool, into store: Store) throws {
        emit(try transitions(final: final), into: store)
    }

    /// Folds in what was stored; the transitions of the periods that closed.
    func transitions(final: Bool, spread: Bool = true) throws -> [AlarmTracker.Transition] {
        let stepped = try stream?.step(final: final, spread: spread)
        if let stepped { onStatuses?(stepped.statuses) }
        let found = stepped?.transitions ?? []
        // An alarm that cannot run is said once on stderr (and again if its problem changes);
        // the others go on.
        for (name, problem) in (stream?.problems ?? [:]).sorted(by: { $0.key < $1.key }) where said[name] != problem {
            said[name] = problem
            FileHandle.standardError.write(Data("logdash: alarm \(name) cannot run: \(problem)\n".utf8))
        }
        return found
    }

    /// The problems already said, by alarm.
    private var said: [String: String] = [:]

    /// Records and prints transitions, and runs their actions.
    func emit(_ transitions: [AlarmTracker.Transition], into store: Store) {
        var out: [UInt8] = []
        for t in transitions {
            store.appendAlarmHistory(t)
            AlarmActionRunner.appendJSON(t, to: &out)
            out.append(0x0A)
            if let definition = alarms.first(where: { $0.owns(t.alarm) }) { actions.run(definition.actions, for: t) }
        }
        if !out.isEmpty { FileHandle.standardOutput.write(Data(out)) }
    }
}

/// SIGINT and SIGTERM as a flag to poll (the handlers only set it: an atomic store is safe in
/// a signal handler); SIGHUP as another (reload the transform steps).
final class SignalWatch: Sendable {
    private static let flag = Atomic<Int>(0)
    private static let hangUp = Atomic<Int>(0)

    init() {
        signal(SIGINT) { _ in SignalWatch.flag.store(1, ordering: .relaxed) }
        signal(SIGTERM) { _ in SignalWatch.flag.store(1, ordering: .relaxed) }
        signal(SIGHUP) { _ in SignalWatch.hangUp.store(1, ordering: .relaxed) }
    }

    var fired: Bool { SignalWatch.flag.load(ordering: .relaxed) != 0 }

    /// Whether SIGHUP came since the last call.
    func takeHangUp() -> Bool { SignalWatch.hangUp.exchange(0, ordering: .relaxed) != 0 }
}

/// The periodic stats line of `logdash ingest`: rates since the last line, totals, gauges.
final class StatsLine {
    let pipeline: Pipeline
    private var last = (at: Date(), lines: 0, bytes: 0)
    private var printed = false

    init(pipeline: Pipeline) { self.pipeline = pipeline }

    func tick(every ns: Int64) {
        guard ns > 0, Date().timeIntervalSince(last.at) * 1e9 >= Double(ns) else { return }
        print()
    }

    func finish() {
        print(final: true)
    }

    private func print(final: Bool = false) {
        let t = pipeline.metrics.total()
        let now = Date()
        let secs = max(now.timeIntervalSince(last.at), 1e-3)
        let rate = Double(t.lines - last.lines) / secs, byteRate = Double(t.bytes - last.bytes) / secs
        let fill = Double(pipeline.bufferFill) / Double(pipeline.settings.buffer.capacity) * 100
        var parts = final ? ["stopped: \(t.lines) lines", "\(ByteSize.format(t.bytes)) in"]
            : ["\(Int(rate.rounded())) lines/s", "\(ByteSize.format(Int(byteRate)))/s", "total \(t.lines) lines"]
        parts += ["\(t.parseFailures) unparsed", "\(t.drops) dropped"]
        if !final { parts.append(String(format: "buffer %.0f%%", fill)) }
        if t.lagBytes > 0 { parts.append("lag \(ByteSize.format(t.lagBytes))") }
        if t.connections > 0 { parts.append("\(t.connections) connection\(t.connections == 1 ? "" : "s")") }
        if t.refused > 0 { parts.append("\(t.refused) refused") }
        FileHandle.standardError.write(Data(("logdash: " + parts.joined(separator: " · ") + "\n").utf8))
        last = (now, t.lines, t.bytes)
    }
}
