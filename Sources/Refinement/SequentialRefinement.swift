import Crystallography
import Foundation
import PowderDiffraction

/// One pattern of a sequential refinement.
public struct SequentialRow: Sendable {
    public let index: Int
    public let file: String
    public let result: RefinementResult
    /// Refinements tried before this one was accepted or flagged (0 = the first attempt passed).
    public let retries: Int
    /// True when even the best attempt failed the checks; a flagged result never seeds the next pattern.
    public let flagged: Bool
    /// Why the accepted result failed the checks (flagged rows), nil otherwise.
    public let reason: SequentialFailure?
    /// Which phases were refined in this pattern (an absent phase keeps its last values, unrefined).
    public let present: [Bool]

    public init(index: Int, file: String, result: RefinementResult, retries: Int, flagged: Bool, reason: SequentialFailure?, present: [Bool]? = nil) {
        self.index = index
        self.file = file
        self.result = result
        self.retries = retries
        self.flagged = flagged
        self.reason = reason
        self.present = present ?? result.model.phases.map(\.isActive)
    }
}

/// Why a sequential result is not trusted.
public enum SequentialFailure: Sendable, Equatable {
    case singular
    case rwpNotFinite
    /// Rwp above `factor` × the recent accepted Rwp.
    case rwpJump(rwp: Double, factor: Double, recent: Double)
    /// Rwp above `factor` × the best accepted in the run.
    case rwpDrift(rwp: Double, factor: Double, best: Double)
    /// Structural parameters ended at a bound.
    case atBound([ModelParameter])
    case stalled(gof: Double)
    case notConverged(TerminationReason)
    case undetected([Int])
}

/// Settings of a sequential run.
public struct SequentialOptions: Sendable {
    /// Rwp above this multiple of the recent accepted Rwp (median of the last three) counts as a failure.
    public var rwpJump = 1.5
    /// Rwp above this multiple of the best accepted in the run counts as a failure: a chain that drifts away
    /// from the peaks a little at a time never jumps.
    public var rwpDrift = 2.0
    public var settings = RefinementSettings()
    /// With several phases, which are present is decided per pattern (see `PhasePresence`).
    public var trackPresence = true
    /// Phases known to be in every pattern (a current collector, a cell window, an internal standard): never
    /// dropped, even where another phase's peaks cover theirs and the data alone could not tell.
    public var keptPhases: Set<Int> = []
    public init() {}
}

/// What a chained run carries from one pattern to the next: the last three good models (the next pattern
/// starts from an extrapolation of them, see `SequentialChain.start`), the recent Rwp values and which phases
/// were present.
/// Codable, so that a resumed run continues from exactly the state an uninterrupted one had.
public struct ChainState: Codable, Sendable, Equatable {
    public var lastGood: ModelSnapshot?
    public var previousGood: ModelSnapshot?
    /// The good result before `previousGood` (for the quadratic extrapolation).
    public var olderGood: ModelSnapshot?
    public var recentRwp: [Double] = []
    /// The lowest Rwp accepted so far (a slow drift away from it is a failure too).
    public var bestRwp: Double?
    /// Phases present in the last good result (nil before the first).
    public var present: [Bool]?
    public init() {}
}

/// Chained refinement, one pattern at a time: each pattern starts from the last good result (extrapolated),
/// with checks and retries so that one bad fit neither stops nor poisons the run; with several phases,
/// which are present is decided per pattern. Independent refinements use it with a fresh state each time.
public struct SequentialChain: Sendable {
    public let template: PatternModel
    public let stages: [RefinementStage]
    public let options: SequentialOptions
    public private(set) var state: ChainState
    /// The last accepted model, whose master reflection lists models restored from the state take over
    /// (the template's were made at its own cell; an operando series moves several per cent from it, and
    /// regenerating them for every restore was ~6 % of a chained pattern's work).
    private var lastAccepted: PatternModel?
    /// Models restored from the state's snapshots: each good result is the last, the previous and the older
    /// one of three patterns in turn, and is restored once instead of three times (restoring — the reflection
    /// lists and phase sums at its cell — was 4 % of a chained pattern's time).
    private var restoredModels: [(snapshot: ModelSnapshot, model: PatternModel)] = []

