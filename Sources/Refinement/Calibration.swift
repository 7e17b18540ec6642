import Foundation
import PowderDiffraction

/// Instrument calibration on a line-position standard (phase 0): its certified cell is held fixed while zero
/// (and the specimen displacement of a flat plate), the Caglioti U, V, W, the Lorentzian X, Y and the axial
/// divergence SH/L are refined, with the standard's displacement parameters. The sample broadening of the
/// standard is set to (practically) none — size 100 µm, no strain — so that the profile terms describe the
/// instrument alone, and later refinements with the instrument file refine only sample broadening. Further
/// phases (an impurity in the standard) refine their scale, cell, size and strain.
public enum Calibration {
    public static let instrumentalSize = 100.0

    /// A calibration whose fit is worse than this Rwp (%) did not describe the standard: its instrument
    /// file would ruin every later refinement, so none is written.
    public static let acceptableRwp = 30.0

    public static func prepare(_ model: inout PatternModel) {
        model.phases[0].size = instrumentalSize
        model.phases[0].microstrain = 0
        model.instrument.profileStatus = .calibrated
    }

    public static func stages(for model: PatternModel, backgroundTerms: Int) -> [RefinementStage] {
        let background = (0..<backgroundTerms).map { ModelParameter.background(term: $0) }
        let basic = background + model.phases.indices.filter { model.phases[$0].mode == .rietveld }.map { ModelParameter.scale(phase: $0) }
        let offset: [ModelParameter] = model.instrument.geometry == .braggBrentano ? [.zero, .specimenDisplacement] : [.zero]
        let profile = DefaultStrategy.profileWidths(of: model.instrument)
        let asymmetry = DefaultStrategy.asymmetryParameters(of: model.instrument)
        var impurities: [ModelParameter] = []
        for p in model.phases.indices.dropFirst() {
            impurities += model.phases[p].independentLattice.map { .lattice(phase: p, $0) } + [.size(phase: p), .microstrain(phase: p)]
        }
        // The standard's coordinates and U_iso as the default strategy picks them (in a polar group such as
        // zincite's P6_3mc the origin along c floats: its heaviest site holds it).
        let standardStructure = DefaultStrategy.structuralParameters(of: model.phases[0], index: 0)
        let scales = basic.filter { if case .phase(_, .scale) = $0 { return true } else { return false } }
        let impurityCells = impurities.filter { if case .phase(_, .lattice) = $0 { return true } else { return false } }
        return [
            RefinementStage(name: "scale and background", parameters: basic, isPreliminary: true),
            // A generic starting instrument may place the peaks more than a width off: find the offset with
            // broadened peaks first (as the default strategy does for the cell).
            .broadened(name: "offset (broadened peaks)", parameters: scales + offset + impurityCells,
                       wavelength: model.instrument.radiation.wavelength, twoThetaMax: nil, maximumIterations: DefaultStrategy.broadenedCycles),
            RefinementStage(name: "offset", parameters: basic + offset + impurities, isPreliminary: true),
            RefinementStage(name: "profile", parameters: basic + offset + impurities + profile, isPreliminary: true),
            RefinementStage(name: "profile and asymmetry", parameters: basic + offset + impurities + profile + asymmetry, isPreliminary: true),
            RefinementStage(name: "all", parameters: basic + offset + impurities + profile + asymmetry + standardStructure),
        ]
    }

    /// Why a calibration's instrument must not be written, or nil: it did not converge, it does not fit the
    /// standard, or its profile has a negative Gaussian variance or Lorentzian width inside the range.
    public static func rejection(_ r: RefinementResult) -> String? {
        if !r.converged { return "the calibration did not converge (\(r.termination))" }
        if r.statistics.rwp > acceptableRwp {
            return String(format: "Rwp %.1f %% is above %.0f %%: the pattern does not match the standard (wrong material, wavelength or geometry?)", r.statistics.rwp, acceptableRwp)
        }
        if let why = r.model.instrument.unphysicalProfile(over: r.pattern.range) { return "\(why): not a physical profile" }
        return nil
    }
}
