import Testing
@testable import LogdashUI

@Suite struct VisibleTextTests {
    @Test func escapeSequencesAndControlsBecomeVisible() {
        let hostile = "\u{1B}[31mRED\u{1B}[0m \u{1B}]0;pwned\u{07} title \u{1B}[2J\r"
        let shown = VisibleText.escape(hostile)
        #expect(shown == "^[[31mRED^[[0m ^[]0;pwned^G title ^[[2J^M")
        #expect(!shown.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
    }

    @Test func c1ControlsDelAndBidiOverridesAreShown() {
        #expect(VisibleText.escape("a\u{9B}b\u{7F}c") == "a\\x9Bb^?c")
        #expect(VisibleText.escape("user\u{202E}gnp.exe") == "user<U+202E>gnp.exe")
    }

    @Test func tabsAndNewlinesAreKeptOnlyWhenAsked() {
        #expect(VisibleText.escape("a\tb\nc") == "a^Ib^Jc")
        #expect(VisibleText.escape("a\tb\nc", .init(keepTabs: true, keepNewlines: true)) == "a\tb\nc")
    }

    @Test func ordinaryTextIsUntouched() {
        for s in ["plain", "café ☕ 搜索完成 пользователь 🚀", ""] { #expect(VisibleText.escape(s) == s) }
    }

    @Test func invalidUTF8BytesAreShownOneByOne() {
        #expect(VisibleText.escape(bytes: [0x61, 0xFF, 0xFE, 0x62, 0xC3, 0x28, 0xE2, 0x82, 0xAC]) == "a\\xFF\\xFEb\\xC3(€")
        #expect(VisibleText.escape(bytes: [0xED, 0xA0, 0x80]) == "\\xED\\xA0\\x80")  // a UTF-16 surrogate
        #expect(VisibleText.escape(bytes: [0xC0, 0xAF]) == "\\xC0\\xAF")  // overlong '/'
        #expect(VisibleText.escape(bytes: [0x1B, 0x5B]) == "^[[")
    }
}
