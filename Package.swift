// swift-tools-version: 6.1
import Foundation
import PackageDescription

// The numeric modules are compiled with optimization in debug builds too: the tests refine real patterns,
// which takes seconds optimized and minutes without.
let optimizedEvenInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

// The hot modules (linear algebra, the pattern model, the least squares) are compiled for Haswell's
// instruction set (AVX2, FMA, BMI2: every x86-64 since 2013) when the building machine has it, as GROMACS picks
// its SIMD level: 1,000 chained patterns 2.23–2.29 → 1.80–2.00 s (the compiler contracts nothing into FMA and
// reassociates nothing: the same arithmetic in wider instructions). On that build the normal matrix's sums
// (JᵀJ, Jᵀr) are formed with fused multiply-adds (RIETVELD_FMA: the product 1.5× faster; its sums then differ
// from the portable build's in the last bits: refined values ≤ 1e-8 relative apart, esds ≤ 1e-6). A program linking them
// checks the CPU before main (CPUCheck) and stops with one line on a CPU without them. RIETVELD_PORTABLE=1 (with
// a clean build) compiles for any x86-64, for a binary copied to older machines.
let buildForHaswell: Bool = {
    #if arch(x86_64) && os(Linux)
    guard ProcessInfo.processInfo.environment["RIETVELD_PORTABLE"] == nil,
          let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
    let flags = Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
    return ["avx", "avx2", "fma", "bmi1", "bmi2", "abm", "popcnt", "f16c", "movbe"].allSatisfy(flags.contains)
    #else
    return false
    #endif
}()
let hotModule: [SwiftSetting] = optimizedEvenInDebug + (buildForHaswell ? [.unsafeFlags(["-target-cpu", "haswell"]), .define("RIETVELD_FMA")] : [])

let package = Package(
    name: "Rietveld",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rietveld", targets: ["rietveld"]),
        .executable(name: "lithium-map", targets: ["lithium-map"]),
        .library(name: "NumericCore", targets: ["NumericCore"]),
        .library(name: "Crystallography", targets: ["Crystallography"]),
        .library(name: "PowderDiffraction", targets: ["PowderDiffraction"]),
        .library(name: "Refinement", targets: ["Refinement"]),
        .library(name: "RietveldIO", targets: ["RietveldIO"]),
        .library(name: "Workflow", targets: ["Workflow"]),
        .library(name: "Lithiation", targets: ["Lithiation", "LithiationIO"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        // C libraries: NumericCore imports FFTW and malloc's tuning; LAPACK only the test reference.
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CLAPACK", providers: [.apt(["liblapack-dev", "libopenblas-dev"])]),
        .systemLibrary(name: "CMalloc"),
        // The check that this CPU runs what the hot modules were compiled for (compiled for any x86-64).
        .target(name: "CPUCheck", cSettings: buildForHaswell ? [.define("RIETVELD_HASWELL")] : []),

        .target(name: "NumericCore", dependencies: ["CFFTW", "CMalloc", "CPUCheck"], swiftSettings: hotModule),
        // LAPACK and BLAS as the reference the engine's linear algebra is tested against (tests only).
        .target(name: "LAPACKReference", dependencies: ["CLAPACK", "NumericCore"], swiftSettings: optimizedEvenInDebug),
        // Pure Swift: no C library below it, so that lithium-map links none.
        .target(name: "Crystallography", swiftSettings: optimizedEvenInDebug),
        .target(name: "FileSupport"),
        .target(name: "PowderDiffraction", dependencies: ["Crystallography", "NumericCore"], swiftSettings: hotModule),
        .target(name: "Refinement", dependencies: ["PowderDiffraction", "Crystallography", "NumericCore"], swiftSettings: hotModule),
        .target(name: "Lithiation", dependencies: ["Crystallography"], swiftSettings: optimizedEvenInDebug),
        .target(name: "LithiationIO", dependencies: ["Lithiation", "Crystallography", "FileSupport"]),
        // Readers and writers of the refinement's files: domain values in, text out; no strategy.
        .target(name: "RietveldIO", dependencies: ["Crystallography", "PowderDiffraction", "Refinement", "FileSupport",
                                                   .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        // What a command asks for, from files to a result: set-up, recipes, sequential runs, calibration.
        .target(name: "Workflow", dependencies: ["Crystallography", "PowderDiffraction", "Refinement", "RietveldIO", "FileSupport"]),
        .executableTarget(
            name: "rietveld",
            dependencies: [
                "Crystallography", "NumericCore", "PowderDiffraction", "Refinement", "RietveldIO", "Workflow", "FileSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .executableTarget(
            name: "lithium-map",
            dependencies: ["Lithiation", "LithiationIO", "FileSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // Test helpers shared by the test targets (repository paths, set-ups, named tolerances).
        .target(name: "_TestSupport", dependencies: ["PowderDiffraction", "Refinement", "Workflow"], path: "Tests/_TestSupport"),
        .testTarget(name: "LithiationTests", dependencies: ["Lithiation", "LithiationIO", "FileSupport", "_TestSupport"]),
        .testTarget(name: "NumericCoreTests", dependencies: ["NumericCore", "LAPACKReference"]),
        .testTarget(name: "CrystallographyTests", dependencies: ["Crystallography", "PowderDiffraction", "RietveldIO", "_TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "PowderDiffractionTests", dependencies: ["PowderDiffraction", "RietveldIO", "Refinement", "Workflow", "_TestSupport"]),
        .testTarget(name: "RefinementTests", dependencies: ["Refinement", "NumericCore", "RietveldIO", "Workflow", "Crystallography", "FileSupport", "_TestSupport"]),
        .testTarget(name: "RietveldIOTests", dependencies: ["RietveldIO", "Workflow", "FileSupport", "_TestSupport"]),
        .testTarget(name: "FileSupportTests", dependencies: ["FileSupport"]),
        .testTarget(name: "CLITests", dependencies: ["rietveld", "lithium-map", "RietveldIO", "LithiationIO", "PowderDiffraction", "FileSupport", "_TestSupport"], exclude: ["Fixtures"]),
    ]
)
