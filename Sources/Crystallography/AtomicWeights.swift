import Foundation

/// Standard atomic weights (g/mol): IUPAC/CIAAW 2021 (Prohaska et al., Pure Appl. Chem. 94 (2022) 573),
/// abridged conventional values for the elements given as intervals; see `Tables/AtomicWeightsTable.swift`.
public enum AtomicWeights {
    /// The standard atomic weight of an element symbol (`Ni`), nil for an unknown symbol.
    public static func standard(_ element: String) -> Double? { standardAtomicWeights[element] }

    /// Molar mass (g/mol) of a formula such as `LiNi0.85Co0.1Mn0.05O2` (element symbols with optional
    /// decimal counts; no brackets).
    public static func molarMass(formula: String) throws(CrystallographyError) -> Double {
        var total = 0.0
        var i = formula.startIndex
        while i < formula.endIndex {
            guard formula[i].isUppercase else { throw .invalidFormula(formula, "expected an element symbol at '\(formula[i...])'") }
            var j = formula.index(after: i)
            while j < formula.endIndex && formula[j].isLowercase { j = formula.index(after: j) }
            let symbol = String(formula[i..<j])
            var k = j
            while k < formula.endIndex && (formula[k].isNumber || formula[k] == ".") { k = formula.index(after: k) }
            guard let w = standard(symbol) else { throw .invalidFormula(formula, "unknown element \(symbol)") }
            guard let n = k > j ? Double(formula[j..<k]) : 1 else { throw .invalidFormula(formula, "'\(formula[j..<k])' is not a number") }
            total += w * n
            i = k
        }
        guard total > 0 else { throw .invalidFormula(formula, "the formula is empty") }
        return total
    }
}

extension CrystalStructure {
    /// Mass of the cell contents in g/mol (Z·M of Hill & Howard): Σ occupancy × site multiplicity × atomic
    /// weight over the atoms of the asymmetric unit.
    public var cellMass: Double {
        atoms.reduce(0) { $0 + $1.occupancy * Double(siteMultiplicity(of: $1)) * (AtomicWeights.standard($1.element) ?? 0) }
    }

    /// ∂(cell mass)/∂(occupancy of atom i), g/mol.
    public func cellMassPerOccupancy(atom i: Int) -> Double {
        Double(siteMultiplicity(of: atoms[i])) * (AtomicWeights.standard(atoms[i].element) ?? 0)
    }

    /// X-ray density in g/cm³: cell mass / (N_A V).
    public var density: Double { cellMass / (PhysicalConstants.avogadro * cell.volume * 1e-24) }

    /// The number of positions of an atom's site in the cell.
    public func siteMultiplicity(of atom: AtomSite) -> Int { spaceGroup.multiplicity(atom.position) }
}
