import CBORKit

// Wording helpers shared by the error messages of this module.

extension CBORValue {
    /// The item's type with its article, for messages: "an array", "a byte string", "null".
    var typeWithArticle: String {
        switch self {
        case .null, .undefined: typeName
        case .unsigned, .array: "an " + typeName
        default: "a " + typeName
        }
    }
}

/// Text from a token, quoted for a message: control characters escaped and long text cut short, so
/// that a claim can neither start a forged line in a log nor send escape sequences to a terminal.
func quotedClaim(_ text: String) -> String {
    CBORValue.text(text).shortDescription
}
