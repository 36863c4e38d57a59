import Channel
import Foundation
import Runtime
import Synchronization
import Testing

@Suite struct ConcurrencyTests {
    /// 200 devices hold connections to the runtime at the same time, then each downloads the model and
    /// half of them train: every request is answered.
    @Test func twoHundredDevicesConnectedAtOnce() throws {
        let devices = 200
        let runtime = try RuntimeFixture(configuration: .init(epochs: 2))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: "provider").putModel(initialModel.blob)

        let connected = DispatchGroup()
        for _ in 0..<devices { connected.enter() }
        let go = DispatchSemaphore(value: 0)
        let peak = Mutex(0)
        let waiter = Thread {
            connected.wait()
            peak.withLock { $0 = runtime.server.activeConnections }
            for _ in 0..<devices { go.signal() }
        }
        waiter.start()
        let rounds = try concurrently(devices) { index -> UInt64 in
            let client = try runtime.client(role: "device", configuration: .init(connectTimeout: .seconds(60)))
            do {
                try client.connect()
            } catch {
                connected.leave()
                go.wait()
                throw error
            }
            connected.leave()
            go.wait()
            let model = try client.getModel()
            #expect(model.round >= 0)
            guard index.isMultiple(of: 2) else { return 0 }
            let reply = try client.train(words: ["about"])
            client.close()
            return reply.epochs
        }
        #expect(peak.withLock { $0 } >= devices)
        #expect(rounds.filter { $0 == 2 }.count == devices / 2)
        #expect(runtime.server.store.current?.model.round == UInt64(devices / 2))
    }
}
