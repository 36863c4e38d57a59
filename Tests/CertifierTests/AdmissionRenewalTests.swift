import Admission
import Attestation
import ByteKit
import Channel
import Dispatch
import Foundation
import Logging
import OpenSSLKit
import Policy
import Synchronization
import TestSupport
import Testing

/// A renewal clock that never waits: each wait moves it (and the certifier's clock) to the time waited
/// for, and records that time.
private final class SteppingClock: RenewalClock {
    private let time: Mutex<Date>
    private let recorded = Mutex<[Date]>([])
    private let certifierClock: TestClock

    init(certifier: TestCertifier) {
        certifierClock = certifier.clock
        time = Mutex(certifier.clock())
    }

    var now: Date { time.withLock { $0 } }
    /// The times waited for, in order.
    var waits: [Date] { recorded.withLock { $0 } }

    func wait(until date: Date, stop: DispatchSemaphore) -> Bool {
        if stop.wait(timeout: .now()) == .success {
            stop.signal()
            return true
        }
        recorded.withLock { $0.append(date) }
        let step = time.withLock { (now: inout Date) -> TimeInterval in
            let step = max(0, date.timeIntervalSince(now))
            now = max(now, date)
            return step
        }
        certifierClock.advance(step)
        return false
    }
}

/// An attester that fails its first `failures` tokens, then makes them with `working`.
private final class FailingAttester: Attester {
    let working: SimulatedAttester
    private let left: Mutex<Int>
    init(failures: Int, then working: SimulatedAttester) {
        self.working = working
        left = Mutex(failures)
    }
    var name: String { "failing" }
    func token(challenge: [UInt8]) throws(AttestationError) -> [UInt8] {
        let failing = left.withLock { (left: inout Int) -> Bool in
            defer { left = max(0, left - 1) }
            return left > 0
        }
        if failing { throw AttestationError(.invalidValue, "the test's attester is down") }
        return try working.token(challenge: challenge)
    }
}

/// The renewal's retries and warnings (issue 12), driven by a clock that never waits.
struct AdmissionRenewalTests {
    @Test func failedAttemptsAreRetriedWithADoublingWaitWarningWithTheTimeLeftThenLoudlyNearExpiry() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let current = try AdmissionClient().admit(
            role: .runtime, certifierHost: "127.0.0.1", certifierPort: certifier.server.port, policyCertificate: certifier.state.policyCertificate,
            attester: certifier.attester(TestCertifier.runtimeMeasurement), now: certifier.clock())
        let clock = SteppingClock(certifier: certifier)
        let logs = LogRecords()
        let renewedWith = Mutex<[RoleCredentials]>([])
        let attester = FailingAttester(failures: 5, then: try certifier.attester(TestCertifier.runtimeMeasurement))
        let holder = Mutex<AdmissionRenewal?>(nil)
        let renewal = AdmissionRenewal(
            role: .runtime, certifierHost: "127.0.0.1", certifierPort: certifier.server.port,
            policyCertificate: certifier.state.policyCertificate, attester: attester, clock: clock, logger: logs.logger(label: "runtime")
        ) { fresh in
            renewedWith.withLock { $0.append(fresh) }
            holder.withLock { $0 }?.stop()
        }
        holder.withLock { $0 = renewal }
        renewal.run(current: current.certificate)

