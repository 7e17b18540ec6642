import Foundation
import PowderDiffraction
import Refinement
import Workflow

/// The repository's root (tests read its `patterns/` and `structures/`).
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A repository file's absolute path (an absolute path is returned as it is).
public func repositoryPath(_ relative: String) -> String { relative.hasPrefix("/") ? relative : repositoryRoot.appendingPathComponent(relative).path }

/// A refinement set-up from repository files, as `rietveld refine` makes it.
public func loadSetup(pattern: String, phases: [String], instrument: String, geometry: Geometry = .debyeScherrer,
                      convention: ModelConvention = .exact, backgroundTerms: Int = 13, range: (Double?, Double?) = (nil, nil),
                      muR: Double = 0, leBail: [String] = [], uniaxial: [String] = [],
                      statedGeometry: Bool = true, block: String? = nil) throws -> RefinementSetup {
    var options = Workflow.ModelOptions()
    options.block = block
    options.useStatedGeometry = statedGeometry
    options.geometry = geometry
    options.convention = convention
    options.backgroundTerms = backgroundTerms
    options.range = range
    options.muR = muR
    options.leBail = leBail
    options.uniaxial = uniaxial
    let inputs = try phases.map { try PhaseInput(argument: $0.contains("=") ? $0.replacingOccurrences(of: "=", with: "=" + repositoryRoot.path + "/") : repositoryPath($0)) }
    return try RefinementSetup.load(pattern: repositoryPath(pattern), phases: inputs, instrument: repositoryPath(instrument), options: options)
}

extension Double {
    /// |self − other| ≤ tolerance × max(|self|, |other|) (swift-numerics' relative approximate equality).
    public func isApproximatelyEqual(to other: Double, relativeTolerance tolerance: Double) -> Bool {
        self == other || Swift.abs(self - other) <= tolerance * Swift.max(Swift.abs(self), Swift.abs(other))
    }

    /// |self − other| ≤ tolerance.
    public func isApproximatelyEqual(to other: Double, absoluteTolerance tolerance: Double) -> Bool {
        Swift.abs(self - other) <= tolerance
    }
}
