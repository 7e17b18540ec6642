import Crystallography
import Foundation
import PowderDiffraction

/// Quantitative phase analysis from refined scale factors.
///
/// Weight fractions by Hill & Howard (J. Appl. Cryst. 20 (1987) 467): W_p = S_p (ZMV)_p / Σ_i S_i (ZMV)_i
/// with S the scale of a model whose intensities are S·m|F|²Lp. This model's intensities carry 1/V (as
/// GSAS-II's do), so S_p = s_p / V_p for its scale s_p and W_p = s_p (ZM)_p / Σ_i s_i (ZM)_i — the cell
/// volume cancels exactly (GSAS-II's `calcMassFracs` is the same formula). ZM is the mass of the cell
/// contents from the CIF's atoms (`CrystalStructure.cellMass`, IUPAC 2021 atomic weights), so it follows
/// refined occupancies and cation mixing. esds come from the full covariance of every refined parameter W
/// depends on (scales, occupancies, mixing), never by adding esds.
///
/// With an internal standard of known weight fraction F in the sample, each fraction becomes absolute,
/// A_p = W_p F / W_std, and 1 − Σ A_p is the amorphous and unidentified content.
///
/// Microabsorption (Brindley, Phil. Mag. 36 (1945) 347): a phase whose particles absorb more than the mean
/// is under-represented in the diffracted intensity by the particle absorption contrast factor τ_p, so
/// W_p ∝ s_p (ZM)_p / τ_p (as TOPAS's `brindley_spherical_r_cm`). τ depends on (μ_p − μ̄) R_p, μ̄ the mean
/// linear attenuation (photoabsorption and scattering, `linearAttenuation`) of the solids, volume-fraction
/// weighted, which depends on the fractions: they are iterated to self-consistency. τ is held fixed in the
/// esds (its uncertainty is that of the particle size).
///
/// Phase intensity calibration (the external-standard method of O'Connor & Raven, Powder Diffr. 3 (1988) 2,
/// with one standard per phase: each phase measured pure on the same instrument). A thick flat specimen of a
/// phase alone diffracts s (ZM) = K / (μ/ρ) whatever its packing, K the instrument's intensity constant, so the
/// pure-phase refinement measures K_p = s (ZM) (μ/ρ)_p (`RefinementResult.intensityConstant`). A perfect
/// structure model gives the same K for every phase; what differs is the model's own error for that phase
/// (its scattering factors, displacement parameters, extinction), and it is the same error in the mixture.
/// So W_p ∝ s_p (ZM)_p / (τ_p K_p): Hill & Howard with each phase's intensity per unit mass measured rather
/// than calculated. An error in the phase's μ/ρ is not taken out: W_p goes as 1/(μ/ρ)_p. Every Rietveld phase
/// must then be calibrated. The K's esds (independent refinements) add to the fractions' variance through
/// ∂W_p/∂ln K_r = −W_p (δ_pr − W_r).
public struct QuantitativeAnalysis: Sendable {
    /// The phase added as an internal standard and its weighed fraction in the sample.
    public var internalStandard: (phase: Int, fraction: Double)?
    /// Particle radii (µm) for the Brindley correction, by phase; phases not listed are taken as fine
    /// (τ = 1). Empty: no correction.
    public var particleRadii: [Int: Double] = [:]
    /// Intensity constants measured on pure-phase scans, by phase. Empty: none (K equal for all phases).
    public var intensityCalibrations: [Int: IntensityCalibration] = [:]

    public init(internalStandard: (phase: Int, fraction: Double)? = nil, particleRadii: [Int: Double] = [:],
                intensityCalibrations: [Int: IntensityCalibration] = [:]) {
        self.internalStandard = internalStandard
        self.particleRadii = particleRadii
        self.intensityCalibrations = intensityCalibrations
    }
}

/// A phase's intensity per unit mass, K = s (ZM) (μ/ρ), measured by refining a scan of the phase alone.
public struct IntensityCalibration: Sendable, Equatable {
    public let constant: Double
    public let esd: Double?
    /// Where it was measured (the pure-phase refinement's report).
    public let source: String

    public init(constant: Double, esd: Double?, source: String) {
        self.constant = constant
        self.esd = esd
        self.source = source
    }
}

/// Brindley's particle absorption contrast factor of one phase.
public struct MicroabsorptionTerm: Sendable, Equatable {
    /// Linear attenuation of the phase and of the mixture of solids, cm⁻¹.
    public let mu: Double, meanMu: Double
    public let radius: Double
    public let tau: Double
}

