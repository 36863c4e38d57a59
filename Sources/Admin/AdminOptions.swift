public import ArgumentParser
import CommandSupport
public import Logging

/// `--admin-listen HOST:PORT` of `serve`: the admin endpoint (metrics, status, console), off unless given.
public struct AdminOptions: ParsableArguments {
    @Option(
        name: .customLong("admin-listen"),
        help: ArgumentHelp(
            "Serve /metrics (Prometheus), /status (JSON), /healthz and the console page / over plain HTTP here, read-only "
                + "(a bare PORT listens on 127.0.0.1; port 0 picks one). Off unless given.",
            valueName: "HOST:PORT"))
    public var adminListen: AdminAddress?

    /// Options as parsed.
    public init() {}

    /// With --admin-listen, makes swift-metrics report to the endpoint's Prometheus registry: call it
    /// before the role's server is made, so that what the server reports from its start is counted.
    public func bootstrapMetrics() {
        if adminListen != nil { AdminMetrics.bootstrap() }
    }

    /// With --admin-listen, starts the endpoint serving `status` and prints `admin on http://HOST:PORT`
    /// on standard output; nil without. Throws a `CommandFailure` if it cannot listen.
    public func start(status: @escaping AdminEndpoint.StatusSource, logger: Logger) throws -> AdminEndpoint? {
        guard let adminListen else { return nil }
        let endpoint: AdminEndpoint
        do {
            endpoint = try AdminEndpoint(host: adminListen.host, port: Int(adminListen.port), status: status, logger: logger)
        } catch {
            throw CommandFailure("cannot serve the admin endpoint on \(adminListen): \(error.message)", cause: error)
        }
        StandardOutput.line("admin on http://\(endpoint.address)")
        logger.info("admin endpoint on http://\(endpoint.address): /metrics, /status, /healthz, /")
        return endpoint
    }
}
