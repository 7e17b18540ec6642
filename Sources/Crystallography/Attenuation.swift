import Foundation

/// Attenuation of an X-ray beam by atoms: photoabsorption plus coherent and incoherent scattering, the total
/// that tables of mass attenuation coefficients give (International Tables vol. C, table 4.2.4.3).
///
/// - photoabsorption σ_pe = 2 r_e λ f″ (the optical theorem; f″ from Chantler's table);
/// - coherent (Rayleigh) σ_coh = π r_e² ∫₀^π (1 + cos²φ) f0(sin(φ/2)/λ)² sin φ dφ, the free-atom form factor
///   integrated over the sphere (Waasmaier–Kirfel f0 of the neutral atom). This is how the tabulated coherent
///   cross sections are made: within 0.2 % of Elam, Ravel & Sieber (2002) for O, F, Al, Ca, Ni, Zn at Cu and
///   Mo Kα;
/// - incoherent (Compton) σ_inc = π r_e² ∫ (1 + cos²φ) S(q) sin φ dφ with S ≈ Z (1 − (f0/Z)²), the one-electron
///   approximation of the incoherent scattering function, without the Klein–Nishina factor (≥ 0.97 below
///   20 keV). It overestimates the tabulated σ_inc by up to 80 % — 0.05 cm²/g at most for the elements above,
///   under 0.3 % of their total attenuation at Cu and Mo Kα except for the lightest elements (Li, whose total
///   at Mo Kα is mostly scattering: 0.16 against Elam's 0.15 cm²/g incoherent).
public enum Attenuation {
    /// Coherent scattering cross section of a free atom of `element` at wavelength λ (Å), in Å².
    public static func coherentCrossSection(element: String, wavelength: Double) throws(CrystallographyError) -> Double {
        let f = try ScatteringFactors.formFactor(for: element)
        return sphereIntegral(wavelength) { s in let v = f.f0(s); return v * v }
    }

    /// Incoherent scattering cross section (one-electron approximation, see the type's note), in Å².
    public static func incoherentCrossSection(element: String, wavelength: Double) throws(CrystallographyError) -> Double {
        let f = try ScatteringFactors.formFactor(for: element)
        let z = Double(f.atomicNumber)
        return sphereIntegral(wavelength) { s in let v = f.f0(s) / z; return z * max(1 - v * v, 0) }
    }

    /// Photoabsorption cross section 2 r_e λ f″ (Å²).
    public static func photoabsorptionCrossSection(element: String, wavelength: Double) throws(CrystallographyError) -> Double {
        let f2 = try ScatteringFactors.anomalous(element: element, wavelength: wavelength).fDoublePrime
        return 2 * PhysicalConstants.classicalElectronRadius * wavelength * f2
    }

    /// Total attenuation cross section of one atom (Å²).
    public static func totalCrossSection(element: String, wavelength: Double) throws(CrystallographyError) -> Double {
        try photoabsorptionCrossSection(element: element, wavelength: wavelength)
            + coherentCrossSection(element: element, wavelength: wavelength)
            + incoherentCrossSection(element: element, wavelength: wavelength)
    }

    /// Mass attenuation coefficient μ/ρ of an element (cm²/g).
    public static func massAttenuation(element: String, wavelength: Double) throws(CrystallographyError) -> Double {
        guard let weight = AtomicWeights.standard(element) else { throw .unknownElement(element) }
        return try totalCrossSection(element: element, wavelength: wavelength) * 1e-16 * PhysicalConstants.avogadro / weight
    }

    /// π r_e² ∫₀^π (1 + cos²φ) g(sin(φ/2)/λ) sin φ dφ by Simpson's rule on 400 intervals (the integrand is
    /// smooth; doubling them changes the result by < 1e-9 relative).
    static func sphereIntegral(_ wavelength: Double, _ g: (Double) -> Double) -> Double {
        let n = 400
        let h = Double.pi / Double(n)
        var sum = 0.0
        for i in 0...n {
            let phi = Double(i) * h
            let c = cos(phi)
            let v = (1 + c * c) * g(sin(phi / 2) / wavelength) * sin(phi)
            sum += v * (i == 0 || i == n ? 1 : (i % 2 == 1 ? 4 : 2))
        }
        let r = PhysicalConstants.classicalElectronRadius
        return Double.pi * r * r * sum * h / 3
    }
}

extension CrystalStructure {
    /// Total attenuation cross section of the cell contents per mole of cells (cm²/mol): Σ occupancy ×
    /// multiplicity × σ(atom) × N_A. It is ZM × μ/ρ.
    public func molarAttenuation(wavelength: Double) throws(CrystallographyError) -> Double {
        var sum = 0.0
        for i in atoms.indices { sum += atoms[i].occupancy * (try molarAttenuationPerOccupancy(atom: i, wavelength: wavelength)) }
        return sum
    }

    /// ∂(molar attenuation)/∂(occupancy of atom i), cm²/mol.
    public func molarAttenuationPerOccupancy(atom i: Int, wavelength: Double) throws(CrystallographyError) -> Double {
        Double(siteMultiplicity(of: atoms[i])) * (try Attenuation.totalCrossSection(element: atoms[i].element, wavelength: wavelength))
            * 1e-16 * PhysicalConstants.avogadro
    }

    /// Mass attenuation coefficient μ/ρ of the phase (cm²/g) at wavelength λ (Å): the atoms' total cross
    /// sections (`Attenuation`) per unit mass of the cell contents.
    public func massAttenuation(wavelength: Double) throws(CrystallographyError) -> Double {
        guard cellMass > 0 else { throw .invalidStructure("the structure has no atoms with an atomic weight") }
        return try molarAttenuation(wavelength: wavelength) / cellMass
    }

    /// Linear attenuation coefficient μ (cm⁻¹) of the crystal at its X-ray density.
    public func linearAttenuation(wavelength: Double) throws(CrystallographyError) -> Double {
        try massAttenuation(wavelength: wavelength) * density
    }
}
