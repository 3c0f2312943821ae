/// What a terminal reports besides a key.
public enum TerminalInput: Equatable, Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    case interrupt      // Ctrl-C
    case suspend        // Ctrl-Z
}

/// The terminal the dashboard's loop runs on: ncurses (`LogdashTerminal.Screen`) for users, a
/// scripted one in tests. Used from one thread.
public protocol Terminal: AnyObject {
    /// Columns and lines.
    var size: (width: Int, height: Int) { get }
    /// Whether cells are drawn in ASCII only (the locale cannot show UTF-8, or `--ascii`).
    var asciiOnly: Bool { get }
    /// Whether it shows colours (not with `--no-color`, `NO_COLOR` or a terminal without them).
    var hasColor: Bool { get }
    /// Whether a signal asked the program to stop.
    var shouldExit: Bool { get }
    /// Waits a moment (at most 100 ms) for input; nil when none came.
    func readKey() -> TerminalInput?
    /// Puts a frame on the screen.
    func draw(_ buffer: CellBuffer)
    /// Colours as the theme says, from the next frame on.
    func apply(_ theme: Theme)
    func bell()
    /// Gives the terminal back (Ctrl-Z) until the program is resumed.
    func suspend()
    /// Puts text on the clipboard of the terminal the user sits at.
    func copyToClipboard(_ text: String)
}
