import ByteKit
import Foundation
import OpenSSLKit
import Testing

/// NIST FIPS 180 example values: the empty string, "abc", and one million 'a'.
private let knownAnswers: [(Digest, empty: String, abc: String, millionA: String)] = [
    (
        .sha256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    ),
    (
        .sha384,
        "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
        "9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985"
    ),
    (
        .sha512,
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
            + "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
            + "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"
    ),
]

@Test(arguments: knownAnswers.indices)
func oneShotHashMatchesNIST(index: Int) {
    let (digest, empty, abc, _) = knownAnswers[index]
    #expect(Hex.encode(digest.hash([UInt8]())) == empty)
    #expect(Hex.encode(digest.hash(Array("abc".utf8))) == abc)
    #expect(digest.hash([UInt8]()).count == digest.size)
}

@Test(arguments: knownAnswers.indices)
func streamHashesOneMillionA(index: Int) {
    let (digest, empty, abc, millionA) = knownAnswers[index]
    let stream = DigestStream(digest)
    // 1000 pieces of 1000, so the answer depends on carrying state between updates.
    let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
    for _ in 0..<1000 { stream.update(piece) }
    #expect(Hex.encode(stream.finalize()) == millionA)
    // finalize() starts over, so the stream can hash again.
    #expect(Hex.encode(stream.finalize()) == empty)
    stream.update(Array("ab".utf8))
    Array("c".utf8).withUnsafeBytes { stream.update($0) }
    #expect(Hex.encode(stream.finalize()) == abc)
}

@Test func hashFileStreamsAFileLargerThanOneRead() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("digest-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    // Larger than the 1 MiB read buffer, and not a multiple of it.
    let contents = (0..<(3 << 20) + 17).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    try Data(contents).write(to: URL(fileURLWithPath: path))
    for digest in Digest.allCases {
        #expect(try DigestStream.hashFile(at: path, with: digest) == digest.hash(contents))
    }
}

@Test func hashFileNamesAMissingFile() {
    let path = "/nonexistent/cml-\(UUID().uuidString)"
    let error = #expect(throws: OpenSSLError.self) { try DigestStream.hashFile(at: path, with: .sha256) }
    #expect(error?.operation.contains(path) == true)
    #expect(error?.reasons == ["No such file or directory"])
}

@Test func digestNamesFromCCATokens() {
    #expect(Digest(name: "sha-256") == .sha256)
    #expect(Digest(name: "SHA-384") == .sha384)
    #expect(Digest(name: "sha512") == .sha512)
    #expect(Digest(name: "SHA2-256") == .sha256)
    #expect(Digest(name: "sha-1") == nil)
    #expect(Digest(name: "sha3-256") == nil)
    #expect(Digest(name: "") == nil)
    for digest in Digest.allCases {
        #expect(Digest(name: digest.name) == digest)
    }
    #expect(Digest.sha384.name == "sha-384")
}
