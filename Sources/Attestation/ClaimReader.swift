import ByteKit
import CBORKit

/// Reads typed claims out of a claims map, with errors that name the claim and what was wrong.
///
/// Claims it is never asked for (unknown ones) are ignored.
struct ClaimReader {
    let claims: CBORMap

    /// Decodes a payload that must be one CBOR map with unique keys.
    init(payload: [UInt8], decoder: CBORDecoder) throws(AttestationError) {
        claims = try decoder.map(payload, what: "the payload", expected: "a map of claims")
    }

    init(claims: CBORMap) {
        self.claims = claims
    }

    func optional(_ claim: Claim) -> CBORValue? {
        claims[int: claim.key]
    }

    func required(_ claim: Claim) throws(AttestationError) -> CBORValue {
        guard let value = claims[int: claim.key] else {
            throw AttestationError(.missingClaim, claim: claim.key, "mandatory \(claim) is missing")
        }
        return value
    }

    func bytes(_ claim: Claim, sizes: [Int]? = nil) throws(AttestationError) -> [UInt8] {
        try Self.bytes(required(claim), of: claim, sizes: sizes)
    }

    func optionalBytes(_ claim: Claim, sizes: [Int]? = nil) throws(AttestationError) -> [UInt8]? {
        guard let value = optional(claim) else { return nil }
        return try Self.bytes(value, of: claim, sizes: sizes)
    }

    func text(_ claim: Claim) throws(AttestationError) -> String {
        try Self.text(required(claim), of: claim)
    }

    func optionalText(_ claim: Claim) throws(AttestationError) -> String? {
        guard let value = optional(claim) else { return nil }
        return try Self.text(value, of: claim)
    }

    func unsigned(_ claim: Claim) throws(AttestationError) -> UInt64 {
        let value = try required(claim)
        guard case .unsigned(let number) = value else { throw Self.wrongType(value, of: claim, expected: "an unsigned integer") }
        return number
    }

    func array(_ claim: Claim, count: Int? = nil) throws(AttestationError) -> [CBORValue] {
        let value = try required(claim)
        guard case .array(let items) = value else { throw Self.wrongType(value, of: claim, expected: "an array") }
        if let count, items.count != count {
            throw AttestationError(.wrongSize, claim: claim.key, "\(claim) has \(quantity(items.count, "item")), expected \(count)")
        }
        return items
    }

    /// A byte string of one of `sizes` (any size when nil).
    static func bytes(_ value: CBORValue, of claim: Claim, sizes: [Int]? = nil, item: String? = nil) throws(AttestationError) -> [UInt8] {
        let what = item.map { "\(claim) \($0)" } ?? claim.description
        guard case .bytes(let bytes) = value else {
            throw AttestationError(.wrongType, claim: claim.key, "\(what) is \(value.typeWithArticle), expected a byte string")
        }
        if let sizes, !sizes.contains(bytes.count) {
            throw AttestationError(.wrongSize, claim: claim.key, "\(what) has \(quantity(bytes.count, "byte")), expected \(alternatives(sizes))")
        }
        return bytes
    }

    static func text(_ value: CBORValue, of claim: Claim, item: String? = nil) throws(AttestationError) -> String {
        guard case .text(let text) = value else {
            let what = item.map { "\(claim) \($0)" } ?? claim.description
            throw AttestationError(.wrongType, claim: claim.key, "\(what) is \(value.typeWithArticle), expected a text string")
        }
        return text
    }

    static func wrongType(_ value: CBORValue, of claim: Claim, expected: String) -> AttestationError {
        AttestationError(.wrongType, claim: claim.key, "\(claim) is \(value.typeWithArticle), expected \(expected)")
    }

    /// "32", "32 or 64", "32, 48 or 64".
    static func alternatives(_ sizes: [Int]) -> String {
        let names = sizes.map(String.init)
        guard names.count > 1 else { return names.first ?? "none" }
        return names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
    }
}
