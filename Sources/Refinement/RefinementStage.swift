import Foundation
import PowderDiffraction

/// One step of a refinement strategy: which parameters vary, over which 2θ range, with which temporary
/// settings.
public struct RefinementStage: Sendable {
    public var name: String
    public var parameters: [ModelParameter]
    /// Fit only up to this 2θ (degrees) in this stage.
    public var twoThetaMax: Double?
    /// Temporary crystallite size (µm) during the stage, restored afterwards unless refined: broadened
    /// peaks widen the basin of convergence of the cell.
    public var temporarySize: Double?
    /// Temporary peak window (half-width in FWHMs, both sides) during the stage, restored afterwards: the
    /// broadened stage needs neither the far tails of its wide peaks nor the time they cost.
    public var temporaryPeakWindow: Double?
    /// Cycle limit of this stage (nil: the solver's).
    public var maximumIterations: Int?
    /// A stage that only prepares the next: it stops at a relative χ² change below 1e-4 or shifts below
    /// 0.1 esd, whichever comes first. The last stage of a strategy is never preliminary.
    public var isPreliminary = false

    public init(name: String, parameters: [ModelParameter], twoThetaMax: Double? = nil, temporarySize: Double? = nil,
                maximumIterations: Int? = nil) {
        self.name = name
        self.parameters = parameters
        self.twoThetaMax = twoThetaMax
        self.temporarySize = temporarySize
        self.maximumIterations = maximumIterations
    }
}

/// The default strategy for a single phase (layered oxides and others alike):
/// scale + background → scale + zero (capillary) or specimen displacement (flat plate) + cell with broadened
/// peaks on 2θ ≤ 60°, against the pattern smoothed by the same broadening (`Pattern.smoothed`), background held
/// → cell, size and strain over the whole pattern → free coordinates, U_iso per site, cation mixing → all
/// together. All but the last stage stop early (see `isPreliminary`).
///
/// Why the smoothing: a model broadened to ~0.3° against sharp measured peaks fits badly (Rwp ~50 %), and its
/// χ² surface is so flat and uneven that the cell zig-zagged for the whole stage (8 cycles at the limit from a
/// start 0.5 % off). Broadening the data alike makes the stage a good fit (Rwp ~5 %) that converges in 4–6
/// cycles to within ~0.1 % of the cell, so the next stage needs fewer cycles too.
public enum DefaultStrategy {
    /// Size (µm) that broadens the peaks to a Lorentzian FWHM of about 0.3° (λ/D = 0.005 rad) while the cell
    /// first moves: wider than the peak shifts of a 0.5 % cell error up to 2θ ≈ 60° (2 tanθ × 0.005 rad).
    public static func broadeningSize(wavelength: Double) -> Double { wavelength / (0.005 * 1e4) }

    /// The broadened stage fits 2θ ≤ 60°, where a 0.5 % cell error moves peaks by less than the broadened
    /// width; the next stage takes the whole pattern.
    public static let broadenedTwoThetaMax = 60.0

    /// Window of the broadened stage in FWHMs: ±8 FWHM of a 0.3° Lorentzian still spans the peak shifts of a
    /// 0.5 % cell error and keeps ~96 % of its area; the model's 30 FWHM would make each peak ~1200 points wide.
    public static let broadenedPeakWindow = 8.0

    public static func stages(for model: PatternModel, backgroundTerms: Int, refineStructure: Bool = true,
                              refineProfile: Bool = true) -> [RefinementStage] {
        var stages: [RefinementStage] = []
        let background = (0..<backgroundTerms).map { ModelParameter.background(term: $0) }
        var basic: [ModelParameter] = background
        // One peak-offset term by default: the zero for a capillary (Debye–Scherrer, usually centred), the
        // specimen displacement for a flat plate (Bragg–Brentano), whose zero comes from the calibrated
        // instrument. Refined together they are nearly degenerate with the cell over a limited 2θ range;
        // a recipe can still ask for both.
        var cell: [ModelParameter] = model.instrument.geometry == .braggBrentano ? [.specimenDisplacement] : [.zero]
        let displacement: [ModelParameter] = []
        var profile: [ModelParameter] = []
        var structure: [ModelParameter] = []
        for (p, phase) in model.phases.enumerated() {
            basic.append(.scale(phase: p))
            cell += phase.independentLattice.map { .lattice(phase: p, $0) }
            // A fundamental-parameters profile has no microstrain term (yet): size only.
            profile += model.instrument.fundamentalParameters == nil ? [.size(phase: p), .microstrain(phase: p)] : [.size(phase: p)]
            for s in phase.sites.indices {
                for axis in phase.siteSymmetries[s].coordinates.freeComponents { structure.append(.position(phase: p, site: s, axis: axis)) }
                structure.append(.uIso(phase: p, site: s))
            }
            if phase.cationMixing != nil { structure.append(.cationMixing(phase: p)) }
        }
        stages.append(RefinementStage(name: "scale and background", parameters: basic))
        // The background stays at the whole-pattern fit of the first stage: smoothing keeps a smooth
        // background as it is, and terms fitted on 2θ ≤ 60° alone would be free to run away above it.
        let scales = basic.filter { if case .scale = $0 { return true } else { return false } }
        stages.append(RefinementStage(name: "cell (broadened peaks)", parameters: scales + cell,
                                      twoThetaMax: broadenedTwoThetaMax,
                                      temporarySize: broadeningSize(wavelength: model.instrument.radiation.wavelength),
                                      maximumIterations: 8))
        stages[stages.count - 1].temporaryPeakWindow = broadenedPeakWindow
        cell += displacement
        var all = basic + cell
        if refineProfile { all += profile }
        stages.append(RefinementStage(name: refineProfile ? "cell, size and strain" : "cell", parameters: all))
        if refineStructure && !structure.isEmpty {
            stages.append(RefinementStage(name: "structure", parameters: basic + structure))
            all += structure
        }
        stages.append(RefinementStage(name: "all together", parameters: all))
        for i in stages.indices.dropLast() { stages[i].isPreliminary = true }
        return stages
    }
}
