import ArgumentParser
import Foundation

@main
struct RietveldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rietveld",
        abstract: "Rietveld refinement of powder X-ray patterns of layered battery cathodes.",
        subcommands: [RefineCommand.self, SequentialCommand.self, CalibrateCommand.self, BenchCommand.self, SimulateCommand.self, ReflectionsCommand.self])
}

/// Runs a command body; any error becomes one line on stderr (`rietveld: …`) and exit code 1.
func reportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data("rietveld: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

/// A command-line usage problem that is not caught by the argument parser.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
