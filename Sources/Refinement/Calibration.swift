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

    /// An instrument's Gaussian variance and Lorentzian width are sums of positive contributions: U, W, X, Y
    /// stay ≥ 0 (V is the cross term of the Caglioti form and may be negative).
    public static let bounds: [ModelParameter: ClosedRange<Double>] = [
        .profile(.u): 0...1e4, .profile(.w): 0...1e4, .profile(.x): 0...1e3, .profile(.y): 0...1e3,
    ]

    public static func prepare(_ model: inout PatternModel) {
        model.phases[0].size = instrumentalSize
        model.phases[0].microstrain = 0
    }

    public static func stages(for model: PatternModel, backgroundTerms: Int) -> [RefinementStage] {
        let background = (0..<backgroundTerms).map { ModelParameter.background(term: $0) }
        let basic = background + model.phases.indices.filter { model.phases[$0].mode == .rietveld }.map { ModelParameter.scale(phase: $0) }
        let offset: [ModelParameter] = model.instrument.geometry == .braggBrentano ? [.zero, .specimenDisplacement] : [.zero]
        let profile: [ModelParameter] = [.u, .v, .w, .x, .y].map { .profile($0) }
        var impurities: [ModelParameter] = []
        for p in model.phases.indices.dropFirst() {
            impurities += model.phases[p].independentLattice.map { .lattice(phase: p, $0) } + [.size(phase: p), .microstrain(phase: p)]
        }
        let standardStructure = model.phases[0].sites.indices.flatMap { s in
            [ModelParameter.uIso(phase: 0, site: s)] + model.phases[0].siteSymmetries[s].coordinates.freeComponents.map { .position(phase: 0, site: s, axis: $0) }
        }
        let scales = basic.filter { if case .phase(_, .scale) = $0 { return true } else { return false } }
        return [
            RefinementStage(name: "scale and background", parameters: basic, isPreliminary: true),
            // A generic starting instrument may place the peaks more than a width off: find the offset with
            // broadened peaks first (as the default strategy does for the cell).
            .broadened(name: "offset (broadened peaks)", parameters: scales + offset + impurities.filter { if case .phase(_, .lattice) = $0 { return true } else { return false } },
                       wavelength: model.instrument.radiation.wavelength, twoThetaMax: nil, maximumIterations: DefaultStrategy.broadenedCycles),
            RefinementStage(name: "offset", parameters: basic + offset + impurities, isPreliminary: true),
            RefinementStage(name: "profile", parameters: basic + offset + impurities + profile, isPreliminary: true),
            RefinementStage(name: "profile and asymmetry", parameters: basic + offset + impurities + profile + [.profile(.shl)], isPreliminary: true),
            RefinementStage(name: "all", parameters: basic + offset + impurities + profile + [.profile(.shl)] + standardStructure),
        ]
    }

    /// Why a calibration's instrument must not be written, or nil: it did not converge, it does not fit the
    /// standard, or its profile has a negative Gaussian variance or Lorentzian width inside the range.
    public static func rejection(_ r: RefinementResult) -> String? {
        if !r.converged { return "the calibration did not converge (\(r.termination))" }
        if r.statistics.rwp > acceptableRwp {
            return String(format: "Rwp %.1f %% is above %.0f %%: the pattern does not match the standard (wrong material, wavelength or geometry?)", r.statistics.rwp, acceptableRwp)
        }
        let inst = r.model.instrument
        for tt in [r.pattern.range.lowerBound, r.pattern.range.upperBound] + stride(from: r.pattern.range.lowerBound, to: r.pattern.range.upperBound, by: 1).map({ $0 }) {
            let t = tan(tt * Double.pi / 360), c = cos(tt * Double.pi / 360)
            let variance = inst.u * t * t + inst.v * t + inst.w
            let gamma = inst.x / c + inst.y * t + inst.z
            if variance < 0 { return String(format: "the refined Gaussian variance U tan²θ + V tanθ + W is negative at 2θ = %.1f° (U %.3g, V %.3g, W %.3g): not a physical profile", tt, inst.u, inst.v, inst.w) }
            if gamma < 0 { return String(format: "the refined Lorentzian width X/cosθ + Y tanθ is negative at 2θ = %.1f° (X %.3g, Y %.3g): not a physical profile", tt, inst.x, inst.y) }
        }
        return nil
    }
}
