import Crystallography
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO
import Workflow
import Testing
import _TestSupport


/// The truth of `patterns/gsas2-sim-linio2/LiNiO2_sim_truth.json` (made by GSAS-II, not by this engine).
struct Truth: Decodable {
    let a: Double, c: Double, Oz: Double, x_mix: Double, Zero: Double, Size_um: Double, Mustrain: Double, V: Double
}

@Suite struct GSASIISimulationTests {
    static let folder = repositoryRoot.appendingPathComponent("patterns/gsas2-sim-linio2")

    static func setup(_ convention: ModelConvention) throws -> RefinementSetup {
        try loadSetup(pattern: "patterns/gsas2-sim-linio2/LiNiO2_sim.xye", phases: ["patterns/gsas2-sim-linio2/LiNiO2_start.cif"],
                      instrument: "patterns/gsas2-sim-linio2/MoKa1_capillary.instprm", convention: convention)
    }

    static func refine(fcj: ModelConvention) throws -> RefinementResult {
        let setup = try setup(fcj)
        return Refiner.refine(setup.model, against: setup.pattern, stages: DefaultStrategy.stages(for: setup.model, backgroundTerms: 13),
                              settings: setup.settings)
    }

    /// GSAS-II's LiNiO2 was simulated with isotropic broadening (size 0.12 µm, microstrain 1500): refined as
    /// uniaxial (`--uniaxial`), both the equatorial and the axial terms land within 3 esd of those, and the cell
    /// where the isotropic refinement puts it: the uniaxial model nests the isotropic one without bias (which axis is
    /// which is checked against the ellipsoid's geometry in `UniaxialBroadeningTests`).
    @Test func uniaxialBroadeningFindsTheIsotropicTruth() throws {
        let setup = try loadSetup(pattern: "patterns/gsas2-sim-linio2/LiNiO2_sim.xye", phases: ["patterns/gsas2-sim-linio2/LiNiO2_start.cif"],
                                  instrument: "patterns/gsas2-sim-linio2/MoKa1_capillary.instprm", uniaxial: ["LiNiO2"])
        let r = Refiner.refine(setup.model, against: setup.pattern, stages: DefaultStrategy.stages(for: setup.model, backgroundTerms: 13),
                               settings: setup.settings)
        let t = try Self.truth()
        #expect(r.termination.isConverged, "\(r.termination)")
        within(r.estimate(.size(phase: 0)), t.Size_um, sigmas: 3, "equatorial size")
        within(r.estimate(.phase(0, .axialSize)), t.Size_um, sigmas: 3, "axial size")
        within(r.estimate(.microstrain(phase: 0)), t.Mustrain, sigmas: 3, "equatorial microstrain")
        within(r.estimate(.phase(0, .axialMicrostrain)), t.Mustrain, sigmas: 3, "axial microstrain")
        let cell = r.cell(phase: 0)
        within(cell[.a], t.a, sigmas: 3, "a")
        within(cell[.c], t.c, sigmas: 3, "c")
    }

    /// Refined with Stephens' generalized microstrain (`--stephens`), GSAS-II's isotropic LiNiO2 (strain 1500)
    /// gives the isotropic coefficients S400 = μ²A², S004 = μ²C², S202 = 2μ²AC/3 of the true cell within 3 esd.
    @Test func stephensMicrostrainFindsTheIsotropicTruth() throws {
        var options = ModelOptions()
        options.stephens = ["LiNiO2"]
        let setup = try RefinementSetup.load(pattern: repositoryPath("patterns/gsas2-sim-linio2/LiNiO2_sim.xye"),
                                             phases: [PhaseInput(file: repositoryPath("patterns/gsas2-sim-linio2/LiNiO2_start.cif"))],
                                             instrument: repositoryPath("patterns/gsas2-sim-linio2/MoKa1_capillary.instprm"), options: options)
        let r = Refiner.refine(setup.model, against: setup.pattern, stages: DefaultStrategy.stages(for: setup.model, backgroundTerms: 13),
                               settings: setup.settings)
        let t = try Self.truth()
        #expect(r.termination.isConverged, "\(r.termination)")
        let expected = StephensMicrostrain.isotropic(t.Mustrain, a: t.a, c: t.c, terms: [.s400, .s004, .s202])
        for (i, name) in ["S400", "S004", "S202"].enumerated() {
            within(r.estimate(.phase(0, .stephens(i))), expected[i], sigmas: 3, name)
        }
        within(r.estimate(.size(phase: 0)), t.Size_um, sigmas: 3, "size")
    }

    static func truth() throws -> Truth {
        try JSONDecoder().decode(Truth.self, from: Data(contentsOf: folder.appendingPathComponent("LiNiO2_sim_truth.json")))
    }

    func within(_ e: Estimate, _ truth: Double, sigmas: Double, _ what: String) {
        guard let esd = e.esd else { Issue.record("\(what) has no esd"); return }
        #expect(abs(e.value - truth) <= sigmas * esd, "\(what): \(e.value) ± \(esd), truth \(truth)")
    }

