import Admission
import ArgumentParser
import Channel
import CommandSupport
import Protocol
import RoleCommands
import Provider
import WordModel

/// `cml-provider send`: uploads a model to the runtime, only if the runtime is admitted.
struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a model to the runtime over mutual TLS, only if its certificate names the runtime role.",
        discussion: """
            Needs the state of `cml-provider attest`. Prints `sent model <id> (<n> bytes); the runtime \
            acknowledged it` once the runtime's acknowledgement names the same id and size; a refusal prints \
            only the runtime's reason. With --validation FILE (five-letter words, one per line, like a --words \
            file), the runtime seals the list with the model, keeps it private, and logs each new model's \
            accuracy on it; the command then also prints `the runtime sealed the validation list (<n> words)`.
            """)

    @OptionGroup var connection: RuntimeOptions

    @Option(
        help: ArgumentHelp(
            "Words to measure each new model's accuracy on, one five-letter word per line (at most \(ValidationSet.maximumWords)).",
            valueName: "FILE"))
    var validation: String?

    @Argument(help: ArgumentHelp("The model blob to send.", valueName: "MODEL"))
    var model: String

    func run() throws {
        let blob = try ModelFile.read(model)
        // Checked before connecting: a bad word is named here and never sent.
        let list = try validation.map(Self.validationList(inFile:))
        let credentials = try RoleCredentials.load(stateDirectory: connection.state, role: .provider)
        let runtime = RuntimeClient(addresses: connection.runtime.serverAddresses, context: try credentials.clientContext())
        defer { runtime.close() }
        do {
            // Said only after the acknowledgement: a model the runtime refused was not "sent" for any purpose.
            let ack = try ModelProvider(runtime: runtime, policy: credentials.policy).send(blob, validation: list)
            StandardOutput.line("sent model \(ack.id.prefix(8)) (\(ack.size) bytes); the runtime acknowledged it")
            if let words = ack.validationWords { StandardOutput.line("the runtime sealed the validation list (\(words) words)") }
        } catch {
            throw CommandFailure(error.description, cause: error)
        }
    }

    /// The validation list in the word file at `path`, read as training word files are; the error names
    /// the file, and the line and word that are bad.
    static func validationList(inFile path: String) throws -> ValidationSet {
        do throws(WordModelError) {
            let words = try TrainingSet.words(inFile: path)
            do throws(WordModelError) {
                return try ValidationSet(words: words)
            } catch {
                throw .badFile(path: path, error)
            }
        } catch {
            throw CommandFailure(error.description, cause: error)
        }
    }
}
