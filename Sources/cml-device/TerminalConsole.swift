import CommandSupport
import Device
import Foundation

/// The session on standard input and output. When the input is not a terminal (a script, a demo), each
/// line read is echoed after its prompt, so the output reads as the session did.
final class TerminalConsole: SessionConsole {
    private let echo = isatty(STDIN_FILENO) == 0

    func read(prompt: String) -> String? {
        StandardOutput.raw(prompt)
        guard var line = readLine(strippingNewline: true) else {
            // End the prompt's line, so what follows starts on its own.
            StandardOutput.line("")
            return nil
        }
        if line.hasSuffix("\r") { line.removeLast() }
        if echo { StandardOutput.line(line) }
        return line
    }

    func write(_ line: String) {
        StandardOutput.line(line)
    }
}
