import Channel
import Foundation
import OpenSSLKit
import Synchronization
import TestSupport
import Testing

@Test func opensslClientWithoutCertificateIsRefusedWithAnErrorFrame() throws {
    let domain = try TestDomain()
    let served = Mutex(0)
    let server = try startServer(context: try domain.serverContext()) { _, _, _ in served.withLock { $0 += 1 } }
    defer { server.stop() }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("s_client-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let rootPath = directory.appendingPathComponent("policy.pem").path
    try domain.root.pem.write(toFile: rootPath, atomically: true, encoding: .utf8)

    let result = try SClient.run(port: server.port, arguments: ["-CAfile", rootPath, "-verify_return_error"])
    let text = result.text
    // s_client trusted the runtime's certificate through the policy certificate, over TLS 1.3 ...
    #expect(text.contains("Verify return code: 0 (ok)"), "\(text)\n\(result.standardError)")
    #expect(text.contains("TLSv1.3"), "\(text)")
    #expect(text.contains("Acceptable client certificate CA names\nCN = cml-policy"), "\(text)")
    // ... and then received the error frame: a 4-byte length and a CBOR map naming the refusal.
    let frame = try #require(result.error, "no error frame in:\n\(text)")
    #expect(frame == ErrorMessage(
        .notAuthorized,
        "runtime refused the connection: no client certificate (this server admits only peers with an admission certificate)"))
    #expect(served.withLock { $0 } == 0)

    // A client certificate of its own making is refused the same way, with the reason.
    let selfSigned = try TestDomain.selfSigned(role: .device, commonName: "cml-device")
    let certificatePath = directory.appendingPathComponent("device.pem").path
    let keyPath = directory.appendingPathComponent("device.key").path
    try selfSigned.certificate.pem.write(toFile: certificatePath, atomically: true, encoding: .utf8)
    try selfSigned.privateKey.pkcs8PEM.write(toFile: keyPath, atomically: true, encoding: .utf8)
    let forged = try SClient.run(port: server.port, arguments: ["-CAfile", rootPath, "-cert", certificatePath, "-key", keyPath])
    #expect(try #require(forged.error) == ErrorMessage(
        .notAuthorized,
        "runtime refused the connection: your certificate is not issued by this domain's policy key (self-signed \"cml-device\")"))

    // TLS 1.2 is not spoken at all.
    let old = try SClient.run(port: server.port, arguments: ["-CAfile", rootPath, "-tls1_2"])
    #expect(old.status != 0)
    #expect(old.standardError.contains("alert protocol version") || old.standardError.contains("unsupported protocol"), "\(old.standardError)")
}
