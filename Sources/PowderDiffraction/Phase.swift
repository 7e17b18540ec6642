import Crystallography
import Foundation

/// A crystalline phase in a pattern: its structure and the sample parameters that shape its peaks.
public struct Phase: Sendable {
    public private(set) var structure: CrystalStructure
    public var scale: Double
    /// Isotropic crystallite size in µm (GSAS-II `Size;i`); Lorentzian with fraction `sizeMix`.
    public var size: Double
    /// Isotropic microstrain in 10⁻⁶ (GSAS-II `Mustrain;i`); Lorentzian with fraction `strainMix`.
    public var microstrain: Double
    /// Lorentzian fractions of size and strain broadening (GSAS-II `LGmix`, 1 = pure Lorentzian).
    public var sizeMix: Double = 1, strainMix: Double = 1
    /// March–Dollase ratio r (1 = no texture) and its axis.
    public var marchDollase: Double = 1
    public var textureAxis = MillerIndex(0, 0, 1)
    /// The cation-mixing constraint, when the structure is a layered oxide with an exchange pair.
    public let cationMixing: CationMixing?

    /// Sites (groups of atom indices sharing a position) and their symmetry.
    public let sites: [[Int]]
    public let siteSymmetries: [SiteSymmetry]
    /// The independent cell parameters for this crystal system.
    public let independentLattice: [LatticeParameter]
    let calculator: StructureFactorCalculator
    /// Symmetry-unique reflections (indices and multiplicities; d follows the current cell).
    public private(set) var reflections: [Reflection]
    /// The Laue orbit of each reflection (for texture).
    private(set) var orbits: [[MillerIndex]]
    /// The phase sums of every atom for every reflection (row r of `atoms.count` entries for reflection r), at
    /// the atoms' current positions. They do not depend on the cell, so they are made when the reflection list
    /// changes and redone for a site when it moves — not at every evaluation.
    public private(set) var phaseSums: [PhaseSum] = []

    /// Every reflection down to `generatedDMin` for the cell it was generated with, and their orbits; the list
    /// in use is filtered from it, which is much cheaper than generating anew.
    private var allReflections: [Reflection] = []
    private var allOrbits: [[MillerIndex]] = []
    private var generatedDMin = Double.infinity
    private var generatedCell: [Double] = []
    /// The master list reaches 5 % lower in d than asked (10 % in 1/d²), which covers any reflection of a cell
    /// whose lengths changed by up to 1 % and angles by up to 0.5°; beyond that it is regenerated.
    static let masterListDFactor = 0.95

    /// Sets the reflection list to those with d ≥ `dMin` (Å) at the current cell.
    public mutating func regenerateReflections(dMin: Double) {
        let cell = structure.cell
        let p = cell.parameters
        let moved = generatedCell.isEmpty || (0..<3).contains { abs(p[$0] / generatedCell[$0] - 1) > 0.01 }
            || (3..<6).contains { abs(p[$0] - generatedCell[$0]) > 0.5 }
        if moved || dMin < generatedDMin / Self.masterListDFactor {
            generatedDMin = dMin * Self.masterListDFactor
            generatedCell = p
            allReflections = ReflectionGenerator.unique(cell: cell, group: structure.spaceGroup, dMin: generatedDMin)
            allOrbits = allReflections.map { Array(structure.spaceGroup.equivalentReflections($0.index)) }
        }
        let limit = 1 / (dMin * dMin)
        var kept: [Reflection] = [], keptOrbits: [[MillerIndex]] = []
        for (i, r) in allReflections.enumerated() {
            let q = cell.inverseDSquared(r.index.h, r.index.k, r.index.l)
            if q <= limit {
                kept.append(Reflection(index: r.index, d: 1 / q.squareRoot(), multiplicity: r.multiplicity))
                keptOrbits.append(allOrbits[i])
            }
        }
        // In the order a fresh generation at this cell gives (decreasing d), so that the result does not
        // depend on the cell the master list was made at (summation order, resumed runs).
        let order = kept.indices.sorted { (kept[$0].d, kept[$0].index) > (kept[$1].d, kept[$1].index) }
        reflections = order.map { kept[$0] }
        orbits = order.map { keptOrbits[$0] }
        computePhaseSums()
    }

