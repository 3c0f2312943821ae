import Foundation
import LogdashEngine

/// The query pane (`q`, `;` or `:sql`): a SQL editor over a results table or chart. A query
/// runs in the background (the program's); the pane shows its progress, then its rows or the
/// engine's error with the spot marked in the editor.
public struct QueryPane: Sendable, Equatable {
    public var editor = SQLEditor()
    /// Where keys go: the editor, or the results (arrows scroll, `s` sorts, `c` charts …).
    public var focus: Focus = .editor
    public enum Focus: Sendable, Equatable { case editor, results }

    /// The query running, since when (the status clock), and the rows its scan has read.
    public var running: Running?
    public struct Running: Sendable, Equatable {
        public var sql: String
        public var since: Date
        public var rowsScanned = 0
        public init(sql: String, since: Date) {
            self.sql = sql
            self.since = since
        }
    }

    /// The last run's rows, or its error (the message and the byte offset it points at).
    public var result: ResultSet?
    public var failure: Failure?
    public struct Failure: Sendable, Equatable {
        public var message: String
        public var position: Int?
        public var sql: String
        public init(message: String, position: Int?, sql: String) {
            self.message = message
            self.position = position
            self.sql = sql
        }
    }
    /// A streaming query (a window in its GROUP BY) runs live: its windows closed so far and
    /// open now (their rows last, partial), as of its latest step.
    public var live: Live?
    public struct Live: Sendable, Equatable {
        public var closedWindows: Int
        public var openWindows: Int
        public init(closedWindows: Int, openWindows: Int) {
            self.closedWindows = closedWindows
            self.openWindows = openWindows
        }
    }
    /// The SQL the shown result came from (what `p` pins and `a` would watch).
    public var resultSQL: String?
    public var elapsed: Double?

    /// The results' first row shown, the column picked (←/→), and the sort (`s`).
    public var top = 0
    public var column = 0
    public var sort: (column: Int, descending: Bool)? {
        get { sortColumn.map { ($0, sortDescending) } }
        set { sortColumn = newValue?.column; sortDescending = newValue?.descending ?? false }
    }
    private var sortColumn: Int?
    private var sortDescending = false
    /// The result drawn as a chart (`c`) rather than a table.
    public var chart = false

    /// Queries run before, oldest first (kept across runs by the program), and where ↑/↓ stand.
    public var history: [String] = []
    public var historyIndex: Int?
    /// Ctrl-R: the text searched for, and the history entry it found.
    public var search: String?
    public var searchHit: Int?
    /// Several completions for the word at the cursor (Tab): shown under the editor.
    public var candidates: [String] = []
    /// The store's columns, for completion.
    public var columns: [String] = []
    /// `a` on a result: the alarm being defined from its query, field by field.
    public var alarmForm: AlarmForm?

    public struct AlarmForm: Sendable, Equatable {
        public var draft: AlarmDraft
        public var field = Field.threshold
        /// Why the last save failed (a bad value names its key).
        public var problem: String?

        public enum Field: Int, CaseIterable, Sendable {
            case name, threshold, comparison, period, evaluationPeriods, datapointsToAlarm, treatMissingData

            var label: String {
                switch self {
                case .name: "name"
                case .threshold: "threshold"
                case .comparison: "comparison"
                case .period: "period"
                case .evaluationPeriods: "evaluation_periods"
                case .datapointsToAlarm: "datapoints_to_alarm"
                case .treatMissingData: "treat_missing_data"
                }
            }
        }

        public init(draft: AlarmDraft) { self.draft = draft }

        func text(_ f: Field) -> String {
            switch f {
            case .name: draft.name
            case .threshold: draft.threshold
            case .comparison: draft.comparison.rawValue
            case .period: draft.period
            case .evaluationPeriods: draft.evaluationPeriods
            case .datapointsToAlarm: draft.datapointsToAlarm
            case .treatMissingData: draft.treatMissingData.rawValue
            }
        }

