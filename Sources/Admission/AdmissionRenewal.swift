public import Attestation
import ByteKit
public import Foundation
public import Logging
public import OpenSSLKit
public import Policy
public import Protocol
import Synchronization

/// Keeps a long-running role admitted: when two thirds of its admission certificate's lifetime have
/// passed it attests again with a new TLS key and hands the new credentials to `renewed`, which
/// switches the role over (new connections use them). A provider's or device's renewal stores them in
/// its state folder (`AdmissionClient.attest`); the runtime's holds them in memory only (`admit`).
///
/// A failed attempt is retried with a doubling wait (from a fiftieth of the lifetime up to a tenth),
/// each failure logged as a warning with the time left; once a tenth of the lifetime or less is left,
/// the failure is logged as critical: the role will stop being trusted when the certificate expires.
public final class AdmissionRenewal: Sendable {
    private let role: Role
    private let admit: @Sendable () throws(AdmissionError) -> RoleCredentials
    private let clock: any RenewalClock
    private let logger: Logger
    private let renewed: @Sendable (RoleCredentials) -> Void
    private let stopped = DispatchSemaphore(value: 0)
    private let count = Mutex(0)

    /// A renewal of `role`'s admission in `stateDirectory` at the certifier at `certifierHost:certifierPort`;
    /// `renewed` receives each new admission (on the renewal's thread) once it is stored and loaded back.
    public convenience init(
        role: Role, certifierHost: String, certifierPort: UInt16, policyCertificate: Certificate, attester: any Attester,
        stateDirectory: String, client: AdmissionClient = AdmissionClient(), clock: any RenewalClock = SystemRenewalClock(),
        logger: Logger, renewed: @escaping @Sendable (RoleCredentials) -> Void
    ) {
        self.init(
            role: role, certifiers: [ServerAddress(host: certifierHost, port: certifierPort)], policyCertificate: policyCertificate,
            attester: attester, stateDirectory: stateDirectory, client: client, clock: clock, logger: logger, renewed: renewed)
    }

    /// A renewal as above at the certifier replicas `certifiers`, tried in order (`CertifierFailover`).
    public convenience init(
        role: Role, certifiers: [ServerAddress], policyCertificate: Certificate, attester: any Attester,
        stateDirectory: String, client: AdmissionClient = AdmissionClient(), clock: any RenewalClock = SystemRenewalClock(),
        logger: Logger, renewed: @escaping @Sendable (RoleCredentials) -> Void
    ) {
        self.init(role: role, clock: clock, logger: logger, renewed: renewed) { () throws(AdmissionError) -> RoleCredentials in
            _ = try CertifierFailover.first(of: certifiers) { (certifier) throws(AdmissionError) in
                try client.attest(
                    role: role, certifierHost: certifier.host, certifierPort: certifier.port, policyCertificate: policyCertificate,
                    attester: attester, stateDirectory: stateDirectory)
            }
            // Loaded back with every check of a start.
            return try RoleCredentials.load(stateDirectory: stateDirectory, role: role)
        }
    }

    /// A renewal of `role`'s admission held in memory only (the runtime): each new key, certificate,
    /// policy and secret goes to `renewed` and nowhere else.
    public convenience init(
        role: Role, certifierHost: String, certifierPort: UInt16, policyCertificate: Certificate, attester: any Attester,
        client: AdmissionClient = AdmissionClient(), clock: any RenewalClock = SystemRenewalClock(), logger: Logger,
        renewed: @escaping @Sendable (RoleCredentials) -> Void
    ) {
        self.init(
            role: role, certifiers: [ServerAddress(host: certifierHost, port: certifierPort)], policyCertificate: policyCertificate,
            attester: attester, client: client, clock: clock, logger: logger, renewed: renewed)
    }

