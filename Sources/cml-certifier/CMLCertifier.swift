import ArgumentParser

@main
struct CMLCertifier: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cml-certifier",
        abstract: "The certifier: admits the programs a signed policy lists, and keeps an audit log.",
        subcommands: [Init.self, Serve.self])
}
