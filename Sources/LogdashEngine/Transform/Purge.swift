import Foundation

/// Erasure in a store on disk (`logdash purge`): records deleted, or masked again with today's
/// mask steps, by rewriting the segment files that hold them — each a new file, forced to disk
/// and renamed into place, so that the values are gone from the disk, and a reader that has the
/// old file mapped goes on reading it until it closes it.
public struct PurgeResult: Sendable, Equatable {
    public var deleted = 0
    public var masked = 0
    public var filesRewritten = 0
    public var files = 0
    /// Files recovery once set aside as damaged (`DIR/corrupt/`): not rewritten.
    public var setAside: [String] = []
}

extension DurableStore {
    /// Deletes the records `deleting` is true for, and (with `masking`) runs the chain's mask steps
    /// over the records `only` is true for (every record without it). The write-ahead log is
    /// sealed into a segment file first, so that no copy of a record stays behind in it.
    public func purge(deleting: Expr?, masking: TransformChain?, only: Expr?, now: Int64) throws -> PurgeResult {
        try sealForPurge()
        // The condition judged on every stored record first: a record it cannot judge stops the
        // purge before any file is rewritten.
        if let condition = deleting ?? only {
            for (_, name) in files() {
                let image = try MappedImage(path: path(name))
                for seg in SegmentCodec.segments(image, try SegmentCodec.footer(image, name: name), name: name, lazy: false) {
                    var t = TransformRecords(seg)
                    _ = try t.trueRows(condition, now: now)
                }
            }
        }
        var result = PurgeResult()
        let maskSteps = masking?.steps.filter { if case .mask = $0.action { true } else { false } } ?? []
        for (_, name) in files() {
            result.files += 1
            let image = try MappedImage(path: path(name))
            let footer = try SegmentCodec.footer(image, name: name)
            let segments = SegmentCodec.segments(image, footer, name: name, lazy: false)
            var changed = false
            var out: [Segment] = []
            for seg in segments {
                var t = TransformRecords(seg)
                t.dropEmptyErrorColumn = true
                if let deleting {
                    let gone = Set(try t.trueRows(deleting, now: now))
                    if !gone.isEmpty {
                        t.keep((0..<Int32(t.rows)).filter { !gone.contains($0) })
                        result.deleted += gone.count
                        changed = true
                    }
                }
                if !maskSteps.isEmpty, t.rows > 0 {
                    let picked = try only.map { Set(try t.trueRows($0, now: now)) }
                    let before = t
                    for s in maskSteps where s.applies(to: seg.source) {
                        var masked: [String: Int] = [:]
                        masking!.run(s, on: &t, now: now, masked: &masked)
                    }
                    let rows = t.restoring(before, outside: picked)
                    if rows > 0 { result.masked += rows; changed = true }
                    if Set(t.columns.keys) != Set(before.columns.keys) { changed = true }  // a field name masked
                }
                if t.rows > 0 { out.append(t.segment()) }
            }
            guard changed else { continue }
            // (A file left with no record keeps its footer: the log it covered and the files'
            // positions, so that a restart does not read purged lines again.)
            try DurableStore.writeFileSafely(path(name), try SegmentCodec.encode(DurableStore.merged(out), level: options.level,
                                                                                    walCovered: footer.walCovered, checkpoints: footer.checkpoints))
            result.filesRewritten += 1
            withExtendedLifetime(image) {}
        }
        syncDirectory()  // the renames on disk before the purge is said done
        result.setAside = setAsideFiles
        return result
    }
}

/// A purge's condition could not be judged for some records: nothing is changed.
public struct PurgeError: Error, CustomStringConvertible {
    public let description: String
}

extension TransformRecords {
    /// The rows `e` is TRUE for; a record it fails for, or a value that is no boolean, stops the
    /// purge (erasure must not guess).
    mutating func trueRows(_ e: Expr, now: Int64) throws -> [Int32] {
        let step = TransformStep(action: .keep(e), sources: [], number: 0, kind: "purge")
        var failed: [Int] = []
        let values = evaluate(e, now: now, step: step, failed: &failed)
        if let r = failed.first { throw PurgeError(description: "--where fails for a stored record: \(errors[r] ?? "")".replacingOccurrences(of: "step 0 (purge): ", with: "")) }
        var out: [Int32] = []
        for (r, v) in values.enumerated() {
            switch v {
            case .bool(true): out.append(Int32(r))
            case .bool(false), .null: break
            default: throw PurgeError(description: "--where gives \(typeName(v)), not true or false: write a condition such as \"user = 'u80234'\"")
            }
        }
        return out
    }

    /// Puts back `before`'s values in the rows outside `picked` (nil: none), after steps that
    /// changed some columns; how many rows differ from `before` now.
    mutating func restoring(_ before: TransformRecords, outside picked: Set<Int32>?) -> Int {
        var differs = [Bool](repeating: false, count: rows)
        for (name, col) in columns {
            guard let old = before.columns[name], old !== col else { continue }
            var values: [Value] = []
            values.reserveCapacity(rows)
            for r in 0..<rows {
                let new = col.value(at: r), was = old.value(at: r)
                if let picked, !picked.contains(Int32(r)) { values.append(was); continue }
                if new != was { differs[r] = true }
                values.append(new)
            }
            if picked != nil { columns[name] = ["message", "host", "raw"].contains(name) ? .texts(values.map { $0 == .null ? nil : textOf($0) }) : .of(values) }
        }
        // Renamed fields (a name that held what is masked) stay renamed.
        return differs.filter { $0 }.count
    }
}
