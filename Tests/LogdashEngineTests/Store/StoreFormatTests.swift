import Foundation
import Scratch
import Testing
@testable import LogdashEngine

/// Stores last across versions: a store written by an earlier logdash (kept here, one per
/// store format) keeps opening with the same answers; a store of a newer format is refused
/// with a message and left as it is, never misread or set aside.
@Suite struct StoreFormatTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("fixtures")

    /// 300 records: 200 sealed in a segment file, 100 left in the write-ahead log.
    static func lines(_ range: Range<Int>) -> [String] {
        range.map { i in #"{"ts":"2026-11-27T14:\#(String(format: "%02d", i / 60)):\#(String(format: "%02d", i % 60))Z","level":"\#(["info", "warn", "error"][i % 3])","n":\#(i),"msg":"record \#(i)"}"# }
    }

    /// Writes the fixture of this logdash's format: once per new format, by hand, with
    /// `LOGDASH_WRITE_STORE_FIXTURE=1 swift test --filter StoreFormatTests`.
    static func writeFixture() throws {
        let dir = Self.fixtures.appendingPathComponent("store-format-\(SegmentCodec.formatVersion)")
        try? FileManager.default.removeItem(at: dir)
        let sealed = try store(lines: Self.lines(0..<200), at: arrival, chunk: 100).snapshot().segments
        let d = try DurableStore(directory: dir.path)
        for s in sealed { try d.commit([s]) }
        try d.close()
        let logged = try store(lines: Self.lines(200..<300), at: arrival, chunk: 100).snapshot().segments
        let again = try DurableStore(directory: dir.path)
        for s in logged { try again.commit([s]) }
        // No close: these stay in the log.
    }

    static func copy(_ format: Int) throws -> String {
        if ProcessInfo.processInfo.environment["LOGDASH_WRITE_STORE_FIXTURE"] == "1", format == SegmentCodec.formatVersion,
           !FileManager.default.fileExists(atPath: fixtures.appendingPathComponent("store-format-\(format)").path) {
            try writeFixture()
        }
        let dir = try Scratch.directory("store-format").appendingPathComponent("store")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("store-format-\(format)"), to: dir)
        return dir.path
    }

    @Test(arguments: 1...SegmentCodec.formatVersion)
    func aStoreOfAnEarlierFormatOpensWithTheSameAnswers(_ format: Int) throws {
        let dir = try Self.copy(format)
        let d = try DurableStore(directory: dir)
        #expect(d.recovered.fileRecords == 200 && d.recovered.replayedRecords == 100)
        let r = try QueryEngine(snapshot: d.store.snapshot()).execute(
            "SELECT count(*), count(DISTINCT n), sum(n), min(ts), max(ts), count_if(level = 'error') FROM logs")
        #expect(r.rows == [[.int(300), .int(300), .int(44_850), ts("2026-11-27T14:00:00Z"), ts("2026-11-27T14:04:59Z"), .int(100)]])
        #expect(try QueryEngine(snapshot: d.store.snapshot()).execute("SELECT count(*) FROM errors").rows == [[.int(0)]])
    }

    /// A newer file as a newer logdash would write it: its magic and its footer's version say
    /// so, and the footer's checksum holds.
    @Test func aSegmentFileOfANewerFormatIsRefusedAndLeftAlone() throws {
        let dir = try Self.copy(SegmentCodec.formatVersion)
        let seg = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".lds") })
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(seg)")))
        bytes[7] = UInt8(ascii: "9")  // LDSTORE9
        let trailer = bytes.count - SegmentCodec.trailerSize
        let at = bytes.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: trailer, as: UInt64.self))) }
        let len = bytes.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: trailer + 8, as: UInt32.self))) }
        var footer = String(decoding: bytes[at..<(at + len)], as: UTF8.self)
        #expect(footer.contains("\"version\":1"))
        footer = footer.replacingOccurrences(of: "\"version\":1", with: "\"version\":9")
        bytes.replaceSubrange(at..<(at + len), with: Array(footer.utf8))
        let crc = Array(footer.utf8).withUnsafeBytes { SegmentCodec.crc($0.baseAddress!, len) }
        withUnsafeBytes(of: crc.littleEndian) { bytes.replaceSubrange((trailer + 12)..<(trailer + 16), with: $0) }
        try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/\(seg)"))
        #expect(throws: StoreError.tooNew(seg, format: 9)) { _ = try DurableStore(directory: dir) }
        #expect(FileManager.default.fileExists(atPath: "\(dir)/\(seg)"), "not set aside")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/corrupt"))
    }

    /// One flipped bit in a magic number is damage, not a newer logdash: the file whose footer
    /// still says format 1 is read.
    @Test func aFlippedMagicDigitIsNotANewerFormat() throws {
        let dir = try Self.copy(SegmentCodec.formatVersion)
        let seg = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".lds") })
        var bytes = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(seg)"))
        bytes[7] = UInt8(ascii: "3")
        try bytes.write(to: URL(fileURLWithPath: "\(dir)/\(seg)"))
        let d = try DurableStore(directory: dir)
        #expect(d.store.snapshot().rowCount == 300)
    }

    @Test func aLogOfANewerFormatIsRefused() throws {
        let dir = try Self.copy(SegmentCodec.formatVersion)
        let wal = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix("wal-") && fileSize("\(dir)/\($0)") > 0 })
        var bytes = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(wal)"))
        bytes[3] = UInt8(ascii: "7")  // LDW7
        try bytes.write(to: URL(fileURLWithPath: "\(dir)/\(wal)"))
        do {
            _ = try DurableStore(directory: dir)
            Issue.record("a newer log was read")
        } catch let e as StoreError {
            #expect("\(e)".contains("was written by a newer logdash (store format 7; this one reads formats up to \(SegmentCodec.formatVersion))"))
        }
        #expect(fileSize("\(dir)/\(wal)") == bytes.count, "nothing cut")
    }
}
