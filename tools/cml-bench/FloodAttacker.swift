import ArgumentParser
import Attestation
import ByteKit
import Channel
import CommandSupport
import Foundation
import OpenSSLKit
import Policy

#if canImport(Glibc)
import Glibc
#endif

/// One attacking process of the flood suite (`cml-bench flood-attacker`, run by the suite, not by hand):
/// it opens `count` connections of one kind to 127.0.0.1:`port` from `source`, says `ready` on standard
/// output (after at most `openSeconds`, with what it opened by then), and holds them until its standard
/// input closes or `seconds` pass, opening again (at most
/// `reconnects` a second) each connection the server closes, as an attacker holding places would.
/// Loopback only, and bounded in count and time. Several processes are needed: the hard limit on open
/// files here is 20,000 per process, and one source address has about 28,000 ports.
struct FloodAttacker: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "flood-attacker", shouldDisplay: false)

    enum Kind: String, ExpressibleByArgument {
        /// Plain TCP that never starts TLS.
        case tcp
        /// TLS with the handshake done, then nothing.
        case tls
        /// TLS, then all of a largest frame (1 MiB) but its last byte; not opened again once closed.
        case frame
    }

    @Option var kind: Kind
    @Option var port: UInt16
    @Option var count: Int
    @Option var source: String
    @Option var seconds = 600
    @Option(help: "The most seconds spent opening the connections; it holds what it opened by then.") var openSeconds = 60
    @Option var reconnects = 1000
    @Option(help: "The domain root (policy.crt), which TLS kinds trust.") var root: String?
    @Option(help: "With the TLS kinds: admit a device at the certifier on this port first, and connect with its certificate.")
    var certifierPort: UInt16?
    @Option var platform: String?
    @Option var measurement: String?

    func validate() throws {
        guard (1...20_000).contains(count) else { throw ValidationError("--count must be 1 to 20000") }
        guard source.hasPrefix("127.") else { throw ValidationError("--source must be a loopback address") }
        guard kind == .tcp || root != nil else { throw ValidationError("--root is needed for \(kind.rawValue)") }
    }

    func run() throws {
        OpenFileLimit.raiseToHardLimit()
        // The attacker would run elsewhere: here it shares the servers' two cores, so it yields to them,
        // and what the figures show is the servers' handling of the connections, not a fight for the CPU.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        let context = try makeContext()
        let frame = withUnsafeBytes(of: UInt32(FrameCodec.defaultMaxFrameSize).bigEndian, Array.init)
            + [UInt8](repeating: 0xA5, count: FrameCodec.defaultMaxFrameSize - 1)
        let open = { () -> Socket? in
            guard let socket = try? TCPConnector.connect(host: "127.0.0.1", port: port, timeout: .seconds(2), from: source) else { return nil }
            guard let context else { return socket }
            guard (try? socket.setTimeouts(receive: .seconds(10), send: .seconds(10))) != nil,
                let tls = try? TLSConnection(context: context, fileDescriptor: socket.fileDescriptor), (try? tls.handshake()) != nil
            else { return nil }
            if kind == .frame, (try? tls.write(frame)) == nil { return nil }
            // The client's TLS state goes here; the server's stays, and the socket is what is held.
            return socket
        }
        var sockets: [Socket?] = []
        var failed = 0
        var consecutiveFailures = 0
        let deadline = ContinuousClock.now + .seconds(seconds)
        let opening = ContinuousClock.now + .seconds(min(openSeconds, seconds))
        while sockets.count < count, consecutiveFailures < 50, ContinuousClock.now < opening {
            let socket = open()
            sockets.append(socket)
            if socket == nil { failed += 1; consecutiveFailures += 1 } else { consecutiveFailures = 0 }
        }
        StandardOutput.line("ready \(sockets.count - failed) \(failed)")
        let reopened = hold(&sockets, until: deadline, open: kind == .frame ? nil : open)
        StandardOutput.line("done \(reopened)")
    }

    /// Watches the sockets and standard input; reopens closed ones with `open`; returns how many it reopened.
    private func hold(_ sockets: inout [Socket?], until deadline: ContinuousClock.Instant, open: (() -> Socket?)?) -> Int {
        var reopened = 0
        var budget = reconnects
        var second = ContinuousClock.now
        var scratch = [UInt8](repeating: 0, count: 16 << 10)
        while ContinuousClock.now < deadline {
            var descriptors = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0)]
                + sockets.map { pollfd(fd: $0?.fileDescriptor ?? -1, events: Int16(POLLIN), revents: 0) }
            guard poll(&descriptors, nfds_t(descriptors.count), 200) >= 0 || errno == EINTR else { break }
            // Standard input readable means it closed (the suite writes nothing): the flood ends.
            if descriptors[0].revents != 0 { break }
            if ContinuousClock.now - second >= .seconds(1) {
                second = .now
                budget = reconnects
            }
            for index in sockets.indices where descriptors[index + 1].revents != 0 {
                guard let socket = sockets[index] else { continue }
                // Whatever the server sent (a session ticket, an error frame) is read raw and dropped.
                if read(socket.fileDescriptor, &scratch, scratch.count) > 0 { continue }
                sockets[index] = nil
            }
            guard let open else { continue }
            for index in sockets.indices where sockets[index] == nil && budget > 0 {
                budget -= 1
                sockets[index] = open()
                if sockets[index] != nil { reopened += 1 }
            }
        }
        return reopened
    }

    private func makeContext() throws -> TLSContext? {
        guard kind != .tcp, let root else { return nil }
        let certificate = try Certificate(pem: try FileBytes.readText(root, limit: FileSizeLimit(bytes: 64 << 10, kind: "a certificate")))
        guard let certifierPort else { return try TLSContext(side: .client, trustedRoot: certificate) }
        guard let platform, let measurement, let bytes = Hex.decode(measurement) else {
            throw ValidationError("--certifier-port needs --platform and --measurement (hex)")
        }
        let platformKey = try SimulatedPlatformFiles.privateKey(in: platform)
        return try BenchAdmission.admit(role: .device, measurement: bytes, port: certifierPort, root: certificate, platformKey: platformKey)
    }
}
