import Foundation
import NumericCore

/// Finger–Cox–Jephcoat axial-divergence asymmetry (J. Appl. Cryst. 27 (1994) 892), as a weighted sum of
/// shifted copies of the symmetric profile.
///
/// A reflection at 2θ = P is seen at angles 2φ between 2φ_min and P (below 90°; mirrored above) with weight
/// D(2φ) = W(2φ) / (h(2φ) |cos 2φ|), h = √(cos²2φ / cos²P − 1) (h and W in units of L), where
/// W = S/L + H/L − h on [2φ_min, 2φ_infl] and W = 2 min(S/L, H/L) on [2φ_infl, P], with
/// cos 2φ_min = √(1 + (S/L + H/L)²) cos P and cos 2φ_infl = √(1 + (H/L − S/L)²) cos P.
/// The profile is ∫ D(2φ) pV(x − 2φ) d2φ / ∫ D. Each interval is integrated by Gauss–Legendre after the
/// substitution 2φ = E_top − (E_top − E_bottom) u², which removes the 1/√ singularity at P. The nodes and
/// weights are computed with dual numbers, so their derivatives with respect to P, S/L and H/L are exact.
/// GSAS-II's single `SH/L` is S/L = H/L = SH/L / 2.
public struct AxialDivergence: Sendable {
    /// How the FCJ integral is evaluated.
    public enum Quadrature: String, Sendable, CaseIterable {
        /// Gauss–Legendre after removing the singularity at P, with enough nodes for the asymmetry's width:
        /// the FCJ profile to ~1e-6.
        case exact
        /// GSAS-II's rule (its `PSVFCJ`): the upper half of an n-point Gauss–Legendre rule on the straight
        /// interval [2φ_min, P], n from 2 to 400 with n ≥ 300 (P − 2φ_min)/γ (γ in centidegrees). When the
        /// asymmetry is much narrower than the peak this is a single node at 0.577 of the interval, which
        /// places the peak about 1e-4° lower than the exact integral at low angles: refining GSAS-II's own
        /// simulated LiNiO2 pattern with the exact rule gives zero −0.01222° and a 6 ppm smaller a instead of
        /// its −0.012° and 2.878 Å. Use this rule to reproduce GSAS-II's numbers.
        case gsas2
    }

    /// GSAS-II's table of Gauss–Legendre orders for its FCJ quadrature.
    static let gsas2Orders = [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120,
                              140, 160, 180, 200, 220, 240, 260, 280, 300, 400]

    /// GSAS-II's node count (the full order n; n/2 nodes are used) for interval width `span` (radians) and
    /// Lorentzian width γ (radians).
    public static func gsas2Order(span: Double, gamma: Double) -> Int {
        let spanDegrees = span * 180 / Double.pi
        let gammaCentidegrees = gamma * 18000 / Double.pi
        let k = gammaCentidegrees <= 0 ? Int(spanDegrees * 200) : Int(300 * spanDegrees / gammaCentidegrees)
        return gsas2Orders.first { $0 >= k } ?? 400
    }

    /// Offsets 2φ_k − P of the sub-peaks (radians, ≤ 0 below 90°).
    public let offsets: [Double]
    /// Normalized weights (Σ = 1).
    public let weights: [Double]
    /// ∂offset_k/∂(P, S/L, H/L).
    public let offsetPartials: [SIMD3<Double>]
    /// ∂weight_k/∂(P, S/L, H/L).
    public let weightPartials: [SIMD3<Double>]

    /// Quadrature nodes per interval: enough that the sub-peaks are closer than a fraction of the FWHM.
    /// Sub-peaks: one (at the exact centroid) while the asymmetry spans under 2 % of the FWHM, two (centroid
    /// ± spread) below 20 %, then a full quadrature with six nodes per FWHM of span. The shape error of the
    /// collapsed forms is of order (span/Γ)² times the asymmetry's own small effect.
    static func nodeCount(span: Double, fwhm: Double) -> Int {
        let ratio = span / max(fwhm, 1e-12)
        if ratio < 0.02 { return 1 }
        if ratio < 0.2 { return 2 }
        return min(48, max(3, Int((6 * ratio).rounded(.up))))
    }

    /// The node count the adaptive rule picks for a reflection at P with this asymmetry and FWHM.
    public static func adaptiveNodeCount(twoTheta: Double, sOverL: Double, hOverL: Double, fwhm: Double,
                                         quadrature: Quadrature = .exact, gamma: Double = 0) -> Int {
        let p = twoTheta > Double.pi / 2 ? Double.pi - twoTheta : twoTheta
        let c = (1 + (sOverL + hOverL) * (sOverL + hOverL)).squareRoot() * cos(p)
        let eMin = c >= 1 ? 0 : acos(c)
        switch quadrature {
        case .exact: return nodeCount(span: p - eMin, fwhm: fwhm)
        case .gsas2: return gsas2Order(span: p - eMin, gamma: gamma)
        }
    }

