import ArgumentParser

/// `cml-token inspect TOKEN [--json]`.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decodes a token without verifying it and prints every claim by name.",
        discussion: "Exit codes: 0 the token decodes, 1 it is not a CCA token, 64 usage error.")

    @Argument(help: ArgumentHelp("The token file (CBOR).", valueName: "TOKEN"))
    var token: String

    @Flag(help: "Print JSON with Veraison's claim names and byte strings as lowercase hex.")
    var json = false

    func run() throws {
        let decoded = try TokenFile.decode(token)
        print(json ? JSONValue.object(TokenJSON.token(decoded)).rendered() : TokenText.describe(decoded))
    }
}
