import Crystallography
import Foundation

/// From charge passed to lithium content: x(Li) = x0 − Q / (q_th · m), Q in mAh, q_th in mAh/g, m in g.
public enum LithiumContent {
    /// Molar mass (g/mol) of a formula such as `LiNi0.85Co0.1Mn0.05O2` (IUPAC 2021 atomic weights).
    public static func molarMass(_ formula: String) throws(LithiationError) -> Double {
        do { return try AtomicWeights.molarMass(formula: formula) } catch { throw .invalid(error.description) }
    }

    /// Theoretical capacity for one Li per formula unit, mAh/g: F / (3.6 M). LiNiO2: 274.5 mAh/g.
    public static func theoreticalCapacity(formula: String) throws(LithiationError) -> Double {
        PhysicalConstants.faraday / (3.6 * (try molarMass(formula)))
    }

    /// Cumulative charge (mAh) at each time from a current record (mA, time in s), by the trapezoid rule.
    public static func charge(times: [Double], current: [Double]) -> [Double] {
        var q = [Double](repeating: 0, count: times.count)
        for i in times.indices.dropFirst() {
            q[i] = q[i - 1] + 0.5 * (current[i] + current[i - 1]) * (times[i] - times[i - 1]) / 3600
        }
        return q
    }

    /// A charge or discharge segment of a record: indices where the passed charge rises (charge) or falls.
    public struct Segment: Sendable, Equatable {
        public enum Kind: String, Sendable { case charge, discharge }
        public let kind: Kind
        public let range: ClosedRange<Int>
    }

    /// Splits a cumulative-charge record into alternating charge and discharge segments at its turning points
    /// (a reversal counts once it exceeds 1 % of the largest swing, so noise does not split a segment).
    public static func segments(_ charge: [Double]) -> [Segment] {
        guard charge.count >= 2 else { return [] }
        let swing = (charge.max()! - charge.min()!)
        let tolerance = 0.01 * max(swing, 1e-12)
        var out: [Segment] = []
        var start = 0, extreme = 0
        var rising: Bool?
        for i in 1..<charge.count {
            if rising == nil {
                if abs(charge[i] - charge[start]) > tolerance { rising = charge[i] > charge[start]; extreme = i }
                continue
            }
            if rising! ? charge[i] >= charge[extreme] : charge[i] <= charge[extreme] { extreme = i; continue }
            if abs(charge[i] - charge[extreme]) > tolerance {
                out.append(Segment(kind: rising! ? .charge : .discharge, range: start...extreme))
                start = extreme
                rising!.toggle()
                extreme = i
            }
        }
        out.append(Segment(kind: (rising ?? true) ? .charge : .discharge, range: start...(rising == nil ? charge.count - 1 : extreme)))
        return out
    }

    /// Which segment of a record becomes the reference: the n-th charge or the n-th discharge (1-based).
    public struct SegmentChoice: Sendable, Equatable, CustomStringConvertible {
        public let kind: Segment.Kind
        public let number: Int
        public init(_ kind: Segment.Kind, _ number: Int) { self.kind = kind; self.number = number }
        public static let firstCharge = SegmentChoice(.charge, 1)

        /// `first-charge`, `first-discharge`, `charge:N` or `discharge:N`.
        public init?(_ text: String) {
            switch text {
            case "first-charge": self.init(.charge, 1)
            case "first-discharge": self.init(.discharge, 1)
            default:
                let f = text.split(separator: ":")
                guard f.count == 2, let kind = Segment.Kind(rawValue: String(f[0])), let n = Int(f[1]), n >= 1 else { return nil }
                self.init(kind, n)
            }
        }
        public var description: String { "\(kind.rawValue):\(number)" }
    }

    /// The index range of the chosen segment of a cumulative-charge record.
    public static func range(of choice: SegmentChoice, in charge: [Double]) throws(LithiationError) -> ClosedRange<Int> {
        let matching = segments(charge).filter { $0.kind == choice.kind }
        guard choice.number <= matching.count else {
            throw .segmentMissing(kind: choice.kind.rawValue, requested: choice.number, available: matching.count)
        }
        return matching[choice.number - 1].range
    }

    /// Linear interpolation of (t, q) at time t (clamped to the record).
    public static func interpolate(_ times: [Double], _ values: [Double], at t: Double) -> Double {
        if t <= times.first! { return values.first! }
        if t >= times.last! { return values.last! }
        var lo = 0, hi = times.count - 1
        while hi - lo > 1 { let mid = (lo + hi) / 2; if times[mid] <= t { lo = mid } else { hi = mid } }
        let f = (t - times[lo]) / (times[hi] - times[lo])
        return values[lo] + f * (values[hi] - values[lo])
    }
}
