import Foundation

/// A value with its standard uncertainty (nil when it was not refined or cannot be derived).
public struct Estimate: Sendable, Equatable {
    public var value: Double
    public var esd: Double?
    public init(_ value: Double, esd: Double?) { self.value = value; self.esd = esd }
}

/// The cell parameters a crystal system leaves free, and which of the six follow each of them.
///
/// A refinement varies only the independent parameters; a hexagonal a drives a and b, a cubic a drives a,
/// b and c, a rhombohedral α drives α, β and γ. Derivatives with respect to an independent parameter are
/// sums over the parameters it drives; derived esds (V, c/a) take the covariance of the independent ones.
public struct CellParametrization: Sendable, Equatable {
    public let system: CrystalSystem
    public let independent: [CellParameter]

    /// The parametrization of `system` for a cell in its conventional setting (a trigonal cell is
    /// hexagonal-setting when γ = 120°, rhombohedral otherwise; a monoclinic cell's unique angle is the one
    /// that is not 90°, β by default).
    public init(system: CrystalSystem, cell: UnitCell) {
        self.system = system
        switch system {
        case .cubic: independent = [.a]
        case .tetragonal, .hexagonal: independent = [.a, .c]
        case .trigonal: independent = abs(cell.gamma - 120) < 1e-6 ? [.a, .c] : [.a, .alpha]
        case .orthorhombic: independent = [.a, .b, .c]
        case .monoclinic:
            if abs(cell.alpha - 90) > 1e-6 { independent = [.a, .b, .c, .alpha] }
            else if abs(cell.gamma - 90) > 1e-6 { independent = [.a, .b, .c, .gamma] }
            else { independent = [.a, .b, .c, .beta] }
        case .triclinic: independent = CellParameter.allCases
        }
    }

    /// The full cell parameters that follow an independent one (e.g. a → a and b for a hexagonal cell).
    public func dependents(of p: CellParameter) -> [CellParameter] {
        // (Shared arrays: this runs per reflection and cell parameter in every Jacobian.)
        switch (system, p) {
        case (.cubic, .a): return Self.abc
        case (.tetragonal, .a), (.hexagonal, .a): return Self.ab
        case (.trigonal, .a): return independent.contains(.alpha) ? Self.abc : Self.ab
        case (.trigonal, .alpha): return Self.angles
        default: return Self.alone[p.rawValue]
        }
    }

    private static let abc: [CellParameter] = [.a, .b, .c], ab: [CellParameter] = [.a, .b]
    private static let angles: [CellParameter] = [.alpha, .beta, .gamma]
    private static let alone: [[CellParameter]] = CellParameter.allCases.map { [$0] }

    /// The independent parameter that drives `p`, nil when `p` is fixed by symmetry (a cubic α).
    public func driver(of p: CellParameter) -> CellParameter? {
        independent.first { dependents(of: $0).contains(p) }
    }

    /// The cell with independent parameter `p` set to `value` and its dependents following.
    public func setting(_ p: CellParameter, to value: Double, in cell: UnitCell) throws(CrystallographyError) -> UnitCell {
        var v = cell.parameters
        for d in dependents(of: p) { v[d.rawValue] = value }
        return try UnitCell(a: v[0], b: v[1], c: v[2], alpha: v[3], beta: v[4], gamma: v[5])
    }

    /// ∂(1/d²)/∂p for an independent parameter p.
    public func inverseDSquaredDerivative(_ cell: UnitCell, _ h: Int, _ k: Int, _ l: Int, _ p: CellParameter) -> Double {
        dependents(of: p).reduce(0) { $0 + cell.inverseDSquaredDerivative(h, k, l, $1) }
    }

    /// ∂V/∂p for an independent parameter p (the tied parameters included).
    public func volumeDerivative(_ cell: UnitCell, _ p: CellParameter) -> Double {
        let g = cell.volumeGradient
        return dependents(of: p).reduce(0) { $0 + g[$1.rawValue] }
    }

    /// Whether c/a is a quantity of this system: tetragonal, hexagonal and hexagonal-setting trigonal cells
    /// (in a cubic cell it is 1 by symmetry, with no esd; in lower symmetry it is not conventional).
    public var hasAxialRatio: Bool { independent == [.a, .c] }

    /// The six cell parameters, V and (where it applies) c/a with esds from the covariance of the
    /// independent parameters. `covariance(i, j)` returns the covariance of independent parameters i and j
    /// (indices into `independent`), or nil when they were not refined. Tied parameters share the esd of
    /// the one they follow; parameters fixed by symmetry have none; V and c/a use the correlations.
    public func estimates(of cell: UnitCell, covariance: (Int, Int) -> Double?) -> CellEstimates {
        let refined = independent.indices.filter { covariance($0, $0) != nil }
        func propagate(_ gradient: [Double]) -> Double? {
            guard !refined.isEmpty, refined.contains(where: { gradient[$0] != 0 }) else { return nil }
            var q = 0.0
            for i in refined { for j in refined { q += gradient[i] * (covariance(i, j) ?? 0) * gradient[j] } }
            return max(q, 0).squareRoot()
        }
        let parameters = CellParameter.allCases.map { p -> Estimate in
            let esd = driver(of: p).flatMap { d in independent.firstIndex(of: d) }.flatMap { covariance($0, $0) }.map { max($0, 0).squareRoot() }
            return Estimate(cell.parameters[p.rawValue], esd: esd)
        }
        let volume = Estimate(cell.volume, esd: propagate(independent.map { volumeDerivative(cell, $0) }))
        var ratio: Estimate?
        if hasAxialRatio {
            // c/a: ∂/∂a = −c/a², ∂/∂c = 1/a (a drives b too, but c/a does not involve b).
            ratio = Estimate(cell.c / cell.a, esd: propagate([-cell.c / (cell.a * cell.a), 1 / cell.a]))
        }
        return CellEstimates(parameters: parameters, volume: volume, axialRatio: ratio)
    }
}

/// A refined cell: the six parameters, the volume and (tetragonal, hexagonal) c/a, each with its esd.
public struct CellEstimates: Sendable, Equatable {
    /// a, b, c (Å), α, β, γ (degrees) in `CellParameter` order.
    public let parameters: [Estimate]
    public let volume: Estimate
    /// c/a where the crystal system has it (nil for cubic and lower-than-tetragonal cells).
    public let axialRatio: Estimate?

    public subscript(_ p: CellParameter) -> Estimate { parameters[p.rawValue] }
}
