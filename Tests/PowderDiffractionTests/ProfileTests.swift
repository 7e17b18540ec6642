import Foundation
import PowderDiffraction
import Testing

@Suite struct ProfileTests {
    /// Analytic area of the pseudo-Voigt between −X and X: η (2/π) atan(2X/Γ) + (1 − η) erf(2√ln2 X/Γ).
    static func truncatedArea(_ pv: PseudoVoigt, _ x: Double) -> Double {
        pv.eta * 2 / Double.pi * atan(2 * x / pv.fwhm) + (1 - pv.eta) * erf(2 * log(2.0).squareRoot() * x / pv.fwhm)
    }

    @Test(arguments: [(1.0, 0.0), (0.0, 1.0), (0.7, 0.4), (0.2, 1.5)])
    func integratesToOne(gaussianFWHM: Double, lorentzianFWHM: Double) {
        let variance = gaussianFWHM * gaussianFWHM / (8 * log(2.0))
        let pv = PseudoVoigt(variance: variance, gamma: lorentzianFWHM)
        // Simpson's rule over ±X matches the analytic truncated area, and the area over all x is 1.
        let x = 40 * pv.fwhm, n = 200_000
        let h = 2 * x / Double(n)
        var sum = pv.value(-x) + pv.value(x)
        for i in 1..<n { sum += pv.value(-x + Double(i) * h) * (i % 2 == 1 ? 4 : 2) }
        let area = sum * h / 3
        #expect(abs(area - Self.truncatedArea(pv, x)) < 1e-9)
        #expect(abs(Self.truncatedArea(pv, 1e9 * pv.fwhm) - 1) < 1e-9)
    }

    @Test func tchWidthsMatchThePublishedFormulas() {
        // Pure limits: Γ = Γ_G, η = 0; Γ = Γ_L, η = 1.36603 − 0.47719 + 0.11116 = 1.
        let g = PseudoVoigt(variance: 1 / (8 * log(2.0)), gamma: 0)
        #expect(abs(g.fwhm - 1) < 1e-6 && abs(g.eta) < 1e-6)
        let l = PseudoVoigt(variance: 0, gamma: 1)
        #expect(abs(l.fwhm - 1) < 1e-6 && abs(l.eta - 1) < 1e-6)
        // Γ_G = Γ_L = 1: Γ = (1 + 2.69269 + 2.42843 + 4.47163 + 0.07842 + 1)^(1/5), η from q = 1/Γ
        // (Thompson, Cox & Hastings 1987, eqs. 4 and 5, evaluated by hand).
        let m = PseudoVoigt(variance: 1 / (8 * log(2.0)), gamma: 1)
        #expect(abs(m.fwhm - 1.634_643) < 1e-5)
        let q = 1 / 1.634_643
        #expect(abs(m.eta - (1.36603 * q - 0.47719 * q * q + 0.11116 * q * q * q)) < 1e-5)
        // Independent: the FWHM of the true Voigt function (scipy.special.voigt_profile, half maximum found
        // numerically); the TCH formula approximates it to better than 0.4 %.
        for (gg, gl, voigt) in [(1.0, 0.3, 1.169803), (0.5, 1.0, 1.217865), (1.0, 1.0, 1.637595), (0.2, 2.0, 2.021375)] {
            let pv = PseudoVoigt(variance: gg * gg / (8 * log(2.0)), gamma: gl)
            #expect(abs(pv.fwhm - voigt) < 4e-3 * voigt)
        }
    }

    @Test func halfMaximumIsAtHalfTheFWHM() {
        let pv = PseudoVoigt(variance: 0.3, gamma: 0.8)
        #expect(abs(pv.value(pv.fwhm / 2) / pv.value(0) - 0.5) < 1e-12)
    }

    /// FCJ against a direct numerical integration of its definition (FCJ 1994 eqs. 7–8): the profile at
    /// 2θ is ∫ D(2φ) pV(2θ − 2φ) d2φ / ∫ D, D = W/(h cos2φ), on a fine grid of 2φ.
    @Test(arguments: [(10.0, 0.02, 0.015), (25.0, 0.03, 0.03), (120.0, 0.02, 0.01)])
    func axialDivergenceMatchesDirectIntegration(twoThetaDegrees: Double, s: Double, h: Double) throws {
        let rad = Double.pi / 180
        let p = twoThetaDegrees * rad
        let pv = PseudoVoigt(variance: pow(0.03 * rad, 2), gamma: 0.02 * rad)
        let fcj = try #require(AxialDivergence(twoTheta: p, sOverL: s, hOverL: h, fwhm: pv.fwhm, nodes: 40))
        // Direct integration in the below-90° frame (mirror above 90°).
        let mirrored = p > Double.pi / 2
        let pp = mirrored ? Double.pi - p : p
        let cosP = cos(pp)
        let eMin = acos(min(1, (1 + (s + h) * (s + h)).squareRoot() * cosP))
        let eInfl = acos(min(1, (1 + (h - s) * (h - s)).squareRoot() * cosP))
        let n = 200_000
        let step = (pp - eMin) / Double(n)
        var offsets = [Double](repeating: 0, count: n), weights = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let phi = eMin + (Double(i) + 0.5) * step
            let hh = (cos(phi) * cos(phi) / (cosP * cosP) - 1).squareRoot()
            let w = phi <= eInfl ? (s + h - hh) : 2 * min(s, h)
            offsets[i] = mirrored ? pp - phi : phi - pp
            weights[i] = w > 0 ? w / (hh * abs(cos(phi))) * step : 0
        }
        let total = weights.reduce(0, +)
        var worst = 0.0, peak = 0.0
        for k in -60...60 {
            let x = Double(k) * 0.005 * rad
            var direct = 0.0
            for i in 0..<n where weights[i] > 0 { direct += weights[i] * pv.value(x - offsets[i]) }
            direct /= total
            let ours = fcj.valueAndPartials(x, shape: pv).value
            worst = max(worst, abs(ours - direct))
            peak = max(peak, direct)
        }
        #expect(worst < 2e-3 * peak, "max deviation \(worst / peak) of the peak height")
    }
}
