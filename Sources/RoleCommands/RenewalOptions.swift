public import Admission
public import ArgumentParser
import Attestation
import ByteKit
public import CommandSupport
import Logging
public import OpenSSLKit
public import Policy

/// `--certifier HOST:PORT[,HOST:PORT...]` and the attester options, for a long-running client session that renews its
/// admission as `cml-runtime serve` does (`cml-device run`, `cml-device fl`).
public struct RenewalOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The certifier to renew the admission at, when two thirds of its lifetime have passed (with the attester options).",
            valueName: "HOST:PORT[,HOST:PORT...]"),
        transform: { try HostPortList.parse($0) })
    var certifier: HostPortList?

    @OptionGroup(title: "Renewal (with --certifier)") var attester: AttesterOptions

    /// The options as parsed (ArgumentParser fills them in).
    public init() {}

    /// Refuses `--certifier` with an attester that cannot be made (the sim one without `--platform`).
    public func validate() throws {
        if certifier != nil { try attester.requireAttester() }
    }

    /// With `--certifier`, renews the admission of `role` in `state` in the background (its lines on
    /// standard error) and calls `renewed` with each new TLS client context and the policy it came with
    /// (whose `revocation-poll-seconds` the revocation watch takes); nil without `--certifier`.
    public func start(
        role: Role, state: String, renewed: @escaping @Sendable (_ clientContext: TLSContext, _ policy: PolicyDocument) -> Void
    ) throws -> AdmissionRenewal? {
        guard let certifier else { return nil }
        let credentials = try RoleCredentials.load(stateDirectory: state, role: role)
        let logger = Logger(label: role.rawValue, factory: { LineLogHandler(label: $0) })
        let renewal = AdmissionRenewal(
            role: role, certifiers: certifier.serverAddresses, policyCertificate: credentials.policyCertificate,
            attester: try attester.makeAttester(), stateDirectory: state, logger: logger
        ) { fresh in
            do {
                renewed(try fresh.clientContext(), fresh.policy)
            } catch {
                logger.error("could not switch to the renewed admission: \(error); new connections still use the previous one")
            }
        }
        renewal.start(current: credentials.certificate)
        return renewal
    }

    /// With `--certifier`, the domain's revocation list fetched now (a failure is a warning) and every
    /// `revocation-poll-seconds` of the policy; nil without `--certifier`.
    public func watchRevocations(role: Role, state: String) throws -> RevocationWatch? {
        guard let certifier else { return nil }
        let credentials = try RoleCredentials.load(stateDirectory: state, role: role)
        let logger = Logger(label: role.rawValue, factory: { LineLogHandler(label: $0) })
        let watch = RevocationWatch(
            certifiers: certifier.serverAddresses, policyCertificate: credentials.policyCertificate,
            context: try credentials.clientContext(), interval: credentials.policy.revocationPoll, logger: logger) { _ in }
        do {
            try watch.refresh()
        } catch {
            logger.warning("\(error.message); trying again in \(credentials.policy.revocationPoll) s")
        }
        watch.start()
        return watch
    }
}
