import Foundation
import Synchronization

/// The zone a log's times are read in when they carry none (`Nov 27 14:00:00`,
/// `2026-11-27 14:00:00`): syslog and most servers write local wall-clock time. Offsets and
/// daylight-saving transitions come from the system's tz database (through Foundation), kept as
/// a table so that converting a time costs a binary search, not a library call per line.
public final class LocalZone: Sendable, CustomStringConvertible {
    /// The name as the user or the system gave it (`Europe/Berlin`, `UTC`, `+05:30`).
    public let identifier: String
    /// UTC seconds at which each offset starts (the first from the beginning of time), ascending.
    private let starts: [Int64]
    /// Seconds east of UTC from `starts[i]` on.
    private let offsets: [Int32]

    /// Transitions are tabled from 1900 to 2100; times outside keep the nearest offset.
    private static let tableStart: Int64 = -2_208_988_800
    private static let tableEnd: Int64 = 4_102_444_800

    /// A zone by tz name (`Europe/Berlin`, `America/New_York`, `UTC`), abbreviation (`EST`, `CET`)
    /// or fixed offset (`+05:30`, `-0800`, `UTC+2`); `local` is the machine's (`TZ`, `/etc/localtime`).
    /// nil for a name the tz database does not know.
    public convenience init?(_ name: String) {
        let text = name.trimmingCharacters(in: .whitespaces)
        if text.lowercased() == "local" {
            self.init(TimeZone.current, identifier: TimeZone.current.identifier)
            return
        }
        if let seconds = LocalZone.fixedOffset(text) {
            guard let z = TimeZone(secondsFromGMT: seconds) else { return nil }
            self.init(z, identifier: text)
            return
        }
        guard let z = TimeZone(identifier: text) ?? (text.count <= 5 ? TimeZone(abbreviation: text.uppercased()) : nil) else { return nil }
        self.init(z, identifier: text)
    }

    init(_ zone: TimeZone, identifier: String) {
        self.identifier = identifier
        var starts: [Int64] = [Int64.min]
        var offsets: [Int32] = [Int32(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(LocalZone.tableStart))))]
        var at = Date(timeIntervalSince1970: Double(LocalZone.tableStart))
        while let next = zone.nextDaylightSavingTimeTransition(after: at), next.timeIntervalSince1970 < Double(LocalZone.tableEnd) {
            let offset = Int32(zone.secondsFromGMT(for: next))
            if offset != offsets.last! {
                starts.append(Int64(next.timeIntervalSince1970.rounded()))
                offsets.append(offset)
            }
            at = next
        }
        self.starts = starts
        self.offsets = offsets
    }

    /// The tz database's areas (`Europe/Berlin`'s `Europe`).
    private static let areas: Set<String> = ["Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific", "Etc"]

    /// The zones named in logs (`Europe/Berlin` after a time), made once per name.
    private static let byName = Mutex<[String: LocalZone?]>([:])

    /// A tz name written in a log line; nil when the tz database does not know it. Names are
    /// looked up once (making a zone reads the database) and kept.
    static func named(_ bytes: ByteLine) -> LocalZone? {
        let name = String(decoding: bytes.buffer, as: UTF8.self)
        // (Only the tz database's areas are asked about: other words with a slash are no zones.)
        if let slash = name.firstIndex(of: "/"), !LocalZone.areas.contains(String(name[..<slash])) { return nil }
        if let known = byName.withLock({ $0[name] }) { return known }
        let zone = TimeZone(identifier: name).map { LocalZone($0, identifier: name) }
        byName.withLock { cache in if cache.count < 1024 { cache[name] = zone } }
        return zone
    }

    /// A zone by any name `init?(_:)` takes, made once per name and kept (for queries:
    /// `AT TIME ZONE 'Europe/Berlin'` on every row reads the database once).
    public static func cached(_ name: String) -> LocalZone? {
        if let known = queried.withLock({ $0[name] }) { return known }
        let zone = LocalZone(name)
        queried.withLock { cache in if cache.count < 1024 { cache[name] = zone } }
        return zone
    }
    private static let queried = Mutex<[String: LocalZone?]>([:])

    /// `+05:30`, `-0800`, `+02`, `UTC+2`, `GMT-03:00`: seconds east of UTC.
    static func fixedOffset(_ text: String) -> Int? {
        var t = Substring(text)
        for prefix in ["UTC", "GMT"] where t.uppercased().hasPrefix(prefix) && t.count > prefix.count { t = t.dropFirst(prefix.count) }
        guard let sign = t.first, sign == "+" || sign == "-" else { return nil }
        let digits = t.dropFirst().filter { $0 != ":" }
        guard !digits.isEmpty, digits.count <= 4, digits.allSatisfy(\.isASCII), let v = Int(digits) else { return nil }
        let (h, m) = digits.count <= 2 ? (v, 0) : (v / 100, v % 100)
        guard h <= 14, m < 60 else { return nil }
        return (sign == "-" ? -1 : 1) * (h * 3600 + m * 60)
    }

    /// The machine's zone (`TZ`, then `/etc/localtime`); nil when it is UTC, so that the common
    /// case converts nothing.
    public static func system() -> LocalZone? {
        let z = LocalZone(TimeZone.current, identifier: TimeZone.current.identifier)
        return z.isUTC ? nil : z
    }

    /// Whether the zone is UTC all year round.
    public var isUTC: Bool { offsets.allSatisfy { $0 == 0 } }

    /// Seconds east of UTC at a UTC instant.
    @inline(__always)
    public func offset(atUTC seconds: Int64) -> Int {
        if offsets.count == 1 { return Int(offsets[0]) }
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) >> 1
            if starts[mid] <= seconds { lo = mid } else { hi = mid - 1 }
        }
        return Int(offsets[lo])
    }

    /// The UTC instant of a wall-clock time in this zone, both in nanoseconds since the epoch.
    /// A time repeated when clocks go back is taken at its first (daylight) reading; one skipped
    /// when they go forward, at the offset before the change (02:30 becomes 03:30).
    @inline(__always)
    public func utc(fromLocal ns: Int64) -> Int64 {
        let local = ns / Timestamp.nanosPerSecond
        let offset: Int
        if offsets.count == 1 {
            offset = Int(offsets[0])
        } else {
            // The offsets a day either side: a wall-clock time is one of them.
            let a = self.offset(atUTC: local - 86_400), b = self.offset(atUTC: local + 86_400)
            let aFits = self.offset(atUTC: local - Int64(a)) == a
            if a == b {
                offset = aFits ? a : self.offset(atUTC: local - Int64(a))
            } else {
                let bFits = self.offset(atUTC: local - Int64(b)) == b
                offset = aFits && bFits ? max(a, b) : aFits ? a : bFits ? b : min(a, b)
            }
        }
        return ns &- Int64(offset) &* Timestamp.nanosPerSecond
    }

    public var description: String { identifier }
}
