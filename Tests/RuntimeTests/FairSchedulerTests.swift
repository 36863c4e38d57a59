import Channel
import Dispatch
import Synchronization
import TestSupport
import Testing

@testable import Runtime

/// The training queue's turns: a key's backlog delays another key's single item by at most the item
/// running when it arrived, and backlogs take turns. A held first item makes the order deterministic.
@Suite struct FairSchedulerTests {
    /// Submits `key`'s item on a thread of its own; it calls `record` when it runs.
    private func submit(_ scheduler: FairScheduler, key: String, group: DispatchGroup, record: @escaping @Sendable () -> Void) {
        DispatchQueue.global().async(group: group) {
            _ = try? scheduler.perform(key: key) { () throws(ChannelError) in record() }
        }
    }

    @Test func aSingleItemWaitsOnlyForTheOneRunning() throws {
        let scheduler = FairScheduler(name: "test queue")
        defer { scheduler.stop() }
        let order = Mutex<[String]>([])
        let gate = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        // A's first item runs and holds the thread until the gate opens.
        DispatchQueue.global().async(group: group) {
            _ = try? scheduler.perform(key: "A") { () throws(ChannelError) in
                gate.wait()
                order.withLock { $0.append("A1") }
            }
        }
        #expect(eventually { scheduler.outstanding("A") == 1 })
        for index in 2...4 {
            submit(scheduler, key: "A", group: group) { order.withLock { $0.append("A\(index)") } }
            #expect(eventually { scheduler.outstanding("A") == index })
        }
        submit(scheduler, key: "B", group: group) { order.withLock { $0.append("B1") } }
        #expect(eventually { scheduler.outstanding("B") == 1 })
        gate.signal()
        group.wait()
        #expect(order.withLock { $0 } == ["A1", "B1", "A2", "A3", "A4"])
        #expect(scheduler.outstanding("A") == 0 && scheduler.outstanding("B") == 0)
    }

    @Test func backlogsTakeTurns() throws {
        let scheduler = FairScheduler(name: "test queue")
        defer { scheduler.stop() }
        let order = Mutex<[String]>([])
        let gate = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            _ = try? scheduler.perform(key: "held") { () throws(ChannelError) in gate.wait() }
        }
        #expect(eventually { scheduler.outstanding("held") == 1 })
        for key in ["A", "B"] {
            for index in 1...3 {
                submit(scheduler, key: key, group: group) { order.withLock { $0.append("\(key)\(index)") } }
                #expect(eventually { scheduler.outstanding(key) == index })
            }
        }
        gate.signal()
        group.wait()
        #expect(order.withLock { $0 } == ["A1", "B1", "A2", "B2", "A3", "B3"])
    }

    @Test func aStoppedSchedulerRefusesNewWork() throws {
        let scheduler = FairScheduler(name: "test queue")
        #expect(try scheduler.perform(key: "A") { () throws(ChannelError) in 42 } == 42)
        scheduler.stop()
        let refusal = #expect(throws: ChannelError.self) { try scheduler.perform(key: "A") { () throws(ChannelError) in 1 } }
        #expect(refusal?.message == "the test queue is stopping")
    }
}
