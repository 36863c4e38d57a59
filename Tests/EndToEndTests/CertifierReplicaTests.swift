import Attestation
import ByteKit
import Certifier
import Channel
import Foundation
import OpenSSLKit
import PQKit
import Policy
import Protocol
import TestSupport
import Testing

/// Two real `cml-certifier serve --store postgresql://...` processes of one domain, each with its own copy
/// of the state folder, sharing one database of the tests' own PostgreSQL cluster.
@Suite(.serialized, .enabled(if: TestPostgres.enabled, "no PostgreSQL cluster could start"))
struct CertifierReplicaTests {
    /// A domain, a migrated database, and two replicas serving it.
    final class Replicas {
        let domain: Domain
        let store: String
        let first: CertifierProcess
        let second: CertifierProcess

        init() throws {
            domain = try Domain()
            store = try TestPostgres.freshDatabase()
            let migrated = try Executables.run("cml-certifier", ["migrate", "--store", store])
            try #require(migrated.status == 0, "\(migrated.standardError)")
            #expect(migrated.lines == ["migrated the certifier schema from version 0 to \(CertifierSchema.schema.version)"])
            let again = try Executables.run("cml-certifier", ["migrate", "--store", store])
            #expect(again.status == 0)
            #expect(again.lines == ["the certifier schema is at version \(CertifierSchema.schema.version) already; nothing to do"])
            // The server's notices ("relation schema_version already exists, skipping") are not printed.
            #expect(again.standardError.isEmpty, "\(again.standardError)")
            // The second replica's host has a copy of the state folder (keys, secrets), its own lock.
            let copy = "\(domain.folder)/certifier-2"
            try FileManager.default.copyItem(atPath: domain.state, toPath: copy)
            first = try CertifierProcess(domain, extra: ["--store", store])
            second = try CertifierProcess(domain, state: copy, extra: ["--store", store])
        }

        deinit {
            first.stop()
            second.stop()
        }

        /// A client connection to `replica`.
        func connect(_ replica: CertifierProcess) throws -> ChannelClient {
            let root = try Certificate(pem: PEMFile.read(domain.policyCertificate))
            return try ChannelClient.connect(
                host: "127.0.0.1", port: replica.port, context: TLSContext(side: .client, trustedRoot: root), expectedRoles: [.certifier])
        }

        /// A device's evidence for `nonce`, naming it when `naming`.
        func evidence(nonce: [UInt8], naming: Bool) throws -> EvidenceMessage {
            let key = ECPrivateKey(generating: .p256)
            let spki = key.publicKey.spkiDER
            let attester = try SimulatedAttester(
                platformKey: SimulatedPlatformFiles.privateKey(in: domain.platform), measurement: ExecutableMeasurement.of(file: Executables.path("cml-device")))
            let token = try attester.token(challenge: RealmChallenge.binding(nonce: nonce, spkiDER: spki))
            return EvidenceMessage(role: "device", token: token, publicKey: spki, nonce: naming ? nonce : nil)
        }

        /// `cml-certifier audit --store URL --json`, parsed.
        func audit() throws -> [AuditLine] {
            let result = try Executables.run("cml-certifier", ["audit", "--store", store, "--json"])
            try #require(result.status == 0, "\(result.standardError)")
            return try result.lines.map { try JSONDecoder().decode(AuditLine.self, from: Data($0.utf8)) }
        }
    }

    /// The fields of an audit line these tests read.
    struct AuditLine: Decodable {
        let decision: String?
        let event: String?
        let serial: String?
        let code: String?
    }

