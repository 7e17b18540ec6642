import Foundation
import PowderDiffraction

/// Agreement indices of a fit, R values in %.
///
/// Rp = Σ|yo − yc| / Σ yo; Rwp = √(Σ w (yo − yc)² / Σ w yo²); Rexp = √((N − P) / Σ w yo²);
/// GOF = Rwp / Rexp; χ²_red = Σ w (yo − yc)² / (N − P); R_Bragg = Σ |Io − Ic| / Σ Io over reflections, with
/// Io partitioned from yo − background in proportion to each reflection's share of yc − background
/// (Rietveld's approximation); Durbin–Watson d = Σ (Δᵢ − Δᵢ₋₁)² / Σ Δᵢ² with Δ = √w (yo − yc).
public struct Statistics: Sendable, Equatable {
    public var rp: Double
    public var rwp: Double
    public var rexp: Double
    public var gof: Double
    public var reducedChiSquared: Double
    public var rBragg: Double
    /// R_Bragg of each phase's reflections alone (in %, by phase index).
    public var rBraggByPhase: [Double]
    public var durbinWatson: Double
    public var points: Int
    public var parameters: Int

    /// `reflectionShares[k]` is line k's contribution to each point it covers, `reflectionPhases[k]` its phase.
    public static func compute(observed: [Double], calculated: [Double], background: [Double], weights: [Double],
                               parameters: Int, reflectionShares: [[(index: Int, value: Double)]] = [],
                               reflectionPhases: [Int] = []) -> Statistics {
        var sumAbs = 0.0, sumObs = 0.0, sumW = 0.0, sumWObs = 0.0
        var dwNum = 0.0, dwDen = 0.0
        var previous: Double?
        var n = 0
        for i in observed.indices where weights[i] > 0 {
            n += 1
            let d = observed[i] - calculated[i]
            sumAbs += abs(d)
            sumObs += abs(observed[i])
            sumW += weights[i] * d * d
            sumWObs += weights[i] * observed[i] * observed[i]
            let wd = weights[i].squareRoot() * d
            if let p = previous { dwNum += (wd - p) * (wd - p) }
            dwDen += wd * wd
            previous = wd
        }
        let dof = Double(max(1, n - parameters))
        let rwp = (sumW / max(sumWObs, 1e-300)).squareRoot()
        let rexp = (dof / max(sumWObs, 1e-300)).squareRoot()
        let phases = (reflectionPhases.max() ?? -1) + 1
        var io = 0.0, ioMinusIc = 0.0
        var phaseIo = [Double](repeating: 0, count: phases), phaseDiff = phaseIo
        // Each point's observed Bragg intensity per calculated one, (yo − yb)/(yc − yb), once per point (the
        // lines' windows cover the points many times over); 0 where the point has no Bragg intensity.
        var ratio = [Double](repeating: 0, count: reflectionShares.isEmpty ? 0 : observed.count)
        for i in ratio.indices where weights[i] > 0 {
            let net = calculated[i] - background[i]
            if net > 0 { ratio[i] = (observed[i] - background[i]) / net }
        }
        for (k, shares) in reflectionShares.enumerated() {
            var ic = 0.0, obs = 0.0
            for (i, v) in shares where weights[i] > 0 {
                ic += v
                obs += v * ratio[i]
            }
            io += abs(obs)
            ioMinusIc += abs(obs - ic)
            if k < reflectionPhases.count {
                phaseIo[reflectionPhases[k]] += abs(obs)
                phaseDiff[reflectionPhases[k]] += abs(obs - ic)
            }
        }
        return Statistics(rp: 100 * sumAbs / max(sumObs, 1e-300), rwp: 100 * rwp, rexp: 100 * rexp, gof: rwp / rexp,
                          reducedChiSquared: sumW / dof, rBragg: io > 0 ? 100 * ioMinusIc / io : 0,
                          rBraggByPhase: (0..<phases).map { phaseIo[$0] > 0 ? 100 * phaseDiff[$0] / phaseIo[$0] : 0 },
                          durbinWatson: dwDen > 0 ? dwNum / dwDen : 0, points: n, parameters: parameters)
    }
}
