import CommandSupport
import Dispatch
import Foundation
import Hummingbird
public import Logging
import Prometheus
import Synchronization

/// A role's admin endpoint: plain HTTP, read-only, on Hummingbird's own event loop threads beside the
/// role's epoll server. `GET /metrics` (Prometheus text), `GET /status` (the role's status as JSON),
/// `GET /healthz` (200 while serving), `GET /` (the console page); unknown paths 404, other methods 405.
/// Hummingbird's HTTP parser refuses a request line or header block over its limit (80 KiB) and closes a
/// connection that does not speak HTTP (a TLS hello), without answering.
///
/// What it serves must never hold a word, a weight, a key or a secret: the status types of the roles
/// carry ids and figures only, and the metrics' labels are roles, types and codes.
public final class AdminEndpoint: Sendable {
    /// What `/status` answers: the role's status, encoded as JSON on each request.
    public typealias StatusSource = @Sendable () -> any Encodable & Sendable

    /// The address it listens on, e.g. "127.0.0.1:9124" (the picked port when asked for port 0).
    public let address: String
    /// The port it listens on.
    public let port: Int
    private let task: Task<Void, any Error>
    private let finished: DispatchSemaphore

    /// Listens on `host:port` (port 0: the system picks one) and serves until `stop()`; returns once it
    /// listens. Bootstraps the Prometheus registry as swift-metrics' backend if that was not done yet.
    /// Throws `AdminError` if it cannot listen (the port is taken, the host is not an address here).
    public init(host: String, port: Int, status: @escaping StatusSource, logger: Logger) throws(AdminError) {
        let registry = AdminMetrics.bootstrap()
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.add(middleware: ReadOnlyMiddleware())
        router.get("/") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: ConsolePage.html)))
        }
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("/status") { _, _ in
            let json = try StatusJSON.encode(status())
            return Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(bytes: json)))
        }
        let started = StartSignal()
        var quiet = logger
        // Hummingbird logs each request and bad connection, and its stop by cancellation as an error ("Waiting
        // on child channel: CancellationError()"): the role's log is for its own events. A failure to listen is
        // thrown, and reported by the caller.
        quiet.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in started.listening(port: channel.localAddress?.port) },
            logger: quiet)
        let finished = DispatchSemaphore(value: 0)
        task = Task.detached {
            defer { finished.signal() }
            do {
                try await app.run()
            } catch {
                started.failed(error)
                throw error
            }
            started.failed(nil)
        }
        self.finished = finished
        switch started.wait() {
        case .success(let bound):
            self.port = bound
            address = HostPort(host: host, port: UInt16(clamping: bound)).description
        case .failure(let error):
            throw error
        }
    }

    /// Stops listening and closes its connections; waits at most `timeout` for Hummingbird to finish.
    public func stop(timeout: Duration = .seconds(5)) {
        task.cancel()
        _ = finished.wait(timeout: .now() + timeout.inSecondsForDispatch)
    }
}

/// Tells the thread that starts the endpoint whether it listens, and on which port.
private final class StartSignal: Sendable {
    private let outcome = Mutex<Result<Int, AdminError>?>(nil)
    private let semaphore = DispatchSemaphore(value: 0)

    func listening(port: Int?) {
        settle(port.map { .success($0) } ?? .failure(AdminError("the admin endpoint listens, but on no port the system reports")))
    }

    func failed(_ error: (any Error)?) {
        settle(.failure(AdminError("the admin endpoint could not listen: \(error.map { "\($0)" } ?? "it stopped at once")")))
    }

    private func settle(_ result: Result<Int, AdminError>) {
        let first = outcome.withLock { current in
            guard current == nil else { return false }
            current = result
            return true
        }
        if first { semaphore.signal() }
    }

    func wait() -> Result<Int, AdminError> {
        semaphore.wait()
        return outcome.withLock { $0 } ?? .failure(AdminError("the admin endpoint did not start"))
    }
}

extension Duration {
    /// The duration as Dispatch's seconds.
    fileprivate var inSecondsForDispatch: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
