import Foundation
import NumericCore

/// A weighted least-squares problem: residuals rᵢ = √wᵢ (yoᵢ − ycᵢ(p)) and their Jacobian ∂rᵢ/∂pⱼ.
public protocol LeastSquaresProblem {
    var parameterCount: Int { get }
    /// Sets the parameters; returns false when they are not admissible (e.g. an impossible cell).
    mutating func setParameters(_ p: [Double]) -> Bool
    /// Weighted residuals at the current parameters, and the Jacobian of the weighted calculated values
    /// (∂(√w yc)/∂p, points × parameters) when asked. Mutating: the first evaluation may fix how the model
    /// is evaluated from then on (a pattern model's peak layout).
    mutating func residuals(jacobian: Bool) -> (residuals: [Double], jacobian: Matrix?)
    /// Columns of the Jacobian that are likely the same at every evaluation (a linear background's basis): the
    /// solver checks them bit by bit and reuses their block of JᵀJ while they are.
    var constantColumns: [Bool] { get }
    /// Moves a trial (already inside its box bounds) onto the admissible set when a constraint couples several
    /// parameters (a peak width that must stay ≥ 0 over the whole pattern); leaves it alone otherwise.
    func project(_ p: inout [Double])
}

extension LeastSquaresProblem {
    public var constantColumns: [Bool] { Array(repeating: false, count: parameterCount) }
    public func project(_ p: inout [Double]) {}
}

/// The normal matrices of one minimization: the block between columns that did not change since the last
/// Jacobian is taken from it, not summed again (the same numbers to the last bit).
struct NormalMatrixCache {
    let candidates: [Bool]
    let threads: Int
    private var known: (values: Matrix, columns: [Double])?

    init(candidates: [Bool], threads: Int) { self.candidates = candidates; self.threads = threads }

    mutating func normal(of j: Matrix) -> Matrix {
        guard candidates.contains(true), candidates.count == j.columns else { return LinearAlgebra.normalMatrix(jacobian: j, threads: threads) }
        if let k = known, unchanged(j, since: k.columns) {
            return LinearAlgebra.normalMatrix(jacobian: j, threads: threads, known: (candidates, k.values))
        }
        let full = LinearAlgebra.normalMatrix(jacobian: j, threads: threads)
        known = (full, copy(of: j))
        return full
    }

    /// The candidate columns, one after the other.
    private func copy(of j: Matrix) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(candidates.filter { $0 }.count * j.rows)
        j.storage.withUnsafeBufferPointer { s in
            for c in candidates.indices where candidates[c] { out.append(contentsOf: s[(c * j.rows)..<((c + 1) * j.rows)]) }
        }
        return out
    }

    /// Whether j's candidate columns are bit for bit those copied before.
    private func unchanged(_ j: Matrix, since columns: [Double]) -> Bool {
        let m = j.rows
        guard columns.count == candidates.filter({ $0 }).count * m else { return false }
        return j.storage.withUnsafeBytes { s in
            columns.withUnsafeBytes { c in
                var k = 0
                for col in candidates.indices where candidates[col] {
                    let size = m * MemoryLayout<Double>.stride
                    if memcmp(s.baseAddress! + col * size, c.baseAddress! + k * size, size) != 0 { return false }
                    k += 1
                }
                return true
            }
        }
    }
}

/// Parameters the data do not determine: one with no effect on the residuals, or a combination of several
/// (an eigen-direction of the scaled normal matrix with a vanishing eigenvalue). Indices into the parameters.
public struct Degeneracy: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The parameter does not change the calculated pattern at all.
        case noEffect
        /// The parameters move together along a direction the data do not constrain.
        case fullyCorrelated
    }
    public let kind: Kind
    public let parameters: [Int]
}

/// Why a minimization stopped. Non-convergence is a result, not an error.
public enum TerminationReason: Equatable, Sendable, CustomStringConvertible {
    /// χ² stopped changing and every shift is small compared with its esd.
    case converged
    /// No step lowered χ² any more although the linear model still predicted a gain.
    case stalled
    case iterationLimit
    /// The normal matrix is singular: these parameters or combinations are not determined by the data.
    case singular([Degeneracy])
    /// χ² at the start values is not a finite number (yc overflowed or is NaN): nothing was refined.
    case notFinite

