import ArgumentParser
import CommandSupport
import Device

/// `cml-device run`: the original example's interactive session.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict and train interactively: the original example's device session (ML mode).",
        discussion: """
            Downloads the runtime's model, then asks `Type characters:` (three letters) and answers \
            `Prediction: <word>`, and asks `Type correct answer:` (five letters; nothing to skip), sends the word \
            to the runtime, which trains on it, and predicts with the trained model from then on. The end of the \
            input (Ctrl-D) ends the session. Needs the state of `cml-device attest`.
            """)

    @OptionGroup var connection: RuntimeOptions

    func run() throws {
        let device = try connection.device()
        defer { device.runtime.close() }
        do {
            try DeviceSession(device: device, console: TerminalConsole()).run()
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
