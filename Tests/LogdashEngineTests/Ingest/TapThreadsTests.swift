import Foundation
import Testing
@testable import LogdashEngine

@Suite struct TapThreadsTests {
    /// Records which threads ran a job, from any thread.
    final class Runs: @unchecked Sendable {  // `threads` under `lock`
        private let lock = NSLock()
        private var threads: [Thread] = []
        func add() { lock.lock(); threads.append(Thread.current); lock.unlock() }
        var all: [Thread] { lock.lock(); defer { lock.unlock() }; return threads }
    }

    /// A job no tap thread has reached is done by whoever asks for its result, on that
    /// thread, and only once: a tap thread reaching it later does nothing.
    @Test func aJobNotStartedIsDoneByWhoAsksOnlyOnce() {
        let runs = Runs()
        let job = TapJob<Int> { runs.add(); return 42 }
        #expect(job.value == 42)
        #expect(runs.all.count == 1 && runs.all.first == Thread.current)
        job.run()
        #expect(job.value == 42)
        #expect(runs.all.count == 1)
    }

    /// A job a tap thread has started is waited for, not done again.
    @Test func aJobUnderWayIsWaitedFor() {
        let runs = Runs()
        let started = DispatchSemaphore(value: 0), go = DispatchSemaphore(value: 0)
        let job = TapJob<Int> {
            runs.add()
            started.signal()
            go.wait()
            return 7
        }
        let threads = TapThreads(threads: 1)
        defer { threads.close() }
        threads.add { job.run() }
        started.wait()
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(50)) { go.signal() }
        #expect(job.value == 7)
        #expect(runs.all.count == 1 && runs.all.first != Thread.current)
    }

    /// A tap's threads, and `Idle.start`'s, have the least priority (nice 19), so that they
    /// take a core only when the parsing leaves one idle; the caller's stays as it was.
    @Test func tapAndIdleThreadsHaveTheLeastPriority() throws {
        @Sendable func nice() -> Int32 { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }
        let mine = nice()
        #expect(try Idle.start { nice() }.wait() == 19)
        let seen = TapJob<Int32> { nice() }
        let threads = TapThreads(threads: 1)
        defer { threads.close() }
        let done = DispatchSemaphore(value: 0)
        threads.add { seen.run(); done.signal() }
        done.wait()
        #expect(seen.value == 19)
        #expect(nice() == mine)
    }

    /// Work started with `Idle.start` has not ended while it runs, and gives back what it
    /// throws to each who waits.
    @Test func idleWorkPassesOnAnError() {
        struct Failed: Error {}
        let go = DispatchSemaphore(value: 0)
        let running = Idle.start { go.wait(); throw Failed() }
        #expect(!running.hasEnded)
        go.signal()
        #expect(throws: Failed.self) { try running.wait() }
        #expect(running.hasEnded)
        #expect(throws: Failed.self) { try running.wait() }
    }

    /// Without spreading, iterations run in order on the calling thread.
    @Test func unspreadIterationsRunInOrderHere() {
        let threads = Runs(), indices = IndexCollector()
        Spread.perform(5, spread: false) { k in
            threads.add()
            indices.add(k)
        }
        #expect(indices.all == [0, 1, 2, 3, 4])
        #expect(threads.all.allSatisfy { $0 == Thread.current })
    }

    final class IndexCollector: @unchecked Sendable {  // `values` under `lock`
        private let lock = NSLock()
        private var values: [Int] = []
        func add(_ k: Int) { lock.lock(); values.append(k); lock.unlock() }
        var all: [Int] { lock.lock(); defer { lock.unlock() }; return values }
    }
}
