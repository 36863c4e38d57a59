import Admin
import ArgumentParser
import ByteKit
import Certifier
import Channel
import CommandSupport
import Dispatch
import Foundation
import Logging
import Policy
import RoleCommands

/// `cml-certifier serve --state DIR --policy policy.signed --listen 127.0.0.1:8123`.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serves nonces and admissions over TLS 1.3 until SIGINT or SIGTERM; SIGHUP reloads the policy.",
        discussion: """
            Refuses to start on a policy whose signature does not verify under the state's policy certificate, \
            or on an issuing certificate (issuer.crt) that the policy key did not sign as a CA, or that expires \
            within the policy's admission lifetime; warns when it expires within 30 days. The policy key is not \
            needed (keep it offline: docs/operations.md). \
            Prints "listening on HOST:PORT" on standard output once it accepts connections (port 0 lets the OS \
            pick); decisions are logged on standard error and appended to DIR/audit.jsonl (with --store \
            postgresql://..., to the database that replicas of the domain share, whose schema must be the one this \
            certifier knows: run `cml-certifier migrate --store URL` first). On SIGHUP it reopens \
            the audit log (after an outside rotation) and reloads the policy file, checked as at start; a refused \
            one is logged and the policy in force keeps serving.
            """)

    @Option(help: ArgumentHelp("The state directory made by `cml-certifier init`.", valueName: "DIR"))
    var state: String

    @Option(help: ArgumentHelp("The signed policy (from `cml-policy sign`).", valueName: "FILE"))
    var policy: String

    @Option(help: ArgumentHelp(
        "Where nonces, the audit log and the revocation list are kept: dir (the state folder) or a PostgreSQL connection string that replicas share (see docs/scale.md).",
        valueName: "dir|postgresql://..."))
    var store: StoreLocation = .directory

    @Option(help: ArgumentHelp("Where to listen.", valueName: "HOST:PORT"))
    var listen = HostPort(host: "127.0.0.1", port: 8123)

    @Flag(help: "Also log each connection and request (the same as --log-level debug).")
    var verbose = false

    @OptionGroup var logging: LoggingOptions

    @OptionGroup(title: "Server caps") var caps: ConnectionCapOptions

    @OptionGroup(title: "Admin endpoint") var admin: AdminOptions

    @Option(help: ArgumentHelp("Rotate the audit log before it grows beyond this many bytes.", valueName: "BYTES"))
    var auditMaxBytes = AuditLog.Rotation.standard.maximumBytes

    @Option(help: ArgumentHelp("How many rotated audit logs to keep (audit.jsonl.1 is the newest).", valueName: "N"))
    var auditKeep = AuditLog.Rotation.standard.keep

    /// How long before the issuing certificate expires serve starts warning: 30 days.
    static let issuingWarning: TimeInterval = 30 * 86400

    func validate() throws {
        do {
            _ = try AuditLog.Rotation(maximumBytes: auditMaxBytes, keep: auditKeep)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        // First of all: a second certifier on this folder must fail before it reads or writes anything.
        let lock = try StateFolderLock.forCommand(folder: state)
        defer { withExtendedLifetime(lock) {} }
        logging.bootstrap(verbose: verbose)
        admin.bootstrapMetrics()
        let level = logging.level(verbose: verbose)
        let logger = Logger(label: "certifier")
        let server: ChannelServer
        let service: CertifierService
        do {
            let loaded = try CertifierState.load(directory: state)
            let bytes: [UInt8]
            do {
                bytes = try FileBytes.read(policy, limit: SignedPolicy.maximumFileSize)
            } catch {
                throw CertifierError(.policyUnreadable, "policy \(error)", cause: error)
            }
            let rotation = try AuditLog.Rotation(maximumBytes: auditMaxBytes, keep: auditKeep)
            let shared: (any CertifierStore)?
            switch store {
            case .directory: shared = nil
            case .postgres(let connectionString): shared = try PostgresStore(connectionString: connectionString)
            }
            service = try CertifierService(state: loaded, policyBytes: bytes, logger: logger, auditRotation: rotation, store: shared)
            // The service logs every decision; the channel layer would repeat each refusal, so it speaks
            // only of its own failures unless asked for more.
            var channelLogger = Logger(label: "certifier")
            channelLogger.logLevel = level <= .debug ? level : max(level, .error)
            server = try service.makeServer(
                host: listen.host, port: listen.port, channelLogger: channelLogger,
                configuration: caps.applied(to: CertifierService.channelConfiguration))
        } catch let error as CertifierError {
            throw CommandFailure(error.message, cause: error)
        } catch let error as ChannelError {
            throw CommandFailure(error.message, cause: error)
        } catch {
            throw CommandFailure("cannot serve on \(listen): \(error)", cause: error)
        }
        if FileBytes.exists(service.state.policyKeyPath) {
            logger.notice(
                "\(service.state.policyKeyPath) is on this host, which serve does not need: move it to an offline machine (docs/operations.md, \"Keeping the policy key offline\")")
        }
        if service.state.issuingExpires(within: Self.issuingWarning) {
            let path = service.state.path(CertifierState.Files.issuingCertificate)
            logger.warning(
                "\(path) expires at \(UTCTimeText.format(service.state.issuingCertificate.notAfter)); issue a new one with `cml-certifier issuer --state \(state) --policy-key FILE` on the machine that holds the policy key, then restart")
        }
        let document = service.policy.document
        logger.info(
            "serving \(document.displayName): \(document.roles.keys.sorted().joined(separator: ", ")); \(service.store.description)")
        let trap = SignalTrap { _ in server.stop() }
        // The log first, so that the reload's own line goes to the new file.
        let hangup = HangupTrap { [policy] in
            service.reopenAuditLog()
            service.reloadPolicy(file: policy)
            service.reloadRevocations()
        }
        let adminEndpoint = try admin.start(status: { CertifierStatus(service: service, version: ToolVersion.text) }, logger: logger)
        service.recordStart()
        StandardOutput.line("listening on \(server.address)")
        server.run()
        adminEndpoint?.stop()
        withExtendedLifetime((trap, hangup)) {}
        service.recordStop()
        logger.info("stopped")
        CleanExit.now()
    }
}
