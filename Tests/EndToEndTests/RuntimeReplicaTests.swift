import Admission
import ByteKit
import Channel
import Foundation
import OpenSSLKit
import PQKit
import Policy
import Protocol
import TestSupport
import Testing
import WordModel

/// Real `cml-runtime serve --mode fl --store postgresql://...` processes sharing the rounds of one
/// federation through a database of the tests' own PostgreSQL cluster (docs/scale.md).
@Suite(.serialized, .enabled(if: TestPostgres.enabled, "no PostgreSQL cluster could start"))
struct RuntimeReplicaTests {
    /// The runtime's schema version (RuntimeSchema), as the programs print it.
    static let schemaVersion = 1

    /// Runs `cml-runtime migrate --store store` and requires it to print `line`.
    func migrate(_ store: String, prints line: String) throws {
        let migrated = try Executables.run("cml-runtime", ["migrate", "--store", store])
        try #require(migrated.status == 0, "\(migrated.standardError)")
        #expect(migrated.lines == [line])
        #expect(migrated.standardError.isEmpty, "\(migrated.standardError)")
    }

    /// The provider's initial model of `domain` (seed 42, as the demo), uploaded to the runtime on `port`.
    func upload(_ domain: AdmittedDomain, to port: UInt16) throws -> [UInt8] {
        let model = domain.path("initial.cmlm")
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["train", "--seed", "42", "--words", MLProcessTests.words, "--epochs", "5", "--out", model]))
        try AdmittedDomain.check(try Executables.run("cml-provider", ["send", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("provider"), model]))
        return try [UInt8](Data(contentsOf: URL(fileURLWithPath: model)))
    }

    @Test func twoReplicasShareARoundThatClosesOnceAndBothServeItsGlobalModel() throws {
        let domain = try AdmittedDomain(template: "fl", platforms: 2)
        try domain.admit("provider")
        let store = try TestPostgres.freshDatabase()
        try migrate(store, prints: "migrated the runtime schema from version 0 to \(Self.schemaVersion)")
        try migrate(store, prints: "the runtime schema is at version \(Self.schemaVersion) already; nothing to do")
        let (first, firstPort) = try domain.startRuntime(mode: "fl", store: store, replica: "one")
        defer { first.stop() }
        let (second, secondPort) = try domain.startRuntime(mode: "fl", store: store, replica: "two")
        defer { second.stop() }
        let initial = try upload(domain, to: firstPort)
        _ = try second.waitForLine { $0.contains("serving the initial global model \(ModelBlob.shortID(of: initial)) of round 0, received by replica one") }
        for (number, device) in ["device1", "device2"].enumerated() {
            try AdmittedDomain.check(
                try domain.domain.attest("device", certifier: domain.certifier, platform: domain.domain.platform(number + 1), state: domain.state(device)))
        }
        try "white\n".write(toFile: domain.path("white.txt"), atomically: true, encoding: .utf8)
        try "about\n".write(toFile: domain.path("about.txt"), atomically: true, encoding: .utf8)
        // Device 1 updates at replica one and waits there; device 2 at replica two.
        let (waiting, waitingOutput, _) = try Executables.start(
            program: URL(fileURLWithPath: try Executables.path("cml-device")),
            ["fl", "--runtime", "127.0.0.1:\(firstPort)", "--state", domain.state("device1"), "--words", domain.path("about.txt"), "--predict", "whi"],
            input: "")
        defer { if waiting.isRunning { waiting.terminate() } }
        let waitingText = BackgroundRead(waitingOutput.fileHandleForReading)
        _ = try first.waitForLine { $0.contains(" for round 0 (2 samples) committed: ") }
        let other = try Executables.run(
            "cml-device", ["fl", "--runtime", "127.0.0.1:\(secondPort)", "--state", domain.state("device2"), "--words", domain.path("white.txt"), "--predict", "abo"])
        try AdmittedDomain.check(other)
        #expect(eventually(timeout: .seconds(120)) { !waiting.isRunning }, "device 1 did not end after the round")
        waiting.waitUntilExit()
        #expect(waiting.terminationStatus == 0)
        let waited = String(decoding: waitingText.wait(), as: UTF8.self).split(separator: "\n").map(String.init)
        // Both devices got the same global model of round 1, from different replicas.
        let received = try #require(other.lines.first { $0.hasPrefix("round 1: received global model ") })
        #expect(waited.contains(received), "\(waited) \(other.lines)")
        let closes = (messages(first.standardError) + messages(second.standardError)).filter { $0.hasPrefix("---- round 0 closed by replica ") }
        #expect(closes.count == 1, "\(closes)")
        let global = String(received.split(separator: " ")[5])
        let closer = closes.first?.contains("closed by replica one") == true ? second : first
        _ = try closer.waitForLine { $0.contains("serving the global model \(global) of round 1, closed by replica ") }
        // Each completes the word only the other device held.
        #expect(other.lines.contains("abo -> about"), "\(other.lines)")
        #expect(waited.contains("whi -> white"), "\(waited)")
    }

    @Test func anOutageAnswersUnavailableAndTheNextUpdateAfterItIsAcknowledged() throws {
        let cluster = try TestPostgres.dedicated()
        defer { cluster.remove() }
        let store = try cluster.freshDatabase()
        try migrate(store, prints: "migrated the runtime schema from version 0 to \(Self.schemaVersion)")
        let domain = try AdmittedDomain(template: "fl") { $0.replacingOccurrences(of: "\"min-updates\": 2", with: "\"min-updates\": 5,\n    \"one-update-per\": \"certificate\"") }
        try domain.admit("provider")
        let (runtime, port) = try domain.startRuntime(mode: "fl", store: store)
        defer { runtime.stop() }
        let initial = try ModelBlob(bytes: upload(domain, to: port))
        let contexts = try AttestedDevices.admit(3, in: domain)
        let client = { (index: Int) in RuntimeClient(host: "127.0.0.1", port: port, context: contexts[index]) }
        _ = try client(0).update(round: 0, model: FreshnessProcessTests.perturbed(initial, by: 1, round: 0), samples: 2)
        try cluster.stopServer()
        let down = #expect(throws: ChannelError.self) {
            try client(1).update(round: 0, model: FreshnessProcessTests.perturbed(initial, by: 2, round: 0), samples: 2)
        }
        #expect(down?.code == .unavailable, "\(String(describing: down))")
        _ = try runtime.waitForLine { $0.contains("the database is out of reach (") }
        // Served from memory meanwhile: the newest global model this replica verified.
        #expect(try client(2).getModel().blob.id == initial.id)
        try cluster.startServer()
        let ack = try client(1).update(round: 0, model: FreshnessProcessTests.perturbed(initial, by: 2, round: 0), samples: 2)
        #expect(ack.round == 0)
        _ = try runtime.waitForLine { $0.contains("the database is back") }
        #expect(runtime.isRunning)
    }

    @Test func aSchemaOfAnotherVersionABadConnectionStringAndARefusedLoginAreClearErrors() throws {
        let domain = try AdmittedDomain(template: "fl")
        let store = try TestPostgres.freshDatabase()
        func serve(_ store: String) throws -> Executables.Result {
            try Executables.run("cml-runtime", domain.serveArguments(mode: "fl", store: store))
        }
        let unmigrated = try serve(store)
        #expect(unmigrated.status == 1)
        #expect(unmigrated.standardError.contains("holds no runtime schema, which this program uses: run `cml-runtime migrate --store URL` first"), "\(unmigrated.standardError)")
        try migrate(store, prints: "migrated the runtime schema from version 0 to \(Self.schemaVersion)")
        let connection = try PostgresConnection(store)
        try connection.execute("UPDATE schema_version SET version = version + 1 WHERE component = 'runtime'")
        let newer = try serve(store)
        #expect(newer.status == 1)
        #expect(
            newer.standardError.contains(
                "holds runtime schema version \(Self.schemaVersion + 1), newer than version \(Self.schemaVersion), which this program knows"),
            "\(newer.standardError)")
        let migrateNewer = try Executables.run("cml-runtime", ["migrate", "--store", store])
        #expect(migrateNewer.status == 1)

        let password = "sekrit-\(UUID().uuidString.prefix(8))"
        let refusedLogin = try serve(store.replacingOccurrences(of: #"postgres:[^@]*@"#, with: "postgres:\(password)@", options: .regularExpression))
        #expect(refusedLogin.status == 1)
        #expect(refusedLogin.standardError.contains("cannot connect to PostgreSQL database "), "\(refusedLogin.standardError)")
        #expect(!refusedLogin.standardError.contains(password))
        let invalid = try serve("postgresql://cml:\(password)@localhost/cml?bogus=1")
        #expect(invalid.status == 1)
        #expect(invalid.standardError.contains("the PostgreSQL connection string is not valid"), "\(invalid.standardError)")
        #expect(!invalid.standardError.contains(password))

        let ml = try Executables.run("cml-runtime", domain.serveArguments(mode: "ml", store: store))
        #expect(ml.status == 1)
        #expect(ml.standardError.contains("--mode ml with --store postgresql://... is not yet served"), "\(ml.standardError)")
        let noState = try Executables.run("cml-runtime", domain.serveArguments(mode: "fl").filter { $0 != "--state" && $0 != domain.state("runtime") })
        #expect(noState.status == 64)
        #expect(noState.standardError.contains("--state DIR is needed with --store dir"), "\(noState.standardError)")
    }
}
