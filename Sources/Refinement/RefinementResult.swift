import Crystallography
import Foundation
import NumericCore
import PowderDiffraction

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
    public let correlationThreshold: Double
    public let evaluation: ModelEvaluation
    /// Phases whose scale came out below the detection limit: the refinement stopped there.
    public let undetected: [UndetectedPhase]

    init(model: PatternModel, pattern: Pattern, weights: [Double], parameters: [ModelParameter],
         outcome: LevenbergMarquardt.Outcome?, stages: [StageSummary], seconds: Double,
         correlationThreshold: Double, undetected: [UndetectedPhase], evaluation known: ModelEvaluation? = nil) {
        self.model = model
        self.pattern = pattern
        self.weights = weights
        self.parameters = parameters
        self.stages = stages
        self.iterations = stages.reduce(0) { $0 + $1.iterations }
        self.seconds = seconds
        self.correlationThreshold = correlationThreshold
        self.undetected = undetected
        // `known`: the model's evaluation with its profiles recorded, made by the last stage's layout check.
        let evaluation = known ?? model.evaluate(recordingProfiles: true)
        self.evaluation = evaluation
        let stats = Statistics.compute(observed: pattern.intensity, calculated: evaluation.calculated, background: evaluation.background,
                                       weights: weights, parameters: parameters.count, reflectionShares: evaluation.reflectionProfiles,
                                       reflectionPhases: evaluation.reflections.map(\.phase))
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

    /// What a reader of the numbers must know about how they were obtained (see `Caution`).
    public var cautions: [Caution] {
        var out: [Caution] = []
        if let r = correlation(.zero, .specimenDisplacement) ?? correlation(.zero, .displacementPerpendicular), abs(r) > 0.99 {
            out.append(.offsetsCorrelated(r))
        }
        let fitted = RefinementSettings.fittedRange(pattern, weights: weights)
        if parameters.contains(where: { if case .pattern(.profile) = $0 { return true } else { return false } }),
           let fitted, let why = model.instrument.unphysicalProfile(over: fitted) {
            out.append(.unphysicalProfile(why))
        }
        let lorentzianInstrument = parameters.contains(.profile(.x)) || parameters.contains(.profile(.y))
        let held = model.phases.indices.filter { p in
            model.phases[p].isActive && !parameters.contains(.size(phase: p)) && !parameters.contains(.microstrain(phase: p))
                && !parameters.contains(.phase(p, .stephens(0)))
        }
        if lorentzianInstrument && !held.isEmpty { out.append(.sampleBroadeningHeld(phases: held.map { model.phases[$0].name })) }
        for phase in model.phases where phase.isActive {
            if let lowest = phase.lowestPoleDensity, lowest.value < 0 { out.append(.negativePoleDensity(phase: phase.name, angle: lowest.angle)) }
        }
        return out
    }

    /// The correlation of two refined parameters (nil unless both were refined in the last stage).
    public func correlation(_ a: ModelParameter, _ b: ModelParameter) -> Double? {
        guard let i = parameters.firstIndex(of: a), let j = parameters.firstIndex(of: b), esds[i] > 0, esds[j] > 0 else { return nil }
        return covariance[i, j] / (esds[i] * esds[j])
    }

    /// Converged, with every phase detected.
    public var converged: Bool { termination.isConverged && undetected.isEmpty }

    /// The parameters (or combinations) the data did not determine, if the normal matrix was singular.
    public var degeneracies: [(kind: Degeneracy.Kind, parameters: [ModelParameter])] {
        guard case .singular(let list) = termination else { return [] }
        return list.map { ($0.kind, $0.parameters.map { parameters[$0] }) }
    }

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

    /// A phase's six cell parameters, V and (where the crystal system has it) c/a, with esds from the
    /// covariance of its refined independent parameters.
    public func cell(phase p: Int) -> CellEstimates {
        let phase = model.phases[p]
        let indices = phase.independentLattice.map { parameters.firstIndex(of: .lattice(phase: p, $0)) }
        return phase.cellParametrization.estimates(of: phase.structure.cell) { i, j in
            guard let a = indices[i], let b = indices[j] else { return nil }
            return covariance[a, b]
        }
    }

    /// Cation mixing of a phase, if it has the constraint.
    public func cationMixing(phase p: Int) -> Estimate? {
        guard let v = model.phases[p].cationMixingValue else { return nil }
        return Estimate(v, esd: esd(of: .cationMixing(phase: p)))
    }
}

/// Something about a refinement's numbers that its report must say.
public enum Caution: Sendable, Equatable {
    /// Zero and displacement were both refined and are correlated beyond ±0.99: how the peak offset is split
    /// between them (and the cell) rests on the model of the other aberrations, not on the data.
    case offsetsCorrelated(Double)
    /// The refined profile has a negative Gaussian variance or Lorentzian width somewhere in the fitted range.
    case unphysicalProfile(String)
    /// The instrument's X and Y were refined and these phases' size and microstrain held: with Lorentzian
    /// broadening they are the same functions of θ (1/cosθ, tanθ), so the refined X and Y carry the samples'
    /// broadening too. Calibrate the instrument on a standard to separate them.
    case sampleBroadeningHeld(phases: [String])
    /// A harmonic texture's pole density is negative at this angle (degrees) from its axis: reflections there
    /// would have negative intensities — the series is too short or the texture too strong for it.
    case negativePoleDensity(phase: String, angle: Double)

    public var description: String {
        switch self {
        case .offsetsCorrelated(let r):
            return String(format: "zero and displacement are correlated %+.3f: their split (and the cell) rests on the aberration model, not on the data", r)
        case .unphysicalProfile(let why): return "unphysical instrument profile: \(why)"
        case .sampleBroadeningHeld(let phases):
            return "size and microstrain of \(phases.joined(separator: ", ")) held: the refined X and Y carry the sample's Lorentzian broadening too (calibrate the instrument on a standard to separate them)"
        case let .negativePoleDensity(phase, angle):
            return String(format: "the harmonic texture of %@ has a negative pole density %.0f° from its axis: use a higher order or March–Dollase", phase, angle)
        }
    }
}
