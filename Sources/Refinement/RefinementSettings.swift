import Crystallography
import Foundation
import PowderDiffraction

/// Settings of a refinement beyond its stages.
public struct RefinementSettings: Sendable {
    /// Bounds per parameter (defaults from `defaultBounds` otherwise).
    public var bounds: [ModelParameter: ClosedRange<Double>] = [:]
    /// 2θ regions left out of the fit (degrees).
    public var excludedRegions: [ClosedRange<Double>] = []
    /// The 2θ range fitted (degrees); nil = the whole pattern.
    public var range: ClosedRange<Double>?
    public var solver = LevenbergMarquardt()
    /// Correlations above this magnitude are listed in the result.
    public var correlationThreshold = 0.8
    /// A phase whose refined scale is below this many esds is not detected (its fraction is below the
    /// detection limit): the refinement ends there and names it.
    public var detectionLimitEsds = 3.0
    /// Le Bail phases: extraction passes per stage at most, and LM cycles between two extractions.
    public var leBailPasses = 12, leBailCyclesPerPass = 4

    public init() {}

    /// The bounds a parameter has in this refinement.
    public func bounds(of p: ModelParameter) -> ClosedRange<Double> { bounds[p] ?? Self.defaultBounds(p) }

    /// Physical limits: positive scale, cell, size; U_iso 0–0.1 Å²; microstrain ≥ 0; mixing in [0, 0.5];
    /// occupancies 0–1; U, W, X, Y ≥ 0.
    public static func defaultBounds(_ p: ModelParameter) -> ClosedRange<Double> {
        switch p {
        case .phase(_, let q):
            switch q {
            case .scale: return 0...Double.greatestFiniteMagnitude
            case .lattice(let l): return l.isLength ? 0.5...500 : 10...170
            case .size, .axialSize: return 0.001...100
            case .microstrain, .axialMicrostrain: return 0...1e5
            // S400 and S004 are squares of strains along a and c; the cross terms may be negative.
            case .stephens(let i): return i < 2 ? 0...Double.greatestFiniteMagnitude : -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
            case .uIso: return 0...0.1
            case .cationMixing: return 0...0.5
            case .occupancy: return 0...1
            case .texture: return 0.05...20
            case .harmonic: return -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
            case .position: return -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
            }
        case .pattern(.muR): return 0...50
        // A specimen's absorption depth 1/(2μ) = 0.05 T mm is not negative.
        case .pattern(.transparency): return 0...1e3
        // The Gaussian variance and the Lorentzian width are sums of positive contributions: U, W, X, Y stay
        // ≥ 0 (V is the cross term of the Caglioti form and may be negative; Z is GSAS-II's constant offset).
        case .pattern(.profile(.u)), .pattern(.profile(.w)): return 0...1e4
        case .pattern(.profile(.x)), .pattern(.profile(.y)): return 0...1e3
        // SH/L = 0 removes the asymmetry and with it the derivative; keep it just above.
        case .pattern(.profile(.shl)): return 1e-4...0.2
        // S/L ≤ SH/L (H/L ≥ 0) is kept by `PatternProblem.project`.
        case .pattern(.profile(.sl)): return 1e-5...0.2
        // Soller slits of a laboratory diffractometer: 1–10°, open slits beyond.
        case .pattern(.profile(.soller)): return 0.2...20
        // A fundamental-parameters profile's slit (mm), divergence (°) and axial (S + H)/L: positive widths.
        case .pattern(.profile(.receivingSlit)): return 1e-3...5
        case .pattern(.profile(.divergence)): return 0...5
        case .pattern(.profile(.axialDivergence)): return 1e-4...0.5
        // Tube tails: left of the focus, right of it (mm, within a few mm of a laboratory tube's focus), and a
        // height relative to the focus's.
        case .pattern(.profile(.tailLeft)): return -5...0
        case .pattern(.profile(.tailRight)): return 0...5
        case .pattern(.profile(.tailHeight)): return 0...1
        // An analyser's passband: from narrower than the Kα doublet's splitting to wider than the spectrum, its
        // centre within ±5 % of the primary line.
        case .pattern(.profile(.passbandWidth)): return 1e-4...0.5
        case .pattern(.profile(.passbandOffset)): return -0.05...0.05
        case .pattern: return -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
        }
    }

    /// The 2θ span of the points with weight (nil when none has).
    public static func fittedRange(_ pattern: Pattern, weights: [Double]) -> ClosedRange<Double>? {
        guard let first = weights.firstIndex(where: { $0 > 0 }), let last = weights.lastIndex(where: { $0 > 0 }) else { return nil }
        return pattern.twoTheta[first]...pattern.twoTheta[last]
    }

    /// 1/σ² inside the fitted range (and below `twoThetaMax`), zero outside and in excluded regions.
    public func weights(_ pattern: Pattern, twoThetaMax: Double? = nil) -> [Double] {
        pattern.twoTheta.indices.map { i in
            let x = pattern.twoTheta[i]
            if let r = range, !r.contains(x) { return 0 }
            if let m = twoThetaMax, x > m { return 0 }
            if excludedRegions.contains(where: { $0.contains(x) }) { return 0 }
            let s = pattern.sigma[i]
            return s > 0 && s.isFinite ? 1 / (s * s) : 0
        }
    }
}
