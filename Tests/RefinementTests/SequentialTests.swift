import Crystallography
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO
import Testing
import Workflow
import _TestSupport

@Suite struct SequentialTests {
    struct SeriesTruth: Decodable { let a: Double, c: Double, V: Double, file: String }

    /// The 20-pattern series GSAS-II simulated (cell shrinking by up to 7.8 %): chained refinement recovers a,
    /// c and V of every pattern within 3 esd of the truth. GSAS-II itself stopped in a false minimum on
    /// pattern 15 (Rwp 3.63 %): a reflection that the start cell puts just inside 50° and the refined cell
    /// moves out; the reflection list is regenerated per stage here.
    @Test func operandoSeriesWithinThreeEsd() throws {
        let folder = repositoryRoot.appendingPathComponent("patterns/gsas2-sim-linio2")
        let truth = try JSONDecoder().decode([SeriesTruth].self, from: Data(contentsOf: folder.appendingPathComponent("series_truth.json")))
        let files = try NaturalOrder.patternFiles([folder.appendingPathComponent("series").path])
        #expect(files.count == 20)
        let setup = try loadSetup(pattern: "patterns/gsas2-sim-linio2/series/LNO_seq_00.xye", phases: ["patterns/gsas2-sim-linio2/LiNiO2_start.cif"],
                                  instrument: "patterns/gsas2-sim-linio2/MoKa1_capillary.instprm", convention: .gsas2)
        var chain = SequentialChain(template: setup.model, stages: DefaultStrategy.stages(for: setup.model, backgroundTerms: 13), options: SequentialOptions())
        var rows: [SequentialRow] = []
        for (i, file) in files.enumerated() { rows.append(chain.refine(try PatternFile.read(URL(fileURLWithPath: file)), index: i, file: file)) }
        #expect(rows.count == 20)
        for row in rows {
            let t = truth[row.index]
            #expect(row.file.hasSuffix(t.file))
            let cell = row.result.cell(phase: 0)
            for (name, e, value) in [("a", cell[.a], t.a), ("c", cell[.c], t.c), ("V", cell.volume, t.V)] {
                #expect(abs(e.value - value) <= 3 * e.esd!, "pattern \(row.index) \(name): \(e.value) ± \(e.esd!) vs \(value)")
            }
            #expect(!row.flagged, "pattern \(row.index) flagged: \(row.reasonText)")
            #expect(row.result.statistics.rwp < 3.1, "pattern \(row.index) Rwp \(row.result.statistics.rwp)")
        }
    }

    /// A series that stops and turns back (patterns 17, 18, 19, 19, 18, 17 of the GSAS-II series, as an operando
    /// run does at the end of charge): every row within 3 esd of the truth, and the repeated pattern starts from
    /// the last result — the best-fitting start — so its first proposed step is already below the tolerances
    /// (one cycle; the straight-line extrapolation overshot there and took 9).
    @Test func seriesThatTurnsBack() throws {
        let folder = repositoryRoot.appendingPathComponent("patterns/gsas2-sim-linio2")
        let truth = try JSONDecoder().decode([SeriesTruth].self, from: Data(contentsOf: folder.appendingPathComponent("series_truth.json")))
        let files = try NaturalOrder.patternFiles([folder.appendingPathComponent("series").path])
        let setup = try loadSetup(pattern: "patterns/gsas2-sim-linio2/series/LNO_seq_17.xye", phases: ["patterns/gsas2-sim-linio2/LiNiO2_start.cif"],
                                  instrument: "patterns/gsas2-sim-linio2/MoKa1_capillary.instprm", convention: .gsas2)
        var chain = SequentialChain(template: setup.model, stages: DefaultStrategy.stages(for: setup.model, backgroundTerms: 13), options: SequentialOptions())
        let order = [17, 18, 19, 19, 18, 17]
        var rows: [SequentialRow] = []
        for (i, k) in order.enumerated() { rows.append(chain.refine(try PatternFile.read(URL(fileURLWithPath: files[k])), index: i, file: files[k])) }
        for (row, k) in zip(rows, order) {
            let cell = row.result.cell(phase: 0)
            for (name, e, value) in [("a", cell[.a], truth[k].a), ("c", cell[.c], truth[k].c)] {
                #expect(abs(e.value - value) <= 3 * e.esd!, "pattern \(k) \(name): \(e.value) ± \(e.esd!) vs \(value)")
            }
            #expect(!row.flagged && row.retries == 0, "pattern \(k): \(row.reasonText)")
        }
        #expect(rows[3].result.iterations == 1, "the repeated pattern took \(rows[3].result.iterations) cycles")
    }

