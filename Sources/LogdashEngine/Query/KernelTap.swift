import Foundation

/// Streaming queries' kernels run on each segment as soon as it is made, on threads of the
/// tap's own beside the parsing (they fill the gaps a round of parsing leaves while its last
/// piece finishes, rather than waiting for each query's step). A segment's partial groups
/// wait until its query folds it in (`StreamingQuery.add`), which uses them only when they
/// were made with the table's columns as the fold sees them — else it runs the kernel itself.
/// The queries' dashboard filters (`logsFilter`) do not change while the tap is in use.
public final class KernelTap: @unchecked Sendable {  // `columns`, `waiting` and `taken` under `lock`; the rest is immutable
    private let queries: [StreamingQuery]
    private let threads: TapThreads
    /// The table's columns over the segments tapped so far, as the store widens them.
    private var columns: [SchemaColumn]
    /// Per segment (held, so that its identifier is not reused): each query's groups, and
    /// which queries took theirs.
    private var waiting: [ObjectIdentifier: Entry] = [:]
    private let lock = NSLock()
    /// Segments whose groups a query took (the tests see that the tap was used).
    private(set) var taken = 0

    private final class Entry: @unchecked Sendable {  // `taken` under the tap's `lock`
        let segment: Segment
        /// Each query's groups, once the kernels have run; taken one by one.
        let made: TapJob<[Made?]>
        var taken: [Bool]
        init(_ segment: Segment, queries: Int, made: TapJob<[Made?]>) {
            self.segment = segment
            self.made = made
            taken = Array(repeating: false, count: queries)
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
        self.queries = queries.filter { $0.kernel.map { !$0.readsTheClock } ?? false }
        columns = store.snapshot().schema
        threads = TapThreads(threads: self.queries.isEmpty ? 0 : ProcessInfo.processInfo.activeProcessorCount)
    }

    deinit { threads.close() }

    public var isEmpty: Bool { queries.isEmpty }

    /// Queues `segment`, just made, for the kernels.
    func run(on segment: Segment) {
        guard segment.rowCount > 0, !queries.isEmpty else { return }
        lock.lock()
        SchemaColumn.merge(segment.schema, into: &columns)
        let columns = self.columns, queries = self.queries
        let entry = Entry(segment, queries: queries.count, made: TapJob {
            queries.map { q -> Made? in
                let filter = q.logsFilter
                return q.kernel?.run([segment], schema: columns, logsFilter: filter, now: 0)
                    .map { Made(groups: $0, columns: columns, logsFilter: filter?.canonical) }
            }
        })
        waiting[ObjectIdentifier(segment)] = entry
        lock.unlock()
        threads.add { entry.made.run() }
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
        let all = entry.made.value
        let usable = all[k].map { made in
            made.logsFilter == q.logsFilter?.canonical && made.columns.count == schema.count
                && zip(made.columns, schema).allSatisfy { $0.name == $1.name && $0.type == $1.type }
        } ?? false
        lock.lock()
        defer { lock.unlock() }
        let first = !entry.taken[k]
        entry.taken[k] = true
        if !entry.taken.contains(false) { waiting[id] = nil }
        guard first, usable, let made = all[k] else { return nil }
        taken += 1
        return made.groups
    }
}
