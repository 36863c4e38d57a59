import Admission
import ArgumentParser
import CommandSupport
import Protocol
import RoleCommands
import Provider
import WordModel

/// `cml-provider fetch`: gets the result out: the runtime's model, written as received.
struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download the runtime's current model (ML) or the last global model (FL) and write it to a file.",
        discussion: """
            Writes the blob byte for byte as the runtime sent it (replacing --out atomically), then prints its \
            id, round, sample count and lineage: what the runtime and the blob say about where the model came \
            from. Needs the state of `cml-provider attest`. A runtime with no model yet answers no-model (exit 1, \
            nothing written).
            """)

    @OptionGroup var connection: RuntimeOptions

    @Option(help: ArgumentHelp("Where to write the model blob (replaced atomically; its folder must exist).", valueName: "FILE"))
    var out: String

    func validate() throws {
        try OutputFile.checkFolder(of: out, option: "--out")
    }

    func run() throws {
        let credentials = try RoleCredentials.load(stateDirectory: connection.state, role: .provider)
        let runtime = RuntimeClient(addresses: connection.runtime.serverAddresses, context: try credentials.clientContext())
        defer { runtime.close() }
        let reply: ModelReply
        do {
            reply = try ModelProvider(runtime: runtime, policy: credentials.policy).fetch()
        } catch {
            throw CommandFailure("cannot fetch the model from the runtime at \(runtime.endpoint): \(error.description)", cause: error)
        }
        try ModelFile.write(reply.blob, to: out)
        for line in Self.describe(reply) { StandardOutput.line(line) }
        StandardOutput.line("written to \(out) (\(reply.blob.size) bytes, as received)")
    }

    /// The lines that describe `reply`: id, round, samples and lineage.
    static func describe(_ reply: ModelReply) -> [String] {
        let model = reply.blob.model
        // The blob records its own round and sample count and nothing of its parents, so the lineage is
        // what the runtime's reply and the blob say, and no more.
        var lineage = "model \(reply.blob.shortID) of round \(reply.round)"
        if model.round != reply.round { lineage += " (the blob says round \(model.round))" }
        lineage += ", trained on \(model.samples) samples; the blob names no parent model"
        return [
            "id       \(reply.blob.id)",
            "round    \(reply.round)",
            "samples  \(model.samples)",
            "lineage  \(lineage)",
        ]
    }
}