    /// The phase sums of reflection r, one per atom.
    func phaseSums(reflection r: Int) -> ArraySlice<PhaseSum> {
        let n = structure.atoms.count
        return phaseSums[r * n ..< (r + 1) * n]
    }

    /// The whole table for the current reflections and positions.
    private mutating func computePhaseSums() {
        let atoms = structure.atoms
        var table = [PhaseSum](repeating: PhaseSum(), count: reflections.count * atoms.count)
        for (r, reflection) in reflections.enumerated() {
            calculator.phaseSums(reflection.index, atoms: atoms, into: &table, at: r * atoms.count)
        }
        phaseSums = table
    }

    /// Sets up a phase for patterns up to d = `dMin` Å at wavelength `wavelength` (for f′, f″).
    public init(structure: CrystalStructure, wavelength: Double, dMin: Double, scale: Double = 1, size: Double = 1,
                microstrain: Double = 0, cationMixing: CationMixing? = nil) throws(CrystallographyError) {
        self.structure = structure
        self.scale = scale
        self.size = size
        self.microstrain = microstrain
        self.cationMixing = cationMixing ?? CationMixing.detect(in: structure)
        sites = structure.sites
        siteSymmetries = sites.map { structure.spaceGroup.siteSymmetry(structure.atoms[$0[0]].position) }
        independentLattice = Phase.independentParameters(structure)
        calculator = try StructureFactorCalculator(structure: structure, wavelength: wavelength)
        // A little below dMin so that peaks just outside the range still contribute their tails.
        reflections = ReflectionGenerator.unique(cell: structure.cell, group: structure.spaceGroup, dMin: dMin)
        orbits = reflections.map { Array(structure.spaceGroup.equivalentReflections($0.index)) }
        computePhaseSums()
    }

    static func independentParameters(_ s: CrystalStructure) -> [LatticeParameter] {
        let c = s.cell
        switch s.spaceGroup.crystalSystem {
        case .cubic: return [.a]
        case .tetragonal, .hexagonal: return [.a, .c]
        case .trigonal: return abs(c.gamma - 120) < 1e-6 ? [.a, .c] : [.a, .alpha]
        case .orthorhombic: return [.a, .b, .c]
        case .monoclinic:
            if abs(c.alpha - 90) > 1e-6 { return [.a, .b, .c, .alpha] }
            if abs(c.gamma - 90) > 1e-6 { return [.a, .b, .c, .gamma] }
            return [.a, .b, .c, .beta]
        case .triclinic: return LatticeParameter.allCases
        }
    }

    /// Which full cell parameters follow an independent one (e.g. a → a and b for a hexagonal cell).
    public func dependents(of p: LatticeParameter) -> [LatticeParameter] {
        switch (structure.spaceGroup.crystalSystem, p) {
        case (.cubic, .a): return [.a, .b, .c]
        case (.tetragonal, .a), (.hexagonal, .a): return [.a, .b]
        case (.trigonal, .a): return independentLattice.contains(.alpha) ? [.a, .b, .c] : [.a, .b]
        case (.trigonal, .alpha): return [.alpha, .beta, .gamma]
        default: return [p]
        }
    }

    // MARK: values

    public func lattice(_ p: LatticeParameter) -> Double { structure.cell.parameters[p.rawValue] }

    public mutating func setLattice(_ p: LatticeParameter, _ value: Double) throws(CrystallographyError) {
        var v = structure.cell.parameters
        for d in dependents(of: p) { v[d.rawValue] = value }
        structure.cell = try UnitCell(a: v[0], b: v[1], c: v[2], alpha: v[3], beta: v[4], gamma: v[5])
    }

    /// The coordinate `axis` of a site (its first atom).
    public func position(site: Int, axis: Int) -> Double { structure.atoms[sites[site][0]].position[axis] }

