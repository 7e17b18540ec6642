import Crystallography
import Foundation

extension PatternModel {
    /// A readable name for reports and recipes, using the structure's atom labels: `a`, `O1 z`,
    /// `Uiso(Ni1,Li2)`, `cation mixing`, `background 3`. With several phases, phase parameters carry the
    /// phase's name as a scope: `LNO: a`, `LPSCl: Uiso(S1)` (the form recipes accept).
    public func name(of p: ModelParameter) -> String {
        switch p {
        case .pattern(let q): return Self.name(of: q)
        case let .phase(i, q):
            let local = localName(of: q, phase: i)
            return phases.count > 1 ? "\(phases[i].name): \(local)" : local
        }
    }

    /// The name of a phase parameter within its phase (no scope).
    public func localName(of p: PhaseParameter, phase i: Int) -> String {
        let phase = phases[i]
        func siteLabel(_ site: Int) -> String {
            phase.sites[site].map { phase.structure.atoms[$0].label }.joined(separator: ",")
        }
        switch p {
        case .scale: return "scale"
        case .lattice(let l): return l.name
        case let .position(s, axis): return "\(siteLabel(s)) \(["x", "y", "z"][axis])"
        case .uIso(let s): return "Uiso(\(siteLabel(s)))"
        case .occupancy(let a): return "occupancy(\(phase.structure.atoms[a].label))"
        case .cationMixing: return "cation mixing"
        case .size: return "size"
        case .microstrain: return "microstrain"
        case .axialSize: return "axial size"
        case .axialMicrostrain: return "axial microstrain"
        case .stephens(let i): return phase.stephensTerms.indices.contains(i) ? phase.stephensTerms[i].rawValue : "S?"
        case .harmonic(let i): return "texture C\(2 * (i + 1))"
        case .texture: return "March-Dollase r"
        }
    }

    static func name(of p: PatternParameter) -> String {
        switch p {
        case .background(let k): return "background \(k)"
        case .zero: return "zero"
        case .displacementPerpendicular: return "displacement ⟂"
        case .displacementParallel: return "displacement ∥"
        case .specimenDisplacement: return "specimen displacement"
        case .transparency: return "transparency"
        case .muR: return "muR"
        case .profile(let t): return t.rawValue
        case .secondLineRatio: return "I(L2)/I(L1)"
        }
    }

    /// The units of a parameter, for reports.
    public func unit(of p: ModelParameter) -> String {
        switch p {
        case .pattern(.zero): return "°"
        case .pattern(.displacementParallel), .pattern(.displacementPerpendicular), .pattern(.specimenDisplacement): return "µm"
        case .pattern(.profile(let t)):
            switch t {
            case .u, .v, .w: return "centideg²"
            case .x, .y, .z: return "centideg"
            case .shl, .sl, .axialDivergence: return ""
            case .soller, .divergence: return "°"
            case .receivingSlit, .tailLeft, .tailRight: return "mm"
            case .tailHeight, .passbandWidth, .passbandOffset: return ""
            }
        case .phase(_, .lattice(let l)): return l.isLength ? "Å" : "°"
        case .phase(_, .uIso): return "Å²"
        case .phase(_, .size), .phase(_, .axialSize): return "µm"
        case .phase(_, .microstrain), .phase(_, .axialMicrostrain): return "10⁻⁶"
        case .phase(_, .stephens): return "10⁻¹² Å⁻⁴"
        default: return ""
        }
    }
}