    public init(template: PatternModel, stages: [RefinementStage], options: SequentialOptions, state: ChainState = ChainState()) {
        self.template = template
        self.stages = stages
        self.options = options
        self.state = state
    }

    /// The stages for a pattern that starts from a neighbour's result: the cell first (peaks may have moved
    /// by more than a width), then everything the template's last stage refines.
    public static func chainedStages(from full: [RefinementStage], coarse: Bool = false) -> [RefinementStage] {
        guard let last = full.last else { return [] }
        let cellish = last.parameters.filter {
            switch $0 {
            case .phase(_, .scale), .phase(_, .lattice), .pattern(.background), .pattern(.zero), .pattern(.specimenDisplacement),
                 .pattern(.displacementParallel), .pattern(.displacementPerpendicular): return true
            default: return false
            }
        }
        var all = last
        all.name = "all from neighbour"
        var out = [RefinementStage(name: "cell from neighbour", parameters: cellish, isPreliminary: true), all]
        // Peaks a step or two wide give a sharp fit no slope to follow them: move the cell with broadened
        // peaks first (as the full strategy does).
        if coarse, var broadened = full.first(where: { $0.temporarySize != nil }) {
            broadened.searchesCell = false  // a neighbour's cell is close: no grid search
            out.insert(broadened, at: 0)
        }
        return out
    }

    /// Whether the pattern's step is coarse for the model's peaks: more than half the FWHM of the strongest
    /// phase in the middle of the range.
    static func isCoarse(_ model: PatternModel, _ pattern: Pattern) -> Bool {
        guard pattern.count > 2, let p = model.phases.indices.filter({ model.phases[$0].isActive }).max(by: { model.phases[$0].scale * model.phases[$0].structure.cellMass < model.phases[$1].scale * model.phases[$1].structure.cellMass }) else { return false }
        let step = (pattern.range.upperBound - pattern.range.lowerBound) / Double(pattern.count - 1)
        return step > 0.5 * model.fwhm(phase: p, twoTheta: (pattern.range.lowerBound + pattern.range.upperBound) / 2)
    }

    /// A model for `pattern` that carries every parameter value of `source` (same phases and instrument).
    public static func model(_ source: PatternModel, on pattern: Pattern) -> PatternModel {
        var m = source
        m.twoTheta = pattern.twoTheta
        m.background = ChebyshevBackground(coefficients: source.background.coefficients, low: pattern.twoTheta.first ?? 0,
                                           high: max(pattern.twoTheta.last ?? 1, (pattern.twoTheta.first ?? 0) + 1e-6))
        m.peakLayout = []
        return m
    }

    /// Σ weights[k] · models[k] for each parameter, on `models[0]` (values that would leave their physical
    /// range, or make the cell impossible, stay at `models[0]`'s): (2, −1) is the straight line through the last
    /// two results, (3, −3, 1) the parabola through the last three.
    static func extrapolate(_ models: [PatternModel], weights: [Double], parameters: [ModelParameter]) -> PatternModel {
        var m = models[0]
        for p in parameters {
            let a = models[0].value(of: p)
            let v = zip(models, weights).reduce(0) { $0 + $1.1 * $1.0.value(of: p) }
            guard RefinementSettings.defaultBounds(p).contains(v) else { continue }
            do { try m.setValue(v, for: p) } catch { try? m.setValue(a, for: p) }
        }
        return m
    }

    /// Every how many points the candidate starts are compared (see `start`).
    static let startComparisonStride = 4

