import Foundation

/// A space group as the full list of its operations (centring translations included), identity first.
///
/// Everything crystallographic — absences, multiplicities, Wyckoff orbits, site-symmetry constraints — is
/// derived from these operators, never from rules keyed on the symbol.
public struct SpaceGroup: Sendable, CustomStringConvertible {
    /// International Tables number, when known.
    public let number: Int?
    /// Hermann–Mauguin symbol as given or as tabulated (e.g. `R -3 m:H`), or a description of its origin.
    public let symbol: String
    /// All operations, with translations reduced into [0, 1).
    public let operations: [SymmetryOperation]
    /// The distinct rotation parts (the point group, as matrices).
    public let pointGroupRotations: [[Int]]
    /// The Laue group: the point group plus inversion. Powder patterns cannot tell Friedel mates apart.
    public let laueRotations: [[Int]]

    /// Closes `generators` under composition (translations modulo lattice vectors).
    public init(generators: [SymmetryOperation], number: Int? = nil, symbol: String) throws(CrystallographyError) {
        var seen: Set<SymmetryOperation> = [.identity]
        var list: [SymmetryOperation] = [.identity]
        var frontier: [SymmetryOperation] = [.identity]
        while !frontier.isEmpty {
            var next: [SymmetryOperation] = []
            for a in frontier {
                for g in generators {
                    let p = g * a
                    guard abs(p.determinant) == 1 else {
                        throw .notAGroup("operator \(g) has determinant \(g.determinant), expected ±1")
                    }
                    if seen.insert(p).inserted {
                        list.append(p)
                        next.append(p)
                        if list.count > 192 {
                            throw .notAGroup("the operators generate more than 192 operations; a translation or rotation is wrong")
                        }
                    }
                }
            }
            frontier = next
        }
        self.number = number
        self.symbol = symbol
        self.operations = list
        var rotationsSeen = Set<[Int]>()
        pointGroupRotations = list.map(\.rotation).filter { rotationsSeen.insert($0).inserted }
        var laueSeen = Set<[Int]>()
        var laue: [[Int]] = []
        for r in pointGroupRotations {
            for s in [r, r.map { -$0 }] where laueSeen.insert(s).inserted { laue.append(s) }
        }
        laueRotations = laue
    }

    /// A group from a complete operator list as a CIF gives it (checked to be closed).
    public init(operations ops: [SymmetryOperation], number: Int? = nil, symbol: String) throws(CrystallographyError) {
        try self.init(generators: ops, number: number, symbol: symbol)
        let given = Set(ops).union([.identity])
        if given.count != operations.count {
            throw .notAGroup("the \(given.count) operators listed close to \(operations.count) operations; the list is incomplete or wrong")
        }
    }

    public var description: String { number.map { "\(symbol) (No. \($0))" } ?? symbol }

    /// The crystal system, from the number, else from the point-group order and axes.
    /// The crystal system of the operators themselves (the proper part of each rotation, ±R with det = +1:
    /// a 6-fold → hexagonal, a 3-fold → trigonal, four 3-folds → cubic, a 4-fold → tetragonal, …).
    public var crystalSystem: CrystalSystem {
        let proper = Set(pointGroupRotations.map { Self.determinant($0) < 0 ? $0.map { -$0 } : $0 })
        let orders = proper.map { Self.rotationOrder($0) }
        if orders.filter({ $0 == 3 }).count >= 8 { return .cubic }
        if orders.contains(6) { return .hexagonal }
        if orders.contains(3) { return .trigonal }
        if orders.contains(4) { return .tetragonal }
        let twofolds = orders.filter { $0 == 2 }.count
        if twofolds >= 3 { return .orthorhombic }
        if twofolds >= 1 { return .monoclinic }
        return .triclinic
    }

    static func determinant(_ r: [Int]) -> Int {
        r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) + r[2] * (r[3] * r[7] - r[4] * r[6])
    }

    private static func rotationOrder(_ r: [Int]) -> Int {
        let id = SymmetryOperation.identity.rotation
        var p = SymmetryOperation(rotation: r, translation: [0, 0, 0])
        let start = p
        for n in 1...6 {
            if p.rotation == id { return n }
            p = start * p
        }
        return 6
    }

    /// True when the group contains the inversion −1 (with any translation).
    public var isCentrosymmetric: Bool {
        operations.contains { $0.rotation == [-1, 0, 0, 0, -1, 0, 0, 0, -1] }
    }


    /// Axes (0 = a, 1 = b, 2 = c) along which the origin floats: every rotation leaves the axis direction
    /// unchanged (R eᵢ = eᵢ), so shifting all atoms along it changes no intensity — the polar axis of P6₃mc
    /// (c), of P2 (b), all three in P1. One coordinate per such axis must be held in a refinement.
    public var floatingOriginAxes: [Int] {
        (0..<3).filter { i in pointGroupRotations.allSatisfy { r in (0..<3).allSatisfy { row in r[3 * row + i] == (row == i ? 1 : 0) } } }
    }
}
