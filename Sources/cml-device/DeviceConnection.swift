import Admission
import Channel
import CommandSupport
import Device
import Protocol

extension RuntimeOptions {
    /// A device of the runtime at `--runtime`, presenting the admission that `--state` holds; when the
    /// runtime is busy with this device's requests it says so on standard error before it waits.
    func device() throws -> Device {
        let credentials = try RoleCredentials.load(stateDirectory: state, role: .device)
        let client = RuntimeClient(host: runtime.host, port: runtime.port, context: try credentials.clientContext())
        do {
            let device = try Device(runtime: client, policy: credentials.policy)
            let retries = device.busyRetries
            device.onBusy = { refusal, seconds, retry in
                StandardError.line("the runtime is busy (\(refusal.message)); retrying in \(seconds) s (\(retry) of \(retries))")
            }
            return device
        } catch {
            throw CommandFailure(error.description, cause: error)
        }
    }
}
