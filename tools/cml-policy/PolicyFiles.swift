import ByteKit
import CommandSupport
import OpenSSLKit
import Policy

/// Reading the inputs of cml-policy, with errors that name the file.
enum PolicyFiles {
    /// The file at `path`, holding `what`, within `limit` (a policy's unless said otherwise).
    static func read(_ path: String, _ what: String, limit: FileSizeLimit = SignedPolicy.maximumFileSize) throws -> [UInt8] {
        do {
            return try FileBytes.read(path, limit: limit)
        } catch {
            throw CommandFailure("\(what) \(error)", cause: error)
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try FileBytes.writeAtomically(bytes, to: path)
        } catch {
            throw CommandFailure("cannot write \(error)", cause: error)
        }
    }

    /// A public key from PEM: a public key, or the public half of a private key.
    static func publicKey(_ path: String) throws -> ECPublicKey {
        let text = String(decoding: try read(path, "platform key", limit: PEMFile.maximumSize), as: UTF8.self)
        do {
            return text.contains("PRIVATE KEY-----") ? try ECPrivateKey(pem: text).publicKey : try ECPublicKey(pem: text)
        } catch {
            throw CommandFailure("platform key \(path): \(error)", cause: error)
        }
    }

    static func privateKey(_ path: String) throws -> ECPrivateKey {
        try pem(path, "policy key") { text throws(OpenSSLError) in try ECPrivateKey(pem: text) }
    }

    static func certificate(_ path: String) throws -> Certificate {
        try pem(path, "policy certificate") { text throws(OpenSSLError) in try Certificate(pem: text) }
    }

    /// The PEM file at `path`, parsed; errors name it as `what`.
    private static func pem<Value>(_ path: String, _ what: String, _ parse: (String) throws(OpenSSLError) -> Value) throws -> Value {
        let text = String(decoding: try read(path, what, limit: PEMFile.maximumSize), as: UTF8.self)
        do {
            return try parse(text)
        } catch {
            throw CommandFailure("\(what) \(path): \(error)", cause: error)
        }
    }

    /// "3 roles, 2 channels" and the FL rule when there is one.
    static func summary(_ policy: PolicyDocument) -> String {
        var parts = ["\(policy.roles.count) roles", "\(policy.channels.count) channels"]
        if let federated = policy.federated { parts.append("FL \(federated.aggregation.rawValue)") }
        return parts.joined(separator: ", ")
    }
}
