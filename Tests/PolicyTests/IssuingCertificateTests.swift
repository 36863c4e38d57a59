import Foundation
import OpenSSLKit
import Policy
import Testing

@Suite struct IssuingCertificateTests {
    let fixture = PolicyFixture()
    let issuingKey = ECPrivateKey(generating: .p256)

    @Test func itIsACAOfPathLengthZeroThatThePolicyKeySigned() throws {
        let root = fixture.policyCertificate
        let issuing = try IssuingCertificate.issue(for: issuingKey.publicKey, policyKey: fixture.policyKey, policyCertificate: root)
        #expect(issuing.isCertificateAuthority)
        #expect(issuing.keyUsage.contains([.keyCertSign, .digitalSignature]))
        #expect(issuing.subjectCommonName == "cml-issuer" && issuing.subjectOrganization == IssuingCertificate.organization)
        #expect(issuing.issuerCommonName == root.subjectCommonName)
        try IssuingCertificate.check(issuing, policyCertificate: root, at: Date())

        // pathlen 0: a CA the issuing key certified cannot issue admissions, though every signature is right.
        let subKey = ECPrivateKey(generating: .p256)
        let sub = try CertificateBuilder(subjectCommonName: "sub-ca", subjectPublicKey: subKey.publicKey, notAfter: Date() + 3600, isCertificateAuthority: true)
            .issued(by: issuing, issuerKey: issuingKey)
        let leaf = try AdmissionCertificate.issue(
            role: .device, measurement: nil, subjectKey: ECPrivateKey(generating: .p256).publicKey, notBefore: Date() - 60,
            notAfter: Date() + 60, issuerKey: subKey, issuerCertificate: sub)
        let verifier = try CertificateVerifier(trustedRoot: root, rootDescription: "this domain's policy key")
        let verdict = verifier.verify(leaf, intermediates: [sub, issuing])
        #expect(verdict == .untrusted(reason: "is issued by \"cml-issuer\", which has more CAs below it than its path length allows"), "\(verdict)")
        // And the check of an issuing certificate refuses the sub-CA, which the policy key did not sign.
        let error = #expect(throws: PolicyError.self) { try IssuingCertificate.check(sub, policyCertificate: root, at: Date()) }
        #expect(error?.reason.hasPrefix("\(sub) is not issued by this domain's policy key") == true, "\(String(describing: error))")
    }
}
