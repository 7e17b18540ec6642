import Crystallography
import Foundation

/// An operando reference as lookups use it: one curve (a single-phase reference, whose `phase` column names
/// regions H1, M, H2, H3), or one branch per phase (a multi-phase reference, whose `phase` column names the
/// branch) with the x ranges where two branches coexist.
public struct LithiumReference: Sendable {
    public struct Branch: Sendable {
        /// The phase's name; nil for the one curve of a single-phase reference.
        public let name: String?
        public let curve: ReferenceCurve
    }

    public let branches: [Branch]
    /// Where two branches coexist: the overlap of their points' x, widened to the fitted boundaries.
    public let twoPhaseRegions: [TwoPhaseRegion]
    /// Boundary compositions of two-phase regions, fitted by the lever rule when the reference was built.
    public let boundaries: [PhaseBoundaries]

    /// `branched`: the `phase` labels name branches (several phases) rather than regions of one curve.
    /// `boundaries` must name branches of the reference.
    public init(points: [ReferencePoint], branched: Bool, bandwidth: Double? = nil, regions: [PhaseRegion]? = nil,
                boundaries: [PhaseBoundaries] = []) throws(LithiationError) {
        for p in points where !(0...1).contains(p.x) { throw .invalidLithiumContent(p.x) }
        guard branched else {
            guard boundaries.isEmpty else { throw .invalid("phase boundaries were given for a reference without branches") }
            branches = [Branch(name: nil, curve: try ReferenceCurve(points: points, bandwidth: bandwidth, regions: regions))]
            twoPhaseRegions = []
            self.boundaries = []
            return
        }
        var names: [String] = []
        for p in points { if let n = p.phase, !names.contains(n) { names.append(n) } }
        if let unnamed = points.first(where: { $0.phase == nil }) {
            throw .invalid("the point at x(Li) = \(unnamed.x) names no phase, but the reference has branches (\(names.joined(separator: ", ")))")
        }
        var out: [Branch] = []
        for n in names {
            let own = points.filter { $0.phase == n }
            guard own.count >= 4 else { throw .tooFewPointsInBranch(phase: n, count: own.count) }
            let xs = own.map(\.x)
            out.append(Branch(name: n, curve: try ReferenceCurve(points: own, bandwidth: bandwidth,
                                                                 regions: [PhaseRegion(name: n, range: xs.min()!...xs.max()!)])))
        }
        branches = out
        for b in boundaries {
            for n in b.phases where !names.contains(n) { throw .unknownPhase(n, known: names) }
            for x in b.x where !(0...1).contains(x) { throw .invalidLithiumContent(x) }
        }
        self.boundaries = boundaries
        twoPhaseRegions = TwoPhaseRegion.overlaps(of: names.map { n in (n, points.filter { $0.phase == n }.map(\.x)) }).map { r in
            guard let b = boundaries.first(where: { Set($0.phases) == Set(r.phases) }) else { return r }
            return TwoPhaseRegion(phases: r.phases, range: min(r.range.lowerBound, b.x.min()!)...max(r.range.upperBound, b.x.max()!))
        }
    }

    public var isBranched: Bool { branches.first?.name != nil }
    public var branchNames: [String] { branches.compactMap(\.name) }
    public var xRange: ClosedRange<Double> {
        branches.map(\.curve.xRange.lowerBound).min()!...branches.map(\.curve.xRange.upperBound).max()!
    }
    /// The branch holding the pristine end (largest x).
    var pristine: ReferenceCurve { branches.max { $0.curve.pristineX < $1.curve.pristineX }!.curve }
    public var pristineVolume: Double { pristine.pristineVolume }

    /// State of charge as a fraction of the reference's range: (x_pristine − x) / (x_pristine − x_min).
    public func soc(_ x: Double) -> Double { (xRange.upperBound - x) / max(xRange.upperBound - xRange.lowerBound, 1e-12) }

