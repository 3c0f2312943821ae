/// What a cell means, not its colour: the theme turns roles into colours.
public enum StyleRole: String, Sendable, CaseIterable {
    case text, dim, accent, border, selection, statusBar = "status", error
    case levelTrace = "level.trace", levelDebug = "level.debug", levelInfo = "level.info", levelNotice = "level.notice"
    case levelWarn = "level.warn", levelError = "level.error", levelCritical = "level.critical", levelFatal = "level.fatal"
    /// Parts of a message the tail colours: `key=` names, numbers, quoted strings, IP addresses.
    case fieldKey = "field.key", fieldNumber = "field.number", fieldString = "field.string", fieldIP = "field.ip"
    /// Chart series, in order; a chart with more series than eight starts again at the first.
    case series1 = "chart.series1", series2 = "chart.series2", series3 = "chart.series3", series4 = "chart.series4"
    case series5 = "chart.series5", series6 = "chart.series6", series7 = "chart.series7", series8 = "chart.series8"
    case borderFocused = "border.focused"
    case alarmOK = "alarm.ok", alarmAlarm = "alarm.alarm", alarmInsufficient = "alarm.insufficient"

    /// The role of an alarm state's text.
    public static func alarm(_ s: AlarmState) -> StyleRole {
        switch s {
        case .ok: .alarmOK
        case .alarm: .alarmAlarm
        case .insufficientData: .alarmInsufficient
        }
    }

    /// The role of series `i` (0-based).
    public static func series(_ i: Int) -> StyleRole {
        [.series1, .series2, .series3, .series4, .series5, .series6, .series7, .series8][((i % 8) + 8) % 8]
    }

    /// The roles of a chart's series, by their names: a level's name (`error`, `WARN` …) its
    /// level's colour, as the tail shows it; any other name a colour chosen by the name itself
    /// (a hash, the same from run to run and whatever the series' rank), the next free one
    /// when two names would share it.
    public static func series(named names: [String]) -> [StyleRole] {
        var out = [StyleRole?](repeating: nil, count: names.count)
        for (k, name) in names.enumerated() where name.count >= 3 {
            if let l = Level(name) { out[k] = .level(l) }
        }
        var taken = Set<Int>()
        // In the names' order, not the series': the same names get the same colours.
        for k in names.indices.sorted(by: { names[$0] < names[$1] }) where out[k] == nil {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
            for b in names[k].utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
            var slot = Int(hash % 8)
            for _ in 0..<8 where taken.contains(slot) { slot = (slot + 1) % 8 }
            taken.insert(slot)
            out[k] = series(slot)
        }
        return out.map { $0! }
    }

    /// The role of a level's text.
    public static func level(_ l: Level?) -> StyleRole {
        switch l {
        case .trace?: .levelTrace
        case .debug?: .levelDebug
        case .info?: .levelInfo
        case .notice?: .levelNotice
        case .warn?: .levelWarn
        case .error?: .levelError
        case .critical?: .levelCritical
        case .fatal?: .levelFatal
        case nil: .dim
        }
    }
}

public struct Style: Sendable, Equatable {
    public var role: StyleRole
    public var bold: Bool
    public var reverse: Bool
    /// The cell's background in another role's colour (the part of a stacked bar above a
    /// boundary inside the cell); nil: the terminal's own.
    public var background: StyleRole?

    public init(_ role: StyleRole, bold: Bool = false, reverse: Bool = false) {
        self.role = role
        self.bold = bold
        self.reverse = reverse
    }
}

/// One screen cell: a grapheme and its style. A wide character takes two cells; the second
/// holds an empty string.
public struct Cell: Sendable, Equatable {
    public var text: String
    public var style: Style

    public static let blank = Cell(text: " ", style: Style(.text))
}

/// A grid of cells that widgets draw into; the terminal backend puts it on the screen. Tests
/// compare its text lines (and styles) without a terminal.
public struct CellBuffer: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// Writes text from (x, y), clipped at `maxX` (default: the right edge); returns the
    /// column after the last cell written. Text from logs is made terminal-safe first.
    @discardableResult
    public mutating func put(_ s: String, x: Int, y: Int, style: Style, maxX: Int? = nil, safe: Bool = false) -> Int {
        guard y >= 0, y < height else { return x }
        let limit = min(maxX ?? width, width)
        var col = x
        for ch in (safe ? s : VisibleText.escape(s)) {
            let w = DisplayWidth.of(ch)
            if w == 0 { continue }
            if col + w > limit { break }
            if col >= 0 {
                self[col, y] = Cell(text: String(ch), style: style)
                if w == 2 { self[col + 1, y] = Cell(text: "", style: style) }
            }
            col += w
        }
        return col
    }

    /// Fills a row segment with a style (a status bar's background).
    public mutating func fill(y: Int, from x0: Int = 0, to x1: Int? = nil, style: Style) {
        guard y >= 0, y < height else { return }
        for x in max(0, x0)..<min(x1 ?? width, width) { self[x, y] = Cell(text: " ", style: style) }
    }

    /// The buffer's text, one string a row, trailing spaces kept.
    public var lines: [String] {
        (0..<height).map { y in (0..<width).map { self[$0, y].text }.joined() }
    }
}

/// How many terminal columns a character takes: 2 for East Asian wide and emoji, 0 for
/// combining marks and zero-width characters, 1 otherwise.
public enum DisplayWidth {
    public static func of(_ ch: Character) -> Int {
        guard let u = ch.unicodeScalars.first else { return 0 }
        let v = u.value
        if v == 0x200B || v == 0x200C || v == 0x200D || v == 0xFEFF { return 0 }
        if u.properties.generalCategory == .nonspacingMark || u.properties.generalCategory == .enclosingMark { return 0 }
        if u.properties.isEmojiPresentation || (ch.unicodeScalars.count > 1 && ch.unicodeScalars.contains { $0.value == 0xFE0F }) { return 2 }
        switch v {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
             0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }

    public static func of(_ s: String) -> Int { s.reduce(0) { $0 + of($1) } }
}

import LogdashEngine
