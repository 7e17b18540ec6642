/// Errors of the crystallography module; each message says what was wrong and what was expected.
public enum CrystallographyError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidCell(String)
    case unparsableOperator(String, reason: String)
    case unknownSpaceGroup(String)
    case notAGroup(String)
    case unknownElement(String)
    case wavelengthOutOfRange(Double)
    case invalidStructure(String)
    case invalidFormula(String, String)
    /// A quantity derived from a structure and its scale (a weight fraction, an intensity per unit mass) that the
    /// refinement does not define; the message says why.
    case undefinedQuantity(String)

    public var description: String {
        switch self {
        case .invalidCell(let why): return "invalid unit cell: \(why)"
        case let .unparsableOperator(text, reason): return "cannot parse symmetry operator '\(text)': \(reason)"
        case .unknownSpaceGroup(let name): return "unknown space group '\(name)' (give its symmetry operators, or a Hermann–Mauguin symbol such as 'R -3 m')"
        case .notAGroup(let why): return "symmetry operators do not form a group: \(why)"
        case .unknownElement(let symbol): return "unknown element or ion '\(symbol)' (expected a symbol such as Ni, Ni2+, O2-)"
        case .wavelengthOutOfRange(let l): return "wavelength \(l) Å is outside the tabulated anomalous-scattering range (0.21–3.1 Å)"
        case .invalidStructure(let why): return "invalid structure: \(why)"
        case let .invalidFormula(formula, why): return "formula \(formula): \(why)"
        case .undefinedQuantity(let why): return why
        }
    }
}