    /// Where a pattern that follows good results starts: of the straight-line extrapolation of the last two,
    /// the parabola through the last three (when there are three) and the last result itself, the one whose
    /// calculated pattern fits this pattern best (χ² of yc alone on every 4th point; the three yc are ~7 % of a
    /// chained run's instructions). Each earns its place: on the GSAS-II series run forth and back (its cell
    /// moves in equal steps) the line wins 178 of 200 patterns and the last result the 19 where the series
    /// turns (they went from 9–10 cycles to 1–4); on the 157 measured in situ scans (`patterns/insitu-linio2-al`)
    /// the line wins 45, the parabola 37 and the last result 72.
    func start(for pattern: Pattern, last: PatternModel, before: PatternModel, older: PatternModel?, parameters: [ModelParameter]) -> PatternModel {
        var candidates = [Self.extrapolate([last, before], weights: [2, -1], parameters: parameters)]
        if let older { candidates.append(Self.extrapolate([last, before, older], weights: [3, -3, 1], parameters: parameters)) }
        candidates.append(last)
        // Compared on every 4th point (taken once for all candidates): ranking the starts needs no more, and a
        // yc costs as many points as it has.
        let weights = options.settings.weights(pattern)
        let kept = Array(Swift.stride(from: 0, to: pattern.count, by: Self.startComparisonStride))
        let x = kept.map { pattern.twoTheta[$0] }, observed = kept.map { pattern.intensity[$0] }, w = kept.map { weights[$0] }
        let misfit = candidates.map { m -> Double in
            var model = Self.model(m, on: pattern)  // (the background's range is the whole pattern's)
            model.twoTheta = x
            let y = model.evaluate().calculated
            var chi2 = 0.0
            for i in y.indices where w[i] > 0 { let d = observed[i] - y[i]; chi2 += w[i] * d * d }
            return chi2.isFinite ? chi2 : .infinity
        }
        return candidates[misfit.indices.min { misfit[$0] < misfit[$1] }!]
    }

    /// Why a result should not be trusted, or nil.
    static func failure(_ r: RefinementResult, reference: Double?, best: Double?, options: SequentialOptions) -> SequentialFailure? {
        if case .singular = r.termination { return .singular }
        if r.termination == .notFinite { return .notConverged(r.termination) }
        if !r.undetected.isEmpty { return .undetected(r.undetected.map(\.phase)) }
        if !r.statistics.rwp.isFinite { return .rwpNotFinite }
        if let ref = reference, r.statistics.rwp > options.rwpJump * ref {
            return .rwpJump(rwp: r.statistics.rwp, factor: options.rwpJump, recent: ref)
        }
        if let best, r.statistics.rwp > options.rwpDrift * best {
            return .rwpDrift(rwp: r.statistics.rwp, factor: options.rwpDrift, best: best)
        }
        // A size at its upper bound or a microstrain at zero means "no broadening measurable", not a failure;
        // so does a start profile's width term on its limit (that kind of broadening is not needed).
        let structural = r.atBound.filter { p in
            if p.isBackground || isSizeOnUpperBound(p, r, options.settings) || isWidthOnItsLimit(p, r, options.settings) { return false }
            switch p {
            case .phase(_, .microstrain), .phase(_, .axialMicrostrain): return r.model.value(of: p) > 0
            default: return true
            }
        }
        if !structural.isEmpty { return .atBound(structural) }
        if r.termination == .stalled && r.statistics.gof > 3 { return .stalled(gof: r.statistics.gof) }
        if r.termination == .iterationLimit { return .notConverged(r.termination) }
        return nil
    }

    /// Whether `p` is a crystallite size (isotropic or axial) on its upper bound in `r`: no broadening measurable.
    static func isSizeOnUpperBound(_ p: ModelParameter, _ r: RefinementResult, _ settings: RefinementSettings) -> Bool {
        guard case .phase(_, let q) = p, q == .size || q == .axialSize else { return false }
        return r.model.value(of: p) >= settings.bounds(of: p).upperBound
    }

    /// Whether `p` is a pseudo-Voigt width term on its physical limit in `r`: U, W, X or Y at zero, or V where
    /// the Gaussian variance touches zero (V's only limit).
    static func isWidthOnItsLimit(_ p: ModelParameter, _ r: RefinementResult, _ settings: RefinementSettings) -> Bool {
        guard case .pattern(.profile(let t)) = p else { return false }
        switch t {
        case .v: return true
        case .u, .w, .x, .y: return r.model.value(of: p) <= settings.bounds(of: p).lowerBound
        default: return false
        }
    }

    /// Whether an active phase's crystallite size ended on its upper bound in `r`.
    func sizeOnUpperBound(_ r: RefinementResult) -> Bool {
        r.atBound.contains { p in Self.isSizeOnUpperBound(p, r, options.settings) && p.phase.map { r.model.phases[$0].isActive } == true }
    }

