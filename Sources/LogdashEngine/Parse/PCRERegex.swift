import CPCRE2

/// A compiled PCRE2 regular expression, JIT-compiled when the platform allows, matching bytes
/// (not UTF-8 code points) so that invalid UTF-8 in a log line cannot make a match fail.
/// The compiled code is immutable and shared across threads; match data is per thread.
public final class PCRERegex: @unchecked Sendable {
    private let code: OpaquePointer
    public let pattern: String
    /// Named capture groups and their group numbers, in group order.
    public let names: [(name: String, group: Int)]
    public let groupCount: Int

    public struct CompileError: Error, CustomStringConvertible {
        public let message: String
        public let offset: Int
        public var description: String { "\(message) at offset \(offset)" }
    }

    public init(_ pattern: String, caseInsensitive: Bool = false) throws {
        self.pattern = pattern
        var err: Int32 = 0
        var errOffset: Int = 0
        let options: UInt32 = caseInsensitive ? UInt32(PCRE2_CASELESS) : 0
        let compiled = pattern.withCString { p in
            p.withMemoryRebound(to: UInt8.self, capacity: pattern.utf8.count) {
                pcre2_compile_8($0, pattern.utf8.count, options, &err, &errOffset, nil)
            }
        }
        guard let compiled else {
            var buf = [UInt8](repeating: 0, count: 256)
            let n = pcre2_get_error_message_8(err, &buf, 256)
            throw CompileError(message: String(decoding: buf.prefix(Int(max(n, 0))), as: UTF8.self), offset: errOffset)
        }
        code = compiled
        _ = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))
        var count: UInt32 = 0, entrySize: UInt32 = 0, captures: UInt32 = 0
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_NAMECOUNT), &count)
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_NAMEENTRYSIZE), &entrySize)
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &captures)
        var table: UnsafePointer<UInt8>?
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_NAMETABLE), &table)
        var names: [(String, Int)] = []
        if let table {
            for k in 0..<Int(count) {
                let e = table + k * Int(entrySize)
                let group = Int(e[0]) << 8 | Int(e[1])
                names.append((String(cString: e + 2), group))
            }
        }
        self.names = names.sorted { $0.1 < $1.1 }
        groupCount = Int(captures)
    }

    deinit { pcre2_code_free_8(code) }

    /// Per-thread state for matching.
    public final class MatchData {
        let md: OpaquePointer
        init(_ code: OpaquePointer) { md = pcre2_match_data_create_from_pattern_8(code, nil) }
        deinit { pcre2_match_data_free_8(md) }
    }

    public func makeMatchData() -> MatchData { MatchData(code) }

    /// Matches `line` (anywhere, unless the pattern is anchored); on success returns the group
    /// spans as (start, end), (-1, -1) for a group that did not take part.
    public func match(_ line: ByteLine, _ data: MatchData) -> UnsafeMutablePointer<Int>? {
        let rc = pcre2_match_8(code, line.base, line.count, 0, 0, data.md, nil)
        guard rc > 0 else { return nil }
        return pcre2_get_ovector_pointer_8(data.md)
    }

    public func matches(_ line: ByteLine, _ data: MatchData) -> Bool { match(line, data) != nil }

    /// How many bytes at the start of `line` the pattern still fits, as if the line went on
    /// from there (PCRE2's partial matching): where a line the pattern does not match stops
    /// fitting it. A binary search; for `inspect`, not for parsing.
    public func fittingPrefix(_ line: ByteLine, _ data: MatchData) -> Int {
        var lo = 0, hi = line.count
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            let rc = pcre2_match_8(code, line.base, mid, 0, UInt32(PCRE2_PARTIAL_HARD), data.md, nil)
            if rc > 0 || rc == PCRE2_ERROR_PARTIAL { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// PCRE2 gave up on a value: the pattern backtracks past its match limit there (nested
    /// quantifiers such as `(x+x+)+y`). Neither a match nor a non-match.
    public struct LimitError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// `match`, but a value PCRE2 gave up on throws instead of reading as no match. `start`:
    /// where in `line` to look from — `^` and lookbehinds still see the whole line (offsets in
    /// the result are the line's).
    public func search(_ line: ByteLine, _ data: MatchData, from start: Int = 0) throws -> UnsafeMutablePointer<Int>? {
        let rc = pcre2_match_8(code, line.base, line.count, start, 0, data.md, nil)
        if rc > 0 { return pcre2_get_ovector_pointer_8(data.md) }
        if rc == PCRE2_ERROR_NOMATCH { return nil }
        var buf = [UInt8](repeating: 0, count: 256)
        let n = pcre2_get_error_message_8(rc, &buf, 256)
        throw LimitError(message: String(decoding: buf.prefix(Int(max(n, 0))), as: UTF8.self))
    }

    /// PCRE2_UNSET (~0 as size_t) as Swift sees it.
    public static let unset = -1
}

extension ParseScratch {
    /// Match data for `regex` owned by this scratch (one per thread).
    func matchData(for regex: PCRERegex) -> PCRERegex.MatchData {
        let key = ObjectIdentifier(regex)
        if let d = regexData[key] { return d }
        let d = regex.makeMatchData()
        regexData[key] = d
        return d
    }
}
