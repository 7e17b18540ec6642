import Foundation

/// Σ cos 2πh·x and Σ sin 2πh·x over the images of one atom in the cell, with their gradients with respect to
/// the atom's fractional coordinates. They depend on h and the position only — not on the cell — so a phase
/// keeps a table of them that changes only when atoms move (`Phase.phaseSums`).
public struct PhaseSum: Sendable, Equatable {
    public var cosine = 0.0, sine = 0.0
    public var cosineGradient = SIMD3<Double>.zero, sineGradient = SIMD3<Double>.zero
    public init() {}
}

/// |F|² of one reflection for a powder pattern and its derivatives with respect to each atom's occupancy,
/// U_iso and fractional coordinates, and to s = sinθ/λ (through f0 and the Debye–Waller factor).
///
/// With a_j = occ_j T_j (f0_j + f′_j), b_j = occ_j T_j f″_j, C_j = Σ cos 2πh·x, S_j = Σ sin 2πh·x (over the
/// distinct images of atom j in the cell), the Friedel-averaged intensity is
/// |F|² = (Σ a C)² + (Σ b S)² + (Σ a S)² + (Σ b C)².
public struct PowderStructureFactor: Sendable {
    public var squaredModulus: Double = 0
    public var dOccupancy: [Double] = []
    public var dUIso: [Double] = []
    /// ∂|F|²/∂x_j, ∂y_j, ∂z_j (meaningful along the directions the site symmetry allows).
    public var dPosition: [SIMD3<Double>] = []
    /// ∂|F|²/∂s at fixed structure.
    public var dS: Double = 0
    /// Per atom: a_j, b_j, ∂a_j/∂s, ∂b_j/∂s and the phase sums (kept so that a reused value allocates nothing).
    var a: [Double] = [], b: [Double] = [], daDs: [Double] = [], dbDs: [Double] = []
    var sums: [PhaseSum] = []
    /// Per species: f0 and ∂f0/∂s.
    var f0: [Double] = [], df0: [Double] = []

    /// An empty value to pass to `StructureFactorCalculator.powderStructureFactor(_:s:atoms:derivatives:into:)`.
    public init() {}

    mutating func resize(atoms n: Int, species: Int) {
        if f0.count != species {
            f0 = Array(repeating: 0, count: species)
            df0 = f0
        }
        guard a.count != n else { return }
        dOccupancy = Array(repeating: 0, count: n)
        dUIso = dOccupancy; a = dOccupancy; b = dOccupancy; daDs = dOccupancy; dbDs = dOccupancy
        dPosition = Array(repeating: .zero, count: n)
        sums = Array(repeating: PhaseSum(), count: n)
    }
}

extension StructureFactorCalculator {
    /// |F|² for h at s = sinθ/λ (pass the value for the current cell) into `out`, reusing its storage; with
    /// `derivatives`, also every partial (else they are left as they were).
    public func powderStructureFactor(_ m: MillerIndex, s: Double, atoms: [AtomSite], derivatives: Bool,
                                      into out: inout PowderStructureFactor) {
        out.resize(atoms: atoms.count, species: species.count)
        phaseSums(m, atoms: atoms, gradients: derivatives, into: &out.sums, at: 0)
        combine(s: s, atoms: atoms, derivatives: derivatives, into: &out)
    }

    /// The phase sums of every atom for h, written to `sums[offset...]`. Atoms on the same position as an
    /// earlier atom of their site (mixed occupancy) share its sums.
    public func phaseSums(_ m: MillerIndex, atoms: [AtomSite], gradients: Bool = true, into sums: inout [PhaseSum], at offset: Int) {
        for j in atoms.indices {
            if let i = sharedImages[j], atoms[i].position == atoms[j].position {
                sums[offset + j] = sums[offset + i]
            } else {
                sums[offset + j] = phaseSum(m, atom: j, position: atoms[j].position, gradients: gradients)
            }
        }
    }

    /// The same from phase sums computed before (one per atom, for the atoms' current positions).
    public func powderStructureFactor(s: Double, atoms: [AtomSite], phaseSums: ArraySlice<PhaseSum>, derivatives: Bool,
                                      into out: inout PowderStructureFactor) {
        precondition(phaseSums.count == atoms.count, "one phase sum per atom")
        out.resize(atoms: atoms.count, species: species.count)
        for (j, sum) in phaseSums.enumerated() { out.sums[j] = sum }
        combine(s: s, atoms: atoms, derivatives: derivatives, into: &out)
    }

