import Foundation
import Refinement

/// What a sequential run keeps of each pattern for its summary and plot (the full results go to the CSV and
/// are dropped: a run over thousands of patterns must not hold them all).
public struct SummaryRow: Sendable {
    public let index: Int
    public let file: String
    public let cell: [String: Estimate]
    public let rwp: Double
    public let converged: Bool
    public let flagged: Bool
    public let retries: Int
    public let reason: String?

    public init(_ r: SequentialRow) {
        index = r.index
        file = r.file
        cell = r.result.cell(phase: 0)
        rwp = r.result.statistics.rwp
        converged = r.result.converged
        flagged = r.flagged
        retries = r.retries
        reason = r.reason
    }
}

/// a, c, V (with esd bars) and Rwp against pattern index, four stacked panels; flagged patterns in red.
public enum SequentialPlot {
    public static func svg(_ rows: [SummaryRow], width: Double = 800, height: Double = 900) -> String {
        let sorted = rows.sorted { $0.index < $1.index }
        let left = 90.0, right = 20.0, top = 20.0, gap = 30.0, bottom = 50.0
        let panelH = (height - top - bottom - 3 * gap) / 4
        let xs = sorted.map { Double($0.index) }
        let xMin = (xs.min() ?? 0) - 0.5, xMax = (xs.max() ?? 1) + 0.5
        func px(_ x: Double) -> Double { left + (x - xMin) / max(xMax - xMin, 1e-9) * (width - left - right) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        let series: [(String, (SummaryRow) -> (Double, Double?))] = [
            ("a / Å", { r in let e = r.cell["a"]!; return (e.value, e.esd) }),
            ("c / Å", { r in let e = r.cell["c"]!; return (e.value, e.esd) }),
            ("V / Å³", { r in let e = r.cell["volume"]!; return (e.value, e.esd) }),
            ("Rwp / %", { r in (r.rwp, nil) }),
        ]
        for (k, (label, value)) in series.enumerated() {
            let y0 = top + Double(k) * (panelH + gap)
            let vals = sorted.map(value)
            let lo = vals.map { $0.0 - ($0.1 ?? 0) }.min() ?? 0, hi = vals.map { $0.0 + ($0.1 ?? 0) }.max() ?? 1
            let pad = max((hi - lo) * 0.08, abs(hi) * 1e-6 + 1e-12)
            let (yLo, yHi) = (lo - pad, hi + pad)
            func py(_ v: Double) -> Double { y0 + panelH - (v - yLo) / (yHi - yLo) * panelH }
            s += "<rect x=\"\(left)\" y=\"\(y0)\" width=\"\(width - left - right)\" height=\"\(panelH)\" fill=\"none\" stroke=\"black\"/>\n"
            s += String(format: "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">%@</text>\n", y0 + panelH / 2, label)
            for t in FitPlot.niceTicks(yLo, yHi, 4) {
                s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>\n",
                            left - 4, py(t), left, py(t), left - 6, py(t) + 4, String(format: "%g", t))
            }
            for (i, r) in sorted.enumerated() {
                let (v, e) = vals[i]
                let color = r.flagged ? "#d62728" : "#1f4e9c"
                if let e, e > 0 {
                    s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\"/>", px(xs[i]), py(v - e), px(xs[i]), py(v + e), color)
                }
                s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%@\"/>\n", px(xs[i]), py(v), color)
            }
        }
        let yAxis = top + 4 * panelH + 3 * gap
        for t in FitPlot.niceTicks(xMin, xMax, 10) where t == t.rounded() {
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.0f</text>", px(t), yAxis + 16, t)
        }
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">pattern index (red: flagged)</text>\n</svg>\n", left + (width - left - right) / 2, height - 10)
        return s
    }
}
