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
    /// ∂/∂(peak position, rad), ∂/∂σ² (rad²), ∂/∂γ (rad), ∂/∂(SH/L).
    var dPosition: [Double] = []
    var dVariance: [Double] = []
    var dGamma: [Double] = []
    var dAsymmetry: [Double] = []

    /// Sub-peaks of the FCJ sum: offset, weight, ∂offset/∂P, ∂weight/∂P, and the SH/L derivatives of each
    /// (S/L = H/L = SH/L / 2, so ∂/∂SH/L = (∂/∂S/L + ∂/∂H/L) / 2).
    private var nodeOffset: [Double] = [], nodeWeight: [Double] = []
    private var nodeDOffsetP: [Double] = [], nodeDWeightP: [Double] = []
    private var nodeDOffsetA: [Double] = [], nodeDWeightA: [Double] = []

    static let norm = Double.pi / 18000
    /// Beyond 4 ln2 (x/Γ)² = 40 the Gaussian is below 5e-18 of its peak: taken as zero (saves the exp).
    static let gaussianCutoff = 40.0
    static let ln2 = 0.693_147_180_559_945_3
    static let gaussNorm = 2 * (ln2 / Double.pi).squareRoot()

    mutating func grow(_ n: Int) {
        if value.count < n {
            let m = max(n, 2 * value.count)
            value = Array(repeating: 0, count: m)
            dPosition = value; dVariance = value; dGamma = value; dAsymmetry = value
        }
    }

    /// The profile with the FCJ sub-peaks of `asymmetry` (nil: symmetric).
    mutating func evaluate(twoTheta: [Double], range: Range<Int>, position: Double, shape: PseudoVoigt,
                           asymmetry: AxialDivergence?, wantPartials: Bool) {
        clearNodes()
        if let a = asymmetry {
            for k in a.offsets.indices {
                addNode(offset: Dual3(a.offsets[k], a.offsetPartials[k]), weight: Dual3(a.weights[k], a.weightPartials[k]))
            }
        } else {
            addNode(offset: Dual3(0), weight: Dual3(1))
        }
        evaluateLoaded(twoTheta: twoTheta, range: range, position: position, shape: shape, wantPartials: wantPartials)
    }

    /// The profile with the FCJ sub-peaks in `nodes` (nil or empty: symmetric).
    mutating func evaluate(twoTheta: [Double], range: Range<Int>, position: Double, shape: PseudoVoigt,
                           nodes: AxialDivergence.Nodes?, wantPartials: Bool) {
        clearNodes()
        if let a = nodes, !a.offsets.isEmpty {
            for k in a.offsets.indices { addNode(offset: a.offsets[k], weight: a.weights[k]) }
        } else {
            addNode(offset: Dual3(0), weight: Dual3(1))
        }
        evaluateLoaded(twoTheta: twoTheta, range: range, position: position, shape: shape, wantPartials: wantPartials)
    }

    private mutating func clearNodes() {
        nodeOffset.removeAll(keepingCapacity: true); nodeWeight.removeAll(keepingCapacity: true)
        nodeDOffsetP.removeAll(keepingCapacity: true); nodeDWeightP.removeAll(keepingCapacity: true)
        nodeDOffsetA.removeAll(keepingCapacity: true); nodeDWeightA.removeAll(keepingCapacity: true)
    }

    /// One sub-peak; partials with respect to (P, S/L, H/L).
    private mutating func addNode(offset: Dual3, weight: Dual3) {
        nodeOffset.append(offset.value); nodeWeight.append(weight.value)
        nodeDOffsetP.append(offset.d.x); nodeDWeightP.append(weight.d.x)
        nodeDOffsetA.append(0.5 * (offset.d.y + offset.d.z))
        nodeDWeightA.append(0.5 * (weight.d.y + weight.d.z))
    }

    private mutating func evaluateLoaded(twoTheta: [Double], range: Range<Int>, position: Double, shape: PseudoVoigt,
                                         wantPartials: Bool) {
        let count = range.count
        grow(count)
        let f = shape.fwhm, eta = shape.eta
        let invF = 1 / f, invF2 = invF * invF
        let cL = 2 / (Double.pi * f), cG = Self.gaussNorm * invF
        let k4 = 4 * Self.ln2
        let (dFdV, dFdG, dEdV, dEdG) = (shape.dFwhmDVariance, shape.dFwhmDGamma, shape.dEtaDVariance, shape.dEtaDGamma)
        let rad = Double.pi / 180
        let nodes = nodeOffset.count
        twoTheta.withUnsafeBufferPointer { tt in
            value.withUnsafeMutableBufferPointer { v in
            dPosition.withUnsafeMutableBufferPointer { dp in
            dVariance.withUnsafeMutableBufferPointer { dv in
            dGamma.withUnsafeMutableBufferPointer { dg in
            dAsymmetry.withUnsafeMutableBufferPointer { da in
            nodeOffset.withUnsafeBufferPointer { off in
            nodeWeight.withUnsafeBufferPointer { wt in
            nodeDOffsetP.withUnsafeBufferPointer { doP in
            nodeDWeightP.withUnsafeBufferPointer { dwP in
            nodeDOffsetA.withUnsafeBufferPointer { doA in
            nodeDWeightA.withUnsafeBufferPointer { dwA in
                if nodes == 1 && wt[0] == 1 && dwP[0] == 0 && dwA[0] == 0 {
                    // One sub-peak (no asymmetry, or a narrow one collapsed to its centroid).
                    let o = off[0], dO = 1 + doP[0], dOA = doA[0]
                    if !wantPartials {
                        // The Lorentzian over the whole window (a loop the compiler vectorizes), then the
                        // Gaussian only where it is above the cutoff.
                        let lorentzFactor = eta * cL * Self.norm, gaussFactor = (1 - eta) * cG * Self.norm
                        let start = range.lowerBound
                        for j in 0..<count {
                            let x = (tt[start + j] - position) * rad - o
                            v[j] = lorentzFactor / (1 + 4 * x * x * invF2)
                        }
                        guard gaussFactor != 0 else { return }
                        // |x| < reach ⇔ 4 ln2 (x/Γ)² < cutoff; the bounds are found by bisection, the test
                        // kept per point.
                        let reach = f * (Self.gaussianCutoff / k4).squareRoot()
                        let centre = position + o / rad
                        let low = Self.firstIndex(tt, in: range, atLeast: centre - reach / rad)
                        let high = Self.firstIndex(tt, in: range, atLeast: centre + reach / rad)
                        for i in max(low - 1, start)..<min(high + 1, range.upperBound) {
                            let x = (tt[i] - position) * rad - o
                            let e = k4 * x * x * invF2
                            if e < Self.gaussianCutoff { v[i - start] += gaussFactor * exp(-e) }
                        }
                        return
                    }
                    for j in 0..<count {
                        let x = (tt[range.lowerBound + j] - position) * rad - o
                        let r2 = x * x * invF2
                        let den = 1 + 4 * r2
                        let lorentz = cL / den
                        let e = k4 * r2
                        let gauss = e < Self.gaussianCutoff ? cG * exp(-e) : 0
                        v[j] = (eta * lorentz + (1 - eta) * gauss) * Self.norm
                        guard wantPartials else { continue }
                        let dx = eta * (-lorentz * 8 * x * invF2 / den) + (1 - eta) * (-gauss * 2 * k4 * x * invF2)
                        let dF = eta * lorentz * invF * (-1 + 8 * r2 / den) + (1 - eta) * gauss * invF * (-1 + 2 * e)
                        let dEta = lorentz - gauss
                        dv[j] = (dF * dFdV + dEta * dEdV) * Self.norm
                        dg[j] = (dF * dFdG + dEta * dEdG) * Self.norm
                        dp[j] = -dx * dO * Self.norm
                        da[j] = -dx * dOA * Self.norm
                    }
                    return
                }
                for j in 0..<count {
                    let x0 = (tt[range.lowerBound + j] - position) * rad
                    var sv = 0.0, sp = 0.0, svar = 0.0, sg = 0.0, sa = 0.0
                    for n in 0..<nodes {
                        let x = x0 - off[n]
                        let r2 = x * x * invF2
                        let den = 1 + 4 * r2
                        let lorentz = cL / den
                        let e = k4 * r2
                        let gauss = e < Self.gaussianCutoff ? cG * exp(-e) : 0
                        let val = eta * lorentz + (1 - eta) * gauss
                        sv += wt[n] * val
                        guard wantPartials else { continue }
                        let dLdx = -lorentz * 8 * x * invF2 / den
                        let dGdx = -gauss * 2 * k4 * x * invF2
                        let dx = eta * dLdx + (1 - eta) * dGdx
                        let dLdf = lorentz * invF * (-1 + 8 * r2 / den)
                        let dGdf = gauss * invF * (-1 + 2 * e)
                        let dF = eta * dLdf + (1 - eta) * dGdf
                        let dEta = lorentz - gauss
                        svar += wt[n] * (dF * dFdV + dEta * dEdV)
                        sg += wt[n] * (dF * dFdG + dEta * dEdG)
                        sp += dwP[n] * val - wt[n] * dx * (1 + doP[n])
                        sa += dwA[n] * val - wt[n] * dx * doA[n]
                    }
                    v[j] = sv * Self.norm
                    dp[j] = sp * Self.norm
                    dv[j] = svar * Self.norm
                    dg[j] = sg * Self.norm
                    da[j] = sa * Self.norm
                }
            }}}}}}}}}}}
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

    /// J[range, column] += ∂I/∂p · Φ + I (∂Φ/∂pos ∂pos/∂p + ∂Φ/∂σ² ∂σ²/∂p + ∂Φ/∂γ ∂γ/∂p + ∂Φ/∂SH/L ∂SH/L/∂p).
    func accumulate(into jacobian: inout [Double], points: Int, range: Range<Int>, intensity: Double, sensitivities: [LineSensitivity]) {
        let count = range.count
        value.withUnsafeBufferPointer { v in
        dPosition.withUnsafeBufferPointer { dp in
        dVariance.withUnsafeBufferPointer { dv in
        dGamma.withUnsafeBufferPointer { dg in
        dAsymmetry.withUnsafeBufferPointer { da in
        jacobian.withUnsafeMutableBufferPointer { jac in
            for e in sensitivities {
                let base = e.column * points + range.lowerBound
                let a = e.dIntensity
                let b = intensity * e.dPosition, c = intensity * e.dVariance, d = intensity * e.dGamma, f = intensity * e.dAsymmetry
                if b == 0 && c == 0 && d == 0 && f == 0 {
                    for j in 0..<count { jac[base + j] += a * v[j] }
                } else {
                    for j in 0..<count { jac[base + j] += a * v[j] + b * dp[j] + c * dv[j] + d * dg[j] + f * da[j] }
                }
            }
        }}}}}}
    }
}
