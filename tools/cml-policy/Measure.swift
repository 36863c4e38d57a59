import ArgumentParser
import Attestation
import ByteKit
import CommandSupport

/// `cml-policy measure FILE...`: the measurement the simulated attester reports for each binary.
struct Measure: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prints each binary's measurement (SHA-256 of the file, as the sim attester reports it), then its path.")

    @Argument(help: ArgumentHelp("The binaries to measure.", valueName: "FILE"))
    var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one FILE to measure") }
    }

    func run() throws {
        for file in files {
            do {
                print("\(Hex.encode(try ExecutableMeasurement.of(file: file)))  \(file)")
            } catch {
                throw CommandFailure(error.message)
            }
        }
    }
}
