import ByteKit
import CommandSupport
import OpenSSLKit
import Policy

/// Reading the inputs of cml-policy, with errors that name the file.
enum PolicyFiles {
    static func read(_ path: String, _ what: String) throws -> [UInt8] {
        do {
            return try FileBytes.read(path)
        } catch {
            throw CommandFailure("\(what) \(error)")
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try FileBytes.writeAtomically(bytes, to: path)
        } catch {
            throw CommandFailure("cannot write \(error)")
        }
    }

    /// A public key from PEM: a public key, or the public half of a private key.
    static func publicKey(_ path: String) throws -> ECPublicKey {
        let text = String(decoding: try read(path, "platform key"), as: UTF8.self)
        do {
            return text.contains("PRIVATE KEY-----") ? try ECPrivateKey(pem: text).publicKey : try ECPublicKey(pem: text)
        } catch {
            throw CommandFailure("platform key \(path): \(error)")
        }
    }

    static func privateKey(_ path: String) throws -> ECPrivateKey {
        do {
            return try ECPrivateKey(pem: String(decoding: try read(path, "policy key"), as: UTF8.self))
        } catch let error as CommandFailure {
            throw error
        } catch {
            throw CommandFailure("policy key \(path): \(error)")
        }
    }

    static func certificate(_ path: String) throws -> Certificate {
        do {
            return try Certificate(pem: String(decoding: try read(path, "policy certificate"), as: UTF8.self))
        } catch let error as CommandFailure {
            throw error
        } catch {
            throw CommandFailure("policy certificate \(path): \(error)")
        }
    }

    /// "3 roles, 2 channels" and the FL rule when there is one.
    static func summary(_ policy: PolicyDocument) -> String {
        var parts = ["\(policy.roles.count) roles", "\(policy.channels.count) channels"]
        if let federated = policy.federated { parts.append("FL \(federated.aggregation.rawValue)") }
        return parts.joined(separator: ", ")
    }
}
