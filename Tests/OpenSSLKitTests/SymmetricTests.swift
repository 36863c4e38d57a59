import ByteKit
import OpenSSLKit
import Testing

@Test func aesGCMRoundTrip() throws {
    let key = SecureRandom.bytes(32)
    for plaintext in [[], [0x42], Array("model store".utf8), SecureRandom.bytes(1000)] {
        for aad in [[], Array("runtime".utf8)] {
            let sealed = try AESGCM.seal(plaintext, key: key, authenticating: aad)
            #expect(sealed.count == 12 + plaintext.count + 16)
            #expect(try AESGCM.open(sealed, key: key, authenticating: aad) == plaintext)
        }
    }
    // A fresh nonce every time.
    let first = try AESGCM.seal([1, 2, 3], key: key)
    let second = try AESGCM.seal([1, 2, 3], key: key)
    #expect(first.prefix(12) != second.prefix(12))
}

@Test func aesGCMDetectsEveryTamperedByte() throws {
    let key = SecureRandom.bytes(32)
    let sealed = try AESGCM.seal(Array("checkpoint".utf8), key: key, authenticating: [7])
    for index in sealed.indices {
        var tampered = sealed
        tampered[index] ^= 0x80
        let error = #expect(throws: OpenSSLError.self, "byte \(index)") {
            try AESGCM.open(tampered, key: key, authenticating: [7])
        }
        #expect(error?.description.contains("tampered with or sealed under another key") == true)
    }
    #expect(throws: OpenSSLError.self) { try AESGCM.open(sealed, key: key, authenticating: [8]) }
    #expect(throws: OpenSSLError.self) { try AESGCM.open(sealed, key: key) }
}

@Test func aesGCMRejectsAnotherKey() throws {
    let sealed = try AESGCM.seal(Array("secret".utf8), key: SecureRandom.bytes(32))
    let error = #expect(throws: OpenSSLError.self) { try AESGCM.open(sealed, key: SecureRandom.bytes(32)) }
    #expect(error?.reasons == ["authentication failed: the data was tampered with or sealed under another key"])
}

@Test func aesGCMRejectsBadSizes() throws {
    let shortKey = #expect(throws: OpenSSLError.self) { try AESGCM.seal([1], key: SecureRandom.bytes(16)) }
    #expect(shortKey?.reasons == ["the key has 16 bytes, AES-256 needs 32"])
    let short = #expect(throws: OpenSSLError.self) { try AESGCM.open(Array(repeating: 0, count: 27), key: SecureRandom.bytes(32)) }
    #expect(short?.reasons == ["it has 27 bytes, fewer than a nonce and a tag (28)"])
}

@Test func hkdfMatchesRFC5869() throws {
    // Test case 1 (SHA-256).
    let okm = try HKDF.deriveKey(
        secret: Array(repeating: 0x0b, count: 22), salt: Hex.decode("000102030405060708090a0b0c")!,
        info: Hex.decode("f0f1f2f3f4f5f6f7f8f9")!, count: 42)
    #expect(Hex.encode(okm) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    // Test case 3: empty salt and info.
    let empty = try HKDF.deriveKey(secret: Array(repeating: 0x0b, count: 22), salt: [], info: [], count: 42)
    #expect(Hex.encode(empty) == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
}

@Test func hkdfFollowsTheDigestAndLimits() throws {
    let secret = Array("secret".utf8)
    let sha384 = try HKDF.deriveKey(secret: secret, salt: [1], info: [2], count: 48, digest: .sha384)
    let sha256 = try HKDF.deriveKey(secret: secret, salt: [1], info: [2], count: 48)
    #expect(sha384 != sha256)
    #expect(try HKDF.deriveKey(secret: secret, salt: [1], info: [3], count: 48) != sha256)
    #expect(try HKDF.deriveKey(secret: secret, salt: [1], info: [2], count: 8160).count == 8160)
    let tooLong = #expect(throws: OpenSSLError.self) {
        try HKDF.deriveKey(secret: secret, salt: [], info: [], count: 255 * 32 + 1)
    }
    #expect(tooLong?.reasons == ["HKDF-sha-256 derives 1 to 8160 bytes"])
    #expect(throws: OpenSSLError.self) { try HKDF.deriveKey(secret: secret, salt: [], info: [], count: 0) }
}

@Test func constantTimeEquality() {
    #expect(ConstantTime.equals([], []))
    #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
    #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
    #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
    #expect(!ConstantTime.equals([], [0]))
}

@Test func secureRandomBytesHaveTheCountAndDiffer() {
    #expect(SecureRandom.bytes(0).isEmpty)
    let first = SecureRandom.bytes(32)
    #expect(first.count == 32)
    #expect(first != SecureRandom.bytes(32))
}

@Test func linksOpenSSL3() {
    #expect(OpenSSLVersion.text.hasPrefix("OpenSSL 3"))
}
