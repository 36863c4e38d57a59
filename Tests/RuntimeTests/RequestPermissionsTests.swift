import Channel
import Runtime
import Testing

@Test func mlModeServesEachRequestToItsRolesOnly() throws {
    let allowed: [(String, String)] = [("provider", "put-model"), ("provider", "get-model"), ("device", "get-model"), ("device", "train")]
    for role in ["provider", "device", "runtime"] {
        for type in ["put-model", "get-model", "train"] {
            if allowed.contains(where: { $0 == (role, type) }) {
                try RequestPermissions.check(role: role, type: type, mode: .ml)
            } else {
                let error = #expect(throws: ChannelError.self) { try RequestPermissions.check(role: role, type: type, mode: .ml) }
                #expect(error?.code == .notAuthorized)
                #expect(error?.message.hasPrefix("role \"\(role)\" may not send \"\(type)\"") == true)
            }
        }
    }
    let federated = #expect(throws: ChannelError.self) { try RequestPermissions.check(role: "device", type: "await-global", mode: .ml) }
    #expect(federated?.code == .unknownType)
}
