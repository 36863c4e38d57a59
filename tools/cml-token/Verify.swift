import ArgumentParser
import Attestation
import CommandSupport

/// `cml-token verify TOKEN --platform-key KEY [--nonce HEX | --challenge HEX] [--json]`.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verifies a token: platform signature, realm signature, binding and (given a nonce or challenge) freshness.",
        discussion: """
            Prints "verified" and a summary, or "rejected: REASON". Exit codes: 0 verified, 1 rejected or not a \
            token, 64 usage error.
            """)

    @Argument(help: ArgumentHelp("The token file (CBOR).", valueName: "TOKEN"))
    var token: String

    @Option(
        name: .customLong("platform-key"),
        help: ArgumentHelp(
            "The trusted platform key: PEM (public or private), a JWK, a JSON list of trust anchors, or a raw point.",
            discussion: """
                A list [{"instance-id", "implementation-id", "pkey": JWK}] may hold several keys: the token's \
                instance ID picks one. A raw point is 65 (P-256), 97 (P-384) or 133 (P-521) bytes, binary or hex.
                """,
            valueName: "KEY"))
    var platformKey: String

    @Option(help: ArgumentHelp("The nonce the realm attested: 1 to 64 bytes, compared after zero-padding to 64 (as configfs-tsm pads).", valueName: "HEX"))
    var nonce: HexArgument?

    @Option(help: ArgumentHelp("The exact 64-byte realm challenge expected.", valueName: "HEX"))
    var challenge: HexArgument?

    @Flag(help: "Print the verdict and the claims as JSON.")
    var json = false

    func validate() throws {
        if nonce != nil && challenge != nil {
            throw ValidationError("give --nonce or --challenge, not both")
        }
        if let nonce, !(1...RealmChallenge.size).contains(nonce.bytes.count) {
            throw ValidationError("--nonce has \(nonce.size); a nonce has 1 to 64")
        }
        if let challenge, challenge.bytes.count != RealmChallenge.size {
            throw ValidationError("--challenge has \(challenge.size), expected 64 (give a shorter value as --nonce)")
        }
    }

    func run() throws {
        let anchors: [PlatformTrustAnchor]
        do {
            anchors = try PlatformTrustAnchor.load(contentsOfFile: platformKey)
        } catch {
            throw CommandFailure("platform key \(error.message)", cause: error)
        }
        let result = CCAVerifier(trustAnchors: anchors).verify(try TokenFile.read(token), challenge: (nonce ?? challenge)?.bytes)
        print(json ? TokenJSON.verdict(result).rendered() : TokenText.verdict(result))
        if !result.isVerified { throw ExitCode.failure }
    }
}
