import Foundation
import NumericCore

/// The inner loop of the pattern model: one peak's profile and its partial derivatives on the points of its
/// window, in reusable buffers (no allocation per peak once they have grown).
///
/// Mathematically this is `AxialDivergence.valueAndPartials` and `PseudoVoigt.valueAndPartials` (kept as
/// the clear versions, and tested against this one), written out so that nothing is retained or released
/// per point. Values are per centidegree of 2θ.
struct PeakKernel {
    /// Profile per centidegree.
    var value: [Double] = []
    /// ∂/∂(peak position, rad), ∂/∂σ² (rad²), ∂/∂γ (rad), ∂/∂(SH/L) and, when S/L is refined apart,
    /// ∂/∂(S/L) at fixed SH/L (see `AsymmetryDirections`).
    var dPosition: [Double] = []
    var dVariance: [Double] = []
    var dGamma: [Double] = []
    var dAsymmetry: [Double] = []
    var dAsymmetry2: [Double] = []

    /// Sub-peaks of the FCJ sum.
    private var subPeaks: [SubPeak] = []

    static let norm = Double.pi / 18000
    /// Beyond 4 ln2 (x/Γ)² = 40 the Gaussian is below 5e-18 of its peak: taken as zero (saves the exp).
    static let gaussianCutoff = 40.0
    static let ln2 = 0.693_147_180_559_945_3
    static let gaussNorm = 2 * (ln2 / Double.pi).squareRoot()

    mutating func grow(_ n: Int) {
        if value.count < n {
            let m = max(n, 2 * value.count)
            value = Array(repeating: 0, count: m)
            dPosition = value; dVariance = value; dGamma = value; dAsymmetry = value; dAsymmetry2 = value
        }
    }

    /// The profile with the FCJ sub-peaks of `asymmetry` (nil: symmetric).
    mutating func evaluate(twoTheta: [Double], range: Range<Int>, position: Double, shape: PseudoVoigt,
                           asymmetry: AxialDivergence?, directions: AsymmetryDirections = .gsas2, wantPartials: Bool) {
        var nodes = AxialDivergence.Nodes()
        if let a = asymmetry {
            nodes.load(offsets: a.offsets.indices.map { Dual3(a.offsets[$0], a.offsetPartials[$0]) },
                       weights: a.weights.indices.map { Dual3(a.weights[$0], a.weightPartials[$0]) })
        }
        evaluate(twoTheta: twoTheta, range: range, position: position, shape: shape, nodes: nodes, directions: directions, wantPartials: wantPartials)
    }

    /// The profile with the FCJ sub-peaks in `nodes` (nil or empty: symmetric); the asymmetry partials along
    /// `directions`.
    mutating func evaluate(twoTheta: [Double], range: Range<Int>, position: Double, shape: PseudoVoigt,
                           nodes: AxialDivergence.Nodes?, directions: AsymmetryDirections = .gsas2, wantPartials: Bool) {
        clearNodes()
        if let a = nodes, !a.offsets.isEmpty {
            for k in a.offsets.indices { addNode(offset: a.offsets[k], weight: a.weights[k], directions) }
        } else {
            addNode(offset: Dual3(0), weight: Dual3(1), directions)
        }
        if directions.second == nil {
            evaluateLoaded(OneAsymmetry.self, twoTheta: twoTheta, range: range, position: position, shape: shape, wantPartials: wantPartials)
        } else {
            evaluateLoaded(TwoAsymmetries.self, twoTheta: twoTheta, range: range, position: position, shape: shape, wantPartials: wantPartials)
        }
    }

    private mutating func clearNodes() { subPeaks.removeAll(keepingCapacity: true) }

    /// One sub-peak from its offset and weight with their partials with respect to (P, S/L, H/L), projected on
    /// the asymmetry directions.
    private mutating func addNode(offset: Dual3, weight: Dual3, _ a: AsymmetryDirections) {
        let b = a.second ?? SIMD2(0, 0)
        let dw = SIMD2(weight.d.y, weight.d.z), dOff = SIMD2(offset.d.y, offset.d.z)
        subPeaks.append(SubPeak(offset: offset.value, weight: weight.value * Self.norm, dWeightP: weight.d.x * Self.norm,
                                dWeightA: (a.first * dw).sum() * Self.norm, dOffsetP: 1 + offset.d.x,
                                dOffsetA: (a.first * dOff).sum(),
                                dWeightB: (b * dw).sum() * Self.norm, dOffsetB: (b * dOff).sum()))
    }

