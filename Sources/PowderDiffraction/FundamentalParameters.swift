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
    /// points of `range` in `twoTheta`, written into `values` and `slopes` (index 0 = range.lowerBound); with
    /// `sizeSlopes`, also its derivative with respect to the crystallite size (per degree per µm).
    public func profile(_ fp: FundamentalParameters, d: Double, center: Double, twoTheta: [Double], range: Range<Int>,
                        values: inout [Double], slopes: inout [Double], sizeSlopes: inout [Double]?,
                        cache: FundamentalParametersCache? = nil) {
        let wantSize = sizeSlopes != nil
        let g = cache?.grid(fp, d: d, sizeDerivative: wantSize, profiler: self) ?? grid(fp, d: d, sizeDerivative: wantSize)
        for (j, i) in range.enumerated() {
            // The profile moves with its centre: ∂Φ/∂centre = −∂Φ/∂x.
            let s = g.sample(twoTheta[i] - center)
            values[j] = s.value
            slopes[j] = -s.slope
            if wantSize, let dSize = g.sizeDerivative { sizeSlopes![j] = g.sample(twoTheta[i] - center, of: dSize).value }
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

    /// The convolved profile on its circular grid around the primary Bragg angle `center` (degrees), and its
    /// derivative with respect to the crystallite size when asked for.
    struct Grid {
        let values: [Double]
        let step: Double
        let center: Double
        var sizeDerivative: [Double]? = nil

        /// Value and slope (per degree) at offset x from the centre, by linear interpolation on the grid.
        func sample(_ x: Double) -> (value: Double, slope: Double) { sample(x, of: values) }

        /// The same for another function on this grid.
        func sample(_ x: Double, of values: [Double]) -> (value: Double, slope: Double) {
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

    /// Everything but the crystallite size, as the spectrum of the convolved instrument profile on an FFT grid
    /// of `length` points (interleaved re, im): it does not change while only the size is refined.
    struct InstrumentSpectrum {
        let spectrum: [Double]
        let length: Int
        let step: Double
        let center: Double
        let theta: Double
    }

    /// Half-width (degrees) at which the grid stops growing.
    static let maximumReach = 12.0

    /// The instrument's components for a reflection with spacing d (degrees 2θ): primary Bragg angle θ
    /// (radians) and 2θ, each line's offset and Lorentzian FWHM, the flat-specimen width, the slit width and
    /// the FCJ sub-peaks.
    struct Components {
        let theta: Double, center: Double
        let lineOffsets: [Double], lorentz: [Double]
        let flat: Double, slit: Double
        let axial: AxialDivergence?

        init(_ fp: FundamentalParameters, d: Double) {
            let rad = Double.pi / 180
            theta = asin(fp.primary.wavelength / (2 * d))
            let center = 2 * theta / rad
            self.center = center
            lineOffsets = fp.emission.map { 2 * asin(min(1, $0.wavelength / (2 * d))) / rad - center }
            let theta = theta
            lorentz = fp.emission.map { 2 * tan(theta) * $0.width / $0.wavelength / rad }
            flat = fp.equatorialDivergence > 0 ? pow(fp.equatorialDivergence * rad, 2) / (2 * tan(theta)) / rad : 0
            slit = fp.receivingSlit / fp.radius / rad
            axial = AxialDivergence(twoTheta: 2 * theta, sOverL: fp.sOverL, hOverL: fp.hOverL, fwhm: max(slit, 0.01 * rad), nodes: 48)
        }
    }

    /// The grid length for a reflection with spacing d: every component's width (the size included), with
    /// room for the Lorentzian tails.
    func gridLength(_ fp: FundamentalParameters, d: Double) -> Int {
        let c = Components(fp, d: d)
        let (theta, lineOffsets, lorentz, flat, slit) = (c.theta, c.lineOffsets, c.lorentz, c.flat, c.slit)
        let axialSpan = (c.axial?.offsets.map(abs).max() ?? 0) / (Double.pi / 180)
        // The size's width in steps of √2, so that refining the size does not change the grid at every step.
        let size = sizeWidth(fp, theta: theta)
        let sizeBound = size > 0 ? pow(2, (2 * log2(size)).rounded(.up) / 2) : 0
        // Room for each line's Lorentzian tail in proportion to its weight (capped at its full width): a line
        // of relative intensity I and HWHM g puts ≈ 4 I g / (π L) of the area beyond a circular grid of length
        // L, and that part wraps around, spread over the grid. 15 widths leave ≈ 2/(π·30) of a main line's area
        // there (profiles on grids of different length differ by ~4e-4 of the peak height); Cu Kα5's weak,
        // broad satellite (I = 0.016) wraps no more than that with a grid a quarter as long.
        let strongest = fp.emission.map(\.intensity).max() ?? 1
        let tail = zip(lorentz, fp.emission).map { $0 * min(1, 10 * $1.intensity / strongest) }.max() ?? 0
        // A size so small that its Lorentzian spans degrees (a trial step of a refinement, or nanocrystals) is
        // applied in Fourier space all the same; the grid stops growing at ±`maximumReach` and the far tails
        // wrap around it.
        let reach = min((lineOffsets.map(abs).max() ?? 0) + 15 * (tail + sizeBound) + flat + slit + axialSpan + 0.2, Self.maximumReach)
        return RealFFT.fastLength(atLeast: max(2, Int((2 * reach / fp.step).rounded(.up))))
    }

    /// The size broadening's Lorentzian FWHM (degrees) at θ (radians): λ / (D cos θ).
    func sizeWidth(_ fp: FundamentalParameters, theta: Double) -> Double {
        fp.size.isFinite ? fp.primary.wavelength / (fp.size * 1e4 * cos(theta)) / (Double.pi / 180) : 0
    }

    func instrumentSpectrum(_ fp: FundamentalParameters, d: Double, length m: Int) -> InstrumentSpectrum {
        let rad = Double.pi / 180
        let c = Components(fp, d: d)
        let (theta, center, lineOffsets, lorentz, flat, slit, axial) = (c.theta, c.center, c.lineOffsets, c.lorentz, c.flat, c.slit, c.axial)
        let plan = fft(m)
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
        var spectrum = plan.forward(emission)
        // Receiving slit: a top-hat, sampled by the overlap of each grid cell with [−w/2, w/2].
        if slit > h {
            spectrum = RealFFT.multiply(spectrum, plan.forward(Self.cells(m, h) { lo, hi in max(0, min(hi, slit / 2) - max(lo, -slit / 2)) / slit }))
        }
        // Flat specimen: P(−ε ≤ t) = √(t / |εm|) on [0, |εm|].
        if flat > h {
            spectrum = RealFFT.multiply(spectrum, plan.forward(Self.cells(m, h) { lo, hi in
                let a = max(0, min(-lo, flat)), b = max(0, min(-hi, flat))
                return abs((a / flat).squareRoot() - (b / flat).squareRoot())
            }))
        }
        // Axial divergence: the FCJ sub-peaks, each shared between its two grid points (so that the profile
        // follows S/L and H/L smoothly, as their derivative needs).
        if let axial {
            var a = [Double](repeating: 0, count: m)
            for (o, w) in zip(axial.offsets, axial.weights) {
                let x = o / rad / h
                let k = Int(x.rounded(.down)), f = x - Double(k)
                a[((k % m) + m) % m] += w * (1 - f)
                a[(((k + 1) % m) + m) % m] += w * f
            }
            spectrum = RealFFT.multiply(spectrum, plan.forward(a))
        }
        return InstrumentSpectrum(spectrum: spectrum, length: m, step: h, center: center, theta: theta)
    }

    func grid(_ fp: FundamentalParameters, d: Double, sizeDerivative: Bool = false) -> Grid {
        grid(fp, instrument: instrumentSpectrum(fp, d: d, length: gridLength(fp, d: d)), sizeDerivative: sizeDerivative)
    }

    /// The profile from the instrument's spectrum and the crystallite size. The size's Lorentzian of FWHM Γ
    /// multiplies the spectrum by exp(−π Γ |ν|) (ν in cycles per degree: the transform of the Lorentzian
    /// summed over the periodic grid), so its derivative with respect to D, through ∂Γ/∂D = −Γ/D, is the
    /// inverse transform of (π Γ |ν| / D) exp(−π Γ |ν|) × spectrum. Both are divided by the area of the
    /// profile, which the size does not change.
    func grid(_ fp: FundamentalParameters, instrument: InstrumentSpectrum, sizeDerivative: Bool) -> Grid {
        let m = instrument.length, h = instrument.step
        let plan = fft(m)
        let width = sizeWidth(fp, theta: instrument.theta)
        var broadened = instrument.spectrum
        var slope = sizeDerivative && width > 0 ? instrument.spectrum : nil
        for k in 0..<(m / 2 + 1) {
            let nu = Double(k) / (Double(m) * h)
            let factor = exp(-Double.pi * width * nu)
            broadened[2 * k] *= factor
            broadened[2 * k + 1] *= factor
            if slope != nil {
                let dFactor = Double.pi * width * nu / fp.size * factor
                slope![2 * k] *= dFactor
                slope![2 * k + 1] *= dFactor
            }
        }
        var profile = plan.inverse(broadened)
        let area = profile.reduce(0, +) * h
        guard area > 0 else { return Grid(values: profile, step: h, center: instrument.center) }
        profile = profile.map { $0 / area }
        let derivative = slope.map { plan.inverse($0).map { $0 / area } }
        return Grid(values: profile, step: h, center: instrument.center,
                    sizeDerivative: sizeDerivative ? (derivative ?? [Double](repeating: 0, count: m)) : nil)
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

/// FP profiles kept across evaluations (shared by copies of a model, guarded for threads). The instrument part
/// of a reflection's profile is kept while d stays within 1e-5 Å and the instrument is the same; the size is
/// applied to it in Fourier space, and whole profiles are kept per size too. The position is applied as a
/// shift, so only cell changes larger than that recompute a convolution.
public final class FundamentalParametersCache: @unchecked Sendable {
    /// Spacing of the angles whose instrument spectra are computed, degrees 2θ.
    public static let angleStep = 0.02
    struct Key: Hashable { let angle: Int; let length: Int; let slit: Double; let divergence: Double; let s: Double; let h: Double }
    /// A whole profile's key: the reflection, the size and the instrument terms (which may be refined too).
    struct GridKey: Hashable {
        let d: Double; let length: Int; let size: Double; let sizeDerivative: Bool
        let slit: Double; let divergence: Double; let s: Double; let h: Double
    }
    private var spectra: [Key: FundamentalParametersProfiler.InstrumentSpectrum] = [:]
    private var grids: [GridKey: FundamentalParametersProfiler.Grid] = [:]
    /// Profilers (each with its FFT plans and buffers, for one thread at a time) not in use.
    private var idle: [FundamentalParametersProfiler] = []
    private let lock = NSLock()
    /// Entries kept at most (a cache is emptied beyond).
    static let capacity = 20_000

    public init() {}

    /// A profiler for one evaluation: its FFTW plans are made once and then reused by every later evaluation.
    func borrowProfiler() -> FundamentalParametersProfiler {
        lock.lock()
        defer { lock.unlock() }
        return idle.popLast() ?? FundamentalParametersProfiler()
    }

    func giveBack(_ profiler: FundamentalParametersProfiler) {
        lock.lock()
        idle.append(profiler)
        lock.unlock()
    }

    func grid(_ fp: FundamentalParameters, d: Double, sizeDerivative: Bool,
              profiler: FundamentalParametersProfiler) -> FundamentalParametersProfiler.Grid {
        let rad = Double.pi / 180
        let lambda = fp.primary.wavelength
        let twoTheta = 2 * asin(min(1, lambda / (2 * d))) / rad
        let q = twoTheta / Self.angleStep
        let below = Int(q.rounded(.down))
        let t = q - Double(below)
        /// d at lattice angle k.
        func spacing(_ k: Int) -> Double { lambda / (2 * sin(min(179.9, Double(k) * Self.angleStep) / 2 * rad)) }
        let length = profiler.gridLength(fp, d: spacing(below))
        let gridKey = GridKey(d: d, length: length, size: fp.size, sizeDerivative: sizeDerivative,
                              slit: fp.receivingSlit, divergence: fp.equatorialDivergence, s: fp.sOverL, h: fp.hOverL)
        lock.lock()
        if let g = grids[gridKey] { lock.unlock(); return g }
        lock.unlock()
        func spectrum(_ k: Int) -> FundamentalParametersProfiler.InstrumentSpectrum {
            let key = Key(angle: k, length: length, slit: fp.receivingSlit, divergence: fp.equatorialDivergence, s: fp.sOverL, h: fp.hOverL)
            lock.lock()
            if let cached = spectra[key] { lock.unlock(); return cached }
            lock.unlock()
            let computed = profiler.instrumentSpectrum(fp, d: spacing(k), length: length)
            lock.lock()
            if spectra.count > Self.capacity { spectra.removeAll(keepingCapacity: true) }
            spectra[key] = computed
            lock.unlock()
            return computed
        }
        let (lower, upper) = (spectrum(below), spectrum(below + 1))
        var mixed = lower.spectrum
        for i in mixed.indices { mixed[i] = (1 - t) * lower.spectrum[i] + t * upper.spectrum[i] }
        let instrument = FundamentalParametersProfiler.InstrumentSpectrum(spectrum: mixed, length: length, step: lower.step,
                                                                          center: twoTheta, theta: twoTheta / 2 * rad)
        let g = profiler.grid(fp, instrument: instrument, sizeDerivative: sizeDerivative)
        lock.lock()
        if grids.count > Self.capacity { grids.removeAll(keepingCapacity: true) }
        grids[gridKey] = g
        lock.unlock()
        return g
    }
}
