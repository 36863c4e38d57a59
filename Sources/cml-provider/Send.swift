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
            Needs the state of `cml-provider attest`. Prints `sent model <id> (<n> bytes)` once the model is \
            written, then the runtime's acknowledgement, which must name the same id and size.
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
            let ack = try ModelProvider(runtime: runtime, policy: credentials.policy).send(blob) { id in
                StandardOutput.line("sent model \(id.prefix(8)) (\(blob.size) bytes)")
            }
            StandardOutput.line("runtime acknowledged model \(ack.id.prefix(8)) (\(ack.size) bytes)")
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
