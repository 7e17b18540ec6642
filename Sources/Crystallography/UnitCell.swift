import Foundation

/// The seven crystal systems, with the cell parameters each leaves free.
public enum CrystalSystem: String, Sendable, CaseIterable {
    case triclinic, monoclinic, orthorhombic, tetragonal, trigonal, hexagonal, cubic

    /// The system of a space group by its International Tables number (1–230).
    public init(spaceGroupNumber n: Int) {
        switch n {
        case ...2: self = .triclinic
        case 3...15: self = .monoclinic
        case 16...74: self = .orthorhombic
        case 75...142: self = .tetragonal
        case 143...167: self = .trigonal
        case 168...194: self = .hexagonal
        default: self = .cubic
        }
    }
}

/// Indices of the six cell parameters in gradients and covariance matrices: a, b, c (Å), α, β, γ (degrees).
public enum CellParameter: Int, CaseIterable, Sendable, Hashable {
    case a = 0, b, c, alpha, beta, gamma

    /// The name users write: a, b, c, alpha, beta, gamma.
    public var name: String { ["a", "b", "c", "alpha", "beta", "gamma"][rawValue] }
    /// Lengths in Å, angles in degrees.
    public var isLength: Bool { rawValue < 3 }
}

/// A unit cell: lengths in Å, angles in degrees; an immutable value that precomputes its metric tensors.
///
/// Direct metric tensor G_ij = a_i · a_j; reciprocal metric G* = G⁻¹, so 1/d²(hkl) = hᵀ G* h.
/// Volume V = abc √(1 − cos²α − cos²β − cos²γ + 2 cosα cosβ cosγ) (Giacovazzo, Fundamentals of
/// Crystallography, ch. 2).
public struct UnitCell: Equatable, Sendable {
    public let a: Double, b: Double, c: Double
    public let alpha: Double, beta: Double, gamma: Double
    /// G, row-major 3×3.
    public let metric: [Double]
    /// G* = G⁻¹, row-major 3×3 (Å⁻²).
    public let reciprocalMetric: [Double]
    /// Cell volume in Å³.
    public let volume: Double

    public init(a: Double, b: Double, c: Double, alpha: Double, beta: Double, gamma: Double) throws(CrystallographyError) {
        for (name, v) in [("a", a), ("b", b), ("c", c)] where !(v.isFinite && v > 0) {
            throw .invalidCell("\(name) = \(v) Å; lengths must be positive")
        }
        for (name, v) in [("alpha", alpha), ("beta", beta), ("gamma", gamma)] where !(v.isFinite && v > 0 && v < 180) {
            throw .invalidCell("\(name) = \(v)°; angles must lie strictly between 0 and 180")
        }
        let (ca, cb, cg) = (cos(alpha * .pi / 180), cos(beta * .pi / 180), cos(gamma * .pi / 180))
        let q = 1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg
        guard q > 1e-12 else { throw .invalidCell("angles α=\(alpha)°, β=\(beta)°, γ=\(gamma)° do not span a volume") }
        self.a = a; self.b = b; self.c = c
        self.alpha = alpha; self.beta = beta; self.gamma = gamma
        volume = a * b * c * q.squareRoot()
        let g = [a * a, a * b * cg, a * c * cb,
                 a * b * cg, b * b, b * c * ca,
                 a * c * cb, b * c * ca, c * c]
        metric = g
        reciprocalMetric = UnitCell.invert3x3(g)
    }

    /// A hexagonal (or trigonal, hexagonal-setting) cell: a = b, α = β = 90°, γ = 120°.
    public static func hexagonal(a: Double, c: Double) throws(CrystallographyError) -> UnitCell {
        try UnitCell(a: a, b: a, c: c, alpha: 90, beta: 90, gamma: 120)
    }

    /// A cubic cell.
    public static func cubic(a: Double) throws(CrystallographyError) -> UnitCell {
        try UnitCell(a: a, b: a, c: a, alpha: 90, beta: 90, gamma: 90)
    }

    /// The six parameters in `CellParameter` order.
    public var parameters: [Double] { [a, b, c, alpha, beta, gamma] }

    /// 1/d² for the reflection hkl, in Å⁻².
    @inlinable
    public func inverseDSquared(_ h: Int, _ k: Int, _ l: Int) -> Double {
        let (x, y, z) = (Double(h), Double(k), Double(l))
        let g = reciprocalMetric
        return g[0] * x * x + g[4] * y * y + g[8] * z * z + 2 * (g[1] * x * y + g[2] * x * z + g[5] * y * z)
    }

    /// Interplanar spacing d(hkl) in Å.
    public func dSpacing(_ h: Int, _ k: Int, _ l: Int) -> Double {
        1 / inverseDSquared(h, k, l).squareRoot()
    }

