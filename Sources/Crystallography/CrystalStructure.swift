import Foundation

/// One atom of the asymmetric unit: a species at a fractional position with occupancy and isotropic
/// displacement U (Å²). Atoms that share a position share a crystallographic site.
public struct AtomSite: Sendable, Equatable {
    public var label: String
    /// CIF `_atom_site_type_symbol`, e.g. `Ni3+`.
    public var typeSymbol: String
    /// The element, e.g. `Ni`.
    public var element: String
    /// Fractional coordinates.
    public var position: SIMD3<Double>
    public var occupancy: Double
    /// Isotropic displacement parameter U_iso in Å² (B = 8π² U).
    public var uIso: Double

    public init(label: String, typeSymbol: String, position: SIMD3<Double>, occupancy: Double = 1, uIso: Double = 0.01) throws(CrystallographyError) {
        guard let (element, _) = ScatteringFactors.parseTypeSymbol(typeSymbol), ScatteringFactors.isElement(element) else {
            throw .unknownElement(typeSymbol)
        }
        self.label = label
        self.typeSymbol = typeSymbol
        self.element = element
        self.position = position
        self.occupancy = occupancy
        self.uIso = uIso
    }
}

/// A crystal structure: cell, space group and the atoms of the asymmetric unit.
public struct CrystalStructure: Sendable {
    public var name: String
    public var cell: UnitCell
    public var spaceGroup: SpaceGroup
    public var atoms: [AtomSite]

    public init(name: String, cell: UnitCell, spaceGroup: SpaceGroup, atoms: [AtomSite]) {
        self.name = name
        self.cell = cell
        self.spaceGroup = spaceGroup
        self.atoms = atoms
    }

    /// Groups of atom indices that share a position (one crystallographic site each), in order of first
    /// appearance.
    public var sites: [[Int]] {
        var groups: [[Int]] = []
        for (i, atom) in atoms.enumerated() {
            if let g = groups.firstIndex(where: { group in
                spaceGroup.equivalentPositions(atoms[group[0]].position).contains { SpaceGroup.sameModuloLattice($0, atom.position) }
            }) {
                groups[g].append(i)
            } else {
                groups.append([i])
            }
        }
        return groups
    }

    /// Number of formula units' worth of each element in the cell: Σ occupancy × site multiplicity.
    public var cellContents: [String: Double] {
        var out: [String: Double] = [:]
        for atom in atoms {
            let m = Double(spaceGroup.multiplicity(atom.position))
            out[atom.element, default: 0] += atom.occupancy * m
        }
        return out
    }
}
