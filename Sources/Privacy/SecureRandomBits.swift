import OpenSSLKit

/// Random words from OpenSSL's CSPRNG (`SecureRandom`), fetched 4 KiB at a time: one call per 512
/// words keeps noise for a model's 1,596 coordinates well under a millisecond.
///
/// Not `Sendable`: make one where the noise is drawn. It is never seeded, so noise cannot be replayed.
public final class SecureRandomBits: RandomBits {
    private var buffer: [UInt64] = []
    private var position = 0
    private static let wordsPerFetch = 512

    /// A generator with nothing fetched yet.
    public init() {}

    /// The next word of OpenSSL's random stream.
    public func next() -> UInt64 {
        if position == buffer.count { refill() }
        defer { position += 1 }
        return buffer[position]
    }

    private func refill() {
        let bytes = SecureRandom.bytes(Self.wordsPerFetch * 8)
        buffer = (0..<Self.wordsPerFetch).map { word in
            (0..<8).reduce(UInt64(0)) { value, byte in value << 8 | UInt64(bytes[word * 8 + byte]) }
        }
        position = 0
    }
}
