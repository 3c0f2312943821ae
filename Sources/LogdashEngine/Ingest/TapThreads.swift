import Foundation

/// Threads of a tap's own (`KernelTap`) that run the jobs queued as segments are made,
/// oldest first, beside the parsing. They run at the lowest priority (nice 19), so that they
/// take a core only when the parsing leaves it idle — while a round's last piece finishes —
/// rather than delaying a piece and so the whole round. A job waits on nothing, so that
/// whoever waits for a job's result always gets it. The threads end when the owner closes them.
final class TapThreads: @unchecked Sendable {  // `queue` and `closed` under `more`
    private let more = NSCondition()
    private var queue: [@Sendable () -> Void] = []
    private var head = 0
    private var closed = false

    init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        for _ in 0..<threads {
            Thread.detachNewThread { [self] in
                Idle.lowerThisThread()
                while let job = next() { job() }
            }
        }
    }

    func add(_ job: @escaping @Sendable () -> Void) {
        more.lock()
        queue.append(job)
        more.signal()
        more.unlock()
    }

    /// The oldest job queued; nil once closed.
    private func next() -> (@Sendable () -> Void)? {
        more.lock()
        defer { more.unlock() }
        while head == queue.count && !closed { more.wait() }
        if closed { return nil }
        let job = queue[head]
        head += 1
        if head == queue.count { queue.removeAll(keepingCapacity: true); head = 0 }
        return job
    }

    func close() {
        more.lock()
        closed = true
        more.broadcast()
        more.unlock()
    }
}

/// Work a tap's thread does later, whose result someone waits for: whoever comes first runs
/// it — the tap's thread, or the one asking for `value` (at its own priority, rather than
/// waiting for a low-priority thread to reach it).
final class TapJob<T>: @unchecked Sendable {  // `work` and `result` under `done`
    private let done = NSCondition()
    private var work: (() -> T)?
    private var result: T?

    init(_ work: @escaping () -> T) {
        self.work = work
    }

    /// Does the work, unless it was started already.
    func run() {
        done.lock()
        guard let work else { done.unlock(); return }
        self.work = nil
        done.unlock()
        let value = work()
        done.lock()
        result = value
        done.broadcast()
        done.unlock()
    }

    /// The work's result: done here if nobody started it, else waited for.
    var value: T {
        run()
        done.lock()
        defer { done.unlock() }
        while result == nil { done.wait() }
        return result!
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
