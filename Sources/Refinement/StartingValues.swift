import Foundation
import PowderDiffraction

/// Starting values the way users start: a flat background at the low end of the counts, and each phase's
/// scale such that its strongest calculated peak reaches an equal share of the strongest observed one.
public enum StartingValues {
    public static func apply(to model: inout PatternModel, pattern: Pattern, backgroundTerms: Int) {
        let sorted = pattern.intensity.sorted()
        let floor = sorted.isEmpty ? 0 : sorted[sorted.count / 10]
        model.background.coefficients = [floor] + Array(repeating: 0, count: max(0, backgroundTerms - 1))
        let obsMax = (sorted.last ?? 0) - floor
        let share = obsMax / Double(max(1, model.phases.count))
        for p in model.phases.indices {
            var alone = model
            alone.background.coefficients = []
            for q in alone.phases.indices { alone.phases[q].scale = q == p ? 1 : 0 }
            let calcMax = alone.evaluate().calculated.max() ?? 0
            model.phases[p].scale = calcMax > 0 && share > 0 ? share / calcMax : 1
        }
    }
}
