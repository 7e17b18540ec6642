import Foundation
import NumericCore

/// A fundamental-parameters peak profile (the TOPAS approach, Cheary & Coelho, J. Appl. Cryst. 25 (1992)
/// 109): the peak is the convolution of the instrument's and the sample's aberration functions, each sampled on
/// a fine 2θ grid and convolved by real FFTs (FFTW), plans reused across peaks.
///
/// Components (offsets in 2θ from the Bragg angle of the strongest emission line, θ its Bragg angle):
/// - emission: Lorentzian lines at 2 asin(λᵢ/2d) with FWHM 2 tanθ · wᵢ/λᵢ (rad), intensities Iᵢ (or, with
///   `dispersion` linear, at 2 tanθ · (λᵢ − λ₁)/λ₁ from the primary line λ₁: see `Dispersion`);
/// - receiving slit (or detector strip): a top-hat of width w_r / R (rad);
/// - flat specimen (Bragg–Brentano equatorial divergence α): density ∝ 1/√(−ε) on −α² cotθ / 2 ≤ ε ≤ 0 (rad);
/// - axial divergence: the FCJ distribution with S/L and H/L (see `AxialDivergence`), or the full axial model
///   of `fullAxial` when the instrument gives one (Soller slits; see `FullAxialDivergence`);
/// - tube tails (TOPAS's `Tube_Tails`, as in NIST's FPA): the source's main focus, a top-hat of `mainWidth / R`,
///   plus a weak top-hat from `left / R` to `right / R` (rad) of height `height` relative to the main one;
/// - specimen transparency of a thick flat specimen: an exponential (1/δ) e^(ε/δ), ε ≤ 0, δ = sin 2θ / (2μR)
///   (Cheary, Coelho & Cline, J. Res. NIST 109 (2004) 1, eq. 12), with 1/(2μ) = 0.05 T mm for GSAS-II's
///   transparency T — the exact shape whose centroid is GSAS-II's transparency shift;
/// - an analyser's passband, when given: the emission multiplied by a Gaussian window in Δλ/λ (FWHM `width`,
///   centred `offset` from the primary line), as SRM 660c's pdCIF describes NIST's model of its graphite analyser;
/// - crystallite size: a Lorentzian of FWHM λ / (D cosθ) (rad), D in µm.
/// Units at the boundary: mm, degrees, µm, Å.
public struct FundamentalParameters: Sendable, Hashable {
    public struct Line: Sendable, Hashable {
        public var wavelength: Double, intensity: Double, width: Double  // Å, relative, Lorentzian FWHM in Å
        public init(wavelength: Double, intensity: Double, width: Double) {
            self.wavelength = wavelength; self.intensity = intensity; self.width = width
        }
    }

    /// The X-ray source's tails (TOPAS's `Tube_Tails`): widths in mm in the equatorial plane, `left` ≤ 0 ≤
    /// `right`; `height` is the tails' height relative to the main focus's (their area relative to it is
    /// height (right − left) / mainWidth).
    public struct TubeTails: Sendable, Hashable {
        public var mainWidth: Double, left: Double, right: Double, height: Double
        public init(mainWidth: Double, left: Double, right: Double, height: Double) {
            self.mainWidth = mainWidth; self.left = left; self.right = right; self.height = height
        }
        /// The tails' area relative to the main focus's.
        public var relativeArea: Double { mainWidth > 0 ? height * (right - left) / mainWidth : 0 }
    }

    /// Cu Kα as five Lorentzians (Berger, X-ray Spectrom. 15 (1986) 241; the "CuKa5" of TOPAS and GSAS-II's
    /// FPA): λ (Å), intensity, FWHM (mÅ → Å).
    public static let copperKAlpha5: [Line] = [
        .init(wavelength: 1.540596, intensity: 0.5791, width: 0.437e-3), .init(wavelength: 1.541058, intensity: 0.0762, width: 0.6e-3),
        .init(wavelength: 1.54441, intensity: 0.2417, width: 0.52e-3), .init(wavelength: 1.544721, intensity: 0.0871, width: 0.62e-3),
        .init(wavelength: 1.534753, intensity: 0.0159, width: 3.6854e-3),
    ]

