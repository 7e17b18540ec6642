import Foundation

/// The Thompson–Cox–Hastings pseudo-Voigt: pV(x) = η L(x; Γ) + (1 − η) G(x; Γ), unit area.
///
/// From the Gaussian variance σ² and the Lorentzian FWHM γ (any one angle unit, here radians):
///   Γ_G = √(8 ln2 σ²),  Γ = (Γ_G⁵ + 2.69269 Γ_G⁴γ + 2.42843 Γ_G³γ² + 4.47163 Γ_G²γ³ + 0.07842 Γ_Gγ⁴ + γ⁵)^⅕,
///   η = 1.36603 q − 0.47719 q² + 0.11116 q³,  q = γ/Γ
/// (Thompson, Cox & Hastings, J. Appl. Cryst. 20 (1987) 79), G(x) = (2/Γ)√(ln2/π) exp(−4 ln2 x²/Γ²),
/// L(x) = (2/πΓ) / (1 + 4x²/Γ²).
public struct PseudoVoigt: Sendable, Equatable {
    /// Total FWHM Γ.
    public let fwhm: Double
    /// Lorentzian fraction η.
    public let eta: Double
    /// ∂Γ/∂σ², ∂Γ/∂γ, ∂η/∂σ², ∂η/∂γ.
    public let dFwhmDVariance: Double, dFwhmDGamma: Double, dEtaDVariance: Double, dEtaDGamma: Double

    /// The smallest Gaussian variance used, so that a purely Lorentzian peak keeps finite derivatives.
    public static let minimumVariance = 1e-14

    @usableFromInline static let ln2 = 0.693_147_180_559_945_3
    @usableFromInline static let gaussNorm = 2 * (ln2 / Double.pi).squareRoot()

    public init(variance: Double, gamma: Double) {
        let v = max(variance, Self.minimumVariance)
        let g = max(gamma, 0)
        let gg = (8 * Self.ln2 * v).squareRoot()
        let (g2, g3, g4) = (gg * gg, gg * gg * gg, gg * gg * gg * gg)
        let (l2, l3, l4) = (g * g, g * g * g, g * g * g * g)
        let p = g4 * gg + 2.69269 * g4 * g + 2.42843 * g3 * l2 + 4.47163 * g2 * l3 + 0.07842 * gg * l4 + l4 * g
        let fwhm = pow(p, 0.2)
        let dPdGg = 5 * g4 + 4 * 2.69269 * g3 * g + 3 * 2.42843 * g2 * l2 + 2 * 4.47163 * gg * l3 + 0.07842 * l4
        let dPdL = 2.69269 * g4 + 2 * 2.42843 * g3 * g + 3 * 4.47163 * g2 * l2 + 4 * 0.07842 * gg * l3 + 5 * l4
        let dFdP = 0.2 * fwhm / p
        let dGgdV = 4 * Self.ln2 / gg
        let dFdV = dFdP * dPdGg * dGgdV
        let dFdL = dFdP * dPdL
        let q = g / fwhm
        let eta = 1.36603 * q - 0.47719 * q * q + 0.11116 * q * q * q
        let dEtadQ = 1.36603 - 2 * 0.47719 * q + 3 * 0.11116 * q * q
        self.fwhm = fwhm
        self.eta = eta
        dFwhmDVariance = dFdV
        dFwhmDGamma = dFdL
        dEtaDVariance = dEtadQ * (-g / (fwhm * fwhm)) * dFdV
        dEtaDGamma = dEtadQ * (1 / fwhm - g / (fwhm * fwhm) * dFdL)
    }

    /// pV at offset x from the centre.
    @inlinable
    public func value(_ x: Double) -> Double {
        let r = x / fwhm
        let gauss = Self.gaussNorm / fwhm * exp(-4 * Self.ln2 * r * r)
        let lorentz = 2 / (Double.pi * fwhm) / (1 + 4 * r * r)
        return eta * lorentz + (1 - eta) * gauss
    }

    /// pV and its partial derivatives with respect to x, σ² and γ at offset x.
    @inlinable
    public func valueAndPartials(_ x: Double) -> (value: Double, dx: Double, dVariance: Double, dGamma: Double) {
        let f = fwhm
        let r = x / f
        let e = exp(-4 * Self.ln2 * r * r)
        let gauss = Self.gaussNorm / f * e
        let den = 1 + 4 * r * r
        let lorentz = 2 / (Double.pi * f) / den
        let value = eta * lorentz + (1 - eta) * gauss
        // ∂/∂x
        let dGaussDx = gauss * (-8 * Self.ln2 * x / (f * f))
        let dLorentzDx = -lorentz * (8 * x / (f * f)) / den
        let dx = eta * dLorentzDx + (1 - eta) * dGaussDx
        // ∂/∂Γ at fixed x
        let dGaussDf = gauss * (-1 / f + 8 * Self.ln2 * x * x / (f * f * f))
        let dLorentzDf = lorentz * (-1 / f + (8 * x * x / (f * f * f)) / den)
        let dF = eta * dLorentzDf + (1 - eta) * dGaussDf
        let dEta = lorentz - gauss
        return (value, dx,
                dF * dFwhmDVariance + dEta * dEtaDVariance,
                dF * dFwhmDGamma + dEta * dEtaDGamma)
    }
}