        let lifetime = current.certificate.notAfter.timeIntervalSince(current.certificate.notBefore)
        // The policy's hour, and the minute the certifier backdates notBefore by.
        #expect(lifetime == 3660)
        let first = current.certificate.notBefore.addingTimeInterval(2440)
        // Two thirds in, then a fiftieth of the lifetime doubling, capped at a tenth.
        let delays: [TimeInterval] = [73.2, 146.4, 292.8, 366, 366]
        var expected = [first]
        for delay in delays { expected.append(expected[expected.count - 1].addingTimeInterval(delay)) }
        let waits = clock.waits
        #expect(waits.count == expected.count, "\(waits)")
        #expect(zip(waits, expected).allSatisfy { abs($0.timeIntervalSince($1)) < 0.001 }, "\(waits) != \(expected)")
        #expect(renewal.renewals == 1)
        let fresh = try #require(renewedWith.withLock { $0.first })
        #expect(fresh.certificate.serialNumberHex != current.certificate.serialNumberHex)
        // Issued at the sixth attempt (backdated a minute; X.509 counts whole seconds).
        #expect(abs(fresh.certificate.notBefore.timeIntervalSince(expected[5].addingTimeInterval(-60))) < 1)
        #expect(fresh.secret(named: "sealing") != nil)

        let failures = logs.all.filter { $0.message.hasPrefix("renewing the admission of runtime failed: ") }
        #expect(failures.map(\.level) == [.warning, .warning, .warning, .warning, .critical])
        let expiry = UTCTimeText.format(current.certificate.notAfter)
        for (index, record) in failures.enumerated() {
            let left = current.certificate.notAfter.timeIntervalSince(expected[index])
            let retry = String(format: "%.1f s", delays[index])
            let leftText = String(format: "%.1f s", left)
            #expect(record.message.contains("the test's attester is down"), "\(record.message)")
            if record.level == .warning {
                #expect(record.message.hasSuffix("; retrying in \(retry); the admission expires in \(leftText) (at \(expiry))"), "\(record.message)")
            } else {
                #expect(left <= lifetime / 10)
                #expect(record.message.hasSuffix(
                    "; retrying in \(retry); in \(leftText), at \(expiry), this runtime will stop being trusted: every peer refuses an expired admission"),
                    "\(record.message)")
            }
        }
        #expect(logs.messages.last?.hasPrefix("renewed the admission of runtime: new TLS key, certificate valid until ") == true)
    }

    @Test func theRuntimesRenewalHandsOverANewKeyCertificateAndSecretsWithoutAFolder() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let current = try AdmissionClient().admit(
            role: .runtime, certifierHost: "127.0.0.1", certifierPort: certifier.server.port, policyCertificate: certifier.state.policyCertificate,
            attester: certifier.attester(TestCertifier.runtimeMeasurement), now: certifier.clock())
        let clock = SteppingClock(certifier: certifier)
        let renewedWith = Mutex<RoleCredentials?>(nil)
        let holder = Mutex<AdmissionRenewal?>(nil)
        let renewal = AdmissionRenewal(
            role: .runtime, certifierHost: "127.0.0.1", certifierPort: certifier.server.port,
            policyCertificate: certifier.state.policyCertificate, attester: try certifier.attester(TestCertifier.runtimeMeasurement),
            clock: clock, logger: quietLogger
        ) { fresh in
            renewedWith.withLock { $0 = fresh }
            holder.withLock { $0 }?.stop()
        }
        holder.withLock { $0 = renewal }
        renewal.run(current: current.certificate)
        #expect(renewal.renewals == 1)
        let fresh = try #require(renewedWith.withLock { $0 })
        #expect(fresh.privateKey.publicKey != current.privateKey.publicKey)
        #expect(fresh.certificate.notAfter > current.certificate.notAfter)
        #expect(fresh.secret(named: "sealing") == current.secret(named: "sealing"))
        _ = try fresh.serverContext()
    }
}

/// A provider's or device's folder switches admissions so that a reader, or a crash, never sees a key and
/// a certificate (or a policy) that do not match (issue 12).
struct AdmissionSwitchTests {
    func copy(_ name: String, from source: String, to target: String) throws {
        try FileBytes.writeAtomically(try FileBytes.read("\(source)/\(name)", limit: FileSizeLimit(bytes: 1 << 20, kind: "a state file")), to: target, mode: 0o600)
    }

    @Test func aCrashAfterTheNewCertificateLoadsItWithTheNewKeyAndPolicyFromTheirNextFiles() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let (_, folder) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        let (_, renewed) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        let old = try RoleCredentials.load(stateDirectory: folder, role: .device)
        let new = try RoleCredentials.load(stateDirectory: renewed, role: .device)

