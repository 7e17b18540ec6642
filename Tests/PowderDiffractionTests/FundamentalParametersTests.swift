import Foundation
import PowderDiffraction
import RietveldIO
import Testing
import _TestSupport

@Suite struct FundamentalParametersTests {
    /// NIST's fundamental-parameters calculation of SRM 660c (the pdCIF's `_calc` block).
    static func nistCalc() throws -> Pattern {
        try PatternFile.read(repositoryRoot.appendingPathComponent("patterns/nist-srm660c-lab6/nist_srm660c_100a.cif"), block: "_calc")
    }

    /// The instrument NIST describes in the same file: R = 217.5 mm, 1.05° divergence slit, 0.2 mm slit before
    /// the analyser, 12 mm axial source and 15 mm axial beam on the specimen (FCJ S/L = 7.5/217.5,
    /// H/L = 6/217.5), Cu Kα5 emission, LaB6 crystallites far larger than a micrometre.
    static let nist = FundamentalParameters(emission: FundamentalParameters.copperKAlpha5, radius: 217.5, receivingSlit: 0.2,
                                            equatorialDivergence: 1.05, sOverL: 7.5 / 217.5, hOverL: 6 / 217.5, size: 5)

    /// Shape agreement with NIST's calculated peaks: after subtracting the background under the window and
    /// normalizing areas, with only the peak position free, Σ|ours − NIST| / Σ NIST over the window.
    func shapeMisfit(_ calc: Pattern, hkl: (Int, Int, Int), a: Double, fp: FundamentalParameters = nist) throws -> Double {
        let d = a / Double(hkl.0 * hkl.0 + hkl.1 * hkl.1 + hkl.2 * hkl.2).squareRoot()
        let bragg = 2 * asin(1.540596 / (2 * d)) * 180 / .pi
        let window = calc.restricted(to: bragg - 0.45, bragg + 0.45)
        let edge = 5
        let left = window.intensity.prefix(edge).reduce(0, +) / Double(edge), right = window.intensity.suffix(edge).reduce(0, +) / Double(edge)
        let x = window.twoTheta
        let net = x.indices.map { window.intensity[$0] - (left + (right - left) * (x[$0] - x.first!) / (x.last! - x.first!)) }
        let step = x[1] - x[0]
        let area = net.reduce(0, +) * step
        let observed = net.map { $0 / area }
        let profiler = FundamentalParametersProfiler()
        var best = Double.infinity
        // Position free: NIST's pattern includes its zero and displacement.
        for k in -120...120 {
            let shift = Double(k) * 0.001
            let ours = profiler.profile(fp, d: d, at: x.map { $0 - shift })
            let misfit = zip(ours, observed).reduce(0) { $0 + abs($1.0 - $1.1) } / observed.reduce(0) { $0 + abs($1) }
            best = min(best, misfit)
        }
        return best
    }

    /// Measured: 0.078 (100, 21.4°), 0.094 (110), 0.108 (200), 0.149 (310, 75.9°). What remains is what NIST
    /// models and this profile does not: the graphite analyser's passband, a Soller-slit axial model instead of
    /// FCJ, specimen transparency. Changing the stated slit to 0.1 mm doubles the misfit; S/L, H/L of 4/3 mm
    /// triple it — the test can fail.
    @Test func reproducesNISTCalculatedPeakShapes() throws {
        let calc = try Self.nistCalc()
        for hkl in [(1, 0, 0), (1, 1, 0), (2, 0, 0), (3, 1, 0)] {
            let m = try shapeMisfit(calc, hkl: hkl, a: 4.15678)
            #expect(m < 0.16, "\(hkl) shape misfit \(m)")
        }
    }

    @Test func unitAreaAndEmissionDoublet() {
        // Area 1, and the Kα2 line where Bragg's law puts it.
        let fp = FundamentalParameters(emission: FundamentalParameters.copperKAlpha5, radius: 217.5, receivingSlit: 0.1,
                                       equatorialDivergence: 0, sOverL: 0.001, hOverL: 0.001)
        let profiler = FundamentalParametersProfiler()
        let d = 1.2
        let x = stride(from: 78.0, through: 81.5, by: 0.0005).map { $0 }
        let p = profiler.profile(fp, d: d, at: x)
        #expect(abs(p.reduce(0, +) * 0.0005 - 1) < 0.01)
        let ka2 = 2 * asin(1.54441 / (2 * d)) * 180 / .pi
        let near = x.indices.filter { abs(x[$0] - ka2) < 0.05 }
        let peak2 = near.max { p[$0] < p[$1] }!
        #expect(abs(x[peak2] - ka2) < 0.01)
    }

    /// The cached profile — instrument spectra on a lattice of angles `angleStep` apart, interpolated, the size
    /// applied in Fourier space — against the profile convolved afresh at the exact d, for LaB6 peaks from 21° to
    /// 142°, halfway between lattice angles where the interpolation is worst; and its size derivative against a
    /// central difference of the direct profile. Measured: within 4e-4 of the peak height (the two use grids of
    /// slightly different length, whose wrapped Lorentzian tails differ at that level) and 1e-3 in ∂/∂size.
    @Test func cachedProfileMatchesDirectConvolution() {
        let fp = Self.nist
        let profiler = FundamentalParametersProfiler()
        let cache = FundamentalParametersCache()
        for hkl in [(1, 0, 0), (2, 1, 0), (3, 2, 1), (5, 1, 0)] {
            let m2 = Double(hkl.0 * hkl.0 + hkl.1 * hkl.1 + hkl.2 * hkl.2)
            // d whose Bragg angle lies halfway between two lattice angles.
            let near = 2 * asin(1.540596 * m2.squareRoot() / (2 * 4.15678)) * 180 / .pi
            let bragg = ((near / FundamentalParametersCache.angleStep).rounded(.down) + 0.5) * FundamentalParametersCache.angleStep
            let d = 1.540596 / (2 * sin(bragg / 2 * .pi / 180))
            let x = stride(from: bragg - 0.6, through: bragg + 0.6, by: 0.002).map { $0 }
            let direct = profiler.profile(fp, d: d, at: x)
            var values = [Double](repeating: 0, count: x.count), slopes = values
            var sizeSlopes: [Double]? = values
            profiler.profile(fp, d: d, center: bragg, twoTheta: x, range: x.indices, values: &values, slopes: &slopes,
                             sizeSlopes: &sizeSlopes, cache: cache)
            let peak = direct.max()!
            let worst = zip(values, direct).map { abs($0 - $1) }.max()!
            #expect(worst < 2e-3 * peak, "\(hkl) at \(bragg)°: cached vs direct \(worst / peak) of the peak")
            var up = fp, down = fp
            up.size *= 1.001; down.size *= 0.999
            let pu = profiler.profile(up, d: d, at: x), pd = profiler.profile(down, d: d, at: x)
            let fd = zip(pu, pd).map { ($0 - $1) / (up.size - down.size) }
            let scale = fd.map(abs).max()!
            let dWorst = zip(sizeSlopes!, fd).map { abs($0 - $1) }.max()!
            #expect(scale > 0 && dWorst < 5e-3 * scale, "\(hkl): ∂/∂size cached vs difference \(dWorst / scale)")
        }
    }
}