        /// Edits the picked field: text typed or deleted, a choice stepped through (←/→, Space).
        mutating func edit(_ k: Key) {
            func cycle<T: CaseIterable & Equatable>(_ v: T, _ step: Int) -> T {
                let all = Array(T.allCases)
                return all[(all.firstIndex(of: v)! + step + all.count) % all.count]
            }
            let step = k == .left ? -1 : 1
            switch field {
            case .comparison where k == .left || k == .right || k == .char(" "):
                // The four threshold comparisons (anomaly bands need a band the form does not ask for).
                let plain: [AlarmComparison] = [.greaterThanOrEqualToThreshold, .greaterThanThreshold, .lessThanThreshold, .lessThanOrEqualToThreshold]
                let i = plain.firstIndex(of: draft.comparison) ?? 0
                draft.comparison = plain[(i + step + plain.count) % plain.count]
            case .treatMissingData where k == .left || k == .right || k == .char(" "):
                draft.treatMissingData = cycle(draft.treatMissingData, step)
            case .comparison, .treatMissingData:
                break
            default:
                var t = text(field)
                if case .char(let c) = k { t.append(c) } else if k == .backspace, !t.isEmpty { t.removeLast() } else { return }
                switch field {
                case .name: draft.name = t
                case .threshold: draft.threshold = t
                case .period: draft.period = t
                case .evaluationPeriods: draft.evaluationPeriods = t
                case .datapointsToAlarm: draft.datapointsToAlarm = t
                default: break
                }
            }
        }
    }

    public init() {}

    /// The rows as shown: sorted when a column was picked with `s` (stable, NULLs first).
    public var shownRows: [[Value]] {
        guard let r = result else { return [] }
        guard let c = sortColumn, c < r.columns.count else { return r.rows }
        let desc = sortDescending
        return r.rows.enumerated().sorted { a, b in
            let o = SQLVocabulary.compare(a.element[c], b.element[c])
            return o != 0 ? (desc ? o > 0 : o < 0) : a.offset < b.offset
        }.map(\.element)
    }

    /// Completions of `word` (case-insensitive prefix): tables, then columns, functions, keywords.
    public func completions(of word: String) -> [String] {
        let w = word.lowercased()
        guard !w.isEmpty else { return [] }
        var seen: Set<String> = []
        var out: [String] = []
        for c in SQLVocabulary.tables + columns + SQLVocabulary.functions + SQLVocabulary.keywords
        where c.lowercased().hasPrefix(w) && c.lowercased() != w && seen.insert(c.lowercased()).inserted {
            out.append(c)
        }
        return out
    }
}

/// Keys of the open query pane. Enter runs the editor's query (Ctrl-J: a new line), Esc goes
/// from the editor to the results and from the results closes the pane.
func queryKey(_ s: inout AppState, _ k: Key) -> [Effect] {
    var p = s.query
    defer { s.query = p }
    // Ctrl-R: search the history, newest first; again for the next older match.
    if p.search != nil {
        switch k {
        case .char(let c):
            p.search!.append(c)
            p.searchHit = findHistory(p, p.search!, before: p.history.count)
        case .backspace:
            if !p.search!.isEmpty { p.search!.removeLast() }
            p.searchHit = findHistory(p, p.search!, before: p.history.count)
        case .ctrl("r"):
            p.searchHit = findHistory(p, p.search!, before: p.searchHit ?? p.history.count) ?? p.searchHit
        case .escape, .ctrl("g"):
            p.search = nil
            p.searchHit = nil
        default:
            // Any other key takes the match into the editor (Enter also runs it).
            if let hit = p.searchHit { p.editor.set(p.history[hit]) }
            p.search = nil
            p.searchHit = nil
            if k == .enter { return run(&p) }
        }
        return []
    }
    if k == .ctrl("r") {
        p.search = ""
        p.searchHit = nil
        p.focus = .editor
        return []
    }
    if p.alarmForm != nil { return alarmFormKey(&p, k) }
    if p.focus == .results, p.result != nil { return resultsKey(&s, &p, k) }
    p.candidates = []
    switch k {
    case .enter:
        return run(&p)
    case .escape:
        if p.result != nil {
            p.focus = .results
            return []
        }
        return closeQuery(&s)
    case .tab:
        let word = p.editor.wordBeforeCursor
        let found = p.completions(of: word)
        if found.count == 1 {
            p.editor.complete(found[0] + (SQLVocabulary.functions.contains(found[0]) ? "(" : ""))
        } else if found.count > 1 {
            // The longest prefix they share, and the list under the editor.
            var common = found[0].lowercased()
            for f in found.dropFirst() { while !f.lowercased().hasPrefix(common) { common.removeLast() } }
            if common.count > word.count { p.editor.complete(word + common.dropFirst(word.count)) }
            p.candidates = found
        }
        return []
    case .up:
        if p.editor.moveLine(-1) { return [] }
        guard !p.history.isEmpty else { return [] }
        let i = max(0, (p.historyIndex ?? p.history.count) - 1)
        p.historyIndex = i
        p.editor.set(p.history[i])
        return []
    case .down:
        if p.editor.moveLine(1) { return [] }
        guard let i = p.historyIndex else { return [] }
        if i + 1 < p.history.count {
            p.historyIndex = i + 1
            p.editor.set(p.history[i + 1])
        } else {
            p.historyIndex = nil
            p.editor.set("")
        }
        return []
    default:
        _ = p.editor.apply(k)
        return []
    }
}

