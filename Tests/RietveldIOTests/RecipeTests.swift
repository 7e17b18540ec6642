import Foundation
import PowderDiffraction
import Refinement
import RietveldIO
import Testing
import Workflow
import _TestSupport

@Suite struct RecipeTests {
    func setup() throws -> RefinementSetup {
        try loadSetup(pattern: "patterns/gsas2-sim-linio2/LiNiO2_sim.xye", phases: ["structures/NCM85.cif"],
                      instrument: "patterns/gsas2-sim-linio2/MoKa1_capillary.instprm", backgroundTerms: 5)
    }

    @Test func stagesStartValuesBoundsAndExclusions() throws {
        let text = """
            # a recipe
            background_terms = 5
            exclude = [[20.0, 20.5], [30, 31]]
            [start]
            size = 0.2
            "O1 z" = 0.257
            [bounds]
            "cation mixing" = [0.0, 0.1]
            [[stage]]
            name = "first"
            refine = ["scale", "background"]
            [[stage]]
            refine = ["cell", "zero", "Uiso(O1)", "Ni1 Uiso", "cation mixing", "background 2"]
            broaden = true
            """
        var s = try setup()
        let recipe = try Recipe.parse(text, file: "r.toml")
        let stages = try RecipePlan.apply(recipe, to: &s)
        #expect(stages.count == 2 && stages[0].name == "first")
        #expect(stages[0].parameters.count == 6)
        #expect(stages[1].parameters.contains(.lattice(phase: 0, .a)) && stages[1].parameters.contains(.cationMixing(phase: 0)))
        #expect(stages[1].temporarySize != nil && stages[1].twoThetaMax == DefaultStrategy.broadenedTwoThetaMax)
        #expect(s.model.phases[0].size == 0.2)
        #expect(s.model.value(of: .position(phase: 0, site: 2, axis: 2)) == 0.257)
        #expect(s.settings.bounds[.cationMixing(phase: 0)] == 0...0.1)
        #expect(s.settings.excludedRegions == [20...20.5, 30...31])
        // NCM85 keeps Ni:Co:Mn = 0.85:0.10:0.05 of the metals as the mixing changes.
        try s.model.setValue(0.05, for: .cationMixing(phase: 0))
        let atoms = s.model.phases[0].structure.atoms
        #expect(abs(atoms[0].occupancy - 0.85 * 0.95) < 1e-12 && abs(atoms[1].occupancy - 0.10 * 0.95) < 1e-12)
        #expect(abs(atoms[2].occupancy - 0.05 * 0.95) < 1e-12 && atoms[3].occupancy == 0.05 && atoms[4].occupancy == 0.95)
    }

