import ByteKit
import CommandSupport
import Foundation

/// A server the bench runs as a process of its own (`cml-certifier serve`, `cml-runtime serve`), so that
/// its memory and descriptors can be read from /proc without the bench's own in the figures.
final class ServerProcess {
    let process = Process()
    /// The port it printed that it serves on.
    let port: UInt16

    var pid: Int32 { process.processIdentifier }

    /// Starts `executable` with `arguments` (standard error to `log`) and waits for the first line of its
    /// standard output, which must start with `ready` and end with ":PORT".
    init(_ executable: String, _ arguments: [String], log: String, ready: String) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        guard FileManager.default.createFile(atPath: log, contents: nil) else { throw CommandFailure("cannot create \(log)") }
        process.standardError = FileHandle(forWritingAtPath: log)
        let output = Pipe()
        process.standardOutput = output
        try BenchChildren.run(process)
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix(ready), let port = UInt16(text.split(separator: ":").last ?? "") else {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            throw CommandFailure("\(executable) did not start: \"\(text)\" (log: \(log))")
        }
        self.port = port
    }

    /// A figure of /proc/PID/status in MB: "VmRSS" (resident now) or "VmHWM" (the peak).
    func memoryMegabytes(_ field: String) throws -> Double {
        // /proc reports size 0; the bounded read still stops at the limit.
        let status = try FileBytes.readText("/proc/\(pid)/status", limit: FileSizeLimit(bytes: 64 << 10, kind: "a /proc status file"))
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("\(field):") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { throw CommandFailure("no \(field) in /proc/\(pid)/status") }
        return kilobytes / 1024
    }

    /// How many descriptors it has open: its connections, plus a few dozen files, pipes and its listener.
    func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
