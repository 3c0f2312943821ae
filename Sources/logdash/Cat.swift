import ArgumentParser
import Foundation
import LogdashEngine

/// `logdash cat`: every record, normalised, one a line.
struct Cat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print normalised records, one a line: any format in, NDJSON (or logfmt, or text) out.",
        discussion: """
            Each record has the core columns (ts, ingest_ts, source, host, level, message) and its \
            fields; NULLs are left out. Examples:
              logdash cat access.log.gz --output ndjson
              kubectl logs api | logdash cat - --output text
            """
    )

    enum Output: String, ExpressibleByArgument, CaseIterable {
        case auto, ndjson, logfmt, text
    }

    @OptionGroup var input: InputOptions

    @Option(name: .shortAndLong, help: "ndjson, logfmt or text (auto: text on a terminal, else ndjson).")
    var output: Output = .auto

    @Flag(help: "Include the raw line in ndjson and logfmt output.")
    var raw = false

    @Argument(help: "Files, globs, '-' (stdin) or demo://.")
    var sources: [String] = []

    func run() throws {
        let (config, options) = try input.resolve()
        let specs = try input.sources(sources, config: config, liveDemo: true)
        let kind: RecordWriter.Kind = switch output {
        case .ndjson: .ndjson
        case .logfmt: .logfmt
        case .text: .text
        case .auto: isatty(1) != 0 ? .text : .ndjson
        }
        let writer = RecordWriter(kind: kind, includeRaw: raw)
        let out = OutputBuffer()
        for spec in specs {
            if let transforms = options.transforms {
                // The records as the transform stage leaves them.
                _ = try SourceLoader.run(spec, options: options, prepare: { transforms.apply(Segment($0), now: options.now()) }) { seg in
                    for row in 0..<seg.rowCount {
                        writer.write(RecordWriter.Record(seg, row: row), to: &out.bytes)
                        if out.bytes.count >= 1 << 16 { out.flush() }
                    }
                    out.flush()
                }
                continue
            }
            _ = try SourceLoader.run(spec, options: options) { batch in
                for row in 0..<batch.count {
                    writer.write(batch, row: row, to: &out.bytes)
                    if out.bytes.count >= 1 << 16 { out.flush() }
                }
                out.flush()
            }
        }
        out.flush()
    }
}

/// Buffered standard output.
final class OutputBuffer {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(1 << 17) }

    func flush() {
        guard !bytes.isEmpty else { return }
        var off = 0
        bytes.withUnsafeBytes { p in
            while off < p.count {
                let n = Glibc.write(1, p.baseAddress! + off, p.count - off)
                if n < 0 { if errno == EINTR { continue }; exit(errno == EPIPE ? 0 : 1) }
                off += n
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }
}
