import Foundation

#if LOGDASH_FUZZING
import CLibFuzzer

/// Built with `-sanitize=fuzzer` (Fuzz/run): libFuzzer's loop over the target named by
/// `LOGDASH_FUZZ_TARGET`, with libFuzzer's options on the command line.
let selectedTarget: FuzzTarget = {
    guard let t = FuzzTarget(rawValue: ProcessInfo.processInfo.environment["LOGDASH_FUZZ_TARGET"] ?? "") else {
        FileHandle.standardError.write(Data("LOGDASH_FUZZ_TARGET must be one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return t
}()

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selectedTarget.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@main
struct Fuzz {
    static func main() {
        _ = selectedTarget
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
    }
}
#else
/// Without libFuzzer: `logdash-fuzz TARGET FILE-OR-DIRECTORY…` runs every input through the
/// target once (a corpus as a regression test, or a crash found by the fuzzer, under a debugger).
@main
struct Replay {
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        guard let name = args.first, let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("usage: logdash-fuzz TARGET FILE-OR-DIRECTORY… (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))\n".utf8))
            exit(2)
        }
        var count = 0
        for path in args.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("logdash-fuzz: \(path): no such file or directory\n".utf8))
                exit(1)
            }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                target.run(Array(data))
                count += 1
            }
        }
        print("\(target.rawValue): \(count) inputs ran")
    }
}
#endif
