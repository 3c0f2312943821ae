import Foundation

/// Streaming queries' kernels run on each segment as soon as it is made, on threads of the
/// tap's own beside the parsing (they fill the gaps a round of parsing leaves while its last
/// piece finishes, rather than waiting for each query's step). A segment's partial groups
/// wait until its query folds it in (`StreamingQuery.add`), which uses them only when they
/// were made with the table's columns as the fold sees them — else it runs the kernel itself.
/// The queries' dashboard filters (`logsFilter`) do not change while the tap is in use.
public final class KernelTap: @unchecked Sendable {  // `columns`, `waiting` and `taken` under `lock`; the rest is immutable
    private let queries: [StreamingQuery]
    private let workers: Workers
    /// The table's columns over the segments tapped so far, as the store widens them.
    private var columns: [SchemaColumn]
    /// Per segment (held, so that its identifier is not reused): each query's groups, and how
    /// many are still to be taken.
    private var waiting: [ObjectIdentifier: Entry] = [:]
    private let lock = NSLock()
    /// Segments whose groups a query took (the tests see that the tap was used).
    private(set) var taken = 0

    private final class Entry {
        let segment: Segment
        let columns: [SchemaColumn]
        /// Open once `made` is (`take` waits for it).
        let ready = DispatchSemaphore(value: 0)
        var made: [Made?] = []
        var left = 0
        init(_ segment: Segment, columns: [SchemaColumn]) {
            self.segment = segment
            self.columns = columns
        }
    }

    /// Threads that run the kernels of the segments queued, oldest first. They wait on
    /// nothing else, so that a query waiting for a segment's groups (`take`) always gets them;
    /// they end with the tap.
    private final class Workers: @unchecked Sendable {  // `queue` and `closed` under `more`
        private let more = NSCondition()
        private var queue: [Entry] = []
        private var closed = false

        init(threads: Int, _ body: @escaping @Sendable (Entry) -> Void) {
            for _ in 0..<threads {
                Thread.detachNewThread { [self] in
                    while let entry = next() { body(entry) }
                }
            }
        }

        func add(_ entry: Entry) {
            more.lock()
            queue.append(entry)
            more.signal()
            more.unlock()
        }

        /// The oldest entry queued; nil once closed.
        private func next() -> Entry? {
            more.lock()
            defer { more.unlock() }
            while queue.isEmpty && !closed { more.wait() }
            return closed ? nil : queue.removeFirst()
        }

        func close() {
            more.lock()
            closed = true
            more.broadcast()
            more.unlock()
        }
    }

    /// One query's groups for a segment, and the table's columns and dashboard filter they were made with.
    struct Made {
        let groups: PartialKernel.Groups
        let columns: [SchemaColumn]
        let logsFilter: String?
    }

    /// A tap for those of `queries` a kernel runs, but for any that reads the clock (`now()`
    /// is the fold's time, not the parse's).
    public init(_ queries: [StreamingQuery], store: Store) {
        let queries = queries.filter { $0.kernel.map { !$0.readsTheClock } ?? false }
        self.queries = queries
        columns = store.snapshot().schema
        let lock = self.lock
        let box = UncheckedBox(queries)
        workers = Workers(threads: queries.isEmpty ? 0 : ProcessInfo.processInfo.activeProcessorCount) { entry in
            let made = box.value.map { q -> Made? in
                let filter = q.logsFilter
                return q.kernel?.run([entry.segment], schema: entry.columns, logsFilter: filter, now: 0)
                    .map { Made(groups: $0, columns: entry.columns, logsFilter: filter?.canonical) }
            }
            lock.lock()
            entry.made = made
            entry.left = made.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
            lock.unlock()
            entry.ready.signal()
        }
    }

    deinit { workers.close() }

    public var isEmpty: Bool { queries.isEmpty }

    /// Queues `segment`, just made, for the kernels.
    func run(on segment: Segment) {
        guard segment.rowCount > 0, !queries.isEmpty else { return }
        lock.lock()
        SchemaColumn.merge(segment.schema, into: &columns)
        let entry = Entry(segment, columns: columns)
        waiting[ObjectIdentifier(segment)] = entry
        lock.unlock()
        workers.add(entry)
    }

    /// Query `q`'s groups for `segment`, once; nil when the tap has none, or made them with
    /// other columns than `schema`'s (a type the table widened since, a column it gained) or
    /// another dashboard filter.
    func take(_ segment: Segment, for q: StreamingQuery, schema: [SchemaColumn]) -> PartialKernel.Groups? {
        guard let k = queries.firstIndex(where: { $0 === q }) else { return nil }
        let id = ObjectIdentifier(segment)
        lock.lock()
        let found = waiting[id]
        lock.unlock()
        guard let entry = found else { return nil }
        entry.ready.wait()
        entry.ready.signal()  // open for the other queries
        lock.lock()
        guard let made = entry.made[k] else {
            if entry.left == 0 { waiting[id] = nil }
            lock.unlock()
            return nil
        }
        entry.made[k] = nil
        entry.left -= 1
        if entry.left == 0 { waiting[id] = nil }
        lock.unlock()
        guard made.logsFilter == q.logsFilter?.canonical, made.columns.count == schema.count,
              zip(made.columns, schema).allSatisfy({ $0.name == $1.name && $0.type == $1.type }) else { return nil }
        lock.lock()
        taken += 1
        lock.unlock()
        return made.groups
    }
}
