import Crystallography
import Foundation
import PowderDiffraction

/// Names users write in recipes, resolved against a model.
///
/// Groups: `all`, `scale`, `background`, `cell`, `profile` (size, microstrain), `instrument` (the profile's
/// refinable terms: U V W X Y SH/L, the Soller angle for a full axial model, an FP profile's widths and tails),
/// `structure` (coordinates, Uiso, cation mixing), `positions`, `uiso`, `displacement`.
/// Single parameters: `background 3`, `zero`, `a` … `gamma` (independent ones), `size`, `microstrain`, `U` `V`
/// `W` `X` `Y` `Z` `SH/L`, `O1 z`, `Uiso(O1)` or `O1 Uiso`, `occupancy(Ni1)` or `Ni1 occupancy`,
/// `cation mixing`, `texture`, `mu_r`, `displacement x`, `displacement y`, `specimen displacement`,
/// `transparency`, `I(L2)/I(L1)`, `Soller`, `receiving slit`, `divergence`, `axial divergence`, `tube tails` (or
/// `tube tail left`, `right`, `height`), `passband` (or `passband width`, `passband offset`). Names are
/// case-insensitive for the fixed words; atom labels match exactly.
///
/// With several phases a name may be scoped by a phase name, `LPSCl: a`, `NCM85: O1 z`, `H3: scale`; an
/// unscoped phase name applies to every phase that has it, except an atom label found in two phases, which
/// needs a scope.
public enum ParameterSelector {
    public struct UnknownName: Error, CustomStringConvertible {
        public let name: String
        public let reason: String
        public var description: String { "unknown parameter '\(name)': \(reason)" }
    }

    static let groups = ["all", "scale", "background", "cell", "profile", "instrument", "structure", "positions", "uiso", "displacement"]

    public static func resolve(_ name: String, in model: PatternModel) throws(UnknownName) -> [ModelParameter] {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        var phases = Array(model.phases.indices)
        var local = trimmed
        var scoped = false
        if let colon = trimmed.firstIndex(of: ":"), !trimmed.hasPrefix("I(") {
            let scope = trimmed[..<colon].trimmingCharacters(in: .whitespaces)
            guard let p = model.phases.firstIndex(where: { $0.name == scope }) else {
                throw UnknownName(name: trimmed, reason: "no phase is named '\(scope)' (phases: \(model.phases.map(\.name).joined(separator: ", ")))")
            }
            phases = [p]
            local = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            scoped = true
        }
        if let found = try patternParameters(local, model: model) {
            if scoped { throw UnknownName(name: trimmed, reason: "'\(local)' belongs to the pattern, not to a phase: write it without a scope") }
            return found
        }
        return try phaseParameters(local, full: trimmed, phases: phases, scoped: scoped, model: model)
    }

