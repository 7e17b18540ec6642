import Crystallography
import Foundation

/// A reflection with its diffraction angle, |F|² and integrated intensity.
public struct ReflectionIntensity: Sendable {
    public let reflection: Reflection
    /// 2θ in degrees.
    public let twoTheta: Double
    /// |F|² per cell (electrons²), anomalous dispersion included.
    public let squaredStructureFactor: Double
    /// m |F|² Lp, scaled so that the strongest reflection is 100.
    public let relativeIntensity: Double
}

/// The stick pattern of a structure: positions, |F|² and m |F|² Lp of every allowed reflection.
public enum ReflectionIntensities {
    /// Reflections of `structure` up to 2θ_max (degrees) at wavelength λ (Å), strongest scaled to 100.
    public static func compute(structure: CrystalStructure, wavelength: Double, twoThetaMax: Double,
                               lorentzPolarization: LorentzPolarization = LorentzPolarization()) throws(CrystallographyError) -> [ReflectionIntensity] {
        let calculator = try StructureFactorCalculator(structure: structure, wavelength: wavelength)
        let reflections = ReflectionGenerator.unique(cell: structure.cell, group: structure.spaceGroup, wavelength: wavelength, twoThetaMax: twoThetaMax)
        var rows: [(Reflection, Double, Double, Double)] = []
        for r in reflections {
            guard let tt = r.twoTheta(wavelength: wavelength) else { continue }
            let f2 = calculator.squaredModulus(r.index)
            let intensity = Double(r.multiplicity) * f2 * lorentzPolarization.value(twoTheta: tt * .pi / 180)
            rows.append((r, tt, f2, intensity))
        }
        let strongest = rows.map(\.3).max() ?? 1
        return rows.map { ReflectionIntensity(reflection: $0.0, twoTheta: $0.1, squaredStructureFactor: $0.2,
                                              relativeIntensity: strongest > 0 ? 100 * $0.3 / strongest : 0) }
    }
}
