import ByteKit
import Foundation
import Testing

/// Runs the package's built executables, as a person would from a shell.
enum Executables {
    /// The build products folder (e.g. `.build/debug`): `CML_BIN_DIR` if set, otherwise the folder that
    /// holds the running test bundle, since SwiftPM puts executables beside it.
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["CML_BIN_DIR"] {
            return URL(fileURLWithPath: override)
        }
        var bundle = Bundle.main.bundleURL
        // On Linux the test runner is `<products>/<Package>PackageTests.xctest`; on macOS the bundle sits
        // inside an `.xctest` directory in the same folder.
        while bundle.pathExtension == "xctest" || bundle.lastPathComponent == "Contents" || bundle.lastPathComponent == "MacOS" {
            bundle.deleteLastPathComponent()
        }
        return bundle
    }

    /// The path of executable `name` in the products folder.
    static func path(_ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try #require(FileManager.default.isExecutableFile(atPath: path), "\(name) is not built in \(directory.path)")
        return path
    }

    /// What a finished process left: its exit status and everything it wrote.
    struct Result {
        let status: Int32
        let standardOutput: String
        let standardError: String

        /// The non-empty lines of standard output.
        var lines: [String] { standardOutput.split(separator: "\n").map(String.init) }
    }

    /// Runs executable `name` with `arguments` to completion, in `workingDirectory` if given, with `input`
    /// as its standard input (none: an empty input).
    static func run(_ name: String, _ arguments: [String], workingDirectory: URL? = nil, input: String? = nil) throws -> Result {
        try run(program: URL(fileURLWithPath: try path(name)), arguments, workingDirectory: workingDirectory, input: input)
    }

    /// Runs any program (a built executable, `/usr/bin/env` for a script) with `arguments` to completion.
    static func run(program: URL, _ arguments: [String], workingDirectory: URL? = nil, input: String? = nil) throws -> Result {
        let (process, output, error) = try start(program: program, arguments, workingDirectory: workingDirectory, input: input)
        // Read both pipes before waiting, so a chatty process cannot fill a pipe and stall.
        let errorData = BackgroundRead(error.fileHandleForReading)
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData.wait(), as: UTF8.self))
    }

    /// Starts `program` with `arguments`, its output and errors on pipes, and `input` (none: an empty
    /// input) as its standard input.
    static func start(
        program: URL, _ arguments: [String], workingDirectory: URL? = nil, input: String? = nil
    ) throws -> (Process, output: Pipe, error: Pipe) {
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let inputPipe = input.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        try process.run()
        if let input, let inputPipe {
            // Small inputs fit the pipe's buffer; closing it is the end of the input.
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
            try inputPipe.fileHandleForWriting.close()
        }
        return (process, output, error)
    }

    /// The largest executable a test reads whole (a debug build is tens of MB).
    static let maximumSize = FileSizeLimit(bytes: 1 << 30, kind: "an executable")

    /// The repository root, for data files such as `data/words-short.txt`.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
}

/// Reads a file handle to its end on another thread.
final class BackgroundRead: @unchecked Sendable {
    // Written once by the reading thread before `done` is signalled, read only after waiting on it.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
