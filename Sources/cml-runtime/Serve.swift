import Admin
import Admission
import Attestation
public import ArgumentParser
import ByteKit
import CommandSupport
import Dispatch
import Foundation
import Logging
import OpenSSLKit
import RoleCommands
import Runtime

/// `cml-runtime serve`: the runtime's server, on one port for every role.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the provider and devices over mutual TLS with this runtime's admission certificate.",
        discussion: """
            Needs the state of `cml-runtime attest`: the admission certificate, the signed policy (whose \
            channels say which roles may connect, and whose "fl" settings give the FL rules) and the sealing \
            secret (which encrypts the state kept in DIR/sealed). ML mode: devices send words, the runtime trains \
            on them; restores the sealed model at start. FL mode: devices train locally and send updates, the \
            runtime aggregates each round with the policy's rule; resumes the sealed round at start (docs/fl.md). \
            Prints `serving ML mode on HOST:PORT` (or FL mode) on standard output once it listens (with --listen \
            HOST:0 the port is the one the system picked); logs, including the training lines `epoch: N, loss: \
            a,b` and the rounds, go to standard error. SIGINT or SIGTERM stop it cleanly. \
            Every change of the sealed state is anchored at the certifier (--certifier) before it is acknowledged, \
            and the folder is checked against that anchor at start: a rolled-back, deleted or replaced sealed file \
            is refused (docs/freshness.md). \
            With --certifier and an attester (--attester, --platform, --tsm-root as for `attest`), the runtime \
            attests again in the background when two thirds of its admission's lifetime have passed, with a new \
            TLS key, and switches to the new certificate and policy without dropping a connection \
            (docs/operations.md, "Renewal").
            """)

    @Option(help: ArgumentHelp("The runtime's state folder, as `cml-runtime attest` left it.", valueName: "DIR"))
    var state: String

    @Option(help: ArgumentHelp("Where to listen (port 0: the system picks one).", valueName: "HOST:PORT"))
    var listen = HostPort(host: "127.0.0.1", port: 8124)

    @Option(
        help: ArgumentHelp(
            "The certifier that anchors the freshness of the sealed state (reached with this runtime's admission certificate).",
            valueName: "HOST:PORT"))
    var certifier: HostPort?

    @OptionGroup(title: "Renewal (with --certifier)") var attesterOptions: AttesterOptions

    @Flag(help: "Serve without a freshness anchor, for development only: a rollback of the sealed state goes undetected.")
    var unanchored = false

    @Option(help: "What to serve: ml (devices send words, the runtime trains) or fl (devices train, the runtime aggregates rounds).")
    var mode: RuntimeMode = .ml

    @Option(help: "Epochs per train request (ML mode).")
    var epochs = TrainingQueue.defaultEpochs

    @Flag(help: "Also log each connection and request (the same as --log-level debug).")
    var verbose = false

    @OptionGroup var logging: LoggingOptions

    @OptionGroup(title: "Admin endpoint") var admin: AdminOptions

    /// The secret the certifier releases to the runtime for its sealed state.
    static let sealingSecretName = "sealing"

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard (certifier == nil) != !unanchored else {
            throw ValidationError(
                certifier == nil
                    ? "--certifier HOST:PORT is needed: the certifier anchors the sealed state, so that a rollback of it is detected (--unanchored serves without, for development only)"
                    : "give either --certifier or --unanchored, not both")
        }
    }

    func run() throws {
        // First of all: a second server on this folder must fail before it recovers or rewrites anything.
        let lock = try StateFolderLock.forCommand(folder: state)
        defer { withExtendedLifetime(lock) {} }
        logging.bootstrap(verbose: verbose)
        admin.bootstrapMetrics()
        let logger = Logger(label: "runtime")
        let credentials = try RoleCredentials.load(stateDirectory: state, role: .runtime)
        guard let secret = credentials.secret(named: Self.sealingSecretName) else {
            throw CommandFailure(
                "the certifier released no \"\(Self.sealingSecretName)\" secret to this runtime, so it cannot seal its state "
                    + "(the policy must list it under roles.runtime.secrets); attest again under such a policy")
        }
        let store: ModelStore
        let server: RuntimeServer
        let certifierAnchor: CertifierAnchor?
        do {
            let anchor: CertifierAnchor?
            if let certifier {
                anchor = CertifierAnchor(host: certifier.host, port: certifier.port, context: try credentials.clientContext())
            } else {
                anchor = nil
                logger.warning(
                    "--unanchored: the sealed state is not anchored at the certifier, so a rollback, deletion or replacement of its files WILL NOT BE DETECTED; for development only")
            }
            certifierAnchor = anchor
            let sealed = try SealedStore(directory: "\(state)/sealed", sealingSecret: secret)
            store = try ModelStore(
                state: try AnchoredState(
                    sealed: sealed, federation: credentials.policy.federationID, anchor: anchor, logger: logger, patience: .seconds(300)))
            server = try RuntimeServer(
                host: listen.host, port: listen.port, context: try credentials.serverContext(), policy: credentials.policy,
                store: store, configuration: .init(mode: mode, epochs: epochs), logger: logger)
        } catch let error as RuntimeError {
            throw CommandFailure(error.message, cause: error)
        } catch let error as AdmissionError {
            throw CommandFailure("\(error)", cause: error)
        }
        if mode == .ml, let current = store.current {
            logger.info("restored model \(current.shortID) (round \(current.model.round)) from \(state)/sealed")
        }
        let roles = server.allowedRoles.sorted().map(\.rawValue).joined(separator: ", ")
        let expiry = credentials.certificate.notAfter
        server.noteAdmission(credentials.certificate)
        logger.info("admitted as runtime until \(UTCTimeText.format(expiry)); the policy lets \(roles) connect")
        let revocations = try startRevocationWatch(credentials: credentials, server: server, logger: logger)
        defer { revocations?.stop() }
        let renewal = try startRenewal(
            credentials: credentials, server: server, anchor: certifierAnchor, revocations: revocations, logger: logger)
        defer { renewal?.stop() }
        if renewal == nil {
            warnOfExpiry(expiry, lifetime: credentials.certificate.notAfter.timeIntervalSince(credentials.certificate.notBefore), logger: logger)
        }

        let stopped = DispatchSemaphore(value: 0)
        let trap = SignalTrap { signal in
            logger.info("\(signal): stopping")
            server.stop()
            stopped.signal()
        }
        let adminEndpoint = try admin.start(status: { RuntimeStatus(server: server, version: ToolVersion.text) }, logger: logger)
        StandardOutput.line("serving \(mode) on \(server.address)")
        server.run()
        stopped.wait()
        adminEndpoint?.stop()
        withExtendedLifetime(trap) {}
        logger.info("stopped")
    }
}

