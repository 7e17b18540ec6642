import Foundation
import PowderDiffraction

/// One step of a refinement strategy: which parameters vary, over which 2θ range, with which temporary
/// settings.
public struct RefinementStage: Sendable {
    public var name: String
    public var parameters: [ModelParameter]
    /// Fit only up to this 2θ (degrees) in this stage.
    public var twoThetaMax: Double?
    /// A broadened stage: the model's crystallite size is temporarily capped at this value (µm), and the
    /// pattern is compared after smoothing by the same broadening (see `Pattern.smoothed`). Restored
    /// afterwards unless refined: broadened peaks widen the basin of convergence of the cell.
    public var temporarySize: Double?
    /// Temporary peak window (half-width in FWHMs, both sides) during the stage, restored afterwards: the
    /// broadened stage needs neither the far tails of its wide peaks nor the time they cost.
    public var temporaryPeakWindow: Double?
    /// Cycle limit of this stage (nil: the solver's).
    public var maximumIterations: Int?
    /// A stage that only prepares the next: it stops at a relative χ² change below 1e-4 or shifts below
    /// 0.1 esd, whichever comes first. The last stage of a strategy is never preliminary.
    public var isPreliminary = false
    /// Structural parameters (coordinates, U_iso, occupancies, mixing) of a phase are dropped from this stage
    /// when the phase carries less than `StructureSupport.minimumShare` of the pattern's Bragg intensity:
    /// a minor phase's peaks do not determine its structure.
    public var requiresStructureSupport = false
    /// Crystallite sizes this stage refines start from at most this value (µm): after the broadened stage the
    /// first sharp stage starts from moderately broad peaks, so a phase whose cell is still a little off (a
    /// minor phase's, held while broadened) overlaps its peaks instead of being fitted away.
    public var startSize: Double?
    /// Before this stage, phases are tested for strong preferred orientation (see `TextureDetection`); a
    /// texture found is refined in this stage and every later one.
    public var detectsTexture = false
    /// Before this stage, the cells of the major phases are searched on a coarse grid (see `CellSearch`): for
    /// starts several per cent off.
    public var searchesCell = false

    public init(name: String, parameters: [ModelParameter], twoThetaMax: Double? = nil, temporarySize: Double? = nil,
                temporaryPeakWindow: Double? = nil, maximumIterations: Int? = nil, isPreliminary: Bool = false) {
        self.name = name
        self.parameters = parameters
        self.twoThetaMax = twoThetaMax
        self.temporarySize = temporarySize
        self.temporaryPeakWindow = temporaryPeakWindow
        self.maximumIterations = maximumIterations
        self.isPreliminary = isPreliminary
    }

    /// The 2θ limit and temporary size this stage actually uses when the refinement fits `fitted` of a pattern
    /// spanning `measured`. A limited stage (the broadened one) fits the low-angle part, where a 0.5 % cell
    /// error moves peaks by less than the broadened width — but at least the lower half of the fitted range,
    /// so that a range starting above the limit (`--two-theta-min 60`) still has its points; above the
    /// stage's limit the broadening grows as 1/sinθ so that it still spans the shifts (which grow as tanθ,
    /// the width as 1/cosθ).
    public func window(fitted: ClosedRange<Double>?, measured: ClosedRange<Double>) -> (twoThetaMax: Double?, temporarySize: Double?) {
        guard let l = twoThetaMax else { return (nil, temporarySize) }
        let range = fitted ?? measured
        let first = max(range.lowerBound, measured.lowerBound), end = min(range.upperBound, measured.upperBound)
        let half = first + 0.5 * (end - first)
        guard half > l else { return (l, temporarySize) }
        let r = Double.pi / 360
        return (half, temporarySize.map { $0 * sin(l * r) / sin(half * r) })
    }

    /// The broadened cell stage of a strategy (see `DefaultStrategy`): temporary size, its peak window and a
    /// 2θ limit (nil: the whole fitted range).
    public static func broadened(name: String, parameters: [ModelParameter], wavelength: Double, twoThetaMax: Double?,
                                 maximumIterations: Int? = nil) -> RefinementStage {
        RefinementStage(name: name, parameters: parameters, twoThetaMax: twoThetaMax,
                        temporarySize: DefaultStrategy.broadeningSize(wavelength: wavelength),
                        temporaryPeakWindow: DefaultStrategy.broadenedPeakWindow, maximumIterations: maximumIterations,
                        isPreliminary: true)
    }
}

/// When a phase's structure can be refined: its share of the calculated Bragg intensity.
public enum StructureSupport {
    /// Below 3 % of the net calculated intensity a phase's structure is held (its scale, cell and broadening
    /// still refine). A 20 wt % argyrodite beside a layered oxide carries ~30 %; a 1 wt % coating ~1 %.
    public static let minimumShare = 0.03
    /// A phase's structure is refined only when the pattern resolves at least this many of its peaks per
    /// structural parameter (LiNiO2 in 0.16° steps over 10–62° resolves 8: not enough for O z, three U_iso and
    /// the mixing).
    public static let peaksPerStructuralParameter = 3.0
    /// Size and microstrain together need at least this many resolved peaks (their widths' angular
    /// dependence tells them apart); with fewer, the size alone is refined.
    public static let peaksForStrain = 5
    /// A phase's cell moves in a broadened stage only when it carries at least this share.
    public static let broadenedCellShare = 0.15

    /// Each phase's share of Σ(yc − background) over the fitted points.
    public static func shares(_ e: ModelEvaluation, phases: Int, weights: [Double]) -> [Double] {
        var totals = [Double](repeating: 0, count: phases)
        for (p, y) in e.phaseCalculated.enumerated() {
            for i in y.indices where weights[i] > 0 { totals[p] += y[i] }
        }
        let sum = totals.reduce(0, +)
        return totals.map { sum > 0 ? $0 / sum : 0 }
    }
}
