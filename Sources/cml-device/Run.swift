import Admission
import ArgumentParser
import ByteKit
import Channel
import CommandSupport
import Device
import RoleCommands

/// `cml-device run`: the original example's interactive session.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict and train interactively: the original example's device session (ML or FL mode).",
        discussion: """
            Downloads the runtime's model, then asks `Type characters:` (three letters) and answers \
            `Prediction: <word>`, and asks `Type correct answer:` (five letters; nothing to skip). In ML mode it \
            sends the word to the runtime, which trains on it; in FL mode it trains on the word here (printing the \
            loss every 10 epochs), uploads the result as its update of the round, and waits for the round's global \
            model. It predicts with the new model from then on. The end of the input (Ctrl-D) ends the session. \
            Needs the state of `cml-device attest`.
            """)

    @OptionGroup var connection: RuntimeOptions

    @OptionGroup var renewal: RenewalOptions

    @OptionGroup var session: SessionOptions

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        logging.bootstrap()
        try connection.withKeptDevice(renewal: renewal) { device in
            try requireRuntimeMode(of: device)
            do throws(ChannelError) {
                try DeviceSession(device: device, console: TerminalConsole(), mode: session.session).run()
            } catch {
                throw CommandFailure(error.description, cause: error)
            }
        }
    }

    /// Fails before the session unless the runtime serves the mode of `--mode`: a word typed into a
    /// session with the wrong runtime would only be refused after training.
    private func requireRuntimeMode(of device: Device) throws {
        let servesFL: Bool
        do {
            servesFL = try device.servesFederation()
        } catch {
            throw CommandFailure(error.description, cause: error)
        }
        let mode = session.mode
        guard servesFL != (mode == .fl) else { return }
        let served = servesFL ? "FL" : "ML"
        throw CommandFailure(
            "the runtime at \(device.runtime.endpoint) serves \(served) mode; cml-device run --mode \(mode.rawValue) needs an "
                + "\(mode.rawValue.uppercased()) runtime (use --mode \(served.lowercased()))")
    }
}
