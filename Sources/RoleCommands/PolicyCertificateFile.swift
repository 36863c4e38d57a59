import ByteKit
public import CommandSupport
import Foundation
public import OpenSSLKit

/// The domain's policy certificate given as `--policy-cert FILE` (`attest`, and `cml-runtime serve`,
/// which attests at every start): the only root a role trusts when it attests.
public enum PolicyCertificateFile {
    /// The certificate in the PEM file at `path`; a failure names the file and what is wrong with it.
    public static func read(_ path: String) throws(CommandFailure) -> Certificate {
        do {
            return try Certificate(pem: try PEMFile.read(path))
        } catch let error as FileError {
            throw CommandFailure("policy certificate \(error)", cause: error)
        } catch {
            throw CommandFailure("policy certificate \(path): \(error)", cause: error)
        }
    }
}