    public var description: String {
        switch self {
        case .converged: return "converged"
        case .stalled: return "stalled (no step lowers χ² further)"
        case .iterationLimit: return "iteration limit reached"
        case .singular(let d): return "singular normal matrix (\(d.count) undetermined direction\(d.count == 1 ? "" : "s"))"
        case .notFinite: return "the model is not finite at its start values (yc overflows or is NaN; check the start values)"
        }
    }

    public var isConverged: Bool { self == .converged }
}

/// Levenberg–Marquardt on analytic derivatives.
///
/// Each iteration forms the normal matrix N = JᵀJ and gradient g = Jᵀr, scales N to unit diagonal,
/// adds λ to the diagonal and solves by Cholesky (NumericCore's, deterministic); when N is (near) singular, the eigen-decomposition
/// names the combinations it cannot determine and the step is taken in the well-determined subspace.
/// Steps are clipped to the bounds. Convergence: relative χ² change below `chiSquaredTolerance` and
/// max |shift|/esd below `shiftTolerance`.
public struct LevenbergMarquardt: Sendable {
    public var maximumIterations = 30
    public var chiSquaredTolerance = 1e-5
    public var shiftTolerance = 0.05
    /// Converged needs both criteria (false: either suffices — for preliminary stages, which only have to
    /// bring the next stage into its basin).
    public var requireBothCriteria = true
    /// Whether the first trial step of a run computes the Jacobian with yc (see `minimize`): for runs that
    /// start near the minimum, whose first step is nearly always accepted.
    public var jacobianWithFirstTrial = false
    /// Eigenvalues of the scaled normal matrix below this (relative to the largest) count as singular.
    public var singularityThreshold = 1e-10
    /// Threads for the normal matrix of a large Jacobian (the same result to the last bit on any number; see
    /// `LinearAlgebra.normalMatrix`): the machine's cores, at most 2 — beyond that the product is memory-bound.
    public var threads = min(2, ProcessInfo.processInfo.activeProcessorCount)

    /// λ starts here: close to Gauss–Newton, as the stages start near a minimum of the previous stage.
    static let initialDamping = 1e-3
    /// λ stays within these: below, the step is Gauss–Newton to rounding; above, the step is a vanishing
    /// gradient step and trying further only wastes evaluations.
    static let minimumDamping = 1e-12, maximumDamping = 1e10
    /// Trial steps per iteration before it gives up (λ grows by ν, then 2ν, … each time: 12 trials span
    /// the whole damping range from a typical λ).
    static let trialsPerIteration = 12
    /// An eigen-direction takes part in "fully correlated" when its component on a parameter exceeds this.
    static let degeneracyComponent = 0.2

    public init() {}

    public struct Outcome: Sendable {
        public var parameters: [Double]
        public var chiSquared: Double
        public var iterations: Int
        public var termination: TerminationReason
        /// (JᵀJ)⁻¹ at the solution (not yet multiplied by χ²_red); pseudo-inverse when singular.
        public var inverseNormalMatrix: Matrix
        /// Parameters at a bound at the end.
        public var atBound: [Int]
        /// The (weighted) residuals and Jacobian at the solution, for a caller that checks the solution against
        /// a changed model (see `StageRun.minimizeWithCurrentLayout`); nil when no Jacobian was formed. Drop them
        /// once used: the Jacobian is as large as the pattern times the parameters.
        public var residuals: [Double] = []
        public var jacobian: Matrix? = nil
    }

