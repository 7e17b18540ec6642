// swift-tools-version: 6.1
// Benchmarks live in their own package so that `swift build` and `swift test` at the root do not build
// package-benchmark. Run: cd Benchmarks && swift package benchmark (release build; medians and spread).
import PackageDescription

let package = Package(
    name: "RietveldBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Rietveld", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "PatternModelBenchmark",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PowderDiffraction", package: "Rietveld"),
                .product(name: "Refinement", package: "Rietveld"),
                .product(name: "RietveldIO", package: "Rietveld"),
            ],
            path: "Benchmarks/PatternModelBenchmark",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
        .executableTarget(
            name: "RefinementBenchmark",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PowderDiffraction", package: "Rietveld"),
                .product(name: "Refinement", package: "Rietveld"),
                .product(name: "RietveldIO", package: "Rietveld"),
            ],
            path: "Benchmarks/RefinementBenchmark",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
        .executableTarget(
            name: "SequentialBenchmark",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PowderDiffraction", package: "Rietveld"),
                .product(name: "Refinement", package: "Rietveld"),
                .product(name: "RietveldIO", package: "Rietveld"),
            ],
            path: "Benchmarks/SequentialBenchmark",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    ]
)