    /// An in-memory renewal as above at the certifier replicas `certifiers`, tried in order (`CertifierFailover`).
    public convenience init(
        role: Role, certifiers: [ServerAddress], policyCertificate: Certificate, attester: any Attester,
        client: AdmissionClient = AdmissionClient(), clock: any RenewalClock = SystemRenewalClock(), logger: Logger,
        renewed: @escaping @Sendable (RoleCredentials) -> Void
    ) {
        self.init(role: role, clock: clock, logger: logger, renewed: renewed) { () throws(AdmissionError) -> RoleCredentials in
            try CertifierFailover.first(of: certifiers) { (certifier) throws(AdmissionError) in
                try client.admit(
                    role: role, certifierHost: certifier.host, certifierPort: certifier.port, policyCertificate: policyCertificate,
                    attester: attester, now: clock.now)
            }
        }
    }

    /// A renewal of `role` whose attempts are `admit`, timed by `clock`.
    public init(
        role: Role, clock: any RenewalClock, logger: Logger, renewed: @escaping @Sendable (RoleCredentials) -> Void,
        admit: @escaping @Sendable () throws(AdmissionError) -> RoleCredentials
    ) {
        self.role = role
        self.admit = admit
        self.clock = clock
        self.logger = logger
        self.renewed = renewed
    }

    /// How many renewals succeeded so far.
    public var renewals: Int { count.withLock { $0 } }

    /// When a certificate valid from `notBefore` to `notAfter` is renewed: two thirds into its lifetime.
    public static func renewalTime(notBefore: Date, notAfter: Date) -> Date {
        notBefore.addingTimeInterval(notAfter.timeIntervalSince(notBefore) * 2 / 3)
    }

    /// The wait before retry number `attempt` (1, 2, ...) for a lifetime of `lifetime` seconds: a fiftieth
    /// of it doubling each time, at least 0.5 s and at most a tenth of the lifetime (so a few attempts
    /// remain before expiry).
    public static func retryDelay(attempt: Int, lifetime: TimeInterval) -> TimeInterval {
        let first = max(0.5, lifetime / 50)
        let cap = max(first, lifetime / 10)
        return min(cap, first * pow(2, Double(min(attempt - 1, 30))))
    }

    /// Renews in the background, first for `current` (the certificate in force), until `stop()`.
    public func start(current: Certificate) {
        let thread = Thread { [self] in run(current: current) }
        thread.name = "admission-renewal"
        thread.start()
    }

    /// Ends the renewals (an attempt in progress finishes first).
    public func stop() {
        stopped.signal()
    }

    /// Renews on the calling thread until `stop()`, first for `current`: what `start` runs in the background.
    public func run(current: Certificate) {
        var notBefore = current.notBefore
        var notAfter = current.notAfter
        var attempt = 0
        var next = Self.renewalTime(notBefore: notBefore, notAfter: notAfter)
        while !clock.wait(until: next, stop: stopped) {
            let lifetime = notAfter.timeIntervalSince(notBefore)
            do {
                let credentials = try admit()
                count.withLock { $0 += 1 }
                attempt = 0
                notBefore = credentials.certificate.notBefore
                notAfter = credentials.certificate.notAfter
                logger.info(
                    "renewed the admission of \(role): new TLS key, certificate valid until \(UTCTimeText.format(notAfter))")
                renewed(credentials)
                next = Self.renewalTime(notBefore: notBefore, notAfter: notAfter)
            } catch {
                attempt += 1
                let delay = Self.retryDelay(attempt: attempt, lifetime: lifetime)
                let left = notAfter.timeIntervalSince(clock.now)
                let expiry = UTCTimeText.format(notAfter)
                if left <= lifetime / 10 {
                    logger.critical(
                        "renewing the admission of \(role) failed: \(error.message); retrying in \(Self.seconds(delay)); \(left > 0 ? "in \(Self.seconds(left)), at \(expiry)," : "since \(expiry)") this \(role) \(left > 0 ? "will stop" : "stopped") being trusted: every peer refuses an expired admission")
                } else {
                    logger.warning(
                        "renewing the admission of \(role) failed: \(error.message); retrying in \(Self.seconds(delay)); the admission expires in \(Self.seconds(left)) (at \(expiry))")
                }
                next = clock.now.addingTimeInterval(delay)
            }
        }
    }

    private static func seconds(_ interval: TimeInterval) -> String {
        String(format: "%.1f s", max(0, interval))
    }
}
