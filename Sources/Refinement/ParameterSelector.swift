import Crystallography
import Foundation
import PowderDiffraction

/// Names users write in recipes, resolved against a model.
///
/// Groups: `all`, `scale`, `background`, `cell`, `profile` (size, microstrain), `instrument` (U V W X Y SH/L),
/// `structure` (coordinates, Uiso, cation mixing), `positions`, `uiso`, `displacement`.
/// Single parameters: `background 3`, `zero`, `a` … `gamma` (independent ones), `size`, `microstrain`, `U` `V`
/// `W` `X` `Y` `Z` `SH/L`, `O1 z`, `Uiso(O1)` or `O1 Uiso`, `occupancy(Ni1)` or `Ni1 occupancy`,
/// `cation mixing`, `texture`, `mu_r`, `displacement x`, `displacement y`, `specimen displacement`,
/// `transparency`, `I(L2)/I(L1)`. Names are case-insensitive for the fixed words; atom labels match exactly.
public enum ParameterSelector {
    public struct UnknownName: Error, CustomStringConvertible {
        public let name: String
        public let reason: String
        public var description: String { "unknown parameter '\(name)': \(reason)" }
    }

    static let groups = ["all", "scale", "background", "cell", "profile", "instrument", "structure", "positions", "uiso", "displacement"]

    public static func resolve(_ name: String, in model: PatternModel) throws(UnknownName) -> [ModelParameter] {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        let key = trimmed.lowercased()
        let phases = model.phases.indices
        func all(_ f: (Int) -> [ModelParameter]) -> [ModelParameter] { phases.flatMap(f) }
        switch key {
        case "all":
            var out: [ModelParameter] = []
            for n in ["scale", "background", "zero", "cell", "profile", "structure"] { out += try resolve(n, in: model) }
            return out
        case "scale": return all { [.scale(phase: $0)] }
        case "background": return model.background.coefficients.indices.map { .background(term: $0) }
        case "zero": return [.zero]
        case "cell": return all { p in model.phases[p].independentLattice.map { .lattice(phase: p, $0) } }
        case "size": return all { [.size(phase: $0)] }
        case "microstrain", "strain": return all { [.microstrain(phase: $0)] }
        case "profile": return all { [.size(phase: $0), .microstrain(phase: $0)] }
        case "instrument": return [.u, .v, .w, .x, .y, .shl].map { .profile($0) }
        case "u", "v", "w", "x", "y", "z": return [.profile(ProfileTerm(rawValue: key.uppercased())!)]
        case "sh/l", "shl": return [.profile(.shl)]
        case "mu_r", "mur": return [.muR]
        case "transparency": return [.transparency]
        case "specimen displacement": return [.specimenDisplacement]
        case "displacement x": return [.displacementPerpendicular]
        case "displacement y": return [.displacementParallel]
        case "displacement":
            return model.instrument.geometry == .debyeScherrer ? [.displacementPerpendicular, .displacementParallel] : [.specimenDisplacement]
        case "texture", "march-dollase r", "march-dollase": return all { [.texture(phase: $0)] }
        case "i(l2)/i(l1)":
            guard model.instrument.radiation.secondWavelength != nil else {
                throw UnknownName(name: trimmed, reason: "the instrument has a single wavelength")
            }
            return [.secondLineRatio]
        case "cation mixing", "mixing":
            let found = all { p in model.phases[p].cationMixing == nil ? [] : [.cationMixing(phase: p)] }
            guard !found.isEmpty else {
                throw UnknownName(name: trimmed, reason: "no phase has a Li site with Ni and a metal site with Li (the cation-mixing pattern)")
            }
            return found
        case "positions": return all { p in positions(model.phases[p], p) }
        case "uiso": return all { p in model.phases[p].sites.indices.map { .uIso(phase: p, site: $0) } }
        case "structure":
            return all { p in positions(model.phases[p], p) + model.phases[p].sites.indices.map { .uIso(phase: p, site: $0) }
                + (model.phases[p].cationMixing == nil ? [] : [.cationMixing(phase: p)]) }
        default: break
        }
        if key.hasPrefix("background "), let k = Int(key.dropFirst(11)) {
            guard model.background.coefficients.indices.contains(k) else {
                throw UnknownName(name: trimmed, reason: "the background has terms 0…\(model.background.coefficients.count - 1)")
            }
            return [.background(term: k)]
        }
        if let l = LatticeParameter.allCases.first(where: { $0.name == key }) {
            let found = all { p in model.phases[p].independentLattice.contains(l) ? [.lattice(phase: p, l)] : [] }
            guard !found.isEmpty else {
                throw UnknownName(name: trimmed, reason: "\(l.name) is tied to another cell parameter by the crystal system; refine 'cell'")
            }
            return found
        }
        // Atom-label forms.
        for (p, phase) in model.phases.enumerated() {
            for (s, site) in phase.sites.enumerated() {
                let labels = site.map { phase.structure.atoms[$0].label }
                for label in labels {
                    if trimmed == "Uiso(\(label))" || trimmed == "\(label) Uiso" { return [.uIso(phase: p, site: s)] }
                    for (axis, letter) in ["x", "y", "z"].enumerated() where trimmed == "\(label) \(letter)" {
                        guard phase.siteSymmetries[s].coordinates.freeComponents.contains(axis) else {
                            throw UnknownName(name: trimmed, reason: "\(letter) of \(label) is fixed by its site symmetry")
                        }
                        return [.position(phase: p, site: s, axis: axis)]
                    }
                }
                for atom in site {
                    let label = phase.structure.atoms[atom].label
                    if trimmed == "occupancy(\(label))" || trimmed == "\(label) occupancy" { return [.occupancy(phase: p, atom: atom)] }
                }
            }
        }
        throw UnknownName(name: trimmed, reason: "expected one of \(groups.joined(separator: ", ")), a single parameter such as zero, a, size, U, 'O1 z', 'Uiso(O1)', 'cation mixing', or 'background 3'")
    }

    static func positions(_ phase: Phase, _ p: Int) -> [ModelParameter] {
        phase.sites.indices.flatMap { s in phase.siteSymmetries[s].coordinates.freeComponents.map { ModelParameter.position(phase: p, site: s, axis: $0) } }
    }
}
