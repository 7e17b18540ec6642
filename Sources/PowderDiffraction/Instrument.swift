import Foundation

/// How the sample is illuminated and what that does to peak positions and intensities.
public enum Geometry: String, Sendable, CaseIterable {
    /// Capillary in transmission (cylinder absorption from μR, displacement ⟂ and ∥ to the beam).
    case debyeScherrer = "debye-scherrer"
    /// Flat plate in reflection (no absorption correction; specimen displacement and transparency).
    case braggBrentano = "bragg-brentano"

    /// GSAS-II's name of a geometry (`Diff-type` in an instrument file, `Type` of its sample parameters).
    public init?(gsas2Name: String) {
        switch gsas2Name.replacingOccurrences(of: " ", with: "").lowercased() {
        case "debye-scherrer": self = .debyeScherrer
        case "bragg-brentano": self = .braggBrentano
        default: return nil
        }
    }
}

/// A constant-wavelength X-ray diffractometer, with parameters in GSAS-II's units so that `.instprm` values
/// carry over unchanged: U, V, W in centideg², X, Y, Z in centideg, zero in degrees, SH/L dimensionless.
///
/// Gaussian variance σ² = U tan²θ + V tanθ + W; Lorentzian FWHM γ = X/cosθ + Y tanθ + Z.
public struct Instrument: Sendable, Equatable {
    public var radiation: Radiation
    public var geometry: Geometry
    /// Zero-point shift of 2θ in degrees (added to the Bragg angle).
    public var zero: Double
    /// Polarization fraction (GSAS-II `Polariz.`; 0.5 unpolarized).
    public var polarization: Double
    public var u: Double, v: Double, w: Double
    public var x: Double, y: Double, z: Double
    /// FCJ axial divergence (S + H)/L with S/L = H/L (GSAS-II `SH/L`).
    public var shl: Double
    /// FCJ S/L when the two axial ratios are told apart (H/L = SH/L − S/L; FullProf's and TOPAS's two
    /// lengths); nil: S/L = H/L = SH/L/2 (GSAS-II).
    public var sOverL: Double?
    /// Goniometer radius in mm: displacement shifts are −2s cosθ/R (flat plate) and −(Dx cos2θ + Dy sin2θ)/R
    /// (capillary), so displacements come out in real µm only with the instrument's own R.
    public var goniometerRadius: Double

    /// GSAS-II's radius when an instrument file states none (its `Gonio. radius` sample default).
    public static let gsas2GoniometerRadius = 200.0
    /// When set, the axial divergence is the full model of this geometry (`FullAxialDivergence`) instead of
    /// FCJ's SH/L (which is then not used).
    public var fullAxial: AxialGeometry?
    /// Whether the profile terms (U V W X Y Z, SH/L, zero) are a calibration or only a start.
    public var profileStatus: ProfileStatus = .calibrated
    /// How the FCJ asymmetry integral is evaluated (exact, or GSAS-II's rule to reproduce its numbers).
    public var asymmetryQuadrature: AxialDivergence.Quadrature = .exact
    /// When set, peaks are fundamental-parameters profiles (emission lines, slit, flat specimen, axial
    /// divergence, crystallite size convolved by FFT) instead of TCH pseudo-Voigts; U V W X Y Z, SH/L and the
    /// microstrain are then not used, the phase's size is.
    public var fundamentalParameters: FundamentalParameters?

    public init(radiation: Radiation, geometry: Geometry = .debyeScherrer, zero: Double = 0, polarization: Double = 0.5,
                u: Double = 0, v: Double = 0, w: Double = 1, x: Double = 0, y: Double = 0, z: Double = 0,
                shl: Double = 0.002, goniometerRadius: Double = Instrument.gsas2GoniometerRadius) {
        self.radiation = radiation
        self.geometry = geometry
        self.zero = zero
        self.polarization = polarization
        self.u = u; self.v = v; self.w = w
        self.x = x; self.y = y; self.z = z
        self.shl = shl
        self.goniometerRadius = goniometerRadius
    }
}

/// What an instrument file's profile is worth. A calibrated profile (the papers' workflow: fitted on LaB6 or
/// Si) is held by the default strategy, which then refines only the sample's broadening; a start (a generic
/// file for the radiation) is refined with the sample — its U V W X Y and SH/L (see `DefaultStrategy`).
public enum ProfileStatus: String, Sendable, CaseIterable {
    case calibrated, start
}

