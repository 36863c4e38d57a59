import ArgumentParser
import CommandSupport
import Policy

/// `cml-policy show policy.signed --policy-cert CERT`.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verifies a signed policy under the policy certificate and prints it.")

    @Argument(help: ArgumentHelp("The signed policy.", valueName: "FILE"))
    var policy: String

    @Option(name: .customLong("policy-cert"), help: ArgumentHelp("The policy certificate (PEM).", valueName: "CERT"))
    var policyCert: String

    @Flag(help: "Print only the policy's JSON (for jq); the signature check still runs, and its summary goes to standard error.")
    var json = false

    func run() throws {
        let certificate = try PolicyFiles.certificate(policyCert)
        let signed: SignedPolicy
        do {
            signed = try SignedPolicy(opening: try PolicyFiles.read(policy, "signed policy"), policyCertificate: certificate)
        } catch let error as PolicyError {
            throw CommandFailure("\(policy): \(error)")
        }
        let summary = "\(policy): signature valid (ES384, \(certificate)); \(signed.document.displayName): \(PolicyFiles.summary(signed.document))"
        if json { StandardError.line(summary) } else { print(summary) }
        print(String(decoding: signed.json, as: UTF8.self), terminator: signed.json.last == UInt8(ascii: "\n") ? "" : "\n")
    }
}
