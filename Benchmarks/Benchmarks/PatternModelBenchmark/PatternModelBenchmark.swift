// yc and yc + Jacobian of the LiNiO2 pattern simulated by GSAS-II (3001 points, 24 parameters), at the
// refined values. Issue target: yc ≤ 100 µs, yc + Jacobian ≤ 1 ms (median, one core).
import Benchmark
import Foundation
import NumericCore
import PowderDiffraction
import Refinement
import RietveldIO
import Workflow

let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("patterns/gsas2-sim-linio2")

func refinedModel() throws -> (PatternModel, [ModelParameter]) {
    let setup = try RefinementSetup.load(pattern: folder.appendingPathComponent("LiNiO2_sim.xye").path,
                                         phases: [PhaseInput(file: folder.appendingPathComponent("LiNiO2_start.cif").path)],
                                         instrument: folder.appendingPathComponent("MoKa1_capillary.instprm").path, options: ModelOptions())
    let stages = DefaultStrategy.stages(for: setup.model, backgroundTerms: 13)
    let result = Refiner.refine(setup.model, against: setup.pattern, stages: stages, settings: setup.settings)
    return (result.model, stages.last!.parameters)
}

/// Refined once for the whole suite (a global is initialized once, on first use): each sample then times
/// warm evaluations, as in a refinement, not the first evaluation after a fresh refinement.
let refined: (model: PatternModel, parameters: [ModelParameter])? = try? refinedModel()

let benchmarks: @Sendable () -> Void = {
    // The allocation settings `rietveld` applies at start (large blocks kept in the heap).
    ProcessTuning.apply()
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal], maxDuration: .seconds(3))
    Benchmark("yc (LiNiO2, 3001 points)", configuration: .init(thresholds: [.wallClock: .init(relative: [.p50: 25])])) { benchmark in
        guard let (model, _) = refined else { throw CocoaError(.fileReadCorruptFile) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(model.evaluate()) }
    }
    Benchmark("yc + Jacobian (24 parameters)", configuration: .init(thresholds: [.wallClock: .init(relative: [.p50: 25])])) { benchmark in
        guard let (model, parameters) = refined else { throw CocoaError(.fileReadCorruptFile) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(model.evaluate(derivativesFor: parameters)) }
    }
}
