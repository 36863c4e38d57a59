import CoreMetrics

/// The figures a `ChannelServer` reports through swift-metrics, labelled with the server's name
/// ("runtime", "certifier"): connections open and handshakes refused, by a reason from a short fixed list.
/// Without a metrics backend (no `--admin-listen`) swift-metrics' no-op handlers make each call nearly free.
struct ServerMetrics {
    /// Why a connection was refused before it could send a request; the label values of
    /// `cml_handshakes_refused_total`.
    enum Refusal: String, CaseIterable {
        /// Its address already had the most connections.
        case addressLimit = "address-limit"
        /// The server was full.
        case serverFull = "server-full"
        /// The TLS handshake failed (not TLS, a bad certificate, the peer gave up).
        case tlsFailed = "tls-failed"
        /// The handshake took longer than its deadline.
        case timeout
        /// An unfinished handshake gave way to a new connection.
        case evicted
        /// The peer's certificate was refused (role, issuer, dates, revocation).
        case notAuthorized = "not-authorized"
        /// The peer's certificate or platform already had the most connections.
        case peerLimit = "peer-limit"
    }

    private let connectionsOpen: Gauge
    private let refusals: [Refusal: Counter]

    /// The handles of the server named `server`, made once (a handle is a registry lookup).
    init(server: String) {
        connectionsOpen = Gauge(label: "cml_connections_open", dimensions: [("server", server)])
        refusals = Dictionary(
            uniqueKeysWithValues: Refusal.allCases.map {
                ($0, Counter(label: "cml_handshakes_refused_total", dimensions: [("server", server), ("reason", $0.rawValue)]))
            })
    }

    /// Reports `count` connections open now.
    func connections(_ count: Int) {
        connectionsOpen.record(count)
    }

    /// Counts one refusal for `reason`.
    func refused(_ reason: Refusal) {
        refusals[reason]?.increment()
    }
}
