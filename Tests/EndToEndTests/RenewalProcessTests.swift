import Admission
import Channel
import Attestation
import Foundation
import Logging
import Policy
import Protocol
import Synchronization
import Testing

/// Admissions that renew themselves (issue 12, item 2), with real processes and a 20 s admission lifetime.
@Suite(.serialized)
struct RenewalProcessTests {
    /// A domain whose admissions last 20 s, with the runtime serving ML mode anchored at the certifier and
    /// renewing with the sim attester, and the provider's model sent.
    func renewingDomain() throws -> (domain: AdmittedDomain, runtime: RunningProcess, port: UInt16) {
        let domain = try AdmittedDomain {
            $0.replacingOccurrences(of: "\"admission-lifetime-seconds\": 3600", with: "\"admission-lifetime-seconds\": 20")
        }
        try domain.admit("provider")
        let runtime = try RunningProcess("cml-runtime", domain.serveArguments())
        let port = try runtime.waitForPort { $0.hasPrefix("serving ML mode on ") }
        let model = domain.path("initial.cmlm")
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["train", "--seed", "42", "--words", MLProcessTests.words, "--epochs", "1", "--out", model]))
        try AdmittedDomain.check(
            try Executables.run("cml-provider", ["send", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("provider"), model]))
        return (domain, runtime, port)
    }

    /// A device client with the device's admission, attesting the device again when less than 8 s of it are left
    /// (the devices here do not renew themselves: the runtime's renewal is under test).
    func device(_ domain: AdmittedDomain, port: UInt16) throws -> RuntimeClient {
        var credentials = try? RoleCredentials.load(stateDirectory: domain.state("device"), role: .device)
        if credentials.map({ $0.certificate.notAfter.timeIntervalSinceNow < 8 }) ?? true {
            try domain.admit("device")
            credentials = try RoleCredentials.load(stateDirectory: domain.state("device"), role: .device)
        }
        return RuntimeClient(host: "127.0.0.1", port: port, context: try #require(credentials).clientContext())
    }

    @Test func aRuntimeServingSeventySecondsRenewsWithoutAFailedRequest() throws {
        let (domain, runtime, port) = try renewingDomain()
        defer { runtime.stop() }
        // A connection opened before the first renewal stays usable after it.
        let early = try device(domain, port: port)
        defer { early.close() }
        let firstSerial = try early.connect().serialNumber
        _ = try early.getModel()
        var failures: [String] = []
        var runtimeSerials: Set<[UInt8]> = [firstSerial]
        let start = ContinuousClock.now
        var usedEarlyAfterRenewal = false
        while ContinuousClock.now - start < .seconds(70) {
            let client = try device(domain, port: port)
            do {
                runtimeSerials.insert(try client.connect().serialNumber)
                _ = try client.getModel()
            } catch {
                failures.append("\(ContinuousClock.now - start): \(error)")
            }
            client.close()
            if !usedEarlyAfterRenewal, runtimeSerials.count > 1 {
                usedEarlyAfterRenewal = true
                // The device's own certificate on this connection is still valid (re-admitted within 8 s of its end).
                do { _ = try early.getModel() } catch { failures.append("the connection opened before the renewal: \(error)") }
            }
            Thread.sleep(forTimeInterval: 2)
        }
        #expect(failures.isEmpty, "\(failures)\n\(runtime.transcript)")
        let renewals = runtime.standardError.filter { $0.contains("renewed the admission of runtime") }
        #expect(renewals.count >= 2, "\(runtime.transcript)")
        #expect(runtimeSerials.count >= 3, "the devices saw \(runtimeSerials.count) runtime certificates")
        #expect(usedEarlyAfterRenewal)
        // Renewed in memory: the runtime's folder holds its sealed state and lock, no key, certificate or secret.
        let kept = try FileManager.default.contentsOfDirectory(atPath: domain.state("runtime")).filter { !$0.hasPrefix(".") }
        #expect(Set(kept).isSubset(of: ["sealed", "lock"]), "\(kept)")
    }

    @Test func aDeviceSessionLongerThanItsAdmissionRenewsAndConnectsWithTheNewCertificate() throws {
        let (domain, runtime, port) = try renewingDomain()
        defer { runtime.stop() }
        try domain.admit("device")
        let state = domain.state("device")
        let credentials = try RoleCredentials.load(stateDirectory: state, role: .device)
        let client = RuntimeClient(host: "127.0.0.1", port: port, context: try credentials.clientContext())
        defer { client.close() }
        let contexts = client.context
        let renewedSerials = RenewedSerials()
        let renewal = AdmissionRenewal(
            role: .device, certifierHost: "127.0.0.1", certifierPort: domain.certifier.port, policyCertificate: credentials.policyCertificate,
            // The policy admits cml-device's measurement, not this test's.
            attester: try SimulatedAttester(
                platformKey: SimulatedPlatformFiles.privateKey(in: domain.domain.platform),
                measurement: ExecutableMeasurement.of(file: Executables.path("cml-device"))),
            stateDirectory: state,
            logger: Logger(label: "device", factory: { _ in SwiftLogNoOpLogHandler() })
        ) { fresh in
            renewedSerials.add(fresh.certificate.serialNumberHex)
            if let context = try? fresh.clientContext() { contexts.replace(with: context) }
        }
        renewal.start(current: credentials.certificate)
        defer { renewal.stop() }
        // Past the first certificate's end: each request on a new connection, which must present the renewed one.
        let end = credentials.certificate.notAfter.addingTimeInterval(6)
        var failures: [String] = []
        while Date() < end {
            do { _ = try client.getModel() } catch { failures.append("\(Date()): \(error)") }
            client.close()
            Thread.sleep(forTimeInterval: 2)
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(renewal.renewals >= 1)
        // (Read from the renewal, not from the folder, which a renewal in progress may be rewriting.)
        #expect(!renewedSerials.serials.isEmpty && !renewedSerials.serials.contains(credentials.certificate.serialNumberHex))
    }
}

/// The serials of the renewed admissions, as the renewal's thread hands them over.
private final class RenewedSerials: Sendable {
    private let seen = Mutex<[String]>([])
    func add(_ serial: String) { seen.withLock { $0.append(serial) } }
    var serials: [String] { seen.withLock { $0 } }
}
