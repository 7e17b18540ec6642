import Foundation
import Lithiation
import Testing

@Suite struct LeverRuleTests {
    /// Smoothing bias of the noise-free branches (local linear kernel on 0.01-spaced points), in x.
    static let smoothingBias = 0.002
    /// Relative agreement of the analytic gradient and esd with central differences through the whole lookup
    /// (x_p(V) is the inverse of a piecewise-linear table: a difference step spans a few grid cells).
    static let finiteDifferenceTolerance = 0.02

    /// Two phases of known compositions and molar amounts: the lever rule gives the molar mean x, and each
    /// phase's x through its own branch.
    @Test func leverRuleMatchesAnIndependentComputation() throws {
        let ref = try TwoPhaseModel.reference()
        #expect(ref.twoPhaseRegions == [TwoPhaseRegion(phases: ["H2", "H3"], range: 0.25...0.35)])
        let (x2, x3, n2, n3) = (0.32, 0.27, 0.4, 0.6)
        let m2 = n2 * TwoPhaseModel.molarMass(x2), m3 = n3 * TwoPhaseModel.molarMass(x3)
        let w2 = m2 / (m2 + m3), w3 = m3 / (m2 + m3)
        let truth = (n2 * x2 + n3 * x3) / (n2 + n3)
        let r = try ref.leverRule([
            PhaseMeasurement(name: "H2", volume: Measured(TwoPhaseModel.volume("H2", x2), esd: 0.01), weightFraction: Measured(w2, esd: 0.005)),
            PhaseMeasurement(name: "H3", volume: Measured(TwoPhaseModel.volume("H3", x3), esd: 0.01), weightFraction: Measured(w3, esd: 0.005)),
        ], host: try HostFormula("NiO2"))
        #expect(abs(r.phases[0].x.value - x2) <= Self.smoothingBias, "H2: \(r.phases[0].x)")
        #expect(abs(r.phases[1].x.value - x3) <= Self.smoothingBias, "H3: \(r.phases[1].x)")
        #expect(abs(r.phases[0].molarFraction - n2) <= 0.002 && abs(r.phases[1].molarFraction - n3) <= 0.002)
        #expect(abs(r.x.value - truth) <= Self.smoothingBias, "x \(r.x) vs \(truth)")
        #expect(r.x.esd > 0 && r.x.esd < 0.01)
        #expect(r.region?.name == "H2+H3")
    }

    /// The analytic gradient (∂x/∂V_p, ∂x/∂w_p) and the propagated esd against central differences of the
    /// whole lookup.
    @Test func esdAgreesWithFiniteDifferencePropagation() throws {
        let ref = try TwoPhaseModel.reference()
        let host = try HostFormula("NiO2")
        var measured = [
            PhaseMeasurement(name: "H2", volume: Measured(TwoPhaseModel.volume("H2", 0.33), esd: 0.012), weightFraction: Measured(0.45, esd: 0.008)),
            PhaseMeasurement(name: "H3", volume: Measured(TwoPhaseModel.volume("H3", 0.28), esd: 0.015), weightFraction: Measured(0.55, esd: 0.008)),
        ]
        let r = try ref.leverRule(measured, host: host)
        func x(_ m: [PhaseMeasurement]) throws -> Double { try ref.leverRule(m, host: host).x.value }
        var variance = 0.0
        for p in measured.indices {
            let hV = 0.005, hW = 1e-4
            var up = measured, down = measured
            up[p].volume.value += hV; down[p].volume.value -= hV
            let dV = (try x(up) - x(down)) / (2 * hV)
            up = measured; down = measured
            up[p].weightFraction!.value += hW; down[p].weightFraction!.value -= hW
            let dW = (try x(up) - x(down)) / (2 * hW)
            #expect(abs(dV - r.phases[p].dxdVolume) <= Self.finiteDifferenceTolerance * abs(dV), "∂x/∂V \(p): \(dV) vs \(r.phases[p].dxdVolume)")
            #expect(abs(dW - r.phases[p].dxdWeightFraction) <= 1e-4 * abs(dW), "∂x/∂w \(p): \(dW) vs \(r.phases[p].dxdWeightFraction)")
            let curve = try ref.branch(named: measured[p].name)
            let band = curve.volumeBand(at: r.phases[p].x.value)
            variance += dV * dV * (pow(measured[p].volume.esd, 2) + band * band) + dW * dW * pow(measured[p].weightFraction!.esd, 2)
        }
        let fd = variance.squareRoot()
        #expect(abs(r.x.esd - fd) <= Self.finiteDifferenceTolerance * fd, "esd \(r.x.esd) vs finite differences \(fd)")
        measured[0].weightFraction = nil
        #expect(throws: LithiationError.missingWeightFraction(phase: "H2")) { _ = try ref.leverRule(measured, host: host) }
    }

    @Test func badPhaseSetsAreRefused() throws {
        let ref = try TwoPhaseModel.reference()
        let host = try HostFormula("NiO2")
        let v2 = Measured(TwoPhaseModel.volume("H2", 0.3), esd: 0.01), v3 = Measured(TwoPhaseModel.volume("H3", 0.3), esd: 0.01)
        // 0.7 + 0.2 = 0.9, 10σ from 1.
        #expect(throws: LithiationError.weightFractionsDoNotSumToOne(sum: 0.7 + 0.2, esd: (2 * 0.0001 as Double).squareRoot())) {
            _ = try ref.leverRule([PhaseMeasurement(name: "H2", volume: v2, weightFraction: Measured(0.7, esd: 0.01)),
                                   PhaseMeasurement(name: "H3", volume: v3, weightFraction: Measured(0.2, esd: 0.01))], host: host)
        }
        // Within 3σ of 1: accepted.
        _ = try ref.leverRule([PhaseMeasurement(name: "H2", volume: v2, weightFraction: Measured(0.7, esd: 0.03)),
                               PhaseMeasurement(name: "H3", volume: v3, weightFraction: Measured(0.25, esd: 0.03))], host: host)
        #expect(throws: LithiationError.unknownPhase("H4", known: ["H2", "H3"])) {
            _ = try ref.leverRule([PhaseMeasurement(name: "H2", volume: v2, weightFraction: Measured(0.5, esd: 0.01)),
                                   PhaseMeasurement(name: "H4", volume: v3, weightFraction: Measured(0.5, esd: 0.01))], host: host)
        }
    }

    /// One phase's volume alone in the two-phase region: its own x, and the warning that the electrode's is not it.
    @Test func onePhaseVolumeInTheTwoPhaseRegionSaysSo() throws {
        let ref = try TwoPhaseModel.reference()
        let r = try ref.lookup(volume: Measured(TwoPhaseModel.volume("H3", 0.30), esd: 0.01))
        #expect(abs(r.best.x - 0.30) <= Self.smoothingBias && r.best.phase == "H3")
        #expect(r.twoPhaseRegion?.name == "H2+H3")
        #expect(r.warnings.contains { "\($0)".contains("two-phase region") })
        let single = try ref.lookup(volume: Measured(TwoPhaseModel.volume("H2", 0.7), esd: 0.01))
        #expect(abs(single.best.x - 0.7) <= Self.smoothingBias && single.twoPhaseRegion == nil && single.warnings.isEmpty)
    }
}
