import Channel
import CommandSupport
import Foundation
import OpenSSLKit
import Synchronization

/// A domain made for a bench run: a P-384 root issuing P-256 admission certificates, as the certifier does.
struct BenchDomain {
    let rootKey = ECPrivateKey(generating: .p384)
    let root: Certificate

    init() throws {
        root = try CertificateBuilder(
            subjectCommonName: "cml-policy", subjectPublicKey: rootKey.publicKey, notBefore: Date() - 60,
            notAfter: Date() + 86400, isCertificateAuthority: true
        ).selfSigned(with: rootKey)
    }

    /// A fresh admission certificate and key for `role`, with a random measurement.
    func identity(_ role: String) throws -> TLSIdentity {
        let key = ECPrivateKey(generating: .p256)
        var builder = CertificateBuilder(
            subjectCommonName: role, subjectPublicKey: key.publicKey, notBefore: Date() - 60, notAfter: Date() + 86400)
        builder.uriSubjectAlternativeNames = [PeerIdentity.roleURI(role)]
        builder.customExtensions = [
            .init(oid: RealmMeasurementExtension.oid, value: RealmMeasurementExtension.value(measurement: SecureRandom.bytes(32)))
        ]
        return TLSIdentity(certificate: try builder.issued(by: root, issuerKey: rootKey), privateKey: key)
    }

    /// A mutual-TLS server context presenting a `role` certificate.
    func serverContext(_ role: String) throws -> TLSContext {
        try TLSContext(side: .server, trustedRoot: root, identity: try identity(role), requestPeerCertificate: true)
    }

    /// A client context presenting a `role` certificate.
    func clientContext(_ role: String) throws -> TLSContext {
        try TLSContext(side: .client, trustedRoot: root, identity: try identity(role))
    }
}

/// Client threads for the network suites.
enum ClientThreads {
    /// Runs `work(index)` on `count` threads at once and rethrows the first failure, naming `suite`.
    static func run(_ count: Int, suite: String, _ work: @escaping @Sendable (Int) throws -> Void) throws {
        let failures = Mutex([String]())
        let finished = DispatchGroup()
        for index in 0..<count {
            finished.enter()
            let thread = Thread {
                do { try work(index) } catch { failures.withLock { $0.append("\(error)") } }
                // The process may exit as soon as the last thread leaves: let OpenSSL go first.
                OpenSSLThread.finish()
                finished.leave()
            }
            thread.stackSize = 256 << 10
            thread.start()
        }
        finished.wait()
        if let first = failures.withLock({ $0.first }) {
            throw CommandFailure("\(suite): \(failures.withLock { $0.count }) of \(count) clients failed, first: \(first)")
        }
    }
}