    /// Names of quantities every phase shares (nil: not such a name).
    static func patternParameters(_ name: String, model: PatternModel) throws(UnknownName) -> [ModelParameter]? {
        let key = name.lowercased()
        switch key {
        case "background": return model.background.coefficients.indices.map { .background(term: $0) }
        case "zero": return [.zero]
        // The instrument's refinable profile as the default and `calibrate` take it: U V W X Y and SH/L (or the
        // Soller angle of a full axial model); an FP profile's slit, divergence, axial divergence or Soller angle,
        // and tube tails. (It was U V W X Y SH/L whatever the profile: none of them acts on an FP profile or,
        // SH/L, on the full axial model — columns of zeros.)
        case "instrument": return DefaultStrategy.profileWidths(of: model.instrument) + DefaultStrategy.asymmetryParameters(of: model.instrument)
        case "u", "v", "w", "x", "y", "z": return [.profile(ProfileTerm(rawValue: key.uppercased())!)]
        case "sh/l", "shl", "s/l", "sl":
            // FCJ's terms draw nothing on an FP profile or under the full axial model (columns of zeros).
            if model.instrument.fundamentalParameters != nil {
                throw UnknownName(name: name, reason: "the fundamental-parameters profile draws the axial divergence: name 'axial divergence' (or 'soller' with Axial.* keys)")
            }
            if model.instrument.fullAxial != nil {
                throw UnknownName(name: name, reason: "the full axial model draws the axial divergence: name 'soller' (when its geometry is the one the pattern states, --ignore-stated-geometry keeps SH/L instead)")
            }
            return [.profile(key.hasPrefix("sh") ? .shl : .sl)]
        case "receiving slit", "divergence", "axial divergence":
            guard model.instrument.fundamentalParameters != nil else {
                throw UnknownName(name: name, reason: "the instrument has no fundamental-parameters profile (FP.* keys)")
            }
            return [.profile(ProfileTerm(rawValue: key)!)]
        case "tube tails", "tube tail left", "tube tail right", "tube tail height":
            guard model.instrument.fundamentalParameters?.tubeTails != nil else {
                throw UnknownName(name: name, reason: "the instrument has no tube tails (FP.tailMain, FP.tailLeft, FP.tailRight, FP.tailHeight)")
            }
            return key == "tube tails" ? [.profile(.tailLeft), .profile(.tailRight), .profile(.tailHeight)] : [.profile(ProfileTerm(rawValue: key)!)]
        case "passband", "passband width", "passband offset":
            guard model.instrument.fundamentalParameters?.passband != nil else {
                throw UnknownName(name: name, reason: "the instrument has no analyser passband (FP.passbandWidth)")
            }
            return key == "passband" ? [.profile(.passbandWidth), .profile(.passbandOffset)] : [.profile(ProfileTerm(rawValue: key)!)]
        case "soller":
            guard model.instrument.fullAxial?.hasSoller == true else {
                throw UnknownName(name: name, reason: "the instrument has no full axial geometry with a Soller slit (Axial.* keys with Axial.primarySoller or Axial.secondarySoller)")
            }
            return [.profile(.soller)]
        case "mu_r", "mur": return [.muR]
        case "transparency": return [.transparency]
        case "specimen displacement": return [.specimenDisplacement]
        case "displacement x": return [.displacementPerpendicular]
        case "displacement y": return [.displacementParallel]
        case "displacement":
            return model.instrument.geometry == .debyeScherrer ? [.displacementPerpendicular, .displacementParallel] : [.specimenDisplacement]
        case "i(l2)/i(l1)":
            guard model.instrument.radiation.secondWavelength != nil else {
                throw UnknownName(name: name, reason: "the instrument has a single wavelength")
            }
            return [.secondLineRatio]
        default: break
        }
        if key.hasPrefix("background "), let k = Int(key.dropFirst(11)) {
            guard model.background.coefficients.indices.contains(k) else {
                throw UnknownName(name: name, reason: "the background has terms 0…\(model.background.coefficients.count - 1)")
            }
            return [.background(term: k)]
        }
        return nil
    }

