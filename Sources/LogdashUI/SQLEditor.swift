/// The query pane's multi-line editor: the text, the cursor, undo, and a kill ring of one
/// (readline's keys: Ctrl-A/E line start and end, Ctrl-K/U kill to the line's end and start,
/// Ctrl-W the word before, Ctrl-Y yank, Ctrl-_ undo; Ctrl-←/→ jump words).
public struct SQLEditor: Sendable, Equatable {
    public private(set) var text: [Character] = []
    /// Index into `text`: the cursor stands before that character.
    public private(set) var cursor = 0
    private var undoStack: [Snapshot] = []
    /// The last killed text, for Ctrl-Y.
    public private(set) var killed = ""
    /// Whether the last edit was typing (consecutive characters undo together).
    private var typing = false

    private struct Snapshot: Sendable, Equatable {
        var text: [Character]
        var cursor: Int
    }

    public init(_ s: String = "") {
        text = Array(s)
        cursor = text.count
    }

    public var string: String { String(text) }

    /// Replaces the whole text (a query from history), the cursor at its end; undoable.
    public mutating func set(_ s: String) {
        save()
        text = Array(s)
        cursor = text.count
    }

    /// The cursor's line and column (in characters), both from 0.
    public var position: (line: Int, column: Int) {
        var line = 0, column = 0
        for c in text[..<cursor] {
            if c == "\n" { line += 1; column = 0 } else { column += 1 }
        }
        return (line, column)
    }

    public var lines: [String] { string.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    /// The word (letters, digits, `_`, `.`) that ends at the cursor, for completion.
    public var wordBeforeCursor: String {
        var i = cursor
        while i > 0 && Self.isWord(text[i - 1]) { i -= 1 }
        return String(text[i..<cursor])
    }

    /// Replaces the word before the cursor with `word` (a completion).
    public mutating func complete(_ word: String) {
        save()
        let n = wordBeforeCursor.count
        text.replaceSubrange((cursor - n)..<cursor, with: Array(word))
        cursor += word.count - n
    }

    public mutating func insert(_ s: String) {
        if !typing { save() }
        text.insert(contentsOf: Array(s), at: cursor)
        cursor += s.count
        typing = true
    }

    /// Applies an editing key; false for a key the editor does not use (the pane's).
    public mutating func apply(_ k: Key) -> Bool {
        let wasTyping = typing
        typing = false
        switch k {
        case .char(let c):
            typing = wasTyping
            insert(String(c))
        case .ctrl("j"):
            insert("\n")
        case .backspace:
            guard cursor > 0 else { return true }
            save()
            cursor -= 1
            text.remove(at: cursor)
        case .delete, .ctrl("d"):
            guard cursor < text.count else { return true }
            save()
            text.remove(at: cursor)
        case .left, .ctrl("b"):
            cursor = max(0, cursor - 1)
        case .right, .ctrl("f"):
            cursor = min(text.count, cursor + 1)
        case .wordLeft:
            while cursor > 0 && !Self.isWord(text[cursor - 1]) { cursor -= 1 }
            while cursor > 0 && Self.isWord(text[cursor - 1]) { cursor -= 1 }
        case .wordRight:
            while cursor < text.count && !Self.isWord(text[cursor]) { cursor += 1 }
            while cursor < text.count && Self.isWord(text[cursor]) { cursor += 1 }
        case .home, .ctrl("a"):
            cursor = lineStart(cursor)
        case .end, .ctrl("e"):
            cursor = lineEnd(cursor)
        case .ctrl("k"):
            // To the line's end; at the end, the line break.
            let end = lineEnd(cursor)
            kill(cursor..<(end == cursor ? min(text.count, end + 1) : end))
        case .ctrl("u"):
            let start = lineStart(cursor)
            kill(start..<cursor)
            cursor = start
        case .ctrl("w"):
            var i = cursor
            while i > 0 && text[i - 1] == " " { i -= 1 }
            while i > 0 && Self.isWord(text[i - 1]) { i -= 1 }
            if i == cursor, i > 0 { i -= 1 }  // a lone symbol
            kill(i..<cursor)
            cursor = i
        case .ctrl("y"):
            guard !killed.isEmpty else { return true }
            save()
            text.insert(contentsOf: Array(killed), at: cursor)
            cursor += killed.count
        case .ctrl("_"):
            guard let last = undoStack.popLast() else { return true }
            text = last.text
            cursor = last.cursor
        default:
            typing = wasTyping
            return false
        }
        return true
    }

    /// Moves the cursor a line up (-1) or down (1), keeping its column where the line allows;
    /// false at the first or last line.
    public mutating func moveLine(_ delta: Int) -> Bool {
        let (line, column) = position
        let all = lines
        let target = line + delta
        guard all.indices.contains(target) else { return false }
        var i = 0
        for l in all[..<target] { i += l.count + 1 }
        cursor = i + min(column, all[target].count)
        return true
    }

    private mutating func kill(_ r: Range<Int>) {
        guard !r.isEmpty else { return }
        save()
        killed = String(text[r])
        text.removeSubrange(r)
    }

    private mutating func save() {
        undoStack.append(Snapshot(text: text, cursor: cursor))
        if undoStack.count > 200 { undoStack.removeFirst() }
    }

    private func lineStart(_ i: Int) -> Int {
        var j = i
        while j > 0 && text[j - 1] != "\n" { j -= 1 }
        return j
    }

    private func lineEnd(_ i: Int) -> Int {
        var j = i
        while j < text.count && text[j] != "\n" { j += 1 }
        return j
    }

    static func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "." }
}
