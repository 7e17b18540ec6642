import Crystallography
import Foundation

extension PatternModel {
    /// A readable name for reports, using the structure's atom labels: `a`, `O1 z`, `Uiso(Ni1,Li2)`,
    /// `cation mixing`, `background 3`. With several phases, phase names prefix phase parameters.
    public func name(of p: ModelParameter) -> String {
        let prefix: String = {
            guard let i = p.phase, phases.count > 1 else { return "" }
            return phases[i].structure.name + " "
        }()
        func siteLabel(_ phase: Int, _ site: Int) -> String {
            phases[phase].sites[site].map { phases[phase].structure.atoms[$0].label }.joined(separator: ",")
        }
        switch p {
        case .scale: return prefix + "scale"
        case .background(let k): return "background \(k)"
        case .zero: return "zero"
        case .displacementPerpendicular: return "displacement ⟂"
        case .displacementParallel: return "displacement ∥"
        case .specimenDisplacement: return "specimen displacement"
        case .transparency: return "transparency"
        case .muR: return "muR"
        case let .lattice(_, l): return prefix + l.name
        case let .position(i, s, axis): return prefix + "\(siteLabel(i, s)) \(["x", "y", "z"][axis])"
        case let .uIso(i, s): return prefix + "Uiso(\(siteLabel(i, s)))"
        case let .occupancy(i, a): return prefix + "occupancy(\(phases[i].structure.atoms[a].label))"
        case .cationMixing: return prefix + "cation mixing"
        case .profile(let t): return t.rawValue
        case .size: return prefix + "size"
        case .microstrain: return prefix + "microstrain"
        case .texture: return prefix + "March-Dollase r"
        case .secondLineRatio: return "I(L2)/I(L1)"
        }
    }

    /// The units of a parameter, for reports.
    public func unit(of p: ModelParameter) -> String {
        switch p {
        case .zero: return "°"
        case .lattice(_, let l): return l.rawValue < 3 ? "Å" : "°"
        case .uIso: return "Å²"
        case .size: return "µm"
        case .microstrain: return "10⁻⁶"
        case .displacementParallel, .displacementPerpendicular, .specimenDisplacement: return "µm"
        case .profile(let t): return [.u, .v, .w].contains(t) ? "centideg²" : (t == .shl ? "" : "centideg")
        default: return ""
        }
    }
}
