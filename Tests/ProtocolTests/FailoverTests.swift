import Channel
import Protocol
import TestSupport
import Testing

/// The backoff's bounds and the order, pace and final error of `Failover`, with an injected random
/// source and a sleep that records the waits instead of waiting.
@Suite struct FailoverTests {
    let backoff = RetryBackoff(base: .milliseconds(100), cap: .seconds(5))

    @Test func theCeilingDoublesFromTheBaseUpToTheCap() {
        #expect(backoff.ceiling(afterFailures: 0) == .zero)
        #expect((1...7).map { backoff.ceiling(afterFailures: $0) } == [100, 200, 400, 800, 1600, 3200, 5000].map { Duration.milliseconds($0) })
        #expect(backoff.ceiling(afterFailures: 1000) == .seconds(5))
    }

    @Test func fullJitterStaysBetweenZeroAndTheCeiling() {
        for failures in 1...12 {
            let ceiling = backoff.ceiling(afterFailures: failures)
            #expect(backoff.delay(afterFailures: failures, unit: 0) == .zero)
            #expect(backoff.delay(afterFailures: failures, unit: 0.5) == ceiling / 2)
            let top = backoff.delay(afterFailures: failures, unit: 0.999_999)
            #expect(top < ceiling && top > ceiling * 0.99)
        }
        // A random source out of range cannot stretch or negate the wait.
        #expect(backoff.delay(afterFailures: 3, unit: 7) == .milliseconds(400))
        #expect(backoff.delay(afterFailures: 3, unit: -1) == .zero)
        #expect(backoff.delay(afterFailures: 3, unit: .nan) == .zero)
    }

    /// A failover over `count` addresses whose waits are recorded in `waits` and whose random draws are 0.5.
    func failover(_ count: Int, waits: Recorder<Duration>, maxAttempts: Int? = nil) -> Failover {
        var failover = Failover(
            addresses: (0..<count).map { ServerAddress(host: "10.0.0.\($0 + 1)", port: 8124) }, backoff: backoff, maxAttempts: maxAttempts)
        failover.random = { 0.5 }
        failover.sleep = { wait in waits.record(wait) }
        return failover
    }

    static func refused(_ index: Int) -> ChannelError {
        ChannelError(kind: .transport, code: .internal, message: "cannot connect to the runtime at 10.0.0.\(index + 1):8124: connection refused")
    }

    @Test func itMovesOnInOrderAndAnswersFromTheFirstThatWorks() throws {
        let waits = Recorder<Duration>()
        let moves = Recorder<String>()
        var order = failover(3, waits: waits)
        order.onMove = { from, to, _, wait in moves.record("\(from) -> \(to) after \(wait)") }
        var tried: [Int] = []
        let (answer, index) = try order.run(from: 0) { (index) throws(ChannelError) -> String in
            tried.append(index)
            guard index == 2 else { throw Self.refused(index) }
            return "answer"
        } movesOn: { _ in true }
        #expect(answer == "answer" && index == 2 && tried == [0, 1, 2])
        #expect(waits.all == [.milliseconds(50), .milliseconds(100)])
        #expect(moves.all == ["10.0.0.1:8124 -> 10.0.0.2:8124 after 0.05 seconds", "10.0.0.2:8124 -> 10.0.0.3:8124 after 0.1 seconds"])
    }

    @Test func itStartsAtTheAddressThatLastWorkedAndWrapsAround() throws {
        let waits = Recorder<Duration>()
        var tried: [Int] = []
        let (_, index) = try failover(3, waits: waits).run(from: 2) { (index) throws(ChannelError) -> Int in
            tried.append(index)
            guard index == 0 else { throw Self.refused(index) }
            return index
        } movesOn: { _ in true }
        #expect(index == 0 && tried == [2, 0])
    }

    /// Runs a failover over `count` addresses none of which can be reached: the attempts made, the
    /// waits between them and the final error.
    func allRefused(_ count: Int) -> (attempts: Int, waits: [Duration], error: ChannelError?) {
        let waits = Recorder<Duration>()
        var attempts = 0
        let error = #expect(throws: ChannelError.self) {
            try failover(count, waits: waits).run(from: 0) { (index) throws(ChannelError) -> Int in
                attempts += 1
                throw Self.refused(index)
            } movesOn: { _ in true }
        }
        return (attempts, waits.all, error)
    }

    @Test func whenEveryAttemptFailsTheErrorNamesEachAddressAndTheAttemptsAreBounded() throws {
        let (attempts, waits, error) = allRefused(2)
        // Two rounds of the list by default, and a wait between each two attempts, growing.
        #expect(attempts == 4)
        #expect(waits == [.milliseconds(50), .milliseconds(100), .milliseconds(200)])
        #expect(error?.kind == .transport)
        #expect(
            error?.message
                == "no replica answered in 4 attempts at 10.0.0.1:8124, 10.0.0.2:8124: cannot connect to the runtime at 10.0.0.1:8124: connection refused; cannot connect to the runtime at 10.0.0.2:8124: connection refused"
        )
    }

    @Test func aSingleAddressIsTriedOnceAndItsErrorIsReportedAsIs() throws {
        let (attempts, waits, error) = allRefused(1)
        #expect(attempts == 1 && waits.isEmpty)
        #expect(error == Self.refused(0))
    }

    @Test func anErrorThatDoesNotMoveOnIsThrownAtOnce() throws {
        let waits = Recorder<Duration>()
        var attempts = 0
        let refusal = ChannelError(kind: .remote, code: .noModel, message: "no model yet")
        let error = #expect(throws: ChannelError.self) {
            try failover(3, waits: waits, maxAttempts: 10).run(from: 0) { (_) throws(ChannelError) -> Int in
                attempts += 1
                throw refusal
            } movesOn: { $0.code == .unavailable }
        }
        #expect(attempts == 1 && error == refusal)
    }
}
