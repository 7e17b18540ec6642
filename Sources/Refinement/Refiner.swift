import Crystallography
import Foundation
import NumericCore
import PowderDiffraction

/// What a refinement reports while it runs (the caller formats it).
public enum RefinementEvent: Sendable {
    /// A stage is about to run with these parameters (after any were held for lack of support).
    case stageStarted(index: Int, of: Int, name: String, parameters: Int)
    /// Structural parameters of these phases were held in a stage: their share of the Bragg intensity is
    /// below `StructureSupport.minimumShare`.
    case structureHeld(stage: Int, phases: [Int], shares: [Double])
    /// Preferred orientation was found for these phases and is refined from this stage on.
    case textureFound(stage: Int, findings: [TextureDetection.Finding])
    /// The microstrain of these phases was held: they resolve too few peaks to tell it from their size.
    case strainHeld(stage: Int, phases: [Int])
    /// The cell of the pattern's phase was searched on a grid before this stage (see `CellSearch`).
    case cellSearched(stage: Int, finding: CellSearch.Finding)
    /// The cells of these minor phases were held in a broadened stage (see `Refiner.holdMinorCells`).
    case cellHeld(stage: Int, phases: [Int], shares: [Double])
    /// A least-squares cycle of a stage has finished (Rwp in % over the stage's points); for progress on long
    /// refinements.
    case cycleFinished(stage: Int, cycle: Int, rwp: Double)
    /// A stage has finished.
    case stageFinished(index: Int, of: Int, summary: StageSummary)
}

/// What one stage did.
public struct StageSummary: Sendable {
    public let name: String
    public let parameters: Int
    public let iterations: Int
    /// Rwp in % over the stage's points (against the smoothed pattern in a broadened stage).
    public let rwp: Double
    public let points: Int
    public let termination: TerminationReason
    public let seconds: Double
}

/// A phase whose refined scale is not significant: its fraction is below what the pattern can detect.
public struct UndetectedPhase: Sendable, Equatable {
    public let phase: Int
    public let scale: Estimate
}

/// Runs staged refinements of a pattern model against a pattern.
public enum Refiner {
    /// Refines `model` against `pattern` stage by stage; `events` hears of each stage.
    public static func refine(_ model: PatternModel, against pattern: Pattern, stages: [RefinementStage],
                              settings: RefinementSettings = RefinementSettings(),
                              events: ((RefinementEvent) -> Void)? = nil) -> RefinementResult {
        let clock = ContinuousClock()
        let started = clock.now
        var current = model
        var summaries: [StageSummary] = []
        var last: (outcome: LevenbergMarquardt.Outcome, parameters: [ModelParameter], weights: [Double])?
        var undetected: [UndetectedPhase] = []
        // The last stage's evaluation of its refined model, when it made one (see `StageRun.minimize`).
        var lastEvaluation: ModelEvaluation?
        var textured = Set(current.phases.indices.filter { current.phases[$0].marchDollase != 1 })
        for (index, original) in stages.enumerated() {
            let stageStarted = clock.now
            var stage = original
            if stage.detectsTexture {
                let found = TextureDetection.detect(in: &current, pattern: pattern, settings: settings)
                if !found.isEmpty { events?(.textureFound(stage: index, findings: found)) }
                textured.formUnion(found.map(\.phase))
            }
            // A texture found (or given) is refined with its phase's scale from then on.
            if index > 0 || stage.detectsTexture {
                for p in textured.sorted() where stage.parameters.contains(.scale(phase: p)) && !stage.parameters.contains(.texture(phase: p)) {
                    stage.parameters.append(.texture(phase: p))
                }
            }
            if stage.searchesCell {
                if let found = CellSearch.search(&current, pattern: pattern, settings: settings) {
                    events?(.cellSearched(stage: index, finding: found))
                }
            }
            LeBail.prepare(&stage, model: current)
            if stage.requiresStructureSupport { holdUnsupportedStructure(&stage, index: index, model: current, pattern: pattern, settings: settings, events: events) }
            if stage.temporarySize != nil { holdMinorCells(&stage, index: index, model: current, pattern: pattern, settings: settings, events: events) }
            events?(.stageStarted(index: index, of: stages.count, name: stage.name, parameters: stage.parameters.count))
            let run = StageRun(stage: stage, model: current, pattern: pattern, settings: settings)
            let (outcome, refined, evaluation) = run.minimize(cycleFinished: events.map { report in
                { cycle, chi2 in report(.cycleFinished(stage: index, cycle: cycle, rwp: run.rwp(chiSquared: chi2))) }
            })
            current = run.restore(refined)
            lastEvaluation = run.restoresNothing ? evaluation : nil
            let summary = StageSummary(name: stage.name, parameters: stage.parameters.count, iterations: outcome.iterations,
                                       rwp: run.rwp(chiSquared: outcome.chiSquared), points: run.points, termination: outcome.termination,
                                       seconds: (clock.now - stageStarted) / .seconds(1))
            summaries.append(summary)
            events?(.stageFinished(index: index, of: stages.count, summary: summary))
            last = (outcome, stage.parameters, run.weights)
            if outcome.termination == .notFinite { break }
            undetected = undetectedPhases(current, stage: stage, run: run, outcome: outcome, settings: settings)
            if !undetected.isEmpty { break }
        }
        // The result keeps the last stage's reflections and peak layout: its statistics and covariance describe
        // exactly the model that was fitted.
        let seconds = (clock.now - started) / .seconds(1)
        return RefinementResult(model: current, pattern: pattern, weights: last?.weights ?? settings.weights(pattern),
                                parameters: last?.parameters ?? [], outcome: last?.outcome, stages: summaries,
                                seconds: seconds, correlationThreshold: settings.correlationThreshold, undetected: undetected,
                                evaluation: lastEvaluation)
    }

