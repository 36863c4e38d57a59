import Attestation
import ByteKit
import OpenSSLKit
import Policy
import Testing

@Suite struct AppraisalTests {
    let fixture = PolicyFixture()

    @Test func admitsTheListedMeasurementForItsRole() throws {
        let verdict = Appraisal.appraise(try fixture.token(rim: fixture.runtime), role: .runtime, policy: try fixture.policy())
        #expect(verdict.isAdmitted)
        #expect(verdict.measurement == fixture.runtime)
        #expect(verdict.reasons == [])
    }

    @Test func refusesAnUnlistedMeasurementNamingWhatIsAccepted() throws {
        let other = [UInt8](repeating: 0x9d, count: 32)
        let verdict = Appraisal.appraise(try fixture.token(rim: other), role: .runtime, policy: try fixture.policy())
        #expect(verdict.reasons == [
            "measurement 9d9d9d9d... is not an accepted runtime measurement in policy \"confidential-ml, ML mode\" (accepted: 5e5e5e5e...)"
        ])
    }

    @Test func aDeviceClaimingTheRuntimeRoleIsToldWhereItBelongs() throws {
        let verdict = Appraisal.appraise(try fixture.token(rim: fixture.device), role: .runtime, policy: try fixture.policy())
        #expect(verdict.reasons == [
            "measurement c4c4c4c4... is not an accepted runtime measurement in policy \"confidential-ml, ML mode\" (accepted: 5e5e5e5e...); it is accepted for device"
        ])
    }

    @Test func refusesAnUnknownRole() throws {
        let verdict = Appraisal.appraise(try fixture.token(rim: fixture.device), role: try #require(Role(rawValue: "admin")), policy: try fixture.policy { $0.name = nil })
        #expect(verdict.reasons == ["role \"admin\" is not in policy v1 (roles: device, runtime); it is accepted for device"])
    }

    @Test func refusesWrongREMsAndPersonalization() throws {
        let rems = [[UInt8]](repeating: [UInt8](repeating: 7, count: 32), count: 4)
        let policy = try fixture.policy {
            $0.roles["runtime"]?.extensibleMeasurements = [rems.map(HexBytes.init)]
            $0.roles["runtime"]?.personalizationValue = HexBytes([UInt8](repeating: 0xaa, count: 64))
        }
        let good = try fixture.token(rim: fixture.runtime, rems: rems, personalization: [UInt8](repeating: 0xaa, count: 64))
        #expect(Appraisal.appraise(good, role: .runtime, policy: policy).isAdmitted)
        let bad = try fixture.token(rim: fixture.runtime)
        #expect(Appraisal.appraise(bad, role: .runtime, policy: policy).reasons == [
            "extensible measurements [00000000..., 00000000..., 00000000..., 00000000...] are not an accepted set for runtime (the policy accepts 1 set)",
            "personalization value 00000000... is not the runtime value the policy requires (aaaaaaaa...)",
        ])
    }

    @Test func checksPlatformReferenceValuesAndListsEveryFailure() throws {
        let token = try fixture.token(rim: fixture.runtime)
        let simulator = try #require(token.platformClaims.softwareComponents.first)
        let matching = try fixture.policy {
            $0.platformReference = PlatformReference(
                lifecycles: [.secured], softwareComponents: [SoftwareComponentReference(type: "cml-sim", measurement: HexBytes(simulator.measurement))],
                config: HexBytes([]))
        }
        #expect(Appraisal.appraise(token, role: .runtime, policy: matching).isAdmitted)

        let failing = try fixture.policy {
            $0.platformReference = PlatformReference(
                lifecycles: [LifecycleRange(min: 0x2000, max: 0x20ff)],
                softwareComponents: [SoftwareComponentReference(type: "RMM", measurement: HexBytes([UInt8](repeating: 1, count: 32)), version: "1.0")],
                config: HexBytes([0xcf]))
        }
        let other = [UInt8](repeating: 0x9d, count: 32)
        #expect(Appraisal.appraise(try fixture.token(rim: other), role: .runtime, policy: failing).reasons == [
            "measurement 9d9d9d9d... is not an accepted runtime measurement in policy \"confidential-ml, ML mode\" (accepted: 5e5e5e5e...)",
            "platform lifecycle 0x3000 (secured) is not an accepted state (accepted: 0x2000-0x20ff)",
            "the platform reports no software component \"RMM\" with measurement 01010101... (version 1.0)",
            "platform config (empty) is not the policy's cf",
        ])
    }

    @Test func aBarePlatformTokenMeasuresNoProgram() throws {
        let token = try fixture.verified(SimulatedPlatform.token(platformKey: fixture.platformKey, rim: fixture.runtime, challenge: [1], format: .platformOnly))
        #expect(token.realmClaims == nil)
        #expect(Appraisal.appraise(token, role: .runtime, policy: try fixture.policy()).reasons == ["the token has no realm token, so it measures no program"])
    }

    @Test func trustAnchorsComeFromThePolicysPlatforms() throws {
        let anchors = try fixture.policy().trustAnchors()
        #expect(anchors == [PlatformTrustAnchor(instanceID: PlatformClaims.instanceID(for: fixture.platformKey.publicKey), key: fixture.platformKey.publicKey)])
        let broken = try fixture.policy { $0.platforms[0].publicKey = "-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n" }
        let error = #expect(throws: PolicyError.self) { try broken.trustAnchors() }
        #expect(error?.path == "platforms[0].public-key")
    }
}
