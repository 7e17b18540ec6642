import Crystallography
import Foundation
import PowderDiffraction
@testable import Refinement
import RietveldIO
import Testing
import _TestSupport

/// The texture score test on a finely stepped pattern runs on every k-th point with weights × k (as the
/// preliminary stages fit): its statistic and first-order shift must be those of the whole pattern. LiNiO2,
/// Mo Kα1, 3–30° at 0.002° (13,501 points) with a March–Dollase texture r = 0.9 along 001 and Gaussian noise
/// of Poisson size; the screen starts from r = 1 with everything else at the truth.
@Suite struct TextureDetectionTests {
    @Test func thinnedScreenEstimatesTheWholePatternsStatistic() throws {
        let folder = repositoryRoot.appendingPathComponent("patterns/gsas2-sim-linio2")
        let grid = (0..<13_501).map { 3 + Double($0) * 0.002 }
        let instrument = try InstrumentFile.read(folder.appendingPathComponent("MoKa1_capillary.instprm"))
        let truth = try StructureCIF.read(folder.appendingPathComponent("LiNiO2_true.cif"))
        var model = try Simulation.makeModel(structure: truth, instrument: instrument, twoTheta: grid, scale: 62, background: [900, -300, 100],
                                             size: 0.12, microstrain: 1500)
        model.phases[0].textureAxis = MillerIndex(0, 0, 1)
        model.phases[0].marchDollase = 0.9
        var state: UInt64 = 11
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
        let intensity = model.evaluate().calculated.map { y in
            y + y.squareRoot() * (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
        }
        let pattern = Pattern(name: "textured", twoTheta: grid, intensity: intensity)
        let weights = intensity.map { 1 / max($0, 1) }
        model.phases[0].marchDollase = 1

        let axes = [0: MillerIndex(0, 0, 1)]
        let whole = try #require(TextureDetection.screen(model, axes: axes, pattern: pattern, weights: weights)[0])
        let t = TextureDetection.thinned(model, pattern: pattern, weights: weights)
        #expect(t.stride > 1 && t.pattern.count < pattern.count / 2, "the grid was not thinned: \(t.pattern.count) points")
        let thin = try #require(TextureDetection.screen(t.model, axes: axes, pattern: t.pattern, weights: t.weights, stride: t.stride)[0])
        #expect(whole.significance > 1000, "the texture is not significant: \(whole.significance)")
        #expect(abs(thin.significance / whole.significance - 1) < 0.1, "significance \(thin.significance) vs \(whole.significance)")
        #expect(abs(thin.shift / whole.shift - 1) < 0.1, "shift \(thin.shift) vs \(whole.shift)")
    }

    /// Of the axes whose texture passed, the first of the crystal system's (the unique axis) is kept unless
    /// another is better by 25 χ²_red more; a near second is named. The near tie is P2-NaCoO2's on a path
    /// through a less refined profile (100 ahead of 001 by 0.45 χ²_red of ~240), where taking the larger
    /// number led to O z 0.081 and U_iso at their bound.
    @Test func uniqueAxisKeptUnlessAnotherIsClearlyBetter() {
        let (c001, c100) = (MillerIndex(0, 0, 1), MillerIndex(1, 0, 0))
        func finding(_ axis: MillerIndex, _ significance: Double) -> TextureDetection.Finding {
            TextureDetection.Finding(phase: 0, axis: axis, ratio: 0.6, significance: significance)
        }
        let tie = TextureDetection.choose([finding(c001, 239.0), finding(c100, 239.45)])
        #expect(tie?.axis == c001 && tie?.passedOver == c100)
        let clear = TextureDetection.choose([finding(c001, 200), finding(c100, 240)])
        #expect(clear?.axis == c100 && clear?.passedOver == nil)
        let far = TextureDetection.choose([finding(c001, 900), finding(c100, 239)])
        #expect(far?.axis == c001 && far?.passedOver == nil)
        #expect(TextureDetection.choose([finding(c100, 50)])?.axis == c100)
        #expect(TextureDetection.choose([]) == nil)
    }
}