/// Closes the pane; its text, result and history stay for the next time it opens.
private func closeQuery(_ s: inout AppState) -> [Effect] {
    s.queryOpen = false
    return [.reload]
}

private func run(_ p: inout QueryPane) -> [Effect] {
    let sql = p.editor.string.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !sql.isEmpty, p.running == nil else { return [] }
    p.history.removeAll { $0 == sql }
    p.history.append(sql)
    p.historyIndex = nil
    p.candidates = []
    return [.runQuery(sql)]
}

private func findHistory(_ p: QueryPane, _ text: String, before: Int) -> Int? {
    guard !text.isEmpty else { return nil }
    return p.history[..<min(before, p.history.count)].lastIndex { $0.localizedCaseInsensitiveContains(text) }
}

/// Keys over the results: ↑/↓ PgUp/PgDn rows, ←/→ the column, `s` sort by it (again: the
/// other way), `c` chart or table, `p` pin as a pane, `e`/`E` export CSV/JSON, Enter or `i`
/// back to the editor, Esc or `q` close the pane, `Q` quit.
private func resultsKey(_ s: inout AppState, _ p: inout QueryPane, _ k: Key) -> [Effect] {
    let rows = p.result?.rows.count ?? 0
    let columns = p.result?.columns.count ?? 0
    let page = max(1, s.height - 8)
    switch k {
    case .up, .char("k"): p.top = max(0, p.top - 1)
    case .down, .char("j"): p.top = min(max(0, rows - 1), p.top + 1)
    case .pageUp: p.top = max(0, p.top - page)
    case .pageDown, .char(" "): p.top = min(max(0, rows - 1), p.top + page)
    case .home, .char("g"): p.top = 0
    case .end, .char("G"): p.top = max(0, rows - page)
    case .left, .char("h"), .right, .char("l"):
        let back = k == .left || k == .char("h")
        if p.chart, let r = p.result {
            // Over a chart: the number columns only (the value plotted), round and round.
            let numbers = ChartPicker.numberColumns(of: ResultSet(columns: r.columns, rows: p.shownRows))
            guard !numbers.isEmpty else { break }
            let at = numbers.firstIndex(of: p.column) ?? (back ? 0 : numbers.count - 1)
            p.column = numbers[(at + (back ? numbers.count - 1 : 1)) % numbers.count]
        } else {
            p.column = back ? max(0, p.column - 1) : min(max(0, columns - 1), p.column + 1)
        }
    case .char("s"):
        if let sort = p.sort, sort.column == p.column {
            p.sort = sort.descending ? nil : (p.column, true)
        } else {
            p.sort = (p.column, false)
        }
        p.top = 0
    case .char("c"):
        p.chart.toggle()
    case .char("p"):
        guard let sql = p.resultSQL else { return [] }
        return [.pin(sql)]
    case .char("e"), .char("E"):
        return [.export(csv: k == .char("e"))]
    case .char("a"):
        // An alarm on this query's value: the form starts at the largest value shown.
        guard let sql = p.resultSQL, let r = p.result else { return [] }
        do {
            let n = (1...).first { k in !s.alarms.contains { $0.name == "alarm-\(k)" } }!
            var column = 0
            var draft = try AlarmDraft.from(sql: sql, name: "alarm-\(n)", threshold: nil) { column = $0 }
            let numbers = r.rows.compactMap { row -> Double? in
                switch row[safe: column] {
                case .int(let i)?: Double(i)
                case .double(let d)?: d
                default: nil
                }
            }
            draft.threshold = numbers.max().map { Value.format($0) } ?? "0"
            p.alarmForm = .init(draft: draft)
        } catch {
            s.notice = "no alarm from this query: \(error)"
        }
    case .enter, .char("i"), .tab:
        p.focus = .editor
    case .escape, .char("q"):
        return closeQuery(&s)
    case .char("Q"):
        s.quit = true
        return [.quit]
    default:
        break
    }
    return []
}

