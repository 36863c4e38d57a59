import Admission
import ArgumentParser
import Channel
import CommandSupport
import Protocol
import Provider
import WordModel

/// `cml-provider send`: uploads a model to the runtime, only if the runtime is admitted.
struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a model to the runtime over mutual TLS, only if its certificate names the runtime role.",
        discussion: """
            Needs the state of `cml-provider attest`. Prints `sent model <id> (<n> bytes); the runtime \
            acknowledged it` once the runtime's acknowledgement names the same id and size; a refusal prints \
            only the runtime's reason.
            """)

    @OptionGroup var connection: RuntimeOptions

    @Argument(help: ArgumentHelp("The model blob to send.", valueName: "MODEL"))
    var model: String

    func run() throws {
        let blob = try ModelFile.read(model)
        let credentials = try RoleCredentials.load(stateDirectory: connection.state, role: .provider)
        let runtime = RuntimeClient(
            host: connection.runtime.host, port: connection.runtime.port, context: try credentials.clientContext())
        defer { runtime.close() }
        do {
            // Said only after the acknowledgement: a model the runtime refused was not "sent" for any purpose.
            let ack = try ModelProvider(runtime: runtime, policy: credentials.policy).send(blob)
            StandardOutput.line("sent model \(ack.id.prefix(8)) (\(ack.size) bytes); the runtime acknowledged it")
        } catch {
            throw CommandFailure(error.description, cause: error)
        }
    }
}
