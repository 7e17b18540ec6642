import Foundation
import NumericCore

/// The axial geometry of a diffractometer with Soller slits (Cheary & Coelho, J. Appl. Cryst. 31 (1998) 851
/// and 862; TOPAS's "full axial model"): lengths in mm, Soller angles in degrees.
public struct AxialGeometry: Sendable, Hashable {
    /// Goniometer radius (source–specimen and specimen–receiver distance), mm.
    public var radius: Double
    /// Axial lengths of the source (tube focus), the illuminated specimen and the receiving slit, mm.
    public var sourceLength: Double, sampleLength: Double, receiverLength: Double
    /// Soller slits before and after the specimen: the axial angle at which a slit's transmission 1 − |β|/Δ
    /// falls to zero, degrees (∞: no Soller slit).
    public var primarySoller: Double, secondarySoller: Double

    public init(radius: Double, sourceLength: Double, sampleLength: Double, receiverLength: Double,
                primarySoller: Double = .infinity, secondarySoller: Double = .infinity) {
        self.radius = radius
        self.sourceLength = sourceLength; self.sampleLength = sampleLength; self.receiverLength = receiverLength
        self.primarySoller = primarySoller; self.secondarySoller = secondarySoller
    }

    /// Whether a Soller slit limits either beam.
    public var hasSoller: Bool { primarySoller.isFinite || secondarySoller.isFinite }

    /// The refinable Soller angle (`ProfileTerm.soller`), degrees: the primary slit's (the secondary's
    /// without one). Setting it scales every finite slit angle alike, so two slits keep their proportion.
    public var sollerAngle: Double {
        get { primarySoller.isFinite ? primarySoller : secondarySoller }
        set {
            let current = sollerAngle
            guard current.isFinite, current > 0 else { return }
            if primarySoller.isFinite { primarySoller = primarySoller == current ? newValue : primarySoller * newValue / current }
            if secondarySoller.isFinite { secondarySoller = secondarySoller == current ? newValue : secondarySoller * newValue / current }
        }
    }
}

/// The full axial-divergence aberration: a ray leaves the source at axial height z_s, meets the specimen at
/// z_x and reaches the receiving slit at z_r (all uniform over their lengths), with axial angles
/// tan β₁ = (z_x − z_s)/R before and tan β₂ = (z_r − z_x)/R after the specimen, each passed by its Soller slit
/// with transmission 1 − |β|/Δ. Scattering through the Bragg angle 2θ₀ on the Debye cone,
/// cos 2θ₀ = cos β₁ cos β₂ cos 2φ + sin β₁ sin β₂, the receiver sees it at 2φ: the peak is the distribution of
/// ε = 2φ − 2θ₀ over all rays.
///
/// ε depends on the ray through u = sin β₁ sin β₂ and v = cos β₁ cos β₂ alone: cos(2θ₀ + ε) = (cos 2θ₀ − u)/v.
/// The geometry fixes the joint distribution of (u, v), and 2θ₀ only how it maps on ε. That distribution is
/// integrated once per geometry — Gauss–Legendre over the specimen's length (split where a window edge meets
/// β = 0 or a Soller limit) and over each linear piece of the β₁ and β₂ densities — into the cells of a grid
/// in (u, 1 − v), each kept as its mass and mean (u, v). A reflection's sub-peaks are the cells mapped on ε
/// exactly, with ∂ε/∂2θ₀ = sin 2θ₀ / (v sin 2φ) − 1. (To second order ε = β₁β₂/sin 2θ₀ − (β₁² + β₂²) cot 2θ₀/2;
/// the next terms still move a 21° peak by 7·10⁻⁶ rad — 17 ppm in d — with 3.4° Soller slits, so the exact
/// map is kept.)
public struct FullAxialDivergence: Sendable {
    /// Per occupied cell: mean sin β₁ sin β₂, mean cos β₁ cos β₂ and the normalized mass.
    public let u: [Double], v: [Double], weights: [Double]
    /// Per occupied cell, ∂u, ∂v and ∂weight with respect to the Soller angle (°, `AxialGeometry.sollerAngle`),
    /// when asked for (empty otherwise): central differences of the same nodes held in the same cells, so
    /// that a node's move within its cell is followed smoothly (the cells are the quadrature's, not physics).
    public let dU: [Double], dV: [Double], dWeights: [Double]
    /// Whether the derivative was asked for (it is missing only where no node set matched: see `init`).
    public let withSollerDerivative: Bool

