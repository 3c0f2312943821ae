import Foundation
import Testing

@testable import logdash

/// When the transform steps' file counts as changed.
@Suite struct TransformReloadTests {
    /// A change made after the steps were read but before the first look for changes (the
    /// reloader is made once the pipeline runs) is a change: the steps are read again.
    @Test func aChangeBetweenReadingTheStepsAndTheFirstLookIsReloaded() throws {
        let cli = CommandLineTests()
        let steps = try cli.temp("steps.yaml", "- mask: { kinds: [email] }\n")
        let input = try InputOptions.parse(["--transform", steps])
        let (_, load) = try input.resolve()
        let chain = try #require(load.transforms)
        try "- mask: { kinds: [ipv4] }\n- drop: [user]\n".write(toFile: steps, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: steps)
        let reload = TransformReload(input: input)
        Thread.sleep(forTimeInterval: 1.05)  // (the file is looked at once a second)
        let said = reload.check(chain, hangUp: false)
        #expect(said?.contains("transform steps reloaded") == true && chain.steps.count == 2, "\(said ?? "nothing said")")
        // Unchanged since: nothing more to say.
        Thread.sleep(forTimeInterval: 1.05)
        #expect(reload.check(chain, hangUp: false) == nil)
    }
}
