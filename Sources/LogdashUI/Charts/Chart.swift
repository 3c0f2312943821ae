import LogdashEngine

/// A rectangle of the screen, in cells.
public struct Rect: Sendable, Equatable {
    public var x: Int, y: Int, width: Int, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

    /// The rectangle less `n` cells on every side.
    public func inset(_ n: Int) -> Rect { Rect(x: x + n, y: y + n, width: width - 2 * n, height: height - 2 * n) }
}

/// One line of values over the chart's x positions; nil is a gap (NULL, NaN or no data).
public struct Series: Sendable, Equatable {
    public var name: String
    public var values: [Double?]

    public init(name: String, values: [Double?]) {
        self.name = name
        self.values = values.map { v in v.flatMap { $0.isFinite ? $0 : nil } }
    }
}

/// A labelled value (a bar of a top-N list, a slice of a 100 % bar).
public struct Bar: Sendable, Equatable {
    public var label: String
    public var value: Double

    public init(_ label: String, _ value: Double) {
        self.label = label
        self.value = value
    }
}

/// What a chart shows, independent of how big it is drawn.
public enum Chart: Sendable, Equatable {
    /// Series over time (`times` in ns, one per x position), drawn as lines (or filled areas).
    case line(times: [Int64], series: [Series], unit: Ticks.Unit, area: Bool)
    /// Vertical bars over time, the series stacked.
    case bars(times: [Int64], series: [Series], unit: Ticks.Unit)
    /// Horizontal bars, longest first as given: top-N lists.
    case hbars([Bar], unit: Ticks.Unit)
    /// One big number, its change against the previous period, and a sparkline.
    case kpi(value: Double?, previous: Double?, history: [Double?], unit: Ticks.Unit)
    /// Shares of a whole as one 100 % bar with a legend (instead of a pie).
    case proportion([Bar])
    /// A histogram: counts of values in automatic bins.
    case histogram(values: [Double], unit: Ticks.Unit)
    /// Time × category intensity: `cells[row][column]`, rows named by `rows`.
    case heatmap(times: [Int64], rows: [String], cells: [[Double]])
    /// One value against a full scale (0 … `max`): a filled bar with the share.
    case gauge(value: Double?, max: Double, unit: Ticks.Unit)
    /// Category × category: rows by the first, columns by the second, as numbers (a pivot
    /// table) or shades (a heat map).
    case matrix(rows: [String], columns: [String], cells: [[Double?]], heat: Bool)
    /// Anything else: the rows as a table.
    case table(ResultSet)

    public var kindName: String {
        switch self {
        case .line(_, _, _, let area): area ? "area" : "line"
        case .bars: "bars"
        case .hbars: "hbars"
        case .kpi: "kpi"
        case .proportion: "proportion"
        case .histogram: "histogram"
        case .heatmap, .matrix(_, _, _, true): "heatmap"
        case .gauge: "gauge"
        case .matrix: "pivot"
        case .table: "table"
        }
    }
}

/// Glyphs for charts: Unicode (braille dots, eighth blocks, shades) or plain ASCII.
public struct ChartGlyphs: Sendable, Equatable {
    public var ascii: Bool
    /// No colours to tell series apart (`--no-color`, the monochrome theme): each series of a
    /// stacked bar or a 100 % bar has a fill of its own (`█▓▒░`), and the legend says which.
    public var fills = false
    /// The zone of time labels.
    public var zone = ShownZone.utc

    public init(ascii: Bool, fills: Bool = false, zone: ShownZone = .utc) {
        self.ascii = ascii
        self.fills = fills
        self.zone = zone
    }

    public static let unicode = ChartGlyphs(ascii: false)
    public static let plain = ChartGlyphs(ascii: true)

    /// Series `k`'s fill: full blocks with colours, its own shade without.
    func fill(_ k: Int) -> String {
        guard fills else { return full }
        return (ascii ? ["#", "%", "=", ":"] : ["█", "▓", "▒", "░"])[k % 4]
    }

    /// Series `k`'s mark in a legend.
    func mark(_ k: Int) -> String { fills ? fill(k) : (ascii ? "#" : "■") }

    /// Partial blocks from one eighth to full, rising (vertical bars).
    var rising: [String] { ascii ? [".", ".", "_", "_", "=", "=", "#", "#"] : ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] }
    /// Partial blocks from one eighth to full, left to right (horizontal bars).
    var widening: [String] { ascii ? ["-", "-", "=", "=", "=", "#", "#", "#"] : ["▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"] }
    /// Light to dark, for heat maps.
    var shades: [String] { ascii ? [" ", ".", ":", "o", "#"] : [" ", "░", "▒", "▓", "█"] }
    var full: String { ascii ? "#" : "█" }
    var vertical: String { ascii ? "|" : "│" }
    var horizontal: String { ascii ? "-" : "─" }
    var corner: String { ascii ? "+" : "└" }
    var up: String { ascii ? "^" : "▲" }
    var down: String { ascii ? "v" : "▼" }
}
