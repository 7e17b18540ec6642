import Foundation

/// A space-group operation x′ = R x + t on fractional coordinates.
///
/// R is an integer matrix (row-major), t is exact: stored in units of 1/24 so that every translation of
/// the space groups (1/2, 1/3, 1/4, 1/6, 1/8 and their multiples) is an integer.
public struct SymmetryOperation: Hashable, Sendable, CustomStringConvertible {
    /// Denominator of the stored translation.
    public static let translationDenominator = 24

    /// R, row-major: x′_i = Σ_j R[3i + j] x_j + t_i.
    public let rotation: [Int]
    /// t in units of 1/24, each in 0..<24 once normalized.
    public let translation: [Int]

    public init(rotation: [Int], translation: [Int]) {
        precondition(rotation.count == 9 && translation.count == 3, "a symmetry operation is a 3×3 R and a 3-vector t")
        self.rotation = rotation
        let d = Self.translationDenominator
        self.translation = translation.map { (($0 % d) + d) % d }
    }

    public static let identity = SymmetryOperation(rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], translation: [0, 0, 0])

    /// A pure lattice-centring translation (R = 1).
    public var isPureTranslation: Bool { rotation == Self.identity.rotation }

    /// t as fractions of the cell edges.
    public var fractionalTranslation: SIMD3<Double> {
        let d = Double(Self.translationDenominator)
        return SIMD3(Double(translation[0]) / d, Double(translation[1]) / d, Double(translation[2]) / d)
    }

    /// det R (+1 proper, −1 improper).
    public var determinant: Int {
        let r = rotation
        return r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) + r[2] * (r[3] * r[7] - r[4] * r[6])
    }

    /// The composition self ∘ other: x ↦ R₁(R₂ x + t₂) + t₁.
    public static func * (lhs: SymmetryOperation, rhs: SymmetryOperation) -> SymmetryOperation {
        var r = [Int](repeating: 0, count: 9)
        var t = lhs.translation
        for i in 0..<3 {
            for j in 0..<3 {
                var s = 0
                for k in 0..<3 { s += lhs.rotation[3 * i + k] * rhs.rotation[3 * k + j] }
                r[3 * i + j] = s
                t[i] += lhs.rotation[3 * i + j] * rhs.translation[j]
            }
        }
        return SymmetryOperation(rotation: r, translation: t)
    }

    /// Applies the operation to fractional coordinates (no wrapping into the cell).
    public func apply(_ x: SIMD3<Double>) -> SIMD3<Double> {
        let r = rotation
        let t = fractionalTranslation
        return SIMD3(Double(r[0]) * x.x + Double(r[1]) * x.y + Double(r[2]) * x.z + t.x,
                     Double(r[3]) * x.x + Double(r[4]) * x.y + Double(r[5]) * x.z + t.y,
                     Double(r[6]) * x.x + Double(r[7]) * x.y + Double(r[8]) * x.z + t.z)
    }

    /// Reciprocal-space image of Miller indices: h′ = h R (row vector times R), so that h′·x = h·(R x).
    public func transformIndices(_ h: (Int, Int, Int)) -> (Int, Int, Int) {
        let r = rotation
        return (h.0 * r[0] + h.1 * r[3] + h.2 * r[6],
                h.0 * r[1] + h.1 * r[4] + h.2 * r[7],
                h.0 * r[2] + h.1 * r[5] + h.2 * r[8])
    }

    /// The phase shift h·t in cycles, as an exact multiple of 1/24.
    public func phaseNumerator(_ h: (Int, Int, Int)) -> Int {
        h.0 * translation[0] + h.1 * translation[1] + h.2 * translation[2]
    }

    /// The operation in CIF notation, e.g. `-y,x-y,z+1/3`.
    public var description: String {
        let names = ["x", "y", "z"]
        var parts: [String] = []
        for i in 0..<3 {
            var s = ""
            for j in 0..<3 {
                let c = rotation[3 * i + j]
                if c == 0 { continue }
                let sign = c < 0 ? "-" : (s.isEmpty ? "" : "+")
                let mag = abs(c) == 1 ? "" : "\(abs(c))"
                s += sign + mag + names[j]
            }
            let t = translation[i]
            if t != 0 {
                let g = gcd(t, Self.translationDenominator)
                s += (s.isEmpty ? "" : "+") + "\(t / g)/\(Self.translationDenominator / g)"
            }
            parts.append(s.isEmpty ? "0" : s)
        }
        return parts.joined(separator: ",")
    }

    /// Parses a CIF operator such as `x,y,z`, `-x+y,-x,z+1/3`, `1/2+x,y,0.5-z` (case and spaces ignored).
    public init(parsing text: String) throws(CrystallographyError) {
        let cleaned = text.lowercased().filter { !$0.isWhitespace && $0 != "'" && $0 != "\"" }
        let components = cleaned.split(separator: ",", omittingEmptySubsequences: false)
        guard components.count == 3 else {
            throw .unparsableOperator(text, reason: "expected three comma-separated components, found \(components.count)")
        }
        var r = [Int](repeating: 0, count: 9)
        var t = [Int](repeating: 0, count: 3)
        for (i, comp) in components.enumerated() {
            guard !comp.isEmpty else { throw .unparsableOperator(text, reason: "component \(i + 1) is empty") }
            let (row, shift) = try Self.parseComponent(Substring(comp), whole: text)
            for j in 0..<3 { r[3 * i + j] = row[j] }
            t[i] = shift
        }
        self.init(rotation: r, translation: t)
    }

    private static func parseComponent(_ comp: Substring, whole: String) throws(CrystallographyError) -> ([Int], Int) {
        var row = [0, 0, 0]
        var shift = 0
        // Split into signed terms: "x-y+1/3" → ["x", "-y", "+1/3"].
        var terms: [String] = []
        var current = ""
        for ch in comp {
            if (ch == "+" || ch == "-") && !current.isEmpty && !current.hasSuffix("*") {
                terms.append(current)
                current = String(ch)
            } else {
                current.append(ch)
            }
        }
        terms.append(current)
        for var term in terms {
            var sign = 1
            if term.hasPrefix("+") { term.removeFirst() } else if term.hasPrefix("-") { sign = -1; term.removeFirst() }
            guard !term.isEmpty else { throw .unparsableOperator(whole, reason: "dangling sign") }
            if let last = term.last, let axis = "xyz".firstIndex(of: last) {
                var coefficientText = String(term.dropLast())
                if coefficientText.hasSuffix("*") { coefficientText.removeLast() }
                var coefficient = 1
                if !coefficientText.isEmpty {
                    guard let c = Int(coefficientText) else {
                        throw .unparsableOperator(whole, reason: "coefficient '\(coefficientText)' is not an integer")
                    }
                    coefficient = c
                }
                row["xyz".distance(from: "xyz".startIndex, to: axis)] += sign * coefficient
            } else {
                shift += sign * (try parseTranslation(term, whole: whole))
            }
        }
        return (row, shift)
    }

    private static func parseTranslation(_ term: String, whole: String) throws(CrystallographyError) -> Int {
        let d = translationDenominator
        let value: Double
        if let slash = term.firstIndex(of: "/") {
            guard let n = Double(term[..<slash]), let m = Double(term[term.index(after: slash)...]), m != 0 else {
                throw .unparsableOperator(whole, reason: "'\(term)' is not a fraction")
            }
            value = n / m
        } else if let v = Double(term) {
            value = v
        } else {
            throw .unparsableOperator(whole, reason: "unexpected term '\(term)' (expected x, y, z or a number)")
        }
        let scaled = value * Double(d)
        let rounded = scaled.rounded()
        guard abs(scaled - rounded) < 0.05 else {
            throw .unparsableOperator(whole, reason: "translation \(term) is not a multiple of 1/24")
        }
        return Int(rounded)
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int {
    var (x, y) = (abs(a), abs(b))
    while y != 0 { (x, y) = (y, x % y) }
    return x
}
