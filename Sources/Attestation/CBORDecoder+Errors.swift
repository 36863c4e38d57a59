import CBORKit

/// Decoding nested CBOR (a wrapped COSE_Sign1, a header, a payload, a COSE_Key) with errors that say
/// which of them was not valid.
extension CBORDecoder {
    /// Decodes `bytes`; the error names `what`, e.g. "the realm token payload".
    func item(_ bytes: [UInt8], what: String, claim: Int? = nil) throws(AttestationError) -> CBORValue {
        do {
            return try decode(bytes)
        } catch {
            throw AttestationError(.cbor(error.code), claim: claim, "\(what) is not valid CBOR: \(error.message)", cause: error)
        }
    }

    /// Decodes `bytes`, which must be a map; the error names `what` and says what the map is for.
    func map(_ bytes: [UInt8], what: String, expected: String = "a map", claim: Int? = nil) throws(AttestationError) -> CBORMap {
        let value = try item(bytes, what: what, claim: claim)
        guard case .map(let map) = value else {
            throw AttestationError(.structure, claim: claim, "\(what) is \(value.typeWithArticle), expected \(expected)")
        }
        return map
    }
}