    /// Drops what a phase's peaks cannot determine: its structure when it carries too little of the pattern's
    /// Bragg intensity (`StructureSupport.minimumShare`) or resolves too few peaks for it
    /// (`StructureSupport.peaksPerStructuralParameter`), and its microstrain beside its size when it resolves
    /// fewer than `StructureSupport.peaksForStrain` peaks (size and strain from two widths are one thing).
    static func holdUnsupportedStructure(_ stage: inout RefinementStage, index: Int, model: PatternModel, pattern: Pattern,
                                         settings: RefinementSettings, events: ((RefinementEvent) -> Void)?) {
        var shares = [Double](repeating: 1, count: model.phases.count)
        if model.phases.filter(\.isActive).count > 1 {
            let e = model.evaluate(separatingPhases: true)
            shares = StructureSupport.shares(e, phases: model.phases.count, weights: settings.weights(pattern))
        }
        var held: [Int] = [], heldShares: [Double] = [], strainHeld: [Int] = []
        for p in model.phases.indices where model.phases[p].isActive {
            let structural = stage.parameters.filter { $0.phase == p && DefaultStrategy.isStructural($0) }
            let peaks = model.resolvedPeaks(phase: p)
            if !structural.isEmpty && (shares[p] < StructureSupport.minimumShare || Double(peaks) < StructureSupport.peaksPerStructuralParameter * Double(structural.count)) {
                stage.parameters.removeAll { $0.phase == p && DefaultStrategy.isStructural($0) }
                held.append(p)
                heldShares.append(shares[p])
            }
            if peaks < StructureSupport.peaksForStrain, stage.parameters.contains(.size(phase: p)), stage.parameters.contains(.microstrain(phase: p)) {
                stage.parameters.removeAll { $0 == .microstrain(phase: p) }
                strainHeld.append(p)
            }
            // Stephens' terms need the peaks of several directions beside the size: as many again per term.
            let stephens = stage.parameters.filter { if case .phase(p, .stephens) = $0 { return true } else { return false } }
            if !stephens.isEmpty, peaks < StructureSupport.peaksForStrain * (1 + stephens.count) {
                stage.parameters.removeAll { stephens.contains($0) }
                strainHeld.append(p)
            }
        }
        if !held.isEmpty { events?(.structureHeld(stage: index, phases: held, shares: heldShares)) }
        if !strainHeld.isEmpty { events?(.strainHeld(stage: index, phases: strainHeld)) }
    }

