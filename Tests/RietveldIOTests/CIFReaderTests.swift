import Crystallography
import Foundation
import RietveldIO
import Testing
import _TestSupport


@Suite struct CIFReaderTests {
    func parse(_ text: String) throws -> CrystalStructure {
        try StructureCIF.structure(from: CIFDocument(text: text, source: "test.cif"))
    }

    @Test func valuesWithEsdsAndPlaceholders() throws {
        #expect(CIFValue(text: "2.8781(2)", line: 1).number! == (2.8781, 0.0002))
        #expect(CIFValue(text: "14.19006(11)", line: 1).number!.esd! == 0.00011)
        #expect(CIFValue(text: "120", line: 1).number! == (120, nil))
        #expect(CIFValue(text: "1.5e-3(4)", line: 1).number!.esd! == 4e-4)
        #expect(CIFValue(text: "?", line: 1).isPlaceholder)
        #expect(CIFValue(text: "abc", line: 1).number == nil)
    }

    @Test(arguments: ["structures/LiNiO2.cif", "structures/NCM85.cif", "structures/LiCoO2.cif", "structures/LaB6.cif",
                      "structures/Si.cif", "structures/CeO2.cif"])
    func bundledStructuresRead(path: String) throws {
        let s = try StructureCIF.read(repositoryRoot.appendingPathComponent(path))
        #expect(!s.atoms.isEmpty)
        #expect(s.spaceGroup.number != nil)
    }

    @Test func realCIFsFromOutsideTheProjectRead() throws {
        // Files from shared/data copied into patterns/ (see patterns/README.md for their sources).
        let fap = try StructureCIF.read(repositoryRoot.appendingPathComponent("patterns/fluorapatite/fap-start.cif"))
        #expect(fap.spaceGroup.operations.count == 12)
        let pbso4 = try StructureCIF.read(repositoryRoot.appendingPathComponent("patterns/pbso4/PbSO4-Wyckoff.cif"))
        #expect(pbso4.spaceGroup.operations.count == 8)
        let lno = try StructureCIF.read(repositoryRoot.appendingPathComponent("patterns/gsas2-sim-linio2/LiNiO2_true.cif"))
        #expect(lno.spaceGroup.operations.count == 36)
        #expect(lno.atoms.map(\.label) == ["Ni1", "Li2", "Li1", "Ni2", "O1"])
        #expect(lno.sites == [[0, 1], [2, 3], [4]])
    }

    @Test func loopsQuotesTextFieldsAndSeveralBlocks() throws {
        let text = """
            data_first
            _journal_name 'Acta Cryst. isn't quoted oddly'
            _publ_section_title
            ;
            A text field; with semicolons
            ;
            data_second
            _cell_length_a 4.1568(1)
            _cell_angle_gamma 90.0
            _symmetry_space_group_name_H-M "P m -3 m"
            loop_
            _atom_site_label _atom_site_type_symbol _atom_site_fract_x _atom_site_fract_y _atom_site_fract_z _atom_site_B_iso_or_equiv
            La1 La3+ 0 0 0 0.25  # a comment
            B1 B 0.1975(3) 0.5 0.5 ?
            """
        let s = try parse(text)
        #expect(s.name == "second")
        #expect(s.cell.a == 4.1568 && s.cell.c == 4.1568)
        #expect(abs(s.atoms[0].uIso - 0.25 / (8 * .pi * .pi)) < 1e-12)
        #expect(s.atoms[0].typeSymbol == "La3+" && s.atoms[1].position.x == 0.1975)
        #expect(s.spaceGroup.operations.count == 48)
    }

    @Test(arguments: [
        ("data_x\n_cell_angle_alpha 90\nloop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nO1 0 0 0\n", "_cell_length_a"),
        ("data_x\n_cell_length_a 4\n_space_group_name_H-M_alt 'P 1'\nloop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nQ1 Qq 0 0 0\n", "test.cif:10"),
        ("data_x\n_cell_length_a 4\nloop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\nO1 0 0 0\n", "test.cif:3"),
        ("data_x\n_cell_length_a 4\nloop_\n_symmetry_equiv_pos_as_xyz\n'x,y,q'\nloop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nO1 0 0 0\n", "test.cif:5"),
        ("data_x\n_cell_length_a four\n", "test.cif:2"),
        ("_cell_length_a 4\n", "test.cif:1"),
        ("data_x\n_title 'unclosed\n", "test.cif:2"),
    ])
    func badCIFsNameFileLineAndProblem(text: String, mustMention: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted a bad CIF")
        } catch {
            #expect("\(error)".contains(mustMention), "\(error)")
            #expect(!"\(error)".contains("\n"))
        }
    }

    @Test func writerRoundTripsWithEsds() throws {
        let s = try StructureCIF.read(repositoryRoot.appendingPathComponent("structures/LiNiO2.cif"))
        let text = StructureCIF.text(s, esds: ["a": 2.6e-5, "c": 1.1e-4, StructureCIF.esdKey("O1", "z"): 6e-5])
        #expect(text.contains("_cell_length_a 2.87800(3)"))
        #expect(text.contains("_cell_length_c 14.19000(11)"))
        let back = try parse(text)
        #expect(back.cell == s.cell)
        #expect(back.atoms == s.atoms)
        #expect(back.spaceGroup.operations.count == 36)
    }
}

@Suite struct EsdFormatTests {
    @Test(arguments: [
        (2.878004, 0.000026, "2.87800(3)"), (2.878004, 0.000016, "2.878004(16)"), (14.19006, 0.00011, "14.19006(11)"), (0.0290, 0.0007, "0.0290(7)"),
        (101.78754, 0.0023, "101.788(2)"), (0.25843, 0.00006, "0.25843(6)"), (1234.5, 25, "1230(30)"),
        (1234.5, 250, "1200(300)"), (0.5, 0.095, "0.50(10)"),
    ])
    func iucrConvention(value: Double, esd: Double, expected: String) {
        #expect(EsdFormat.string(value, esd: esd) == expected)
    }

    /// Without an esd: six significant digits, no trailing zeros; beyond 10¹² and below 10⁻⁹ with an exponent
    /// (a scale of 1e308 printed 309 digits); not-a-number and infinities by name.
    @Test(arguments: [
        (2.8780041, "2.878"), (0.002, "0.002"), (1000, "1000"), (123456789012.0, "123456789012"), (1e308, "1e+308"),
        (-2.5e-12, "-2.5e-12"), (6.02214076e23, "6.02214e+23"), (Double.nan, "nan"), (-Double.nan, "nan"), (-Double.infinity, "-inf"),
    ])
    func plainNumbers(value: Double, expected: String) {
        #expect(EsdFormat.plain(value) == expected)
    }
}
