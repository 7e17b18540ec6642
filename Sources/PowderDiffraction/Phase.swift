import Crystallography
import Foundation

/// How a phase's reflection intensities are obtained.
public enum PhaseMode: String, Sendable, CaseIterable {
    /// From the structure: |F|² of the atoms.
    case rietveld
    /// Free intensities, extracted from the observed pattern by Rietveld's partition (Le Bail, Durand &
    /// Fourquet 1988): the phase has a cell and a profile but no structure and no weight fraction.
    case leBail = "le-bail"
}

/// A crystalline phase in a pattern: its structure and the sample parameters that shape its peaks.
public struct Phase: Sendable {
    /// The phase's name in reports, recipes and files (a plain word; the CIF data block by default).
    public var name: String
    public private(set) var structure: CrystalStructure
    public let mode: PhaseMode
    /// An inactive phase is left out of the model (absent from this pattern); its values are kept.
    public var isActive = true
    public var scale: Double
    /// Isotropic crystallite size in µm (GSAS-II `Size;i`); Lorentzian with fraction `sizeMix`.
    public var size: Double
    /// Isotropic microstrain in 10⁻⁶ (GSAS-II `Mustrain;i`); Lorentzian with fraction `strainMix`.
    public var microstrain: Double
    /// Uniaxial broadening (GSAS-II's uniaxial size and microstrain, axis c; hexagonal, trigonal and tetragonal
    /// cells): size and microstrain along c, `size` and `microstrain` then being those perpendicular to it. A
    /// reflection whose normal makes the angle φ with c sees D = D⊥D∥/√((D⊥ cos φ)² + (D∥ sin φ)²) — the
    /// extent of an ellipsoid of revolution along that normal — and likewise the microstrain. nil: isotropic.
    public var axialSize: Double?, axialMicrostrain: Double?
    /// Stephens' generalized microstrain (see `StephensMicrostrain`): its terms and coefficients; empty:
    /// the microstrain is `microstrain` (or uniaxial).
    public var stephensTerms: [StephensMicrostrain.Term] = [], stephens: [Double] = []
    public var hasStephensStrain: Bool { !stephensTerms.isEmpty }
    /// The parameters that carry this phase's microstrain: its Stephens coefficients, or `microstrain`.
    public var strainParameters: [PhaseParameter] {
        hasStephensStrain ? stephensTerms.indices.map { .stephens($0) } : [.microstrain]
    }
    /// An axially symmetric (fibre) texture about `textureAxis` as a spherical-harmonic (Legendre) series: a
    /// reflection whose normal makes φ with the axis has the pole density 1 + Σ C_l P_l(cos φ), l = 2, 4, …
    /// (averaged over its Laue orbit, as March–Dollase is; the series averages to 1 over all directions). It
    /// replaces March–Dollase for the phase. Empty: none.
    public var textureHarmonics: [Double] = []

