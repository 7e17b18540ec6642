import ArgumentParser
import FileSupport
import Foundation
import NumericCore

@main
struct RietveldCommand: ParsableCommand {
    /// Parses and runs; a usage or validation error is one line on stderr (`rietveld: …`) with the argument
    /// parser's exit code, help and --version print as usual.
    static func main() {
        ProcessTuning.apply()
        // A closed pipe is a write error reported with the file's name (EPIPE), not a silent death.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            StandardStreams.failure(message(for: error), program: "rietveld")
            Foundation.exit(code.rawValue)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "rietveld",
        abstract: "Rietveld refinement of powder X-ray patterns of layered battery cathodes.",
        discussion: """
            Exit codes: 0 done and converged; 3 the refinement ran but did not converge, or a sequential run \
            flagged a pattern (results are written and marked); 1 bad input (one line on stderr); 64 usage.
            """,
        version: "rietveld 0.4.0",
        subcommands: [RefineCommand.self, SequentialCommand.self, MergeCommand.self, CalibrateCommand.self, BenchCommand.self,
                      SimulateCommand.self, ReflectionsCommand.self, ConvertCommand.self])
}

/// Exit code of a run that finished but did not converge (or flagged patterns): results are written.
let notConvergedExitCode: Int32 = 3

/// Runs a command body; any error becomes one line on stderr (`rietveld: …`) and exit code 1.
func reportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let e as ValidationError {
        StandardStreams.err("rietveld: \(e.message)\n")
        throw ExitCode(64)
    } catch {
        StandardStreams.err("rietveld: \(error)\n")
        throw ExitCode.failure
    }
}

/// Ends a run whose results are written but not trusted: one line on stderr, exit code 3.
func notConverged(_ message: String) -> ExitCode {
    StandardStreams.err("rietveld: \(message)\n")
    return ExitCode(notConvergedExitCode)
}

/// A command-line usage problem that is not caught by the argument parser.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
