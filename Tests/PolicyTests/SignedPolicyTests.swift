import Attestation
import Foundation
import OpenSSLKit
import Policy
import Testing

@Suite struct SignedPolicyTests {
    let fixture = PolicyFixture()

    @Test func signsAndOpensTheExactJSON() throws {
        let json = try fixture.policy().jsonBytes()
        let signed = try SignedPolicy.sign(json: json, key: fixture.policyKey)
        let opened = try SignedPolicy(opening: signed.bytes, policyCertificate: fixture.policyCertificate)
        #expect(opened.json == json)
        #expect(opened.document == (try fixture.policy()))
        let message = try COSESign1(decoding: signed.bytes)
        #expect(message.algorithm == .es384)
        #expect(message.payload == json)
    }

    @Test func refusesEveryChangedByte() throws {
        let signed = try SignedPolicy.sign(fixture.policy(), key: fixture.policyKey)
        let certificate = fixture.policyCertificate
        for offset in signed.bytes.indices {
            var changed = signed.bytes
            changed[offset] ^= 0x01
            let error = #expect(throws: PolicyError.self, "byte \(offset)") {
                try SignedPolicy(opening: changed, policyCertificate: certificate)
            }
            #expect(error.map { !$0.description.isEmpty } == true)
        }
    }

    @Test func aChangedPayloadIsRefusedForItsSignature() throws {
        let json = try fixture.policy().jsonBytes()
        let signed = try SignedPolicy.sign(json: json, key: fixture.policyKey)
        // Change one character of the JSON inside the payload, keeping the CBOR well formed.
        let measurement = Array("5e5e5e".utf8)
        let start = try #require(signed.bytes.firstRange(of: measurement)).lowerBound
        var changed = signed.bytes
        changed[start] = UInt8(ascii: "6")
        #expect(throws: PolicyError("the policy's signature does not verify under the key of the policy \(fixture.policyCertificate) (the policy was changed after signing, or signed by another domain's key)")) {
            try SignedPolicy(opening: changed, policyCertificate: fixture.policyCertificate)
        }
    }

    @Test func refusesAnotherDomainsCertificate() throws {
        let signed = try SignedPolicy.sign(fixture.policy(), key: fixture.policyKey)
        let other = PolicyFixture()
        let error = #expect(throws: PolicyError.self) { try SignedPolicy(opening: signed.bytes, policyCertificate: other.policyCertificate) }
        #expect(error?.reason.contains("does not verify under the key of the policy certificate \"cml-policy\"") == true)
    }

    @Test func refusesNonPolicyBytesAndInvalidPolicies() throws {
        let certificate = fixture.policyCertificate
        let notCOSE = #expect(throws: PolicyError.self) { try SignedPolicy(opening: Array("{}".utf8), policyCertificate: certificate) }
        #expect(
            notCOSE?.reason
                == "not a signed policy: this is policy JSON, which the policy key has not signed; "
                + "sign the policy JSON with `cml-policy sign --key CERTIFIER-STATE/policy.key --in POLICY.json --out POLICY.signed`")
        let garbage = #expect(throws: PolicyError.self) { try SignedPolicy(opening: [0x01, 0x02], policyCertificate: certificate) }
        #expect(garbage?.reason.hasPrefix("not a signed policy (a COSE_Sign1 of the policy JSON): ") == true)
        #expect(garbage?.reason.hasSuffix("; \(SignedPolicy.signingHint)") == true)
        // A signed document that is not a valid policy is refused after the signature checks out.
        let bogus = try COSESign1.sign(payload: Array("{\"format\": \"x\"}".utf8), key: fixture.policyKey, alg: .es384)
        let invalid = #expect(throws: PolicyError.self) { try SignedPolicy(opening: bogus.encoded, policyCertificate: certificate) }
        #expect(invalid?.description.contains("the signed policy is not valid") == true)
        // Signing refuses an invalid policy and a key that is not P-384.
        #expect(throws: PolicyError.self) { try SignedPolicy.sign(json: Array("{}".utf8), key: fixture.policyKey) }
        let p256 = #expect(throws: PolicyError.self) { try SignedPolicy.sign(fixture.policy(), key: ECPrivateKey(generating: .p256)) }
        #expect(p256?.reason == "the policy key is P-256; policies are signed ES384 with a P-384 key")
    }

    @Test func anES256SignatureIsRefusedEvenByTheRightKeyOwner() throws {
        let key = ECPrivateKey(generating: .p256)
        let certificate = try CertificateBuilder(
            subjectCommonName: "cml-policy", subjectPublicKey: key.publicKey, notAfter: Date() + 3600, isCertificateAuthority: true
        ).selfSigned(with: key)
        let message = try COSESign1.sign(payload: fixture.policy().jsonBytes(), key: key)
        #expect(throws: PolicyError("the policy is signed ES256; policies are signed ES384")) {
            try SignedPolicy(opening: message.encoded, policyCertificate: certificate)
        }
    }
}
