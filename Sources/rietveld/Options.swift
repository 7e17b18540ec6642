import ArgumentParser
import Foundation
import PowderDiffraction

extension Geometry: ExpressibleByArgument {}
extension ModelConvention: ExpressibleByArgument {}

/// Options shared by every command that models a pattern.
struct ModelOptions: ParsableArguments {
    @Option(help: "Sample geometry: \(Geometry.allCases.map(\.rawValue).joined(separator: ", ")).")
    var geometry: Geometry = .debyeScherrer

    @Option(name: .customLong("mu-r"), help: "Cylinder absorption μR (Debye–Scherrer), held fixed unless a recipe refines it.")
    var muR: Double = 0

    @Option(help: "Numerical conventions: exact, or gsas2 to reproduce GSAS-II (its FCJ quadrature, 50/75-FWHM windows, reflections only inside the data range).")
    var convention: ModelConvention = .exact

    @Option(help: "Threads for one model evaluation (reflections shared out). 1 by default: for patterns of a few thousand points, merging the threads' Jacobians costs more than the second thread saves.")
    var threads = 1

    @Option(name: .customLong("peak-window"), help: "Half-width of each peak's window in FWHMs (GSAS-II: 50 below, 75 above).")
    var peakWindow: Double?

    func validate() throws {
        guard muR.isFinite, muR >= 0 else { throw ValidationError("--mu-r must be zero or positive") }
        if let w = peakWindow { guard w >= 3, w <= 200 else { throw ValidationError("--peak-window must lie between 3 and 200 FWHMs") } }
    }
}

/// A 2θ range START:END:STEP in degrees.
struct TwoThetaRange: ExpressibleByArgument {
    let start: Double, end: Double, step: Double

    init?(argument: String) {
        let f = argument.split(separator: ":").map { Double($0) }
        guard f.count == 3, let s = f[0], let e = f[1], let st = f[2], st > 0, e > s, s > 0, e < 180 else { return nil }
        start = s; end = e; step = st
    }

    var points: [Double] {
        let n = Int(((end - start) / step + 1e-9).rounded(.down)) + 1
        return (0..<n).map { start + Double($0) * step }
    }
}

/// The structure and instrument every refinement command needs.
struct PhaseInputs: ParsableArguments {
    @Option(help: "Structure file (CIF) of the phase.")
    var phase: String

    @Option(help: "Instrument parameter file (GSAS-II .instprm or GSAS .prm).")
    var instrument: String

    @Option(name: .customLong("background-terms"), help: "Number of Chebyshev background terms.")
    var backgroundTerms = 13

    func validate() throws {
        guard (1...40).contains(backgroundTerms) else { throw ValidationError("--background-terms must be between 1 and 40") }
    }
}
