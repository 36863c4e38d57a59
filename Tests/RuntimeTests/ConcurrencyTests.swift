import Channel
import Foundation
import OpenSSLKit
import Protocol
import Runtime
import TestSupport
import Testing

/// Clients that one thread each uses.
///
/// `@unchecked Sendable`: thread `index` is the only one that touches client `index`.
private final class ConnectedDevices: @unchecked Sendable {
    let clients: [RuntimeClient]

    init(_ clients: [RuntimeClient]) {
        self.clients = clients
    }
}

@Suite struct ConcurrencyTests {
    /// 200 devices hold connections to the runtime at the same time; then each downloads the model and
    /// half of them train, all at once: every request is answered.
    @Test func twoHundredDevicesConnectedAtOnce() throws {
        let count = 200
        let runtime = try RuntimeFixture(configuration: .init(epochs: 2))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)

        let devices = ConnectedDevices(try (0..<count).map { _ in try runtime.client(role: .device) })
        for client in devices.clients { try client.connect() }
        #expect(runtime.server.activeConnections >= count)

        let epochs = try concurrently(count) { index -> UInt64 in
            let client = devices.clients[index]
            #expect(try client.getModel().blob.id.count == 64)
            guard index.isMultiple(of: 2) else { return 0 }
            return try client.train(words: ["about"]).epochs
        }
        #expect(epochs.filter { $0 == 2 }.count == count / 2)
        #expect(runtime.server.store.current?.model.round == UInt64(count / 2))
        for client in devices.clients { client.close() }
    }
}
