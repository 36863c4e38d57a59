import ByteKit
public import OpenSSLKit

/// Where a simulated platform keeps its key: a folder (the certifier state's `platform/`) that roles are
/// pointed at with `--platform`. It holds `platform.key` (PKCS#8 PEM, mode 0600), `platform.pem` (the
/// public key, for policies) and `instance-id` (hex of `0x01 || SHA-256(raw point)`).
public enum SimulatedPlatformFiles {
    /// The private key's file name.
    public static let privateKeyFile = "platform.key"
    /// The public key's file name.
    public static let publicKeyFile = "platform.pem"
    /// The instance ID's file name.
    public static let instanceIDFile = "instance-id"

    /// Writes a platform folder for `key` at `directory`, creating it.
    public static func write(_ key: ECPrivateKey, to directory: String) throws(AttestationError) {
        do {
            try FileBytes.makeDirectory(directory, mode: 0o700)
            try FileBytes.writeAtomically(text: key.pkcs8PEM, to: "\(directory)/\(privateKeyFile)", mode: 0o600)
            try FileBytes.writeAtomically(text: key.publicKey.pem, to: "\(directory)/\(publicKeyFile)")
            try FileBytes.writeAtomically(
                text: Hex.encode(PlatformClaims.instanceID(for: key.publicKey)) + "\n", to: "\(directory)/\(instanceIDFile)")
        } catch {
            throw AttestationError(.invalidKey, "cannot write the simulated platform: \(error)", cause: error)
        }
    }

    /// The platform key in the folder `directory`.
    public static func privateKey(in directory: String) throws(AttestationError) -> ECPrivateKey {
        let path = "\(directory)/\(privateKeyFile)"
        do {
            return try ECPrivateKey(pem: try PEMFile.read(path))
        } catch let error as FileError {
            throw AttestationError(.invalidKey, "no simulated platform key: \(error) (a platform folder is made by `cml-certifier init`)")
        } catch {
            throw AttestationError(.invalidKey, "\(path): \(error)", cause: error)
        }
    }
}
