import Crystallography
import FileSupport
import Foundation

/// Reads a crystal structure from a CIF block and writes refined structures back as CIF.
public enum StructureCIF {
    /// The structure in the first block of `url` that has a cell and atoms.
    public static func read(_ url: URL) throws(FileError) -> CrystalStructure {
        let doc = try CIFDocument(contentsOf: url)
        return try structure(from: doc)
    }

    /// The structure in the first block of the document that has a cell and atom sites.
    public static func structure(from doc: CIFDocument) throws(FileError) -> CrystalStructure {
        guard let block = doc.blocks.first(where: { $0.value("_cell_length_a") != nil && $0.loop(containing: "_atom_site_fract_x") != nil })
            ?? doc.blocks.first(where: { $0.value("_cell_length_a") != nil }) else {
            throw .missing(file: doc.source, "no data block with a unit cell (_cell_length_a …)")
        }
        return try structure(from: block, source: doc.source)
    }

    static func number(_ block: CIFBlock, _ tag: String, source: String, default fallback: Double? = nil) throws(FileError) -> Double {
        guard let v = block.value(tag), !v.isPlaceholder else {
            if let f = fallback { return f }
            throw .missing(file: source, "block data_\(block.name) has no \(tag)")
        }
        guard let n = v.number else { throw .malformed(file: source, line: v.line, "\(tag) = '\(v.text)' is not a number") }
        return n.value
    }

    public static func structure(from block: CIFBlock, source: String) throws(FileError) -> CrystalStructure {
        let a = try number(block, "_cell_length_a", source: source)
        let b = try number(block, "_cell_length_b", source: source, default: a)
        let c = try number(block, "_cell_length_c", source: source, default: a)
        let alpha = try number(block, "_cell_angle_alpha", source: source, default: 90)
        let beta = try number(block, "_cell_angle_beta", source: source, default: 90)
        let gamma = try number(block, "_cell_angle_gamma", source: source, default: 90)
        let cell: UnitCell
        do { cell = try UnitCell(a: a, b: b, c: c, alpha: alpha, beta: beta, gamma: gamma) } catch {
            throw .malformed(file: source, line: block.value("_cell_length_a")?.line ?? block.line, error.description)
        }
        let group = try spaceGroup(block, source: source)
        var atoms: [AtomSite] = []
        if let loop = block.loop(containing: "_atom_site_fract_x") {
            atoms = try atomSites(loop, source: source)
        }
        // A block with a cell and a space group but no atoms describes a phase for Le Bail extraction.
        let structure = CrystalStructure(name: block.name, cell: cell, spaceGroup: group, atoms: atoms)
        try checkOccupancies(structure, block: block, source: source)
        return structure
    }

    /// Each atom's occupancy and each site's total lie between 0 and 1 (a little rounding allowed).
    static func checkOccupancies(_ s: CrystalStructure, block: CIFBlock, source: String) throws(FileError) {
        let tolerance = 1e-3
        for a in s.atoms where !(a.occupancy >= 0 && a.occupancy <= 1 + tolerance) {
            throw .malformed(file: source, line: block.loop(containing: "_atom_site_fract_x")?.line ?? block.line,
                             "atom \(a.label): occupancy \(EsdFormat.plain(a.occupancy)) lies outside 0–1")
        }
        for site in s.sites {
            let total = site.reduce(0) { $0 + s.atoms[$1].occupancy }
            if total > 1 + tolerance {
                let labels = site.map { s.atoms[$0].label }.joined(separator: ", ")
                throw .malformed(file: source, line: block.loop(containing: "_atom_site_fract_x")?.line ?? block.line,
                                 "atoms \(labels) share a site and their occupancies add up to \(EsdFormat.plain(total)), more than 1")
            }
        }
    }

    static let operatorTags = ["_space_group_symop_operation_xyz", "_symmetry_equiv_pos_as_xyz"]
    static let nameTags = ["_space_group_name_h-m_alt", "_symmetry_space_group_name_h-m", "_space_group_name_hall"]
    static let numberTags = ["_space_group_it_number", "_symmetry_int_tables_number"]

    static func spaceGroup(_ block: CIFBlock, source: String) throws(FileError) -> SpaceGroup {
        let name = nameTags.lazy.compactMap { block.value($0) }.first { !$0.isPlaceholder }
        let number = numberTags.lazy.compactMap { block.value($0)?.number.map { Int($0.value) } }.first
        for tag in operatorTags {
            guard let loop = block.loop(containing: tag), let column = loop.column(tag) else { continue }
            var ops: [SymmetryOperation] = []
            for v in column {
                do { ops.append(try SymmetryOperation(parsing: v.text)) } catch {
                    throw .malformed(file: source, line: v.line, error.description)
                }
            }
            let group: SpaceGroup
            do { group = try SpaceGroup(operations: ops, number: number, symbol: name?.text ?? "from operators") } catch {
                throw .malformed(file: source, line: loop.line, error.description)
            }
            // The number (or symbol) must describe the group the operators make.
            if let n = number, CrystalSystem(spaceGroupNumber: n) != group.crystalSystem {
                throw .malformed(file: source, line: loop.line,
                                 "the \(ops.count) symmetry operators form a \(group.crystalSystem.rawValue) group, but the space-group number \(n) is \(CrystalSystem(spaceGroupNumber: n).rawValue)")
            }
            if let n = name, let named = try? SpaceGroup.named(n.text), named.crystalSystem != group.crystalSystem || named.operations.count != group.operations.count {
                throw .malformed(file: source, line: n.line,
                                 "the symbol '\(n.text)' names a group of \(named.operations.count) operations (\(named.crystalSystem.rawValue)), but the operators form one of \(group.operations.count) (\(group.crystalSystem.rawValue))")
            }
            return group
        }
        if let name {
            do { return try SpaceGroup.named(name.text) } catch {
                throw .malformed(file: source, line: name.line, error.description)
            }
        }
        if let n = number {
            do { return try SpaceGroup.named("\(n)") } catch {
                throw .malformed(file: source, line: block.line, error.description)
            }
        }
        throw .missing(file: source, "block data_\(block.name) gives no space group (symmetry operators, H-M name or number)")
    }

