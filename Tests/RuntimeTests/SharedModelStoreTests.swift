import ByteKit
import Channel
import Dispatch
import Foundation
import Logging
import PQKit
import Policy
import Protocol
import Synchronization
import TestSupport
import Testing
import WordModel

@testable import Runtime

/// ML mode on PostgreSQL: runtime replicas sharing one model and its training serial through the
/// `runtime_models` row (docs/scale.md, "ML mode on the database"), on a real throwaway cluster.
@Suite(.enabled(if: TestPostgres.enabled, "no PostgreSQL cluster could start"))
struct SharedModelStoreTests {
    static let secret = [UInt8](repeating: 7, count: 32)

    /// A migrated fresh database on the shared test cluster.
    static func database() throws -> String {
        let url = try TestPostgres.freshDatabase()
        try RuntimeSchema.schema.migrate(try PostgresConnection(url))
        return url
    }

    /// Replica `replica` of `federation`'s model in the database at `url`, anchored at `anchor`.
    static func store(
        _ url: String, replica: String, federation: String = TestDomain.mlPolicy().federationID, anchor: MemoryAnchor?,
        logs: LogRecords = LogRecords()
    ) throws -> SharedModelStore {
        try SharedModelStore(
            connectionString: url, federation: federation, replica: replica, sealingSecret: secret, anchor: anchor,
            logger: logs.logger(label: "runtime", level: .info))
    }

    /// A model of training generation `round` (its weights those of the initial model), made without training.
    static func model(round: UInt64, samples: UInt64 = 1) -> ModelBlob {
        ModelBlob(model: Model(weights: initialModel.model.weights, round: round, samples: samples))
    }

    /// Makes `model` the current model of `store`, as an upload does.
    @discardableResult
    static func put(_ model: ModelBlob, into store: SharedModelStore) throws -> UInt64 {
        _ = try store.change("the uploaded model") { _, _ in ModelChange(value: (), model: model) }
        return store.serial
    }

    /// A migrated fresh database, its anchor, and replica "a" of the ML policy's federation, which holds
    /// the initial model as serial 1.
    static func uploaded() throws -> (url: String, anchor: MemoryAnchor, store: SharedModelStore) {
        let url = try database()
        let anchor = MemoryAnchor()
        let store = try store(url, replica: "a", anchor: anchor)
        try put(initialModel, into: store)
        return (url, anchor, store)
    }

    /// Runs `sql` with `parameters` on the database at `url`, as the database's host could.
    @discardableResult
    static func sql(_ url: String, _ sql: String, _ parameters: [PostgresValue] = []) throws -> PostgresResult {
        try PostgresConnection(url).execute(sql, parameters)
    }

    /// Two runtime servers (replicas "a" and "b") on one database and one sealing secret, anchored at one
    /// certifier (here in memory).
    final class Replicas: Sendable {
        let domain: TestDomain
        let policy = TestDomain.mlPolicy()
        let anchor = MemoryAnchor()
        let url: String
        let logs = LogRecords()
        let servers: [RuntimeServer]
        let stores: [SharedModelStore]

        init(epochs: Int = 2) throws {
            domain = try TestDomain()
            url = try SharedModelStoreTests.database()
            var servers: [RuntimeServer] = []
            var stores: [SharedModelStore] = []
            for name in ["a", "b"] {
                let store = try SharedModelStoreTests.store(url, replica: name, anchor: anchor, logs: logs)
                let server = try RuntimeServer(
                    host: "127.0.0.1", port: 0, context: try domain.serverContext(role: .runtime), policy: policy, store: store,
                    configuration: .init(epochs: epochs), logger: logs.logger(label: "runtime-\(name)", level: .info))
                try server.start()
                servers.append(server)
                stores.append(store)
            }
            self.servers = servers
            self.stores = stores
        }

        /// A client of replica `index` (0: a, 1: b) with a fresh admission certificate of `role`.
        func client(_ index: Int, role: Role) throws -> RuntimeClient {
            RuntimeClient(host: "127.0.0.1", port: servers[index].port, context: try domain.clientContext(role: role))
        }

        func stop() {
            for server in servers { server.stop() }
        }
    }

