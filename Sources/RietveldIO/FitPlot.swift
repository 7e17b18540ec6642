import Foundation
import PowderDiffraction
import Refinement

/// An SVG plot of a fit for papers: observed points, calculated line, difference curve below, tick marks
/// per phase, axes in 2θ/° and counts, Rwp in the legend.
public enum FitPlot {
    public static func svg(_ r: RefinementResult, width: Double = 900, height: Double = 560) -> String {
        let x = r.pattern.twoTheta, yo = r.pattern.intensity, yc = r.evaluation.calculated
        let diff = zip(yo, yc).map { $0 - $1 }
        let left = 80.0, right = 20.0, top = 30.0, bottom = 60.0
        let plotW = width - left - right
        let mainH = (height - top - bottom) * 0.72, tickH = 14.0 * Double(r.model.phases.count), gap = 10.0
        let diffH = height - top - bottom - mainH - tickH - 2 * gap
        let xMin = x.first ?? 0, xMax = x.last ?? 1
        let yMax = max(yo.max() ?? 1, yc.max() ?? 1) * 1.05
        let yMin = min(0, yo.min() ?? 0)
        let dSpan = max((diff.map(abs).max() ?? 1) * 1.1, 1)
        func px(_ v: Double) -> Double { left + (v - xMin) / (xMax - xMin) * plotW }
        func py(_ v: Double) -> Double { top + mainH - (v - yMin) / (yMax - yMin) * mainH }
        let diffTop = top + mainH + tickH + 2 * gap
        func pd(_ v: Double) -> Double { diffTop + diffH / 2 - v / dSpan * diffH / 2 }
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="13">
            <rect width="100%" height="100%" fill="white"/>

            """
        // Observed as small circles (thinned to at most ~4000 marks), calculated and difference as lines.
        let stride = max(1, x.count / 4000)
        s += "<g fill=\"none\" stroke=\"#1f4e9c\" stroke-width=\"0.8\">"
        for i in Swift.stride(from: 0, to: x.count, by: stride) {
            s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\"/>", px(x[i]), py(yo[i]))
        }
        s += "</g>\n"
        s += polyline(x.indices.map { (px(x[$0]), py(yc[$0])) }, color: "#d62728", width: 1.1)
        s += polyline(x.indices.map { (px(x[$0]), py(r.evaluation.background[$0])) }, color: "#7f7f7f", width: 0.8, dash: "4 3")
        s += polyline(x.indices.map { (px(x[$0]), pd(diff[$0])) }, color: "#2a2a2a", width: 0.8)
        // Tick marks per phase (Kα1 lines).
        let colors = ["#2ca02c", "#9467bd", "#8c564b", "#e377c2"]
        for (p, _) in r.model.phases.enumerated() {
            let y0 = top + mainH + gap + 14.0 * Double(p)
            s += "<g stroke=\"\(colors[p % colors.count])\" stroke-width=\"1\">"
            for refl in r.evaluation.reflections where refl.phase == p && !refl.isSecondLine && refl.twoTheta >= xMin && refl.twoTheta <= xMax {
                s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", px(refl.twoTheta), y0, px(refl.twoTheta), y0 + 10)
            }
            s += "</g>\n"
        }
        // Axes, ticks and labels.
        s += "<g stroke=\"black\" stroke-width=\"1\" fill=\"none\"><rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(mainH)\"/>"
        s += "<rect x=\"\(left)\" y=\"\(diffTop)\" width=\"\(plotW)\" height=\"\(diffH)\"/></g>\n"
        for t in niceTicks(xMin, xMax, 10) {
            s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>", px(t), diffTop + diffH, px(t), diffTop + diffH + 5)
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>", px(t), diffTop + diffH + 20, label(t))
        }
        for t in niceTicks(yMin, yMax, 6) {
            s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>", left - 5, py(t), left, py(t))
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>", left - 8, py(t) + 4, label(t))
        }
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">2θ / °</text>", left + plotW / 2, height - 15)
        s += String(format: "<text transform=\"translate(20 %.1f) rotate(-90)\" text-anchor=\"middle\">Intensity / counts</text>", top + mainH / 2)
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">obs − calc</text>", left - 8, diffTop + diffH / 2 + 4)
        // Legend.
        let lx = left + plotW - 250, ly = top + 18
        s += "<g font-size=\"12\">"
        s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"none\" stroke=\"#1f4e9c\"/><text x=\"%.1f\" y=\"%.1f\">observed</text>", lx, ly - 4, lx + 12, ly)
        s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" stroke-width=\"1.5\"/><text x=\"%.1f\" y=\"%.1f\">calculated (Rwp %.2f %%, GOF %.2f)</text>",
                    lx - 4, ly + 14, lx + 8, ly + 14, lx + 12, ly + 18, r.statistics.rwp, r.statistics.gof)
        s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#7f7f7f\" stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%.1f\">background</text>", lx - 4, ly + 32, lx + 8, ly + 32, lx + 12, ly + 36)
        for (p, phase) in r.model.phases.enumerated() {
            let yy = ly + 54 + 18 * Double(p)
            s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\"/><text x=\"%.1f\" y=\"%.1f\">%@ reflections</text>",
                        lx + 2, yy - 9, lx + 2, yy + 1, colors[p % colors.count], lx + 12, yy, escape(phase.structure.name))
        }
        s += "</g>\n</svg>\n"
        return s
    }

    static func polyline(_ pts: [(Double, Double)], color: String, width: Double, dash: String? = nil) -> String {
        var s = "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(width)\"" + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + " points=\""
        for (x, y) in pts { s += String(format: "%.1f,%.1f ", x, y) }
        return s + "\"/>\n"
    }

    static func niceTicks(_ lo: Double, _ hi: Double, _ count: Int) -> [Double] {
        let raw = (hi - lo) / Double(count)
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var t = ceil(lo / step) * step
        var out: [Double] = []
        while t <= hi + 1e-9 { out.append(t); t += step }
        return out
    }

    static func label(_ v: Double) -> String {
        if abs(v) >= 10000 { return String(format: "%.0fk", v / 1000) }
        return abs(v - v.rounded()) < 1e-9 ? String(format: "%.0f", v) : String(format: "%g", v)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