    /// Minimizes from `start` within the bounds; `cycleFinished` hears each cycle's number and χ².
    public func minimize<P: LeastSquaresProblem>(_ problem: inout P, start: [Double], lower: [Double], upper: [Double],
                                                 cycleFinished: ((Int, Double) -> Void)? = nil) -> Outcome {
        let n = start.count
        var p = start
        _ = problem.setParameters(p)
        var (r, jOpt) = problem.residuals(jacobian: true)
        var chi2 = r.reduce(0) { $0 + $1 * $1 }
        // No step can be judged from a χ² that is not a number: say so instead of "refining" (the scale of a
        // model that overflowed then looked like an undetected phase's).
        guard chi2.isFinite else {
            return Outcome(parameters: p, chiSquared: chi2, iterations: 0, termination: .notFinite,
                           inverseNormalMatrix: Matrix(rows: n, columns: n), atBound: [], residuals: r, jacobian: nil)
        }
        var lambda = Self.initialDamping
        var iterations = 0
        var termination: TerminationReason = .iterationLimit
        var degeneracies: [Degeneracy] = []
        var predictedGain = Double.infinity
        var lastShiftRatio = Double.infinity

        // λ follows the gain ratio ρ = actual / predicted χ² reduction (Nielsen's rule): steps the linear model
        // predicts well shrink λ smoothly, poor ones grow it, so a curved valley is followed instead of being
        // crossed back and forth.
        var nu = 2.0
        var normals = NormalMatrixCache(candidates: problem.constantColumns, threads: threads)
        // JᵀJ of the Jacobian at the current parameters, once formed (a run that stops on its own proposal
        // needs no second one for the covariance).
        var normalAtSolution: Matrix?
        // The Jacobian is computed with the trial values only while steps are being accepted; the first trial
        // of a run (unless `jacobianWithFirstTrial`) and those after a rejection compute yc alone (a rejection
        // would waste the Jacobian).
        var jacobianAtTrial = jacobianWithFirstTrial
        while iterations < maximumIterations {
            iterations += 1
            guard let j = jOpt else { break }
            var normal = normals.normal(of: j)
            normalAtSolution = normal
            // g = Jᵀ r: the residuals are yo − yc, J is ∂yc/∂p, so the descent direction is +Jᵀr.
            var g = LinearAlgebra.transposeTimes(j, r)
            let d = (0..<n).map { max(normal[$0, $0], 0).squareRoot() }
            // Active bounds: a parameter at a bound that the descent direction pushes beyond it is held for this
            // iteration (its row and column decoupled), so the others move freely instead of being dragged by
            // a step that clipping would undo.
            for i in 0..<n where (p[i] <= lower[i] && g[i] < 0) || (p[i] >= upper[i] && g[i] > 0) {
                for k in 0..<n where k != i { normal[i, k] = 0; normal[k, i] = 0 }
                g[i] = 0
            }
            // The esds the shift criterion divides by: from the inverse of the (scaled) normal matrix, as GSAS-II's
            // shift/σ. Its diagonal alone (1/√Nᵢᵢ) understates the esd of correlated parameters by √(1 − ρ²):
            // on P2-NaCoO2 the Gaussian U, V, W then kept "moving" by 0.1 of that at χ² changes of 10⁻⁷.
            let system = ScaledNormal(normal, d)
            let esdFactors = system.inverseDiagonal()
            var accepted = false
            for _ in 0..<Self.trialsPerIteration {
                let (s, found) = solveScaled(system, g, d, lambda: lambda)
                degeneracies = found
                var trial = p
                for i in 0..<n { trial[i] = min(max(p[i] + s[i], lower[i]), upper[i]) }
                problem.project(&trial)
                let step = (0..<n).map { trial[$0] - p[$0] }
                // Reduction the linear model predicts for the (clipped) step: 2 sᵀg − sᵀNs.
                var predicted = 0.0
                for a in 0..<n {
                    var ns = 0.0
                    for b in 0..<n { ns += normal[a, b] * step[b] }
                    predicted += step[a] * (2 * g[a] - ns)
                }
                if lambda <= Self.initialDamping {
                    predictedGain = min(predictedGain, predicted)
                    // The step the (nearly undamped) linear model proposes is itself below both tolerances:
                    // the minimum is here, to within them, and taking the step would cost an evaluation and a
                    // Jacobian for a change below 5 % of an esd. (Without this a refinement ended with one
                    // step more, the one that showed the shifts had become small.) Both criteria, also in
                    // preliminary stages: a proposal's predicted gain alone can be small far from the minimum
                    // (LiCoO2 from a generic start then ended at Rwp 8.4 % instead of 5.8 %).
                    let ratio = Self.largestShift(step, d, esdFactors, sigma: (chi2 / Double(max(1, r.count - n))).squareRoot())
                    if max(predicted, 0) < chiSquaredTolerance * chi2 && ratio < shiftTolerance {
                        lastShiftRatio = ratio
                        termination = .converged
                        accepted = true
                        break
                    }
                }
                if problem.setParameters(trial) {
                    let (rt, jt) = problem.residuals(jacobian: jacobianAtTrial)
                    let chiT = rt.reduce(0) { $0 + $1 * $1 }
                    if chiT.isFinite && chiT <= chi2 {
                        let relative = (chi2 - chiT) / max(chi2, 1e-300)
                        let rho = predicted > 0 ? (chi2 - chiT) / predicted : 0
                        let t = 2 * rho - 1
                        lambda = min(max(lambda * (rho > 0.75 ? 0.1 : max(1.0 / 3, 1 - t * t * t)), Self.minimumDamping), Self.maximumDamping)
                        nu = 2
                        p = trial
                        (r, jOpt) = jt == nil ? problem.residuals(jacobian: true) : (rt, jt)
                        normalAtSolution = nil
                        jacobianAtTrial = true
                        // Shift/esd with esd² = (N⁻¹)ᵢᵢ χ²/(m − n).
                        lastShiftRatio = Self.largestShift(step, d, esdFactors, sigma: (chiT / Double(max(1, rt.count - n))).squareRoot())
                        chi2 = chiT
                        accepted = true
                        let small = (relative < chiSquaredTolerance, lastShiftRatio < shiftTolerance)
                        if requireBothCriteria ? (small.0 && small.1) : (small.0 || small.1) { termination = .converged }
                        break
                    }
                }
                lambda *= nu
                nu *= 2
                jacobianAtTrial = false
                if lambda > Self.maximumDamping { break }
            }
            cycleFinished?(iterations, chi2)
            if termination == .converged { break }
            if !accepted {
                // No trial lowered χ². That is the minimum, to rounding, when the (nearly undamped) linear
                // model predicted a gain below the χ² tolerance; otherwise the solver is stuck.
                termination = predictedGain < chiSquaredTolerance * chi2 ? .converged : .stalled
                break
            }
            predictedGain = .infinity
        }
        _ = problem.setParameters(p)
        if !degeneracies.isEmpty { termination = .singular(degeneracies) }
        let normal = normalAtSolution ?? jOpt.map { normals.normal(of: $0) } ?? Matrix(rows: n, columns: n)
        let inverse = Self.pseudoInverse(normal, threshold: singularityThreshold)
        let atBound = (0..<n).filter { lower[$0] > -Double.infinity && p[$0] <= lower[$0] || upper[$0] < Double.infinity && p[$0] >= upper[$0] }
        return Outcome(parameters: p, chiSquared: chi2, iterations: iterations, termination: termination,
                       inverseNormalMatrix: inverse, atBound: atBound, residuals: r, jacobian: jOpt)
    }

