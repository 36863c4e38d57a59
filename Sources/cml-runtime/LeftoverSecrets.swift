import Admission
import ByteKit
import CommandSupport

/// The key and secrets that `cml-runtime attest` wrote into the runtime's folder in earlier versions:
/// `serve` no longer reads them, and they give whoever reads the host's disk the sealing secret (open
/// and re-seal every sealed file) and an admission key (talk to the certifier as this runtime, move
/// the anchor, then roll the folder back). `serve` refuses to start while they are there rather than
/// warn: a warning scrolls by while the secret stays readable, and removing two paths is all it asks.
enum LeftoverSecrets {
    /// Throws, naming the files and how to remove them, if `folder` holds `tls.key` or `secrets/`.
    static func refuse(in folder: String) throws {
        let found = [RoleStateFiles.tlsKey, RoleStateFiles.secrets].filter { FileBytes.exists("\(folder)/\($0)") }
        guard !found.isEmpty else { return }
        let paths = found.map { "\(folder)/\($0)" }
        throw CommandFailure(
            "\(paths.joined(separator: " and ")) \(found.count == 1 ? "is" : "are") left from an older cml-runtime: no longer used (the runtime "
                + "attests at every start and keeps its key and secrets in memory), and \(found.count == 1 ? "it exposes" : "they expose") the "
                + "runtime's key and sealing secret to whoever reads this disk, the host. Remove \(found.count == 1 ? "it" : "them") "
                + "(rm -r \(paths.joined(separator: " "))) and start again; a copy already taken still opens the sealed state "
                + "(docs/freshness.md). admission.crt, policy.crt and policy.signed are public and unused: they may stay")
    }
}
