import Attestation
import ByteKit
import Foundation
import OpenSSLKit
import Testing

/// Platform keys load from every form the verifier accepts, and anything else is refused as a key.
struct TrustAnchorTests {
    @Test func forms() throws {
        let key = try Vectors.platformKey()
        let expected = [PlatformTrustAnchor(key: key.publicKey)]
        #expect(try PlatformTrustAnchor.load(Vectors.bytes("cca_platform.pem")) == expected)  // SEC1 private key
        #expect(try PlatformTrustAnchor.load(Array(key.pkcs8PEM.utf8)) == expected)
        #expect(try PlatformTrustAnchor.load(Array(key.publicKey.pem.utf8)) == expected)
        #expect(try PlatformTrustAnchor.load(Vectors.bytes("cpak.json")) == expected)
        #expect(try PlatformTrustAnchor.load(key.publicKey.rawPoint) == expected)
        #expect(try PlatformTrustAnchor.load(Array((Hex.encode(key.publicKey.rawPoint) + "\n").utf8)) == expected)
        let p256 = ECPrivateKey(generating: .p256).publicKey
        #expect(try PlatformTrustAnchor.load(p256.rawPoint) == [PlatformTrustAnchor(key: p256)])
    }

    @Test func listWithAndWithoutIdentifiers() throws {
        let key = try Vectors.platformKey().publicKey
        let jwk = String(decoding: key.jwkJSON, as: UTF8.self)
        let json = "[{\"pkey\": \(jwk)}, {\"instance-id\": \"01aabb\", \"pkey\": \(jwk)}]"
        let anchors = try PlatformTrustAnchor.load(Array(json.utf8))
        #expect(anchors == [PlatformTrustAnchor(key: key), PlatformTrustAnchor(instanceID: [1, 0xaa, 0xbb], key: key)])
    }

    @Test(arguments: [
        ("[]", "the trust-anchor list is empty"),
        ("[1]", "trust anchor 0: it is not a JSON object"),
        ("[{\"instance-id\": \"01\"}]", "trust anchor 0: \"pkey\" is missing or not a JWK object"),
        ("[{\"instance-id\": \"zz\", \"pkey\": {}}]", "trust anchor 0: \"pkey\": reading a JWK public key: member \"kty\" is missing"),
        ("[nonsense", "the trust-anchor list is not a JSON array"),
        ("{\"kty\": \"RSA\"}", "reading a JWK public key: \"kty\" is \"RSA\", expected \"EC\""),
        ("-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----", "reading a PEM public key"),
        ("hello", "not a PEM key, a JWK, a JSON list of trust anchors or a raw 65-, 97- or 133-byte point (5 bytes)"),
    ])
    func refusals(contents: String, messageStart: String) throws {
        let error = attestationError { () throws(AttestationError) in try PlatformTrustAnchor.load(Array(contents.utf8)) }
        #expect(error?.code == .invalidKey)
        #expect(error?.message.hasPrefix(messageStart) == true, "\(error?.message ?? "loaded")")
    }

    @Test func instanceIDMustBeHex() throws {
        let jwk = String(decoding: try Vectors.platformKey().publicKey.jwkJSON, as: UTF8.self)
        let error = attestationError { () throws(AttestationError) in
            try PlatformTrustAnchor.load(Array("[{\"instance-id\": \"zz\", \"pkey\": \(jwk)}]".utf8))
        }
        #expect(error?.message == "trust anchor 0: \"instance-id\" is not hex text")
    }

    @Test func rawPointOffTheCurve() throws {
        var point = try Vectors.platformKey().publicKey.rawPoint
        point[96] ^= 1
        let error = attestationError { () throws(AttestationError) in try PlatformTrustAnchor.load(point) }
        #expect(error?.code == .invalidKey)
        #expect(error?.message.hasPrefix("reading a P-384 public key from a raw point") == true)
    }

    @Test func fileErrorsNameTheFile() throws {
        var error = attestationError { () throws(AttestationError) in try PlatformTrustAnchor.load(contentsOfFile: "/nonexistent/key.pem") }
        #expect(error?.message == "/nonexistent/key.pem: no such file or directory")
        let path = try Vectors.url("ta-02-bad.json").path
        error = attestationError { () throws(AttestationError) in try PlatformTrustAnchor.load(contentsOfFile: path) }
        #expect(error?.message.hasPrefix("\(path): trust anchor 0: \"pkey\": reading a JWK public key") == true)
    }
}
