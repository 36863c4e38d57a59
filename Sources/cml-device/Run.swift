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

    /// Where the answer is trained on.
    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case ml, fl
    }

    @OptionGroup var connection: RuntimeOptions

    @OptionGroup var renewal: RenewalOptions

    @Option(help: "ml: the runtime trains on the answer; fl: this device trains on it, the runtime aggregates the round.")
    var mode: Mode = .ml

    @Option(help: "Epochs of local training on each answer (FL mode).")
    var epochs = Device.defaultLocalEpochs

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
    }

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        logging.bootstrap()
        let lock = try StateFolderLock.forCommand(folder: connection.state)
        defer { withExtendedLifetime(lock) {} }
        let device = try connection.device()
        defer { device.runtime.close() }
        let upkeep = try DeviceUpkeep(device: device, state: connection.state, renewal: renewal)
        defer { upkeep.stop() }
        try requireRuntimeMode(of: device)
        do {
            let sessionMode: DeviceSession.Mode = mode == .ml ? .ml : .fl(epochs: epochs)
            try DeviceSession(device: device, console: TerminalConsole(), mode: sessionMode).run()
        } catch {
            throw CommandFailure(error.description, cause: error)
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
        guard servesFL != (mode == .fl) else { return }
        let served = servesFL ? "FL" : "ML"
        throw CommandFailure(
            "the runtime at \(device.runtime.endpoint) serves \(served) mode; cml-device run --mode \(mode.rawValue) needs an "
                + "\(mode.rawValue.uppercased()) runtime (use --mode \(served.lowercased()))")
    }
}
