import Foundation
import PowderDiffraction
import Refinement
import RietveldIO
import Testing
import Workflow
import _TestSupport

/// A synchrotron-like grid (LiNiO2, 3–60° at 0.002°, 28,501 points): the preliminary stages fit every k-th point
/// with k from the instrument's FWHM at 3° computed here from the instrument file (GSAS-II's Gaussian variance
/// U tan²θ + V tanθ + W, Lorentzian X/cosθ + Y tanθ, Thompson–Cox–Hastings sum) at 5 points per FWHM; the final
/// stage fits every point, and the cell lands on the structure the pattern was calculated from (the engine's own
/// simulation: this checks the decimation, the physics is checked against GSAS-II elsewhere).
@Suite struct FineGridTests {
    @Test func preliminaryStagesThinAFineGridAndTheFinalStageFitsAll() throws {
        let folder = repositoryRoot.appendingPathComponent("patterns/gsas2-sim-linio2")
        let step = 0.002, n = 28_501
        let grid = (0..<n).map { 3 + Double($0) * step }
        var instrument = try InstrumentFile.read(folder.appendingPathComponent("MoKa1_capillary.instprm"))
        instrument.zero = -0.012
        let truth = try StructureCIF.read(folder.appendingPathComponent("LiNiO2_true.cif"))
        let pattern = try Simulation.pattern(structure: truth, instrument: instrument, twoTheta: grid, scale: 62, background: [900, -300, 100],
                                             size: 0.12, microstrain: 1500, noiseSeed: 7)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fine-grid-\(ProcessInfo.processInfo.processIdentifier).xye")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(PatternWriter.xye(pattern).utf8).write(to: file)
        let setup = try RefinementSetup.load(pattern: file.path, phases: [PhaseInput(file: folder.appendingPathComponent("LiNiO2_start.cif").path)],
                                             instrument: folder.appendingPathComponent("MoKa1_capillary.instprm").path, options: ModelOptions())
        let result = Refiner.refine(setup.model, against: setup.pattern, stages: DefaultStrategy.stages(for: setup.model, backgroundTerms: 13),
                                    settings: setup.settings)

        // U V W X Y of the file: 2, −1, 4, 0, 1 (centideg², centideg).
        let t = tan(1.5 * Double.pi / 180), c = cos(1.5 * Double.pi / 180)
        let g = (8 * log(2.0) * (2 * t * t - 1 * t + 4)).squareRoot(), l = 0 / c + 1 * t
        let fwhm = pow(pow(g, 5) + 2.69269 * pow(g, 4) * l + 2.42843 * pow(g, 3) * l * l + 4.47163 * g * g * pow(l, 3)
                       + 0.07842 * g * pow(l, 4) + pow(l, 5), 0.2) / 100
        let k = Int(fwhm / (5 * step))
        #expect(k == 4, "instrumental FWHM at 3°: \(fwhm)°")
        for s in result.stages where s.name != "cell (broadened peaks)" {
            let expected = s.name == "all together" ? n : (n + k - 1) / k
            #expect(s.points == expected, "\(s.name): \(s.points) points, expected \(expected)")
        }
        let a = result.estimate(.lattice(phase: 0, .a)), cc = result.estimate(.lattice(phase: 0, .c))
        let aEsd = try #require(a.esd), cEsd = try #require(cc.esd)
        #expect(abs(a.value - 2.878) <= 3 * aEsd && abs(cc.value - 14.19) <= 3 * cEsd, "a \(a), c \(cc)")
    }
}
