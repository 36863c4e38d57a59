internal import COpenSSL

/// The DER encoding of an ASN.1 OCTET STRING: how a custom certificate extension carries raw bytes.
public enum DEROctetString {
    /// The DER OCTET STRING holding `bytes`.
    public static func encode(_ bytes: [UInt8]) -> [UInt8] {
        guard let string = ASN1_OCTET_STRING_new() else { fatalError("OpenSSL could not allocate an OCTET STRING") }
        defer { ASN1_OCTET_STRING_free(string) }
        guard bytes.count < Int32.max, ASN1_OCTET_STRING_set(string, bytes, Int32(bytes.count)) == 1 else {
            fatalError("OpenSSL could not fill an OCTET STRING of \(bytes.count) bytes")
        }
        let length = i2d_ASN1_OCTET_STRING(string, nil)
        precondition(length > 0, "i2d_ASN1_OCTET_STRING failed")
        return [UInt8](unsafeUninitializedCapacity: Int(length)) { buffer, initialized in
            var cursor = buffer.baseAddress
            let written = i2d_ASN1_OCTET_STRING(string, &cursor)
            precondition(written == length, "i2d_ASN1_OCTET_STRING wrote \(written) of \(length) bytes")
            initialized = Int(length)
        }
    }

    /// The bytes inside a DER OCTET STRING; nil if `der` is not exactly one.
    public static func decode(_ der: [UInt8]) -> [UInt8]? {
        der.withUnsafeBufferPointer { bytes -> [UInt8]? in
            var cursor = bytes.baseAddress
            guard let string = d2i_ASN1_OCTET_STRING(nil, &cursor, bytes.count) else {
                OpenSSLError.clearQueue()
                return nil
            }
            defer { ASN1_OCTET_STRING_free(string) }
            guard cursor == bytes.baseAddress.map({ $0 + bytes.count }) else { return nil }
            let length = Int(ASN1_STRING_length(string))
            guard length > 0, let data = ASN1_STRING_get0_data(string) else { return [] }
            return Array(UnsafeBufferPointer(start: data, count: length))
        }
    }
}
