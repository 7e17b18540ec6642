import Crystallography
import Foundation
@testable import PowderDiffraction
import RietveldIO
import Testing
import _TestSupport

/// Peak shifts of a displaced specimen against the geometry itself: a flat plate displaced by s from the
/// goniometer axis moves a reflection by Δ2θ = −2 s cosθ / R (Klug & Alexander; s and R in the same unit),
/// so the refined s is a real length only with the instrument's own radius.
@Suite struct GeometricShiftTests {
    @Test(arguments: [200.0, 217.5, 173.0])
    func flatPlateDisplacementFollowsTheRadius(radius: Double) throws {
        let structure = try StructureCIF.read(repositoryRoot.appendingPathComponent("structures/LaB6.cif"))
        let inst = Instrument(radiation: Radiation(wavelength: 1.5405929), geometry: .braggBrentano, goniometerRadius: radius)
        var model = try Simulation.makeModel(structure: structure, instrument: inst, twoTheta: stride(from: 20.0, through: 150, by: 0.02).map { $0 },
                                             scale: 1, background: [0], size: 1, microstrain: 0)
        let s = -78.77  // µm: NIST's specimen displacement for the SRM 660c certification scan
        model.specimenDisplacement = s
        for twoTheta: Double in [21.36, 60, 90, 148.9] {
            let theta = twoTheta / 2 * Double.pi / 180
            let expected = -2 * (s * 1e-3) * cos(theta) / radius * 180 / Double.pi
            #expect(abs(model.geometricShift(twoTheta).shift - expected) < 1e-12, "2θ \(twoTheta): \(model.geometricShift(twoTheta).shift) vs \(expected)")
        }
    }
}

/// Uniaxial broadening against the geometry of an ellipsoid of revolution (axial extent D∥, equatorial D⊥): along
/// a normal at angle φ to the axis its extent is 1/√(cos²φ/D∥² + sin²φ/D⊥²), so the size width is Scherrer's
/// with that D — D∥ for 00l, D⊥ for hk0 — and likewise the microstrain.
@Suite struct UniaxialBroadeningTests {
    @Test func ellipsoidOfRevolution() throws {
        let structure = try StructureCIF.read(repositoryRoot.appendingPathComponent("structures/LiNiO2.cif"))
        var phase = try Phase(structure: structure, wavelength: 0.70926, dMin: 1, size: 0.2, microstrain: 800)
        phase.axialSize = 0.05
        phase.axialMicrostrain = 2000
        for c2 in [0.0, 0.3, 0.5, 1.0] {
            let w = SampleBroadening.widths(twoThetaDegrees: 20, wavelength: 0.70926, phase: phase, cosSquared: c2)
            let d = 1 / (c2 / (0.05 * 0.05) + (1 - c2) / (0.2 * 0.2)).squareRoot()
            let m = 1 / (c2 / (2000.0 * 2000) + (1 - c2) / (800.0 * 800)).squareRoot()
            let isotropic = SampleBroadening.widths(twoThetaDegrees: 20, wavelength: 0.70926, size: d, microstrain: m, sizeMix: 1, strainMix: 1)
            #expect(abs(w.gamma - isotropic.gamma) < 1e-12 * isotropic.gamma, "cos²φ \(c2): \(w.gamma) vs \(isotropic.gamma)")
        }
    }
}

/// Stephens' generalized microstrain against its isotropic limit: with S400 = μ²A², S004 = μ²C², S202 = 2μ²AC/3
/// (1/d² = A(h² + hk + k²) + C l²) every reflection sees μ exactly; R-3m and P6₃/mmc allow GSAS-II's three terms.
@Suite struct StephensMicrostrainTests {
    @Test func isotropicLimit() throws {
        let structure = try StructureCIF.read(repositoryRoot.appendingPathComponent("structures/LiNiO2.cif"))
        let terms = try #require(StephensMicrostrain.terms(for: structure.spaceGroup))
        #expect(terms.map(\.rawValue) == ["S400", "S004", "S202"])
        let p2 = try StructureCIF.read(repositoryRoot.appendingPathComponent("patterns/nacoo2-p2/nacoo2-p2-start.cif"))
        #expect(StephensMicrostrain.terms(for: p2.spaceGroup)?.count == 3)
        #expect(StephensMicrostrain.terms(for: try StructureCIF.read(repositoryRoot.appendingPathComponent("structures/Si.cif")).spaceGroup) == nil)
        let s = StephensMicrostrain.isotropic(1500, a: 2.878, c: 14.19, terms: terms)
        let cell = try UnitCell(a: 2.878, b: 2.878, c: 14.19, alpha: 90, beta: 90, gamma: 120)
        for m in [MillerIndex(0, 0, 3), MillerIndex(1, 0, 4), MillerIndex(1, 1, 0), MillerIndex(0, 1, 5), MillerIndex(1, 0, 1), MillerIndex(2, 0, 8)] {
            let mu = StephensMicrostrain.microstrain(m, q: cell.inverseDSquared(m.h, m.k, m.l), terms: terms, coefficients: s).value
            #expect(abs(mu - 1500) < 1e-9 * 1500, "\(m): \(mu)")
        }
    }
}

