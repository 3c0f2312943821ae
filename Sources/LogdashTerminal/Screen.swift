import CNcursesw
import Foundation
import LogdashUI

/// Set from a signal handler (SIGTERM, SIGHUP); the UI loop polls it and leaves cleanly.
nonisolated(unsafe) private var terminationRequested: sig_atomic_t = 0

/// The terminal, through ncursesw: draws cell buffers and reads keys. The only code that calls
/// ncurses; use it from one thread. `close()` (also on SIGTERM, via `shouldExit`) restores the
/// terminal.
public final class Screen: Terminal {
    public typealias Input = TerminalInput

    public let charset: TerminalLocale.Charset
    private let window: OpaquePointer
    private let colors: Bool
    private var closed = false
    private var pairs: [StyleRole: Int16] = [:]
    private var last: CellBuffer?

    /// Takes over the terminal. `noColor` (or `NO_COLOR` in the environment) draws without colour.
    /// When standard input is not the terminal (logs piped in: `cmd | logdash`), keys are read
    /// from `/dev/tty`, as `less` and lnav do.
    public init(forceASCII: Bool = false, noColor: Bool = false, theme: Theme = Theme.builtin[0]) throws {
        charset = TerminalLocale.configure(forceASCII: forceASCII)
        guard isatty(1) != 0 else { throw TerminalError.noTerminal }
        let w: UnsafeMutablePointer<WINDOW>
        if isatty(0) != 0 {
            guard let s = initscr() else { throw TerminalError.noTerminal }
            w = s
        } else {
            // Drawn on standard output, keys from the controlling terminal.
            guard let keys = fopen("/dev/tty", "r") else { throw TerminalError.noKeyboard }
            guard let out = fdopen(dup(1), "w") else { fclose(keys); throw TerminalError.noTerminal }
            guard let sp = newterm(nil, out, keys), let s = logdash_stdscr() else {
                fclose(keys); fclose(out)
                throw TerminalError.noTerminal
            }
            screenPointer = sp
            files = (out, keys)
            w = s
        }
        window = OpaquePointer(w)
        colors = Screen.setUp(w, noColor: noColor)
        apply(theme)
        signal(SIGTERM) { _ in terminationRequested = 1 }
        signal(SIGHUP) { _ in terminationRequested = 1 }
    }

    /// A screen on no terminal at all (`newterm`): draws to `output` as terminal `term` of the
    /// given size, reads keys from `input` (default: none). For tests of the real ncurses path.
    public init(headless term: String, output: String, input: String = "/dev/null", width: Int, height: Int, forceASCII: Bool = false,
                theme: Theme = Theme.builtin[0]) throws {
        charset = TerminalLocale.configure(forceASCII: forceASCII)
        guard let out = fopen(output, "w"), let inp = fopen(input, "r") else { throw TerminalError.noTerminal }
        guard let sp = newterm(term, out, inp), let w = logdash_stdscr() else {
            fclose(out); fclose(inp)
            throw TerminalError.noTerminal
        }
        files = (out, inp)
        screenPointer = sp
        resizeterm(Int32(height), Int32(width))
        window = OpaquePointer(w)
        colors = Screen.setUp(w, noColor: false)
        apply(theme)
    }

    /// The input modes every screen uses; whether it draws in colour.
    private static func setUp(_ w: UnsafeMutablePointer<WINDOW>, noColor: Bool) -> Bool {
        raw()
        noecho()
        nonl()
        keypad(w, true)
        // A scrolling tail is the usual picture: let ncurses scroll the terminal instead of
        // repainting every line (fewer bytes over a slow SSH link).
        idlok(w, true)
        curs_set(0)
        wtimeout(w, 100)
        // A lone Esc (drop a filter, close a bar) acts after 25 ms, not ncurses' default second
        // of waiting for the rest of an escape sequence (what vim and tmux use too).
        set_escdelay(25)
        let wantColor = !noColor && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        let colors = wantColor && has_colors()
        if colors {
            start_color()
            use_default_colors()
        }
        return colors
    }

    private var screenPointer: OpaquePointer?
    private var files: (UnsafeMutablePointer<FILE>, UnsafeMutablePointer<FILE>)?

    deinit { close() }