/// The alarm form: ↑/↓ or Tab pick a field, typing edits it (←/→ step through a choice),
/// Enter saves the alarm, Esc drops it.
private func alarmFormKey(_ p: inout QueryPane, _ k: Key) -> [Effect] {
    guard var form = p.alarmForm else { return [] }
    let fields = QueryPane.AlarmForm.Field.allCases
    switch k {
    case .escape:
        p.alarmForm = nil
        return []
    case .up, .backTab:
        form.field = fields[(form.field.rawValue + fields.count - 1) % fields.count]
    case .down, .tab:
        form.field = fields[(form.field.rawValue + 1) % fields.count]
    case .enter:
        form.problem = nil
        p.alarmForm = form
        return [.saveAlarm(form.draft)]
    default:
        form.edit(k)
    }
    p.alarmForm = form
    return []
}

/// Draws the query pane over the whole screen above the status bar: the editor (keywords,
/// strings and numbers coloured; an error's spot marked), a line for progress, errors and
/// completions, then the result as a table or a chart.
public enum QueryPaneView {
    public static func render(_ p: QueryPane, into buf: inout CellBuffer, height: Int, glyphs: ChartGlyphs, now: Date = Date()) {
        let ascii = glyphs.ascii
        for y in 0..<min(height, buf.height) { buf.fill(y: y, style: Style(.text)) }
        let width = buf.width
        let lines = p.editor.lines
        let (cursorLine, cursorColumn) = p.editor.position
        let editorHeight = min(max(1, lines.count), max(1, height / 3))
        let first = max(0, min(cursorLine - editorHeight + 1, lines.count - editorHeight))
        let errorAt = p.failure.flatMap { f in f.sql == p.editor.string.trimmingCharacters(in: .whitespacesAndNewlines) ? f.position : nil }
        let roles = SQLHighlighter.roles(p.editor.string)
        var offset = 0  // characters before each line
        var lineOffsets: [Int] = []
        for l in lines { lineOffsets.append(offset); offset += l.count + 1 }
        let errorChar = errorAt.map { byteToChar(p.editor.string, $0) }
        // Leading whitespace the editor trims before running shifts the engine's offsets.
        let lead = p.editor.text.prefix { $0.isWhitespace }.count
        // Lines wider than the screen scroll sideways, together, so that the cursor (and an
        // error's spot) stays in view; `‹` and `›` say text is hidden on either side.
        let promptWidth = 5
        let room = max(1, width - promptWidth - 1)
        let cursorChars = Array(lines[safe: cursorLine] ?? "")
        let cursorX = DisplayWidth.of(VisibleText.escape(String(cursorChars.prefix(cursorColumn))))
        let shift = p.focus == .editor ? max(0, cursorX - room + 1) : 0
        for (row, li) in (first..<min(lines.count, first + editorHeight)).enumerated() {
            let prompt = li == 0 ? "sql> " : "  … "
            var x = buf.put(prompt, x: 0, y: row, style: Style(.accent, bold: true), safe: true)
            let chars = Array(lines[li])
            var skipped = 0, cursorCell: Int?
            for (ci, ch) in chars.enumerated() {
                let text = VisibleText.escape(String(ch))
                if skipped < shift {  // scrolled off to the left
                    skipped += DisplayWidth.of(text)
                    continue
                }
                if ci == cursorColumn && li == cursorLine { cursorCell = x }
                guard x + DisplayWidth.of(text) <= width - 1 else {
                    buf.put(ascii ? ">" : "›", x: width - 1, y: row, style: Style(.dim), safe: true)
                    break
                }
                let at = lineOffsets[li] + ci
                var style = Style(roles[safe: at] ?? .text)
                if let e = errorChar, at == e + lead { style = Style(.error, bold: true, reverse: true) }
                x = buf.put(text, x: x, y: row, style: style, maxX: width)
            }
            if shift > 0 && !chars.isEmpty { buf.put(ascii ? "<" : "‹", x: promptWidth - 1, y: row, style: Style(.dim), safe: true) }
            if let e = errorChar, lineOffsets[li] + chars.count == e + lead, x < width {
                buf[x, row] = Cell(text: " ", style: Style(.error, reverse: true))  // the spot is the end
            }
            if p.focus == .editor && p.search == nil && li == cursorLine {
                let cx = cursorCell ?? x
                if cx < width {
                    let under = cursorColumn < chars.count ? VisibleText.escape(String(chars[cursorColumn])) : " "
                    buf[cx, row] = Cell(text: under, style: Style(.text, reverse: true))
                }
            }
        }
        var y = editorHeight
        // The line under the editor: history search, progress, the error, or the completions.
        if let search = p.search {
            let hit = p.searchHit.map { p.history[$0].replacingOccurrences(of: "\n", with: " ") } ?? (search.isEmpty ? "" : "no match")
            let x = buf.put("(history search) '\(search)': ", x: 0, y: y, style: Style(.accent, bold: true), safe: true)
            buf.put(hit, x: x, y: y, style: Style(.text), safe: true)
        } else if let r = p.running {
            let seconds = now.timeIntervalSince(r.since)
            let spinner = ascii ? ["|", "/", "-", "\\"] : ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
            let frame = spinner[Int(seconds * 10) % spinner.count]
            buf.put("\(frame) running \(String(format: "%.1f", seconds)) s · \(grouped(r.rowsScanned)) rows scanned · Ctrl-C cancels",
                    x: 0, y: y, style: Style(.accent), safe: true)
        } else if let f = p.failure {
            var text = "error: " + f.message
            if let pos = f.position {
                let (l, c) = lineColumn(f.sql, pos)
                text += " (line \(l), column \(c))"
            }
            buf.put(text, x: 0, y: y, style: Style(.error, bold: true), safe: true)
        } else if !p.candidates.isEmpty {
            buf.put(p.candidates.joined(separator: "  "), x: 0, y: y, style: Style(.dim), safe: true)
        } else if let r = p.result {
            let sorted = p.sort.map { " · sorted by \(r.columns[safe: $0.column] ?? "?")\($0.descending ? " ↓" : " ↑")" } ?? ""
            if let l = p.live {
                buf.put("live · \(grouped(r.rows.count)) rows · \(l.closedWindows) window\(l.closedWindows == 1 ? "" : "s") closed, \(l.openWindows) open (partial, last)"
                        + sorted + " · Ctrl-C stops", x: 0, y: y, style: Style(.accent), safe: true)
            } else {
                buf.put("\(grouped(r.rows.count)) row\(r.rows.count == 1 ? "" : "s")" + (p.elapsed.map { String(format: " in %.3f s", $0) } ?? "") + sorted,
                        x: 0, y: y, style: Style(.dim), safe: true)
            }
        } else {
            buf.put("Enter runs · Ctrl-J new line · Tab completes · ↑/↓ history · Ctrl-R search · Esc closes", x: 0, y: y, style: Style(.dim), safe: true)
        }
        y += 1
        // A rule, then the result.
        let ruleGlyph = ascii ? "-" : "─"
        buf.put(String(repeating: ruleGlyph, count: width), x: 0, y: y, style: Style(p.focus == .results ? .borderFocused : .border))
        y += 1
        guard let r = p.result, y < height else { return }
        let area = Rect(x: 0, y: y, width: width, height: height - y)
        if let form = p.alarmForm {
            renderForm(form, into: &buf, area: area)
            return
        }
        if p.chart {
            do {
                // The column picked (← →), when it is a number, is the value plotted; a caption
                // says what the chart plots.
                let result = ResultSet(columns: r.columns, rows: p.shownRows)
                let numbers = ChartPicker.numberColumns(of: result)
                let value = numbers.contains(p.column) ? p.column : nil
                let chart = try ChartPicker.chart(for: result, value: value)
                var plot = area
                if let caption = ChartPicker.caption(for: result, value: value), area.height > 4 {
                    let hint = numbers.count > 1 ? "  (← → another value column)" : ""
                    buf.put(caption + hint, x: area.x, y: area.y, style: Style(.accent), maxX: area.maxX, safe: true)
                    plot = Rect(x: area.x, y: area.y + 1, width: area.width, height: area.height - 1)
                }
                ChartView.render(chart, into: &buf, area: plot, glyphs: glyphs)
            } catch {
                buf.put("no chart for this result: \(error)", x: 0, y: y, style: Style(.error), safe: true)
            }
            return
        }
        ResultTable.render(r.columns, p.shownRows, into: &buf, area: area, top: p.top, column: p.column,
                           focused: p.focus == .results, sort: p.sort, zone: glyphs.zone)
    }

