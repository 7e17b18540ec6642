import PowderDiffraction

/// What a header states about its radiation, kept only where plausible: wavelengths of 0.1–5 Å in order until
/// the first that is not one (unused fields hold zeros, and a damaged field must not pass for a wavelength), a
/// second line equal to the first dropped, and a Kα2/Kα1 ratio in (0, 1].
struct StatedRadiation {
    var wavelengths: [Double] = []
    var secondLineRatio: Double?

    init(wavelengths values: [Double], ratio: Double? = nil) {
        for v in values {
            guard v.isFinite, v >= 0.1, v <= 5, !wavelengths.contains(v) else { break }
            wavelengths.append(v)
        }
        if let ratio, ratio.isFinite, ratio > 0, ratio <= 1, wavelengths.count == 2 { secondLineRatio = ratio }
    }

    /// `p` with this radiation stated.
    func applied(to p: Pattern) -> Pattern {
        var p = p
        p.stated.wavelengths = wavelengths
        p.stated.secondLineRatio = secondLineRatio
        return p
    }
}