    private mutating func evaluateLoaded<A: AsymmetryStreams>(_: A.Type, twoTheta: [Double], range: Range<Int>, position: Double,
                                                              shape: PseudoVoigt, wantPartials: Bool) {
        let count = range.count
        grow(count)
        let f = shape.fwhm, eta = shape.eta
        let invF = 1 / f
        let widths = Widths(invF: invF, invF2: invF * invF, eta: eta, cL: 2 / (Double.pi * f), cG: Self.gaussNorm * invF,
                            dFdV: shape.dFwhmDVariance, dFdG: shape.dFwhmDGamma, dEdV: shape.dEtaDVariance, dEdG: shape.dEtaDGamma)
        // |x| < reach ⇔ 4 ln2 (x/Γ)² < cutoff: where the Gaussian part is evaluated.
        let reach = f * (Self.gaussianCutoff / (4 * Self.ln2)).squareRoot()
        let rad = Double.pi / 180
        let nodes = subPeaks
        twoTheta.withUnsafeBufferPointer { tt in
            value.withUnsafeMutableBufferPointer { v in
            dPosition.withUnsafeMutableBufferPointer { dp in
            dVariance.withUnsafeMutableBufferPointer { dv in
            dGamma.withUnsafeMutableBufferPointer { dg in
            dAsymmetry.withUnsafeMutableBufferPointer { da in
            dAsymmetry2.withUnsafeMutableBufferPointer { db in
                let out = Outputs(value: v.baseAddress!, dPosition: dp.baseAddress!, dVariance: dv.baseAddress!,
                                  dGamma: dg.baseAddress!, dAsymmetry: da.baseAddress!, dAsymmetry2: db.baseAddress!)
                let t = tt.baseAddress! + range.lowerBound
                // Sub-peak by sub-peak: the Lorentzian over the whole window (loops without branches, which
                // the compiler vectorizes), then the Gaussian only where it is above the cutoff.
                for n in nodes.indices {
                    let node = nodes[n]
                    switch (wantPartials, n == 0) {
                    case (true, true): Self.lorentzian(Assign.self, A.self, t, count, position: position, node, widths, out)
                    case (true, false): Self.lorentzian(Accumulate.self, A.self, t, count, position: position, node, widths, out)
                    case (false, true): Self.lorentzianValue(Assign.self, t, count, position: position, node, widths, out)
                    case (false, false): Self.lorentzianValue(Accumulate.self, t, count, position: position, node, widths, out)
                    }
                    guard eta < 1 else { continue }
                    let centre = position + node.offset / rad
                    let low = Self.firstIndex(tt, in: range, atLeast: centre - reach / rad)
                    let high = Self.firstIndex(tt, in: range, atLeast: centre + reach / rad)
                    let core = max(low - 1, range.lowerBound) - range.lowerBound..<min(high + 1, range.upperBound) - range.lowerBound
                    Self.gaussian(A.self, t, core, position: position, node, widths, out, partials: wantPartials)
                }
            }}}}}}
        }
    }

    /// The widths of the pseudo-Voigt and the derivatives of its FWHM and η.
    private struct Widths {
        var invF, invF2, eta, cL, cG, dFdV, dFdG, dEdV, dEdG: Double
    }

    /// One FCJ sub-peak: offset (rad); weight × normalization and its partials with respect to P and the two
    /// asymmetry directions; 1 + ∂offset/∂P and ∂offset along the directions.
    private struct SubPeak {
        var offset, weight, dWeightP, dWeightA, dOffsetP, dOffsetA, dWeightB, dOffsetB: Double
    }

    private struct Outputs {
        var value, dPosition, dVariance, dGamma, dAsymmetry, dAsymmetry2: UnsafeMutablePointer<Double>
    }

    /// Whether the second asymmetry stream is written: a type, so that the usual one-stream loops are compiled
    /// without it.
    private protocol AsymmetryStreams { static var second: Bool { get } }
    private enum OneAsymmetry: AsymmetryStreams { static var second: Bool { false } }
    private enum TwoAsymmetries: AsymmetryStreams { static var second: Bool { true } }

