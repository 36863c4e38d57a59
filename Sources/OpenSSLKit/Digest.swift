public import Foundation
internal import COpenSSL

/// A SHA-2 hash function.
public enum Digest: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// SHA-256.
    case sha256
    /// SHA-384.
    case sha384
    /// SHA-512.
    case sha512

    /// Output length in bytes.
    public var size: Int {
        switch self {
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// The name the CCA token uses for it (IANA named-information), e.g. "sha-256".
    public var name: String {
        switch self {
        case .sha256: "sha-256"
        case .sha384: "sha-384"
        case .sha512: "sha-512"
        }
    }

    /// The CCA name, e.g. "sha-256".
    public var description: String { name }

    /// Reads "sha-256", "sha256", "SHA-256", "SHA2-256", "sha_256" and so on; nil for any other hash.
    public init?(name: String) {
        var key = name.lowercased().filter { $0 != "-" && $0 != "_" }
        if key.hasPrefix("sha2") && key.count == 7 { key.remove(at: key.index(key.startIndex, offsetBy: 3)) }
        switch key {
        case "sha256": self = .sha256
        case "sha384": self = .sha384
        case "sha512": self = .sha512
        default: return nil
        }
    }

    /// Hashes `data` in one call.
    public func hash<Bytes: ContiguousBytes>(_ data: Bytes) -> [UInt8] {
        data.withUnsafeBytes { input in
            [UInt8](unsafeUninitializedCapacity: size) { output, initialized in
                // The one-shot SHA functions skip the provider fetch and context allocation of EVP_Digest.
                let bytes = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
                switch self {
                case .sha256: _ = SHA256(bytes, input.count, output.baseAddress)
                case .sha384: _ = SHA384(bytes, input.count, output.baseAddress)
                case .sha512: _ = SHA512(bytes, input.count, output.baseAddress)
                }
                initialized = size
            }
        }
    }

    /// The algorithm name that OpenSSL's fetch functions and parameters take.
    var openSSLName: StaticString {
        switch self {
        case .sha256: "SHA2-256"
        case .sha384: "SHA2-384"
        case .sha512: "SHA2-512"
        }
    }
}