    static func renderForm(_ f: QueryPane.AlarmForm, into buf: inout CellBuffer, area: Rect) {
        var y = area.y
        buf.put("A new alarm on this query's value", x: area.x, y: y, style: Style(.accent, bold: true), safe: true)
        y += 1
        let d = f.draft
        buf.put("value: \(d.value)" + (d.whereClause.map { "   where: \($0)" } ?? ""), x: area.x + 2, y: y, style: Style(.dim), maxX: area.maxX)
        y += 2
        for field in QueryPane.AlarmForm.Field.allCases where y < area.maxY {
            let picked = field == f.field
            buf.put(field.label, x: area.x + 2, y: y, style: Style(.accent, bold: picked), safe: true)
            let choice = field == .comparison || field == .treatMissingData
            let text = f.text(field) + (picked && !choice ? " " : "")
            buf.put(choice && picked ? "‹ \(text) ›" : text, x: area.x + 24, y: y, style: Style(.text, reverse: picked), maxX: area.maxX)
            y += 1
        }
        y += 1
        if let problem = f.problem, y < area.maxY {
            buf.put(problem, x: area.x, y: y, style: Style(.error, bold: true), maxX: area.maxX)
            y += 1
        }
        if y < area.maxY {
            buf.put("↑/↓ a field · type to edit (←/→ a choice) · Enter saves to the alarms file · Esc drops it",
                    x: area.x, y: y, style: Style(.dim), maxX: area.maxX, safe: true)
        }
    }