extension Serve {
    /// With --certifier and an attester, renews the admission in the background: each new certificate
    /// goes to the server (new handshakes) and to the anchor's connection, each new policy's channels to
    /// new connections. Nil (renewal off, with a warning if --certifier was given) otherwise.
    func startRenewal(
        credentials: RoleCredentials, server: RuntimeServer, anchor: CertifierAnchor?, revocations: RevocationWatch?, logger: Logger
    ) throws -> AdmissionRenewal? {
        guard let certifier else { return nil }
        guard attesterOptions.canAttest else {
            logger.warning(
                "the admission is not renewed: the sim attester needs --platform DIR; it expires at \(UTCTimeText.format(credentials.certificate.notAfter))")
            return nil
        }
        let attester: any Attester
        do {
            attester = try attesterOptions.makeAttester()
        } catch {
            throw CommandFailure(error.message)
        }
        let renewal = AdmissionRenewal(
            role: .runtime, certifierHost: certifier.host, certifierPort: certifier.port,
            policyCertificate: credentials.policyCertificate, attester: attester, stateDirectory: state, logger: logger
        ) { fresh in
            do {
                try server.renew(context: try fresh.serverContext(), policy: fresh.policy)
                server.noteAdmission(fresh.certificate)
                let client = try fresh.clientContext()
                anchor?.use(context: client)
                revocations?.use(context: client)
            } catch {
                logger.error("could not switch to the renewed admission: \(error); new connections still use the previous one")
                return
            }
            do throws(AdmissionError) {
                try revocations?.refresh()
            } catch {
                logger.warning("\(error.message); the list held stays in force")
            }
        }
        renewal.start(current: credentials.certificate)
        let renewAt = AdmissionRenewal.renewalTime(notBefore: credentials.certificate.notBefore, notAfter: credentials.certificate.notAfter)
        logger.info("renews its admission at the certifier from \(UTCTimeText.format(renewAt)) on")
        return renewal
    }

    /// With --certifier, fetches the revocation list now and every `revocation-poll-seconds` of the policy,
    /// each new version enforced by the server (revoked peers refused, their connections closed).
    func startRevocationWatch(credentials: RoleCredentials, server: RuntimeServer, logger: Logger) throws -> RevocationWatch? {
        guard let certifier else { return nil }
        let context: TLSContext
        do {
            context = try credentials.clientContext()
        } catch {
            throw CommandFailure(error.message)
        }
        let watch = RevocationWatch(
            certifierHost: certifier.host, certifierPort: certifier.port, policyCertificate: credentials.policyCertificate,
            context: context, interval: credentials.policy.revocationPoll,
            logger: logger
        ) { list in
            logger.info("revocation list version \(list.version) in force: \(list.entries.count) revoked")
            server.revoke(list)
        }
        do {
            try watch.refresh()
        } catch {
            logger.warning("\(error.message); trying again in \(credentials.policy.revocationPoll) s")
        }
        watch.start()
        return watch
    }

    /// Without renewal: warns at start that the admission is not renewed, 5 minutes before it expires,
    /// and when it has expired (clients check the runtime's certificate at every connection: from then on
    /// they all refuse it).
    func warnOfExpiry(_ expiry: Date, lifetime: TimeInterval, logger: Logger) {
        let when = UTCTimeText.format(expiry)
        logger.warning("the admission is not renewed while serving: it expires at \(when); attest again (`cml-runtime attest`) and restart before then")
        let fiveMinutesBefore = expiry.timeIntervalSinceNow - 300
        if fiveMinutesBefore > 0 {
            DispatchQueue.global().asyncAfter(wallDeadline: .now() + fiveMinutesBefore) {
                logger.warning("the runtime's admission expires in 5 minutes, at \(when): attest again (`cml-runtime attest`) and restart")
            }
        }
        DispatchQueue.global().asyncAfter(wallDeadline: .now() + max(0, expiry.timeIntervalSinceNow)) {
            logger.warning(
                "the runtime's admission certificate expired at \(when): clients refuse new connections; attest again (`cml-runtime attest`) and restart; the sealed state is kept")
        }
    }
}

extension RuntimeMode: ExpressibleByArgument {}
