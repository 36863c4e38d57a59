import Channel
import Foundation
import OpenSSLKit
import Policy
import TestSupport
import Testing

/// The one check that server and client run on the peer, case by case, and how each side words a refusal.
@Suite struct PeerCheckTests {
    let domain: TestDomain

    init() throws {
        domain = try TestDomain()
    }

    @Test func aTrustedAdmissionInAnAllowedRoleIsThePeer() throws {
        let certificate = try domain.identity(role: .device).certificate
        let peer = try PeerCheck.check(verdict: .trusted(certificate), allowed: [.device, .provider])
        #expect(peer.role == .device)
        #expect(peer.certificate == certificate)
        #expect(try PeerCheck.check(verdict: .trusted(certificate), allowed: nil).role == .device)
    }

    @Test func noCertificateIsRefused() {
        #expect(throws: PeerCheck.Refusal.noCertificate) { try PeerCheck.check(verdict: .noCertificate, allowed: nil) }
        #expect(PeerCheck.Refusal.noCertificate.reasonAboutServer == "is missing")
        #expect(
            PeerCheck.Refusal.noCertificate.reasonForPeer(server: "runtime")
                == "no client certificate (this server admits only peers with an admission certificate)")
    }

    @Test func anUntrustedCertificateIsRefusedWithTheVerifiersReason() throws {
        let certificate = try TestDomain.selfSigned(role: .device).certificate
        let refusal = PeerCheck.Refusal.untrusted("is not issued by this domain's policy key")
        #expect(throws: refusal) {
            try PeerCheck.check(verdict: .untrusted(reason: "is not issued by this domain's policy key", certificate: certificate), allowed: nil)
        }
        #expect(refusal.reasonAboutServer == "is not issued by this domain's policy key")
        #expect(refusal.reasonForPeer(server: "runtime") == "your certificate is not issued by this domain's policy key")
    }

    @Test func aTrustedCertificateThatIsNoAdmissionIsRefused() throws {
        let key = ECPrivateKey(generating: .p256)
        let bare = try CertificateBuilder(subjectCommonName: "device", subjectPublicKey: key.publicKey, notAfter: Date() + 60)
            .issued(by: domain.root, issuerKey: domain.rootKey)
        let refusal = PeerCheck.Refusal.notAdmission("names no role (no cml:role:<role> URI)")
        #expect(throws: refusal) { try PeerCheck.check(verdict: .trusted(bare), allowed: nil) }
        #expect(refusal.reasonForPeer(server: "runtime") == "your certificate names no role (no cml:role:<role> URI)")
    }

    @Test func aRoleOutsideTheAllowedOnesIsRefused() throws {
        let certificate = try domain.identity(role: .device).certificate
        let refusal = PeerCheck.Refusal.roleNotAllowed(.device, allowed: [.runtime, .provider])
        #expect(throws: refusal) { try PeerCheck.check(verdict: .trusted(certificate), allowed: [.runtime, .provider]) }
        #expect(refusal.reasonAboutServer == "names the role \"device\", expected provider or runtime")
        #expect(refusal.reasonForPeer(server: "runtime") == "role \"device\" may not connect to runtime (allowed: provider, runtime)")
        #expect(throws: PeerCheck.Refusal.roleNotAllowed(.device, allowed: [])) {
            try PeerCheck.check(verdict: .trusted(certificate), allowed: [])
        }
    }
}