    /// ∂V/∂(a, b, c, α, β, γ), with the angle derivatives per degree.
    public var volumeGradient: [Double] {
        let rad = Double.pi / 180
        let (ca, cb, cg) = (cos(alpha * rad), cos(beta * rad), cos(gamma * rad))
        let (sa, sb, sg) = (sin(alpha * rad), sin(beta * rad), sin(gamma * rad))
        let q = 1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg
        let abc = a * b * c
        let root = q.squareRoot()
        // ∂q/∂α = 2 sinα (cosα − cosβ cosγ), and ∂V/∂α = abc/(2√q) ∂q/∂α.
        return [volume / a, volume / b, volume / c,
                abc * sa * (ca - cb * cg) / root * rad,
                abc * sb * (cb - ca * cg) / root * rad,
                abc * sg * (cg - ca * cb) / root * rad]
    }

    /// ∂G/∂p for one of the six cell parameters (angles per degree), row-major 3×3.
    public func metricDerivative(_ p: CellParameter) -> [Double] {
        let g = metricDerivativeTerms(p)
        return [g.0, g.1, g.2, g.3, g.4, g.5, g.6, g.7, g.8]
    }

    /// ∂G/∂p as a tuple in row order (no array: `inverseDSquaredDerivative` runs per reflection and cell
    /// parameter in every Jacobian).
    private func metricDerivativeTerms(_ p: CellParameter) -> (Double, Double, Double, Double, Double, Double, Double, Double, Double) {
        let r = AngleUnit.radiansPerDegree
        switch p {
        case .a: let (cb, cg) = (cos(beta * r), cos(gamma * r)); return (2 * a, b * cg, c * cb, b * cg, 0, 0, c * cb, 0, 0)
        case .b: let (ca, cg) = (cos(alpha * r), cos(gamma * r)); return (0, a * cg, 0, a * cg, 2 * b, c * ca, 0, c * ca, 0)
        case .c: let (ca, cb) = (cos(alpha * r), cos(beta * r)); return (0, 0, a * cb, 0, 0, b * ca, a * cb, b * ca, 2 * c)
        case .alpha: let d = -b * c * sin(alpha * r) * r; return (0, 0, 0, 0, 0, d, 0, d, 0)
        case .beta: let d = -a * c * sin(beta * r) * r; return (0, 0, d, 0, 0, 0, d, 0, 0)
        case .gamma: let d = -a * b * sin(gamma * r) * r; return (0, d, 0, d, 0, 0, 0, 0, 0)
        }
    }

    /// ∂(1/d²)/∂p for one of the six cell parameters: since G* = G⁻¹, ∂G*/∂p = −G* (∂G/∂p) G*, so
    /// ∂(hᵀG*h)/∂p = −vᵀ (∂G/∂p) v with v = G* h.
    public func inverseDSquaredDerivative(_ h: Int, _ k: Int, _ l: Int, _ p: CellParameter) -> Double {
        let gs = reciprocalMetric
        let x = (Double(h), Double(k), Double(l))
        let v = SIMD3(gs[0] * x.0 + gs[1] * x.1 + gs[2] * x.2, gs[3] * x.0 + gs[4] * x.1 + gs[5] * x.2, gs[6] * x.0 + gs[7] * x.1 + gs[8] * x.2)
        let dg = metricDerivativeTerms(p)
        // vᵀ (∂G/∂p) v term by term in row order.
        var q = 0.0
        q += v[0] * dg.0 * v[0]; q += v[0] * dg.1 * v[1]; q += v[0] * dg.2 * v[2]
        q += v[1] * dg.3 * v[0]; q += v[1] * dg.4 * v[1]; q += v[1] * dg.5 * v[2]
        q += v[2] * dg.6 * v[0]; q += v[2] * dg.7 * v[1]; q += v[2] * dg.8 * v[2]
        return -q
    }

    /// The esd of V from the 6×6 covariance matrix of (a, b, c, α, β, γ) (angles in degrees, row-major), by
    /// σ²(V) = ∇Vᵀ C ∇V. Correlations between a and c enter; adding esds would be wrong.
    public func volumeStandardUncertainty(covariance: [Double]) -> Double {
        precondition(covariance.count == 36, "cell covariance must be 6×6")
        let g = volumeGradient
        var q = 0.0
        for i in 0..<6 { for j in 0..<6 { q += g[i] * covariance[6 * i + j] * g[j] } }
        return max(0, q).squareRoot()
    }

    /// V of a hexagonal (or hexagonal-setting trigonal) cell, (√3/2) a² c, in Å³.
    public static func hexagonalVolume(a: Double, c: Double) -> Double { 3.0.squareRoot() / 2 * a * a * c }

    static func invert3x3(_ m: [Double]) -> [Double] {
        let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
        let inv = [m[4] * m[8] - m[5] * m[7], m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
                   m[5] * m[6] - m[3] * m[8], m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
                   m[3] * m[7] - m[4] * m[6], m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3]]
        return inv.map { $0 / det }
    }
}
