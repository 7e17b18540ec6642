import ArgumentParser
import Foundation
import Lithiation
import FileSupport
import LithiationIO

@main
struct LithiumMapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lithium-map",
        abstract: "Turn refined cell volumes into lithium content and state of charge through an operando reference curve.",
        subcommands: [BuildCommand.self, LookupCommand.self, PlotCommand.self])

    /// Bad input or usage ends with one line on stderr (no usage block), help and version as usual.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            StandardStreams.failure(message(for: error), program: "lithium-map")
            exit(withError: ExitCode(code.rawValue))
        }
    }
}

func fail(_ body: () throws -> Void) throws {
    do { try body() } catch let e as ExitCode { throw e } catch {
        StandardStreams.err("lithium-map: \(error)\n")
        throw ExitCode.failure
    }
}

func warn(_ message: String) { StandardStreams.err("lithium-map: warning: \(message)\n") }

/// `NAME:LOW:HIGH,…` phase regions in x(Li).
func parseRegions(_ text: String?) throws -> [PhaseRegion]? {
    guard let text else { return nil }
    var out: [PhaseRegion] = []
    for item in text.split(separator: ",") {
        let f = item.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
        guard f.count == 3, let lo = Double(f[1]), let hi = Double(f[2]), lo < hi else {
            throw ValidationError("--regions: expected NAME:LOW:HIGH[,…] with LOW < HIGH, found '\(item)'")
        }
        out.append(PhaseRegion(name: f[0], range: lo...hi))
    }
    return out
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
