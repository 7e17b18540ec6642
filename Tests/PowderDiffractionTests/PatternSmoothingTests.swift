import Foundation
import PowderDiffraction
import Testing

/// `Pattern.smoothed` (the data side of the broadened refinement stage) against Scherrer's formula and
/// conservation rules, not against the model it is paired with.
@Suite struct PatternSmoothingTests {
    static let step = 0.005
    static let x = (0..<6001).map { 10 + Double($0) * step }

    /// The broadened stage smooths the pattern binned to its grid (every k-th point, a box of k steps around
    /// it; k keeps 8 points per FWHM of the kernel, as the stage does) instead of the full pattern: on sharp
    /// Gaussian peaks (FWHM 0.03°, 6 steps) and a sloping background the two agree at the kept points within
    /// 0.5 % of the smoothed peak height, for an odd and an even k; areas are kept; σ is that of the mean.
    @Test(arguments: [4, 5])
    func binnedSmoothingMatchesTheFullOne(k: Int) {
        let centres = [14.0, 17.3, 21.9, 26.05]
        let y = Self.x.map { t in 200 + 3 * t + centres.reduce(0.0) { $0 + 5000 * exp(-4 * log(2.0) * pow((t - $1) / 0.03, 2)) } }
        let p = Pattern(name: "peaks", twoTheta: Self.x, intensity: y)
        // Size 0.02 µm at Mo Kα: a Lorentzian FWHM of ≈ 0.2° = 40 steps, so k ≤ 40/8.
        let full = p.smoothed(bySize: 0.02, wavelength: 0.70926, sizeMix: 1, reach: 8)
        let binned = p.binned(every: k)
        #expect(binned.count == (Self.x.count + k - 1) / k && binned.twoTheta[3] == Self.x[3 * k])
        let coarse = binned.smoothed(bySize: 0.02, wavelength: 0.70926, sizeMix: 1, reach: 8)
        let top = full.intensity.max()! - 200
        var worst = 0.0
        for (c, i) in stride(from: 0, to: Self.x.count, by: k).enumerated() where c > 0 && i + k < Self.x.count {
            worst = max(worst, abs(coarse.intensity[c] - full.intensity[i]))
        }
        #expect(worst <= 0.005 * top, "largest difference \(worst) of a smoothed peak height \(top)")
        let inner = binned.intensity.dropFirst().dropLast().reduce(0, +) * Double(k)
        let rawInner = y[(k - k / 2)..<((binned.count - 2) * k + k / 2 + 1)].reduce(0, +)
        #expect(abs(inner / rawInner - 1) < 1e-3, "area \(inner) vs \(rawInner)")
        if k % 2 == 1 { #expect(abs(binned.sigma[10] - y[(10 * k - k / 2)...(10 * k + k / 2)].reduce(0, +).squareRoot() / Double(k)) < 1e-9) }
    }

    /// A single-point spike at 2θ = 25° spreads into the size profile: a pure-Lorentzian FWHM of
    /// 1.8 λ/(π D cosθ) centidegrees (GSAS-II's Scherrer form, K = 1), with the spike's area kept.
    @Test func spikeBecomesTheScherrerProfile() {
        let k = 3000, area = 1000.0
        var y = [Double](repeating: 0, count: Self.x.count)
        y[k] = area / Self.step
        let lambda = 1.5406, size = 0.03
        let s = Pattern(name: "spike", twoTheta: Self.x, intensity: y).smoothed(bySize: size, wavelength: lambda, sizeMix: 1, reach: 30)
        let expected = 1.8 * lambda / (Double.pi * size * cos(Self.x[k] / 2 * Double.pi / 180)) / 100
        let peak = s.intensity[k], half = peak / 2
        // Half-maximum crossings, interpolated between points on either side.
        var lo = k, hi = k
        while s.intensity[lo - 1] > half { lo -= 1 }
        while s.intensity[hi + 1] > half { hi += 1 }
        func cross(_ a: Int, _ b: Int) -> Double {
            Self.x[a] + (half - s.intensity[a]) / (s.intensity[b] - s.intensity[a]) * (Self.x[b] - Self.x[a])
        }
        let fwhm = cross(hi, hi + 1) - cross(lo - 1, lo)
        #expect(abs(fwhm / expected - 1) < 0.01, "FWHM \(fwhm)°, Scherrer \(expected)°")
        let smoothedArea = s.intensity.reduce(0, +) * Self.step
        #expect(abs(smoothedArea / area - 1) < 0.02, "area \(smoothedArea)")
    }

    /// A constant (a flat background) stays constant everywhere, the ends included (the kernel is renormalized
    /// where the pattern stops); points left out are copied.
    @Test func constantStaysConstant() {
        let y = [Double](repeating: 250, count: Self.x.count)
        let s = Pattern(name: "flat", twoTheta: Self.x, intensity: y).smoothed(bySize: 0.03, wavelength: 1.5406, sizeMix: 0.5, reach: 8)
        #expect(s.intensity.allSatisfy { abs($0 - 250) < 1e-9 })
        // The same on an uneven grid (steps 0.004–0.006°), which takes the untabulated path.
        let uneven = Self.x.indices.map { 10 + Double($0) * Self.step + ($0 % 2 == 0 ? 0 : 0.001) }
        let u = Pattern(name: "flat", twoTheta: uneven, intensity: y).smoothed(bySize: 0.03, wavelength: 1.5406, sizeMix: 0.5, reach: 8)
        #expect(u.intensity.allSatisfy { abs($0 - 250) < 1e-9 })
        var ramp = y
        for i in ramp.indices { ramp[i] = Double(i) }
        let kept = Pattern(name: "ramp", twoTheta: Self.x, intensity: ramp).smoothed(bySize: 0.03, wavelength: 1.5406, sizeMix: 1, reach: 8,
                                                                                   include: { $0 < 100 })
        #expect(Array(kept.intensity[100...]) == Array(ramp[100...]))
    }
}
