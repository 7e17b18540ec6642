import Foundation

/// The X-ray lines of a measurement: one wavelength, or a Kα1/Kα2 doublet with its intensity ratio.
public struct Radiation: Sendable, Equatable {
    /// Primary wavelength λ1 in Å.
    public var wavelength: Double
    /// Second line (Kα2) wavelength in Å, if measured.
    public var secondWavelength: Double?
    /// I(Kα2)/I(Kα1).
    public var secondLineRatio: Double

    public init(wavelength: Double, secondWavelength: Double? = nil, secondLineRatio: Double = 0) {
        self.wavelength = wavelength
        self.secondWavelength = secondWavelength
        self.secondLineRatio = secondWavelength == nil ? 0 : secondLineRatio
    }

    /// Kα1/Kα2 wavelengths (Å) and ratios of the usual anodes, as GSAS-II tabulates them (Hölzer et al.,
    /// Phys. Rev. A 56 (1997) 4554 for Cu, Co, Fe, Cr; Bearden for Mo, Ag), ratio 0.5.
    public static let anodes: [String: (kAlpha1: Double, kAlpha2: Double, ratio: Double)] = [
        "Cu": (1.540593, 1.544414, 0.5), "Mo": (0.70926, 0.713543, 0.5), "Co": (1.788996, 1.792835, 0.5),
        "Fe": (1.936041, 1.939973, 0.5), "Cr": (2.289726, 2.293651, 0.5), "Ag": (0.559363, 0.563775, 0.5),
    ]

    /// An anode's Kα1 line alone (monochromated), or its doublet.
    public static func anode(_ name: String, doublet: Bool) -> Radiation? {
        guard let a = anodes[name.prefix(1).uppercased() + name.dropFirst().lowercased()] else { return nil }
        return doublet ? Radiation(wavelength: a.kAlpha1, secondWavelength: a.kAlpha2, secondLineRatio: a.ratio)
            : Radiation(wavelength: a.kAlpha1)
    }
}