    /// From the start users make (a, c +0.3 %, mixing 0, Uiso 0.01, flat background), with GSAS-II's own
    /// FCJ rule: every refined quantity within 2 esd of the truth and Rwp within 2 % of GSAS-II's 2.814 %.
    @Test func recoversTheTruthWithGSASIIConventions() throws {
        let r = try Self.refine(fcj: .gsas2)
        let t = try Self.truth()
        #expect(r.converged, "\(r.termination)")
        let cell = r.cell(phase: 0)
        within(cell[.a], t.a, sigmas: 2, "a")
        within(cell[.c], t.c, sigmas: 2, "c")
        within(cell.volume, t.V, sigmas: 2, "V")
        within(r.estimate(.position(phase: 0, site: 2, axis: 2)), t.Oz, sigmas: 2, "O z")
        within(r.cationMixing(phase: 0)!, t.x_mix, sigmas: 2, "mixing")
        within(r.estimate(.zero), t.Zero, sigmas: 2, "zero")
        within(r.estimate(.size(phase: 0)), t.Size_um, sigmas: 2, "size")
        within(r.estimate(.microstrain(phase: 0)), t.Mustrain, sigmas: 2, "microstrain")
        #expect(abs(r.statistics.rwp - 2.814) < 0.02 * 2.814, "Rwp \(r.statistics.rwp)")
        #expect(abs(r.statistics.gof - 0.97) < 0.03)
    }

    /// The start the issue names: a and c 0.5 % off the truth in each of the four sign combinations (with the
    /// start file's mixing 0, U_iso 0.01, flat background). Every one must reach the truth within 2 esd.
    @Test(arguments: [(-1.0, -1.0), (-1, 1), (1, -1), (1, 1)])
    func convergesFromHalfAPercentOff(signs: (Double, Double)) throws {
        let t = try Self.truth()
        var setup = try Self.setup(.gsas2)
        try setup.model.setValue(t.a * (1 + 0.005 * signs.0), for: .lattice(phase: 0, .a))
        try setup.model.setValue(t.c * (1 + 0.005 * signs.1), for: .lattice(phase: 0, .c))
        let r = Refiner.refine(setup.model, against: setup.pattern, stages: DefaultStrategy.stages(for: setup.model, backgroundTerms: 13),
                               settings: setup.settings)
        #expect(r.converged, "\(r.termination)")
        let cell = r.cell(phase: 0)
        within(cell[.a], t.a, sigmas: 2, "a from \(signs)")
        within(cell[.c], t.c, sigmas: 2, "c from \(signs)")
        within(r.cationMixing(phase: 0)!, t.x_mix, sigmas: 2, "mixing from \(signs)")
        #expect(abs(r.statistics.rwp - 2.814) < 0.02 * 2.814, "Rwp \(r.statistics.rwp)")
    }

    /// Rough starts: a and c 8 % off in the eight directions around the truth (±8 % or 0 each, not both 0).
    /// With the cell search first every one reaches the truth within 2 esd and GSAS-II's Rwp; without it the
    /// corners end in false minima (which is what the search is for).
    @Test(arguments: [(-1.0, -1.0), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)])
    func cellSearchConvergesFromEightPercentOff(signs: (Double, Double)) throws {
        let t = try Self.truth()
        var setup = try Self.setup(.gsas2)
        try setup.model.setValue(t.a * (1 + 0.08 * signs.0), for: .lattice(phase: 0, .a))
        try setup.model.setValue(t.c * (1 + 0.08 * signs.1), for: .lattice(phase: 0, .c))
        let r = Refiner.refine(setup.model, against: setup.pattern,
                               stages: DefaultStrategy.stages(for: setup.model, backgroundTerms: 13, searchCell: true), settings: setup.settings)
        let converged = r.converged
        #expect(converged, "from \(signs): \(r.termination)")
        let cell = r.cell(phase: 0)
        within(cell[.a], t.a, sigmas: 2, "a from \(signs)")
        within(cell[.c], t.c, sigmas: 2, "c from \(signs)")
        #expect(abs(r.statistics.rwp - 2.814) < 0.02 * 2.814, "Rwp \(r.statistics.rwp)")
    }

    /// What the search is for: without it, most of those eight starts end in a false minimum (Rwp > 2× GSAS-II's).
    @Test func withoutTheCellSearchRoughStartsFail() throws {
        let t = try Self.truth()
        var failed = 0
        for signs in [(-1.0, -1.0), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)] {
            var setup = try Self.setup(.gsas2)
            try setup.model.setValue(t.a * (1 + 0.08 * signs.0), for: .lattice(phase: 0, .a))
            try setup.model.setValue(t.c * (1 + 0.08 * signs.1), for: .lattice(phase: 0, .c))
            let r = Refiner.refine(setup.model, against: setup.pattern, stages: DefaultStrategy.stages(for: setup.model, backgroundTerms: 13),
                                   settings: setup.settings)
            if r.statistics.rwp > 2 * 2.814 { failed += 1 }
        }
        #expect(failed >= 4, "only \(failed) of 8 rough starts failed without the search")
    }

    /// With the exact FCJ integral the same holds for everything but the zero, which moves by ~2e-4°
    /// because GSAS-II's coarser quadrature places low-angle peaks slightly lower (see AxialDivergence).
    @Test func exactAsymmetryDiffersFromGSASIIOnlyInTheZero() throws {
        let r = try Self.refine(fcj: .exact)
        let t = try Self.truth()
        let cell = r.cell(phase: 0)
        within(cell[.a], t.a, sigmas: 2, "a")
        within(cell[.c], t.c, sigmas: 2, "c")
        within(r.cationMixing(phase: 0)!, t.x_mix, sigmas: 2, "mixing")
        within(r.estimate(.position(phase: 0, site: 2, axis: 2)), t.Oz, sigmas: 2, "O z")
        #expect(abs(r.estimate(.zero).value - t.Zero) < 4e-4)
        #expect(abs(r.statistics.rwp - 2.814) < 0.02 * 2.814)
    }
}
