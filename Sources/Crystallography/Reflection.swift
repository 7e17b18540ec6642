import Foundation

/// One unique powder reflection: indices, spacing and multiplicity. Holds no intensity data.
public struct Reflection: Hashable, Sendable {
    public let index: MillerIndex
    /// d-spacing in Å.
    public let d: Double
    /// Powder multiplicity (Laue orbit size).
    public let multiplicity: Int

    public init(index: MillerIndex, d: Double, multiplicity: Int) {
        self.index = index
        self.d = d
        self.multiplicity = multiplicity
    }

    /// sinθ/λ = 1/(2d), Å⁻¹.
    public var sinThetaOverLambda: Double { 0.5 / d }

    /// The Bragg angle 2θ in degrees for wavelength λ (Å), or nil when λ > 2d.
    public func twoTheta(wavelength: Double) -> Double? {
        let s = wavelength / (2 * d)
        guard s <= 1 else { return nil }
        return 2 * asin(s) * 180 / .pi
    }
}

/// The unique reflections of a cell and space group down to a d-spacing limit.
///
/// Reflections of the same d that are not symmetry-equivalent (e.g. 333 and 511 in a cubic cell) stay
/// separate entries. Absences come from the operators.
public enum ReflectionGenerator {
    /// All symmetry-unique, systematically allowed hkl with d ≥ `dMin` (Å), sorted by decreasing d, then by
    /// decreasing indices.
    public static func unique(cell: UnitCell, group: SpaceGroup, dMin: Double) -> [Reflection] {
        precondition(dMin > 0, "dMin must be positive")
        let limit = 1 / (dMin * dMin) * (1 + 1e-10)
        // |h| ≤ |a|/d since h = H·a for the reciprocal vector H of length 1/d.
        let hMax = Int((cell.a / dMin).rounded(.down)), kMax = Int((cell.b / dMin).rounded(.down)), lMax = Int((cell.c / dMin).rounded(.down))
        var out: [Reflection] = []
        for h in -hMax...hMax {
            for k in -kMax...kMax {
                for l in -lMax...lMax {
                    if h == 0 && k == 0 && l == 0 { continue }
                    let q = cell.inverseDSquared(h, k, l)
                    if q > limit { continue }
                    let m = MillerIndex(h, k, l)
                    guard group.isRepresentative(m), !group.isSystematicallyAbsent(m) else { continue }
                    out.append(Reflection(index: m, d: 1 / q.squareRoot(), multiplicity: group.multiplicity(m)))
                }
            }
        }
        return out.sorted { ($0.d, $0.index) > ($1.d, $1.index) }
    }

    /// The same, limited by a 2θ maximum (degrees) at wavelength λ (Å).
    public static func unique(cell: UnitCell, group: SpaceGroup, wavelength: Double, twoThetaMax: Double) -> [Reflection] {
        let theta = min(twoThetaMax, 179.999) / 2 * .pi / 180
        return unique(cell: cell, group: group, dMin: wavelength / (2 * sin(theta)))
    }
}
