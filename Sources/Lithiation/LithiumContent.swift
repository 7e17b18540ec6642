import Foundation

/// From charge passed to lithium content: x(Li) = x0 − Q / (q_th · m), Q in mAh, q_th in mAh/g, m in g.
public enum LithiumContent {
    /// Faraday constant, C/mol (CODATA 2018).
    public static let faraday = 96_485.332_12

    /// Standard atomic weights (IUPAC 2021, abridged values) of the elements of cathode formulas.
    public static let atomicWeights: [String: Double] = [
        "H": 1.008, "Li": 6.94, "B": 10.81, "C": 12.011, "N": 14.007, "O": 15.999, "F": 18.998, "Na": 22.990, "Mg": 24.305,
        "Al": 26.982, "Si": 28.085, "P": 30.974, "S": 32.06, "Cl": 35.45, "K": 39.098, "Ca": 40.078, "Ti": 47.867, "V": 50.942,
        "Cr": 51.996, "Mn": 54.938, "Fe": 55.845, "Co": 58.933, "Ni": 58.693, "Cu": 63.546, "Zn": 65.38, "Zr": 91.224,
        "Nb": 92.906, "Mo": 95.95, "La": 138.905, "Hf": 178.49, "Ta": 180.948, "W": 183.84,
    ]

    /// Molar mass (g/mol) of a formula such as `LiNi0.85Co0.1Mn0.05O2`.
    public static func molarMass(_ formula: String) throws(LithiationError) -> Double {
        var total = 0.0
        var i = formula.startIndex
        while i < formula.endIndex {
            guard formula[i].isUppercase else { throw .invalid("formula \(formula): expected an element symbol at '\(formula[i...])'") }
            var j = formula.index(after: i)
            while j < formula.endIndex && formula[j].isLowercase { j = formula.index(after: j) }
            let symbol = String(formula[i..<j])
            var k = j
            while k < formula.endIndex && (formula[k].isNumber || formula[k] == ".") { k = formula.index(after: k) }
            let count = k > j ? Double(formula[j..<k]) : 1
            guard let w = atomicWeights[symbol] else { throw .invalid("formula \(formula): unknown element \(symbol)") }
            guard let n = count else { throw .invalid("formula \(formula): '\(formula[j..<k])' is not a number") }
            total += w * n
            i = k
        }
        guard total > 0 else { throw .invalid("formula is empty") }
        return total
    }

    /// Theoretical capacity for one Li per formula unit, mAh/g: F / (3.6 M). LiNiO2: 274.5 mAh/g.
    public static func theoreticalCapacity(formula: String) throws(LithiationError) -> Double {
        faraday / (3.6 * (try molarMass(formula)))
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
