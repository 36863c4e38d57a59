internal import ByteKit
internal import COpenSSL

/// An EC public key on P-256, P-384 or P-521, for verifying ECDSA signatures.
///
/// `@unchecked Sendable` is safe: the `EVP_PKEY` is never modified after `init`, OpenSSL 3 lets any
/// number of threads read one key at once, every verification makes its own `EVP_PKEY_CTX`, and the
/// key's reference count (taken by each context) is atomic.
public final class ECPublicKey: @unchecked Sendable, Hashable, CustomStringConvertible {
    /// The key, for X.509 and TLS code in this module; it must never be modified.
    let pkey: OpaquePointer
    /// The curve the key is on.
    public let curve: Curve
    /// The uncompressed SEC1 point `04||X||Y`.
    public let rawPoint: [UInt8]

    /// A key from an uncompressed point `04||X||Y`; throws if the point is not on `curve`.
    public init(rawPoint: [UInt8], curve: Curve) throws(OpenSSLError) {
        let operation = "reading a \(curve) public key from a raw point"
        guard rawPoint.count == curve.rawPointSize else {
            throw OpenSSLError(operation, reason: "it has \(rawPoint.count) bytes, a \(curve) point 04||X||Y has \(curve.rawPointSize)")
        }
        guard rawPoint[0] == 0x04 else {
            throw OpenSSLError(operation, reason: "it starts with 0x\(Hex.encode(rawPoint.prefix(1))), not 0x04 (uncompressed)")
        }
        OpenSSLError.clearQueue()
        pkey = try ECKeyData.importPublicKey(rawPoint: rawPoint, curve: curve, operation)
        self.curve = curve
        self.rawPoint = rawPoint
    }

    /// A key from an uncompressed point, its curve told by its length: 65 P-256, 97 P-384, 133 P-521.
    public convenience init(rawPoint: [UInt8]) throws(OpenSSLError) {
        guard let curve = Curve(rawPointLength: rawPoint.count) else {
            throw OpenSSLError(
                "reading a raw EC public key",
                reason: "it has \(rawPoint.count) bytes, not 65 (P-256), 97 (P-384) or 133 (P-521)")
        }
        try self.init(rawPoint: rawPoint, curve: curve)
    }

    /// A key from its affine coordinates, each `curve.coordinateSize` big-endian bytes (as in a COSE_Key).
    public convenience init(x: [UInt8], y: [UInt8], curve: Curve) throws(OpenSSLError) {
        guard x.count == curve.coordinateSize, y.count == curve.coordinateSize else {
            throw OpenSSLError(
                "reading a \(curve) public key from coordinates",
                reason: "x has \(x.count) bytes and y \(y.count), a \(curve) coordinate has \(curve.coordinateSize)")
        }
        try self.init(rawPoint: [0x04] + x + y, curve: curve)
    }

    /// A key from a DER SubjectPublicKeyInfo.
    public convenience init(der spki: [UInt8]) throws(OpenSSLError) {
        let operation = "reading a DER public key (SubjectPublicKeyInfo)"
        OpenSSLError.clearQueue()
        let decoded: Result<OpaquePointer, OpenSSLError> = spki.withUnsafeBufferPointer { bytes in
            var cursor = bytes.baseAddress
            guard let key = d2i_PUBKEY(nil, &cursor, bytes.count) else { return .failure(.draining(operation)) }
            guard cursor == bytes.baseAddress.map({ $0 + bytes.count }) else {
                EVP_PKEY_free(key)
                return .failure(OpenSSLError(operation, reason: "bytes follow the SubjectPublicKeyInfo"))
            }
            return .success(key)
        }
        try self.init(adopting: decoded.get(), operation)
    }

    /// A key from PEM text holding a SubjectPublicKeyInfo ("BEGIN PUBLIC KEY").
    public convenience init(pem: String) throws(OpenSSLError) {
        let operation = "reading a PEM public key"
        try PEMBlocks.require(["PUBLIC KEY"], in: pem, operation)
        OpenSSLError.clearQueue()
        let bio = try MemoryBIO(text: pem, operation)
        guard let decoded = PEM_read_bio_PUBKEY(bio.pointer, nil, nil, nil) else {
            throw OpenSSLError.draining(operation)
        }
        try self.init(adopting: decoded, operation)
    }

    /// A key from an `EVP_PKEY` that OpenSSL decoded (from SPKI, a certificate, a TLS peer); frees it.
    ///
    /// Re-importing from the point gives every key the same provider-native, uncompressed form.
    convenience init(adopting decoded: OpaquePointer, _ operation: String) throws(OpenSSLError) {
        let (curve, rawPoint) = try ECKeyData.publicPart(ofDecoded: decoded, operation)
        try self.init(rawPoint: rawPoint, curve: curve)
    }

    deinit {
        EVP_PKEY_free(pkey)
    }

    /// The DER SubjectPublicKeyInfo.
    public var spkiDER: [UInt8] {
        let length = i2d_PUBKEY(pkey, nil)
        precondition(length > 0, "i2d_PUBKEY failed: \(OpenSSLError.draining("encoding a public key"))")
        return [UInt8](unsafeUninitializedCapacity: Int(length)) { buffer, initialized in
            var cursor = buffer.baseAddress
            let written = i2d_PUBKEY(pkey, &cursor)
            precondition(written == length, "i2d_PUBKEY wrote \(written) of \(length) bytes")
            initialized = Int(length)
        }
    }

    /// The SubjectPublicKeyInfo as PEM text ("BEGIN PUBLIC KEY").
    public var pem: String {
        let operation = "writing a PEM public key"
        do {
            let bio = try MemoryBIO(operation)
            try OpenSSLError.check(PEM_write_bio_PUBKEY(bio.pointer, pkey), operation)
            return bio.text
        } catch {
            // Encoding a key we hold only fails when memory runs out.
            fatalError("\(error)")
        }
    }

    /// Whether `rawSignature` (`r||s`) is a valid signature of `message` hashed with `digest`.
    public func isValidSignature(_ rawSignature: [UInt8], for message: [UInt8], digest: Digest) -> Bool {
        guard rawSignature.count == curve.signatureSize else { return false }
        return isValidSignature(rawSignature, forDigest: digest.hash(message))
    }

    /// Whether `rawSignature` (`r||s`) is a valid signature of the already hashed `hash`.
    public func isValidSignature(_ rawSignature: [UInt8], forDigest hash: [UInt8]) -> Bool {
        guard rawSignature.count == curve.signatureSize, !hash.isEmpty else { return false }
        guard let der = ECDSASignature(raw: rawSignature)?.der,
            let context = PKeyContext(key: pkey),
            EVP_PKEY_verify_init(context.pointer) == 1
        else {
            OpenSSLError.clearQueue()
            return false
        }
        // Verifying the digest directly skips the EVP_MD_CTX and digest fetch of EVP_DigestVerify.
        let verdict = EVP_PKEY_verify(context.pointer, der, der.count, hash, hash.count)
        if verdict != 1 { OpenSSLError.clearQueue() }
        return verdict == 1
    }

    /// Two keys are equal when they are the same point on the same curve.
    public static func == (left: ECPublicKey, right: ECPublicKey) -> Bool {
        left.curve == right.curve && left.rawPoint == right.rawPoint
    }

    /// Hashes the point, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(rawPoint)
    }

    /// The curve and the start of the point, e.g. "P-384 public key 04a1b2c3d4...".
    public var description: String {
        "\(curve) public key \(Hex.short(rawPoint, count: 5))"
    }
}
