import Foundation

/// Test files live under one directory per test process, removed when the process exits, so
/// a run leaves nothing behind in the temporary directory.
public enum Scratch {
    private static let root: URL = {
        let r = FileManager.default.temporaryDirectory.appendingPathComponent("logdash-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: r, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scratch.root) }
        return r
    }()

    /// A new empty directory; `label` names it for whoever looks while tests run.
    public static func directory(_ label: String) throws -> URL {
        let d = root.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }
}
