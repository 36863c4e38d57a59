import Channel
import Policy
import Runtime
import Testing

/// Checks every pair of `roles` and `types` in `mode`: those in `allowed` pass, the others are refused
/// with `not-authorized` naming role and request.
private func expectOnly(_ allowed: [(Role, String)], among types: [String], in mode: RuntimeMode) throws {
    for role in [Role.provider, .device, .runtime] {
        for type in types {
            if allowed.contains(where: { $0 == (role, type) }) {
                try RequestPermissions.check(role: role, type: type, mode: mode)
            } else {
                let error = #expect(throws: ChannelError.self) { try RequestPermissions.check(role: role, type: type, mode: mode) }
                #expect(error?.code == .notAuthorized)
                #expect(error?.message.hasPrefix("role \"\(role)\" may not send \"\(type)\"") == true)
            }
        }
    }
}

@Test func mlModeServesEachRequestToItsRolesOnly() throws {
    try expectOnly(
        [(.provider, "put-model"), (.provider, "get-model"), (.device, "get-model"), (.device, "train")],
        among: ["put-model", "get-model", "train"], in: .ml)
    let federated = #expect(throws: ChannelError.self) { try RequestPermissions.check(role: .device, type: "await-global", mode: .ml) }
    #expect(federated?.code == .unknownType)
}

@Test func flModeServesEachRequestToItsRolesOnly() throws {
    try expectOnly(
        [(.provider, "put-model"), (.provider, "get-model"), (.device, "get-model"), (.device, "update"), (.device, "await-global"), (.device, "join")],
        among: ["put-model", "get-model", "update", "await-global", "join"], in: .fl)
    let train = #expect(throws: ChannelError.self) { try RequestPermissions.check(role: .device, type: "train", mode: .fl) }
    #expect(train?.code == .unknownType)
    #expect(train?.message == "\"train\" is an ML request; this runtime serves FL mode")
    let unknown = #expect(throws: ChannelError.self) { try RequestPermissions.check(role: .device, type: "steal-model", mode: .fl) }
    #expect(unknown?.message == "the runtime does not serve \"steal-model\" (in FL mode it serves put-model, get-model, update, await-global, join)")
}
