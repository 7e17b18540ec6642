import Foundation
import NumericCore
import PowderDiffraction

/// The least-squares problem of one pattern: the model's parameters against the observed intensities,
/// weighted by 1/σ², on the points of the fitted range.
struct PatternProblem: LeastSquaresProblem {
    var model: PatternModel
    let parameters: [ModelParameter]
    let observed: [Double]
    /// √w per point, zero outside the fitted range and in excluded regions.
    let rootWeights: [Double]

    var parameterCount: Int { parameters.count }
    /// The background's columns are its Chebyshev basis times √w: the same at every evaluation of a stage.
    var constantColumns: [Bool] { parameters.map(\.isBackground) }

    /// Keeps the Gaussian variance U tan²θ + V tanθ + W ≥ 0 over the fitted points when U, V and W are all
    /// refined (U, W ≥ 0 are box bounds; see `RefinementSettings.defaultBounds`): V is raised to the least
    /// value that allows, −min over tanθ ∈ [t₁, t₂] of (U t + W/t) — at t = √(W/U) when that lies inside.
    /// Without it, refining a generic profile on the QPA round robin's mixture ended at U 0, V −6.3, W 6.3:
    /// no Gaussian at all near 90°.
    ///
    /// With S/L refined apart, H/L = SH/L − S/L stays ≥ 1e-5: S/L is lowered to SH/L − 1e-5 when needed.
    func project(_ p: inout [Double]) {
        if let (iu, iv, iw) = varianceIndices, let (t1, t2) = fittedTangents {
            let u = p[iu], w = p[iw]
            let t = u > 0 ? min(max((w / u).squareRoot(), t1), t2) : t2
            p[iv] = max(p[iv], -(u * t + w / t))
        }
        if let isl = parameters.firstIndex(of: .profile(.sl)) {
            let shl = parameters.firstIndex(of: .profile(.shl)).map { p[$0] } ?? model.instrument.shl
            p[isl] = min(p[isl], shl - 1e-5)
        }
    }

    /// Where U, V and W sit among the parameters (nil unless all three are refined).
    var varianceIndices: (Int, Int, Int)? {
        guard let u = parameters.firstIndex(of: .profile(.u)), let v = parameters.firstIndex(of: .profile(.v)),
              let w = parameters.firstIndex(of: .profile(.w)) else { return nil }
        return (u, v, w)
    }

    /// tanθ at the first and last fitted point.
    var fittedTangents: (Double, Double)? {
        guard let first = rootWeights.firstIndex(where: { $0 > 0 }), let last = rootWeights.lastIndex(where: { $0 > 0 }) else { return nil }
        let t = { (tt: Double) in tan(tt * Double.pi / 360) }
        return (t(model.twoTheta[first]), t(model.twoTheta[last]))
    }

    mutating func setParameters(_ p: [Double]) -> Bool {
        do {
            for (i, id) in parameters.enumerated() { try model.setValue(p[i], for: id) }
            return true
        } catch {
            return false
        }
    }

    /// An empty peak layout (see `PatternModel.releasePeakLayout`) is chosen by the first evaluation and
    /// frozen from then on.
    mutating func residuals(jacobian: Bool) -> (residuals: [Double], jacobian: Matrix?) {
        var e = model.evaluate(derivativesFor: jacobian ? parameters : [])
        if model.peakLayout.isEmpty { model.peakLayout = e.peakLayout }
        let n = observed.count
        var r = [Double](repeating: 0, count: n)
        for i in 0..<n { r[i] = rootWeights[i] * (observed[i] - e.calculated[i]) }
        // Taken out of the evaluation, so that weighting it in place does not copy it first.
        guard jacobian, var j = e.jacobian.take() else { return (r, nil) }
        rootWeights.withUnsafeBufferPointer { w in
            j.storage.withUnsafeMutableBufferPointer { s in
                let weight = w.baseAddress!
                for c in 0..<parameters.count {
                    let column = s.baseAddress! + c * n
                    for i in 0..<n { column[i] *= weight[i] }
                }
            }
        }
        return (r, j)
    }
}
