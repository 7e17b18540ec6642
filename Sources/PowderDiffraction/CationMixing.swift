import Crystallography
import Foundation

/// Ni/Li cation mixing in a layered oxide LiMO2 as one parameter x, keeping each site fully occupied:
/// Ni on the Li site = x, Li on the Li site = 1 − x, Li on the transition-metal site = x, and the transition
/// metals on their site scaled to (1 − x) in their nominal ratio (NCM85 keeps Ni:Co:Mn = 0.85:0.10:0.05).
public struct CationMixing: Sendable, Equatable {
    /// Atom indices (into the structure's atom list).
    public let lithiumOnLithiumSite: Int
    public let nickelOnLithiumSite: Int
    public let lithiumOnMetalSite: Int
    /// Transition-metal atoms on the metal site with their share of the metals (Σ = 1).
    public let metals: [(atom: Int, fraction: Double)]

    public static func == (l: CationMixing, r: CationMixing) -> Bool {
        l.lithiumOnLithiumSite == r.lithiumOnLithiumSite && l.nickelOnLithiumSite == r.nickelOnLithiumSite
            && l.lithiumOnMetalSite == r.lithiumOnMetalSite && l.metals.map(\.atom) == r.metals.map(\.atom)
            && l.metals.map(\.fraction) == r.metals.map(\.fraction)
    }

    static let transitionMetals: Set<String> = ["Ni", "Co", "Mn", "Fe", "Cr", "V", "Ti", "Cu"]

    /// Finds the pattern in a structure: a site holding Li and Ni (the Li layer, Li the majority) and a site
    /// holding transition metals and Li (the metal layer). Nil when the structure has no such pair of sites.
    public static func detect(in structure: CrystalStructure) -> CationMixing? {
        let atoms = structure.atoms
        var lithiumSite: (li: Int, ni: Int)?
        var metalSite: (li: Int, metals: [Int])?
        for site in structure.sites {
            let li = site.first { atoms[$0].element == "Li" }
            let metals = site.filter { transitionMetals.contains(atoms[$0].element) }
            guard let li, !metals.isEmpty else { continue }
            let liOcc = atoms[li].occupancy
            let metalOcc = metals.reduce(0) { $0 + atoms[$1].occupancy }
            if liOcc >= metalOcc, let ni = metals.first(where: { atoms[$0].element == "Ni" }) ?? metals.first {
                lithiumSite = (li, ni)
            } else {
                metalSite = (li, metals)
            }
        }
        guard let l = lithiumSite, let m = metalSite else { return nil }
        let total = m.metals.reduce(0) { $0 + atoms[$1].occupancy }
        let fractions = m.metals.map { total > 0 ? atoms[$0].occupancy / total : 1 / Double(m.metals.count) }
        return CationMixing(lithiumOnLithiumSite: l.li, nickelOnLithiumSite: l.ni, lithiumOnMetalSite: m.li,
                            metals: Array(zip(m.metals, fractions)).map { (atom: $0.0, fraction: $0.1) })
    }

    /// The mixing value a structure currently has (Ni occupancy on the Li site).
    public func value(in structure: CrystalStructure) -> Double { structure.atoms[nickelOnLithiumSite].occupancy }

    /// Sets all occupancies for mixing x.
    public func apply(_ x: Double, to atoms: inout [AtomSite]) {
        atoms[nickelOnLithiumSite].occupancy = x
        atoms[lithiumOnLithiumSite].occupancy = 1 - x
        atoms[lithiumOnMetalSite].occupancy = x
        for m in metals { atoms[m.atom].occupancy = m.fraction * (1 - x) }
    }

    /// ∂occupancy/∂x for every atom the constraint touches.
    public var occupancyDerivatives: [(atom: Int, derivative: Double)] {
        var out: [(atom: Int, derivative: Double)] = []
        forEachOccupancyDerivative { out.append(($0, $1)) }
        return out
    }

    /// ∂(occupancy)/∂x of each atom it sets, in one order: Ni on the Li site, Li on the Li site, Li on the
    /// metal site, then the metals.
    @inline(__always)
    func forEachOccupancyDerivative(_ body: (Int, Double) -> Void) {
        body(nickelOnLithiumSite, 1)
        body(lithiumOnLithiumSite, -1)
        body(lithiumOnMetalSite, 1)
        for m in metals { body(m.atom, -m.fraction) }
    }

    /// ∂q/∂(mixing) from the partials ∂q/∂(occupancy) of every atom, summed in that order without building the
    /// list (this runs per reflection).
    public func chainRule(_ partials: [Double]) -> Double {
        var g = 0.0
        forEachOccupancyDerivative { g += $1 * partials[$0] }
        return g
    }
}
