import Foundation

/// A child process started with posix_spawn, with a clean signal mask and default handlers:
/// test threads block signals, and a child that inherits that mask can never be stopped by
/// SIGTERM (a tmux server, `logdash ingest`). Reaped by pid, not through Foundation's
/// `Process`, whose `waitUntilExit` waits forever on children that pass descriptors on.
struct Spawned {
    let pid: pid_t

    struct SpawnError: Error, CustomStringConvertible { let description: String }

    /// Starts `program` (looked up on PATH) with stdin from /dev/null and stdout and stderr to
    /// the given files (/dev/null when nil).
    init(_ program: String, _ args: [String], stdout: String? = nil, stderr: String? = nil,
         environment: [String: String]? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var cargs: [UnsafeMutablePointer<CChar>?] = ([program] + args).map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        var cenv: [UnsafeMutablePointer<CChar>?] = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] } ?? []
        defer { cenv.forEach { free($0) } }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = environment == nil ? posix_spawnp(&pid, program, &actions, &attr, &cargs, environ)
            : posix_spawnp(&pid, program, &actions, &attr, &cargs, &cenv)
        guard rc == 0 else { throw SpawnError(description: "cannot run \(program): \(String(cString: strerror(rc)))") }
        self.pid = pid
    }

    func signal(_ sig: Int32) { kill(pid, sig) }

    /// Waits for the child to end; its exit status, or 128 + the signal that ended it.
    @discardableResult
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}
