// swift-tools-version: 6.1
// Benchmarks live in their own package so that `swift build` and `swift test` at the root do not build
// package-benchmark. Run: cd Benchmarks && swift package benchmark (release build; medians and spread);
// `swift package benchmark baseline check main` compares with the committed baseline.
import PackageDescription

/// One suite: an executable in Benchmarks/NAME using the engine's libraries.
func suite(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            .product(name: "Benchmark", package: "benchmark"),
            .product(name: "NumericCore", package: "Rietveld"),
            .product(name: "PowderDiffraction", package: "Rietveld"),
            .product(name: "Refinement", package: "Rietveld"),
            .product(name: "RietveldIO", package: "Rietveld"),
            .product(name: "Workflow", package: "Rietveld"),
        ],
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")])
}

let package = Package(
    name: "RietveldBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Rietveld", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: ["PatternModelBenchmark", "RefinementBenchmark", "SequentialBenchmark", "MultiPhaseBenchmark", "ScaleBenchmark"].map(suite)
)
