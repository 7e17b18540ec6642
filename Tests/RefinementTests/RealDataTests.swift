import Foundation
import PowderDiffraction
import Refinement
import RietveldIO
import Testing

/// Laboratory patterns from outside the project refined as a user would (default strategy or a recipe).
@Suite struct RealDataTests {
    func refine(_ pattern: String, _ phase: String, _ instrument: String, geometry: Geometry = .braggBrentano,
                range: (Double?, Double?) = (nil, nil), terms: Int = 8, recipe: String? = nil) throws -> RefinementResult {
        var setup = try RefinementSetup.load(pattern: repositoryRoot.appendingPathComponent(pattern).path,
                                             phase: repositoryRoot.appendingPathComponent(phase).path,
                                             instrument: repositoryRoot.appendingPathComponent(instrument).path,
                                             geometry: geometry, muR: 0, backgroundTerms: terms, range: range)
        let stages = try recipe.map { try Recipe.parse($0, file: "test.toml").apply(to: &setup) }
            ?? DefaultStrategy.stages(for: setup.model, backgroundTerms: terms)
        return Refiner.refine(setup.model, against: setup.pattern, stages: stages, settings: setup.settings)
    }

    /// Fluorapatite (P6_3/m, GSAS-II tutorial data): a stable minimum with a sensible Rwp and the cell of
    /// the literature (a = 9.37, c = 6.88 Å).
    @Test func fluorapatite() throws {
        let r = try refine("patterns/fluorapatite/FAP.XRA", "patterns/fluorapatite/fap-start.cif", "patterns/fluorapatite/INST_XRY.PRM",
                           range: (15, 90))
        #expect(r.statistics.rwp < 12, "Rwp \(r.statistics.rwp)")
        #expect(abs(r.model.phases[0].lattice(.a) - 9.371) < 0.003 && abs(r.model.phases[0].lattice(.c) - 6.885) < 0.003)
        #expect(r.atBound.isEmpty, "\(r.atBound)")
    }

    /// PbSO4 (Pnma, IUCr CPD round robin): a = 8.48, b = 5.40, c = 6.96 Å.
    @Test func leadSulfate() throws {
        let r = try refine("patterns/pbso4/PBSO4.XRA", "patterns/pbso4/PbSO4-Wyckoff.cif", "patterns/pbso4/INST_XRY.PRM", range: (10, 90))
        #expect(r.statistics.rwp < 12, "Rwp \(r.statistics.rwp)")
        let p = r.model.phases[0]
        #expect(abs(p.lattice(.a) - 8.480) < 0.003 && abs(p.lattice(.b) - 5.398) < 0.003 && abs(p.lattice(.c) - 6.959) < 0.003)
    }

    /// NIST SRM 660c LaB6 (pdCIF, measured block): with zero, specimen displacement and the instrument profile
    /// refined, a comes within 0.0002 Å of NIST's value for this data set, 4.156780 Å.
    @Test func nistLanthanumHexaboride() throws {
        let recipe = """
            background_terms = 6
            [[stage]]
            refine = ["scale", "background"]
            [[stage]]
            refine = ["scale", "background", "zero", "cell"]
            broaden = true
            max_cycles = 8
            [[stage]]
            refine = ["scale", "background", "zero", "specimen displacement", "cell"]
            [[stage]]
            refine = ["scale", "background", "zero", "specimen displacement", "cell", "instrument"]
            [[stage]]
            refine = ["scale", "background", "zero", "specimen displacement", "cell", "instrument", "uiso", "B1 x"]
            """
        let r = try refine("patterns/nist-srm660c-lab6/nist_srm660c_100a.cif", "structures/LaB6.cif", "patterns/nist-srm660c-lab6/start.instprm",
                           terms: 6, recipe: recipe)
        let a = r.model.phases[0].lattice(.a)
        #expect(abs(a - 4.156780) < 0.0002, "a = \(a)")
    }
}
