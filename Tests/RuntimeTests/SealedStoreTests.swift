import ByteKit
import Foundation
import OpenSSLKit
import Runtime
import Testing

@Suite struct SealedStoreTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-sealed-\(UUID().uuidString)").path
    let secret = Array(repeating: UInt8(3), count: 32)
    let plaintext = Array("a model blob, or anything else".utf8)

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    @Test func roundTripsPrivatelyAndAtomically() throws {
        defer { cleanUp() }
        let store = try SealedStore(directory: folder, sealingSecret: secret)
        #expect(try store.read(purpose: "model") == nil)
        try store.write(plaintext, purpose: "model")
        try store.write(plaintext + [1], purpose: "model")
        #expect(try store.read(purpose: "model") == plaintext + [1])
        // A new store with the same secret (a restarted runtime) reads it.
        #expect(try SealedStore(directory: folder, sealingSecret: secret).read(purpose: "model") == plaintext + [1])

        // Only the sealed file is left (no temporary files), private to the runtime, and not plaintext.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["model.sealed"])
        let attributes = try FileManager.default.attributesOfItem(atPath: store.path(of: "model"))
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let folderAttributes = try FileManager.default.attributesOfItem(atPath: folder)
        #expect((folderAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        let bytes = try FileBytes.read(store.path(of: "model"), limit: SealedStore.maximumFileSize)
        #expect(bytes.starts(with: Array("CMLSEAL1".utf8)))
        #expect(bytes.count == 8 + 12 + plaintext.count + 1 + 16)
        #expect(!String(decoding: bytes, as: UTF8.self).contains("model blob"))
    }

    @Test func oneFlippedByteAnywhereIsRefused() throws {
        defer { cleanUp() }
        let store = try SealedStore(directory: folder, sealingSecret: secret)
        try store.write(plaintext, purpose: "model")
        let path = store.path(of: "model")
        let original = try FileBytes.read(path, limit: SealedStore.maximumFileSize)
        // In the nonce, the ciphertext and the tag.
        for offset in [8, 8 + 12, 8 + 12 + 5, original.count - 1] {
            var tampered = original
            tampered[offset] ^= 0x01
            try FileBytes.writeAtomically(tampered, to: path)
            let error = #expect(throws: RuntimeError.self) { try store.read(purpose: "model") }
            #expect(
                error?.message == "\(path): refused: it does not authenticate under this runtime's sealing key, so it was "
                    + "changed, or sealed under another key (a certifier set up anew releases a new sealing secret); not loading it")
            // A program tells a corrupt file by its code; AES-GCM's own refusal is kept underneath.
            #expect(error?.code == .sealedFileCorrupt)
            #expect(error?.cause is OpenSSLError)
        }
        var badHeader = original
        badHeader[0] ^= 0x01
        try FileBytes.writeAtomically(badHeader, to: path)
        let header = #expect(throws: RuntimeError.self) { try store.read(purpose: "model") }
        #expect(header?.message == "\(path): refused: not a sealed file (it does not start with \"CMLSEAL1\"); not loading it")
        #expect(header?.code == .sealedFileCorrupt)

        try FileBytes.writeAtomically(Array(original.prefix(20)), to: path)
        #expect(throws: RuntimeError.self) { try store.read(purpose: "model") }
    }

    @Test func anotherKeyOrPurposeIsRefused() throws {
        defer { cleanUp() }
        let store = try SealedStore(directory: folder, sealingSecret: secret)
        try store.write(plaintext, purpose: "model")
        let other = try SealedStore(directory: folder, sealingSecret: Array(repeating: 4, count: 32))
        let wrongKey = #expect(throws: RuntimeError.self) { try other.read(purpose: "model") }
        #expect(wrongKey?.message.contains("sealed under another key") == true)

        // The same bytes under another name: the purpose is authenticated too.
        try FileManager.default.copyItem(atPath: store.path(of: "model"), toPath: store.path(of: "checkpoint"))
        #expect(throws: RuntimeError.self) { try store.read(purpose: "checkpoint") }
    }

    @Test func aShortSecretIsRefused() throws {
        defer { cleanUp() }
        let error = #expect(throws: RuntimeError.self) { try SealedStore(directory: folder, sealingSecret: [1, 2, 3]) }
        #expect(error?.message == "the sealing secret has 3 bytes, at least 16 are needed")
        #expect(error?.code == .sealingKeyUnusable)
    }
}
