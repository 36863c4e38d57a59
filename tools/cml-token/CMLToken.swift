import ArgumentParser
import CommandSupport

@main
struct CMLToken: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cml-token",
        abstract: "Inspects, verifies and makes Arm CCA attestation tokens.",
        discussion: """
            Tokens may be in either outer form (tag 399, or tag 907 as a CMW collection), with any realm \
            profile, or a bare platform token. Exit codes: 0 success (verified), 1 rejected or not a token, \
            64 usage error.
            """,
        version: ToolVersion.text,
        subcommands: [Inspect.self, Verify.self, Make.self])
}
