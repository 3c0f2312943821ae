import Foundation

/// Threads of a tap's own (`KernelTap`) that run the jobs queued as segments are made,
/// oldest first, beside the parsing. They run at the lowest priority (nice 19), so that they
/// take a core only when the parsing leaves it idle — while a round's last piece finishes —
/// rather than delaying a piece and so the whole round. A job waits on nothing, so that
/// whoever waits for a job's result always gets it. The threads end when the owner closes them.
final class TapThreads: Sendable {
    private struct Queue {
        var jobs: [@Sendable () -> Void] = []
        var head = 0
        var closed = false
    }
    private let queue = Guarded(Queue())

    init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        for _ in 0..<threads {
            Thread.detachNewThread { [self] in
                Idle.lowerThisThread()
                while let job = next() { job() }
            }
        }
    }

    func add(_ job: @escaping @Sendable () -> Void) {
        queue.change { $0.jobs.append(job) }
    }

    /// The oldest job queued; nil once closed.
    private func next() -> (@Sendable () -> Void)? {
        queue.wait { q -> (@Sendable () -> Void)?? in
            if q.closed { return .some(nil) }
            guard q.head < q.jobs.count else { return nil }
            let job = q.jobs[q.head]
            q.head += 1
            if q.head == q.jobs.count { q.jobs.removeAll(keepingCapacity: true); q.head = 0 }
            return .some(job)
        }
    }

    func close() {
        queue.change { $0.closed = true }
    }
}

/// Work a tap's thread does later, whose result someone waits for: whoever comes first runs
/// it — the tap's thread, or the one asking for `value` (at its own priority, rather than
/// waiting for a low-priority thread to reach it).
final class TapJob<T: Sendable>: Sendable {
    private struct State {
        var work: (@Sendable () -> T)?
        var result: T?
    }
    private let state: Guarded<State>

    init(_ work: @escaping @Sendable () -> T) {
        state = Guarded(State(work: work))
    }

    /// Does the work, unless it was started already.
    func run() {
        guard let work = state.withLock({ s -> (@Sendable () -> T)? in
            defer { s.work = nil }
            return s.work
        }) else { return }
        let value = work()
        state.change { $0.result = value }
    }

    /// The work's result: done here if nobody started it, else waited for.
    var value: T {
        run()
        return state.wait { $0.result }
    }
}

/// Work that should take a core only when nothing else wants one.
public enum Idle {
    /// Gives the calling thread the least priority (nice 19: on Linux a thread's own).
    static func lowerThisThread() {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
    }

    /// Starts `body` on a thread of the least priority. What `body` uses, no other thread may
    /// use until `wait` has returned.
    public static func start<T>(_ body: @escaping () throws -> T) -> Running<T> {
        let running = Running<T>()
        let task = UncheckedBox(body)
        Thread.detachNewThread {
            lowerThisThread()
            running.out.set(0) { try task.value() }
            running.done.signal()
        }
        return running
    }

    /// Work started by `Idle.start`.
    public final class Running<T>: @unchecked Sendable {  // `out` is set once, before `done` opens
        fileprivate let out = ParallelResults<T>(1)
        fileprivate let done = DispatchSemaphore(value: 0)

        /// Whether the work has ended (without waiting).
        public var hasEnded: Bool {
            guard done.wait(timeout: .now()) == .success else { return false }
            done.signal()
            return true
        }

        /// Waits for the work to end; its result, or what it threw.
        public func wait() throws -> T {
            done.wait()
            done.signal()  // open for whoever waits next
            return try out.results()[0].get()
        }
    }
}
