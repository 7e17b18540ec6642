import Foundation

/// Numbers with standard uncertainties in crystallographic notation, `2.87801(3)`.
public enum EsdFormat {
    /// `value(esd)` with the esd given to two significant digits when they are 19 or less and one digit
    /// otherwise (the IUCr convention), and the value rounded to the same decimal place. Without an esd (or
    /// with esd 0) the value is printed with `plainDigits` significant digits.
    public static func string(_ value: Double, esd: Double?, plainDigits: Int = 6) -> String {
        guard let esd, esd > 0, esd.isFinite, value.isFinite else { return plain(value, digits: plainDigits) }
        let e = Int(floor(log10(esd)))
        let twoDigits = Int((esd / pow(10, Double(e - 1))).rounded())
        let decimals: Int
        let digits: Int
        if twoDigits <= 19 {
            decimals = 1 - e
            digits = twoDigits
        } else {
            decimals = -e
            digits = Int((esd / pow(10, Double(e))).rounded())
            // An esd that rounds up to 10 keeps two digits, (10), which the ≤ 19 rule allows.
        }
        if decimals <= 0 {
            let unit = pow(10, Double(-decimals))
            return String(format: "%.0f(%.0f)", (value / unit).rounded() * unit, Double(digits) * unit)
        }
        return String(format: "%.\(decimals)f(\(digits))", value)
    }

    /// A plain number with about `digits` significant digits, without trailing noise.
    public static func plain(_ value: Double, digits: Int = 6) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : value > 0 ? "inf" : "-inf" }
        if value == 0 { return "0" }
        let magnitude = Int(floor(log10(abs(value))))
        // Beyond these a fixed-point number is a wall of digits (a start value of 1e308 printed 309 of them).
        if magnitude > 12 || magnitude < -9 {
            let parts = String(format: "%.\(max(0, digits - 1))e", value).split(separator: "e", maxSplits: 1)
            return withoutTrailingZeros(String(parts[0])) + "e" + (parts.count > 1 ? String(parts[1]) : "")
        }
        let decimals = max(0, digits - 1 - magnitude)
        return withoutTrailingZeros(String(format: "%.\(decimals)f", value))
    }

    /// `2.50000` → `2.5`, `3.000` → `3`; a number without a decimal point stays as it is.
    static func withoutTrailingZeros(_ number: String) -> String {
        guard number.contains(".") else { return number }
        var s = number
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
