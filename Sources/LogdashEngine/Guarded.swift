import Foundation

/// State shared by threads that also wait for it to change: the lock, its condition and the
/// state are one value, so that touching the state outside the lock does not compile (what
/// the standard library's `Mutex` gives, plus waiting).
public final class Guarded<State> {
    private let condition = NSCondition()
    private var state: State

    public init(_ state: State) {
        self.state = state
    }

    /// Runs `body` on the state, under the lock.
    @discardableResult
    public func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        condition.lock()
        defer { condition.unlock() }
        return try body(&state)
    }

    /// Like `withLock`, then wakes every thread waiting for a change.
    @discardableResult
    public func change<R>(_ body: (inout State) throws -> R) rethrows -> R {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return try body(&state)
    }

    /// Like `withLock`; wakes every waiting thread if `body` sets `wake` (a change worth a
    /// waiter's look, when most are not).
    @discardableResult
    public func update<R>(_ body: (inout State, _ wake: inout Bool) throws -> R) rethrows -> R {
        condition.lock()
        var wake = false
        defer {
            if wake { condition.broadcast() }
            condition.unlock()
        }
        return try body(&state, &wake)
    }

    /// What a `loop` step decided: its result, or to wait for a change (until a time).
    public enum Step<R> {
        case done(R)
        case wait
        case waitUntil(Date)
    }

    /// Runs `step` under the lock until it is done, waiting between runs as it says (for a
    /// change, or until a change or a time).
    public func loop<R>(_ step: (inout State) throws -> Step<R>) rethrows -> R {
        condition.lock()
        defer { condition.unlock() }
        while true {
            switch try step(&state) {
            case .done(let r): return r
            case .wait: condition.wait()
            case .waitUntil(let date): _ = condition.wait(until: date)
            }
        }
    }

    /// Waits until `ready` gives a value, and returns it. `ready` runs under the lock: at once,
    /// then after each `change`; what it does to the state is kept.
    public func wait<R>(for ready: (inout State) throws -> R?) rethrows -> R {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let r = try ready(&state) { return r }
            condition.wait()
        }
    }

    /// Like `wait(for:)`, giving up at `deadline`: nil then, unless `ready` has a value.
    public func wait<R>(until deadline: Date, for ready: (inout State) throws -> R?) rethrows -> R? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let r = try ready(&state) { return r }
            if !condition.wait(until: deadline) { return try ready(&state) }
        }
    }
}

// `state` is touched only with `condition` held.
extension Guarded: @unchecked Sendable where State: Sendable {}
