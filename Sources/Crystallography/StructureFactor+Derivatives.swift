import Foundation

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
    /// Per atom: a_j, b_j, C_j, S_j, ∂a_j/∂s, ∂b_j/∂s, ∇C_j, ∇S_j (kept so that a reused value allocates nothing).
    var a: [Double] = [], b: [Double] = [], cs: [Double] = [], sn: [Double] = [], daDs: [Double] = [], dbDs: [Double] = []
    var dC: [SIMD3<Double>] = [], dSn: [SIMD3<Double>] = []
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
        dUIso = dOccupancy; a = dOccupancy; b = dOccupancy; cs = dOccupancy; sn = dOccupancy; daDs = dOccupancy; dbDs = dOccupancy
        dPosition = Array(repeating: .zero, count: n)
        dC = dPosition; dSn = dPosition
    }
}

extension StructureFactorCalculator {
    /// |F|² and its derivatives for h at s = sinθ/λ (pass the value for the current cell).
    public func powderStructureFactor(_ m: MillerIndex, s: Double, atoms: [AtomSite]) -> PowderStructureFactor {
        var out = PowderStructureFactor()
        powderStructureFactor(m, s: s, atoms: atoms, derivatives: true, into: &out)
        return out
    }

    /// |F|² for h at s = sinθ/λ into `out`, reusing its storage; with `derivatives`, also every partial (else
    /// they are left as they were). Atoms on the same position as an earlier atom of the same site (mixed
    /// occupancy) share its phase sums.
    public func powderStructureFactor(_ m: MillerIndex, s: Double, atoms: [AtomSite], derivatives: Bool,
                                      into out: inout PowderStructureFactor) {
        let n = atoms.count
        out.resize(atoms: n, species: species.count)
        for i in species.indices { (out.f0[i], out.df0[i]) = species[i].valueAndSlope(s) }
        let twoPi = 2 * Double.pi
        let s2 = s * s
        let h = Double(m.h), k = Double(m.k), l = Double(m.l)
        // Whether every centring translation t has h·t integral (the reflection is not extinguished by it).
        let hi = SIMD3(m.h, m.k, m.l)
        let centred = centring.count > 1 && centring.allSatisfy { (hi &* $0).wrappedSum() % SymmetryOperation.translationDenominator == 0 }
        for j in 0..<n {
            let atom = atoms[j]
            if let i = sharedImages[j], atoms[i].position == atom.position {
                out.cs[j] = out.cs[i]; out.sn[j] = out.sn[i]
                out.dC[j] = out.dC[i]; out.dSn[j] = out.dSn[i]
            } else {
                var c = 0.0, si = 0.0
                var gc = SIMD3<Double>.zero, gs = SIMD3<Double>.zero
                let hv = SIMD3(h, k, l)
                let x = atom.position
                let (list, copies) = centred && !primitiveImages[j].isEmpty ? (primitiveImages[j], Double(centring.count)) : (images[j], 1.0)
                for op in list {
                    let g = SIMD3((op.column0 * hv).sum(), (op.column1 * hv).sum(), (op.column2 * hv).sum())
                    let phase = twoPi * ((g * x).sum() + (hv * op.translation).sum())
                    let (cp, sp) = (cos(phase), sin(phase))
                    c += cp
                    si += sp
                    if derivatives {
                        gc -= g * (twoPi * sp)
                        gs += g * (twoPi * cp)
                    }
                }
                out.cs[j] = copies * c; out.sn[j] = copies * si
                out.dC[j] = copies * gc; out.dSn[j] = copies * gs
            }
            let dw = exp(-8 * Double.pi * Double.pi * atom.uIso * s2)
            let f0 = out.f0[speciesOfAtom[j]]
            out.a[j] = atom.occupancy * dw * (f0 + anomalous[j].fPrime)
            out.b[j] = atom.occupancy * dw * anomalous[j].fDoublePrime
            guard derivatives else { continue }
            let df0 = out.df0[speciesOfAtom[j]]
            let dDw = -16 * Double.pi * Double.pi * atom.uIso * s * dw
            out.daDs[j] = atom.occupancy * (dDw * (f0 + anomalous[j].fPrime) + dw * df0)
            out.dbDs[j] = atom.occupancy * dDw * anomalous[j].fDoublePrime
        }
        var a1 = 0.0, a2 = 0.0, b1 = 0.0, b2 = 0.0
        for j in 0..<n {
            a1 += out.a[j] * out.cs[j]; a2 += out.b[j] * out.sn[j]
            b1 += out.a[j] * out.sn[j]; b2 += out.b[j] * out.cs[j]
        }
        out.squaredModulus = a1 * a1 + a2 * a2 + b1 * b1 + b2 * b2
        guard derivatives else { return }
        let k8 = -8 * Double.pi * Double.pi * s2
        out.dS = 0
        for j in 0..<n {
            let (aj, bj, cj, sj) = (out.a[j], out.b[j], out.cs[j], out.sn[j])
            let pa = 2 * (a1 * cj + b1 * sj)  // ∂|F|²/∂a_j
            let pb = 2 * (a2 * sj + b2 * cj)  // ∂|F|²/∂b_j
            let occ = atoms[j].occupancy
            out.dOccupancy[j] = occ != 0 ? (pa * aj + pb * bj) / occ
                : pa * exp(k8 * atoms[j].uIso) * (out.f0[speciesOfAtom[j]] + anomalous[j].fPrime) + pb * exp(k8 * atoms[j].uIso) * anomalous[j].fDoublePrime
            out.dUIso[j] = k8 * (pa * aj + pb * bj)
            out.dPosition[j] = 2 * (a1 * aj * out.dC[j] + a2 * bj * out.dSn[j] + b1 * aj * out.dSn[j] + b2 * bj * out.dC[j])
            out.dS += pa * out.daDs[j] + pb * out.dbDs[j]
        }
    }
}
