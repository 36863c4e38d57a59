public import ByteKit
public import CBORKit

/// A decoded (not yet verified) Arm CCA attestation token: the platform token and, unless the token is
/// a bare platform token, the realm token, each a COSE_Sign1 with typed claims.
public struct CCAToken: Sendable {
    /// The outer form the token came in.
    public let format: CCATokenFormat
    /// The platform token, signed by the platform attestation key (CPAK).
    public let platform: COSESign1
    /// The platform token's claims.
    public let platformClaims: PlatformClaims
    /// The realm token, signed by the realm attestation key (RAK); nil for a bare platform token.
    public let realm: COSESign1?
    /// The realm token's claims; nil for a bare platform token.
    public let realmClaims: RealmClaims?

    /// The largest token file read: 64 KiB; a CCA token of two COSE_Sign1 with their claims is ~2 KB.
    public static let maximumFileSize = FileSizeLimit(bytes: 64 << 10, kind: "an attestation token")

    /// The wrapper key of the platform token.
    public static let platformKey = 44234
    /// The wrapper key of the realm token.
    public static let realmKey = 44241
    /// The CoAP content format of `application/eat+cwt`, which tags each entry of a tag-907 collection.
    public static let eatContentFormat: UInt64 = 263

    /// Limits for token input: real tokens are a few kilobytes and nest four levels deep.
    public static let decoderLimits = CBORDecoder.Limits(
        maxDepth: 16, maxItemsPerContainer: 4096, maxStringLength: 256 << 10, maxInputSize: 1 << 20)

    /// Decodes a token in any outer form: tag 399, tag 907, or a bare platform COSE_Sign1 (tag 18).
    ///
    /// Nothing is verified here; `CCAVerifier` does that. Errors name the part and the claim.
    public init(decoding bytes: [UInt8], limits: CBORDecoder.Limits = CCAToken.decoderLimits) throws(AttestationError) {
        let decoder = CBORDecoder(limits: limits)
        let value = try decoder.item(bytes, what: "the token")
        guard case .tagged(let tag, let content) = value else {
            throw AttestationError(.structure, "a CCA token is tagged 399 or 907 (or is a platform COSE_Sign1, tag 18), found \(value.typeWithArticle)")
        }
        let format: CCATokenFormat
        switch tag {
        case 399: format = .tag399
        case 907: format = .tag907
        case COSESign1.tag:
            let platform = try Self.signed(value, part: "platform token", decoder: decoder)
            try self.init(format: .platformOnly, platform: platform, realm: nil, decoder: decoder)
            return
        default:
            throw AttestationError(.structure, "a CCA token is tagged 399 or 907 (or is a platform COSE_Sign1, tag 18), found tag \(tag)")
        }
        guard case .map(let collection) = content else {
            throw AttestationError(.structure, "the tag-\(tag) token holds \(content.typeWithArticle), expected a map")
        }
        let platform = try Self.entry(collection, key: Self.platformKey, part: "platform token", format: format, decoder: decoder)
        let realm = try Self.entry(collection, key: Self.realmKey, part: "realm token", format: format, decoder: decoder)
        try self.init(format: format, platform: platform, realm: realm, decoder: decoder)
    }

    private init(format: CCATokenFormat, platform: COSESign1, realm: COSESign1?, decoder: CBORDecoder) throws(AttestationError) {
        self.format = format
        self.platform = platform
        self.realm = realm
        do {
            platformClaims = try PlatformClaims(decoding: platform.payload, decoder: decoder)
        } catch {
            throw error.within("platform token")
        }
        do {
            realmClaims = try realm.map { (realm) throws(AttestationError) in try RealmClaims(decoding: realm.payload, decoder: decoder) }
        } catch {
            throw error.within("realm token")
        }
    }

    /// The COSE_Sign1 of one collection entry: a byte string (tag 399) or `[263, bstr]` (tag 907).
    private static func entry(
        _ collection: CBORMap, key: Int, part: String, format: CCATokenFormat, decoder: CBORDecoder
    ) throws(AttestationError) -> COSESign1 {
        let place = "\(part) (\(key))"
        guard var item = collection[int: key] else {
            throw AttestationError(.structure, "the \(format) token has no \(place)")
        }
        if format == .tag907 {
            guard case .array(let pair) = item, pair.count == 2 else {
                throw AttestationError(.structure, "\(place): a tag-907 entry is [263, bstr], found \(item.shortDescription)")
            }
            guard pair[0] == .unsigned(eatContentFormat) else {
                throw AttestationError(.structure, "\(place): content format \(pair[0].shortDescription), expected 263 (application/eat+cwt)")
            }
            item = pair[1]
        }
        guard case .bytes(let bytes) = item else {
            if case .tagged(COSESign1.tag, _) = item {
                throw AttestationError(.structure, "\(place) is a COSE_Sign1 not wrapped in a byte string")
            }
            throw AttestationError(.structure, "\(place) is \(item.typeWithArticle), expected a byte string holding a COSE_Sign1")
        }
        let value: CBORValue
        do {
            value = try decoder.item(bytes, what: "the COSE_Sign1")
        } catch {
            throw error.within(place)
        }
        return try signed(value, part: place, decoder: decoder)
    }

    private static func signed(_ value: CBORValue, part: String, decoder: CBORDecoder) throws(AttestationError) -> COSESign1 {
        do {
            return try COSESign1(decoding: value, decoder: decoder)
        } catch {
            throw error.within(part)
        }
    }
}
