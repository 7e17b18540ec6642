import Foundation

/// Constants and unit conversions used across the engine, each with its source.
public enum PhysicalConstants {
    /// hc in eV·Å (CODATA 2018, exact since the 2019 SI): E = hc/λ.
    public static let planckTimesLightSpeedEVAngstrom = 12_398.419_843_320_026
    /// Avogadro constant, mol⁻¹ (CODATA 2018, exact).
    public static let avogadro = 6.022_140_76e23
    /// Faraday constant, C/mol (CODATA 2018: N_A e, exact).
    public static let faraday = 96_485.332_12
    /// Classical electron radius r_e in Å (CODATA 2018: 2.817 940 3262(13) × 10⁻¹⁵ m).
    public static let classicalElectronRadius = 2.817_940_3262e-5
    /// ln 2 (for Gaussian FWHM ↔ variance: FWHM² = 8 ln 2 σ²).
    public static let ln2 = 0.693_147_180_559_945_3
}

/// Angle units: degrees at the boundary (and GSAS-II's centidegrees for profile terms), radians inside.
public enum AngleUnit {
    public static let radiansPerDegree = Double.pi / 180
    /// Radians per centidegree (GSAS-II's unit of U, V, W (squared), X, Y, Z and profile normalization).
    public static let radiansPerCentidegree = Double.pi / 18000
}
