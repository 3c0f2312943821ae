@testable import LogdashEngine

/// A store holding `text`'s records, parsed as the format detection picks (one segment).
func parsedStore(_ text: String) throws -> Store {
    let store = Store()
    let bytes = Array(text.utf8)
    let options = ParseOptions()
    let d = try bytes.withUnsafeBufferPointer { try SourceParser.detect($0, options: options, arrival: 0) }
    var batch = RecordBatch(source: "t")
    _ = bytes.withUnsafeBufferPointer { SourceParser(options: options, detection: d).parse($0, arrival: 0, final: true, into: &batch) }
    store.append(batch)
    return store
}
