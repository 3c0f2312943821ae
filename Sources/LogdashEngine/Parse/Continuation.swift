/// Lines that continue the record before them rather than start one: stack-trace frames and
/// anything indented, `Caused by:`, `... 12 more`, Python's `Traceback` (and its chained
/// exceptions' `During handling of the above exception …`), and exception
/// headers such as `java.lang.IllegalStateException: boom` or `ValueError: bad`.
public enum Continuation {
    public static func isContinuation(_ line: ByteLine) -> Bool {
        let n = line.count
        guard n > 0 else { return false }
        let b = line[0]
        if b == ASCII.space || b == ASCII.tab {
            for i in 1..<n where !ASCII.isSpace(line[i]) { return true }
            return false
        }
        if line.hasPrefix("Caused by:") || line.hasPrefix("Suppressed:") || line.hasPrefix("... ")
            || line.hasPrefix("at ") || line.hasPrefix("Traceback (most recent call last)")
            || line.hasPrefix("During handling of the above exception") || line.hasPrefix("The above exception was the direct cause") {
            return true
        }
        return exceptionClass(line) != nil
    }

    /// The exception class a line names at its start (`java.lang.IllegalStateException: …`),
    /// or nil. The name must end in Exception, Error, Throwable or Warning and either be
    /// qualified with dots or be longer than the bare suffix.
    public static func exceptionClass(_ line: ByteLine) -> ByteLine? {
        let n = line.count
        var i = 0, dots = 0
        if line.hasPrefix("Exception in thread ") { return line.slice(0, min(n, 19)) }
        while i < n {
            let b = line[i]
            if ASCII.isAlpha(b) || ASCII.isDigit(b) || b == 0x5F || b == 0x24 { i += 1; continue }
            if b == ASCII.dot { dots += 1; i += 1; continue }
            break
        }
        guard i > 0, i == n || line[i] == ASCII.colon else { return nil }
        let name = line.slice(0, i)
        for k in 0..<4 {
            let suffix = suffixTable[k]
            guard name.count >= suffix.count else { continue }
            let tail = name.slice(name.count - suffix.count, name.count)
            if memcmp(tail.base, suffix.base, suffix.count) == 0, dots > 0 || name.count > suffix.count {
                return name
            }
        }
        return nil
    }

    private static let suffixTable = KeyTable(["Exception", "Error", "Throwable", "Warning"])
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
