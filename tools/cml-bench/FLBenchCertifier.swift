import Attestation
import Certifier
import Channel
import Foundation
import Logging
import OpenSSLKit
import Policy

/// The fl suite's certifier, serving in this process on 127.0.0.1: its state made in a folder of the
/// bench's, one simulated platform for every party, and a signed policy whose runtime is the built
/// `cml-runtime` and whose provider and devices state measurements made up here.
final class FLBenchCertifier {
    let state: CertifierState
    let server: ChannelServer
    /// Admits a new key as `role` (provider or device, with its measurement) at this certifier; from any thread.
    let admit: @Sendable (Role) throws -> TLSContext

    /// Makes the state in `folder`, signs the policy `name` with `federated` and `limits`, and starts serving.
    init(folder: String, name: String, runtimeExecutable: String, federated: FederatedSettings, limits: PolicyLimits? = nil) throws {
        state = try CertifierState.initialize(directory: folder)
        let platformKey = try SimulatedPlatformFiles.privateKey(in: state.platformDirectory)
        let measurements: [Role: [UInt8]] = [.provider: SecureRandom.bytes(32), .device: SecureRandom.bytes(32)]
        let policy = PolicyDocument(
            name: name,
            roles: [
                "runtime": RolePolicy(initialMeasurements: [HexBytes(try ExecutableMeasurement.of(file: runtimeExecutable))], secrets: ["sealing"]),
                "provider": RolePolicy(initialMeasurements: [HexBytes(measurements[.provider] ?? [])]),
                "device": RolePolicy(initialMeasurements: [HexBytes(measurements[.device] ?? [])]),
            ],
            platforms: [TrustedPlatform(instanceID: HexBytes(PlatformClaims.instanceID(for: platformKey.publicKey)), publicKey: platformKey.publicKey.pem)],
            channels: [ChannelRule(from: "provider", to: "runtime"), ChannelRule(from: "device", to: "runtime")],
            federated: federated, limits: limits)
        let service = try CertifierService(
            state: state, policyBytes: SignedPolicy.sign(policy, key: state.policyKeyInFolder()).bytes,
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        server = try service.makeServer(host: "127.0.0.1", port: 0)
        try server.start()
        admit = { [port = server.port, root = state.policyCertificate] role in
            try BenchAdmission.admit(role: role, measurement: measurements[role] ?? [], port: port, root: root, platformKey: platformKey)
        }
    }

    /// `cml-runtime serve`'s options that make it attest here (with the sim attester) and anchor here.
    var runtimeArguments: [String] {
        ["--certifier", "127.0.0.1:\(server.port)", "--policy-cert", state.path(CertifierState.Files.policyCertificate), "--attester", "sim", "--platform", state.platformDirectory]
    }

    func stop() {
        server.stop()
    }
}
