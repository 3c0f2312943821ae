import Foundation
import LogdashEngine

/// The zone times are shown in on screen — the tail, the charts' axes, the detail view, query
/// results, the status bar's clock: the machine's by default, UTC with `--utc` (or after `u`).
/// Only what is shown changes; times are kept, compared and exported in UTC.
public struct ShownZone: Sendable, Equatable {
    /// nil: UTC.
    public let zone: LocalZone?
    private let foundation: TimeZone?

    public static let utc = ShownZone(nil)

    public init(_ zone: LocalZone?) {
        self.zone = zone.flatMap { $0.isUTC ? nil : $0 }
        foundation = self.zone.flatMap { TimeZone(identifier: $0.identifier) }
    }

    public static func == (a: ShownZone, b: ShownZone) -> Bool { a.zone?.identifier == b.zone?.identifier }

    public var isUTC: Bool { zone == nil }

    /// The instant as a UTC clock would read the wall time here: format it as if UTC.
    public func wall(_ ns: Int64) -> Int64 {
        guard let zone else { return ns }
        let seconds = ns / Timestamp.nanosPerSecond - (ns % Timestamp.nanosPerSecond < 0 ? 1 : 0)
        return ns &+ Int64(zone.offset(atUTC: seconds)) &* Timestamp.nanosPerSecond
    }

    /// The zone's short name at an instant, for the status bar: `UTC`, `CET` where the system
    /// knows it, else the offset (`UTC+1`, `UTC-3:30`).
    public func abbreviation(at ns: Int64) -> String {
        guard zone != nil else { return "UTC" }
        let date = Date(timeIntervalSince1970: Double(ns) / 1e9)
        if let a = foundation?.abbreviation(for: date), !a.hasPrefix("GMT"), !a.hasPrefix("UTC") { return a }
        let offset = (wall(ns) - ns) / Timestamp.nanosPerSecond
        let minutes = abs(offset) % 3600 / 60
        return "UTC" + (offset < 0 ? "-" : "+") + String(abs(offset) / 3600) + (minutes == 0 ? "" : String(format: ":%02d", minutes))
    }

    /// `2026-11-27 15:00:00.250` (`fractionDigits` of a second) as the wall clock here reads it.
    public func text(_ ns: Int64, fractionDigits: Int = 3) -> String {
        String(Timestamp.iso8601(wall(ns), fractionDigits: fractionDigits).dropLast()).replacingOccurrences(of: "T", with: " ")
    }

    /// ISO 8601 with the zone's offset (`2026-11-27T15:00:00.250+01:00`), for the detail view:
    /// unambiguous whichever zone is shown.
    public func iso(_ ns: Int64) -> String {
        guard zone != nil else { return Timestamp.iso8601(ns) }
        let offset = (wall(ns) - ns) / Timestamp.nanosPerSecond
        return String(Timestamp.iso8601(wall(ns)).dropLast()) + String(format: "%@%02d:%02d", offset < 0 ? "-" : "+", abs(offset) / 3600, abs(offset) % 3600 / 60)
    }

    /// The instant a wall-clock time typed here means (`:time 14:00..15:00`).
    public func instant(fromWall ns: Int64) -> Int64 { zone?.utc(fromLocal: ns) ?? ns }
}
