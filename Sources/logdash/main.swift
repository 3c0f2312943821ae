import ArgumentParser
import Foundation
import LogdashEngine

// Exit codes: 0 success, 1 runtime error, 2 usage error — each failure with one line on
// stderr that says what to fix.
// A write past a file-size limit fails with EFBIG (a clear error) instead of killing us.
signal(SIGXFSZ, SIG_IGN)
FormatDefinition.prepareInBackground()
do {
    var command = try Logdash.parseAsRoot()
    try command.run()
} catch let e as ExitCode {
    exit(e.rawValue)  // the failure was reported where it happened
} catch {
    let code = Logdash.exitCode(for: error)
    if code == .success {
        // --help, --version
        print(Logdash.fullMessage(for: error))
        exit(0)
    }
    let isUsage = code == .validationFailure || error is ValidationError || error is CleanExit
    let message = isUsage ? Logdash.message(for: error) : String(describing: error)
    let line = message.split(separator: "\n").first.map(String.init) ?? message
    FileHandle.standardError.write(Data(("logdash: " + line + (isUsage ? " (see 'logdash --help')" : "") + "\n").utf8))
    exit(isUsage ? 2 : 1)
}