    mutating func restored(_ s: ModelSnapshot?) -> PatternModel? {
        guard let s else { return nil }
        var m: PatternModel
        if let kept = restoredModels.first(where: { $0.snapshot == s }) {
            m = kept.model
        } else {
            guard let fresh = restoring(s) else { return nil }
            m = fresh
            restoredModels = Array((restoredModels + [(s, m)]).suffix(3))
        }
        if let present = state.present { for p in m.phases.indices { m.phases[p].isActive = present[p] } }
        return m
    }

    func restoring(_ s: ModelSnapshot) -> PatternModel? {
        var m = template
        if let source = lastAccepted { for p in m.phases.indices { m.phases[p].adoptMasterList(of: source.phases[p]) } }
        guard (try? m.restore(s)) != nil else { return nil }
        return m
    }

    /// Refines one pattern; the state moves on when the result passes its checks.
    public mutating func refine(_ pattern: Pattern, index: Int, file: String) -> SequentialRow {
        var attempts: [(RefinementResult, SequentialFailure?)] = []
        let recent = state.recentRwp.suffix(3).sorted()
        let reference = recent.isEmpty ? nil : recent[recent.count / 2]
        let presence = PhasePresence(options: options)
        func attempt(_ from: PatternModel, _ s: [RefinementStage]) -> Bool {
            let r = presence.refine(Self.model(from, on: pattern), against: pattern, stages: s, fullStages: stages)
            let why = Self.failure(r, reference: reference, best: state.bestRwp, options: options)
            attempts.append((r, why))
            return why == nil
        }
        var ok = false
        let lastGood = restored(state.lastGood)
        if let good = lastGood, let before = restored(state.previousGood) {
            // Operando series change smoothly: start from the straight-line extrapolation of the last two good
            // results and refine everything at once (after a broadened cell stage when the step is coarse).
            var quick = stages.last.map { [$0] } ?? []
            if Self.isCoarse(good, pattern), var broadened = stages.first(where: { $0.temporarySize != nil }) {
                broadened.searchesCell = false
                quick.insert(broadened, at: 0)
            }
            // Only what was refined moves: absent phases keep their values.
            let moving = good.allParameters.filter { p in !p.isBackground && p.phase.map { good.phases[$0].isActive } != false }
            ok = attempt(start(for: pattern, last: good, before: before, older: restored(state.olderGood), parameters: moving), quick)
        }
        if !ok, let good = lastGood {
            ok = attempt(good, Self.chainedStages(from: stages, coarse: Self.isCoarse(good, pattern)))
            if !ok { ok = attempt(good, stages) }
        }
        var fromTemplate = false
        if !ok {
            ok = attempt(template, stages)
            fromTemplate = true
        }
        var taken = attempts.count - 1
        // A size on its upper bound has no slope there (the broadening goes as 1/D): a chained start that
        // reached the bound stays on it, and the phase's peaks, drawn sharp, can pull its cell onto a
        // neighbour's shoulder (the in situ LiNiO2 + Al scans 72–78: Al at 100 µm, a 4.053–4.056 Å, Rwp
        // 6.0–6.3 %, where the scans refined on their own give 4.042–4.046 Å, 5.4–5.7 %). Resetting the size
        // alone returns to the bound (the cell holds it there): such a pattern is refined once more from the
        // template with the full strategy, and the better of the two fits is taken.
        if ok, !fromTemplate, sizeOnUpperBound(attempts[taken].0) {
            let first = attempts[taken].0
            if attempt(template, stages), attempts.last!.0.statistics.rwp < first.statistics.rwp { taken = attempts.count - 1 }
        }
        let best = attempts.min { $0.0.statistics.rwp < $1.0.statistics.rwp }!
        let accepted = ok ? attempts[taken] : best
        if ok {
            state.olderGood = state.previousGood
            state.previousGood = state.lastGood
            state.lastGood = accepted.0.model.snapshot()
            lastAccepted = accepted.0.model
            state.present = accepted.0.model.phases.map(\.isActive)
            state.recentRwp = Array((state.recentRwp + [accepted.0.statistics.rwp]).suffix(3))
            state.bestRwp = min(state.bestRwp ?? .infinity, accepted.0.statistics.rwp)
        }
        // Retries: the attempts before the one taken (a template fit tried and not taken does not count).
        return SequentialRow(index: index, file: file, result: accepted.0, retries: ok ? taken : attempts.count - 1, flagged: !ok, reason: accepted.1)
    }
}