    /// Relative step of the Soller angle's central difference.
    static let sollerStep = 1e-4

    public init(_ g: AxialGeometry, sampleNodes: Int = 12, pieceNodes: Int = 24, cells: Int = 128, sollerDerivative: Bool = false) {
        withSollerDerivative = sollerDerivative
        let nodes = Self.nodes(g, sampleNodes: sampleNodes, pieceNodes: pieceNodes)
        let (us, vs) = Self.products(nodes)
        var uMax = 1e-300, wMax = 1e-300
        for k in us.indices { uMax = max(uMax, abs(us[k])); wMax = max(wMax, 1 - vs[k]) }
        let cellOf = us.indices.map { k in
            min(cells - 1, Int((us[k] / uMax + 1) / 2 * Double(cells))) * cells + min(cells - 1, Int((1 - vs[k]) / wMax * Double(cells)))
        }
        let occupied = Array(Set(cellOf.indices.filter { nodes.w[$0] > 0 }.map { cellOf[$0] })).sorted()
        let centre = Self.binned(us, vs, nodes.w, cellOf: cellOf, occupied: occupied, cells: cells)
        (u, v, weights) = centre
        var derivatives: ([Double], [Double], [Double]) = ([], [], [])
        if sollerDerivative, g.hasSoller {
            let h = Self.sollerStep * g.sollerAngle
            // Each side's nodes on the centre's cuts (so that a cut crossing the specimen's edge within the step
            // does not change the node set) and binned as the centre's; a side whose node set still differs is
            // replaced by the centre, making the difference one-sided.
            let sides = [h, -h].map { step -> (u: [Double], v: [Double], w: [Double], at: Double) in
                var gs = g
                gs.sollerAngle = g.sollerAngle + step
                let n = Self.nodes(gs, sampleNodes: sampleNodes, pieceNodes: pieceNodes, cuts: nodes.cuts)
                guard n.w.count == nodes.w.count else { return (centre.0, centre.1, centre.2, 0) }
                let (su, sv) = Self.products(n)
                let b = Self.binned(su, sv, n.w, cellOf: cellOf, occupied: occupied, cells: cells)
                return (b.0, b.1, b.2, step)
            }
            let span = sides[0].at - sides[1].at
            if span != 0 {
                let d = { (a: [Double], b: [Double]) in zip(a, b).map { ($0 - $1) / span } }
                derivatives = (d(sides[0].u, sides[1].u), d(sides[0].v, sides[1].v), d(sides[0].w, sides[1].w))
            }
        }
        (dU, dV, dWeights) = derivatives
    }

    /// Every ray's node: axial angles β₁ and β₂ and weight (Gauss–Legendre over the specimen's length, split
    /// where a window edge meets β = 0 or a Soller limit, and over each linear piece of the β densities).
    /// The specimen is split at `cuts` when given (its edges included), else where the geometry puts them.
    static func nodes(_ g: AxialGeometry, sampleNodes: Int, pieceNodes: Int, cuts given: [Double]? = nil)
        -> (b1: [Double], b2: [Double], w: [Double], cuts: [Double]) {
        let (zx, wx) = GaussLegendre.rule(sampleNodes)
        let (t, wt) = GaussLegendre.rule(pieceNodes)
        let r = g.radius
        let dp = g.primarySoller * Double.pi / 180, ds = g.secondarySoller * Double.pi / 180
        let half = g.sampleLength / 2
        var cuts: [Double] = [-half, half]
        for (length, soller) in given == nil ? [(g.sourceLength, dp), (g.receiverLength, ds)] : [] {
            for edge in [-length / 2, length / 2] {
                for reach in [0, soller.isFinite ? r * tan(soller) : 0, soller.isFinite ? -r * tan(soller) : 0] where abs(edge + reach) < half {
                    cuts.append(edge + reach)
                }
            }
        }
        cuts = given ?? Array(Set(cuts)).sorted()
        var b1s: [Double] = [], b2s: [Double] = [], ws: [Double] = []
        for (a, b) in zip(cuts, cuts.dropFirst()) where b > a {
            for i in zx.indices {
                let x = a + (b - a) * zx[i]
                let weightX = wx[i] * (b - a) / g.sampleLength
                let first = Self.measure(low: (x - g.sourceLength / 2) / r, high: (x + g.sourceLength / 2) / r, soller: dp, u: t, w: wt)
                let second = Self.measure(low: (-g.receiverLength / 2 - x) / r, high: (g.receiverLength / 2 - x) / r, soller: ds, u: t, w: wt)
                for (b1, w1) in first {
                    for (b2, w2) in second where w1 * w2 > 0 {
                        b1s.append(b1); b2s.append(b2); ws.append(weightX * w1 * w2)
                    }
                }
            }
        }
        return (b1s, b2s, ws, cuts)
    }

