import Foundation
import Synchronization

/// Streaming queries' kernels run on each segment as soon as it is made, on threads of the
/// tap's own beside the parsing (they fill the gaps a round of parsing leaves while its last
/// piece finishes, rather than waiting for each query's step). A segment's partial groups
/// wait until its query folds it in (`StreamingQuery.add`), which uses them only when they
/// were made with the table's columns as the fold sees them — else it runs the kernel itself.
/// The queries' dashboard filters (`logsFilter`) do not change while the tap is in use.
public final class KernelTap: Sendable {
    /// The queries a kernel runs: who they are, their kernels and their dashboard filters
    /// (taken when the tap is made).
    private let kernels: [(query: Int, kernel: PartialKernel, logsFilter: Expr?)]
    private let threads: TapThreads

    private struct State {
        /// The table's columns over the segments tapped so far, as the store widens them.
        var columns: [SchemaColumn]
        /// Per segment (held, so that its identifier is not reused): each query's groups, and
        /// which queries took theirs.
        var waiting: [ObjectIdentifier: (entry: Entry, taken: [Bool])] = [:]
        /// Segments whose groups a query took (the tests see that the tap was used).
        var taken = 0
    }
    private let state: Mutex<State>

    var taken: Int { state.withLock { $0.taken } }

    private final class Entry: Sendable {
        let segment: Segment
        /// Each query's groups, once the kernels have run; taken one by one.
        let made: TapJob<[Made?]>
        init(_ segment: Segment, made: TapJob<[Made?]>) {
            self.segment = segment
            self.made = made
        }
    }

    /// One query's groups for a segment, and the table's columns and dashboard filter they were made with.
    struct Made: Sendable {
        let groups: PartialKernel.Groups
        let columns: [SchemaColumn]
        let logsFilter: String?
    }

    /// A tap for those of `queries` a kernel runs, but for any that reads the clock (`now()`
    /// is the fold's time, not the parse's).
    public init(_ queries: [StreamingQuery], store: Store) {
        kernels = queries.compactMap { q in
            guard let k = q.kernel, !k.readsTheClock else { return nil }
            return (q.id, k, q.logsFilter)
        }
        state = Mutex(State(columns: store.snapshot().schema))
        threads = TapThreads(threads: kernels.isEmpty ? 0 : ProcessInfo.processInfo.activeProcessorCount)
    }

    deinit { threads.close() }

    public var isEmpty: Bool { kernels.isEmpty }

    /// Queues `segment`, just made, for the kernels.
    func run(on segment: Segment) {
        guard segment.rowCount > 0, !kernels.isEmpty else { return }
        let kernels = self.kernels
        let entry = state.withLock { s in
            SchemaColumn.merge(segment.schema, into: &s.columns)
            let columns = s.columns
            let entry = Entry(segment, made: TapJob {
                kernels.map { k -> Made? in
                    k.kernel.run([segment], schema: columns, logsFilter: k.logsFilter, now: 0)
                        .map { Made(groups: $0, columns: columns, logsFilter: k.logsFilter?.canonical) }
                }
            })
            s.waiting[ObjectIdentifier(segment)] = (entry, Array(repeating: false, count: kernels.count))
            return entry
        }
        threads.add { entry.made.run() }
    }

    /// Query `q`'s groups for `segment`, once; nil when the tap has none, or made them with
    /// other columns than `schema`'s (a type the table widened since, a column it gained) or
    /// another dashboard filter.
    func take(_ segment: Segment, for q: StreamingQuery, schema: [SchemaColumn]) -> PartialKernel.Groups? {
        guard let k = kernels.firstIndex(where: { $0.query == q.id }) else { return nil }
        let id = ObjectIdentifier(segment)
        guard let entry = state.withLock({ $0.waiting[id]?.entry }) else { return nil }
        let all = entry.made.value
        let usable = all[k].map { made in
            made.logsFilter == q.logsFilter?.canonical && made.columns.count == schema.count
                && zip(made.columns, schema).allSatisfy { $0.name == $1.name && $0.type == $1.type }
        } ?? false
        let first = state.withLock { s -> Bool in
            guard var w = s.waiting[id] else { return false }
            let first = !w.taken[k]
            w.taken[k] = true
            s.waiting[id] = w.taken.contains(false) ? w : nil
            return first
        }
        guard first, usable, let made = all[k] else { return nil }
        state.withLock { $0.taken += 1 }
        return made.groups
    }
}
