import ArgumentParser
import Crystallography
import Foundation
import PowderDiffraction
import RietveldIO

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Calculate the powder pattern of a structure with an instrument (optionally with Poisson noise).")

    @Argument(help: "Structure file (CIF).")
    var structure: String

    @Option(help: "Instrument parameter file (GSAS-II .instprm).")
    var instrument: String

    @Option(name: .customLong("two-theta"), help: "2θ range START:END:STEP in degrees, e.g. 5:50:0.015.")
    var twoTheta: TwoThetaRange

    @Option(help: "Phase scale factor.")
    var scale: Double = 1

    @Option(help: "Chebyshev background coefficients c0,c1,… over the 2θ range.")
    var background: String = ""

    @Option(help: "Crystallite size in µm (GSAS-II Size;i).")
    var size: Double = 1

    @Option(help: "Microstrain in 10⁻⁶ (GSAS-II Mustrain;i).")
    var microstrain: Double = 0

    @Option(help: "Zero shift in degrees (overrides the instrument file).")
    var zero: Double?

    @Option(help: "Add Poisson noise with this random seed.")
    var noise: UInt64?

    @OptionGroup var model: ModelOptions

    @Option(name: .shortAndLong, help: "Output file (.xye: 2θ, intensity, esd). Default: standard output.")
    var output: String?

    func validate() throws {
        guard size > 0 else { throw ValidationError("--size must be positive (µm)") }
        guard microstrain >= 0 else { throw ValidationError("--microstrain must be zero or positive") }
    }

    func run() throws {
        try reportingFailures {
            let crystal = try StructureCIF.read(URL(fileURLWithPath: structure))
            var inst = try InstrumentFile.read(URL(fileURLWithPath: instrument), geometry: model.geometry)
            if let zero { inst.zero = zero }

            var coefficients: [Double] = []
            for item in background.split(separator: ",") {
                guard let v = Double(item.trimmingCharacters(in: .whitespaces)) else {
                    throw UsageError("--background: '\(item)' is not a number")
                }
                coefficients.append(v)
            }
            let x = twoTheta.points
            let pattern = try Simulation.pattern(structure: crystal, instrument: inst, twoTheta: x, scale: scale,
                                                 background: coefficients, size: size, microstrain: microstrain,
                                                 muR: model.muR, noiseSeed: noise, convention: model.convention)
            let text = PatternWriter.xye(pattern, header: ["simulated by rietveld from \(structure) with \(instrument)",
                                                          "scale=\(scale) size=\(size)um microstrain=\(microstrain) zero=\(inst.zero)" + (noise.map { " Poisson noise seed \($0)" } ?? "")])
            if let output {
                try TextFile.writeAtomically(text, to: URL(fileURLWithPath: output))
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}
