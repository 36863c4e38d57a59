public import CBORKit
public import OpenSSLKit

/// The realm attestation key (RAK) of claim 44237, with the claim's bytes exactly as carried.
///
/// The platform binds the RAK by hashing those exact bytes, so they are kept rather than
/// re-encoded from the key: a COSE_Key can be encoded in more than one valid way.
public struct RealmPublicKey: Sendable, Hashable {
    /// How the claim carries the key.
    public enum Encoding: String, Sendable, Hashable, CustomStringConvertible {
        /// A raw uncompressed SEC1 point `04||X||Y` (legacy tokens).
        case rawPoint = "raw point"
        /// A COSE_Key map `{1: 2, -1: crv, -2: x, -3: y}` (tokens with a realm profile).
        case coseKey = "COSE_Key"

        /// "raw point" or "COSE_Key".
        public var description: String { rawValue }
    }

    /// The encoding found in the claim.
    public let encoding: Encoding
    /// The claim's bytes, exactly as received: the input of the binding hash.
    public let claimBytes: [UInt8]
    /// The key itself.
    public let key: ECPublicKey

    static let claim = Claim(44237, "realm public key")

    /// Reads the claim's bytes as a raw point (they start with 0x04) or else as a COSE_Key.
    ///
    /// Both forms are accepted whatever the realm profile says: the first byte tells them apart
    /// without ambiguity (0x04 is not the start of a CBOR map).
    public init(claimBytes: [UInt8], decoder: CBORDecoder = CBORDecoder()) throws(AttestationError) {
        self.claimBytes = claimBytes
        if claimBytes.first == 0x04 {
            encoding = .rawPoint
            do {
                key = try ECPublicKey(rawPoint: claimBytes)
            } catch {
                throw AttestationError(.invalidKey, claim: Self.claim.key, "\(Self.claim) (raw point): \(error)", cause: error)
            }
        } else {
            encoding = .coseKey
            key = try Self.coseKey(claimBytes, decoder: decoder)
        }
    }

    /// Encodes `key` the way TF-RMM does: a 97-byte raw point, or a COSE_Key (107 bytes for P-384).
    public init(key: ECPublicKey, encoding: Encoding) {
        self.key = key
        self.encoding = encoding
        switch encoding {
        case .rawPoint:
            claimBytes = key.rawPoint
        case .coseKey:
            let size = key.curve.coordinateSize
            let x = Array(key.rawPoint[1...size])
            let y = Array(key.rawPoint[(1 + size)...])
            // Deterministic order (1, -1, -2, -3) is also the order TF-RMM writes.
            claimBytes = CBOREncoder.encode(.map([1: 2, -1: CBORValue(Self.coseCurveID(key.curve)), -2: .bytes(x), -3: .bytes(y)]))
        }
    }

    /// The hash of the claim bytes that the platform challenge must equal.
    public func bindingHash(_ digest: Digest) -> [UInt8] {
        digest.hash(claimBytes)
    }

    /// Two RAKs are equal when they carry the same bytes.
    public static func == (left: RealmPublicKey, right: RealmPublicKey) -> Bool {
        left.claimBytes == right.claimBytes
    }

    /// Hashes the claim bytes, consistent with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(claimBytes)
    }

    /// COSE elliptic curve identifiers (RFC 9053 §7.1).
    private static func coseCurveID(_ curve: Curve) -> Int {
        switch curve {
        case .p256: 1
        case .p384: 2
        case .p521: 3
        }
    }

    private static func coseKey(_ bytes: [UInt8], decoder: CBORDecoder) throws(AttestationError) -> ECPublicKey {
        let what = "\(claim) (COSE_Key)"
        let fields = try decoder.map(bytes, what: what, claim: claim.key)
        func field(_ label: Int, _ name: String) throws(AttestationError) -> CBORValue {
            guard let item = fields[int: label] else {
                throw AttestationError(.structure, claim: claim.key, "\(what) has no \(name) (label \(label))")
            }
            return item
        }
        let keyType = try field(1, "kty")
        guard keyType.int == 2 else {
            throw AttestationError(.invalidKey, claim: claim.key, "\(what) kty is \(keyType.shortDescription), expected 2 (EC2)")
        }
        let curveID = try field(-1, "crv")
        guard let curve = Curve.allCases.first(where: { curveID.int == coseCurveID($0) }) else {
            throw AttestationError(.invalidKey, claim: claim.key, "\(what) crv is \(curveID.shortDescription), expected 1 (P-256), 2 (P-384) or 3 (P-521)")
        }
        guard case .bytes(let x) = try field(-2, "x"), case .bytes(let y) = try field(-3, "y") else {
            throw AttestationError(.invalidKey, claim: claim.key, "\(what) x and y must be byte strings (compressed points are not supported)")
        }
        do {
            return try ECPublicKey(x: x, y: y, curve: curve)
        } catch {
            throw AttestationError(.invalidKey, claim: claim.key, "\(what): \(error)", cause: error)
        }
    }
}