    /// sin β₁ sin β₂ and cos β₁ cos β₂ of every node.
    static func products(_ n: (b1: [Double], b2: [Double], w: [Double], cuts: [Double])) -> (u: [Double], v: [Double]) {
        (n.b1.indices.map { sin(n.b1[$0]) * sin(n.b2[$0]) }, n.b1.indices.map { cos(n.b1[$0]) * cos(n.b2[$0]) })
    }

    /// The nodes gathered into their cells: per occupied cell (in `occupied`'s order) the mean u, the mean v
    /// and the mass over the whole mass.
    static func binned(_ us: [Double], _ vs: [Double], _ ws: [Double], cellOf: [Int], occupied: [Int], cells: Int)
        -> ([Double], [Double], [Double]) {
        var mass = [Double](repeating: 0, count: cells * cells), su = mass, sv = mass
        for k in ws.indices {
            mass[cellOf[k]] += ws[k]
            su[cellOf[k]] += ws[k] * us[k]
            sv[cellOf[k]] += ws[k] * vs[k]
        }
        let total = mass.reduce(0, +)
        return (occupied.map { su[$0] / mass[$0] }, occupied.map { sv[$0] / mass[$0] }, occupied.map { mass[$0] / total })
    }

    /// Nodes (β) and weights of the uniform measure dt, t = Δz/R = tan β, over [low, high] (in t), times the
    /// Soller transmission 1 − |β|/Δ (zero beyond Δ); split at t = 0 where the transmission has its kink.
    static func measure(low: Double, high: Double, soller: Double, u: [Double], w: [Double]) -> [(Double, Double)] {
        let limit = soller.isFinite ? tan(soller) : .infinity
        let lo = max(low, -limit), hi = min(high, limit)
        guard hi > lo else { return [] }
        let pieces = lo < 0 && hi > 0 ? [(lo, 0.0), (0.0, hi)] : [(lo, hi)]
        var out: [(Double, Double)] = []
        for (a, b) in pieces {
            for k in u.indices {
                let beta = atan(a + (b - a) * u[k])
                let transmission = soller.isFinite ? max(0, 1 - abs(beta) / soller) : 1
                out.append((beta, w[k] * (b - a) * transmission))
            }
        }
        return out
    }

    /// ε (rad) of each cell at Bragg angle `twoTheta` (rad), and ∂ε/∂2θ₀.
    public func offsets(twoTheta p: Double) -> (offsets: [Double], slopes: [Double]) {
        let (cp, sp) = (cos(p), sin(p))
        var e = [Double](repeating: 0, count: weights.count), d = e
        for k in weights.indices {
            let phi = scatteringAngle(k, cosBragg: cp)
            e[k] = phi - p
            let s = sin(phi)
            d[k] = s > 1e-12 ? sp / (v[k] * s) - 1 : 0
        }
        return (e, d)
    }

    /// ε (rad) of each cell at Bragg angle `twoTheta` (rad), without the slopes.
    public func offsetValues(twoTheta p: Double) -> [Double] {
        let cp = cos(p)
        return weights.indices.map { scatteringAngle($0, cosBragg: cp) - p }
    }

    /// 2φ of cell k: cos 2φ = (cos 2θ₀ − u)/v.
    @inline(__always)
    func scatteringAngle(_ k: Int, cosBragg cp: Double) -> Double { acos(min(1, max(-1, (cp - u[k]) / v[k]))) }

