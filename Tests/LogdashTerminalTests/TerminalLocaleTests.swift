import Testing
@testable import LogdashTerminal

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
        #expect(Screen.asciiGlyphs.values.allSatisfy { $0.count == 1 && $0.unicodeScalars.allSatisfy(\.isASCII) })
    }
}
