/// The steps of CCA token verification, in the order they run (CCA-TOKEN.md, "Verification").
public enum VerificationStep: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The wrapper, both COSE_Sign1 structures and both claim maps decode.
    case decode
    /// The platform token's signature verifies with a trusted platform key.
    case platformSignature = "platform signature"
    /// The realm token's signature verifies with the realm attestation key it carries.
    case realmSignature = "realm signature"
    /// The platform challenge is the hash (claim 44240) of the realm attestation key's claim bytes.
    case binding
    /// The realm challenge is the expected one.
    case freshness

    /// The step's name, e.g. "platform signature".
    public var description: String { rawValue }
}