    static func atomSites(_ loop: CIFLoop, source: String) throws(FileError) -> [AtomSite] {
        let labels = loop.column("_atom_site_label")
        let types = loop.column("_atom_site_type_symbol")
        guard let xs = loop.column("_atom_site_fract_x"), let ys = loop.column("_atom_site_fract_y"), let zs = loop.column("_atom_site_fract_z") else {
            throw .malformed(file: source, line: loop.line, "atom-site loop lacks _atom_site_fract_y or _atom_site_fract_z")
        }
        let occs = loop.column("_atom_site_occupancy")
        let uisos = loop.column("_atom_site_u_iso_or_equiv")
        let bisos = loop.column("_atom_site_b_iso_or_equiv")
        var atoms: [AtomSite] = []
        for r in 0..<xs.count {
            let label = labels?[r].text ?? "atom\(r + 1)"
            // Without a type symbol the element comes from the label's leading letters (O1 → O).
            let typeValue = types?[r] ?? labels?[r] ?? xs[r]
            let type = types?[r].text ?? String(label.prefix { $0.isLetter })
            func coordinate(_ v: CIFValue, _ name: String) throws(FileError) -> Double {
                guard let n = v.number else { throw .malformed(file: source, line: v.line, "atom \(label): \(name) = '\(v.text)' is not a number") }
                return n.value
            }
            let x = try coordinate(xs[r], "x"), y = try coordinate(ys[r], "y"), z = try coordinate(zs[r], "z")
            var occupancy = 1.0
            if let o = occs?[r], !o.isPlaceholder { occupancy = try coordinate(o, "occupancy") }
            var u = 0.01
            if let v = uisos?[r], !v.isPlaceholder { u = try coordinate(v, "U_iso") } else if let v = bisos?[r], !v.isPlaceholder {
                u = try coordinate(v, "B_iso") / (8 * Double.pi * Double.pi)
            }
            do {
                atoms.append(try AtomSite(label: label, typeSymbol: type, position: SIMD3(x, y, z), occupancy: occupancy, uIso: u))
            } catch {
                throw .malformed(file: source, line: typeValue.line, "atom \(label): \(error.description)")
            }
        }
        return atoms
    }

    /// A CIF of `structure`, with standard uncertainties where `esds` gives them (keys as in
    /// `StructureCIF.esdKey`), written so that CIF readers (and this one) read it back.
    public static func text(_ structure: CrystalStructure, esds: [String: Double] = [:], comments: [String] = []) -> String {
        func fmt(_ v: Double, _ key: String) -> String { EsdFormat.string(v, esd: esds[key], plainDigits: 10) }
        let cell = structure.cell
        var out = comments.map { "# " + $0 }
        out.append("data_\(structure.name.isEmpty ? "refined" : structure.name.replacingOccurrences(of: " ", with: "_"))")
        out.append("_cell_length_a \(fmt(cell.a, "a"))")
        out.append("_cell_length_b \(fmt(cell.b, "b"))")
        out.append("_cell_length_c \(fmt(cell.c, "c"))")
        out.append("_cell_angle_alpha \(fmt(cell.alpha, "alpha"))")
        out.append("_cell_angle_beta \(fmt(cell.beta, "beta"))")
        out.append("_cell_angle_gamma \(fmt(cell.gamma, "gamma"))")
        out.append("_cell_volume \(fmt(cell.volume, "volume"))")
        out.append("_space_group_name_H-M_alt '\(structure.spaceGroup.symbol)'")
        if let n = structure.spaceGroup.number { out.append("_space_group_IT_number \(n)") }
        out.append("loop_\n_space_group_symop_operation_xyz")
        for op in structure.spaceGroup.operations { out.append("  '\(op)'") }
        guard !structure.atoms.isEmpty else { return out.joined(separator: "\n") + "\n" }
        out.append("loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n_atom_site_occupancy\n_atom_site_U_iso_or_equiv\n_atom_site_adp_type")
        for atom in structure.atoms {
            let l = atom.label
            out.append("  \(l) \(atom.typeSymbol) \(fmt(atom.position.x, esdKey(l, "x"))) \(fmt(atom.position.y, esdKey(l, "y"))) \(fmt(atom.position.z, esdKey(l, "z"))) \(fmt(atom.occupancy, esdKey(l, "occupancy"))) \(fmt(atom.uIso, esdKey(l, "Uiso"))) Uiso")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// The key under which `text(_:esds:)` looks up the esd of an atom's parameter.
    public static func esdKey(_ label: String, _ parameter: String) -> String { "\(label).\(parameter)" }
}
