import CNcursesw

/// The character set the terminal can show. With `LANG` unset (CI, a bare tmux, many SSH
/// sessions) ncursesw renders every non-ASCII cell blank, so logdash sets the locale from the
/// environment, falls back to C.UTF-8, and otherwise draws with an ASCII glyph set.
public enum TerminalLocale {
    public enum Charset: Sendable, Equatable {
        case utf8
        case ascii
    }

    /// Sets the process's character type for ncursesw, once, and reports what the terminal can
    /// be sent. Call before `initscr`/`newterm`, and before other threads start: `setlocale`
    /// while other threads run is undefined behaviour in glibc (the tests once called it again
    /// and again while other tests ran: the likeliest cause of a crash of the test process). Only `LC_CTYPE` is set,
    /// as ncursesw needs: numbers keep their C formatting whatever `LANG` says.
    @discardableResult
    public static func configure(forceASCII: Bool = false) -> Charset {
        chosen == .utf8 && !forceASCII ? .utf8 : .ascii
    }

    private static let chosen: Charset = {
        setlocale(LC_CTYPE, "")
        if isUTF8(currentCodeset()) { return .utf8 }
        if setlocale(LC_CTYPE, "C.UTF-8") != nil, isUTF8(currentCodeset()) { return .utf8 }
        return .ascii
    }()

    public static func currentCodeset() -> String {
        guard let p = logdash_codeset() else { return "" }
        return String(cString: p)
    }

    static func isUTF8(_ codeset: String) -> Bool {
        let c = codeset.uppercased().replacingOccurrences(of: "-", with: "")
        return c == "UTF8"
    }
}

private extension String {
    func replacingOccurrences(of a: String, with b: String) -> String {
        split(separator: Character(a), omittingEmptySubsequences: false).joined(separator: b)
    }
}