    /// Mean and variance of ε at `twoTheta` (rad).
    public func moments(twoTheta: Double) -> (mean: Double, variance: Double) {
        let e = offsetValues(twoTheta: twoTheta)
        var m = 0.0
        for k in e.indices { m += weights[k] * e[k] }
        var v = 0.0
        for k in e.indices { v += weights[k] * (e[k] - m) * (e[k] - m) }
        return (m, v)
    }
}

/// The full axial model's quadratures of the last geometries asked for, shared by the evaluations of a model
/// and its copies (and kept by each FP profiler for its own): each depends on the geometry alone, and making one
/// (~10⁵ trigonometric calls) cost more than the evaluation that used it.
public final class FullAxialCache: @unchecked Sendable {
    private var kept: [AxialGeometry: FullAxialDivergence] = [:]
    private let lock = NSLock()
    /// Geometries kept at most (an FP profile's Soller difference asks for three in turn, reflection after
    /// reflection); all go beyond.
    static let capacity = 8

    public init() {}

    /// The quadrature of `g`, with its Soller derivative when `sollerDerivative` (three times the work).
    func quadrature(for g: AxialGeometry, sollerDerivative: Bool = false) -> FullAxialDivergence {
        lock.lock()
        defer { lock.unlock() }
        if let made = kept[g], !sollerDerivative || made.withSollerDerivative { return made }
        if kept.count >= Self.capacity { kept.removeAll() }
        let made = FullAxialDivergence(g, sollerDerivative: sollerDerivative)
        kept[g] = made
        return made
    }
}

extension AxialDivergence.Nodes {
    /// Sub-peaks of the full axial model at P (rad): the nodes' weights gathered onto a grid of offsets j·h
    /// (each node's weight shared linearly between its two neighbours), so that the sub-peaks are few and a
    /// smooth function of P. `h` (rad) should be a few times finer than the peak's FWHM; keep it fixed while
    /// parameters change. The grid offsets do not move with P; the weights carry ∂/∂P and, when the quadrature
    /// has them, ∂/∂(Soller angle) in their second partial (the kernel's first asymmetry direction).
    public mutating func gather(_ axial: FullAxialDivergence, twoTheta p: Double, step h: Double) {
        let (e, d) = axial.offsets(twoTheta: p)
        guard let low = e.min(), let high = e.max(), h > 0 else {
            load(offsets: [Dual3(0)], weights: [Dual3(1)])
            return
        }
        let j0 = Int((low / h).rounded(.down)), j1 = Int((high / h).rounded(.up))
        var w = [Double](repeating: 0, count: j1 - j0 + 1), dw = w, ds = w
        let soller = !axial.dWeights.isEmpty
        let cp = cos(p)
        for k in e.indices {
            let wk = axial.weights[k]
            // ∂ε/∂S from the cell's ∂u and ∂v: cos(2θ₀ + ε) = (cos 2θ₀ − u)/v.
            var dwk = 0.0, deS = 0.0
            if soller {
                dwk = axial.dWeights[k]
                let c = (cp - axial.u[k]) / axial.v[k], sinPhi = (1 - c * c).squareRoot()
                deS = sinPhi > 1e-12 ? (axial.dU[k] + c * axial.dV[k]) / (axial.v[k] * sinPhi) : 0
            }
            if w.count == 1 { w[0] += wk; ds[0] += dwk; continue }
            let x = e[k] / h - Double(j0)
            let j = min(Int(x.rounded(.down)), w.count - 2)
            let f = x - Double(j)
            w[j] += wk * (1 - f)
            w[j + 1] += wk * f
            // ∂f/∂P = (∂ε/∂P)/h: weight moves from node j to j + 1 (and likewise with S).
            dw[j] -= wk * d[k] / h
            dw[j + 1] += wk * d[k] / h
            ds[j] += dwk * (1 - f) - wk * deS / h
            ds[j + 1] += dwk * f + wk * deS / h
        }
        var offsets: [Dual3] = [], weights: [Dual3] = []
        for i in w.indices where w[i] != 0 || dw[i] != 0 || ds[i] != 0 {
            offsets.append(Dual3(Double(j0 + i) * h))
            weights.append(Dual3(w[i], SIMD3(dw[i], ds[i], 0)))
        }
        load(offsets: offsets, weights: weights)
    }
}
