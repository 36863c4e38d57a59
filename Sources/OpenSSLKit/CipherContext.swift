internal import COpenSSL

/// Owns one `EVP_CIPHER_CTX`, the state of one encryption or decryption.
final class CipherContext {
    let pointer: OpaquePointer

    init(_ operation: @autoclosure () -> String) throws(OpenSSLError) {
        guard let pointer = EVP_CIPHER_CTX_new() else { throw OpenSSLError.draining(operation()) }
        self.pointer = pointer
    }

    deinit {
        EVP_CIPHER_CTX_free(pointer)
    }
}
