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