    @Test func naturalOrder() {
        let names = ["p_10.xy", "p_2.xy", "p_1.xy", "p_02b.xy", "q.xy"]
        #expect(names.sorted(by: NaturalOrder.less) == ["p_1.xy", "p_2.xy", "p_02b.xy", "p_10.xy", "q.xy"])
        // Digit runs longer than an Int, leading zeros (equal numbers: the shorter run first), a name that is
        // another's prefix, letters past ASCII (code point order: é after f).
        let more = ["s_100000000000000000000.xy", "s_99999999999999999999.xy", "s_10.xy", "s_007.xy", "s_009.xy", "s_7.xy", "s_07.xy", "s", "s_",
                    "é.xy", "f.xy"]
        #expect(more.sorted(by: NaturalOrder.less) == ["f.xy", "s", "s_", "s_7.xy", "s_07.xy", "s_007.xy", "s_009.xy", "s_10.xy", "s_99999999999999999999.xy",
                                                        "s_100000000000000000000.xy", "é.xy"])
    }
}

@Suite struct CalibrationTests {
    /// Calibrating on NIST's SRM 660c pattern (certified a fixed) gives zero, displacement and profile that,
    /// used to refine the same pattern with a free, return a within 0.0002 Å of NIST's value for this data set.
    /// With the full axial model the Soller angle is calibrated in place of SH/L and written to the file (V
    /// ends on its limit, where the Gaussian variance touches zero at 150.908°, its last point: the file is still written).
    @Test(arguments: ["start.instprm", "axial.instprm"]) func nistLanthanumHexaboride(instrument: String) throws {
        let srm = try #require(StandardReferenceMaterial.named("LaB6:660c"))
        #expect(srm.a == 4.156826)
        var job = CalibrationJob(pattern: repositoryPath("patterns/nist-srm660c-lab6/nist_srm660c_100a.cif"), standard: "LaB6:660c")
        job.instrument = repositoryPath("patterns/nist-srm660c-lab6/" + instrument)
        job.options.geometry = .braggBrentano
        job.options.backgroundTerms = 8
        let outcome = try job.run()
        let calibrated = outcome.result
        #expect(calibrated.statistics.rwp < 10)
        #expect(calibrated.model.phases[0].lattice(.a) == 4.156826)
        #expect(outcome.rejection == nil, "\(outcome.rejection ?? "")")
        if let axial = calibrated.model.instrument.fullAxial {
            #expect(axial.sollerAngle != 3.388 && outcome.instrumentText.contains("Axial.primarySoller:\(axial.sollerAngle)"), "\(outcome.instrumentText)")
        }
        // Refine again with a free, starting from a 0.1 % larger cell.
        var model = calibrated.model
        try model.setValue(4.156826 * 1.001, for: .lattice(phase: 0, .a))
        let stage = RefinementStage(name: "cell", parameters: (0..<8).map { .background(term: $0) } + [.scale(phase: 0), .lattice(phase: 0, .a), .specimenDisplacement])
        let r = Refiner.refine(model, against: outcome.setup.pattern, stages: [stage])
        #expect(abs(r.model.phases[0].lattice(.a) - 4.156780) < 0.0002, "a = \(r.model.phases[0].lattice(.a))")
    }

    /// With a fundamental-parameters instrument the calibration refines the FP's slit, divergence and axial
    /// divergence (it refined U V W X Y and SH/L, which have no effect there: singular, nothing written) and
    /// writes them; the displacement is in real µm with the FP's 217.5 mm radius.
    @Test func fundamentalParametersCalibration() throws {
        var job = CalibrationJob(pattern: repositoryPath("patterns/nist-srm660c-lab6/nist_srm660c_100a.cif"), standard: "LaB6:660c")
        job.instrument = repositoryPath("patterns/nist-srm660c-lab6/nist-fp.instprm")
        job.options.geometry = .braggBrentano
        let outcome = try job.run()
        #expect(outcome.rejection == nil, "\(outcome.rejection ?? "")")
        let fp = try #require(outcome.result.model.instrument.fundamentalParameters)
        #expect(fp.receivingSlit != 0.2 && fp.equatorialDivergence != 1.05 && outcome.instrumentText.contains("FP.receivingSlit:\(fp.receivingSlit)"))
        #expect(outcome.result.model.instrument.goniometerRadius == 217.5)
    }

    /// Name resolution (the certified values themselves are checked against NIST's own pattern above): a
    /// material alone means its latest SRM, names are case-insensitive, an unknown SRM or material is nil.
    @Test func standardsByName() {
        let named = StandardReferenceMaterial.named
        #expect(named("Si")?.srm == "640f" && named("Si")?.a == named("Si:640f")?.a)
        #expect(named("lab6")?.srm == "660c" && named("LAB6:660C")?.a == named("LaB6:660c")?.a)
        #expect(named("Si:640c")?.srm == "640c" && named("Si:640c")?.a != named("Si")?.a)
        #expect(named("CeO2")?.srm == "674b")
        #expect(named("NaCl") == nil && named("Si:999z") == nil)
    }
}
