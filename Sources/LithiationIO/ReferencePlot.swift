import FileSupport
import Foundation
import Lithiation

/// The reference as an SVG figure: V(x), a(x) and c(x) panels sharing the x axis, each branch in its own
/// colour with its ±2σ band and points, regions (single phase) or two-phase regions (several) shaded, a
/// legend, and looked-up electrodes with error bars in x and in the measured quantity.
public enum ReferencePlot {
    /// A looked-up electrode on the figure: its x(Li) ± esd and what was measured.
    public struct Mark: Sendable {
        public var label: String
        public var x: Measured
        public var volume: Measured?, a: Measured?, c: Measured?
        public init(label: String, x: Measured, volume: Measured? = nil, a: Measured? = nil, c: Measured? = nil) {
            self.label = label; self.x = x; self.volume = volume; self.a = a; self.c = c
        }
    }

    /// One mark per candidate of a volume lookup.
    public static func marks(_ r: LookupResult, volume: Measured, label: String) -> [Mark] {
        r.candidates.map { Mark(label: label, x: Measured($0.x, esd: $0.esd), volume: volume) }
    }

    /// Smallest drawn half-width of a band, px: a band thinner than this would vanish under the curve's line
    /// (the legend says so and gives the band's real median size).
    static let minimumBandHalfWidth = 3.0
    static let regionShades = ["#e8e0f4", "#f9e0e0", "#e0e8f9", "#fbead7"]
    static let markColor = "#d62728"

    struct Panel {
        let title: String
        let values: (ReferenceCurve) -> ([Double], [Double])?
        let point: (ReferencePoint) -> Double?
        let mark: (Mark) -> Measured?
    }

    public static func svg(_ ref: LithiumReference, marks: [Mark] = [], width: Double = 860) -> String {
        let left = 80.0, right = 190.0, top = 30.0, gap = 16.0, bottom = 50.0
        var panels = [Panel(title: "V / Å³", values: { ($0.volume, $0.volumeBand) }, point: { $0.volume }, mark: { $0.volume })]
        if ref.branches.allSatisfy({ $0.curve.a != nil }) {
            panels.append(Panel(title: "a / Å", values: { c in c.a.map { ($0, c.aBand!) } }, point: { $0.a }, mark: { $0.a }))
        }
        if ref.branches.allSatisfy({ $0.curve.c != nil }) {
            panels.append(Panel(title: "c / Å", values: { c in c.c.map { ($0, c.cBand!) } }, point: { $0.c }, mark: { $0.c }))
        }
        let heights = panels.indices.map { $0 == 0 ? 260.0 : 170.0 }
        let height = top + heights.reduce(0, +) + gap * Double(panels.count - 1) + bottom
        let plotWidth = width - left - right
        let x0 = ref.xRange.lowerBound, x1 = ref.xRange.upperBound
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotWidth }
        func colour(_ k: Int) -> String { ref.isBranched ? SVG.phaseColors[k % SVG.phaseColors.count] : "#08519c" }

