import Foundation
import Testing
import Scratch

/// Every fuzz target's corpus and every input that once crashed a target (Fuzz/crashes) run
/// through the target without a crash: the fuzzers' finds stay fixed. (`Fuzz/run` fuzzes.)
@Suite struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let targets = ["records", "framing", "sql", "insights", "filter-pattern", "config", "wal", "segment"]

    @Test(arguments: targets)
    func everyCorpusAndCrashInputRunsWithoutACrash(_ target: String) throws {
        let binary = URL(fileURLWithPath: CommandLineTests.binary).deletingLastPathComponent().appendingPathComponent("logdash-fuzz").path
        var paths = [Self.root.appendingPathComponent("Fuzz/corpus/\(target)").path]
        let crashes = Self.root.appendingPathComponent("Fuzz/crashes/\(target)").path
        if FileManager.default.fileExists(atPath: crashes) { paths.append(crashes) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = [target] + paths
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(target): \(text)")
        let count = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        #expect(count > 0, "\(target): \(text)")
    }
}
