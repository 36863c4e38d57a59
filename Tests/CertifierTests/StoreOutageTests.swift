import Admission
import Certifier
import Channel
import Foundation
import PQKit
import Policy
import Protocol
import TestSupport
import Testing

/// The certifier on PostgreSQL while its database is down (issue 15 item 4): every request that needs the
/// database answers `unavailable` with a `retry-after`, nothing half-done remains, the audit lines of the
/// outage are written when it returns, and it resumes by itself. Each test stops a cluster of its own.
@Suite(.serialized, .enabled(if: TestPostgres.enabled, "no PostgreSQL cluster could start"))
struct StoreOutageTests {
    static let first = AnchorState(version: 0, digest: Array(repeating: 1, count: 32))
    static let second = AnchorState(version: 1, digest: Array(repeating: 2, count: 32))

    /// Checks that `error` is the outage answer: `unavailable`, retry after 5 s, naming the database.
    static func expectOutage(_ error: ChannelError?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(error?.code == .unavailable, "\(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.retryAfterSeconds == CertifierService.storeOutageRetryAfterSeconds, sourceLocation: sourceLocation)
        #expect(
            error?.message == "the certifier's database is out of reach, so it cannot \(what) now; try again in 5 s or at another replica",
            "\(String(describing: error))", sourceLocation: sourceLocation)
    }

    @Test func whileTheDatabaseIsDownEveryRequestNeedingItAnswersUnavailableThenItResumesByItself() throws {
        let cluster = try TestPostgres.dedicated()
        defer { cluster.remove() }
        let url = try cluster.freshDatabase()
        _ = try PostgresStore.migrate(connectionString: url)
        let store = try PostgresStore(connectionString: url)
        let certifier = try TestCertifier(store: store)
        defer { certifier.stop() }
        let fed = certifier.service.policy.document.federationID
        let (_, directory) = try certifier.attest(.runtime, TestCertifier.runtimeMeasurement)
        let runtime = AnchorClient(
            host: "127.0.0.1", port: certifier.server.port, context: try RoleCredentials.load(stateDirectory: directory, role: .runtime).clientContext())
        try runtime.advance(federation: fed, from: nil, to: Self.first)
        // A nonce issued before the outage, redeemed during it.
        let early = try certifier.connect()
        defer { early.close() }
        let nonce = try early.request(NonceRequest(), expecting: NonceMessage.self).nonce

        try cluster.stopServer()
        let client = try certifier.connect()
        defer { client.close() }
        Self.expectOutage(#expect(throws: ChannelError.self) { try client.request(NonceRequest(), expecting: NonceMessage.self) }, "store a nonce")
        let attester = try certifier.attester(TestCertifier.deviceMeasurement)
        Self.expectOutage(
            #expect(throws: ChannelError.self) {
                try early.request(try evidence(role: "device", nonce: nonce, attester: attester), expecting: AdmissionMessage.self)
            }, "redeem the nonce")
        Self.expectOutage(#expect(throws: ChannelError.self) { try runtime.read(federation: fed) }, "read the anchor")
        Self.expectOutage(
            #expect(throws: ChannelError.self) { try runtime.advance(federation: fed, from: Self.first, to: Self.second) }, "advance the anchor")
        // The revocation list is served from memory: the one in force, signed.
        let revocations = try certifier.connect()
        defer { revocations.close() }
        let served = try revocations.request(RevocationsRequest(), expecting: RevocationsMessage.self)
        #expect(try RevocationList(opening: served.list, policyCertificate: certifier.state.policyCertificate).version == 0)
        // The revocation poll keeps that list while the store is out of reach.
        certifier.service.reloadRevocations()
        #expect(certifier.service.revocationList.version == 0)
        // The admission client answers the refusal with its code, for a failover to move on.
        let refused = #expect(throws: AdmissionError.self) { try certifier.attest(.device, TestCertifier.deviceMeasurement) }
        #expect(refused?.kind == .refused && refused?.code == "unavailable", "\(String(describing: refused))")

        try cluster.startServer()
        // No restart: the next requests connect again (the connections the pool kept were closed by the stop).
        let (admitted, _) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        #expect(admitted.role == .device)
        try runtime.advance(federation: fed, from: Self.first, to: Self.second)
        #expect(try runtime.read(federation: fed) == Self.second)
        // The refusal of the evidence, held while the store was down, is written now, before or after
        // the admission that followed (the ticker or the next line writes it), with its own time.
        var audit: [AuditEntry] = []
        #expect(try eventually {
            audit = try store.auditEntries(since: nil)
            return audit.contains { $0.code == ErrorCode.unavailable.rawValue }
        })
        let refusals = audit.filter { $0.decision == .refused }
        #expect(refusals.map(\.code) == [ErrorCode.unavailable.rawValue], "\(refusals)")
        #expect(refusals.first?.reasons.first?.contains("cannot redeem the nonce") == true)
        #expect(audit.filter { $0.decision == .admitted }.map(\.role) == ["runtime", "device"])
        // Only the admission made after the outage is recorded: none was made during it.
        #expect(try store.issuedAdmissions().entries.count == 2)
    }

    @Test func aDatabaseFailureThatIsNotAnOutageStaysAnInternalError() throws {
        let cluster = try TestPostgres.shared()
        let url = try cluster.freshDatabase()
        _ = try PostgresStore.migrate(connectionString: url)
        let certifier = try TestCertifier(store: try PostgresStore(connectionString: url))
        defer { certifier.stop() }
        try PostgresConnection(url).execute("DROP TABLE certifier_nonces")
        let client = try certifier.connect()
        defer { client.close() }
        let error = #expect(throws: ChannelError.self) { try client.request(NonceRequest(), expecting: NonceMessage.self) }
        #expect(error?.code == .internal)
        #expect(error?.retryAfterSeconds == nil)
    }
}
