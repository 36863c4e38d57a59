internal import COpenSSL

/// Moves EC key material in and out of `EVP_PKEY`s, for both key classes.
enum ECKeyData {
    /// A new provider-native public key for an uncompressed point; OpenSSL rejects a point not on the curve.
    ///
    /// The caller owns the returned `EVP_PKEY`.
    static func importPublicKey(rawPoint: [UInt8], curve: Curve, _ operation: String) throws(OpenSSLError) -> OpaquePointer {
        guard let context = PKeyContext(algorithm: "EC") else { throw OpenSSLError.draining(operation) }
        try OpenSSLError.check(EVP_PKEY_fromdata_init(context.pointer), operation)
        var key: OpaquePointer?
        let result = rawPoint.withNonNullBytes { point, count in
            var parameters = [
                // OSSL_PKEY_PARAM_GROUP_NAME
                OSSL_PARAM_construct_utf8_string(
                    ("group" as StaticString).cString, UnsafeMutablePointer(mutating: curve.groupName.cString), 0),
                // OSSL_PKEY_PARAM_PUB_KEY
                OSSL_PARAM_construct_octet_string(("pub" as StaticString).cString, point, count),
                OSSL_PARAM_construct_end(),
            ]
            return EVP_PKEY_fromdata(context.pointer, &key, COpenSSL_EVP_PKEY_PUBLIC_KEY(), &parameters)
        }
        guard result == 1, let key else {
            EVP_PKEY_free(key)
            throw OpenSSLError.draining(operation)
        }
        return key
    }

    /// The curve of `key`; throws if it is not an EC key on P-256, P-384 or P-521.
    static func curve(of key: OpaquePointer, _ operation: String) throws(OpenSSLError) -> Curve {
        guard EVP_PKEY_is_a(key, "EC") == 1 else {
            let type = EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "unknown"
            throw OpenSSLError(operation, reason: "the key type is \(type), not EC")
        }
        var name = [CChar](repeating: 0, count: 80)
        var length = 0
        try OpenSSLError.check(EVP_PKEY_get_group_name(key, &name, name.count, &length), operation)
        let group = String(nulTerminated: name)
        guard let curve = Curve(groupName: group) else {
            throw OpenSSLError(operation, reason: "its curve \(group) is not one of P-256, P-384 or P-521")
        }
        return curve
    }

    /// The public point of `key` as uncompressed `04||X||Y`, whatever form the key was read in.
    static func rawPoint(of key: OpaquePointer, curve: Curve, _ operation: String) throws(OpenSSLError) -> [UInt8] {
        var point: [UInt8] = [0x04]
        point.reserveCapacity(curve.rawPointSize)
        for name in [OSSL_PKEY_PARAM_EC_PUB_X, OSSL_PKEY_PARAM_EC_PUB_Y] {
            var number: OpaquePointer?
            guard EVP_PKEY_get_bn_param(key, name, &number) == 1, let number else {
                throw OpenSSLError.draining(operation)
            }
            defer { BN_free(number) }
            let size = curve.coordinateSize
            var coordinate = [UInt8](repeating: 0, count: size)
            guard BN_bn2binpad(number, &coordinate, Int32(size)) == Int32(size) else {
                throw OpenSSLError(operation, reason: "a coordinate does not fit in \(size) bytes")
            }
            point += coordinate
        }
        return point
    }

    /// The curve and uncompressed point of a key that OpenSSL decoded, which this call frees.
    static func publicPart(ofDecoded key: OpaquePointer, _ operation: String) throws(OpenSSLError) -> (curve: Curve, rawPoint: [UInt8]) {
        defer { EVP_PKEY_free(key) }
        let curve = try curve(of: key, operation)
        return (curve, try rawPoint(of: key, curve: curve, operation))
    }
}
