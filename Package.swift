// swift-tools-version: 6.1
import PackageDescription

// The numeric modules are compiled with optimization in debug builds too: the tests refine real patterns,
// which takes seconds optimized and minutes without.
let optimizedEvenInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Rietveld",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rietveld", targets: ["rietveld"]),
        .executable(name: "lithium-map", targets: ["lithium-map"]),
        .library(name: "Crystallography", targets: ["Crystallography"]),
        .library(name: "PowderDiffraction", targets: ["PowderDiffraction"]),
        .library(name: "Refinement", targets: ["Refinement"]),
        .library(name: "RietveldIO", targets: ["RietveldIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // C libraries: only NumericCore imports these.
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CLAPACK", providers: [.apt(["liblapack-dev", "libopenblas-dev"])]),

        .target(name: "NumericCore", dependencies: ["CFFTW", "CLAPACK"], swiftSettings: optimizedEvenInDebug),
        .target(name: "Crystallography", dependencies: ["NumericCore"], swiftSettings: optimizedEvenInDebug),
        .target(name: "PowderDiffraction", dependencies: ["Crystallography", "NumericCore"], swiftSettings: optimizedEvenInDebug),
        .target(name: "Refinement", dependencies: ["PowderDiffraction", "Crystallography", "NumericCore"], swiftSettings: optimizedEvenInDebug),
        .target(name: "Lithiation", dependencies: ["Crystallography"], swiftSettings: optimizedEvenInDebug),
        .target(name: "RietveldIO", dependencies: ["Crystallography", "PowderDiffraction", "Refinement", "Lithiation",
                                                   .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .executableTarget(
            name: "rietveld",
            dependencies: [
                "Crystallography", "PowderDiffraction", "Refinement", "RietveldIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .executableTarget(
            name: "lithium-map",
            dependencies: ["Lithiation", "RietveldIO", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .testTarget(name: "LithiationTests", dependencies: ["Lithiation", "RietveldIO"]),
        .testTarget(name: "NumericCoreTests", dependencies: ["NumericCore"]),
        .testTarget(name: "CrystallographyTests", dependencies: ["Crystallography", "PowderDiffraction", "RietveldIO"], exclude: ["Fixtures"]),
        .testTarget(name: "PowderDiffractionTests", dependencies: ["PowderDiffraction", "RietveldIO"]),
        .testTarget(name: "RefinementTests", dependencies: ["Refinement", "RietveldIO", "Crystallography"]),
        .testTarget(name: "RietveldIOTests", dependencies: ["RietveldIO"]),
        .testTarget(name: "CLITests", dependencies: ["rietveld", "lithium-map"]),
    ]
)
