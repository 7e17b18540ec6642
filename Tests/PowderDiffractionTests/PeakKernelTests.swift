import Foundation
@testable import PowderDiffraction
import Testing

/// The pattern model's inner loop (`PeakKernel`) against the clear versions it was written out from:
/// `PseudoVoigt.valueAndPartials` and `AxialDivergence.valueAndPartials`, point by point.
@Suite struct PeakKernelTests {
    enum Asymmetry { case none, integrated, collapsed }

    @Test(arguments: [(8.0, Asymmetry.none), (8.0, .integrated), (8.0, .collapsed),
                      (25.0, .integrated), (120.0, .integrated), (150.0, .collapsed)])
    func matchesClearProfile(position: Double, asymmetry: Asymmetry) {
        let rad = Double.pi / 180
        // Widths in radians: a Gaussian FWHM of 0.03° and a Lorentzian of 0.02°, as on the Mo Kα1 capillary.
        let gaussianFWHM = 0.03 * rad
        let shape = PseudoVoigt(variance: gaussianFWHM * gaussianFWHM / (8 * log(2.0)), gamma: 0.02 * rad)
        let axial: AxialDivergence?
        switch asymmetry {
        case .none: axial = nil
        case .integrated: axial = AxialDivergence(twoTheta: position * rad, sOverL: 0.012, hOverL: 0.012, fwhm: shape.fwhm)
        case .collapsed: axial = AxialDivergence(twoTheta: position * rad, sOverL: 0.002, hOverL: 0.002, fwhm: shape.fwhm, nodes: 2)
        }
        if asymmetry != .none { #expect(axial != nil) }
        let step = 0.002
        let twoTheta = (0..<601).map { position - 0.6 + Double($0) * step }
        let range = 50..<551
        var kernel = PeakKernel()
        kernel.evaluate(twoTheta: twoTheta, range: range, position: position, shape: shape,
                        asymmetry: axial, wantPartials: true)
        let perCentidegree = Double.pi / 18000
        var peak = 0.0
        var worst = (value: 0.0, position: 0.0, variance: 0.0, gamma: 0.0, asymmetry: 0.0)
        var scale = (position: 0.0, variance: 0.0, gamma: 0.0, asymmetry: 0.0)
        for (j, i) in range.enumerated() {
            let x = (twoTheta[i] - position) * rad
            let clear: (value: Double, dPosition: Double, dVariance: Double, dGamma: Double, dAsymmetry: Double)
            if let axial {
                let r = axial.valueAndPartials(x, shape: shape)
                clear = (r.value, r.dPosition, r.dVariance, r.dGamma, 0.5 * (r.dS + r.dH))
            } else {
                let r = shape.valueAndPartials(x)
                clear = (r.value, -r.dx, r.dVariance, r.dGamma, 0)
            }
            peak = max(peak, abs(clear.value))
            scale.position = max(scale.position, abs(clear.dPosition))
            scale.variance = max(scale.variance, abs(clear.dVariance))
            scale.gamma = max(scale.gamma, abs(clear.dGamma))
            scale.asymmetry = max(scale.asymmetry, abs(clear.dAsymmetry))
            worst.value = max(worst.value, abs(kernel.value[j] / perCentidegree - clear.value))
            worst.position = max(worst.position, abs(kernel.dPosition[j] / perCentidegree - clear.dPosition))
            worst.variance = max(worst.variance, abs(kernel.dVariance[j] / perCentidegree - clear.dVariance))
            worst.gamma = max(worst.gamma, abs(kernel.dGamma[j] / perCentidegree - clear.dGamma))
            worst.asymmetry = max(worst.asymmetry, abs(kernel.dAsymmetry[j] / perCentidegree - clear.dAsymmetry))
        }
        #expect(peak > 0 && scale.position > 0 && scale.variance > 0 && scale.gamma > 0)
        #expect(worst.value <= 1e-12 * peak)
        #expect(worst.position <= 1e-12 * scale.position)
        #expect(worst.variance <= 1e-12 * scale.variance)
        #expect(worst.gamma <= 1e-12 * scale.gamma)
        #expect(worst.asymmetry <= 1e-12 * max(scale.asymmetry, 1e-300))
        if asymmetry == .none { #expect(kernel.dAsymmetry[0..<range.count].allSatisfy { $0 == 0 }) }
        else { #expect(scale.asymmetry > 0) }
    }

    /// With S/L apart (S ≠ H): the kernel's two asymmetry streams are the clear profile's ∂/∂H/L (SH/L at
    /// fixed S/L) and ∂/∂S/L − ∂/∂H/L (S/L at fixed SH/L).
    @Test(arguments: [8.0, 40.0, 130.0])
    func separateAxialRatiosMatchClearProfile(position: Double) {
        let rad = Double.pi / 180
        let shape = PseudoVoigt(variance: pow(0.05 * rad, 2) / (8 * log(2.0)), gamma: 0.03 * rad)
        let axial = AxialDivergence(twoTheta: position * rad, sOverL: 0.02, hOverL: 0.035, fwhm: shape.fwhm)!
        let twoTheta = (0..<801).map { position - 1.2 + Double($0) * 0.003 }
        let range = 0..<801
        var kernel = PeakKernel()
        kernel.evaluate(twoTheta: twoTheta, range: range, position: position, shape: shape, asymmetry: axial,
                        directions: .separate(wantSecond: true), wantPartials: true)
        let perCentidegree = Double.pi / 18000
        var worst = (0.0, 0.0, 0.0), scale = (0.0, 0.0, 0.0)
        for j in range {
            let r = axial.valueAndPartials((twoTheta[j] - position) * rad, shape: shape)
            let clear = (r.value, r.dH, r.dS - r.dH)
            let ours = (kernel.value[j] / perCentidegree, kernel.dAsymmetry[j] / perCentidegree, kernel.dAsymmetry2[j] / perCentidegree)
            worst = (max(worst.0, abs(ours.0 - clear.0)), max(worst.1, abs(ours.1 - clear.1)), max(worst.2, abs(ours.2 - clear.2)))
            scale = (max(scale.0, abs(clear.0)), max(scale.1, abs(clear.1)), max(scale.2, abs(clear.2)))
        }
        #expect(scale.0 > 0 && scale.1 > 0 && scale.2 > 0)
        #expect(worst.0 <= 1e-12 * scale.0 && worst.1 <= 1e-12 * scale.1 && worst.2 <= 1e-12 * scale.2, "\(worst) vs \(scale)")
    }

    /// The FCJ sub-peaks computed without partials (plain doubles, for yc alone) are the same numbers as those
    /// computed with them (dual numbers), for the collapsed, integrated and GSAS-II rules, below and above 90°.
    @Test(arguments: [(8.0, 1), (8.0, 2), (8.0, 12), (40.0, 1), (120.0, 2), (150.0, 12)])
    func subPeaksWithoutPartialsAreTheSameNumbers(position: Double, nodes: Int) {
        let rad = Double.pi / 180
        for quadrature in AxialDivergence.Quadrature.allCases {
            var plain = AxialDivergence.Nodes(), dual = AxialDivergence.Nodes()
            let a = plain.compute(twoTheta: position * rad, sOverL: 0.004, hOverL: 0.006, fwhm: 0.05 * rad, nodes: nodes,
                                  quadrature: quadrature, partials: false)
            let b = dual.compute(twoTheta: position * rad, sOverL: 0.004, hOverL: 0.006, fwhm: 0.05 * rad, nodes: nodes,
                                 quadrature: quadrature, partials: true)
            #expect(a && b && plain.offsets.count == dual.offsets.count && !plain.offsets.isEmpty)
            #expect(dual.offsets.contains { $0.d != .zero } && plain.offsets.allSatisfy { $0.d == .zero })
            for k in plain.offsets.indices {
                #expect(abs(plain.offsets[k].value - dual.offsets[k].value) <= 1e-15 * max(1e-6, abs(dual.offsets[k].value)) * 10)
                #expect(abs(plain.weights[k].value - dual.weights[k].value) <= 1e-14)
            }
        }
    }
}