        var s = String(format: "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n", width, height)
        s += "<defs><pattern id=\"hatch\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"8\" height=\"8\" fill=\"#ececec\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#bdbdbd\" stroke-width=\"2\"/></pattern></defs>\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        var y = top
        for (k, panel) in panels.enumerated() {
            let h = heights[k]
            // Vertical range over bands, points and marks.
            var vs: [Double] = []
            for b in ref.branches {
                guard let (v, band) = panel.values(b.curve) else { continue }
                for i in v.indices { vs += [v[i] - 2 * band[i], v[i] + 2 * band[i]] }
                vs += b.curve.points.compactMap(panel.point)
            }
            for m in marks { if let q = panel.mark(m) { vs += [q.value - q.esd, q.value + q.esd] } }
            let v0 = vs.min()!, v1 = vs.max()!
            let pad = max(v1 - v0, 1e-9) * 0.06
            let lo = v0 - pad, hi = v1 + pad
            let yTop = y
            func py(_ v: Double) -> Double { yTop + (1 - (v - lo) / (hi - lo)) * h }

            s += "<clipPath id=\"panel\(k)\"><rect x=\"\(left)\" y=\"\(y)\" width=\"\(plotWidth)\" height=\"\(h)\"/></clipPath>\n<g clip-path=\"url(#panel\(k))\">\n"
            if ref.isBranched {
                for r in ref.twoPhaseRegions {
                    let a = px(r.range.lowerBound), b = px(r.range.upperBound)
                    s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"url(#hatch)\"/>\n", a, y, max(b - a, 1), h)
                    if k == 0 { s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@ two-phase</text>\n", (a + b) / 2, y + 14, SVG.escape(r.name)) }
                }
            } else {
                for (j, r) in ref.branches[0].curve.regions.enumerated() {
                    let a = px(max(r.range.lowerBound, x0)), b = px(min(r.range.upperBound, x1))
                    s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"/>\n", min(a, b), y, abs(b - a), h, regionShades[j % regionShades.count])
                    if k == 0 { s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>\n", (a + b) / 2, y + 14, SVG.escape(r.name)) }
                }
            }
            for (j, b) in ref.branches.enumerated() {
                guard let (v, band) = panel.values(b.curve) else { continue }
                let g = b.curve.grid
                var upper = "", lower = "", line = ""
                for i in g.indices {
                    let c = py(v[i]), half = max(py(v[i] - 2 * band[i]) - c, minimumBandHalfWidth)
                    upper += String(format: "%.1f,%.1f ", px(g[i]), c - half)
                    lower = String(format: "%.1f,%.1f ", px(g[i]), c + half) + lower
                    line += String(format: "%.1f,%.1f ", px(g[i]), c)
                }
                s += "<polygon points=\"\(upper)\(lower)\" fill=\"\(colour(j))\" fill-opacity=\"0.28\" stroke=\"\(colour(j))\" stroke-opacity=\"0.5\" stroke-width=\"0.5\"/>\n"
                s += "<polyline points=\"\(line)\" fill=\"none\" stroke=\"\(colour(j))\" stroke-width=\"1.1\"/>\n"
                for p in b.curve.points {
                    guard let q = panel.point(p) else { continue }
                    s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.4\" fill=\"white\" stroke=\"%@\"/>", px(p.x), py(q), colour(j))
                }
                s += "\n"
            }
            for m in marks {
                guard let q = panel.mark(m) else { continue }
                let cx = px(m.x.value), cy = py(q.value)
                s += String(format: "<g stroke=\"%@\" stroke-width=\"1.6\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                            markColor, px(m.x.value - m.x.esd), cy, px(m.x.value + m.x.esd), cy, cx, py(q.value - q.esd), cx, py(q.value + q.esd))
                for xe in [px(m.x.value - m.x.esd), px(m.x.value + m.x.esd)] { s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", xe, cy - 4, xe, cy + 4) }
                s += String(format: "</g><path d=\"M %.1f %.1f l 5 -5 l 5 5 l -5 5 z\" fill=\"%@\"/>\n", cx - 5, cy, markColor)
            }
            s += "</g>\n"
            s += "<rect x=\"\(left)\" y=\"\(y)\" width=\"\(plotWidth)\" height=\"\(h)\" fill=\"none\" stroke=\"black\"/>\n"
            let ticks = SVG.niceTicks(lo, hi, k == 0 ? 6 : 4)
            let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
            for t in ticks {
                s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>",
                            left - 4, py(t), left, py(t), left - 6, py(t) + 4, SVG.label(t, step: step))
            }
            s += String(format: "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">%@</text>\n", y + h / 2, panel.title)
            let xt = SVG.niceTicks(x0, x1, 8)
            for t in xt {
                s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>", px(t), y + h, px(t), y + h + 4)
                if k == panels.count - 1 {
                    s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>", px(t), y + h + 18, SVG.label(t, step: xt.count > 1 ? xt[1] - xt[0] : 0.1))
                }
            }
            s += "\n"
            y += h + gap
        }
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">x(Li)</text>\n", left + plotWidth / 2, height - 12)
        s += legend(ref, marks: marks, x: width - right + 14, y: top + 6, colour: colour)
        return s + "</svg>\n"
    }

    static func legend(_ ref: LithiumReference, marks: [Mark], x: Double, y: Double, colour: (Int) -> String) -> String {
        var s = "", row = y
        func next() -> Double { defer { row += 20 }; return row }
        for (j, b) in ref.branches.enumerated() {
            let r = next()
            s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"1.6\"/><text x=\"%.1f\" y=\"%.1f\">%@</text>\n",
                        x, r, x + 24, r, colour(j), x + 30, r + 4, SVG.escape(b.name ?? "reference curve"))
        }
        var r = next()
        s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"24\" height=\"10\" fill=\"%@\" fill-opacity=\"0.28\" stroke=\"%@\" stroke-opacity=\"0.5\" stroke-width=\"0.5\"/><text x=\"%.1f\" y=\"%.1f\">±2σ band of the curve</text>\n",
                    x, r - 5, colour(0), colour(0), x + 30, r + 4)
        let bands = ref.branches.flatMap(\.curve.volumeBand).sorted()
        r = next()
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">median 2σ(V) %.3f Å³;</text>\n", x + 30, r, 2 * bands[bands.count / 2])
        r = next() - 6
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">drawn at least %.0f px wide</text>\n", x + 30, r, 2 * minimumBandHalfWidth)
        r = next()
        s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.4\" fill=\"white\" stroke=\"%@\"/><text x=\"%.1f\" y=\"%.1f\">refined points</text>\n", x + 12, r, colour(0), x + 30, r + 4)
        if !ref.twoPhaseRegions.isEmpty {
            r = next()
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"24\" height=\"12\" fill=\"url(#hatch)\" stroke=\"#999\"/><text x=\"%.1f\" y=\"%.1f\">two-phase region</text>\n", x, r - 6, x + 30, r + 4)
        }
        if !marks.isEmpty {
            r = next()
            s += String(format: "<g stroke=\"%@\" stroke-width=\"1.6\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g><path d=\"M %.1f %.1f l 5 -5 l 5 5 l -5 5 z\" fill=\"%@\"/><text x=\"%.1f\" y=\"%.1f\">lookup ± esd (x and V)</text>\n",
                        markColor, x, r, x + 24, r, x + 7, r, markColor, x + 30, r + 4)
        }
        return s
    }
}
