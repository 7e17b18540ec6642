import Foundation

/// The compositions at the two ends of a two-phase region: where two phases coexist at equilibrium each keeps
/// its boundary composition, and the electrode's x is their mean weighted by molar amounts (the lever rule),
///   x = (n₁ X₁ + n₂ X₂) / (n₁ + n₂),  n_p = w_p / M(X_p),  M(X) = M(host) + X · M(Li).
/// X₁, X₂ are found by least squares over the patterns of an operando run where both phases are present, each
/// with its x from the charge passed and its refined weight fractions. The same relation then maps an
/// electrode's weight fractions to x; a phase's cell volume, nearly constant across the region, does not.
public struct PhaseBoundaries: Sendable, Equatable {
    /// The two phases, in the reference's branch order.
    public let phases: [String]
    /// X₁, X₂: each phase's composition at the boundary of the region.
    public let x: [Double]
    /// Their 2 × 2 covariance (scaled by χ²/dof when that exceeds 1).
    public let covariance: [[Double]]
    /// Patterns the fit used, and its χ²/dof (NaN with two patterns).
    public let patterns: Int
    public let reducedChiSquare: Double

    public init(phases: [String], x: [Double], covariance: [[Double]], patterns: Int, reducedChiSquare: Double) {
        self.phases = phases; self.x = x; self.covariance = covariance; self.patterns = patterns; self.reducedChiSquare = reducedChiSquare
    }

    public func esd(_ k: Int) -> Double { covariance[k][k].squareRoot() }
    public var correlation: Double { covariance[0][1] / max((covariance[0][0] * covariance[1][1]).squareRoot(), .leastNonzeroMagnitude) }
    public func x(of phase: String) -> Double? { phases.firstIndex(of: phase).map { x[$0] } }

    /// One pattern of the fit: its x from the charge (with an esd, often 0) and the two weight fractions.
    public struct Observation: Sendable, Equatable {
        public var x: Measured
        public var weightFractions: [Measured]
        public init(x: Measured, weightFractions: [Measured]) { self.x = x; self.weightFractions = weightFractions }
    }

    /// The lever rule at given boundary compositions: x and its derivatives with respect to X₁, X₂ and w₁, w₂.
    public struct Evaluation: Sendable {
        public let x: Double
        public let molarFractions: [Double]
        public let molarMasses: [Double]
        public let dxdBoundary: [Double]
        public let dxdWeightFraction: [Double]
    }

    /// x = Σ n_p X_p / Σ n_p with n_p = w_p / M(X_p), and analytically
    ///   ∂x/∂w_p = (X_p − x) / (M_p Σn),
    ///   ∂x/∂X_p = (n_p + (X_p − x) ∂n_p/∂X_p) / Σn,  ∂n_p/∂X_p = −w_p M(Li) / M_p².
    /// Any number of phases (the lever rule of the lookup uses it with each phase's own x).
    public static func leverRule(boundaries xs: [Double], weightFractions w: [Double], host: HostFormula) -> Evaluation? {
        let masses = xs.map { host.molarMass(x: $0) }
        let n = zip(w, masses).map { $0 / $1 }
        let total = n.reduce(0, +)
        guard total > 0 else { return nil }
        let x = zip(n, xs).reduce(0) { $0 + $1.0 * $1.1 } / total
        var dX: [Double] = [], dW: [Double] = []
        for p in xs.indices {
            let dndx = -w[p] * host.lithiumMass / (masses[p] * masses[p])
            dX.append((n[p] + (xs[p] - x) * dndx) / total)
            dW.append((xs[p] - x) / (masses[p] * total))
        }
        return Evaluation(x: x, molarFractions: n.map { $0 / total }, molarMasses: masses, dxdBoundary: dX, dxdWeightFraction: dW)
    }

    /// Why a region's boundaries could not be fitted.
    public enum FitFailure: Error, Sendable, Equatable {
        case tooFewPatterns(Int)
        /// The phase fractions hardly change across the patterns (or x does not): the two ends are not separable.
        case fractionsDoNotVary
    }

    /// Weighted least squares (Gauss–Newton on the weak nonlinearity through M(X)) of x_i = lever(X₁, X₂; w_i).
    /// Each pattern's variance is σx_i² + Σ_p (∂x/∂w_p σw_p)². Needs at least two patterns whose fractions differ.
    public static func fit(phases: [String], observations obs: [Observation], host: HostFormula,
                           start: [Double]) -> Result<PhaseBoundaries, FitFailure> {
        guard obs.count >= 2 else { return .failure(.tooFewPatterns(obs.count)) }
        var X = start
        var normal = [[0.0, 0.0], [0.0, 0.0]]
        var chi2 = 0.0
        for _ in 0..<30 {
            normal = [[0, 0], [0, 0]]
            var rhs = [0.0, 0.0]
            chi2 = 0
            for o in obs {
                guard let e = leverRule(boundaries: X, weightFractions: o.weightFractions.map(\.value), host: host) else { continue }
                var variance = o.x.esd * o.x.esd
                for p in 0..<2 { variance += pow(e.dxdWeightFraction[p] * o.weightFractions[p].esd, 2) }
                let weight = 1 / max(variance, 1e-16)
                let r = o.x.value - e.x
                chi2 += weight * r * r
                for j in 0..<2 {
                    rhs[j] += weight * e.dxdBoundary[j] * r
                    for k in 0..<2 { normal[j][k] += weight * e.dxdBoundary[j] * e.dxdBoundary[k] }
                }
            }
            let det = normal[0][0] * normal[1][1] - normal[0][1] * normal[1][0]
            // The two columns (m₁ and m₂ = 1 − m₁ per pattern) are collinear when the fractions do not vary.
            guard det > 1e-10 * normal[0][0] * normal[1][1] else { return .failure(.fractionsDoNotVary) }
            let step = [(normal[1][1] * rhs[0] - normal[0][1] * rhs[1]) / det, (normal[0][0] * rhs[1] - normal[1][0] * rhs[0]) / det]
            X = [X[0] + step[0], X[1] + step[1]]
            if abs(step[0]) + abs(step[1]) < 1e-12 { break }
        }
        let det = normal[0][0] * normal[1][1] - normal[0][1] * normal[1][0]
        let dof = obs.count - 2
        let reduced = dof > 0 ? chi2 / Double(dof) : .nan
        let scale = reduced.isFinite ? max(1, reduced) : 1
        let covariance = [[normal[1][1] / det * scale, -normal[0][1] / det * scale], [-normal[1][0] / det * scale, normal[0][0] / det * scale]]
        return .success(PhaseBoundaries(phases: phases, x: X, covariance: covariance, patterns: obs.count, reducedChiSquare: reduced))
    }
}
