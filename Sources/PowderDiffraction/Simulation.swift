import Crystallography
import Foundation

/// One phase of a simulated pattern.
public struct SimulatedPhase: Sendable {
    public var structure: CrystalStructure
    public var name: String?
    public var scale: Double
    /// Crystallite size (µm) and microstrain (10⁻⁶).
    public var size: Double, microstrain: Double

    public init(structure: CrystalStructure, name: String? = nil, scale: Double, size: Double, microstrain: Double) {
        self.structure = structure
        self.name = name
        self.scale = scale
        self.size = size
        self.microstrain = microstrain
    }
}

/// Calculated patterns, with optional Poisson noise from a seeded generator (reproducible across runs).
public enum Simulation {
    public static func pattern(structure: CrystalStructure, instrument: Instrument, twoTheta: [Double], scale: Double,
                               background: [Double], size: Double, microstrain: Double, muR: Double = 0,
                               noiseSeed: UInt64? = nil, convention: ModelConvention = .exact) throws(CrystallographyError) -> Pattern {
        try pattern(phases: [SimulatedPhase(structure: structure, scale: scale, size: size, microstrain: microstrain)], instrument: instrument,
                    twoTheta: twoTheta, background: background, muR: muR, noiseSeed: noiseSeed, convention: convention)
    }

    /// The pattern of several phases.
    /// `peakWindow` and `threads` as `makeModel` takes them.
    public static func pattern(phases: [SimulatedPhase], instrument: Instrument, twoTheta: [Double], background: [Double], muR: Double = 0,
                               noiseSeed: UInt64? = nil, convention: ModelConvention = .exact, peakWindow: Double? = nil,
                               threads: Int = 1) throws(CrystallographyError) -> Pattern {
        let model = try makeModel(phases: phases, instrument: instrument, twoTheta: twoTheta, background: background, muR: muR,
                                  convention: convention, peakWindow: peakWindow, threads: threads)
        var y = model.evaluate().calculated
        var sigma = y.map { max($0, 1).squareRoot() }
        if let seed = noiseSeed {
            var rng = SplitMix64(seed: seed)
            y = y.map { Double(rng.poisson(mean: max($0, 0))) }
            sigma = y.map { max($0, 1).squareRoot() }
        }
        return Pattern(name: phases.map { $0.name ?? $0.structure.name }.joined(separator: "+"), twoTheta: twoTheta, intensity: y, sigma: sigma)
    }

    /// A single-phase model over a 2θ grid.
    public static func makeModel(structure: CrystalStructure, instrument: Instrument, twoTheta: [Double], scale: Double,
                                 background: [Double], size: Double, microstrain: Double, muR: Double = 0,
                                 convention: ModelConvention = .exact) throws(CrystallographyError) -> PatternModel {
        try makeModel(phases: [SimulatedPhase(structure: structure, scale: scale, size: size, microstrain: microstrain)], instrument: instrument,
                      twoTheta: twoTheta, background: background, muR: muR, convention: convention)
    }

    /// A model of several phases over a 2θ grid, with the convention's windows (or `peakWindow` FWHMs each side)
    /// and reflection range, evaluated on `threads` threads.
    public static func makeModel(phases: [SimulatedPhase], instrument: Instrument, twoTheta: [Double], background: [Double], muR: Double = 0,
                                 convention: ModelConvention = .exact, peakWindow: Double? = nil,
                                 threads: Int = 1) throws(CrystallographyError) -> PatternModel {
        var instrument = instrument
        instrument.asymmetryQuadrature = convention.asymmetryQuadrature
        let dMin = PatternModel.dMin(wavelength: instrument.radiation.wavelength, lastTwoTheta: twoTheta.last ?? 90, margin: convention.reflectionMargin)
        var models: [Phase] = []
        for p in phases {
            models.append(try Phase(structure: p.structure, wavelength: instrument.radiation.wavelength, dMin: dMin, scale: p.scale,
                                    size: p.size, microstrain: p.microstrain, name: p.name))
        }
        let bg = ChebyshevBackground(coefficients: background, low: twoTheta.first ?? 0, high: max(twoTheta.last ?? 1, (twoTheta.first ?? 0) + 1e-6))
        var model = PatternModel(twoTheta: twoTheta, instrument: instrument, background: bg, phases: models)
        model.muR = muR
        model.apply(convention, peakWindow: peakWindow)
        model.threads = threads
        return model
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): a small, fast, seedable generator.
public struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A Poisson deviate: Knuth's product method for small means, a rounded normal approximation above 50.
    public mutating func poisson(mean: Double) -> Int {
        if mean <= 0 { return 0 }
        if mean > 50 {
            let u1 = max(Double.random(in: 0..<1, using: &self), 1e-300), u2 = Double.random(in: 0..<1, using: &self)
            let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            return max(0, Int((mean + z * mean.squareRoot()).rounded()))
        }
        let l = exp(-mean)
        var k = 0, p = 1.0
        repeat { k += 1; p *= Double.random(in: 0..<1, using: &self) } while p > l
        return k - 1
    }
}
