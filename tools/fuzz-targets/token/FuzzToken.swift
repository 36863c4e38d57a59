import Attestation
import ByteKit
import OpenSSLKit

/// The platform key of the TF-M / TF-RMM / FVP samples (cca_platform.pem), which signs the seed tokens,
/// so that mutated tokens reach every verification step, not only decoding.
let platformPoint = Hex.decode(
    "04212867c52e2b9508b0a420a90560f394d2dfaa21bdd7514ff1a901afe7e1f78bb11d4e66f8a8a38afa76af6a31c4de8c"
        + "84ce2dafc9964258b53fad718774f45620d111b176e8318e1187db0235a318d37ba597fee80e0e4c762a12bcb3ea6ed4") ?? []
let verifier: CCAVerifier = {
    guard let key = try? ECPublicKey(rawPoint: platformPoint) else { fatalError("the built-in platform key does not load") }
    return CCAVerifier(trustAnchors: [PlatformTrustAnchor(key: key)])
}()
/// The realm challenge of cca-token-01 (64 bytes of 0xab), so that its mutants can pass freshness.
let challenge = [UInt8](repeating: 0xab, count: 64)

/// Any input is either refused at a named step or verified, never a crash; decoding and the verifier agree;
/// decoded claims survive encoding; and a verified token really binds its RAK.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzToken(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    let result = verifier.verify(bytes, challenge: challenge)
    let token: CCAToken
    do {
        token = try CCAToken(decoding: bytes)
    } catch {
        guard result.failure == VerificationFailure(.decode, error.message), !error.message.isEmpty else {
            fatalError("decoding failed (\(error.message)) but the verifier said \(String(describing: result.failure))")
        }
        return 0
    }
    guard result.decodedToken != nil, result.failure?.step != .decode else {
        fatalError("the token decodes but the verifier said \(String(describing: result.failure))")
    }
    guard (try? PlatformClaims(decoding: token.platformClaims.encoded)) == token.platformClaims else {
        fatalError("platform claims changed in an encoding round trip")
    }
    if let realm = token.realmClaims {
        guard (try? RealmClaims(decoding: realm.encoded)) == realm else { fatalError("realm claims changed in an encoding round trip") }
        if result.isVerified {
            guard let digest = realm.publicKeyDigest, realm.publicKey.bindingHash(digest) == token.platformClaims.challenge,
                realm.challenge == challenge
            else { fatalError("a token verified without binding its RAK or matching the challenge") }
        }
    }
    _ = result.failure?.description
    return 0
}
