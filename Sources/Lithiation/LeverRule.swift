import Crystallography
import Foundation

/// One phase of an electrode as a refinement gives it: its name, cell volume and weight fraction (nil for a
/// Le Bail phase), each with its esd.
public struct PhaseMeasurement: Sendable, Equatable {
    public var name: String
    public var volume: Measured
    public var weightFraction: Measured?
    public init(name: String, volume: Measured, weightFraction: Measured?) {
        self.name = name; self.volume = volume; self.weightFraction = weightFraction
    }
}

/// The masses of the lever rule: a phase of lithium content x is Li_x(host) per formula unit, molar mass
/// M(x) = M(host) + x · M(Li), e.g. Li_xNiO2 with host NiO2 (IUPAC 2021 atomic weights).
public struct HostFormula: Sendable, Equatable {
    public let formula: String
    public let hostMass: Double
    public let lithiumMass: Double
    public init(_ formula: String) throws(LithiationError) {
        self.formula = formula
        hostMass = try LithiumContent.molarMass(formula)
        lithiumMass = AtomicWeights.standard("Li")!
    }
    /// g/mol per formula unit at lithium content x.
    public func molarMass(x: Double) -> Double { hostMass + x * lithiumMass }
}

/// An electrode's lithium content from several phases by the lever rule.
public struct LeverRuleResult: Sendable {
    public struct Phase: Sendable {
        public let name: String
        public let volume: Measured
        public let weightFraction: Measured
        /// x(Li) of this phase: its boundary composition (with the fit's esd) when the reference has the
        /// region's boundaries, else through its own branch (esd from its volume esd and the band).
        public let x: Measured
        /// Where its volume lies on its own branch (interval, misfit); nil if outside the branch.
        public let candidate: LookupCandidate?
        public let molarMass: Double
        /// n_p / Σ n, n_p = w_p / M_p(x_p).
        public let molarFraction: Double
        /// ∂x/∂V_p (per Å³) and ∂x/∂w_p of the combined x.
        public let dxdVolume: Double, dxdWeightFraction: Double
    }
    public let phases: [Phase]
    /// x = Σ n_p x_p / Σ n_p with its propagated esd.
    public let x: Measured
    public let soc: Double
    /// The two-phase region of the reference that x lies in, if any.
    public let region: TwoPhaseRegion?
    /// Molar-fraction-weighted mean of V_p / V(pristine) − 1.
    public let deltaVOverV: Double
    public let host: HostFormula
    /// Phases of the measurement that the reference has no branch for (left out of the lever rule).
    public let leftOut: [String]
    /// Σ w_p over every phase given, with its esd.
    public let weightFractionSum: Measured
    /// The region's boundary compositions used as the phases' x, when the reference has them.
    public let boundaries: PhaseBoundaries?
}

extension LithiumReference {
    /// How far (in combined esds) the weight fractions may sum from 1, and a floor for rounded inputs.
    public static let weightSumSigmas = 3.0
    public static let weightSumFloor = 0.005

    /// What to do with measured phases the reference has no branch for.
    public enum UnknownPhases: Sendable { case reject, leaveOut }