    /// The largest |shift| / esd, esdᵢ = σ · esdFactorᵢ / dᵢ (σ² = χ²/(m − n); parameters without effect left out).
    static func largestShift(_ step: [Double], _ d: [Double], _ esdFactors: [Double], sigma: Double) -> Double {
        var ratio = 0.0
        for i in step.indices where d[i] > 0 { ratio = max(ratio, abs(step[i]) * d[i] / esdFactors[i] / sigma) }
        return ratio
    }

    /// Solves (N_s + λ 1) s = g_s on the system scaled to unit diagonal, by Cholesky when N_s is well
    /// conditioned, else in the eigen-basis without the (near-)null directions, which are reported by the
    /// parameters they mix. Returns the unscaled step.
    func solveScaled(_ system: ScaledNormal, _ g: [Double], _ d: [Double], lambda: Double) -> ([Double], [Degeneracy]) {
        let n = g.count
        let scaled = system.scaled
        let gs = (0..<n).map { d[$0] > 0 ? g[$0] / d[$0] : 0 }
        var combos: [Degeneracy] = (0..<n).filter { d[$0] == 0 }.map { Degeneracy(kind: .noEffect, parameters: [$0]) }
        var solution: [Double]?
        // A Cholesky factor with a tiny pivot signals a (near-)singular matrix.
        if let l = system.factor {
            let pivots = (0..<n).map { l[$0, $0] * l[$0, $0] }
            if (pivots.min() ?? 1) > singularityThreshold * (pivots.max() ?? 1) {
                var damped = scaled
                for i in 0..<n { damped[i, i] += lambda }
                solution = try? LinearAlgebra.choleskySolve(damped, gs)
            }
        }
        if solution == nil, let (values, vectors) = try? LinearAlgebra.symmetricEigen(scaled) {
            let top = max(values.last ?? 1, 1e-300)
            var s = [Double](repeating: 0, count: n)
            for k in 0..<n {
                if values[k] < singularityThreshold * top {
                    let members = (0..<n).filter { abs(vectors[$0, k]) > Self.degeneracyComponent && d[$0] > 0 }
                    if members.count > 1 { combos.append(Degeneracy(kind: .fullyCorrelated, parameters: members)) }
                    continue
                }
                var proj = 0.0
                for i in 0..<n { proj += vectors[i, k] * gs[i] }
                proj /= values[k] + lambda
                for i in 0..<n { s[i] += proj * vectors[i, k] }
            }
            solution = s
        }
        let sol = solution ?? [Double](repeating: 0, count: n)
        return ((0..<n).map { d[$0] > 0 ? sol[$0] / d[$0] : 0 }, combos)
    }

