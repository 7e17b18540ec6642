import Crystallography
import Foundation
import PowderDiffraction

/// A grid search over the cell lengths of a pattern's phase, on a model and a pattern broadened alike, before
/// the broadened stage: least squares moves a cell only within about a peak width of where it starts, so a
/// start several per cent off (an independent run or a shard's first pattern from one template, a literature
/// cell of another state of charge) ends in a false minimum without it.
///
/// Two levels, coarse to fine. At each, the phase is broadened to a FWHM of `levels[k]` degrees at the lowest
/// fitted angle (a temporary size, as in the broadened stage, on a grid coarsened alike — see `StageRun`), and
/// its independent lengths are stepped together over a grid whose step moves the highest fitted peak by half
/// its broadened FWHM, so that no minimum falls between two grid points. The first level spans ±`range`; the
/// second ±half a coarse step around the best point. At each point the scale is solved linearly (≥ 0) with the
/// background held; the cell with the lowest χ² is kept (the start itself is a grid point, so a good start is
/// never made worse). Angles are held.
///
/// Only a pattern with one active phase is searched. With several, a phase's broadened peaks take another's
/// when that lowers χ² — H2 and H3 of an operando charge are the same structure 4 % apart in c, and on the
/// 24-pattern GSAS-II series the search sent one onto the other's peaks in the two-phase patterns — so their
/// starts must lie within the broadened stage's reach (about 1–2 %).
public enum CellSearch {
    /// The widest relative error of each cell length looked for.
    public static let range = 0.08
    /// FWHM (degrees of 2θ at the lowest fitted angle) of the two levels' broadening.
    public static let levels = [2.0, 0.6]
    /// Peak window of the search (FWHMs each side): the tails beyond change χ² alike at neighbouring grid
    /// points, and the window is most of the search's cost.
    static let window = 4.0

    /// What the search did for one phase.
    public struct Finding: Sendable, Equatable {
        public let phase: Int
        /// Each independent length's factor on its start value (1 = kept).
        public let factors: [CellParameter: Double]
        /// χ² at the cell found over χ² at the start, on the coarse level.
        public let chiSquaredRatio: Double
        /// Model evaluations made.
        public let evaluations: Int
    }

    /// Moves the cell of the pattern's one active phase to the best grid point; what it found (nil when the
    /// model has several active phases, no cell length free or nothing to fit).
    public static func search(_ model: inout PatternModel, pattern: Pattern, settings: RefinementSettings) -> Finding? {
        let active = model.phases.indices.filter { model.phases[$0].isActive }
        guard active.count == 1, let p = active.first else { return nil }
        let lengths = model.phases[p].independentLattice.filter(\.isLength)
        guard !lengths.isEmpty else { return nil }
        let start = lengths.map { model.value(of: .lattice(phase: p, $0)) }
        var centre = [Double](repeating: 1, count: lengths.count)
        var span = range
        var ratio = 1.0, evaluations = 0
        for fwhm in levels {
            guard let level = Level(model: model, phase: p, pattern: pattern, settings: settings, fwhm: fwhm) else { break }
            let step = level.step()
            let n = max(1, Int((span / step).rounded(.up)))
            let axis = (-n...n).map { Double($0) * min(step, span / Double(n)) }
            var best = (chi: Double.infinity, factors: centre, scale: 0.0)
            var startChi = Double.infinity
            for offsets in grid(axis, dimensions: lengths.count) {
                let factors = zip(centre, offsets).map { $0 + $1 }
                guard let (chi, scale) = level.chiSquared(lengths: lengths, values: zip(start, factors).map { $0 * $1 }) else { continue }
                evaluations += 1
                if offsets.allSatisfy({ $0 == 0 }) { startChi = chi }
                if chi < best.chi { best = (chi, factors, scale) }
            }
            guard best.chi.isFinite else { break }
            centre = best.factors
            // The best grid point lies within half a step of the basin's bottom.
            span = 0.5 * min(step, span / Double(n))
            if fwhm == levels[0] { ratio = startChi.isFinite && startChi > 0 ? best.chi / startChi : 1 }
            for (k, l) in lengths.enumerated() { try? model.setValue(start[k] * centre[k], for: .lattice(phase: p, l)) }
            if best.scale > 0 { try? model.setValue(best.scale, for: .scale(phase: p)) }
        }
        model.releasePeakLayout()
        guard evaluations > 0 else { return nil }
        return Finding(phase: p, factors: Dictionary(uniqueKeysWithValues: zip(lengths, centre)), chiSquaredRatio: ratio, evaluations: evaluations)
    }

