import Crystallography
import Foundation

/// Stephens' generalized (anisotropic) microstrain (J. Appl. Cryst. 32 (1999) 281) for the Laue classes with
/// hexagonal axes — 6/m, 6/mmm and −3m1 (R-3m in its hexagonal setting: layered LiNiO2, NCM, NCA, LiCoO2) — with
/// GSAS-II's terms and coefficient names: σ²(M_hkl) = S400 (h² + hk + k²)² + S004 l⁴ + S202 · 3(h² + hk + k²) l²
/// (and, for −3 and −31m, S301 · 4hkl(h + k)), and the microstrain a reflection sees is μ = d² √σ² (10⁻⁶), so
/// that its Lorentzian width is GSAS-II's 0.018 d² tanθ √Σ / π. An isotropic μ₀ is
/// S400 = μ₀²A², S004 = μ₀²C², S202 = 2μ₀²AC/3 with 1/d² = A (h² + hk + k²) + C l².
public enum StephensMicrostrain {
    /// The terms a phase's Laue group allows, in order (nil when its cell is not on hexagonal axes).
    public static func terms(for group: SpaceGroup) -> [Term]? {
        guard [.hexagonal, .trigonal].contains(group.crystalSystem) else { return nil }
        // A rhombohedral group in rhombohedral axes is not covered; on hexagonal axes the first three always
        // hold, the fourth when the Laue group leaves it invariant (−3, −31m).
        let probes = [MillerIndex(1, 2, 3), MillerIndex(2, -1, 5), MillerIndex(3, 1, -2)]
        for t in [Term.s400, .s004, .s202] where !probes.allSatisfy({ isInvariant(t, $0, group) }) { return nil }
        return probes.allSatisfy { isInvariant(.s301, $0, group) } ? [.s400, .s004, .s202, .s301] : [.s400, .s004, .s202]
    }

    static func isInvariant(_ t: Term, _ h: MillerIndex, _ group: SpaceGroup) -> Bool {
        let v = t.value(h)
        return group.equivalentReflections(h).allSatisfy { abs(t.value($0) - v) <= 1e-9 * max(1, abs(v)) }
    }

    public enum Term: String, Sendable, CaseIterable {
        case s400 = "S400", s004 = "S004", s202 = "S202", s301 = "S301"

        public func value(_ m: MillerIndex) -> Double {
            let (h, k, l) = (Double(m.h), Double(m.k), Double(m.l))
            let p = h * h + h * k + k * k
            switch self {
            case .s400: return p * p
            case .s004: return l * l * l * l
            case .s202: return 3 * p * l * l
            case .s301: return 4 * h * k * l * (h + k)
            }
        }
    }

    /// The coefficients that give an isotropic microstrain μ₀ (10⁻⁶) on a cell with a, c (Å).
    public static func isotropic(_ microstrain: Double, a: Double, c: Double, terms: [Term]) -> [Double] {
        let (aa, cc) = (4 / (3 * a * a), 1 / (c * c))
        let m2 = microstrain * microstrain
        return terms.map { t in
            switch t {
            case .s400: return m2 * aa * aa
            case .s004: return m2 * cc * cc
            case .s202: return 2 * m2 * aa * cc / 3
            case .s301: return 0
            }
        }
    }

    /// μ = d² √Σ Sᵢ Tᵢ(hkl) for 1/d² = q, with ∂μ/∂Sᵢ = d² Tᵢ / (2√Σ) and ∂μ/∂q = −μ/q. Σ < 0 (coefficients
    /// beyond what a positive strain distribution allows) is taken as 0.
    static func microstrain(_ m: MillerIndex, q: Double, terms: [Term], coefficients: [Double]) -> (value: Double, dCoefficients: [Double], dQ: Double) {
        var sum = 0.0
        let t = terms.map { $0.value(m) }
        for i in t.indices { sum += coefficients[i] * t[i] }
        guard sum > 0, q > 0 else { return (0, t.map { _ in 0 }, 0) }
        let root = sum.squareRoot(), d2 = 1 / q
        let mu = d2 * root
        return (mu, t.map { d2 * $0 / (2 * root) }, -mu / q)
    }
}
