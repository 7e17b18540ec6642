import Crystallography
import Foundation
import PowderDiffraction
import Refinement

/// The pattern, model and settings of a refinement, read from the user's files.
public struct RefinementSetup: Sendable {
    public var pattern: Pattern
    public var model: PatternModel
    public var settings: RefinementSettings

    /// GSAS-II's defaults for a new phase: size 1 µm, microstrain 1000 × 10⁻⁶.
    public static let defaultSize = 1.0, defaultMicrostrain = 1000.0

    public static func load(pattern patternPath: String, phase phasePath: String, instrument instrumentPath: String,
                            geometry: Geometry, muR: Double, convention: ModelConvention = .exact, backgroundTerms: Int,
                            range: (Double?, Double?), block: String? = nil) throws -> RefinementSetup {
        let pattern = try PatternFile.read(URL(fileURLWithPath: patternPath), block: block)
        let structure = try StructureCIF.read(URL(fileURLWithPath: phasePath))
        let instrument = try InstrumentFile.read(URL(fileURLWithPath: instrumentPath), geometry: geometry)
        let low = range.0 ?? pattern.twoTheta.first!, high = range.1 ?? pattern.twoTheta.last!
        guard low < high, low <= pattern.twoTheta.last!, high >= pattern.twoTheta.first! else {
            throw RietveldIOError.malformed(file: patternPath, line: 1,
                                            "2θ range \(low)–\(high)° lies outside the data (\(pattern.twoTheta.first!)–\(pattern.twoTheta.last!)°)")
        }
        let fitted = pattern.restricted(to: low, high)
        var model = try Simulation.makeModel(structure: structure, instrument: instrument, twoTheta: fitted.twoTheta, scale: 1,
                                             background: [], size: defaultSize, microstrain: defaultMicrostrain, muR: muR,
                                             convention: convention)
        StartingValues.apply(to: &model, pattern: fitted, backgroundTerms: backgroundTerms)
        return RefinementSetup(pattern: fitted, model: model, settings: RefinementSettings())
    }
}