/// Which phases a pattern holds, decided as it is refined (several phases only).
///
/// - A present phase stays while its refined scale is at least `RefinementSettings.detectionLimitEsds`
///   (3) esds. Below, the pattern is refined without it — its values kept, its parameters out of the fit — and
///   it is absent if that fit is no worse by 9 χ²_red (3σ for one parameter); if it is, the phase stays
///   (its scale's esd was inflated by correlations) and the fit with it goes on.
/// - An absent phase appears when adding it at unit shape explains the residual significantly: the scale
///   that best fits the residual (one linear parameter, weighted least squares) must exceed `appearanceEsds`
///   (5) of its esd, at the best of a few cell sizes around its last cell (±1.5 %). It is then searched for
///   with a broadened stage (its scale and cell, the others' scales), refined with its size and strain, and
///   finally with everything; it is kept only if it passes the detection limit.
/// The hysteresis (5σ to appear, 3σ to stay) keeps a phase at its limit from flickering.
struct PhasePresence {
    let options: SequentialOptions
    static let appearanceEsds = 5.0
    static let cellSearch = stride(from: -0.015, through: 0.015, by: 0.0025).map { $0 }

    func refine(_ model: PatternModel, against pattern: Pattern, stages: [RefinementStage], fullStages: [RefinementStage]) -> RefinementResult {
        let settings = options.settings
        let tracking = options.trackPresence && model.phases.count > 1
        var result = Refiner.refine(model, against: pattern, stages: restricted(stages, to: model), settings: settings)
        guard tracking else { return result }
        // A phase below its detection limit is absent only if the pattern is no worse without it (the χ² test
        // of `PhasePresence`); otherwise it is there and the fit with it goes on (its scale's esd was inflated
        // by correlations, not by its absence).
        while !result.undetected.isEmpty {
            let droppable = result.undetected.filter { !options.keptPhases.contains($0.phase) }
            if droppable.isEmpty {
                var keep = settings
                keep.detectionLimitEsds = 0
                result = Refiner.refine(result.model, against: pattern, stages: restricted(stages.suffix(1), to: result.model), settings: keep)
                break
            }
            var without = result.model
            for u in droppable {
                // Back to the values it came in with (its last detected state, or the start file), not where an
                // undetermined fit left it.
                without.phases[u.phase] = model.phases[u.phase]
                without.phases[u.phase].isActive = false
            }
            guard without.phases.contains(where: \.isActive) else { break }
            let refit = Refiner.refine(without, against: pattern, stages: restricted(stages.suffix(1), to: without), settings: settings)
            if Self.significance(of: result, against: refit) >= options.settings.detectionLimitEsds * options.settings.detectionLimitEsds {
                var keep = settings
                keep.detectionLimitEsds = 0
                result = Refiner.refine(result.model, against: pattern, stages: restricted(stages.suffix(1), to: result.model), settings: keep)
                break
            }
            result = refit
        }
        // Phases that may have appeared (a phase just dropped too: its search is more robust than the fit
        // that lost it, and the appearance test is stricter than the detection limit).
        var current = result
        for p in current.model.phases.indices where !current.model.phases[p].isActive {
            guard let trial = appearance(p, in: current, pattern: pattern, fullStages: fullStages) else { continue }
            current = trial
        }
        return current
    }

    /// How much better (Δχ² / χ²_red) a fit with a phase is than the fit without it.
    static func significance(of with: RefinementResult, against without: RefinementResult) -> Double {
        let chi = { (r: RefinementResult) in r.statistics.reducedChiSquared * Double(max(1, r.statistics.points - r.statistics.parameters)) }
        return (chi(without) - chi(with)) / max(with.statistics.reducedChiSquared, 1e-300)
    }

    /// Stages with the parameters of inactive phases removed.
    func restricted(_ stages: some Collection<RefinementStage>, to model: PatternModel) -> [RefinementStage] {
        stages.map { s in
            var s = s
            s.parameters.removeAll { $0.phase.map { !model.phases[$0].isActive } ?? false }
            return s
        }
    }