    /// The Lorentzian part's value (η L) of one sub-peak, stored or added (`S`).
    @inline(__always)
    private static func lorentzianValue<S: Store>(_: S.Type, _ t: UnsafePointer<Double>, _ count: Int, position: Double,
                                                  _ node: SubPeak, _ w: Widths, _ out: Outputs) {
        let rad = Double.pi / 180, offset = node.offset
        let factor = node.weight * w.eta * w.cL, invF2 = w.invF2
        let v = out.value
        for j in 0..<count {
            let x = (t[j] - position) * rad - offset
            S.put(v, j, factor / (1 + 4 * x * x * invF2))
        }
    }

    /// How a sub-peak's loop writes its outputs: the first sub-peak stores (never reading what it is about to
    /// overwrite), the others add. A type rather than a flag, so that each loop is compiled without a branch.
    private protocol Store { static func put(_ p: UnsafeMutablePointer<Double>, _ j: Int, _ x: Double) }
    private enum Assign: Store {
        @inline(__always) static func put(_ p: UnsafeMutablePointer<Double>, _ j: Int, _ x: Double) { p[j] = x }
    }
    private enum Accumulate: Store {
        @inline(__always) static func put(_ p: UnsafeMutablePointer<Double>, _ j: Int, _ x: Double) { p[j] += x }
    }

    /// The Lorentzian part of one sub-peak with every partial, stored or added (`S`).
    @inline(__always)
    private static func lorentzian<S: Store, A: AsymmetryStreams>(_: S.Type, _: A.Type, _ t: UnsafePointer<Double>, _ count: Int,
                                                                  position: Double, _ node: SubPeak, _ w: Widths, _ out: Outputs) {
        let rad = Double.pi / 180, offset = node.offset
        let (eta, invF, invF2, cL) = (w.eta, w.invF, w.invF2, w.cL)
        let (wt, wP, wA, dO, dOA) = (node.weight, node.dWeightP, node.dWeightA, node.dOffsetP, node.dOffsetA)
        let (dFdV, dFdG, dEdV, dEdG) = (w.dFdV, w.dFdG, w.dEdV, w.dEdG)
        let (v, dp, dv, dg, da) = (out.value, out.dPosition, out.dVariance, out.dGamma, out.dAsymmetry)
        for j in 0..<count {
            let x = (t[j] - position) * rad - offset
            let r2 = x * x * invF2
            let den = 1 + 4 * r2
            let lorentz = cL / den
            let val = eta * lorentz
            let dx = -eta * lorentz * 8 * x * invF2 / den
            let dF = eta * lorentz * invF * (-1 + 8 * r2 / den)
            S.put(v, j, wt * val)
            S.put(dv, j, wt * (dF * dFdV + lorentz * dEdV))
            S.put(dg, j, wt * (dF * dFdG + lorentz * dEdG))
            S.put(dp, j, wP * val - wt * dx * dO)
            S.put(da, j, wA * val - wt * dx * dOA)
            if A.second { S.put(out.dAsymmetry2, j, node.dWeightB * val - wt * dx * node.dOffsetB) }
        }
    }

    /// Adds the Gaussian part ((1 − η) G) of one sub-peak on the points `core` (window-relative), where
    /// 4 ln2 (x/Γ)² is below the cutoff.
    @inline(__always)
    private static func gaussian<A: AsymmetryStreams>(_: A.Type, _ t: UnsafePointer<Double>, _ core: Range<Int>, position: Double,
                                                      _ node: SubPeak, _ w: Widths, _ out: Outputs, partials: Bool) {
        let rad = Double.pi / 180, offset = node.offset
        let k4 = 4 * ln2
        let (eta, invF, invF2, cG) = (w.eta, w.invF, w.invF2, w.cG)
        let (wt, wP, wA, dO, dOA) = (node.weight, node.dWeightP, node.dWeightA, node.dOffsetP, node.dOffsetA)
        let (v, dp, dv, dg, da) = (out.value, out.dPosition, out.dVariance, out.dGamma, out.dAsymmetry)
        for j in core {
            let x = (t[j] - position) * rad - offset
            let e = k4 * x * x * invF2
            guard e < gaussianCutoff else { continue }
            let gauss = cG * exp(-e)
            let val = (1 - eta) * gauss
            v[j] += wt * val
            guard partials else { continue }
            let dx = -(1 - eta) * gauss * 2 * k4 * x * invF2
            let dF = (1 - eta) * gauss * invF * (-1 + 2 * e)
            dv[j] += wt * (dF * w.dFdV - gauss * w.dEdV)
            dg[j] += wt * (dF * w.dFdG - gauss * w.dEdG)
            dp[j] += wP * val - wt * dx * dO
            da[j] += wA * val - wt * dx * dOA
            if A.second { out.dAsymmetry2[j] += node.dWeightB * val - wt * dx * node.dOffsetB }
        }
    }

