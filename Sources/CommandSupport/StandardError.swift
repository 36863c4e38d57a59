import Foundation

/// Writes lines to standard error; `stderr` itself is a global `var` that Swift 6 will not share.
public enum StandardError {
    /// Writes `text` and a newline to standard error.
    public static func line(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// Writes `text` as is, for progress lines that overwrite themselves.
    public static func raw(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Whether standard error is a terminal, so progress may redraw one line.
    public static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}