    /// A broadened stage moves the cells of the phases that dominate the pattern; a minor phase's broadened
    /// peaks would be pulled onto the shoulders of a major phase's (the H3 003 line 0.3° from H2's at 5 wt %),
    /// so its cell waits for the next, unbroadened stage.
    static func holdMinorCells(_ stage: inout RefinementStage, index: Int, model: PatternModel, pattern: Pattern,
                               settings: RefinementSettings, events: ((RefinementEvent) -> Void)?) {
        guard model.phases.filter(\.isActive).count > 1 else { return }
        let e = model.evaluate(separatingPhases: true)
        let shares = StructureSupport.shares(e, phases: model.phases.count, weights: settings.weights(pattern))
        let minor = model.phases.indices.filter { model.phases[$0].isActive && shares[$0] < StructureSupport.broadenedCellShare }
        guard !minor.isEmpty else { return }
        stage.parameters.removeAll { $0.isLattice && $0.phase.map(minor.contains) == true }
        events?(.cellHeld(stage: index, phases: minor, shares: minor.map { shares[$0] }))
    }

    /// Phases whose scale was refined over the whole range in this stage (after their cell) and came out
    /// below the detection limit (scale < k·esd).
    static func undetectedPhases(_ model: PatternModel, stage: RefinementStage, run: StageRun, outcome: LevenbergMarquardt.Outcome,
                                 settings: RefinementSettings) -> [UndetectedPhase] {
        guard stage.temporarySize == nil, stage.twoThetaMax == nil else { return [] }
        let dof = Double(max(1, run.points - stage.parameters.count))
        let reducedChiSquared = outcome.chiSquared / dof
        var out: [UndetectedPhase] = []
        for (p, phase) in model.phases.enumerated() where phase.mode == .rietveld && phase.isActive {
            guard let i = stage.parameters.firstIndex(of: .scale(phase: p)),
                  phase.independentLattice.allSatisfy({ stage.parameters.contains(.lattice(phase: p, $0)) }) else { continue }
            let esd = (max(outcome.inverseNormalMatrix[i, i], 0) * reducedChiSquared).squareRoot()
            if !(phase.scale > settings.detectionLimitEsds * esd) { out.append(UndetectedPhase(phase: p, scale: Estimate(phase.scale, esd: esd))) }
        }
        return out
    }
}

/// One stage prepared: its points and weights, the temporary broadening and window, the pattern it is
/// fitted against (smoothed alike when broadened) — and how the model is restored afterwards.
///
/// A broadened stage is fitted on every k-th point only, k chosen so that the narrowest broadened peak still
/// spans `broadenedPointsPerFWHM` of them: the smoothed pattern and the broadened model carry nothing finer,
/// and the stage then costs 1/k of the evaluations (the points left out keep their weight through k). Other
/// preliminary stages likewise keep `preliminaryPointsPerFWHM` points per instrumental FWHM: on a finely
/// stepped (synchrotron) pattern only the final stage pays for every point.
struct StageRun {
    let stage: RefinementStage
    let settings: RefinementSettings
    /// The model with the stage's temporary settings applied (on the stage's grid).
    let prepared: PatternModel
    let original: PatternModel
    /// Weights over the whole pattern (what the refinement's statistics use).
    let weights: [Double]
    /// Weights and observed values on the stage's grid (every k-th point in a broadened stage).
    let fitWeights: [Double]
    let observed: [Double]
    let points: Int
    /// Whether the stage fits less than the refinement's range (its background is then not kept).
    let limited: Bool

