import Foundation
import NumericCore

/// Absorption factor of a cylindrical (capillary) sample in Debye–Scherrer geometry, normalized to 1 at
/// μR = 0: the interpolation of Lobanov & Alte da Veiga (6th European Powder Diffraction Conference, 1998,
/// abstract P12-16), as GSAS-II uses it, in μR and sin²θ, with two branches meeting at μR = 3.
public enum CylinderAbsorption {
    /// A(μR, θ) and its partial derivatives with respect to μR and 2θ (per radian).
    public static func factor(muR: Double, twoTheta: Double) -> (value: Double, dMuR: Double, dTwoTheta: Double) {
        if muR == 0 {
            // The first-order term is −16/(3π) μR at every angle.
            return (1, -16 / (3 * Double.pi), 0)
        }
        let m = Dual3.variable(muR, index: 0)
        let s = sin(0.5 * twoTheta)
        let sth2 = Dual3(s * s, SIMD3(0, s * cos(0.5 * twoTheta), 0))  // ∂sin²θ/∂2θ = sinθ cosθ
        let a = muR <= 3 ? below3(m, sth2) : above3(m, sth2)
        return (a.value, a.d.x, a.d.y)
    }

    private static func below3(_ m: Dual3, _ x: Dual3) -> Dual3 {
        let t0 = 16 / (3 * Double.pi)
        let t1 = (25.99978 - 0.01911 * Dual3.pow(x, 0.25)) * Dual3.exp(-0.024551 * x) + 0.109561 * x.squareRoot() - 26.04556
        let t2 = -0.02489 - 0.39499 * x + 1.219077 * Dual3.pow(x, 1.5) - 1.31268 * x * x + 0.871081 * Dual3.pow(x, 2.5) - 0.2327 * x * x * x
        let t3 = 0.003045 + 0.018167 * x - 0.03305 * x * x
        let exponent = -t0 * m - t1 * m * m - t2 * m * m * m - t3 * m * m * m * m
        return Dual3.exp(exponent)
    }

    private static func above3(_ m: Dual3, _ x: Dual3) -> Dual3 {
        let t1 = 1.433902 + 11.07504 * x - 8.77629 * x * x + 10.02088 * x * x * x - 3.36778 * x * x * x * x
        let t2 = (0.013869 - 0.01249 * x) * Dual3.exp(3.27094 * x) + (0.337894 + 13.77317 * x) / Dual3.pow(1 + 11.53544 * x, 1.555039)
        let t3 = 1.933433 / Dual3.pow(1 + 23.12967 * x, 1.686715) - 0.13576 * x.squareRoot() + 1.163198
        let t4 = 0.044365 - 0.04259 / Dual3.pow(1 + 0.41051 * x, 148.4202)
        let base = 1 + t2 * (m - 3)
        // base^t3 with a variable exponent: exp(t3 ln base).
        let lnBase = Dual3(log(base.value), base.d / base.value)
        let power = Dual3.exp(t3 * lnBase)
        return ((t1 - t4) / power + t4) / 100
    }
}