    /// Tests whether absent phase `p` explains the residual of `base`; if so, brings it in and refines.
    func appearance(_ p: Int, in base: RefinementResult, pattern: Pattern, fullStages: [RefinementStage]) -> RefinementResult? {
        var probe = base.model
        for q in probe.phases.indices { probe.phases[q].isActive = q == p }
        probe.background.coefficients = []
        probe.phases[p].scale = 1
        let residual = zip(pattern.intensity, base.evaluation.calculated).map { $0 - $1 }
        let chi2 = base.statistics.reducedChiSquared
        var best: (t: Double, factor: Double) = (-.infinity, 0)
        let cell = probe.phases[p].structure.cell
        for f in Self.cellSearch {
            var m = probe
            for l in m.phases[p].independentLattice where l.isLength { try? m.phases[p].setLattice(l, cell.parameters[l.rawValue] * (1 + f)) }
            m.releasePeakLayout()
            let u = m.evaluate().calculated
            var uu = 0.0, ur = 0.0
            for i in u.indices where base.weights[i] > 0 { uu += base.weights[i] * u[i] * u[i]; ur += base.weights[i] * u[i] * residual[i] }
            guard uu > 0 else { continue }
            let t = (ur / uu) / (chi2 / uu).squareRoot()
            if t > best.t { best = (t, f) }
        }
        guard best.t >= Self.appearanceEsds else { return nil }
        var m = base.model
        m.phases[p].isActive = true
        for l in m.phases[p].independentLattice where l.isLength { try? m.phases[p].setLattice(l, cell.parameters[l.rawValue] * (1 + best.factor)) }
        // Its scale from the linear fit at the best cell, then: broadened search of its cell, its broadening, all.
        var seed = m
        for q in seed.phases.indices where q != p { seed.phases[q].isActive = false }
        seed.background.coefficients = []
        seed.phases[p].scale = 1
        seed.releasePeakLayout()
        let u = seed.evaluate().calculated
        var uu = 0.0, ur = 0.0
        for i in u.indices where base.weights[i] > 0 { uu += base.weights[i] * u[i] * u[i]; ur += base.weights[i] * u[i] * residual[i] }
        m.phases[p].scale = max(ur / uu, 0)
        let others = base.parameters.filter { if case .phase(_, .scale) = $0 { return true } else { return $0.isBackground } }
        let own = m.phases[p].independentLattice.map { ModelParameter.lattice(phase: p, $0) }
        let search: [RefinementStage] = [
            .broadened(name: "\(m.phases[p].name) appears: cell (broadened)", parameters: others + [.scale(phase: p)] + own,
                       wavelength: m.instrument.radiation.wavelength, twoThetaMax: DefaultStrategy.broadenedTwoThetaMax,
                       maximumIterations: DefaultStrategy.broadenedCycles),
            RefinementStage(name: "\(m.phases[p].name) appears: scale, cell, size, strain", parameters: others + [.scale(phase: p), .size(phase: p), .microstrain(phase: p)] + own,
                            isPreliminary: true),
        ]
        var full = fullStages.suffix(1).map { $0 }
        full[0].requiresStructureSupport = true
        let trial = Refiner.refine(m, against: pattern, stages: restricted(search + full, to: m), settings: options.settings)
        guard trial.undetected.isEmpty, Self.significance(of: trial, against: base) >= Self.appearanceEsds * Self.appearanceEsds else { return nil }
        return trial
    }
}

/// Reads one pattern ahead on another thread.
public final class Prefetcher: @unchecked Sendable {
    private let load: @Sendable (Int) throws -> Pattern
    private let condition = NSCondition()
    private var ready: (index: Int, result: Result<Pattern, any Error>)?

    public init(load: @escaping @Sendable (Int) throws -> Pattern) { self.load = load }

    /// Starts reading pattern i (the one before must have been taken).
    public func request(_ i: Int) {
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let result = Result { try load(i) }
            condition.lock()
            ready = (i, result)
            condition.signal()
            condition.unlock()
        }
    }

    /// Pattern i once read, or its read error.
    public func take(_ i: Int) throws -> Pattern {
        condition.lock()
        while ready?.index != i { condition.wait() }
        let result = ready!.result
        ready = nil
        condition.unlock()
        return try result.get()
    }
}
