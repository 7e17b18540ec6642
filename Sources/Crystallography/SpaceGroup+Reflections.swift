import Foundation

/// Miller indices.
public struct MillerIndex: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let h: Int, k: Int, l: Int
    public init(_ h: Int, _ k: Int, _ l: Int) { self.h = h; self.k = k; self.l = l }
    public var tuple: (Int, Int, Int) { (h, k, l) }
    public var negated: MillerIndex { MillerIndex(-h, -k, -l) }
    public static func < (x: MillerIndex, y: MillerIndex) -> Bool { (x.h, x.k, x.l) < (y.h, y.k, y.l) }
    public var description: String { "(\(h) \(k) \(l))" }
}

extension SpaceGroup {
    /// Systematic absence from the operators: h is absent when some operation (R, t) maps h onto itself
    /// (h R = h) with a phase h·t that is not an integer, so the contributions of the two related atoms
    /// cancel for every structure.
    public func isSystematicallyAbsent(_ m: MillerIndex) -> Bool {
        let d = SymmetryOperation.translationDenominator
        for op in operations {
            let (h, k, l) = op.transformIndices(m.tuple)
            if h == m.h && k == m.k && l == m.l && op.phaseNumerator(m.tuple) % d != 0 { return true }
        }
        return false
    }

    /// The reflections equivalent to h in a powder pattern: its orbit under the Laue group.
    public func equivalentReflections(_ m: MillerIndex) -> Set<MillerIndex> {
        var out = Set<MillerIndex>()
        for r in laueRotations {
            let h = m.h * r[0] + m.k * r[3] + m.l * r[6]
            let k = m.h * r[1] + m.k * r[4] + m.l * r[7]
            let l = m.h * r[2] + m.k * r[5] + m.l * r[8]
            out.insert(MillerIndex(h, k, l))
        }
        return out
    }

    /// Powder multiplicity: the size of the Laue orbit of h (Friedel mates counted).
    public func multiplicity(_ m: MillerIndex) -> Int { equivalentReflections(m).count }

    /// The representative of h's orbit: the member with the fewest negative indices, then the largest in
    /// (h, k, l) order — so LiNiO2 lists 012, 110 and 113 as the literature does.
    public func canonical(_ m: MillerIndex) -> MillerIndex { Self.representative(of: equivalentReflections(m)) }

    static func representative(of orbit: Set<MillerIndex>) -> MillerIndex {
        orbit.max(by: ranksBelow)!
    }

    /// The order that picks the representative: fewer negative indices first, then larger (h, k, l).
    static func ranksBelow(_ a: MillerIndex, _ b: MillerIndex) -> Bool {
        func negatives(_ x: MillerIndex) -> Int { (x.h < 0 ? 1 : 0) + (x.k < 0 ? 1 : 0) + (x.l < 0 ? 1 : 0) }
        let (na, nb) = (negatives(a), negatives(b))
        return na != nb ? na > nb : a < b
    }

    /// Whether h is the representative of its orbit (`canonical(h) == h`), without building the orbit.
    public func isRepresentative(_ m: MillerIndex) -> Bool {
        for r in laueRotations {
            let image = MillerIndex(m.h * r[0] + m.k * r[3] + m.l * r[6], m.h * r[1] + m.k * r[4] + m.l * r[7],
                                    m.h * r[2] + m.k * r[5] + m.l * r[8])
            if Self.ranksBelow(m, image) { return false }
        }
        return true
    }
}
