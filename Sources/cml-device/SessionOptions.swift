import ArgumentParser
import Device

/// `--mode ml|fl --epochs N`: where an interactive session (`run`, `console`) trains the answers.
struct SessionOptions: ParsableArguments {
    /// Where the answer is trained on.
    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case ml, fl
    }

    @Option(help: "ml: the runtime trains on the answer; fl: this device trains on it, the runtime aggregates the round.")
    var mode: Mode = .ml

    @Option(help: "Epochs of local training on each answer (FL mode).")
    var epochs = Device.defaultLocalEpochs

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
    }

    /// The session's mode, with its epochs in FL mode.
    var session: DeviceSession.Mode { mode == .ml ? .ml : .fl(epochs: epochs) }
}
