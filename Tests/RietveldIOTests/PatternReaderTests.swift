import FileSupport
import Foundation
import PowderDiffraction
@testable import RietveldIO
import Testing
import _TestSupport

/// Readers on the real files in patterns/ (copied from shared/data with provenance) and on malformed copies.
@Suite struct PatternReaderTests {
    func read(_ path: String) throws -> Pattern { try PatternFile.read(repositoryRoot.appendingPathComponent(path)) }

    func twoThetaOfMaximum(_ p: Pattern) -> Double { p.twoTheta[p.intensity.indices.max { p.intensity[$0] < p.intensity[$1] }!] }

    @Test func gsasStandardFilesFromTheTutorials() throws {
        // BANK 1 5753 576 CONST 1500 2 0 0 STD: 5753 points from 15.00° in steps of 0.02°.
        let fap = try read("patterns/fluorapatite/FAP.XRA")
        #expect(fap.count == 5753)
        #expect(abs(fap.twoTheta[0] - 15) < 1e-12 && abs(fap.twoTheta[1] - 15.02) < 1e-12 && abs(fap.twoTheta.last! - 130.04) < 1e-9)
        #expect(fap.intensity.prefix(3) == [609, 612, 673])
        #expect(abs(fap.sigma[0] - 609.0.squareRoot()) < 1e-12)
        let pbso4 = try read("patterns/pbso4/PBSO4.XRA")
        #expect(pbso4.count == 6001 && abs(pbso4.twoTheta.last! - 160) < 1e-9)
        // LaB6 on a Cu tube: the strongest line is 110 at 2θ = 2 asin(1.5406/(2·4.157/√2)) = 30.38°.
        let lab6 = try read("patterns/lab6-lab/NIST660CBI.gsas")
        #expect(lab6.count == 8378)
        #expect(abs(twoThetaOfMaximum(lab6) - 30.38) < 0.1)
    }

    @Test func brukerRawVersion3() throws {
        let p = try read("patterns/lab6-lab/LaB6_Jan2018.raw")
        #expect(p.count > 1000)
        #expect(zip(p.twoTheta, p.twoTheta.dropFirst()).allSatisfy { $0 < $1 })
        #expect(p.intensity.allSatisfy { $0 >= 0 })
        #expect(abs(twoThetaOfMaximum(p) - 30.38) < 0.15, "maximum at \(twoThetaOfMaximum(p))°")
    }

    @Test func powderCIFFromNIST() throws {
        let p = try read("patterns/nist-srm660c-lab6/nist_srm660c_100a.cif")
        // The _meas block: 5332 points from 20.3001° to 150.9081°, σ = 1/√weight.
        #expect(p.name.hasSuffix("_meas"))
        #expect(p.count == 5332)
        #expect(abs(p.twoTheta.first! - 20.3001) < 1e-4 && abs(p.twoTheta.last! - 150.9081) < 1e-3)
        let calc = try PatternFile.read(repositoryRoot.appendingPathComponent("patterns/nist-srm660c-lab6/nist_srm660c_100a.cif"), block: "_calc")
        #expect(calc.name.hasSuffix("_calc") && calc.count == 5332)
        // Cu Kα, LaB6 110 at 30.38°.
        #expect(abs(twoThetaOfMaximum(p) - 30.38) < 0.1)
        // The axial geometry its instrument block states (a block of its own, the file's only one): 12 mm
        // source, 15 mm beam, 6.776° axial divergence on both sides; both pattern blocks refer to it.
        let stated = StatedAxialGeometry(sourceLength: 12, sampleLength: 15, incidentDivergence: 6.776, diffractedDivergence: 6.776)
        #expect(p.stated.axial == stated && calc.stated.axial == stated && p.stated.radius == 217.5)
    }

