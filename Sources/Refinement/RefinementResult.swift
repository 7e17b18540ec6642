import Crystallography
import Foundation
import NumericCore
import PowderDiffraction

/// A value with its standard uncertainty (nil when it was not refined or cannot be derived).
public struct Estimate: Sendable, Equatable {
    public var value: Double
    public var esd: Double?
    public init(_ value: Double, esd: Double?) { self.value = value; self.esd = esd }
}

/// The outcome of a refinement: refined model, esds and covariance, statistics, derived quantities.
public struct RefinementResult: Sendable {
    public let model: PatternModel
    public let pattern: Pattern
    public let weights: [Double]
    /// The parameters varied in the last stage (the covariance refers to these).
    public let parameters: [ModelParameter]
    public let values: [Double]
    public let esds: [Double]
    /// Covariance of `parameters`, C = (JᵀWJ)⁻¹ χ²_red (GSAS-II's convention for esds).
    public let covariance: Matrix
    public let statistics: Statistics
    public let termination: TerminationReason
    public let stages: [StageSummary]
    public let iterations: Int
    public let seconds: Double
    public let atBound: [ModelParameter]
    /// Pairs whose correlation exceeds the threshold, largest first.
    public let correlations: [(ModelParameter, ModelParameter, Double)]
    public let evaluation: ModelEvaluation

    init(model: PatternModel, pattern: Pattern, weights: [Double], parameters: [ModelParameter],
         outcome: LevenbergMarquardt.Outcome?, stages: [StageSummary], iterations: Int, seconds: Double,
         correlationThreshold: Double) {
        self.model = model
        self.pattern = pattern
        self.weights = weights
        self.parameters = parameters
        self.stages = stages
        self.iterations = iterations
        self.seconds = seconds
        let evaluation = model.evaluate(recordingProfiles: true)
        self.evaluation = evaluation
        let stats = Statistics.compute(observed: pattern.intensity, calculated: evaluation.calculated, background: evaluation.background,
                                       weights: weights, parameters: parameters.count, reflectionShares: evaluation.reflectionProfiles)
        statistics = stats
        values = parameters.map { model.value(of: $0) }
        let n = parameters.count
        var cov = outcome?.inverseNormalMatrix ?? Matrix(rows: n, columns: n)
        for i in 0..<cov.storage.count { cov.storage[i] *= stats.reducedChiSquared }
        covariance = cov
        esds = (0..<n).map { max(cov[$0, $0], 0).squareRoot() }
        termination = outcome?.termination ?? .converged
        atBound = (outcome?.atBound ?? []).map { parameters[$0] }
        var pairs: [(ModelParameter, ModelParameter, Double)] = []
        for i in 0..<n {
            for j in (i + 1)..<max(i + 1, n) where esds[i] > 0 && esds[j] > 0 {
                let r = cov[i, j] / (esds[i] * esds[j])
                if abs(r) >= correlationThreshold { pairs.append((parameters[i], parameters[j], r)) }
            }
        }
        correlations = pairs.sorted { abs($0.2) > abs($1.2) }
    }

    public var converged: Bool { termination.isConverged }

    /// The esd of a refined parameter, nil if it was not refined in the last stage.
    public func esd(of p: ModelParameter) -> Double? {
        parameters.firstIndex(of: p).map { esds[$0] }
    }

    /// A parameter's value with its esd.
    public func estimate(_ p: ModelParameter) -> Estimate { Estimate(model.value(of: p), esd: esd(of: p)) }

    /// The esd of a derived quantity f(p) from its gradient over the refined parameters: √(∇fᵀ C ∇f).
    public func derivedEsd(gradient: [ModelParameter: Double]) -> Double? {
        var g = [Double](repeating: 0, count: parameters.count)
        var any = false
        for (p, v) in gradient { if let i = parameters.firstIndex(of: p) { g[i] = v; any = true } }
        return any ? max(covariance.quadraticForm(g), 0).squareRoot() : nil
    }

    /// All six cell parameters, volume and c/a of a phase with esds from the covariance (tied parameters
    /// share the esd of the one they follow; V and c/a use the correlations).
    public func cell(phase p: Int) -> [String: Estimate] {
        let phase = model.phases[p]
        let cell = phase.structure.cell
        var out: [String: Estimate] = [:]
        let names = ["a", "b", "c", "alpha", "beta", "gamma"]
        for l in LatticeParameter.allCases {
            let driver = phase.independentLattice.first { phase.dependents(of: $0).contains(l) }
            out[names[l.rawValue]] = Estimate(cell.parameters[l.rawValue], esd: driver.flatMap { esd(of: .lattice(phase: p, $0)) })
        }
        var gradV: [ModelParameter: Double] = [:]
        for l in phase.independentLattice { gradV[.lattice(phase: p, l)] = phase.volumeDerivative(l) }
        out["volume"] = Estimate(cell.volume, esd: derivedEsd(gradient: gradV))
        // c/a: ∂/∂a = −c/a² (a drives b too but c/a does not involve b), ∂/∂c = 1/a.
        var gradRatio: [ModelParameter: Double] = [:]
        if phase.independentLattice.contains(.a) { gradRatio[.lattice(phase: p, .a)] = -cell.c / (cell.a * cell.a) }
        if phase.independentLattice.contains(.c) { gradRatio[.lattice(phase: p, .c)] = 1 / cell.a }
        out["c_over_a"] = Estimate(cell.c / cell.a, esd: derivedEsd(gradient: gradRatio))
        return out
    }

    /// Cation mixing of a phase, if it has the constraint.
    public func cationMixing(phase p: Int) -> Estimate? {
        guard let v = model.phases[p].cationMixingValue else { return nil }
        return Estimate(v, esd: esd(of: .cationMixing(phase: p)))
    }
}
