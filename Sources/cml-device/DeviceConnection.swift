import Admission
import Channel
import CommandSupport
import Device
import Protocol

extension RuntimeOptions {
    /// A device of the runtime at `--runtime`, presenting the admission that `--state` holds.
    func device() throws -> Device {
        let credentials = try RoleCredentials.load(stateDirectory: state, role: .device)
        let client = RuntimeClient(host: runtime.host, port: runtime.port, context: try credentials.clientContext())
        do {
            return try Device(runtime: client, policy: credentials.policy)
        } catch {
            throw CommandFailure(error.description, cause: error)
        }
    }
}