    /// Cu Kα as four Lorentzians as NIST measured it (Mendenhall et al., J. Phys. B 50 (2017) 115004; the
    /// spectrum of NIST's FPA and of its SRM certifications, Kα11 at 1.5405925 Å): λ (Å), area, FWHM (Å).
    public static let copperKAlphaMendenhall: [Line] = [
        .init(wavelength: 1.5405925, intensity: 3.91, width: 0.436e-3), .init(wavelength: 1.5410769, intensity: 0.474, width: 0.558e-3),
        .init(wavelength: 1.5443873, intensity: 1.53, width: 0.487e-3), .init(wavelength: 1.5446782, intensity: 0.754, width: 0.630e-3),
    ]

    /// Where the emission lines fall in 2θ.
    public enum Dispersion: String, Sendable, Hashable, CaseIterable {
        /// Bragg's law for each line: 2 asin(λᵢ / 2d) (the physics; the default).
        case exact
        /// The first-order dispersion about the primary line: 2θ₁ + 2 tanθ₁ · (λᵢ − λ₁)/λ₁. NIST's windowed-emission
        /// FPA (NIST's Python `atan_windowed_FP_profile`, "to match Topas macro notation") places the lines so —
        /// its monochromator term vanishes for an analyser beside the detector, as SRM 660c's pdCIF says of its
        /// graphite one — and SRM 660c's calculated pattern follows it; the second-order term it leaves out,
        /// tan³θ · ((λᵢ − λ₁)/λ₁)², puts Kα2 16 mdeg closer to Kα1 at 149° 2θ. For reproducing such a refinement.
        case linear
    }

    /// A crystal analyser's passband on the spectrum: a Gaussian window in Δλ/λ from the primary line, of FWHM
    /// `width`, centred at `offset` (both relative). SRM 660c's pdCIF describes NIST's model of its graphite
    /// analyser so ("Gaussian, with a width assumed to be roughly the mosaic angle, and an offset", the offset's
    /// unit unstated). No dispersion term: the analyser stands beside the detector.
    public struct Passband: Sendable, Hashable {
        public var width: Double, offset: Double
        public init(width: Double, offset: Double = 0) { self.width = width; self.offset = offset }

        /// The window's transmission at relative wavelength `relative` (Δλ/λ from the primary line).
        public func transmission(_ relative: Double) -> Double {
            let z = (relative - offset) / width
            return exp(-4 * log(2.0) * z * z)
        }
    }

    /// The emission spectra an instrument file may name (`FP.emission`).
    public static let namedEmission: [String: [Line]] = ["CuKa5": copperKAlpha5, "CuKa-Mendenhall2017": copperKAlphaMendenhall]

    public var emission: [Line]
    /// Goniometer radius, mm.
    public var radius: Double
    /// Receiving slit (equatorial) width, mm.
    public var receivingSlit: Double
    /// Equatorial divergence of the incident beam, degrees (flat-specimen aberration; 0 for capillaries).
    public var equatorialDivergence: Double
    /// Axial divergence as FCJ S/L and H/L.
    public var sOverL: Double, hOverL: Double
    /// The source's tails (nil: none).
    public var tubeTails: TubeTails?
    /// The full axial model's geometry, which replaces FCJ's S/L and H/L when set (the instrument's
    /// `fullAxial`, copied in for each evaluation).
    public var fullAxial: AxialGeometry?
    /// Specimen transparency, GSAS-II's T (the model's Bragg–Brentano `transparency`, copied in for each
    /// evaluation; 0: none).
    public var transparency = 0.0
    /// Crystallite size, µm (∞ = none).
    public var size: Double
    /// Grid step of the convolution, degrees.
    public var step = 0.0005
    /// Where the emission lines fall (`FP.dispersion`).
    public var dispersion = Dispersion.exact
    /// The analyser's passband (nil: the whole spectrum passes).
    public var passband: Passband?

