import ArgumentParser
import FileSupport
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO
import Workflow

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Calibrate zero and the instrumental profile on a standard; write a GSAS-II .instprm.",
        discussion: """
            The standard's certified lattice parameter is held fixed (LaB6 SRM 660a/b/c, Si 640c–g, CeO2 674b, \
            Al2O3 676a: e.g. --standard LaB6:660b; without a number the newest LaB6 and Si 640f), or give a CIF. \
            Refined: zero (and specimen displacement for Bragg–Brentano), U, V, W, X, Y, SH/L (the Soller \
            angle with a full axial geometry: the instrument file's Axial.* keys, or the one a powder CIF \
            states) and the standard's Uiso; a fundamental-parameters file's slit, divergence, axial terms and \
            tube tails instead of U … SH/L. Sample broadening is set to none so the profile is the instrument's. An impurity \
            in the standard can be given with --phase (its scale, cell, size and strain refine). No file is \
            written when the fit failed or does not describe the standard (exit code 3).
            """)

    @Argument(help: "Pattern of the standard.")
    var pattern: String

    @Option(help: "LaB6|Si|CeO2|Al2O3[:SRM] or a CIF file of the standard (its cell is held fixed).")
    var standard: String

    @Option(name: .customLong("phase"), help: ArgumentHelp("An impurity phase [NAME=]FILE.cif in the standard (repeatable).", valueName: "[NAME=]FILE"))
    var phases: [String] = []

    @Option(help: "Starting instrument file (.instprm or .prm); default: the wavelength from --wavelength.")
    var instrument: String?

    @Option(help: "Wavelength in Å when no starting instrument file is given (single line).")
    var wavelength: Double?

    @OptionGroup var model: ModelArguments

    @Option(name: .customLong("background-terms"), help: "Number of Chebyshev background terms (1–40).")
    var backgroundTerms = 8

    @Option(help: "Pattern block of a powder CIF with several (part of its name).")
    var block: String?

    @Option(name: .shortAndLong, help: "Output .instprm file.")
    var output: String

    @OptionGroup var statedGeometry: StatedGeometryArguments

    @Flag(help: "Do not print stage progress.")
    var quiet = false

    func validate() throws {
        guard instrument != nil || wavelength != nil else { throw ValidationError("give --instrument START.instprm or --wavelength Å") }
        if let wavelength { guard wavelength > 0.1, wavelength < 5 else { throw ValidationError("--wavelength must lie between 0.1 and 5 Å") } }
        guard (1...40).contains(backgroundTerms) else { throw ValidationError("--background-terms must be between 1 and 40") }
    }

    func run() throws {
        var rejection: String?
        try reportingFailures {
            var job = CalibrationJob(pattern: pattern, standard: standard)
            job.impurities = try phases.map { try PhaseInput(argument: $0) }
            job.instrument = instrument
            job.wavelength = wavelength
            job.options = model.options
            job.options.backgroundTerms = backgroundTerms
            job.options.block = block
            job.options.useStatedGeometry = !statedGeometry.ignore
            let outcome = try job.run(events: ProgressLines(quiet: quiet).callback { _ in "" })
            let report = RefinementReportInput(result: outcome.result, phaseFiles: [standard] + phases, quantities: nil, notes: outcome.setup.notes)
            StandardStreams.out(RefinementText.text(report))
            if let why = outcome.rejection {
                rejection = why
                return
            }
            try OutputFile.write(Data(outcome.instrumentText.utf8), to: output)
            let r = outcome.result
            StandardStreams.out("Wrote \(output)\(r.model.instrument.geometry == .braggBrentano ? String(format: " (specimen displacement %.1f µm is a property of this mount and is not stored)", r.model.specimenDisplacement) : "")\n")
        }
        if let rejection { throw notConverged("\(output) not written: \(rejection)") }
    }
}