    static func phaseParameters(_ name: String, full: String, phases: [Int], scoped: Bool, model: PatternModel) throws(UnknownName) -> [ModelParameter] {
        let key = name.lowercased()
        func each(_ f: (Int, Phase) -> [ModelParameter]) -> [ModelParameter] { phases.flatMap { f($0, model.phases[$0]) } }
        // A phase's microstrain: its Stephens coefficients when it has them (`--stephens NAME`).
        func strain(_ p: Int, _ phase: Phase) -> [ModelParameter] { phase.strainParameters.map { .phase(p, $0) } }
        // The axial terms of the phases whose broadening is uniaxial (`--uniaxial NAME`).
        func uniaxial(_ q: PhaseParameter) throws(UnknownName) -> [ModelParameter] {
            let found = each { p, phase in phase.isUniaxial ? [.phase(p, q)] : [] }
            guard !found.isEmpty else { throw UnknownName(name: full, reason: "no phase has uniaxial broadening (give --uniaxial NAME)") }
            return found
        }
        switch key {
        case "all":
            var out = try phaseParameters("scale", full: full, phases: phases, scoped: scoped, model: model)
            if !scoped { out += [.zero] + model.background.coefficients.indices.map { .background(term: $0) } }
            for n in ["cell", "profile", "structure"] { out += try phaseParameters(n, full: full, phases: phases, scoped: scoped, model: model) }
            return out
        case "scale": return each { p, phase in phase.mode == .rietveld ? [.scale(phase: p)] : [] }
        case "cell": return each { p, phase in phase.independentLattice.map { .lattice(phase: p, $0) } }
        case "size": return each { p, _ in [.size(phase: p)] }
        case "microstrain", "strain": return each { p, phase in strain(p, phase) }
        case "axial size", "size axial": return try uniaxial(.axialSize)
        case "axial microstrain", "axial strain", "microstrain axial": return try uniaxial(.axialMicrostrain)
        case "profile": return each { p, phase in [.size(phase: p)] + strain(p, phase) + (phase.isUniaxial ? [.phase(p, .axialSize), .phase(p, .axialMicrostrain)] : []) }
        case "s400", "s004", "s202", "s301":
            let found = each { p, phase in phase.stephensTerms.firstIndex { $0.rawValue.lowercased() == key }.map { [.phase(p, .stephens($0))] } ?? [] }
            guard !found.isEmpty else { throw UnknownName(name: full, reason: "no phase has that Stephens term (give --stephens NAME; S301 only for −3 and −31m)") }
            return found
        case "texture": return each { p, phase in phase.textureHarmonics.isEmpty ? [.texture(phase: p)] : phase.textureHarmonics.indices.map { .phase(p, .harmonic($0)) } }
        case "march-dollase r", "march-dollase": return each { p, _ in [.texture(phase: p)] }
        case "texture harmonics", "harmonics":
            let found = each { p, phase in phase.textureHarmonics.indices.map { .phase(p, .harmonic($0)) } }
            guard !found.isEmpty else { throw UnknownName(name: full, reason: "no phase has a harmonic texture (give --texture-harmonics NAME)") }
            return found
        case "cation mixing", "mixing":
            let found = each { p, phase in phase.cationMixing == nil ? [] : [.cationMixing(phase: p)] }
            guard !found.isEmpty else {
                throw UnknownName(name: full, reason: "no phase has a Li site with Ni and a metal site with Li (the cation-mixing pattern)")
            }
            return found
        case "positions": return each { p, phase in positions(phase, p) }
        case "uiso": return each { p, phase in phase.sites.indices.map { .uIso(phase: p, site: $0) } }
        case "structure": return each { p, phase in DefaultStrategy.structuralParameters(of: phase, index: p) }
        default: break
        }
        if let l = CellParameter.allCases.first(where: { $0.name == key }) {
            let found = each { p, phase in phase.independentLattice.contains(l) ? [.lattice(phase: p, l)] : [] }
            guard !found.isEmpty else {
                throw UnknownName(name: full, reason: "\(l.name) is tied to another cell parameter by the crystal system; refine 'cell'")
            }
            return found
        }
        // Atom-label forms: a label found in several phases needs a scope.
        var found: [ModelParameter] = []
        for p in phases { found += try atomParameters(name, full: full, phase: model.phases[p], index: p) }
        let owners = Set(found.compactMap(\.phase))
        if owners.count > 1 {
            let names = owners.sorted().map { model.phases[$0].name }
            throw UnknownName(name: full, reason: "the label is in phases \(names.joined(separator: " and ")); write '\(names[0]): \(name)'")
        }
        guard found.isEmpty else { return found }
        throw UnknownName(name: full, reason: "expected one of \(groups.joined(separator: ", ")), a single parameter such as zero, a, size, U, 'O1 z', 'Uiso(O1)', 'cation mixing', or 'background 3'"
                          + (model.phases.count > 1 ? ", optionally scoped by a phase ('\(model.phases[0].name): a')" : ""))
    }

    /// `Uiso(L)`, `L Uiso`, `L x|y|z`, `occupancy(L)`, `L occupancy` for an atom label L of this phase.
    static func atomParameters(_ name: String, full: String, phase: Phase, index p: Int) throws(UnknownName) -> [ModelParameter] {
        for (s, site) in phase.sites.enumerated() {
            for atom in site {
                let label = phase.structure.atoms[atom].label
                if name == "Uiso(\(label))" || name == "\(label) Uiso" { return [.uIso(phase: p, site: s)] }
                for (axis, letter) in ["x", "y", "z"].enumerated() where name == "\(label) \(letter)" {
                    guard phase.siteSymmetries[s].coordinates.freeComponents.contains(axis) else {
                        throw UnknownName(name: full, reason: "\(letter) of \(label) is fixed by its site symmetry")
                    }
                    return [.position(phase: p, site: s, axis: axis)]
                }
                if name == "occupancy(\(label))" || name == "\(label) occupancy" { return [.occupancy(phase: p, atom: atom)] }
            }
        }
        return []
    }

    /// Every free coordinate, except the one that holds the origin along a polar axis.
    static func positions(_ phase: Phase, _ p: Int) -> [ModelParameter] {
        let anchors = DefaultStrategy.originAnchors(phase, shares: DefaultStrategy.scatteringShares(phase))
        return phase.sites.indices.flatMap { s in
            phase.siteSymmetries[s].coordinates.freeComponents.filter { anchors[$0] != s }.map { ModelParameter.position(phase: p, site: s, axis: $0) }
        }
    }
}
