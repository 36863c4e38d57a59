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

/// `cml-certifier serve --state DIR --policy policy.signed --listen 127.0.0.1:8123`.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serves nonces and admissions over TLS 1.3 until SIGINT or SIGTERM; SIGHUP reloads the policy.",
        discussion: """
            Refuses to start on a policy whose signature does not verify under the state's policy certificate. \
            Prints "listening on HOST:PORT" on standard output once it accepts connections (port 0 lets the OS \
            pick); decisions are logged on standard error and appended to DIR/audit.jsonl. On SIGHUP it reopens \
            the audit log (after an outside rotation) and reloads the policy file, checked as at start; a refused \
            one is logged and the policy in force keeps serving.
            """)

    @Option(help: ArgumentHelp("The state directory made by `cml-certifier init`.", valueName: "DIR"))
    var state: String

    @Option(help: ArgumentHelp("The signed policy (from `cml-policy sign`).", valueName: "FILE"))
    var policy: String

    @Option(help: ArgumentHelp("Where to listen.", valueName: "HOST:PORT"))
    var listen = HostPort(host: "127.0.0.1", port: 8123)

    @Flag(help: "Also log each connection and request (the same as --log-level debug).")
    var verbose = false

    @OptionGroup var logging: LoggingOptions

    @OptionGroup(title: "Admin endpoint") var admin: AdminOptions

    @Option(help: ArgumentHelp("Rotate the audit log before it grows beyond this many bytes.", valueName: "BYTES"))
    var auditMaxBytes = AuditLog.Rotation.standard.maximumBytes

    @Option(help: ArgumentHelp("How many rotated audit logs to keep (audit.jsonl.1 is the newest).", valueName: "N"))
    var auditKeep = AuditLog.Rotation.standard.keep

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
            service = try CertifierService(state: loaded, policyBytes: bytes, logger: logger, auditRotation: rotation)
            // The service logs every decision; the channel layer would repeat each refusal, so it speaks
            // only of its own failures unless asked for more.
            var channelLogger = Logger(label: "certifier")
            channelLogger.logLevel = level <= .debug ? level : max(level, .error)
            server = try service.makeServer(host: listen.host, port: listen.port, channelLogger: channelLogger)
        } catch let error as CertifierError {
            throw CommandFailure(error.message, cause: error)
        } catch let error as ChannelError {
            throw CommandFailure(error.message, cause: error)
        } catch {
            throw CommandFailure("cannot serve on \(listen): \(error)", cause: error)
        }
        let document = service.policy.document
        logger.info(
            "serving \(document.displayName): \(document.roles.keys.sorted().joined(separator: ", ")); audit log \(service.auditLog.path)")
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
    }
}
