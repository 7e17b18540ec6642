import Crystallography
import Foundation

/// Profile terms of the instrument, named as in GSAS-II `.instprm` files.
public enum ProfileTerm: String, Sendable, CaseIterable, Hashable {
    case u = "U", v = "V", w = "W", x = "X", y = "Y", z = "Z", shl = "SH/L"
    /// FCJ S/L apart from H/L (H/L = SH/L − S/L); without it S/L = H/L = SH/L/2 as in GSAS-II.
    case sl = "S/L"
    /// The Soller slits' angle of the full axial model (`AxialGeometry`), degrees: the primary slit's, the
    /// secondary's kept in the file's proportion to it.
    case soller = "Soller"
    /// A fundamental-parameters profile's receiving slit (mm), equatorial divergence of the incident beam (°)
    /// and axial divergence (S + H)/L (S : H kept), as `FundamentalParameters` holds them.
    case receivingSlit = "receiving slit", divergence = "divergence", axialDivergence = "axial divergence"
    /// A fundamental-parameters profile's tube tails (`FundamentalParameters.TubeTails`): how far they reach
    /// to either side of the focus (mm, left ≤ 0 ≤ right) and their height relative to the main focus's.
    case tailLeft = "tube tail left", tailRight = "tube tail right", tailHeight = "tube tail height"
    /// A fundamental-parameters profile's analyser passband (`FundamentalParameters.Passband`): its FWHM and
    /// its centre's offset from the primary line, both relative (Δλ/λ).
    case passbandWidth = "passband width", passbandOffset = "passband offset"

    /// Whether the term belongs to a fundamental-parameters profile (the others shape the pseudo-Voigt; the
    /// Soller angle belongs to the full axial model, which either path draws).
    public var isFundamental: Bool {
        [.receivingSlit, .divergence, .axialDivergence, .tailLeft, .tailRight, .tailHeight, .passbandWidth, .passbandOffset].contains(self)
    }
}

/// Quantities of the measured pattern that every phase shares (GSAS-II's histogram parameters): background,
/// peak offsets, absorption and the instrument's profile.
public enum PatternParameter: Hashable, Sendable {
    case background(term: Int)
    case zero
    /// Debye–Scherrer sample displacement perpendicular (x) and parallel (y) to the beam, µm.
    case displacementPerpendicular, displacementParallel
    /// Bragg–Brentano specimen displacement (µm) and transparency (as GSAS-II's `Transparency`).
    case specimenDisplacement, transparency
    /// Cylinder absorption μR (Debye–Scherrer).
    case muR
    case profile(ProfileTerm)
    /// I(Kα2)/I(Kα1).
    case secondLineRatio
}

/// Quantities of one phase: its scale, cell, structure and sample broadening.
public enum PhaseParameter: Hashable, Sendable {
    case scale
    /// An independent cell parameter (the crystal system ties the others to it).
    case lattice(CellParameter)
    /// A free fractional coordinate (0 = x, 1 = y, 2 = z) of a crystallographic site; all atoms of the site move.
    case position(site: Int, axis: Int)
    /// U_iso shared by all atoms of a site.
    case uIso(site: Int)
    case occupancy(atom: Int)
    /// Ni/Li exchange x of a layered oxide (see `CationMixing`).
    case cationMixing
    case size
    case microstrain
    /// Crystallite size and microstrain along the unique axis c (GSAS-II's uniaxial model; `size` and
    /// `microstrain` are then the equatorial ones). See `Phase.axialSize`.
    case axialSize, axialMicrostrain
    /// A coefficient of Stephens' generalized microstrain (index into `Phase.stephensTerms`).
    case stephens(Int)
    /// The coefficient of P_l, l = 2(i + 1), of an axially symmetric (fibre) texture (see `Phase.textureHarmonics`).
    case harmonic(Int)
    /// March–Dollase ratio r.
    case texture
}

/// The identity of every quantity the pattern model can differentiate with respect to: a pattern parameter,
/// or a parameter of the phase with the given index (GSAS-II's `ph::name` and `:h:name`, typed). A joint
/// refinement of several patterns would add the pattern's index to both.
///
/// Values are in the units users see (GSAS-II's at the file boundary): zero in degrees, U V W in centideg²,
/// X Y Z in centideg, size in µm, microstrain in 10⁻⁶, displacements in µm, cell in Å and degrees, U_iso in Å².
public enum ModelParameter: Hashable, Sendable, CustomStringConvertible {
    case pattern(PatternParameter)
    case phase(Int, PhaseParameter)

