import Foundation
import TestSupport
import Testing
import WordModel

/// ML mode on PostgreSQL with real processes: two `cml-runtime serve --mode ml --store URL` replicas of
/// one federation, each attested and anchored at the domain's certifier, share one model and its
/// training serial (docs/scale.md, "ML mode on the database").
@Suite(.serialized, .enabled(if: TestPostgres.enabled, "no PostgreSQL cluster could start"))
struct MLStoreProcessTests {
    @Test func aModelSentToOneReplicaIsTrainedAtTheOtherAndServedByTheFirst() throws {
        let domain = try AdmittedDomain()
        for role in ["provider", "device"] { try domain.admit(role) }
        let url = try TestPostgres.freshDatabase()
        let migrate = try Executables.run("cml-runtime", ["migrate", "--store", url])
        try AdmittedDomain.check(migrate)
        #expect(migrate.lines == ["migrated the runtime schema from version 0 to 1"])

        var replicas: [(process: RunningProcess, port: UInt16)] = []
        defer { for replica in replicas { replica.process.stop() } }
        for name in ["a", "b"] {
            replicas.append(try domain.startRuntime(mode: "ml", store: url, replica: name))
        }
        let (a, b) = ("127.0.0.1:\(replicas[0].port)", "127.0.0.1:\(replicas[1].port)")

        // The provider sends the model to A.
        try domain.sendInitialModel(to: a)

        // A device trains at B, on the model A received.
        let train = try Executables.run("cml-device", ["train", "--runtime", b, "--state", domain.state("device"), "about"])
        try AdmittedDomain.check(train)
        let trained = try #require(train.lines.first)
        #expect(trained.hasPrefix("trained on 1 word: model ") && trained.contains(" bytes, round 1), 100 epochs, loss "), "\(trained)")
        let trainedID = String(trained.dropFirst("trained on 1 word: model ".count).prefix { $0 != " " })

        // The device then gets the trained model from A.
        let session = try Executables.run("cml-device", ["run", "--runtime", a, "--state", domain.state("device")], input: "abo\n")
        try AdmittedDomain.check(session)
        let downloaded = try #require(session.lines.first)
        #expect(downloaded.hasPrefix("downloaded model \(trainedID) (") && downloaded.contains("round 1) from the runtime at \(a)"), "\(downloaded)")
        #expect(session.lines.contains("Prediction: about"), "\(session.standardOutput)")

        // B trained it; both replicas log where the model lives.
        let trainedAtB = try replicas[1].process.waitForLine { $0.contains("---- training done (") }
        #expect(trainedAtB.contains("model \(trainedID)"))
        #expect(!replicas[0].process.standardError.contains { $0.contains("---- training on ") })
        #expect(try replicas[0].process.waitForLine { $0.contains("is shared through PostgreSQL database ") }.contains("as replica a: serial 0"))
    }
}
