import Admission
import Certifier
import Channel
import Foundation
import OpenSSLKit
import Policy
import Protocol
import Testing

/// The certifier's freshness anchors (`anchor-read`, `anchor-advance`) over real TLS: served to an
/// attested runtime only, compare-and-swap, kept in the state folder, creations and conflicts audited.
@Suite struct AnchorServiceTests {
    static let first = AnchorState(version: 0, digest: Array(repeating: 1, count: 32))
    static let second = AnchorState(version: 1, digest: Array(repeating: 2, count: 32))

    /// An anchor client presenting the admission certificate of `role`, attested to `certifier`.
    func client(_ role: Role, of certifier: TestCertifier) throws -> AnchorClient {
        let measurement = role == .runtime ? TestCertifier.runtimeMeasurement : TestCertifier.deviceMeasurement
        let (_, directory) = try certifier.attest(role, measurement)
        let credentials = try RoleCredentials.load(stateDirectory: directory, role: role)
        return AnchorClient(host: "127.0.0.1", port: certifier.server.port, context: try credentials.clientContext())
    }

    @Test func aRuntimeCreatesReadsAndAdvancesItsAnchor() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let runtime = try client(.runtime, of: certifier)
        let fed = certifier.service.policy.document.federationID
        #expect(try runtime.read(federation: fed) == nil)
        try runtime.advance(federation: fed, from: nil, to: Self.first)
        #expect(try runtime.read(federation: fed) == Self.first)
        try runtime.advance(federation: fed, from: Self.first, to: Self.second)
        // An advance whose answer was lost, sent again, finds its result: it succeeded.
        try runtime.advance(federation: fed, from: Self.first, to: Self.second)
        #expect(try runtime.read(federation: fed) == Self.second)
        // Another federation's anchor is not this runtime's to read, create or move: refused, and no
        // file is made for it (a runtime could otherwise fill the certifier's disk with anchors).
        for other in ["fed-2", "victim"] {
            let read = #expect(throws: ChannelError.self) { try runtime.read(federation: other) }
            #expect(read?.code == .notAuthorized)
            #expect(read?.message == "federation \"\(other)\" is not this certifier's: its policy names the federation \"\(fed)\"")
            let create = #expect(throws: ChannelError.self) { try runtime.advance(federation: other, from: nil, to: Self.first) }
            #expect(create?.code == .notAuthorized)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: certifier.state.path(CertifierState.Files.anchors)) == ["\(fed).anchor"])

        // Kept in the state folder: a certifier restarted on it (a new store) holds it.
        #expect(try AnchorStore(directory: certifier.state.path(CertifierState.Files.anchors)).read(federation: fed) == Self.second)
        // Only the creation is audited, with the runtime's serial.
        let audited = try certifier.audit().filter { $0.decision == .anchored }
        #expect(audited.count == 1)
        #expect(audited.first?.role == "runtime" && audited.first?.serial != nil)
        #expect(audited.first?.reasons == ["created the anchor of federation \"\(fed)\" at \(Self.first)"])
    }

    @Test func anAdvanceFromAnotherAnchorIsRefusedAndAudited() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let runtime = try client(.runtime, of: certifier)
        let fed = certifier.service.policy.document.federationID
        try runtime.advance(federation: fed, from: nil, to: Self.first)
        try runtime.advance(federation: fed, from: Self.first, to: Self.second)

        // A runtime started on an older copy of its state advances from what that copy says.
        let third = AnchorState(version: 2, digest: Array(repeating: 3, count: 32))
        let stale = #expect(throws: ChannelError.self) { try runtime.advance(federation: fed, from: Self.first, to: third) }
        #expect(stale?.code == .anchorConflict)
        #expect(stale?.message == "federation \"\(fed)\": the certifier holds \(Self.second), not \(Self.first) as the runtime expected")
        // Creating it again, or going back, is a conflict too.
        #expect(throws: ChannelError.self) { try runtime.advance(federation: fed, from: nil, to: Self.first) }
        let back = #expect(throws: ChannelError.self) { try runtime.advance(federation: fed, from: Self.second, to: Self.first) }
        #expect(back?.message == "federation \"\(fed)\": version 0 does not follow version 1: the counter only goes up")
        #expect(try runtime.read(federation: fed) == Self.second)
        let refused = try certifier.audit().filter { $0.decision == .refused && $0.code == "anchor-conflict" }
        #expect(refused.count == 3)
    }

    @Test func onlyAnAdmittedRuntimeIsServedAndFederationIdsAreChecked() throws {
        let certifier = try TestCertifier()
        defer { certifier.stop() }
        let device = try client(.device, of: certifier)
        let fed = certifier.service.policy.document.federationID
        let asDevice = #expect(throws: ChannelError.self) { try device.read(federation: fed) }
        #expect(asDevice?.code == .notAuthorized)
        #expect(asDevice?.message == "role \"device\" may not connect to the certifier's anchors (allowed: runtime)")
        let advance = #expect(throws: ChannelError.self) { try device.advance(federation: fed, from: nil, to: Self.first) }
        #expect(advance?.code == .notAuthorized)

        // Without a certificate (as an attesting client connects): nonces yes, anchors no.
        let anonymous = try certifier.connect()
        defer { anonymous.close() }
        let error = #expect(throws: ChannelError.self) { try anonymous.request(AnchorReadRequest(federation: fed).frame) }
        #expect(error?.code == .notAuthorized)
        #expect(error?.message.hasPrefix("no client certificate") == true, "\(String(describing: error))")

        let runtime = try client(.runtime, of: certifier)
        let path = #expect(throws: ChannelError.self) { try runtime.read(federation: "../secrets/runtime") }
        #expect(path?.code == .badRequest)
        #expect(path?.message == "\"federation\" \"../secrets/runtime\" \(FederationID.rule)")
        #expect(!FileManager.default.fileExists(atPath: certifier.state.path(CertifierState.Files.anchors)))
    }
}