    public var asciiOnly: Bool { charset == .ascii }
    public var hasColor: Bool { colors }

    /// Whether a signal asked the program to stop.
    public var shouldExit: Bool { terminationRequested != 0 }

    public var size: (width: Int, height: Int) {
        let w = UnsafeMutablePointer<WINDOW>(window)
        return (Int(getmaxx(w)), Int(getmaxy(w)))
    }

    /// Colours each role as the theme says; a 256-colour index falls back to the basic eight
    /// on terminals with fewer colours. Takes effect at the next draw.
    public func apply(_ theme: Theme) {
        last = nil
        self.theme = theme
        combinations = [:]
        guard colors else { return }
        let available = Int(logdash_colors())
        for (i, role) in StyleRole.allCases.enumerated() {
            let pair = Int16(i + 1)
            var fg: Int16 = -1
            if case .index(let n) = theme.color(role) { fg = Int16(n < available ? n : n % 8) }
            init_pair(pair, fg, -1)
            pairs[role] = pair
        }
    }

    /// Puts a buffer on the screen; ncurses sends only what changed.
    public func draw(_ buf: CellBuffer) {
        guard !closed, buf != last else { return }
        let w = UnsafeMutablePointer<WINDOW>(window)
        for y in 0..<buf.height {
            var x = 0
            while x < buf.width {
                // Runs of cells with one style go out in one call.
                let style = buf[x, y].style
                var text = ""
                var end = x
                while end < buf.width, buf[end, y].style == style {
                    text += charset == .ascii ? Screen.ascii(buf[end, y].text) : buf[end, y].text
                    end += 1
                }
                var attrs: attr_t = 0
                if style.bold || style.role == .levelFatal { attrs |= logdash_a_bold() }
                if style.reverse { attrs |= logdash_a_reverse() }
                if style.role == .dim || style.role == .levelTrace { attrs |= logdash_a_dim() }
                wattr_set(w, attrs, colors ? (style.background.map { pair(style.role, on: $0) } ?? pairs[style.role] ?? 0) : 0, nil)
                _ = mvwaddstr(w, Int32(y), Int32(x), text)
                x = end
            }
        }
        wattr_set(w, 0, 0, nil)
        wrefresh(w)
        last = buf
    }

    /// The theme in force, and the colour pairs of a role on another's colour, made as needed.
    private var theme = Theme.builtin[0]
    private var combinations: [String: Int16] = [:]

    private func pair(_ role: StyleRole, on background: StyleRole) -> Int16 {
        let key = role.rawValue + "\u{0}" + background.rawValue
        if let p = combinations[key] { return p }
        let available = Int(logdash_colors())
        func index(_ r: StyleRole) -> Int16 {
            if case .index(let n) = theme.color(r) { return Int16(n < available ? n : n % 8) }
            return -1
        }
        let p = Int16(StyleRole.allCases.count + 1 + combinations.count)
        guard Int(p) < Int(logdash_color_pairs()) else { return pairs[role] ?? 0 }
        init_pair(p, index(role), index(background))
        combinations[key] = p
        return p
    }

    /// A cell's text for a terminal that cannot show UTF-8 (see `ASCIIText`).
    static func ascii(_ s: String) -> String { ASCIIText.cell(s) }

    /// The key codes of Ctrl-← and Ctrl-→ (xterm's sequences, as tmux sends them too): the
    /// terminfo's (kLFT5, kRIT5), or codes of our own taught to ncurses.
    private lazy var wordKeys: (left: Int32, right: Int32) = {
        func code(_ sequence: String, _ spare: Int32) -> Int32 {
            let known = key_defined(sequence)
            if known > 0 { return known }
            define_key(sequence, spare)
            return spare
        }
        return (code("\u{1b}[1;5D", KEY_MAX + 1), code("\u{1b}[1;5C", KEY_MAX + 2))
    }()

