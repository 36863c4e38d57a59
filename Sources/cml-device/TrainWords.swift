import ArgumentParser
import ByteKit
import Channel
import CommandSupport
import Device
import Foundation
import Protocol
import WordModel

/// `cml-device train`: sends words to the runtime to train on, for scripts.
struct TrainWords: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Send words to the runtime, which trains its model on them and returns it (ML mode).",
        discussion: "Prints the trained model's id, size, round, epochs and final loss. Needs the state of `cml-device attest`.")

    @OptionGroup var connection: RuntimeOptions

    @Option(help: ArgumentHelp("Also write the trained model blob here.", valueName: "MODEL"))
    var out: String?

    @Argument(help: ArgumentHelp("Five symbols each: a-z, '-' or space (upper case is folded).", valueName: "WORD"))
    var words: [String]

    func validate() throws {
        try checkSymbols(words, as: .word)
    }

    func run() throws {
        let device = try connection.device()
        defer { device.runtime.close() }
        let (model, reply): (DeviceModel, TrainedReply)
        do {
            (model, reply) = try device.train(words: words)
        } catch {
            throw CommandFailure(error.description, cause: error)
        }
        if let out {
            try FileBytes.writeAtomically(reply.blob.bytes, to: out)
        }
        StandardOutput.line(
            "trained on \(words.count) word\(words.count == 1 ? "" : "s"): model \(model.shortID) (\(model.size) bytes, round "
                + "\(model.model.round)), \(reply.epochs) epochs, loss \(String(format: "%.4f", reply.loss))")
    }
}
