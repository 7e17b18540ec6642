import Crystallography
import Foundation
import PowderDiffraction
import Refinement

/// The human-readable summary of a refinement: the pattern's parameters, then each phase's parameters and
/// derived quantities (a, c, V, c/a, mixing, weight fraction with esds), then the statistics.
public enum RefinementText {
    public static func text(_ input: RefinementReportInput) -> String {
        let r = input.result
        let phases = r.model.phases
        var out = "Rietveld refinement of \(r.pattern.name) with "
        out += phases.map { "\($0.name) (\($0.structure.spaceGroup)\($0.mode == .leBail ? ", Le Bail" : ""))" }.joined(separator: " and ") + "\n"
        out += "\(status(r)) after \(r.iterations) cycle\(r.iterations == 1 ? "" : "s") in \(r.stages.count) stage\(r.stages.count == 1 ? "" : "s"), \(String(format: "%.3f", r.seconds)) s\n\n"
        out += pad("parameter", 28) + pad("value(esd)", 20) + "refined\n"
        let all = RefinementReport.allParameters(r)
        for p in all where p.phase == nil { out += row(r, p) }
        for (i, phase) in phases.enumerated() {
            out += "Phase \(phase.name):\n"
            for p in all where p.phase == i { out += row(r, p) }
            out += derived(input, phase: i)
        }
        if let q = input.quantities, let amorphous = q.amorphous {
            out += "\n  " + pad("amorphous + unidentified", 26) + EsdFormat.string(amorphous.value, esd: amorphous.esd) + "\n"
        }
        out += statistics(r)
        for n in input.notes { out += "Note: \(n)\n" }
        return out
    }

    /// "converged", or why not.
    public static func status(_ r: RefinementResult) -> String {
        if !r.undetected.isEmpty {
            return "stopped: " + r.undetected.map { "phase \(r.model.phases[$0.phase].name) not detected (scale \(EsdFormat.string($0.scale.value, esd: $0.scale.esd)))" }.joined(separator: "; ")
        }
        return r.termination.description
    }

    static func row(_ r: RefinementResult, _ p: ModelParameter) -> String {
        let e = r.estimate(p)
        let unit = r.model.unit(of: p)
        let name: String
        if case let .phase(i, q) = p { name = r.model.localName(of: q, phase: i) } else { name = r.model.name(of: p) }
        return "  " + pad(name + (unit.isEmpty ? "" : " /\(unit)"), 26) + pad(EsdFormat.string(e.value, esd: e.esd), 20)
            + (r.parameters.contains(p) ? "yes" : "no") + "\n"
    }

    static func derived(_ input: RefinementReportInput, phase p: Int) -> String {
        let r = input.result
        var out = "  Derived (esds from the covariance):\n"
        let cell = r.cell(phase: p)
        var rows: [(String, Estimate)] = []
        let independent = r.model.phases[p].independentLattice
        for l in CellParameter.allCases where independent.contains(l) { rows.append((l.isLength ? "\(l.name) /Å" : "\(l.name) /°", cell[l])) }
        rows.append(("V /Å³", cell.volume))
        if let ratio = cell.axialRatio { rows.append(("c/a", ratio)) }
        for (label, e) in rows { out += "    " + pad(label, 24) + EsdFormat.string(e.value, esd: e.esd) + "\n" }
        if let mix = r.cationMixing(phase: p) {
            out += "    " + pad("cation mixing (Ni on Li)", 24) + EsdFormat.string(mix.value, esd: mix.esd) + String(format: "  (%.2f %%)", 100 * mix.value) + "\n"
        }
        if r.model.phases[p].mode == .leBail {
            out += "    weight fraction: none (Le Bail phase: free intensities, no structure)\n"
        } else if let q = input.quantities, let w = q.weightFractions[p] {
            out += "    " + pad("weight fraction", 24) + EsdFormat.string(w.value, esd: w.esd)
            var how: [String] = []
            if let k = q.relativeIntensityConstants[p] { how.append("calibrated: K \(String(format: "%.4f", k)) × the mean") }
            if let t = q.microabsorption[p] { how.append("Brindley τ \(String(format: "%.4f", t.tau))") }
            if !how.isEmpty, let u = q.uncorrectedWeightFractions[p] {
                out += "  (\(how.joined(separator: ", ")); uncorrected \(EsdFormat.string(u.value, esd: u.esd)))"
            }
            out += "\n"
            if let c = q.intensityCalibrations[p] {
                out += "    " + pad("intensity per mass K", 24) + EsdFormat.string(c.constant, esd: c.esd) + "  (from \(c.source))\n"
            }
            if let a = q.absoluteWeightFractions[p] { out += "    " + pad("absolute weight fraction", 24) + EsdFormat.string(a.value, esd: a.esd) + "\n" }
        }
        if p < r.statistics.rBraggByPhase.count, r.model.phases.count > 1 {
            out += "    " + pad("R_Bragg /%", 24) + String(format: "%.3f", r.statistics.rBraggByPhase[p]) + "\n"
        }
        return out
    }

    static func statistics(_ r: RefinementResult) -> String {
        let s = r.statistics
        var out = "\nStatistics: Rwp \(String(format: "%.3f", s.rwp)) %  Rp \(String(format: "%.3f", s.rp)) %  Rexp \(String(format: "%.3f", s.rexp)) %  "
        out += "GOF \(String(format: "%.3f", s.gof))  χ²red \(String(format: "%.3f", s.reducedChiSquared))  RBragg \(String(format: "%.3f", s.rBragg)) %  "
        out += "Durbin–Watson \(String(format: "%.3f", s.durbinWatson))  (\(s.points) points, \(s.parameters) parameters)\n"
        if !r.atBound.isEmpty { out += "At a bound: \(r.atBound.map { r.model.name(of: $0) }.joined(separator: ", "))\n" }
        for c in r.cautions { out += "Caution: \(c.description)\n" }
        for d in r.degeneracies {
            let names = d.parameters.map { r.model.name(of: $0) }
            out += d.kind == .noEffect ? "Undetermined: \(names.joined(separator: ", ")) has no effect on the pattern\n"
                : "Undetermined: \(names.joined(separator: " and ")) are fully correlated\n"
        }
        if !r.correlations.isEmpty {
            out += "Correlations above \(EsdFormat.plain(r.correlationThreshold)): "
                + r.correlations.prefix(8).map { "\(r.model.name(of: $0.0))/\(r.model.name(of: $0.1)) \(String(format: "%+.2f", $0.2))" }.joined(separator: ", ") + "\n"
        }
        return out
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
