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

    /// With U, V and W refined, the solver works with V's slack above the least value that keeps the Gaussian
    /// variance U tan²θ + V tanθ + W ≥ 0 over the fitted points, q = V − V_min(U, W) ≥ 0, a plain bound (U, W ≥ 0
    /// are bounds too; see `RefinementSettings.defaultBounds`). V_min = −min over tanθ ∈ [t₁, t₂] of (U t + W/t),
    /// at t = √(W/U) when that lies inside, with ∂V_min/∂U = −t, ∂V_min/∂W = −1/t. (Projecting V back after each
    /// step kept the profile physical too, but the solver then crawled along the constraint: 30 cycles without
    /// converging on P2-NaCoO2, where U sits at 0 and the variance reaches zero at the last point.)
    struct VarianceSlack {
        let u: Int, v: Int, w: Int
        let t1: Double, t2: Double

        /// V_min(U, W) and its partials.
        func least(_ p: [Double]) -> (value: Double, dU: Double, dW: Double) { least(u: p[u], w: p[w]) }

        func least(u: Double, w: Double) -> (value: Double, dU: Double, dW: Double) {
            let (u, w) = (max(u, 0), max(w, 0))
            let t = u > 0 ? min(max((w / u).squareRoot(), t1), t2) : t2
            return (-(u * t + w / t), -t, -1 / t)
        }
    }

    let slack: VarianceSlack?

    init(model: PatternModel, parameters: [ModelParameter], observed: [Double], rootWeights: [Double]) {
        self.model = model
        self.parameters = parameters
        self.observed = observed
        self.rootWeights = rootWeights
        if model.instrument.fundamentalParameters == nil,
           let u = parameters.firstIndex(of: .profile(.u)), let v = parameters.firstIndex(of: .profile(.v)),
           let w = parameters.firstIndex(of: .profile(.w)),
           let first = rootWeights.firstIndex(where: { $0 > 0 }), let last = rootWeights.lastIndex(where: { $0 > 0 }) {
            let t = { (tt: Double) in tan(tt * Double.pi / 360) }
            slack = VarianceSlack(u: u, v: v, w: w, t1: t(model.twoTheta[first]), t2: t(model.twoTheta[last]))
        } else {
            slack = nil
        }
    }

    /// The solver's coordinates of model values (V → its slack, at least 0).
    func solverCoordinates(_ p: [Double]) -> [Double] {
        guard let s = slack else { return p }
        var x = p
        x[s.v] = max(0, p[s.v] - s.least(p).value)
        return x
    }

    /// Model values of the solver's coordinates (the slack → V).
    func modelCoordinates(_ x: [Double]) -> [Double] {
        guard let s = slack else { return x }
        var p = x
        p[s.v] = x[s.v] + s.least(x).value
        return p
    }

    /// The solver's outcome in model terms: values, and (JᵀJ)⁻¹ carried through V = q + V_min(U, W).
    func modelOutcome(_ o: LevenbergMarquardt.Outcome) -> LevenbergMarquardt.Outcome {
        guard let s = slack else { return o }
        var out = o
        out.parameters = modelCoordinates(o.parameters)
        let l = s.least(o.parameters)
        // T = ∂(model)/∂(solver) is the identity but for V's row (∂V/∂U, 1, ∂V/∂W): T N Tᵀ changes V's row and
        // column only, each by the U and W rows (columns) of N.
        var product = o.inverseNormalMatrix
        let n = product.rows
        for j in 0..<n { product[s.v, j] += l.dU * product[s.u, j] + l.dW * product[s.w, j] }
        for i in 0..<n { product[i, s.v] += l.dU * product[i, s.u] + l.dW * product[i, s.w] }
        out.inverseNormalMatrix = product
        return out
    }

    /// With S/L refined apart, H/L = SH/L − S/L stays ≥ 1e-5: S/L is lowered to SH/L − 1e-5 when needed.
    func project(_ p: inout [Double]) {
        if let isl = parameters.firstIndex(of: .profile(.sl)) {
            let shl = parameters.firstIndex(of: .profile(.shl)).map { p[$0] } ?? model.instrument.shl
            p[isl] = min(p[isl], shl - 1e-5)
        }
    }

    mutating func setParameters(_ x: [Double]) -> Bool {
        let p = modelCoordinates(x)
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
        if let sl = slack {
            // ∂/∂U and ∂/∂W at fixed slack: V moves with V_min.
            let l = sl.least(u: model.instrument.u, w: model.instrument.w)
            j.storage.withUnsafeMutableBufferPointer { s in
                let base = s.baseAddress!
                let (cu, cv, cw) = (base + sl.u * n, base + sl.v * n, base + sl.w * n)
                for i in 0..<n { cu[i] += l.dU * cv[i]; cw[i] += l.dW * cv[i] }
            }
        }
        return (r, j)
    }
}
