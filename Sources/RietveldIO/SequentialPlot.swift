import Crystallography
import FileSupport
import Foundation
import Refinement

/// What a sequential run keeps of each pattern for its summary and plot (the full results go to the CSV and
/// are dropped: a run over thousands of patterns must not hold them all).
public struct SummaryRow: Sendable {
    public let index: Int
    public let file: String
    /// Each phase's cell (nil where the phase was absent).
    public let cells: [CellEstimates?]
    public let present: [Bool]
    /// Each phase's weight fraction (nil where absent or Le Bail).
    public let weightFractions: [Estimate?]
    public let rwp: Double
    public let converged: Bool
    public let flagged: Bool
    public let retries: Int
    public let reason: String?

    /// A pattern that could not be read.
    public init(unreadable index: Int, file: String, reason: String, phases: Int) {
        self.index = index
        self.file = file
        cells = Array(repeating: nil, count: phases)
        present = Array(repeating: false, count: phases)
        weightFractions = Array(repeating: nil, count: phases)
        rwp = .nan
        converged = false
        flagged = true
        retries = 0
        self.reason = "unreadable: " + reason
    }

    /// The first phase's cell (nil where it was absent).
    public var cell: CellEstimates? { cells.first ?? nil }

    public init(_ r: SequentialRow) {
        index = r.index
        file = r.file
        present = r.present
        cells = r.result.model.phases.indices.map { r.present[$0] ? r.result.cell(phase: $0) : nil }
        let q = try? r.result.quantities()
        weightFractions = r.result.model.phases.indices.map { r.present[$0] ? q?.weightFractions[$0] : nil }
        rwp = r.result.statistics.rwp
        converged = r.result.converged
        flagged = r.flagged
        retries = r.retries
        reason = r.reason == nil ? nil : r.reasonText
    }
}

/// a, c, V of each phase with esd bars, the weight fractions (several phases) and Rwp against pattern index
/// (or time or charge when the caller gives them), in stacked panels with a legend; phases in the colours of
/// the fit plot, flagged patterns as open red circles.
public enum SequentialPlot {
    public static func svg(_ rows: [SummaryRow], phaseNames: [String], x xValues: [Int: Double]? = nil, xLabel: String = "pattern index",
                           width: Double = 820, height: Double? = nil) -> String {
        let sorted = rows.filter { $0.rwp.isFinite }.sorted { $0.index < $1.index }
        let several = phaseNames.count > 1
        let left = 96.0, right = 24.0, top = 40.0, gap = 26.0, bottom = 50.0
        // Each phase's own panels (its lengths differ by Å from another phase's): the independent cell lengths
        // it has, then V; then the weight fractions of all phases together, then Rwp.
        var panels: [(String, [(phase: Int, value: (SummaryRow) -> (Double, Double?)?)])] = []
        for (p, name) in phaseNames.enumerated() {
            let prefix = several ? "\(name) " : ""
            let lengths: [CellParameter] = sorted.contains { r in r.cells[p].map { $0[.c].value != $0[.a].value } ?? false } ? [.a, .c] : [.a]
            for l in lengths { panels.append(("\(prefix)\(l.name) / Å", [(p, { r in r.cells[p].map { ($0[l].value, $0[l].esd) } })])) }
            panels.append(("\(prefix)V / Å³", [(p, { r in r.cells[p].map { ($0.volume.value, $0.volume.esd) } })]))
        }
        if several {
            panels.append(("weight fraction", phaseNames.indices.map { p in (p, { r in r.weightFractions[p].map { ($0.value, $0.esd) } }) }))
        }
        panels.append(("Rwp / %", [(-1, { r in (r.rwp, nil) })]))
        let height = height ?? (top + bottom + Double(panels.count) * 150)
        let panelH = (height - top - bottom - Double(panels.count - 1) * gap) / Double(panels.count)
        func xOf(_ r: SummaryRow) -> Double { xValues?[r.index] ?? Double(r.index) }
        let xs = sorted.map(xOf)
        // Half a pattern beyond the ends on an index axis; 3 % of the span on a time or charge axis.
        let span = (xs.max() ?? 1) - (xs.min() ?? 0)
        let pad = xValues == nil ? max(span * 0.02, 0.5) : max(span * 0.03, 1e-9)
        let xMin = (xs.min() ?? 0) - pad, xMax = (xs.max() ?? 1) + pad
        func px(_ x: Double) -> Double { left + (x - xMin) / max(xMax - xMin, 1e-9) * (width - left - right) }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        // Legend.
        var lx = left
        for (p, name) in phaseNames.enumerated() {
            s += String(format: "<circle cx=\"%.1f\" cy=\"18\" r=\"4\" fill=\"%@\"/><text x=\"%.1f\" y=\"22\">%@</text>", lx, color(p), lx + 8, SVG.escape(name))
            lx += 20 + 7.5 * Double(name.count)
        }
        s += String(format: "<circle cx=\"%.1f\" cy=\"18\" r=\"4\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\"/><text x=\"%.1f\" y=\"22\">flagged</text>\n", lx, lx + 8)
        for (k, (label, series)) in panels.enumerated() {
            let y0 = top + Double(k) * (panelH + gap)
            var values: [(Int, Double, Double?, Bool, Int)] = []  // phase, value, esd, flagged, row
            for (phase, f) in series {
                for (i, r) in sorted.enumerated() { if let (v, e) = f(r), v.isFinite { values.append((phase, v, e, r.flagged, i)) } }
            }
            let lo = values.map { $0.1 - ($0.2 ?? 0) }.min() ?? 0, hi = values.map { $0.1 + ($0.2 ?? 0) }.max() ?? 1
            let margin = max((hi - lo) * 0.08, abs(hi) * 1e-6 + 1e-12)
            let (yLo, yHi) = (lo - margin, hi + margin)
            func py(_ v: Double) -> Double { y0 + panelH - (v - yLo) / (yHi - yLo) * panelH }
            s += "<rect x=\"\(left)\" y=\"\(y0)\" width=\"\(width - left - right)\" height=\"\(panelH)\" fill=\"none\" stroke=\"black\"/>\n"
            s += String(format: "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">%@</text>\n", y0 + panelH / 2, label)
            let ticks = SVG.niceTicks(yLo, yHi, 4)
            let step = ticks.count > 1 ? ticks[1] - ticks[0] : max(yHi - yLo, 1e-9)
            for t in ticks {
                s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>\n",
                            left - 4, py(t), left, py(t), left - 6, py(t) + 4, SVG.label(t, step: step))
            }
            for (phase, v, e, flagged, i) in values {
                let c = phase < 0 ? "#1f4e9c" : color(phase)
                if let e, e > 0 {
                    s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\"/>", px(xs[i]), py(v - e), px(xs[i]), py(v + e), c)
                }
                s += flagged ? String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\"/>\n", px(xs[i]), py(v))
                    : String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%@\"/>\n", px(xs[i]), py(v), c)
            }
        }
        let yAxis = top + Double(panels.count) * panelH + Double(panels.count - 1) * gap
        let xTicks = SVG.niceTicks(xMin, xMax, 10)
        let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1
        for t in xTicks where xValues != nil || t == t.rounded() {
            s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"black\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>",
                        px(t), yAxis, px(t), yAxis + 5, px(t), yAxis + 18, SVG.label(t, step: xStep))
        }
        s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>\n</svg>\n", left + (width - left - right) / 2, height - 10, SVG.escape(xLabel))
        return s
    }

    static func color(_ p: Int) -> String { SVG.phaseColors[p % SVG.phaseColors.count] }
}
