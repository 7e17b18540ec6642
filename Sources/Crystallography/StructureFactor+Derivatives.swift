import Foundation

/// |F|² of one reflection for a powder pattern and its derivatives with respect to each atom's occupancy,
/// U_iso and fractional coordinates, and to s = sinθ/λ (through f0 and the Debye–Waller factor).
///
/// With a_j = occ_j T_j (f0_j + f′_j), b_j = occ_j T_j f″_j, C_j = Σ cos 2πh·x, S_j = Σ sin 2πh·x (over the
/// distinct images of atom j in the cell), the Friedel-averaged intensity is
/// |F|² = (Σ a C)² + (Σ b S)² + (Σ a S)² + (Σ b C)².
public struct PowderStructureFactor: Sendable {
    public var squaredModulus: Double = 0
    public var dOccupancy: [Double]
    public var dUIso: [Double]
    /// ∂|F|²/∂x_j, ∂y_j, ∂z_j (meaningful along the directions the site symmetry allows).
    public var dPosition: [SIMD3<Double>]
    /// ∂|F|²/∂s at fixed structure.
    public var dS: Double = 0

    init(atoms: Int) {
        dOccupancy = Array(repeating: 0, count: atoms)
        dUIso = Array(repeating: 0, count: atoms)
        dPosition = Array(repeating: .zero, count: atoms)
    }
}

extension StructureFactorCalculator {
    /// |F|² and its derivatives for h at s = sinθ/λ (pass the value for the current cell).
    public func powderStructureFactor(_ m: MillerIndex, s: Double, atoms: [AtomSite]) -> PowderStructureFactor {
        let n = atoms.count
        var out = PowderStructureFactor(atoms: n)
        var a = [Double](repeating: 0, count: n), b = a, cs = a, sn = a, daDs = a, dbDs = a
        var dC = [SIMD3<Double>](repeating: .zero, count: n), dSn = dC
        let twoPi = 2 * Double.pi
        let s2 = s * s
        for j in 0..<n {
            let atom = atoms[j]
            var c = 0.0, si = 0.0
            var gc = SIMD3<Double>.zero, gs = SIMD3<Double>.zero
            for op in imageOperations[j] {
                let hr = op.transformIndices(m.tuple)
                let t = op.fractionalTranslation
                let phase = twoPi * (Double(hr.0) * atom.position.x + Double(hr.1) * atom.position.y + Double(hr.2) * atom.position.z
                                     + Double(m.h) * t.x + Double(m.k) * t.y + Double(m.l) * t.z)
                let (cp, sp) = (cos(phase), sin(phase))
                c += cp
                si += sp
                let g = SIMD3(Double(hr.0), Double(hr.1), Double(hr.2)) * twoPi
                gc -= g * sp
                gs += g * cp
            }
            cs[j] = c; sn[j] = si
            dC[j] = gc; dSn[j] = gs
            let dw = exp(-8 * Double.pi * Double.pi * atom.uIso * s2)
            let f0 = formFactors[j].f0(s)
            var df0 = 0.0
            for i in 0..<5 { df0 -= 2 * formFactors[j].b[i] * s * formFactors[j].a[i] * exp(-formFactors[j].b[i] * s2) }
            let dDw = -16 * Double.pi * Double.pi * atom.uIso * s * dw
            a[j] = atom.occupancy * dw * (f0 + anomalous[j].fPrime)
            b[j] = atom.occupancy * dw * anomalous[j].fDoublePrime
            daDs[j] = atom.occupancy * (dDw * (f0 + anomalous[j].fPrime) + dw * df0)
            dbDs[j] = atom.occupancy * dDw * anomalous[j].fDoublePrime
        }
        var a1 = 0.0, a2 = 0.0, b1 = 0.0, b2 = 0.0
        for j in 0..<n {
            a1 += a[j] * cs[j]; a2 += b[j] * sn[j]
            b1 += a[j] * sn[j]; b2 += b[j] * cs[j]
        }
        out.squaredModulus = a1 * a1 + a2 * a2 + b1 * b1 + b2 * b2
        let k8 = -8 * Double.pi * Double.pi * s2
        for j in 0..<n {
            let pa = 2 * (a1 * cs[j] + b1 * sn[j])  // ∂|F|²/∂a_j
            let pb = 2 * (a2 * sn[j] + b2 * cs[j])  // ∂|F|²/∂b_j
            let occ = atoms[j].occupancy
            out.dOccupancy[j] = occ != 0 ? (pa * a[j] + pb * b[j]) / occ
                : pa * exp(k8 * atoms[j].uIso) * (formFactors[j].f0(s) + anomalous[j].fPrime) + pb * exp(k8 * atoms[j].uIso) * anomalous[j].fDoublePrime
            out.dUIso[j] = k8 * (pa * a[j] + pb * b[j])
            out.dPosition[j] = 2 * (a1 * a[j] * dC[j] + a2 * b[j] * dSn[j] + b1 * a[j] * dSn[j] + b2 * b[j] * dC[j])
            out.dS += pa * daDs[j] + pb * dbDs[j]
        }
        return out
    }
}
