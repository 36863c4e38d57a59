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
        abstract: "Attest to the certifier, then serve the provider and devices over mutual TLS with the admission it gives.",
        discussion: """
            At every start the runtime attests to the certifier (--certifier, --policy-cert, and the attester: \
            --attester, --platform, --tsm-root) with a new TLS key made in memory, and receives its admission \
            certificate, the signed policy (whose channels say which roles may connect, and whose "fl" settings \
            give the FL rules) and the sealing secret (which encrypts the state kept in DIR/sealed). Key, \
            certificate, policy and secret are held in memory only: DIR is the host's disk, and holds nothing \
            but the sealed state and the lock (docs/freshness.md). A DIR that still holds tls.key or secrets/ \
            from an older version is refused until they are removed. \
            ML mode: devices send words, the runtime trains on them; restores the sealed model at start. FL mode: \
            devices train locally and send updates, the runtime aggregates each round with the policy's rule; \
            resumes the sealed round at start (docs/fl.md). With --store postgresql://... (FL mode only) the rounds \
            live in a PostgreSQL database that any number of replicas of the federation share, sealed under the \
            same secret, and DIR is not needed (if given, it is only locked); run `cml-runtime migrate --store URL` \
            first (docs/scale.md). \
            Prints `serving ML mode on HOST:PORT` (or FL mode) on standard output once it listens (with --listen \
            HOST:0 the port is the one the system picked); logs, including the training lines `epoch: N, loss: \
            a,b` and the rounds, go to standard error. SIGINT or SIGTERM stop it cleanly. \
            Every change of the sealed state is anchored at the certifier before it is acknowledged, and the \
            folder is checked against that anchor at start: a rolled-back, deleted or replaced sealed file is \
            refused. If the anchor refuses an advance because another instance moved it (anchor-conflict), the \
            runtime stops and exits 1: a restart checks the folder against the anchor again. \
            The runtime attests again in the background when two thirds of its admission's lifetime have \
            passed, with a new TLS key, and switches to the new certificate and policy without dropping a \
            connection, again in memory only (docs/operations.md, "Renewal").
            """)

    @Option(help: ArgumentHelp(
        "The runtime's state folder: its sealed state and lock, nothing secret. Needed with --store dir; with a database store it is only locked, if given.",
        valueName: "DIR"))
    var state: String?

    @Option(help: ArgumentHelp(
        "Where FL mode keeps its rounds: dir (the state folder) or a PostgreSQL connection string that runtime replicas of the federation share (docs/scale.md).",
        valueName: "dir|postgresql://..."))
    var store: StoreLocation = .directory

    @Option(help: ArgumentHelp("This replica's name in logs and in the rows it writes (default: the host name and the listening port).", valueName: "NAME"))
    var replica: String?

    @Option(help: ArgumentHelp("Where to listen (port 0: the system picks one).", valueName: "HOST:PORT"))
    var listen = HostPort(host: "127.0.0.1", port: 8124)

    @Option(
        help: ArgumentHelp(
            "The certifier the runtime attests to at every start and renewal, and that anchors the freshness of the sealed state.",
            valueName: "HOST:PORT[,HOST:PORT...]"),
        transform: { try HostPortList.parse($0) })
    var certifier: HostPortList?

    @Option(name: .customLong("policy-cert"), help: ArgumentHelp("The domain's policy certificate (PEM), pinned as the only root.", valueName: "FILE"))
    var policyCert: String?

    @OptionGroup(title: "Attestation") var attesterOptions: AttesterOptions

    @Flag(help: "Serve without a freshness anchor, for development only: a rollback of the sealed state goes undetected (the runtime still attests).")
    var unanchored = false

    @Option(help: "What to serve: ml (devices send words, the runtime trains) or fl (devices train, the runtime aggregates rounds).")
    var mode: RuntimeMode = .ml

    @Option(help: "Epochs per train request (ML mode).")
    var epochs = TrainingQueue.defaultEpochs

    @Flag(help: "Also log each connection and request (the same as --log-level debug).")
    var verbose = false

    @OptionGroup var logging: LoggingOptions

    @OptionGroup(title: "Server caps") var caps: ConnectionCapOptions

    @OptionGroup(title: "Admin endpoint") var admin: AdminOptions

    /// The secret the certifier releases to the runtime for its sealed state.
    static let sealingSecretName = "sealing"

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        if store == .directory, state == nil {
            throw ValidationError("--state DIR is needed with --store dir (the default): the folder that keeps the runtime's sealed state")
        }
        if let replica, replica.isEmpty || replica.count > 200 {
            throw ValidationError("--replica must be 1 to 200 characters")
        }
        guard certifier != nil else {
            throw ValidationError(
                "--certifier HOST:PORT is needed: the runtime attests to the certifier at every start (its key and secrets are never stored), "
                    + "and the certifier anchors the sealed state, so that a rollback of it is detected (--unanchored turns only the anchor off, for development)")
        }
        guard policyCert != nil else {
            throw ValidationError("--policy-cert FILE is needed: the domain's policy certificate, the only root the runtime trusts when it attests")
        }
        try attesterOptions.requireAttester()
    }

    func run() throws {
        try SharedStoreChoice.refuseUnsupported(mode: mode, store: store)
        // The folder is made here now that no `attest` makes it, so that the lock below holds from the first start.
        var lock: StateFolderLock?
        if let state {
            do {
                try FileBytes.makeDirectory(state, mode: 0o700)
            } catch {
                throw CommandFailure("cannot make the state folder: \(error)", cause: error)
            }
            // First of all: a second server on this folder must fail before it recovers or rewrites anything.
            lock = try StateFolderLock.forCommand(folder: state)
        }
        defer { withExtendedLifetime(lock) {} }
        logging.bootstrap(verbose: verbose)
        admin.bootstrapMetrics()
        let logger = Logger(label: "runtime")
        if let state { try LeftoverSecrets.refuse(in: state) }
        // Before attesting: a wrong connection string or an old schema is the operator's to fix, not the certifier's to hear of.
        let database = try SharedStoreChoice.open(store)
        guard let certifier, let policyCert else { throw CommandFailure("--certifier and --policy-cert are needed") }
        let policyCertificate = try PolicyCertificateFile.read(policyCert)
        let attester: any Attester
        do {
            attester = try attesterOptions.makeAttester()
        } catch {
            throw CommandFailure(error.message, cause: error)
        }
        let credentials: RoleCredentials
        do {
            credentials = try CertifierFailover.first(of: certifier.serverAddresses) { (certifier) throws(AdmissionError) in
                try AdmissionClient().admit(
                    role: .runtime, certifierHost: certifier.host, certifierPort: certifier.port, policyCertificate: policyCertificate,
                    attester: attester)
            }
        } catch {
            throw CommandFailure(error.message, cause: error)
        }
        guard let secret = credentials.secret(named: Self.sealingSecretName) else {
            throw CommandFailure(
                "the certifier released no \"\(Self.sealingSecretName)\" secret to this runtime, so it cannot seal its state "
                    + "(the policy must list it under roles.runtime.secrets)")
        }
        let measurement = credentials.measurement.map { "measurement \(Hex.short($0)), " } ?? ""
        logger.info(
            "admitted as runtime (\(measurement)certificate serial \(credentials.certificate.serialNumberHex.lowercased())) until \(UTCTimeText.format(credentials.certificate.notAfter)); key, certificate, policy and secrets held in memory only")
        let stopped = DispatchSemaphore(value: 0)
        let conflict = AnchorConflictStop(logger: logger, stopped: stopped)
        let store: ModelStore
        let server: RuntimeServer
        let certifierAnchor: CertifierAnchor?
        do {
            let anchor: CertifierAnchor?
            if unanchored {
                anchor = nil
                logger.warning(
                    "--unanchored: the sealed state is not anchored at the certifier, so a rollback, deletion or replacement of its files WILL NOT BE DETECTED; for development only")
            } else {
                anchor = CertifierAnchor(addresses: certifier.serverAddresses, context: try credentials.clientContext())
            }
            certifierAnchor = anchor
            var shared: SharedFederation?
            if let database {
                store = try ModelStore(state: nil)
                shared = try SharedFederation(
                    pool: database, federation: credentials.policy.federationID, replica: replica ?? SharedStoreChoice.defaultReplica(listen: listen),
                    sealingSecret: secret, rules: FederationRules(policy: credentials.policy), anchor: anchor, logger: logger)
            } else {
                let sealed = try SealedStore(directory: "\(state ?? ".")/sealed", sealingSecret: secret)
                store = try ModelStore(
                    state: try AnchoredState(
                        sealed: sealed, federation: credentials.policy.federationID, anchor: anchor, logger: logger, patience: .seconds(300),
                        conflicted: { reason in conflict.stop(reason: reason) }))
            }
            server = try RuntimeServer(
                host: listen.host, port: listen.port, context: try credentials.serverContext(), policy: credentials.policy,
                store: store, configuration: .init(mode: mode, epochs: epochs, channel: caps.applied(to: .init())), shared: shared, logger: logger)
        } catch let error as RuntimeError {
            throw CommandFailure(error.message, cause: error)
        } catch let error as AdmissionError {
            throw CommandFailure("\(error)", cause: error)
        }
        if mode == .ml, let current = store.current {
            logger.info("restored model \(current.shortID) (round \(current.model.round)) from \(state ?? ".")/sealed\(store.validation.map { ", with the validation list (\($0.words.count) words)" } ?? "")")
        }
        let roles = server.allowedRoles.sorted().map(\.rawValue).joined(separator: ", ")
        server.noteAdmission(credentials.certificate)
        logger.info("the policy lets \(roles) connect")
        let revocations = try startRevocationWatch(credentials: credentials, certifier: certifier, server: server, logger: logger)
        defer { revocations.stop() }
        let renewal = startRenewal(
            credentials: credentials, certifier: certifier, attester: attester, server: server, anchor: certifierAnchor,
            revocations: revocations, logger: logger)
        defer { renewal.stop() }

        let trap = SignalTrap { signal in
            logger.info("\(signal): stopping")
            stopped.signal()
        }
        do {
            try server.start()
        } catch {
            throw CommandFailure(error.message, cause: error)
        }
        let adminEndpoint = try admin.start(status: { RuntimeStatus(server: server, version: ToolVersion.text) }, logger: logger)
        StandardOutput.line("serving \(mode) on \(server.address)")
        stopped.wait()
        server.stop()
        adminEndpoint?.stop()
        withExtendedLifetime(trap) {}
        if let reason = conflict.reason {
            throw CommandFailure(
                "stopped: the certifier refused to anchor this runtime's sealed state (\(reason)): another runtime advanced the anchor of federation "
                    + "\"\(credentials.policy.federationID)\"; restart to check \(state ?? "the state") against the anchor")
        }
        logger.info("stopped")
        CleanExit.now()
    }
}

