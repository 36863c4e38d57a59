internal import COpenSSL

/// An EC private key on P-256, P-384 or P-521, for making ECDSA signatures.
///
/// `@unchecked Sendable` is safe: the `EVP_PKEY` is never modified after `init`, OpenSSL 3 lets any
/// number of threads sign with one key at once, and every signature makes its own `EVP_PKEY_CTX`.
public final class ECPrivateKey: @unchecked Sendable {
    /// The key pair, for X.509 and TLS code in this module; it must never be modified.
    let pkey: OpaquePointer
    /// The curve the key is on.
    public let curve: Curve
    /// The matching public key.
    public let publicKey: ECPublicKey

    /// Adopts a key pair that OpenSSL made or decoded; frees it if it is not a usable EC key.
    private init(takingOwnership key: OpaquePointer, _ operation: String) throws(OpenSSLError) {
        do {
            let curve = try ECKeyData.curve(of: key, operation)
            let rawPoint = try ECKeyData.rawPoint(of: key, curve: curve, operation)
            publicKey = try ECPublicKey(rawPoint: rawPoint, curve: curve)
            self.curve = curve
        } catch {
            EVP_PKEY_free(key)
            throw error
        }
        pkey = key
    }

    /// A new random key pair on `curve`. Aborts only if OpenSSL's random generator fails.
    public convenience init(generating curve: Curve) {
        let operation = "generating a \(curve) key pair"
        guard let key = COpenSSL_EVP_EC_gen(curve.groupName.cString) else {
            fatalError("\(OpenSSLError.draining(operation))")
        }
        do {
            try self.init(takingOwnership: key, operation)
        } catch {
            fatalError("\(error)")
        }
    }

    /// A key from unencrypted PEM text: SEC1 ("BEGIN EC PRIVATE KEY") or PKCS#8 ("BEGIN PRIVATE KEY").
    public convenience init(pem: String) throws(OpenSSLError) {
        let operation = "reading a PEM private key"
        if pem.contains("ENCRYPTED") {
            throw OpenSSLError(operation, reason: "it is encrypted; only unencrypted keys are supported")
        }
        try PEMBlocks.require(["EC PRIVATE KEY", "PRIVATE KEY"], in: pem, operation)
        OpenSSLError.clearQueue()
        let bio = try MemoryBIO(text: pem, operation)
        // The callback refuses to supply a passphrase, so OpenSSL never prompts on the terminal.
        guard let key = PEM_read_bio_PrivateKey(bio.pointer, nil, { _, _, _, _ in 0 }, nil) else {
            throw OpenSSLError.draining(operation)
        }
        try self.init(takingOwnership: key, operation)
        OpenSSLError.clearQueue()
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// The key as PKCS#8 PEM ("BEGIN PRIVATE KEY").
    public var pkcs8PEM: String {
        get throws(OpenSSLError) { try encodedPEM(structure: "PrivateKeyInfo") }
    }

    /// The key as SEC1 PEM ("BEGIN EC PRIVATE KEY").
    public var sec1PEM: String {
        get throws(OpenSSLError) { try encodedPEM(structure: "type-specific") }
    }

    /// A raw `r||s` signature of `message` hashed with `digest`.
    public func signature(for message: [UInt8], digest: Digest) throws(OpenSSLError) -> [UInt8] {
        try signature(forDigest: digest.hash(message))
    }

    /// A raw `r||s` signature (`curve.signatureSize` bytes) of the already hashed `hash`.
    public func signature(forDigest hash: [UInt8]) throws(OpenSSLError) -> [UInt8] {
        let operation = "signing with a \(curve) key"
        guard !hash.isEmpty else { throw OpenSSLError(operation, reason: "the digest is empty") }
        OpenSSLError.clearQueue()
        guard let context = PKeyContext(key: pkey) else { throw OpenSSLError.draining(operation) }
        try OpenSSLError.check(EVP_PKEY_sign_init(context.pointer), operation)
        var length = 0
        try OpenSSLError.check(EVP_PKEY_sign(context.pointer, nil, &length, hash, hash.count), operation)
        var der = [UInt8](repeating: 0, count: length)
        try OpenSSLError.check(EVP_PKEY_sign(context.pointer, &der, &length, hash, hash.count), operation)
        guard let raw = ECDSASignature(der: Array(der.prefix(length)))?.raw(coordinateSize: curve.coordinateSize) else {
            throw OpenSSLError(operation, reason: "OpenSSL returned a signature that is not a valid ECDSA-Sig-Value")
        }
        return raw
    }

    private func encodedPEM(structure: StaticString) throws(OpenSSLError) -> String {
        let operation = "writing a PEM private key (\(structure))"
        // Once, in a full test run with many threads encoding and decoding keys, an encoding of a key held
        // here failed with nothing on the error queue; a new encoder then succeeded, so it is tried again
        // (a few times) before the failure is thrown.
        var failure = OpenSSLError(operation, reason: "not attempted")
        for _ in 0..<3 {
            OpenSSLError.clearQueue()
            switch encodeOnce(structure: structure, operation) {
            case .success(let text): return text
            case .failure(let error): failure = error
            }
        }
        throw failure
    }

    private func encodeOnce(structure: StaticString, _ operation: String) -> Result<String, OpenSSLError> {
        guard let encoder = OSSL_ENCODER_CTX_new_for_pkey(pkey, COpenSSL_EVP_PKEY_KEYPAIR(), "PEM", structure.cString, nil) else {
            return .failure(OpenSSLError.draining("no OpenSSL encoder for \(operation)"))
        }
        defer { OSSL_ENCODER_CTX_free(encoder) }
        guard OSSL_ENCODER_CTX_get_num_encoders(encoder) > 0 else {
            return .failure(OpenSSLError.draining("no OpenSSL encoder for \(operation)"))
        }
        var data: UnsafeMutablePointer<UInt8>?
        var length = 0
        guard OSSL_ENCODER_to_data(encoder, &data, &length) == 1, let data else {
            return .failure(OpenSSLError.draining(operation))
        }
        defer { COpenSSL_free(data) }
        return .success(String(decoding: UnsafeBufferPointer(start: data, count: length), as: UTF8.self))
    }
}
