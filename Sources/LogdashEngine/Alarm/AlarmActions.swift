import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What an alarm does when its state changes (only then): run a program (an argument vector,
/// no shell), append a JSON line to a file, or POST the JSON to a webhook.
public struct AlarmAction: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case exec([String])
        case file(String)
        case webhook(String)
    }

    public var kind: Kind
    /// The new states that fire it (empty: every change).
    public var on: Set<AlarmState>

    public init(_ kind: Kind, on: Set<AlarmState> = []) {
        self.kind = kind
        self.on = on
    }
}

/// Runs actions on a queue of its own, so a slow or failing one never holds up ingest: a
/// failure is reported and retried (three attempts in all, a second apart, then two); a
/// program gets 30 seconds and a webhook 10.
public final class AlarmActionRunner: Sendable {
    private let queue = DispatchQueue(label: "logdash-alarm-actions")
    private let group = DispatchGroup()
    private let report: @Sendable (String) -> Void
    static let delays: [Double] = [1, 2]

    public init(report: @escaping @Sendable (String) -> Void) { self.report = report }

    /// The JSON line of a transition (also what `logdash ingest --alarms` prints).
    public static func json(_ t: AlarmTracker.Transition) -> Data {
        var out: [UInt8] = []
        appendJSON(t, to: &out)
        return Data(out)
    }

    /// The JSON of a transition appended to `out` (keys in order, as `json` gives them).
    public static func appendJSON(_ t: AlarmTracker.Transition, to out: inout [UInt8]) {
        for (k, (key, text)) in [("alarm", t.alarm), ("new_state", t.to.rawValue), ("old_state", t.from.rawValue), ("reason", t.reason),
                                 ("time", Timestamp.iso8601(t.at))].enumerated() {
            out.append(contentsOf: (k == 0 ? "{\"" : ",\"").utf8)
            out.append(contentsOf: key.utf8)
            out.append(contentsOf: "\":".utf8)
            Archive.appendJSONString(text, to: &out)
        }
        if let v = t.value { out.append(contentsOf: ",\"value\":\(v.isFinite ? Value.format(v) : "null")".utf8) }
        out.append(UInt8(ascii: "}"))
    }

    public func run(_ actions: [AlarmAction], for t: AlarmTracker.Transition) {
        for action in actions where action.on.isEmpty || action.on.contains(t.to) {
            group.enter()
            queue.async { [self] in
                defer { group.leave() }
                for attempt in 0...Self.delays.count {
                    do {
                        try perform(action.kind, t)
                        return
                    } catch {
                        let last = attempt == Self.delays.count
                        report("alarm \(t.alarm): action \(describe(action.kind)) failed: \(error)\(last ? "; given up" : "; retrying")")
                        if !last { Thread.sleep(forTimeInterval: Self.delays[attempt]) }
                    }
                }
            }
        }
    }

    /// Waits (up to `seconds`) for the actions under way: before the program exits.
    public func drain(seconds: Double) { _ = group.wait(timeout: .now() + seconds) }

    struct Failure: Error, CustomStringConvertible { let description: String }

    func describe(_ k: AlarmAction.Kind) -> String {
        switch k {
        case .exec(let argv): "exec \(argv.first ?? "")"
        case .file(let path): "file \(path)"
        case .webhook(let url): "webhook \(url)"
        }
    }

    private func perform(_ kind: AlarmAction.Kind, _ t: AlarmTracker.Transition) throws {
        switch kind {
        case .exec(let argv):
            let p = Process()
            p.executableURL = URL(fileURLWithPath: argv[0].contains("/") ? argv[0] : "/usr/bin/env")
            p.arguments = argv[0].contains("/") ? Array(argv.dropFirst()) : argv
            var env = ProcessInfo.processInfo.environment
            env["LOGDASH_ALARM"] = t.alarm
            env["LOGDASH_STATE"] = t.to.rawValue
            env["LOGDASH_OLD_STATE"] = t.from.rawValue
            env["LOGDASH_REASON"] = t.reason
            env["LOGDASH_TIME"] = Timestamp.iso8601(t.at)
            env["LOGDASH_VALUE"] = t.value.map(Value.format) ?? ""
            p.environment = env
            p.standardInput = FileHandle.nullDevice
            try p.run()
            let deadline = Date().addingTimeInterval(30)
            while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            if p.isRunning { p.terminate(); throw Failure(description: "still running after 30 s; stopped") }
            guard p.terminationStatus == 0 else { throw Failure(description: "exited with status \(p.terminationStatus)") }
        case .file(let path):
            if !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil) else { throw Failure(description: "cannot create \(path)") }
            }
            guard let h = FileHandle(forWritingAtPath: path) else { throw Failure(description: "cannot write to \(path)") }
            defer { try? h.close() }
            try h.seekToEnd()
            try h.write(contentsOf: Self.json(t) + Data("\n".utf8))
        case .webhook(let url):
            guard let u = URL(string: url) else { throw Failure(description: "not a URL") }
            var request = URLRequest(url: u, timeoutInterval: 10)
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Self.json(t)
            let done = DispatchSemaphore(value: 0)
            let outcome = Outcome()
            URLSession.shared.dataTask(with: request) { _, response, error in
                outcome.set(error.map { "\($0.localizedDescription)" }
                            ?? ((response as? HTTPURLResponse).map { (200..<300).contains($0.statusCode) ? nil : "HTTP status \($0.statusCode)" } ?? "no response"))
                done.signal()
            }.resume()
            guard done.wait(timeout: .now() + 12) == .success else { throw Failure(description: "no answer in 10 s") }
            if let problem = outcome.value { throw Failure(description: problem) }
        }
    }

    /// A webhook's result, handed from URLSession's thread.
    final class Outcome: Sendable {
        private let problem = Mutex<String?>(nil)
        var value: String? { problem.withLock { $0 } }
        func set(_ v: String?) { problem.withLock { $0 = v } }
    }
}