    static func grouped(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.enumerated() {
            if i > 0 && (s.count - i) % 3 == 0 && c.isNumber { out.append(",") }
            out.append(c)
        }
        return out
    }

    /// The character index of a byte offset into `s`.
    static func byteToChar(_ s: String, _ byte: Int) -> Int {
        var bytes = 0, chars = 0
        for c in s {
            if bytes >= byte { break }
            bytes += c.utf8.count
            chars += 1
        }
        return chars
    }

    static func lineColumn(_ s: String, _ byte: Int) -> (Int, Int) {
        let bytes = Array(s.utf8)
        var line = 1, start = 0
        for i in 0..<min(byte, bytes.count) where bytes[i] == 0x0A { line += 1; start = i + 1 }
        return (line, String(decoding: bytes[start..<min(byte, bytes.count)], as: UTF8.self).count + 1)
    }
}

/// A result as a table: a header, each column as wide as its widest value (up to a third of
/// the screen), numbers right-aligned, NULL shown dimmed as `NULL`, text escaped. Columns
/// scroll sideways so that the picked one is on screen.
public enum ResultTable {
    public static func render(_ columns: [String], _ rows: [[Value]], into buf: inout CellBuffer, area: Rect,
                              top: Int, column picked: Int, focused: Bool, sort: (column: Int, descending: Bool)?, zone: ShownZone = .utc) {
        guard area.width > 0, area.height > 1, !columns.isEmpty else { return }
        let visibleRows = rows.dropFirst(top).prefix(area.height - 1)
        let cap = max(8, area.width / 3)
        let texts = visibleRows.map { $0.map { cellText($0, zone: zone) } }
        var widths = columns.enumerated().map { k, name in
            min(cap, max(DisplayWidth.of(name) + (sort?.column == k ? 2 : 0), texts.map { DisplayWidth.of($0[safe: k] ?? "") }.max() ?? 0))
        }
        widths = widths.map { max(4, $0) }
        // The first column shown: far enough right that the picked one fits.
        var left = 0
        func span(_ from: Int, _ to: Int) -> Int { (from...to).reduce(0) { $0 + widths[$1] + 1 } }
        while left < picked && span(left, picked) > area.width { left += 1 }
        var x = area.x
        for k in left..<columns.count where x < area.maxX {
            let w = widths[k]
            let arrow = sort?.column == k ? (sort!.descending ? " ↓" : " ↑") : ""
            let headerStyle = Style(.accent, bold: true, reverse: focused && k == picked)
            // A column of numbers has its header on the right, over them.
            let numericColumn = visibleRows.first { ($0[safe: k] ?? .null) != .null }.map { isNumber($0[k]) } ?? false
            let header = fit(columns[k] + arrow, w)
            buf.put(header, x: x + (numericColumn ? max(0, w - DisplayWidth.of(header)) : 0), y: area.y, style: headerStyle, maxX: area.maxX)
            for (i, row) in visibleRows.enumerated() {
                let v = row[safe: k] ?? .null
                let text = fit(cellText(v, zone: zone), w)
                let numeric = isNumber(v)
                let pad = numeric ? max(0, w - DisplayWidth.of(text)) : 0
                let style: Style = v == .null ? Style(.dim) : numeric ? Style(.fieldNumber) : Style(.text)
                buf.put(text, x: x + pad, y: area.y + 1 + i, style: style, maxX: min(area.maxX, x + w))
            }
            x += w + 1
        }
    }