/// The quantities of every Rietveld phase (Le Bail phases have none).
public struct PhaseQuantities: Sendable {
    /// Weight fraction among the crystalline phases refined (Σ = 1), calibrated and Brindley-corrected when
    /// asked.
    public let weightFractions: [Int: Estimate]
    /// Plain Hill & Howard, without calibration or Brindley correction (equal to `weightFractions` when
    /// neither was asked).
    public let uncorrectedWeightFractions: [Int: Estimate]
    /// Absolute weight fractions in the sample (with an internal standard).
    public let absoluteWeightFractions: [Int: Estimate]
    /// 1 − Σ absolute: amorphous and unidentified content (with an internal standard).
    public let amorphous: Estimate?
    public let microabsorption: [Int: MicroabsorptionTerm]
    /// The intensity calibrations used, by phase, and each one's K relative to their mean (1 for all when
    /// the structure models scatter as the phases do).
    public let intensityCalibrations: [Int: IntensityCalibration]
    public let relativeIntensityConstants: [Int: Double]
}

extension RefinementResult {
    /// Weight fractions (Hill & Howard), absolute fractions and amorphous content with esds from the
    /// covariance; throws when the internal standard is not a Rietveld phase or the fractions are undefined, when
    /// some phases have an intensity calibration and another has none, or when an attenuation is not tabulated
    /// at the wavelength (Brindley).
    public func quantities(_ qpa: QuantitativeAnalysis = QuantitativeAnalysis()) throws(CrystallographyError) -> PhaseQuantities {
        let phases = model.phases.indices.filter { model.phases[$0].mode == .rietveld && model.phases[$0].isActive }
        let constants = qpa.intensityCalibrations
        if !constants.isEmpty, let missing = phases.first(where: { constants[$0] == nil }) {
            throw .undefinedQuantity("phase \(model.phases[missing].name) has no intensity calibration: with one, every phase needs its own (a refinement of its pure-phase scan)")
        }
        let plain = hillHoward(phases, tau: [:], constants: [:])
        var corrected = constants.isEmpty ? plain : hillHoward(phases, tau: [:], constants: constants)
        var terms: [Int: MicroabsorptionTerm] = [:]
        if !qpa.particleRadii.isEmpty {
            terms = try brindley(phases, start: corrected.values, radii: qpa.particleRadii)
            corrected = hillHoward(phases, tau: terms.mapValues(\.tau), constants: constants)
        }
        let used = constants.filter { phases.contains($0.key) }
        let meanK = used.values.reduce(0) { $0 + $1.constant } / Double(max(used.count, 1))
        var absolute: [Int: Estimate] = [:]
        var amorphous: Estimate?
        if let (standard, fraction) = qpa.internalStandard {
            guard let wStd = corrected.values[standard], wStd > 0 else {
                throw .undefinedQuantity("the internal standard \(model.phases[standard].name) has no weight fraction (is it a Rietveld phase with a non-zero scale?)")
            }
            let gStd = corrected.gradients[standard]!
            // The calibrations' relative variances (σ_K/K)², measured apart from this refinement.
            let relative = constants.mapValues { c in c.esd.map { c.constant > 0 ? ($0 / c.constant) * ($0 / c.constant) : 0 } ?? 0 }
            for p in phases {
                // A_p = F W_p / W_std; through the calibrations ∂A_p/∂ln K_r = A_p (δ_std,r − δ_pr).
                let w = corrected.values[p]!, g = corrected.gradients[p]!
                let grad = g.merging(gStd.mapValues { -$0 * w / wStd }, uniquingKeysWith: +).mapValues { $0 * fraction / wStd }
                let a = fraction * w / wStd
                let extra = p == standard ? 0 : a * a * ((relative[standard] ?? 0) + (relative[p] ?? 0))
                absolute[p] = Estimate(a, esd: combinedEsd(derivedEsd(gradient: grad), extra))
            }
            // 1 − Σ A_p = 1 − F / W_std; through the calibrations ∂/∂ln K_r = −(F / W_std)(δ_std,r − W_r).
            let extra = phases.reduce(0) { sum, r in
                let d = fraction / wStd * ((r == standard ? 1 : 0) - corrected.values[r]!)
                return sum + d * d * (relative[r] ?? 0)
            }
            amorphous = Estimate(1 - fraction / wStd, esd: combinedEsd(derivedEsd(gradient: gStd.mapValues { $0 * fraction / (wStd * wStd) }), extra))
        }
        return PhaseQuantities(weightFractions: corrected.estimates(self), uncorrectedWeightFractions: plain.estimates(self),
                               absoluteWeightFractions: absolute, amorphous: amorphous, microabsorption: terms,
                               intensityCalibrations: used, relativeIntensityConstants: used.mapValues { $0.constant / meanK })
    }