extension Serve {
    /// Renews the admission in memory in the background: each new certificate goes to the server (new
    /// handshakes), to the anchor's connection and to the revocation watch, each new policy's channels
    /// to new connections and its poll interval to the watch. Nothing is written.
    func startRenewal(
        credentials: RoleCredentials, certifier: HostPortList, attester: any Attester, server: RuntimeServer, anchor: CertifierAnchor?,
        revocations: RevocationWatch, logger: Logger
    ) -> AdmissionRenewal {
        let renewal = AdmissionRenewal(
            role: .runtime, certifiers: certifier.serverAddresses,
            policyCertificate: credentials.policyCertificate, attester: attester, logger: logger
        ) { fresh in
            do {
                try server.renew(context: try fresh.serverContext(), policy: fresh.policy)
                server.noteAdmission(fresh.certificate)
                let client = try fresh.clientContext()
                anchor?.use(context: client)
                revocations.use(context: client, interval: fresh.policy.revocationPoll)
            } catch {
                logger.error("could not switch to the renewed admission: \(error); new connections still use the previous one")
                return
            }
            do throws(AdmissionError) {
                try revocations.refresh()
            } catch {
                logger.warning("\(error.message); the list held stays in force")
            }
        }
        renewal.start(current: credentials.certificate)
        let renewAt = AdmissionRenewal.renewalTime(notBefore: credentials.certificate.notBefore, notAfter: credentials.certificate.notAfter)
        logger.info("renews its admission at the certifier from \(UTCTimeText.format(renewAt)) on")
        return renewal
    }

    /// Fetches the revocation list now and every `revocation-poll-seconds` of the policy, each new
    /// version enforced by the server (revoked peers refused, their connections closed).
    func startRevocationWatch(credentials: RoleCredentials, certifier: HostPortList, server: RuntimeServer, logger: Logger) throws -> RevocationWatch {
        let context: TLSContext
        do {
            context = try credentials.clientContext()
        } catch {
            throw CommandFailure(error.message, cause: error)
        }
        let watch = RevocationWatch(
            certifiers: certifier.serverAddresses, policyCertificate: credentials.policyCertificate,
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
}

extension RuntimeMode: ExpressibleByArgument {}
