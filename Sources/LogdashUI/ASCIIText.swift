/// Cell text for places that take ASCII only (a terminal whose locale is not UTF-8,
/// `--ascii`): the interface's own glyphs (rules, arrows, ellipses, blocks) as their nearest
/// ASCII character, any other character as `?`. One cell stays one cell.
public enum ASCIIText {
    public static func cell(_ s: String) -> String {
        if s.unicodeScalars.allSatisfy(\.isASCII) { return s }
        if s.isEmpty { return "" }
        return glyphs[s] ?? "?"
    }

    public static let glyphs: [String: String] = [
        "│": "|", "┃": "|", "─": "-", "━": "-", "┼": "+", "├": "+", "┤": "+", "┬": "+", "┴": "+",
        "┌": "+", "┐": "+", "└": "+", "┘": "+", "›": ">", "‹": "<", "…": "~", "·": ".", "•": "*",
        "▶": ">", "◀": "<", "▲": "^", "▼": "v", "↑": "^", "↓": "v", "←": "<", "→": ">", "█": "#",
        "▌": "|", "▐": "|", "░": ".", "▒": ":", "▓": "#", "–": "-", "—": "-", "✓": "v", "✗": "x", "■": "#", "≈": "~",
    ]
}

extension CellBuffer {
    /// The buffer with every cell's text in ASCII.
    public var asciiOnly: CellBuffer {
        var b = self
        for y in 0..<height { for x in 0..<width { b[x, y].text = ASCIIText.cell(b[x, y].text) } }
        return b
    }
}
