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

@Test func flModeServesEachRequestToItsRolesOnly() throws {
    let allowed: [(String, String)] = [
        ("provider", "put-model"), ("provider", "get-model"), ("device", "get-model"), ("device", "update"), ("device", "await-global"),
    ]
    for role in ["provider", "device", "runtime"] {
        for type in ["put-model", "get-model", "update", "await-global"] {
            if allowed.contains(where: { $0 == (role, type) }) {
                try RequestPermissions.check(role: role, type: type, mode: .fl)
            } else {
                let error = #expect(throws: ChannelError.self) { try RequestPermissions.check(role: role, type: type, mode: .fl) }
                #expect(error?.code == .notAuthorized)
                #expect(error?.message.hasPrefix("role \"\(role)\" may not send \"\(type)\"") == true)
            }
        }
    }
    let train = #expect(throws: ChannelError.self) { try RequestPermissions.check(role: "device", type: "train", mode: .fl) }
    #expect(train?.code == .unknownType)
    #expect(train?.message == "\"train\" is an ML request; this runtime serves FL mode")
    let unknown = #expect(throws: ChannelError.self) { try RequestPermissions.check(role: "device", type: "steal-model", mode: .fl) }
    #expect(unknown?.message == "the runtime does not serve \"steal-model\" (in FL mode it serves put-model, get-model, update, await-global)")
}
