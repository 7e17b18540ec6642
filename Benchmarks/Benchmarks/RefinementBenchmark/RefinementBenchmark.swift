// A full default refinement of the GSAS-II LiNiO2 pattern from the users' start (a, c +0.3 %, mixing 0,
// Uiso 0.01, flat background). Issue target: ≤ 15 ms median on one core; GSAS-II needs ~1.4 s.
import Benchmark
import Foundation
import NumericCore
import PowderDiffraction
import Refinement
import RietveldIO
import Workflow

let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("patterns/gsas2-sim-linio2")

let benchmarks: @Sendable () -> Void = {
    // The allocation settings `rietveld` applies at start (large blocks kept in the heap).
    ProcessTuning.apply()
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal], maxDuration: .seconds(5))
    Benchmark("default refinement (LiNiO2, GSAS-II simulation)", configuration: .init(thresholds: [.wallClock: .init(relative: [.p50: 25])])) { benchmark in
        let setup = try RefinementSetup.load(pattern: folder.appendingPathComponent("LiNiO2_sim.xye").path,
                                             phases: [PhaseInput(file: folder.appendingPathComponent("LiNiO2_start.cif").path)],
                                             instrument: folder.appendingPathComponent("MoKa1_capillary.instprm").path, options: ModelOptions())
        let stages = DefaultStrategy.stages(for: setup.model, backgroundTerms: 13)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(Refiner.refine(setup.model, against: setup.pattern, stages: stages, settings: setup.settings))
        }
    }
}
