import Crystallography
import Foundation
import PowderDiffraction
import RietveldIO
import Testing

/// |F|² and relative intensities at Mo Kα1 against an independent calculation
/// (`scripts/independent_structure_factors.py`: hand-placed atoms, xraydb's f0/f′/f″, gemmi multiplicities).
@Suite struct StructureFactorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Row { let index: MillerIndex; let multiplicity: Int; let f2: Double; let intensity: Double }

    static func reference(_ name: String) throws -> [Row] {
        let text = try String(contentsOf: root.appendingPathComponent("Tests/CrystallographyTests/Fixtures/\(name)_MoKa1.csv"), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix("h,") }.map { line in
            let f = line.split(separator: ",").map(String.init)
            return Row(index: MillerIndex(Int(f[0])!, Int(f[1])!, Int(f[2])!), multiplicity: Int(f[4])!, f2: Double(f[5])!, intensity: Double(f[6])!)
        }
    }

    @Test(arguments: ["LiNiO2", "LaB6", "Si"])
    func agreesWithIndependentCalculation(name: String) throws {
        let structure = try StructureCIF.read(Self.root.appendingPathComponent("structures/\(name).cif"))
        let ours = try ReflectionIntensities.compute(structure: structure, wavelength: 0.70926, twoThetaMax: 50)
            .filter { $0.squaredStructureFactor > 1e-6 }
        let reference = try Self.reference(name)
        #expect(ours.count == reference.count, "\(name): \(ours.count) reflections vs \(reference.count)")
        let strongest = reference.map(\.f2).max()!
        for ref in reference {
            let orbit = structure.spaceGroup.equivalentReflections(ref.index)
            guard let mine = ours.first(where: { orbit.contains($0.reflection.index) }) else {
                Issue.record("\(name): reflection \(ref.index) missing"); continue
            }
            #expect(mine.reflection.multiplicity == ref.multiplicity, "\(name) \(ref.index)")
            #expect(abs(mine.squaredStructureFactor - ref.f2) < 0.01 * strongest, "\(name) \(ref.index) |F|²")
            #expect(abs(mine.squaredStructureFactor - ref.f2) < 1e-3 * ref.f2 + 1e-3, "\(name) \(ref.index) |F|² (relative)")
            #expect(abs(mine.relativeIntensity - ref.intensity) < 1.0, "\(name) \(ref.index) intensity")
        }
    }

    @Test func siliconTwoTwoTwoVanishesForAtomsAt8a() throws {
        let si = try StructureCIF.read(Self.root.appendingPathComponent("structures/Si.cif"))
        let calc = try StructureFactorCalculator(structure: si, wavelength: 0.70926)
        #expect(calc.squaredModulus(MillerIndex(2, 2, 2)) < 1e-8)
        // 111: |F|² = 32 f² for the diamond structure (|1 + e^{iπ/2·3}|² · 16 = 2 · 16); analytic check
        // with the calculator's own f at that s is self-consistent, so compare to the structure-free formula.
        let s = 0.5 / si.cell.dSpacing(1, 1, 1)
        let f = try ScatteringFactors.formFactor(for: "Si").f0(s)
        let (fp, fpp) = try ScatteringFactors.anomalous(element: "Si", wavelength: 0.70926)
        let t = exp(-8 * Double.pi * Double.pi * 0.0059 * s * s)
        let expected = 32 * ((f + fp) * (f + fp) + fpp * fpp) * t * t
        #expect(abs(calc.squaredModulus(MillerIndex(1, 1, 1)) - expected) < 1e-6 * expected)
    }

    /// The pattern model's |F|² (images up to lattice centring, phase sums shared by atoms on one position,
    /// derivatives optional) against the clear sum over every operation of the group, for every hkl in a box
    /// — extinguished ones included — in primitive (LaB6), rhombohedral (LiNiO2, NCM85 with mixed sites) and
    /// face-centred (Si, CeO2) groups.
    @Test(arguments: ["LiNiO2", "NCM85", "LaB6", "Si", "CeO2"])
    func powderPathMatchesSumOverAllOperations(name: String) throws {
        let structure = try StructureCIF.read(Self.root.appendingPathComponent("structures/\(name).cif"))
        let calc = try StructureFactorCalculator(structure: structure, wavelength: 0.70926)
        var scratch = PowderStructureFactor()
        var checked = 0
        for h in -4...4 { for k in -4...4 { for l in -6...6 where h != 0 || k != 0 || l != 0 {
            let m = MillerIndex(h, k, l)
            let s = 0.5 * structure.cell.inverseDSquared(h, k, l).squareRoot()
            let clear = calc.squaredModulus(m)
            for derivatives in [false, true] {
                calc.powderStructureFactor(m, s: s, atoms: structure.atoms, derivatives: derivatives, into: &scratch)
                #expect(abs(scratch.squaredModulus - clear) <= 1e-9 * max(clear, 1), "\(name) \(m): \(scratch.squaredModulus) vs \(clear)")
            }
            checked += 1
        }}}
        #expect(checked == 9 * 9 * 13 - 1)
    }
}
