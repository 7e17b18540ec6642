import Foundation
import PowderDiffraction

/// Instrument calibration on a line-position standard: the certified cell is held fixed while zero (and the
/// specimen displacement of a flat plate), the Caglioti U, V, W, the Lorentzian X, Y and the axial
/// divergence SH/L are refined, with the standard's displacement parameters. The sample broadening is set to
/// (practically) none — size 100 µm, no strain — so that the profile terms describe the instrument alone,
/// and later refinements with the instrument file refine only sample broadening.
public enum Calibration {
    public static let instrumentalSize = 100.0

    public static func prepare(_ model: inout PatternModel) {
        for p in model.phases.indices {
            model.phases[p].size = instrumentalSize
            model.phases[p].microstrain = 0
        }
    }

    public static func stages(for model: PatternModel, backgroundTerms: Int) -> [RefinementStage] {
        let background = (0..<backgroundTerms).map { ModelParameter.background(term: $0) }
        let basic = background + model.phases.indices.map { ModelParameter.scale(phase: $0) }
        let offset: [ModelParameter] = model.instrument.geometry == .braggBrentano ? [.zero, .specimenDisplacement] : [.zero]
        let profile: [ModelParameter] = [.u, .v, .w, .x, .y].map { .profile($0) }
        var structure: [ModelParameter] = []
        for (p, phase) in model.phases.enumerated() {
            for s in phase.sites.indices {
                structure.append(.uIso(phase: p, site: s))
                for axis in phase.siteSymmetries[s].coordinates.freeComponents { structure.append(.position(phase: p, site: s, axis: axis)) }
            }
        }
        var stages = [
            RefinementStage(name: "scale and background", parameters: basic),
            RefinementStage(name: "offset", parameters: basic + offset),
            RefinementStage(name: "profile", parameters: basic + offset + profile),
            RefinementStage(name: "profile and asymmetry", parameters: basic + offset + profile + [.profile(.shl)]),
            RefinementStage(name: "all", parameters: basic + offset + profile + [.profile(.shl)] + structure),
        ]
        for i in stages.indices.dropLast() { stages[i].isPreliminary = true }
        return stages
    }
}
