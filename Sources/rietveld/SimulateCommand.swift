import ArgumentParser
import Crystallography
import FileSupport
import Foundation
import PowderDiffraction
import RietveldIO
import Workflow

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Calculate the powder pattern of one structure or a mixture with an instrument (optionally with Poisson noise).",
        discussion: """
            One structure as the argument, or several as --phase [NAME=]FILE (repeatable). Per-phase values \
            (--scale, --size, --microstrain) are one number for all phases or a comma list in phase order. \
            --weight-fractions W1,W2,… sets the phases' scales so that Hill & Howard's weight fractions come out \
            as given (s_p ∝ W_p / (ZM)_p), times --scale.
            """)

    @Argument(help: "Structure file (CIF), or use --phase.")
    var structure: String?

    @Option(name: .customLong("phase"), help: ArgumentHelp("A phase [NAME=]FILE.cif; repeat for a mixture.", valueName: "[NAME=]FILE"))
    var phases: [String] = []

    @Option(help: "Instrument parameter file (GSAS-II .instprm).")
    var instrument: String

    @Option(name: .customLong("two-theta"), help: "2θ range START:END:STEP in degrees, e.g. 5:50:0.015 (at most 5 000 000 points).")
    var twoTheta: TwoThetaRange

    @Option(help: "Scale factor: one for all phases or one per phase (comma list).")
    var scale: String = "1"

    @Option(name: .customLong("weight-fractions"), help: "Weight fractions W1,W2,… of the phases (sum 1): scales from Hill & Howard, times --scale.")
    var weightFractions: String?

    @Option(parsing: .unconditional, help: "Chebyshev background coefficients c0,c1,… over the 2θ range.")
    var background: String = ""

    @Option(help: "Crystallite size in µm (GSAS-II Size;i): one or one per phase.")
    var size: String = "1"

    @Option(help: "Microstrain in 10⁻⁶ (GSAS-II Mustrain;i): one or one per phase.")
    var microstrain: String = "0"

    @Option(parsing: .unconditional, help: "Zero shift in degrees (overrides the instrument file).")
    var zero: Double?

    @Option(help: "Add Poisson noise with this random seed.")
    var noise: UInt64?

    @OptionGroup var model: ModelArguments

    @Option(name: .shortAndLong, help: "Output file (.xye: 2θ, intensity, esd). Default: standard output.")
    var output: String?

    func validate() throws {
        guard (structure == nil) != phases.isEmpty else { throw ValidationError("give one structure file, or phases with --phase (not both)") }
        guard twoTheta.count <= TwoThetaRange.maximumPoints else {
            throw ValidationError("--two-theta \(twoTheta.start):\(twoTheta.end):\(twoTheta.step) makes \(twoTheta.count) points; at most \(TwoThetaRange.maximumPoints) are simulated (use a larger step)")
        }
    }

    /// A comma list of numbers, one for all `n` phases or one each.
    func perPhase(_ text: String, _ option: String, _ n: Int, valid: (Double) -> Bool, what: String) throws -> [Double] {
        let values = try text.split(separator: ",").map { item -> Double in
            guard let v = Double(item.trimmingCharacters(in: .whitespaces)), v.isFinite, valid(v) else {
                throw ValidationError("\(option): '\(item)' is not \(what)")
            }
            return v
        }
        guard values.count == 1 || values.count == n else { throw ValidationError("\(option): give one value or \(n) (one per phase), found \(values.count)") }
        return values.count == 1 ? Array(repeating: values[0], count: n) : values
    }

    func run() throws {
        try reportingFailures {
            let inputs = try structure.map { [PhaseInput(file: $0)] } ?? phases.map { try PhaseInput(argument: $0) }
            var crystals: [CrystalStructure] = []
            for p in inputs { crystals.append(try StructureCIF.read(URL(fileURLWithPath: p.file))) }
            var inst = try InstrumentFile.read(URL(fileURLWithPath: instrument), geometry: model.geometry)
            if let zero { inst.zero = zero }
            let n = crystals.count
            var scales = try perPhase(scale, "--scale", n, valid: { $0 > 0 }, what: "a positive number")
            let sizes = try perPhase(size, "--size", n, valid: { $0 > 0 }, what: "a positive size in µm")
            let strains = try perPhase(microstrain, "--microstrain", n, valid: { $0 >= 0 }, what: "a microstrain ≥ 0")
            if let weightFractions {
                let w = try perPhase(weightFractions, "--weight-fractions", n, valid: { $0 >= 0 && $0 <= 1 }, what: "a fraction between 0 and 1")
                guard abs(w.reduce(0, +) - 1) < 1e-6 else { throw ValidationError("--weight-fractions must sum to 1 (they sum to \(w.reduce(0, +)))") }
                // s_p = S W_p M̄ / (ZM)_p with M̄ the mean cell mass: Hill & Howard's fractions are then W.
                let masses = crystals.map(\.cellMass)
                let mean = masses.reduce(0, +) / Double(n)
                scales = (0..<n).map { scales[$0] * w[$0] * mean / masses[$0] }
            }
            var coefficients: [Double] = []
            for item in background.split(separator: ",") {
                guard let v = Double(item.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                    throw UsageError("--background: '\(item)' is not a number")
                }
                coefficients.append(v)
            }
            let simulated = (0..<n).map { SimulatedPhase(structure: crystals[$0], name: inputs[$0].name, scale: scales[$0], size: sizes[$0], microstrain: strains[$0]) }
            let pattern = try Simulation.pattern(phases: simulated, instrument: inst, twoTheta: twoTheta.points, background: coefficients,
                                                 muR: model.muR, noiseSeed: noise, convention: model.convention,
                                                 peakWindow: model.peakWindow, threads: model.options.threads)
            let source = inputs.map(\.file).joined(separator: " + ")
            let text = PatternWriter.xye(pattern, header: ["simulated by rietveld from \(source) with \(instrument)",
                                                          "scale=\(scales.map { EsdFormat.plain($0) }.joined(separator: ",")) size=\(size)um microstrain=\(microstrain) zero=\(inst.zero)"
                                                              + (noise.map { " Poisson noise seed \($0)" } ?? "")])
            try OutputFile.write(Data(text.utf8), to: output ?? "-")
        }
    }
}