    /// A pdCIF's axial items: all four or none stated (a placeholder states nothing); a value that is not a
    /// positive length or an angle below 90° leaves the pattern readable and says why the geometry cannot be
    /// used, in one line naming the file, its line and the item (an error only for a model that would use it).
    @Test(arguments: [("?", nil), ("2.5", "2.5"), ("none", "'none' is not a positive angle below 90°"), ("120", "'120' is not a positive angle below 90°")] as [(String, String?)])
    func powderCIFAxialItems(divergence: String, outcome: String?) throws {
        let text = """
            data_instrument
            _pd_instr_source_size_ax 12
            _pd_instr_beam_size_ax 15
            _pd_instr_divg_ax_src/spec \(divergence)
            _pd_instr_divg_ax_spec/detc 6
            _pd_instr_dist_spec/detc 217.5
            data_scan
            loop_
            _pd_meas_2theta_scan
            _pd_meas_counts_total
            20.0 10
            20.1 12
            20.2 11

            """
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("axial-\(UUID().uuidString).cif")
        try Data(text.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let p = try PatternFile.read(url)
        #expect(p.count == 3 && p.stated.radius == 217.5)
        switch outcome {
        case nil: #expect(p.stated.axial == nil && p.stated.axialProblem == nil)
        case "2.5"?: #expect(p.stated.axial?.incidentDivergence == 2.5 && p.stated.axialProblem == nil)
        case let mention?:
            let problem = p.stated.axialProblem ?? ""
            #expect(p.stated.axial == nil && problem.contains(url.lastPathComponent + ":4") && problem.contains("_pd_instr_divg_ax_src/spec")
                    && problem.contains(mention) && !problem.contains("\n"), "\(problem)")
        }
    }

    @Test func twoColumnFiles() throws {
        let nacoo2 = try read("patterns/nacoo2-p2/KD1-2_5-90_30min.xy")
        #expect(abs(nacoo2.twoTheta[0] - 5.00117) < 1e-9 && nacoo2.intensity[0] == 2492)
        #expect(abs(nacoo2.sigma[0] - 2492.0.squareRoot()) < 1e-12)
        let corundum = try read("patterns/qpa-roundrobin/corundum.prn")
        #expect(corundum.count == 7251 && corundum.twoTheta.first == 5 && abs(corundum.twoTheta.last! - 150) < 1e-9)
        let linio2 = try read("patterns/gsas2-sim-linio2/LiNiO2_sim.xye")
        #expect(linio2.count == 3001 && linio2.sigma[0] == 36.401)
    }

    static let malformed: [(name: String, content: String, mustMention: String)] = [
        ("empty.xy", "", "empty"),
        ("columns.xy", "5.0 10 1\n5.1 11 1\n5.2 12\n", ":3: expected 3 columns"),
        ("text.xy", "5.0 10\n5.1 eleven\n", ":2: column 2: 'eleven' is not a number"),
        ("nan.xye", "5.0 10 1\n5.1 nan 1\n", ":2: column 2 is nan"),
        ("decreasing.xy", "5.0 10\n4.9 11\n", ":2: 2θ = 4.9 does not increase"),
        ("truncated.gsa", "title\nBANK 1 20 2 CONST 1000 2 0 0 STD\n      10      11      12      13      14      15      16      17      18      19\n", "file ends after 10 of the 20 points"),
        ("unknown.dat", "this is a lab notebook\nnot a pattern\n", "unknown format"),
    ]

    @Test(arguments: malformed.indices)
    func malformedFilesEndWithOneClearLine(index: Int) throws {
        let (name, content, mention) = Self.malformed[index]
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-readers-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(content.utf8).write(to: url)
        do {
            _ = try PatternFile.read(url)
            Issue.record("\(name) was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains(name), "\(message)")
            #expect(message.contains(mention), "\(message)")
            #expect(!message.contains("\n"))
        }
    }

    @Test func truncatedRawFile() throws {
        let original = try Data(contentsOf: repositoryRoot.appendingPathComponent("patterns/lab6-lab/LaB6_Jan2018.raw"))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("truncated-\(ProcessInfo.processInfo.processIdentifier).raw")
        try original.prefix(2000).write(to: url)
        #expect(throws: FileError.self) { _ = try PatternFile.read(url) }
    }

    @Test func missingFileIsNamed() {
        #expect(throws: FileError.cannotRead(file: "/no/such/pattern.xy", reason: "no such file")) {
            _ = try PatternFile.read(URL(fileURLWithPath: "/no/such/pattern.xy"))
        }
    }
}