    /// The first index in `range` whose 2θ is ≥ x (range.upperBound if none).
    static func firstIndex(_ tt: UnsafeBufferPointer<Double>, in range: Range<Int>, atLeast x: Double) -> Int {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi {
            let mid = (lo + hi) / 2
            if tt[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// J[range, column] += ∂I/∂p · Φ + I (∂Φ/∂pos ∂pos/∂p + ∂Φ/∂σ² ∂σ²/∂p + ∂Φ/∂γ ∂γ/∂p + ∂Φ/∂SH/L ∂SH/L/∂p
    /// + ∂Φ/∂S/L ∂S/L/∂p).
    func accumulate(into jacobian: UnsafeMutablePointer<Double>, points: Int, range: Range<Int>, intensity: Double, sensitivities: [LineSensitivity]) {
        let count = range.count
        value.withUnsafeBufferPointer { vb in
        dPosition.withUnsafeBufferPointer { dpb in
        dVariance.withUnsafeBufferPointer { dvb in
        dGamma.withUnsafeBufferPointer { dgb in
        dAsymmetry.withUnsafeBufferPointer { dab in
        dAsymmetry2.withUnsafeBufferPointer { dbb in
            let (v, dp, dv, dg, da) = (vb.baseAddress!, dpb.baseAddress!, dvb.baseAddress!, dgb.baseAddress!, dab.baseAddress!)
            for e in sensitivities {
                let column = jacobian + (e.column * points + range.lowerBound)
                let a = e.dIntensity
                let b = intensity * e.dPosition, c = intensity * e.dVariance, d = intensity * e.dGamma, f = intensity * e.dAsymmetry
                if e.dAsymmetry2 != 0 {
                    // S/L refined apart from SH/L: it acts on the asymmetry alone.
                    let f2 = intensity * e.dAsymmetry2, db = dbb.baseAddress!
                    for j in 0..<count { column[j] += a * v[j] + f2 * db[j] }
                } else if b == 0 && c == 0 && d == 0 && f == 0 {
                    for j in 0..<count { column[j] += a * v[j] }
                } else if f == 0 {
                    // SH/L held (the usual case): one stream fewer to read.
                    for j in 0..<count { column[j] += a * v[j] + b * dp[j] + c * dv[j] + d * dg[j] }
                } else {
                    for j in 0..<count { column[j] += a * v[j] + b * dp[j] + c * dv[j] + d * dg[j] + f * da[j] }
                }
            }
        }}}}}}
    }
}

/// The two directions in (S/L, H/L) along which the kernel differentiates the FCJ profile: the first is SH/L's,
/// the second (nil: not wanted) S/L's. With GSAS-II's single SH/L, S/L = H/L = SH/L/2 and ∂/∂SH/L =
/// (∂/∂S/L + ∂/∂H/L)/2; with S/L apart, H/L = SH/L − S/L, so ∂/∂SH/L at fixed S/L is ∂/∂H/L and ∂/∂S/L at fixed
/// SH/L is ∂/∂S/L − ∂/∂H/L.
struct AsymmetryDirections {
    var first: SIMD2<Double>
    var second: SIMD2<Double>?

    static let gsas2 = AsymmetryDirections(first: SIMD2(0.5, 0.5), second: nil)
    /// The full axial model's sub-peaks carry ∂/∂(Soller angle) where FCJ's carry ∂/∂(S/L).
    static let fullAxial = AsymmetryDirections(first: SIMD2(1, 0), second: nil)
    /// S/L apart; `wantSecond` when its column is asked for.
    static func separate(wantSecond: Bool) -> AsymmetryDirections {
        AsymmetryDirections(first: SIMD2(0, 1), second: wantSecond ? SIMD2(1, -1) : nil)
    }
}
