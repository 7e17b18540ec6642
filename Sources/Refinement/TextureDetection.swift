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
        /// Another axis that fitted nearly as well (within `minimumImprovement`), passed over for this one.
        public var passedOver: MillerIndex? = nil
    }

    /// Of the axes whose texture passed, in `candidateAxes` order: the first, unless another lowers χ² by
    /// `minimumImprovement` χ²_red more — the unique axis of a layered or needle-like phase is where its
    /// platelets and needles lie, and two axes whose fits differ by less are not told apart by the data
    /// (P2-NaCoO2, on a path through a less refined profile: 100 by 0.45 χ²_red out of ~240 ahead of 001, and
    /// its fit ended with O z 0.081 and three U_iso at their bound instead of 0.089). A near second is named.
    static func choose(_ passed: [Finding]) -> Finding? {
        guard var chosen = passed.first else { return nil }
        for f in passed.dropFirst() where f.significance > chosen.significance + minimumImprovement { chosen = f }
        if let second = passed.filter({ $0.axis != chosen.axis }).max(by: { $0.significance < $1.significance }),
           second.significance > chosen.significance - minimumImprovement {
            chosen.passedOver = second.axis
        }
        return chosen
    }

    /// The score test of a texture along an axis at the model as it is: the χ² drop (in χ²_red) and the change of
    /// r that adding it would bring to first order, with the phase's scale free — two derivative columns, no fit.
    /// Only axes that pass it are fitted. Several phases are screened in one evaluation (`axes`: an axis per
    /// phase): at r = 1 a texture changes no intensity, so each phase's columns are what they would be alone.
    /// On a thinned pattern each point stands for `stride` (see `thinned`).
    static func screen(_ model: PatternModel, axes: [Int: MillerIndex], pattern: Pattern, weights: [Double],
                       stride: Int = 1) -> [Int: (significance: Double, shift: Double)] {
        var m = model
        var parameters: [ModelParameter] = []
        for (p, axis) in axes.sorted(by: { $0.key < $1.key }) {
            m.phases[p].textureAxis = axis
            m.phases[p].marchDollase = 1
            parameters += [.scale(phase: p), .texture(phase: p)]
        }
        let e = m.evaluate(derivativesFor: parameters)
        guard let j = e.jacobian else { return [:] }
        var out: [Int: (significance: Double, shift: Double)] = [:]
        for (k, p) in axes.keys.sorted().enumerated() {
            var ss = 0.0, su = 0.0, uu = 0.0, se = 0.0, ue = 0.0, ee = 0.0, points = 0.0
            for i in 0..<pattern.count where weights[i] > 0 {
                let w = weights[i], s = j[i, 2 * k], u = j[i, 2 * k + 1], r = pattern.intensity[i] - e.calculated[i]
                ss += w * s * s; su += w * s * u; uu += w * u * u; se += w * s * r; ue += w * u * r; ee += w * r * r
                points += Double(stride)
            }
            guard ss > 0 else { out[p] = (0, 0); continue }
            // Texture column with the scale projected out: u′ = u − (sᵀu / sᵀs) s.
            let uuP = uu - su * su / ss, ueP = ue - su * se / ss
            guard uuP > 0 else { out[p] = (0, 0); continue }
            let chi2red = max(ee - se * se / ss, 1e-300) / max(points - 2, 1)
            out[p] = (ueP * ueP / uuP / chi2red, ueP / uuP)
        }
        return out
    }

    /// The model, pattern and weights the score test runs on: every k-th point of a finely stepped pattern with
    /// its weight × k, as a preliminary stage fits (`StageRun.preliminaryStride`: peaks stay resolved), so that
    /// χ² and the statistic estimate the whole pattern's at a k-th of the cost.
    static func thinned(_ model: PatternModel, pattern: Pattern, weights: [Double]) -> (model: PatternModel, pattern: Pattern, weights: [Double], stride: Int) {
        let stride = StageRun.preliminaryStride(model, pattern: pattern, weights: weights)
        var thin = StageRun.everyKth(model, pattern, weights: weights, stride: stride)
        if stride > 1 { thin.model.releasePeakLayout() }
        return (thin.model, thin.pattern, thin.weights, stride)
    }

    /// Tests every active Rietveld phase that has no texture yet; returns the textures worth keeping (and sets
    /// them in `model`: axis and ratio).
    static func detect(in model: inout PatternModel, pattern: Pattern, settings: RefinementSettings) -> [Finding] {
        let weights = settings.weights(pattern)
        // The score test first: most phases have no texture worth a fit. Round k screens every phase's k-th axis.
        var axesOf: [Int: [MillerIndex]] = [:]
        for p in model.phases.indices {
            let phase = model.phases[p]
            guard phase.isActive, phase.mode == .rietveld, phase.marchDollase == 1, phase.textureHarmonics.isEmpty,
                  model.resolvedPeaks(phase: p) >= minimumPeaks else { continue }
            axesOf[p] = candidateAxes(phase.structure.spaceGroup.crystalSystem)
        }
        var candidates: [Int: [MillerIndex]] = [:]
        let thin = thinned(model, pattern: pattern, weights: weights)
        for k in 0..<(axesOf.values.map(\.count).max() ?? 0) {
            var round: [Int: MillerIndex] = [:]
            for (p, axes) in axesOf where k < axes.count { round[p] = axes[k] }
            for (p, score) in screen(thin.model, axes: round, pattern: thin.pattern, weights: thin.weights, stride: thin.stride)
            where score.significance >= minimumImprovement && abs(score.shift) >= minimumEffect {
                candidates[p, default: []].append(round[p]!)
            }
        }
        guard !candidates.isEmpty else { return [] }
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
        for p in candidates.keys.sorted() {
            var passed: [Finding] = []
            for axis in candidates[p]! {
                var trial = model
                trial.phases[p].textureAxis = axis
                let stage = RefinementStage(name: "texture \(axis)", parameters: base + [.texture(phase: p)], isPreliminary: true)
                let run = StageRun(stage: stage, model: trial, pattern: pattern, settings: settings)
                let (outcome, fitted, _) = run.minimize()
                let i = stage.parameters.count - 1
                let rEsd = (max(outcome.inverseNormalMatrix[i, i], 0) * outcome.chiSquared / dof).squareRoot()
                let r = fitted.phases[p].marchDollase
                let significance = (reference.chiSquared - outcome.chiSquared) / chi2red
                guard significance >= minimumImprovement, abs(r - 1) > max(3 * rEsd, minimumEffect) else { continue }
                passed.append(Finding(phase: p, axis: axis, ratio: r, significance: significance))
            }
            if let finding = choose(passed) {
                // Only the texture is carried over: the structure is refined in the stage that follows.
                model.phases[p].textureAxis = finding.axis
                model.phases[p].marchDollase = finding.ratio
                found.append(finding)
            }
        }
        return found
    }
}
