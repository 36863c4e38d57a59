import Admin
import ArgumentParser
import CommandSupport

@main
struct CMLCertifier: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cml-certifier",
        abstract: "The certifier: admits the programs a signed policy lists, and keeps an audit log.",
        discussion: "Exit codes: 0 success, 1 failure (the message names the file or part that is wrong), 64 usage error.",
        version: ToolVersion.text,
        subcommands: [Init.self, Serve.self, MigrateCommand<CMLCertifier>.self, Audit.self, Revoke.self, Provision.self, Issuer.self, StatusCommand.self])
}
