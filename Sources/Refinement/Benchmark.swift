import Foundation
import PowderDiffraction

/// Timings of the engine on a user's data: median, min and max over repeats (seconds).
public struct TimingSummary: Sendable {
    public let median: Double, min: Double, max: Double
    public init(_ samples: [Double]) {
        let s = samples.sorted()
        median = s.isEmpty ? 0 : (s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2]))
        min = s.first ?? 0
        max = s.last ?? 0
    }
}

public enum Benchmark {
    public struct Report: Sendable {
        public let refinement: TimingSummary
        public let model: TimingSummary
        public let jacobian: TimingSummary
        public let repeats: Int
        public let parameters: Int
        public let rwp: Double
    }

    /// Times `repeats` full refinements from the given start, and as many model evaluations (yc alone) and
    /// Jacobian evaluations (yc and ∂yc/∂p for every parameter of the last stage) at the refined values.
    public static func run(model: PatternModel, pattern: Pattern, stages: [RefinementStage], settings: RefinementSettings,
                           repeats: Int) -> Report {
        let clock = ContinuousClock()
        var refinementTimes: [Double] = [], modelTimes: [Double] = [], jacobianTimes: [Double] = []
        var last: RefinementResult?
        for _ in 0..<repeats {
            let start = clock.now
            last = Refiner.refine(model, against: pattern, stages: stages, settings: settings)
            refinementTimes.append((clock.now - start) / .seconds(1))
        }
        let refined = last!.model
        let parameters = stages.last?.parameters ?? []
        for _ in 0..<max(repeats, 10) {
            var start = clock.now
            let y = refined.evaluate()
            modelTimes.append((clock.now - start) / .seconds(1))
            start = clock.now
            let j = refined.evaluate(derivativesFor: parameters)
            jacobianTimes.append((clock.now - start) / .seconds(1))
            withExtendedLifetime((y, j)) {}
        }
        return Report(refinement: TimingSummary(refinementTimes), model: TimingSummary(modelTimes),
                      jacobian: TimingSummary(jacobianTimes), repeats: repeats, parameters: parameters.count,
                      rwp: last!.statistics.rwp)
    }
}
