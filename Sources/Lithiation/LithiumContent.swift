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