    /// Waits up to 100 ms for input.
    public func readKey() -> Input? {
        let w = UnsafeMutablePointer<WINDOW>(window)
        var ch: wint_t = 0
        let rc = wget_wch(w, &ch)
        if rc == ERR { return nil }
        if rc == KEY_CODE_YES {
            switch Int32(ch) {
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_LEFT: return .key(.left)
            case KEY_RIGHT: return .key(.right)
            case KEY_PPAGE: return .key(.pageUp)
            case KEY_NPAGE: return .key(.pageDown)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .key(.end)
            case KEY_ENTER: return .key(.enter)
            case KEY_BACKSPACE: return .key(.backspace)
            case KEY_BTAB: return .key(.backTab)
            case KEY_DC: return .key(.delete)
            case let c where c == wordKeys.left && c > 0: return .key(.wordLeft)
            case let c where c == wordKeys.right && c > 0: return .key(.wordRight)
            case KEY_MOUSE:
                var event = MEVENT()
                guard getmouse(&event) == OK else { return nil }
                let (x, y) = (Int(event.x), Int(event.y))
                if logdash_mouse_wheel_up(event.bstate) != 0 { return .key(.mouse(x: x, y: y, .wheelUp)) }
                if logdash_mouse_wheel_down(event.bstate) != 0 { return .key(.mouse(x: x, y: y, .wheelDown)) }
                if logdash_mouse_press(event.bstate) != 0 { return .key(.mouse(x: x, y: y, .press)) }
                if logdash_mouse_click(event.bstate) != 0 { return .key(.mouse(x: x, y: y, .press)) }  // a press and release read together
                if logdash_mouse_release(event.bstate) != 0 { return .key(.mouse(x: x, y: y, .release)) }
                return nil
            case KEY_RESIZE:
                last = nil
                let (width, height) = size
                return .resize(width: width, height: height)
            default: return nil
            }
        }
        switch ch {
        case 3: return .interrupt
        case 26: return .suspend
        case 27: return .key(.escape)
        case 13: return .key(.enter)
        case 10: return .key(.ctrl("j"))  // (Enter is 13 with nonl(); Ctrl-J makes a new line in the query editor)
        case 8, 127: return .key(.backspace)
        case 9: return .key(.tab)
        case 1...26: return .key(.ctrl(Character(Unicode.Scalar(UInt8(ch) + 96))))
        case 31: return .key(.ctrl("_"))
        default:
            guard let u = Unicode.Scalar(UInt32(ch)), ch >= 32 else { return nil }
            return .key(.char(Character(u)))
        }
    }

    /// Rings the terminal's bell (or flashes it, as the terminal chooses).
    public func bell() { _ = beep() }

    /// Reports clicks, drags and the wheel as keys (`--mouse`); off by default, so that the
    /// terminal's own text selection keeps working.
    public func enableMouse() {
        mousemask(logdash_mouse_mask(), nil)
        mouseinterval(0)  // a press as it happens (a drag starts there), not after a click's wait
    }

    /// Puts text on the clipboard of the terminal the user sits at (OSC 52), which works over
    /// SSH and through tmux (with `set-clipboard on`). Terminals that do not support it ignore it.
    public func copyToClipboard(_ text: String) {
        let sequence = "\u{1B}]52;c;" + Data(text.utf8).base64EncodedString() + "\u{07}"
        sequence.utf8CString.withUnsafeBufferPointer { p in
            _ = Glibc.write(1, p.baseAddress, p.count - 1)
        }
    }

    /// Gives the terminal back for a while (Ctrl-Z), then takes it again when resumed.
    public func suspend() {
        endwin()
        kill(getpid(), SIGTSTP)
        last = nil
        wrefresh(UnsafeMutablePointer<WINDOW>(window))
    }

    /// Restores the terminal as it was. Safe to call more than once.
    public func close() {
        guard !closed else { return }
        closed = true
        endwin()
        if let sp = screenPointer { delscreen(sp) }
        if let (out, inp) = files { fclose(out); fclose(inp) }
    }
}

public enum TerminalError: Error, CustomStringConvertible {
    case noTerminal
    /// Logs on standard input and no terminal to read keys from.
    case noKeyboard

    public var description: String {
        switch self {
        case .noTerminal:
            "the dashboard needs a terminal; use 'logdash cat' or 'logdash query' to read logs in a pipe or a script"
        case .noKeyboard:
            "logs come on standard input and there is no terminal (/dev/tty) to read keys from: " +
                "use 'logdash ingest -' to store or query them, or 'logdash cat -' to read them"
        }
    }
}
