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
