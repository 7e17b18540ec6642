import FileSupport
import Foundation
import PowderDiffraction
import Refinement

/// An SVG plot of a fit for papers: observed points, calculated line, background, one row of tick marks per
/// phase in its own colour (Kα2 lines as short ticks), and the difference curve below on the same intensity
/// scale as the data, with its own axis. A legend names each phase with its weight fraction.
public enum FitPlot {
    /// How intensities are drawn.
    public enum IntensityScale: String, Sendable, CaseIterable {
        case linear, sqrt, log
    }

    public struct Options: Sendable {
        public var width = 900.0, height = 600.0
        /// 2θ range shown (nil: the whole pattern).
        public var range: ClosedRange<Double>?
        public var scale = IntensityScale.linear
        public init() {}
    }

    public static func svg(_ input: RefinementReportInput, options: Options = Options()) -> String {
        let r = input.result
        let (width, height) = (options.width, options.height)
        let all = r.pattern.twoTheta.indices
        let shown = all.filter { options.range?.contains(r.pattern.twoTheta[$0]) ?? true }
        let x = shown.map { r.pattern.twoTheta[$0] }
        let yo = shown.map { r.pattern.intensity[$0] }, yc = shown.map { r.evaluation.calculated[$0] }
        let bg = shown.map { r.evaluation.background[$0] }
        let diff = zip(yo, yc).map { $0 - $1 }
        let phases = r.model.phases
        let left = 84.0, right = 20.0, top = 30.0, bottom = 56.0
        let plotW = width - left - right
        let tickRow = 13.0, gap = 8.0
        let ticksH = tickRow * Double(phases.count)
        let available = height - top - bottom - ticksH - 2 * gap
        // The difference panel shares the intensity scale of the main panel (the same counts per pixel), so
        // that noise looks like noise; it is as tall as its span needs, within 12–35 % of the plot.
        let transform: (Double) -> Double = {
            switch options.scale {
            case .linear: return { $0 }
            case .sqrt: return { $0 >= 0 ? $0.squareRoot() : -(-$0).squareRoot() }
            case .log: return { log10(max($0, 1)) }
            }
        }()
        let yMax = transform(max(yo.max() ?? 1, yc.max() ?? 1)) * 1.04
        let yMin = options.scale == .log ? transform(max(1, min(yo.min() ?? 1, bg.min() ?? 1))) : min(0, transform(yo.min() ?? 0))
        let dSpan = max(diff.map(abs).max() ?? 1, 1)
        let linearDiff = options.scale == .linear
        let wanted = linearDiff ? 2 * dSpan / max(yMax - yMin, 1e-300) * available / (1 + 2 * dSpan / max(yMax - yMin, 1e-300)) : 0.22 * available
        let diffH = min(max(wanted, 0.12 * available), 0.35 * available)
        let mainH = available - diffH
        let xMin = x.first ?? 0, xMax = max(x.last ?? 1, (x.first ?? 0) + 1e-9)
        func px(_ v: Double) -> Double { left + (v - xMin) / (xMax - xMin) * plotW }
        func py(_ v: Double) -> Double { top + mainH - (transform(v) - yMin) / (yMax - yMin) * mainH }
        let diffTop = top + mainH + ticksH + 2 * gap
        // Counts per pixel of the main panel (linear), else the difference's own span.
        let diffScale = linearDiff ? max((yMax - yMin) / mainH, 2 * dSpan / diffH) : 2 * dSpan / diffH
        func pd(_ v: Double) -> Double { diffTop + diffH / 2 - v / diffScale }
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="13">
            <rect width="100%" height="100%" fill="white"/>

            """
        // Observed as small circles (thinned to at most ~4000 marks), calculated, background and difference as lines.
        let stride = max(1, x.count / 4000)
        s += "<g fill=\"none\" stroke=\"#1f4e9c\" stroke-width=\"0.8\">"
        for i in Swift.stride(from: 0, to: x.count, by: stride) {
            s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.6\"/>", px(x[i]), py(yo[i]))
        }
        s += "</g>\n"
        s += SVG.polyline(x.indices.map { (px(x[$0]), py(bg[$0])) }, color: "#555555", width: 1.3, dash: "6 3")
        s += SVG.polyline(x.indices.map { (px(x[$0]), py(yc[$0])) }, color: "#d62728", width: 1.1)
        s += "<line x1=\"\(left)\" y1=\"\(pd(0))\" x2=\"\(left + plotW)\" y2=\"\(pd(0))\" stroke=\"#bbbbbb\" stroke-width=\"0.6\"/>\n"
        s += SVG.polyline(x.indices.map { (px(x[$0]), pd(diff[$0])) }, color: "#2a2a2a", width: 0.8)
        // Tick marks per phase: Kα1 full height, Kα2 short.
        for p in phases.indices {
            let y0 = top + mainH + gap + tickRow * Double(p)
            let color = SVG.phaseColors[p % SVG.phaseColors.count]
            s += "<g stroke=\"\(color)\" stroke-width=\"1\">"
            for refl in r.evaluation.reflections where refl.phase == p && refl.twoTheta >= xMin && refl.twoTheta <= xMax {
                let h = refl.isSecondLine ? 5.0 : 10.0
                s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", px(refl.twoTheta), y0, px(refl.twoTheta), y0 + h)
            }
            s += "</g>\n"
        }
        s += axes(x: (xMin, xMax), y: (yMin, yMax), left: left, top: top, plotW: plotW, mainH: mainH, diffTop: diffTop, diffH: diffH,
                  height: height, px: px, scale: options.scale)
        // The difference axis: counts at the same scale.
        let dTicks = SVG.niceTicks(-diffH / 2 * diffScale, diffH / 2 * diffScale, 4)
        let dStep = dTicks.count > 1 ? dTicks[1] - dTicks[0] : 1
        for t in dTicks {
            s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>", left - 5, pd(t), left, pd(t))
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"11\">%@</text>", left - 8, pd(t) + 4, SVG.label(t, step: dStep))
        }
        let sameScale = !linearDiff || diffScale <= (yMax - yMin) / mainH * 1.001
        let diffLabel = sameScale ? "obs − calc" : String(format: "obs − calc (×%.2g)", (yMax - yMin) / mainH / diffScale)
        s += String(format: "<text transform=\"translate(16 %.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"11\">%@</text>\n", diffTop + diffH / 2, diffLabel)
        s += legend(input, left: left + plotW - 300, top: top + 18)
        return s + "</svg>\n"
    }

    static func axes(x: (Double, Double), y: (Double, Double), left: Double, top: Double, plotW: Double, mainH: Double, diffTop: Double,
                     diffH: Double, height: Double, px: (Double) -> Double, scale: IntensityScale) -> String {
        var s = "<g stroke=\"black\" stroke-width=\"1\" fill=\"none\"><rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(mainH)\"/>"
        s += "<rect x=\"\(left)\" y=\"\(diffTop)\" width=\"\(plotW)\" height=\"\(diffH)\"/></g>\n"
        let xTicks = SVG.niceTicks(x.0, x.1, 10)
        let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1
        for t in xTicks {
            s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>", px(t), diffTop + diffH, px(t), diffTop + diffH + 5)
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>", px(t), diffTop + diffH + 20, SVG.label(t, step: xStep))
        }
        func py(_ v: Double) -> Double { top + mainH - (v - y.0) / (y.1 - y.0) * mainH }
        for t in SVG.niceTicks(y.0, y.1, 6) {
            // Ticks in transformed units, labelled in counts.
            let counts: Double = scale == .sqrt ? t * abs(t) : (scale == .log ? pow(10, t) : t)
            s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/>", left - 5, py(t), left, py(t))
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>", left - 8, py(t) + 4, SVG.label(counts.rounded()))
        }
        let yLabel = ["linear": "Intensity / counts", "sqrt": "Intensity / counts (√ scale)", "log": "Intensity / counts (log scale)"][scale.rawValue]!
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">2θ / °</text>", left + plotW / 2, height - 12)
        s += String(format: "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">%@</text>\n", top + mainH / 2, yLabel)
        return s
    }

    static func legend(_ input: RefinementReportInput, left lx: Double, top ly: Double) -> String {
        let r = input.result
        var s = "<g font-size=\"12\">"
        s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"none\" stroke=\"#1f4e9c\"/><text x=\"%.1f\" y=\"%.1f\">observed</text>", lx, ly - 4, lx + 12, ly)
        s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" stroke-width=\"1.5\"/><text x=\"%.1f\" y=\"%.1f\">calculated (Rwp %.2f %%, GOF %.2f)</text>",
                    lx - 4, ly + 14, lx + 8, ly + 14, lx + 12, ly + 18, r.statistics.rwp, r.statistics.gof)
        s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555555\" stroke-width=\"1.3\" stroke-dasharray=\"6 3\"/><text x=\"%.1f\" y=\"%.1f\">background</text>", lx - 4, ly + 32, lx + 8, ly + 32, lx + 12, ly + 36)
        for (p, phase) in r.model.phases.enumerated() {
            let yy = ly + 54 + 18 * Double(p)
            var label = "\(phase.name) reflections"
            if let w = input.quantities?.weightFractions[p] { label += String(format: " (%.1f wt %%)", 100 * w.value) }
            if phase.mode == .leBail { label += " (Le Bail)" }
            s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\">%@</text>",
                        lx + 2, yy - 9, lx + 2, yy + 1, SVG.phaseColors[p % SVG.phaseColors.count], lx + 12, yy, SVG.escape(label))
        }
        return s + "</g>\n"
    }
}
