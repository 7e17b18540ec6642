import Foundation

/// A linear parametrization of the allowed changes of a vector: δ = basis · p, one column per free
/// component. `freeComponents[i]` names the component that parameter i drives with coefficient 1.
public struct LinearConstraint: Equatable, Sendable {
    /// Vector length (3 for xyz, 6 for Uij).
    public let dimension: Int
    /// Indices of the components that stay free.
    public let freeComponents: [Int]
    /// dimension × free.count, row-major: basis[row * free.count + column].
    public let basis: [Double]

    /// The change of the full vector for a change of the free components.
    public func expand(_ p: [Double]) -> [Double] {
        (0..<dimension).map { r in (0..<freeComponents.count).reduce(0) { $0 + basis[r * freeComponents.count + $1] * p[$1] } }
    }

    /// Null space of the stacked rows `a` (each of length n), in reduced row-echelon form so that the free
    /// components are the non-pivot columns. Pivots are taken from the last column backwards, so the
    /// earliest components stay free, as in the usual notation (x, 2x, z; U11 = U22 = U33).
    static func nullSpace(rows a: [[Double]], dimension n: Int) -> LinearConstraint {
        var m = a
        var pivots: [Int] = []
        var row = 0
        let tol = 1e-8
        for col in (0..<n).reversed() where row < m.count {
            guard let p = (row..<m.count).max(by: { abs(m[$0][col]) < abs(m[$1][col]) }), abs(m[p][col]) > tol else { continue }
            m.swapAt(row, p)
            let pivot = m[row][col]
            m[row] = m[row].map { $0 / pivot }
            for r in 0..<m.count where r != row && abs(m[r][col]) > tol {
                let f = m[r][col]
                for c in 0..<n { m[r][c] -= f * m[row][c] }
            }
            pivots.append(col)
            row += 1
        }
        let free = (0..<n).filter { !pivots.contains($0) }
        var basis = [Double](repeating: 0, count: n * free.count)
        for (j, f) in free.enumerated() {
            basis[f * free.count + j] = 1
            for (r, p) in pivots.enumerated() { basis[p * free.count + j] = -m[r][f] }
        }
        return LinearConstraint(dimension: n, freeComponents: free, basis: basis.map { abs($0) < 1e-12 ? 0 : $0 })
    }
}

/// The symmetry of one position: the operations that leave it in place (modulo lattice translations) and
/// the constraints they impose on coordinates and displacement parameters.
public struct SiteSymmetry: Sendable {
    /// Operations (R, t) with R x + t ≡ x.
    public let stabilizer: [SymmetryOperation]
    /// Number of equivalent positions in the cell (Wyckoff multiplicity).
    public let multiplicity: Int
    /// Which of x, y, z may vary, and how the others follow (e.g. x, 2x, z).
    public let coordinates: LinearConstraint
    /// Which of U11, U22, U33, U12, U13, U23 may vary, and how the others follow.
    public let displacement: LinearConstraint
}

extension SpaceGroup {
    /// Positions are the same when their difference is within this distance of a lattice vector
    /// (fractional units): tighter than any real Wyckoff separation, looser than CIF rounding (0.00001).
    public static let positionTolerance = 1e-3

    static func sameModuloLattice(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> Bool {
        let d = a - b
        let r = d - d.rounded(.toNearestOrAwayFromZero)
        return abs(r.x) < positionTolerance && abs(r.y) < positionTolerance && abs(r.z) < positionTolerance
    }

    /// The distinct positions equivalent to `x`, each wrapped into [0, 1).
    public func equivalentPositions(_ x: SIMD3<Double>) -> [SIMD3<Double>] {
        var out: [SIMD3<Double>] = []
        for op in operations {
            var p = op.apply(x)
            p -= p.rounded(.down)
            if !out.contains(where: { Self.sameModuloLattice($0, p) }) { out.append(p) }
        }
        return out
    }

    /// The number of positions of `x`'s site in the cell: the order of the group over that of its stabilizer
    /// (what `siteSymmetry(x).multiplicity` says, without deriving the site's constraints).
    public func multiplicity(_ x: SIMD3<Double>) -> Int {
        var stabilizer = 0
        for op in operations where Self.sameModuloLattice(op.apply(x), x) { stabilizer += 1 }
        return operations.count / max(1, stabilizer)
    }

    /// The site symmetry of `x`, with the coordinate and ADP constraints derived from its stabilizer.
    public func siteSymmetry(_ x: SIMD3<Double>) -> SiteSymmetry {
        let stabilizer = operations.filter { Self.sameModuloLattice($0.apply(x), x) }
        var xyzRows: [[Double]] = []
        var uRows: [[Double]] = []
        for op in stabilizer {
            let r = op.rotation.map(Double.init)
            for i in 0..<3 { xyzRows.append((0..<3).map { j in r[3 * i + j] - (i == j ? 1 : 0) }) }
            uRows.append(contentsOf: Self.adpConstraintRows(r))
        }
        return SiteSymmetry(stabilizer: stabilizer,
                            multiplicity: operations.count / max(1, stabilizer.count),
                            coordinates: LinearConstraint.nullSpace(rows: xyzRows, dimension: 3),
                            displacement: LinearConstraint.nullSpace(rows: uRows, dimension: 6))
    }

    /// Rows of (M_R − 1) where M_R maps U (U11, U22, U33, U12, U13, U23) to R U Rᵀ: the displacement
    /// tensor of an atom on the site must be invariant under every operation of its stabilizer.
    static func adpConstraintRows(_ r: [Double]) -> [[Double]] {
        let pairs = [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)]
        var rows: [[Double]] = []
        for (a, (i, j)) in pairs.enumerated() {
            var row = [Double](repeating: 0, count: 6)
            for (b, (k, l)) in pairs.enumerated() {
                // (R U Rᵀ)_ij = Σ_kl R_ik U_kl R_jl; U_kl = U_lk so off-diagonal terms appear twice.
                var c = r[3 * i + k] * r[3 * j + l]
                if k != l { c += r[3 * i + l] * r[3 * j + k] }
                row[b] = c - (a == b ? 1 : 0)
            }
            rows.append(row)
        }
        return rows
    }
}
