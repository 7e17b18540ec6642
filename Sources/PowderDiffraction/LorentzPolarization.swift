import Foundation

/// The Lorentz–polarization factor of a constant-wavelength powder measurement.
///
/// Lp(2θ) = [P + (1 − P) cos²2θ] / (2 sin²θ cosθ), GSAS-II's convention for azimuth 0: P = 0.5 is an
/// unpolarized laboratory beam, giving the familiar (1 + cos²2θ)/(2 sin²θ cosθ) up to a constant factor
/// of two; P → 1 is a synchrotron beam polarized perpendicular to the diffraction plane.
public struct LorentzPolarization: Sendable, Equatable {
    /// Polarization fraction P (GSAS-II `Polariz.`).
    public var polarization: Double

    public init(polarization: Double = 0.5) { self.polarization = polarization }

    /// Lp at the diffraction angle 2θ given in radians.
    @inlinable
    public func value(twoTheta: Double) -> Double {
        let theta = 0.5 * twoTheta
        let s = sin(theta), c = cos(theta), c2 = cos(twoTheta)
        return (polarization + (1 - polarization) * c2 * c2) / (2 * s * s * c)
    }

    /// ∂Lp/∂(2θ) (per radian).
    @inlinable
    public func derivative(twoTheta: Double) -> Double {
        let theta = 0.5 * twoTheta
        let s = sin(theta), c = cos(theta), c2 = cos(twoTheta), s2 = sin(twoTheta)
        let numerator = polarization + (1 - polarization) * c2 * c2
        let denominator = 2 * s * s * c
        let dNumerator = -2 * (1 - polarization) * c2 * s2
        // d(2 s² c)/d(2θ) = ½ d/dθ (2 s² c) = 2 s c² − s³
        let dDenominator = 2 * s * c * c - s * s * s
        return (dNumerator * denominator - numerator * dDenominator) / (denominator * denominator)
    }
}
