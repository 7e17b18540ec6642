import FileSupport
import Foundation

/// A fast reader for clean column files (most operando series): plain decimals read exactly in place, strtod
/// for the rest, over the raw bytes. Anything unusual — a header, a text field, a changing column count, a
/// non-finite number, 2θ not increasing, an esd ≤ 0, commas mixed with other separators — returns nil and the careful reader takes over, with its
/// precise error messages.
enum FastColumns {
    static func parse(_ data: Data) -> (x: [Double], y: [Double], e: [Double]?)? {
        var bytes = [CChar](repeating: 0, count: data.count + 1)
        data.withUnsafeBytes { raw in
            bytes.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: raw.baseAddress, count: data.count)) }
        }
        var x: [Double] = [], y: [Double] = [], e: [Double] = []
        x.reserveCapacity(data.count / 20); y.reserveCapacity(data.count / 20)
        var columns = 0
        let ok: Bool = bytes.withUnsafeMutableBufferPointer { buffer in
            powersOfTen.withUnsafeBufferPointer { powers in
                let base = buffer.baseAddress!
                let end = base + data.count
                var p = base
                var values: (Double, Double, Double) = (0, 0, 0)
                @inline(__always) func isBlank(_ c: CChar) -> Bool { c == 32 || c == 9 || c == 13 || c == 44 || c == 59 }
                var previous = -Double.infinity
                while p < end {
                    while p < end && (p.pointee == 32 || p.pointee == 9 || p.pointee == 13) { p += 1 }
                    if p >= end { break }
                    let c = p.pointee
                    if c == 10 { p += 1; continue }
                    if c == 35 || c == 33 || c == 37 || c == 59 {  // # ! % ; comments
                        while p < end && p.pointee != 10 { p += 1 }
                        continue
                    }
                    var count = 0
                    var commas = 0, others = 0  // separators after values: "12,5 100" is not three columns
                    while p < end && p.pointee != 10 {
                        var stop: UnsafeMutablePointer<CChar>?
                        var v = 0.0
                        if let (fast, next) = shortDecimal(p, end, powers: powers) {
                            (v, stop) = (fast, next)
                        } else {
                            v = strtod(p, &stop)
                        }
                        // (A fourth value: not a column file this reader takes.)
                        guard let stop, stop != p, count < 3, v.isFinite else { return false }
                        switch count {
                        case 0: values.0 = v
                        case 1: values.1 = v
                        default: values.2 = v
                        }
                        count += 1
                        p = stop
                        guard p >= end || isBlank(p.pointee) || p.pointee == 10 else { return false }
                        while p < end && isBlank(p.pointee) {
                            if p.pointee == 44 { commas += 1 } else if p.pointee != 13 { others += 1 }
                            p += 1
                        }
                    }
                    // Commas mixed with blanks or semicolons (decimal commas, or "x, y"): the careful reader decides.
                    guard commas == 0 || others == 0 else { return false }
                    guard count >= 2 else { return false }
                    if columns == 0 { columns = count }
                    guard count == columns else { return false }
                    if values.0 <= previous { return false }
                    if count == 3 && values.2 <= 0 { return false }
                    previous = values.0
                    x.append(values.0); y.append(values.1)
                    if count == 3 { e.append(values.2) }
                }
                return x.count >= 2
            }
        }
        return ok ? (x, y, columns == 3 ? e : nil) : nil
    }

    /// 10⁰ … 10²², each exactly representable.
    static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    /// A plain decimal (`-12.345`: sign, at most 15 digits, no exponent) at p, and the byte after it; nil for
    /// anything else, which strtod then reads. The digits form an integer m < 2⁵³ and the value is m / 10ᵏ with
    /// k ≤ 22: both exact in binary64, so one correctly rounded division gives the correctly rounded value
    /// (Clinger's fast path, PLDI 1990) — the same double strtod returns.
    static func shortDecimal(_ start: UnsafeMutablePointer<CChar>, _ end: UnsafeMutablePointer<CChar>) -> (Double, UnsafeMutablePointer<CChar>)? {
        powersOfTen.withUnsafeBufferPointer { shortDecimal(start, end, powers: $0) }
    }

    /// `shortDecimal` with the table at hand (the parser's loop reads it once, not through the global's
    /// accessor at every number).
    @inline(__always)
    static func shortDecimal(_ start: UnsafeMutablePointer<CChar>, _ end: UnsafeMutablePointer<CChar>,
                             powers: UnsafeBufferPointer<Double>) -> (Double, UnsafeMutablePointer<CChar>)? {
        var p = start
        var negative = false
        if p < end && (p.pointee == 45 || p.pointee == 43) { negative = p.pointee == 45; p += 1 }
        var mantissa: UInt64 = 0
        // Integer digits, then (after a point) fraction digits: one test per byte in each run.
        let integerStart = p
        while p < end, case let d = UInt8(bitPattern: p.pointee) &- 48, d < 10 {
            mantissa = mantissa &* 10 &+ UInt64(d)
            p += 1
        }
        var digits = p - integerStart, fraction = 0
        if p < end && p.pointee == 46 {
            p += 1
            let fractionStart = p
            while p < end, case let d = UInt8(bitPattern: p.pointee) &- 48, d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                p += 1
            }
            fraction = p - fractionStart
            digits += fraction
        }
        guard digits > 0, digits <= 15 else { return nil }
        if p < end && (p.pointee == 101 || p.pointee == 69 || p.pointee == 120 || p.pointee == 88 || p.pointee == 46) { return nil }  // e E x X, a second point
        let magnitude = Double(mantissa) / powers[fraction]
        return (negative ? -magnitude : magnitude, p)
    }
}
