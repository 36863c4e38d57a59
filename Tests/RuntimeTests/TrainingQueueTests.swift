import ByteKit
import Channel
import Device
import Dispatch
import OpenSSLKit
import Policy
import Protocol
import Synchronization
import TestSupport
import Testing

@testable import Runtime

/// The runtime's training queue under the policy's limits: a device over its queue is told `busy` with
/// a `retry-after`, a device's backlog does not hold up another device, and the word cap is the policy's.
/// The test holds the queue's thread with work of its own, so requests queue up behind it in a known order.
@Suite struct TrainingQueueTests {
    private static func policy(_ limits: PolicyLimits) -> PolicyDocument {
        var policy = TestDomain.mlPolicy()
        policy.limits = limits
        return policy
    }

    /// The answers to requests sent on other threads.
    final class Answers: Sendable {
        private let state = Mutex<(replies: [TrainedReply], failures: [String])>(([], []))
        var replies: [TrainedReply] { state.withLock { $0.replies } }
        var failures: [String] { state.withLock { $0.failures } }
        func add(_ reply: TrainedReply) { state.withLock { $0.replies.append(reply) } }
        func add(failure: String) { state.withLock { $0.failures.append(failure) } }
    }

    /// Sends a training request of `identity` on a thread of its own; its answer goes to `answers`.
    @discardableResult
    private static func train(
        _ runtime: RuntimeFixture, identity: TLSIdentity, words: [String], group: DispatchGroup, into answers: Answers = Answers()
    ) -> Answers {
        DispatchQueue.global().async(group: group) {
            do {
                answers.add(try runtime.client(identity: identity).train(words: words))
            } catch {
                answers.add(failure: "\(error)")
            }
        }
        return answers
    }

    /// Holds the runtime's training thread until `gate` is signalled.
    private static func hold(_ runtime: RuntimeFixture, gate: DispatchSemaphore, group: DispatchGroup) -> Bool {
        let worker = runtime.server.queue.worker
        DispatchQueue.global().async(group: group) {
            _ = try? worker.perform(key: "held by the test") { () throws(ChannelError) in gate.wait() }
        }
        return eventually { worker.outstanding("held by the test") == 1 }
    }

    @Test func aDeviceOverItsQueueIsToldBusyWithRetryAfter() throws {
        let runtime = try RuntimeFixture(policy: Self.policy(PolicyLimits(queuedTrainingsPerDevice: 1)), configuration: .init(epochs: 2))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let identity = try runtime.domain.identity(role: .device)
        let key = Hex.encode(identity.certificate.serialNumber)
        let gate = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        #expect(Self.hold(runtime, gate: gate, group: group))

        let first = Self.train(runtime, identity: identity, words: ["about"], group: group)
        #expect(eventually { runtime.server.queue.worker.outstanding(key) == 1 })

        // The second request of the same device is refused at once, while the first still waits.
        let refusal = #expect(throws: ChannelError.self) { try runtime.client(identity: identity).train(words: ["which"]) }
        #expect(refusal?.code == .busy)
        #expect(refusal?.kind == .remote)
        let seconds = try #require(refusal?.retryAfterSeconds)
        #expect(seconds >= 1)
        #expect(
            refusal?.message.hasSuffix(
                "already has 1 training request unanswered (the policy's limits.queued-trainings-per-device); retry after \(seconds) s") == true)

        // A device retries a bounded number of times, telling its caller before each wait.
        let device = try Device(runtime: try runtime.client(identity: identity), policy: runtime.policy)
        device.busyRetries = 1
        var told: [(Int, Int)] = []
        device.onBusy = { error, wait, retry in
            #expect(error.code == .busy)
            told.append((wait, retry))
        }
        let retried = #expect(throws: ChannelError.self) { try device.train(words: ["there"]) }
        #expect(retried?.code == .busy)
        #expect(told.count == 1 && told.first?.1 == 1 && (told.first?.0 ?? 0) >= 1)

