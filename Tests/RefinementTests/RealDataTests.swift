import Crystallography
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO
import Testing
import Workflow
import _TestSupport

/// Laboratory patterns from outside the project refined as a user would (default strategy or a recipe).
@Suite struct RealDataTests {
    func refine(_ pattern: String, _ phase: String, _ instrument: String, geometry: Geometry = .braggBrentano,
                range: (Double?, Double?) = (nil, nil), terms: Int = 8, recipe: String? = nil) throws -> RefinementResult {
        var setup = try loadSetup(pattern: pattern, phases: [phase], instrument: instrument, geometry: geometry, backgroundTerms: terms, range: range)
        let stages = try recipe.map { try RecipePlan.apply(try Recipe.parse($0, file: "test.toml"), to: &setup) }
            ?? DefaultStrategy.stages(for: setup.model, backgroundTerms: terms)
        try setup.checkDetermined(by: stages)
        return Refiner.refine(setup.model, against: setup.pattern, stages: stages, settings: setup.settings)
    }

    /// The cell within `ppm` of a reference value.
    func expectCell(_ r: RefinementResult, _ reference: [(CellParameter, Double)], ppm: Double, _ what: String) {
        for (l, value) in reference {
            let refined = r.model.phases[0].lattice(l)
            #expect(refined.isApproximatelyEqual(to: value, relativeTolerance: ppm * 1e-6), "\(what) \(l.name) \(refined) vs \(value)")
        }
    }

    /// Fluorapatite (P6_3/m, GSAS-II tutorial data), default strategy: within 100 ppm of GSAS-II v5.7.9's
    /// refinement of these data (a = 9.371860(136), c = 6.885896(35) Å, Rwp 9.42 %; ../shared/data/README.md)
    /// and a better Rwp. The references were made with SH/L 0.002 instead of the file's 0.03: their cells
    /// differ from ours by the asymmetry model, ~50–70 ppm.
    @Test func fluorapatite() throws {
        let r = try refine("patterns/fluorapatite/FAP.XRA", "patterns/fluorapatite/fap-start.cif", "patterns/fluorapatite/INST_XRY.PRM",
                           range: (15, 90))
        #expect(r.statistics.rwp < 9.42, "Rwp \(r.statistics.rwp)")
        expectCell(r, [(.a, 9.371860), (.c, 6.885896)], ppm: 100, "fluorapatite")
        #expect(r.atBound.isEmpty, "\(r.atBound)")
    }

    /// PbSO4 (Pnma, IUCr CPD round robin): within 100 ppm of GSAS-II's a = 8.480468(91), b = 5.398663(59),
    /// c = 6.960137(76) Å (Rwp 10.67 %, same provenance as above).
    @Test func leadSulfate() throws {
        let r = try refine("patterns/pbso4/PBSO4.XRA", "patterns/pbso4/PbSO4-Wyckoff.cif", "patterns/pbso4/INST_XRY.PRM", range: (10, 90))
        #expect(r.statistics.rwp < 10.67, "Rwp \(r.statistics.rwp)")
        expectCell(r, [(.a, 8.480468), (.b, 5.398663), (.c, 6.960137)], ppm: 100, "PbSO4")
    }

    /// A range that starts above the broadened stage's 60° (`--two-theta-min 60`): that stage fits the lower half
    /// of the range with broadening widened to match, and both lab patterns still land within 100 ppm of
    /// GSAS-II's whole-range cells (the stage once fitted no point there and ended in false minima, Rwp 53 % and
    /// 32 %; then it was refused as having 1 point to fit).
    @Test func rangeAboveTheBroadenedStage() throws {
        let fap = try refine("patterns/fluorapatite/FAP.XRA", "patterns/fluorapatite/fap-start.cif", "patterns/fluorapatite/INST_XRY.PRM",
                             range: (60, nil))
        #expect(fap.termination.isConverged && fap.undetected.isEmpty, "\(fap.termination)")
        expectCell(fap, [(.a, 9.371860), (.c, 6.885896)], ppm: 100, "fluorapatite from 60°")
        let pbso4 = try refine("patterns/pbso4/PBSO4.XRA", "patterns/pbso4/PbSO4-Wyckoff.cif", "patterns/pbso4/INST_XRY.PRM", range: (60, nil))
        #expect(pbso4.termination.isConverged && pbso4.undetected.isEmpty, "\(pbso4.termination)")
        expectCell(pbso4, [(.a, 8.480468), (.b, 5.398663), (.c, 6.960137)], ppm: 100, "PbSO4 from 60°")
    }