    public init(emission: [Line], radius: Double, receivingSlit: Double, equatorialDivergence: Double,
                sOverL: Double, hOverL: Double, size: Double = .infinity) {
        self.emission = emission; self.radius = radius; self.receivingSlit = receivingSlit
        self.equatorialDivergence = equatorialDivergence; self.sOverL = sOverL; self.hOverL = hOverL; self.size = size
    }

    /// The primary (strongest) line.
    public var primary: Line { emission.max { $0.intensity < $1.intensity }! }

    /// Δλ/λ (from the primary line) of the rays at `offsets` degrees 2θ from the primary line's Bragg angle for
    /// spacing d (Å), by `dispersion` (the inverse of `lineOffsets`).
    public func relativeWavelengths(offsets: [Double], d: Double) -> [Double] {
        let rad = Double.pi / 180
        let primary = primary.wavelength
        let theta = asin(min(1, primary / (2 * d)))
        switch dispersion {
        case .exact: return offsets.map { 2 * d * sin(theta + $0 * rad / 2) / primary - 1 }
        case .linear: return offsets.map { $0 * rad / (2 * tan(theta)) }
        }
    }

    /// Offsets (degrees 2θ) of the emission lines from the primary line's Bragg angle for spacing d (Å), by
    /// `dispersion`.
    public func lineOffsets(d: Double) -> [Double] {
        let rad = Double.pi / 180
        let primary = primary.wavelength
        let theta = asin(min(1, primary / (2 * d)))
        switch dispersion {
        case .exact: return emission.map { 2 * asin(min(1, $0.wavelength / (2 * d))) / rad - 2 * theta / rad }
        case .linear: return emission.map { 2 * tan(theta) * ($0.wavelength - primary) / primary / rad }
        }
    }
}

/// A quantity a fundamental-parameters profile is drawn with and whose derivative is a difference of
/// convolved profiles: one of the FP's instrument terms, the full axial model's Soller angle, or the
/// specimen's transparency (a convolution here, a shift on the pseudo-Voigt path).
enum FundamentalTerm: Equatable {
    case profile(ProfileTerm)
    case transparency

    func value(in fp: FundamentalParameters) -> Double {
        switch self {
        case .transparency: return fp.transparency
        case .profile(let t): return fp.value(of: t)
        }
    }

    func set(_ value: Double, in fp: inout FundamentalParameters) {
        switch self {
        case .transparency: fp.transparency = value
        case .profile(let t): fp.setValue(value, for: t)
        }
    }

    /// The lowest value with a meaning (a difference does not step below it).
    var lowestValue: Double {
        switch self {
        case .transparency, .profile(.receivingSlit), .profile(.divergence), .profile(.axialDivergence), .profile(.tailRight), .profile(.tailHeight): return 0
        case .profile(.soller): return 1e-3
        case .profile(.passbandWidth): return 1e-6
        default: return -.infinity
        }
    }
}

extension FundamentalParameters {
    /// An instrument term's value (NaN for a term the profile does not have).
    public func value(of t: ProfileTerm) -> Double {
        switch t {
        case .receivingSlit: return receivingSlit
        case .divergence: return equatorialDivergence
        case .axialDivergence: return sOverL + hOverL
        case .soller: return fullAxial?.sollerAngle ?? .nan
        case .tailLeft: return tubeTails?.left ?? .nan
        case .tailRight: return tubeTails?.right ?? .nan
        case .tailHeight: return tubeTails?.height ?? .nan
        case .passbandWidth: return passband?.width ?? .nan
        case .passbandOffset: return passband?.offset ?? .nan
        default: return .nan
        }
    }

    /// Sets an instrument term; the axial divergence keeps S : H, the Soller angle the slits' proportion.
    public mutating func setValue(_ value: Double, for t: ProfileTerm) {
        switch t {
        case .receivingSlit: receivingSlit = value
        case .divergence: equatorialDivergence = value
        case .axialDivergence:
            let total = sOverL + hOverL
            (sOverL, hOverL) = total > 0 ? (sOverL * value / total, hOverL * value / total) : (value / 2, value / 2)
        case .soller: fullAxial?.sollerAngle = value
        case .tailLeft: tubeTails?.left = value
        case .tailRight: tubeTails?.right = value
        case .tailHeight: tubeTails?.height = value
        case .passbandWidth: passband?.width = value
        case .passbandOffset: passband?.offset = value
        default: break
        }
    }
}

