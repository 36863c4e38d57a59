import Attestation
import ByteKit
import CommandSupport
import Foundation

/// What one host of the domain receives from `cml-certifier provision`: the files of its kit folder, as
/// text, and the simulated platform folder to copy beside them (sim attester only).
struct HostKit {
    /// The role whose host this kit is for, and the kit folder's name.
    let role: String
    /// File name and contents, written in this order.
    var files: [(name: String, bytes: [UInt8])] = []
    /// The certifier state's platform folder this host's sim attester signs with; nil for a real CCA host.
    var platform: String?

    /// The folder name of the simulated platform in a kit, as `attest --platform` is given it.
    static let platformFolder = "platform"
    /// The note beside the platform folder.
    static let simulationNote = "SIMULATION-ONLY.txt"
    /// The environment file every kit has.
    static let environmentFile = "cml.env"

    /// The text of `SIMULATION-ONLY.txt`: what the platform folder is and why a real host never has one.
    static let simulationText = """
        The folder platform/ beside this note is a SIMULATION ARTIFACT.

        It holds the simulated platform's PRIVATE key (platform.key). Whoever holds it can forge attestation
        tokens for any measurement, and the certifier will believe them: with it, the realm boundary is only
        pretended. It exists so that the domain can be tried without Arm CCA hardware (attest --attester sim).

        A real CCA host never has this folder: its tokens come from the hardware (attest --attester tsm), and
        the policy trusts the platform's real key. Delete this folder from any host that matters.

        """

    /// Writes the kit into `folder` (which must not exist yet).
    func write(to folder: String) throws {
        try FileBytes.makeDirectory(folder, mode: 0o755)
        for file in files {
            try FileBytes.writeAtomically(file.bytes, to: "\(folder)/\(file.name)")
        }
        if let platform {
            let target = "\(folder)/\(Self.platformFolder)"
            try FileBytes.makeDirectory(target, mode: 0o700)
            for name in [SimulatedPlatformFiles.privateKeyFile, SimulatedPlatformFiles.publicKeyFile, SimulatedPlatformFiles.instanceIDFile] {
                let bytes = try FileBytes.read("\(platform)/\(name)", limit: FileSizeLimit(bytes: 64 * 1024, kind: "a platform file"))
                try FileBytes.writeAtomically(bytes, to: "\(target)/\(name)", mode: name == SimulatedPlatformFiles.privateKeyFile ? 0o600 : 0o644)
            }
            try FileBytes.writeAtomically(text: Self.simulationText, to: "\(folder)/\(Self.simulationNote)")
        }
    }

    /// Adds the file `name` holding `text`.
    mutating func add(_ name: String, text: String) {
        files.append((name, Array(text.utf8)))
    }

    /// `KEY=value` lines for an environment file that both systemd's `EnvironmentFile=` and a shell's `.` read.
    static func environment(_ role: String, _ pairs: [(String, String)]) -> String {
        "# ConfidentialML: addresses and paths for the \(role) host (made by cml-certifier provision).\n"
            + pairs.map { "\($0.0)=\($0.1)\n" }.joined()
    }

    /// A systemd unit running `command` (arguments from the environment file) from the kit installed at `installed`.
    static func unit(description: String, installed: String, command: String, reload: Bool) -> String {
        """
        [Unit]
        Description=\(description)
        After=network-online.target
        Wants=network-online.target

        [Service]
        Type=simple
        WorkingDirectory=\(installed)
        EnvironmentFile=\(installed)/\(environmentFile)
        ExecStart=\(command)
        \(reload ? "ExecReload=/bin/kill -HUP $MAINPID\n" : "")Restart=on-failure
        RestartSec=5

        [Install]
        WantedBy=multi-user.target

        """
    }
}
