public import ArgumentParser
public import Logging

/// `--log-level LEVEL --log-format text|json`: the logging options every long-running command shares.
public struct LoggingOptions: ParsableArguments {
    /// The least severe level logged.
    @Option(help: ArgumentHelp("The least severe events logged: trace, debug, info, notice, warning, error or critical.", valueName: "LEVEL"))
    public var logLevel: Logger.Level = .info

    /// How log lines are written.
    @Option(help: ArgumentHelp("text: one line for people; json: one object per line (time, role, level, message, metadata).", valueName: "FORMAT"))
    public var logFormat: LogFormat = .text

    /// The options as parsed (ArgumentParser fills them in).
    public init() {}

    /// The level in force: `--log-level`, or debug when the command's `--verbose` asks for more.
    public func level(verbose: Bool = false) -> Logger.Level {
        verbose ? min(logLevel, .debug) : logLevel
    }

    /// Sends every logger of this process to standard error in the chosen format; call once, first thing.
    public func bootstrap(verbose: Bool = false) {
        let level = level(verbose: verbose)
        let format = logFormat
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, level: level, format: format) }
    }
}

// The levels' own names are the values of `--log-level`; no other module parses them.
extension Logger.Level: @retroactive ExpressibleByArgument {}