    /// The inverse of a symmetric matrix after scaling to unit diagonal, dropping eigen-directions whose
    /// eigenvalue is below `threshold` × the largest.
    static func pseudoInverse(_ a: Matrix, threshold: Double) -> Matrix {
        let n = a.rows
        let d = (0..<n).map { max(a[$0, $0], 0).squareRoot() }
        let scaled = ScaledNormal.unitDiagonal(a, d)
        var inv: Matrix
        if let c = try? LinearAlgebra.choleskyInverse(scaled), (0..<n).allSatisfy({ c[$0, $0].isFinite && c[$0, $0] < 1 / threshold }) {
            inv = c
        } else if let (values, vectors) = try? LinearAlgebra.symmetricEigen(scaled) {
            let top = values.last ?? 1
            inv = Matrix(rows: n, columns: n)
            for k in 0..<n where values[k] > threshold * top {
                for i in 0..<n { for j in 0..<n { inv[i, j] += vectors[i, k] * vectors[j, k] / values[k] } }
            }
        } else {
            inv = Matrix(rows: n, columns: n)
        }
        for i in 0..<n { for j in 0..<n { inv[i, j] = d[i] > 0 && d[j] > 0 ? inv[i, j] / (d[i] * d[j]) : 0 } }
        return inv
    }
}

/// The normal matrix scaled to unit diagonal and, when it is positive definite, its Cholesky factor: made once
/// per iteration, for every trial step and for the shift criterion's esds.
struct ScaledNormal {
    let scaled: Matrix
    let factor: Matrix?

    init(_ normal: Matrix, _ d: [Double]) {
        scaled = Self.unitDiagonal(normal, d)
        factor = try? LinearAlgebra.cholesky(scaled)
    }

    /// A / (dᵢ dⱼ); a parameter without effect (dᵢ = 0) keeps a unit row.
    static func unitDiagonal(_ a: Matrix, _ d: [Double]) -> Matrix {
        let n = d.count
        var scaled = Matrix(rows: n, columns: n)
        for i in 0..<n { for j in 0..<n { scaled[i, j] = d[i] > 0 && d[j] > 0 ? a[i, j] / (d[i] * d[j]) : (i == j ? 1 : 0) } }
        return scaled
    }

    /// √((N_s⁻¹)ᵢᵢ): the esd in units of 1/√Nᵢᵢ; 1 where there is no factor (a singular matrix: the diagonal is
    /// all there is to go by). (N⁻¹)ᵢᵢ = Σ_k (L⁻¹)ₖᵢ², L⁻¹ column by column by forward substitution.
    func inverseDiagonal() -> [Double] {
        let n = scaled.rows
        guard let l = factor else { return [Double](repeating: 1, count: n) }
        var out = [Double](repeating: 0, count: n)
        var x = [Double](repeating: 0, count: n)
        for i in 0..<n {
            x[i] = 1 / l[i, i]
            var sum = x[i] * x[i]
            for k in (i + 1)..<max(i + 1, n) {
                var s = 0.0
                for m in i..<k { s -= l[k, m] * x[m] }
                x[k] = s / l[k, k]
                sum += x[k] * x[k]
            }
            out[i] = sum.squareRoot()
        }
        return out.map { $0.isFinite && $0 > 0 ? $0 : 1 }
    }
}