    /// NIST's SRM 660c scan refined by default with one of its instrument files; converged, nothing undetected.
    func nistByDefault(instrument: String, statedGeometry: Bool = true) throws -> (RefinementSetup, RefinementResult) {
        let setup = try loadSetup(pattern: "patterns/nist-srm660c-lab6/nist_srm660c_100a.cif", phases: ["structures/LaB6.cif"],
                                  instrument: instrument.hasPrefix("/") ? instrument : "patterns/nist-srm660c-lab6/" + instrument, geometry: .braggBrentano,
                                  statedGeometry: statedGeometry)
        let r = Refiner.refine(setup.model, against: setup.pattern, stages: DefaultStrategy.stages(for: setup.model, backgroundTerms: 13),
                               settings: setup.settings)
        #expect(r.termination.isConverged && r.undetected.isEmpty, "\(instrument): \(r.termination)")
        return (setup, r)
    }

    /// NIST SRM 660c by default from `start.instprm`, GSAS-II's form (U V W X Y SH/L), a file that says it is
    /// a start: the pdCIF states the axial geometry (12 mm source, 15 mm beam, 6.776° axial divergence each
    /// side), which the default draws by the full axial model with Soller slits of ±3.388° and a receiver
    /// that does not cut rays off, refining the Soller angle in place of SH/L. Against NIST's values for this
    /// data set: a within 10 ppm of 4.156780 Å (the issue's aim; measured +4.8 ppm), the displacement within
    /// 10 µm of −78.77 µm, and a better fit than FCJ's SH/L gives (Rwp 8.88 %, below).
    @Test func nistLanthanumHexaborideByDefault() throws {
        let (setup, r) = try nistByDefault(instrument: "start.instprm")
        let axial = try #require(setup.model.instrument.fullAxial)
        #expect(axial.sourceLength == 12 && axial.sampleLength == 15 && axial.sollerAngle == 3.388 && axial.radius == 217.5)
        #expect(setup.notes.count == 1 && setup.notes[0].contains("nist_srm660c_100a.cif states"), "\(setup.notes)")
        let a = r.model.phases[0].lattice(.a)
        #expect(abs(a - 4.156780) / 4.156780 < 10e-6, "a = \(a)")
        #expect(abs(r.model.specimenDisplacement - -78.77) < 10, "displacement \(r.model.specimenDisplacement) µm")
        #expect(r.statistics.rwp < 8.6, "Rwp \(r.statistics.rwp)")
        #expect(r.model.instrument.unphysicalProfile(over: setup.pattern.range) == nil)
        #expect(r.cautions == [.sampleBroadeningHeld(phases: [r.model.phases[0].name])], "\(r.cautions)")
        #expect(abs(rwpLaidOutAfresh(r) - r.statistics.rwp) < 0.001 * r.statistics.rwp)
        expectEvaluationIsTheModels(r)
    }

    /// The same with the pattern's stated geometry ignored (`--ignore-stated-geometry`): GSAS-II's model, U V
    /// W X Y and SH/L refined with the cell. a within 25 ppm of 4.156780 Å (−84 ppm when the profile was
    /// held), specimen displacement within 5 µm of −78.77 µm (in real µm with the file's 217.5 mm radius),
    /// SH/L within 3 % of the geometry's (7.5 + 6 mm)/217.5 mm (the pdCIF's 15 mm specimen and 12 mm source
    /// axial lengths), a Gaussian variance ≥ 0 everywhere. The remaining +19 ppm is the FCJ model's (see
    /// issue 13): it does not follow the measured asymmetry over 20–150°.
    @Test func nistLanthanumHexaborideWithFCJ() throws {
        let (setup, r) = try nistByDefault(instrument: "start.instprm", statedGeometry: false)
        #expect(setup.model.instrument.profileStatus == .start && setup.model.instrument.goniometerRadius == 217.5)
        #expect(setup.model.instrument.fullAxial == nil && setup.notes.isEmpty)
        let a = r.model.phases[0].lattice(.a)
        #expect(abs(a - 4.156780) / 4.156780 < 25e-6, "a = \(a)")
        #expect(abs(r.model.specimenDisplacement - -78.77) < 5, "displacement \(r.model.specimenDisplacement) µm")
        #expect(abs(r.model.instrument.shl - 13.5 / 217.5) < 0.03 * 13.5 / 217.5, "SH/L \(r.model.instrument.shl)")
        #expect(r.statistics.rwp < 9.5, "Rwp \(r.statistics.rwp)")
        #expect(r.model.instrument.unphysicalProfile(over: setup.pattern.range) == nil)
    }