    /// The sub-peak set for a reflection at P (radians) with S/L and H/L and symmetric FWHM (radians), with
    /// `nodes` quadrature points per interval (default: the adaptive rule). Keep `nodes` fixed while
    /// parameters change (see `PatternModel.freezePeakLayout`), so that the profile is a smooth function of
    /// them. Nil when S/L + H/L = 0 or the asymmetry vanishes (P = 90°).
    public init?(twoTheta: Double, sOverL: Double, hOverL: Double, fwhm: Double, nodes: Int? = nil,
                 quadrature: Quadrature = .exact) {
        var set = Nodes()
        guard set.compute(twoTheta: twoTheta, sOverL: sOverL, hOverL: hOverL, fwhm: fwhm, nodes: nodes, quadrature: quadrature)
        else { return nil }
        offsets = set.offsets.map(\.value)
        weights = set.weights.map(\.value)
        offsetPartials = set.offsets.map(\.d)
        weightPartials = set.weights.map(\.d)
    }

    /// The FCJ sub-peaks in reusable storage (the pattern model computes one set per reflection and
    /// evaluation; once grown, no allocation): offsets 2φ_k − P and normalized weights, each with its
    /// partials with respect to (P, S/L, H/L).
    public struct Nodes: Sendable {
        public private(set) var offsets: [Dual3] = []
        public private(set) var weights: [Dual3] = []

        public init() {}

        /// Sets the sub-peaks directly (offsets and normalized weights with their partials).
        mutating func load(offsets: [Dual3], weights: [Dual3]) {
            self.offsets = offsets
            self.weights = weights
        }

        /// Sets the sub-peaks for a reflection at P (see `AxialDivergence.init`); false, and empty, when there
        /// is no asymmetry. Without `partials` the derivatives are left zero (and cost nothing).
        public mutating func compute(twoTheta: Double, sOverL: Double, hOverL: Double, fwhm: Double, nodes: Int? = nil,
                                     quadrature: Quadrature = .exact, partials: Bool = true) -> Bool {
            partials ? fill(Dual3.self, twoTheta: twoTheta, sOverL: sOverL, hOverL: hOverL, fwhm: fwhm, nodes: nodes, quadrature: quadrature)
                : fill(Double.self, twoTheta: twoTheta, sOverL: sOverL, hOverL: hOverL, fwhm: fwhm, nodes: nodes, quadrature: quadrature)
        }

