import Foundation
import Testing
import Scratch

/// The peer users know: where Debian's lnav recognises a built-in definition's samples with a
/// format of its own (not its catch-all `generic_log`), its times and levels equal logdash's.
@Suite struct LnavPeerTests {
    let cli = CommandLineTests()
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where the two differ for a reason, said here: lnav's choice is not logdash's bug.
    static let explained: [String: String] = [
        "glog": "a yearless time: lnav puts 27 Nov in 2025 on 6 Dec 2026, logdash in the latest year not after it",
        "haproxy": "logdash takes the request's accept time (milliseconds) over the syslog header's",
        "strace": "-tt has a time of day without a date: lnav gives it today's date, logdash keeps it as a field",
        "openstack": "lnav reads the file-name prefix of aggregated OpenStack logs as part of the time",
        "gunicorn": "a time with +0100: lnav shows it as written, logdash in UTC",
        "apache-error": "lnav joins Apache 2.4's microsecond line to the one before",
    ]

    /// Each definition's sample lines (what `samples:` holds) as a file's text.
    func samples(_ name: String) throws -> [String] {
        let yaml = try String(contentsOf: Self.root.appendingPathComponent("formats/\(name).yaml"), encoding: .utf8)
        guard let at = yaml.range(of: "\nsamples:") else { return [] }
        return yaml[at.upperBound...].split(separator: "\n").compactMap { raw -> String? in
            let l = raw.trimmingCharacters(in: .whitespaces)
            let body: Substring
            if l.hasPrefix("- line: ") { body = l.dropFirst(8) } else if l.hasPrefix("- '") || l.hasPrefix("- \"") { body = l.dropFirst(2) } else { return nil }
            if body.hasPrefix("'") { return String(body.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'") }
            if body.hasPrefix("\"") { return (try? JSONDecoder().decode(String.self, from: Data(body.utf8))) }
            return String(body)
        }
    }

    func csv(_ text: String) -> [[String]] {
        text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    @Test func whereLnavKnowsAFormatItsTimesAndLevelsAreLogdashs() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/lnav") else {
            Issue.record("lnav is not installed (.ci/run installs Debian's lnav)")
            return
        }
        let home = try Scratch.directory("lnav-home")
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("formats").path)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
        var compared: [String] = []
        for name in names where Self.explained[name] == nil {
            let lines = try samples(name)
            let file = try cli.temp("\(name).log", lines.joined(separator: "\n") + "\n")
            let lnav = try cli.logdash(["-c", "HOME='\(home.path)' lnav -n -c ';SELECT log_time, log_level, log_format FROM all_logs' -c ':write-csv-to -' '\(file)'"], shell: true)
            let peer = csv(lnav.out)
            guard !peer.isEmpty, peer.count == lines.count, let format = peer.first?[2], format != "generic_log",
                  peer.allSatisfy({ $0.count == 3 && $0[2] == format }) else { continue }
            let ours = csv(try cli.logdash(["query", "SELECT ts, level FROM logs", "-o", "csv", file]).out)
            #expect(ours.count == peer.count, "\(name)")
            for (p, o) in zip(peer, ours) {
                // lnav prints `2026-11-27 14:00:00.123`; logdash `2026-11-27T14:00:00.123Z` (or more digits).
                let t = String(o[0].replacingOccurrences(of: "T", with: " ").dropLast().prefix(23))
                #expect(t == p[0], "\(name): lnav \(p[0]), logdash \(o[0])")
                // (lnav says `unknown` for no level, and `info` for a format without levels.)
                let level = ["warning": "warn"][p[1]] ?? p[1]
                if p[1] != "unknown" {
                    #expect(o[1] == level || (o[1].isEmpty && level == "info"), "\(name): lnav level \(p[1]), logdash \(o[1])")
                }
            }
            compared.append("\(name) (\(format))")
        }
        // The formats both know: dpkg, Apache access (vhost), ALB, ELB, Envoy, uWSGI … at least these.
        #expect(compared.count >= 6, "\(compared)")
    }
}