    /// Where the stated geometry is taken, and where not: a Debye–Scherrer model or `--ignore-stated-geometry`
    /// never takes it; a stated item that cannot be used is one line (file, line, item) only for a model that
    /// would take it; `calibrate` from a wavelength alone takes it and the pdCIF's 217.5 mm radius.
    @Test func statedGeometryOnlyWhereItIsUsed() throws {
        let original = try String(contentsOf: repositoryRoot.appendingPathComponent("patterns/nist-srm660c-lab6/nist_srm660c_100a.cif"), encoding: .utf8)
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("nist-broken-\(UUID().uuidString).cif")
        try original.replacingOccurrences(of: "_pd_instr_divg_ax_src/spec              6.776", with: "_pd_instr_divg_ax_src/spec              none")
            .write(to: broken, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: broken) }
        do {
            _ = try loadSetup(pattern: broken.path, phases: ["structures/LaB6.cif"], instrument: "patterns/nist-srm660c-lab6/start.instprm", geometry: .braggBrentano)
            Issue.record("a stated geometry that cannot be used was accepted")
        } catch {
            #expect("\(error)".contains("_pd_instr_divg_ax_src/spec 'none'") && "\(error)".contains("--ignore-stated-geometry"), "\(error)")
        }
        let ignored = try loadSetup(pattern: broken.path, phases: ["structures/LaB6.cif"], instrument: "patterns/nist-srm660c-lab6/start.instprm",
                                    geometry: .braggBrentano, statedGeometry: false)
        #expect(ignored.model.instrument.fullAxial == nil && ignored.notes.isEmpty)
        let capillary = try loadSetup(pattern: "patterns/nist-srm660c-lab6/nist_srm660c_100a.cif", phases: ["structures/LaB6.cif"],
                                      instrument: "patterns/nist-srm660c-lab6/start.instprm", geometry: .debyeScherrer)
        #expect(capillary.model.instrument.fullAxial == nil && capillary.notes.isEmpty)
        var job = CalibrationJob(pattern: repositoryPath("patterns/nist-srm660c-lab6/nist_srm660c_100a.cif"), standard: "LaB6:660c")
        job.wavelength = 1.5405929
        job.options.geometry = .braggBrentano
        let outcome = try job.run()
        #expect(outcome.setup.model.instrument.goniometerRadius == 217.5 && outcome.setup.model.instrument.fullAxial?.radius == 217.5)
        #expect(outcome.setup.notes.count == 1, "\(outcome.setup.notes)")
    }

    /// NIST SRM 660c by default from `axial.instprm`: the full axial model's geometry in the instrument file
    /// (the pdCIF's lengths, a 40 mm receiver), which the pattern's stated geometry does not replace. The
    /// default refines the Soller angle: a within 10 ppm of NIST's 4.156780 Å, a better fit than FCJ's 8.88 %,
    /// the displacement within 10 µm of NIST's −78.77 µm. With the Soller slits held at the file's 3.388° the
    /// same fit ends at Rwp 10.5 % and +34 ppm.
    @Test func nistLanthanumHexaborideFullAxialByDefault() throws {
        let (setup, r) = try nistByDefault(instrument: "axial.instprm")
        #expect(setup.model.instrument.fullAxial?.sollerAngle == 3.388 && setup.model.instrument.fullAxial?.receiverLength == 40)
        #expect(setup.notes.isEmpty)
        let a = r.model.phases[0].lattice(.a)
        #expect(abs(a - 4.156780) / 4.156780 < 10e-6, "a = \(a)")
        #expect(abs(r.model.specimenDisplacement - -78.77) < 10, "displacement \(r.model.specimenDisplacement) µm")
        #expect(r.statistics.rwp < 8.6, "Rwp \(r.statistics.rwp)")
        #expect(abs(rwpLaidOutAfresh(r) - r.statistics.rwp) < 0.001 * r.statistics.rwp)
    }

    /// NIST SRM 660c with the fundamental parameters its pdCIF states, the file marked a start: the default
    /// refines the FP's receiving slit, divergence and axial divergence with the cell. Slit and (S + H)/L come
    /// out within 10 % of the stated 0.2 mm and (7.5 + 6)/217.5; the fit is better than with the stated
    /// values held (Rwp 9.97 %). The divergence goes to about half the stated 1.05°, and a stays ~55 ppm above
    /// NIST's: the rest is in what NIST's model has beyond these terms and in where it places the emission lines
    /// (the tests below).
    @Test func nistLanthanumHexaborideFundamentalParametersStart() throws {
        let stated = try String(contentsOf: repositoryRoot.appendingPathComponent("patterns/nist-srm660c-lab6/nist-fp.instprm"), encoding: .utf8)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("nist-fp-start-\(UUID().uuidString).instprm")
        try ("#rietveld profile: start\n" + stated).write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (_, r) = try nistByDefault(instrument: file.path)
        let fp = try #require(r.model.instrument.fundamentalParameters)
        #expect(abs(fp.receivingSlit - 0.2) < 0.02, "slit \(fp.receivingSlit)")
        #expect(abs(fp.sOverL + fp.hOverL - 13.5 / 217.5) < 0.1 * 13.5 / 217.5, "(S + H)/L \(fp.sOverL + fp.hOverL)")
        #expect(r.statistics.rwp < 9.8, "Rwp \(r.statistics.rwp)")
        #expect(abs(r.model.phases[0].lattice(.a) - 4.156780) / 4.156780 < 100e-6, "a = \(r.model.phases[0].lattice(.a))")
    }

    /// NIST SRM 660c with a fundamental-parameters profile carrying what NIST's own FP model of this scan has
    /// beyond the pdCIF's stated slit, divergence and axial lengths (`nist-fp-full.instprm`, a start): NIST's
    /// Cu Kα spectrum (Mendenhall et al. 2017), the full axial model with Soller slits, and the tube tails
    /// whose shoulders stand ±0.3° around every peak of the measured block (and of NIST's calculated one). By
    /// default the slit, divergence, Soller angle and tails are refined with the cell: a within 15 ppm of
    /// NIST's 4.156780 Å (measured +10 ppm), the displacement within 5 µm of NIST's −78.77 µm, Rwp below 7.0 %
    /// (measured 6.9 %; NIST's own model has 6.05 %). The pdCIF's values with Cu Kα5 and FCJ gave +55 ppm and
    /// 9.7 %; without the tails the same file gives Rwp 8.6 %.
    @Test func nistLanthanumHexaborideFullFundamentalParameters() throws {
        let (_, r) = try nistByDefault(instrument: "nist-fp-full.instprm")
        let a = r.model.phases[0].lattice(.a)
        #expect(abs(a - 4.156780) / 4.156780 < 15e-6, "a = \(a)")
        #expect(abs(r.model.specimenDisplacement - -78.77) < 5, "displacement \(r.model.specimenDisplacement) µm")
        #expect(r.statistics.rwp < 7.0, "Rwp \(r.statistics.rwp)")
        let tails = try #require(r.model.instrument.fundamentalParameters?.tubeTails)
        #expect(tails.left < -0.5 && tails.right > 0.5 && tails.height > 0, "tails \(tails)")
        // The report lists what acts on these peaks: no U V W X Y Z, SH/L, (S + H)/L or microstrain rows.
        let reported = Set(RefinementReport.allParameters(r))
        #expect(reported.isDisjoint(with: [ProfileTerm.u, .w, .shl, .axialDivergence].map { ModelParameter.profile($0) } + [.microstrain(phase: 0)]))
        #expect(reported.isSuperset(of: [ProfileTerm.soller, .tailHeight].map { ModelParameter.profile($0) } + [.size(phase: 0)]))
    }

    /// The same FP file with LaB6's intensities free (Le Bail): Rwp below NIST's own FP fit of this scan (6.05 %
    /// with the same weights; measured 5.76 %), a still within 15 ppm (+9.6). Without the tube tails: 7.62 %.
    @Test func nistLanthanumHexaborideFundamentalParametersLeBail() throws {
        let setup = try loadSetup(pattern: "patterns/nist-srm660c-lab6/nist_srm660c_100a.cif", phases: ["structures/LaB6.cif"],
                                  instrument: "patterns/nist-srm660c-lab6/nist-fp-full.instprm", geometry: .braggBrentano, leBail: ["LaB6"])
        let r = Refiner.refine(setup.model, against: setup.pattern, stages: DefaultStrategy.stages(for: setup.model, backgroundTerms: 13),
                               settings: setup.settings)
        #expect(r.termination.isConverged, "\(r.termination)")
        #expect(r.statistics.rwp < 6.05, "Rwp \(r.statistics.rwp)")
        #expect(abs(r.model.phases[0].lattice(.a) - 4.156780) / 4.156780 < 15e-6, "a = \(r.model.phases[0].lattice(.a))")
    }

    /// NIST's calculated pattern of this scan (the pdCIF's `_calc` block: NIST's own FP model, noise-free, at
    /// a = 4.156780 Å) refined by default with LaB6's intensities free, from `nist-fp-linear.instprm`: NIST's
    /// convention of where the emission lines fall (`FP.dispersion:linear`) gives back its a within 1.5 ppm
    /// (measured +0.4) and its displacement within 3 µm (−76.6 against −78.77). Under Bragg's law per line
    /// (`nist-fp-full.instprm`) the same fit lands 7 ppm high: the lines NIST's model puts closer together at
    /// high angles pull our peaks down. The check fails with the convention ignored.
    @Test func nistCalculatedPatternUnderNISTsDispersion() throws {
        let setup = try loadSetup(pattern: "patterns/nist-srm660c-lab6/nist_srm660c_100a.cif", phases: ["structures/LaB6.cif"],
                                  instrument: "patterns/nist-srm660c-lab6/nist-fp-linear.instprm", geometry: .braggBrentano, leBail: ["LaB6"],
                                  block: "_calc")
        #expect(setup.model.instrument.fundamentalParameters?.dispersion == .linear)
        #expect(setup.notes.contains { $0.contains("FP.dispersion:linear") }, "\(setup.notes)")
        let r = Refiner.refine(setup.model, against: setup.pattern, stages: DefaultStrategy.stages(for: setup.model, backgroundTerms: 13),
                               settings: setup.settings)
        #expect(r.termination.isConverged, "\(r.termination)")
        let a = r.model.phases[0].lattice(.a)
        #expect(abs(a - 4.156780) / 4.156780 < 1.5e-6, "a = \(a)")
        #expect(abs(r.model.specimenDisplacement - -78.77) < 3, "displacement \(r.model.specimenDisplacement) µm")
    }

    /// The measured scan by default under NIST's convention (`nist-fp-linear.instprm`): a within 5 ppm of NIST's
    /// 4.156780 Å (the issue's aim for the FP path; measured +4.6), the displacement within 5 µm. Under Bragg's
    /// law per line (`nist-fp-full.instprm`, +10 ppm) the measured scan fits better (Rwp 6.88 against 7.01 %):
    /// the 5.5 ppm between the two is the linearization in NIST's model, not in the data.
    @Test func nistLanthanumHexaborideUnderNISTsDispersion() throws {
        let (setup, r) = try nistByDefault(instrument: "nist-fp-linear.instprm")
        #expect(setup.model.instrument.fundamentalParameters?.dispersion == .linear)
        let a = r.model.phases[0].lattice(.a)
        #expect(abs(a - 4.156780) / 4.156780 < 5e-6, "a = \(a)")
        #expect(abs(r.model.specimenDisplacement - -78.77) < 5, "displacement \(r.model.specimenDisplacement) µm")
        let (_, bragg) = try nistByDefault(instrument: "nist-fp-full.instprm")
        #expect(bragg.statistics.rwp < r.statistics.rwp, "Rwp \(bragg.statistics.rwp) (Bragg's law) vs \(r.statistics.rwp) (linear)")
    }

    /// The IUCr CPD QPA round robin, mixture 1g, against its published weighed composition (the CPD's "Weighed
    /// and Measured Values", 8 November 1999, used by Madsen et al., J. Appl. Cryst. 34 (2001) 409: corundum
    /// 31.37, zincite 34.21, fluorite 34.42 wt %; this test had zincite's and fluorite's swapped until December
    /// 2026). By default from the generic start file (profile refined on the mixture, kept physical by
    /// `PatternProblem.project`), and from a profile calibrated on the pure fluorite scan of the same
    /// instrument: fluorite and zincite within 1 wt %, corundum within 1.1 (it comes out ~1 wt % high in both by
    /// plain Hill & Howard). With each phase's intensity per unit mass measured on its own pure-phase scan, all
    /// three are within the issue's 1 wt %; Brindley's correction is checked against an independent
    /// computation, and the calibrations' esds against finite differences. The projection matters:
    /// without it the default ended at V −6.3, W 6.3 (no Gaussian near 90°), Rwp 12.1 %.
    @Test func quantitativePhaseAnalysisRoundRobin() throws {
        // corundum, fluorite, zincite (the order of `phases`), and how close each must come.
        let weighed = [0.3137, 0.3442, 0.3421], tolerance = [0.011, 0.01, 0.01]
        let phases = ["structures/corundum.cif", "structures/fluorite.cif", "structures/zincite.cif"]
        let start = try loadSetup(pattern: "patterns/qpa-roundrobin/cpd-1g.prn", phases: phases,
                                  instrument: "patterns/qpa-roundrobin/start.instprm", geometry: .braggBrentano)
        let byDefault = Refiner.refine(start.model, against: start.pattern, stages: DefaultStrategy.stages(for: start.model, backgroundTerms: 13),
                                       settings: start.settings)
        #expect(byDefault.termination.isConverged && byDefault.undetected.isEmpty, "\(byDefault.termination)")
        #expect(byDefault.model.instrument.unphysicalProfile(over: start.pattern.range) == nil)
        #expect(byDefault.statistics.rwp < 11, "Rwp \(byDefault.statistics.rwp)")
        let w = try byDefault.quantities().weightFractions
        for p in 0..<3 { #expect(abs(w[p]!.value - weighed[p]) < tolerance[p], "default: phase \(p) \(w[p]!.value) vs \(weighed[p])") }

        var job = CalibrationJob(pattern: repositoryPath("patterns/qpa-roundrobin/fluorite.prn"), standard: repositoryPath("structures/fluorite.cif"))
        job.instrument = repositoryPath("patterns/qpa-roundrobin/start.instprm")
        job.options.geometry = .braggBrentano
        let calibration = try job.run()
        #expect(calibration.rejection == nil, "\(calibration.rejection ?? "")")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qpa-fluorite-\(UUID().uuidString).instprm")
        try calibration.instrumentText.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let mixture = try loadSetup(pattern: "patterns/qpa-roundrobin/cpd-1g.prn", phases: phases, instrument: file.path, geometry: .braggBrentano)
        #expect(mixture.model.instrument.profileStatus == .calibrated)
        let r = Refiner.refine(mixture.model, against: mixture.pattern, stages: DefaultStrategy.stages(for: mixture.model, backgroundTerms: 13),
                               settings: mixture.settings)
        let wc = try r.quantities().weightFractions
        for p in 0..<3 { #expect(abs(wc[p]!.value - weighed[p]) < tolerance[p], "calibrated: phase \(p) \(wc[p]!.value) vs \(weighed[p])") }

        // Each phase's intensity per unit mass measured on its own pure-phase scan of the same instrument
        // (same profile file): with it every phase is within the issue's 1 wt % (corundum +0.52, fluorite
        // −0.22, zincite −0.30). The K's differ by what the structure models get wrong: corundum's is 1.6 %
        // above their mean, zincite's 1.4 % below.
        var calibrations: [Int: IntensityCalibration] = [:]
        for (p, name) in ["corundum", "fluorite", "zincite"].enumerated() {
            let pure = try loadSetup(pattern: "patterns/qpa-roundrobin/\(name).prn", phases: [phases[p]], instrument: file.path, geometry: .braggBrentano)
            let fit = Refiner.refine(pure.model, against: pure.pattern, stages: DefaultStrategy.stages(for: pure.model, backgroundTerms: 13),
                                     settings: pure.settings)
            #expect(fit.termination.isConverged, "\(name): \(fit.termination)")
            let k = try fit.intensityConstant(phase: 0)
            calibrations[p] = IntensityCalibration(constant: k.value, esd: k.esd, source: name)
        }
        let q = try r.quantities(QuantitativeAnalysis(intensityCalibrations: calibrations))
        for p in 0..<3 {
            let w = q.weightFractions[p]!
            #expect(abs(w.value - weighed[p]) < 0.01, "intensity-calibrated: phase \(p) \(w.value) vs \(weighed[p])")
            #expect(abs(q.uncorrectedWeightFractions[p]!.value - wc[p]!.value) < 1e-12)
        }
        // The calibrations' esds propagate as finite differences say: the variance they add to each estimate is
        // Σ_r (∂x/∂K_r σ_r)² — for the weight fractions, and with fluorite as an internal standard at its weighed
        // fraction, for the absolute fractions and the amorphous rest.
        var exact = calibrations
        for p in 0..<3 { exact[p] = IntensityCalibration(constant: calibrations[p]!.constant, esd: 0, source: "") }
        func estimates(_ c: [Int: IntensityCalibration]) throws -> [Estimate] {
            let q = try r.quantities(QuantitativeAnalysis(internalStandard: (1, weighed[1]), intensityCalibrations: c))
            return (0..<3).map { q.weightFractions[$0]! } + [q.absoluteWeightFractions[0]!, q.absoluteWeightFractions[2]!, q.amorphous!]
        }
        let total = try estimates(calibrations), fitOnly = try estimates(exact)
        var variance = [Double](repeating: 0, count: total.count)
        for k in 0..<3 {
            let c = calibrations[k]!, h = 1e-4 * c.constant
            var up = exact, down = exact
            up[k] = IntensityCalibration(constant: c.constant + h, esd: 0, source: "")
            down[k] = IntensityCalibration(constant: c.constant - h, esd: 0, source: "")
            let (plus, minus) = (try estimates(up), try estimates(down))
            for i in total.indices {
                let d = (plus[i].value - minus[i].value) / (2 * h)
                variance[i] += d * d * c.esd! * c.esd!
            }
        }
        for i in total.indices {
            let added = total[i].esd! * total[i].esd! - fitOnly[i].esd! * fitOnly[i].esd!
            #expect(variance[i] > 0 && abs(added - variance[i]) < 1e-3 * variance[i], "estimate \(i): \(added) vs \(variance[i])")
        }
        // Brindley's correction, 1 µm spheres for all three, against the same computed here from outside values:
        // each phase's μ/ρ from Chantler's totals at Cu Kα1 (xraydb: Al 48.274, O 10.926, Ca 168.855, F 15.090,
        // Zn 55.756 cm²/g) by mass fraction (IUPAC weights), τ = ∫ over the sphere of exp(−Δμ × the chord
        // through each point) by Simpson's rule, and the fractions iterated to W ∝ W⁰/τ(W).
        let massFractions: [[(Double, Double)]] = [[(0.52925, 48.274), (0.47075, 10.926)], [(0.51333, 168.855), (0.48667, 15.090)],
                                                   [(0.80340, 55.756), (0.19660, 10.926)]]
        let mu = (0..<3).map { p in massFractions[p].reduce(0) { $0 + $1.0 * $1.1 } * r.model.phases[p].structure.density }
        func tau(_ dmu: Double, radius: Double) -> Double {
            // Volume average over a sphere of exp(−Δμ 2R h), h = √(1 − ρ²/R²) the half-chord along the beam: 3∫₀¹ h² e^(−2ΔμR h) dh.
            let n = 2000, x = dmu * radius * 1e-4
            var sum = 0.0
            for i in 0...n {
                let h = Double(i) / Double(n)
                sum += h * h * exp(-2 * x * h) * (i == 0 || i == n ? 1 : (i % 2 == 1 ? 4 : 2))
            }
            return sum / Double(n)  // 3 × Simpson's (h/3) Σ with h = 1/n
        }
        let plain = (0..<3).map { wc[$0]!.value }
        var expected = plain
        for _ in 0..<100 {
            let volumes = (0..<3).map { expected[$0] / r.model.phases[$0].structure.density }
            let meanMu = (0..<3).reduce(0) { $0 + mu[$1] * volumes[$1] } / volumes.reduce(0, +)
            let raw = (0..<3).map { plain[$0] / tau(mu[$0] - meanMu, radius: 1) }
            expected = raw.map { $0 / raw.reduce(0, +) }
        }
        let brindley = try r.quantities(QuantitativeAnalysis(particleRadii: [0: 1, 1: 1, 2: 1]))
        for p in 0..<3 {
            let w = brindley.weightFractions[p]!.value
            #expect(abs(w - expected[p]) < 3e-4, "Brindley 1 µm: phase \(p) \(w) vs \(expected[p])")
            #expect(abs(brindley.microabsorption[p]!.mu - mu[p]) < 0.01 * mu[p], "μ of phase \(p): \(brindley.microabsorption[p]!.mu) vs \(mu[p])")
        }
        // Every phase or none: a calibration missing for one is refused.
        var partial = calibrations
        partial[2] = nil
        #expect(throws: CrystallographyError.self) { _ = try r.quantities(QuantitativeAnalysis(intensityCalibrations: partial)) }
    }

    /// A pattern that states its radiation (the UXD header: Cu Kα1 1.5406 Å) refined with an instrument file of
    /// another (Mo Kα1, 0.70926 Å): the setup says which wavelength is used, in one note; with the generic Cu
    /// file made from that header it says nothing.
    @Test func statedWavelengthThatDiffersIsSaid() throws {
        let mo = try loadSetup(pattern: "patterns/licoo2-powbase/LiCoO2.UXD", phases: ["structures/LiCoO2.cif"],
                               instrument: "patterns/gsas2-sim-linio2/MoKa1_capillary.instprm", geometry: .debyeScherrer)
        #expect(mo.notes.count == 1 && mo.notes[0].contains("LiCoO2.UXD states a wavelength of 1.5406 Å") && mo.notes[0].contains("0.70926 Å is used"), "\(mo.notes)")
        let cu = try loadSetup(pattern: "patterns/licoo2-powbase/LiCoO2.UXD", phases: ["structures/LiCoO2.cif"],
                               instrument: "patterns/licoo2-powbase/generic-cu.instprm", geometry: .braggBrentano)
        #expect(cu.notes.isEmpty, "\(cu.notes)")
    }

    /// PowBase's LiCoO2 scan (Bruker RAW/UXD, Cu Kα1/Kα2) over 32.76–86.56°, by default with a generic start file
    /// (λ and ratio from the UXD header, GSAS-II's default profile, `#rietveld profile: start`). The same scan
    /// and range were refined with GSAS-II by a human expert (Rwp 8.958 %) and by Bayesian optimisation of the
    /// refinement settings (8.447 %) — Ozaki et al., npj Comput. Mater. 6 (2020) 75, figures from their
    /// repository quantumbeam/BBO-Rietveld, `3_LiCoO2.ipynb`: the default must beat both, with a and c within
    /// 0.1 % of Orman & Wiseman's structure (a 2.8156, c 14.0542 Å; structures/LiCoO2.cif).
    @Test func lithiumCobaltOxideByDefault() throws {
        let r = try refine("patterns/licoo2-powbase/LiCoO2.UXD", "structures/LiCoO2.cif", "patterns/licoo2-powbase/generic-cu.instprm",
                           range: (32.76, 86.56), terms: 13)
        #expect(r.termination.isConverged && r.undetected.isEmpty, "\(r.termination)")
        #expect(r.statistics.rwp < 8.447, "Rwp \(r.statistics.rwp)")
        // Ours: 5.83 % with the start profile refined; 7.09 % when the generic profile is held as if calibrated.
        #expect(r.statistics.rwp < 6.5, "Rwp \(r.statistics.rwp)")
        expectCell(r, [(.a, 2.8156), (.c, 14.0542)], ppm: 1000, "LiCoO2")
        #expect(r.model.instrument.unphysicalProfile(over: 32.76...86.56) == nil)
        #expect(abs(rwpLaidOutAfresh(r) - r.statistics.rwp) < 0.001 * r.statistics.rwp)
    }

    /// The refined model's Rwp when its peaks are laid out afresh (windows and asymmetry quadrature chosen at
    /// the refined values, as a new evaluation of the result does).
    func rwpLaidOutAfresh(_ r: RefinementResult) -> Double {
        var model = r.model
        model.releasePeakLayout()
        let e = model.evaluate()
        return Statistics.compute(observed: r.pattern.intensity, calculated: e.calculated, background: e.background, weights: r.weights,
                                  parameters: r.parameters.count).rwp
    }

    /// The result's evaluation (handed over by the final stage's layout check) is the result model's own, to
    /// the last bit, profiles included.
    func expectEvaluationIsTheModels(_ r: RefinementResult) {
        let e = r.model.evaluate(recordingProfiles: true)
        #expect(e.calculated == r.evaluation.calculated && e.background == r.evaluation.background)
        #expect(e.reflectionProfiles.count == r.evaluation.reflectionProfiles.count
                && zip(e.reflectionProfiles, r.evaluation.reflectionProfiles).allSatisfy { $0.map(\.index) == $1.map(\.index) && $0.map(\.value) == $1.map(\.value) })
    }

    /// P2-NaxCoO2 (strong 00l preferred orientation) by default from a generic Cu start file: it converges,
    /// texture along 001 is found, and O z and the cell come within 0.004 and 0.1 % of the only refinement
    /// published with the data set — a TOPAS input in datalab-org/guillemot (a 2.832224, c 10.916868 Å, O z
    /// 0.0913, Rwp 2.91 %; a doubtful reference, see patterns/README) — with Rwp ≤ 3.3 % (issue 13's aim; ours
    /// 2.24 %), and the reported Rwp is that of the refined model laid out afresh. Before the final stage
    /// checked its peak layout it ended at 3.52 %: the windows frozen when SH/L was the file's 0.002 cut the
    /// long low-angle tail of 002 that SH/L 0.06 grows, and the "converged" model laid out afresh fitted with
    /// twice the χ².
    @Test func sodiumCobaltOxideByDefault() throws {
        let r = try refine("patterns/nacoo2-p2/KD1-2_5-90_30min.xy", "patterns/nacoo2-p2/nacoo2-p2-start.cif", "patterns/nacoo2-p2/generic-cu.instprm",
                           terms: 13)
        #expect(r.termination.isConverged && r.undetected.isEmpty, "\(r.termination)")
        #expect(r.model.phases[0].marchDollase < 0.7 && r.model.phases[0].textureAxis == MillerIndex(0, 0, 1))
        let o = try #require(r.model.phases[0].sites.firstIndex { r.model.phases[0].structure.atoms[$0[0]].label == "O1" })
        let z = r.model.value(of: .position(phase: 0, site: o, axis: 2))
        #expect(abs(z - 0.0913) < 0.004, "O z \(z)")
        expectCell(r, [(.a, 2.832224), (.c, 10.916868)], ppm: 1000, "NaCoO2")
        #expect(r.statistics.rwp <= 3.3, "Rwp \(r.statistics.rwp)")
        let fresh = rwpLaidOutAfresh(r)
        #expect(abs(fresh - r.statistics.rwp) < 0.001 * r.statistics.rwp, "Rwp \(r.statistics.rwp) as fitted, \(fresh) laid out afresh")
        expectEvaluationIsTheModels(r)
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
        // Zero and displacement both free: the report says their split is not the data's.
        let r0 = try #require(r.correlation(.zero, .specimenDisplacement))
        #expect(abs(r0) > 0.99 && r.cautions.contains(.offsetsCorrelated(r0)), "\(r.cautions)")
    }
}
