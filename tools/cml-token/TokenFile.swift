import Attestation
import CommandSupport
import Foundation

/// Reading and writing token files, with errors that name the file.
enum TokenFile {
    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure("\(path): cannot read the file")
        }
        return [UInt8](data)
    }

    static func decode(_ path: String) throws -> CCAToken {
        do {
            return try CCAToken(decoding: read(path))
        } catch let error as AttestationError {
            throw CommandFailure("\(path): not a CCA token: \(error.message)")
        }
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CommandFailure("\(path): cannot write the file")
        }
    }
}