    /// The lever rule: molar amounts n_p = w_p / M_p(x_p) from the weight fractions and the formula masses;
    /// x = Σ n_p x_p / Σ n_p. Where the reference has the boundary compositions of the two phases' region
    /// (fitted when it was built, `PhaseBoundaries`), x_p are those: coexisting phases keep their boundary
    /// compositions, and their volumes, nearly constant across the region, cannot tell x. Otherwise each
    /// phase's V is mapped through its own branch to x_p (the candidate in a two-phase region that involves
    /// the phase when there is one, else the most consistent).
    ///
    /// esd: σx² = ∇ₓᵀ C ∇ₓ + Σ_p (∂x/∂w_p · σw_p)², the weight fractions taken as uncorrelated; C is the
    /// boundaries' covariance, or diagonal σx_p² = (σV_p² + band_p(x_p)²) / V_p′(x_p)² (the branch's local
    /// slope) for mapped volumes; and analytically (`PhaseBoundaries.leverRule`)
    ///   ∂x/∂w_p = (x_p − x) / (M_p Σn),
    ///   ∂x/∂x_p = (n_p + (x_p − x) ∂n_p/∂x_p) / Σn,  ∂n_p/∂x_p = −w_p M(Li) / M_p²,
    ///   ∂x/∂V_p = ∂x/∂x_p / V_p′(x_p).
    /// The weight fractions of all phases given must sum to 1 within `weightSumSigmas` combined esds (at
    /// least `weightSumFloor`); only their ratios enter x.
    public func leverRule(_ measured: [PhaseMeasurement], host: HostFormula,
                          unknownPhases: UnknownPhases = .reject) throws(LithiationError) -> LeverRuleResult {
        var seen = Set<String>()
        for m in measured {
            guard seen.insert(m.name).inserted else { throw .duplicatePhase(m.name) }
            guard m.volume.esd >= 0 else { throw .negativeEsd(quantity: "\(m.name) volume", value: m.volume.esd) }
            if let w = m.weightFraction {
                guard w.esd >= 0 else { throw .negativeEsd(quantity: "\(m.name) weight fraction", value: w.esd) }
                guard w.value >= 0, w.value <= 1 else { throw .invalid("the weight fraction of \(m.name), \(w.value), is outside 0–1") }
            }
        }
        var used: [PhaseMeasurement] = [], leftOut: [String] = []
        for m in measured {
            if branchNames.contains(m.name) { used.append(m); continue }
            if unknownPhases == .reject { throw .unknownPhase(m.name, known: branchNames) }
            leftOut.append(m.name)
        }
        guard !used.isEmpty else { throw .unknownPhase(measured.first?.name ?? "(none)", known: branchNames) }
        for m in used where m.weightFraction == nil { throw .missingWeightFraction(phase: m.name) }
        let fractions = measured.compactMap(\.weightFraction)
        let sum = fractions.reduce(0) { $0 + $1.value }
        let sumEsd = fractions.reduce(0) { $0 + $1.esd * $1.esd }.squareRoot()
        if fractions.count == measured.count, abs(sum - 1) > max(Self.weightSumSigmas * sumEsd, Self.weightSumFloor) {
            throw .weightFractionsDoNotSumToOne(sum: sum, esd: sumEsd)
        }

        // x_p: the region's boundary compositions when the reference has them for exactly these phases (the
        // lever rule proper); else each phase's V through its own branch.
        let usedNames = used.map(\.name)
        let fitted = boundaries.first { Set($0.phases) == Set(usedNames) && usedNames.count == 2 }
        struct Mapped { let candidate: LookupCandidate?; let slope: Double; let x: Measured }
        var mapped: [Mapped] = []
        for m in used {
            let curve = try branch(named: m.name)
            if let fitted {
                let k = fitted.phases.firstIndex(of: m.name)!
                let candidate = try? curve.lookup(volume: m.volume.value, esd: m.volume.esd).best
                mapped.append(Mapped(candidate: candidate, slope: 0, x: Measured(fitted.x[k], esd: fitted.esd(k))))
                continue
            }
            let r = try curve.lookup(volume: m.volume.value, esd: m.volume.esd)
            let inRegion = r.candidates.first { c in twoPhaseRegions.contains { $0.range.contains(c.x) && $0.phases.contains(m.name) } }
            let c = inRegion ?? r.best
            let slope = curve.derivative(curve.volume, at: c.x)
            let band = curve.volumeBand(at: c.x)
            let s = (m.volume.esd * m.volume.esd + band * band).squareRoot()
            let sx = slope != 0 && (s / abs(slope)).isFinite ? s / abs(slope) : c.esd
            mapped.append(Mapped(candidate: c, slope: slope, x: Measured(c.x, esd: sx)))
        }

        let w = used.map { $0.weightFraction!.value }
        guard let e = PhaseBoundaries.leverRule(boundaries: mapped.map(\.x.value), weightFractions: w, host: host) else {
            throw .invalid("the weight fractions of the reference phases are all zero")
        }
        var variance = 0.0
        if let fitted {
            // X₁, X₂ are correlated (one fit): the full covariance.
            let order = usedNames.map { fitted.phases.firstIndex(of: $0)! }
            for j in 0..<2 { for k in 0..<2 { variance += e.dxdBoundary[j] * fitted.covariance[order[j]][order[k]] * e.dxdBoundary[k] } }
        } else {
            for p in mapped.indices { variance += pow(e.dxdBoundary[p] * mapped[p].x.esd, 2) }
        }
        var phases: [LeverRuleResult.Phase] = []
        for p in mapped.indices {
            let sw = used[p].weightFraction!.esd
            variance += pow(e.dxdWeightFraction[p] * sw, 2)
            let dxdV = fitted != nil ? 0 : mapped[p].slope != 0 ? e.dxdBoundary[p] / mapped[p].slope : .infinity
            phases.append(.init(name: used[p].name, volume: used[p].volume, weightFraction: used[p].weightFraction!,
                                x: mapped[p].x, candidate: mapped[p].candidate, molarMass: e.molarMasses[p],
                                molarFraction: e.molarFractions[p], dxdVolume: dxdV, dxdWeightFraction: e.dxdWeightFraction[p]))
        }
        let x = e.x
        let names = Set(used.map(\.name))
        let region = twoPhaseRegions.first { $0.range.contains(x) && Set($0.phases).isSubset(of: names) }
            ?? twoPhaseRegions.first { $0.range.contains(x) }
        let dv = zip(e.molarFractions, used).reduce(0) { $0 + $1.0 * ($1.1.volume.value / pristineVolume - 1) }
        return LeverRuleResult(phases: phases, x: Measured(x, esd: variance.squareRoot()), soc: soc(x), region: region,
                               deltaVOverV: dv, host: host, leftOut: leftOut, weightFractionSum: Measured(sum, esd: sumEsd),
                               boundaries: fitted)
    }
}

