import ArgumentParser
import Foundation

@main
struct RietveldCommand: ParsableCommand {
    /// OpenBLAS starts worker threads when it is loaded, and they spin for a while; the engine's matrices are
    /// small and it parallelizes over reflections or patterns itself. Restart once with
    /// OPENBLAS_NUM_THREADS=1 so that no such threads exist (a no-op with other BLAS libraries), and with
    /// glibc's malloc told to keep large blocks.
    static func main() {
        if getenv("OPENBLAS_NUM_THREADS") == nil {
            setenv("OPENBLAS_NUM_THREADS", "1", 1)
            // Every model evaluation allocates its Jacobian (~0.5 MB for 3000 points × 24 parameters); glibc
            // maps blocks that size afresh and returns heap tops at once, so each evaluation paid page faults
            // (~6 % of a 1000-pattern sequential run). Keep such blocks in the heap (read at process start).
            if getenv("GLIBC_TUNABLES") == nil {
                setenv("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=67108864:glibc.malloc.trim_threshold=268435456", 1)
            }
            let argv = CommandLine.unsafeArgv
            execv("/proc/self/exe", argv)
            _ = argv  // execv returned: run in this process as it is
        }
        Self.main(nil)
    }

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
