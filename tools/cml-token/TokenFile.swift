import Attestation
import ByteKit
import CommandSupport
import OpenSSLKit

/// Reading and writing the files of cml-token, with errors that name the file and what is wrong.
enum TokenFile {
    static func read(_ path: String) throws -> [UInt8] {
        do {
            return try FileBytes.read(path, limit: CCAToken.maximumFileSize)
        } catch {
            throw CommandFailure("\(error)", cause: error)
        }
    }

    static func decode(_ path: String) throws -> CCAToken {
        do {
            return try CCAToken(decoding: read(path))
        } catch let error as AttestationError {
            throw CommandFailure("\(path): not a CCA token: \(error.message)")
        }
    }

    /// A private key from the PEM file at `path`; errors name it as `what` (e.g. "platform key").
    static func privateKey(_ path: String, _ what: String) throws -> ECPrivateKey {
        let text: String
        do {
            text = try PEMFile.read(path)
        } catch {
            throw CommandFailure("\(what) \(error)", cause: error)
        }
        do {
            return try ECPrivateKey(pem: text)
        } catch {
            throw CommandFailure("\(what) \(path): \(error)", cause: error)
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try FileBytes.writeAtomically(bytes, to: path)
        } catch {
            throw CommandFailure("cannot write \(error)", cause: error)
        }
    }
}
