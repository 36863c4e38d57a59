import Foundation
import OpenSSLKit
import Testing

/// Runs the `openssl` command-line tool and returns its exit status and combined output.
private func openssl(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

@Test func theOpenSSLToolReadsAndVerifiesOurCertificates() throws {
    let authority = try TestAuthority()
    let (leaf, _) = try authority.issue(role: "runtime", measurement: Array(repeating: 0x5e, count: 32))
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("x509-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let rootPath = directory.appendingPathComponent("root.pem").path
    let leafPath = directory.appendingPathComponent("leaf.pem").path
    try authority.certificate.pem.write(toFile: rootPath, atomically: true, encoding: .utf8)
    try leaf.pem.write(toFile: leafPath, atomically: true, encoding: .utf8)

    let verified = try openssl(["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", rootPath, leafPath])
    #expect(verified.status == 0 && verified.output.contains("\(leafPath): OK"), "\(verified.output)")
    let asServer = try openssl(["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", rootPath, leafPath])
    #expect(asServer.status == 0, "\(asServer.output)")
    let alone = try openssl(["verify", "-CAfile", leafPath, leafPath])
    #expect(alone.status != 0, "a leaf is no trust anchor for itself: \(alone.output)")

    let text = try openssl(["x509", "-in", leafPath, "-noout", "-text"]).output
    for expected in [
        "Version: 3 (0x2)",
        "Signature Algorithm: ecdsa-with-SHA384",
        "Issuer: O = ConfidentialML, CN = cml-policy",
        "Subject: O = ConfidentialML, CN = runtime",
        "ASN1 OID: prime256v1",
        "X509v3 Basic Constraints: critical\n                CA:FALSE",
        "X509v3 Key Usage: critical\n                Digital Signature",
        "TLS Web Server Authentication, TLS Web Client Authentication",
        "URI:cml:role:runtime",
        "X509v3 Subject Key Identifier",
        "X509v3 Authority Key Identifier",
        "\(TestAuthority.measurementOID): \n",
    ] {
        #expect(text.contains(expected), "missing \(expected.debugDescription) in:\n\(text)")
    }
    let serial = try openssl(["x509", "-in", leafPath, "-noout", "-serial"]).output
    #expect(serial.lowercased() == "serial=\(leaf.serialNumberHex)\n")

    let rootText = try openssl(["x509", "-in", rootPath, "-noout", "-text"]).output
    #expect(rootText.contains("CA:TRUE"))
    #expect(rootText.contains("Digital Signature, Certificate Sign, CRL Sign"))
    #expect(rootText.contains("ASN1 OID: secp384r1"))
}
