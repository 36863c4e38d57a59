import ByteKit
import Foundation
import Glibc
import Testing

@Suite struct FileBytesTests {
    let limit = FileSizeLimit(bytes: 16, kind: "a test file")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("filebytes-\(UUID().uuidString)").path

    @Test func writesAtomicallyWithTheModeAndReadsBack() throws {
        try FileBytes.makeDirectory("\(folder)/a/b", mode: 0o700)
        #expect(FileBytes.permissions("\(folder)/a/b") == 0o700)
        let path = "\(folder)/a/b/secret"
        try FileBytes.writeAtomically([1, 2, 3], to: path, mode: 0o600)
        #expect(FileBytes.permissions(path) == 0o600)
        #expect(try FileBytes.read(path, limit: limit) == [1, 2, 3])
        try FileBytes.writeAtomically(text: "replaced", to: path, mode: 0o644)
        #expect(FileBytes.permissions(path) == 0o644)
        #expect(try FileBytes.readText(path, limit: limit) == "replaced")
        // No temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(folder)/a/b") == ["secret"])
        try FileBytes.writeInPlace([9], to: path)
        #expect(try FileBytes.read(path, limit: limit) == [9])
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
            try FileBytes.read("\(folder)/missing", limit: limit)
        }
        try FileBytes.makeDirectory(folder)
        #expect(throws: FileError(path: folder, reason: "is a directory, not a regular file (expected a test file)")) {
            try FileBytes.read(folder, limit: limit)
        }
        #expect(throws: FileError(path: "\(folder)/no/file", reason: "no such file or directory")) {
            try FileBytes.writeAtomically([1], to: "\(folder)/no/file")
        }
        try FileBytes.writeAtomically([1], to: "\(folder)/plain")
        #expect(throws: FileError(path: "\(folder)/plain", reason: "is not a directory")) { try FileBytes.makeDirectory("\(folder)/plain") }
        #expect(FileError(path: "p", reason: "r").description == "p: r")
    }

    @Test func refusesAFileOverItsLimitBeforeAllocating() throws {
        try FileBytes.makeDirectory(folder)
        let path = "\(folder)/sparse"
        // 40 GB of holes: allocating it would abort the process.
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 40 << 30)
        try handle.close()
        #expect(throws: FileError(path: path, reason: "is 42949672960 bytes, over the limit of 16 bytes for a test file")) {
            try FileBytes.read(path, limit: limit)
        }
        try FileBytes.writeAtomically([UInt8](repeating: 7, count: 16), to: path)
        #expect(try FileBytes.read(path, limit: limit).count == 16)
        try FileBytes.writeAtomically([UInt8](repeating: 7, count: 17), to: path)
        #expect(throws: FileError(path: path, reason: "is 17 bytes, over the limit of 16 bytes for a test file")) {
            try FileBytes.read(path, limit: limit)
        }
    }

    @Test(arguments: [("/dev/zero", "a character device"), ("/dev/urandom", "a character device"), ("/dev/null", "a character device")])
    func refusesSpecialFiles(path: String, type: String) {
        #expect(throws: FileError(path: path, reason: "is \(type), not a regular file (expected a test file)")) {
            try FileBytes.read(path, limit: limit)
        }
    }

    @Test func refusesAFIFOWithoutWaitingForAWriter() throws {
        try FileBytes.makeDirectory(folder)
        let path = "\(folder)/fifo"
        #expect(mkfifo(path, 0o600) == 0)
        #expect(throws: FileError(path: path, reason: "is a FIFO, not a regular file (expected a test file)")) {
            try FileBytes.read(path, limit: limit)
        }
    }

    @Test func boundsAFileThatReportsSizeZero() throws {
        // /proc files report size 0 and still hold bytes: the read stops one byte past the limit.
        #expect(throws: FileError(path: "/proc/self/maps", reason: "holds more than the limit of 16 bytes for a test file")) {
            try FileBytes.read("/proc/self/maps", limit: limit)
        }
        let small = try FileBytes.readText("/proc/self/maps", limit: FileSizeLimit(bytes: 1 << 20, kind: "maps"))
        #expect(small.count > 16)
    }

    @Test func writeAllWritesEverythingAndNamesTheErrno() throws {
        var pipes: [Int32] = [0, 0]
        #expect(pipe(&pipes) == 0)
        defer { close(pipes[0]) }
        try FileBytes.writeAll([1, 2, 3, 4], to: pipes[1])
        close(pipes[1])
        var buffer = [UInt8](repeating: 0, count: 8)
        #expect(read(pipes[0], &buffer, 8) == 4)
        #expect(Array(buffer.prefix(4)) == [1, 2, 3, 4])
        // The read end of a pipe cannot be written.
        #expect(throws: Errno(rawValue: EBADF)) { try FileBytes.writeAll([1], to: pipes[0]) }
        #expect(Errno(rawValue: ENOENT).description == "no such file or directory")
    }
}

@Suite struct FileErrorTests {
    @Test func aFailedCallKeepsErrnoAndARefusalOfOurOwnHasNone() throws {
        let missing = "/nonexistent-\(UUID().uuidString)"
        let error = #expect(throws: FileError.self) { try FileBytes.read(missing, limit: FileSizeLimit(bytes: 16, kind: "a test file")) }
        #expect(error?.errno == Errno(rawValue: ENOENT))
        #expect(error?.description == "\(missing): \(Errno(rawValue: ENOENT))")
        let directory = #expect(throws: FileError.self) { try FileBytes.read("/", limit: FileSizeLimit(bytes: 16, kind: "a test file")) }
        #expect(directory?.errno == nil)
        #expect(directory?.reason == "is a directory, not a regular file (expected a test file)")
    }
}
