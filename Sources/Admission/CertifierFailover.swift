public import Protocol

/// The certifier's replicas, tried in order for one admission or one fetch (`Failover`): the next is
/// tried when one cannot be reached, when the exchange broke, or when it answered `unavailable`.
/// Starting over at another replica is safe: an attestation asks for a new nonce there, and a fetch only
/// reads.
public enum CertifierFailover {
    /// The answer of `body` at the first of `certifiers` that gives one; the error names every replica
    /// tried when none did, or is the refusal of a replica that refused.
    public static func first<Answer>(
        of certifiers: [ServerAddress], failover: Failover? = nil, _ body: (ServerAddress) throws(AdmissionError) -> Answer
    ) throws(AdmissionError) -> Answer {
        guard !certifiers.isEmpty else { throw AdmissionError(.unreachable, "no certifier address was given") }
        let order = failover ?? Failover(addresses: certifiers)
        return try order.run(from: 0) { (index) throws(AdmissionError) -> Answer in
            try body(order.addresses[index])
        } movesOn: { error in
            switch error.kind {
            case .unreachable, .exchangeFailed: true
            case .refused: error.code == "unavailable"
            default: false
            }
        } exhausted: { tried, last in
            AdmissionError(last.kind, tried, code: last.code, cause: last)
        }.answer
    }
}
