internal import COpenSSL

/// HKDF (RFC 5869): extract-then-expand key derivation.
public enum HKDF {
    /// `count` bytes derived from `secret`, `salt` and `info` (either may be empty); at most 255 hash lengths.
    public static func deriveKey(
        secret: [UInt8], salt: [UInt8], info: [UInt8], count: Int, digest: Digest = .sha256
    ) throws(OpenSSLError) -> [UInt8] {
        let operation = "deriving \(count) bytes with HKDF-\(digest)"
        guard count > 0, count <= 255 * digest.size else {
            throw OpenSSLError(operation, reason: "HKDF-\(digest) derives 1 to \(255 * digest.size) bytes")
        }
        OpenSSLError.clearQueue()
        let context = try KDFContext(algorithm: "HKDF", operation)
        var output = [UInt8](repeating: 0, count: count)
        let result = secret.withNonNullBytes { secretBytes, secretCount in
            salt.withNonNullBytes { saltBytes, saltCount in
                info.withNonNullBytes { infoBytes, infoCount in
                    var parameters = [
                        // OSSL_KDF_PARAM_DIGEST
                        OSSL_PARAM_construct_utf8_string(
                            ("digest" as StaticString).cString, UnsafeMutablePointer(mutating: digest.openSSLName.cString), 0),
                        // OSSL_KDF_PARAM_KEY
                        OSSL_PARAM_construct_octet_string(("key" as StaticString).cString, secretBytes, secretCount),
                        // OSSL_KDF_PARAM_SALT
                        OSSL_PARAM_construct_octet_string(("salt" as StaticString).cString, saltBytes, saltCount),
                        // OSSL_KDF_PARAM_INFO
                        OSSL_PARAM_construct_octet_string(("info" as StaticString).cString, infoBytes, infoCount),
                        OSSL_PARAM_construct_end(),
                    ]
                    return EVP_KDF_derive(context.pointer, &output, count, &parameters)
                }
            }
        }
        try OpenSSLError.check(result, operation)
        return output
    }
}
