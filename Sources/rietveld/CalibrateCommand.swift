import ArgumentParser
import Crystallography
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Calibrate zero and the instrumental profile on a standard; write a GSAS-II .instprm.",
        discussion: """
            The standard's certified lattice parameter is held fixed (LaB6 SRM 660a/b/c, Si 640c–g, CeO2 674b, \
            Al2O3 676a: e.g. --standard LaB6:660b; without a number the newest LaB6 and Si 640f), or give a CIF. \
            Refined: zero (and specimen displacement for Bragg–Brentano), U, V, W, X, Y, SH/L and the \
            standard's Uiso; sample broadening is set to none so the profile is the instrument's.
            """)

    @Argument(help: "Pattern of the standard.")
    var pattern: String

    @Option(help: "LaB6|Si|CeO2|Al2O3[:SRM] or a CIF file of the standard (its cell is held fixed).")
    var standard: String

    @Option(help: "Starting instrument file (.instprm or .prm); default: the wavelength from --wavelength.")
    var instrument: String?

    @Option(help: "Wavelength in Å when no starting instrument file is given (single line).")
    var wavelength: Double?

    @OptionGroup var model: ModelOptions

    @Option(name: .customLong("background-terms"), help: "Number of Chebyshev background terms.")
    var backgroundTerms = 8

    @Option(help: "Pattern block of a powder CIF with several (part of its name).")
    var block: String?

    @Option(name: .shortAndLong, help: "Output .instprm file.")
    var output: String

    func validate() throws {
        guard instrument != nil || wavelength != nil else { throw ValidationError("give --instrument START.instprm or --wavelength Å") }
    }

    func run() throws {
        try reportingFailures {
            let structureURL: URL
            var temporary: URL?
            if let srm = StandardReferenceMaterial.named(standard) {
                let url = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-standard-\(ProcessInfo.processInfo.processIdentifier).cif")
                try TextFile.writeAtomically(StructureCIF.text(try srm.structure()), to: url)
                structureURL = url
                temporary = url
            } else if standard.lowercased().hasSuffix(".cif") {
                structureURL = URL(fileURLWithPath: standard)
            } else {
                throw UsageError("--standard \(standard): expected LaB6, Si, CeO2 or Al2O3 (optionally :SRM number, e.g. LaB6:660b, Si:640f) or a CIF file")
            }
            defer { if let t = temporary { try? FileManager.default.removeItem(at: t) } }
            var instrumentPath = instrument
            if instrumentPath == nil, let wavelength {
                let url = FileManager.default.temporaryDirectory.appendingPathComponent("rietveld-start-\(ProcessInfo.processInfo.processIdentifier).instprm")
                try TextFile.writeAtomically(InstrumentFile.text(Instrument(radiation: Radiation(wavelength: wavelength), u: 2, v: -1, w: 4, y: 1)), to: url)
                instrumentPath = url.path
            }
            var setup = try RefinementSetup.load(pattern: pattern, phase: structureURL.path, instrument: instrumentPath!,
                                                 geometry: model.geometry, muR: model.muR, convention: model.convention,
                                                 backgroundTerms: backgroundTerms, range: (nil, nil), block: block)
            setup.model.threads = model.threads
            Calibration.prepare(&setup.model)
            let stages = Calibration.stages(for: setup.model, backgroundTerms: backgroundTerms)
            let result = Refiner.refine(setup.model, against: setup.pattern, stages: stages, settings: setup.settings) { line in
                FileHandle.standardError.write(Data("  \(line)\n".utf8))
            }
            FileHandle.standardOutput.write(Data(RefinementTable.text(result).utf8))
            let s = result.statistics
            let comment = "calibrated by rietveld on \(setup.pattern.name) with \(setup.model.phases[0].structure.name) (a fixed at \(setup.model.phases[0].lattice(.a)) Å), Rwp \(String(format: "%.2f", s.rwp)) %"
            try TextFile.writeAtomically(InstrumentFile.text(result.model.instrument, comment: comment), to: URL(fileURLWithPath: output))
            FileHandle.standardOutput.write(Data("Wrote \(output)\(result.model.instrument.geometry == .braggBrentano ? String(format: " (specimen displacement %.1f µm is a property of this mount and is not stored)", result.model.specimenDisplacement) : "")\n".utf8))
        }
    }
}
