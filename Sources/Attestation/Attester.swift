/// Something that produces a CCA attestation token for a 64-byte realm challenge: the simulated
/// realm, or the kernel's configfs-tsm interface inside a real one.
public protocol Attester: Sendable {
    /// The attester's name on the command line, e.g. "sim" or "tsm".
    var name: String { get }
    /// A token whose realm challenge is `challenge` (1 to 64 bytes, zero-padded to 64).
    func token(challenge: [UInt8]) throws(AttestationError) -> [UInt8]
}
