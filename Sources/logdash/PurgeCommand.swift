import ArgumentParser
import Foundation
import LogdashEngine

/// `logdash purge`: erasure in a store on disk.
struct PurgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Erase records from a store on disk: delete those a condition picks, or mask them again with today's mask steps.",
        discussion: """
            Rewrites each segment file that holds an affected record (a new file, forced to disk, \
            renamed into place): the values are gone from the disk. The write-ahead log is sealed \
            first. A store being written by 'logdash ingest' is in use: stop it first; \
            'logdash query --store' may read beside. Examples:
              logdash purge --store /var/lib/logdash --where "user = 'u80234'"
              logdash purge --store /var/lib/logdash --mask --transform mask.yaml
              logdash purge --store /var/lib/logdash --mask --where "ts < TIMESTAMP '2026-12-01'"
            """
    )

    @OptionGroup var input: InputOptions

    @Option(help: ArgumentHelp("The store's directory.", valueName: "dir"))
    var store: String

    @Option(name: .customLong("where"), help: ArgumentHelp("A SQL condition: the records it is true for are deleted (with --mask: masked).", valueName: "expr"))
    var condition: String?

    @Flag(help: "Run the mask steps of the transforms (the config's, or --transform FILE's) over the stored records instead of deleting.")
    var mask = false

    func validate() throws {
        if condition == nil && !mask { throw ValidationError("say what to erase: --where EXPR (delete those records) or --mask (mask them again)") }
    }

    func run() throws {
        let (_, options) = try input.resolve()
        var picked: Expr?
        if let condition {
            do { picked = try TransformChain.expression(condition) } catch let e as QueryError {
                throw ValidationError("--where '\(condition)': \(e.message)")
            }
        }
        var chain: TransformChain?
        if mask {
            guard let c = options.transforms, c.steps.contains(where: { if case .mask = $0.action { true } else { false } }) else {
                throw ValidationError("--mask needs mask steps: 'transforms:' in the config, or --transform FILE")
            }
            chain = c
        }
        guard FileManager.default.fileExists(atPath: store) else { throw ValidationError("--store '\(store)': no such directory") }
        let say: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(("logdash: " + $0 + "\n").utf8)) }
        let durable = try DurableStore(directory: store, report: say)
        if let picked, let condition {
            // A field no stored record has is a typo, not a condition that picks nothing.
            if let problem = TransformChain.unknownColumn(in: picked, columns: durable.store.snapshot().schema.map(\.name)) {
                try durable.close()
                throw ValidationError("--where '\(condition)': " + problem)
            }
        }
        let result: PurgeResult
        do {
            result = try durable.purge(deleting: mask ? nil : picked, masking: chain, only: mask ? picked : nil, now: options.now())
        } catch let e as PurgeError {
            try durable.close()
            throw ValidationError("\(e); nothing was changed")
        }
        try durable.close()
        print("purge: \(result.deleted) record\(result.deleted == 1 ? "" : "s") deleted, \(result.masked) masked; "
              + "\(result.filesRewritten) of \(result.files) segment file\(result.files == 1 ? "" : "s") rewritten")
        if !result.setAside.isEmpty {
            say("\(store)/corrupt holds \(result.setAside.count) file\(result.setAside.count == 1 ? "" : "s") set aside as damaged, which purge does not rewrite: delete them if they must not keep what was purged")
        }
    }
}
