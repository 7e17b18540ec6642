import ArgumentParser
import Crystallography
import FileSupport
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO
import Workflow

extension FitPlot.IntensityScale: ExpressibleByArgument {}

struct RefineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refine",
        abstract: "Rietveld refinement of one pattern, one phase or several, with the default staged strategy.",
        discussion: """
            Stages: scale and background → zero and every phase's cell with broadened peaks (2θ ≤ 60°) → cells, \
            sizes and strains → coordinates, Uiso per site and cation mixing of the phases whose peaks support \
            them → all together. esds are √(C_ii·χ²_red) as GSAS-II reports them; V, c/a and weight fractions \
            take their esds from the covariance. Weight fractions by Hill & Howard. Exit code 3 when the \
            refinement did not converge (outputs are written and say so).
            """)

    @Argument(help: "Pattern file, recognized by content: \(PatternFormat.readableList).")
    var pattern: String

    @OptionGroup var inputs: PhaseArguments

    @OptionGroup var model: ModelArguments

    @OptionGroup var fitted: FittedRangeArguments

    @Option(help: "Recipe file (TOML): stages, parameters (scoped as 'NAME: a' with several phases), bounds, start values, excluded regions.")
    var recipe: String?

    @Option(help: "Pattern block of a powder CIF with several (part of its name).")
    var block: String?

    @Option(name: .customLong("internal-standard"), help: ArgumentHelp("Phase added as internal standard and its weighed fraction, e.g. Si:0.1: weight fractions become absolute and the amorphous rest is reported.", valueName: "NAME:FRACTION"))
    var internalStandard: String?

    @OptionGroup var quantity: QuantityArguments

    @Option(help: "Write the JSON report here (- for standard output).")
    var json: String?

    @Option(help: "Write the refined structures (CIF with esds, one block per phase) here.")
    var cif: String?

    @Option(help: "Write a powder CIF (CIF_pd: statistics, each phase's structure with esds and weight fraction, the observed, background and calculated profile) here.")
    var pdcif: String?

    @Option(help: "Write an SVG plot of the fit here.")
    var plot: String?

    @Option(name: .customLong("plot-range"), help: ArgumentHelp("2θ range of the plot, e.g. 30:40 (default: the fitted range).", valueName: "A:B"))
    var plotRange: String?

    @Option(name: .customLong("plot-scale"), help: "Intensity axis of the plot: linear, sqrt or log.")
    var plotScale: FitPlot.IntensityScale = .linear

    @Option(name: .customLong("plot-size"), help: ArgumentHelp("Plot size in pixels, e.g. 1200x800.", valueName: "WxH"))
    var plotSize: String?

    @Option(help: "Write 2θ, yobs, ycalc, background, difference and each phase (CSV) here.")
    var csv: String?

    @Flag(name: .customLong("search-cell"), help: "Search the cell lengths on a coarse grid first (±8 %), for a start several per cent off.")
    var searchCell = false

    @Option(name: .customLong("cycle-lines-after"), help: ArgumentHelp("Print a line per cycle once a stage has run this many seconds.", visibility: .hidden))
    var cycleLinesAfter = 1.0

    @Flag(help: "Do not print stage progress.")
    var quiet = false

    func validate() throws {
        if let s = internalStandard {
            let v = try namedValues(s, option: "--internal-standard", what: "FRACTION")
            guard v.count == 1, v[0].1 > 0, v[0].1 < 1 else { throw ValidationError("--internal-standard: expected one NAME:FRACTION with 0 < FRACTION < 1") }
        }
    }

    func run() throws {
        var converged = true
        var status = ""
        try reportingFailures {
            let plan = try recipe.map { try Recipe.read(URL(fileURLWithPath: $0)) }
            var options = model.options
            try inputs.apply(to: &options)
            // A recipe's settings take precedence over the command line's.
            options.geometry = plan?.geometry ?? options.geometry
            options.muR = plan?.muR ?? options.muR
            options.convention = plan?.convention ?? options.convention
            options.backgroundTerms = plan?.backgroundTerms ?? options.backgroundTerms
            options.range = (plan?.range.0 ?? fitted.twoThetaMin, plan?.range.1 ?? fitted.twoThetaMax)
            options.block = block
            var setup = try RefinementSetup.load(pattern: pattern, phases: try inputs.inputs(), instrument: inputs.instrument, options: options)
            var request = try quantity.request()
            if let s = internalStandard, let (name, fraction) = try namedValues(s, option: "--internal-standard", what: "FRACTION").first {
                request.internalStandard = (name, fraction)
            }
            let qpa = try setup.quantitativeAnalysis(request)
            let stages = try plan.map { try RecipePlan.apply($0, to: &setup) }
                ?? DefaultStrategy.stages(for: setup.model, backgroundTerms: options.backgroundTerms, searchCell: searchCell)
            try setup.checkDetermined(by: stages)
            let names = setup.model.phases.map(\.name)
            let result = Refiner.refine(setup.model, against: setup.pattern, stages: stages, settings: setup.settings,
                                        events: ProgressLines(quiet: quiet, cycleLinesAfter: cycleLinesAfter).callback { names[$0] })
            // Weight fractions that cannot be worked out (an internal standard refined to nothing, an attenuation
            // not tabulated at the wavelength) leave the fit's report whole and say why.
            var notes = setup.notes
            var quantities: PhaseQuantities?
            do { quantities = try result.quantities(qpa) } catch { notes.append("weight fractions not worked out: \(error)") }
            let report = RefinementReportInput(result: result, phaseFiles: setup.phaseFiles, quantities: quantities, notes: notes)
            var outputs = OutputGroup()
            if let json { try outputs.add(Data(RefinementReport.json(report).utf8), to: json) }
            if let cif { try outputs.add(Data(RefinementReport.cif(result).utf8), to: cif) }
            if let csv { try outputs.add(Data(RefinementReport.profileCSV(result).utf8), to: csv) }
            if let pdcif { try outputs.add(Data(PowderCIFWriter.text(report).utf8), to: pdcif) }
            if let plot { try outputs.add(Data(FitPlot.svg(report, options: try plotOptions()).utf8), to: plot) }
            if json != "-" { StandardStreams.out(RefinementText.text(report)) }
            try outputs.commit()
            converged = result.converged
            status = RefinementText.status(result)
        }
        if !converged { throw notConverged("the refinement did not converge (\(status)); results written and marked") }
    }

    func plotOptions() throws -> FitPlot.Options {
        var o = FitPlot.Options()
        o.scale = plotScale
        if let r = plotRange {
            let f = r.split(separator: ":").compactMap { Double($0) }
            guard f.count == 2, f[0] < f[1] else { throw UsageError("--plot-range: expected A:B with A < B (degrees), found '\(r)'") }
            o.range = f[0]...f[1]
        }
        if let size = plotSize {
            let f = size.lowercased().split(separator: "x").compactMap { Double($0) }
            guard f.count == 2, (300...10000).contains(f[0]), (200...10000).contains(f[1]) else {
                throw UsageError("--plot-size: expected WxH in pixels (300–10000 × 200–10000), found '\(size)'")
            }
            (o.width, o.height) = (f[0], f[1])
        }
        return o
    }
}
