/// A cell buffer as text for a file or a pipe: plain lines, or with SGR colour codes from a
/// theme (`logdash render --ansi`). Trailing blanks are dropped from each line.
public enum AnsiText {
    public static func plain(_ buf: CellBuffer) -> String {
        buf.lines.map { String($0.reversed().drop { $0 == " " }.reversed()) }.joined(separator: "\n") + "\n"
    }

    public static func colored(_ buf: CellBuffer, theme: Theme) -> String {
        var out = ""
        for y in 0..<buf.height {
            // Up to the last cell that shows something.
            let end = (0..<buf.width).last { buf[$0, y].text != " " || buf[$0, y].style.reverse } ?? -1
            var current: Style?
            var x = 0
            while x <= end {
                let cell = buf[x, y]
                if cell.style != current {
                    out += sgr(cell.style, theme)
                    current = cell.style
                }
                out += cell.text
                x += 1
            }
            out += "\u{1B}[0m\n"
        }
        return out
    }

    static func sgr(_ s: Style, _ theme: Theme) -> String {
        var codes = ["0"]
        if s.bold { codes.append("1") }
        if s.reverse { codes.append("7") }
        if case .index(let n) = theme.color(s.role) { codes.append("38;5;\(n)") }
        return "\u{1B}[" + codes.joined(separator: ";") + "m"
    }
}