        // Another device is not limited by the first one's queue: it waits its turn and is served.
        let other = Self.train(runtime, identity: try runtime.domain.identity(role: .device), words: ["their"], group: group)
        gate.signal()
        group.wait()
        #expect(first.failures.isEmpty && first.replies.count == 1)
        #expect(other.failures.isEmpty && other.replies.count == 1)
        // Once answered, the device may send again.
        #expect(try runtime.client(identity: identity).train(words: ["white"]).blob.model.round == 3)
    }

    @Test func oneDevicesBacklogDelaysAnotherBySingleTrainingAtMost() throws {
        let runtime = try RuntimeFixture(policy: Self.policy(PolicyLimits(queuedTrainingsPerDevice: 5)), configuration: .init(epochs: 2))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let backlog = try runtime.domain.identity(role: .device)
        let single = try runtime.domain.identity(role: .device)
        let worker = runtime.server.queue.worker
        let gate = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        #expect(Self.hold(runtime, gate: gate, group: group))

        let answers = Answers()
        // Device A queues four two-word trainings, then device B one single-word training.
        for count in 1...4 {
            Self.train(runtime, identity: backlog, words: ["about", "which"], group: group, into: answers)
            #expect(eventually { worker.outstanding(Hex.encode(backlog.certificate.serialNumber)) == count })
        }
        Self.train(runtime, identity: single, words: ["there"], group: group, into: answers)
        #expect(eventually { worker.outstanding(Hex.encode(single.certificate.serialNumber)) == 1 })
        gate.signal()
        group.wait()
        #expect(answers.failures.isEmpty && answers.replies.count == 5)
        // The order of the trainings, from the runtime's log: B's single request goes ahead of A's backlog,
        // which waited as B's did behind the test's item.
        let started = runtime.logs.messages.filter { $0.hasPrefix("---- training on ") }.map { $0.hasPrefix("---- training on 1 word ") ? "B" : "A" }
        #expect(started == ["B", "A", "A", "A", "A"])
    }

    /// Queued trainings hold no worker thread: with 2 workers, 4 devices at their limit of 2 queued
    /// requests (8 requests, four times the workers) leave room for another device's single request,
    /// which is trained after at most one other training.
    @Test func queuedTrainingsLeaveTheWorkersFree() throws {
        var configuration = RuntimeServer.Configuration(epochs: 2)
        configuration.channel.workerThreads = 2
        let runtime = try RuntimeFixture(policy: Self.policy(PolicyLimits(queuedTrainingsPerDevice: 2)), configuration: configuration)
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let worker = runtime.server.queue.worker
        let gate = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        #expect(Self.hold(runtime, gate: gate, group: group))

        let answers = Answers()
        for _ in 1...4 {
            let device = try runtime.domain.identity(role: .device)
            let key = Hex.encode(device.certificate.serialNumber)
            for count in 1...2 {
                Self.train(runtime, identity: device, words: ["about", "which"], group: group, into: answers)
                #expect(eventually { worker.outstanding(key) == count })
            }
        }
        // A request that needs a worker but not the queue is answered while the queue is held.
        #expect(try runtime.client(role: .device).getModel().blob.model.round == 0)
        let single = try runtime.domain.identity(role: .device)
        Self.train(runtime, identity: single, words: ["there"], group: group, into: answers)
        #expect(eventually { worker.outstanding(Hex.encode(single.certificate.serialNumber)) == 1 })
        gate.signal()
        group.wait()
        #expect(answers.failures.isEmpty && answers.replies.count == 9)
        // Counted in trainings: the single one goes ahead of every backlog, so it waits for at most the
        // training running when it arrived (none here: the queue was held).
        let started = runtime.logs.messages.filter { $0.hasPrefix("---- training on ") }
        #expect(started.count == 9)
        let position = try #require(started.firstIndex { $0.hasPrefix("---- training on 1 word ") })
        #expect(position == 0)
    }

    @Test func thePolicySetsTheWordsPerTraining() throws {
        let runtime = try RuntimeFixture(policy: Self.policy(PolicyLimits(wordsPerTraining: 2)), configuration: .init(epochs: 2))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        #expect(try runtime.client(role: .device).train(words: ["about", "which"]).blob.model.round == 1)
        let refusal = #expect(throws: ChannelError.self) { try runtime.client(role: .device).train(words: ["about", "which", "there"]) }
        #expect(refusal?.code == .badRequest)
        #expect(refusal?.message == "\"words\" has 3 words, at most 2 are served per request")
    }
}