    /// P₂(x), P₄(x), … (`count` of them) by the three-term recurrence.
    static func evenLegendre(_ x: Double, count: Int) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(count)
        var (p0, p1) = (1.0, x)
        var l = 2
        while out.count < count {
            let p2 = (Double(2 * l - 1) * x * p1 - Double(l - 1) * p0) / Double(l)
            (p0, p1) = (p1, p2)
            if l % 2 == 0 { out.append(p2) }
            l += 1
        }
        return out
    }

    /// The lowest pole density 1 + Σ C_l P_l(cos φ) of a harmonic texture over φ = 0…90° (in 1° steps) and
    /// where it is; nil without one. Below zero a reflection along there would get a negative intensity.
    public var lowestPoleDensity: (value: Double, angle: Double)? {
        guard !textureHarmonics.isEmpty else { return nil }
        var lowest = (value: Double.infinity, angle: 0.0)
        for degrees in 0...90 {
            let p = Self.evenLegendre(cos(Double(degrees) * Double.pi / 180), count: textureHarmonics.count)
            let value = 1 + zip(textureHarmonics, p).reduce(0) { $0 + $1.0 * $1.1 }
            if value < lowest.value { lowest = (value, Double(degrees)) }
        }
        return lowest
    }
    /// Whether the broadening is uniaxial.
    public var isUniaxial: Bool { axialSize != nil || axialMicrostrain != nil }
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
    /// The independent cell parameters for this crystal system and the ones that follow them.
    public let cellParametrization: CellParametrization
    /// The independent cell parameters (those a refinement varies).
    public var independentLattice: [CellParameter] { cellParametrization.independent }
    let calculator: StructureFactorCalculator
    /// Symmetry-unique reflections (indices and multiplicities; d follows the current cell).
    public private(set) var reflections: [Reflection]
    /// The Laue orbit of each reflection (for texture).
    private(set) var orbits: [[MillerIndex]]
    /// The phase sums of every atom for every reflection (row r of `atoms.count` entries for reflection r), at
    /// the atoms' current positions. They do not depend on the cell, so they are made when the reflection list
    /// changes and redone for a site when it moves — not at every evaluation.
    public private(set) var phaseSums: [PhaseSum] = []
    /// Le Bail phases: the intensity (in the units of |F|²) of each reflection, keyed by its index so that it
    /// survives the regeneration of the reflection list; `leBailIntensities` follows `reflections`.
    public private(set) var extractedIntensities: [MillerIndex: Double] = [:]
    public private(set) var leBailIntensities: [Double] = []
    /// The intensity a Le Bail reflection starts with before its first extraction.
    static let initialLeBailIntensity = 1.0

    /// Every reflection down to `generatedDMin` for the cell it was generated with, and their orbits; the list
    /// in use is filtered from it, which is much cheaper than generating anew.
    private var allReflections: [Reflection] = []
    private var allOrbits: [[MillerIndex]] = []
    private var generatedDMin = Double.infinity
    private var generatedCell: [Double] = []
    /// The master list reaches 5 % lower in d than asked (10 % in 1/d²), which covers any reflection of a cell
    /// whose lengths changed by up to 1 % and angles by up to 0.5°; beyond that it is regenerated.
    static let masterListDFactor = 0.95

    /// Takes `other`'s master reflection list (the same structure at another cell, e.g. a later pattern of a
    /// series): the next `regenerateReflections` near that cell filters it instead of generating anew. The
    /// reflection list that results does not depend on where the master list came from.
    public mutating func adoptMasterList(of other: Phase) {
        guard other.structure.spaceGroup.operations == structure.spaceGroup.operations, !other.generatedCell.isEmpty else { return }
        (allReflections, allOrbits, generatedDMin, generatedCell) = (other.allReflections, other.allOrbits, other.generatedDMin, other.generatedCell)
    }

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
            allOrbits = allReflections.map { structure.spaceGroup.equivalentReflections($0.index).sorted() }
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
        let fresh = order.map { kept[$0] }
        // The phase sums depend on the indices and the positions alone (`setPosition` keeps them current): the
        // same reflections in the same order keep theirs — a refinement lays its peaks out afresh at every
        // stage and check, and recomputing them there was ~1 % of a chained pattern's time.
        let sameReflections = fresh.count == reflections.count && zip(fresh, reflections).allSatisfy { $0.index == $1.index }
        reflections = fresh
        orbits = order.map { keptOrbits[$0] }
        if !sameReflections { computePhaseSums() }
        alignLeBailIntensities()
    }

    /// Sets the Le Bail intensities of reflections (by index); reflections not named keep theirs.
    public mutating func setExtractedIntensities(_ values: [MillerIndex: Double]) {
        precondition(mode == .leBail, "only a Le Bail phase has free intensities")
        for (k, v) in values { extractedIntensities[k] = v }
        alignLeBailIntensities()
    }

    private mutating func alignLeBailIntensities() {
        guard mode == .leBail else { return }
        leBailIntensities = reflections.map { extractedIntensities[$0.index] ?? Self.initialLeBailIntensity }
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
                microstrain: Double = 0, cationMixing: CationMixing? = nil, name: String? = nil,
                mode: PhaseMode = .rietveld) throws(CrystallographyError) {
        if mode == .rietveld && structure.atoms.isEmpty {
            throw .invalidStructure("phase \(name ?? structure.name) has no atoms; a phase without a structure must be refined as Le Bail")
        }
        self.structure = structure
        self.name = name ?? structure.name
        self.mode = mode
        self.scale = scale
        self.size = size
        self.microstrain = microstrain
        self.cationMixing = mode == .leBail ? nil : (cationMixing ?? CationMixing.detect(in: structure))
        sites = mode == .leBail ? [] : structure.sites
        siteSymmetries = sites.map { structure.spaceGroup.siteSymmetry(structure.atoms[$0[0]].position) }
        cellParametrization = CellParametrization(system: structure.spaceGroup.crystalSystem, cell: structure.cell)
        calculator = try StructureFactorCalculator(structure: structure, wavelength: wavelength)
        // A little below dMin so that peaks just outside the range still contribute their tails.
        reflections = ReflectionGenerator.unique(cell: structure.cell, group: structure.spaceGroup, dMin: dMin)
        orbits = reflections.map { structure.spaceGroup.equivalentReflections($0.index).sorted() }
        computePhaseSums()
        alignLeBailIntensities()
    }

    // MARK: values

    public func lattice(_ p: CellParameter) -> Double { structure.cell.parameters[p.rawValue] }

    /// Sets an independent cell parameter; the parameters tied to it follow.
    public mutating func setLattice(_ p: CellParameter, _ value: Double) throws(CrystallographyError) {
        structure.cell = try cellParametrization.setting(p, to: value, in: structure.cell)
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

    /// A phase parameter's value in its user units (see `ModelParameter`).
    public func value(of p: PhaseParameter) -> Double {
        switch p {
        case .scale: return scale
        case .lattice(let l): return lattice(l)
        case let .position(site, axis): return position(site: site, axis: axis)
        case .uIso(let site): return uIso(site: site)
        case .occupancy(let atom): return structure.atoms[atom].occupancy
        case .cationMixing: return cationMixingValue ?? 0
        case .size: return size
        case .microstrain: return microstrain
        case .axialSize: return axialSize ?? size
        case .axialMicrostrain: return axialMicrostrain ?? microstrain
        case .stephens(let i): return stephens.indices.contains(i) ? stephens[i] : 0
        case .harmonic(let i): return textureHarmonics.indices.contains(i) ? textureHarmonics[i] : 0
        case .texture: return marchDollase
        }
    }

    /// Sets a phase parameter; throws when the value makes the cell impossible.
    public mutating func setValue(_ v: Double, for p: PhaseParameter) throws(CrystallographyError) {
        switch p {
        case .scale: scale = v
        case .lattice(let l): try setLattice(l, v)
        case let .position(site, axis): setPosition(site: site, axis: axis, v)
        case .uIso(let site): setUIso(site: site, v)
        case .occupancy(let atom): setOccupancy(atom: atom, v)
        case .cationMixing: setCationMixing(v)
        case .size: size = v
        case .microstrain: microstrain = v
        case .axialSize: axialSize = v
        case .axialMicrostrain: axialMicrostrain = v
        case .stephens(let i): if stephens.indices.contains(i) { stephens[i] = v }
        case .harmonic(let i): if textureHarmonics.indices.contains(i) { textureHarmonics[i] = v }
        case .texture: marchDollase = v
        }
    }
}
