import Foundation

/// Isotropic size and microstrain broadening in GSAS-II's units and formulas (centidegrees of 2θ):
/// size (µm): Γ_size = 1.8 λ / (π D cosθ) (Scherrer with K = 1, D in µm, λ in Å);
/// microstrain (10⁻⁶): Γ_strain = 0.018 μ tanθ / π.
/// The Lorentzian part adds mix·Γ to γ; the Gaussian part adds ((1 − mix) Γ)² / (8 ln 2) to σ².
enum SampleBroadening {
    static let eightLn2 = 8 * 0.693_147_180_559_945_3

    struct Widths {
        var variance = 0.0, gamma = 0.0
        var dVarianceDSize = 0.0, dGammaDSize = 0.0
        var dVarianceDStrain = 0.0, dGammaDStrain = 0.0
        /// Along c, when the broadening is uniaxial (`size` and `microstrain` are then the equatorial terms).
        var dVarianceDAxialSize = 0.0, dGammaDAxialSize = 0.0
        var dVarianceDAxialStrain = 0.0, dGammaDAxialStrain = 0.0
        /// Per unit of cos²φ (the cell tilts the reflection normal against the axis).
        var dVarianceDCosSquared = 0.0, dGammaDCosSquared = 0.0
        /// Per degree of the reflection's 2θ.
        var dVarianceDTwoTheta = 0.0, dGammaDTwoTheta = 0.0
    }

    /// The effective value along a reflection normal at angle φ from the axis (cos²φ given) of an ellipsoid of
    /// revolution with equatorial value e and axial value a, D = e a / √((e cos φ)² + (a sin φ)²), and its
    /// partials ∂D/∂e = a³ sin²φ / R³, ∂D/∂a = e³ cos²φ / R³ (R the root).
    static func uniaxial(equatorial e: Double, axial a: Double, cosSquared c2: Double)
        -> (value: Double, dEquatorial: Double, dAxial: Double, dCosSquared: Double) {
        let s2 = 1 - c2
        let r2 = e * e * c2 + a * a * s2
        guard r2 > 0 else { return (0, 0, 0, 0) }
        let r = r2.squareRoot(), r3 = r2 * r
        return (e * a / r, a * a * a * s2 / r3, e * e * e * c2 / r3, -e * a * (e * e - a * a) / (2 * r3))
    }

    /// The widths of a phase's reflection whose normal makes cos²φ with the phase's c axis (used only when
    /// the phase's broadening is uniaxial).
    static func widths(twoThetaDegrees: Double, wavelength: Double, phase: Phase, cosSquared: Double) -> Widths {
        guard phase.isUniaxial else {
            return widths(twoThetaDegrees: twoThetaDegrees, wavelength: wavelength, size: phase.size, microstrain: phase.microstrain,
                          sizeMix: phase.sizeMix, strainMix: phase.strainMix)
        }
        let d = uniaxial(equatorial: phase.size, axial: phase.axialSize ?? phase.size, cosSquared: cosSquared)
        let m = uniaxial(equatorial: phase.microstrain, axial: phase.axialMicrostrain ?? phase.microstrain, cosSquared: cosSquared)
        var w = widths(twoThetaDegrees: twoThetaDegrees, wavelength: wavelength, size: d.value, microstrain: m.value,
                       sizeMix: phase.sizeMix, strainMix: phase.strainMix)
        let (dv, dg, mv, mg) = (w.dVarianceDSize, w.dGammaDSize, w.dVarianceDStrain, w.dGammaDStrain)
        (w.dVarianceDCosSquared, w.dGammaDCosSquared) = (dv * d.dCosSquared + mv * m.dCosSquared, dg * d.dCosSquared + mg * m.dCosSquared)
        (w.dVarianceDSize, w.dGammaDSize) = (dv * d.dEquatorial, dg * d.dEquatorial)
        (w.dVarianceDAxialSize, w.dGammaDAxialSize) = (dv * d.dAxial, dg * d.dAxial)
        (w.dVarianceDStrain, w.dGammaDStrain) = (mv * m.dEquatorial, mg * m.dEquatorial)
        (w.dVarianceDAxialStrain, w.dGammaDAxialStrain) = (mv * m.dAxial, mg * m.dAxial)
        return w
    }

    static func widths(twoThetaDegrees: Double, wavelength: Double, size: Double, microstrain: Double,
                       sizeMix: Double, strainMix: Double) -> Widths {
        let theta = twoThetaDegrees * Double.pi / 360
        let c = cos(theta), t = tan(theta)
        let dThetaD2T = Double.pi / 360
        var w = Widths()
        let sGam = 1.8 * wavelength / (Double.pi * size * c)
        let dSGamDSize = -sGam / size
        let dSGamD2T = sGam * t * dThetaD2T
        let mGam = 0.018 * microstrain * t / Double.pi
        let dMGamDStrain = 0.018 * t / Double.pi
        let dMGamD2T = 0.018 * microstrain / Double.pi / (c * c) * dThetaD2T
        w.gamma = sGam * sizeMix + mGam * strainMix
        let gs = sGam * (1 - sizeMix), gm = mGam * (1 - strainMix)
        w.variance = (gs * gs + gm * gm) / eightLn2
        w.dGammaDSize = dSGamDSize * sizeMix
        w.dGammaDStrain = dMGamDStrain * strainMix
        w.dGammaDTwoTheta = dSGamD2T * sizeMix + dMGamD2T * strainMix
        w.dVarianceDSize = 2 * gs * (1 - sizeMix) * dSGamDSize / eightLn2
        w.dVarianceDStrain = 2 * gm * (1 - strainMix) * dMGamDStrain / eightLn2
        w.dVarianceDTwoTheta = (2 * gs * (1 - sizeMix) * dSGamD2T + 2 * gm * (1 - strainMix) * dMGamD2T) / eightLn2
        return w
    }
}

/// March–Dollase preferred orientation: P(h) = (1/m) Σ_{h′} (r² cos²α_{h′} + sin²α_{h′} / r)^(−3/2) over the
/// Laue orbit of h, α the angle between h′ and the texture axis (Dollase, J. Appl. Cryst. 19 (1986) 267).
enum MarchDollase {
    /// P and ∂P/∂r for cos²α of each orbit member.
    static func factor(ratio r: Double, cosSquared: [Double]) -> (value: Double, dRatio: Double) {
        var p = 0.0, dp = 0.0
        for c2 in cosSquared {
            let s2 = 1 - c2
            let base = r * r * c2 + s2 / r
            let dBase = 2 * r * c2 - s2 / (r * r)
            p += pow(base, -1.5)
            dp += -1.5 * pow(base, -2.5) * dBase
        }
        let n = Double(max(1, cosSquared.count))
        return (p / n, dp / n)
    }
}
