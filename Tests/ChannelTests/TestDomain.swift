import Channel
import Foundation
import Logging
import OpenSSLKit

/// A domain made at test time: a P-384 root (the policy certificate) issuing P-256 admission certificates.
struct TestDomain {
    static let rootDescription = "this domain's policy key"

    let rootKey: ECPrivateKey
    let root: Certificate

    init(name: String = "cml-policy") throws {
        rootKey = ECPrivateKey(generating: .p384)
        root = try CertificateBuilder(
            subjectCommonName: name, subjectPublicKey: rootKey.publicKey, notBefore: Date() - 3600,
            notAfter: Date() + 86400, isCertificateAuthority: true
        ).selfSigned(with: rootKey)
    }

    /// An admission certificate for `role`, as the certifier issues it.
    func identity(
        role: String, measurement: [UInt8]? = Array(repeating: 0x5e, count: 32),
        notBefore: Date = Date() - 60, notAfter: Date = Date() + 3600
    ) throws -> TLSIdentity {
        let key = ECPrivateKey(generating: .p256)
        var builder = CertificateBuilder(
            subjectCommonName: role, subjectPublicKey: key.publicKey, notBefore: notBefore, notAfter: notAfter)
        builder.uriSubjectAlternativeNames = [PeerIdentity.roleURI(role)]
        if let measurement {
            builder.customExtensions = [
                .init(oid: RealmMeasurementExtension.oid, value: RealmMeasurementExtension.value(measurement: measurement))
            ]
        }
        return TLSIdentity(certificate: try builder.issued(by: root, issuerKey: rootKey), privateKey: key)
    }

    /// A certificate that names `role` but that its own key signed.
    static func selfSigned(role: String, commonName: String? = nil) throws -> TLSIdentity {
        let key = ECPrivateKey(generating: .p256)
        var builder = CertificateBuilder(
            subjectCommonName: commonName ?? role, subjectPublicKey: key.publicKey, notAfter: Date() + 3600)
        builder.uriSubjectAlternativeNames = [PeerIdentity.roleURI(role)]
        return TLSIdentity(certificate: try builder.selfSigned(with: key), privateKey: key)
    }

    func serverContext(role: String = "runtime", mutual: Bool = true) throws -> TLSContext {
        try TLSContext(
            side: .server, trustedRoot: root, rootDescription: Self.rootDescription, identity: try identity(role: role),
            requestPeerCertificate: mutual)
    }

    func clientContext(identity: TLSIdentity?) throws -> TLSContext {
        try TLSContext(side: .client, trustedRoot: root, rootDescription: Self.rootDescription, identity: identity)
    }
}

/// A logger that drops everything, so test output stays readable.
let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// A server on an OS-picked loopback port, started, and stopped by `stop()`.
func startServer(
    context: TLSContext, configuration: ChannelServer.Configuration = .init(name: "runtime"),
    handler: @escaping ChannelServer.Handler = echo
) throws -> ChannelServer {
    let server = try ChannelServer(
        host: "127.0.0.1", port: 0, context: context, configuration: configuration, logger: quietLogger, handler: handler)
    try server.start()
    return server
}

/// Answers `{"type": "ping", "n": n}` with `{"type": "pong", "n": n, "role": peer role}`.
let echo: ChannelServer.Handler = ChannelServer.answering { peer, request in
    guard request.type == "ping" else { throw ChannelError(.unknownType, "\"\(request.type)\" is not served here") }
    return Message(type: "pong", fields: ["n": .unsigned(try request.unsigned("n")), "role": .text(peer?.role ?? "")])
}

func ping(_ n: UInt64) -> Message {
    Message(type: "ping", fields: ["n": .unsigned(n)])
}
