import ArgumentParser
import Crystallography
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO

struct RefineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refine",
        abstract: "Rietveld refinement of one pattern with the default staged strategy.",
        discussion: """
            Stages: scale and background → zero and cell with broadened peaks (2θ ≤ 60°) → cell, size and \
            strain → coordinates, Uiso per site and cation mixing → all together. esds are √(C_ii·χ²_red) \
            as GSAS-II reports them; V and c/a take their esds from the covariance of a and c.
            """)

    @Argument(help: "Pattern file (xy, xye, GSAS, powder CIF).")
    var pattern: String

    @OptionGroup var inputs: PhaseInputs

    @OptionGroup var model: ModelOptions

    @Option(name: .customLong("two-theta-min"), help: "Lowest 2θ fitted (degrees).")
    var twoThetaMin: Double?

    @Option(name: .customLong("two-theta-max"), help: "Highest 2θ fitted (degrees).")
    var twoThetaMax: Double?

    @Option(help: "Recipe file (TOML): stages, parameters, bounds, start values, excluded regions, settings.")
    var recipe: String?

    @Option(help: "Pattern block of a powder CIF with several (part of its name).")
    var block: String?

    @Option(help: "Write the JSON report here.")
    var json: String?

    @Option(help: "Write the refined structure (CIF with esds) here.")
    var cif: String?

    @Option(help: "Write an SVG plot of the fit here.")
    var plot: String?

    @Option(help: "Write 2θ, yobs, ycalc, background, difference (CSV) here.")
    var csv: String?

    @Flag(help: "Do not print stage progress.")
    var quiet = false

    func run() throws {
        try reportingFailures {
            let plan = try recipe.map { try Recipe.read(URL(fileURLWithPath: $0)) }
            let terms = plan?.backgroundTerms ?? inputs.backgroundTerms
            var setup = try RefinementSetup.load(pattern: pattern, phase: inputs.phase, instrument: inputs.instrument,
                                                 geometry: plan?.geometry ?? model.geometry, muR: plan?.muR ?? model.muR,
                                                 convention: plan?.convention ?? model.convention, backgroundTerms: terms,
                                                 range: (plan?.range.0 ?? twoThetaMin, plan?.range.1 ?? twoThetaMax), block: block)
            setup.model.threads = model.threads
            if let w = model.peakWindow { setup.model.windowLowFWHMs = w; setup.model.windowHighFWHMs = w }
            let stages = try plan?.apply(to: &setup) ?? DefaultStrategy.stages(for: setup.model, backgroundTerms: terms)
            let progress: ((String) -> Void)? = quiet ? nil : { line in FileHandle.standardError.write(Data("  \(line)\n".utf8)) }
            let result = Refiner.refine(setup.model, against: setup.pattern,
                                        stages: stages,
                                        settings: setup.settings, progress: progress)
            FileHandle.standardOutput.write(Data(RefinementTable.text(result).utf8))
            if let json { try TextFile.writeAtomically(RefinementReport.json(result), to: URL(fileURLWithPath: json)) }
            if let cif { try TextFile.writeAtomically(RefinementReport.cif(result), to: URL(fileURLWithPath: cif)) }
            if let csv { try TextFile.writeAtomically(RefinementReport.profileCSV(result), to: URL(fileURLWithPath: csv)) }
            if let plot { try TextFile.writeAtomically(FitPlot.svg(result), to: URL(fileURLWithPath: plot)) }
        }
    }
}