/// What an electrode's refinement gives for a lookup: a volume, or a and c, of the (first) phase, and every
/// phase with its weight fraction where there are several.
public struct ElectrodeMeasurement: Sendable, Equatable {
    public var name: String
    public var volume: Measured?
    public var a: Measured?, c: Measured?
    public var phases: [PhaseMeasurement]
    public init(name: String, volume: Measured? = nil, a: Measured? = nil, c: Measured? = nil, phases: [PhaseMeasurement] = []) {
        self.name = name; self.volume = volume; self.a = a; self.c = c; self.phases = phases
    }
}

/// The answer for one electrode: one curve lookup, or the lever rule over its phases.
public enum ElectrodeLookup: Sendable {
    case single(LookupResult)
    case leverRule(LeverRuleResult)
}

extension LithiumReference {
    /// The lookup an electrode's data call for: the lever rule when two or more of its phases are branches of
    /// the reference; that phase's branch when one is; else the joint (a, c) lookup when both are given,
    /// else the volume.
    public func lookup(_ e: ElectrodeMeasurement, host: HostFormula, unknownPhases: UnknownPhases = .leaveOut) throws(LithiationError) -> ElectrodeLookup {
        let matching = e.phases.filter { branchNames.contains($0.name) }
        if unknownPhases == .reject, let stranger = e.phases.first(where: { !branchNames.contains($0.name) }) {
            throw .unknownPhase(stranger.name, known: branchNames)
        }
        if matching.count >= 2 { return .leverRule(try leverRule(e.phases, host: host, unknownPhases: unknownPhases)) }
        if let one = matching.first { return .single(try lookup(volume: one.volume, phase: one.name)) }
        if let a = e.a, let c = e.c { return .single(try lookup(a: a, c: c)) }
        guard let v = e.volume else { throw .invalid("\(e.name): no volume, and no a and c") }
        return .single(try lookup(volume: v))
    }
}
