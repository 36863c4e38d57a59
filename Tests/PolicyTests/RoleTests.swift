import Foundation
import Policy
import Testing

@Suite struct RoleTests {
    @Test(arguments: ["device", "model-provider", "-", "a", String(repeating: "r", count: 64)])
    func aRoleNameIsOneTo64LowercaseLettersAndHyphens(name: String) throws {
        let role = try #require(Role(rawValue: name))
        #expect(role.rawValue == name)
        #expect(role.description == name)
    }

    @Test(arguments: [
        "", String(repeating: "r", count: 65), "Device", "DEVICE", "device2", "run time", "run_time", "device\n", "rôle", "device.",
    ])
    func anythingElseIsNoRoleName(name: String) {
        #expect(Role(rawValue: name) == nil)
    }

    @Test func theFourRolesAreTheNamesThePolicyAndCertificatesUse() {
        #expect([Role.certifier, .runtime, .provider, .device].map(\.rawValue) == ["certifier", "runtime", "provider", "device"])
        #expect(Role(rawValue: "device") == .device)
        #expect([Role.runtime, .device, .provider].sorted() == [.device, .provider, .runtime])
    }

    @Test func codingChecksTheRule() throws {
        let encoded = try JSONEncoder().encode([Role.device])
        #expect(String(decoding: encoded, as: UTF8.self) == "[\"device\"]")
        #expect(try JSONDecoder().decode([Role].self, from: encoded) == [.device])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Role].self, from: Data("[\"Device\"]".utf8)) }
    }
}