    /// A phase's intensity per unit mass K = s (ZM) (μ/ρ) (see `QuantitativeAnalysis`) — ZM μ/ρ being the cell's
    /// molar attenuation — times 1 + I(Kα2)/I(Kα1) where the pseudo-Voigt path draws the doublet with the scale on
    /// Kα1 (an FP profile has unit area over all its lines), so that K is the whole diffracted intensity whatever
    /// the ratio refined to. Its esd comes from the scale, the occupancies and the cation mixing. Only for a
    /// refinement of one phase alone, with a structure, on a flat specimen in reflection, where the diffracted
    /// intensity does not depend on the packing.
    public func intensityConstant(phase p: Int) throws(CrystallographyError) -> Estimate {
        guard model.instrument.geometry == .braggBrentano else {
            throw .undefinedQuantity("an intensity calibration needs a flat specimen in reflection (bragg-brentano): a capillary's intensity depends on how much powder is in the beam")
        }
        let phase = model.phases[p]
        guard phase.mode == .rietveld, phase.isActive else { throw .undefinedQuantity("\(phase.name) is a Le Bail or absent phase: its intensities are not a measure of its amount") }
        guard model.phases.count == 1 else {
            throw .undefinedQuantity("an intensity calibration is measured on a phase alone; this refinement has \(model.phases.count) phases")
        }
        let radiation = model.instrument.radiation
        let doublet = model.instrument.fundamentalParameters == nil && radiation.secondWavelength != nil
        let lines = doublet ? 1 + radiation.secondLineRatio : 1
        var perOccupancy: [Double] = []
        for a in phase.structure.atoms.indices {
            perOccupancy.append(try phase.structure.molarAttenuationPerOccupancy(atom: a, wavelength: radiation.wavelength))
        }
        let attenuation = zip(phase.structure.atoms, perOccupancy).reduce(0) { $0 + $1.0.occupancy * $1.1 }
        var g: [ModelParameter: Double] = [.scale(phase: p): lines * attenuation]
        for a in perOccupancy.indices { g[.occupancy(phase: p, atom: a)] = phase.scale * lines * perOccupancy[a] }
        if let mix = phase.cationMixing {
            g[.cationMixing(phase: p)] = mix.occupancyDerivatives.reduce(0) { $0 + $1.derivative * phase.scale * lines * perOccupancy[$1.atom] }
        }
        if doublet { g[.secondLineRatio] = phase.scale * attenuation }
        return Estimate(phase.scale * lines * attenuation, esd: derivedEsd(gradient: g))
    }

    /// W_p = q_p / Σ q with q_p = s_p (ZM)_p / (τ_p K_p), and ∂W_p/∂(refined parameters); the calibrations'
    /// esds enter as a variance of their own.
    func hillHoward(_ phases: [Int], tau: [Int: Double], constants: [Int: IntensityCalibration] = [:]) -> WeightFractions {
        var q: [Int: Double] = [:], dq: [Int: [ModelParameter: Double]] = [:]
        for p in phases {
            let phase = model.phases[p]
            let t = (tau[p] ?? 1) * (constants[p]?.constant ?? 1)
            q[p] = phase.scale * phase.structure.cellMass / t
            // ∂q/∂s, ∂q/∂occupancy (through ZM), ∂q/∂mixing (through the occupancies it sets).
            var g: [ModelParameter: Double] = [.scale(phase: p): phase.structure.cellMass / t]
            for a in phase.structure.atoms.indices { g[.occupancy(phase: p, atom: a)] = phase.scale * phase.structure.cellMassPerOccupancy(atom: a) / t }
            if let mix = phase.cationMixing {
                g[.cationMixing(phase: p)] = mix.occupancyDerivatives.reduce(0) { $0 + $1.derivative * phase.scale * phase.structure.cellMassPerOccupancy(atom: $1.atom) / t }
            }
            dq[p] = g
        }
        let total = q.values.reduce(0, +)
        var values: [Int: Double] = [:], gradients: [Int: [ModelParameter: Double]] = [:]
        for p in phases {
            values[p] = total > 0 ? q[p]! / total : 0
            // One phase is the whole crystalline sample: W = 1 exactly.
            guard phases.count > 1 else { gradients[p] = [:]; continue }
            // ∂W_p = (∂q_p Σq − q_p ∂Σq) / (Σq)².
            var g: [ModelParameter: Double] = [:]
            for r in phases {
                for (k, v) in dq[r]! { g[k, default: 0] -= q[p]! * v / (total * total) }
            }
            for (k, v) in dq[p]! { g[k, default: 0] += v / total }
            gradients[p] = g
        }
        var calibrationVariance: [Int: Double] = [:]
        for p in phases where phases.count > 1 {
            calibrationVariance[p] = phases.reduce(0) { sum, r in
                guard let c = constants[r], let e = c.esd, c.constant > 0 else { return sum }
                let d = values[p]! * ((p == r ? 1 : 0) - values[r]!) * e / c.constant
                return sum + d * d
            }
        }
        return WeightFractions(values: values, gradients: gradients, calibrationVariance: calibrationVariance)
    }

