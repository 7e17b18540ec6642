import Foundation

/// Small pieces shared by the SVG plots: axis ticks, tick labels, escaping, polylines.
public enum SVG {
    /// Tick values at 1, 2 or 5 × 10ⁿ steps covering [lo, hi] with about `count` intervals.
    public static func niceTicks(_ lo: Double, _ hi: Double, _ count: Int) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(max(count, 1))
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var out: [Double] = []
        var k = ceil(lo / step)
        while k * step <= hi + 1e-9 * step {
            // k·step rather than repeated addition: no drift, and an exact zero is 0, never −0.
            let t = k * step
            out.append(t == 0 ? 0 : t)
            k += 1
        }
        return out
    }

    /// A tick label with as many decimals as the step needs (no "-0", no repeated labels).
    public static func label(_ v: Double, step: Double) -> String {
        if v == 0 { return "0" }
        let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        let s = String(format: "%.\(decimals)f", v)
        return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s
    }

    /// A compact label for large counts (12k) and plain numbers otherwise.
    public static func label(_ v: Double) -> String {
        if abs(v) >= 10000 { return String(format: "%.0fk", v / 1000) }
        return abs(v - v.rounded()) < 1e-9 ? String(format: "%.0f", v == 0 ? 0 : v) : String(format: "%g", v)
    }

    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    public static func polyline(_ pts: [(Double, Double)], color: String, width: Double, dash: String? = nil) -> String {
        var s = "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(width)\"" + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + " points=\""
        for (x, y) in pts { s += String(format: "%.1f,%.1f ", x, y) }
        return s + "\"/>\n"
    }

    /// Colours of the phases, in phase order (the same in every plot).
    public static let phaseColors = ["#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
}
