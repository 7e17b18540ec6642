import Crystallography
import NumericCore
import Foundation
import PowderDiffraction
@testable import Refinement
import RietveldIO
import Testing
import _TestSupport

@Suite struct SolverTests {
    func siliconPattern(noise: UInt64) throws -> (PatternModel, Pattern) {
        let si = try StructureCIF.read(repositoryRoot.appendingPathComponent("structures/Si.cif"))
        let inst = Instrument(radiation: Radiation(wavelength: 0.70926), u: 2, v: -1, w: 4, y: 1, shl: 0.002)
        let x = stride(from: 10.0, through: 40.0, by: 0.02).map { $0 }
        let pattern = try Simulation.pattern(structure: si, instrument: inst, twoTheta: x, scale: 50, background: [200, -20],
                                             size: 0.5, microstrain: 500, noiseSeed: noise)
        var model = try Simulation.makeModel(structure: si, instrument: inst, twoTheta: x, scale: 40, background: [180, 0],
                                             size: 0.5, microstrain: 500)
        model.freezePeakLayout()
        return (model, pattern)
    }

    /// With U, V and W refined the solver works in V's slack q = V − V_min(U, W): the covariance handed back is
    /// T N Tᵀ with T = ∂(U, V, W, …)/∂(U, q, W, …), here against the plain matrix product, and the slack maps back
    /// to V exactly.
    @Test func varianceSlackCarriesTheCovariance() throws {
        let (model, pattern) = try siliconPattern(noise: 3)
        let parameters: [ModelParameter] = [.scale(phase: 0), .profile(.u), .profile(.v), .profile(.w)]
        let problem = PatternProblem(model: model, parameters: parameters, observed: pattern.intensity,
                                     rootWeights: pattern.sigma.map { 1 / $0 })
        let slack = try #require(problem.slack)
        let x = [40.0, 2.5, 0.3, 3.0]
        let n = 4
        var inverse = Matrix(rows: n, columns: n)
        for i in 0..<n { for j in 0..<n { inverse[i, j] = 1 / Double(1 + i + j) + (i == j ? 1 : 0) } }
        let o = LevenbergMarquardt.Outcome(parameters: x, chiSquared: 1, iterations: 1, termination: .converged, inverseNormalMatrix: inverse, atBound: [])
        let back = problem.modelOutcome(o)
        let l = slack.least(x)
        var t = Matrix(rows: n, columns: n)
        for i in 0..<n { t[i, i] = 1 }
        t[slack.v, slack.u] = l.dU
        t[slack.v, slack.w] = l.dW
        let expected = t * inverse * t.transposed
        for i in 0..<n { for j in 0..<n { #expect(abs(back.inverseNormalMatrix[i, j] - expected[i, j]) < 1e-12, "\(i),\(j)") } }
        #expect(back.parameters[slack.v] == x[slack.v] + l.value)
        #expect(zip(problem.solverCoordinates(back.parameters), x).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    /// Scale and the occupancy of the only atom enter the intensities only as scale × occ², so the two
    /// Jacobian columns are proportional: the normal matrix is singular and the result says so, by name.
    @Test func fullyCorrelatedPairIsNamed() throws {
        var (model, pattern) = try siliconPattern(noise: 7)
        // Inside its bounds (0–1), so that the solver cannot hold it at one.
        try model.setValue(0.9, for: .occupancy(phase: 0, atom: 0))
        let stage = RefinementStage(name: "degenerate", parameters: [.scale(phase: 0), .occupancy(phase: 0, atom: 0), .background(term: 0)])
        let r = Refiner.refine(model, against: pattern, stages: [stage])
        guard case .singular = r.termination else {
            Issue.record("expected a singular termination, got \(r.termination)"); return
        }
        let named = r.degeneracies.map { d in d.parameters.map { r.model.name(of: $0) } }
        #expect(named.contains { Set($0) == ["scale", "occupancy(Si1)"] }, "\(named)")
    }

    /// A pattern that holds nothing but noise: the refinement must stop and say why, not crash or loop.
    @Test func pureNoiseTerminatesWithAReason() throws {
        let (model, _) = try siliconPattern(noise: 1)
        var rng = SplitMix64(seed: 99)
        let noise = model.twoTheta.map { _ in Double(rng.poisson(mean: 300)) }
        let pattern = Pattern(name: "noise", twoTheta: model.twoTheta, intensity: noise)
        let r = Refiner.refine(model, against: pattern, stages: DefaultStrategy.stages(for: model, backgroundTerms: 3))
        // Nothing but background is there: the phase is named undetected (its scale below 3 esd), and the
        // background alone fits the Poisson noise (GOF ≈ 1).
        #expect(r.undetected.map(\.phase) == [0], "scale \(r.model.phases[0].scale), \(r.termination)")
        #expect(abs(r.statistics.gof - 1) < 0.1, "GOF \(r.statistics.gof)")
    }

    /// esds from the covariance describe the scatter of refined values over noise realizations (a test of
    /// the esd formula itself: 40 independent Poisson patterns of one truth).
    @Test func esdsMatchTheScatterOverNoiseRealizations() throws {
        var values: [Double] = [], esds: [Double] = []
        for seed in 1...40 {
            let (model, pattern) = try siliconPattern(noise: UInt64(seed))
            let stage = RefinementStage(name: "cell", parameters: [.scale(phase: 0), .background(term: 0), .background(term: 1),
                                                                    .lattice(phase: 0, .a), .zero])
            let r = Refiner.refine(model, against: pattern, stages: [stage])
            values.append(r.model.phases[0].lattice(.a))
            esds.append(r.esd(of: .lattice(phase: 0, .a))!)
        }
        let mean = values.reduce(0, +) / Double(values.count)
        let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
        let typical = esds.reduce(0, +) / Double(esds.count)
        // With 40 samples the scatter's own uncertainty is ~11 %; allow 30 %.
        #expect(abs(sd / typical - 1) < 0.3, "scatter \(sd) vs mean esd \(typical)")
        #expect(abs(mean - 5.4311946) < 3 * typical)
    }
}

/// The solver's reuse of JᵀJ blocks: only while the declared columns are bit for bit the same.
@Suite struct NormalMatrixCacheTests {
    static func jacobian(_ scale: Double) -> Matrix {
        var j = Matrix(rows: 500, columns: 4)
        for r in 0..<500 { for c in 0..<4 { j[r, c] = sin(Double(r * (c + 3))) * (c < 2 ? 1 : scale) } }
        return j
    }

    @Test func reusesOnlyWhileTheColumnsAreUnchanged() {
        var cache = NormalMatrixCache(candidates: [true, true, false, false], threads: 1)
        _ = cache.normal(of: Self.jacobian(1))
        // Columns 2, 3 change: the reused block (0, 1) still gives the full product.
        let second = Self.jacobian(2)
        #expect(cache.normal(of: second) == LinearAlgebra.normalMatrix(jacobian: second))
        // A "constant" column changes after all: it is noticed and summed again.
        var third = Self.jacobian(2)
        for r in 0..<500 { third[r, 0] *= 1.5 }
        #expect(cache.normal(of: third) == LinearAlgebra.normalMatrix(jacobian: third))
    }
}

/// y = A exp(−k t) + c over 40 points with a fixed ±2 % ripple as noise: Levenberg–Marquardt ends within
/// 0.05 esd of the minimum found by 60 plain Gauss–Newton steps written out here (3 × 3 normal equations by
/// Cramer's rule), and it ends without taking a step that its own proposal already showed to be below the
/// tolerances: every step it took was at least 0.05 esd (the last one used to be the one that showed it).
@Suite struct ConvergenceTests {
    struct Decay: LeastSquaresProblem {
        let t = (0..<40).map { Double($0) * 0.1 }
        var y: [Double] { t.enumerated().map { i, x in (5 * exp(-0.7 * x) + 0.5) * (1 + 0.02 * sin(Double(i) * 2.3)) } }
        var p = [0.0, 0.0, 0.0]
        var taken: [[Double]] = []
        var parameterCount: Int { 3 }
        mutating func setParameters(_ q: [Double]) -> Bool { p = q; taken.append(q); return true }
        var plainEvaluations = 0
        mutating func residuals(jacobian: Bool) -> (residuals: [Double], jacobian: Matrix?) {
            if !jacobian { plainEvaluations += 1 }
            let r = zip(t, y).map { x, o in o - (p[0] * exp(-p[1] * x) + p[2]) }
            guard jacobian else { return (r, nil) }
            var j = Matrix(rows: t.count, columns: 3)
            for (i, x) in t.enumerated() { j[i, 0] = exp(-p[1] * x); j[i, 1] = -p[0] * x * exp(-p[1] * x); j[i, 2] = 1 }
            return (r, j)
        }
    }

    @Test func endsWithinTheToleranceWithoutATinyLastStep() throws {
        // The reference minimum: Gauss–Newton, independently.
        var q = [4.0, 0.6, 0.4]
        let problem = Decay()
        for _ in 0..<60 {
            var n = [[Double]](repeating: [0, 0, 0], count: 3), g = [0.0, 0.0, 0.0]
            for (i, x) in problem.t.enumerated() {
                let e = exp(-q[1] * x), row = [e, -q[0] * x * e, 1.0], r = problem.y[i] - (q[0] * e + q[2])
                for a in 0..<3 { g[a] += row[a] * r; for b in 0..<3 { n[a][b] += row[a] * row[b] } }
            }
            func det(_ m: [[Double]]) -> Double {
                m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                    + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
            }
            let d = det(n)
            for c in 0..<3 {
                var m = n
                for a in 0..<3 { m[a][c] = g[a] }
                q[c] += det(m) / d
            }
        }
        var decay = Decay()
        let start = [3.0, 1.0, 0.0]
        _ = decay.setParameters(start)
        decay.taken = []
        let lm = LevenbergMarquardt()
        let out = lm.minimize(&decay, start: start, lower: [-.infinity, -.infinity, -.infinity], upper: [.infinity, .infinity, .infinity])
        #expect(out.termination == .converged, "\(out.termination)")
        let sigma2 = out.chiSquared / Double(decay.t.count - 3)
        let esd = (0..<3).map { (out.inverseNormalMatrix[$0, $0] * sigma2).squareRoot() }
        for i in 0..<3 { #expect(abs(out.parameters[i] - q[i]) < 0.05 * esd[i], "parameter \(i): \(out.parameters[i]) vs \(q[i]) (esd \(esd[i]))") }
        // The steps it took (trial points, then the final setting of the result, which repeats the last).
        var points = [start]
        for p in decay.taken where p != points.last! { points.append(p) }
        let steps = zip(points.dropFirst(), points).map { a, b in (0..<3).map { abs(a[$0] - b[$0]) / esd[$0] }.max()! }
        #expect(steps.count >= 2)
        #expect(steps.allSatisfy { $0 >= 0.05 }, "steps in esd: \(steps)")
    }

    /// With the Jacobian formed at the first trial (final stages, which start near the minimum) a run whose
    /// steps are all accepted evaluates yc alone never, and ends on the same numbers to the last bit.
    @Test func jacobianWithTheFirstTrial() {
        let start = [4.9, 0.71, 0.49]
        var plain = Decay(), eager = Decay()
        var lm = LevenbergMarquardt()
        let bounds = ([Double](repeating: -.infinity, count: 3), [Double](repeating: .infinity, count: 3))
        let a = lm.minimize(&plain, start: start, lower: bounds.0, upper: bounds.1)
        lm.jacobianWithFirstTrial = true
        let b = lm.minimize(&eager, start: start, lower: bounds.0, upper: bounds.1)
        #expect(a.parameters == b.parameters && a.chiSquared == b.chiSquared && a.iterations == b.iterations)
        #expect(plain.plainEvaluations == 1 && eager.plainEvaluations == 0, "yc-only evaluations: \(plain.plainEvaluations), \(eager.plainEvaluations)")
    }
}