    /// The phase sums of atom j at `position` for h; with `gradients`, also their gradients.
    public func phaseSum(_ m: MillerIndex, atom j: Int, position x: SIMD3<Double>, gradients: Bool = true) -> PhaseSum {
        let twoPi = 2 * Double.pi
        let hv = SIMD3(Double(m.h), Double(m.k), Double(m.l))
        // Whether every centring translation t has h·t integral (the reflection is not extinguished by it).
        let hi = SIMD3(m.h, m.k, m.l)
        let centred = centring.count > 1 && !primitiveImages[j].isEmpty
            && centring.allSatisfy { (hi &* $0).wrappedSum() % SymmetryOperation.translationDenominator == 0 }
        let (list, copies) = centred ? (primitiveImages[j], Double(centring.count)) : (images[j], 1.0)
        var c = 0.0, si = 0.0
        var gc = SIMD3<Double>.zero, gs = SIMD3<Double>.zero
        for op in list {
            let g = SIMD3((op.column0 * hv).sum(), (op.column1 * hv).sum(), (op.column2 * hv).sum())
            let phase = twoPi * ((g * x).sum() + (hv * op.translation).sum())
            let (cp, sp) = (cos(phase), sin(phase))
            c += cp
            si += sp
            if gradients {
                gc -= g * (twoPi * sp)
                gs += g * (twoPi * cp)
            }
        }
        var out = PhaseSum()
        out.cosine = copies * c
        out.sine = copies * si
        out.cosineGradient = copies * gc
        out.sineGradient = copies * gs
        return out
    }

    /// |F|² and (with `derivatives`) its partials from the phase sums in `out.sums`.
    func combine(s: Double, atoms: [AtomSite], derivatives: Bool, into out: inout PowderStructureFactor) {
        let n = atoms.count
        for i in species.indices { (out.f0[i], out.df0[i]) = species[i].valueAndSlope(s) }
        let s2 = s * s
        var a1 = 0.0, a2 = 0.0, b1 = 0.0, b2 = 0.0
        for j in 0..<n {
            let atom = atoms[j]
            let dw = exp(-8 * Double.pi * Double.pi * atom.uIso * s2)
            let f0 = out.f0[speciesOfAtom[j]]
            let (aj, bj) = (atom.occupancy * dw * (f0 + anomalous[j].fPrime), atom.occupancy * dw * anomalous[j].fDoublePrime)
            out.a[j] = aj
            out.b[j] = bj
            let (cj, sj) = (out.sums[j].cosine, out.sums[j].sine)
            a1 += aj * cj; a2 += bj * sj
            b1 += aj * sj; b2 += bj * cj
            guard derivatives else { continue }
            let df0 = out.df0[speciesOfAtom[j]]
            let dDw = -16 * Double.pi * Double.pi * atom.uIso * s * dw
            out.daDs[j] = atom.occupancy * (dDw * (f0 + anomalous[j].fPrime) + dw * df0)
            out.dbDs[j] = atom.occupancy * dDw * anomalous[j].fDoublePrime
        }
        out.squaredModulus = a1 * a1 + a2 * a2 + b1 * b1 + b2 * b2
        guard derivatives else { return }
        let k8 = -8 * Double.pi * Double.pi * s2
        out.dS = 0
        for j in 0..<n {
            let (aj, bj) = (out.a[j], out.b[j])
            let sum = out.sums[j]
            let (cj, sj) = (sum.cosine, sum.sine)
            let pa = 2 * (a1 * cj + b1 * sj)  // ∂|F|²/∂a_j
            let pb = 2 * (a2 * sj + b2 * cj)  // ∂|F|²/∂b_j
            let occ = atoms[j].occupancy
            out.dOccupancy[j] = occ != 0 ? (pa * aj + pb * bj) / occ
                : pa * exp(k8 * atoms[j].uIso) * (out.f0[speciesOfAtom[j]] + anomalous[j].fPrime) + pb * exp(k8 * atoms[j].uIso) * anomalous[j].fDoublePrime
            out.dUIso[j] = k8 * (pa * aj + pb * bj)
            out.dPosition[j] = 2 * (a1 * aj * sum.cosineGradient + a2 * bj * sum.sineGradient + b1 * aj * sum.sineGradient + b2 * bj * sum.cosineGradient)
            out.dS += pa * out.daDs[j] + pb * out.dbDs[j]
        }
    }
}
