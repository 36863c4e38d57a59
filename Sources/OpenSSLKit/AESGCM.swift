internal import COpenSSL

/// AES-256-GCM sealing: `nonce || ciphertext || tag`, with a fresh random nonce every time.
public enum AESGCM {
    /// Key length in bytes.
    public static let keySize = 32
    /// Nonce length in bytes, at the start of sealed data.
    public static let nonceSize = 12
    /// Tag length in bytes, at the end of sealed data.
    public static let tagSize = 16

    /// Encrypts and authenticates `plaintext` (and authenticates `aad`) under a 32-byte `key`.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], authenticating aad: [UInt8] = []) throws(OpenSSLError) -> [UInt8] {
        let operation = "sealing with AES-256-GCM"
        try checkSizes(key: key, input: plaintext, aad: aad, operation)
        OpenSSLError.clearQueue()
        let nonce = SecureRandom.bytes(nonceSize)
        let context = try CipherContext(operation)
        let cipher = context.pointer
        try OpenSSLError.check(EVP_EncryptInit_ex2(cipher, EVP_aes_256_gcm(), key, nonce, nil), operation)
        var sealed = nonce + [UInt8](repeating: 0, count: plaintext.count + tagSize)
        try sealed.withUnsafeMutableBufferPointer { (buffer) throws(OpenSSLError) in
            var length: Int32 = 0
            if !aad.isEmpty {
                try OpenSSLError.check(EVP_EncryptUpdate(cipher, nil, &length, aad, Int32(aad.count)), operation)
            }
            let body = buffer.baseAddress! + nonceSize
            var written = 0
            if !plaintext.isEmpty {
                try OpenSSLError.check(EVP_EncryptUpdate(cipher, body, &length, plaintext, Int32(plaintext.count)), operation)
                written = Int(length)
            }
            try OpenSSLError.check(EVP_EncryptFinal_ex(cipher, body + written, &length), operation)
            written += Int(length)
            guard written == plaintext.count else {
                throw OpenSSLError(operation, reason: "GCM wrote \(written) bytes for \(plaintext.count)")
            }
            try OpenSSLError.check(
                EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_AEAD_GET_TAG, Int32(tagSize), body + written), operation)
        }
        return sealed
    }

    /// Checks and decrypts what `seal` made with the same `key` and `aad`.
    ///
    /// Throws if the data was changed anywhere, or was sealed under another key or with other `aad`.
    public static func open(_ sealed: [UInt8], key: [UInt8], authenticating aad: [UInt8] = []) throws(OpenSSLError) -> [UInt8] {
        let operation = "opening AES-256-GCM sealed data"
        try checkSizes(key: key, input: sealed, aad: aad, operation)
        guard sealed.count >= nonceSize + tagSize else {
            throw OpenSSLError(
                operation, reason: "it has \(sealed.count) bytes, fewer than a nonce and a tag (\(nonceSize + tagSize))")
        }
        OpenSSLError.clearQueue()
        let context = try CipherContext(operation)
        let cipher = context.pointer
        let bodyCount = sealed.count - nonceSize - tagSize
        var plaintext = [UInt8](repeating: 0, count: bodyCount)
        let authentic = try sealed.withUnsafeBufferPointer { (input) throws(OpenSSLError) -> Bool in
            let nonce = input.baseAddress!
            let body = nonce + nonceSize
            let tag = body + bodyCount
            try OpenSSLError.check(EVP_DecryptInit_ex2(cipher, EVP_aes_256_gcm(), key, nonce, nil), operation)
            var length: Int32 = 0
            if !aad.isEmpty {
                try OpenSSLError.check(EVP_DecryptUpdate(cipher, nil, &length, aad, Int32(aad.count)), operation)
            }
            return try plaintext.withUnsafeMutableBufferPointer { (output) throws(OpenSSLError) -> Bool in
                var written = 0
                if bodyCount > 0 {
                    try OpenSSLError.check(
                        EVP_DecryptUpdate(cipher, output.baseAddress, &length, body, Int32(bodyCount)), operation)
                    written = Int(length)
                }
                // OpenSSL only reads the expected tag, but its ctrl signature takes a mutable pointer.
                try OpenSSLError.check(
                    EVP_CIPHER_CTX_ctrl(cipher, EVP_CTRL_AEAD_SET_TAG, Int32(tagSize), UnsafeMutableRawPointer(mutating: tag)),
                    operation)
                return EVP_DecryptFinal_ex(cipher, output.baseAddress.map { $0 + written }, &length) == 1
            }
        }
        guard authentic else {
            OpenSSLError.clearQueue()
            throw OpenSSLError(
                operation, reason: "authentication failed: the data was tampered with or sealed under another key")
        }
        return plaintext
    }

    private static func checkSizes(key: [UInt8], input: [UInt8], aad: [UInt8], _ operation: String) throws(OpenSSLError) {
        guard key.count == keySize else {
            throw OpenSSLError(operation, reason: "the key has \(key.count) bytes, AES-256 needs \(keySize)")
        }
        guard input.count < Int32.max - 64, aad.count < Int32.max else {
            throw OpenSSLError(operation, reason: "the data is too large for one call (2 GiB)")
        }
    }
}
