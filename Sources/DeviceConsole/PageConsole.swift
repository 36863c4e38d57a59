import Device

/// The session's console for the keyboard page: nothing is read (the page sends each prefix and word
/// as a request), and each line written becomes the page's status line, handed to `onLine`.
final class PageConsole: SessionConsole {
    private let onLine: (String) -> Void

    /// A console that hands each line written to `onLine`.
    init(onLine: @escaping (String) -> Void) {
        self.onLine = onLine
    }

    /// Nothing to read: the page's requests drive the session step by step.
    func read(prompt: String) -> String? { nil }

    func write(_ line: String) {
        onLine(line)
    }
}
