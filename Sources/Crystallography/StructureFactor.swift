import Foundation

/// Structure factors of a crystal structure at one wavelength.
///
/// F(h) = Σ_j occ_j (f0_j(s) + f′_j + i f″_j) exp(−8π² U_j s²) Σ_{(R,t)} exp(2πi h·(R x_j + t)) / |G_j|
/// over the atoms j of the asymmetric unit and all operations of the group, where |G_j| is the order of the
/// site's stabilizer (so each atom of the cell is counted once) and s = sinθ/λ = 1/(2d).
/// |F|² is per unit cell, in electrons².
public struct StructureFactorCalculator: Sendable {
    public let structure: CrystalStructure
    public let wavelength: Double
    let formFactors: [FormFactor]
    /// The distinct form factors of the structure, and which one each atom has (the inner loop evaluates
    /// each species once per reflection).
    let species: [FormFactorCoefficients]
    let speciesOfAtom: [Int]
    let anomalous: [(fPrime: Double, fDoublePrime: Double)]
    let stabilizerOrders: [Int]
    /// Per atom, one operation for each distinct image of the atom in the cell (coset representatives of
    /// its stabilizer): Σ over all operations / |stabilizer| equals the sum over these images. Held as columns
    /// of R and t in Double, for the inner loop (h·(R x + t) = (Rᵀh)·x + h·t).
    let images: [[ImageOperation]]
    /// The lattice-centring translations of the group (1/24 units, the null one included), and per atom its
    /// images up to centring: for a reflection the centring does not extinguish, every centring translate of
    /// an image has the same phase, so the sum over `images` is `centring.count` × the sum over these.
    let centring: [SIMD3<Int>]
    let primitiveImages: [[ImageOperation]]
    /// Per atom, an earlier atom at the same position when the structure was read (mixed sites): when they
    /// still coincide, its phase sums are reused.
    let sharedImages: [Int?]

    public init(structure: CrystalStructure, wavelength: Double) throws(CrystallographyError) {
        self.structure = structure
        self.wavelength = wavelength
        var ff: [FormFactor] = []
        var an: [(Double, Double)] = []
        for atom in structure.atoms {
            ff.append(try ScatteringFactors.formFactor(for: atom.typeSymbol))
            an.append(try ScatteringFactors.anomalous(element: atom.element, wavelength: wavelength))
        }
        formFactors = ff
        var distinct: [FormFactor] = []
        speciesOfAtom = ff.map { f in
            if let i = distinct.firstIndex(of: f) { return i }
            distinct.append(f)
            return distinct.count - 1
        }
        species = distinct.map(FormFactorCoefficients.init)
        anomalous = an
        stabilizerOrders = structure.atoms.map { structure.spaceGroup.siteSymmetry($0.position).stabilizer.count }
        let centringOperations = structure.spaceGroup.operations.filter(\.isPureTranslation)
        var all: [[ImageOperation]] = [], primitive: [[ImageOperation]] = []
        for atom in structure.atoms {
            var seen: [SIMD3<Double>] = [], kept: [SIMD3<Double>] = []
            var ops: [SymmetryOperation] = [], keptOps: [SymmetryOperation] = []
            for op in structure.spaceGroup.operations {
                var p = op.apply(atom.position)
                p -= p.rounded(.down)
                guard !seen.contains(where: { SpaceGroup.sameModuloLattice($0, p) }) else { continue }
                seen.append(p)
                ops.append(op)
                let translates = centringOperations.map { $0.apply(p) }
                if !kept.contains(where: { k in translates.contains { SpaceGroup.sameModuloLattice($0, k) } }) {
                    kept.append(p)
                    keptOps.append(op)
                }
            }
            all.append(ops.map(ImageOperation.init))
            // Each kept image stands for exactly `centring.count` images; otherwise use them all.
            primitive.append(keptOps.count * centringOperations.count == ops.count ? keptOps.map(ImageOperation.init) : [])
        }
        images = all
        centring = centringOperations.map { SIMD3($0.translation[0], $0.translation[1], $0.translation[2]) }
        primitiveImages = primitive
        let atoms = structure.atoms
        sharedImages = atoms.indices.map { j in atoms[..<j].firstIndex { $0.position == atoms[j].position } }
    }

    /// The complex structure factor (real, imaginary) for h.
    public func structureFactor(_ m: MillerIndex) -> (real: Double, imaginary: Double) {
        let s = 0.5 * structure.cell.inverseDSquared(m.h, m.k, m.l).squareRoot()
        var re = 0.0, im = 0.0
        for (j, atom) in structure.atoms.enumerated() {
            var cosSum = 0.0, sinSum = 0.0
            for op in structure.spaceGroup.operations {
                let x = op.apply(atom.position)
                let phase = 2 * Double.pi * (Double(m.h) * x.x + Double(m.k) * x.y + Double(m.l) * x.z)
                cosSum += cos(phase)
                sinSum += sin(phase)
            }
            let weight = atom.occupancy * exp(-8 * Double.pi * Double.pi * atom.uIso * s * s) / Double(stabilizerOrders[j])
            let fr = formFactors[j].f0(s) + anomalous[j].fPrime
            let fi = anomalous[j].fDoublePrime
            // (fr + i fi)(cosSum + i sinSum)
            re += weight * (fr * cosSum - fi * sinSum)
            im += weight * (fr * sinSum + fi * cosSum)
        }
        return (re, im)
    }

    /// |F(h)|² in electrons² per cell, averaged over the Friedel pair h, −h (a powder pattern sums both;
    /// with anomalous dispersion they differ when the structure has no centre of symmetry).
    public func squaredModulus(_ m: MillerIndex) -> Double {
        let f = structureFactor(m)
        let fm = structure.spaceGroup.isCentrosymmetric ? f : structureFactor(m.negated)
        return 0.5 * (f.real * f.real + f.imaginary * f.imaginary + fm.real * fm.real + fm.imaginary * fm.imaginary)
    }
}

/// A symmetry operation as the inner loop of a structure factor needs it: Rᵀh from three dot products.
struct ImageOperation: Sendable {
    /// Columns of R: (Rᵀh)_i = column_i · h.
    let column0: SIMD3<Double>, column1: SIMD3<Double>, column2: SIMD3<Double>
    let translation: SIMD3<Double>

    init(_ op: SymmetryOperation) {
        let r = op.rotation.map(Double.init)
        column0 = SIMD3(r[0], r[3], r[6])
        column1 = SIMD3(r[1], r[4], r[7])
        column2 = SIMD3(r[2], r[5], r[8])
        translation = op.fractionalTranslation
    }
}

/// A Waasmaier–Kirfel form factor's coefficients in registers (no references to retain in the inner loop).
struct FormFactorCoefficients: Sendable {
    let a: SIMD8<Double>, b: SIMD8<Double>
    let c: Double

    init(_ f: FormFactor) {
        var a = SIMD8<Double>.zero, b = SIMD8<Double>.zero
        for i in 0..<5 { a[i] = f.a[i]; b[i] = f.b[i] }
        self.a = a
        self.b = b
        c = f.c
    }

    /// f0(s) and ∂f0/∂s.
    func valueAndSlope(_ s: Double) -> (value: Double, slope: Double) {
        let s2 = s * s
        var f = c, d = 0.0
        for i in 0..<5 {
            let t = a[i] * exp(-b[i] * s2)
            f += t
            d -= 2 * b[i] * s * t
        }
        return (f, d)
    }
}
