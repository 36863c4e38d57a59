public import Channel
import Foundation
import Synchronization

/// `openssl s_client`, the real OpenSSL tool, as a client that knows nothing of our code.
public enum SClient {
    /// What one run printed.
    public struct Result: Sendable {
        /// Its exit status.
        public let status: Int32
        /// Its standard output: the session summary, then whatever the server sent.
        public let output: [UInt8]
        /// Its standard error.
        public let standardError: String

        /// The standard output as text.
        public var text: String { String(decoding: output, as: UTF8.self) }

        /// The first `error` frame the server sent, if any.
        public var error: ErrorMessage? {
            let codec = FrameCodec()
            // s_client prints its session summary first; the server's bytes follow it. Try each offset.
            for start in 0..<max(0, output.count - 4) {
                let length = output[start..<(start + 4)].reduce(0) { $0 << 8 | Int($1) }
                guard length > 8, start + 4 + length <= output.count,
                    let message = try? codec.decode(body: Array(output[(start + 4)..<(start + 4 + length)])),
                    message.type == ErrorMessage.type
                else { continue }
                return try? ErrorMessage(message)
            }
            return nil
        }
    }

    /// Runs `openssl s_client` against `127.0.0.1:port` with an empty standard input.
    ///
    /// `-ign_eof` keeps it reading after its input ends, so it prints whatever the server sends until the
    /// server closes.
    public static func run(port: UInt16, arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "s_client", "-connect", "127.0.0.1:\(port)", "-ign_eof"] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Read both pipes before waiting, so a full pipe can never block the tool.
        let errorData = Mutex(Data())
        let reading = DispatchGroup()
        DispatchQueue.global().async(group: reading) {
            errorData.withLock { $0 = errors.fileHandleForReading.readDataToEndOfFile() }
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: [UInt8](outputData),
            standardError: String(decoding: errorData.withLock { $0 }, as: UTF8.self))
    }
}
