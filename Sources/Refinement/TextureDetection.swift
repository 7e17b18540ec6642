import Crystallography
import Foundation
import PowderDiffraction

/// Finds strong preferred orientation before a structure is refined (where a structure would otherwise absorb
/// it: P2-NaxCoO2's 00l texture drove O z from ~0.09 to 0.03).
///
/// For each phase, March–Dollase along each axis that suits its crystal system (`candidateAxes`) is fitted
/// with the scales, background and the structures (coordinates, U_iso, mixing of the supported phases), and
/// compared with the same fit without it — so that a texture is kept only for what the structure cannot
/// explain (before the structure is refined, its start values leave intensity errors a texture would soak
/// up). The best axis is kept when it lowers χ² by at least `minimumImprovement` × χ²_red — a 5σ
/// improvement for one added parameter — and its ratio differs from 1 by more than 3 esd and by more than
/// `minimumEffect`. A layered oxide's platelets give 00l; a rolled aluminium foil 100.
public enum TextureDetection {
    /// Δχ² / χ²_red needed to keep a texture (χ² with one degree of freedom: 25 is 5σ).
    public static let minimumImprovement = 25.0
    /// A March–Dollase ratio within this of 1 changes intensities by a few per cent at most: not worth a
    /// parameter.
    public static let minimumEffect = 0.03
    /// Phases resolving fewer peaks than this are not tested (the ratio of their intensities says nothing).
    public static let minimumPeaks = 2

    /// Axes (reciprocal-lattice directions) tried for a crystal system.
    public static func candidateAxes(_ system: CrystalSystem) -> [MillerIndex] {
        switch system {
        case .cubic: return [MillerIndex(1, 0, 0), MillerIndex(1, 1, 1), MillerIndex(1, 1, 0)]
        case .hexagonal, .trigonal, .tetragonal: return [MillerIndex(0, 0, 1), MillerIndex(1, 0, 0)]
        case .orthorhombic, .monoclinic, .triclinic: return [MillerIndex(0, 0, 1), MillerIndex(0, 1, 0), MillerIndex(1, 0, 0)]
        }
    }

    /// A texture kept for a phase.
    public struct Finding: Sendable, Equatable {
        public let phase: Int
        public let axis: MillerIndex
        public let ratio: Double
        /// Δχ² / χ²_red of the fit with it against the fit without.
        public let significance: Double
    }

    /// Tests every active Rietveld phase that has no texture yet; returns the textures worth keeping (and sets
    /// them in `model`: axis and ratio).
    static func detect(in model: inout PatternModel, pattern: Pattern, settings: RefinementSettings) -> [Finding] {
        var base = model.background.coefficients.indices.map { ModelParameter.background(term: $0) }
            + model.phases.indices.filter { model.phases[$0].isActive }.map { ModelParameter.scale(phase: $0) }
        for (p, phase) in model.phases.enumerated() where phase.isActive && Double(model.resolvedPeaks(phase: p)) >= StructureSupport.peaksPerStructuralParameter * Double(DefaultStrategy.structuralParameters(of: phase, index: p).count) {
            base += DefaultStrategy.structuralParameters(of: phase, index: p)
        }
        let plain = RefinementStage(name: "texture test", parameters: base, isPreliminary: true)
        let reference = StageRun(stage: plain, model: model, pattern: pattern, settings: settings).minimize().0
        let dof = Double(max(1, settings.weights(pattern).filter { $0 > 0 }.count - base.count - 1))
        let chi2red = reference.chiSquared / dof
        var found: [Finding] = []
        for p in model.phases.indices {
            let phase = model.phases[p]
            guard phase.isActive, phase.mode == .rietveld, phase.marchDollase == 1, model.resolvedPeaks(phase: p) >= minimumPeaks else { continue }
            var best: (Finding, PatternModel)?
            for axis in candidateAxes(phase.structure.spaceGroup.crystalSystem) {
                var trial = model
                trial.phases[p].textureAxis = axis
                let stage = RefinementStage(name: "texture \(axis)", parameters: base + [.texture(phase: p)], isPreliminary: true)
                let run = StageRun(stage: stage, model: trial, pattern: pattern, settings: settings)
                let (outcome, fitted) = run.minimize()
                let i = stage.parameters.count - 1
                let rEsd = (max(outcome.inverseNormalMatrix[i, i], 0) * outcome.chiSquared / dof).squareRoot()
                let r = fitted.phases[p].marchDollase
                let significance = (reference.chiSquared - outcome.chiSquared) / chi2red
                guard significance >= minimumImprovement, abs(r - 1) > max(3 * rEsd, minimumEffect) else { continue }
                if best.map({ significance > $0.0.significance }) ?? true {
                    best = (Finding(phase: p, axis: axis, ratio: r, significance: significance), fitted)
                }
            }
            if let (finding, _) = best {
                // Only the texture is carried over: the structure is refined in the stage that follows.
                model.phases[p].textureAxis = finding.axis
                model.phases[p].marchDollase = finding.ratio
                found.append(finding)
            }
        }
        return found
    }
}