    /// Moves a site along one of its free coordinates; the coordinates tied to it follow (e.g. y = 2x).
    public mutating func setPosition(site: Int, axis: Int, _ value: Double) {
        let constraint = siteSymmetries[site].coordinates
        guard let column = constraint.freeComponents.firstIndex(of: axis) else { return }
        let delta = value - position(site: site, axis: axis)
        var step = [Double](repeating: 0, count: constraint.freeComponents.count)
        step[column] = delta
        let move = constraint.expand(step)
        guard move.contains(where: { $0 != 0 }) else { return }
        let n = structure.atoms.count
        for atom in sites[site] {
            structure.atoms[atom].position += SIMD3(move[0], move[1], move[2])
            let position = structure.atoms[atom].position
            for (r, reflection) in reflections.enumerated() {
                phaseSums[r * n + atom] = calculator.phaseSum(reflection.index, atom: atom, position: position)
            }
        }
    }

    public func uIso(site: Int) -> Double { structure.atoms[sites[site][0]].uIso }

    public mutating func setUIso(site: Int, _ value: Double) {
        for atom in sites[site] { structure.atoms[atom].uIso = value }
    }

    public mutating func setOccupancy(atom: Int, _ value: Double) { structure.atoms[atom].occupancy = value }

    public var cationMixingValue: Double? { cationMixing.map { $0.value(in: structure) } }

    public mutating func setCationMixing(_ x: Double) {
        guard let m = cationMixing else { return }
        m.apply(x, to: &structure.atoms)
    }

    /// ∂(1/d²)/∂p for an independent cell parameter p at the current cell: −vᵀ (∂G/∂p) v with v = G* h.
    func inverseDSquaredDerivative(_ m: MillerIndex, _ p: LatticeParameter) -> Double {
        let cell = structure.cell
        let gs = cell.reciprocalMetric
        let h = SIMD3(Double(m.h), Double(m.k), Double(m.l))
        let v = SIMD3((gs[0] * h.x + gs[1] * h.y + gs[2] * h.z), (gs[3] * h.x + gs[4] * h.y + gs[5] * h.z), (gs[6] * h.x + gs[7] * h.y + gs[8] * h.z))
        var total = 0.0
        for d in dependents(of: p) {
            let dg = Phase.metricDerivative(cell, d)
            var q = 0.0
            for i in 0..<3 { for j in 0..<3 { q += v[i] * dg[3 * i + j] * v[j] } }
            total -= q
        }
        return total
    }

    /// ∂V/∂p for an independent cell parameter (the tied parameters included).
    public func volumeDerivative(_ p: LatticeParameter) -> Double {
        let g = structure.cell.volumeGradient
        return dependents(of: p).reduce(0) { $0 + g[$1.rawValue] }
    }

    /// ∂G/∂p for one of the six cell parameters (angles per degree), row-major.
    static func metricDerivative(_ c: UnitCell, _ p: LatticeParameter) -> [Double] {
        let r = Double.pi / 180
        let (ca, cb, cg) = (cos(c.alpha * r), cos(c.beta * r), cos(c.gamma * r))
        let (sa, sb, sg) = (sin(c.alpha * r), sin(c.beta * r), sin(c.gamma * r))
        switch p {
        case .a: return [2 * c.a, c.b * cg, c.c * cb, c.b * cg, 0, 0, c.c * cb, 0, 0]
        case .b: return [0, c.a * cg, 0, c.a * cg, 2 * c.b, c.c * ca, 0, c.c * ca, 0]
        case .c: return [0, 0, c.a * cb, 0, 0, c.b * ca, c.a * cb, c.b * ca, 2 * c.c]
        case .alpha: let d = -c.b * c.c * sa * r; return [0, 0, 0, 0, 0, d, 0, d, 0]
        case .beta: let d = -c.a * c.c * sb * r; return [0, 0, d, 0, 0, 0, d, 0, 0]
        case .gamma: let d = -c.a * c.b * sg * r; return [0, d, 0, d, 0, 0, 0, 0, 0]
        }
    }
}