    public func branch(named name: String) throws(LithiationError) -> ReferenceCurve {
        guard let b = branches.first(where: { $0.name == name }) else { throw .unknownPhase(name, known: branchNames) }
        return b.curve
    }

    /// The two-phase region that holds x and involves `phase`.
    public func twoPhaseRegion(at x: Double, phase: String?) -> TwoPhaseRegion? {
        twoPhaseRegions.first { r in r.range.contains(x) && (phase.map { r.phases.contains($0) } ?? true) }
    }

    /// x(Li) for one volume: every branch (or only `phase`'s) that holds it gives candidates. A candidate in a
    /// two-phase region carries the warning that one phase's volume does not give the electrode's x.
    public func lookup(volume: Measured, phase: String? = nil) throws(LithiationError) -> LookupResult {
        try collect(phase: phase) { c throws(LithiationError) in try c.lookup(volume: volume.value, esd: volume.esd) }
            .finished(self, measuredVolume: volume.value)
    }

    /// x(Li) from a and c together, over every branch that has a and c (or only `phase`'s).
    public func lookup(a: Measured, c: Measured, phase: String? = nil) throws(LithiationError) -> LookupResult {
        try collect(phase: phase) { curve throws(LithiationError) in try curve.lookup(a: a.value, aEsd: a.esd, c: c.value, cEsd: c.esd) }
            .finished(self, measuredVolume: UnitCell.hexagonalVolume(a: a.value, c: c.value))
    }

    private struct Collected {
        var candidates: [LookupCandidate] = []
        var warnings: [LookupWarning] = []

        func finished(_ ref: LithiumReference, measuredVolume v: Double) -> LookupResult {
            let sorted = candidates.sorted { $0.misfit < $1.misfit }
            var warnings = self.warnings
            if ref.isBranched, let c = sorted.first(where: { ref.twoPhaseRegion(at: $0.x, phase: $0.phase) != nil }),
               let region = ref.twoPhaseRegion(at: c.x, phase: c.phase) {
                warnings.append(.twoPhaseRegion(region, phase: c.phase ?? region.name))
            }
            return LookupResult(candidates: sorted, soc: ref.soc(sorted[0].x), deltaVOverV: v / ref.pristineVolume - 1, warnings: warnings)
        }
    }

    private func collect(phase: String?, _ body: (ReferenceCurve) throws(LithiationError) -> LookupResult) throws(LithiationError) -> Collected {
        let chosen = try phase.map { n throws(LithiationError) in [Branch(name: n, curve: try branch(named: n))] } ?? branches
        var out = Collected()
        var firstError: LithiationError?
        for b in chosen {
            do {
                let r = try body(b.curve)
                out.candidates += r.candidates.map { var c = $0; if let n = b.name { c.phase = n }; return c }
                for w in r.warnings where !out.warnings.contains(w) { out.warnings.append(w) }
            } catch {
                switch error {
                case .outsideRange, .outsidePath, .missingColumn: if firstError == nil { firstError = error }
                default: throw error
                }
            }
        }
        guard !out.candidates.isEmpty else {
            if chosen.count > 1, case .outsideRange(let q, let v, _) = firstError! {
                let lo = chosen.map { $0.curve.volume.min()! }.min()!, hi = chosen.map { $0.curve.volume.max()! }.max()!
                throw .outsideRange(quantity: q, value: v, range: lo...hi)
            }
            throw firstError!
        }
        // A branch's far-from-path warning stands only if no branch holds the point well.
        if out.candidates.contains(where: { $0.misfit <= ReferenceCurve.offPathSigmas }) {
            out.warnings.removeAll { if case .farFromPath = $0 { return true } else { return false } }
        }
        return out
    }

    /// The points with their region (single-phase reference) or branch (several phases) in `phase`.
    public var labelledPoints: [ReferencePoint] {
        branches.flatMap { b in b.curve.points.map { p in var q = p; q.phase = b.name ?? b.curve.region(at: p.x); return q } }
    }
}
