import Channel
import Foundation
import OpenSSLKit
import Synchronization
import Testing

/// Runs `openssl s_client` against `port` with an empty standard input and returns its output.
///
/// `-ign_eof` keeps it reading after its input ends, so it prints whatever the server sends until the
/// server closes.
private func sClient(port: UInt16, arguments: [String]) throws -> (status: Int32, stdout: [UInt8], stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-ign_eof"] + arguments
    let output = Pipe(), errors = Pipe()
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Read both pipes before waiting, so a full pipe can never block the tool.
    let errorData = Mutex(Data())
    let reading = DispatchGroup()
    DispatchQueue.global().async(group: reading) {
        errorData.withLock { $0 = errors.fileHandleForReading.readDataToEndOfFile() }
    }
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    reading.wait()
    process.waitUntilExit()
    return (process.terminationStatus, [UInt8](outputData), String(decoding: errorData.withLock { $0 }, as: UTF8.self))
}

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

    let result = try sClient(port: server.port, arguments: ["-CAfile", rootPath, "-verify_return_error"])
    let text = String(decoding: result.stdout, as: UTF8.self)
    // s_client trusted the runtime's certificate through the policy certificate, over TLS 1.3 ...
    #expect(text.contains("Verify return code: 0 (ok)"), "\(text)\n\(result.stderr)")
    #expect(text.contains("TLSv1.3"), "\(text)")
    #expect(text.contains("Acceptable client certificate CA names\nCN = cml-policy"), "\(text)")
    // ... and then received the error frame: a 4-byte length and a CBOR map naming the refusal.
    let frame = try #require(errorFrame(in: result.stdout), "no error frame in:\n\(text)")
    #expect(frame == ErrorMessage(
        .notAuthorized,
        "runtime refused the connection: no client certificate (this server admits only peers with an admission certificate)"))
    #expect(served.withLock { $0 } == 0)

    // A client certificate of its own making is refused the same way, with the reason.
    let selfSigned = try TestDomain.selfSigned(role: "device", commonName: "cml-device")
    let certificatePath = directory.appendingPathComponent("device.pem").path
    let keyPath = directory.appendingPathComponent("device.key").path
    try selfSigned.certificate.pem.write(toFile: certificatePath, atomically: true, encoding: .utf8)
    try selfSigned.privateKey.pkcs8PEM.write(toFile: keyPath, atomically: true, encoding: .utf8)
    let forged = try sClient(port: server.port, arguments: ["-CAfile", rootPath, "-cert", certificatePath, "-key", keyPath])
    #expect(try #require(errorFrame(in: forged.stdout)) == ErrorMessage(
        .notAuthorized,
        "runtime refused the connection: your certificate is not issued by this domain's policy key (self-signed \"cml-device\")"))

    // TLS 1.2 is not spoken at all.
    let old = try sClient(port: server.port, arguments: ["-CAfile", rootPath, "-tls1_2"])
    #expect(old.status != 0)
    #expect(old.stderr.contains("alert protocol version") || old.stderr.contains("unsupported protocol"), "\(old.stderr)")
}

/// The first frame in s_client's output whose body decodes as an `error` message.
private func errorFrame(in output: [UInt8]) -> ErrorMessage? {
    let codec = FrameCodec()
    // s_client prints its session summary first; the server's bytes follow it. Try each offset.
    for start in 0..<max(0, output.count - 4) {
        let length = output[start..<(start + 4)].reduce(0) { $0 << 8 | Int($1) }
        guard length > 8, start + 4 + length <= output.count,
            let message = try? codec.decode(body: Array(output[(start + 4)..<(start + 4 + length)])),
            message.type == ErrorMessage.type
        else { continue }
        return try? ErrorMessage(message)
    }
    return nil
}
