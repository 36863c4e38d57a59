internal import COpenSSL

/// Owns one `ECDSA_SIG`: the bridge between COSE's raw `r||s` and the DER form that OpenSSL signs and verifies.
final class ECDSASignature {
    private let pointer: OpaquePointer

    /// From raw `r||s`, two big-endian halves of equal length; nil if it cannot be one.
    init?(raw: [UInt8]) {
        let half = raw.count / 2
        guard half > 0, raw.count == 2 * half, let pointer = ECDSA_SIG_new() else { return nil }
        self.pointer = pointer
        let (r, s) = raw.withUnsafeBufferPointer { bytes in
            (BN_bin2bn(bytes.baseAddress, Int32(half), nil), BN_bin2bn(bytes.baseAddress! + half, Int32(half), nil))
        }
        // ECDSA_SIG_set0 takes r and s only when it succeeds.
        guard let r, let s, ECDSA_SIG_set0(pointer, r, s) == 1 else {
            BN_free(r)
            BN_free(s)
            return nil
        }
    }

    /// From a DER `ECDSA-Sig-Value`; nil if it does not parse or has bytes after it.
    init?(der: [UInt8]) {
        let decoded: OpaquePointer? = der.withUnsafeBufferPointer { bytes in
            var cursor = bytes.baseAddress
            let signature = d2i_ECDSA_SIG(nil, &cursor, bytes.count)
            guard let signature else { return nil }
            guard cursor == bytes.baseAddress.map({ $0 + bytes.count }) else {
                ECDSA_SIG_free(signature)
                return nil
            }
            return signature
        }
        guard let decoded else { return nil }
        pointer = decoded
    }

    deinit {
        ECDSA_SIG_free(pointer)
    }

    /// The DER encoding; nil if OpenSSL cannot encode it.
    var der: [UInt8]? {
        let length = i2d_ECDSA_SIG(pointer, nil)
        guard length > 0 else { return nil }
        var written: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: Int(length)) { buffer, initialized in
            var cursor = buffer.baseAddress
            written = i2d_ECDSA_SIG(pointer, &cursor)
            initialized = written == length ? Int(length) : 0
        }
        return written == length ? bytes : nil
    }

    /// Raw `r||s` with each half left-padded to `coordinateSize`; nil if r or s does not fit.
    func raw(coordinateSize: Int) -> [UInt8]? {
        guard let r = ECDSA_SIG_get0_r(pointer), let s = ECDSA_SIG_get0_s(pointer) else { return nil }
        var fits = false
        let bytes = [UInt8](unsafeUninitializedCapacity: 2 * coordinateSize) { buffer, initialized in
            let size = Int32(coordinateSize)
            fits = BN_bn2binpad(r, buffer.baseAddress, size) == size
                && BN_bn2binpad(s, buffer.baseAddress! + coordinateSize, size) == size
            initialized = fits ? 2 * coordinateSize : 0
        }
        return fits ? bytes : nil
    }
}
