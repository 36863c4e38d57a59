import Admission
import ByteKit
import Channel
import CommandSupport
import Device
import Policy
import Protocol
import RoleCommands

extension RuntimeOptions {
    /// A device of the runtime at `--runtime`, presenting the admission that `--state` holds; when the
    /// runtime is busy with this device's requests it says so on standard error before it waits.
    /// `check` sees the signed policy the device was admitted under before anything is sent, and may
    /// refuse to go on.
    func device(checkingPolicy check: (PolicyDocument) throws -> Void = { _ in }) throws -> Device {
        let credentials = try RoleCredentials.load(stateDirectory: state, role: .device)
        try check(credentials.policy)
        let client = RuntimeClient(addresses: runtime.serverAddresses, context: try credentials.clientContext())
        client.failover.onMove = { from, to, reason, wait in
            StandardError.line("the runtime at \(from) failed (\(reason)); moving on to \(to) in \(wait.readable)")
        }
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

    /// Runs `body` with a device of the runtime at `--runtime` while it holds the lock of `--state` and
    /// keeps its admission renewed and the runtime checked against revocations (DeviceUpkeep): what the
    /// long sessions (`run`, `console`) share.
    func withKeptDevice(renewal: RenewalOptions, _ body: (Device) throws -> Void) throws {
        let lock = try StateFolderLock.forCommand(folder: state)
        defer { withExtendedLifetime(lock) {} }
        let device = try device()
        defer { device.runtime.close() }
        let upkeep = try DeviceUpkeep(device: device, state: state, renewal: renewal)
        defer { upkeep.stop() }
        try body(device)
    }
}
