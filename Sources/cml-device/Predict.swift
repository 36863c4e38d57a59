import ArgumentParser
import CommandSupport
import Device
import WordModel

/// `cml-device predict`: completes prefixes with a model file or the runtime's model, one word per line.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Complete three-letter prefixes to five-letter words, one per line.",
        discussion: """
            With --model, from a model blob; with --runtime and --state, from the model the runtime holds \
            (downloaded over mutual TLS with the admission of `cml-device attest`), which --out also writes.
            """)

    @Option(help: ArgumentHelp("The model blob.", valueName: "MODEL"))
    var model: String?

    @Option(
        help: ArgumentHelp("The runtime's address (or its replicas', separated by commas), to predict with its model.", valueName: "HOST:PORT[,HOST:PORT...]"),
        transform: { try HostPortList.parse($0) })
    var runtime: HostPortList?

    @Option(help: ArgumentHelp("The device's state folder (with --runtime).", valueName: "DIR"))
    var state: String?

    @Option(help: ArgumentHelp("With --runtime: also write the runtime's model here, the blob as received (replaced atomically).", valueName: "FILE"))
    var out: String?

    @Argument(help: ArgumentHelp("Three symbols each: a-z, '-' or space (upper case is folded).", valueName: "PREFIX"))
    var prefixes: [String]

    func validate() throws {
        switch (model, runtime, state) {
        case (.some, nil, nil), (nil, .some, .some): break
        case (.some, _, _): throw ValidationError("give either --model or --runtime with --state, not both")
        case (nil, .some, nil): throw ValidationError("--runtime needs --state, the device's state folder")
        case (nil, nil, .some): throw ValidationError("--state needs --runtime")
        case (nil, nil, nil): throw ValidationError("give --model MODEL, or --runtime HOST:PORT --state DIR")
        }
        try checkSymbols(prefixes, as: .prefix)
        if let out {
            guard runtime != nil else { throw ValidationError("--out writes the runtime's model: it needs --runtime and --state") }
            try OutputFile.checkFolder(of: out, option: "--out")
        }
    }

    func run() throws {
        let words: [String]
        if let model {
            words = try Predictor(weights: try ModelFile.read(model).model.weights).complete(prefixes)
        } else {
            words = try runtimePredictions()
        }
        for word in words { StandardOutput.line(word) }
    }

    private func runtimePredictions() throws -> [String] {
        var options = RuntimeOptions()
        options.runtime = runtime ?? options.runtime
        options.state = state ?? ""
        let device = try options.device()
        defer { device.runtime.close() }
        let model: DeviceModel
        do {
            model = try device.download()
        } catch {
            throw CommandFailure(error.description, cause: error)
        }
        if let out { try ModelFile.write(model.blob, to: out) }
        StandardError.line("downloaded model \(model.shortID) (\(model.size) bytes, round \(model.model.round)) from the runtime at \(device.runtime.endpoint)")
        return try model.complete(prefixes)
    }
}
