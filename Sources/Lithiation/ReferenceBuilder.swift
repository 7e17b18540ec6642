import Crystallography
import Foundation

/// One row of an operando table: specific charge q (mAh/g) passed since the start and the refined cell.
public struct OperandoRow: Sendable, Equatable {
    public var q: Double, a: Double, c: Double, volume: Double
    public init(q: Double, a: Double, c: Double, volume: Double) { self.q = q; self.a = a; self.c = c; self.volume = volume }
}

/// One phase's refined cell in one pattern of a sequential run (values nil where the phase is absent).
public struct PhaseObservation: Sendable, Equatable {
    public var name: String
    public var a: Measured?, c: Measured?, volume: Measured?
    public var weightFraction: Measured?
    public var present: Bool
    public init(name: String, a: Measured?, c: Measured?, volume: Measured?, weightFraction: Measured? = nil, present: Bool = true) {
        self.name = name; self.a = a; self.c = c; self.volume = volume; self.weightFraction = weightFraction; self.present = present
    }
}

/// One pattern of a sequential run: its index, file, time on the cycler's clock (if recorded), whether the
/// refinement flagged it, and each phase (one entry for a single-phase run).
public struct SequentialPattern: Sendable, Equatable {
    public var index: Int
    public var file: String
    public var time: Double?
    public var flagged: Bool
    public var phases: [PhaseObservation]
    public init(index: Int, file: String, time: Double?, flagged: Bool, phases: [PhaseObservation]) {
        self.index = index; self.file = file; self.time = time; self.flagged = flagged; self.phases = phases
    }
}

/// A cycler record: strictly increasing times (s) and the cumulative charge (mAh) at each.
public struct CyclerRecord: Sendable, Equatable {
    public var times: [Double], charge: [Double]
    public init(times: [Double], charge: [Double]) { self.times = times; self.charge = charge }
}

/// Where the patterns' times on the cycler's clock come from.
public enum PatternClock: Sendable, Equatable {
    /// Each pattern's own `time` (a time_s column of the sequential CSV).
    case recorded
    /// The pattern with index k (its `index` column) at start + k × interval, s: rows left out keep their times.
    case interval(start: Double, every: Double)
    /// Given times, one per pattern in index order (e.g. the files' modification times), s.
    case given([Double])
}

/// The conversion from charge to lithium content: x(Li) = x0 − q / q_th (q in mAh/g), or with a cell's
/// charge Q in mAh on an active mass m in mg: x = x0 − Q / (q_th · m / 1000).
public struct ChargeConversion: Sendable, Equatable {
    public let capacity: Double
    public let x0: Double
    public init(capacity: Double, x0: Double = 1) throws(LithiationError) {
        guard capacity.isFinite, capacity > 0 else { throw .invalidCapacity(capacity) }
        guard x0.isFinite, (0...1).contains(x0) else { throw .invalidLithiumContent(x0) }
        self.capacity = capacity; self.x0 = x0
    }
    public func x(specificCharge q: Double) -> Double { x0 - q / capacity }
    public func x(charge: Double, massMilligrams m: Double) -> Double { x0 - charge / (capacity * m / 1000) }
}

/// Something a build noticed that the user should hear about, without stopping it.
public enum BuildWarning: Sendable, Equatable, CustomStringConvertible {
    /// The largest specific charge (mAh/g) exceeds the theoretical capacity: a unit or mass mistake.
    case chargeAboveCapacity(top: Double, capacity: Double, fromCycler: Bool)
    /// Patterns at a charge already seen (rest periods) were dropped, keeping the first at each x.
    case repeatedCharge(dropped: Int, phase: String?)
    /// A phase present in too few usable patterns to form a branch.
    case phaseSkipped(name: String, points: Int)
    /// Patterns outside the selected segment of the record.
    case outsideSegment(count: Int)
    /// x(Li) left 0–1 for some patterns (kept out).
    case lithiumOutOfRange(count: Int)
    /// A two-phase region whose boundary compositions could not be fitted.
    case noPhaseBoundaries(region: String, reason: PhaseBoundaries.FitFailure)
    /// The lever rule fits a region's patterns poorly: the compositions change across it.
    case leverRuleMisfit(region: String, reducedChiSquare: Double)

