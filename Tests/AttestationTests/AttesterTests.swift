import Attestation
import ByteKit
import Foundation
import OpenSSLKit
import Testing

@Suite struct AttesterTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("attester-\(UUID().uuidString)").path
        try FileBytes.makeDirectory(folder)
    }

    @Test func measurementIsTheSHA256OfTheFile() throws {
        let path = "\(folder)/binary"
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try FileBytes.writeAtomically(bytes, to: path)
        #expect(try ExecutableMeasurement.of(file: path) == Digest.sha256.hash(bytes))
        try FileBytes.writeAtomically(bytes + [0], to: path)
        #expect(try ExecutableMeasurement.of(file: path) != Digest.sha256.hash(bytes))
        let missing = #expect(throws: AttestationError.self) { try ExecutableMeasurement.of(file: "\(folder)/none") }
        #expect(missing?.message.hasPrefix("cannot measure \(folder)/none: ") == true)
        // The running process is measured from /proc/self/exe, once.
        #expect(try ExecutableMeasurement.current() == ExecutableMeasurement.of(file: "/proc/self/exe"))
    }

    @Test func simulatedTokensVerifyAndCarryTheProcessMeasurementAndRAK() throws {
        let platform = ECPrivateKey(generating: .p384)
        try SimulatedPlatformFiles.write(platform, to: "\(folder)/platform")
        #expect(FileBytes.permissions("\(folder)/platform/platform.key") == 0o600)
        #expect(try PEMFile.read("\(folder)/platform/instance-id") == Hex.encode(PlatformClaims.instanceID(for: platform.publicKey)) + "\n")
        #expect(try ECPublicKey(pem: PEMFile.read("\(folder)/platform/platform.pem")) == platform.publicKey)

        let attester = try SimulatedAttester(platformDirectory: "\(folder)/platform")
        #expect(attester.name == "sim")
        let challenge = RealmChallenge.binding(nonce: SecureRandom.bytes(32), publicKey: ECPrivateKey(generating: .p256).publicKey)
        let verifier = CCAVerifier(trustAnchors: [PlatformTrustAnchor(instanceID: PlatformClaims.instanceID(for: platform.publicKey), key: platform.publicKey)])
        let first = verifier.verify(try attester.token(challenge: challenge), challenge: challenge)
        #expect(first.isVerified, "\(String(describing: first.failure))")
        #expect(first.verifiedToken?.token.realmClaims?.initialMeasurement == (try ExecutableMeasurement.current()))
        // One RAK per process, as a real RMM keeps one per boot.
        let second = try CCAToken(decoding: SimulatedAttester(platformDirectory: "\(folder)/platform").token(challenge: challenge))
        #expect(second.realmClaims?.publicKey.key == first.verifiedToken?.token.realmClaims?.publicKey.key)
        #expect(second.realmClaims?.publicKey.key == SimulatedAttester.processRealmKey.publicKey)
        // Another platform key is not trusted.
        let stranger = try SimulatedAttester(platformKey: ECPrivateKey(generating: .p384)).token(challenge: challenge)
        #expect(verifier.verify(stranger, challenge: challenge).failure?.step == .platformSignature)
    }

    @Test func aMissingPlatformFolderSaysWhereOneComesFrom() {
        let error = #expect(throws: AttestationError.self) { try SimulatedAttester(platformDirectory: "\(folder)/nowhere") }
        #expect(error?.message == "no simulated platform key: \(folder)/nowhere/platform.key: no such file or directory (a platform folder is made by `cml-certifier init`)")
    }

    /// A fake configfs-tsm tree whose report entry holds a recorded token as its outblob.
    func fakeTSM(outblob: [UInt8], generation: String? = "1\n") throws -> String {
        let root = "\(folder)/tsm"
        try FileBytes.makeDirectory("\(root)/report/recorded")
        try FileBytes.writeAtomically(outblob, to: "\(root)/report/recorded/outblob")
        if let generation { try FileBytes.writeAtomically(text: generation, to: "\(root)/report/recorded/generation") }
        return root
    }

    @Test func tsmReadsTheRecordedTokenAfterWritingThePaddedChallenge() throws {
        let recorded = try Vectors.bytes("cca_example_token.cbor")
        let root = try fakeTSM(outblob: recorded)
        let attester = TSMAttester(root: root, entryName: "recorded")
        #expect(attester.name == "tsm")
        #expect(TSMAttester.isAvailable(root: root))
        let token = try attester.token(challenge: [0xab, 0xcd])
        #expect(token == recorded)
        #expect(try FileBytes.read("\(root)/report/recorded/inblob", limit: CCAToken.maximumFileSize) == [0xab, 0xcd] + [UInt8](repeating: 0, count: 62))
        // The recorded token is a real one: it verifies with the sample platform key.
        #expect(try Vectors.verifier().verify(token).isVerified)
        // An entry it did not make is left in place.
        #expect(FileBytes.exists("\(root)/report/recorded"))
    }

    @Test func tsmErrorsSayWhatIsMissing() throws {
        let absent = #expect(throws: AttestationError.self) { try TSMAttester(root: "\(folder)/no-tsm").token(challenge: [1]) }
        #expect(absent?.message.hasPrefix("configfs-tsm is not available: \(folder)/no-tsm/report does not exist") == true)
        #expect(!TSMAttester.isAvailable(root: "\(folder)/no-tsm"))

        let root = try fakeTSM(outblob: [], generation: "x")
        let badGeneration = #expect(throws: AttestationError.self) { try TSMAttester(root: root, entryName: "recorded").token(challenge: [1]) }
        #expect(badGeneration?.message == "configfs-tsm: \(root)/report/recorded/generation holds \"x\", not a number")
        try FileBytes.writeAtomically(text: "2", to: "\(root)/report/recorded/generation")
        let empty = #expect(throws: AttestationError.self) { try TSMAttester(root: root, entryName: "recorded").token(challenge: [1]) }
        #expect(empty?.message == "configfs-tsm: \(root)/report/recorded/outblob is empty (does this realm support attestation?)")

        // A fresh entry on a plain file system has no outblob: the kernel would have made one.
        let fresh = #expect(throws: AttestationError.self) { try TSMAttester(root: root).token(challenge: [1]) }
        #expect(fresh?.message.contains("cannot read the token") == true)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "\(root)/report").filter { $0 != "recorded" }
        #expect(leftovers.count <= 1)  // rmdir cannot remove a plain folder holding the inblob we wrote

        let long = #expect(throws: AttestationError.self) { try TSMAttester(root: root, entryName: "recorded").token(challenge: [UInt8](repeating: 1, count: 65)) }
        #expect(long?.message == "the challenge has 65 bytes, expected 1 to 64")
    }
}
