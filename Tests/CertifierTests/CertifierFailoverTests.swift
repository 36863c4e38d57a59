import Admission
import Protocol
import TestSupport
import Testing

/// Which admission failures move `CertifierFailover` to the next certifier replica: a replica whose
/// database is out of reach (`unavailable`) or that cannot be reached, not a refusal of the evidence.
@Suite struct CertifierFailoverTests {
    static let replicas = [ServerAddress(host: "10.0.0.1", port: 8123), ServerAddress(host: "10.0.0.2", port: 8123)]

    /// A failover over the two replicas that records its waits instead of waiting.
    static func failover(_ waits: Recorder<Duration>) -> Failover {
        var failover = Failover(addresses: replicas)
        failover.random = { 0.5 }
        failover.sleep = { waits.record($0) }
        return failover
    }

    @Test func anUnavailableReplicaSendsTheAttestationToTheNextAfterABackoff() throws {
        let waits = Recorder<Duration>()
        let tried = Recorder<String>()
        let answer = try CertifierFailover.first(of: Self.replicas, failover: Self.failover(waits)) { (address) throws(AdmissionError) -> String in
            tried.record(address.host)
            guard address.host == "10.0.0.2" else {
                throw AdmissionError(
                    .refused, "attestation refused by the certifier: the certifier's database is out of reach, so it cannot store a nonce now",
                    code: "unavailable")
            }
            return "admitted"
        }
        #expect(answer == "admitted")
        #expect(tried.all == ["10.0.0.1", "10.0.0.2"])
        #expect(waits.all == [.milliseconds(50)])
    }

    @Test func aRefusalOfTheEvidenceIsTheAnswerNotAReasonToMoveOn() {
        let waits = Recorder<Duration>()
        let tried = Recorder<String>()
        let error = #expect(throws: AdmissionError.self) {
            try CertifierFailover.first(of: Self.replicas, failover: Self.failover(waits)) { (address) throws(AdmissionError) -> String in
                tried.record(address.host)
                throw AdmissionError(.refused, "attestation refused by the certifier: not an accepted measurement", code: "appraisal-failed")
            }
        }
        #expect(error?.code == "appraisal-failed")
        #expect(tried.all == ["10.0.0.1"])
        #expect(waits.all.isEmpty)
    }

    @Test func whenEveryReplicaIsUnavailableTheErrorNamesEachAndKeepsTheCode() {
        let waits = Recorder<Duration>()
        let error = #expect(throws: AdmissionError.self) {
            try CertifierFailover.first(of: Self.replicas, failover: Self.failover(waits)) { (address) throws(AdmissionError) -> String in
                throw AdmissionError(.refused, "\(address): the certifier's database is out of reach", code: "unavailable")
            }
        }
        #expect(error?.code == "unavailable")
        #expect(error?.message.hasPrefix("no replica answered in 4 attempts at 10.0.0.1:8123, 10.0.0.2:8123") == true, "\(String(describing: error))")
        #expect(waits.all.count == 3)
    }
}