    public var description: String {
        switch self {
        case let .chargeAboveCapacity(top, q, cycler):
            return cycler
                ? String(format: "charge reaches %.1f mAh/g, more than the theoretical %.1f mAh/g: check --mass (mg) and the capacity unit (mAh)", top, q)
                : String(format: "q reaches %.1f mAh/g, more than the theoretical %.1f mAh/g: is the column in mAh/g?", top, q)
        case let .repeatedCharge(n, p): return "repeated charge values\(p.map { " (\($0))" } ?? ""): kept the first pattern at each x, dropped \(n)"
        case let .phaseSkipped(name, n): return "phase \(name) is present in \(n) usable pattern(s); at least 4 make a branch, so it is left out"
        case .outsideSegment(let n): return "\(n) pattern(s) outside the selected segment of the cycler record were left out"
        case .lithiumOutOfRange(let n): return "\(n) pattern(s) map to x(Li) outside 0–1 and were left out: check --x0, --q-th and --mass"
        case let .noPhaseBoundaries(region, reason):
            let why: String
            switch reason {
            case .tooFewPatterns(let n): why = "\(n) usable pattern(s) with both weight fractions, at least 2 are needed"
            case .fractionsDoNotVary: why = "the weight fractions do not change across its patterns"
            }
            return "two-phase region \(region): boundary compositions not fitted (\(why)); an electrode in it is looked up through each phase's volume"
        case let .leverRuleMisfit(region, chi2):
            return String(format: "the lever rule fits the %@ patterns with χ²/dof %.1f: the phases' compositions change across the region (boundary esds scaled by it)", region, chi2)
        }
    }
}

/// A built reference: points (with the branch name in `phase` when there are several phases), the branches
/// in order, the x ranges where two branches coexist, and warnings.
public struct ReferenceBuild: Sendable {
    public var points: [ReferencePoint]
    /// Branch (phase) names, empty for a single-phase reference.
    public var branches: [String]
    public var twoPhaseRegions: [TwoPhaseRegion]
    /// Boundary compositions of the two-phase regions, fitted by the lever rule.
    public var boundaries: [PhaseBoundaries] = []
    public var warnings: [BuildWarning]
}

public enum ReferenceBuilder {
    /// Largest tolerated excess of x(Li) over 0–1 from rounding of the charge (kept and clamped nowhere).
    static let lithiumRangeSlack = 1e-9

    /// A reference from an operando table of specific charges: the chosen segment, x = x0 − q/q_th, repeated
    /// charges (rest periods) dropped keeping the first pattern at each x.
    public static func fromTable(_ rows: [OperandoRow], conversion: ChargeConversion,
                                 segment: LithiumContent.SegmentChoice = .firstCharge) throws(LithiationError) -> ReferenceBuild {
        let range = try LithiumContent.range(of: segment, in: rows.map(\.q))
        let selected = Array(rows[range])
        var warnings: [BuildWarning] = []
        if let top = selected.map(\.q).max(), top > conversion.capacity {
            warnings.append(.chargeAboveCapacity(top: top, capacity: conversion.capacity, fromCycler: false))
        }
        var points = selected.map { ReferencePoint(x: conversion.x(specificCharge: $0.q), a: $0.a, c: $0.c, volume: $0.volume) }
        let (kept, dropped) = firstAtEachX(points)
        if dropped > 0 { warnings.append(.repeatedCharge(dropped: dropped, phase: nil)) }
        points = kept
        let (inside, outside) = withinLithiumRange(points)
        if outside > 0 { warnings.append(.lithiumOutOfRange(count: outside)) }
        return ReferenceBuild(points: inside, branches: [], twoPhaseRegions: [], warnings: warnings)
    }

