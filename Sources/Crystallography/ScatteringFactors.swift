import Foundation

/// The Waasmaier–Kirfel form factor of one atom or ion: f0(s) = Σ₁⁵ aᵢ exp(−bᵢ s²) + c with
/// s = sinθ/λ in Å⁻¹ (Acta Cryst. A51 (1995) 416; valid to s = 6 Å⁻¹).
public struct FormFactor: Sendable, Equatable {
    /// The tabulated species, e.g. `Ni2+`, `O2-`, `Li1+`, `Ni`.
    public let species: String
    public let element: String
    public let atomicNumber: Int
    public let a: [Double]
    public let b: [Double]
    public let c: Double

    /// f0 at s = sinθ/λ (Å⁻¹), in electrons.
    @inlinable
    public func f0(_ s: Double) -> Double {
        let s2 = s * s
        var f = c
        for i in 0..<5 { f += a[i] * exp(-b[i] * s2) }
        return f
    }
}

/// Tabulated X-ray scattering factors: Waasmaier–Kirfel f0 and Chantler f′, f″ (see the generated tables
/// for their sources).
public enum ScatteringFactors {
    static let formFactors: [String: FormFactor] = {
        var out: [String: FormFactor] = [:]
        for line in waasmaierKirfelRecords.split(separator: "\n") {
            let f = line.split(separator: " ")
            let v = f[2...].map { Double($0)! }
            let species = String(f[0])
            let element = String(species.prefix { $0.isLetter })
            out[species] = FormFactor(species: species, element: element, atomicNumber: Int(f[1])!,
                                      a: Array(v[0..<5]), b: Array(v[5..<10]), c: v[10])
        }
        return out
    }()

    struct AnomalousTable: Sendable {
        let energies: [Double]
        let fPrime: [Double]
        let fDoublePrime: [Double]
    }

    /// Each element's line of the Chantler table (its byte range), parsed only when the element is first used.
    /// Found by scanning the table's bytes in place (splitting the 0.7 MB string by Characters took ~10 ms of
    /// every process's start; a generic walk of its UTF-8 view still ~20 million instructions).
    static let anomalousLines: [String: Range<Int>] = {
        var out: [String: Range<Int>] = [:]
        var text = chantlerRecords
        text.withUTF8 { b in
            let n = b.count, newline = UInt8(ascii: "\n"), space = UInt8(ascii: " ")
            var start = 0
            while start < n {
                var end = start
                while end < n && b[end] != newline { end += 1 }
                var nameEnd = start
                while nameEnd < end && b[nameEnd] != space { nameEnd += 1 }
                if start < end { out[String(decoding: UnsafeBufferPointer(rebasing: b[start..<nameEnd]), as: UTF8.self)] = start..<end }
                start = end + 1
            }
        }
        return out
    }()

