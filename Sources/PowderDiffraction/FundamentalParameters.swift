import Foundation
import NumericCore

/// A fundamental-parameters peak profile (the TOPAS approach, Cheary & Coelho, J. Appl. Cryst. 25 (1992)
/// 109): the peak is the convolution of the instrument's and the sample's aberration functions, each sampled on
/// a fine 2θ grid and convolved by real FFTs (FFTW), plans reused across peaks.
///
/// Components (offsets in 2θ from the Bragg angle of the strongest emission line, θ its Bragg angle):
/// - emission: Lorentzian lines at 2 asin(λᵢ/2d) with FWHM 2 tanθ · wᵢ/λᵢ (rad), intensities Iᵢ;
/// - receiving slit (or detector strip): a top-hat of width w_r / R (rad);
/// - flat specimen (Bragg–Brentano equatorial divergence α): density ∝ 1/√(−ε) on −α² cotθ / 2 ≤ ε ≤ 0 (rad);
/// - axial divergence: the FCJ distribution with S/L and H/L (see `AxialDivergence`);
/// - crystallite size: a Lorentzian of FWHM λ / (D cosθ) (rad), D in µm.
/// Units at the boundary: mm, degrees, µm, Å.
public struct FundamentalParameters: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var wavelength: Double, intensity: Double, width: Double  // Å, relative, Lorentzian FWHM in Å
        public init(wavelength: Double, intensity: Double, width: Double) {
            self.wavelength = wavelength; self.intensity = intensity; self.width = width
        }
    }

    /// Cu Kα as five Lorentzians (Berger, X-ray Spectrom. 15 (1986) 241; the "CuKa5" of TOPAS and GSAS-II's
    /// FPA): λ (Å), intensity, FWHM (mÅ → Å).
    public static let copperKAlpha5: [Line] = [
        .init(wavelength: 1.540596, intensity: 0.5791, width: 0.437e-3), .init(wavelength: 1.541058, intensity: 0.0762, width: 0.6e-3),
        .init(wavelength: 1.54441, intensity: 0.2417, width: 0.52e-3), .init(wavelength: 1.544721, intensity: 0.0871, width: 0.62e-3),
        .init(wavelength: 1.534753, intensity: 0.0159, width: 3.6854e-3),
    ]

    public var emission: [Line]
    /// Goniometer radius, mm.
    public var radius: Double
    /// Receiving slit (equatorial) width, mm.
    public var receivingSlit: Double
    /// Equatorial divergence of the incident beam, degrees (flat-specimen aberration; 0 for capillaries).
    public var equatorialDivergence: Double
    /// Axial divergence as FCJ S/L and H/L.
    public var sOverL: Double, hOverL: Double
    /// Crystallite size, µm (∞ = none).
    public var size: Double
    /// Grid step of the convolution, degrees.
    public var step = 0.0005

    public init(emission: [Line], radius: Double, receivingSlit: Double, equatorialDivergence: Double,
                sOverL: Double, hOverL: Double, size: Double = .infinity) {
        self.emission = emission; self.radius = radius; self.receivingSlit = receivingSlit
        self.equatorialDivergence = equatorialDivergence; self.sOverL = sOverL; self.hOverL = hOverL; self.size = size
    }

    /// The primary (strongest) line.
    public var primary: Line { emission.max { $0.intensity < $1.intensity }! }
}

/// Evaluates FP profiles, keeping one FFT plan per transform length.
public final class FundamentalParametersProfiler {
    private var plans: [Int: RealFFT] = [:]

    public init() {}

    func fft(_ n: Int) -> RealFFT {
        if let p = plans[n] { return p }
        let p = RealFFT(minimumLength: n)
        plans[p.length] = p
        plans[n] = p
        return p
    }

