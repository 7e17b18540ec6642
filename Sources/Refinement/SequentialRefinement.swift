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
    public let reason: String?
}

/// Sequential refinement of a series: chained (each pattern starts from the last good result) or
/// independent (each from the template), with checks and retries so that one bad fit neither stops nor
/// poisons the run.
public enum SequentialRefinement {
    public struct Options: Sendable {
        /// Rwp above this multiple of the recent accepted Rwp (median of the last three) counts as a failure.
        public var rwpJump = 1.5
        public var settings = RefinementSettings()
        public init() {}
    }

    /// The stages for a pattern that starts from a neighbour's result: the cell first (peaks may have moved
    /// by more than a width), then everything the template's last stage refines.
    public static func chainedStages(from full: [RefinementStage]) -> [RefinementStage] {
        guard let last = full.last else { return [] }
        let cellish = last.parameters.filter {
            switch $0 {
            case .scale, .background, .zero, .lattice, .specimenDisplacement, .displacementParallel, .displacementPerpendicular: return true
            default: return false
            }
        }
        return [RefinementStage(name: "cell from neighbour", parameters: cellish), RefinementStage(name: "all from neighbour", parameters: last.parameters)]
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

    /// `last` moved on by the step from `before` to `last` for each parameter (values that would leave their
    /// physical range, or make the cell impossible, stay at `last`'s).
    static func extrapolate(_ last: PatternModel, _ before: PatternModel, parameters: [ModelParameter]) -> PatternModel {
        var m = last
        for p in parameters {
            let a = last.value(of: p), b = before.value(of: p)
            let v = 2 * a - b
            let bounds = RefinementSettings.defaultBounds(p)
            guard bounds.contains(v) else { continue }
            do { try m.setValue(v, for: p) } catch { try? m.setValue(a, for: p) }
        }
        return m
    }

    /// Why a result should not be trusted, or nil.
    static func failure(_ r: RefinementResult, reference: Double?, options: Options) -> String? {
        if case .singular = r.termination { return "singular normal matrix" }
        if !r.statistics.rwp.isFinite { return "Rwp is not finite" }
        if let ref = reference, r.statistics.rwp > options.rwpJump * ref {
            return String(format: "Rwp %.2f %% is more than %.1f× the recent %.2f %%", r.statistics.rwp, options.rwpJump, ref)
        }
        let structural = r.atBound.filter { if case .background = $0 { return false } else { return true } }
        if !structural.isEmpty { return "at a bound: \(structural.map { r.model.name(of: $0) }.joined(separator: ", "))" }
        if r.termination == .stalled && r.statistics.gof > 3 { return "stalled with GOF \(String(format: "%.2f", r.statistics.gof))" }
        return nil
    }

    /// Chained refinement of `patterns` in order. `start` is the model the first pattern starts from (or a
    /// resumed run's last good model with `startIsRefined`, and `previous` the good one before it); `onRow`
    /// receives each finished pattern at once. Each pattern is read on another thread while the one before it
    /// is refined; a read that fails is thrown when its turn comes, after every earlier row.
    public static func chained(template: PatternModel, start: PatternModel? = nil, startIsRefined: Bool = false,
                               previous: PatternModel? = nil,
                               patterns: [(index: Int, file: String)], load: @escaping @Sendable (Int) throws -> Pattern,
                               stages: [RefinementStage], options: Options = Options(), onRow: (SequentialRow) -> Void) throws {
        var lastGood: PatternModel? = startIsRefined ? start : nil
        var previousGood: PatternModel? = startIsRefined ? previous : nil
        var recentRwp: [Double] = []
        let quick = chainedStages(from: stages)
        let final = stages.last.map { [$0] } ?? []
        let reader = Prefetcher(load: load)
        if !patterns.isEmpty { reader.request(0) }
        for (n, item) in patterns.enumerated() {
            // Patterns are read one ahead: a run over thousands keeps two in memory.
            let pattern = try reader.take(n)
            if n + 1 < patterns.count { reader.request(n + 1) }
            var attempts: [(RefinementResult, String?)] = []
            func attempt(_ from: PatternModel, _ s: [RefinementStage]) -> Bool {
                let r = Refiner.refine(model(from, on: pattern), against: pattern, stages: s, settings: options.settings)
                let reference = recentRwp.isEmpty ? nil : recentRwp.suffix(3).sorted()[recentRwp.suffix(3).count / 2]
                let why = failure(r, reference: reference, options: options)
                attempts.append((r, why))
                return why == nil
            }
            var ok = false
            if let good = lastGood, let before = previousGood {
                // Operando series change smoothly: start from the straight-line extrapolation of the last two
                // good results and refine everything at once.
                ok = attempt(extrapolate(good, before, parameters: final.first?.parameters ?? []), final)
            }
            if !ok, let good = lastGood {
                ok = attempt(good, quick)
                if !ok { ok = attempt(good, stages) }
            }
            if !ok { ok = attempt(start ?? template, stages) }
            if !ok && lastGood == nil && start != nil { ok = attempt(template, stages) }
            let best = attempts.min { $0.0.statistics.rwp < $1.0.statistics.rwp }!
            let accepted = ok ? attempts.last! : best
            let flagged = !ok
            if !flagged {
                previousGood = lastGood
                lastGood = accepted.0.model
                recentRwp.append(accepted.0.statistics.rwp)
            }
            onRow(SequentialRow(index: item.index, file: item.file, result: accepted.0, retries: attempts.count - 1,
                                flagged: flagged, reason: accepted.1))
        }
    }

    /// Independent refinements from the template, `jobs` at a time; rows arrive in completion order.
    /// A failure to load a pattern stops the workers and is returned (rows already delivered stay delivered).
    public static func independent(template: PatternModel, patterns: [(index: Int, file: String)],
                                   load: @escaping @Sendable (Int) throws -> Pattern,
                                   stages: [RefinementStage], jobs: Int, options: Options = Options(),
                                   onRow: @escaping @Sendable (SequentialRow) -> Void) -> (any Error)? {
        let next = Counter()
        let loadFailure = FirstError()
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, patterns.count))) { _ in
            while loadFailure.error == nil, let i = next.take(below: patterns.count) {
                let item = patterns[i]
                let pattern: Pattern
                do { pattern = try load(i) } catch { loadFailure.set(error); return }
                let r = Refiner.refine(model(template, on: pattern), against: pattern, stages: stages, settings: options.settings)
                let why = failure(r, reference: nil, options: options)
                onRow(SequentialRow(index: item.index, file: item.file, result: r, retries: 0, flagged: why != nil, reason: why))
            }
        }
        return loadFailure.error
    }

    /// Reads one pattern ahead on another thread.
    final class Prefetcher: @unchecked Sendable {
        private let load: @Sendable (Int) throws -> Pattern
        private let condition = NSCondition()
        private var ready: (index: Int, result: Result<Pattern, any Error>)?

        init(load: @escaping @Sendable (Int) throws -> Pattern) { self.load = load }

        /// Starts reading pattern i (the one before must have been taken).
        func request(_ i: Int) {
            DispatchQueue.global(qos: .userInitiated).async { [self] in
                let result = Result { try load(i) }
                condition.lock()
                ready = (i, result)
                condition.signal()
                condition.unlock()
            }
        }

        /// Pattern i once read, or its read error.
        func take(_ i: Int) throws -> Pattern {
            condition.lock()
            while ready?.index != i { condition.wait() }
            let result = ready!.result
            ready = nil
            condition.unlock()
            return try result.get()
        }
    }

    /// The first error of several threads.
    final class FirstError: @unchecked Sendable {
        private var stored: (any Error)?
        private let lock = NSLock()
        var error: (any Error)? { lock.lock(); defer { lock.unlock() }; return stored }
        func set(_ e: any Error) { lock.lock(); if stored == nil { stored = e }; lock.unlock() }
    }

    /// A thread-safe work counter.
    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func take(below limit: Int) -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard value < limit else { return nil }
            value += 1
            return value - 1
        }
    }
}