    /// The text of one element's line of the Chantler table.
    static func anomalousLine(_ element: String) -> String? {
        guard let range = anomalousLines[element] else { return nil }
        var text = chantlerRecords
        return text.withUTF8 { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    private static let anomalousLock = NSLock()
    nonisolated(unsafe) private static var anomalousCache: [String: AnomalousTable] = [:]

    static func anomalousTable(_ element: String) -> AnomalousTable? {
        anomalousLock.lock()
        defer { anomalousLock.unlock() }
        if let t = anomalousCache[element] { return t }
        guard let line = anomalousLine(element) else { return nil }
        // Fields split on bytes (the records are ASCII): "Element Z e,f1,f2 e,f1,f2 …".
        let f = line.utf8.split(separator: UInt8(ascii: " "))
        var e: [Double] = [], f1: [Double] = [], f2: [Double] = []
        for triple in f.dropFirst(2) {
            let v = triple.split(separator: UInt8(ascii: ",")).map { Double(Substring($0))! }
            e.append(v[0]); f1.append(v[1]); f2.append(v[2])
        }
        let table = AnomalousTable(energies: e, fPrime: f1, fDoublePrime: f2)
        anomalousCache[element] = table
        return table
    }

    /// Splits a CIF type symbol into element and charge: `Ni2+`, `Ni+2`, `NI3+`, `O2-`, `O-2`, `Li+`, `Li1+`,
    /// `Mn4+`, `Ni`. Returns the element with standard capitalisation and the signed charge (0 if none).
    public static func parseTypeSymbol(_ text: String) -> (element: String, charge: Int)? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let letters = t.prefix { $0.isLetter }
        guard !letters.isEmpty, letters.count <= 2 else { return nil }
        let element = letters.prefix(1).uppercased() + letters.dropFirst().lowercased()
        var rest = t.dropFirst(letters.count)
        if rest.isEmpty { return (element, 0) }
        var sign = 0
        if let last = rest.last, last == "+" || last == "-" {
            sign = last == "+" ? 1 : -1
            rest = rest.dropLast()
        } else if let first = rest.first, first == "+" || first == "-" {
            sign = first == "+" ? 1 : -1
            rest = rest.dropFirst()
        }
        if sign == 0 { return Int(rest) == nil ? nil : (element, 0) }  // e.g. "O1" as a label-like symbol: neutral
        if rest.isEmpty { return (element, sign) }
        guard let n = Int(rest) else { return nil }
        return (element, sign * n)
    }

    /// The form factor for a CIF type symbol. An ion missing from the table falls back to the neutral atom
    /// (check `FormFactor.species` to see which was used); an unknown element throws.
    public static func formFactor(for typeSymbol: String) throws(CrystallographyError) -> FormFactor {
        guard let (element, charge) = parseTypeSymbol(typeSymbol) else { throw .unknownElement(typeSymbol) }
        if charge != 0 {
            let key = element + "\(abs(charge))" + (charge > 0 ? "+" : "-")
            if let f = formFactors[key] { return f }
        }
        guard let f = formFactors[element] else { throw .unknownElement(typeSymbol) }
        return f
    }

    /// The atomic number of an element symbol (`Ni` → 28).
    public static func atomicNumber(_ element: String) -> Int? { formFactors[element]?.atomicNumber }

    /// Whether `element` (e.g. `Ni`) is a known element symbol.
    public static func isElement(_ element: String) -> Bool { formFactors[element] != nil }

    /// f′ and f″ (electrons) of `element` at wavelength λ (Å), interpolated in Chantler's table: f″ linearly
    /// in log f″ versus log E, f′ linearly in E between tabulated points (the grid is dense at edges).
    public static func anomalous(element: String, wavelength: Double) throws(CrystallographyError) -> (fPrime: Double, fDoublePrime: Double) {
        guard let table = anomalousTable(element) else { throw .unknownElement(element) }
        let e = PhysicalConstants.planckTimesLightSpeedEVAngstrom / wavelength
        guard let first = table.energies.first, let last = table.energies.last, e >= first, e <= last, wavelength >= 0.21, wavelength <= 3.1 else {
            throw .wavelengthOutOfRange(wavelength)
        }
        var hi = table.energies.firstIndex { $0 >= e } ?? table.energies.count - 1
        if hi == 0 { hi = 1 }
        let lo = hi - 1
        let (e0, e1) = (table.energies[lo], table.energies[hi])
        let t = (e - e0) / (e1 - e0)
        let f1 = table.fPrime[lo] + t * (table.fPrime[hi] - table.fPrime[lo])
        let (g0, g1) = (table.fDoublePrime[lo], table.fDoublePrime[hi])
        let f2: Double
        if g0 > 0 && g1 > 0 {
            let u = (log(e) - log(e0)) / (log(e1) - log(e0))
            f2 = exp(log(g0) + u * (log(g1) - log(g0)))
        } else {
            f2 = g0 + t * (g1 - g0)
        }
        return (f1, f2)
    }
}
