import Foundation
import Testing

@Suite struct ReflectionsCommandTests {
    @Test func csvHasTheContractHeaderAndTextbookLines() throws {
        let r = try CLI.run(["reflections", "structures/LiNiO2.cif", "--wavelength", "0.70926", "--two-theta-max", "30", "--csv"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == "h,k,l,d,two_theta,multiplicity,F2,intensity")
        let hkl = lines.dropFirst().map { $0.split(separator: ",").prefix(3).joined() }
        #expect(Array(hkl.prefix(6)) == ["003", "101", "006", "012", "104", "015"])
        // 003 is the strongest line of LiNiO2 at Mo Kα; 2θ from Bragg's law with d = c/3 = 4.73 Å.
        let first = lines[1].split(separator: ",")
        #expect(Double(first[7]) == 100)
        let expected = 2 * asin(0.70926 / (2 * 4.73)) * 180 / .pi
        #expect(abs(Double(first[4])! - expected) < 1e-4)
    }

    @Test func readableTableWithoutCSV() throws {
        let r = try CLI.run(["reflections", "structures/Si.cif", "--wavelength", "0.70926", "--two-theta-max", "30"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("F d -3 m"))
        #expect(r.stdout.contains("   1   1   1"))
    }

    @Test(arguments: [
        (["reflections", "no/such.cif", "--wavelength", "0.7"], "no/such.cif"),
        (["reflections", "patterns/pbso4/PBSO4.XRA", "--wavelength", "0.7"], "PBSO4.XRA"),
        (["reflections", "structures/Si.cif", "--wavelength", "-1"], "wavelength"),
        (["reflections", "structures/Si.cif", "--wavelength", "9"], "wavelength"),
    ])
    func badInputEndsWithOneClearLine(arguments: [String], mention: String) throws {
        let r = try CLI.run(arguments)
        #expect(r.status != 0)
        #expect(r.stderr.contains(mention), "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
        #expect(r.stdout.isEmpty)
    }
}
