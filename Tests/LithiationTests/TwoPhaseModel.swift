import Foundation
import Lithiation

/// An illustrative two-phase LiNiO2-like system made from known smooth functions (the H2 branch is that of
/// scripts/make_linio2_like_reference.py without its collapse; the H3 branch is linear), so that lookups can be
/// compared with exact values. H2 exists for x(Li) 0.25–1, H3 for 0.05–0.35: they coexist over 0.25–0.35.
enum TwoPhaseModel {
    static let h2Range = 0.25...1.0
    static let h3Range = 0.05...0.35
    static let aEsd = 0.0002, cEsd = 0.001

    static func a(_ phase: String, _ x: Double) -> Double {
        phase == "H2" ? 2.815 + 0.063 * pow((x - 0.25) / 0.75, 1.3) : 2.815 + 0.025 * (0.25 - x)
    }
    static func c(_ phase: String, _ x: Double) -> Double {
        phase == "H2" ? 14.19 + 0.28 * exp(-pow((x - 0.30) / 0.45, 2)) * (1 - exp(-((1 - x) / 0.15))) : 13.40 + 1.2 * (x - 0.05)
    }
    /// V = (√3/2) a² c, Å³.
    static func volume(_ phase: String, _ x: Double) -> Double { 3.0.squareRoot() / 2 * pow(a(phase, x), 2) * c(phase, x) }
    static func volumeEsd(_ phase: String, _ x: Double) -> Double {
        volume(phase, x) * ((2 * aEsd / a(phase, x)) * (2 * aEsd / a(phase, x)) + (cEsd / c(phase, x)) * (cEsd / c(phase, x))).squareRoot()
    }

    /// Noise-free points every `step` in x on each branch, named by phase.
    static func points(step: Double = 0.01) -> [ReferencePoint] {
        var out: [ReferencePoint] = []
        for (phase, range) in [("H2", h2Range), ("H3", h3Range)] {
            var k = 0
            while range.lowerBound + Double(k) * step <= range.upperBound + 1e-12 {
                let x = range.lowerBound + Double(k) * step
                out.append(ReferencePoint(x: x, a: a(phase, x), aEsd: aEsd, c: c(phase, x), cEsd: cEsd,
                                          volume: volume(phase, x), volumeEsd: volumeEsd(phase, x), phase: phase))
                k += 1
            }
        }
        return out
    }

    static func reference() throws -> LithiumReference { try LithiumReference(points: points(), branched: true) }

    /// Molar mass of Li_xNiO2, g/mol, from IUPAC atomic weights typed here (Li 6.94, Ni 58.6934, O 15.999).
    static func molarMass(_ x: Double) -> Double { 58.6934 + 2 * 15.999 + 6.94 * x }
}
