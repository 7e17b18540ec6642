import Foundation
import PowderDiffraction

/// Starting values the way users start: a flat background at the low end of the counts and a scale that
/// puts the strongest calculated peak at the strongest observed one.
public enum StartingValues {
    public static func apply(to model: inout PatternModel, pattern: Pattern, backgroundTerms: Int) {
        let sorted = pattern.intensity.sorted()
        let floor = sorted.isEmpty ? 0 : sorted[sorted.count / 10]
        model.background.coefficients = [floor] + Array(repeating: 0, count: max(0, backgroundTerms - 1))
        for p in model.phases.indices { model.phases[p].scale = 1 }
        let peaks = model.evaluate().calculated.enumerated().map { $0.element - floor }
        let calcMax = peaks.max() ?? 0
        let obsMax = (sorted.last ?? 0) - floor
        if calcMax > 0 && obsMax > 0 {
            for p in model.phases.indices { model.phases[p].scale = obsMax / calcMax }
        }
    }
}
