public import Channel
import Protocol
public import Policy

/// Which role may send which request to the runtime, in which mode (docs/protocol.md, "Runtime").
public enum RequestPermissions {
    /// The roles allowed to send each request type that ML mode serves.
    public static let ml: [(type: String, roles: Set<Role>)] = [
        (PutModelRequest.type, [.provider]),
        (GetModelRequest.type, [.device, .provider]),
        (TrainRequest.type, [.device]),
    ]

    /// The roles allowed to send each request type that FL mode serves.
    public static let fl: [(type: String, roles: Set<Role>)] = [
        (PutModelRequest.type, [.provider]),
        (GetModelRequest.type, [.device, .provider]),
        (UpdateRequest.type, [.device]),
        (AwaitGlobalRequest.type, [.device]),
        (JoinRequest.type, [.device]),
    ]

    /// Checks that `role` may send a request of `type` in `mode`: `unknown-type` for a type the mode does
    /// not serve, `not-authorized` naming role and request otherwise.
    public static func check(role: Role, type: String, mode: RuntimeMode) throws(ChannelError) {
        let table = permissions(for: mode)
        guard let allowed = table.first(where: { $0.type == type })?.roles else {
            for other in RuntimeMode.allCases where other != mode && permissions(for: other).contains(where: { $0.type == type }) {
                throw ChannelError(.unknownType, "\"\(type)\" is an \(other.rawValue.uppercased()) request; this runtime serves \(mode)")
            }
            let served = table.map(\.type).joined(separator: ", ")
            throw ChannelError(.unknownType, "the runtime does not serve \"\(type)\" (in \(mode) it serves \(served))")
        }
        guard allowed.contains(role) else {
            throw ChannelError(
                .notAuthorized,
                "role \"\(role)\" may not send \"\(type)\" (only \(allowed.sorted().map(\.rawValue).joined(separator: " or ")) may)")
        }
    }

    private static func permissions(for mode: RuntimeMode) -> [(type: String, roles: Set<Role>)] {
        switch mode {
        case .ml: ml
        case .fl: fl
        }
    }
}
