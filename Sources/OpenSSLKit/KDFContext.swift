internal import COpenSSL

/// Owns one `EVP_KDF_CTX`, the state of one key derivation.
final class KDFContext {
    let pointer: OpaquePointer

    /// A context for the KDF named `algorithm` (e.g. "HKDF").
    init(algorithm: StaticString, _ operation: @autoclosure () -> String) throws(OpenSSLError) {
        guard let kdf = EVP_KDF_fetch(nil, algorithm.cString, nil) else { throw OpenSSLError.draining(operation()) }
        // The context keeps its own reference to the fetched algorithm.
        defer { EVP_KDF_free(kdf) }
        guard let pointer = EVP_KDF_CTX_new(kdf) else { throw OpenSSLError.draining(operation()) }
        self.pointer = pointer
    }

    deinit {
        EVP_KDF_CTX_free(pointer)
    }
}