    init(stage: RefinementStage, model: PatternModel, pattern: Pattern, settings: RefinementSettings) {
        self.stage = stage
        self.settings = settings
        original = model
        var m = model
        if let start = stage.startSize {
            for p in m.phases.indices where stage.parameters.contains(.size(phase: p)) { m.phases[p].size = min(m.phases[p].size, start) }
        }
        let (limit, size) = stage.window(fitted: settings.range, measured: pattern.range)
        let fitted = settings.range ?? pattern.range
        weights = settings.weights(pattern, twoThetaMax: limit)
        limited = limit.map { $0 < min(fitted.upperBound, pattern.range.upperBound) } ?? false
        if let size {
            for p in m.phases.indices where !stage.parameters.contains(.size(phase: p)) {
                m.phases[p].size = min(m.phases[p].size, size)
            }
        }
        if let w = stage.temporaryPeakWindow {
            m.windowLowFWHMs = min(m.windowLowFWHMs, w)
            m.windowHighFWHMs = min(m.windowHighFWHMs, w)
        }
        // A stage that broadens the model compares it with the pattern broadened alike (see `Pattern.smoothed`),
        // on a grid as coarse as the broadened peaks allow.
        if let size, let phase = m.phases.first {
            let stride = Self.broadenedStride(m, pattern: pattern, weights: weights)
            let thin = Self.everyKth(m, pattern, weights: weights, stride: stride)
            // Binned to the stage's grid first: the kernel spans ≥ 8 of its steps, so the box of one step
            // hardly widens it, and the smoothing costs 1/k² of that of every point.
            observed = pattern.binned(every: stride).smoothed(bySize: size, wavelength: m.instrument.radiation.wavelength, sizeMix: phase.sizeMix,
                                                              reach: stage.temporaryPeakWindow ?? m.windowLowFWHMs,
                                                              include: { thin.weights[$0] > 0 }).intensity
            (m, fitWeights) = (thin.model, thin.weights)
        } else if stage.isPreliminary, case let stride = Self.preliminaryStride(m, pattern: pattern, weights: weights), stride > 1 {
            // A preliminary stage only brings the next into its basin: every k-th point of a finely stepped
            // pattern carries the same minimum (the final stage fits every point).
            let thin = Self.everyKth(m, pattern, weights: weights, stride: stride)
            (m, observed, fitWeights) = (thin.model, thin.pattern.intensity, thin.weights)
        } else {
            observed = pattern.intensity
            fitWeights = weights
        }
        points = fitWeights.filter { $0 > 0 }.count
        m.releasePeakLayout()
        prepared = m
    }

    /// Every `stride`-th point, each standing for `stride`: the model on those angles, their observations, and
    /// weights × `stride`, so that χ² estimates the whole pattern's.
    static func everyKth(_ model: PatternModel, _ pattern: Pattern, weights: [Double], stride: Int) -> (model: PatternModel, pattern: Pattern, weights: [Double]) {
        guard stride > 1 else { return (model, pattern, weights) }
        let kept = Array(Swift.stride(from: 0, to: pattern.count, by: stride))
        var m = model
        m.twoTheta = kept.map { pattern.twoTheta[$0] }
        let points = Pattern(name: pattern.name, twoTheta: m.twoTheta, intensity: kept.map { pattern.intensity[$0] })
        return (m, points, kept.map { weights[$0] * Double(stride) })
    }

    /// Points per FWHM of the narrowest broadened peak a broadened stage keeps.
    static let broadenedPointsPerFWHM = 8.0

    /// The largest k with k steps within 1/`broadenedPointsPerFWHM` of the narrowest FWHM any active phase has
    /// over the fitted points (the width grows with angle, so the lowest fitted angle decides).
    static func broadenedStride(_ model: PatternModel, pattern: Pattern, weights: [Double]) -> Int {
        stride(keeping: broadenedPointsPerFWHM, perFWHMOf: model, pattern: pattern, weights: weights)
    }

    /// Points per FWHM of the narrowest possible peak (instrument alone) a preliminary stage keeps.
    static let preliminaryPointsPerFWHM = 5.0

    /// The largest k with k steps within 1/`preliminaryPointsPerFWHM` of the instrumental FWHM at the lowest
    /// fitted angle: sample broadening only widens peaks, so however the stage refines size and strain its
    /// peaks stay resolved.
    static func preliminaryStride(_ model: PatternModel, pattern: Pattern, weights: [Double]) -> Int {
        var sharp = model
        for p in sharp.phases.indices { sharp.phases[p].size = .infinity; sharp.phases[p].microstrain = 0 }
        return stride(keeping: preliminaryPointsPerFWHM, perFWHMOf: sharp, pattern: pattern, weights: weights)
    }