    /// The profile (per degree, unit area) centred at `center` (degrees; the primary line's Bragg angle plus any
    /// zero and displacement shift) with its derivative with respect to the centre (per degree), at the
    /// points of `range` in `twoTheta`, written into `values` and `slopes` (index 0 = range.lowerBound).
    public func profile(_ fp: FundamentalParameters, d: Double, center: Double, twoTheta: [Double], range: Range<Int>,
                        values: inout [Double], slopes: inout [Double], cache: FundamentalParametersCache? = nil) {
        let g = cache?.grid(fp, d: d, profiler: self) ?? grid(fp, d: d)
        for (j, i) in range.enumerated() {
            // The profile moves with its centre: ∂Φ/∂centre = −∂Φ/∂x.
            let s = g.sample(twoTheta[i] - center)
            values[j] = s.value
            slopes[j] = -s.slope
        }
    }

    /// Half-width (degrees) beyond which the profile of a reflection with spacing d is negligible.
    public func reach(_ fp: FundamentalParameters, d: Double) -> Double {
        let rad = Double.pi / 180
        let theta = asin(min(1, fp.primary.wavelength / (2 * d)))
        var lorentz = 0.0, lineSpread = 0.0
        for line in fp.emission {
            lorentz = max(lorentz, 2 * tan(theta) * line.width / line.wavelength / rad)
            let position: Double = 2 * asin(min(1, line.wavelength / (2 * d))) / rad
            lineSpread = max(lineSpread, abs(position - 2 * theta / rad))
        }
        let size: Double = fp.size.isFinite ? fp.primary.wavelength / (fp.size * 1e4 * cos(theta)) / rad : 0
        let divergence = fp.equatorialDivergence * rad
        let flat: Double = fp.equatorialDivergence > 0 ? divergence * divergence / (2 * tan(theta)) / rad : 0
        let slit: Double = fp.receivingSlit / fp.radius / rad
        let tails: Double = 12 * (lorentz + size)
        return lineSpread + tails + flat + slit + 0.1
    }

    /// The profile (per degree, unit area) at the points `twoTheta` (degrees) of a reflection with spacing d (Å).
    public func profile(_ fp: FundamentalParameters, d: Double, at twoTheta: [Double]) -> [Double] {
        let g = grid(fp, d: d)
        return twoTheta.map { g.sample($0 - g.center).value }
    }

    /// The convolved profile on its circular grid around the primary Bragg angle `center` (degrees).
    struct Grid {
        let values: [Double]
        let step: Double
        let center: Double

        /// Value and slope (per degree) at offset x from the centre, by linear interpolation on the grid.
        func sample(_ x: Double) -> (value: Double, slope: Double) {
            let m = values.count
            let u = x / step
            guard abs(u) < Double(m / 2 - 1) else { return (0, 0) }
            let k0 = Int(u.rounded(.down))
            let f = u - Double(k0)
            let i0 = ((k0 % m) + m) % m, i1 = (((k0 + 1) % m) + m) % m
            let a = values[i0], b = values[i1]
            return (a * (1 - f) + b * f, (b - a) / step)
        }
    }

