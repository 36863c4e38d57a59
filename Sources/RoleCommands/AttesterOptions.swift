public import ArgumentParser
public import Attestation

/// Where a role's attestation token comes from: the options of `attest`, shared with the long-running
/// commands that attest again to renew their admission (`cml-runtime serve --certifier`).
public struct AttesterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where the token comes from: sim (simulated realm), tsm (configfs-tsm in a CCA realm), or auto (tsm where configfs-tsm exists, else sim).", valueName: "sim|tsm|auto"))
    var attester: AttesterChoice = .auto

    @Option(help: ArgumentHelp(
        "The simulated platform folder (the certifier state's platform/), for the sim attester. It holds the simulated "
            + "platform's PRIVATE key, a simulation artifact: whoever can read it can forge tokens for any measurement, "
            + "so in simulation the realm boundary is only pretended.", valueName: "DIR"))
    var platform: String?

    @Option(name: .customLong("tsm-root"), help: ArgumentHelp("The configfs-tsm folder, for the tsm attester.", valueName: "DIR"))
    var tsmRoot = TSMAttester.defaultRoot

    /// The options as parsed (ArgumentParser fills them in).
    public init() {}

    /// Whether an attester can be made: the sim one needs `--platform`.
    public var canAttest: Bool { resolvedAttester != .sim || platform != nil }

    /// Refuses the sim attester without `--platform` (a usage error); not `validate()`, which
    /// ArgumentParser would run for commands where attesting is optional.
    public func requireAttester() throws {
        if resolvedAttester == .sim && platform == nil {
            throw ValidationError(
                "the sim attester needs --platform DIR (the platform/ folder of the certifier's state, made by `cml-certifier init`)")
        }
    }

    /// The attester these options name.
    public func makeAttester() throws(AttestationError) -> any Attester {
        switch resolvedAttester {
        case .tsm: return TSMAttester(root: tsmRoot)
        default: return try SimulatedAttester(platformDirectory: platform ?? ".")
        }
    }

    private var resolvedAttester: AttesterChoice {
        guard attester == .auto else { return attester }
        return TSMAttester.isAvailable(root: tsmRoot) ? .tsm : .sim
    }
}

/// The `--attester` choices.
enum AttesterChoice: String, ExpressibleByArgument, CaseIterable {
    case sim, tsm, auto
}