/// A phase whose positions moved (`setPosition`) and whose cell changed, regenerated, has the phase sums of a
/// phase built afresh from the moved structure.
@Suite struct PhaseSumTests {
    @Test func keptPhaseSumsEqualFreshOnes() throws {
        let structure = try StructureCIF.read(repositoryRoot.appendingPathComponent("structures/LiNiO2.cif"))
        var phase = try Phase(structure: structure, wavelength: 0.70926, dMin: 0.8)
        let o = try #require(phase.sites.firstIndex { phase.structure.atoms[$0[0]].label == "O1" })
        phase.setPosition(site: o, axis: 2, 0.2601)
        try phase.setLattice(.a, 2.8801)
        phase.regenerateReflections(dMin: 0.8)
        let fresh = try Phase(structure: phase.structure, wavelength: 0.70926, dMin: 0.8)
        #expect(phase.reflections.map(\.index) == fresh.reflections.map(\.index))
        #expect(phase.phaseSums.count == fresh.phaseSums.count)
        var worst = 0.0
        for (a, b) in zip(phase.phaseSums, fresh.phaseSums) { worst = max(worst, abs(a.cosine - b.cosine), abs(a.sine - b.sine)) }
        #expect(worst < 1e-12, "phase sums differ by \(worst)")
    }

    /// A master reflection list taken over from the same phase at another cell (as a chained series does)
    /// gives, near that cell, the list a phase built afresh there has — here 3 % shorter a, 2 % longer c, so
    /// that the template's own list would not have covered it.
    @Test func adoptedMasterListGivesTheFreshList() throws {
        let structure = try StructureCIF.read(repositoryRoot.appendingPathComponent("structures/LiNiO2.cif"))
        let template = try Phase(structure: structure, wavelength: 0.70926, dMin: 0.8)
        var moved = template
        try moved.setLattice(.a, template.structure.cell.a * 0.97)
        try moved.setLattice(.c, template.structure.cell.c * 1.02)
        moved.regenerateReflections(dMin: 0.8)
        var restored = template
        restored.adoptMasterList(of: moved)
        try restored.setLattice(.a, template.structure.cell.a * 0.971)
        try restored.setLattice(.c, template.structure.cell.c * 1.019)
        restored.regenerateReflections(dMin: 0.8)
        let fresh = try Phase(structure: restored.structure, wavelength: 0.70926, dMin: 0.8)
        #expect(restored.reflections.map(\.index) == fresh.reflections.map(\.index))
        #expect(restored.reflections.map(\.multiplicity) == fresh.reflections.map(\.multiplicity))
        #expect(restored.reflections.map(\.d) == fresh.reflections.map(\.d))
        #expect(restored.orbits == fresh.orbits)
    }
}

/// The lowest pole density of a harmonic texture against its closed form: 1 + C₂P₂(cos φ) with C₂ = 3 is
/// 1 + 3(3cos²φ − 1)/2, lowest at φ = 90° with −1/2; with C₂ = −3 it is 5/2 − 9cos²φ/2, lowest at φ = 0 with −2;
/// with C₂ = 2 it is 3cos²φ ≥ 0.
@Suite struct PoleDensityTests {
    @Test func lowestPoleDensity() throws {
        let structure = try StructureCIF.read(repositoryRoot.appendingPathComponent("structures/LiNiO2.cif"))
        var phase = try Phase(structure: structure, wavelength: 0.70926, dMin: 1)
        #expect(phase.lowestPoleDensity == nil)
        phase.textureHarmonics = [3]
        let lowest = try #require(phase.lowestPoleDensity)
        #expect(abs(lowest.value + 0.5) < 1e-12 && lowest.angle == 90)
        phase.textureHarmonics = [-3]
        let atAxis = try #require(phase.lowestPoleDensity)
        #expect(abs(atAxis.value + 2) < 1e-12 && atAxis.angle == 0)
        phase.textureHarmonics = [2]
        #expect(abs(try #require(phase.lowestPoleDensity).value) < 1e-12)
    }
}
