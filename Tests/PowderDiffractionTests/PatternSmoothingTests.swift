import Foundation
import PowderDiffraction
import Testing

/// `Pattern.smoothed` (the data side of the broadened refinement stage) against Scherrer's formula and
/// conservation rules, not against the model it is paired with.
@Suite struct PatternSmoothingTests {
    static let step = 0.005
    static let x = (0..<6001).map { 10 + Double($0) * step }

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