    /// The largest k with `points` per narrowest FWHM of the model's active phases at the lowest fitted angle;
    /// the step is the grid's (its median on an uneven grid). 1 when there is nothing to measure it by.
    static func stride(keeping points: Double, perFWHMOf model: PatternModel, pattern: Pattern, weights: [Double]) -> Int {
        let x = pattern.twoTheta
        guard x.count > 2, let first = weights.firstIndex(where: { $0 > 0 }), let step = pattern.evenStep ?? pattern.typicalStep else { return 1 }
        let narrowest = model.phases.indices.filter { model.phases[$0].isActive }.map { model.fwhm(phase: $0, twoTheta: x[first]) }.min() ?? 0
        guard narrowest.isFinite, narrowest > 0 else { return 1 }
        return max(1, Int(narrowest / (points * step)))
    }

    /// Least squares over the stage's parameters; with Le Bail phases, alternating with their extraction. Also
    /// the refined model's evaluation with its profiles recorded when the stage's layout check made one (see
    /// `minimizeWithCurrentLayout`).
    func minimize(cycleFinished: ((Int, Double) -> Void)? = nil) -> (LevenbergMarquardt.Outcome, PatternModel, ModelEvaluation?) {
        var solver = settings.solver
        if let limit = stage.maximumIterations { solver.maximumIterations = limit }
        if stage.isPreliminary {
            solver.requireBothCriteria = false
            solver.chiSquaredTolerance = 1e-4
            solver.shiftTolerance = 0.1
        } else {
            // A final stage starts where the preliminary ones (or a neighbour's result) left it: its first step
            // is nearly always taken, so its Jacobian is formed with it.
            solver.jacobianWithFirstTrial = true
        }
        var bounds = stage.parameters.map { bound($0) }
        var problem = PatternProblem(model: prepared, parameters: stage.parameters, observed: observed, rootWeights: fitWeights.map { $0.squareRoot() })
        // The solver sees V as its slack above the physical limit (see `PatternProblem.VarianceSlack`).
        if let s = problem.slack { bounds[s.v] = 0...Double.greatestFiniteMagnitude }
        guard LeBail.extracts(in: stage, model: prepared) else {
            let start = problem.solverCoordinates(stage.parameters.map { prepared.value(of: $0) })
            let (outcome, evaluation) = Self.minimizeWithCurrentLayout(solver, &problem, start: start, bounds: bounds,
                                                                       checkingLayout: !stage.isPreliminary, handingOver: true,
                                                                       cycleFinished: cycleFinished)
            return (problem.modelOutcome(outcome), problem.model, evaluation)
        }
        // Le Bail: extract the free intensities from the current model, refine a few cycles with them held,
        // and repeat until χ² stops changing between passes.
        let total = solver.maximumIterations
        solver.maximumIterations = min(total, settings.leBailCyclesPerPass)
        var outcome: LevenbergMarquardt.Outcome?
        var cycles = 0
        for _ in 0..<settings.leBailPasses {
            LeBail.extract(into: &problem.model, observed: observed, weights: fitWeights)
            let start = problem.solverCoordinates(stage.parameters.map { problem.model.value(of: $0) })
            let done = cycles
            // (The extraction below changes the model: the check's evaluation would not be the result's.)
            var o = problem.modelOutcome(Self.minimizeWithCurrentLayout(solver, &problem, start: start, bounds: bounds,
                                                                        checkingLayout: !stage.isPreliminary, handingOver: false,
                                                                        cycleFinished: cycleFinished.map { f in { f(done + $0, $1) } }).0)
            cycles += o.iterations
            let previous = outcome?.chiSquared
            o.iterations = cycles
            outcome = o
            if let previous, abs(previous - o.chiSquared) < 1e-4 * max(o.chiSquared, 1e-300), o.termination.isConverged { break }
            if cycles >= total { break }
        }
        LeBail.extract(into: &problem.model, observed: observed, weights: fitWeights)
        return (outcome!, problem.model, nil)
    }

