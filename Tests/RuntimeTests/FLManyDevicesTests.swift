import Channel
import Device
import Dispatch
import Foundation
import Policy
import Protocol
import Synchronization
import TestSupport
import Testing
import WordModel

/// FL with many more devices than a round needs, in-process: every device completes its rounds, those
/// whose update came after their round closed taking part in the next one.
@Suite struct FLManyDevicesTests {
    @Test func thirtyDevicesWithMinUpdatesTwoEachCompleteTwoRounds() throws {
        let policy = TestDomain.flPolicy(minUpdates: 2, deadlineSeconds: 1, oneUpdatePer: .certificate)
        let runtime = try RuntimeFixture(policy: policy, configuration: .init(mode: .fl))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let clients = try (0..<30).map { _ in try runtime.client(role: .device) }
        let devices = DeviceList(try clients.map { try Device(runtime: $0, policy: policy) })
        let results = Outcomes()
        // A thread per device (not concurrentPerform's one per core): each blocks while it awaits its round.
        let finished = DispatchGroup()
        for index in devices.list.indices {
            finished.enter()
            Thread {
                defer { finished.leave() }
                let device = devices.list[index]
                let result = Result { () throws(ChannelError) -> (completed: Int, missed: Int) in
                    let federated = try device.servesFederation()
                    #expect(federated)
                    try device.download()
                    var completed = 0, missed = 0
                    while completed < 2 {
                        let update = try device.trainLocally(words: ["about"], epochs: 1)
                        switch try device.submit(update) {
                        case .acknowledged(let ack):
                            #expect(ack.round == update.round)
                            completed += 1
                        case .roundClosed(let reason):
                            #expect(reason.contains("round \(update.round)"))
                            missed += 1
                        case .notSampled(let reason):
                            Issue.record("a policy without fl.privacy samples no device: \(reason)")
                        }
                        try device.awaitGlobal(round: update.round + 1)
                        #expect(device.round > update.round)
                    }
                    return (completed, missed)
                }
                results.list.withLock { $0.append(result) }
            }.start()
        }
        #expect(finished.wait(timeout: .now() + 120) == .success, "the devices did not finish their rounds")
        let outcomes = try results.list.withLock { $0 }.map { try $0.get() }
        #expect(outcomes.count == 30)
        #expect(outcomes.allSatisfy { $0.completed == 2 })
        // How many miss a round depends on how the threads interleave; the next test makes a miss happen.
    }

    /// The miss itself, without depending on timing: a device trains on round 0 while two others close it;
    /// its update is then `.roundClosed` (not an error), and it takes part in round 1.
    @Test func aDeviceWhoseRoundClosedWhileItTrainedTakesPartInTheNext() throws {
        let policy = TestDomain.flPolicy(minUpdates: 2, deadlineSeconds: 60, oneUpdatePer: .certificate)
        let runtime = try RuntimeFixture(policy: policy, configuration: .init(mode: .fl))
        defer { runtime.cleanUp() }
        _ = try runtime.client(role: .provider).putModel(initialModel)
        let late = try Device(runtime: try runtime.client(role: .device), policy: policy)
        try late.download()
        let stale = try late.trainLocally(words: ["about"], epochs: 1)
        for _ in 0..<2 {
            let other = try Device(runtime: try runtime.client(role: .device), policy: policy)
            try other.download()
            guard case .acknowledged = try other.submit(try other.trainLocally(words: ["white"], epochs: 1)) else {
                Issue.record("an update for the open round was not acknowledged")
                return
            }
        }
        #expect(eventually { runtime.server.federation?.round == 1 })
        guard case .roundClosed(let reason) = try late.submit(stale) else {
            Issue.record("an update for a closed round was not answered roundClosed")
            return
        }
        #expect(reason.contains("round 0"))
        try late.awaitGlobal(round: 1)
        #expect(late.round == 1)
        guard case .acknowledged(let ack) = try late.submit(try late.trainLocally(words: ["about"], epochs: 1)) else {
            Issue.record("the late device's update for round 1 was not acknowledged")
            return
        }
        #expect(ack.round == 1)
    }
}

/// Devices that one thread each uses.
///
/// `@unchecked Sendable`: thread `index` is the only one that touches device `index`.
private final class DeviceList: @unchecked Sendable {
    let list: [Device]

    init(_ list: [Device]) {
        self.list = list
    }
}

/// What each device's thread ended with: the rounds it completed and missed, or its error.
private final class Outcomes: Sendable {
    let list = Mutex<[Result<(completed: Int, missed: Int), ChannelError>]>([])
}
