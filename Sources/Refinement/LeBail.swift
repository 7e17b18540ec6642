import Crystallography
import Foundation
import PowderDiffraction

/// Le Bail extraction (Le Bail, Duroy & Fourquet, Mater. Res. Bull. 23 (1988) 447): the intensities of a
/// phase without a structure are set to what Rietveld's partition of the observed pattern gives them,
///
///     I_h(obs) = Σ_i I_h Φ_h(2θ_i) · (yo_i − yb_i) / (yc_i − yb_i),
///
/// summed over the fitted points and over the reflection's emission lines; the new |F|²-like intensity is
/// the old one times I_h(obs) / I_h(calc). Iterated with least squares on the cell and profile, it converges
/// to the intensities that the observed peaks hold, shared between overlapping reflections in proportion to
/// their calculated intensities.
///
/// Extraction needs the reflections near their observed peaks: a reflection placed off its peak gets (almost)
/// no intensity and, once tiny, cannot recover. So the intensities start equal and are extracted only in
/// stages that refine the phase's cell (from the broadened stage on, where a start 0.5 % off still overlaps);
/// before that, the phase's overall level is its scale, refined like any phase's. Where intensities are
/// extracted, the scale is not refined (the two would be one and the same).
public enum LeBail {
    /// Whether this stage extracts: the model has a Le Bail phase whose cell the stage refines.
    static func extracts(in stage: RefinementStage, model: PatternModel) -> Bool {
        model.phases.indices.contains { p in
            model.phases[p].mode == .leBail && model.phases[p].isActive && stage.parameters.contains { $0.phase == p && $0.isLattice }
        }
    }

    /// Drops the scale of Le Bail phases from a stage that extracts their intensities.
    static func prepare(_ stage: inout RefinementStage, model: PatternModel) {
        guard extracts(in: stage, model: model) else { return }
        stage.parameters.removeAll { p in
            if case let .phase(i, .scale) = p { return model.phases[i].mode == .leBail }
            return false
        }
    }

    /// A reflection's intensity never drops below this fraction of the phase's strongest (a negative
    /// partition from noise would otherwise remove the peak for good).
    static let floorFraction = 1e-6

    public static func extract(into model: inout PatternModel, observed: [Double], weights: [Double]) {
        let leBail = model.phases.indices.filter { model.phases[$0].mode == .leBail }
        guard !leBail.isEmpty else { return }
        let e = model.evaluate(recordingProfiles: true)
        var calculated: [Int: [MillerIndex: Double]] = [:], partitioned: [Int: [MillerIndex: Double]] = [:]
        for (k, profile) in e.reflectionProfiles.enumerated() {
            let reflection = e.reflections[k]
            guard model.phases[reflection.phase].mode == .leBail else { continue }
            var ic = 0.0, io = 0.0
            for (i, v) in profile where weights[i] > 0 {
                let net = e.calculated[i] - e.background[i]
                ic += v
                if net > 0 { io += v * (observed[i] - e.background[i]) / net }
            }
            calculated[reflection.phase, default: [:]][reflection.index, default: 0] += ic
            partitioned[reflection.phase, default: [:]][reflection.index, default: 0] += io
        }
        for p in leBail {
            let phase = model.phases[p]
            var updated: [MillerIndex: Double] = [:]
            for (r, reflection) in phase.reflections.enumerated() {
                guard let ic = calculated[p]?[reflection.index], ic > 0, let io = partitioned[p]?[reflection.index] else { continue }
                updated[reflection.index] = phase.leBailIntensities[r] * io / ic
            }
            let strongest = updated.values.max() ?? 0
            for (k, v) in updated { updated[k] = max(v, strongest * floorFraction) }
            model.phases[p].setExtractedIntensities(updated)
        }
    }
}