/// Evaluates FP profiles, keeping one FFT plan per transform length.
public final class FundamentalParametersProfiler {
    private var plans: [Int: RealFFT] = [:]
    /// The full axial model's quadratures of the last few geometries.
    private let axialQuadratures = FullAxialCache()

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
        let lorentz = fp.emission.map { 2 * tan(theta) * $0.width / $0.wavelength / rad }.max() ?? 0
        let lineSpread = fp.lineOffsets(d: d).map(abs).max() ?? 0
        let size = sizeWidth(fp, theta: theta)
        let divergence = fp.equatorialDivergence * rad
        let flat: Double = fp.equatorialDivergence > 0 ? divergence * divergence / (2 * tan(theta)) / rad : 0
        let slit: Double = fp.receivingSlit / fp.radius / rad
        let tails: Double = 12 * (lorentz + size)
        return lineSpread + tails + flat + slit + extraSpan(fp, theta: theta) + 0.1
    }

    /// Half-width (degrees) of the components beyond emission, slit and flat specimen: the source's tails,
    /// ten transparency lengths and the full axial model's reach (estimated from its second-order ε).
    func extraSpan(_ fp: FundamentalParameters, theta: Double) -> Double {
        let rad = Double.pi / 180
        var span = 0.0
        if let t = fp.tubeTails { span += max(abs(t.left), abs(t.right), t.mainWidth / 2) / fp.radius / rad }
        span += 10 * Components.transparencyLength(fp, theta: theta) / rad
        if let g = fp.fullAxial {
            // β up to the Soller angle or the lengths' reach, ε ≈ β₁β₂/sin 2θ + (β₁² + β₂²)|cot 2θ|/2.
            let reach = min(g.sollerAngle.isFinite ? g.sollerAngle * rad : .infinity,
                            atan((max(g.sourceLength, g.receiverLength) + g.sampleLength) / 2 / g.radius))
            let s2 = max(abs(sin(2 * theta)), 0.05)
            span += (reach * reach / s2 + reach * reach * abs(cos(2 * theta)) / s2) / rad
        }
        return span
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
        /// The axial aberration: the full axial model's quadrature, or FCJ's (S/L, H/L).
        let fullAxial: FullAxialDivergence?
        let sOverL: Double, hOverL: Double

        /// The axial aberration's sub-peaks: offsets (rad) and weights, FCJ's or the full axial model's (worked
        /// out when asked for: the full model maps ~2000 cells, and its transform is usually kept).
        func axialSubPeaks() -> (offsets: [Double], weights: [Double]) {
            if let fullAxial { return (fullAxial.offsetValues(twoTheta: 2 * theta), fullAxial.weights) }
            let rad = Double.pi / 180
            guard let a = AxialDivergence(twoTheta: 2 * theta, sOverL: sOverL, hOverL: hOverL, fwhm: max(slit, 0.01 * rad), nodes: 48) else { return ([], []) }
            return (a.offsets, a.weights)
        }

        /// δ (rad) of the transparency exponential at θ: sin 2θ / (2μR) with 1/(2μ) = 0.05 T mm.
        static func transparencyLength(_ fp: FundamentalParameters, theta: Double) -> Double {
            fp.transparency > 0 ? 0.05 * fp.transparency * sin(2 * theta) / fp.radius : 0
        }

        init(_ fp: FundamentalParameters, d: Double, fullAxial: FullAxialDivergence?) {
            let rad = Double.pi / 180
            theta = asin(fp.primary.wavelength / (2 * d))
            let center = 2 * theta / rad
            self.center = center
            lineOffsets = fp.lineOffsets(d: d)
            let theta = theta
            lorentz = fp.emission.map { 2 * tan(theta) * $0.width / $0.wavelength / rad }
            flat = fp.equatorialDivergence > 0 ? pow(fp.equatorialDivergence * rad, 2) / (2 * tan(theta)) / rad : 0
            slit = fp.receivingSlit / fp.radius / rad
            self.fullAxial = fullAxial
            (sOverL, hOverL) = (fp.sOverL, fp.hOverL)
        }
    }

    func components(_ fp: FundamentalParameters, d: Double) -> Components {
        Components(fp, d: d, fullAxial: fp.fullAxial.map { axialQuadratures.quadrature(for: $0) })
    }

    private struct LengthKey: Hashable { let fp: FundamentalParameters; let d: Double }
    /// Grid lengths already worked out (each lays out every component, the full axial model's ~2000 cells
    /// included, and a cached profile is looked up by its length at every evaluation).
    private var lengths: [LengthKey: Int] = [:]

    /// The grid length for a reflection with spacing d: every component's width (the size included), with
    /// room for the Lorentzian tails.
    func gridLength(_ fp: FundamentalParameters, d: Double) -> Int {
        let key = LengthKey(fp: fp, d: d)
        if let known = lengths[key] { return known }
        if lengths.count > 100_000 { lengths.removeAll() }
        let length = workOutGridLength(fp, d: d)
        lengths[key] = length
        return length
    }

    private func workOutGridLength(_ fp: FundamentalParameters, d: Double) -> Int {
        let c = components(fp, d: d)
        let (theta, lineOffsets, lorentz, flat, slit) = (c.theta, c.lineOffsets, c.lorentz, c.flat, c.slit)
        let axialSpan = (c.axialSubPeaks().offsets.map(abs).max() ?? 0) / (Double.pi / 180)
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
        let tubeAndTransparency = (fp.tubeTails.map { max(abs($0.left), abs($0.right), $0.mainWidth / 2) / fp.radius } ?? 0) / (Double.pi / 180)
            + 10 * Components.transparencyLength(fp, theta: theta) / (Double.pi / 180)
        let reach = min((lineOffsets.map(abs).max() ?? 0) + 15 * (tail + sizeBound) + flat + slit + axialSpan + tubeAndTransparency + 0.2,
                        Self.maximumReach)
        return RealFFT.fastLength(atLeast: max(2, Int((2 * reach / fp.step).rounded(.up))))
    }

    /// The size broadening's Lorentzian FWHM (degrees) at θ (radians): λ / (D cos θ).
    func sizeWidth(_ fp: FundamentalParameters, theta: Double) -> Double {
        fp.size.isFinite ? fp.primary.wavelength / (fp.size * 1e4 * cos(theta)) / (Double.pi / 180) : 0
    }

    /// What one component of the instrument profile depends on besides the grid (and, for those that vary with
    /// it, the reflection): its transform is kept under this key, so that a change of one term — a refinement's
    /// trial value, a central difference — recomputes that component alone.
    enum Component: Hashable {
        case emission([FundamentalParameters.Line], FundamentalParameters.Dispersion, FundamentalParameters.Passband?, d: Double)
        case slit(Double)
        case flat(Double)
        /// FCJ's S/L, H/L and the slit (its quadrature is laid out for the slit's width), or the full geometry.
        case axial(s: Double, h: Double, slit: Double, full: AxialGeometry?, d: Double)
        case tails(FundamentalParameters.TubeTails, radius: Double)
        case transparency(Double)
    }
    private struct ComponentKey: Hashable { let component: Component; let length: Int; let step: Double }
    /// Component transforms kept (numbers held at most: 4 M doubles, 32 MB per profiler; all go beyond).
    private var componentSpectra: [ComponentKey: [Double]] = [:]
    private var componentValues = 0
    static let componentCapacity = 4_000_000

    /// The transform of a component sampled on the grid by `samples`, kept under its key.
    func componentSpectrum(_ component: Component, length m: Int, step h: Double, _ samples: () -> [Double]) -> [Double] {
        let key = ComponentKey(component: component, length: m, step: h)
        if let kept = componentSpectra[key] { return kept }
        let made = fft(m).forward(samples())
        if componentValues + made.count > Self.componentCapacity {
            componentSpectra.removeAll()
            componentValues = 0
        }
        componentSpectra[key] = made
        componentValues += made.count
        return made
    }

    func instrumentSpectrum(_ fp: FundamentalParameters, d: Double, length m: Int) -> InstrumentSpectrum {
        let rad = Double.pi / 180
        let c = components(fp, d: d)
        let (theta, center, lineOffsets, lorentz, flat, slit) = (c.theta, c.center, c.lineOffsets, c.lorentz, c.flat, c.slit)
        let h = fp.step
        func offset(_ k: Int) -> Double { Double(k <= m / 2 ? k : k - m) * h }
        // Emission.
        var spectrum = componentSpectrum(.emission(fp.emission, fp.dispersion, fp.passband, d: d), length: m, step: h) {
            var emission = [Double](repeating: 0, count: m)
            let total = fp.emission.reduce(0) { $0 + $1.intensity }
            // A line beyond the grid's half-length (the linear dispersion's Kα2 near 180°) would wrap onto it: left out.
            for (i, line) in fp.emission.enumerated() where abs(lineOffsets[i]) < Double(m / 2) * h {
                let g = lorentz[i] / 2
                for k in 0..<m {
                    let x = offset(k) - lineOffsets[i]
                    emission[k] += line.intensity / total * g / (Double.pi * (x * x + g * g)) * h
                }
            }
            // The analyser's passband: each ray weighted by the window at its wavelength (the profile is brought
            // to unit area at the end: what the analyser takes from every reflection alike is the scale's).
            if let passband = fp.passband {
                let relative = fp.relativeWavelengths(offsets: (0..<m).map(offset), d: d)
                for k in 0..<m { emission[k] *= passband.transmission(relative[k]) }
            }
            return emission
        }
        // Receiving slit: a top-hat, sampled by the overlap of each grid cell with [−w/2, w/2].
        if slit > h {
            RealFFT.multiply(&spectrum, by: componentSpectrum(.slit(slit), length: m, step: h) {
                Self.cells(m, h) { lo, hi in max(0, min(hi, slit / 2) - max(lo, -slit / 2)) / slit }
            })
        }
        // Flat specimen: P(−ε ≤ t) = √(t / |εm|) on [0, |εm|].
        if flat > h {
            RealFFT.multiply(&spectrum, by: componentSpectrum(.flat(flat), length: m, step: h) {
                Self.cells(m, h) { lo, hi in
                    let a = max(0, min(-lo, flat)), b = max(0, min(-hi, flat))
                    return abs((a / flat).squareRoot() - (b / flat).squareRoot())
                }
            })
        }
        // Axial divergence: the FCJ or full axial sub-peaks, each shared between its two grid points (so that
        // the profile follows S/L, H/L and the Soller angle smoothly, as their derivatives need).
        let fcj = c.fullAxial == nil ? c.axialSubPeaks() : nil
        if c.fullAxial != nil || fcj?.offsets.isEmpty == false {
            let isFCJ = fp.fullAxial == nil
            let key = Component.axial(s: isFCJ ? fp.sOverL : 0, h: isFCJ ? fp.hOverL : 0, slit: isFCJ ? slit : 0, full: fp.fullAxial, d: d)
            RealFFT.multiply(&spectrum, by: componentSpectrum(key, length: m, step: h) {
                var a = [Double](repeating: 0, count: m)
                let (offsets, weights) = fcj ?? c.axialSubPeaks()
                for (o, w) in zip(offsets, weights) {
                    let x = o / rad / h
                    let k = Int(x.rounded(.down)), f = x - Double(k)
                    a[((k % m) + m) % m] += w * (1 - f)
                    a[(((k + 1) % m) + m) % m] += w * f
                }
                return a
            })
        }
        // Tube tails: the main focus's top-hat and the tails' (height relative to the main one), by cell overlap.
        if let t = fp.tubeTails, t.mainWidth > 0 {
            RealFFT.multiply(&spectrum, by: componentSpectrum(.tails(t, radius: fp.radius), length: m, step: h) {
                let main = t.mainWidth / fp.radius / rad, (lo, hi) = (t.left / fp.radius / rad, t.right / fp.radius / rad)
                let area = t.relativeArea
                return Self.cells(m, h) { a, b in
                    var p = max(0, min(b, main / 2) - max(a, -main / 2)) / main
                    if hi > lo { p += area * max(0, min(b, hi) - max(a, lo)) / (hi - lo) }
                    return p
                }
            })
        }
        // Specimen transparency: (1/δ) e^(ε/δ) on ε ≤ 0. Each cell's mass is put at its mean, shared between
        // the two grid points around it, so that the centroid is −δ exactly even when δ is below the grid step
        // (and the profile follows δ smoothly from 0, as its derivative needs).
        let delta = Components.transparencyLength(fp, theta: theta) / rad
        if delta > 0 {
            RealFFT.multiply(&spectrum, by: componentSpectrum(.transparency(delta), length: m, step: h) {
                var t = [Double](repeating: 0, count: m)
                for k in 0...(m / 2) {
                    let (lo, hi) = (-(Double(k) + 0.5) * h, min(0, -(Double(k) - 0.5) * h))
                    let (ehi, elo) = (exp(hi / delta), exp(lo / delta))
                    let mass = ehi - elo
                    guard mass > 1e-300 else { break }
                    let mean = ((hi - delta) * ehi - (lo - delta) * elo) / mass
                    let x = mean / h
                    let j = Int(x.rounded(.down)), f = x - Double(j)
                    t[((j % m) + m) % m] += mass * (1 - f)
                    t[(((j + 1) % m) + m) % m] += mass * f
                }
                return t
            })
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
    /// An instrument spectrum's key: the angle, the grid and every instrument term (the size set aside).
    struct Key: Hashable { let angle: Int; let length: Int; let instrument: FundamentalParameters }
    /// A whole profile's key: the reflection, the grid and all of the FP (instrument terms, which may be
    /// refined too, and size).
    struct GridKey: Hashable { let d: Double; let length: Int; let sizeDerivative: Bool; let fp: FundamentalParameters }
    private var spectra: [Key: FundamentalParametersProfiler.InstrumentSpectrum] = [:]
    private var grids: [GridKey: FundamentalParametersProfiler.Grid] = [:]
    /// Profilers (each with its FFT plans and buffers, for one thread at a time) not in use.
    private var idle: [FundamentalParametersProfiler] = []
    private let lock = NSLock()
    /// Entries kept at most (a cache is emptied beyond).
    static let capacity = 20_000
    /// Numbers kept at most across both (16 M doubles, 128 MB): a refinement's every trial instrument adds a
    /// spectrum per reflection angle, and by count alone NIST's LaB6 scan grew to 0.9–2.9 GB. One evaluation
    /// with the derivatives of nine FP terms needs ~8 M.
    static let capacityValues = 16_000_000
    private var storedValues = 0

    /// Makes room for `count` more numbers (the caller holds the lock): everything goes when the budget is
    /// spent (a refinement's trial instruments are rarely asked for again).
    private func makeRoom(_ count: Int) {
        if storedValues + count > Self.capacityValues || spectra.count > Self.capacity || grids.count > Self.capacity {
            spectra.removeAll()
            grids.removeAll()
            storedValues = 0
        }
        storedValues += count
    }

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
        let gridKey = GridKey(d: d, length: length, sizeDerivative: sizeDerivative, fp: fp)
        var instrumentOnly = fp
        instrumentOnly.size = .infinity
        lock.lock()
        if let g = grids[gridKey] { lock.unlock(); return g }
        lock.unlock()
        func spectrum(_ k: Int) -> FundamentalParametersProfiler.InstrumentSpectrum {
            let key = Key(angle: k, length: length, instrument: instrumentOnly)
            lock.lock()
            if let cached = spectra[key] { lock.unlock(); return cached }
            lock.unlock()
            let computed = profiler.instrumentSpectrum(fp, d: spacing(k), length: length)
            lock.lock()
            makeRoom(computed.spectrum.count)
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
        makeRoom(g.values.count + (g.sizeDerivative?.count ?? 0))
        grids[gridKey] = g
        lock.unlock()
        return g
    }
}
