public import Foundation
internal import COpenSSL

import Glibc

/// Incremental hashing, for data that arrives in pieces or is too large to hold at once.
///
/// Not `Sendable`: it owns a mutable `EVP_MD_CTX`. After `finalize()` it starts over, ready for new data.
public final class DigestStream {
    /// The hash function this stream computes.
    public let digest: Digest
    private let context: OpaquePointer

    /// Starts an empty hash.
    public init(_ digest: Digest) {
        guard let context = EVP_MD_CTX_new() else {
            fatalError("OpenSSL could not allocate a digest context (out of memory)")
        }
        self.digest = digest
        self.context = context
        start()
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Feeds `bytes` to the hash.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        // Updating a started SHA-2 context has no failure mode short of memory corruption.
        let result = EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
        precondition(result == 1, "EVP_DigestUpdate failed: \(OpenSSLError.draining("hashing"))")
    }

    /// Feeds `bytes` to the hash.
    public func update<Bytes: ContiguousBytes>(_ bytes: Bytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Returns the hash of everything fed so far, and starts over.
    public func finalize() -> [UInt8] {
        let size = digest.size
        let output = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var length: UInt32 = 0
            let result = EVP_DigestFinal_ex(context, buffer.baseAddress, &length)
            precondition(result == 1 && Int(length) == size, "EVP_DigestFinal_ex failed: \(OpenSSLError.draining("hashing"))")
            initialized = size
        }
        start()
        return output
    }

    /// Hashes a file in fixed-size reads, so a large binary never sits in memory whole.
    public static func hashFile(at path: String, with digest: Digest) throws(OpenSSLError) -> [UInt8] {
        let operation = "hashing \(path)"
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw OpenSSLError(operation, reason: systemError()) }
        defer { close(descriptor) }
        let stream = DigestStream(digest)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw OpenSSLError(operation, reason: systemError())
            }
            stream.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        return stream.finalize()
    }

    private func start() {
        let result = EVP_DigestInit_ex2(context, digest.evpMD, nil)
        precondition(result == 1, "EVP_DigestInit_ex2 failed: \(OpenSSLError.draining("starting a digest"))")
    }

    private static func systemError() -> String {
        String(cString: strerror(errno))
    }
}

extension Digest {
    /// OpenSSL's built-in descriptor for this hash (static, never freed).
    var evpMD: OpaquePointer {
        switch self {
        case .sha256: EVP_sha256()
        case .sha384: EVP_sha384()
        case .sha512: EVP_sha512()
        }
    }
}
