import Attestation
import ByteKit
import CBORKit
import OpenSSLKit
import Testing

/// COSE_Sign1 on its own: signing and verifying with each algorithm, the Sig_structure, and the
/// structures it refuses.
struct COSESign1Tests {
    @Test(arguments: COSEAlgorithm.allCases)
    func signAndVerify(algorithm: COSEAlgorithm) throws {
        let key = ECPrivateKey(generating: algorithm.curve)
        let message = try COSESign1.sign(payload: Array("payload".utf8), key: key, alg: algorithm)
        #expect(message.algorithm == algorithm)
        #expect(message.signature.count == algorithm.curve.signatureSize)
        #expect(message.isValidSignature(with: key.publicKey))
        #expect(!message.isValidSignature(with: ECPrivateKey(generating: algorithm.curve).publicKey))

        let decoded = try COSESign1(decoding: message.encoded)
        #expect(decoded.protectedHeader == CBOREncoder.encode(.map([1: CBORValue(algorithm.rawValue)])))
        #expect(decoded.payload == message.payload)
        #expect(decoded.isValidSignature(with: key.publicKey))
        // The tag is written in its one-byte form, which libcbor 0.8 cannot read but CBORKit can.
        #expect(message.encoded.prefix(2) == [0xd2, 0x84])
    }

    @Test func algorithmMustFitTheCurve() throws {
        let p384 = ECPrivateKey(generating: .p384)
        let error = attestationError { () throws(AttestationError) in try COSESign1.sign(payload: [1], key: p384, alg: .es256) }
        #expect(error?.code == .unsupportedAlgorithm)
        #expect(error?.message == "ES256 needs a P-256 key, this key is P-384")
        // A valid ES384 message checked against a P-256 key is simply not valid.
        let message = try COSESign1.sign(payload: [1], key: p384)
        #expect(!message.isValidSignature(with: ECPrivateKey(generating: .p256).publicKey))
    }

    @Test func algorithmProperties() {
        #expect(COSEAlgorithm.allCases.map(\.rawValue) == [-7, -35, -36])
        #expect(COSEAlgorithm.allCases.map(\.curve) == [.p256, .p384, .p521])
        #expect(COSEAlgorithm.allCases.map(\.digest) == [.sha256, .sha384, .sha512])
        #expect(COSEAlgorithm.allCases.map(\.name) == ["ES256", "ES384", "ES512"])
    }

    /// The hand-written Sig_structure equals libcbor's encoding of the same array, for payload lengths
    /// on both sides of each length-head boundary.
    @Test(arguments: [0, 23, 24, 255, 256, 65_535, 65_536])
    func toBeSignedMatchesTheEncoder(payloadSize: Int) throws {
        let key = ECPrivateKey(generating: .p256)
        let payload = [UInt8](repeating: 0x61, count: payloadSize)
        let message = try COSESign1.sign(payload: payload, key: key)
        let expected = CBOREncoder.encode(["Signature1", .bytes(message.protectedHeader), .bytes([]), .bytes(payload)])
        #expect(message.toBeSigned == expected)
    }

    @Test(arguments: [
        ("d28343a10126a040", "a COSE_Sign1 is an array of 4 items, found an array of 3"),
        ("8443a10126a04040", "a COSE_Sign1 must be tagged 18, found array [h'a10126', {}, h'', h'']"),
        ("d18443a10126a04040", "a COSE_Sign1 must be tagged 18, found tag 17"),
        ("d284a10126a04040", "the COSE_Sign1 protected header is a map, expected a byte string"),
        ("d28443a10126804040", "the COSE_Sign1 unprotected header is an array, expected a map"),
        ("d28443a10126a0f640", "the COSE_Sign1 payload is null, expected a byte string (detached payloads are not supported)"),
        ("d28443a10126a04060", "the COSE_Sign1 signature is a text string, expected a byte string"),
        ("d28443a10126a0404000", "the COSE_Sign1 is not valid CBOR: the item ends at offset 9"),
        ("d28441a1a04040", "the COSE_Sign1 protected header is not valid CBOR: map at offset 0 declares 1 entry"),
        ("d2844180a04040", "the COSE_Sign1 protected header is an array, expected a map"),
        ("d28441a0a04040", "the COSE_Sign1 protected header has no alg (label 1)"),
        ("d28441a0a101264040", "the COSE_Sign1 protected header has no alg (label 1)"),
        ("d28443a10127a04040", "the COSE_Sign1 alg -8 is not supported (supported: ES256 (-7), ES384 (-35), ES512 (-36))"),
        ("d28447a1016445533338a04040", "the COSE_Sign1 alg \"ES38\" is not supported"),
    ])
    func malformedStructures(hexInput: String, messageStart: String) throws {
        let bytes = try hex(hexInput)
        let error = attestationError { () throws(AttestationError) in try COSESign1(decoding: bytes) }
        #expect(error != nil)
        #expect(error?.message.hasPrefix(messageStart) == true, "\(error?.message ?? "decoded")")
    }
}

@Suite struct AttestationErrorCauseTests {
    @Test func aCOSESign1ThatIsNotCBORKeepsTheDecodersErrorAsItsCause() throws {
        let bytes = try hex("d28443a10126a0404000")
        let error = attestationError { () throws(AttestationError) in try COSESign1(decoding: bytes) }
        let cause = try #require(error?.cause as? CBORError)
        #expect(error?.code == .cbor(cause.code))
        #expect(error?.message == "the COSE_Sign1 is not valid CBOR: \(cause.message)")
    }
}