    // Shorthands, so that code reads like the quantities it names.
    public static func background(term k: Int) -> ModelParameter { .pattern(.background(term: k)) }
    public static var zero: ModelParameter { .pattern(.zero) }
    public static var displacementPerpendicular: ModelParameter { .pattern(.displacementPerpendicular) }
    public static var displacementParallel: ModelParameter { .pattern(.displacementParallel) }
    public static var specimenDisplacement: ModelParameter { .pattern(.specimenDisplacement) }
    public static var transparency: ModelParameter { .pattern(.transparency) }
    public static var muR: ModelParameter { .pattern(.muR) }
    public static func profile(_ t: ProfileTerm) -> ModelParameter { .pattern(.profile(t)) }
    public static var secondLineRatio: ModelParameter { .pattern(.secondLineRatio) }
    public static func scale(phase p: Int) -> ModelParameter { .phase(p, .scale) }
    public static func lattice(phase p: Int, _ l: CellParameter) -> ModelParameter { .phase(p, .lattice(l)) }
    public static func position(phase p: Int, site: Int, axis: Int) -> ModelParameter { .phase(p, .position(site: site, axis: axis)) }
    public static func uIso(phase p: Int, site: Int) -> ModelParameter { .phase(p, .uIso(site: site)) }
    public static func occupancy(phase p: Int, atom: Int) -> ModelParameter { .phase(p, .occupancy(atom: atom)) }
    public static func cationMixing(phase p: Int) -> ModelParameter { .phase(p, .cationMixing) }
    public static func size(phase p: Int) -> ModelParameter { .phase(p, .size) }
    public static func microstrain(phase p: Int) -> ModelParameter { .phase(p, .microstrain) }
    public static func texture(phase p: Int) -> ModelParameter { .phase(p, .texture) }

    /// A stable machine name (`phase1.a`, `background3`); reports use `PatternModel.name(of:)`.
    public var description: String {
        switch self {
        case .pattern(let q):
            switch q {
            case .background(let k): return "background\(k)"
            case .zero: return "zero"
            case .displacementPerpendicular: return "displacement_x"
            case .displacementParallel: return "displacement_y"
            case .specimenDisplacement: return "specimen_displacement"
            case .transparency: return "transparency"
            case .muR: return "muR"
            case .profile(let t): return t.rawValue
            case .secondLineRatio: return "I(L2)/I(L1)"
            }
        case let .phase(p, q):
            let name: String
            switch q {
            case .scale: name = "scale"
            case .lattice(let l): name = l.name
            case let .position(s, axis): name = "site\(s).\(["x", "y", "z"][axis])"
            case .uIso(let s): name = "site\(s).Uiso"
            case .occupancy(let a): name = "atom\(a).occupancy"
            case .cationMixing: name = "cation_mixing"
            case .size: name = "size"
            case .microstrain: name = "microstrain"
            case .axialSize: name = "size_axial"
            case .axialMicrostrain: name = "microstrain_axial"
            case .stephens(let i): name = "stephens\(i)"
            case .harmonic(let i): name = "texture_C\(2 * (i + 1))"
            case .texture: name = "march_dollase"
            }
            return "phase\(p).\(name)"
        }
    }

    /// Whether the parameter moves peaks or changes their shape — what a peak layout (windows, asymmetry
    /// quadrature) is chosen from. Scales, background, texture, absorption, the Kα2 ratio and the structure
    /// change intensities only.
    public var placesPeaks: Bool {
        switch self {
        case .pattern(let q):
            switch q {
            case .background, .muR, .secondLineRatio: return false
            case .zero, .displacementPerpendicular, .displacementParallel, .specimenDisplacement, .transparency, .profile: return true
            }
        case .phase(_, let q):
            switch q {
            case .scale, .position, .uIso, .occupancy, .cationMixing, .harmonic, .texture: return false
            case .lattice, .size, .microstrain, .axialSize, .axialMicrostrain, .stephens: return true
            }
        }
    }

    /// The phase a parameter belongs to, if any.
    public var phase: Int? {
        if case .phase(let p, _) = self { return p }
        return nil
    }

    /// The phase part of a phase parameter.
    public var phaseParameter: PhaseParameter? {
        if case .phase(_, let q) = self { return q }
        return nil
    }

    /// Whether this is a cell parameter of a phase.
    public var isLattice: Bool {
        if case .phase(_, .lattice) = self { return true }
        return false
    }

    /// Whether this is a background term.
    public var isBackground: Bool {
        if case .pattern(.background) = self { return true }
        return false
    }
}