    /// The charge (mAh) passed at each pattern's time, nil for patterns outside the chosen segment of the
    /// record. Times come from `clock`; they must increase with the pattern index.
    public static func align(_ patterns: [SequentialPattern], to record: CyclerRecord, clock: PatternClock,
                             segment: LithiumContent.SegmentChoice = .firstCharge) throws(LithiationError) -> [Double?] {
        let range = try LithiumContent.range(of: segment, in: record.charge)
        let times = Array(record.times[range]), charge = Array(record.charge[range])
        var previous = -Double.infinity
        var out: [Double?] = []
        for (i, p) in patterns.enumerated() {
            let t: Double
            switch clock {
            case .recorded:
                guard let r = p.time else { throw .patternTimeMissing(file: p.file) }
                t = r
            case let .interval(start, every): t = start + Double(p.index) * every
            case .given(let list):
                guard i < list.count else { throw .patternTimeMissing(file: p.file) }
                t = list[i]
            }
            guard t > previous else { throw .patternTimesNotIncreasing(index: p.index, file: p.file, time: t) }
            previous = t
            out.append(t >= times.first! && t <= times.last! ? LithiumContent.interpolate(times, charge, at: t) : nil)
        }
        return out
    }

    /// A reference from a sequential run and a cycler record. One phase: one curve through the first phase's
    /// cells. Several phases: one branch per phase, through the patterns where it is present and that were not
    /// flagged; `phases` limits the branches to those named (default: every phase with at least 4 points).
    /// Where two branches coexist, their boundary compositions are fitted by the lever rule to the patterns
    /// with both weight fractions (`PhaseBoundaries.fit`, masses Li_x(host), default host NiO2).
    public static func fromSequential(_ patterns: [SequentialPattern], record: CyclerRecord, clock: PatternClock,
                                      conversion: ChargeConversion, massMilligrams mass: Double,
                                      segment: LithiumContent.SegmentChoice = .firstCharge,
                                      phases wanted: [String]? = nil, host: HostFormula? = nil) throws(LithiationError) -> ReferenceBuild {
        guard mass.isFinite, mass > 0 else { throw .invalidMass(mass) }
        let sorted = patterns.sorted { $0.index < $1.index }
        let charges = try align(sorted, to: record, clock: clock, segment: segment)
        var warnings: [BuildWarning] = []
        let outside = charges.filter { $0 == nil }.count
        if outside == sorted.count { throw .noPatternInSegment }
        if outside > 0 { warnings.append(.outsideSegment(count: outside)) }
        let range = try LithiumContent.range(of: segment, in: record.charge)
        let top = record.charge[range].map { abs($0 - record.charge[range.lowerBound]) }.max() ?? 0
        if top / (mass / 1000) > conversion.capacity {
            warnings.append(.chargeAboveCapacity(top: top / (mass / 1000), capacity: conversion.capacity, fromCycler: true))
        }
        let names = sorted.first?.phases.map(\.name) ?? []
        let several = names.count > 1
        if let wanted {
            for n in wanted where !names.contains(n) { throw .unknownPhase(n, known: names) }
        }
        var points: [ReferencePoint] = []
        var branches: [String] = []
        for (k, name) in names.enumerated() where several ? (wanted?.contains(name) ?? true) : k == 0 {
            var branch: [ReferencePoint] = []
            for (i, p) in sorted.enumerated() {
                guard let q = charges[i], !p.flagged, k < p.phases.count else { continue }
                let o = p.phases[k]
                guard o.present, let v = o.volume else { continue }
                branch.append(ReferencePoint(x: conversion.x(charge: q, massMilligrams: mass), a: o.a?.value, aEsd: o.a?.esd,
                                             c: o.c?.value, cEsd: o.c?.esd, volume: v.value, volumeEsd: v.esd,
                                             phase: several ? name : nil))
            }
            let (kept, dropped) = firstAtEachX(branch)
            if dropped > 0 { warnings.append(.repeatedCharge(dropped: dropped, phase: several ? name : nil)) }
            let (inside, out) = withinLithiumRange(kept)
            if out > 0 { warnings.append(.lithiumOutOfRange(count: out)) }
            if several && inside.count < 4 && wanted == nil {
                warnings.append(.phaseSkipped(name: name, points: inside.count))
                continue
            }
            if several && inside.count < 4 { throw .tooFewPointsInBranch(phase: name, count: inside.count) }
            points += inside
            if several { branches.append(name) }
        }
        if points.count < 4 { throw .tooFewPoints(points.count) }
        let regions = TwoPhaseRegion.overlaps(of: branches.map { b in (b, points.filter { $0.phase == b }.map(\.x)) })
        var boundaries: [PhaseBoundaries] = []
        let masses: HostFormula
        if let host { masses = host } else { masses = try HostFormula("NiO2") }
        for region in regions {
            let k = region.phases.map { n in names.firstIndex(of: n)! }
            var observations: [PhaseBoundaries.Observation] = []
            for (i, p) in sorted.enumerated() {
                guard let q = charges[i], !p.flagged, k.allSatisfy({ $0 < p.phases.count && p.phases[$0].present }) else { continue }
                let x = conversion.x(charge: q, massMilligrams: mass)
                let w = k.compactMap { p.phases[$0].weightFraction }
                guard w.count == 2, (0...1).contains(x) else { continue }
                observations.append(.init(x: Measured(x), weightFractions: w))
            }
            // Start: the phase reaching higher x at the region's upper end.
            let top = region.phases.map { n in points.filter { $0.phase == n }.map(\.x).max()! }
            let start = top[0] >= top[1] ? [region.range.upperBound, region.range.lowerBound] : [region.range.lowerBound, region.range.upperBound]
            switch PhaseBoundaries.fit(phases: region.phases, observations: observations, host: masses, start: start) {
            case .success(let b):
                boundaries.append(b)
                if b.reducedChiSquare > leverRuleMisfitLimit { warnings.append(.leverRuleMisfit(region: region.name, reducedChiSquare: b.reducedChiSquare)) }
            case .failure(let why): warnings.append(.noPhaseBoundaries(region: region.name, reason: why))
            }
        }
        return ReferenceBuild(points: points, branches: branches, twoPhaseRegions: regions, boundaries: boundaries, warnings: warnings)
    }

