import Foundation

/// What went wrong in a lithium-content computation. Each message says which quantity, which value and what
/// was expected; the command line prints it as one line.
public enum LithiationError: Error, Equatable, CustomStringConvertible {
    case tooFewPoints(Int)
    case tooFewPointsInBranch(phase: String, count: Int)
    case outsideRange(quantity: String, value: Double, range: ClosedRange<Double>)
    /// A joint (a, c) measurement whose a or c lies beyond the range the reference path spans (Å).
    case outsidePath(a: Double, c: Double, aRange: ClosedRange<Double>, cRange: ClosedRange<Double>)
    case missingColumn(String)
    case invalidBandwidth(Double)
    case invalidCapacity(Double)
    case invalidMass(Double)
    case invalidLithiumContent(Double)
    case negativeEsd(quantity: String, value: Double)
    case segmentMissing(kind: String, requested: Int, available: Int)
    case patternTimeMissing(file: String)
    case patternTimesNotIncreasing(index: Int, file: String, time: Double)
    case noPatternInSegment
    case unknownPhase(String, known: [String])
    case missingWeightFraction(phase: String)
    case weightFractionsDoNotSumToOne(sum: Double, esd: Double)
    case duplicatePhase(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .tooFewPoints(let n): return "the reference has \(n) usable points; at least 4 are needed"
        case let .tooFewPointsInBranch(p, n): return "phase \(p) has \(n) usable points in the reference; a branch needs at least 4"
        case let .outsideRange(q, v, r):
            return String(format: "%@ %.5g lies outside the reference curve (%.5g – %.5g); it is not extrapolated", q, v, r.lowerBound, r.upperBound)
        case let .outsidePath(a, c, ar, cr):
            func place(_ name: String, _ v: Double, _ r: ClosedRange<Double>, _ digits: Int) -> String {
                let where_ = v < r.lowerBound ? "below" : v > r.upperBound ? "above" : "within"
                return String(format: "%@ = %.\(digits)f Å is %@ the reference's %.\(digits)f–%.\(digits)f Å", name, v, where_, r.lowerBound, r.upperBound)
            }
            return "(a, c) lies outside the reference curve: " + place("a", a, ar, 5) + ", " + place("c", c, cr, 4) + "; it is not extrapolated"
        case .missingColumn(let c): return "the reference has no \(c) values, which this lookup needs"
        case .invalidBandwidth(let h): return "bandwidth \(h) is not a positive number (it is a width in x(Li))"
        case .invalidCapacity(let q): return "theoretical capacity \(q) mAh/g is not positive"
        case .invalidMass(let m): return "active mass \(m) mg is not positive"
        case .invalidLithiumContent(let x): return "x(Li) = \(x) is outside 0–1 (lithium per formula unit of the host)"
        case let .negativeEsd(q, v): return "the esd of \(q) is negative (\(v))"
        case let .segmentMissing(kind, n, available):
            return "the record has \(available) \(kind) segment(s); number \(n) was asked for"
        case .patternTimeMissing(let file): return "no time for pattern \(file): give a time_s column, an interval between patterns, or file times"
        case let .patternTimesNotIncreasing(i, file, t): return "pattern \(i) (\(file)) is not later than the one before (t = \(t) s)"
        case .noPatternInSegment: return "no pattern falls inside the selected segment of the cycler record"
        case let .unknownPhase(name, known):
            return "phase '\(name)' is not a branch of the reference (it has: \(known.isEmpty ? "no named branches" : known.joined(separator: ", ")))"
        case .missingWeightFraction(let p): return "phase \(p) has no weight fraction (a Le Bail phase?); the lever rule needs one for every phase"
        case let .weightFractionsDoNotSumToOne(sum, esd):
            return String(format: "the weight fractions sum to %.4f ± %.4f, not 1 within their esds: give every crystalline phase of the electrode", sum, esd)
        case .duplicatePhase(let p): return "phase \(p) is given twice"
        case .invalid(let why): return why
        }
    }
}

/// A measured value with its estimated standard deviation (esd ≥ 0, same unit).
public struct Measured: Sendable, Equatable {
    public var value: Double
    public var esd: Double
    public init(_ value: Double, esd: Double = 0) { self.value = value; self.esd = esd }
}
