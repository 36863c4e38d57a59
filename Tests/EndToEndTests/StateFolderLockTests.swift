import ByteKit
import Foundation
import Testing

/// One process per state folder: a second server on a held folder exits 1 naming the holder and touches
/// nothing; the first serves on; a SIGKILLed holder leaves no stale lock.
@Suite(.serialized)
struct StateFolderLockTests {
    @Test func aSecondRuntimeOnAHeldFolderExitsNamingTheHolderAndTheFirstServesOn() throws {
        let domain = try AdmittedDomain()
        try domain.admit("device")
        let (runtime, port) = try domain.startRuntime()
        defer { runtime.stop() }
        let before = try FileManager.default.contentsOfDirectory(atPath: domain.state("runtime")).sorted()

        let second = try Self.secondServer("cml-runtime", domain.serveArguments())
        #expect(second.status == 1)
        #expect(second.line == "Error: state folder \(domain.state("runtime")) is in use by process \(runtime.pid)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: domain.state("runtime")).sorted() == before)

        // The first one still answers: no model yet is its answer to a device.
        let predict = try Executables.run(
            "cml-device", ["predict", "--runtime", "127.0.0.1:\(port)", "--state", domain.state("device"), "abo"])
        #expect(predict.standardError.contains("no model"), "\(predict.standardError)")
    }

    @Test func aSecondCertifierOnAHeldFolderExitsAndAKilledHolderLeavesNoStaleLock() throws {
        let domain = try Domain()
        let first = try CertifierProcess(domain)
        let second = try Self.secondServer(
            "cml-certifier", ["serve", "--state", domain.state, "--policy", domain.signedPolicy, "--listen", "127.0.0.1:0"])
        #expect(second.status == 1)
        #expect(second.line == "Error: state folder \(domain.state) is in use by process \(first.process.processIdentifier)")
        // The first still admits.
        let admitted = try domain.attest("device", certifier: first)
        #expect(admitted.status == 0, "\(admitted.standardError)")

        // SIGKILL: the kernel drops the lock with the process, so the next certifier starts.
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let next = try CertifierProcess(domain)
        #expect(next.stop().status == 0)
        try? FileManager.default.removeItem(atPath: domain.folder)
    }

    /// Starts a second server and returns its first line (its error, or the line a server that did start
    /// prints) and its exit status (nil if it was serving and had to be stopped).
    static func secondServer(_ name: String, _ arguments: [String]) throws -> (line: String, status: Int32?) {
        let process = try RunningProcess(name, arguments)
        defer { process.stop() }
        let line = try process.waitForLine(timeout: .seconds(30)) {
            $0.hasPrefix("Error: ") || $0.hasPrefix("serving ") || $0.hasPrefix("listening on ")
        }
        return (line, line.hasPrefix("Error: ") ? process.end(timeout: .seconds(10)) : nil)
    }

    @Test func theLockNamesItsHolderAndIsFreeAgainOnceReleased() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cml-lock-\(UUID().uuidString)").path
        try FileBytes.makeDirectory(folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var lock: StateFolderLock? = try StateFolderLock(folder: folder)
        #expect(try FileBytes.readText("\(folder)/lock", limit: FileSizeLimit(bytes: 64, kind: "a lock file")) == "\(getpid())\n")
        // flock locks belong to the open file description: a second open in this process conflicts too.
        let refused = #expect(throws: StateFolderLockError.self) { try StateFolderLock(folder: folder) }
        #expect(refused?.description == "state folder \(folder) is in use by process \(getpid())")
        // The host deletes the lock file under its holder: the folder itself stays locked.
        try FileManager.default.removeItem(atPath: "\(folder)/lock")
        let deleted = #expect(throws: StateFolderLockError.self) { try StateFolderLock(folder: folder) }
        #expect(deleted?.description == "state folder \(folder) is in use by another process")
        withExtendedLifetime(lock) {}
        lock = nil
        #expect(throws: Never.self) { try StateFolderLock(folder: folder) }
        // A link in its place is refused rather than followed.
        try? FileManager.default.removeItem(atPath: "\(folder)/lock")
        try FileManager.default.createSymbolicLink(atPath: "\(folder)/lock", withDestinationPath: "/tmp")
        let link = #expect(throws: StateFolderLockError.self) { try StateFolderLock(folder: folder) }
        #expect(link?.description.hasPrefix("cannot lock the state folder \(folder) (\(folder)/lock): ") == true)
    }
}
