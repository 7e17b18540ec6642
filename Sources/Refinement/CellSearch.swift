import Crystallography
import Foundation
import NumericCore
import PowderDiffraction

/// A grid search over the cell lengths of a pattern's phase, on a model and a pattern broadened alike, before
/// the broadened stage: least squares moves a cell only within about a peak width of where it starts, so a
/// start several per cent off (an independent run or a shard's first pattern from one template, a literature
/// cell of another state of charge) ends in a false minimum without it.
///
/// Two levels, coarse to fine. At each, every phase is broadened to a FWHM of `levels[k]` degrees at the lowest
/// fitted angle (a temporary size, as in the broadened stage, on a grid coarsened alike — see `StageRun`), and
/// its independent lengths are stepped together over a grid whose step moves the highest fitted peak by half
/// its broadened FWHM, so that no minimum falls between two grid points. The first level spans ±`range`; the
/// second ±half a coarse step around the best point. At each point the phases' scales are solved linearly with the
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

    /// Moves the cells of the major phases of `model` to the best grid point; returns what it found per phase.
    public static func search(_ model: inout PatternModel, pattern: Pattern, settings: RefinementSettings) -> [Finding] {
        let weights = settings.weights(pattern)
        guard weights.contains(where: { $0 > 0 }) else { return [] }
        let active = model.phases.indices.filter { model.phases[$0].isActive }
        guard active.count == 1 else { return [] }
        let phases = active
        var findings: [Finding] = []
        for p in phases {
            let lengths = model.phases[p].independentLattice.filter(\.isLength)
            guard !lengths.isEmpty else { continue }
            let start = lengths.map { model.value(of: .lattice(phase: p, $0)) }
            var centre = [Double](repeating: 1, count: lengths.count)
            var span = range
            var ratio = 1.0, evaluations = 0
            for fwhm in levels {
                guard let level = Level(model: model, pattern: pattern, settings: settings, fwhm: fwhm) else { break }
                let step = level.step(phase: p)
                let n = max(1, Int((span / step).rounded(.up)))
                let axis = (-n...n).map { Double($0) * min(step, span / Double(n)) }
                var best = (chi: Double.infinity, factors: centre, scales: [Double]())
                var startChi = Double.infinity
                for offsets in grid(axis, dimensions: lengths.count) {
                    let factors = zip(centre, offsets).map { $0 + $1 }
                    guard let (chi, scales) = level.chiSquared(phase: p, lengths: lengths, values: zip(start, factors).map { $0 * $1 }) else { continue }
                    evaluations += 1
                    if offsets.allSatisfy({ $0 == 0 }) { startChi = chi }
                    if chi < best.chi { best = (chi, factors, scales) }
                }
                guard best.chi.isFinite else { break }
                centre = best.factors
                // The best grid point lies within half a step of the basin's bottom.
                span = 0.5 * min(step, span / Double(n))
                if fwhm == levels[0] { ratio = startChi.isFinite && startChi > 0 ? best.chi / startChi : 1 }
                for (k, l) in lengths.enumerated() { try? model.setValue(start[k] * centre[k], for: .lattice(phase: p, l)) }
                for (q, s) in best.scales.enumerated() where s > 0 { try? model.setValue(s, for: .scale(phase: q)) }
            }
            findings.append(Finding(phase: p, factors: Dictionary(uniqueKeysWithValues: zip(lengths, centre)),
                                    chiSquaredRatio: ratio, evaluations: evaluations))
        }
        model.releasePeakLayout()
        return findings
    }

    /// Every combination of `axis` values in `dimensions` dimensions.
    static func grid(_ axis: [Double], dimensions: Int) -> [[Double]] {
        var out: [[Double]] = [[]]
        for _ in 0..<dimensions { out = out.flatMap { prefix in axis.map { prefix + [$0] } } }
        return out
    }

    /// One level: the broadened model on its coarse grid, the pattern smoothed alike, the background held.
    struct Level {
        var model: PatternModel
        let observed: [Double]
        let weights: [Double]
        let background: [Double]
        let highest: Double

        init?(model start: PatternModel, pattern: Pattern, settings: RefinementSettings, fwhm: Double) {
            let weights = settings.weights(pattern)
            guard let first = weights.firstIndex(where: { $0 > 0 }), let last = weights.lastIndex(where: { $0 > 0 }) else { return nil }
            // Size broadening has FWHM λ/(D cosθ) rad (D in Å); µm here.
            let theta = pattern.twoTheta[first] / 2 * AngleUnit.radiansPerDegree
            let size = start.instrument.radiation.wavelength / (fwhm * AngleUnit.radiansPerDegree * cos(theta)) / 1e4
            let stage = RefinementStage(name: "cell search", parameters: [], temporarySize: size, temporaryPeakWindow: CellSearch.window,
                                        isPreliminary: true)
            let run = StageRun(stage: stage, model: start, pattern: pattern, settings: settings)
            var m = run.prepared
            // Unit scales: each phase's part of yc is then its shape (a start far off may have fitted a scale ≤ 0).
            for p in m.phases.indices { m.phases[p].scale = 1 }
            // Reflections for cells up to `range` larger than the start, generated once (their positions follow
            // the cell at every evaluation; a cell that grew must not lose its peaks at the end of the range).
            if let end = m.twoTheta.last {
                let dMin = PatternModel.dMin(wavelength: m.instrument.radiation.wavelength, lastTwoTheta: end, margin: m.reflectionMargin)
                for p in m.phases.indices { m.phases[p].regenerateReflections(dMin: dMin * (1 - 1.5 * CellSearch.range)) }
            }
            model = m
            observed = run.observed
            self.weights = run.fitWeights
            background = m.evaluate().background
            highest = pattern.twoTheta[last]
        }

        /// The grid step (relative length change) that moves the highest fitted peak of phase `p` by half its
        /// broadened FWHM: Δ2θ = 2 tanθ · Δd/d.
        func step(phase p: Int) -> Double {
            let theta = highest / 2 * AngleUnit.radiansPerDegree
            let fwhm = model.fwhm(phase: p, twoTheta: highest) * AngleUnit.radiansPerDegree
            return max(0.5 * fwhm / (2 * tan(theta)), 1e-4)
        }

        /// χ² with the phases' scales solved linearly (background held), for phase `p`'s lengths at `values`;
        /// nil when the cell cannot be set or no scale fits.
        func chiSquared(phase p: Int, lengths: [CellParameter], values: [Double]) -> (Double, [Double])? {
            var m = model
            for (l, v) in zip(lengths, values) {
                do { try m.setValue(v, for: .lattice(phase: p, l)) } catch { return nil }
            }
            let e = m.evaluate(separatingPhases: true)
            let k = m.phases.count
            // Each phase's profile per unit scale.
            let shapes = (0..<k).map { q -> [Double]? in
                guard m.phases[q].isActive, e.phaseCalculated.indices.contains(q), e.phaseCalculated[q].contains(where: { $0 > 0 }) else { return nil }
                return e.phaseCalculated[q]
            }
            let used = (0..<k).filter { shapes[$0] != nil }
            guard !used.isEmpty else { return nil }
            var a = Matrix(rows: used.count, columns: used.count)
            var b = [Double](repeating: 0, count: used.count)
            for (i, q) in used.enumerated() {
                let u = shapes[q]!
                for j in i..<used.count {
                    let v = shapes[used[j]]!
                    var sum = 0.0
                    for n in weights.indices where weights[n] > 0 { sum += weights[n] * u[n] * v[n] }
                    a[i, j] = sum
                    a[j, i] = sum
                }
                var sum = 0.0
                for n in weights.indices where weights[n] > 0 { sum += weights[n] * u[n] * (observed[n] - background[n]) }
                b[i] = sum
            }
            guard let solved = try? LinearAlgebra.choleskySolve(a, b) else { return nil }
            var scales = [Double](repeating: 0, count: k)
            for (i, q) in used.enumerated() { scales[q] = max(solved[i], 0) }
            var chi = 0.0
            for n in weights.indices where weights[n] > 0 {
                var y = background[n]
                for q in used { y += scales[q] * shapes[q]![n] }
                let r = observed[n] - y
                chi += weights[n] * r * r
            }
            return (chi, scales)
        }
    }
}
