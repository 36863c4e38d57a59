import ByteKit
public import OpenSSLKit

/// The realm initial measurement a simulated realm reports: the SHA-256 of its executable file.
///
/// One function serves both `cml-policy measure` and the simulated attester, so the policy and the
/// token can never disagree about how a binary is measured. The file is hashed in fixed-size reads.
public enum ExecutableMeasurement {
    /// The hash of a simulated measurement.
    public static let digest = Digest.sha256

    /// The measurement of the file at `path`.
    public static func of(file path: String) throws(AttestationError) -> [UInt8] {
        do {
            return try DigestStream.hashFile(at: path, with: digest)
        } catch {
            throw AttestationError(.invalidValue, "cannot measure \(path): \(error.reasons.joined(separator: "; "))", cause: error)
        }
    }

    /// The measurement of the running executable (`/proc/self/exe`), computed once per process.
    public static func current() throws(AttestationError) -> [UInt8] {
        try currentResult.get()
    }

    /// Hashing the executable once: it cannot change under a running process that matters, and a
    /// process that attests several times should not read its whole binary each time.
    private static let currentResult: Result<[UInt8], AttestationError> = Result { () throws(AttestationError) in
        try of(file: "/proc/self/exe")
    }
}
