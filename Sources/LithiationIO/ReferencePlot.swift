import FileSupport
import Foundation
import Lithiation

/// V(x) with its band, the data points, shaded phase regions and marked lookups.
public enum ReferencePlot {
    public static func svg(_ curve: ReferenceCurve, queries: [(Double, LookupResult)], width: Double = 800, height: Double = 500) -> String {
        let left = 80.0, right = 20.0, top = 20.0, bottom = 50.0
        let x0 = curve.grid.first!, x1 = curve.grid.last!
        let vs = curve.volume.indices.flatMap { [curve.volume[$0] - 2 * curve.volumeBand[$0], curve.volume[$0] + 2 * curve.volumeBand[$0]] } + curve.points.map(\.volume)
        let v0 = vs.min()!, v1 = vs.max()!
        let pad = (v1 - v0) * 0.05
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (width - left - right) }
        func py(_ v: Double) -> Double { top + (1 - (v - v0 + pad) / (v1 - v0 + 2 * pad)) * (height - top - bottom) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        let shades = ["#e8e0f4", "#f9e0e0", "#e0e8f9", "#fbead7"]
        for (k, r) in curve.regions.enumerated() {
            let a = px(max(r.range.lowerBound, x0)), b = px(min(r.range.upperBound, x1))
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>\n",
                        min(a, b), top, abs(b - a), height - top - bottom, shades[k % shades.count], (a + b) / 2, top + 14, r.name)
        }
        var band = "", line = ""
        for i in curve.grid.indices { band += String(format: "%.1f,%.1f ", px(curve.grid[i]), py(curve.volume[i] + 2 * curve.volumeBand[i])) }
        for i in curve.grid.indices.reversed() { band += String(format: "%.1f,%.1f ", px(curve.grid[i]), py(curve.volume[i] - 2 * curve.volumeBand[i])) }
        for i in curve.grid.indices { line += String(format: "%.1f,%.1f ", px(curve.grid[i]), py(curve.volume[i])) }
        s += "<polygon points=\"\(band)\" fill=\"#9ecae1\" fill-opacity=\"0.5\" stroke=\"none\"/>\n<polyline points=\"\(line)\" fill=\"none\" stroke=\"#08519c\" stroke-width=\"1.5\"/>\n"
        for p in curve.points { s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"none\" stroke=\"#333\"/>", px(p.x), py(p.volume)) }
        for (v, r) in queries {
            for c in r.candidates {
                s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" stroke-width=\"2\"/>", px(c.x - c.esd), py(v), px(c.x + c.esd), py(v))
                s += String(format: "<path d=\"M %.1f %.1f l 5 -5 l 5 5 l -5 5 z\" fill=\"#d62728\"/>", px(c.x) - 5, py(v))
            }
        }
        s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(width - left - right)\" height=\"\(height - top - bottom)\" fill=\"none\" stroke=\"black\"/>\n"
        for t in SVG.niceTicks(x0, x1, 8) {
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g</text>", px(t), height - bottom + 18, t)
        }
        for t in SVG.niceTicks(v0 - pad, v1 + pad, 6) {
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>", left - 6, py(t) + 4, t)
        }
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">x(Li)</text>", left + (width - left - right) / 2, height - 10)
        s += String(format: "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">V / Å³ (band: ±2σ of the curve)</text>\n</svg>\n", top + (height - top - bottom) / 2)
        return s
    }
}
