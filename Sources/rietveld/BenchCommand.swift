import ArgumentParser
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time model evaluation, one Jacobian and a full default refinement on your own data.")

    @Argument(help: "Pattern file.")
    var pattern: String

    @OptionGroup var inputs: PhaseInputs

    @OptionGroup var model: ModelOptions

    @Option(help: "Number of full refinements to time.")
    var `repeat` = 10

    @Flag(help: "Print JSON (refinement_seconds, model_seconds, jacobian_seconds as {median,min,max}, repeat).")
    var json = false

    func validate() throws {
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        try reportingFailures {
            var setup = try RefinementSetup.load(pattern: pattern, phase: inputs.phase, instrument: inputs.instrument, geometry: model.geometry,
                                                 muR: model.muR, convention: model.convention, backgroundTerms: inputs.backgroundTerms, range: (nil, nil))
            setup.model.threads = model.threads
            let stages = DefaultStrategy.stages(for: setup.model, backgroundTerms: inputs.backgroundTerms)
            let r = Benchmark.run(model: setup.model, pattern: setup.pattern, stages: stages, settings: setup.settings, repeats: `repeat`)
            func obj(_ t: TimingSummary) -> [String: Double] { ["median": t.median, "min": t.min, "max": t.max] }
            if json {
                let root: [String: Any] = ["refinement_seconds": obj(r.refinement), "model_seconds": obj(r.model),
                                           "jacobian_seconds": obj(r.jacobian), "repeat": r.repeats, "points": setup.pattern.count,
                                           "parameters": r.parameters, "Rwp": r.rwp]
                let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
                FileHandle.standardOutput.write(data + Data("\n".utf8))
            } else {
                func ms(_ t: TimingSummary) -> String { String(format: "median %9.3f ms  (min %.3f, max %.3f)", 1000 * t.median, 1000 * t.min, 1000 * t.max) }
                var out = "\(setup.pattern.count) points, \(r.parameters) parameters, \(r.repeats) refinements (Rwp \(String(format: "%.3f", r.rwp)) %)\n"
                out += "full refinement      \(ms(r.refinement))\n"
                out += "model (yc)           \(ms(r.model))\n"
                out += "yc + Jacobian        \(ms(r.jacobian))\n"
                FileHandle.standardOutput.write(Data(out.utf8))
            }
        }
    }
}