    static func isNumber(_ v: Value) -> Bool {
        switch v {
        case .int, .double: true
        default: false
        }
    }

    static func cellText(_ v: Value, zone: ShownZone = .utc) -> String {
        switch v {
        case .null: return "NULL"
        case .timestamp(let t): return zone.text(t)
        default: return VisibleText.escape(v.description)
        }
    }

    static func fit(_ s: String, _ w: Int) -> String {
        guard DisplayWidth.of(s) > w else { return s }
        var out = ""
        for c in s {
            if DisplayWidth.of(out) + DisplayWidth.of(c) >= w { break }
            out.append(c)
        }
        return out + "…"
    }
}

/// Colours SQL as it is typed: keywords, function names, strings, numbers, comments.
public enum SQLHighlighter {
    private static let keywords = Set(SQLVocabulary.keywords)
    private static let functions = Set(SQLVocabulary.functions)

    /// A role per character of `sql`.
    public static func roles(_ sql: String) -> [StyleRole] {
        let chars = Array(sql)
        var out = [StyleRole](repeating: .text, count: chars.count)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "'" || c == "\"" {
                var j = i + 1
                while j < chars.count && chars[j] != c { j += 1 }
                j = min(j + 1, chars.count)
                for k in i..<j { out[k] = c == "'" ? .fieldString : .fieldKey }
                i = j
            } else if c == "-", i + 1 < chars.count, chars[i + 1] == "-" {
                var j = i
                while j < chars.count && chars[j] != "\n" { out[j] = .dim; j += 1 }
                i = j
            } else if c.isNumber {
                var j = i
                while j < chars.count && (chars[j].isNumber || chars[j] == ".") { out[j] = .fieldNumber; j += 1 }
                i = j
            } else if c.isLetter || c == "_" {
                var j = i
                while j < chars.count && (chars[j].isLetter || chars[j].isNumber || chars[j] == "_") { j += 1 }
                let word = String(chars[i..<j]).lowercased()
                let role: StyleRole = keywords.contains(word) ? .accent : functions.contains(word) && j < chars.count && chars[j] == "(" ? .series2 : .text
                for k in i..<j { out[k] = role }
                i = j
            } else {
                i += 1
            }
        }
        return out
    }
}