    func grid(_ fp: FundamentalParameters, d: Double) -> Grid {
        let rad = Double.pi / 180
        let lambda0 = fp.primary.wavelength
        let theta = asin(lambda0 / (2 * d))
        let center = 2 * theta / rad
        // Extent of the profile: every component's width, with room for the Lorentzian tails.
        let lineOffsets = fp.emission.map { 2 * asin(min(1, $0.wavelength / (2 * d))) / rad - center }
        let lorentz = fp.emission.map { 2 * tan(theta) * $0.width / $0.wavelength / rad }
        let flat = fp.equatorialDivergence > 0 ? pow(fp.equatorialDivergence * rad, 2) / (2 * tan(theta)) / rad : 0
        let slit = fp.receivingSlit / fp.radius / rad
        let sizeWidth = fp.size.isFinite ? lambda0 / (fp.size * 1e4 * cos(theta)) / rad : 0
        let axial = AxialDivergence(twoTheta: 2 * theta, sOverL: fp.sOverL, hOverL: fp.hOverL, fwhm: max(slit, 0.01 * rad), nodes: 48)
        let axialSpan = (axial?.offsets.map(abs).max() ?? 0) / rad
        let reach = (lineOffsets.map(abs).max() ?? 0) + 15 * ((lorentz.max() ?? 0) + sizeWidth) + flat + slit + axialSpan + 0.2
        let n = RealFFT.fastLength(atLeast: Int((2 * reach / fp.step).rounded(.up)))
        let plan = fft(n)
        let m = plan.length
        let h = fp.step
        func offset(_ k: Int) -> Double { Double(k <= m / 2 ? k : k - m) * h }
        // Emission.
        var emission = [Double](repeating: 0, count: m)
        let total = fp.emission.reduce(0) { $0 + $1.intensity }
        for (i, line) in fp.emission.enumerated() {
            let g = lorentz[i] / 2
            for k in 0..<m {
                let x = offset(k) - lineOffsets[i]
                emission[k] += line.intensity / total * g / (Double.pi * (x * x + g * g)) * h
            }
        }
        var components = [emission]
        // Receiving slit: a top-hat, sampled by the overlap of each grid cell with [−w/2, w/2].
        if slit > h { components.append(Self.cells(m, h) { lo, hi in max(0, min(hi, slit / 2) - max(lo, -slit / 2)) / slit }) }
        // Flat specimen: P(−ε ≤ t) = √(t / |εm|) on [0, |εm|].
        if flat > h {
            components.append(Self.cells(m, h) { lo, hi in
                let a = max(0, min(-lo, flat)), b = max(0, min(-hi, flat))
                return abs((a / flat).squareRoot() - (b / flat).squareRoot())
            })
        }
        // Axial divergence: the FCJ sub-peaks, binned.
        if let axial {
            var a = [Double](repeating: 0, count: m)
            for (o, w) in zip(axial.offsets, axial.weights) {
                var k = Int((o / rad / h).rounded())
                k = ((k % m) + m) % m
                a[k] += w
            }
            components.append(a)
        }
        // Crystallite size.
        if sizeWidth > h {
            let g = sizeWidth / 2
            components.append((0..<m).map { k in let x = offset(k); return g / (Double.pi * (x * x + g * g)) * h })
        }
        var profile = plan.convolve(components)
        let area = profile.reduce(0, +) * h
        if area > 0 { profile = profile.map { $0 / area } }
        return Grid(values: profile, step: h, center: center)
    }

    /// A component sampled by cell: `weight(lo, hi)` is its probability inside the cell [lo, hi) around each
    /// grid point (circular grid).
    static func cells(_ m: Int, _ h: Double, _ weight: (Double, Double) -> Double) -> [Double] {
        (0..<m).map { k in
            let x = Double(k <= m / 2 ? k : k - m) * h
            return weight(x - h / 2, x + h / 2)
        }
    }
}

/// Convolved FP profiles kept across evaluations (shared by copies of a model, guarded for threads): a shape
/// is reused while d stays within 1e-5 Å and the parameters (size included) are the same; the position is
/// applied as a shift, so only cell changes larger than that recompute the convolution.
public final class FundamentalParametersCache: @unchecked Sendable {
    struct Key: Hashable { let d: Int64; let size: Double; let slit: Double; let divergence: Double; let s: Double; let h: Double }
    private var grids: [Key: FundamentalParametersProfiler.Grid] = [:]
    private let lock = NSLock()
    /// Entries kept at most (the cache is emptied beyond).
    static let capacity = 20_000

    public init() {}

    func grid(_ fp: FundamentalParameters, d: Double, profiler: FundamentalParametersProfiler) -> FundamentalParametersProfiler.Grid {
        let key = Key(d: Int64((d * 1e5).rounded()), size: fp.size, slit: fp.receivingSlit, divergence: fp.equatorialDivergence,
                      s: fp.sOverL, h: fp.hOverL)
        lock.lock()
        if let g = grids[key] { lock.unlock(); return g }
        lock.unlock()
        let g = profiler.grid(fp, d: Double(key.d) / 1e5)
        lock.lock()
        if grids.count > Self.capacity { grids.removeAll(keepingCapacity: true) }
        grids[key] = g
        lock.unlock()
        return g
    }
}