extension Instrument {
    /// Where the profile is unphysical inside `range` (2θ, degrees): the Gaussian variance U tan²θ + V tanθ + W
    /// or the Lorentzian width X/cosθ + Y tanθ + Z below zero somewhere — a description, or nil. A sum that
    /// is zero but for rounding (10⁻⁹ of its terms' size) is zero: a refinement that holds the variance ≥ 0
    /// ends with V on that limit, where the variance touches zero at one angle.
    public func unphysicalProfile(over range: ClosedRange<Double>) -> String? {
        guard fundamentalParameters == nil else { return nil }
        let steps = max(1, Int((range.upperBound - range.lowerBound).rounded(.up)))
        for k in 0...steps {
            let tt = range.lowerBound + (range.upperBound - range.lowerBound) * Double(k) / Double(steps)
            let t = tan(tt * Double.pi / 360), c = cos(tt * Double.pi / 360)
            if u * t * t + v * t + w < -1e-9 * (abs(u) * t * t + abs(v) * t + abs(w)) {
                return String(format: "the Gaussian variance U tan²θ + V tanθ + W is negative at 2θ = %.1f° (U %.3g, V %.3g, W %.3g)", tt, u, v, w)
            }
            if x / c + y * t + z < -1e-9 * (abs(x) / c + abs(y) * t + abs(z)) {
                return String(format: "the Lorentzian width X/cosθ + Y tanθ + Z is negative at 2θ = %.1f° (X %.3g, Y %.3g, Z %.3g)", tt, x, y, z)
            }
        }
        return nil
    }

    /// The profile terms that act on this instrument's peaks (the table, JSON and snapshots list these): for
    /// the pseudo-Voigt path U V W X Y Z and FCJ's SH/L (S/L when it tells S/L from H/L — setting it would
    /// switch that on), or the Soller angle in their place with a full axial geometry that has a Soller slit;
    /// for a fundamental-parameters profile its own terms (tube tails and passband when it has them), with (S + H)/L or
    /// the full axial model's Soller angle.
    public var profileTerms: [ProfileTerm] { ProfileTerm.allCases.filter(acts) }

    /// Whether a profile term acts on this instrument's peaks (see `profileTerms`).
    public func acts(_ t: ProfileTerm) -> Bool {
        if t == .soller { return fullAxial?.hasSoller == true }
        if let fp = fundamentalParameters {
            if t == .axialDivergence { return fullAxial == nil }
            return t.isFundamental && !fp.value(of: t).isNaN
        }
        switch t {
        case .shl: return fullAxial == nil
        case .sl: return sOverL != nil && fullAxial == nil
        default: return !t.isFundamental
        }
    }

    /// Whether a phase's parameter acts on peaks drawn with this instrument's profile: a fundamental-parameters
    /// profile convolves the crystallite size alone (no microstrain, uniaxial or Stephens terms).
    public func acts(_ p: PhaseParameter) -> Bool {
        guard fundamentalParameters != nil else { return true }
        switch p {
        case .microstrain, .axialSize, .axialMicrostrain, .stephens: return false
        default: return true
        }
    }

    /// The FCJ (S/L, H/L) the profile is drawn with.
    public var axialRatios: (sOverL: Double, hOverL: Double) {
        guard let s = sOverL else { return (shl / 2, shl / 2) }
        return (s, shl - s)
    }

    /// A profile term's value (GSAS-II units).
    public func value(of t: ProfileTerm) -> Double {
        switch t {
        case .u: return u
        case .v: return v
        case .w: return w
        case .x: return x
        case .y: return y
        case .z: return z
        case .shl: return shl
        case .sl: return sOverL ?? shl / 2
        case .soller: return fullAxial?.sollerAngle ?? .infinity
        case .receivingSlit, .divergence, .axialDivergence, .tailLeft, .tailRight, .tailHeight, .passbandWidth, .passbandOffset:
            return fundamentalParameters?.value(of: t) ?? .nan
        }
    }

    public mutating func setValue(_ value: Double, for t: ProfileTerm) {
        switch t {
        case .u: u = value
        case .v: v = value
        case .w: w = value
        case .x: x = value
        case .y: y = value
        case .z: z = value
        case .shl: shl = value
        case .sl: sOverL = value
        case .soller: fullAxial?.sollerAngle = value
        case .receivingSlit, .divergence, .axialDivergence, .tailLeft, .tailRight, .tailHeight, .passbandWidth, .passbandOffset:
            fundamentalParameters?.setValue(value, for: t)
        }
    }
}