    @Test func aNonceFromOneReplicaIsRedeemedAtTheOtherExactlyOnce() throws {
        let replicas = try Replicas()
        let atFirst = try replicas.connect(replicas.first)
        defer { atFirst.close() }
        let nonce = try atFirst.request(NonceRequest(), expecting: NonceMessage.self).nonce

        // Evidence for it at the second replica, naming the nonce: admitted.
        let atSecond = try replicas.connect(replicas.second)
        defer { atSecond.close() }
        let admission = try atSecond.request(try replicas.evidence(nonce: nonce, naming: true), expecting: AdmissionMessage.self)
        #expect(try Certificate(der: admission.certificate).subjectCommonName == "device")

        // The same nonce again at the first replica, on the connection it was issued on: used.
        let reused = #expect(throws: ChannelError.self) {
            try atFirst.request(try replicas.evidence(nonce: nonce, naming: false), expecting: AdmissionMessage.self)
        }
        #expect(reused?.code == .nonceReused)
        // And named, at the second again.
        let atSecondAgain = try replicas.connect(replicas.second)
        defer { atSecondAgain.close() }
        let again = #expect(throws: ChannelError.self) {
            try atSecondAgain.request(try replicas.evidence(nonce: nonce, naming: true), expecting: AdmissionMessage.self)
        }
        #expect(again?.code == .nonceReused)
        // A nonce no replica issued.
        let atFirstAgain = try replicas.connect(replicas.first)
        defer { atFirstAgain.close() }
        let unknown = #expect(throws: ChannelError.self) {
            try atFirstAgain.request(try replicas.evidence(nonce: SecureRandom.bytes(32), naming: true), expecting: AdmissionMessage.self)
        }
        #expect(unknown?.code == .nonceUnknown)

        let audit = try replicas.audit()
        #expect(audit.filter { $0.decision == "admitted" }.count == 1)
        #expect(audit.filter { $0.decision == "refused" }.map(\.code) == ["nonce-reused", "nonce-reused", "nonce-unknown"])
    }

    @Test func admissionsFromBothReplicasHaveUniqueSerialsInOneAuditAndARevocationReachesBoth() throws {
        let replicas = try Replicas()
        var serials: [String] = []
        for replica in [replicas.first, replicas.second, replicas.first, replicas.second] {
            let state = "\(replicas.domain.folder)/device-\(serials.count)"
            let attested = try replicas.domain.attest("device", certifier: replica, state: state)
            try #require(attested.status == 0, "\(attested.standardError)")
            serials.append(try Certificate(pem: PEMFile.read("\(state)/admission.crt")).serialNumberHex)
        }
        #expect(Set(serials).count == 4)
        let audit = try replicas.audit()
        #expect(audit.filter { $0.decision == "admitted" }.compactMap(\.serial) == serials)
        #expect(audit.filter { $0.event == "start" }.count == 2)

        // Revoked through the store: the replica that did not issue it serves it revoked.
        let revoked = try Executables.run("cml-certifier", ["revoke", "--store", replicas.store, "--serial", serials[0]])
        #expect(revoked.status == 0, "\(revoked.standardError)")
        #expect(revoked.lines.first?.hasPrefix("revoked \(serials[0]) (device") == true, "\(revoked.lines)")
        let root = try Certificate(pem: PEMFile.read(replicas.domain.policyCertificate))
        // The replicas read the list every few seconds: wait for the second to serve version 1.
        var served = RevocationList()
        let reached = try eventually(timeout: .seconds(30)) {
            let client = try replicas.connect(replicas.second)
            defer { client.close() }
            let message = try client.request(RevocationsRequest(), expecting: RevocationsMessage.self)
            served = try RevocationList(opening: message.list, policyCertificate: root)
            return served.version == 1
        }
        #expect(reached)
        #expect(served.isRevoked(serialHex: serials[0]))
        #expect(try replicas.audit().filter { $0.event == "revocation" }.map(\.serial) == [serials[0]])
    }

    @Test func aServerRefusesAStoreOfAnotherSchemaNamingBothVersions() throws {
        let domain = try Domain()
        let store = try TestPostgres.freshDatabase()
        let unmigrated = try Executables.run(
            "cml-certifier", ["serve", "--state", domain.state, "--policy", domain.signedPolicy, "--listen", "127.0.0.1:0", "--store", store])
        #expect(unmigrated.status == 1)
        #expect(unmigrated.standardError.contains("holds no certifier schema, which this program uses: run `cml-certifier migrate --store URL` first"))

        #expect(try Executables.run("cml-certifier", ["migrate", "--store", store]).status == 0)
        let newer = CertifierSchema.schema.version + 1
        try PostgresConnection(store).execute("UPDATE schema_version SET version = $1 WHERE component = 'certifier'", [.int(newer)])
        let refused = try Executables.run(
            "cml-certifier", ["serve", "--state", domain.state, "--policy", domain.signedPolicy, "--listen", "127.0.0.1:0", "--store", store])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("holds certifier schema version \(newer), newer than version \(CertifierSchema.schema.version), which this program knows"))
        let migrate = try Executables.run("cml-certifier", ["migrate", "--store", store])
        #expect(migrate.status == 1)
        #expect(migrate.standardError.contains("newer than version \(CertifierSchema.schema.version)"))
    }

    @Test func aWrongConnectionStringOrARefusedLoginIsAClearError() throws {
        let domain = try Domain()
        let cluster = try TestPostgres.shared()
        let serve = ["serve", "--state", domain.state, "--policy", domain.signedPolicy, "--listen", "127.0.0.1:0", "--store"]

        let refused = try Executables.run("cml-certifier", serve + [cluster.connectionString(database: "postgres", password: "not-the-password-9")])
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("cannot connect to PostgreSQL database postgres as user postgres on socket folder \(cluster.folder)"))
        #expect(refused.standardError.contains("password authentication failed"))
        #expect(!refused.standardError.contains("not-the-password-9"))

        let malformed = try Executables.run("cml-certifier", serve + ["postgresql://postgres:secret-word-3@/x?host=/tmp&no_such_option=1"])
        #expect(malformed.status == 1)
        #expect(malformed.standardError.contains("the PostgreSQL connection string is not valid"))
        #expect(!malformed.standardError.contains("secret-word-3"))

        let migrate = try Executables.run("cml-certifier", ["migrate", "--store", "host=/nonexistent-cml-folder dbname=x user=y"])
        #expect(migrate.status == 1)
        #expect(migrate.standardError.contains("cannot connect to PostgreSQL database x as user y on socket folder /nonexistent-cml-folder"))

        let notAStore = try Executables.run("cml-certifier", serve + ["mysql://x"])
        #expect(notAStore.status == 64)
    }
}
