import Foundation

/// Unbuffered writes to standard output, so a script reading a pipe sees each line at once (Swift's
/// `print` buffers when the output is not a terminal).
public enum StandardOutput {
    /// Writes `text` and a newline.
    public static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Writes `text` as is, e.g. a prompt that the answer follows on the same line.
    public static func raw(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
