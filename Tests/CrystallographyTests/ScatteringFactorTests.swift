import Crystallography
import Testing

@Suite struct ScatteringFactorTests {
    @Test(arguments: ["Li1+", "Ni", "Ni2+", "Ni3+", "Co2+", "Co3+", "Mn3+", "Mn4+", "Al3+", "Ti4+", "Zr4+", "Nb5+", "Hf4+",
                      "O2-", "F1-", "La3+", "Ca2+", "Pb2+", "S", "P", "B", "Si", "Na1+", "H", "U"])
    func forwardScatteringIsTheElectronCount(species: String) throws {
        // Analytic: f0(s = 0) = number of electrons = Z − charge (the fits honour it to ~0.01 e).
        let f = try ScatteringFactors.formFactor(for: species)
        let (_, charge) = ScatteringFactors.parseTypeSymbol(species)!
        #expect(f.species == species)
        #expect(abs(f.f0(0) - Double(f.atomicNumber - charge)) < 0.02, "\(species)")
    }

    @Test func spotValuesMatchTheWaasmaierKirfelFits() throws {
        // Values of the published WK fits evaluated by xraydb (Python), independently of this code.
        let cases: [(String, Double, Double)] = [("Ni", 0.5, 12.96309863885387), ("O2-", 0.3, 4.059277907305825),
                                                 ("Li1+", 0.2, 1.7627496600884223), ("Ni3+", 0.25, 20.209489926430486),
                                                 ("La3+", 0.4, 34.391986536571736)]
        for (species, s, expected) in cases {
            #expect(abs(try ScatteringFactors.formFactor(for: species).f0(s) - expected) < 1e-6, "\(species)")
        }
    }

    @Test func typeSymbolsInTheirCommonSpellings() throws {
        #expect(try ScatteringFactors.formFactor(for: "Ni+2").species == "Ni2+")
        #expect(try ScatteringFactors.formFactor(for: "NI3+").species == "Ni3+")
        #expect(try ScatteringFactors.formFactor(for: "O-2").species == "O2-")
        #expect(try ScatteringFactors.formFactor(for: "Li+").species == "Li1+")
        // An ion missing from the table falls back to the neutral atom.
        #expect(try ScatteringFactors.formFactor(for: "Ni4+").species == "Ni")
        #expect(throws: CrystallographyError.self) { _ = try ScatteringFactors.formFactor(for: "Xx") }
    }

    @Test func anomalousScatteringMatchesChantlerAtMoAndCu() throws {
        // Chantler (2000) via xraydb at Mo Kα1 0.70926, Mo Kα2 0.713543, Cu Kα1 1.5405929, Cu Kα2 1.544414 Å.
        let cases: [(String, Double, Double, Double)] = [
            ("Ni", 0.70926, 0.3302, 1.1079), ("Co", 0.70926, 0.3386, 0.9663), ("La", 0.70926, -0.3112, 2.3835),
            ("Mn", 0.70926, 0.3275, 0.7186), ("O", 0.70926, 0.0081, 0.0060),
            ("Ni", 0.713543, 0.3295, 1.1201), ("La", 0.713543, -0.3025, 2.4084),
            ("Ni", 1.5405929, -3.0421, 0.5050), ("Co", 1.5405929, -2.4515, 3.6077), ("La", 1.5405929, -1.5916, 9.0010),
            ("Si", 1.5405929, 0.2467, 0.3299), ("Mn", 1.544414, -0.6178, 2.8020), ("Ni", 1.544414, -2.9771, 0.5070),
        ]
        for (element, lambda, f1, f2) in cases {
            let (p, pp) = try ScatteringFactors.anomalous(element: element, wavelength: lambda)
            #expect(abs(p - f1) < 0.03, "\(element) f′ at \(lambda): \(p) vs \(f1)")
            #expect(abs(pp - f2) < 0.005 + 0.003 * f2, "\(element) f″ at \(lambda): \(pp) vs \(f2)")
        }
        #expect(throws: CrystallographyError.self) { _ = try ScatteringFactors.anomalous(element: "Ni", wavelength: 5.0) }
    }
}
