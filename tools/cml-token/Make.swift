import ArgumentParser
import Attestation
import ByteKit
import CommandSupport
import OpenSSLKit

/// `cml-token make --platform-key PEM --realm-key PEM --challenge HEX --rim HEX ... --out FILE`.
struct Make: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Makes a token signed with the given platform key and realm attestation key (RAK).",
        discussion: """
            The platform claims are the simulated platform's: instance ID 0x01 || SHA-256(platform key point), \
            lifecycle secured, one software component. The platform challenge is the hash of the RAK claim bytes.
            """)

    @Option(name: .customLong("platform-key"), help: ArgumentHelp("The platform private key (PEM).", valueName: "PEM"))
    var platformKey: String

    @Option(name: .customLong("realm-key"), help: ArgumentHelp("The realm attestation private key, RAK (PEM).", valueName: "PEM"))
    var realmKey: String

    @Option(help: ArgumentHelp("The realm challenge: 1 to 64 bytes, zero-padded to 64.", valueName: "HEX"))
    var challenge: HexArgument

    @Option(help: ArgumentHelp("The realm initial measurement: 32, 48 or 64 bytes (SHA-256, SHA-384 or SHA-512).", valueName: "HEX"))
    var rim: HexArgument

    @Option(name: .customLong("rem"), help: ArgumentHelp("A realm extensible measurement, the size of the RIM; give none (all zero) or four.", valueName: "HEX"))
    var rems: [HexArgument] = []

    @Option(help: ArgumentHelp("The 64-byte personalization value (default: zeros).", valueName: "HEX"))
    var personalization: HexArgument?

    @Option(help: ArgumentHelp("The outer form: 399 or 907 (CMW collection).", valueName: "399|907"))
    var format = "907"

    @Option(name: .customLong("realm-profile"), help: ArgumentHelp("The realm profile: none (legacy, raw RAK), 2023, 2024 or 2026.", valueName: "P"))
    var realmProfile = "2024"

    @Option(name: .customLong("rak-hash"), help: ArgumentHelp("The hash that binds the RAK: sha-256, sha-384 or sha-512.", valueName: "HASH"))
    var rakHash = "sha-256"

    @Option(help: ArgumentHelp("Where to write the token.", valueName: "FILE"))
    var out: String

    func validate() throws {
        guard [32, 48, 64].contains(rim.bytes.count) else {
            throw ValidationError("--rim has \(rim.size), expected 32, 48 or 64")
        }
        guard rems.isEmpty || rems.count == 4 else {
            throw ValidationError("--rem was given \(rems.count) times; give it four times or not at all")
        }
        if let wrong = rems.firstIndex(where: { $0.bytes.count != rim.bytes.count }) {
            throw ValidationError("--rem number \(wrong + 1) has \(rems[wrong].size), the RIM has \(rim.bytes.count)")
        }
        guard (1...RealmChallenge.size).contains(challenge.bytes.count) else {
            throw ValidationError("--challenge has \(challenge.size), expected 1 to 64")
        }
        if let personalization, personalization.bytes.count != 64 {
            throw ValidationError("--personalization has \(personalization.size), expected 64")
        }
        guard CCATokenFormat(name: format) != nil else {
            throw ValidationError("--format is \"\(format)\", expected 399 or 907")
        }
        guard realmProfile == "none" || RealmProfile(name: realmProfile) != nil else {
            throw ValidationError("--realm-profile is \"\(realmProfile)\", expected none, 2023, 2024 or 2026")
        }
        guard Digest(name: rakHash) != nil else {
            throw ValidationError("--rak-hash is \"\(rakHash)\", expected sha-256, sha-384 or sha-512")
        }
    }

    func run() throws {
        let platform = try TokenFile.privateKey(platformKey, "platform key")
        let realm = try TokenFile.privateKey(realmKey, "realm key")
        // validate() has checked every option that is parsed again here.
        let outerForm = CCATokenFormat(name: format) ?? .tag907
        let profile = realmProfile == "none" ? nil : RealmProfile(name: realmProfile)
        let token: [UInt8]
        do {
            token = try SimulatedPlatform.token(
                platformKey: platform, realmKey: realm, rim: rim.bytes, rems: rems.isEmpty ? nil : rems.map(\.bytes),
                personalization: personalization?.bytes, challenge: challenge.bytes, format: outerForm, realmProfile: profile,
                rakHash: Digest(name: rakHash) ?? .sha256)
        } catch {
            throw CommandFailure("cannot make the token: \(error.message)", cause: error)
        }
        try TokenFile.write(token, to: out)
        let instance = Hex.short(PlatformClaims.instanceID(for: platform.publicKey), count: 8)
        print(
            "wrote \(out) (\(token.count) bytes): tag \(outerForm.tag ?? 0), platform \(COSEAlgorithm(curve: platform.curve)) "
                + "instance \(instance), realm \(COSEAlgorithm(curve: realm.curve)) profile \(profile?.rawValue ?? "none"), "
                + "RAK \(profile == nil ? "raw point" : "COSE_Key")")
    }
}
