import Crystallography
import Foundation

/// Profile terms of the instrument, named as in GSAS-II `.instprm` files.
public enum ProfileTerm: String, Sendable, CaseIterable, Hashable {
    case u = "U", v = "V", w = "W", x = "X", y = "Y", z = "Z", shl = "SH/L"
}

/// Cell parameters by name.
public enum LatticeParameter: Int, Sendable, CaseIterable, Hashable {
    case a = 0, b, c, alpha, beta, gamma
    public var name: String { ["a", "b", "c", "alpha", "beta", "gamma"][rawValue] }
}

/// The identity of every quantity the pattern model can differentiate with respect to. Values are in the
/// units users see (GSAS-II's at the file boundary): zero in degrees, U V W in centideg², X Y Z in centideg,
/// size in µm, microstrain in 10⁻⁶, displacements in µm, cell in Å and degrees, U_iso in Å².
public enum ModelParameter: Hashable, Sendable, CustomStringConvertible {
    case scale(phase: Int)
    case background(term: Int)
    case zero
    /// Debye–Scherrer sample displacement perpendicular (x) and parallel (y) to the beam, µm.
    case displacementPerpendicular, displacementParallel
    /// Bragg–Brentano specimen displacement (µm) and transparency (as GSAS-II's `Transparency`).
    case specimenDisplacement, transparency
    /// Cylinder absorption μR (Debye–Scherrer).
    case muR
    /// An independent cell parameter (the crystal system ties the others to it).
    case lattice(phase: Int, LatticeParameter)
    /// A free fractional coordinate (0 = x, 1 = y, 2 = z) of a crystallographic site; all atoms of the site move.
    case position(phase: Int, site: Int, axis: Int)
    /// U_iso shared by all atoms of a site.
    case uIso(phase: Int, site: Int)
    case occupancy(phase: Int, atom: Int)
    /// Ni/Li exchange x of a layered oxide (see `CationMixing`).
    case cationMixing(phase: Int)
    case profile(ProfileTerm)
    case size(phase: Int)
    case microstrain(phase: Int)
    /// March–Dollase ratio r.
    case texture(phase: Int)
    /// I(Kα2)/I(Kα1).
    case secondLineRatio

    public var description: String {
        switch self {
        case .scale(let p): return "phase\(p).scale"
        case .background(let k): return "background\(k)"
        case .zero: return "zero"
        case .displacementPerpendicular: return "displacement_x"
        case .displacementParallel: return "displacement_y"
        case .specimenDisplacement: return "specimen_displacement"
        case .transparency: return "transparency"
        case .muR: return "muR"
        case let .lattice(p, l): return "phase\(p).\(l.name)"
        case let .position(p, s, axis): return "phase\(p).site\(s).\(["x", "y", "z"][axis])"
        case let .uIso(p, s): return "phase\(p).site\(s).Uiso"
        case let .occupancy(p, a): return "phase\(p).atom\(a).occupancy"
        case .cationMixing(let p): return "phase\(p).cation_mixing"
        case .profile(let t): return t.rawValue
        case .size(let p): return "phase\(p).size"
        case .microstrain(let p): return "phase\(p).microstrain"
        case .texture(let p): return "phase\(p).march_dollase"
        case .secondLineRatio: return "I(L2)/I(L1)"
        }
    }

    /// The phase a parameter belongs to, if any.
    public var phase: Int? {
        switch self {
        case .scale(let p), .lattice(let p, _), .position(let p, _, _), .uIso(let p, _), .occupancy(let p, _),
             .cationMixing(let p), .size(let p), .microstrain(let p), .texture(let p):
            return p
        default: return nil
        }
    }
}
