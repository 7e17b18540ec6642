import Crystallography
import Foundation
import NumericCore
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

    public init() {}

    /// Physical limits: positive scale, cell, size; microstrain and U_iso not far below zero; mixing in [0, 0.5].
    public static func defaultBounds(_ p: ModelParameter) -> ClosedRange<Double> {
        switch p {
        case .scale: return 0...Double.greatestFiniteMagnitude
        case .lattice(_, let l): return l.rawValue < 3 ? 0.5...500 : 10...170
        case .size: return 0.001...100
        case .microstrain: return 0...1e5
        case .uIso: return -0.01...1
        case .cationMixing: return 0...0.5
        case .occupancy: return 0...1.5
        case .muR: return 0...50
        case .texture: return 0.05...20
        // SH/L = 0 removes the asymmetry and with it the derivative; keep it just above.
        case .profile(.shl): return 1e-4...0.2
        default: return -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
        }
    }
}

/// Runs staged refinements of a pattern model against a pattern.
public enum Refiner {
    /// Refines `model` against `pattern` stage by stage. `progress` receives one line per stage.
    public static func refine(_ model: PatternModel, against pattern: Pattern, stages: [RefinementStage],
                              settings: RefinementSettings = RefinementSettings(),
                              progress: ((String) -> Void)? = nil) -> RefinementResult {
        let clock = ContinuousClock()
        let started = clock.now
        var current = model
        var summaries: [StageSummary] = []
        var totalIterations = 0
        var lastOutcome: LevenbergMarquardt.Outcome?
        var lastParameters: [ModelParameter] = []
        var lastWeights: [Double] = []
        for stage in stages {
            let stageStarted = clock.now
            let weights = Self.weights(pattern, settings: settings, twoThetaMax: stage.twoThetaMax)
            var restoreSize: [(Int, Double)] = []
            if let size = stage.temporarySize {
                for p in current.phases.indices where !stage.parameters.contains(.size(phase: p)) {
                    restoreSize.append((p, current.phases[p].size))
                    current.phases[p].size = min(current.phases[p].size, size)
                }
            }
            // Chebyshev terms span the whole pattern: fitted on part of it they are free to run away beyond
            // the stage's 2θ limit, so such a stage uses its background but leaves the one it started with.
            let limited = stage.twoThetaMax.map { $0 < (pattern.twoTheta.last ?? 0) } ?? false
            let restoreBackground = limited ? current.background.coefficients : nil
            let restoreWindow = (current.windowLowFWHMs, current.windowHighFWHMs)
            if let w = stage.temporaryPeakWindow {
                current.windowLowFWHMs = min(current.windowLowFWHMs, w)
                current.windowHighFWHMs = min(current.windowHighFWHMs, w)
            }
            current.releasePeakLayout()
            // A stage that broadens the model compares it with the pattern broadened alike (see
            // `Pattern.smoothed`); its Rwp is against those smoothed intensities.
            var observed = pattern.intensity
            if let size = stage.temporarySize, let phase = current.phases.first {
                observed = pattern.smoothed(bySize: size, wavelength: current.instrument.radiation.wavelength, sizeMix: phase.sizeMix,
                                            reach: stage.temporaryPeakWindow ?? current.windowLowFWHMs, include: { weights[$0] > 0 }).intensity
            }
            var problem = PatternProblem(model: current, parameters: stage.parameters, observed: observed,
                                         rootWeights: weights.map { $0.squareRoot() })
            let start = stage.parameters.map { current.value(of: $0) }
            let bounds = stage.parameters.map { settings.bounds[$0] ?? RefinementSettings.defaultBounds($0) }
            var solver = settings.solver
            if let limit = stage.maximumIterations { solver.maximumIterations = limit }
            if stage.isPreliminary {
                solver.requireBothCriteria = false
                solver.chiSquaredTolerance = 1e-4
                solver.shiftTolerance = 0.1
            }
            let outcome = solver.minimize(&problem, start: start, lower: bounds.map(\.lowerBound), upper: bounds.map(\.upperBound),
                                                   names: stage.parameters.map { current.name(of: $0) })
            current = problem.model
            for (p, size) in restoreSize { current.phases[p].size = size }
            (current.windowLowFWHMs, current.windowHighFWHMs) = restoreWindow
            if let b = restoreBackground { current.background.coefficients = b }
            totalIterations += outcome.iterations
            let n = weights.filter { $0 > 0 }.count
            let rwp = 100 * (outcome.chiSquared / max(zip(weights, observed).reduce(0) { $0 + $1.0 * $1.1 * $1.1 }, 1e-300)).squareRoot()
            summaries.append(StageSummary(name: stage.name, parameters: stage.parameters.count, iterations: outcome.iterations,
                                          rwp: rwp, termination: outcome.termination))
            progress?("stage \(summaries.count)/\(stages.count) \(stage.name): \(stage.parameters.count) parameters, \(outcome.iterations) cycles, Rwp \(String(format: "%.3f", rwp)) % over \(n) points, \(outcome.termination), \(String(format: "%.1f", (clock.now - stageStarted) / .milliseconds(1))) ms")
            lastOutcome = outcome
            lastParameters = stage.parameters
            lastWeights = weights
        }
        // The result keeps the last stage's reflections and peak layout: its statistics and covariance describe
        // exactly the model that was fitted.
        let seconds = (clock.now - started) / .seconds(1)
        return RefinementResult(model: current, pattern: pattern, weights: lastWeights, parameters: lastParameters,
                                outcome: lastOutcome, stages: summaries, iterations: totalIterations, seconds: seconds,
                                correlationThreshold: settings.correlationThreshold)
    }

    /// 1/σ² inside the fitted range, zero outside and in excluded regions.
    static func weights(_ pattern: Pattern, settings: RefinementSettings, twoThetaMax: Double?) -> [Double] {
        pattern.twoTheta.indices.map { i in
            let x = pattern.twoTheta[i]
            if let r = settings.range, !r.contains(x) { return 0 }
            if let m = twoThetaMax, x > m { return 0 }
            if settings.excludedRegions.contains(where: { $0.contains(x) }) { return 0 }
            let s = pattern.sigma[i]
            return s > 0 && s.isFinite ? 1 / (s * s) : 0
        }
    }
}

/// What one stage did.
public struct StageSummary: Sendable {
    public let name: String
    public let parameters: Int
    public let iterations: Int
    /// Rwp in % over the stage's range.
    public let rwp: Double
    public let termination: TerminationReason
}