        // Crashed before the certificate: the new key and policy beside the old ones; the old admission holds.
        try copy("tls.key", from: renewed, to: "\(folder)/tls.key.next")
        try copy("policy.signed", from: renewed, to: "\(folder)/policy.signed.next")
        let before = try RoleCredentials.load(stateDirectory: folder, role: .device)
        #expect(before.certificate.serialNumberHex == old.certificate.serialNumberHex)
        #expect(before.privateKey.publicKey == old.privateKey.publicKey)

        // Crashed after it: the new certificate, whose key and policy are still the .next files.
        try copy("admission.crt", from: renewed, to: "\(folder)/admission.crt")
        let after = try RoleCredentials.load(stateDirectory: folder, role: .device)
        #expect(after.certificate.serialNumberHex == new.certificate.serialNumberHex)
        #expect(after.privateKey.publicKey == new.privateKey.publicKey)
        _ = try after.clientContext()

        // Without them, the mismatch is refused as before.
        try FileManager.default.removeItem(atPath: "\(folder)/tls.key.next")
        let refused = #expect(throws: AdmissionError.self) { try RoleCredentials.load(stateDirectory: folder, role: .device) }
        #expect(refused?.message.contains("is not for this role's TLS key (tls.key)") == true, "\(String(describing: refused))")
    }

    @Test func readersDuringRenewalsAlwaysLoadAMatchingAdmission() throws {
        let certifier = try TestCertifier { $0.maxAdmissionsPerPlatformPerHour = 100 }
        defer { certifier.stop() }
        let (_, folder) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        let renewing = Mutex(true)
        let failures = Mutex<[String]>([])
        let loads = Mutex(0)
        let reader = Thread {
            while renewing.withLock({ $0 }) {
                do {
                    let credentials = try RoleCredentials.load(stateDirectory: folder, role: .device)
                    _ = try credentials.clientContext()
                    loads.withLock { $0 += 1 }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        reader.start()
        for _ in 0..<8 { _ = try certifier.attest(.device, TestCertifier.deviceMeasurement, into: folder) }
        // Every renewal happened while the reader read (it loads at least once after the last).
        let seen = loads.withLock { $0 }
        _ = eventually(timeout: .seconds(30)) { loads.withLock { $0 } > seen }
        renewing.withLock { $0 = false }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        #expect(loads.withLock { $0 } > seen)
    }
}

/// A renewed policy's `revocation-poll-seconds` applies to the watch at once (issue 12), not after a restart.
struct RevocationPollIntervalTests {
    @Test func aNewIntervalEndsTheWaitUnderWay() throws {
        let certifier = try TestCertifier()
        let (_, folder) = try certifier.attest(.device, TestCertifier.deviceMeasurement)
        let credentials = try RoleCredentials.load(stateDirectory: folder, role: .device)
        // Each poll of a stopped certifier fails with a warning: the polls are counted by their warnings.
        certifier.stop()
        let logs = LogRecords()
        let watch = RevocationWatch(
            certifierHost: "127.0.0.1", certifierPort: certifier.server.port, policyCertificate: credentials.policyCertificate,
            context: try credentials.clientContext(), interval: 3600, logger: logs.logger(label: "device")) { _ in }
        defer { watch.stop() }
        watch.start()
        #expect(watch.interval == 3600)
        watch.use(context: try credentials.clientContext(), interval: 1)
        #expect(watch.interval == 1)
        // Within the hour's wait that was under way: polled at the new interval, twice.
        let polled = eventually(timeout: .seconds(30)) { logs.messages.filter { $0.hasSuffix("; the list of version 0 stays in force") }.count >= 2 }
        #expect(polled, "\(logs.messages)")
        #expect(logs.messages.contains("the renewed policy polls the revocation list every 1 s (was 3600 s)"))
    }
}
