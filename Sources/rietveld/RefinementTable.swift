import Foundation
import PowderDiffraction
import Refinement
import RietveldIO

/// The human-readable summary printed by `rietveld refine`.
enum RefinementTable {
    static func text(_ r: RefinementResult, phase: Int = 0) -> String {
        var out = ""
        let structure = r.model.phases[phase].structure
        out += "Rietveld refinement of \(r.pattern.name) with \(structure.name) (\(structure.spaceGroup))\n"
        out += "\(r.termination) after \(r.iterations) cycles in \(r.stages.count) stages, \(String(format: "%.3f", r.seconds)) s\n\n"
        out += pad("parameter", 26) + pad("value(esd)", 20) + "refined\n"
        for p in RefinementReport.allParameters(r) {
            let e = r.estimate(p)
            let unit = r.model.unit(of: p)
            out += pad(r.model.name(of: p) + (unit.isEmpty ? "" : " /\(unit)"), 26) + pad(EsdFormat.string(e.value, esd: e.esd), 20)
                + (r.parameters.contains(p) ? "yes" : "no") + "\n"
        }
        out += "\nDerived (esds from the covariance):\n"
        let cell = r.cell(phase: phase)
        for key in ["a", "c", "volume", "c_over_a"] {
            guard let e = cell[key] else { continue }
            let label = ["a": "a /Å", "c": "c /Å", "volume": "V /Å³", "c_over_a": "c/a"][key]!
            out += "  " + pad(label, 24) + EsdFormat.string(e.value, esd: e.esd) + "\n"
        }
        if let mix = r.cationMixing(phase: phase) {
            out += "  " + pad("cation mixing (Ni on Li)", 24) + EsdFormat.string(mix.value, esd: mix.esd)
                + String(format: "  (%.2f %%)", 100 * mix.value) + "\n"
        }
        let s = r.statistics
        out += "\nStatistics: Rwp \(String(format: "%.3f", s.rwp)) %  Rp \(String(format: "%.3f", s.rp)) %  Rexp \(String(format: "%.3f", s.rexp)) %  "
        out += "GOF \(String(format: "%.3f", s.gof))  χ²red \(String(format: "%.3f", s.reducedChiSquared))  RBragg \(String(format: "%.3f", s.rBragg)) %  "
        out += "Durbin–Watson \(String(format: "%.3f", s.durbinWatson))  (\(s.points) points, \(s.parameters) parameters)\n"
        if !r.atBound.isEmpty { out += "At a bound: \(r.atBound.map { r.model.name(of: $0) }.joined(separator: ", "))\n" }
        if !r.correlations.isEmpty {
            out += "Correlations above 0.8: " + r.correlations.prefix(8).map { "\(r.model.name(of: $0.0))/\(r.model.name(of: $0.1)) \(String(format: "%+.2f", $0.2))" }.joined(separator: ", ") + "\n"
        }
        return out
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
