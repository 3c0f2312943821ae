import Foundation

/// Threads of a tap's own (`KernelTap`) that run the jobs queued as segments are made,
/// oldest first, beside the parsing: they fill the gaps a round of parsing leaves while its
/// last piece finishes. A job waits on nothing, so that whoever waits for a job's result
/// always gets it. The threads end when the owner closes them.
final class TapThreads: @unchecked Sendable {  // `queue` and `closed` under `more`
    private let more = NSCondition()
    private var queue: [@Sendable () -> Void] = []
    private var head = 0
    private var closed = false

    init(threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        for _ in 0..<threads {
            Thread.detachNewThread { [self] in
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

/// A result a tap's job gives later: `value` waits for it.
final class Pending<T>: @unchecked Sendable {  // `result` is written once, before `ready` opens
    private let ready = DispatchSemaphore(value: 0)
    private var result: T?

    func fulfil(_ value: T) {
        result = value
        ready.signal()
    }

    var value: T {
        ready.wait()
        ready.signal()  // open for whoever waits next
        return result!
    }
}