    /// τ per phase at self-consistent fractions: μ̄ = Σ v_i μ_i with volume fractions v from W/ρ.
    func brindley(_ phases: [Int], start: [Int: Double], radii: [Int: Double]) throws(CrystallographyError) -> [Int: MicroabsorptionTerm] {
        let wavelength = model.instrument.radiation.wavelength
        var mu: [Int: Double] = [:], density: [Int: Double] = [:]
        for p in phases {
            mu[p] = try model.phases[p].structure.linearAttenuation(wavelength: wavelength)
            density[p] = model.phases[p].structure.density
        }
        // Fixed point of W ∝ W⁽⁰⁾ / τ(W), from the fractions before the correction (calibrated, if asked).
        var w = start
        var terms: [Int: MicroabsorptionTerm] = [:]
        for _ in 0..<50 {
            let volumes = phases.map { w[$0]! / density[$0]! }
            let meanMu = zip(phases, volumes).reduce(0) { $0 + mu[$1.0]! * $1.1 } / max(volumes.reduce(0, +), 1e-300)
            for p in phases {
                let r = radii[p] ?? 0
                terms[p] = MicroabsorptionTerm(mu: mu[p]!, meanMu: meanMu, radius: r, tau: Microabsorption.brindleySphere((mu[p]! - meanMu) * r * 1e-4))
            }
            let total = phases.reduce(0) { $0 + start[$1]! / terms[$1]!.tau }
            let next = Dictionary(uniqueKeysWithValues: phases.map { ($0, start[$0]! / terms[$0]!.tau / total) })
            let change = phases.map { abs(next[$0]! - w[$0]!) }.max() ?? 0
            w = next
            if change < 1e-12 { break }
        }
        return terms
    }
}

/// Weight fractions with their gradients over the model's parameters.
struct WeightFractions {
    var values: [Int: Double]
    var gradients: [Int: [ModelParameter: Double]]
    /// Variance from the intensity calibrations' esds (measured apart from this refinement).
    var calibrationVariance: [Int: Double] = [:]

    func estimates(_ r: RefinementResult) -> [Int: Estimate] {
        Dictionary(uniqueKeysWithValues: values.map { p, w in
            (p, Estimate(w, esd: combinedEsd(r.derivedEsd(gradient: gradients[p]!), calibrationVariance[p] ?? 0)))
        })
    }
}

/// √(fit esd² + a variance measured apart); nil when neither is there.
func combinedEsd(_ fit: Double?, _ variance: Double) -> Double? {
    if let fit { return (fit * fit + variance).squareRoot() }
    return variance > 0 ? variance.squareRoot() : nil
}

/// Particle absorption contrast for microabsorption corrections.
public enum Microabsorption {
    /// Brindley's τ for spheres of radius R with x = (μ − μ̄) R: the mean over the particle's volume of
    /// exp(−(μ − μ̄) t), t the path of a ray through it (International Tables vol. H (2018) §3.9.10.3,
    /// eq. 3.9.48). For rays crossing the sphere along a chord (the incident and diffracted paths in line),
    /// the volume average is τ = 3 [2 − e^(−u) (u² + 2u + 2)] / u³ with u = 2x; τ(0) = 1, τ ≈ 1 − 1.5x near 0.
    /// Within 1 % of the 90° geometry for |x| ≤ 0.2 and of MAUD's fit to Brindley's table within 1.5 %.
    public static func brindleySphere(_ x: Double) -> Double {
        let u = 2 * x
        if abs(u) < 0.02 {
            // Series (the closed form cancels catastrophically near 0): 1 − 3u/4 + 3u²/10 − u³/12 + u⁴/56 − u⁵/320.
            return 1 + u * (-0.75 + u * (0.3 + u * (-1.0 / 12 + u * (1.0 / 56 - u / 320))))
        }
        return 3 * (2 - exp(-u) * (u * u + 2 * u + 2)) / (u * u * u)
    }
}