    /// `instrument` names the profile's refinable terms whatever the profile: U V W X Y SH/L for the pseudo-Voigt
    /// path, the Soller angle in place of SH/L with the full axial model, an FP profile's widths, Soller angle
    /// and tube tails (it named U V W X Y SH/L for all, which do not act on an FP profile). Tube tails and the
    /// Soller angle are refused, by name, for an instrument without them.
    @Test func instrumentGroupFollowsTheProfile() throws {
        var s = try setup()
        let instrument = { (s: inout RefinementSetup) throws -> [ModelParameter] in
            try RecipePlan.apply(try Recipe.parse("[[stage]]\nrefine = [\"instrument\"]\n", file: "r.toml"), to: &s)[0].parameters
        }
        #expect(try instrument(&s) == [ProfileTerm.u, .v, .w, .x, .y, .shl].map { .profile($0) })
        var nist = try loadSetup(pattern: "patterns/nist-srm660c-lab6/nist_srm660c_100a.cif", phases: ["structures/LaB6.cif"],
                                 instrument: "patterns/nist-srm660c-lab6/nist-fp-full.instprm", geometry: .braggBrentano)
        #expect(try instrument(&nist) == [ProfileTerm.receivingSlit, .divergence, .soller, .tailLeft, .tailRight, .tailHeight].map { .profile($0) })
        var axial = try loadSetup(pattern: "patterns/nist-srm660c-lab6/nist_srm660c_100a.cif", phases: ["structures/LaB6.cif"],
                                  instrument: "patterns/nist-srm660c-lab6/axial.instprm", geometry: .braggBrentano)
        #expect(try instrument(&axial) == [ProfileTerm.u, .v, .w, .x, .y, .soller].map { .profile($0) })
        for name in ["tube tails", "Soller", "passband"] {
            #expect(throws: (any Error).self) { _ = try RecipePlan.apply(try Recipe.parse("[[stage]]\nrefine = [\"\(name)\"]\n", file: "r.toml"), to: &s) }
        }
        // An analyser's passband is named by a recipe ("passband": its width and offset), never by `instrument`.
        var withPassband = nist
        withPassband.model.instrument.fundamentalParameters?.passband = .init(width: 0.03, offset: 0.001)
        #expect(try instrument(&withPassband) == [ProfileTerm.receivingSlit, .divergence, .soller, .tailLeft, .tailRight, .tailHeight].map { .profile($0) })
        #expect(try RecipePlan.apply(try Recipe.parse("[[stage]]\nrefine = [\"passband\"]\n", file: "r.toml"), to: &withPassband)[0].parameters
                == [.profile(.passbandWidth), .profile(.passbandOffset)])
        do {
            _ = try RecipePlan.apply(try Recipe.parse("[[stage]]\nrefine = [\"passband width\"]\n", file: "r.toml"), to: &nist)
            Issue.record("a passband width accepted without a passband")
        } catch {
            #expect("\(error)".contains("no analyser passband (FP.passbandWidth)"), "\(error)")
        }
        // FCJ's SH/L and S/L draw nothing under the full axial model or an FP profile: refused, naming what to use.
        for (setup, use) in [(axial, "'soller'"), (nist, "'axial divergence'")] {
            for name in ["SH/L", "S/L"] {
                var copy = setup
                do {
                    _ = try RecipePlan.apply(try Recipe.parse("[[stage]]\nrefine = [\"\(name)\"]\n", file: "r.toml"), to: &copy)
                    Issue.record("\(name) accepted")
                } catch {
                    #expect("\(error)".contains(name) && "\(error)".contains(use), "\(error)")
                }
            }
        }
    }

    @Test(arguments: [
        ("backround_terms = 5\n", "r.toml:1: unknown recipe key 'backround_terms'"),
        ("[[stage]]\nrefine = [\"scale\", \"lattice\"]\n", "r.toml:2: unknown parameter 'lattice'"),
        ("[[stage]]\nrefine = [\"O1 x\"]\n", "r.toml:2: unknown parameter 'O1 x': x of O1 is fixed by its site symmetry"),
        ("[[stage]]\nrefine = [\"b\"]\n", "r.toml:2: unknown parameter 'b': b is tied"),
        ("[[stage]]\nrefnie = [\"scale\"]\n", "r.toml:2: unknown stage key 'refnie'"),
        ("[start]\nsize = \"big\"\n", "r.toml:2: start value of 'size' must be a number"),
        ("two_theta = [50, 5]\n", "r.toml:1: two_theta: expected [low, high]"),
        ("geometry = 'flat'\n", "r.toml:1: geometry: expected"),
        ("[bounds]\nzero = [1, 0]\n", "r.toml:2: bounds of 'zero' must be [low, high]"),
        ("x = {a = 1}\n", "r.toml:1: inline tables are not supported"),
    ])
    func badRecipesNameTheKey(text: String, mention: String) throws {
        var s = try setup()
        do {
            _ = try RecipePlan.apply(try Recipe.parse(text, file: "r.toml"), to: &s)
            Issue.record("accepted")
        } catch {
            #expect("\(error)".hasPrefix(mention), "\(error)")
        }
    }
}
