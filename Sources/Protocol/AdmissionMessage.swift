public import Channel
internal import CBORKit

/// `{"type": "admission", "certificate": bstr, "issuer": bstr, "expires": uint, "policy": bstr, "secrets":
/// {text: bstr}}`: the certifier admits a client.
public struct AdmissionMessage: TypedMessage, Equatable {
    /// "admission".
    public static let type = "admission"

    /// The admission certificate (DER).
    public let certificate: [UInt8]
    /// The issuing certificate (DER) that signed it, which the client stores and presents with it; nil
    /// from a certifier older than issuing keys, whose admissions the policy key signed itself.
    public let issuer: [UInt8]?
    /// When it expires, in Unix seconds.
    public let expires: UInt64
    /// The signed policy (COSE_Sign1) the client was admitted under.
    public let policy: [UInt8]
    /// The secrets the policy releases to the client's role, by name.
    public let secrets: [String: [UInt8]]

    /// An admission.
    public init(certificate: [UInt8], issuer: [UInt8]?, expires: UInt64, policy: [UInt8], secrets: [String: [UInt8]]) {
        self.certificate = certificate
        self.issuer = issuer
        self.expires = expires
        self.policy = policy
        self.secrets = secrets
    }

    /// Reads the fields; every secret must be a byte string under a text name.
    public init(fields message: Message) throws(ChannelError) {
        certificate = try message.bytes("certificate")
        issuer = message["issuer"] == nil ? nil : try message.bytes("issuer")
        expires = try message.unsigned("expires")
        policy = try message.bytes("policy")
        var secrets: [String: [UInt8]] = [:]
        for (key, value) in try message.map("secrets") {
            guard let name = key.text else {
                throw ChannelError(.badRequest, "\"secrets\" has a \(key.typeName) key, expected text names")
            }
            guard let bytes = value.bytes else {
                throw ChannelError(.badRequest, "\"secrets\".\(name) must be a byte string, not a \(value.typeName)")
            }
            secrets[name] = bytes
        }
        self.secrets = secrets
    }

    /// The frame; secrets in name order.
    public var frame: Message {
        let entries: [CBORMap.Entry] = secrets.sorted { $0.key < $1.key }.map { (key: .text($0.key), value: .bytes($0.value)) }
        // Names from a dictionary are unique, so the map cannot have duplicate keys.
        let map = (try? CBORMap(entries)) ?? CBORMap()
        var message = Message(
            type: Self.type,
            fields: ["certificate": .bytes(certificate), "expires": .unsigned(expires), "policy": .bytes(policy), "secrets": .map(map)])
        message["issuer"] = issuer.map { .bytes($0) }
        return message
    }
}
