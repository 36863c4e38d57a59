import Attestation
import CommandSupport
import OpenSSLKit

/// CCA token verification and decoding, single-threaded, beside the bound that OpenSSL sets: a token
/// needs two ECDSA verifications, so at best it verifies at the rate `openssl speed` gives for its
/// two curves together.
struct TokenSuite: BenchSuite {
    let name = "token"

    func run(_ settings: BenchSettings, _ reporter: JSONLinesReporter) throws {
        // A current TF-RMM shape: tag 907, realm profile 2024, COSE_Key RAK, both signatures ES384.
        let platformKey = ECPrivateKey(generating: .p384)
        let nonce = SecureRandom.bytes(32)
        let token = try SimulatedPlatform.token(
            platformKey: platformKey, rim: SecureRandom.bytes(32), challenge: nonce, format: .tag907, realmProfile: .v2024)
        let verifier = CCAVerifier(trustAnchors: [PlatformTrustAnchor(key: platformKey.publicKey)])
        if case .rejected(let failure, _, _) = verifier.verify(token, challenge: nonce) {
            throw CommandFailure("the benchmark token does not verify: \(failure)")
        }
        StandardError.line("token: tag 907, ES384 platform and realm, \(token.count) bytes")

        // openssl speed runs before and after our measurements, and the bound uses the mean of the two: on a
        // shared machine the load can change between the phases, and the ratio should not depend on it.
        StandardError.line("token: openssl speed -seconds 2 ecdsap256 ecdsap384 ...")
        let before = try OpenSSLSpeed.ecdsaVerifications(seconds: 2)
        let decodeSeconds = try Measure.medianSecondsPerRepeat(settings) { repeats in
            for _ in 0..<repeats { _ = try CCAToken(decoding: token) }
        }
        let verifySeconds = Measure.medianSecondsPerRepeat(settings) { repeats in
            for _ in 0..<repeats where !verifier.verify(token, challenge: nonce).isVerified {
                preconditionFailure("the benchmark token stopped verifying")
            }
        }
        StandardError.line("token: openssl speed again ...")
        let after = try OpenSSLSpeed.ecdsaVerifications(seconds: 2)
        let p256 = ((before["nistp256"] ?? 0) + (after["nistp256"] ?? 0)) / 2
        let p384 = ((before["nistp384"] ?? 0) + (after["nistp384"] ?? 0)) / 2
        // Two P-384 verifications per token.
        let bound = 1 / (1 / p384 + 1 / p384)
        StandardError.line("token: openssl verifies \(Int(p256)) P-256 and \(Int(p384)) P-384 signatures/s: bound \(Int(bound)) tokens/s")
        let verified = 1 / verifySeconds
        StandardError.line(
            "token: \(Int(1 / decodeSeconds)) decoded/s (\(String(format: "%.1f", decodeSeconds * 1e6)) us), \(Int(verified)) verified/s "
                + "(\(String(format: "%.0f", verifySeconds * 1e6)) us): \(String(format: "%.1f", 100 * verified / bound))% of the bound")
        reporter.figure("decoded_per_s", value: 1 / decodeSeconds, unit: "tokens/s", parameters: ["threads": 1])
        reporter.figure("verified_per_s", value: verified, unit: "tokens/s", parameters: ["threads": 1])
        reporter.figure("openssl_ecdsa_p256_verify_per_s", value: p256, unit: "verifications/s", parameters: ["threads": 1])
        reporter.figure("openssl_ecdsa_p384_verify_per_s", value: p384, unit: "verifications/s", parameters: ["threads": 1])
        reporter.figure("openssl_bound_per_s", value: bound, unit: "tokens/s", parameters: ["threads": 1])
        reporter.figure("verified_of_bound", value: verified / bound, unit: "ratio", parameters: ["threads": 1])
    }
}
