import ArgumentParser
import ByteKit
import CommandSupport
import Device
import DeviceConsole
import Dispatch
import Logging
import RoleCommands

/// `cml-device console`: the original example's device session as a page in a browser.
struct Console: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the device session as a web page (the keyboard page) on this machine.",
        discussion: """
            Serves the page on --listen (loopback by default; port 0 picks one) and prints \
            `console on http://HOST:PORT`. Open it in a browser: type three letters and see the prediction; type \
            the right word and press Train: the runtime trains on it (ML mode) or this device trains on it and \
            takes part in the next round (FL mode). The page shows the model id and round, and a red banner \
            when this device refused the runtime (its admission is not this domain's). Runs until Ctrl-C. \
            Needs the state of `cml-device attest`.
            """)

    @OptionGroup var connection: RuntimeOptions

    @OptionGroup var renewal: RenewalOptions

    @Option(help: ArgumentHelp("Where the page is served (loopback by default; port 0 picks one).", valueName: "HOST:PORT"))
    var listen = HostPort(host: "127.0.0.1", port: 8130)

    @OptionGroup var session: SessionOptions

    @OptionGroup var logging: LoggingOptions

    func run() throws {
        logging.bootstrap()
        try connection.withKeptDevice(renewal: renewal) { device in try serve(device) }
    }

    /// Serves `device`'s page until SIGINT or SIGTERM.
    private func serve(_ device: Device) throws {
        let keyboard = KeyboardDevice(device: device, mode: session.session)
        let server = KeyboardServer(
            keyboard: keyboard, host: listen.host, port: Int(listen.port), logger: Logger(label: "device"))
        let host = listen.host
        // The server is async and this command is not: serve on the concurrency pool and wait here.
        let done = DispatchSemaphore(value: 0)
        let outcome = ServeOutcome()
        Task {
            do {
                try await server.run { port in
                    StandardOutput.line("console on http://\(hostPortText(host: host, port: UInt16(clamping: port)))")
                    // The page shows the runtime's answer, or its refusal, once the device has asked.
                    Task { await keyboard.connect() }
                }
            } catch {
                outcome.failure = error
            }
            done.signal()
        }
        done.wait()
        if let failure = outcome.failure {
            throw CommandFailure("could not serve the keyboard page on \(listen): \(failure)", cause: failure)
        }
    }
}

/// How the server ended, handed from its task to the waiting command. `@unchecked Sendable`: written
/// once by the task before it signals, read after the wait.
private final class ServeOutcome: @unchecked Sendable {
    var failure: (any Error)?
}
