import CommandSupport
import Foundation

/// Another program run to completion from the bench: `openssl speed`.
enum ProgramRun {
    /// Runs `executable` with `arguments` and returns its exit status and standard output (with its
    /// standard error when `includeErrors`, which is otherwise dropped).
    static func run(_ executable: String, _ arguments: [String], includeErrors: Bool) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = includeErrors ? output : FileHandle.nullDevice
        do {
            try BenchChildren.run(process)
        } catch {
            throw CommandFailure("cannot run \(executable): \(error.localizedDescription)", cause: error)
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
