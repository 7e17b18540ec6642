import Foundation

/// How closely the model follows GSAS-II's numerical conventions where they are approximations.
///
/// `exact` (default): the FCJ integral to ~1e-6, 30-FWHM peak windows, and reflections up to 2° beyond the
/// last point (a peak just outside the data still puts its tail inside). `gsas2`: GSAS-II's FCJ quadrature,
/// its 50/75-FWHM windows and only reflections inside the data range — to reproduce GSAS-II's numbers, and to
/// fit patterns GSAS-II simulated (a peak just past the upper limit is missing from them: refining the
/// 20-pattern GSAS-II series with `exact` leaves Rwp 3.6 % instead of 2.9 % on the patterns with a strong
/// reflection just above 50°).
public enum ModelConvention: String, Sendable, CaseIterable {
    case exact
    case gsas2

    public var asymmetryQuadrature: AxialDivergence.Quadrature { self == .gsas2 ? .gsas2 : .exact }
    /// Reflections are generated up to this many degrees past the last point.
    public var reflectionMargin: Double { self == .gsas2 ? 0 : 2 }
    public var window: (low: Double, high: Double) { self == .gsas2 ? (50, 75) : (30, 30) }
}
