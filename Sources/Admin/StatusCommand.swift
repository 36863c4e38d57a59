public import ArgumentParser
import CommandSupport

/// `status --admin HOST:PORT [--json]`: fetches a serving role's /status and prints it, readably or as
/// the JSON. The same for the certifier and the runtime.
public struct StatusCommand: ParsableCommand {
    /// `status`.
    public static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print the status of a serving certifier or runtime, fetched from its admin endpoint (--admin-listen of serve).",
        discussion: "Exits 1, naming the address, when nothing answers there.")

    @Option(help: ArgumentHelp("The admin endpoint (`serve --admin-listen`); a bare PORT means 127.0.0.1.", valueName: "HOST:PORT"))
    var admin: AdminAddress

    @Flag(help: "Print the status as JSON, as /status serves it.")
    var json = false

    /// Options as parsed.
    public init() {}

    /// Fetches and prints.
    public func run() throws {
        let body: [UInt8]
        do {
            body = try AdminClient.get("/status", host: admin.host, port: admin.port)
        } catch {
            throw CommandFailure(error.message, cause: error)
        }
        if json {
            StandardOutput.line(String(decoding: body, as: UTF8.self))
            return
        }
        do {
            StandardOutput.line(try StatusReport.text(of: body))
        } catch {
            throw CommandFailure("the status from \(admin): \(error.message)", cause: error)
        }
    }
}
