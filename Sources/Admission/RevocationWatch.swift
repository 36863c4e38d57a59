import ByteKit
public import Channel
public import Foundation
public import Logging
public import OpenSSLKit
public import Policy
public import Protocol
import Synchronization

/// A role's view of the domain's revocation list: fetched from the certifier (`revocations`, over TLS
/// with the role's admission certificate), checked through the issuing certificate it carries to the
/// policy certificate (`RevocationList(opening:)`), and kept only if its version is
/// the highest seen, so an older list replayed by the network or the host cannot un-revoke anyone.
/// Polled every `interval` seconds in the background (`start`), and on demand (`refresh`, e.g. with
/// every renewal); each new version goes to `changed`.
public final class RevocationWatch: Sendable {
    private let certifiers: [ServerAddress]
    private let policyCertificate: Certificate
    private let context: Mutex<TLSContext>
    private let seconds: Mutex<Int>
    private let logger: Logger
    private let changed: @Sendable (RevocationList) -> Void
    private let current = Mutex(RevocationList())
    private let isStopped = Mutex(false)
    /// Wakes the polling thread: at `stop()`, and when the interval changes.
    private let wake = DispatchSemaphore(value: 0)

    /// A watch of the certifier at `certifierHost:certifierPort`, reached with `context` (the role's
    /// mutual-TLS client context), lists checked under `policyCertificate`, polled every `interval` seconds.
    public convenience init(
        certifierHost: String, certifierPort: UInt16, policyCertificate: Certificate, context: TLSContext, interval: Int,
        logger: Logger, changed: @escaping @Sendable (RevocationList) -> Void
    ) {
        self.init(
            certifiers: [ServerAddress(host: certifierHost, port: certifierPort)], policyCertificate: policyCertificate, context: context,
            interval: interval, logger: logger, changed: changed)
    }

    /// A watch of the certifier replicas at `certifiers`, tried in order at each fetch (`CertifierFailover`).
    public init(
        certifiers: [ServerAddress], policyCertificate: Certificate, context: TLSContext, interval: Int,
        logger: Logger, changed: @escaping @Sendable (RevocationList) -> Void
    ) {
        self.certifiers = certifiers
        self.policyCertificate = policyCertificate
        self.context = Mutex(context)
        seconds = Mutex(Self.pollInterval(interval))
        self.logger = logger
        self.changed = changed
    }

    /// The highest version fetched so far (the empty list before the first).
    public var list: RevocationList { current.withLock { $0 } }

    /// Whether the certificate with serial `serial` is revoked in the list held now.
    public func isRevoked(serial: [UInt8]) -> Bool { list.isRevoked(serial: serial) }

    /// The seconds between two polls now.
    public var interval: TimeInterval { TimeInterval(seconds.withLock { $0 }) }

    /// Reaches the certifier with `context` from the next fetch on (a renewed admission), and polls
    /// every `interval` seconds from the next wait on, if given (a renewed policy's `revocation-poll-seconds`).
    public func use(context: TLSContext, interval: Int? = nil) {
        self.context.withLock { $0 = context }
        if let interval {
            let seconds = Self.pollInterval(interval)
            let previous = self.seconds.withLock { (held: inout Int) -> Int in
                defer { held = seconds }
                return held
            }
            if previous != seconds {
                wake.signal()  // the wait under way ends at the new interval, counted from the last poll
                logger.info("the renewed policy polls the revocation list every \(seconds) s (was \(previous) s)")
            }
        }
    }

    /// A policy's `revocation-poll-seconds`, at least 1.
    private static func pollInterval(_ seconds: Int) -> Int { max(1, seconds) }

    /// Fetches the list once; a newer version is kept and passed to `changed`, an older one is refused.
    @discardableResult
    public func refresh() throws(AdmissionError) -> RevocationList {
        let (signed, endpoint) = try CertifierFailover.first(of: certifiers) { (certifier) throws(AdmissionError) -> ([UInt8], String) in
            do throws(ChannelError) {
                let client = try ChannelClient.connect(
                    host: certifier.host, port: certifier.port, context: context.withLock { $0 }, expectedRoles: [.certifier],
                    peerName: "the certifier", configuration: .init(connectTimeout: .seconds(10), readTimeout: .seconds(10)))
                defer { client.close() }
                return (try client.request(RevocationsRequest(), expecting: RevocationsMessage.self).list, certifier.description)
            } catch {
                throw AdmissionError(
                    .unreachable, "cannot fetch the revocation list from the certifier at \(certifier): \(error.message)", cause: error)
            }
        }
        let fetched: RevocationList
        do {
            fetched = try RevocationList(opening: signed, policyCertificate: policyCertificate)
        } catch {
            throw AdmissionError(.invalidAnswer, "the certifier at \(endpoint) sent a revocation list that does not verify: \(error)", cause: error)
        }
        let held = list
        guard fetched.version >= held.version else {
            throw AdmissionError(
                .invalidAnswer, "the certifier at \(endpoint) sent revocation list version \(fetched.version), older than version \(held.version) already seen: refused (a replay?)")
        }
        guard fetched.version > held.version else { return held }
        current.withLock { $0 = fetched }
        changed(fetched)
        return fetched
    }

    /// Polls in the background until `stop()`, every `interval` seconds (the one in force: a renewed
    /// policy's applies to the wait under way); a failed fetch is logged as a warning and the list held
    /// stays in force.
    public func start() {
        let thread = Thread { [self] in
            var last = Date()
            while !isStopped.withLock({ $0 }) {
                let due = last.addingTimeInterval(interval)
                guard Date() >= due else {
                    _ = wake.wait(timeout: .now() + max(0, due.timeIntervalSinceNow))
                    continue
                }
                last = Date()
                do throws(AdmissionError) {
                    try refresh()
                } catch {
                    logger.warning("\(error.message); the list of version \(list.version) stays in force")
                }
            }
        }
        thread.name = "revocation-watch"
        thread.start()
    }

    /// Ends the polling.
    public func stop() {
        isStopped.withLock { $0 = true }
        wake.signal()
    }
}
