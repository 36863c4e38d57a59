import ArgumentParser
import CommandSupport
import Policy

/// `cml-policy sign --key KEY --in policy.json --out policy.signed`.
struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Signs a policy JSON with the policy key: a COSE_Sign1 (ES384) over the file's exact bytes.")

    @Option(help: ArgumentHelp("The policy private key (the certifier state's policy.key).", valueName: "KEY"))
    var key: String

    @Option(name: .customLong("in"), help: ArgumentHelp("The policy JSON.", valueName: "FILE"))
    var input: String

    @Option(help: ArgumentHelp("Where to write the signed policy.", valueName: "FILE"))
    var out: String

    func run() throws {
        let json = try PolicyFiles.read(input, "policy")
        let privateKey = try PolicyFiles.privateKey(key)
        let signed: SignedPolicy
        do {
            signed = try SignedPolicy.sign(json: json, key: privateKey)
        } catch {
            throw CommandFailure("policy \(input): \(error)", cause: error)
        }
        try PolicyFiles.write(signed.bytes, to: out)
        print("signed \(out) (\(signed.document.displayName): \(PolicyFiles.summary(signed.document)); \(signed.bytes.count) bytes)")
    }
}