    /// χ²/dof of the lever-rule fit above which the build warns that compositions change across the region.
    public static let leverRuleMisfitLimit = 9.0

    /// The first point at each x, in order, and how many repeats were dropped.
    static func firstAtEachX(_ points: [ReferencePoint]) -> ([ReferencePoint], Int) {
        var seen = Set<Double>()
        let kept = points.filter { seen.insert($0.x).inserted }
        return (kept, points.count - kept.count)
    }

    static func withinLithiumRange(_ points: [ReferencePoint]) -> ([ReferencePoint], Int) {
        let inside = points.filter { $0.x >= -lithiumRangeSlack && $0.x <= 1 + lithiumRangeSlack }
        return (inside, points.count - inside.count)
    }
}

/// An x range where two phases (branches) coexist.
public struct TwoPhaseRegion: Sendable, Equatable, CustomStringConvertible {
    public var phases: [String]
    public var range: ClosedRange<Double>
    public init(phases: [String], range: ClosedRange<Double>) { self.phases = phases; self.range = range }
    public var name: String { phases.joined(separator: "+") }
    public var description: String { String(format: "%@ %.4f–%.4f", name, range.lowerBound, range.upperBound) }

    /// The overlaps of the branches' x ranges, pair by pair (branches given as name and point x values).
    public static func overlaps(of branches: [(String, [Double])]) -> [TwoPhaseRegion] {
        var out: [TwoPhaseRegion] = []
        for i in branches.indices {
            for j in branches.indices where j > i {
                guard let a0 = branches[i].1.min(), let a1 = branches[i].1.max(),
                      let b0 = branches[j].1.min(), let b1 = branches[j].1.max() else { continue }
                let lo = max(a0, b0), hi = min(a1, b1)
                if lo <= hi { out.append(TwoPhaseRegion(phases: [branches[i].0, branches[j].0], range: lo...hi)) }
            }
        }
        return out
    }
}