    @Test func aTrainingAtOneReplicaIsServedByTheOthersGetModel() throws {
        let replicas = try Replicas()
        defer { replicas.stop() }
        _ = try replicas.client(0, role: .provider).putModel(initialModel)
        // B never saw the upload: it loads it from the database.
        #expect(try replicas.client(1, role: .device).getModel().blob.id == initialModel.id)

        let trained = try replicas.client(1, role: .device).train(words: ["about"])
        #expect(trained.blob.model.round == 1)
        let served = try replicas.client(0, role: .device).getModel()
        #expect(served.blob.id == trained.blob.id)
        #expect(served.round == 1)
        #expect(replicas.stores.map(\.serial) == [2, 2])

        // The row holds serial 2, written by b, sealed: the model's bytes are not in it in the clear.
        let row = try #require(try Self.sql(replicas.url, "SELECT serial, replica, sealed, digest FROM runtime_models").rows.first)
        #expect(try row.int("serial") == 2)
        #expect(try row.text("replica") == "b")
        let sealed = try #require(try row.bytes("sealed"))
        #expect(!Hex.encode(sealed).contains(Hex.encode(Array(trained.blob.bytes.suffix(64)))))
        // Each change was anchored before it was answered.
        #expect(replicas.anchor.stored(federation: replicas.policy.federationID) == AnchorState(version: 2, digest: try #require(try row.bytes("digest"))))
    }

