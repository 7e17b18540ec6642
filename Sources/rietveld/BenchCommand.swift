import ArgumentParser
import FileSupport
import Foundation
import NumericCore
import PowderDiffraction
import Refinement
import Workflow

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time model evaluation, one Jacobian and a full default refinement on your own data (one phase or several).")

    @Argument(help: "Pattern file.")
    var pattern: String

    @OptionGroup var inputs: PhaseArguments

    @OptionGroup var model: ModelArguments

    @Option(help: "Number of full refinements to time (1–1000).")
    var `repeat` = 10

    @Flag(help: "Print JSON (refinement_seconds, model_seconds, jacobian_seconds as {median,min,max}, repeat, phases).")
    var json = false

    func validate() throws {
        guard (1...1000).contains(`repeat`) else { throw ValidationError("--repeat must lie between 1 and 1000") }
    }

    func run() throws {
        try reportingFailures {
            var options = model.options
            try inputs.apply(to: &options)
            let setup = try RefinementSetup.load(pattern: pattern, phases: try inputs.inputs(), instrument: inputs.instrument, options: options)
            let stages = DefaultStrategy.stages(for: setup.model, backgroundTerms: inputs.backgroundTerms)
            try setup.checkDetermined(by: stages)
            let r = Benchmark.run(model: setup.model, pattern: setup.pattern, stages: stages, settings: setup.settings, repeats: `repeat`)
            func obj(_ t: TimingSummary) -> [String: Double] { ["median": t.median, "min": t.min, "max": t.max] }
            if json {
                let root: [String: Any] = ["refinement_seconds": obj(r.refinement), "model_seconds": obj(r.model),
                                           "jacobian_seconds": obj(r.jacobian), "repeat": r.repeats, "points": setup.pattern.count,
                                           "parameters": r.parameters, "Rwp": r.rwp, "phases": setup.model.phases.count,
                                           "instruction_set": ProcessTuning.instructionSet]
                let data = try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
                StandardStreams.out(data + Data("\n".utf8))
            } else {
                func ms(_ t: TimingSummary) -> String { String(format: "median %9.3f ms  (min %.3f, max %.3f)", 1000 * t.median, 1000 * t.min, 1000 * t.max) }
                var out = "\(setup.pattern.count) points, \(setup.model.phases.count) phase(s), \(r.parameters) parameters, \(r.repeats) refinements (Rwp \(String(format: "%.3f", r.rwp)) %), compiled for \(ProcessTuning.instructionSet)\n"
                out += "full refinement      \(ms(r.refinement))\n"
                out += "model (yc)           \(ms(r.model))\n"
                out += "yc + Jacobian        \(ms(r.jacobian))\n"
                StandardStreams.out(out)
            }
        }
    }
}