        private mutating func fill<T: DifferentiableScalar>(_: T.Type, twoTheta: Double, sOverL: Double, hOverL: Double, fwhm: Double,
                                                           nodes: Int?, quadrature: Quadrature) -> Bool {
            offsets.removeAll(keepingCapacity: true)
            weights.removeAll(keepingCapacity: true)
            guard sOverL + hOverL > 0, abs(twoTheta - Double.pi / 2) > 1e-9 else { return false }
            let mirrored = twoTheta > Double.pi / 2
            // Above 90° the geometry is mirrored: compute at π − P and flip the offsets.
            let p = T.variable(mirrored ? Double.pi - twoTheta : twoTheta, index: 0)
            let a = T.variable(sOverL, index: 1)
            let b = T.variable(hOverL, index: 2)
            let cosP = T.cos(p)
            func edge(_ t: T) -> T {
                let c = (1 + t * t).squareRoot() * cosP
                return c.value >= 1 ? T(0) : T.acos(c)
            }
            let eMin = edge(a + b)
            // With S/L = H/L the inflection point is P itself; computing acos(cos P) would leave a sliver of
            // rounding-error width whose weights have meaningless derivatives.
            let eInfl = sOverL == hOverL ? p : edge(a - b)
            let minAB = sOverL < hOverL ? a : b
            let collapse: Int? = quadrature == .exact && (nodes ?? 3) <= 2 ? (nodes ?? 3) : nil
            let integrationNodes: Int? = collapse == nil ? nodes : 8
            let shape = Shape(p: p, cosP: cosP, a: a, b: b, minAB: minAB, sameLengths: sOverL == hOverL, eInfl: eInfl.value,
                              mirrored: mirrored)
            switch quadrature {
            case .exact:
                // Each interval after 2φ = E_top − (E_top − E_bottom) u².
                for interval in 0..<2 {
                    let (bottom, top) = interval == 0 ? (eMin, eInfl) : (eInfl, p)
                    let span = top - bottom
                    guard span.value > 1e-12 * max(1, top.value) else { continue }
                    let (u, w) = GaussLegendre.rule(integrationNodes ?? AxialDivergence.nodeCount(span: span.value, fwhm: fwhm))
                    for k in 0..<u.count { add(top - span * (u[k] * u[k]), factor: w[k] * 2 * u[k] * span, shape) }
                }
            case .gsas2:
                // Upper half of the order-n rule on [−1, 1], mapped linearly onto [2φ_min, P].
                let order = max(2, nodes ?? 2)
                let (u, w) = GaussLegendre.rule(order)
                for k in 0..<order where u[k] > 0.5 { add(eMin + (p - eMin) * (2 * u[k] - 1), factor: T(w[k]), shape) }
            }
            guard !weights.isEmpty else { return false }
            var total = Dual3(0)
            for w in weights { total = total + w }
            for k in weights.indices { weights[k] = weights[k] / total }
            // A narrow asymmetry is carried by one or two sub-peaks with the exact mean (and spread) of the full
            // FCJ distribution: the centroid of the peak, which sets the refined zero and cell, stays exact.
            if let c = collapse, c < offsets.count {
                var mean = Dual3(0)
                for k in offsets.indices { mean = mean + weights[k] * offsets[k] }
                var variance = Dual3(0)
                if c == 2 {
                    for k in offsets.indices { let d = offsets[k] - mean; variance = variance + weights[k] * d * d }
                }
                offsets.removeAll(keepingCapacity: true)
                weights.removeAll(keepingCapacity: true)
                if c == 1 {
                    offsets.append(mean)
                    weights.append(Dual3(1))
                } else {
                    let sd = variance.squareRoot()
                    offsets.append(mean - sd); offsets.append(mean + sd)
                    weights.append(Dual3(0.5)); weights.append(Dual3(0.5))
                }
            }
            return true
        }

        /// What the density of one reflection's FCJ distribution depends on.
        private struct Shape<T: DifferentiableScalar> {
            let p, cosP, a, b, minAB: T
            let sameLengths: Bool
            let eInfl: Double
            let mirrored: Bool
        }

        /// Adds the sub-peak at 2φ = δ with quadrature weight `factor` × D(δ), D = W/(h |cos δ|) (weights not yet
        /// normalized).
        private mutating func add<T: DifferentiableScalar>(_ delta: T, factor: T, _ s: Shape<T>) {
            let cosD = T.cos(delta)
            let h = cosD * cosD / (s.cosP * s.cosP) - 1
            guard h.value > 0 else { return }
            let hRoot = h.squareRoot()
            let inner = s.sameLengths || delta.value <= s.eInfl
            let density = inner ? (s.a + s.b - hRoot) : 2 * s.minAB
            guard density.value > 0 else { return }
            var weight = (factor * density / (hRoot * T.abs(cosD))).dual
            var offset = (delta - s.p).dual
            // Mirrored: ∂(π−P)/∂P = −1 and the offset flips sign, so the P component keeps its sign.
            if s.mirrored {
                offset = Dual3(-offset.value, SIMD3(offset.d.x, -offset.d.y, -offset.d.z))
                weight.d.x = -weight.d.x
            }
            offsets.append(offset)
            weights.append(weight)
        }
    }

    /// The asymmetric profile at offset x = 2θ − P from the nominal position, with its partials with respect
    /// to P (the nominal position, at fixed 2θ), σ², γ, S/L and H/L.
    @inlinable
    public func valueAndPartials(_ x: Double, shape: PseudoVoigt)
        -> (value: Double, dPosition: Double, dVariance: Double, dGamma: Double, dS: Double, dH: Double) {
        var v = 0.0, dp = 0.0, dv = 0.0, dg = 0.0, ds = 0.0, dh = 0.0
        for k in 0..<offsets.count {
            let r = shape.valueAndPartials(x - offsets[k])
            let w = weights[k]
            let dw = weightPartials[k]
            let dOff = offsetPartials[k]
            v += w * r.value
            dv += w * r.dVariance
            dg += w * r.dGamma
            // x = 2θ − P depends on P: ∂x/∂P = −1, and the offset itself moves with P.
            dp += dw.x * r.value - w * r.dx * (1 + dOff.x)
            ds += dw.y * r.value - w * r.dx * dOff.y
            dh += dw.z * r.value - w * r.dx * dOff.z
        }
        return (v, dp, dv, dg, ds, dh)
    }
}
