import Channel
import Dispatch
import Protocol
import Synchronization
import TestSupport
import Testing

/// A runtime client given several replicas: it moves on after a connection failure or an `unavailable`
/// answer, and never sends a training request twice once it may have arrived.
@Suite struct RuntimeFailoverTests {
    /// A runtime impostor of `domain` that counts the requests it reads and handles them with `handle`.
    final class Replica: Sendable {
        /// The replica, for its own handler (set once the server exists).
        final class Slot: Sendable {
            let replica = Mutex<Replica?>(nil)
        }

        let server: ChannelServer
        let requests = Mutex(0)

        init(_ domain: TestDomain, handle: @escaping @Sendable (Replica, ServedConnection) throws -> Void) throws {
            let slot = Slot()
            server = try ChannelServer(
                host: "127.0.0.1", port: 0, context: try domain.serverContext(role: .runtime), logger: quietLogger
            ) { _, _, connection in
                guard let replica = slot.replica.withLock({ $0 }) else { return }
                replica.requests.withLock { $0 += 1 }
                try handle(replica, connection)
            }
            slot.replica.withLock { $0 = self }
            try server.start()
        }

        var address: ServerAddress { ServerAddress(host: "127.0.0.1", port: server.port) }

        /// Answers every request `unavailable`, as a replica that cannot anchor or reach its store now.
        static func unavailable(_ domain: TestDomain) throws -> Replica {
            try Replica(domain) { _, _ in throw ChannelError(.unavailable, "the store cannot be reached now") }
        }

        /// Serves the initial model to every request.
        static func serving(_ domain: TestDomain) throws -> Replica {
            try Replica(domain) { _, connection in
                try connection.send(
                    Message(type: ModelReply.type, fields: ["model": .bytes(initialModel.bytes), "id": .text(initialModel.id), "round": 0]))
            }
        }

        /// Reads the request, then drops the connection without answering, as a replica killed mid-request.
        static func dropping(_ domain: TestDomain) throws -> Replica {
            try Replica(domain) { replica, _ in
                let dropped = DispatchSemaphore(value: 0)
                replica.server.closeConnections(where: { _ in true }) { _ in dropped.signal() }
                dropped.wait()
            }
        }
    }

    /// `count` distinct ports with nothing listening: servers' ports, stopped together.
    func deadAddresses(_ domain: TestDomain, count: Int = 1) throws -> [ServerAddress] {
        let servers = try (0..<count).map { _ in
            try ChannelServer(
                host: "127.0.0.1", port: 0, context: try domain.serverContext(role: .runtime), logger: quietLogger,
                handler: ChannelServer.answering { _, request in request })
        }
        for server in servers { server.stop() }
        return servers.map { ServerAddress(host: "127.0.0.1", port: $0.port) }
    }

    /// A device client of `addresses` whose waits between replicas are instant and recorded in `moves`.
    func client(_ domain: TestDomain, _ addresses: [ServerAddress], moves: Recorder<String>) throws -> RuntimeClient {
        let client = RuntimeClient(addresses: addresses, context: try domain.clientContext(role: .device))
        client.failover.sleep = { _ in }
        client.failover.onMove = { from, to, reason, _ in moves.record("\(from) -> \(to): \(reason)") }
        return client
    }

    /// Two replicas of one domain, made by `first` and `second`, and a device client of both in that order.
    struct TwoReplicas {
        let domain: TestDomain
        let first: Replica
        let second: Replica
        let moves = Recorder<String>()
        let client: RuntimeClient

        init(_ first: (TestDomain) throws -> Replica, _ second: (TestDomain) throws -> Replica, test: RuntimeFailoverTests) throws {
            domain = try TestDomain()
            self.first = try first(domain)
            self.second = try second(domain)
            client = try test.client(domain, [self.first.address, self.second.address], moves: moves)
        }

        func stop() {
            first.server.stop()
            second.server.stop()
        }
    }

    @Test func anUnavailableReplicaIsLeftForTheNext() throws {
        let replicas = try TwoReplicas(Replica.unavailable, Replica.serving, test: self)
        defer { replicas.stop() }
        let (first, second, client, moves) = (replicas.first, replicas.second, replicas.client, replicas.moves)
        #expect(try client.getModel().blob.id == initialModel.id)
        #expect(client.endpoint == second.address.description)
        #expect(moves.all == ["\(first.address) -> \(second.address): unavailable: the store cannot be reached now"])
        // The next request goes straight to the replica that answered.
        #expect(try client.getModel().blob.id == initialModel.id)
        #expect(first.requests.withLock { $0 } == 1 && second.requests.withLock { $0 } == 2)
    }

    @Test func aDeadReplicaIsLeftForTheNextEvenForTraining() throws {
        let domain = try TestDomain()
        let dead = try deadAddresses(domain)[0]
        let live = try Replica.unavailable(domain)
        defer { live.server.stop() }
        let moves = Recorder<String>()
        let client = try client(domain, [dead, live.address], moves: moves)
        // Nothing was written to the dead one, so the training request may go to the next; its answer
        // (unavailable, after the request was written) is reported, not sent a third time.
        let error = #expect(throws: ChannelError.self) { try client.train(words: ["about"]) }
        #expect(error?.code == .unavailable && error?.kind == .remote)
        #expect(live.requests.withLock { $0 } == 1)
        #expect(moves.all.count == 1 && moves.all[0].hasPrefix("\(dead) -> \(live.address): cannot connect to the runtime at \(dead)"))
    }

    @Test func aTrainingRequestThatMayHaveArrivedIsNotSentAgain() throws {
        let replicas = try TwoReplicas(Replica.dropping, Replica.serving, test: self)
        defer { replicas.stop() }
        let (dropping, serving, client, moves) = (replicas.first, replicas.second, replicas.client, replicas.moves)
        let error = #expect(throws: ChannelError.self) { try client.train(words: ["about"]) }
        #expect(error?.kind == .closed || error?.kind == .transport)
        #expect(dropping.requests.withLock { $0 } == 1)
        #expect(serving.requests.withLock { $0 } == 0)
        #expect(moves.all.isEmpty)
        // A read after the same failure moves on.
        let reader = try self.client(replicas.domain, [dropping.address, serving.address], moves: moves)
        #expect(try reader.getModel().blob.id == initialModel.id)
        #expect(dropping.requests.withLock { $0 } == 2 && serving.requests.withLock { $0 } == 1)
    }

    @Test func whenNoReplicaAnswersTheErrorNamesEach() throws {
        let domain = try TestDomain()
        let dead = try deadAddresses(domain, count: 2)
        let first = dead[0], second = dead[1]
        let moves = Recorder<String>()
        let client = try client(domain, [first, second], moves: moves)
        let error = #expect(throws: ChannelError.self) { try client.getModel() }
        let message = try #require(error?.message)
        #expect(message.hasPrefix("no replica answered in 4 attempts at \(first), \(second): cannot connect to the runtime at \(first): "))
        #expect(message.contains("; cannot connect to the runtime at \(second): "))
        #expect(moves.all.count == 3)
    }
}
