// The 20-pattern GSAS-II operando series, chained, as `rietveld sequential` runs it (patterns read as they
// are refined). Issue target: ≤ 0.1 s for the series on 2 cores; GSAS-II needs about 6 s.
import Benchmark
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO

let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("patterns/gsas2-sim-linio2")

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident], maxDuration: .seconds(10))
    Benchmark("chained series (20 GSAS-II patterns)", configuration: .init(thresholds: [.wallClock: .init(relative: [.p50: 25])])) { benchmark in
        let files = try NaturalOrder.patternFiles([folder.appendingPathComponent("series").path])
        var setup = try RefinementSetup.load(pattern: files[0], phase: folder.appendingPathComponent("LiNiO2_start.cif").path,
                                             instrument: folder.appendingPathComponent("MoKa1_capillary.instprm").path,
                                             geometry: .debyeScherrer, muR: 0, convention: .gsas2, backgroundTerms: 13, range: (nil, nil))
        // One evaluation thread, as `rietveld sequential` runs by default; the second core reads the next pattern.
        setup.model.threads = 1
        let stages = DefaultStrategy.stages(for: setup.model, backgroundTerms: 13)
        let items = files.enumerated().map { (index: $0.offset, file: $0.element) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var rows = 0
            try SequentialRefinement.chained(template: setup.model, patterns: items, load: { try PatternFile.read(URL(fileURLWithPath: files[$0])) },
                                             stages: stages) { _ in rows += 1 }
            blackHole(rows)
        }
    }
}
