// The 20-pattern GSAS-II operando series, chained, as `rietveld sequential` runs it (patterns read as they
// are refined). Issue target: ≤ 0.1 s for the series on 2 cores; GSAS-II needs about 6 s. And 1,000 patterns
// of that kind — the series run forth and back 25 times, so that neighbours stay neighbours — in ≤ 1.5 s on the
// 2 cores (issue #16), with a resident peak under 200 MB: as one chain, and as two segments at once (--jobs 2).
import Benchmark
import Foundation
import NumericCore
import PowderDiffraction
import Refinement
import RietveldIO
import Workflow

let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("patterns/gsas2-sim-linio2")

/// The series' files, the template model and the default stages, as `rietveld sequential` sets them up.
func seriesSetup() throws -> (files: [String], model: PatternModel, stages: [RefinementStage]) {
    let files = try NaturalOrder.patternFiles([folder.appendingPathComponent("series").path])
    var options = ModelOptions()
    options.convention = .gsas2
    var setup = try RefinementSetup.load(pattern: files[0], phases: [PhaseInput(file: folder.appendingPathComponent("LiNiO2_start.cif").path)],
                                         instrument: folder.appendingPathComponent("MoKa1_capillary.instprm").path, options: options)
    // One evaluation thread (`rietveld sequential` gives the model every core, but for these 3,001-point
    // patterns a second one changes nothing: 2.0–2.2 s either way, December 2026); the second core reads the
    // next pattern. (Given these 1,000 file names, `rietveld sequential` would sort them into natural order and
    // refine each pattern 50 times in a row — an easier chain than this one.)
    setup.model.threads = 1
    return (files, setup.model, DefaultStrategy.stages(for: setup.model, backgroundTerms: 13))
}

/// A chained run over `count` patterns: file k of the series for pattern i, with k going 0…19, 19…0, …
func runChained(count: Int, files: [String], model: PatternModel, stages: [RefinementStage]) throws -> Int {
    let n = files.count
    let order = (0..<count).map { i -> Int in let k = i % (2 * n); return k < n ? k : 2 * n - 1 - k }
    var chain = SequentialChain(template: model, stages: stages, options: SequentialOptions())
    // Patterns are read one ahead on the other core, as `rietveld sequential` does.
    let reader = Prefetcher(load: { try PatternFile.read(URL(fileURLWithPath: files[order[$0]])) })
    reader.request(0)
    var rows = 0
    for i in 0..<count {
        let pattern = try reader.take(i)
        if i + 1 < count { reader.request(i + 1) }
        blackHole(chain.refine(pattern, index: i, file: files[order[i]]))
        rows += 1
    }
    return rows
}

let benchmarks: @Sendable () -> Void = {
    // The allocation settings `rietveld` applies at start (large blocks kept in the heap).
    ProcessTuning.apply()
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident], maxDuration: .seconds(10))
    Benchmark("chained series (20 GSAS-II patterns)", configuration: .init(thresholds: [.wallClock: .init(relative: [.p50: 25])])) { benchmark in
        let (files, model, stages) = try seriesSetup()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try runChained(count: files.count, files: files, model: model, stages: stages)) }
    }
    Benchmark("chained run of 1000 patterns", configuration: .init(maxDuration: .seconds(20), maxIterations: 5,
                                                                   thresholds: [.wallClock: .init(relative: [.p50: 25])])) { benchmark in
        let (files, model, stages) = try seriesSetup()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try runChained(count: 1000, files: files, model: model, stages: stages)) }
    }
    // The same 1,000 patterns as `rietveld sequential LIST --jobs 2` runs them on the 2 cores: the two halves
    // (each the shard K/2 of the run: its first pattern from the template with the rough-start search, then
    // chained) refined at once, each row written to its segment's CSV with its state file, then merged into one
    // CSV. The chain restarts once, at pattern 500. Without the malloc counter: its interposer adds a few hundred
    // nanoseconds to each of the run's ~1.3 million allocations (the single chain above counts them).
    Benchmark("chained run of 1000 patterns, 2 segments at once (--jobs 2)",
              configuration: .init(metrics: [.wallClock, .cpuTotal, .peakMemoryResident], maxDuration: .seconds(20), maxIterations: 7,
                                   thresholds: [.wallClock: .init(relative: [.p50: 25])])) { benchmark in
        let series = try NaturalOrder.patternFiles([folder.appendingPathComponent("series").path])
        let n = series.count
        let files = (0..<1000).map { i -> String in let k = i % (2 * n); return series[k < n ? k : 2 * n - 1 - k] }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sequential-benchmark-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("jobs.csv").path
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var job = SequentialJob(files: files, phases: [PhaseInput(file: folder.appendingPathComponent("LiNiO2_start.cif").path)],
                                    instrument: folder.appendingPathComponent("MoKa1_capillary.instprm").path, csv: csv)
            job.options.convention = .gsas2
            job.jobs = 2
            blackHole(try job.run { _ in })
        }
    }
}
