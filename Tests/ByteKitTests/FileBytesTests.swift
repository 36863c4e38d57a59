import ByteKit
import Foundation
import Testing

@Suite struct FileBytesTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("filebytes-\(UUID().uuidString)").path

    @Test func writesAtomicallyWithTheModeAndReadsBack() throws {
        try FileBytes.makeDirectory("\(folder)/a/b", mode: 0o700)
        #expect(FileBytes.permissions("\(folder)/a/b") == 0o700)
        let path = "\(folder)/a/b/secret"
        try FileBytes.writeAtomically([1, 2, 3], to: path, mode: 0o600)
        #expect(FileBytes.permissions(path) == 0o600)
        #expect(try FileBytes.read(path) == [1, 2, 3])
        try FileBytes.writeAtomically(text: "replaced", to: path, mode: 0o644)
        #expect(FileBytes.permissions(path) == 0o644)
        #expect(try FileBytes.readText(path) == "replaced")
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(folder)/a/b") == ["secret"])
        try FileBytes.writeInPlace([9], to: path)
        #expect(try FileBytes.read(path) == [9])
        #expect(FileBytes.exists(path))
        #expect(!FileBytes.exists("\(folder)/nothing"))
        #expect(FileBytes.permissions("\(folder)/nothing") == nil)
    }

    @Test func anExistingFolderIsMadePrivate() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: "\(folder)/state", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        #expect(FileBytes.permissions("\(folder)/state") == 0o755)
        try FileBytes.makeDirectory("\(folder)/state", mode: 0o700)
        #expect(FileBytes.permissions("\(folder)/state") == 0o700)
        // Never widened.
        try FileBytes.makeDirectory("\(folder)/state")
        #expect(FileBytes.permissions("\(folder)/state") == 0o700)
    }

    @Test func errorsNameTheFileAndReason() throws {
        #expect(throws: FileError(path: "\(folder)/missing", reason: "no such file or directory")) {
            try FileBytes.read("\(folder)/missing")
        }
        try FileBytes.makeDirectory(folder)
        #expect(throws: FileError(path: folder, reason: "is a directory")) { try FileBytes.read(folder) }
        #expect(throws: FileError(path: "\(folder)/no/file", reason: "no such file or directory")) {
            try FileBytes.writeAtomically([1], to: "\(folder)/no/file")
        }
        try FileBytes.writeAtomically([1], to: "\(folder)/plain")
        #expect(throws: FileError(path: "\(folder)/plain", reason: "is not a directory")) { try FileBytes.makeDirectory("\(folder)/plain") }
        #expect(FileError(path: "p", reason: "r").description == "p: r")
    }
}
