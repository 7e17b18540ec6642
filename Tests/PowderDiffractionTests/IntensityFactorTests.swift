import Crystallography
import Foundation
import PowderDiffraction
import Refinement
import Testing
import _TestSupport

/// The intensity factors and statistics against values from outside the code: the textbook Lorentz–polarization
/// shape, the cylinder absorption integral computed from its definition, the March–Dollase function's limits,
/// and R-factors from their definitions on cases with a known answer.
@Suite struct IntensityFactorTests {
    func close(_ a: Double, _ b: Double, relativeTolerance: Double) -> Bool { a.isApproximatelyEqual(to: b, relativeTolerance: relativeTolerance) }

    /// Lp for an unpolarized beam has the shape (1 + cos²2θ)/(sin²θ cosθ) (International Tables C, 6.2.5);
    /// its derivative agrees with central differences.
    @Test func lorentzPolarizationHasTheTextbookShape() {
        let lp = LorentzPolarization(polarization: 0.5)
        let rad = Double.pi / 180
        func textbook(_ t: Double) -> Double { let th = t / 2; return (1 + cos(t) * cos(t)) / (sin(th) * sin(th) * cos(th)) }
        let reference = lp.value(twoTheta: 40 * rad) / textbook(40 * rad)
        for deg in [5.0, 12, 25, 60, 90, 120, 150] {
            let t = deg * rad
            #expect(close(lp.value(twoTheta: t) / textbook(t), reference, relativeTolerance: 1e-12), "2θ \(deg)°")
            let h = 1e-6
            let fd = (lp.value(twoTheta: t + h) - lp.value(twoTheta: t - h)) / (2 * h)
            #expect(close(lp.derivative(twoTheta: t), fd, relativeTolerance: 1e-6), "d/d2θ at \(deg)°")
        }
    }

    /// The transmission of a cylinder of radius 1 and linear absorption μR, averaged over its cross-section:
    /// A = (1/π) ∫∫ exp(−μR (l_in + l_out)) dx dy, beam along +x, scattered at 2θ in the plane (the definition,
    /// integrated on a fine grid).
    static func cylinderIntegral(muR: Double, twoTheta: Double, n: Int = 500) -> Double {
        let d = (cos(twoTheta), sin(twoTheta))
        var sum = 0.0, count = 0
        for i in 0..<n {
            let y = -1 + (Double(i) + 0.5) * 2 / Double(n)
            let half = (1 - y * y).squareRoot()
            for j in 0..<n {
                let x = -1 + (Double(j) + 0.5) * 2 / Double(n)
                guard x * x + y * y < 1 else { continue }
                let lIn = x + half
                let pd = x * d.0 + y * d.1
                let lOut = -pd + (pd * pd - (x * x + y * y - 1)).squareRoot()
                sum += exp(-muR * (lIn + lOut))
                count += 1
            }
        }
        return sum / Double(count)
    }

    /// GSAS-II's interpolation (Lobanov & Alte da Veiga) against the integral of the definition: within 1 % for
    /// μR up to 3 at every angle, within 3 % at μR 4 (where the interpolation changes branch).
    @Test func cylinderAbsorptionMatchesItsDefinition() {
        let rad = Double.pi / 180
        for muR in [0.2, 0.5, 1.0, 2.0, 3.0, 4.0] {
            for deg in [10.0, 45, 90, 135] {
                let exact = Self.cylinderIntegral(muR: muR, twoTheta: deg * rad)
                let a = CylinderAbsorption.factor(muR: muR, twoTheta: deg * rad).value
                #expect(close(a, exact, relativeTolerance: muR <= 3 ? 0.01 : 0.03), "μR \(muR), 2θ \(deg)°: \(a) vs \(exact)")
            }
        }
        // Small μR: A ≈ 1 − (16/3π) μR at every angle (the first-order term of the integral).
        for deg in [20.0, 100] {
            let exact = Self.cylinderIntegral(muR: 0.01, twoTheta: deg * rad)
            #expect(abs((1 - exact) / 0.01 - 16 / (3 * Double.pi)) < 0.02)
        }
    }

    /// March–Dollase: for the 00l reflections (α = 0 to the 001 axis) the factor is r⁻³, for hk0 (α = 90°)
    /// r^{3/2}; read from the model's integrated intensities with and without texture.
    @Test func marchDollaseLimits() throws {
        let setup = try loadSetup(pattern: "patterns/gsas2-sim-linio2/LiNiO2_sim.xye", phases: ["patterns/gsas2-sim-linio2/LiNiO2_start.cif"],
                                  instrument: "patterns/gsas2-sim-linio2/MoKa1_capillary.instprm")
        let r = 0.8
        var textured = setup.model
        textured.phases[0].marchDollase = r
        let plain = setup.model.evaluate().reflections, tex = textured.evaluate().reflections
        var seen = (axial: 0, planar: 0)
        for (p, t) in zip(plain, tex) where p.phase == 0 && !p.isSecondLine {
            let i = p.index
            if i.h == 0 && i.k == 0 {
                #expect(close(t.intensity / p.intensity, pow(r, -3), relativeTolerance: 1e-9), "\(i)")
                seen.axial += 1
            } else if i.l == 0 {
                #expect(close(t.intensity / p.intensity, pow(r, 1.5), relativeTolerance: 1e-9), "\(i)")
                seen.planar += 1
            }
        }
        #expect(seen.axial >= 2 && seen.planar >= 2)
    }

    /// R-factors from their definitions on a case with a known answer: one reflection, background 10, the
    /// observed net intensity twice the calculated: R_Bragg = |2I − I| / 2I = 50 %; Rexp = √((N − P)/Σw y²);
    /// Durbin–Watson of residuals alternating in sign is close to 4, of a constant residual 0.
    @Test func statisticsFromTheirDefinitions() {
        let n = 50
        let profile = (0..<n).map { exp(-pow(Double($0 - 25) / 4, 2)) }
        let background = [Double](repeating: 10, count: n)
        let calculated = zip(profile, background).map { 100 * $0 + $1 }
        let observed = zip(profile, background).map { 200 * $0 + $1 }
        let weights = observed.map { 1 / $0 }
        let shares = [profile.indices.map { (index: $0, value: 100 * profile[$0]) }]
        let s = Statistics.compute(observed: observed, calculated: calculated, background: background, weights: weights,
                                   parameters: 3, reflectionShares: shares, reflectionPhases: [0])
        #expect(close(s.rBragg, 50, relativeTolerance: 1e-9))
        let sumWY2 = zip(weights, observed).reduce(0) { $0 + $1.0 * $1.1 * $1.1 }
        #expect(close(s.rexp, 100 * (Double(n - 3) / sumWY2).squareRoot(), relativeTolerance: 1e-12))

        let flat = [Double](repeating: 100, count: n)
        let alternating = (0..<n).map { 100 + ($0 % 2 == 0 ? 1.0 : -1.0) }
        let ones = [Double](repeating: 1, count: n)
        let dw = Statistics.compute(observed: alternating, calculated: flat, background: ones, weights: ones, parameters: 1).durbinWatson
        #expect(close(dw, 4 * Double(n - 1) / Double(n), relativeTolerance: 1e-12))
        let shifted = flat.map { $0 + 1 }
        #expect(Statistics.compute(observed: shifted, calculated: flat, background: ones, weights: ones, parameters: 1).durbinWatson == 0)
    }
}
