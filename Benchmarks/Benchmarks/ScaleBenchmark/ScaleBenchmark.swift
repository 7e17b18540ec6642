// Cost against the size of the work (issue #16). The default refinement of LiNiO2 from the users' start on the
// same 3–60° pattern at three steps — 0.015° (3,801 points), 0.002° (28,501, synchrotron) and 0.000057°
// (1,000,001) — simulated here with the engine's own model (Poisson noise, seed 7; the truth is that of the
// GSAS-II pattern: a 2.878, c 14.19, size 0.12 µm, microstrain 1500): targets 28,501 points ≤ 35 ms median and
// ≤ 2.5× the 3,801-point run, 10⁶ points < 30 s. And the 20-pattern series as 2 shards (each from the
// template with the rough-start search, then chained; run one after the other here, on a cluster at once)
// merged into one CSV.
import Benchmark
import Foundation
import NumericCore
import PowderDiffraction
import Refinement
import RietveldIO
import Workflow

let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("patterns/gsas2-sim-linio2")

/// The start model on a 3–60° grid of `step`, the stages, and the simulated pattern.
func setup(step: Double) throws -> (model: PatternModel, pattern: Pattern, stages: [RefinementStage], settings: RefinementSettings) {
    let n = Int(((60.0 - 3.0) / step).rounded()) + 1
    let grid = (0..<n).map { 3 + Double($0) * step }
    let truth = try StructureCIF.read(folder.appendingPathComponent("LiNiO2_true.cif"))
    var instrument = try InstrumentFile.read(folder.appendingPathComponent("MoKa1_capillary.instprm"), geometry: .debyeScherrer)
    instrument.zero = -0.012
    let pattern = try Simulation.pattern(structure: truth, instrument: instrument, twoTheta: grid, scale: 62, background: [900, -300, 100],
                                         size: 0.12, microstrain: 1500, noiseSeed: 7)
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("scale-benchmark-\(n).xye")
    try Data(PatternWriter.xye(pattern).utf8).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let s = try RefinementSetup.load(pattern: file.path, phases: [PhaseInput(file: folder.appendingPathComponent("LiNiO2_start.cif").path)],
                                     instrument: folder.appendingPathComponent("MoKa1_capillary.instprm").path, options: ModelOptions())
    return (s.model, s.pattern, DefaultStrategy.stages(for: s.model, backgroundTerms: 13), s.settings)
}

let benchmarks: @Sendable () -> Void = {
    // The allocation settings `rietveld` applies at start (large blocks kept in the heap).
    ProcessTuning.apply()
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .peakMemoryResident], maxDuration: .seconds(5))
    for (label, step) in [("3,801 points (0.015°)", 0.015), ("28,501 points (0.002°)", 0.002)] {
        Benchmark("default refinement, \(label)", configuration: .init(thresholds: [.wallClock: .init(relative: [.p50: 25])])) { benchmark in
            let s = try setup(step: step)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { blackHole(Refiner.refine(s.model, against: s.pattern, stages: s.stages, settings: s.settings)) }
        }
    }
    Benchmark("default refinement, 1,000,001 points (0.000057°)",
              configuration: .init(maxDuration: .seconds(60), maxIterations: 3, thresholds: [.wallClock: .init(relative: [.p50: 25])])) { benchmark in
        let s = try setup(step: 0.000057)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(Refiner.refine(s.model, against: s.pattern, stages: s.stages, settings: s.settings)) }
    }
    Benchmark("20-pattern series in 2 shards, merged", configuration: .init(thresholds: [.wallClock: .init(relative: [.p50: 25])])) { benchmark in
        let files = try NaturalOrder.patternFiles([folder.appendingPathComponent("series").path])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scale-benchmark-shards-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var shards: [String] = []
            for k in 1...2 {
                let csv = dir.appendingPathComponent("shard\(k).csv").path
                for suffix in ["", ".state"] { try? FileManager.default.removeItem(atPath: csv + suffix) }
                var job = SequentialJob(files: files, phases: [PhaseInput(file: folder.appendingPathComponent("LiNiO2_start.cif").path)],
                                        instrument: folder.appendingPathComponent("MoKa1_capillary.instprm").path, csv: csv)
                job.options.convention = .gsas2
                job.shard = (k, 2)
                blackHole(try job.run { _ in })
                shards.append(csv)
            }
            blackHole(try ShardMerge.merge(shards))
        }
    }
}