@Suite struct InstrumentFileTests {
    /// Parsing `text` fails with exactly `message` (file:line, what was expected).
    func expectRefusal(_ text: String, file: String, geometry: Geometry = .debyeScherrer, says message: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try InstrumentFile.parse(text, file: file, geometry: geometry)
            Issue.record("accepted", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)" == message, sourceLocation: sourceLocation)
        }
    }

    @Test func readsAndWritesInstprm() throws {
        let i = try InstrumentFile.read(repositoryRoot.appendingPathComponent("patterns/gsas2-sim-linio2/MoKa1_capillary.instprm"))
        #expect(i.radiation.wavelength == 0.70926 && i.radiation.secondWavelength == nil)
        #expect(i.u == 2 && i.v == -1 && i.w == 4 && i.x == 0 && i.y == 1 && i.shl == 0.002 && i.polarization == 0.5)
        let doublet = try InstrumentFile.read(repositoryRoot.appendingPathComponent("patterns/nist-srm660c-lab6/start.instprm"))
        #expect(doublet.radiation.secondWavelength == 1.5444274 && doublet.radiation.secondLineRatio == 0.5 && doublet.polarization == 0.556)
        let back = try InstrumentFile.parse(InstrumentFile.text(doublet), file: "round-trip")
        #expect(back == doublet)
    }

    /// What GSAS-II's own writer (`WriteInstprm`) puts in a file: the sample items `Diff-type`, `Gonio. radius` and
    /// `InstrName` after the profile, one item per line. The radius is read (GSAS-II drops spaces, so
    /// `Gonio.radius` is the same key), a radius-less file takes GSAS-II's 200 mm, a geometry that contradicts
    /// the command's is one clear line.
    @Test func readsGSASIIWrittenSampleItems() throws {
        let written = """
            #GSAS-II instrument parameter file; do not add/delete items!
            Type:PXC
            Bank:1.0
            Lam1:1.5405929
            Lam2:1.5444274
            Zero:0.0
            Polariz.:0.556
            Azimuth:0.0
            I(L2)/I(L1):0.5
            U:2.0
            V:-2.0
            W:5.0
            X:0.5
            Y:2.0
            Z:0.0
            SH/L:0.01
            Diff-type:Bragg-Brentano
            Gonio. radius:217.5
            InstrName:NIST DBD
            """
        let i = try InstrumentFile.parse(written, file: "gsas2.instprm", geometry: .braggBrentano)
        #expect(i.goniometerRadius == 217.5 && i.radiation.secondWavelength == 1.5444274 && i.shl == 0.01)
        #expect(try InstrumentFile.parse("Type:PXC\nLam:1.54;Gonio.radius:173\n", file: "f").goniometerRadius == 173)
        #expect(try InstrumentFile.parse("Type:PXC\nLam:1.54\n", file: "f").goniometerRadius == 200)
        #expect(try InstrumentFile.parse(InstrumentFile.text(i), file: "round-trip", geometry: .braggBrentano) == i)
        expectRefusal(written, file: "gsas2.instprm", geometry: .debyeScherrer, says: "gsas2.instprm:17: the file is for bragg-brentano (Diff-type) but the refinement is debye-scherrer; give --geometry bragg-brentano")
        #expect(throws: FileError.self) { _ = try InstrumentFile.parse("Type:PXC\nLam:1.54\nGonio. radius:-5\n", file: "f") }
        #expect(throws: FileError.self) { _ = try InstrumentFile.parse("Type:PXC\nLam:1.54\nDiff-type:Transmission\n", file: "f") }
        // This project's S/L apart from H/L: read, written back, and refused when it leaves no H/L.
        let apart = try InstrumentFile.parse("Type:PXC\nLam:1.54;SH/L:0.05;S/L:0.02\n", file: "f")
        #expect(apart.sOverL == 0.02 && apart.axialRatios.hOverL == 0.05 - 0.02)
        #expect(try InstrumentFile.parse(InstrumentFile.text(apart), file: "round-trip") == apart)
        #expect(try InstrumentFile.parse("Type:PXC\nLam:1.54;SH/L:0.05\n", file: "f").sOverL == nil)
        #expect(throws: FileError.self) { _ = try InstrumentFile.parse("Type:PXC\nLam:1.54;SH/L:0.05;S/L:0.05\n", file: "f") }
        // The full axial model's geometry: lengths with the file's radius, Soller slits optional.
        let axial = try InstrumentFile.parse("Type:PXC\nLam:1.54\nGonio. radius:217.5\nAxial.source:12;Axial.sample:15;Axial.receiver:15;Axial.primarySoller:3.4\n",
                                             file: "f")
        #expect(axial.fullAxial == AxialGeometry(radius: 217.5, sourceLength: 12, sampleLength: 15, receiverLength: 15, primarySoller: 3.4))
        #expect(try InstrumentFile.parse(InstrumentFile.text(axial), file: "round-trip") == axial)
        expectRefusal("Type:PXC\nLam:1.54\nAxial.source:12;Axial.sample:15\n", file: "h.instprm", says: "h.instprm:3: the full axial model needs Axial.source, Axial.sample and Axial.receiver, each a positive length in mm")
    }

    /// What a profile is worth: unmarked files (GSAS-II's, users' calibrations) are calibrated, `#rietveld profile:
    /// start` marks a generic start, what `calibrate` writes says calibrated; the mark survives a write and a
    /// read, and a mark with another word is one clear line.
    @Test func profileStatusMark() throws {
        #expect(try InstrumentFile.parse("Type:PXC\nLam:1.54\n", file: "f").profileStatus == .calibrated)
        let start = try InstrumentFile.read(repositoryRoot.appendingPathComponent("patterns/nist-srm660c-lab6/start.instprm"), geometry: .braggBrentano)
        #expect(start.profileStatus == .start)
        #expect(try InstrumentFile.parse(InstrumentFile.text(start), file: "round-trip", geometry: .braggBrentano) == start)
        var calibrated = start
        calibrated.profileStatus = .calibrated
        let text = InstrumentFile.text(calibrated, provenance: "on LaB6.xy with LaB6")
        #expect(text.split(separator: "\n")[1] == "#rietveld profile: calibrated on LaB6.xy with LaB6")
        #expect(try InstrumentFile.parse(text, file: "f", geometry: .braggBrentano).profileStatus == .calibrated)
        expectRefusal("#rietveld profile: guessed\nType:PXC\nLam:1.54\n", file: "g.instprm", says: "g.instprm:1: '#rietveld profile: guessed': expected '#rietveld profile: start' or '#rietveld profile: calibrated'")
    }

    @Test func legacyGSASInstrumentFile() throws {
        // INST_XRY.PRM: Cu Kα1/Kα2 1.5405/1.5443, polarization 0.7, ratio 0.5, GU GV GW = 2, −2, 5,
        // LX LY = 0, 0, S/L = H/L = 0.015.
        let i = try InstrumentFile.read(repositoryRoot.appendingPathComponent("patterns/fluorapatite/INST_XRY.PRM"), geometry: .braggBrentano)
        #expect(i.radiation.wavelength == 1.5405 && i.radiation.secondWavelength == 1.5443 && i.radiation.secondLineRatio == 0.5)
        #expect(i.polarization == 0.7 && i.u == 2 && i.v == -2 && i.w == 5 && i.x == 0 && i.y == 0 && abs(i.shl - 0.03) < 1e-12)
        #expect(i.geometry == .braggBrentano)
    }

    @Test func fundamentalParametersKeysRoundTrip() throws {
        let i = try InstrumentFile.read(repositoryRoot.appendingPathComponent("patterns/nist-srm660c-lab6/nist-fp.instprm"))
        let fp = try #require(i.fundamentalParameters)
        #expect(fp.radius == 217.5 && fp.receivingSlit == 0.2 && fp.equatorialDivergence == 1.05)
        #expect(abs(fp.sOverL - 7.5 / 217.5) < 1e-15 && abs(fp.hOverL - 6 / 217.5) < 1e-15)
        // The goniometer is the FP's: displacements in real µm with its 217.5 mm (the file states no Gonio. radius).
        #expect(i.goniometerRadius == 217.5)
        let back = try InstrumentFile.parse(InstrumentFile.text(i), file: "round-trip")
        #expect(back.fundamentalParameters == fp && back.goniometerRadius == 217.5)
        #expect(throws: FileError.self) { _ = try InstrumentFile.parse("Type:PXC\nLam:1.54\nFP.emission:MoKa3\n", file: "bad.instprm") }
        // NIST's spectrum, the full axial geometry and tube tails: read, and written back as read.
        let full = try InstrumentFile.read(repositoryRoot.appendingPathComponent("patterns/nist-srm660c-lab6/nist-fp-full.instprm"))
        let f = try #require(full.fundamentalParameters)
        #expect(f.emission == FundamentalParameters.copperKAlphaMendenhall && full.radiation.wavelength == 1.5405925)
        #expect(f.tubeTails == .init(mainWidth: 0.04, left: -1, right: 1, height: 0.001) && full.fullAxial?.receiverLength == 12)
        // The terms that act on its peaks (what the table and JSON list): not U V W X Y Z, SH/L or (S + H)/L.
        #expect(full.profileTerms == [.soller, .receivingSlit, .divergence, .tailLeft, .tailRight, .tailHeight])
        #expect(i.profileTerms == [.receivingSlit, .divergence, .axialDivergence])
        let axial = try InstrumentFile.read(repositoryRoot.appendingPathComponent("patterns/nist-srm660c-lab6/axial.instprm"))
        #expect(axial.profileTerms == [.u, .v, .w, .x, .y, .z, .soller])
        let again = try InstrumentFile.parse(InstrumentFile.text(full), file: "round-trip")
        #expect(again.fundamentalParameters == f && again.fullAxial == full.fullAxial)
        expectRefusal("Type:PXC\nLam:1.54\nFP.emission:CuKa5;FP.tailMain:0.04;FP.tailLeft:0.5;FP.tailRight:1;FP.tailHeight:0.001\n", file: "tails.instprm",
                      says: "tails.instprm:3: tube tails need FP.tailMain > 0, FP.tailLeft ≤ 0, FP.tailRight ≥ 0 (mm) and FP.tailHeight ≥ 0")
        // Where the emission lines fall: Bragg's law unless the file says linear (NIST's convention), kept on the way back.
        #expect(f.dispersion == .exact)
        let linear = try InstrumentFile.read(repositoryRoot.appendingPathComponent("patterns/nist-srm660c-lab6/nist-fp-linear.instprm"))
        let l = try #require(linear.fundamentalParameters)
        #expect(l.dispersion == .linear && l.emission == f.emission && l.tubeTails == f.tubeTails)
        #expect(try InstrumentFile.parse(InstrumentFile.text(linear), file: "round-trip").fundamentalParameters == l)
        // An analyser's passband: read, written back, and refused out of range or without its width.
        let banded = try InstrumentFile.parse("Type:PXC\nLam:1.54\nFP.emission:CuKa5;FP.passbandWidth:0.02;FP.passbandOffset:-0.001\n", file: "p.instprm")
        #expect(banded.fundamentalParameters?.passband == .init(width: 0.02, offset: -0.001))
        #expect(try InstrumentFile.parse(InstrumentFile.text(banded), file: "round-trip").fundamentalParameters == banded.fundamentalParameters)
        #expect(try InstrumentFile.parse("Type:PXC\nLam:1.54\nFP.emission:CuKa5;FP.passbandWidth:0.02\n", file: "p.instprm").fundamentalParameters?.passband?.offset == 0)
        expectRefusal("Type:PXC\nLam:1.54\nFP.emission:CuKa5;FP.passbandWidth:0\n", file: "p.instprm",
                      says: "p.instprm:3: FP.passbandWidth must be a relative width (Δλ/λ) from 0.0001 to 0.5")
        // Below the refinement's bound too: a width the refinement could not start from.
        expectRefusal("Type:PXC\nLam:1.54\nFP.emission:CuKa5;FP.passbandWidth:5e-5\n", file: "p.instprm",
                      says: "p.instprm:3: FP.passbandWidth must be a relative width (Δλ/λ) from 0.0001 to 0.5")
        expectRefusal("Type:PXC\nLam:1.54\nFP.emission:CuKa5;FP.passbandWidth:0.02;FP.passbandOffset:0.2\n", file: "p.instprm",
                      says: "p.instprm:3: FP.passbandOffset must be a relative offset (Δλ/λ) from -0.05 to 0.05")
        expectRefusal("Type:PXC\nLam:1.54\nFP.emission:CuKa5;FP.passbandOffset:0.001\n", file: "p.instprm",
                      says: "p.instprm:3: FP.passbandOffset needs FP.passbandWidth (the passband's FWHM, Δλ/λ)")
        expectRefusal("Type:PXC\nLam:1.54\nFP.emission:CuKa5;FP.dispersion:quadratic\n", file: "d.instprm",
                      says: "d.instprm:3: FP.dispersion 'quadratic' is not known (expected exact or linear)")
        expectRefusal("Type:PXC\nLam:1.54\nFP.dispersion:linear\n", file: "d.instprm",
                      says: "d.instprm:3: FP.dispersion belongs to a fundamental-parameters profile, and the file has no FP.emission")
        expectRefusal("Type:PXC\nLam:1.54\nU:1\nFP.passbandWidth:0.02;FP.radius:217.5\n", file: "d.instprm",
                      says: "d.instprm:4: FP.passbandWidth belongs to a fundamental-parameters profile, and the file has no FP.emission")
        expectRefusal("Type:PXC\nLam:1.54\nFP.emission:CuKa5;FP.dispersion:linear\nFP.dispersion:exact\n", file: "d.instprm",
                      says: "d.instprm:4: FP.dispersion is given twice (lines 3 and 4); which one is meant?")
        expectRefusal("Type:PXC\nLam:1.54\nFP.emission:CuKa5\nFP.emission:CuKa-Mendenhall2017\n", file: "d.instprm",
                      says: "d.instprm:4: FP.emission is given twice (lines 3 and 4); which one is meant?")
    }

    @Test func badValuesAreNamed() {
        expectRefusal("Type:PXC\nLam:0.7;U:two\n", file: "bad.instprm", says: "bad.instprm:2: U = 'two' is not a number")
        #expect(throws: FileError.self) { _ = try InstrumentFile.parse("Type:PXC\nU:1\n", file: "nolambda.instprm") }
        #expect(throws: FileError.self) { _ = try InstrumentFile.parse("Type:PNT\nLam:1.5\n", file: "neutron.instprm") }
    }

    /// The column reader's in-place decimal parser gives bit for bit the double glibc's strtod gives, on
    /// random plain decimals of every length it accepts and on the forms it hands over to strtod.
    @Test func shortDecimalsAreExactlyWhatStrtodReads() {
        var generator = SystemRandomNumberGenerator()
        var texts = ["0", "-0", "+7", "5.00000", "1325.0", "36.401", "0.1", "0.3", ".5", "5.", "123456789012345",
                     "0.000000000000001", "9007199254740993", "1e5", "2.5E-3", "0x1p3", "nan", "inf", "1234567890123456", "-",
                     "0.30000000000000004", "99999999999999.9", "7:5", "3.0/2", "12 5", "1.2.3", "-.25", "+0.5e"]
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...15, using: &generator)
            var t = (0..<digits).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
            let point = Int.random(in: 0...digits, using: &generator)
            t.insert(".", at: t.index(t.startIndex, offsetBy: point))
            texts.append(Bool.random(using: &generator) ? "-" + t : t)
        }
        var fast = 0
        for text in texts {
            var bytes = Array(text.utf8CString)
            bytes.withUnsafeMutableBufferPointer { b in
                let start = b.baseAddress!, end = start + text.utf8.count
                var stop: UnsafeMutablePointer<CChar>?
                let reference = strtod(start, &stop)
                if let (value, next) = FastColumns.shortDecimal(start, end) {
                    fast += 1
                    #expect(value.bitPattern == reference.bitPattern, "\(text): \(value) vs strtod \(reference)")
                    #expect(next == stop, "\(text): stops at a different byte")
                }
            }
        }
        // Everything random is a plain decimal; exponents, hex, nan, inf, 16+ digits and a bare sign are not.
        #expect(fast >= 20_000 && fast < texts.count)
        for text in ["1e5", "2.5E-3", "0x1p3", "nan", "inf", "1234567890123456", "9007199254740993", "-"] {
            var bytes = Array(text.utf8CString)
            let n = text.utf8.count
            #expect(bytes.withUnsafeMutableBufferPointer { FastColumns.shortDecimal($0.baseAddress!, $0.baseAddress! + n) } == nil, "\(text)")
        }
    }
}
