public import OpenSSLKit

/// The 64-byte realm challenge (claim 10 of the realm token), and how this project derives it.
public enum RealmChallenge {
    /// Bytes in a realm challenge.
    public static let size = 64

    /// `SHA-512(nonce || spkiDER)`: a fresh nonce bound to the DER SubjectPublicKeyInfo of the key being
    /// attested, so that a token vouches for that key (as in ISLET's attested TLS).
    public static func binding(nonce: [UInt8], spkiDER: [UInt8]) -> [UInt8] {
        Digest.sha512.hash(nonce + spkiDER)
    }

    /// `SHA-512(nonce || DER SubjectPublicKeyInfo of key)`.
    public static func binding(nonce: [UInt8], publicKey: ECPublicKey) -> [UInt8] {
        binding(nonce: nonce, spkiDER: publicKey.spkiDER)
    }

    /// The 64-byte challenge a realm sees for `nonce`: shorter input is zero-padded, as configfs-tsm does;
    /// nil if `nonce` is empty or longer than 64 bytes.
    public static func padded(_ nonce: [UInt8]) -> [UInt8]? {
        guard (1...size).contains(nonce.count) else { return nil }
        return nonce + [UInt8](repeating: 0, count: size - nonce.count)
    }
}
