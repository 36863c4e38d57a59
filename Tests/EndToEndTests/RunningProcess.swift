import Foundation
import Synchronization
import Testing

/// A built executable running in the background (a server), its output collected line by line as it
/// comes. `stop()` ends it with SIGTERM (SIGKILL if it lingers); so does the end of the value.
final class RunningProcess: Sendable {
    /// What it wrote so far, each stream in its own list.
    private struct Output: Sendable {
        var standardOutput: [String] = []
        var standardError: [String] = []
    }

    /// The output, shared with the threads that read the pipes.
    private final class OutputBox: Sendable {
        let lines = Mutex(Output())

        func withLock<Value>(_ body: (inout Output) -> Value) -> Value {
            lines.withLock { body(&$0) }
        }
    }

    let name: String
    private let process: Process
    private let output = OutputBox()
    private let readers = DispatchGroup()

    /// Starts executable `name` with `arguments`.
    convenience init(_ name: String, _ arguments: [String]) throws {
        try self.init(program: try Executables.path(name), name: name, arguments)
    }

    /// Starts the program at `program` (e.g. a modified copy of an executable), called `name` in failures.
    init(program: String, name: String, _ arguments: [String]) throws {
        self.name = name
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let standardOutput = Pipe(), standardError = Pipe()
        process.standardOutput = standardOutput
        process.standardError = standardError
        try process.run()
        self.process = process
        collect(standardOutput.fileHandleForReading, into: \.standardOutput)
        collect(standardError.fileHandleForReading, into: \.standardError)
    }

    deinit {
        stop()
    }

    /// Its standard output lines so far.
    var standardOutput: [String] { output.withLock { $0.standardOutput } }
    /// Its standard error lines so far.
    var standardError: [String] { output.withLock { $0.standardError } }
    /// Whether it is still running.
    var isRunning: Bool { process.isRunning }
    /// Its process id.
    var pid: Int32 { process.processIdentifier }

    /// Waits (at most `timeout`) for a line on standard output or standard error that `matches`, and returns it.
    func waitForLine(timeout: Duration = .seconds(60), _ matches: (String) -> Bool) throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let lines = output.withLock { $0.standardOutput + $0.standardError }
            if let line = lines.first(where: matches) { return line }
            if !process.isRunning {
                readers.wait()
                if let line = (standardOutput + standardError).first(where: matches) { return line }
                throw ProcessFailure("\(name) exited (\(process.terminationStatus)) before it printed the line awaited:\n\(transcript)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw ProcessFailure("\(name) did not print the line awaited within \(timeout):\n\(transcript)")
    }

    /// The port in the line `serving ... on HOST:PORT` (or any line ending in `HOST:PORT`) that `matches`.
    func waitForPort(timeout: Duration = .seconds(60), _ matches: (String) -> Bool) throws -> UInt16 {
        let line = try waitForLine(timeout: timeout, matches)
        guard let colon = line.lastIndex(of: ":"), let port = UInt16(line[line.index(after: colon)...].prefix { $0.isNumber }) else {
            throw ProcessFailure("no port in \"\(line)\"")
        }
        return port
    }

    /// Sends `signal` and waits (at most `timeout`) for the process to end; returns its exit status or signal.
    @discardableResult
    func end(with signal: Int32 = SIGTERM, timeout: Duration = .seconds(20)) -> Int32? {
        if process.isRunning { kill(process.processIdentifier, signal) }
        return waitForExit(timeout: timeout)
    }

    /// Waits (at most `timeout`) for the process to end by itself; returns its exit status or signal, nil if it still runs.
    func waitForExit(timeout: Duration = .seconds(60)) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        guard !process.isRunning else { return nil }
        readers.wait()
        return process.terminationStatus
    }

    /// Ends it: SIGTERM, then SIGKILL if it is still running after 10 s.
    func stop() {
        if end(with: SIGTERM, timeout: .seconds(10)) == nil { end(with: SIGKILL) }
    }

    /// Everything it wrote, for failure messages.
    var transcript: String {
        output.withLock { "stdout:\n" + $0.standardOutput.joined(separator: "\n") + "\nstderr:\n" + $0.standardError.joined(separator: "\n") }
    }

    private func collect(_ handle: FileHandle, into stream: WritableKeyPath<Output, [String]> & Sendable) {
        readers.enter()
        let thread = Thread { [output, readers] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending += chunk
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending = Data(pending[(newline + 1)...])
                    output.withLock { $0[keyPath: stream].append(line) }
                }
            }
            if !pending.isEmpty {
                let rest = String(decoding: pending, as: UTF8.self)
                output.withLock { $0[keyPath: stream].append(rest) }
            }
            readers.leave()
        }
        thread.start()
    }
}

/// A background process did not do what a test waited for.
struct ProcessFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
