import Admission
import ByteKit
import Device
import RoleCommands

/// What keeps a long-running device session trusted and trusting (`run`, `fl`): its admission renewed
/// at two thirds of its lifetime, and the runtime checked against the domain's revocation list before
/// each new connection. Both only with `--certifier`; `stop()` ends both.
final class DeviceUpkeep {
    private let revocations: RevocationWatch?
    private let renewing: AdmissionRenewal?

    /// Starts renewal and revocation checks for `device`, whose state folder is `state`.
    init(device: Device, state: String, renewal: RenewalOptions) throws {
        let contexts = device.runtime.context
        let revocations = try renewal.watchRevocations(role: .device, state: state)
        if let revocations {
            // Checked before each connection is used, from the last list fetched.
            device.runtime.refusal = { runtime in
                revocations.isRevoked(serial: runtime.serialNumber)
                    ? "its admission certificate (serial \(Hex.short(runtime.serialNumber))) is revoked in this domain" : nil
            }
        }
        do {
            renewing = try renewal.start(role: .device, state: state) { context, policy in
                contexts.replace(with: context)
                revocations?.use(context: context, interval: policy.revocationPoll)
            }
        } catch {
            revocations?.stop()
            throw error
        }
        self.revocations = revocations
    }

    /// Stops renewing and polling the revocation list.
    func stop() {
        renewing?.stop()
        revocations?.stop()
    }
}
