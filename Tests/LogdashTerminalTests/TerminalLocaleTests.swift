import Foundation
import Testing
import LogdashUI
@testable import LogdashTerminal
import Scratch

@Suite struct TerminalLocaleTests {
    @Test func utf8LocaleIsChosenEvenWhenLangIsUnset() {
        // The test runner's environment may have no LANG at all (as in CI): configure must
        // still end up with UTF-8 through the C.UTF-8 fallback.
        #expect(TerminalLocale.configure() == .utf8)
        #expect(TerminalLocale.isUTF8(TerminalLocale.currentCodeset()))
    }

    @Test func asciiCanBeForced() {
        #expect(TerminalLocale.configure(forceASCII: true) == .ascii)
    }

    @Test func codesetNamesAreComparedLoosely() {
        #expect(TerminalLocale.isUTF8("UTF-8"))
        #expect(TerminalLocale.isUTF8("utf8"))
        #expect(!TerminalLocale.isUTF8("ANSI_X3.4-1968"))
    }
}

@Suite struct ASCIIGlyphTests {
    @Test func theInterfacesGlyphsBecomeTheirNearestASCIIAndOtherTextAQuestionMark() {
        #expect(Screen.ascii("│") == "|")
        #expect(Screen.ascii("─") == "-")
        #expect(Screen.ascii("›") == ">")
        #expect(Screen.ascii("…") == "~")
        #expect(Screen.ascii("a") == "a")
        #expect(Screen.ascii("é") == "?")
        #expect(Screen.ascii("") == "")
        // Every replacement is one ASCII character: the layout keeps its columns.
        #expect(ASCIIText.glyphs.values.allSatisfy { $0.count == 1 && $0.unicodeScalars.allSatisfy(\.isASCII) })
    }
}

/// The real ncurses path with no terminal: `newterm` writing to a file.
@Suite(.serialized) struct HeadlessScreenTests {
    func drawn(forceASCII: Bool) throws -> (String, TerminalLocale.Charset) {
        let out = try Scratch.directory("screen").appendingPathComponent("screen").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let screen = try Screen(headless: "xterm-256color", output: out, width: 40, height: 5, forceASCII: forceASCII)
        #expect(screen.size == (40, 5))
        var buf = CellBuffer(width: 40, height: 5)
        buf.put("hello │ world", x: 0, y: 0, style: Style(.levelError, bold: true))
        buf.put("esc \u{1B}[31m bell \u{07}", x: 0, y: 1, style: Style(.text), safe: false)
        buf.put("FOLLOW", x: 0, y: 4, style: Style(.statusBar, reverse: true))
        screen.draw(buf)
        let charset = screen.charset
        screen.close()
        return (String(decoding: try Data(contentsOf: URL(fileURLWithPath: out)), as: UTF8.self), charset)
    }

    @Test func aBufferDrawnThroughNcursesReachesTheTerminalStream() throws {
        let (text, charset) = try drawn(forceASCII: false)
        #expect(text.contains("hello"))
        #expect(text.contains(charset == .utf8 ? "│" : "|"))
        #expect(text.contains("FOLLOW"))
        #expect(!text.contains("\u{1B}[31m bell"))  // text from logs never reaches the terminal raw
        #expect(!text.contains("\u{07}"))
    }

    /// xterm mouse reports (as a terminal sends them after `--mouse` turned them on) come out of
    /// ncurses as mouse keys: a press of the left button, and the wheel. (A release comes only
    /// after its press; a press and a release read in one go come out as the release alone,
    /// which the dashboard takes as a click.)
    @Test(arguments: [
        ("\u{1B}[<0;11;4M", Key.mouse(x: 10, y: 3, .press)),
        ("\u{1B}[<64;2;2M", Key.mouse(x: 1, y: 1, .wheelUp)),
        ("\u{1B}[<65;2;3M", Key.mouse(x: 1, y: 2, .wheelDown)),
        ("\u{1B}[<0;5;5M\u{1B}[<0;5;5m", Key.mouse(x: 4, y: 4, .release)),
    ])
    func mouseReportsBecomeMouseKeys(_ report: String, _ key: Key) throws {
        let dir = try Scratch.directory("mouse")
        let out = dir.appendingPathComponent("screen").path, input = dir.appendingPathComponent("input").path
        try report.write(toFile: input, atomically: true, encoding: .utf8)
        let screen = try Screen(headless: "xterm-256color", output: out, input: input, width: 40, height: 8)
        screen.enableMouse()
        var got: Screen.Input?
        for _ in 0..<10 where got == nil {
            if let k = screen.readKey(), case .key = k { got = k }  // (newterm's size arrives as a resize first)
        }
        screen.close()
        #expect(got == .key(key))
    }

    @Test func asciiModeSendsOnlyASCII() throws {
        let (text, charset) = try drawn(forceASCII: true)
        #expect(charset == .ascii)
        #expect(text.contains("hello | world"))
        let allASCII = text.unicodeScalars.allSatisfy { $0.isASCII }
        #expect(allASCII)
    }
}
