import Crystallography
import Foundation
import RietveldIO
import Testing
import _TestSupport

/// Mass attenuation coefficients against the published tables, as xraydb 4.5 evaluates them (Python,
/// independently of this code): Chantler's FFAST total (photoabsorption + scattering, `mu_chantler`) and
/// Elam, Ravel & Sieber's coherent cross sections (`mu_elam(..., kind='coh')`), in cm²/g.
@Suite struct AttenuationTests {
    static let copper = 1.540593, molybdenum = 0.70926

    /// (element, λ, Chantler total, Elam coherent)
    static let table: [(String, Double, Double, Double)] = [
        ("O", copper, 10.926, 0.342), ("F", copper, 15.090, 0.411), ("Al", copper, 48.274, 0.7181),
        ("Ca", copper, 168.855, 1.1098), ("Zn", copper, 55.756, 1.975), ("Ni", copper, 46.928, 1.7993),
        ("Mn", copper, 267.220, 1.3985), ("La", copper, 342.618, 3.6194), ("Li", copper, 0.467, 0.1002),
        ("O", molybdenum, 1.186, 0.1201), ("Al", molybdenum, 4.895, 0.2503), ("Ca", molybdenum, 18.935, 0.4628),
        ("Zn", molybdenum, 53.296, 0.7664), ("Ni", molybdenum, 46.285, 0.7093), ("Co", molybdenum, 40.240, 0.6430),
        ("La", molybdenum, 43.002, 1.6463),
    ]

    static func perGram(_ crossSection: Double, _ element: String) -> Double {
        crossSection * 1e-16 * PhysicalConstants.avogadro / AtomicWeights.standard(element)!
    }

    @Test func coherentScatteringIsTheTabulatedOne() throws {
        for (element, lambda, _, coherent) in Self.table {
            let ours = Self.perGram(try Attenuation.coherentCrossSection(element: element, wavelength: lambda), element)
            #expect(abs(ours - coherent) < 0.003 * coherent + 2e-4, "\(element) at \(lambda) Å: \(ours) vs \(coherent)")
        }
    }

    @Test func totalAttenuationIsChantlers() throws {
        // Photoabsorption from Chantler's f″ is his; the scattering adds coherent (tabulated) and an incoherent
        // term that overestimates by ≤ 0.05 cm²/g (see `Attenuation`).
        for (element, lambda, total, _) in Self.table {
            let ours = try Attenuation.massAttenuation(element: element, wavelength: lambda)
            #expect(abs(ours - total) < 0.005 * total + 0.06, "\(element) at \(lambda) Å: \(ours) vs \(total)")
        }
        // Lithium at Mo Kα is almost all scattering: the incoherent approximation shows there (0.213 vs 0.193).
        let li = try Attenuation.massAttenuation(element: "Li", wavelength: Self.molybdenum)
        #expect(abs(li - 0.193) < 0.03, "Li at Mo Kα: \(li)")
    }

    @Test func aStructureAttenuatesAsItsElementsByMass() throws {
        // Al2O3: mass fractions 0.52925 Al, 0.47075 O (IUPAC weights), Chantler's totals at Cu Kα1.
        let corundum = try StructureCIF.read(URL(fileURLWithPath: repositoryPath("structures/corundum.cif")))
        let expected = 0.52925 * 48.274 + 0.47075 * 10.926
        let ours = try corundum.massAttenuation(wavelength: Self.copper)
        #expect(abs(ours - expected) < 0.005 * expected, "\(ours) vs \(expected)")
    }
}
