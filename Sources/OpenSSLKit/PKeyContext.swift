internal import COpenSSL

/// Owns one `EVP_PKEY_CTX`: the per-operation state for signing, verifying or importing a key.
///
/// Made per call and never shared, which is what lets many threads use the same key at once.
final class PKeyContext {
    let pointer: OpaquePointer

    /// A context for operations with `key`; nil if OpenSSL could not make one (its error queue says why).
    init?(key: OpaquePointer) {
        guard let pointer = EVP_PKEY_CTX_new_from_pkey(nil, key, nil) else { return nil }
        self.pointer = pointer
    }

    /// A context for an algorithm with no key yet (to import one); nil if OpenSSL could not make one.
    init?(algorithm: StaticString) {
        guard let pointer = EVP_PKEY_CTX_new_from_name(nil, algorithm.cString, nil) else { return nil }
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_CTX_free(pointer)
    }
}
