import Foundation
import OpenSSLKit
import Testing

private let policyKey = "this domain's policy key"

@Test func leafIssuedByTheRootIsTrusted() throws {
    let authority = try TestAuthority()
    let verifier = try CertificateVerifier(trustedRoot: authority.certificate, rootDescription: policyKey)
    let (leaf, _) = try authority.issue()
    #expect(verifier.verify(leaf) == .trusted)
    #expect(verifier.verify(authority.certificate) == .trusted)
}

@Test func expiredAndNotYetValidAreRefusedWithTheDate() throws {
    let authority = try TestAuthority(notBefore: Date(timeIntervalSince1970: 1_700_000_000))
    let verifier = try CertificateVerifier(trustedRoot: authority.certificate, rootDescription: policyKey)
    let notAfter = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18 11:06:40 UTC
    let (leaf, _) = try authority.issue(notBefore: notAfter - 3600, notAfter: notAfter)
    #expect(verifier.verify(leaf, at: notAfter - 10) == .trusted)
    #expect(verifier.verify(leaf, at: notAfter + 10) == .untrusted(reason: "expired on 2026-11-18 11:06:40 UTC"))
    #expect(verifier.verify(leaf, at: notAfter - 7200) == .untrusted(reason: "is not valid before 2026-11-18 10:06:40 UTC"))
}

@Test func anExpiredRootIsNamed() throws {
    let authority = try TestAuthority(notBefore: Date() - 7200, notAfter: Date() - 3600)
    let verifier = try CertificateVerifier(trustedRoot: authority.certificate, rootDescription: policyKey)
    let (leaf, _) = try authority.issue()
    guard case .untrusted(let reason) = verifier.verify(leaf) else {
        Issue.record("an expired root was accepted")
        return
    }
    #expect(reason.hasPrefix("is issued by \"cml-policy\", which expired on "), "\(reason)")
}

@Test func selfSignedLeafIsRefused() throws {
    let authority = try TestAuthority()
    let verifier = try CertificateVerifier(trustedRoot: authority.certificate, rootDescription: policyKey)
    let key = ECPrivateKey(generating: .p256)
    let builder = CertificateBuilder(subjectCommonName: "cml-runtime", subjectPublicKey: key.publicKey, notAfter: Date() + 60)
    let selfSigned = try builder.selfSigned(with: key)
    #expect(selfSigned.isSelfIssued)
    #expect(verifier.verify(selfSigned) == .untrusted(
        reason: "is not issued by this domain's policy key (self-signed \"cml-runtime\")"))
}

@Test func leafOfAnotherAuthorityIsRefused() throws {
    let ours = try TestAuthority()
    let theirs = try TestAuthority(name: "other-domain")
    let verifier = try CertificateVerifier(trustedRoot: ours.certificate, rootDescription: policyKey)
    let (leaf, _) = try theirs.issue(role: "runtime")
    #expect(verifier.verify(leaf) == .untrusted(
        reason: "is not issued by this domain's policy key (\"runtime\" is issued by \"other-domain\")"))
    // Even with the other root offered as an intermediate, trust stays anchored in ours only.
    guard case .untrusted(let reason) = verifier.verify(leaf, intermediates: [theirs.certificate]) else {
        Issue.record("another domain's chain was accepted")
        return
    }
    #expect(reason.contains("is not issued by this domain's policy key"), "\(reason)")
}

@Test func impostorRootWithTheSameNameIsRefused() throws {
    let ours = try TestAuthority()
    let impostor = try TestAuthority()  // also "cml-policy", another key
    let verifier = try CertificateVerifier(trustedRoot: ours.certificate, rootDescription: policyKey)
    let (leaf, _) = try impostor.issue()
    guard case .untrusted(let reason) = verifier.verify(leaf) else {
        Issue.record("a leaf of an impostor root was accepted")
        return
    }
    #expect(reason == "is not issued by this domain's policy key (\"device\" is issued by another key named \"cml-policy\")")
}

@Test func tamperedCertificateIsRefused() throws {
    let authority = try TestAuthority()
    let verifier = try CertificateVerifier(trustedRoot: authority.certificate, rootDescription: policyKey)
    let (leaf, _) = try authority.issue(role: "device")
    // Flip one byte of the role in the SAN URI, inside the signed part.
    var der = leaf.der
    let role = Array("cml:role:device".utf8)
    let start = try #require((0...(der.count - role.count)).first { Array(der[$0..<($0 + role.count)]) == role })
    der[start + 9] ^= 0x01  // "device" -> "eevice"
    let tampered = try Certificate(der: der)
    #expect(tampered.uriSubjectAlternativeNames == ["cml:role:eevice"])
    #expect(!tampered.isSignatureValid(issuerKey: authority.key.publicKey))
    #expect(verifier.verify(tampered) == .untrusted(
        reason: "has a signature that does not verify under its issuer's key (forged or tampered with)"))
}

@Test func aLeafIsNoCA() throws {
    let authority = try TestAuthority()
    let verifier = try CertificateVerifier(trustedRoot: authority.certificate, rootDescription: policyKey)
    let (leaf, leafKey) = try authority.issue(role: "runtime")
    // Force a certificate signed by the leaf's key naming the leaf as issuer, as a rogue intermediate would.
    // The builder only signs under a CA certificate, so a stand-in CA with the leaf's name and key signs;
    // the chain then offers the real leaf (CA:FALSE) as the child's issuer.
    let rogueCA = try CertificateBuilder(
        subjectCommonName: "runtime", subjectPublicKey: leafKey.publicKey, notAfter: Date() + 60,
        isCertificateAuthority: true
    ).selfSigned(with: leafKey)
    let victimKey = ECPrivateKey(generating: .p256)
    let child = try CertificateBuilder(subjectCommonName: "victim", subjectPublicKey: victimKey.publicKey, notAfter: Date() + 60)
        .issued(by: rogueCA, issuerKey: leafKey)
    guard case .untrusted(let reason) = verifier.verify(child, intermediates: [leaf]) else {
        Issue.record("a certificate issued by a leaf was accepted")
        return
    }
    #expect(reason == "is not issued by this domain's policy key (\"victim\" is issued by \"runtime\")")
}