    @Test func racingTrainingsAtBothReplicasAreSerialisedWithNoGapOrRepeat() throws {
        let replicas = try Replicas(epochs: 1)
        defer { replicas.stop() }
        _ = try replicas.client(0, role: .provider).putModel(initialModel)
        let count = 12
        let rounds = Mutex<[UInt64]>([])
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        for index in 0..<count {
            DispatchQueue.global().async(group: group) {
                do {
                    // A fresh device each time, alternating between the replicas.
                    let reply = try replicas.client(index % 2, role: .device).train(words: ["about"])
                    rounds.withLock { $0.append(reply.blob.model.round) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        group.wait()
        #expect(failures.withLock { $0 } == [])
        // Each training started from the one before: generation N is the Nth training, none trained twice
        // on the same model, and none skipped.
        #expect(rounds.withLock { $0 }.sorted() == (1...UInt64(count)).map { $0 })
        let row = try #require(try Self.sql(replicas.url, "SELECT serial FROM runtime_models").rows.first)
        #expect(try row.int("serial") == Int64(count) + 1)
        for index in 0..<2 {
            #expect(try replicas.client(index, role: .device).getModel().round == UInt64(count))
        }
        #expect(replicas.anchor.stored(federation: replicas.policy.federationID)?.version == UInt64(count) + 1)
    }

    @Test func anAlteredSealedColumnIsRefusedNamingTheRow() throws {
        let (url, _, a) = try Self.uploaded()
        let federation = a.federation

        // One bit of the sealed model flipped, and the digest column made to match it.
        try Self.sql(url, "UPDATE runtime_models SET sealed = set_byte(sealed, 40, get_byte(sealed, 40) # 1) WHERE federation = $1", [.text(federation)])
        try Self.sql(url, "UPDATE runtime_models SET digest = sha256(sealed) WHERE federation = $1", [.text(federation)])
        let fresh = #expect(throws: RuntimeError.self) { try Self.store(url, replica: "c", anchor: nil) }
        #expect(fresh?.code == .sealedFileCorrupt)
        #expect(fresh?.message.hasPrefix("the model row of federation \"\(federation)\", serial 1, written by replica a: refused: it does not open") == true)
        // A live replica that holds serial 1 refuses the other digest, and still refuses to serve it.
        let live = #expect(throws: ChannelError.self) { try a.newest() }
        #expect(live?.code == .unavailable)
        #expect(live?.message.contains("the row was replaced; refusing to serve or train on it") == true)
        let change = #expect(throws: ChannelError.self) { try Self.put(Self.model(round: 1), into: a) }
        #expect(change?.code == .unavailable)

        // Moved to another serial, the seal no longer opens either: the serial is bound into it.
        try Self.sql(url, "UPDATE runtime_models SET serial = 5 WHERE federation = $1", [.text(federation)])
        let moved = #expect(throws: ChannelError.self) { try a.newest() }
        #expect(moved?.message.hasPrefix("the model row of federation \"\(federation)\", serial 5, written by replica a: refused") == true)

        // Only the sealed column altered: its digest column gives it away.
        let other = try Self.database()
        try Self.put(initialModel, into: try Self.store(other, replica: "a", anchor: nil))
        try Self.sql(other, "UPDATE runtime_models SET sealed = set_byte(sealed, 40, get_byte(sealed, 40) # 1)")
        let digest = #expect(throws: RuntimeError.self) { try Self.store(other, replica: "c", anchor: nil) }
        #expect(digest?.message.contains("refused: its digest column") == true)

        // Only the previous column altered: the previous digest sealed inside gives it away.
        let third = try Self.database()
        try Self.put(initialModel, into: try Self.store(third, replica: "a", anchor: nil))
        try Self.sql(third, "UPDATE runtime_models SET previous = sha256(previous)")
        let previous = #expect(throws: RuntimeError.self) { try Self.store(third, replica: "c", anchor: nil) }
        #expect(previous?.message.contains("refused: its previous digest column is not the one sealed in it") == true)
    }

    @Test func aRolledBackRowUnderLiveReplicasIsRefusedNotServed() throws {
        let url = try Self.database()
        let anchor = MemoryAnchor()
        let logs = LogRecords()
        let a = try Self.store(url, replica: "a", anchor: anchor, logs: logs)
        let b = try Self.store(url, replica: "b", anchor: anchor, logs: logs)
        try Self.put(initialModel, into: a)
        try Self.sql(url, "CREATE TABLE saved AS SELECT * FROM runtime_models")
        _ = try b.change("the trained model") { current, _ in ModelChange(value: (), model: Self.model(round: (current?.model.round ?? 0) + 1)) }
        #expect(try a.newest()?.model.round == 1)

        // The host restores the older copy of the row.
        try Self.sql(
            url,
            """
            UPDATE runtime_models m SET serial = s.serial, sealed = s.sealed, digest = s.digest, previous = s.previous, replica = s.replica
            FROM saved s WHERE m.federation = s.federation
            """)
        for store in [a, b] {
            let refused = #expect(throws: ChannelError.self) { try store.newest() }
            #expect(refused?.code == .unavailable)
            #expect(refused?.message.contains("holds serial 1") == true && refused?.message.contains("older than serial 2") == true)
            #expect(refused?.message.contains("the row was rolled back; refusing to serve or train on it") == true)
            let change = #expect(throws: ChannelError.self) { try Self.put(Self.model(round: 9), into: store) }
            #expect(change?.code == .unavailable)
            #expect(store.current?.model.round == 1)
        }
        #expect(logs.messages.contains { $0.contains("the row was rolled back") })

        // A replica started now finds the row behind the anchor and refuses to start, naming both.
        let restart = #expect(throws: RuntimeError.self) { try Self.store(url, replica: "c", anchor: anchor) }
        #expect(restart?.code == .staleState)
        #expect(restart?.message.contains("holds serial 1 (digest ") == true)
        #expect(restart?.message.contains("anchors version 2 (digest ") == true)

        // Deleting the row is refused the same way.
        try Self.sql(url, "DELETE FROM runtime_models")
        let deleted = #expect(throws: ChannelError.self) { try a.newest() }
        #expect(deleted?.message.contains("holds no model row") == true)
        #expect(throws: RuntimeError.self) { try Self.store(url, replica: "c", anchor: anchor) }
    }

    @Test func anotherFederationsRowIsNeverRead() throws {
        let url = try Self.database()
        let anchor = MemoryAnchor()
        let first = try Self.store(url, replica: "a", federation: "first", anchor: anchor)
        let second = try Self.store(url, replica: "a", federation: "second", anchor: anchor)
        try Self.put(initialModel, into: first)
        #expect(try second.newest() == nil)
        let other = Self.model(round: 7)
        try Self.put(other, into: second)
        #expect(try first.newest()?.id == initialModel.id)
        #expect(try second.newest()?.id == other.id)
        #expect(first.serial == 1 && second.serial == 1)

        // A row of one federation copied over another's does not open there: the federation is bound in.
        try Self.sql(
            url,
            """
            UPDATE runtime_models m SET serial = f.serial + 1, sealed = f.sealed, digest = f.digest, previous = f.previous, replica = f.replica
            FROM runtime_models f WHERE m.federation = 'second' AND f.federation = 'first'
            """)
        let refused = #expect(throws: ChannelError.self) { try second.newest() }
        #expect(refused?.message.hasPrefix("the model row of federation \"second\", serial 2, written by replica a: refused") == true)
        #expect(try first.newest()?.id == initialModel.id)
    }

    @Test func aChangeTheAnchorMissedIsTiedToItByTheNextStartAndChange() throws {
        let (url, anchor, a) = try Self.uploaded()
        let federation = a.federation
        anchor.isAvailable = false
        let unanchored = #expect(throws: ChannelError.self) { try Self.put(Self.model(round: 1), into: a) }
        #expect(unanchored?.code == .unavailable)
        #expect(unanchored?.message.hasPrefix("the uploaded model is stored as serial 2 but could not be anchored") == true)
        #expect(anchor.stored(federation: federation)?.version == 1)
        anchor.isAvailable = true

        // The row is one change ahead of the anchor, tied to it by its previous digest: a start accepts it
        // and anchors it.
        let c = try Self.store(url, replica: "c", anchor: anchor)
        #expect(c.serial == 2)
        #expect(anchor.stored(federation: federation)?.version == 2)
        // The live replica's next change goes on from there.
        try Self.put(Self.model(round: 2), into: a)
        #expect(anchor.stored(federation: federation)?.version == 3)
        #expect(try c.newest()?.model.round == 2)
    }

    /// Replicas "a" and "b" of the ML policy's federation, anchored at `anchor`: a uploaded the initial
    /// model (serial 1), b served it, then a's change to serial 2 committed while the anchor was out of
    /// reach (not acknowledged, not anchored); the anchor is still out of reach.
    static func unanchoredChange() throws -> (anchor: MemoryAnchor, a: SharedModelStore, b: SharedModelStore) {
        let url = try Self.database()
        let anchor = MemoryAnchor()
        let a = try Self.store(url, replica: "a", anchor: anchor)
        let b = try Self.store(url, replica: "b", anchor: anchor)
        try Self.put(initialModel, into: a)
        #expect(try b.newest()?.id == initialModel.id)
        anchor.isAvailable = false
        #expect(throws: ChannelError.self) { try Self.put(Self.model(round: 1), into: a) }
        return (anchor, a, b)
    }

    @Test func aNewerRowIsServedOnlyOnceTheAnchorHoldsIt() throws {
        let (anchor, _, b) = try Self.unanchoredChange()
        let federation = TestDomain.mlPolicy().federationID
        // a's change is not acknowledged, and b must not serve it either.
        let unanchored = #expect(throws: ChannelError.self) { try b.newest() }
        #expect(unanchored?.code == .unavailable)
        #expect(unanchored?.message.contains("cannot read the freshness anchor") == true)
        // Once the anchor is back, b ties the row to it (one change ahead, its previous digest the anchored one) and serves it.
        anchor.isAvailable = true
        #expect(try b.newest()?.model.round == 1)
        #expect(anchor.stored(federation: federation)?.version == 2)
    }

    @Test func aLiveReplicaCatchesTheAnchorUpBeforeItsNextChange() throws {
        let (anchor, a, b) = try Self.unanchoredChange()
        let federation = TestDomain.mlPolicy().federationID
        anchor.isAvailable = true
        // b anchors a's change (serial 2) first, then its own (serial 3).
        try Self.put(Self.model(round: 2), into: b)
        #expect(b.serial == 3)
        #expect(anchor.stored(federation: federation)?.version == 3)
        #expect(try a.newest()?.model.round == 2)
    }

    @Test func theDatabaseDownIsAnsweredUnavailableAndRecoveredFromByItself() throws {
        let cluster = try TestPostgres.dedicated()
        defer { cluster.remove() }
        let url = try cluster.freshDatabase()
        try RuntimeSchema.schema.migrate(try PostgresConnection(url))
        let a = try Self.store(url, replica: "a", anchor: MemoryAnchor())
        try Self.put(initialModel, into: a)

        try cluster.stopServer()
        let read = #expect(throws: ChannelError.self) { try a.newest() }
        #expect(read?.code == .unavailable)
        #expect(read?.message.hasPrefix("the runtime's model database is unavailable: ") == true)
        let change = #expect(throws: ChannelError.self) { try Self.put(Self.model(round: 1), into: a) }
        #expect(change?.code == .unavailable)

        try cluster.startServer()
        #expect(try a.newest()?.id == initialModel.id)
        try Self.put(Self.model(round: 1), into: a)
        #expect(a.serial == 2)
    }

    @Test func aWrongSchemaOrServerIsRefusedAtStart() throws {
        let bare = try TestPostgres.freshDatabase()
        let unmigrated = #expect(throws: RuntimeError.self) { try Self.store(bare, replica: "a", anchor: nil) }
        #expect(unmigrated?.code == .storeFailed)
        #expect(unmigrated?.message.contains("holds no runtime schema") == true)
    }
}