    /// Layouts a stage may lay out afresh after converging (see `minimizeWithCurrentLayout`).
    static let maximumRelayouts = 3

    /// A fresh layout whose Gauss–Newton step stays below this (in esds) leaves the solution as it is: hard
    /// window edges make yc jump where a window gains or loses a point, so layouts chosen a few cycles apart
    /// put the minimum a tenth of an esd apart — that is the model's numerical definition, not a stale layout
    /// (README example 0.06 esd, the 28,501-point pattern 0.14; going on cost them 2 cycles, 25 % of the
    /// 28,501-point refinement). A stale layout moves it by more: LiCoO2 0.27, NIST LaB6 0.56, P2-NaCoO2 9.7.
    static let layoutShiftTolerance = 0.25

    /// Jᵀ(r − r₀), J and r₀ the outcome's Jacobian and residuals, which are dropped (a continued fit would
    /// otherwise hold the first Jacobian beside its own two: 10⁶ points, 873 MB at the peak).
    static func projectedChange(_ outcome: inout LevenbergMarquardt.Outcome, residuals r: [Double]) -> [Double] {
        guard let j = outcome.jacobian.take() else { return [] }
        let g = LinearAlgebra.transposeTimes(j, zip(r, outcome.residuals).map { $0 - $1 })
        outcome.residuals = []
        return g
    }

    /// Jacobian entries (points × parameters) up to which the layout check records the profiles.
    static let recordingCheckLimit = 8_000_000

    /// Least squares with the peak layout (windows and asymmetry quadrature) frozen, as the analytic Jacobian
    /// needs, then checked against the layout the solution itself calls for: the peaks are laid out afresh,
    /// and the Gauss–Newton step that the change of the residuals calls for, δ = (JᵀJ)⁻¹ Jᵀ (r_fresh −
    /// r_frozen) (J the frozen layout's, close to the fresh one's), is held against `layoutShiftTolerance`.
    /// Below it the solution stands, with the fresh layout and its χ² (what evaluating the model again
    /// gives); above it the fit goes on with the fresh layout. A window chosen for a nearly symmetric
    /// peak cuts the tail that a refined SH/L grows afterwards: P2-NaCoO2 from a generic start ended at Rwp
    /// 3.52 % at a point where the fresh layout's χ² was twice the frozen one's (2.24 % once the fit follows
    /// its layout). `handingOver`: the check's evaluation records the profiles, as a result's does, and is
    /// returned when the solution stands — it is the result's evaluation, made once.
    static func minimizeWithCurrentLayout(_ solver: LevenbergMarquardt, _ problem: inout PatternProblem, start: [Double],
                                          bounds: [ClosedRange<Double>], checkingLayout: Bool, handingOver: Bool,
                                          cycleFinished: ((Int, Double) -> Void)?) -> (LevenbergMarquardt.Outcome, ModelEvaluation?) {
        var outcome = solver.minimize(&problem, start: start, lower: bounds.map(\.lowerBound), upper: bounds.map(\.upperBound),
                                      cycleFinished: cycleFinished)
        var cycles = outcome.iterations
        var evaluation: ModelEvaluation?
        // Only parameters that place or shape peaks change the layout; a preliminary stage only brings the
        // next into its basin, and the next lays the peaks out afresh.
        for _ in 0..<(checkingLayout && problem.parameters.contains { $0.placesPeaks } ? maximumRelayouts : 0) {
            guard outcome.termination.isConverged, let entries = outcome.jacobian.map({ $0.rows * $0.columns }) else { break }
            var fresh = problem
            fresh.model.releasePeakLayout()
            // Recorded (the result's evaluation, made once) unless the Jacobian is large: the profiles recorded
            // beside it raise the peak memory (10⁶ points: 794 MB resident against 734 MB); the result then
            // records its own once the Jacobian is gone.
            let recording = handingOver && entries <= recordingCheckLimit
            let e = fresh.model.evaluate(recordingProfiles: recording)
            fresh.model.peakLayout = e.peakLayout
            var r = [Double](repeating: 0, count: e.calculated.count)
            for i in r.indices { r[i] = fresh.rootWeights[i] * (fresh.observed[i] - e.calculated[i]) }
            let chi2 = r.reduce(0) { $0 + $1 * $1 }
            let inverse = outcome.inverseNormalMatrix
            let g = Self.projectedChange(&outcome, residuals: r)
            let n = g.count
            let reduced = chi2 / Double(max(1, fresh.rootWeights.filter { $0 > 0 }.count - n))
            var ratio = 0.0
            for a in 0..<n where !outcome.atBound.contains(a) && inverse[a, a] > 0 {
                var shift = 0.0
                for b in 0..<n { shift += inverse[a, b] * g[b] }
                ratio = max(ratio, abs(shift) / (inverse[a, a] * reduced).squareRoot())
            }
            problem = fresh
            guard ratio >= layoutShiftTolerance, cycles < solver.maximumIterations else {
                outcome.chiSquared = chi2
                evaluation = recording ? e : nil
                break
            }
            var more = solver
            more.maximumIterations = solver.maximumIterations - cycles
            let done = cycles
            outcome = more.minimize(&problem, start: outcome.parameters, lower: bounds.map(\.lowerBound), upper: bounds.map(\.upperBound),
                                    cycleFinished: cycleFinished.map { f in { f(done + $0, $1) } })
            cycles += outcome.iterations
            outcome.iterations = cycles
        }
        (outcome.jacobian, outcome.residuals) = (nil, [])
        return (outcome, evaluation)
    }