    /// Every combination of `axis` values in `dimensions` dimensions.
    static func grid(_ axis: [Double], dimensions: Int) -> [[Double]] {
        var out: [[Double]] = [[]]
        for _ in 0..<dimensions { out = out.flatMap { prefix in axis.map { prefix + [$0] } } }
        return out
    }

    /// One level: the broadened model of phase `phase` on its coarse grid, the pattern smoothed alike, the
    /// background held.
    struct Level {
        var model: PatternModel
        let phase: Int
        let observed: [Double]
        let weights: [Double]
        let background: [Double]
        let highest: Double

        init?(model start: PatternModel, phase: Int, pattern: Pattern, settings: RefinementSettings, fwhm: Double) {
            let weights = settings.weights(pattern)
            guard let first = weights.firstIndex(where: { $0 > 0 }), let last = weights.lastIndex(where: { $0 > 0 }) else { return nil }
            // Size broadening has FWHM λ/(D cosθ) rad (D in Å); µm here.
            let theta = pattern.twoTheta[first] / 2 * AngleUnit.radiansPerDegree
            let size = start.instrument.radiation.wavelength / (fwhm * AngleUnit.radiansPerDegree * cos(theta)) / 1e4
            let stage = RefinementStage(name: "cell search", parameters: [], temporarySize: size, temporaryPeakWindow: CellSearch.window,
                                        isPreliminary: true)
            let run = StageRun(stage: stage, model: start, pattern: pattern, settings: settings)
            var m = run.prepared
            // Unit scale: the phase's part of yc is then its shape (a start far off may have fitted a scale ≤ 0).
            m.phases[phase].scale = 1
            // Reflections for cells up to `range` larger than the start, generated once (their positions follow
            // the cell at every evaluation; a cell that grew must not lose its peaks at the end of the range).
            if let end = m.twoTheta.last {
                let dMin = PatternModel.dMin(wavelength: m.instrument.radiation.wavelength, lastTwoTheta: end, margin: m.reflectionMargin)
                m.phases[phase].regenerateReflections(dMin: dMin * (1 - 1.5 * CellSearch.range))
            }
            model = m
            self.phase = phase
            observed = run.observed
            self.weights = run.fitWeights
            background = m.evaluate().background
            highest = pattern.twoTheta[last]
        }

        /// The grid step (relative length change) that moves the highest fitted peak by half its broadened
        /// FWHM: Δ2θ = 2 tanθ · Δd/d.
        func step() -> Double {
            let theta = highest / 2 * AngleUnit.radiansPerDegree
            let fwhm = model.fwhm(phase: phase, twoTheta: highest) * AngleUnit.radiansPerDegree
            return max(0.5 * fwhm / (2 * tan(theta)), 1e-4)
        }

        /// χ² with the scale solved linearly (background held, scale ≥ 0) for the lengths at `values`, and that
        /// scale; nil when the cell cannot be set or the phase puts no intensity on the fitted points.
        func chiSquared(lengths: [CellParameter], values: [Double]) -> (Double, Double)? {
            var m = model
            for (l, v) in zip(lengths, values) {
                do { try m.setValue(v, for: .lattice(phase: phase, l)) } catch { return nil }
            }
            let shape = m.evaluate().calculated
            var mm = 0.0, my = 0.0
            for n in weights.indices where weights[n] > 0 {
                let u = shape[n] - background[n]
                mm += weights[n] * u * u
                my += weights[n] * u * (observed[n] - background[n])
            }
            guard mm > 0 else { return nil }
            let scale = max(my / mm, 0)
            var chi = 0.0
            for n in weights.indices where weights[n] > 0 {
                let r = observed[n] - background[n] - scale * (shape[n] - background[n])
                chi += weights[n] * r * r
            }
            return (chi, scale)
        }
    }
}