    /// Whether `restore` gives the refined model back unchanged: no temporary size, window or thinning, and
    /// the background was fitted over the whole range.
    var restoresNothing: Bool {
        stage.temporarySize == nil && stage.startSize == nil && stage.temporaryPeakWindow == nil && !limited
            && prepared.twoTheta.count == original.twoTheta.count
    }

    /// The refined model with the stage's temporary settings undone: sizes that were capped and not refined,
    /// the peak windows, and — after a 2θ-limited stage — the background it started with (Chebyshev terms
    /// fitted on part of the pattern are free to run away beyond it).
    func restore(_ refined: PatternModel) -> PatternModel {
        var m = refined
        if m.twoTheta.count != original.twoTheta.count {
            m.twoTheta = original.twoTheta
            m.releasePeakLayout()
        }
        for p in m.phases.indices where !stage.parameters.contains(.size(phase: p)) { m.phases[p].size = original.phases[p].size }
        (m.windowLowFWHMs, m.windowHighFWHMs) = (original.windowLowFWHMs, original.windowHighFWHMs)
        if limited { m.background.coefficients = original.background.coefficients }
        return m
    }

    /// A stage keeps each cell length within this fraction of where it started — 5 % with broadened peaks,
    /// 2 % with sharp ones (a sharp stage's basin is a fraction of a peak width): a cell with little to hold it
    /// (a minor phase's, or one whose peaks another phase has taken) could otherwise wander to a false minimum
    /// far away. A cell that ends at such a limit is reported at a bound, and a sequential run retries.
    static let broadenedCellRange = 0.05, sharpCellRange = 0.02

    func bound(_ p: ModelParameter) -> ClosedRange<Double> {
        let b = settings.bounds(of: p)
        guard settings.bounds[p] == nil, case .phase(_, .lattice(let l)) = p, l.isLength else { return b }
        let range = stage.temporarySize != nil ? Self.broadenedCellRange : Self.sharpCellRange
        let v = prepared.value(of: p)
        return max(b.lowerBound, v * (1 - range))...min(b.upperBound, v * (1 + range))
    }

    /// Rwp (%) of a χ² over the stage's points and observed values.
    func rwp(chiSquared: Double) -> Double {
        var sum = 0.0
        for i in fitWeights.indices { sum += fitWeights[i] * observed[i] * observed[i] }
        return 100 * (chiSquared / max(sum, 1e-300)).squareRoot()
    }
}
